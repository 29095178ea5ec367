//! The standard cargo sequence that validates a candidate fix: it compiles, the failing tests now
//! pass, and nothing else broke.
//!
//! This module only describes commands as [`Step`] values; [`crate::run_steps`] runs them. Keeping
//! the two apart lets a caller show, log or replace the commands (a `suture.toml` validate
//! command) without a second runner.
//!
//! Choices:
//! - Cheapest first: `cargo check` rejects a candidate that does not compile in seconds, before
//!   anything is linked.
//! - Every command has `--workspace`. A fix may land in any member, and a plain `cargo test` in a
//!   workspace with a root package tests only that package, so a broken member would go unseen.
//! - One step per failing test, so a report says which test still fails. Each runs
//!   `cargo test --workspace --tests -- --exact NAME`: `--tests` (unit and integration tests,
//!   without doctests) because a doctest filter cannot match a unit test's name and compiling
//!   doctests is the slowest part of a test run; a doctest's name (`src/lib.rs - add (line 3)`)
//!   gets `--doc` instead. Every test binary of the workspace runs with that filter, which is
//!   cheap, and the step requires the test to report `ok` ([`Step::must_pass`]) because a filter
//!   that matches nothing exits 0.
//! - All steps share `CARGO_TARGET_DIR`, so every candidate after the first is an incremental
//!   build. `CARGO_TERM_COLOR=never` keeps the captured output free of escape codes even if the
//!   user's cargo config forces colour.

use std::path::Path;
use std::time::Duration;

use crate::run::Step;

/// Per-step timeouts. `check` bounds `cargo check`; `test` bounds each `cargo test` step, and the
/// first of those also links everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    pub check: Duration,
    pub test: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            check: Duration::from_secs(300),
            test: Duration::from_secs(600),
        }
    }
}

/// The steps that validate a candidate: `cargo check --workspace --all-targets`, then each of
/// `failing_tests` (libtest names, as in `test NAME ... FAILED`) on its own, then the full
/// `cargo test --workspace`. Every step builds into `target_dir`.
pub fn cargo_steps(failing_tests: &[String], target_dir: &Path, timeouts: &Timeouts) -> Vec<Step> {
    let env = vec![
        (
            "CARGO_TARGET_DIR".to_string(),
            target_dir.to_string_lossy().into_owned(),
        ),
        ("CARGO_TERM_COLOR".to_string(), "never".to_string()),
    ];
    let cargo = |name: String, args: &[&str], timeout, must_pass| Step {
        name,
        program: "cargo".to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        timeout,
        env: env.clone(),
        must_pass,
    };

    let mut steps = vec![cargo(
        "cargo check".to_string(),
        &["check", "--workspace", "--all-targets"],
        timeouts.check,
        Vec::new(),
    )];
    for test in failing_tests {
        let targets = if is_doctest(test) { "--doc" } else { "--tests" };
        steps.push(cargo(
            format!("test {test}"),
            &["test", "--workspace", targets, "--", "--exact", test],
            timeouts.test,
            vec![test.clone()],
        ));
    }
    steps.push(cargo(
        "cargo test".to_string(),
        &["test", "--workspace"],
        timeouts.test,
        Vec::new(),
    ));
    steps
}

/// Whether a libtest name is rustdoc's, such as `src/lib.rs - add (line 3)`.
fn is_doctest(name: &str) -> bool {
    name.contains(" - ") && name.contains(" (line ") && name.ends_with(')')
}
