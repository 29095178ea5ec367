//! `heal`: run a failing command, read its failures, find fixes on the failing path, validate each in a
//! scratch worktree by re-running the command, gate the survivor with the policy, and report every step.
//!
//! Validation is what makes a proposal trustworthy, so it is never skipped: a candidate that does not make
//! the command pass is backed out and reported, and nothing that was not validated is applied. The user's
//! files are only written with `apply`, for a fix the policy lets through, after checking they did not change
//! meanwhile. Every step is one row of the audit trail.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use engine::Validation;
use policy::{Decision, Policy, Probability};
use serde::Serialize;
use store::{NewAudit, Store};

use crate::fixing::{Fix, FixConfig, Location, Proximity, propose_fixes, workspace_files};
use crate::library::{Library, write_atomic};
use crate::watching::regression::{self, Probes, RegressionTest, Target};

#[derive(Debug, Clone)]
pub struct HealOptions {
    /// The command to run and re-run, e.g. `["cargo", "test"]`.
    pub command: Vec<String>,
    /// The policy environment: `production`, `staging`, ….
    pub env: String,
    pub policy: Policy,
    /// Write a fix the policy lets through.
    pub apply: bool,
    /// Limit for each run of the command.
    pub timeout: Duration,
    /// Most candidates validated.
    pub max_candidates: usize,
    /// Where candidate builds go; shared between candidates and runs so that a candidate costs an
    /// incremental build.
    pub target_dir: PathBuf,
    /// The confidence model (the CLI passes the shipped calibration and parameters).
    pub model: engine::ConfidenceModel,
}

