//! The shipped pattern library: it loads, and its mined part keeps the corpus rules and cleared the measured bar.

use std::collections::BTreeSet;
use std::path::Path;

use pattern::Origin;

#[test]
fn shipped_library_loads_and_mined_patterns_are_general_and_corroborated() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    let library = pipeline::read_library(&root).unwrap();
    // The table every shipped pattern was chosen from, written by corpus/rebuild.sh.
    let table =
        std::fs::read_to_string(root.parent().unwrap().join("corpus/precision.md")).unwrap();
    for (p, file) in library.patterns.iter().zip(&library.files) {
        let in_mined_dir = file.parent().is_some_and(|d| d.ends_with("mined"));
        assert_eq!(
            in_mined_dir,
            p.origin == Origin::Mined,
            "{}: origin and folder disagree",
            file.display()
        );
        if p.origin != Origin::Mined {
            continue;
        }
        let repos: BTreeSet<&str> = p.provenance.iter().map(|s| s.repo.as_str()).collect();
        let commits: BTreeSet<&str> = p.provenance.iter().map(|s| s.commit.as_str()).collect();
        assert!(
            p.support >= 3 && commits.len() >= 3,
            "{}: support {}",
            file.display(),
            p.support
        );
        assert!(
            repos.len() >= 2,
            "{}: fixes from {repos:?} only",
            file.display()
        );
        assert!(
            p.pattern.hole_count() >= 1,
            "{}: a template without holes is verbatim code",
            file.display()
        );
        for side in [&p.source.before, &p.source.after] {
            assert!(
                side.lines().count() <= 8,
                "{}: template too large to be a general fix",
                file.display()
            );
        }
        assert!(p.pattern.is_applicable());
        // What the miner refuses today is not shipped from an earlier run (corpus/rebuild.sh removes what the
        // miner no longer learns).
        let refused = mine::refusal(&p.pattern, &mine::RefuseConfig::default());
        assert!(
            refused.is_none(),
            "{}: the miner refuses it: {}",
            file.display(),
            refused.unwrap()
        );
        // Measured where it was not learned (corpus/precision.md): a pattern with a record cleared the bar
        // (>= 10 applications, Wilson 95% lower bound >= 0.9); one without was not ruled out (its counts still
        // allow 0.9: the Wilson upper bound is at least that).
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", p.id)))
            .unwrap_or_else(|| panic!("{}: not in corpus/precision.md", file.display()));
        let counts = row.split(" | ").nth(2).unwrap();
        let (right, applied) = counts.split_once(" / ").unwrap();
        let (right, applied): (u32, u32) = (right.parse().unwrap(), applied.parse().unwrap());
        match &p.measured {
            Some(m) => {
                assert_eq!(m.by, Some(pattern::MeasuredBy::Check), "{}", file.display());
                assert!(
                    m.proposed >= 10
                        && pipeline::wilson_lower_bound(m.right, m.proposed, 1.96) >= 0.9,
                    "{}: measured {} of {}",
                    file.display(),
                    m.right,
                    m.proposed
                );
            }
            None => assert!(
                pipeline::measuring::wilson_upper_bound(right, applied, 1.96) >= 0.9,
                "{}: ruled out by its measurement ({right} of {applied}) but still shipped",
                file.display()
            ),
        }
        assert_eq!(
            pipeline::pattern_id(&p.pattern),
            p.id,
            "{}: id does not match its templates",
            file.display()
        );
    }
}

#[test]
fn schema_is_generated_from_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns/schema.json");
    expect_test::expect_file![path].assert_eq(&pipeline::json_schema());
}

#[test]
fn shipped_library_passes_its_own_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    let library = pipeline::read_library(&root).unwrap();
    let all: Vec<_> = library.patterns.iter().collect();
    let results = pipeline::test_examples(&all);
    let failures: Vec<_> = results.iter().filter(|r| r.failure.is_some()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    // Nearly every mined pattern carries examples; a template that cannot stand alone in a file has none.
    assert!(
        results.len() >= 2 * (all.len() - 2),
        "{} examples for {} patterns",
        results.len(),
        all.len()
    );
}

#[test]
fn patterns_test_command_checks_examples_and_fails_on_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        r#"id = "h-len-zero"
origin = "hand-written"
score = 0.5
before = "$A.len() == 0"
after = "$A.is_empty()"

[[examples]]
code = "fn f(v: &[u8]) -> bool { v.len() == 0 }\n"
fixed = "fn f(v: &[u8]) -> bool { v.is_empty() }\n"

[[examples]]
code = "fn f(v: &[u8]) -> bool { v.len() != 0 }\n"
"#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_suture"))
        .args([
            "patterns",
            "test",
            "--patterns",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2 passed, 0 failed (2 examples of 1 patterns; 0 patterns have no examples)\n"
    );
    let text = std::fs::read_to_string(dir.path().join("p.toml")).unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        text.replace("v.is_empty() }", "v.is_empty () }"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_suture"))
        .args([
            "patterns",
            "test",
            "--patterns",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("FAIL h-len-zero example 1: expected the fix to give:")
    );
}
