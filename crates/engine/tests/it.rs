//! The engine's rules, one fixture each, through one `check`.
//!
//! A fixture is Rust source with directives on `//-` lines (removed before the engine sees the text, so line
//! numbers count the source lines only):
//!
//! - `//- pattern ID ORIGIN SCORE: BEFORE => AFTER` — a pattern (`mined` or `hand-written`);
//!   `//- remedy ID KIND: BEFORE => AFTER` — a hand-written remedy for panic KIND;
//! - `//- at LINE` — a reported location; `//- panic KIND` — a reported panic kind;
//! - `//- min P` — the probability threshold; `//- outcomes ID MERGED CLOSED` — a PR record;
//! - `//- calibrated A B` — a calibration map for mined patterns.
//!
//! The rendering lists each fix (rank, line, pattern, probability and its basis, where it is, before → after),
//! each skipped candidate with its reason, the count under the threshold, and the patched text.

use engine::{
    ConfidenceModel, Evidence, FixConfig, Location, Outcomes, Probability, Proximity, Validation,
    fix_text, rank,
};
use expect_test::{Expect, expect};
use pattern::{LibraryPattern, Origin, SerializablePattern};

fn pattern(
    id: &str,
    origin: Origin,
    score: f64,
    rule: &str,
    panics: Vec<String>,
) -> LibraryPattern {
    let (before, after) = rule.split_once(" => ").expect("BEFORE => AFTER");
    LibraryPattern::try_from(SerializablePattern {
        id: id.to_owned(),
        origin,
        description: None,
        before: before.trim().to_owned(),
        after: after.trim().to_owned(),
        before_kind: None,
        after_kind: None,
        support: 0,
        score,
        prevalence: 0.0,
        specialisation: 0.0,
        parent: None,
        panics,
        guards: Default::default(),
        accessors: Default::default(),
        within: None,
        provenance: Vec::new(),
        measured: None,
        held_out: None,
        examples: Vec::new(),
        effect: None,
        returns: None,
        panics_when: None,
        migration: None,
    })
    .expect("a valid pattern")
}

#[track_caller]
fn check(fixture: &str, expected: Expect) {
    let mut patterns = Vec::new();
    let mut config = FixConfig::default();
    let mut source = String::new();
    for line in fixture.lines() {
        let Some(directive) = line.strip_prefix("//- ") else {
            source.push_str(line);
            source.push('\n');
            continue;
        };
        let (head, rule) = directive.split_once(": ").unwrap_or((directive, ""));
        let words: Vec<&str> = head.split_whitespace().collect();
        match words.as_slice() {
            ["pattern", id, origin, score] => {
                let origin = match *origin {
                    "mined" => Origin::Mined,
                    _ => Origin::HandWritten,
                };
                patterns.push(pattern(
                    id,
                    origin,
                    score.parse().unwrap(),
                    rule,
                    Vec::new(),
                ));
            }
            ["remedy", id, kind] => patterns.push(pattern(
                id,
                Origin::HandWritten,
                0.5,
                rule,
                vec![kind.to_string()],
            )),
            ["at", line] => config.locations.push(Location {
                file: "lib.rs".to_owned(),
                line: line.parse().unwrap(),
                source: "--at".to_owned(),
                step: None,
            }),
            ["panic", kind] => config.panic_kinds.push(kind.to_string()),
            ["min", p] => config.min_confidence = Probability::new(p.parse().unwrap()),
            ["outcomes", id, merged, closed] => {
                config.outcomes.insert(
                    id.to_string(),
                    Outcomes {
                        merged: merged.parse().unwrap(),
                        closed: closed.parse().unwrap(),
                    },
                );
            }
            ["calibrated", a, b] => {
                config.model.calibration = Some(mine::calibrate::Calibration {
                    a: a.parse().unwrap(),
                    b: b.parse().unwrap(),
                    fitted_on: Vec::new(),
                })
            }
            _ => panic!("unknown directive `{line}`"),
        }
    }
    let refs: Vec<&LibraryPattern> = patterns.iter().collect();
    let outcome = fix_text("lib.rs", &source, &refs, &config);
    let mut files = vec![outcome.fixes];
    let mut skipped = outcome.skipped;
    rank(&mut files, &mut skipped);
    let file = &files[0];
    let mut out = String::new();
    for f in &file.fixes {
        out.push_str(&format!(
            "fix #{} line {} [{}] {} ({}) {:?} round {}: `{}` → `{}`\n",
            f.rank,
            f.start.line,
            f.pattern,
            f.confidence,
            f.basis,
            f.proximity,
            f.round,
            f.before,
            f.after
        ));
    }
    for s in &skipped {
        out.push_str(&format!(
            "skip line {} [{}] {}: {}\n",
            s.line,
            s.pattern,
            s.reason.code(),
            s.reason
        ));
    }
    if outcome.below_threshold > 0 {
        out.push_str(&format!("below threshold: {}\n", outcome.below_threshold));
    }
    if file.patched != source {
        out.push_str("---\n");
        out.push_str(&file.patched);
    }
    expected.assert_eq(&out);
}

