//! End-to-end test of `suture eval` on a history built so that the expected counts are known.

mod support;

use support::{Repo, run};

#[test]
fn counts_reproduced_fixes_after_the_split() {
    let repo = Repo::new();
    let path = "src/lib.rs";
    // Six functions with `.len() == 0`, one subtraction, and one constant.
    let mut text = String::from("pub struct Q { items: Vec<u8> }\n\n");
    for name in ["a", "b", "c", "d", "e", "f"] {
        text.push_str(&format!(
            "pub fn {name}(v: &[u8]) -> bool {{\n    v.len() == 0\n}}\n\n"
        ));
    }
    text.push_str(
        "pub fn g(x: u32, y: u32) -> u32 {\n    x - y\n}\n\npub fn limit() -> u32 {\n    10\n}\n",
    );
    repo.commit("initial", &[(path, &text)]);
    let mut fix = |message: &str, from: &str, to: &str| {
        text = text.replacen(from, to, 1);
        repo.commit(message, &[(path, &text)]);
    };
    // Training: three `is_empty` fixes.
    for name in ["a", "b", "c"] {
        fix(
            &format!("fix {name}"),
            &format!("fn {name}(v: &[u8]) -> bool {{\n    v.len() == 0"),
            &format!("fn {name}(v: &[u8]) -> bool {{\n    v.is_empty()"),
        );
    }
    let split = repo.summary_to_id("fix c");
    // Test: two more `is_empty` fixes (reproducible), a subtraction fix and a semantic change (not).
    fix(
        "fix d",
        "fn d(v: &[u8]) -> bool {\n    v.len() == 0",
        "fn d(v: &[u8]) -> bool {\n    v.is_empty()",
    );
    fix("saturate g", "    x - y\n", "    x.saturating_sub(y)\n");
    fix("raise the limit", "    10\n", "    20\n");
    fix(
        "fix e",
        "fn e(v: &[u8]) -> bool {\n    v.len() == 0",
        "fn e(v: &[u8]) -> bool {\n    v.is_empty()",
    );
    let db = repo.path().join("eval.db");
    let r = run(&[
        "eval",
        repo.path_str(),
        "--split",
        &split,
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let report = &json["report"];
    assert_eq!(report["test_commits"], 4);
    assert_eq!(report["patterns"], 1, "{report}");
    let all = &report["all"];
    assert_eq!(
        (
            all["hunks"].as_u64(),
            all["top1"].as_u64(),
            all["top5"].as_u64()
        ),
        (Some(4), Some(2), Some(2))
    );
    assert_eq!(all["no_candidate"], 2);
    let recurring = &report["recurring"];
    assert_eq!(
        (recurring["hunks"].as_u64(), recurring["top1"].as_u64()),
        (Some(2), Some(2))
    );
    // The misses are the two fixes no pattern predicts.
    let misses: Vec<&str> = report["misses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["human"].as_str().unwrap())
        .collect();
    assert_eq!(misses, ["    x.saturating_sub(y)", "    20"]);
    // Calibration: both top-1 candidates had the same confidence and were right.
    let buckets: Vec<_> = report["calibration"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["n"].as_u64() > Some(0))
        .collect();
    assert_eq!(buckets.len(), 1);
    assert_eq!(buckets[0]["accuracy"], 1.0);

    let text_out = run(&[
        "eval",
        repo.path_str(),
        "--split",
        &split,
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(
        text_out
            .stdout
            .contains("recurring       2     2 (100.0%)     2 (100.0%)"),
        "{}",
        text_out.stdout
    );
}