/// Summary of one run of the command.
#[derive(Debug, Clone, Serialize)]
pub struct CommandRun {
    pub passed: bool,
    pub timed_out: bool,
    pub exit_code: Option<i32>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailureSummary {
    pub test: Option<String>,
    pub kind: String,
    pub message: String,
    /// The failing path: the panic site first, then its callers, workspace files only.
    pub path: Vec<Location>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub fix: Fix,
    /// Whether re-running the command in the scratch worktree passed.
    pub passed: bool,
    /// Each validation step and how it went, in order; validation stops at the first that fails.
    pub steps: Vec<String>,
    /// The last step run.
    pub run: CommandRun,
    /// The last lines of the command's output, kept for the report.
    pub output_tail: String,
    /// The probability after validation: the model's answer given how the candidate validated (0 for one
    /// that failed).
    pub confidence: Probability,
    /// Which checks ran beyond the command's exit status, in words and as data.
    pub checks: Checks,
}

/// What validated a candidate: whether the rest of the suite ran, and which test pins the new behaviour.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Checks {
    /// `cargo check` of the workspace ran.
    pub compiled: bool,
    /// The tests that failed before and were re-run (they pin the new behaviour: the regression tests).
    pub regression_tests: Vec<String>,
    /// The whole suite (`cargo test --workspace`) ran.
    pub suite: bool,
    /// Checks that did not run, and why.
    pub not_run: Vec<String>,
    /// All of it in one sentence, as every output shows it.
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealOutcome {
    /// The command passed: nothing to heal.
    NothingToHeal,
    /// The command timed out before reporting failures.
    CommandTimedOut,
    /// The command failed but its output names no location in the workspace.
    NoWorkspaceLocation,
    /// No pattern matched on the failing path.
    NoCandidate,
    /// Every candidate failed validation; nothing was applied.
    AllCandidatesFailed,
    /// A validated fix was applied to the user's files.
    Applied,
    /// A validated fix is proposed (the policy, or the absence of `--apply`, keeps it from being written).
    Proposed,
    /// A validated fix is below the proposal threshold: reported as a note.
    Notified,
    /// A validated fix is below every threshold: recorded in the audit trail only.
    Recorded,
}

#[derive(Debug, Clone, Serialize)]
pub struct HealReport {
    pub run: String,
    pub command: Vec<String>,
    pub first_run: CommandRun,
    pub failures: Vec<FailureSummary>,
    pub attempts: Vec<Attempt>,
    /// Candidates found on the failing path but not validated, best first: ranked below the first
    /// `--max-candidates`.
    pub not_tried: Vec<Fix>,
    pub decision: Option<Decision>,
    /// The regression test written for a command that is not a test (a call that reproduced the panic),
    /// run in every validation and written with an applied fix.
    pub regression_test: Option<RegressionTest>,
    pub outcome: HealOutcome,
    /// Why the outcome is what it is, in words.
    pub explanation: String,
}

/// Runs the self-healing loop in the workspace at `root` (a git repository).
pub fn heal(
    root: &Path,
    library: &Library,
    store: &mut Store,
    options: &HealOptions,
) -> Result<HealReport> {
    let Some((program, args)) = options.command.split_first() else {
        bail!("no command to run: give one after `--`, e.g. `suture heal -- cargo test`");
    };
    let root_abs =
        std::fs::canonicalize(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    let run = run_id();
    let commit = git::discover(&root_abs).and_then(|r| r.head().ok());
    let mut audit = Audit {
        store,
        run: run.clone(),
        commit,
    };
    let step = validate::Step {
        name: "command".to_owned(),
        program: program.clone(),
        args: args.to_vec(),
        timeout: options.timeout,
        env: vec![("RUST_BACKTRACE".to_owned(), "1".to_owned())],
        must_pass: Vec::new(),
    };
    let first = validate::run_step(&root_abs, &step);
    if let validate::Outcome::NotStarted { error } = &first.outcome {
        bail!("cannot run `{}`: {error}", options.command.join(" "));
    }
    let first_run = summarize(&first);
    audit.record(
        "trace",
        &options.command.join(" "),
        &format!("ran the command: {}", describe(&first_run)),
        &first_run,
    )?;
    let mut report = HealReport {
        run,
        command: options.command.clone(),
        first_run: first_run.clone(),
        failures: Vec::new(),
        attempts: Vec::new(),
        not_tried: Vec::new(),
        decision: None,
        regression_test: None,
        outcome: HealOutcome::NothingToHeal,
        explanation: String::new(),
    };
    if first_run.passed {
        report.explanation = "the command passed: nothing to heal".to_owned();
        audit.record("decided", "run", &report.explanation, &report.outcome)?;
        return Ok(report);
    }
    let output = format!("{}\n{}", first.stdout, first.stderr);
    let files = workspace_files(&root_abs)?;
    let (failures, locations, kinds) = locate(&output, &root_abs, &files, false);
    for failure in &failures {
        for l in &failure.path {
            audit.record("located", &format!("{}:{}", l.file, l.line), &l.source, l)?;
        }
    }
    report.failures = failures;
    if locations.is_empty() {
        report.outcome = if first_run.timed_out {
            HealOutcome::CommandTimedOut
        } else {
            HealOutcome::NoWorkspaceLocation
        };
        report.explanation = if first_run.timed_out {
            format!(
                "the command timed out after {} s before reporting a failure in the workspace",
                options.timeout.as_secs()
            )
        } else {
            "the command failed, but its output names no file of this workspace (no panic site, backtrace frame or diagnostic in it)".to_owned()
        };
        audit.record("decided", "run", &report.explanation, &report.outcome)?;
        return Ok(report);
    }
    let config = FixConfig {
        locations,
        panic_kinds: kinds,
        keep_alternatives: true,
        model: options.model.clone(),
        ..FixConfig::default()
    };
    let proposals = propose_fixes(&root_abs, library, &config)?;
    let mut candidates: Vec<Fix> = proposals
        .files
        .iter()
        .flat_map(|f| {
            f.fixes
                .iter()
                .filter(|x| x.round == 1)
                .chain(&f.alternatives)
        })
        // A panic happens at one operation, on the line the path names in each frame (the panic site, or the
        // call that led to it): a remedy elsewhere in that function changes another operation and cannot
        // remove this panic. Only a diagnostic's function (no path step) keeps its other lines.
        .filter(|f| match f.proximity {
            Proximity::OnLine => true,
            Proximity::SameFunction => f.step.is_none(),
            _ => false,
        })
        .cloned()
        .collect();
    // Guard remedies on every workspace frame of each failing path: the panic's condition carried up to where
    // the value came in.
    let patterns: Vec<&pattern::LibraryPattern> = library.patterns.iter().collect();
    for failure in &report.failures {
        let mut texts = Vec::new();
        for l in &failure.path {
            let text = std::fs::read_to_string(root_abs.join(&l.file))
                .with_context(|| format!("cannot read `{}`", l.file))?;
            texts.push(text);
        }
        let frames: Vec<engine::Frame<'_>> = failure
            .path
            .iter()
            .zip(&texts)
            .filter_map(|(l, text)| {
                Some(engine::Frame {
                    file: &l.file,
                    text,
                    line: l.line,
                    step: l.step.clone()?,
                })
            })
            .collect();
        for fix in engine::guards_on_path(&frames, &patterns, &config) {
            if !candidates
                .iter()
                .any(|c| c.file == fix.file && c.start == fix.start && c.after == fix.after)
            {
                candidates.push(fix);
            }
        }
    }
    candidates.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.file.cmp(&b.file))
            .then(a.start.byte.cmp(&b.start.byte))
    });
    // Two remedies that write the same text at the same place are one fix (a mined remedy and the
    // hand-written one it generalises): the more confident one is tried, the other is listed as not tried.
    let mut seen = std::collections::HashSet::new();
    let (unique, same): (Vec<Fix>, Vec<Fix>) = candidates
        .into_iter()
        .partition(|c| seen.insert((c.file.clone(), c.start.byte, c.end.byte, c.after.clone())));
    candidates = unique;
    report.not_tried = candidates.split_off(options.max_candidates.min(candidates.len()));
    report.not_tried.extend(same);
    for c in &candidates {
        audit.record(
            "candidate",
            &format!("{}:{}", c.file, c.start.line),
            &format!("{} ({})", c.pattern, c.reason),
            c,
        )?;
    }
    if candidates.is_empty() {
        report.outcome = HealOutcome::NoCandidate;
        report.explanation = if report.not_tried.is_empty() {
            "no pattern of the library matches on the failing path".to_owned()
        } else {
            format!(
                "{} candidates found on the failing path; --max-candidates 0 tries none",
                report.not_tried.len()
            )
        };
        audit.record("decided", "run", &report.explanation, &report.outcome)?;
        return Ok(report);
    }
    // For `cargo test`, the standard sequence: check, the failing tests (they must now pass), then the whole
    // suite (nothing that passed may fail). Any other command is simply re-run.
    let failing: Vec<String> = report
        .failures
        .iter()
        .filter_map(|f| f.test.clone())
        .collect();
    let timeouts = validate::Timeouts {
        check: options.timeout,
        test: options.timeout,
    };
    let cargo_test = program == "cargo" && args.first().is_some_and(|a| a == "test");
    let mut worktree = validate::create_worktree(&root_abs)?;
    let mut not_run = Vec::new();
    let mut regression: Option<(RegressionTest, Target)> = None;
    let steps = if cargo_test {
        if failing.is_empty() {
            not_run.push(
                "no regression test: the output names no failing test, so only the whole suite pins the fix"
                    .to_owned(),
            );
        }
        let mut steps = validate::cargo_steps(&failing, &options.target_dir, &timeouts);
        // `cargo check --all-targets` that fails before any fix (nightly-only benches, a broken example)
        // cannot judge one: it is dropped, and the tests still compile what they run.
        let baseline = validate::run_steps(&worktree.path, &steps[..1]);
        let check_passes = validate::all_passed(&steps[..1], &baseline);
        audit.record(
            "baseline",
            "cargo check",
            &format!(
                "the check before any fix: {}",
                baseline
                    .last()
                    .map_or("not run".to_owned(), |r| describe(&summarize(r)))
            ),
            &check_passes,
        )?;
        if !check_passes {
            steps.remove(0);
            not_run.push(
                "cargo check: `cargo check --workspace --all-targets` fails before any fix, so it cannot judge one"
                    .to_owned(),
            );
        }
        steps
    } else {
        let mut rerun = step.clone();
        rerun.env.push((
            "CARGO_TARGET_DIR".to_owned(),
            options.target_dir.display().to_string(),
        ));
        let mut steps = vec![rerun];
        // The command is not `cargo test`: the new behaviour is pinned by a test written for the panic, as
        // `suture watch` writes one (a call of the failing function that reproduces it), unless the command is
        // a test runner that named its failing tests (`cargo nextest run`): re-running it runs them.
        let written = if failing.is_empty() {
            write_regression_test(&root_abs, &mut worktree, &report.failures, options)?
        } else {
            Err(format!(
                "re-running the command runs the failing tests it named ({})",
                failing.join(", ")
            ))
        };
        match written {
            Ok((test, target)) => {
                audit.record(
                    "regression-test",
                    &format!("{}:{}", test.file, test.name),
                    &format!("wrote `{}` after `fn {}`", test.call, target.name),
                    &test,
                )?;
                let mut step = validate::cargo_steps(
                    std::slice::from_ref(&test.name),
                    &options.target_dir,
                    &timeouts,
                )
                .swap_remove(1);
                step.name = format!("written regression test {}", test.name);
                steps.push(step);
                regression = Some((test, target));
            }
            Err(why) => {
                audit.record("unreproducible", "regression test", &why, &())?;
                not_run.push(format!("no regression test written: {why}"));
            }
        }
        // The other tests must still pass: the suite, when it passes before any fix (a suite that already
        // fails cannot tell a fix that breaks something).
        if root_abs.join("Cargo.toml").exists() {
            let suite = validate::cargo_steps(&[], &options.target_dir, &timeouts)
                .pop()
                .expect("the cargo steps end with the suite");
            let baseline = validate::run_steps(&worktree.path, std::slice::from_ref(&suite));
            if validate::all_passed(std::slice::from_ref(&suite), &baseline) {
                steps.push(suite);
            } else {
                not_run.push(
                    "the suite: `cargo test --workspace` fails before any fix, so it cannot judge one"
                        .to_owned(),
                );
            }
            audit.record(
                "baseline",
                "cargo test --workspace",
                &format!(
                    "the suite before any fix: {}",
                    baseline
                        .last()
                        .map_or("not run".to_owned(), |r| describe(&summarize(r)))
                ),
                &not_run,
            )?;
        } else {
            not_run.push("the suite: not a cargo workspace".to_owned());
        }
        steps
    };
    let mut validated: Option<usize> = None;
    for candidate in candidates {
        let original = std::fs::read_to_string(root_abs.join(&candidate.file))
            .with_context(|| format!("cannot read `{}`", candidate.file))?;
        let edit = patch::TextEdit {
            range: candidate.start.byte..candidate.end.byte,
            replacement: candidate.after.clone(),
        };
        let patched = patch::apply(&original, std::slice::from_ref(&edit));
        worktree.write_files(&with_test(&regression, &candidate.file, patched, &edit))?;
        let results = validate::run_steps(&worktree.path, &steps);
        worktree.reset()?;
        let passed = validate::all_passed(&steps, &results);
        let result = results.last().expect("at least one step runs");
        let mut run = summarize(result);
        run.seconds = crate::round4(results.iter().map(|r| r.seconds).sum());
        let steps_report: Vec<String> = results
            .iter()
            .map(|r| format!("{}: {}", r.name, describe(&summarize(r))))
            .collect();
        let validation = if passed {
            Validation::Tested
        } else {
            Validation::Failed
        };
        let confidence = library
            .pattern(&candidate.pattern)
            .map_or(Probability::ZERO, |p| {
                options
                    .model
                    .validated(p, &candidate, validation, engine::Outcomes::default())
            });
        let checks = checks_of(&steps, &results, &not_run);
        let mut candidate = candidate;
        candidate.validation = validation;
        let verdict = if passed {
            format!("validated: {}", steps_report.join("; "))
        } else {
            format!("backed out: {}", steps_report.join("; "))
        };
        audit.record(
            "validated",
            &format!(
                "{}:{} {}",
                candidate.file, candidate.start.line, candidate.pattern
            ),
            &verdict,
            &run,
        )?;
        report.attempts.push(Attempt {
            fix: candidate,
            passed,
            steps: steps_report,
            run,
            output_tail: tail(&format!("{}{}", result.stdout, result.stderr), 40),
            confidence,
            checks,
        });
        if passed {
            validated = Some(report.attempts.len() - 1);
            break;
        }
    }
    drop(worktree);
    report.regression_test = regression.as_ref().map(|(test, _)| test.clone());
    let Some(best) = validated else {
        report.outcome = HealOutcome::AllCandidatesFailed;
        report.explanation = format!(
            "all {} candidates failed validation; nothing was applied",
            report.attempts.len()
        );
        audit.record("decided", "run", &report.explanation, &report.outcome)?;
        return Ok(report);
    };
    let attempt = &report.attempts[best];
    let confidence = attempt.confidence;
    let mut decision = options
        .policy
        .decide(&options.env, &attempt.fix.file, confidence)?;
    // A remedy that substitutes a default hides the failure: in production a person decides, whatever the
    // confidence.
    let hides = attempt.fix.effect == Some(pattern::Effect::SubstitutesDefault);
    let held = hides && options.env == policy::PRODUCTION && decision == Decision::Apply;
    if held {
        decision = Decision::Propose;
    }
    report.decision = Some(decision);
    let thresholds = options
        .policy
        .thresholds_for(&options.env, &attempt.fix.file)?;
    let mut why = format!(
        "confidence {confidence:.2} in `{}` ({:?}; apply ≥ {}, propose ≥ {}, notify ≥ {})",
        options.env,
        options.policy.criticality(&attempt.fix.file),
        thresholds.auto_remediate,
        thresholds.require_approval,
        thresholds.notify_only
    );
    if held {
        why.push_str(
            "; the fix substitutes a default value, which is never applied automatically in production",
        );
    } else if hides {
        why.push_str("; the fix substitutes a default value (it hides the failure)");
    }
    audit.record(
        "decided",
        &format!("{}:{}", attempt.fix.file, attempt.fix.start.line),
        &format!("{decision:?}: {why}"),
        &decision,
    )?;
    let (outcome, explanation) = match decision {
        Decision::Apply if options.apply => {
            let path = root_abs.join(&attempt.fix.file);
            let now = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read `{}`", attempt.fix.file))?;
            let edit = patch::TextEdit {
                range: attempt.fix.start.byte..attempt.fix.end.byte,
                replacement: attempt.fix.after.clone(),
            };
            if now.get(edit.range.clone()) != Some(attempt.fix.before.as_str()) {
                bail!(
                    "`{}` changed while suture was running; nothing was written",
                    attempt.fix.file
                );
            }
            // The test goes in at an offset of the text it was found in: that file must be as it was then.
            if let Some((test, target)) = &regression
                && std::fs::read_to_string(root_abs.join(&test.file))
                    .ok()
                    .as_ref()
                    != Some(&target.text)
            {
                bail!(
                    "`{}` changed while suture was running; nothing was written",
                    test.file
                );
            }
            let patched = patch::apply(&now, std::slice::from_ref(&edit));
            let files = with_test(&regression, &attempt.fix.file, patched, &edit);
            for (file, text) in &files {
                write_atomic(&root_abs.join(file), text.as_bytes())?;
            }
            let written = match &regression {
                Some((test, _)) => {
                    format!(" and the regression test {} in `{}`", test.name, test.file)
                }
                None => String::new(),
            };
            (
                HealOutcome::Applied,
                format!("applied the validated fix{written}: {why}"),
            )
        }
        Decision::Apply => (
            HealOutcome::Proposed,
            format!("the policy allows applying it ({why}); run with --apply to write it"),
        ),
        Decision::Propose => (
            HealOutcome::Proposed,
            format!("proposed for approval: {why}"),
        ),
        Decision::Notify => (
            HealOutcome::Notified,
            format!("below the proposal threshold, reported only: {why}"),
        ),
        Decision::Record => (
            HealOutcome::Recorded,
            format!("below every threshold, recorded only: {why}"),
        ),
    };
    report.outcome = outcome;
    report.explanation = explanation;
    audit.record(
        "delivered",
        &format!("{}:{}", attempt.fix.file, attempt.fix.start.line),
        &report.explanation,
        &report.outcome,
    )?;
    Ok(report)
}

