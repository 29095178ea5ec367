//! End-to-end tests of `suture fix`: learn from a real git history built with git2, then fix unseen code.

mod support;

use expect_test::expect;
use support::{Repo, history, run};

/// Mines the fixture history into `REPO/lib` and returns the library path.
fn mined_library(repo: &Repo) -> std::path::PathBuf {
    let lib = repo.path().join("lib");
    // Three commits per pattern, as the shipped library asks: the two general families, without the concrete
    // `v.len() == 0` member that two commits of sites would add (these tests are about `fix`, not mining).
    let r = run(&[
        "mine",
        repo.path_str(),
        "--min-commits",
        "3",
        "--out",
        lib.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    lib
}

/// Code the history never saw: a fix inside `assert!`, one inside a closure, a two-hole fix, an overlap
/// (an outer and an inner `max` call), and a suppressed one.
const UNSEEN: &str = r#"pub fn check(v: &[u8], items: &[Vec<u8>], total: usize, used: usize) -> usize {
    assert!(v.len() == 0, "v must start empty");
    let empty = items.iter().filter(|x| x.len() == 0).count();
    let left = max(total, used);
    let nested = max(used, max(total, 1));
    // suture-ignore
    let kept = max(total, 1);
    left + empty + nested + kept
}
"#;

fn unseen_tree(repo: &Repo) -> std::path::PathBuf {
    let dir = repo.path().join("unseen");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("check.rs"), UNSEEN).unwrap();
    dir
}

