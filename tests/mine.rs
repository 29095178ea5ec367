//! End-to-end tests of `suture mine` on real git repositories built with git2.

mod support;

use expect_test::expect;
use support::{history, run, summarise_library};

#[test]
fn learns_two_general_families_with_provenance() {
    let repo = history();
    let out = repo.path().join("lib");
    let result = run(&[
        "mine",
        repo.path_str(),
        "--out",
        out.to_str().unwrap(),
        "--name",
        "fixture",
    ]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    expect![[r#"
        $A.len() == 0 => $A.is_empty()
          origin mined, support 4, score 0.6667, specialisation 1.0
          provenance: bar_empty uses is_empty, queue idle uses is_empty, test uses is_empty, use is_empty on a slice
        $A - $B => $A.saturating_sub($B)
          origin mined, support 3, score 0.6, specialisation 1.0
          provenance: before_last saturates, remaining cannot underflow, saturating gap
    "#]]
    .assert_eq(&summarise_library(&repo, &out));
}

#[test]
fn rerun_mines_nothing_and_writes_the_same_library() {
    let repo = history();
    let out = repo.path().join("lib");
    let args = ["mine", repo.path_str(), "--out", out.to_str().unwrap()];
    let first = run(&args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let files_before = support::read_dir_sorted(&out);
    let second = run(&args);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second
            .stdout
            .contains("11 commits in range, 11 already mined, 0 mined now"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("0 written, 2 unchanged, 0 removed"),
        "{}",
        second.stdout
    );
    assert_eq!(files_before, support::read_dir_sorted(&out));
}

#[test]
fn new_commits_are_mined_incrementally() {
    let repo = history();
    let out = repo.path().join("lib");
    let args = [
        "mine",
        repo.path_str(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    assert_eq!(run(&args).code, 0);
    repo.edit(
        "one more saturating fix",
        "src/lib.rs",
        "y + x }",
        "y.saturating_add(x) }",
    );
    let result = run(&args);
    let json: serde_json::Value = serde_json::from_str(&result.stdout).unwrap();
    assert_eq!(json["report"]["repos"][0]["mined_now"], 1);
    assert_eq!(json["report"]["repos"][0]["already_mined"], 11);
}

#[test]
fn range_limits_what_is_learned() {
    let repo = history();
    let out = repo.path().join("lib");
    // Up to and including "queue idle uses is_empty": only two `is_empty` fixes, below the default support.
    let result = run(&[
        "mine",
        repo.path_str(),
        "--range",
        "HEAD~6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    expect![""].assert_eq(&summarise_library(&repo, &out));
    let result = run(&[
        "mine",
        repo.path_str(),
        "--range",
        "HEAD~6",
        "--min-support",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    expect![[r#"
        $A.len() == 0 => $A.is_empty()
          origin mined, support 2, score 0.25, specialisation 0.5
          provenance: queue idle uses is_empty, use is_empty on a slice
    "#]]
    .assert_eq(&summarise_library(&repo, &out));
}

#[test]
fn bad_inputs_give_clear_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let r = run(&["mine", plain.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("error: `{}` is not a git repository\n", plain.display())
    );
    assert!(!plain.join(".suture").exists());

    let empty = dir.path().join("empty");
    git2::Repository::init(&empty).unwrap();
    let r = run(&["mine", empty.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("error: `{}` has no commits\n", empty.display())
    );

    let repo = history();
    let r = run(&["mine", repo.path_str(), "--range", "nope..HEAD"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown revision `nope..HEAD`"),
        "{}",
        r.stderr
    );
    assert!(!repo.path().join(".suture/patterns").exists());
}

#[test]
fn binary_non_utf8_oversized_and_broken_files_are_skipped_with_reasons() {
    let repo = history();
    let big = format!(
        "fn big() {{ let x = 1; }}\n{}",
        "// padding\n".repeat(120_000)
    );
    repo.commit(
        "odd files",
        &[
            ("src/bin.rs", "fn a() { x.len() == 0 }\n"),
            ("src/latin1.rs", "fn a() {}\n"),
            ("src/big.rs", &big),
            ("src/broken.rs", "fn a() { let v = w.len() == 0; }\n"),
        ],
    );
    repo.commit_bytes(
        "binary and latin-1 content",
        &[
            ("src/bin.rs", b"fn a() { \0\x01 }\n"),
            ("src/latin1.rs", b"fn a() { \"caf\xe9\" }\n"),
        ],
    );
    repo.commit(
        "oversized and broken",
        &[
            ("src/big.rs", &big.replace("let x = 1;", "let x = 2;")),
            ("src/broken.rs", "fn a() { let v = w.is_empty( }\n"),
        ],
    );
    let out = repo.path().join("lib");
    let r = run(&[
        "mine",
        repo.path_str(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let reasons: Vec<String> = json["report"]["repos"][0]["skip_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} x{}", r[0].as_str().unwrap(), r[1]))
        .collect();
    expect![[r#"["binary file x1", "file is N bytes, over the N-byte limit x1", "not valid utf-8 x1", "syntax error in the after version x1"]"#]]
        .assert_eq(&format!("{reasons:?}"));
    // The library learned from the good commits is unchanged by the bad ones.
    assert!(summarise_library(&repo, &out).starts_with("$A.len() == 0 => $A.is_empty()"));
}

#[test]
fn shallow_clone_is_reported_and_mined_as_far_as_it_goes() {
    let repo = history();
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("shallow");
    let status = std::process::Command::new("git")
        .args([
            "clone",
            "-q",
            "--depth",
            "4",
            &format!("file://{}", repo.path_str()),
            clone.to_str().unwrap(),
        ])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let r = run(&["mine", clone.to_str().unwrap(), "--min-support", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("is a shallow clone"), "{}", r.stderr);
    assert!(r.stdout.contains("4 commits in range"), "{}", r.stdout);
}