/// A regression test for the first panic with a site in the workspace, written in `worktree` (left reset):
/// the probe search of `suture watch`, on the outermost frame of the failing path that a plain call can
/// reproduce the panic from (not `main`), so that a fix anywhere between that frame and the site makes it pass,
/// the caller guards included. `Err` says why there is none.
fn write_regression_test(
    root: &Path,
    worktree: &mut validate::Worktree,
    failures: &[FailureSummary],
    options: &HealOptions,
) -> Result<Result<(RegressionTest, Target), String>> {
    if !root.join("Cargo.toml").exists() {
        return Ok(Err(
            "the command is not a test, and this is not a cargo workspace".to_owned(),
        ));
    }
    let Some((failure, site)) = failures
        .iter()
        .find_map(|f| f.path.first().map(|site| (f, site)))
    else {
        return Ok(Err(
            "the command is not a test, and no panic has a site in the workspace".to_owned(),
        ));
    };
    let site_text = std::fs::read_to_string(root.join(&site.file))
        .with_context(|| format!("cannot read `{}`", site.file))?;
    let Some(site_function) = regression::function_at(&site_text, site.line) else {
        return Ok(Err(format!(
            "{}:{} is outside every function (no function to call)",
            site.file, site.line
        )));
    };
    let mut hash = syntax::Fx::new();
    hash.write(format!("{}:{}", site.file, site.line).as_bytes());
    let tag = format!("{:08x}", hash.finish() as u32);
    let frames: Vec<(&str, u32)> = failure
        .path
        .iter()
        .map(|l| (l.file.as_str(), l.line))
        .collect();
    let literals = regression::literals_on_path(root, &frames);
    let probes = Probes {
        kind: &failure.kind,
        message: &failure.message,
        site: (&site.file, &site_function),
        strings: &literals,
        tag: &tag,
        max: MAX_PROBES,
        timeout: options.timeout,
        target_dir: &options.target_dir,
        by: "suture heal",
    };
    let mut why_not = Vec::new();
    let mut tried = 0;
    for frame in failure.path.iter().rev() {
        let target = match regression::find_target(root, &frame.file, frame.line, None) {
            Ok(target) if target.name == "main" => continue,
            Ok(target) => target,
            Err(why) => {
                why_not.push(why);
                continue;
            }
        };
        if tried == MAX_FRAMES_PROBED {
            break;
        }
        tried += 1;
        let (calls, found) = regression::probe(worktree, &target, &probes)?;
        let found = match found {
            Ok(found) => found,
            Err(why) => {
                why_not.push(why);
                continue;
            }
        };
        let doc = format!(
            "Regression test written by `suture heal` for `{}` ({}) at {}:{}, which `{}` reported. The call \
             below reproduced it; it must not panic.",
            failure.message,
            failure.kind,
            site.file,
            site.line,
            options.command.join(" "),
        );
        let test = regression::regression_test(&target, &found, &tag, &doc, calls.len());
        return Ok(Ok((test, target)));
    }
    why_not.dedup();
    Ok(Err(if why_not.is_empty() {
        "no function on the failing path but `main`".to_owned()
    } else {
        why_not.join("; ")
    }))
}