#[test]
fn dry_run_explains_every_fix_and_skip() {
    let repo = history();
    let lib = mined_library(&repo);
    let dir = unseen_tree(&repo);
    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
        "--verbose",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = r.stdout.replace(repo.path_str(), "REPO");
    expect![[r#"
        check.rs:2:13: fix #1 [m-18e3ccaaa7] confidence 0.10 (calibrated, not compile-checked, score 0.67)
          why: mined pattern m-18e3ccaaa7 (support 4, prevalence 0.67, specialisation 1.00; calibrated); no location given
        --- a/check.rs
        +++ b/check.rs
        @@ -1,5 +1,5 @@
         pub fn check(v: &[u8], items: &[Vec<u8>], total: usize, used: usize) -> usize {
        -    assert!(v.len() == 0, "v must start empty");
        +    assert!(v.is_empty(), "v must start empty");
             let empty = items.iter().filter(|x| x.len() == 0).count();
             let left = max(total, used);
             let nested = max(used, max(total, 1));
        check.rs:3:41: fix #2 [m-18e3ccaaa7] confidence 0.10 (calibrated, not compile-checked, score 0.67)
          why: mined pattern m-18e3ccaaa7 (support 4, prevalence 0.67, specialisation 1.00; calibrated); no location given
        --- a/check.rs
        +++ b/check.rs
        @@ -1,6 +1,6 @@
         pub fn check(v: &[u8], items: &[Vec<u8>], total: usize, used: usize) -> usize {
             assert!(v.len() == 0, "v must start empty");
        -    let empty = items.iter().filter(|x| x.len() == 0).count();
        +    let empty = items.iter().filter(|x| x.is_empty()).count();
             let left = max(total, used);
             let nested = max(used, max(total, 1));
             // suture-ignore
        check.rs:4:16: fix #3 [m-7349c2a15d] confidence 0.10 (calibrated, not compile-checked, score 0.60)
          why: mined pattern m-7349c2a15d (support 3, prevalence 0.60, specialisation 1.00; calibrated); no location given
        --- a/check.rs
        +++ b/check.rs
        @@ -1,7 +1,7 @@
         pub fn check(v: &[u8], items: &[Vec<u8>], total: usize, used: usize) -> usize {
             assert!(v.len() == 0, "v must start empty");
             let empty = items.iter().filter(|x| x.len() == 0).count();
        -    let left = max(total, used);
        +    let left = total.max(used);
             let nested = max(used, max(total, 1));
             // suture-ignore
             let kept = max(total, 1);
        check.rs:5:18: fix #4 [m-7349c2a15d] confidence 0.10 (calibrated, not compile-checked, score 0.60)
          why: mined pattern m-7349c2a15d (support 3, prevalence 0.60, specialisation 1.00; calibrated); no location given
        --- a/check.rs
        +++ b/check.rs
        @@ -2,7 +2,7 @@
             assert!(v.len() == 0, "v must start empty");
             let empty = items.iter().filter(|x| x.len() == 0).count();
             let left = max(total, used);
        -    let nested = max(used, max(total, 1));
        +    let nested = used.max(max(total, 1));
             // suture-ignore
             let kept = max(total, 1);
             left + empty + nested + kept
        check.rs:5:27: fix #5 [m-7349c2a15d] confidence 0.10 (calibrated, not compile-checked, score 0.60) (nested, found after an earlier fix)
          why: mined pattern m-7349c2a15d (support 3, prevalence 0.60, specialisation 1.00; calibrated); no location given
        --- a/check.rs
        +++ b/check.rs
        @@ -2,7 +2,7 @@
             assert!(v.is_empty(), "v must start empty");
             let empty = items.iter().filter(|x| x.is_empty()).count();
             let left = total.max(used);
        -    let nested = used.max(max(total, 1));
        +    let nested = used.max(total.max(1));
             // suture-ignore
             let kept = max(total, 1);
             left + empty + nested + kept
        skipped check.rs:5 [m-7349c2a15d]: overlaps the higher-ranked fix by m-7349c2a15d at line 5 (a tie on confidence, broken by specificity, then id); looked for again once that fix is applied
        skipped check.rs:7 [m-7349c2a15d]: suppressed by a `// suture-ignore` comment
        no Cargo.toml in `REPO/unseen`: not compile-checked
        5 fixes in 1 files (1 files scanned, 2 patterns, 2 candidates skipped); dry run, nothing written (use --apply)
    "#]]
    .assert_eq(&out);
    assert_eq!(
        std::fs::read_to_string(dir.join("check.rs")).unwrap(),
        UNSEEN,
        "a dry run writes nothing"
    );
}

#[test]
fn apply_writes_exactly_the_fixed_file() {
    let repo = history();
    let lib = mined_library(&repo);
    let dir = unseen_tree(&repo);
    // The fixture repository has the new file untracked: a dirty tree.
    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
        "--apply",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("uncommitted changes") && r.stderr.contains("--allow-dirty"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("check.rs")).unwrap(),
        UNSEEN
    );
    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
        "--apply",
        "--allow-dirty",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fixed = std::fs::read_to_string(dir.join("check.rs")).unwrap();
    assert_eq!(
        fixed,
        r#"pub fn check(v: &[u8], items: &[Vec<u8>], total: usize, used: usize) -> usize {
    assert!(v.is_empty(), "v must start empty");
    let empty = items.iter().filter(|x| x.is_empty()).count();
    let left = total.max(used);
    let nested = used.max(total.max(1));
    // suture-ignore
    let kept = max(total, 1);
    left + empty + nested + kept
}
"#
    );
    // Fixed code is a fixpoint: nothing more to do.
    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn json_and_sarif_describe_the_same_fixes() {
    let repo = history();
    let lib = mined_library(&repo);
    let dir = unseen_tree(&repo);
    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["version"], 1);
    let fixes = json["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 5);
    let first = &fixes[0];
    assert_eq!(first["file"], "check.rs");
    assert_eq!(first["before"], "v.len() == 0");
    assert_eq!(first["after"], "v.is_empty()");
    assert_eq!(first["start"]["line"], 2);
    assert_eq!(first["rank"], 1);
    assert_eq!(json["skipped"].as_array().unwrap().len(), 2);

    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    let sarif: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    // Nested fixes refer to already patched text, so SARIF carries the first-round fixes only.
    assert_eq!(results.len(), 4);
    let replacement = &results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(replacement["insertedContent"]["text"], "v.is_empty()");
    assert_eq!(replacement["deletedRegion"]["startLine"], 2);
    assert_eq!(replacement["deletedRegion"]["startColumn"], 13);
    assert_eq!(replacement["deletedRegion"]["endColumn"], 25);
}

#[test]
fn locations_rank_fixes_near_them_first() {
    let repo = history();
    let lib = mined_library(&repo);
    let dir = unseen_tree(&repo);
    let lib = lib.to_str().unwrap();
    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib,
        "--at",
        "check.rs:4",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ranked: Vec<(i64, String, f64)> = json["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rank"].as_i64().unwrap(),
                f["proximity"].as_str().unwrap().to_owned(),
                f["score"].as_f64().unwrap(),
            )
        })
        .collect();
    // Line 4's fix comes first; the rest of the function follows at a lower score (0.7 of it).
    assert_eq!(ranked[2], (1, "on-line".to_owned(), 0.6));
    assert_eq!(ranked[0], (2, "same-function".to_owned(), 0.4667));
    // Confidence is the shipped calibration of the score: lower than the raw score (mined patterns are
    // overconfident), and in the same order.
    let confidence = |i: usize| json["fixes"][i]["confidence"].as_f64().unwrap();
    assert!(
        confidence(2) > confidence(0) && confidence(2) < 0.6,
        "{}",
        json["fixes"]
    );

    let diagnostics = dir.join("clippy.json");
    std::fs::write(
        &diagnostics,
        r#"{"reason":"compiler-artifact","target":{"name":"x"}}
{"reason":"compiler-message","message":{"message":"length comparison to zero","code":{"code":"clippy::len_zero"},"spans":[{"file_name":"check.rs","line_start":3,"line_end":3,"is_primary":true}]}}
{"reason":"compiler-message","message":{"message":"in std","code":null,"spans":[{"file_name":"/rustc/abc/library/core/src/lib.rs","line_start":1,"is_primary":true}]}}
{"reason":"build-finished","success":true}
"#,
    )
    .unwrap();
    let r = run(&[
        "fix",
        dir.to_str().unwrap(),
        "--patterns",
        lib,
        "--diagnostics",
        diagnostics.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let top = json["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rank"] == 1)
        .unwrap()
        .clone();
    assert_eq!(top["start"]["line"], 3);
    assert!(
        top["reason"]
            .as_str()
            .unwrap()
            .contains("diagnostic clippy::len_zero"),
        "{top}"
    );
}

#[test]
fn bad_input_gives_clear_errors_and_writes_nothing() {
    let repo = history();
    let lib = mined_library(&repo);
    let dir = unseen_tree(&repo);
    let (d, l) = (dir.to_str().unwrap(), lib.to_str().unwrap());
    let outside = run(&[
        "fix",
        d,
        "--patterns",
        l,
        "--at",
        "../src/lib.rs:3",
        "--apply",
        "--allow-dirty",
    ]);
    assert_eq!(outside.code, 2);
    assert!(outside.stderr.contains("is outside"), "{}", outside.stderr);
    let missing = run(&["fix", d, "--patterns", l, "--at", "nope.rs:1"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("`nope.rs` does not exist"),
        "{}",
        missing.stderr
    );
    let past_end = run(&["fix", d, "--patterns", l, "--at", "check.rs:99"]);
    assert!(
        past_end.stderr.contains("`check.rs` has 10 lines, not 99"),
        "{}",
        past_end.stderr
    );
    let garbage = dir.join("garbage.txt");
    std::fs::write(&garbage, "warning: not json at all\n").unwrap();
    let r = run(&[
        "fix",
        d,
        "--patterns",
        l,
        "--diagnostics",
        garbage.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no compiler messages found"),
        "{}",
        r.stderr
    );

    // A broken pattern file: the error names the file and the line.
    let broken = repo.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("p.toml"),
        "id = \"x\"\norigin = \"hand-written\"\nbefore = \"$A.len() ==\"\nafter = \"$A\"\n",
    )
    .unwrap();
    let r = run(&["fix", d, "--patterns", broken.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        format!(
            "error: {}:3: before: template does not parse as one Rust node: missing `identifier` at line 1, column 12",
            broken.join("p.toml").display()
        )
    );
    std::fs::write(
        broken.join("p.toml"),
        "id = \"x\"\norigin = \"hand-written\"\nbefore = \"$A\"\nafter = \"$A\"\nwhat = 1\n",
    )
    .unwrap();
    let r = run(&["fix", d, "--patterns", broken.to_str().unwrap()]);
    assert!(
        r.stderr.contains("p.toml:5: unknown field `what`"),
        "{}",
        r.stderr
    );
    // A `within` no node has would silently never match: an error at its line.
    std::fs::write(
        broken.join("p.toml"),
        "id = \"x\"\norigin = \"hand-written\"\nbefore = \"old\"\nafter = \"new\"\nwithin = \"call_expresion\"\n",
    )
    .unwrap();
    let r = run(&["fix", d, "--patterns", broken.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "p.toml:5: `within` is `call_expresion`, which is no kind of Rust syntax node"
        ),
        "{}",
        r.stderr
    );

    // Non-UTF-8 files are skipped with a reason; a syntax error only hides its own region.
    std::fs::write(dir.join("latin1.rs"), b"fn f() { let s = \"caf\xe9\"; }\n").unwrap();
    std::fs::write(
        dir.join("broken.rs"),
        "fn good(v: &[u8]) -> bool { v.len() == 0 }\nfn bad(v: &[u8]) -> bool { v.len() == 0 + }\n",
    )
    .unwrap();
    let r = run(&["fix", d, "--patterns", l, "--verbose"]);
    assert!(
        r.stdout
            .contains("skipped file latin1.rs: not valid UTF-8 (byte 21)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("broken.rs:1:29: fix"), "{}", r.stdout);
    assert!(!r.stdout.contains("broken.rs:2:"), "{}", r.stdout);
    assert_eq!(
        std::fs::read_to_string(dir.join("check.rs")).unwrap(),
        UNSEEN
    );
}

/// Learns from half of a set of fixes and fixes the other half, as an evaluation would.
#[test]
fn learns_from_half_and_fixes_the_other_half() {
    // Six families of fixes, six instances each, with different receivers, names and contexts.
    let families: &[(&str, &str, [&str; 6])] = &[
        (
            "{}.len() == 0",
            "{}.is_empty()",
            ["v", "self.items", "buf.lines", "args()", "x.0", "names[i]"],
        ),
        (
            "{}.iter().count()",
            "{}.len()",
            [
                "v",
                "self.queue",
                "parts",
                "groups[0]",
                "row.cells",
                "list()",
            ],
        ),
        (
            "{}.unwrap_or(Vec::new())",
            "{}.unwrap_or_default()",
            [
                "a",
                "m.get(k).cloned()",
                "opt",
                "self.cache.take()",
                "read()",
                "x.ok()",
            ],
        ),
        (
            "{}.map(|x| x.clone())",
            "{}.cloned()",
            [
                "v.first()",
                "m.get(&k)",
                "it.next()",
                "self.head.as_ref()",
                "o",
                "last()",
            ],
        ),
        (
            "{}.len() > 0",
            "!{}.is_empty()",
            ["v", "s.parts", "q()", "self.stack", "out.buf", "w"],
        ),
        (
            "std::mem::replace({}, Vec::new())",
            "std::mem::take({})",
            [
                "&mut v",
                "&mut self.buf",
                "&mut out",
                "&mut q.items",
                "x",
                "&mut st.pending",
            ],
        ),
    ];
    let repo = Repo::new();
    let mut train = String::new();
    let mut test = String::new();
    let mut expected = Vec::new();
    for (f, (before, after, receivers)) in families.iter().enumerate() {
        for (i, r) in receivers.iter().enumerate() {
            let line = format!("    let r{f}_{i} = {};\n", before.replace("{}", r));
            if i % 2 == 0 {
                train.push_str(&line);
            } else {
                test.push_str(&line);
                expected.push((before.replace("{}", r), after.replace("{}", r)));
            }
        }
    }
    // History: a file with the training half, fixed one commit at a time.
    let path = "src/lib.rs";
    let mut text = format!("pub fn train() {{\n{train}}}\n");
    repo.commit("initial", &[(path, &text)]);
    for (f, (before, after, receivers)) in families.iter().enumerate() {
        for (i, r) in receivers.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
            let (b, a) = (before.replace("{}", r), after.replace("{}", r));
            text = text.replacen(&format!("r{f}_{i} = {b};"), &format!("r{f}_{i} = {a};"), 1);
            repo.commit(&format!("fix {f}.{i}"), &[(path, &text)]);
        }
    }
    let lib = mined_library(&repo);
    let unseen = repo.path().join("unseen");
    std::fs::create_dir_all(&unseen).unwrap();
    std::fs::write(
        unseen.join("test.rs"),
        format!("pub fn test() {{\n{test}}}\n"),
    )
    .unwrap();
    let r = run(&[
        "fix",
        unseen.to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
        "--apply",
        "--allow-dirty",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fixed = std::fs::read_to_string(unseen.join("test.rs")).unwrap();
    let fixed_lines: Vec<&str> = fixed.lines().skip(1).collect();
    // A held-out fix counts when its line now reads exactly as the human fix would have it.
    let mut exact = 0;
    let mut wrong = 0;
    for (line, (before, after)) in fixed_lines.iter().zip(&expected) {
        let rhs = line
            .trim()
            .split_once(" = ")
            .map(|(_, r)| r.trim_end_matches(';'))
            .unwrap_or("");
        if rhs == after {
            exact += 1;
        } else if rhs != before {
            wrong += 1;
            eprintln!("wrong: {before} => {rhs} (expected {after})");
        } else {
            eprintln!("missed: {before} => {after}");
        }
    }
    eprintln!(
        "learned from {} fixes, reproduced {exact} of {} held-out fixes exactly ({wrong} wrong)",
        expected.len(),
        expected.len()
    );
    // Measured: every held-out fix is reproduced exactly, and nothing is changed wrongly.
    assert_eq!((exact, wrong), (18, 0));
}

/// A crate where three patterns match: one fix compiles, one breaks type checking, one drops a `?` (a new
/// `unused_must_use` warning).
const THREE: &str = r#"use std::io::Write;

pub fn empty(v: &[u8]) -> bool {
    v.len() == 0
}

pub fn widen(x: u32) -> u64 {
    let y: u64 = x as u64;
    y
}

pub fn save(out: &mut Vec<u8>) -> std::io::Result<()> {
    out.write_all(b"x")?;
    out.flush()?;
    Ok(())
}
"#;

const THREE_PATTERNS: &[(&str, &str)] = &[
    (
        "m-len.toml",
        "id = \"m-len\"\norigin = \"mined\"\nbefore = \"$A.len() == 0\"\nafter = \"$A.is_empty()\"\nscore = 0.9\n",
    ),
    (
        "m-cast.toml",
        "id = \"m-cast\"\norigin = \"mined\"\nbefore = \"$A as u64\"\nafter = \"$A\"\nscore = 0.9\n",
    ),
    (
        "m-flush.toml",
        "id = \"m-flush\"\norigin = \"mined\"\nbefore = \"$A.flush()?\"\nafter = \"$A.flush()\"\nscore = 0.9\n",
    ),
];

/// The `THREE` crate in a fresh repository, and a library of `THREE_PATTERNS`.
fn three_crate() -> (Repo, tempfile::TempDir) {
    let repo = Repo::with_crate("three", THREE);
    let patterns = tempfile::tempdir().unwrap();
    for (name, text) in THREE_PATTERNS {
        std::fs::write(patterns.path().join(name), text).unwrap();
    }
    (repo, patterns)
}

#[test]
fn a_check_that_runs_out_of_budget_shows_nothing_it_did_not_settle() {
    let (repo, patterns) = three_crate();
    let r = run(&[
        "fix",
        repo.path_str(),
        "--patterns",
        patterns.path().to_str().unwrap(),
        "--validate-max-runs",
        "2",
        "--verbose",
    ]);
    shows_none_of_three(
        &r,
        "not checked: the check did not settle within 2 compiler runs",
    );
}

/// Asserts that a `--verbose` run on `three_crate` skipped each of its three fixes for `reason` and showed none.
#[track_caller]
fn shows_none_of_three(r: &support::Output, reason: &str) {
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for pattern in ["m-len", "m-cast", "m-flush"] {
        assert!(
            r.stdout.contains(&format!("[{pattern}]: {reason}")),
            "{pattern}: {}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("0 fixes in 0 files"), "{}", r.stdout);
}

#[test]
fn a_baseline_check_that_cannot_run_shows_and_applies_nothing() {
    // A Cargo workspace in git, so the check is possible and asked for, but cargo cannot run here (as when
    // the toolchain a project pins is not installed): what it could not look at is not shown, nor written.
    let (repo, patterns) = three_crate();
    repo.commit(
        "a compiler that cannot run",
        &[(
            ".cargo/config.toml",
            "[build]\nrustc = \"/nonexistent/rustc\"\n",
        )],
    );
    let r = run(&[
        "fix",
        repo.path_str(),
        "--patterns",
        patterns.path().to_str().unwrap(),
        "--apply",
        "--verbose",
    ]);
    shows_none_of_three(&r, "not checked: the baseline `cargo check` did not run");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/lib.rs")).unwrap(),
        THREE
    );
    // Asked not to check, the same fixes are shown, each saying so.
    let r = run(&[
        "fix",
        repo.path_str(),
        "--patterns",
        patterns.path().to_str().unwrap(),
        "--validate",
        "none",
    ]);
    assert!(r.stdout.contains("3 fixes in 1 files"), "{}", r.stdout);
    assert!(r.stdout.contains("not compile-checked"), "{}", r.stdout);
}

/// `suture fix --apply` on `three_crate` (or a repository grown from it): exits 1, and only the first fix, the
/// one that compiles without a new warning, is applied.
#[track_caller]
fn apply_three(repo: &Repo, patterns: &tempfile::TempDir) -> support::Output {
    let r = run(&[
        "fix",
        repo.path_str(),
        "--patterns",
        patterns.path().to_str().unwrap(),
        "--calibration",
        "none",
        "--apply",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/lib.rs")).unwrap(),
        THREE.replace("v.len() == 0", "v.is_empty()")
    );
    r
}

#[test]
fn a_workspace_member_that_does_not_compile_hides_no_fix_elsewhere() {
    // A member that fails before any fix (a nightly-only bench, a broken example crate) must not stop cargo
    // before it reaches the crate the fixes are in: then those would be "not compiled" (or, for the baseline,
    // their errors unseen). One job and a build script make cargo reach the broken member first.
    let (repo, patterns) = three_crate();
    repo.commit(
        "a member that does not compile",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"three\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [workspace]\nmembers = [\"broken\"]\n",
            ),
            (
                "Cargo.lock",
                "version = 4\n\n[[package]]\nname = \"broken\"\nversion = \"0.1.0\"\n\n\
                 [[package]]\nname = \"three\"\nversion = \"0.1.0\"\n",
            ),
            (
                "broken/Cargo.toml",
                "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            ),
            ("broken/build.rs", "fn main() {}\n"),
            (
                "broken/src/lib.rs",
                "pub fn answer() -> u32 {\n    \"forty-two\"\n}\n",
            ),
            (".cargo/config.toml", "[build]\njobs = 1\n"),
        ],
    );
    let r = apply_three(&repo, &patterns);
    assert!(
        r.stdout
            .contains("backed out src/lib.rs:8 [m-cast]: new with it: error[E0308]"),
        "{}",
        r.stdout
    );
}

#[test]
fn only_fixes_that_compile_without_new_warnings_are_applied() {
    let (repo, patterns) = three_crate();
    let r = apply_three(&repo, &patterns);
    // The output names the compiler's reason for each backed-out fix.
    assert!(
        r.stdout.contains("backed out src/lib.rs:8 [m-cast]: new with it: error[E0308]: mismatched types at src/lib.rs:8"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("backed out src/lib.rs:14 [m-flush]: new with it: warning[unused_must_use]: unused `Result` that must be used at src/lib.rs:14"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "src/lib.rs:4:5: fix #1 [m-len] confidence 0.96 (uncalibrated raw score, compiles"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 fixes backed out"), "{}", r.stdout);
    // The crate still checks, with no warning at all (it had none before).
    let check = std::process::Command::new("cargo")
        .args([
            "check",
            "--all-targets",
            "--offline",
            "--message-format=short",
        ])
        .env_remove("CARGO_TARGET_DIR")
        .current_dir(repo.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    // The only other worktree is suture's own, kept for the next run under the ignored build directory,
    // and it holds the user's files as they are (every candidate was reset).
    let worktrees = std::process::Command::new("git")
        .args(["worktree", "list", "--porcelain"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    let listed: Vec<String> = String::from_utf8_lossy(&worktrees.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("worktree ").map(str::to_owned))
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[1].ends_with("target/suture/tree"), "{listed:?}");
    assert_eq!(
        std::fs::read_to_string(std::path::Path::new(&listed[1]).join("src/lib.rs")).unwrap(),
        THREE,
        "the kept tree holds the file as the run found it, not a candidate"
    );
}

#[test]
fn a_fix_is_formatted_the_way_the_project_formats() {
    // The project formats with rustfmt; the fix makes the chain short enough for one line, which rustfmt
    // wants, so the fix as spliced would fail `cargo fmt --check`.
    let lib = "pub fn f(v: &[Vec<u8>]) -> usize {\n    v.iter()\n        .map(|xx| xx.iter().count())\n        .filter(|n| *n > 1)\n        .sum()\n}\n";
    let repo = Repo::with_crate("fmt", lib);
    let patterns = tempfile::tempdir().unwrap();
    std::fs::write(
        patterns.path().join("m-count.toml"),
        "id = \"m-count\"\norigin = \"mined\"\nbefore = \"$A.iter().count()\"\nafter = \"$A.len()\"\nscore = 0.9\n",
    )
    .unwrap();
    let r = run(&[
        "fix",
        repo.path_str(),
        "--patterns",
        patterns.path().to_str().unwrap(),
        "--apply",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("rustfmt formatted src/lib.rs"),
        "{}",
        r.stdout
    );
    let fixed = std::fs::read_to_string(repo.path().join("src/lib.rs")).unwrap();
    assert_eq!(
        fixed,
        "pub fn f(v: &[Vec<u8>]) -> usize {\n    v.iter().map(|xx| xx.len()).filter(|n| *n > 1).sum()\n}\n"
    );
    let fmt = std::process::Command::new("cargo")
        .args(["fmt", "--check"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(
        fmt.status.success(),
        "{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
}

#[test]
fn validate_test_backs_out_a_fix_that_compiles_but_fails_a_test() {
    // Both fixes compile; the second changes what `last` returns, and the crate's own test says so.
    let lib = "pub fn empty(v: &[u8]) -> bool {\n    v.len() == 0\n}\n\npub fn last(n: usize) -> usize {\n    n - 1\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn last_of_three() {\n        assert_eq!(super::last(3), 2);\n    }\n}\n";
    let repo = Repo::with_crate("tested", lib);
    let patterns = tempfile::tempdir().unwrap();
    std::fs::write(patterns.path().join("m-len.toml"), THREE_PATTERNS[0].1).unwrap();
    std::fs::write(
        patterns.path().join("m-minus.toml"),
        "id = \"m-minus\"\norigin = \"mined\"\nbefore = \"$A - 1\"\nafter = \"$A\"\nscore = 0.9\n",
    )
    .unwrap();
    let args = |validate: &'static str| {
        run(&[
            "fix",
            repo.path_str(),
            "--patterns",
            patterns.path().to_str().unwrap(),
            "--calibration",
            "none",
            "--validate",
            validate,
        ])
    };
    // `check` cannot see it: both are shown, as compiling.
    let checked = args("check");
    assert!(
        checked.stdout.contains("[m-minus] confidence"),
        "{}",
        checked.stdout
    );
    // `test` runs the crate's tests and backs the second out.
    let tested = args("test");
    assert_eq!(tested.code, 1, "{}\n{}", tested.stdout, tested.stderr);
    assert!(
        tested
            .stdout
            .contains("src/lib.rs:2:5: fix #1 [m-len] confidence 0.96 (uncalibrated raw score, compiles, tests pass"),
        "{}",
        tested.stdout
    );
    assert!(
        !tested.stdout.contains("[m-minus] confidence"),
        "{}",
        tested.stdout
    );
    assert!(
        tested.stdout.contains("1 fixes backed out"),
        "{}",
        tested.stdout
    );
}

#[test]
fn validate_test_blames_a_fix_only_for_tests_that_passed_without_it() {
    // One test fails before any fix: it is no reason to back a fix out, and the report says it fails anyway.
    let lib = "pub fn empty(v: &[u8]) -> bool {\n    v.len() == 0\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn empty_is_empty() {\n        assert!(super::empty(&[]));\n    }\n\n    #[test]\n    fn already_broken() {\n        assert_eq!(1 + 1, 3);\n    }\n}\n";
    let repo = Repo::with_crate("halfbroken", lib);
    let patterns = tempfile::tempdir().unwrap();
    std::fs::write(patterns.path().join("m-len.toml"), THREE_PATTERNS[0].1).unwrap();
    let fix = |repo: &Repo| {
        run(&[
            "fix",
            repo.path_str(),
            "--patterns",
            patterns.path().to_str().unwrap(),
            "--calibration",
            "none",
            "--validate",
            "test",
        ])
    };
    let r = fix(&repo);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("[m-len] confidence 0.96 (uncalibrated raw score, compiles, tests pass"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "1 tests fail without the fixes too (not counted against them): tests::already_broken"
        ),
        "{}",
        r.stdout
    );
    // A suite that does not build without the fixes (syn's asks for --all-features) cannot vouch for them:
    // the fix is shown as compiling, with the reason, instead of being blamed for the suite.
    repo.commit(
        "a test target that needs a feature",
        &[(
            "tests/needs_feature.rs",
            "compile_error!(\"run with --all-features\");\n",
        )],
    );
    let r = fix(&repo);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("[m-len] confidence 0.96 (uncalibrated raw score, compiles, score"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "`cargo test` does not run without the fixes (error: run with --all-features"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn code_nested_too_deep_is_a_reported_skip_and_the_rest_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in support::deep_files() {
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "pub fn empty(v: &[u8]) -> bool {\n    v.len() == 0\n}\n",
    )
    .unwrap();
    let fix = |extra: &[&str]| {
        let mut args = vec!["fix", dir.path().to_str().unwrap(), "--min-confidence", "0"];
        args.extend_from_slice(&["--format", "json"]);
        args.extend_from_slice(extra);
        let r = run(&args);
        assert!(r.code == 0 || r.code == 1, "{} {}", r.code, r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let mut too_deep: Vec<String> = json["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["code"] == "too-deep")
            .map(|s| {
                let reason = s["reason"].as_str().unwrap();
                format!("{}:{} {reason}", s["file"].as_str().unwrap(), s["line"])
            })
            .collect();
        too_deep.dedup();
        let fixed: Vec<String> = json["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["file"].as_str().unwrap(),
                    f["after"].as_str().unwrap()
                )
            })
            .collect();
        (too_deep, fixed)
    };
    // The shipped library, as a user runs it, ends normally on both deep files (`fix` asserts the exit code);
    // whether it reports them depends on whether one of its patterns could match there.
    let (too_deep, _) = fix(&[]);
    assert!(
        too_deep
            .iter()
            .all(|s| s.contains("not searched: code nested deeper than 256 levels")),
        "{too_deep:?}"
    );
    // A library whose pattern matches the last line of `some.rs` and `lib.rs`: the deep function is skipped
    // (its shallow line with it: the unit searched is the function), the other file is still fixed.
    let repo = history();
    let lib = mined_library(&repo);
    let (too_deep, fixed) = fix(&["--patterns", lib.to_str().unwrap()]);
    expect![[r#"
        (
            [
                "src/some.rs:2 not searched: code nested deeper than 256 levels at line 2",
            ],
            [
                "src/lib.rs v.is_empty()",
            ],
        )
    "#]]
    .assert_debug_eq(&(too_deep, fixed));
}

/// `--apply` where it could not be undone, and what an interrupted `--apply` leaves: outside git it needs
/// `--allow-no-vcs`; a stale temporary file of a killed run is no uncommitted change and is removed; the
/// written file keeps its mode and its CRLF line endings. (`benches/kill_apply.sh` kills real runs.)
#[test]
fn apply_needs_version_control_keeps_modes_and_line_endings_and_cleans_up_killed_runs() {
    use std::os::unix::fs::PermissionsExt;
    let repo = history();
    let lib = mined_library(&repo);
    let crlf = "pub fn e(v: &[u8]) -> bool {\r\n    v.len() == 0\r\n}\r\n";
    let apply = |dir: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "fix",
            dir.to_str().unwrap(),
            "--patterns",
            lib.to_str().unwrap(),
        ];
        args.extend_from_slice(&["--validate", "none", "--apply"]);
        args.extend_from_slice(extra);
        run(&args)
    };
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("e.rs"), crlf).unwrap();
    let r = apply(outside.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("not in a git repository") && r.stderr.contains("--allow-no-vcs"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(outside.path().join("e.rs")).unwrap(),
        crlf
    );
    let r = apply(outside.path(), &["--allow-no-vcs"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(outside.path().join("e.rs")).unwrap(),
        "pub fn e(v: &[u8]) -> bool {\r\n    v.is_empty()\r\n}\r\n"
    );

    let inside = Repo::new();
    inside.commit("code", &[("src/e.rs", crlf)]);
    let file = inside.path().join("src/e.rs");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    // What a run killed between writing its temporary file and renaming it left (pid 2^22 + 1 is above
    // Linux's pid_max, so no live process has it).
    let stale = inside.path().join("src/.e.rs.4194305.suture-tmp");
    std::fs::write(&stale, "half").unwrap();
    let r = apply(inside.path(), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!stale.exists());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "pub fn e(v: &[u8]) -> bool {\r\n    v.is_empty()\r\n}\r\n"
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let leftovers: Vec<_> = std::fs::read_dir(inside.path().join("src"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, ["e.rs"]);
}

/// A file `suture fix` cannot read is an error naming it (exit 2), never a clean report of a tree it did
/// not see; so is a path that is a dangling symbolic link. Root reads any file whatever its mode, so when
/// the tests run as root the run drops to `nobody` (uid and gid 65534) for the child, and meets the
/// `chmod 000` file as a user without rights would.
#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("a.rs"),
        "pub fn a(v: &[u8]) -> bool {\n    v.len() == 0\n}\n",
    )
    .unwrap();
    let locked = src.join("locked.rs");
    std::fs::write(&locked, "pub fn b() {}\n").unwrap();
    for (path, mode) in [
        (dir.path(), 0o755),
        (src.as_path(), 0o755),
        (&locked, 0o000),
    ] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let fix = |target: &std::path::Path| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_suture"));
        command
            .arg("fix")
            .arg(target)
            .env_remove("CARGO_TARGET_DIR");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            command.uid(65534).gid(65534);
        }
        let out = command.output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    for target in [dir.path(), locked.as_path()] {
        let (code, stdout, stderr) = fix(target);
        assert_eq!(code, Some(2), "{stdout}{stderr}");
        assert!(
            stderr.contains("cannot read") && stderr.contains("locked.rs"),
            "{stderr}"
        );
        assert!(stderr.contains("Permission denied"), "{stderr}");
        assert!(!stdout.contains("files scanned"), "no report: {stdout}");
    }

    let dangling = src.join("gone.rs");
    std::os::unix::fs::symlink("moved-away.rs", &dangling).unwrap();
    let (code, stdout, stderr) = fix(&dangling);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("gone.rs") && stderr.contains("symbolic link to `moved-away.rs`"),
        "{stderr}"
    );
}

#[test]
fn a_fix_that_needs_a_newer_rust_than_the_crates_msrv_is_skipped_with_the_declaration() {
    // The check compiles with the toolchain installed here, newer than most crates' MSRV, so it cannot catch
    // `then_some` (Rust 1.62) in a crate that promises 1.61: the MSRV is read from the manifests instead.
    let code = "pub fn f(ready: bool) -> Option<u32> {\n    ready.then(|| 5)\n}\n";
    let member = |name: &str, version: &str| {
        (
            format!("{name}/Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{version}"
            ),
        )
    };
    let mut files = vec![
        (
            "Cargo.toml".to_owned(),
            "[workspace]\nmembers = [\"old\", \"new\", \"inherits\", \"clippy\", \"free\"]\n\
             resolver = \"2\"\n\n[workspace.package]\nrust-version = \"1.61\"\n"
                .to_owned(),
        ),
        member("old", "rust-version = \"1.61.0\"\n"),
        member("new", "rust-version = \"1.62\"\n"),
        member("inherits", "rust-version.workspace = true\n"),
        member("clippy", "rust-version = \"1.70\"\n"),
        (
            "clippy/clippy.toml".to_owned(),
            "msrv = \"1.50\"\n".to_owned(),
        ),
        member("free", ""),
    ];
    for name in ["old", "new", "inherits", "clippy", "free"] {
        files.push((format!("{name}/src/lib.rs"), code.to_owned()));
    }
    let repo = Repo::new();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    repo.commit("a workspace of five MSRVs", &refs);
    let patterns = tempfile::tempdir().unwrap();
    std::fs::write(
        patterns.path().join("m-then.toml"),
        "id = \"m-then\"\norigin = \"mined\"\nbefore = \"$A.then(|| $B)\"\nafter = \"$A.then_some($B)\"\nscore = 0.9\n",
    )
    .unwrap();
    let args = [
        "fix",
        repo.path_str(),
        "--patterns",
        patterns.path().to_str().unwrap(),
        "--validate",
        "none",
        "--verbose",
    ];
    let r = run(&args);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let needs = "the fix uses `then_some` (stable since Rust 1.62), newer than the crate's MSRV";
    for (file, msrv) in [
        ("old", "1.61 (`rust-version` in old/Cargo.toml)"),
        ("inherits", "1.61 (`rust-version` in Cargo.toml)"),
        ("clippy", "1.50 (`msrv` in clippy/clippy.toml)"),
    ] {
        let line = format!("skipped {file}/src/lib.rs:2 [m-then]: {needs} {msrv}");
        assert!(r.stdout.contains(&line), "{line}\n{}", r.stdout);
    }
    for file in ["new", "free"] {
        assert!(
            r.stdout.contains(&format!("{file}/src/lib.rs:2:5: fix #")),
            "{file}: {}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("2 fixes in 2 files"), "{}", r.stdout);
    let json = run(&[&args[..6], &["--format", "json"]].concat());
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let codes: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["needs-newer-rust"; 3], "{}", json.stdout);
}
