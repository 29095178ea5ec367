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
    for name in ["g", "h", "k"] {
        text.push_str(&format!(
            "pub fn {name}(x: u32, y: u32) -> u32 {{\n    x - y\n}}\n\n"
        ));
    }
    text.push_str("pub fn limit() -> u32 {\n    10\n}\n");
    repo.commit("initial", &[(path, &text)]);
    // One commit saturating two subtractions: two training edits, but one fixing commit, so a later
    // saturation does not recur (recurring needs edits from two commits, as a learned pattern does).
    text = text
        .replace(
            "(x: u32, y: u32) -> u32 {\n    x - y",
            "(x: u32, y: u32) -> u32 {\n    x.saturating_sub(y)",
        )
        .replacen(
            "fn g(x: u32, y: u32) -> u32 {\n    x.saturating_sub(y)",
            "fn g(x: u32, y: u32) -> u32 {\n    x - y",
            1,
        );
    repo.commit("saturate h and k", &[(path, &text)]);
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
    assert_eq!(
        report["repo"],
        repo.path().file_name().unwrap().to_str().unwrap()
    );
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
    // Each top-1 candidate is a calibration sample: its raw score and whether it was right.
    let samples = report["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 2, "{report}");
    assert!(
        samples
            .iter()
            .all(|s| s["correct"] == true && s["score"].as_f64() > Some(0.0))
    );
    // Every evaluated hunk is a timed case.
    let cases = &report["case_seconds"];
    assert_eq!(cases["cases"], 4, "{report}");
    let (median, max) = (
        cases["median"].as_f64().unwrap(),
        cases["max"].as_f64().unwrap(),
    );
    assert!(0.0 <= median && median <= max, "{report}");

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

/// `suture eval --format json` output holding only what `suture calibrate` reads.
fn eval_json(repo: &str, samples: &[(f64, bool)]) -> String {
    let samples: Vec<serde_json::Value> = samples
        .iter()
        .map(|(score, correct)| serde_json::json!({ "score": score, "correct": correct }))
        .collect();
    serde_json::json!({ "version": 1, "report": { "repo": repo, "split": "0123456789abcdef", "samples": samples } })
        .to_string()
}

#[test]
fn calibrate_fits_on_training_runs_checks_on_another_and_writes_a_map_fix_can_use() {
    let dir = tempfile::tempdir().unwrap();
    // Raw scores far too confident: a candidate scoring s is right about s / 4 of the time.
    let overconfident = |n: usize| -> Vec<(f64, bool)> {
        (0..n)
            .flat_map(|i| {
                let score = (i % 10 + 1) as f64 / 10.0;
                (0..40).map(move |k| (score, (k as f64) < score * 10.0))
            })
            .collect()
    };
    let train = dir.path().join("trained-on.json");
    let check = dir.path().join("held-out.json");
    std::fs::write(&train, eval_json("trained-on", &overconfident(20))).unwrap();
    std::fs::write(&check, eval_json("held-out", &overconfident(10))).unwrap();
    let out = dir.path().join("calibration.toml");
    let r = run(&[
        "calibrate",
        "--train",
        train.to_str().unwrap(),
        "--check",
        check.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // One line per run: raw ECE, then fitted ECE, and the fit must be far better on the held-out run.
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("check") && l.contains("held-out"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    let numbers: Vec<f64> = row
        .split_whitespace()
        .rev()
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    let (fitted, raw) = (numbers[0], numbers[1]);
    assert!(raw > 0.2 && fitted < 0.1, "{row}");
    let map: toml::Value = toml::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(map["a"].as_float().unwrap() > 0.0);
    assert!(
        map["fitted_on"].as_array().unwrap()[0]
            .as_str()
            .unwrap()
            .contains("trained-on")
    );

    // Bad input: a file that is not eval output, and a map that would reorder candidates.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "not json").unwrap();
    let r = run(&["calibrate", "--train", junk.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("junk.json"), "{}", r.stderr);
    let inverted = dir.path().join("inverted.toml");
    std::fs::write(&inverted, "a = -1.0\nb = 0.0\n").unwrap();
    let r = run(&[
        "fix",
        dir.path().to_str().unwrap(),
        "--calibration",
        inverted.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("inverted.toml") && r.stderr.contains("a > 0"),
        "{}",
        r.stderr
    );
}

#[test]
fn commit_split_learns_from_half_of_a_commits_sites_and_fixes_the_rest() {
    let repo = Repo::new();
    // Six sites of one change in three files, and an unrelated expression that must be left alone.
    let file = |names: [&str; 2]| {
        names
            .iter()
            .map(|n| format!("pub fn {n}(v: &[u8]) -> usize {{\n    v.iter().count()\n}}\n\n"))
            .collect::<String>()
            + "pub fn other(v: &[u8]) -> usize {\n    v.iter().filter(|b| **b > 0).count()\n}\n"
    };
    let files = [
        ("src/a.rs", file(["a1", "a2"])),
        ("src/b.rs", file(["b1", "b2"])),
        ("src/c.rs", file(["c1", "c2"])),
    ];
    let initial: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    repo.commit("initial", &initial);
    let fixed: Vec<(&str, String)> = files
        .iter()
        .map(|(p, t)| (*p, t.replace("v.iter().count()", "v.len()")))
        .collect();
    let fixed: Vec<(&str, &str)> = fixed.iter().map(|(p, t)| (*p, t.as_str())).collect();
    repo.commit("count by len", &fixed);
    let db = repo.path().join("split.db");
    let r = run(&[
        "eval",
        repo.path_str(),
        "--commit-split",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Three training sites in three files teach the pattern; the three held-out ones are fixed, and the
    // filtered count is not touched.
    assert!(
        r.stdout.contains(
            "1 changes at >= 4 sites in 1 commits: learned 1 patterns from the history minus 3 \
             held-out sites (3 training sites of those changes); fixed 3 of 3 (100.0%), 0 false edits"
        ),
        "{}",
        r.stdout
    );
}