/// Frames of the failing path whose probes are run (a `cargo test` each), outermost first.
const MAX_FRAMES_PROBED: usize = 3;

/// Argument combinations tried to reproduce a panic with a test (`suture watch`'s default).
const MAX_PROBES: usize = 128;

/// The files a candidate writes: its own, patched by `edit`, with the regression test inserted when the test
/// goes to the same file; else the test's file as well.
fn with_test(
    regression: &Option<(RegressionTest, Target)>,
    file: &str,
    patched: String,
    edit: &patch::TextEdit,
) -> Vec<(String, String)> {
    match regression {
        None => vec![(file.to_owned(), patched)],
        Some((test, target)) if test.file == file => {
            vec![(
                file.to_owned(),
                test.inserted_after(&patched, target, Some(edit)),
            )]
        }
        Some((test, target)) => vec![
            (file.to_owned(), patched),
            (test.file.clone(), test.inserted(&target.text, target)),
        ],
    }
}

/// Reads failures and diagnostics from command output: failing paths, the locations to focus on, and the
/// panic kinds that were reported (as the names pattern files use).
/// With `warnings` false only error diagnostics are locations: a test run's compiler warnings say nothing of
/// why it failed, while `suture fix --trace` on `cargo clippy` output is about the warnings.
pub fn locate(
    output: &str,
    root: &Path,
    files: &HashSet<String>,
    warnings: bool,
) -> (Vec<FailureSummary>, Vec<Location>, Vec<String>) {
    let parsed = trace::parse(output);
    let root_str = root.display().to_string();
    let mut failures = Vec::new();
    let mut locations = Vec::new();
    let mut kinds = Vec::new();
    for failure in &parsed.failures {
        let kind = failure.kind.name().to_owned();
        let path: Vec<Location> = trace::failing_path(failure, &root_str, files)
            .into_iter()
            .map(|l| Location {
                file: l.file,
                line: l.line,
                source: match (l.rank, &failure.test) {
                    (0, Some(t)) => format!("panic site of {t} ({kind})"),
                    (0, None) => format!("panic site ({kind})"),
                    (r, Some(t)) => format!("caller #{r} on the failing path of {t}"),
                    (r, None) => format!("caller #{r} on the failing path"),
                },
                step: Some(engine::PathStep {
                    position: l.rank as u32,
                    panic: kind.clone(),
                }),
            })
            .collect();
        locations.extend(path.iter().cloned());
        if !kinds.contains(&kind) {
            kinds.push(kind.clone());
        }
        failures.push(FailureSummary {
            test: failure.test.clone(),
            kind,
            message: failure.message.clone(),
            path,
        });
    }
    for d in &parsed.diagnostics {
        let file = d.file.trim_start_matches("./").to_owned();
        if files.contains(&file) && (warnings || d.level == "error") {
            let code = d
                .code
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            locations.push(Location {
                file,
                line: d.line,
                source: format!("diagnostic{code}: {}", d.message),
                step: None,
            });
        }
    }
    (failures, locations, kinds)
}

