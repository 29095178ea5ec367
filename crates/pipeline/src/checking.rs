//! The compiler in the loop of `suture fix`: every fix is checked with the real compiler before it is shown.
//!
//! As `cargo fix` does, but for learned fixes: in a scratch git worktree (never the user's tree), the tree
//! without fixes is checked once for a baseline, then all candidates together; every new error *and* warning
//! is mapped back to the fix whose lines it is on, those fixes are backed out, and the check repeats until
//! clean; what no fix's lines explain is found by bisection (`engine::check::settle`, pure). The survivors are
//! looked at again (a fix may enable another), for a bounded number of passes. Files that `rustfmt` leaves
//! unchanged before the fixes are formatted after them, with the project's `rustfmt.toml`, so a fix never
//! breaks a `cargo fmt --check` CI; files that were not formatted stay as the fixes left them.
//!
//! The scratch worktree is kept between runs in `target/suture/tree` (`validate::persistent_worktree`): files
//! that did not change keep their times, so the baseline of a second run is an incremental build, not a
//! rebuild of every workspace crate.
//!
//! Why `cargo check --workspace --all-targets --message-format=json`: the repository's own workspace,
//! features and targets decide what compiles, tests included; JSON gives each diagnostic's primary span,
//! through macro expansions, which is what blame needs. Output goes to a file, not a pipe: a real crate's
//! warnings exceed any in-memory cap, and a lost baseline warning would look new. `--keep-going`: without it
//! cargo starts nothing new after the first target that fails, so in a workspace where one target fails before
//! any fix (a nightly-only bench, a broken member) which targets were compiled depends on the order cargo
//! happened to take. Fixes elsewhere were then skipped as not compiled, or blamed for errors the baseline only
//! missed.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use engine::check::{Diagnostic, Edit, Verdict, new_diagnostics, settle};
use engine::{Engine, Fix, FixConfig, SkipReason, Skipped, Validation};
use pattern::LibraryPattern;
use serde::Serialize;

use crate::fixing::FixReport;
use crate::library::Library;

/// What `--validate` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidateMode {
    /// Re-parse only; every fix says it was not compile-checked.
    None,
    /// `cargo check --workspace --all-targets`: no new error, no new warning.
    Check,
    /// `check`, then `cargo test --workspace`: nothing that passed may fail.
    Test,
}

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub mode: ValidateMode,
    /// Limit for each cargo run.
    pub timeout: Duration,
    /// Where the scratch builds go; kept between runs so that a re-run is an incremental build.
    pub target_dir: PathBuf,
    /// Passes of "check, then look again in what the survivors changed".
    pub max_passes: usize,
    /// Most compiler runs in all; a check that does not settle within them shows no fix of its pass.
    pub max_runs: usize,
}

/// What the check did, for every output.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub mode: ValidateMode,
    /// Whether the fixes shown were checked; when not, why.
    pub checked: bool,
    pub reason: Option<String>,
    /// Compiler runs, the baseline included, and their wall time.
    pub runs: usize,
    pub seconds: f64,
    /// The baseline run alone (the first build of the scratch tree).
    pub baseline_seconds: f64,
    /// Fixes backed out.
    pub backed_out: usize,
    /// Files rustfmt formatted after the fixes.
    pub formatted: Vec<String>,
    /// Things worth saying that are not failures (rustfmt missing, a file left unformatted).
    pub notes: Vec<String>,
}