#[test]
fn a_match_is_instantiated_and_spliced_into_the_original_text() {
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
fn f(v: &[u8]) -> bool {
    // the length check
    v.len()  ==  0 // trailing
}
"#,
        expect![[r#"
            fix #1 line 4 [m-len] 0.80 (uncalibrated raw score) Anywhere round 1: `v.len()  ==  0` → `v.is_empty()`
            ---

            fn f(v: &[u8]) -> bool {
                // the length check
                v.is_empty() // trailing
            }
        "#]],
    );
}

#[test]
fn overlapping_candidates_best_first_and_nested_ones_found_again() {
    check(
        r#"
//- pattern m-sub mined 0.6: $A - $B => $A.saturating_sub($B)
fn f(total: u32, used: u32) -> u32 {
    (total - used) - 1
}
"#,
        expect![[r#"
            fix #1 line 3 [m-sub] 0.60 (uncalibrated raw score) Anywhere round 1: `(total - used) - 1` → `(total - used).saturating_sub(1)`
            fix #2 line 3 [m-sub] 0.60 (uncalibrated raw score) Anywhere round 2: `total - used` → `total.saturating_sub(used)`
            skip line 3 [m-sub] overlaps: overlaps the higher-ranked fix by m-sub at line 3 (a tie on confidence, broken by specificity, then id); looked for again once that fix is applied
            ---

            fn f(total: u32, used: u32) -> u32 {
                (total.saturating_sub(used)).saturating_sub(1)
            }
        "#]],
    );
}

#[test]
fn the_more_likely_pattern_wins_an_overlap() {
    check(
        r#"
//- pattern m-general mined 0.3: $A == 0 => $A < 1
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
fn f(v: &[u8]) -> bool {
    v.len() == 0
}
"#,
        expect![[r#"
            fix #1 line 3 [m-len] 0.80 (uncalibrated raw score) Anywhere round 1: `v.len() == 0` → `v.is_empty()`
            skip line 3 [m-general] overlaps: overlaps the higher-ranked fix by m-len at line 3; looked for again once that fix is applied
            ---

            fn f(v: &[u8]) -> bool {
                v.is_empty()
            }
        "#]],
    );
}

#[test]
fn a_tie_on_probability_goes_to_the_more_specific_pattern() {
    check(
        r#"
//- pattern m-a general 0.5: $A == $B => $B == $A
//- pattern m-b mined 0.5: $A.len() == 0 => $A.is_empty()
fn f(v: &[u8]) -> bool {
    v.len() == 0
}
"#,
        expect![[r#"
            fix #1 line 3 [m-b] 0.50 (uncalibrated raw score) Anywhere round 1: `v.len() == 0` → `v.is_empty()`
            skip line 3 [m-a] overlaps: overlaps the higher-ranked fix by m-b at line 3 (a tie on confidence, broken by specificity, then id); looked for again once that fix is applied
            ---

            fn f(v: &[u8]) -> bool {
                v.is_empty()
            }
        "#]],
    );
}

#[test]
fn suppression_comments_syntax_errors_and_comments_inside_refuse_a_candidate() {
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
fn a(v: &[u8]) -> bool {
    // suture-ignore: m-len
    v.len() == 0
}
fn b(v: &[u8]) -> bool {
    v.len() == 0 // suture-ignore
}
fn c(v: &[u8]) -> bool {
    let n = ;
    v.len() == 0
}
fn d(v: &[u8]) -> bool {
    v.len(/* why */) == 0
}
fn e(v: &[u8]) -> bool {
    // suture-ignore: m-other
    v.len() == 0
}
"#,
        expect![[r#"
            fix #1 line 18 [m-len] 0.80 (uncalibrated raw score) Anywhere round 1: `v.len() == 0` → `v.is_empty()`
            skip line 4 [m-len] suppressed: suppressed by a `// suture-ignore` comment
            skip line 7 [m-len] suppressed: suppressed by a `// suture-ignore` comment
            skip line 11 [m-len] syntax-error-around: the code around it has a syntax error
            skip line 14 [m-len] drops-comment: the fix would drop a comment inside the matched code
            ---

            fn a(v: &[u8]) -> bool {
                // suture-ignore: m-len
                v.len() == 0
            }
            fn b(v: &[u8]) -> bool {
                v.len() == 0 // suture-ignore
            }
            fn c(v: &[u8]) -> bool {
                let n = ;
                v.len() == 0
            }
            fn d(v: &[u8]) -> bool {
                v.len(/* why */) == 0
            }
            fn e(v: &[u8]) -> bool {
                // suture-ignore: m-other
                v.is_empty()
            }
        "#]],
    );
}

#[test]
fn a_syntax_error_that_recovery_lifts_out_of_its_function_does_not_protect_it() {
    // FIXME: tree-sitter recovers `&& let }` by closing the function early, so the error lies outside
    // `fn c` and the fix inside it is proposed. The strict re-parse lets it through because the file had
    // syntax errors before and has no more after. It should be skipped like `let n = ;` above.
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
fn c(v: &[u8]) -> bool {
    v.len() == 0 && let
}
"#,
        expect![[r#"
            fix #1 line 3 [m-len] 0.80 (uncalibrated raw score) Anywhere round 1: `v.len() == 0` → `v.is_empty()`
            ---

            fn c(v: &[u8]) -> bool {
                v.is_empty() && let
            }
        "#]],
    );
}

#[test]
fn a_fix_that_would_not_parse_strictly_is_refused() {
    // `x as u32 < y` is read by Rust as the start of generic arguments: tree-sitter accepts the template,
    // the strict re-parse (syn) does not accept the patched function.
    check(
        r#"
//- pattern m-cast mined 0.8: $A == $B => $A as u32 < $B
fn f(x: u8, y: u32) -> bool {
    x == y
}
"#,
        expect![[r#"
            skip line 3 [m-cast] does-not-parse: the patched file does not parse: line 4, column 1: expected `,`
        "#]],
    );
}

#[test]
fn candidates_under_the_threshold_are_counted_not_listed() {
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
//- pattern m-weak mined 0.05: $A + 0 => $A
//- min 0.07
fn f(v: &[u8], n: u32) -> u32 {
    if v.len() == 0 { n + 0 } else { n }
}
"#,
        expect![[r#"
            fix #1 line 3 [m-len] 0.80 (uncalibrated raw score) Anywhere round 1: `v.len() == 0` → `v.is_empty()`
            below threshold: 1
            ---

            fn f(v: &[u8], n: u32) -> u32 {
                if v.is_empty() { n + 0 } else { n }
            }
        "#]],
    );
}

#[test]
fn panic_remedies_take_part_only_when_their_panic_is_reported() {
    let fixture = r#"
//- remedy h-sub overflow-sub: $A - $B => $A.saturating_sub($B)
fn f(a: u32, b: u32) -> u32 {
    a - b
}
"#;
    check(fixture, expect![""]);
    check(
        &format!("//- panic overflow-sub\n//- at 3\n{fixture}"),
        expect![[r#"
            fix #1 line 3 [h-sub] 0.50 (unmeasured) OnLine round 1: `a - b` → `a.saturating_sub(b)`
            ---

            fn f(a: u32, b: u32) -> u32 {
                a.saturating_sub(b)
            }
        "#]],
    );
}

#[test]
fn where_the_match_is_weighs_on_its_probability() {
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
//- at 3
fn f(v: &[u8], w: &[u8]) -> bool {
    v.len() == 0
        || w.len() == 0
}
fn g(v: &[u8]) -> bool {
    v.len() == 0
}
"#,
        expect![[r#"
            fix #1 line 3 [m-len] 0.80 (uncalibrated raw score) OnLine round 1: `v.len() == 0` → `v.is_empty()`
            fix #2 line 4 [m-len] 0.74 (uncalibrated raw score) SameFunction round 1: `w.len() == 0` → `w.is_empty()`
            fix #3 line 7 [m-len] 0.55 (uncalibrated raw score) Elsewhere round 1: `v.len() == 0` → `v.is_empty()`
            ---

            fn f(v: &[u8], w: &[u8]) -> bool {
                v.is_empty()
                    || w.is_empty()
            }
            fn g(v: &[u8]) -> bool {
                v.is_empty()
            }
        "#]],
    );
}

#[test]
fn a_patterns_pr_record_moves_its_probability() {
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
//- pattern m-sub mined 0.8: $A - 1 => $A.saturating_sub(1)
//- outcomes m-len 0 2
//- outcomes m-sub 6 0
fn f(v: &[u8], n: u32) -> u32 {
    if v.len() == 0 { n - 1 } else { n }
}
"#,
        expect![[r#"
            fix #2 line 3 [m-len] 0.40 (uncalibrated raw score) Anywhere round 1: `v.len() == 0` → `v.is_empty()`
            fix #1 line 3 [m-sub] 0.95 (uncalibrated raw score) Anywhere round 1: `n - 1` → `n.saturating_sub(1)`
            ---

            fn f(v: &[u8], n: u32) -> u32 {
                if v.is_empty() { n.saturating_sub(1) } else { n }
            }
        "#]],
    );
}

#[test]
fn mined_patterns_go_through_the_calibration_map() {
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
//- calibrated 0.27 -2.1
fn f(v: &[u8]) -> bool {
    v.len() == 0
}
"#,
        expect![[r#"
            fix #1 line 3 [m-len] 0.10 (calibrated) Anywhere round 1: `v.len() == 0` → `v.is_empty()`
            ---

            fn f(v: &[u8]) -> bool {
                v.is_empty()
            }
        "#]],
    );
}

fn assess(
    p: &LibraryPattern,
    proximity: Proximity,
    validation: Validation,
    outcomes: Outcomes,
) -> f64 {
    ConfidenceModel::default()
        .assess(&Evidence {
            pattern: p,
            proximity,
            validation,
            outcomes,
            step: None,
        })
        .probability
        .get()
}

#[test]
fn the_model_takes_validation_as_a_likelihood_ratio() {
    let remedy = pattern(
        "h",
        Origin::HandWritten,
        0.6,
        "$A - $B => $A.saturating_sub($B)",
        vec!["overflow-sub".into()],
    );
    let none = Outcomes::default();
    // Unmeasured: the uniform prior's ½, whatever score the file states.
    assert_eq!(
        assess(&remedy, Proximity::OnLine, Validation::NotRun, none),
        0.5
    );
    // odds 1 × 2.8 and × 2.9 (corpus/confidence.toml).
    assert_eq!(
        assess(&remedy, Proximity::OnLine, Validation::Compiled, none),
        0.7368
    );
    assert_eq!(
        assess(&remedy, Proximity::OnLine, Validation::Tested, none),
        0.7436
    );
    assert_eq!(
        assess(&remedy, Proximity::OnLine, Validation::Failed, none),
        0.0
    );
    // A failed fix stays at 0 whatever its record.
    let merged = Outcomes {
        merged: 10,
        closed: 0,
    };
    assert_eq!(
        assess(&remedy, Proximity::OnLine, Validation::Failed, merged),
        0.0
    );
    // Location: odds × 0.7 in the same function.
    assert_eq!(
        assess(&remedy, Proximity::SameFunction, Validation::NotRun, none),
        0.4118
    );
}

#[test]
fn a_measured_record_replaces_the_uniform_prior() {
    let mut remedy = pattern(
        "h",
        Origin::HandWritten,
        0.6,
        "$A - $B => $A.saturating_sub($B)",
        Vec::new(),
    );
    remedy.measured = Some(pattern::Measured {
        right: 8,
        proposed: 10,
        on: Vec::new(),
        by: None,
    });
    let none = Outcomes::default();
    // (8 + 1) / (10 + 2)
    assert_eq!(
        assess(&remedy, Proximity::OnLine, Validation::NotRun, none),
        0.75
    );
    let model = ConfidenceModel::default();
    assert_eq!(
        model.base_rate(&remedy).1.to_string(),
        "measured: 8 of 10 right"
    );
}

#[test]
fn probabilities_are_monotone_in_the_raw_score_for_mined_patterns() {
    let model = ConfidenceModel::with_calibration(Some(mine::calibrate::Calibration {
        a: 0.27,
        b: -2.1,
        fitted_on: Vec::new(),
    }));
    let mut last = 0.0;
    for score in [0.001, 0.01, 0.1, 0.3, 0.6, 0.9, 1.0] {
        let p = pattern("m", Origin::Mined, score, "$A - 1 => $A", Vec::new());
        let got = model
            .assess(&Evidence {
                pattern: &p,
                proximity: Proximity::OnLine,
                validation: Validation::NotRun,
                outcomes: Outcomes::default(),
                step: None,
            })
            .probability
            .get();
        assert!(got > last, "{score}: {got} ≤ {last}");
        last = got;
    }
}

/// The pure core stays pure: no core crate depends, even transitively, on IO, async, process or network
/// crates, and no core source file names the standard library's IO modules. Reads `cargo metadata` (offline).
#[test]
fn the_pure_core_has_no_io_async_or_network_dependency() {
    const CORE: &[&str] = &[
        "syntax", "treediff", "pattern", "mine", "trace", "policy", "patch", "engine", "watch",
    ];
    const FORBIDDEN: &[&str] = &[
        "tokio",
        "mio",
        "hyper",
        "reqwest",
        "octocrab",
        "axum",
        "socket2",
        "git2",
        "libgit2-sys",
        "rusqlite",
        "libsqlite3-sys",
        "postgres",
        "tokio-postgres",
        "rayon",
        "ignore",
        "libc",
        "wiremock",
        "tempfile",
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let name_of = |id: &str| -> String {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap();
    // Normal (non-dev, non-build) dependencies only: what the crate's library links.
    let normal_deps = |id: &str| -> Vec<String> {
        node(id)["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["pkg"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut checked = 0;
    for package in meta["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        if !CORE.contains(&name) || package["source"].is_string() {
            continue;
        }
        checked += 1;
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![(
            package["id"].as_str().unwrap().to_owned(),
            vec![name.to_owned()],
        )];
        while let Some((id, chain)) = stack.pop() {
            for dep in normal_deps(&id) {
                let dep_name = name_of(&dep);
                let mut path = chain.clone();
                path.push(dep_name.clone());
                assert!(
                    !FORBIDDEN.contains(&dep_name.as_str()),
                    "core crate `{name}` depends on `{dep_name}`: {}",
                    path.join(" → ")
                );
                if seen.insert(dep.clone()) {
                    stack.push((dep, path));
                }
            }
        }
        let src = std::path::Path::new(package["manifest_path"].as_str().unwrap())
            .parent()
            .unwrap()
            .join("src");
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for io in [
                        "std::fs",
                        "std::net",
                        "std::process",
                        "std::thread::spawn",
                        "std::env::var",
                    ] {
                        assert!(
                            !text.contains(io),
                            "core file {} uses `{io}`",
                            path.display()
                        );
                    }
                }
            }
        }
    }
    assert_eq!(checked, CORE.len(), "every core crate was found");
}

#[test]
fn a_fix_that_would_make_a_function_call_itself_is_refused() {
    check(
        r#"
//- pattern m-len mined 0.8: $A.len() == 0 => $A.is_empty()
impl Stack {
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn none(&self) -> bool {
        self.len() == 0
    }
}
"#,
        expect![[r#"
            fix #1 line 7 [m-len] 0.80 (uncalibrated raw score) Anywhere round 1: `self.len() == 0` → `self.is_empty()`
            skip line 4 [m-len] self-recursion: the fix would make `is_empty` call itself
            ---

            impl Stack {
                fn is_empty(&self) -> bool {
                    self.len() == 0
                }
                fn none(&self) -> bool {
                    self.is_empty()
                }
            }
        "#]],
    );
}

mod checking {
    use std::collections::BTreeMap;

    use engine::check::{Diagnostic, Edit, Verdict, new_diagnostics, settle};

    fn diag(file: &str, line: u32, code: &str, message: &str) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            line,
            end_line: line,
            level: "error".to_owned(),
            code: Some(code.to_owned()),
            message: message.to_owned(),
        }
    }

    #[test]
    fn new_diagnostics_are_counted_without_lines() {
        let before = [diag("a.rs", 3, "unused_variables", "unused variable: `x`")];
        let after = [
            diag("a.rs", 9, "unused_variables", "unused variable: `x`"),
            diag("a.rs", 12, "unused_variables", "unused variable: `x`"),
            diag("b.rs", 1, "E0308", "mismatched types"),
        ];
        let new = new_diagnostics(&before, &after);
        assert_eq!(new, vec![after[1].clone(), after[2].clone()]);
    }

    /// `n` one-line files, one edit each (`ok` → `OK`); the check reports an error for each edit in `bad`,
    /// on the edit's own line when `by_place`, else in a caller's file that no edit touches.
    fn run(n: usize, bad: &[usize], by_place: bool) -> (Vec<usize>, Vec<usize>, usize) {
        let originals: BTreeMap<String, String> = (0..n)
            .map(|i| (format!("f{i}.rs"), "ok\n".to_owned()))
            .collect();
        let edits: Vec<Edit> = (0..n)
            .map(|i| Edit {
                file: format!("f{i}.rs"),
                range: 0..2,
                replacement: "OK".to_owned(),
            })
            .collect();
        let settled = settle(&originals, &edits, |files| {
            let new: Vec<Diagnostic> = bad
                .iter()
                .filter(|&&b| files.contains_key(&format!("f{b}.rs")))
                .map(|&b| {
                    let file = if by_place {
                        format!("f{b}.rs")
                    } else {
                        "main.rs".to_owned()
                    };
                    diag(&file, 1, "E0308", &format!("mismatched types in f{b}"))
                })
                .collect();
            if new.is_empty() {
                Verdict::Clean
            } else {
                Verdict::Broken(new)
            }
        });
        let backed: Vec<usize> = settled.backed_out.iter().map(|(i, _)| *i).collect();
        (settled.kept, backed, settled.runs)
    }

    #[test]
    fn diagnostics_on_a_fixs_lines_back_it_out_in_one_more_run() {
        let (kept, backed, runs) = run(10, &[2], true);
        assert_eq!(kept, vec![0, 1, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(backed, vec![2]);
        assert_eq!(runs, 2);
        // Accused in two files: each is tried once more on its own (and is broken alone too).
        let (kept, backed, runs) = run(10, &[2, 7], true);
        assert_eq!(kept, vec![0, 1, 3, 4, 5, 6, 8, 9]);
        assert_eq!(backed, vec![2, 7]);
        assert_eq!(runs, 4);
    }

    #[test]
    fn a_fix_that_breaks_the_lines_of_others_is_the_one_backed_out() {
        // Edit 0 renames a definition in `def.rs`; edits 1 and 2 rename its calls in two other files. With edit 0
        // applied, the compiler complains on the lines of all three; without it, the calls check clean.
        let originals: BTreeMap<String, String> = ["def.rs", "a.rs", "b.rs"]
            .iter()
            .map(|f| (f.to_string(), "ok\n".to_owned()))
            .collect();
        let edits: Vec<Edit> = ["def.rs", "a.rs", "b.rs"]
            .iter()
            .map(|f| Edit {
                file: f.to_string(),
                range: 0..2,
                replacement: "OK".to_owned(),
            })
            .collect();
        let settled = settle(&originals, &edits, |files| {
            if files.contains_key("def.rs") {
                Verdict::Broken(
                    files
                        .keys()
                        .map(|f| diag(f, 1, "E0425", "cannot find function `parse`"))
                        .collect(),
                )
            } else {
                Verdict::Clean
            }
        });
        assert_eq!(settled.kept, vec![1, 2]);
        let backed: Vec<usize> = settled.backed_out.iter().map(|(i, _)| *i).collect();
        assert_eq!(backed, vec![0]);
        // The first run (all three accused), then one per accused file.
        assert_eq!(settled.runs, 4);
    }

    #[test]
    fn diagnostics_no_place_explains_are_bisected() {
        let (kept, backed, runs) = run(10, &[2, 7], false);
        assert_eq!(kept, vec![0, 1, 3, 4, 5, 6, 8, 9]);
        assert_eq!(backed, vec![2, 7]);
        // Each culprit costs about two runs per halving (2 · 2 · log2 10 ≈ 14 at most), plus the first run and
        // the final one.
        assert_eq!(runs, 10);
        // Among 64 edits, two culprits still cost a few dozen runs at most, not 64.
        let (kept, backed, runs) = run(64, &[5, 50], false);
        assert_eq!(backed, vec![5, 50]);
        assert_eq!(kept.len(), 62);
        assert!(runs <= 2 * 2 * 6 + 2, "{runs} runs");
        let (_, backed, runs) = run(10, &[], false);
        assert!(backed.is_empty());
        assert_eq!(runs, 1);
    }
}

#[test]
fn an_accessor_guard_admits_only_the_methods_its_examples_called() {
    let file: SerializablePattern = toml::from_str(
        r#"
id = "m-then"
origin = "mined"
before = "$A.then(|| $B)"
after = "$A.then_some($B)"
score = 0.9
[guards]
B = "accessor"
[accessors]
B = ["len"]
"#,
    )
    .unwrap();
    let p = LibraryPattern::try_from(file).unwrap();
    let text = "fn f(ready: bool, v: &[u8], s: &mut S) {\n    let a = ready.then(|| v.len());\n    let b = ready.then(|| s.fresh_sha());\n    let c = ready.then(|| x);\n    let d = ready.then(|| compute(v));\n}\n";
    let outcome = fix_text("lib.rs", text, &[&p], &FixConfig::default());
    let fixed: Vec<&str> = outcome
        .fixes
        .fixes
        .iter()
        .map(|f| f.after.as_str())
        .collect();
    assert_eq!(
        fixed,
        vec!["ready.then_some(v.len())", "ready.then_some(x)"]
    );
}

#[test]
fn a_record_measured_by_the_compiler_is_not_credited_twice_for_compiling() {
    let mut mined = pattern(
        "m",
        Origin::Mined,
        0.6,
        "$A.then(|| $B) => $A.then_some($B)",
        Vec::new(),
    );
    mined.measured = Some(pattern::Measured {
        right: 38,
        proposed: 40,
        on: Vec::new(),
        by: Some(pattern::MeasuredBy::Check),
    });
    let none = Outcomes::default();
    // (38 + 1) / (40 + 2): compiling is what the record counted, so a compiled fix stays at the record's rate.
    let base = assess(&mined, Proximity::OnLine, Validation::NotRun, none);
    assert_eq!(base, 0.9286);
    assert_eq!(
        assess(&mined, Proximity::OnLine, Validation::Compiled, none),
        base
    );
    // Tests add what the record did not look at: tested / compiled on the odds.
    let tested = assess(&mined, Proximity::OnLine, Validation::Tested, none);
    assert!(tested > base && tested < 0.95, "{tested}");
    assert_eq!(
        assess(&mined, Proximity::OnLine, Validation::Failed, none),
        0.0
    );
}

#[test]
fn the_commits_of_a_migration_count_as_accepted_fixes() {
    let plain = pattern(
        "m",
        Origin::Mined,
        0.2,
        "legacy_parse($A) => parse($A)",
        Vec::new(),
    );
    let mut migrating = plain.clone();
    migrating.migration = Some(pattern::Migration {
        status: pattern::MigrationStatus::InProgress,
        migrated: 3,
        remaining: 2,
        commits: 3,
        authors: vec!["a".to_owned()],
        first: 0,
        last: 0,
        started_by: Vec::new(),
        deprecated: Vec::new(),
    });
    let none = Outcomes::default();
    let p = assess(&plain, Proximity::Anywhere, Validation::Compiled, none);
    let m = assess(&migrating, Proximity::Anywhere, Validation::Compiled, none);
    // Three merged outcomes on top of the model's estimate, worth two: (2p + 3) / 5.
    assert_eq!(m, ((2.0 * p + 3.0) / 5.0 * 1e4).round() / 1e4);
    // Exactly as three merged pull requests of the plain pattern would.
    let merged = Outcomes {
        merged: 3,
        closed: 0,
    };
    assert_eq!(
        m,
        assess(&plain, Proximity::Anywhere, Validation::Compiled, merged)
    );
    // A failed check still shows nothing.
    assert_eq!(
        assess(&migrating, Proximity::Anywhere, Validation::Failed, none),
        0.0
    );
}

#[test]
fn a_migration_leaves_functions_that_use_the_old_form_on_purpose() {
    let mut p = pattern(
        "m",
        Origin::Mined,
        0.2,
        "legacy_parse($A) => parse($A)",
        Vec::new(),
    );
    p.migration = Some(pattern::Migration {
        status: pattern::MigrationStatus::InProgress,
        migrated: 3,
        remaining: 3,
        commits: 3,
        authors: Vec::new(),
        first: 0,
        last: 0,
        started_by: Vec::new(),
        deprecated: Vec::new(),
    });
    let text = "fn read(s: &str) -> u32 {\n    legacy_parse(s)\n}\n\n#[test]\n#[should_panic(expected = \"legacy_parse: junk\")]\nfn rejects_junk() {\n    legacy_parse(\"x\");\n}\n\n#[test]\nfn legacy_parse_agrees_with_parse() {\n    assert_eq!(legacy_parse(\"1\"), parse(\"1\"));\n}\n\n#[allow(deprecated)]\nfn kept(s: &str) -> u32 {\n    legacy_parse(s)\n}\n";
    let outcome = fix_text("lib.rs", text, &[&p], &FixConfig::default());
    let fixed: Vec<u32> = outcome.fixes.fixes.iter().map(|f| f.start.line).collect();
    assert_eq!(fixed, vec![2]);
    let left: Vec<String> = outcome
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.line, s.reason.code()))
        .collect();
    assert_eq!(
        left,
        vec![
            "8: old-form-on-purpose",
            "13: old-form-on-purpose",
            "18: old-form-on-purpose"
        ]
    );
    // Without a migration record the same pattern is an ordinary one and fixes every site.
    p.migration = None;
    let outcome = fix_text("lib.rs", text, &[&p], &FixConfig::default());
    assert_eq!(outcome.fixes.fixes.len(), 4);
}

/// A guard remedy: `$A[$B]` panics when `$B >= $A.len()`.
fn index_guard() -> LibraryPattern {
    LibraryPattern::try_from(SerializablePattern {
        id: "g".to_owned(),
        origin: Origin::HandWritten,
        description: None,
        before: "$A[$B]".to_owned(),
        after: "$A[$B]".to_owned(),
        before_kind: None,
        after_kind: None,
        support: 0,
        score: 0.5,
        prevalence: 0.0,
        specialisation: 0.0,
        parent: None,
        panics: vec!["index-out-of-bounds".to_owned()],
        guards: Default::default(),
        accessors: Default::default(),
        within: None,
        provenance: Vec::new(),
        measured: None,
        held_out: None,
        examples: Vec::new(),
        effect: Some(pattern::Effect::Surfaces),
        returns: None,
        panics_when: Some("$B >= $A.len()".to_owned()),
        migration: None,
    })
    .expect("a valid guard")
}

/// Guards along a failing path of `(file, text, line)` frames, innermost first: each as
/// `file:line frame N p=P` and its replacement.
#[track_caller]
fn check_guards(frames: &[(&str, &str, u32)], expected: Expect) {
    let guard = index_guard();
    let frames: Vec<engine::Frame<'_>> = frames
        .iter()
        .enumerate()
        .map(|(i, (file, text, line))| engine::Frame {
            file,
            text,
            line: *line,
            step: engine::PathStep {
                position: i as u32,
                panic: "index-out-of-bounds".to_owned(),
            },
        })
        .collect();
    let fixes = engine::guards_on_path(&frames, &[&guard], &FixConfig::default());
    let mut out = String::new();
    for f in &fixes {
        out.push_str(&format!(
            "{}:{} frame {} p={}\n{}\n",
            f.file,
            f.start.line,
            f.step.as_ref().unwrap().position,
            f.confidence,
            f.after
        ));
    }
    expected.assert_eq(&out);
}

#[test]
fn a_guard_is_carried_up_through_the_callers_arguments() {
    // Three frames in two files; the names change at every call, the borrow is dropped, and only the
    // frames whose function returns Result or Option get a guard. The test function is not touched.
    let lib = "pub fn pick(v: &[u32], i: usize) -> u32 {\n    v[i]\n}\n\npub fn middle(items: &[u32], k: usize) -> Option<u32> {\n    Some(pick(items, k + 1))\n}\n";
    let app = "pub fn run(args: &[String]) -> Result<u32, String> {\n    let n: usize = args[0].parse().map_err(|_| \"nan\".to_owned())?;\n    let table = vec![1, 2, 3];\n    let got = lib::middle(&table, n).unwrap_or(0);\n    Ok(got)\n}\n\n#[test]\nfn t() -> Result<(), String> {\n    run(&[\"9\".into()])?;\n    Ok(())\n}\n";
    check_guards(
        &[
            ("src/lib.rs", lib, 2),
            ("src/lib.rs", lib, 6),
            ("src/app.rs", app, 4),
            ("src/app.rs", app, 10),
        ],
        expect![[r#"
            src/lib.rs:6 frame 1 p=0.70
            if (k + 1) >= items.len() {
                    return None;
                }
                Some(pick(items, k + 1))
            src/app.rs:4 frame 2 p=0.43
            if (n + 1) >= table.len() {
                    return Err("invalid input: (n + 1) >= table.len()".into());
                }
                let got = lib::middle(&table, n).unwrap_or(0);
        "#]],
    );
}

#[test]
fn a_guard_stops_where_the_value_was_computed() {
    // `j` is a local of `pick`: no caller can say `j >= v.len()`, so only `pick` itself, which returns an
    // Option, gets the guard; a method call maps `self` to its receiver.
    let lib = "pub fn pick(v: &[u32], i: usize) -> Option<u32> {\n    let j = i * 2;\n    Some(v[j])\n}\n\npub struct S { items: Vec<u32> }\n\nimpl S {\n    pub fn at(&self, i: usize) -> u32 {\n        self.items[i]\n    }\n}\n\npub fn get(s: &S, n: usize) -> Result<u32, String> {\n    Ok(s.at(n))\n}\n";
    check_guards(
        &[("src/lib.rs", lib, 3), ("src/lib.rs", lib, 15)],
        expect![[r#"
            src/lib.rs:3 frame 0 p=0.47
            if j >= v.len() {
                    return None;
                }
                Some(v[j])
        "#]],
    );
    check_guards(
        &[("src/lib.rs", lib, 10), ("src/lib.rs", lib, 15)],
        expect![[r#"
            src/lib.rs:15 frame 1 p=0.70
            if n >= s.items.len() {
                    return Err("invalid input: n >= s.items.len()".into());
                }
                Ok(s.at(n))
        "#]],
    );
}

#[test]
fn the_shipped_frame_prior_parses_and_rejects_bad_ratios() {
    let prior = engine::FramePrior::from_toml(engine::confidence::SHIPPED_FRAME_PRIOR).unwrap();
    // Learned from the harvested panic fixes (`benches/heal_harvest.sh prior`), which the file says, case by
    // case, and how the default-substituting ratio was counted.
    assert_eq!(prior.origin, Origin::Mined);
    assert!(
        prior
            .provenance
            .iter()
            .any(|p| p.contains("harvested cases")),
        "{:?}",
        prior.provenance
    );
    assert!(
        prior
            .provenance
            .iter()
            .any(|p| p.starts_with("substitutes_default: mined")),
        "{:?}",
        prior.provenance
    );
    assert!(
        engine::FramePrior::from_toml(
            "origin = \"hand-written\"\ndefault = []\nsubstitutes_default = 0.5\n"
        )
        .unwrap_err()
        .contains("`default` is empty")
    );
    assert!(
        engine::FramePrior::from_toml(
            "origin = \"hand-written\"\ndefault = [1.0, -2.0]\nsubstitutes_default = 0.5\n"
        )
        .unwrap_err()
        .contains("finite positive")
    );
}

/// A file nesting its code `n` times.
type Shape = fn(usize) -> String;

/// Shapes of nesting whose depth the input controls, each as a whole file with `v.len() == 0` innermost, nested
/// `n` times.
fn deep_shapes() -> Vec<(&'static str, Shape)> {
    fn wrap(n: usize, open: &str, inner: &str, close: &str) -> String {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    }
    fn body(code: String) -> String {
        format!("fn f(v: &[u8], a: bool) -> u64 {{\n    let _ = {code};\n    0\n}}\n")
    }
    vec![
        ("binary chain", |n| {
            body(format!("{}(v.len() == 0) as u64", "1 + ".repeat(n)))
        }),
        ("nested calls", |n| {
            body(wrap(n, "Some(", "v.len() == 0", ")"))
        }),
        ("nested parentheses", |n| {
            body(wrap(n, "(", "v.len() == 0", ")"))
        }),
        ("nested blocks", |n| {
            body(wrap(n, "{ ", "v.len() == 0", " }"))
        }),
        ("nested arrays", |n| body(wrap(n, "[", "v.len() == 0", "]"))),
        ("nested closures", |n| {
            body(format!("{}v.len() == 0", "|| ".repeat(n)))
        }),
        ("unary operators", |n| {
            body(format!("{}(v.len() == 0)", "!".repeat(n)))
        }),
        ("references", |n| {
            body(format!("{}(v.len() == 0)", "&".repeat(n)))
        }),
        ("method chain", |n| {
            body(format!("(v.len() == 0){}", ".clone()".repeat(n)))
        }),
        ("else-if chain", |n| {
            body(format!(
                "{}{{ v.len() == 0 }}",
                "if a { false } else ".repeat(n)
            ))
        }),
        ("nested macros", |n| {
            body(wrap(n, "vec![", "v.len() == 0", "]"))
        }),
        ("nested generic types", |n| {
            format!(
                "fn f(v: &[u8]) -> bool {{\n    let _: {} = None;\n    v.len() == 0\n}}\n",
                wrap(n, "Option<", "u8", ">")
            )
        }),
        ("nested modules", |n| {
            wrap(
                n,
                "mod m { ",
                "fn f(v: &[u8]) -> bool { v.len() == 0 }",
                " }",
            )
        }),
    ]
}

/// The largest `n` whose shape parses within the depth budget (the budget is a property of the tree, so each
/// shape reaches it at its own `n`).
fn deepest_within_budget(shape: Shape) -> usize {
    let (mut lo, mut hi) = (1, 4 * syntax::MAX_DEPTH as usize);
    assert!(syntax::parse(&shape(lo)).too_deep.is_none());
    assert!(syntax::parse(&shape(hi)).too_deep.is_some());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if syntax::parse(&shape(mid)).too_deep.is_none() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Everything that recurses over a tree, on every shape at the deepest the budget lets through, on a thread
/// with the stack the engine's threads get (`syntax::STACK_BYTES`), in whatever profile the tests are built
/// with (debug is the hungrier): parsing,
/// syn's strict re-parse (and dropping its tree), GumTree matching, the edit script and concrete edits,
/// templates, anti-unification, matching, instantiation, rendering and the whole engine. One step over the
/// budget, the engine reports a typed skip instead.
#[test]
fn every_consumer_fits_the_depth_budget() {
    use pattern::{Pattern, anti_unify, instantiate, match_at};
    use syntax::{Tree, debug_tree, parse, strict_reparse};
    use treediff::{ByteHunk, EditConfig, MatchConfig, concrete_edits, edit_script, match_trees};

    let rule = pattern(
        "len-zero",
        Origin::HandWritten,
        1.0,
        "$A.len() == 0 => $A.is_empty()",
        Vec::new(),
    );
    for (name, shape) in deep_shapes() {
        let n = deepest_within_budget(shape);
        let rule = rule.clone();
        let result = std::thread::Builder::new()
            .stack_size(syntax::STACK_BYTES)
            .spawn(move || {
                let before = shape(n);
                let after = before.replace("v.len() == 0", "v.is_empty()");
                let (bp, ap) = (parse(&before), parse(&after));
                assert!(bp.errors.is_empty(), "{name}: {:?}", bp.errors);
                assert!(ap.too_deep.is_none(), "{name}");
                strict_reparse(&before).unwrap_or_else(|e| panic!("{name}: {e}"));
                strict_reparse(&after).unwrap_or_else(|e| panic!("{name}: {e}"));
                let (bt, at) = (&bp.tree, &ap.tree);
                let mapping = match_trees(bt, at, &MatchConfig::default());
                let script = edit_script(bt, at, &mapping);
                let start = before.find("v.len() == 0").unwrap() as u32;
                let hunk = ByteHunk {
                    before: start..start + "v.len() == 0".len() as u32,
                    after: start..start + "v.is_empty()".len() as u32,
                };
                let edits =
                    concrete_edits(bt, at, &mapping, &script, &[hunk], &EditConfig::default());
                assert_eq!(edits.len(), 1, "{name}");
                // Templates of the whole trees: as deep as a pattern can get.
                let whole = Pattern::from_trees(bt, Tree::ROOT, at, Tree::ROOT);
                let other = parse(&before.replace("v.len()", "w.len()"));
                let variant = Pattern::from_trees(&other.tree, Tree::ROOT, at, Tree::ROOT);
                let general = anti_unify(&whole, &variant);
                assert!(general.hole_count() >= 1, "{name}");
                let bindings = match_at(
                    &general.before,
                    bt,
                    Tree::ROOT,
                    general.before.root.hole_slots(),
                )
                .unwrap_or_else(|| panic!("{name}: the generalisation matches its example"));
                instantiate(&general.after, bt, &bindings, "").unwrap();
                let _ = general.before.render();
                let _ = debug_tree(bt, Tree::ROOT);
                let outcome = fix_text("deep.rs", &before, &[&rule], &FixConfig::default());
                assert_eq!(
                    outcome.fixes.fixes.len(),
                    1,
                    "{name}: {:?}",
                    outcome.skipped
                );
                assert_eq!(outcome.fixes.patched, after, "{name}");

                let deeper = shape(n + 1);
                let outcome = fix_text("deep.rs", &deeper, &[&rule], &FixConfig::default());
                assert!(outcome.fixes.fixes.is_empty(), "{name}");
                let reasons: Vec<&str> = outcome.skipped.iter().map(|s| s.reason.code()).collect();
                assert_eq!(reasons, ["too-deep"], "{name}");
            })
            .unwrap()
            .join();
        assert!(result.is_ok(), "{name} at depth {n}");
    }
}

#[test]
fn a_pattern_within_a_kind_of_node_matches_only_there() {
    // `within` is data: a name learned inside macro invocations is not renamed where it names a function.
    let mut p = pattern(
        "m-log",
        Origin::Mined,
        0.9,
        "old_log => new_log",
        Vec::new(),
    );
    let text = "fn f() {\n    old_log!(\"x\");\n    old_log(1);\n}\n";
    let everywhere = engine::fix_text("lib.rs", text, &[&p], &FixConfig::default());
    assert_eq!(everywhere.fixes.fixes.len(), 2);
    p.pattern.within = Some("macro_invocation".into());
    let placed = engine::fix_text("lib.rs", text, &[&p], &FixConfig::default());
    assert_eq!(
        placed.fixes.patched,
        "fn f() {\n    new_log!(\"x\");\n    old_log(1);\n}\n"
    );
}

#[test]
fn a_migration_leaves_the_standard_librarys_item_of_the_same_name() {
    // The team renames its own `Duration` to `TimeDelta`; `core::time::Duration` and a `Duration` the file
    // imports from `std` are other items, whatever the name.
    let file: SerializablePattern = toml::from_str(
        r#"
id = "m-delta"
origin = "mined"
before = "Duration"
after = "TimeDelta"
before_kind = "type_identifier"
after_kind = "type_identifier"
support = 3
score = 0.6
prevalence = 0.6
specialisation = 0.5

[migration]
status = "in-progress"
migrated = 5
remaining = 3
commits = 4
authors = ["Ada"]
first = 1700000000
last = 1700100000
"#,
    )
    .unwrap();
    let p = LibraryPattern::try_from(file).unwrap();
    let fix = |text: &str| engine::fix_text("lib.rs", text, &[&p], &FixConfig::default());
    let own = fix("fn f(d: Duration) -> Duration {\n    d\n}\n");
    assert_eq!(own.fixes.fixes.len(), 2, "{:?}", own.skipped);
    let by_path = fix("fn f(d: core::time::Duration) -> u64 {\n    d.as_secs()\n}\n");
    assert!(by_path.fixes.fixes.is_empty());
    assert_eq!(
        by_path.skipped[0].reason.to_string(),
        "`Duration` here is the standard library's (`core::time::Duration`), not the item the migration moves off"
    );
    let imported = fix(
        "use std::time::{Duration, Instant};\n\nfn f(d: Duration) -> u64 {\n    d.as_secs()\n}\n",
    );
    assert!(
        imported.fixes.fixes.is_empty(),
        "{:?}",
        imported.fixes.fixes
    );
    // The parameter's type (the `use` names it as a path segment, not as a type).
    assert_eq!(imported.skipped.len(), 1);
    assert!(
        imported
            .skipped
            .iter()
            .all(|s| s.reason.code() == "std-item")
    );
    // Imported under another name, the bare name is the team's again.
    let renamed = fix(
        "use std::time::Duration as StdDuration;\n\nfn f(d: Duration) -> Duration {\n    d\n}\n",
    );
    assert_eq!(renamed.fixes.fixes.len(), 2, "{:?}", renamed.skipped);
}

#[test]
fn returns_at_edit_reads_the_function_around_the_human_edit_before_the_fix() {
    let text = "fn left(a: u32, b: u32) -> Result<u32, Error> {\n    Ok(a - b)\n}\n\nfn unit(a: u32) -> Result<u32, ()> {\n    let n = a\n        - 1;\n    Ok(n)\n}\n\nfn plain(a: u32) -> u32 {\n    a - 1\n}\n\nfn closure(v: &[u32]) -> Option<u32> {\n    v.iter().map(|x| x - 1).next()\n}\n";
    use pattern::Returns;
    assert_eq!(
        engine::returns_at_edit(text, 2, "a - b"),
        Some(Some(Returns::Result))
    );
    // The hunk starts on the line of the node; whitespace aside.
    assert_eq!(
        engine::returns_at_edit(text, 6, "a - 1"),
        Some(Some(Returns::UnitResult))
    );
    assert_eq!(engine::returns_at_edit(text, 12, "a - 1"), Some(None));
    // A `?` in a closure leaves the closure.
    assert_eq!(engine::returns_at_edit(text, 16, "x - 1"), Some(None));
    // Not there: unknown.
    assert_eq!(engine::returns_at_edit(text, 2, "a * b"), None);
}