/// Which checks a candidate's validation ran, from the steps and how far they got.
fn checks_of(
    steps: &[validate::Step],
    results: &[validate::StepResult],
    not_run: &[String],
) -> Checks {
    let ran = |i: usize| i < results.len();
    let mut checks = Checks {
        not_run: not_run.to_vec(),
        ..Checks::default()
    };
    let mut parts = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if !ran(i) {
            checks
                .not_run
                .push(format!("{}: an earlier step failed", step.name));
            continue;
        }
        if step.name == "cargo check" {
            checks.compiled = true;
            parts.push("cargo check".to_owned());
        } else if !step.must_pass.is_empty() {
            checks
                .regression_tests
                .extend(step.must_pass.iter().cloned());
            parts.push(if step.name.starts_with("written regression test") {
                format!(
                    "the regression test {} written for the panic",
                    step.must_pass.join(", ")
                )
            } else {
                format!(
                    "the failing test {} (regression test)",
                    step.must_pass.join(", ")
                )
            });
        } else if step.args.first().is_some_and(|a| a == "test") && step.args.len() == 2 {
            checks.suite = true;
            parts.push("the whole suite (cargo test --workspace)".to_owned());
        } else {
            parts.push(format!(
                "the command `{} {}`",
                step.program,
                step.args.join(" ")
            ));
        }
    }
    checks.summary = format!(
        "ran {}{}",
        parts.join(", "),
        if checks.not_run.is_empty() {
            String::new()
        } else {
            format!("; not run: {}", checks.not_run.join("; "))
        }
    );
    checks
}