impl CheckReport {
    fn unchecked(mode: ValidateMode, reason: String) -> CheckReport {
        CheckReport {
            mode,
            checked: false,
            reason: Some(reason),
            runs: 0,
            seconds: 0.0,
            baseline_seconds: 0.0,
            backed_out: 0,
            formatted: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Checks the fixes of `report` (found with `config`, one round) and keeps only those that compile with no
/// new diagnostic; backed-out fixes become skipped candidates with the compiler's messages. Fixes that
/// survive say `compiled` (or `tested`) and their confidence is the model's given that.
pub fn check_fixes(
    root: &Path,
    library: &Library,
    config: &FixConfig,
    report: &mut FixReport,
    options: &CheckOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<()> {
    // The fixes found again in later passes obey the same MSRVs as the first ones.
    let mut config = config.clone();
    for (file, msrv) in &report.msrv {
        config
            .msrv
            .entry(file.clone())
            .or_insert_with(|| msrv.clone());
    }
    let outcome = check_report(root, library, &config, report, options, progress)?;
    report.validation = Some(outcome);
    Ok(())
}

fn check_report(
    root: &Path,
    library: &Library,
    config: &FixConfig,
    report: &mut FixReport,
    options: &CheckOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<CheckReport> {
    if options.mode == ValidateMode::None {
        return Ok(CheckReport::unchecked(
            options.mode,
            "--validate none: not compile-checked".to_owned(),
        ));
    }
    if report.files.is_empty() {
        return Ok(CheckReport::unchecked(
            options.mode,
            "no fix to check".to_owned(),
        ));
    }
    if let Some(why) = cannot_check(root) {
        return Ok(CheckReport::unchecked(options.mode, why));
    }
    let root =
        std::fs::canonicalize(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    let started = Instant::now();
    // Kept between runs beside the builds, so that only what changed since the last run is rebuilt.
    let mut worktree = validate::persistent_worktree(&root, &options.target_dir.join("tree"))?;
    let scratch = tempfile::tempdir().context("cannot make a temporary directory")?;
    let json = scratch.path().join("cargo.json");
    let runner = Runner {
        dir: worktree.path.clone(),
        workspace: cargo_workspace_root(&worktree.path).unwrap_or_else(|| worktree.path.clone()),
        json: json.clone(),
        target_dir: options.target_dir.clone(),
        timeout: options.timeout,
    };
    progress("checking the tree without fixes (the first build of the scratch tree)");
    let mut baseline = match runner.check() {
        Ok(d) => d,
        Err(why) => {
            // The check was possible here and asked for: a fix it could not look at is not shown, as when
            // the check runs out of compiler runs.
            let why = why.to_string();
            for f in report.files.drain(..).flat_map(|file| file.fixes) {
                report.skipped.push(Skipped {
                    file: f.file,
                    line: f.start.line,
                    pattern: f.pattern,
                    reason: SkipReason::CheckDidNotRun(why.clone()),
                });
            }
            return Ok(CheckReport::unchecked(
                options.mode,
                format!("the baseline `cargo check` did not run: {why}; no fix is shown unchecked"),
            ));
        }
    };
    let baseline_seconds = started.elapsed().as_secs_f64();
    // The files the check compiles at all: a fix in a file that a feature or `cfg` leaves out would "pass"
    // without being looked at.
    let compiled = compiled_files(&options.target_dir, &runner.workspace, &runner.dir);
    let mut runs = 1;
    let mut backed_out = 0;
    // The disk texts, and the texts after the passes so far.
    let originals: BTreeMap<String, String> = report
        .files
        .iter()
        .map(|f| (f.file.clone(), f.original.clone()))
        .collect();
    let mut current = originals.clone();
    let mut kept_fixes: BTreeMap<String, Vec<Fix>> = BTreeMap::new();
    let mut refused: HashSet<(String, String, String)> = HashSet::new();
    let mut pass_fixes: Vec<Fix> = report.files.iter().flat_map(|f| f.fixes.clone()).collect();
    let patterns: Vec<&LibraryPattern> = library.patterns.iter().collect();
    let engine = Engine::new(&patterns, config);
    let mut tests_failed_note = None;
    // With `--validate test`, the tests that fail without any fix: only a test that passed may not fail. A
    // suite that does not run at all without the fixes (it needs features, a network) cannot vouch for them:
    // the fixes are then checked by the compiler only, and the report says so.
    let mut test_notes = Vec::new();
    let baseline_failures: Option<BTreeSet<String>> = if options.mode == ValidateMode::Test {
        progress("running `cargo test` on the tree without fixes");
        runs += 1;
        match runner.test() {
            TestRun::Ran { failed } => {
                if !failed.is_empty() {
                    test_notes.push(format!(
                        "{} tests fail without the fixes too (not counted against them): {}",
                        failed.len(),
                        failed
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                Some(failed)
            }
            TestRun::DidNotRun(why) => {
                test_notes.push(format!(
                    "`cargo test` does not run without the fixes ({why}); the fixes are checked with `cargo check` only"
                ));
                None
            }
        }
    } else {
        None
    };
    // Finishing a migration leaves its old item unused: that `dead_code` warning is the migration's goal,
    // not a regression, and is said in a note instead.
    let retired: Vec<String> = library
        .patterns
        .iter()
        .filter(|p| p.migration.is_some())
        .flat_map(|p| mine::migration::removed_names(&p.pattern))
        .map(|name| format!("`{name}`"))
        .collect();
    let mut unused: std::collections::BTreeSet<String> = Default::default();
    for pass in 1..=options.max_passes.max(1) {
        pass_fixes.retain(|f| {
            if compiled.contains(&f.file) {
                return true;
            }
            report.skipped.push(Skipped {
                file: f.file.clone(),
                line: f.start.line,
                pattern: f.pattern.clone(),
                reason: SkipReason::NotCompiled,
            });
            false
        });
        if pass_fixes.is_empty() {
            break;
        }
        progress(&format!(
            "checking {} fixes with `cargo check` (pass {pass})",
            pass_fixes.len()
        ));
        let edits: Vec<Edit> = pass_fixes
            .iter()
            .map(|f| Edit {
                file: f.file.clone(),
                range: f.start.byte..f.end.byte,
                replacement: f.after.clone(),
            })
            .collect();
        let earlier: BTreeMap<String, String> = current
            .iter()
            .filter(|(file, text)| originals.get(*file) != Some(*text))
            .map(|(f, t)| (f.clone(), t.clone()))
            .collect();
        let mut failure: Option<anyhow::Error> = None;
        let mut exhausted = false;
        let settled = settle(&current, &edits, |files| {
            if failure.is_some() {
                // Nothing more can be learned; end the settling quickly and report the failure below.
                return Verdict::Clean;
            }
            if runs >= options.max_runs {
                // Out of budget: every further verdict is "broken" without a run, so settling ends at once,
                // and the pass is reported as not checked below.
                exhausted = true;
                return Verdict::Broken(Vec::new());
            }
            runs += 1;
            let mut writes = earlier.clone();
            writes.extend(files.iter().map(|(f, t)| (f.clone(), t.clone())));
            let writes: Vec<(String, String)> = writes.into_iter().collect();
            let result = worktree
                .reset()
                .and_then(|()| worktree.write_files(&writes))
                .map_err(anyhow::Error::from)
                .and_then(|()| runner.check().map_err(|e| anyhow::anyhow!(e)));
            match result {
                Ok(after) => {
                    let mut fresh = |baseline: &[Diagnostic]| -> Vec<Diagnostic> {
                        new_diagnostics(baseline, &after)
                            .into_iter()
                            .filter(|d| d.level == "error" || d.level == "warning")
                            .filter(|d| {
                                let retiring = d.code.as_deref() == Some("dead_code")
                                    && retired.iter().any(|name| d.message.contains(name.as_str()));
                                if retiring {
                                    unused.insert(format!("{} ({}:{})", d.message, d.file, d.line));
                                }
                                !retiring
                            })
                            .collect()
                    };
                    let mut new = fresh(&baseline);
                    if new
                        .iter()
                        .any(|d| !writes.iter().any(|(f, _)| *f == d.file))
                    {
                        // A message in a file no fix touched may only be printed when its crate is rebuilt
                        // (the fixed crate's dependents are; in the baseline they may have been fresh). Check
                        // the same files again with their original text, so that the same crates rebuild,
                        // and count what that prints as baseline too.
                        runs += 1;
                        let same: Vec<(String, String)> = writes
                            .iter()
                            .map(|(f, _)| {
                                (f.clone(), originals.get(f).cloned().unwrap_or_default())
                            })
                            .collect();
                        let refreshed = worktree
                            .reset()
                            .and_then(|()| worktree.write_files(&same))
                            .map_err(|e| e.to_string())
                            .and_then(|()| runner.check());
                        if let Ok(again) = refreshed {
                            let extra = new_diagnostics(&baseline, &again);
                            baseline.extend(extra);
                            new = fresh(&baseline);
                        }
                        // How many times rustc repeats a message in a file no fix touched depends on what
                        // was rebuilt (macro expansions in dependents), not on the fix: a message the
                        // baseline already has there is not new, whatever the count.
                        new.retain(|d| {
                            writes.iter().any(|(f, _)| *f == d.file)
                                || !baseline.iter().any(|b| {
                                    b.file == d.file
                                        && b.level == d.level
                                        && b.code == d.code
                                        && b.message == d.message
                                })
                        });
                    }
                    if !new.is_empty() {
                        return Verdict::Broken(new);
                    }
                    if let Some(before) = &baseline_failures {
                        runs += 1;
                        match runner.test() {
                            TestRun::Ran { failed } => {
                                let broken: Vec<&String> = failed.difference(before).collect();
                                if !broken.is_empty() {
                                    tests_failed_note = Some(format!(
                                        "tests that passed without the fixes fail: {}",
                                        broken
                                            .iter()
                                            .take(5)
                                            .map(|s| s.as_str())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    ));
                                    return Verdict::Broken(Vec::new());
                                }
                            }
                            TestRun::DidNotRun(why) => {
                                tests_failed_note = Some(why);
                                return Verdict::Broken(Vec::new());
                            }
                        }
                    }
                    Verdict::Clean
                }
                Err(e) => {
                    // A check that cannot run says nothing about the fixes; treat the set as broken so that
                    // nothing unchecked is shown, and report why.
                    failure.get_or_insert(e);
                    Verdict::Broken(Vec::new())
                }
            }
        });
        if let Some(e) = failure {
            worktree.reset().ok();
            return Err(e.context("a `cargo check` of the fixes could not run"));
        }
        if exhausted {
            for f in &pass_fixes {
                report.skipped.push(Skipped {
                    file: f.file.clone(),
                    line: f.start.line,
                    pattern: f.pattern.clone(),
                    reason: SkipReason::CheckBudget {
                        runs: options.max_runs,
                    },
                });
            }
            break;
        }
        for (i, diagnostics) in &settled.backed_out {
            let f = &pass_fixes[*i];
            backed_out += 1;
            refused.insert((f.file.clone(), f.pattern.clone(), f.before.clone()));
            report.skipped.push(Skipped {
                file: f.file.clone(),
                line: f.start.line,
                pattern: f.pattern.clone(),
                reason: SkipReason::DoesNotCompile(
                    diagnostics
                        .iter()
                        .map(|d| format!("{d} at {}:{}", d.file, d.line))
                        .collect(),
                ),
            });
        }
        let kept: Vec<usize> = settled.kept.clone();
        let (patched, _) = engine::check::patch_set(&current, &edits, &kept);
        let validation = if baseline_failures.is_some() {
            Validation::Tested
        } else {
            Validation::Compiled
        };
        for &i in &kept {
            let mut fix = pass_fixes[i].clone();
            fix.round = pass;
            fix.validation = validation;
            if let Some(p) = library.pattern(&fix.pattern) {
                let outcomes = config
                    .outcomes
                    .get(&fix.pattern)
                    .copied()
                    .unwrap_or_default();
                fix.confidence = config.model.validated(p, &fix, validation, outcomes);
            }
            kept_fixes.entry(fix.file.clone()).or_default().push(fix);
        }
        current.extend(patched.clone());
        // Look again in the files this pass changed: a fix may have enabled another (a match nested in it).
        pass_fixes = Vec::new();
        if pass < options.max_passes {
            for (file, text) in &patched {
                let outcome = engine.fix_text(file, text, config);
                pass_fixes.extend(outcome.fixes.fixes.into_iter().filter(|f| {
                    !refused.contains(&(f.file.clone(), f.pattern.clone(), f.before.clone()))
                }));
            }
        }
    }
    worktree.reset().ok();
    // Format what the fixes touched, where the project's files were formatted before.
    let mut formatted = Vec::new();
    let mut notes = Vec::new();
    for (file, text) in current.iter_mut() {
        let original = &originals[file];
        if text == original {
            continue;
        }
        match rustfmt(&runner.dir, file, original) {
            Ok(Some(same)) if same == *original => match rustfmt(&runner.dir, file, text) {
                Ok(Some(pretty)) => {
                    if pretty != *text {
                        formatted.push(file.clone());
                    }
                    *text = pretty;
                }
                Ok(None) | Err(_) => notes.push(format!(
                    "{file}: rustfmt could not format the fixed file; left as the fixes wrote it"
                )),
            },
            Ok(Some(_)) => notes.push(format!(
                "{file}: not rustfmt-formatted before the fixes, so not formatted after them"
            )),
            Ok(None) => notes.push(format!("{file}: rustfmt rejects the file; not formatted")),
            Err(why) => {
                notes.push(format!(
                    "rustfmt did not run ({why}); fixes are not formatted"
                ));
                break;
            }
        }
    }
    notes.extend(test_notes);
    if let Some(why) = tests_failed_note {
        notes.push(format!("a `cargo test` run failed during bisection: {why}"));
    }
    for warning in unused {
        notes.push(format!(
            "finishing a migration leaves its old item unused: {warning}; not counted against the fixes (remove the item once nothing needs it)"
        ));
    }
    // The report now holds what survived.
    for file in &mut report.files {
        file.fixes = kept_fixes.remove(&file.file).unwrap_or_default();
        file.patched = current
            .get(&file.file)
            .cloned()
            .unwrap_or_else(|| file.original.clone());
        file.alternatives.clear();
    }
    report.files.retain(|f| !f.fixes.is_empty());
    engine::rank(&mut report.files, &mut report.skipped);
    drop(worktree);
    Ok(CheckReport {
        mode: options.mode,
        checked: true,
        reason: None,
        runs,
        seconds: started.elapsed().as_secs_f64(),
        baseline_seconds,
        backed_out,
        formatted,
        notes,
    })
}

/// Why the fixes under `root` cannot be compile-checked, if they cannot: the check needs the root of a Cargo
/// workspace (or package) inside a git repository, for the scratch worktree.
pub fn cannot_check(root: &Path) -> Option<String> {
    if !root.is_dir() || !root.join("Cargo.toml").is_file() {
        return Some(format!(
            "no Cargo.toml in `{}`: not compile-checked",
            root.display()
        ));
    }
    if git::discover(root).is_none() {
        return Some(
            "not a git repository, so no scratch worktree: not compile-checked".to_owned(),
        );
    }
    None
}

/// Runs cargo in the scratch tree.
struct Runner {
    dir: PathBuf,
    /// The directory of the workspace's root manifest as cargo sees it from `dir` (cargo prints paths
    /// relative to it), asked once.
    workspace: PathBuf,
    json: PathBuf,
    target_dir: PathBuf,
    timeout: Duration,
}

impl Runner {
    fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "CARGO_TARGET_DIR".to_owned(),
                self.target_dir.display().to_string(),
            ),
            ("CARGO_TERM_COLOR".to_owned(), "never".to_owned()),
            ("SUTURE_JSON".to_owned(), self.json.display().to_string()),
        ]
    }

    /// `cargo check`'s diagnostics (errors and warnings in this tree), or why it did not run to the end.
    fn check(&self) -> Result<Vec<Diagnostic>, String> {
        let step = validate::Step {
            name: "cargo check".to_owned(),
            program: "sh".to_owned(),
            args: vec![
                "-c".to_owned(),
                "cargo check --workspace --all-targets --keep-going --message-format=json >\"$SUTURE_JSON\""
                    .to_owned(),
            ],
            timeout: self.timeout,
            env: self.env(),
            must_pass: Vec::new(),
        };
        let result = validate::run_step(&self.dir, &step);
        match &result.outcome {
            // A failed check (errors) still reports its diagnostics; only a run that did not finish is not a
            // verdict.
            validate::Outcome::Passed | validate::Outcome::Failed { .. } => {}
            validate::Outcome::TimedOut => {
                return Err(format!("timed out after {} s", self.timeout.as_secs()));
            }
            validate::Outcome::NotStarted { error } => return Err(error.clone()),
            validate::Outcome::TestsMissing { .. } => {}
        }
        let text = std::fs::read_to_string(&self.json)
            .map_err(|e| format!("cannot read cargo's JSON output: {e}"))?;
        let mut diagnostics = diagnostics_in(&text, &self.workspace, &self.dir);
        let rejected = result
            .stderr
            .lines()
            .find(|l| l.starts_with("error: could not compile `"));
        if matches!(result.outcome, validate::Outcome::Failed { .. })
            && !diagnostics.iter().any(|d| d.level == "error")
            && let Some(line) = rejected
        {
            // The compiler rejected a crate, but no message of it names a file of this tree (an error in a
            // macro's expansion, a file outside the workspace): still a compiler verdict, on no line of ours.
            diagnostics.push(Diagnostic {
                file: String::new(),
                line: 0,
                end_line: 0,
                level: "error".to_owned(),
                code: None,
                message: line.trim_start_matches("error: ").to_owned(),
            });
        }
        if matches!(result.outcome, validate::Outcome::Failed { .. })
            && !diagnostics.iter().any(|d| d.level == "error")
        {
            // cargo failed before compiling (a manifest error, a registry that cannot be reached).
            return Err(format!(
                "cargo failed without a compiler error: {}",
                result
                    .stderr
                    .lines()
                    .find(|l| l.starts_with("error"))
                    .unwrap_or("see its output")
            ));
        }
        Ok(diagnostics)
    }

    /// `cargo test --workspace --no-fail-fast` (every test binary runs, whatever failed before it): the tests
    /// that failed, by libtest name, or why the tests did not run.
    fn test(&self) -> TestRun {
        let step = validate::Step {
            name: "cargo test".to_owned(),
            program: "cargo".to_owned(),
            args: vec![
                "test".to_owned(),
                "--workspace".to_owned(),
                "--no-fail-fast".to_owned(),
            ],
            timeout: self.timeout,
            env: self.env(),
            must_pass: Vec::new(),
        };
        let result = validate::run_step(&self.dir, &step);
        test_run(&result)
    }
}

/// What one `cargo test` run said.
#[derive(Debug, PartialEq, Eq)]
enum TestRun {
    /// The tests ran; these failed (none when everything passed).
    Ran { failed: BTreeSet<String> },
    /// Nothing can be said of the tests: they did not build, the run timed out, cargo did not start.
    DidNotRun(String),
}

/// Reads a `cargo test` run: the failing tests from libtest's `test NAME ... FAILED` lines. A failed run with
/// no failing test named did not get to the tests (a build error), and says cargo's first error.
fn test_run(result: &validate::StepResult) -> TestRun {
    let failed: BTreeSet<String> = result.failed_tests.iter().cloned().collect();
    let stderr = &result.stderr;
    match &result.outcome {
        validate::Outcome::Passed => TestRun::Ran { failed },
        validate::Outcome::Failed { .. } if !failed.is_empty() => TestRun::Ran { failed },
        validate::Outcome::Failed { code } => TestRun::DidNotRun(
            stderr
                .lines()
                .find(|l| l.starts_with("error"))
                .map_or_else(|| format!("cargo test exited with {code:?}"), str::to_owned),
        ),
        other => TestRun::DidNotRun(format!("{other:?}")),
    }
}

/// The workspace files rustc compiled into `target_dir`, relative to `dir`, from the dep-info files cargo
/// leaves beside each crate (`debug/deps/*.d`). Workspace sources are listed relative to the workspace root;
/// dependencies' are absolute and are left out.
fn compiled_files(target_dir: &Path, workspace: &Path, dir: &Path) -> HashSet<String> {
    let mut files = HashSet::new();
    let Ok(entries) = std::fs::read_dir(target_dir.join("debug/deps")) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "d") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines() {
            let Some((_, deps)) = line.split_once(": ") else {
                continue;
            };
            for dep in deps.split_whitespace() {
                if dep.starts_with('/') || !dep.ends_with(".rs") {
                    continue;
                }
                if let Ok(relative) = workspace.join(dep).strip_prefix(dir) {
                    files.insert(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    files
}

/// The compiler messages of a `cargo --message-format=json` output, with files relative to `dir` (cargo
/// prints them relative to the workspace root, which may lie above `dir`).
fn diagnostics_in(text: &str, workspace: &Path, dir: &Path) -> Vec<Diagnostic> {
    let trace = trace::parse(text);
    let mut seen = HashSet::new();
    trace
        .diagnostics
        .into_iter()
        // `--all-targets` compiles a library twice (as itself and as its unit tests): one message each time.
        .filter(|d| {
            seen.insert((
                d.file.clone(),
                d.line,
                d.column,
                d.code.clone(),
                d.message.clone(),
            ))
        })
        .map(|d| {
            let absolute = workspace.join(&d.file);
            let file = absolute
                .strip_prefix(dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or(d.file);
            Diagnostic {
                file,
                line: d.line,
                end_line: d.end_line,
                level: d.level,
                code: d.code,
                message: d.message,
            }
        })
        .collect()
}

/// The directory of the workspace's root manifest, as cargo sees it from `dir`.
fn cargo_workspace_root(dir: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new("cargo")
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    manifest.parent().map(Path::to_path_buf)
}

/// `text` formatted by rustfmt as the file `file` of the tree at `dir` would be (its edition and the nearest
/// `rustfmt.toml`); `Ok(None)` when rustfmt rejects it; `Err` when rustfmt cannot run.
fn rustfmt(dir: &Path, file: &str, text: &str) -> Result<Option<String>, String> {
    use std::io::Write;
    let path = dir.join(file);
    let start = path.parent().unwrap_or(dir);
    let mut args = vec![
        "--edition".to_owned(),
        edition_of(start, dir),
        "--emit".to_owned(),
        "stdout".to_owned(),
        "--quiet".to_owned(),
    ];
    if let Some(config) = nearest(start, dir, &["rustfmt.toml", ".rustfmt.toml"]) {
        args.push("--config-path".to_owned());
        args.push(config.display().to_string());
    }
    let mut child = std::process::Command::new("rustfmt")
        .args(&args)
        .current_dir(start)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(text.as_bytes())
        .map_err(|e| format!("cannot write to rustfmt: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// The first of `names` found in `start` or a parent, up to `top`.
fn nearest(start: &Path, top: &Path, names: &[&str]) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for name in names {
            let candidate = d.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if d == top {
            break;
        }
        dir = d.parent();
    }
    None
}

/// The edition of the package a file belongs to: `edition = "…"` of the nearest `Cargo.toml` (or the
/// workspace's `[workspace.package]`), 2015 when none says, as cargo reads it.
fn edition_of(start: &Path, top: &Path) -> String {
    let mut dir = Some(start);
    let mut found = None;
    while let Some(d) = dir {
        if let Ok(manifest) = std::fs::read_to_string(d.join("Cargo.toml")) {
            if let Some(edition) = manifest
                .lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix("edition"))
                .and_then(|rest| rest.split('"').nth(1))
            {
                found = Some(edition.to_owned());
                break;
            }
            if manifest.contains("[package]") && !manifest.contains("edition.workspace") {
                break;
            }
        }
        if d == top {
            break;
        }
        dir = d.parent();
    }
    found.unwrap_or_else(|| "2015".to_owned())
}
