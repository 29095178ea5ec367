//! The shipped pattern library: it loads, and its mined part keeps the corpus rules and every pattern in it
//! cleared the measured bar; every mined panic remedy reproduced human panic fixes it was not learned from.

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
        let in_dir = |name: &str| file.parent().is_some_and(|d| d.ends_with(name));
        assert_eq!(
            in_dir("mined") || in_dir("remedies"),
            p.origin == Origin::Mined,
            "{}: origin and folder disagree",
            file.display()
        );
        if p.origin != Origin::Mined {
            continue;
        }
        if in_dir("remedies") {
            // A mined panic remedy (used only where a trace reports its panic) ships when, measured on human
            // panic fixes with the commits it was learned from left out, it wrote some maintainer's fix
            // (`suture patterns measure-remedies --ship-to`): its record is that count, its base rate.
            assert!(!p.panics.is_empty(), "{}: no panics", file.display());
            assert!(p.effect.is_some(), "{}: no effect", file.display());
            let m = p
                .measured
                .as_ref()
                .unwrap_or_else(|| panic!("{}: shipped without a measured record", file.display()));
            assert_eq!(m.by, None, "{}: judged against human fixes", file.display());
            assert!(
                m.right >= 1,
                "{}: measured {} of {}",
                file.display(),
                m.right,
                m.proposed
            );
            assert!(
                m.on.iter().any(|l| l.contains("measure-remedies")),
                "{}: {:?}",
                file.display(),
                m.on
            );
            let commits: BTreeSet<&str> = p.provenance.iter().map(|s| s.commit.as_str()).collect();
            assert!(commits.len() >= 2, "{}: one fix", file.display());
            assert!(p.pattern.hole_count() >= 1, "{}: verbatim", file.display());
            assert!(mine::refusal(&p.pattern, &mine::RefuseConfig::default()).is_none());
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
        // Measured where it was not learned, and cleared the bar: at least 10 applications and a Wilson 95%
        // lower bound of at least 0.9 on the record in its file, which is the row corpus/rebuild.sh wrote into
        // corpus/precision.md. A pattern nothing has measured does not ship, however good it looks.
        let m = p
            .measured
            .as_ref()
            .unwrap_or_else(|| panic!("{}: shipped without a measured record", file.display()));
        assert_eq!(m.by, Some(pattern::MeasuredBy::Check), "{}", file.display());
        assert!(
            m.proposed >= 10 && pipeline::wilson_lower_bound(m.right, m.proposed, 1.96) >= 0.9,
            "{}: measured {} of {}",
            file.display(),
            m.right,
            m.proposed
        );
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", p.id)))
            .unwrap_or_else(|| panic!("{}: not in corpus/precision.md", file.display()));
        assert_eq!(
            row.split(" | ").nth(2),
            Some(format!("{} / {}", m.right, m.proposed).as_str()),
            "{}: its record is not the table's row",
            file.display()
        );
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

/// The corpus manifest never names a repository held out for independent evaluation, nor one the README's
/// "unseen" figures are measured on, and a candidate it refuses is not shipped.
#[test]
fn corpus_manifest_keeps_held_out_and_unseen_repositories_out_and_refused_patterns_unshipped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("corpus/manifest.toml")).unwrap())
            .unwrap();
    let forbidden = [
        "rust-lang/rust-clippy",
        "rust-lang/rust-analyzer",
        "sharkdp/bat",
        "tokio-rs/axum",
        "eza-community/eza",
        "helix-editor/helix",
        "cardigan1008/panic4r",
        "rust-lang/log",
        "rust-itertools/itertools",
        "serde-rs/json",
        "crossbeam-rs/crossbeam",
        "rust-lang/regex",
    ];
    let mut named = 0;
    for section in ["repo", "measure"] {
        for entry in manifest[section].as_array().unwrap() {
            let name = entry["name"].as_str().unwrap();
            assert!(!forbidden.contains(&name), "{section} {name} is held out");
            let commit = entry["commit"].as_str().unwrap();
            assert!(
                commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
                "{section} {name}: `{commit}` is not a full commit id"
            );
            named += 1;
        }
    }
    assert!(named >= 15, "{named} checkouts");
    for refused in manifest["refused"].as_array().unwrap() {
        let id = refused["id"].as_str().unwrap();
        assert!(!refused["reason"].as_str().unwrap().is_empty(), "{id}");
        assert!(
            !root.join(format!("patterns/mined/{id}.toml")).exists(),
            "{id} is refused by the manifest but shipped"
        );
    }
}