fn summarize(result: &validate::StepResult) -> CommandRun {
    CommandRun {
        passed: matches!(result.outcome, validate::Outcome::Passed),
        timed_out: matches!(result.outcome, validate::Outcome::TimedOut),
        exit_code: match result.outcome {
            validate::Outcome::Failed { code } => code,
            validate::Outcome::Passed => Some(0),
            _ => None,
        },
        seconds: crate::round4(result.seconds),
    }
}

fn describe(run: &CommandRun) -> String {
    if run.passed {
        format!("passed in {:.1} s", run.seconds)
    } else if run.timed_out {
        format!(
            "timed out after {:.1} s (the process group was killed)",
            run.seconds
        )
    } else {
        match run.exit_code {
            Some(code) => format!("failed with exit code {code} in {:.1} s", run.seconds),
            None => format!("killed by a signal after {:.1} s", run.seconds),
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A run id: time and process, readable and unique enough for one machine's audit trail.
fn run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("run-{}-{}", now.as_millis(), std::process::id())
}

/// Writes the audit rows of one run.
struct Audit<'a> {
    store: &'a mut Store,
    run: String,
    commit: Option<String>,
}

impl Audit<'_> {
    fn record(
        &mut self,
        step: &str,
        subject: &str,
        reason: &str,
        data: &impl Serialize,
    ) -> Result<()> {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.store.record_audit(&NewAudit {
            run: self.run.clone(),
            at,
            step: step.to_owned(),
            actor: "suture".to_owned(),
            subject: subject.to_owned(),
            reason: reason.to_owned(),
            commit: self.commit.clone(),
            data: serde_json::to_string(data)?,
        })?;
        Ok(())
    }
}
