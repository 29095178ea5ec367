//! Measuring a library's precision on code it did not come from (`suture patterns measure`).
//!
//! Each pattern is applied wherever it matches in repositories that did not support it (no provenance entry
//! names the repository), at any confidence, and every application is checked by the compiler in the loop of
//! `suture fix` (`crate::checking`, `cargo check`, or `cargo test` too). An application is *right* when it
//! compiles with no new error or warning (and, with tests, keeps them passing); *proposed* counts every
//! application the check settled. Applications the check could not judge (a file the build does not compile, an
//! exhausted run budget) count in neither. The counts become the pattern's `measured` record, the base rate of
//! the confidence model, and the shipping bar is a Wilson lower bound on them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::checking::{CheckOptions, ValidateMode, check_fixes};
use crate::fixing::{FixConfig, SkipReason, propose_fixes};
use crate::library::Library;

/// One repository to measure on.
#[derive(Debug, Clone)]
pub struct MeasureRepo {
    /// A checkout (work tree) of the repository.
    pub path: PathBuf,
    /// The name provenance entries use for it (`owner/name`); patterns it supported are not measured there.
    pub name: String,
    /// The commit measured, for the record.
    pub commit: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MeasureOptions {
    pub mode: ValidateMode,
    /// Applications of one pattern measured per repository at most (the first ones in path order), so that
    /// one idiom-heavy repository neither dominates a pattern's figure nor the check's cost.
    pub max_per_repo: usize,
    /// Limit for each cargo run.
    pub timeout: std::time::Duration,
    /// Most cargo runs per repository.
    pub max_runs: usize,
    /// A pattern that has failed more often than this is not applied on the repositories that follow (it can no
    /// longer clear the bar, and broken applications are what makes a check expensive). `None`: never stop.
    pub stop_after_failures: Option<u32>,
    /// A file that keeps the counts after each repository (atomically), so that an interrupted measurement
    /// resumes where it stopped: repositories already in it (same name and commit) are not measured again.
    pub state: Option<PathBuf>,
}

/// A pattern's counts over all repositories measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PatternCounts {
    /// Applications that compiled (and passed the tests, when tests ran).
    pub right: u32,
    /// Applications the check settled: right plus broken.
    pub proposed: u32,
    /// Applications the check could not judge (not compiled by the build, run budget exhausted).
    pub unjudged: u32,
    /// `owner/name` → (right, proposed) there.
    pub by_repo: BTreeMap<String, (u32, u32)>,
    /// Not applied on the repositories after this one: it had failed too often to clear the bar.
    pub stopped_after: Option<String>,
}

impl PatternCounts {
    pub fn failed(&self) -> u32 {
        self.proposed - self.right
    }
}

/// What measuring found, per repository and per pattern.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MeasureReport {
    pub patterns: BTreeMap<String, PatternCounts>,
    /// Per repository: what the check said about its run (baseline, runs, or why it could not check).
    pub repos: Vec<RepoMeasure>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoMeasure {
    pub name: String,
    pub commit: Option<String>,
    /// Patterns not measured here because they were learned from this repository.
    pub excluded: usize,
    pub applications: usize,
    /// The check's own summary (or why it could not run); an unchecked repository contributes nothing.
    pub validation: String,
    pub checked: bool,
}

/// Measures every pattern of `library` on `repos`; `progress` hears what is going on.
pub fn measure_library(
    library: &Library,
    repos: &[MeasureRepo],
    options: &MeasureOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<MeasureReport> {
    let mut report = MeasureReport::default();
    if let Some(state) = options.state.as_ref().filter(|s| s.exists()) {
        let text = std::fs::read_to_string(state)
            .with_context(|| format!("cannot read `{}`", state.display()))?;
        report = serde_json::from_str(&text).with_context(|| {
            format!(
                "`{}` is not a measurement state file; remove it to start afresh",
                state.display()
            )
        })?;
        progress(&format!(
            "resuming from {}: {} repositories already measured",
            state.display(),
            report.repos.len()
        ));
    }
    for id in library.patterns.iter().map(|p| &p.id) {
        report.patterns.entry(id.clone()).or_default();
    }
    for repo in repos {
        if report
            .repos
            .iter()
            .any(|r| r.name == repo.name && r.commit == repo.commit)
        {
            continue;
        }
        let mut here = Library::default();
        let mut excluded = 0;
        let mut stopped = 0;
        for (pattern, file) in library.patterns.iter().zip(&library.files) {
            if pattern.provenance.iter().any(|p| p.repo == repo.name) {
                excluded += 1;
            } else if report.patterns[&pattern.id].stopped_after.is_some() {
                stopped += 1;
            } else {
                here.add(pattern.clone(), file.clone())?;
            }
        }
        progress(&format!(
            "{}: applying {} patterns ({excluded} learned here are not measured here, {stopped} failed too often)",
            repo.name,
            here.patterns.len()
        ));
        if here.patterns.is_empty() {
            continue;
        }
        let config = FixConfig {
            max_rounds: 1,
            ..FixConfig::default()
        };
        let mut fixes = propose_fixes(&repo.path, &here, &config)
            .with_context(|| format!("cannot scan `{}`", repo.path.display()))?;
        let mut taken: BTreeMap<String, usize> = BTreeMap::new();
        fixes.files.sort_by(|a, b| a.file.cmp(&b.file));
        for file in &mut fixes.files {
            file.fixes.retain(|f| {
                let n = taken.entry(f.pattern.clone()).or_default();
                *n += 1;
                *n <= options.max_per_repo
            });
        }
        fixes.files.retain(|f| !f.fixes.is_empty());
        let applications: usize = fixes.files.iter().map(|f| f.fixes.len()).sum();
        fixes.skipped.clear();
        let check = CheckOptions {
            mode: options.mode,
            timeout: options.timeout,
            target_dir: std::fs::canonicalize(&repo.path)
                .unwrap_or_else(|_| repo.path.clone())
                .join("target/suture"),
            max_passes: 1,
            max_runs: options.max_runs,
        };
        let outcome = check_fixes(
            &repo.path,
            &here,
            &config,
            &mut fixes,
            &check,
            &mut |what| progress(&format!("{}: {what}", repo.name)),
        );
        if let Err(e) = outcome {
            // One repository whose check cannot run says nothing about the patterns; the others still do.
            let why = format!("{e:#}");
            progress(&format!("{}: not measured: {why}", repo.name));
            report.repos.push(RepoMeasure {
                name: repo.name.clone(),
                commit: repo.commit.clone(),
                excluded,
                applications,
                validation: format!("not measured: {why}"),
                checked: false,
            });
            continue;
        }
        let validation = fixes.validation.as_ref();
        let checked = validation.is_some_and(|v| v.checked);
        report.repos.push(RepoMeasure {
            name: repo.name.clone(),
            commit: repo.commit.clone(),
            excluded,
            applications,
            validation: validation
                .map(|v| match &v.reason {
                    Some(why) => why.clone(),
                    None => format!(
                        "{} cargo runs in {:.0} s (baseline {:.0} s), {} backed out",
                        v.runs, v.seconds, v.baseline_seconds, v.backed_out
                    ),
                })
                .unwrap_or_default(),
            checked,
        });
        if !checked {
            continue;
        }
        for fix in fixes.fixes() {
            let counts = report.patterns.entry(fix.pattern.clone()).or_default();
            counts.right += 1;
            counts.proposed += 1;
            let r = counts.by_repo.entry(repo.name.clone()).or_default();
            r.0 += 1;
            r.1 += 1;
        }
        for skip in &fixes.skipped {
            let counts = report.patterns.entry(skip.pattern.clone()).or_default();
            match skip.reason {
                SkipReason::DoesNotCompile(_) => {
                    counts.proposed += 1;
                    counts.by_repo.entry(repo.name.clone()).or_default().1 += 1;
                }
                SkipReason::NotCompiled | SkipReason::CheckBudget { .. } => counts.unjudged += 1,
                _ => {}
            }
        }
        if let Some(limit) = options.stop_after_failures {
            for counts in report.patterns.values_mut() {
                if counts.stopped_after.is_none() && counts.failed() > limit {
                    counts.stopped_after = Some(repo.name.clone());
                }
            }
        }
        if let Some(state) = &options.state {
            crate::library::write_atomic(state, serde_json::to_string(&report)?.as_bytes())?;
        }
    }
    Ok(report)
}

/// A panic remedy measured on human panic fixes (`suture patterns measure-remedies`), in commits: a commit is
/// one decision of its maintainers, however many sites it changed ([`mine::OnFixes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyMeasure {
    /// The pattern's id.
    pub id: String,
    /// Commits with a human edit it matches (the commits it was learned from left out).
    pub commits: u32,
    /// … in which it writes the human's edit at every matched site.
    pub right: u32,
    /// Matched edits, and those written as the human did.
    pub sites: u32,
    pub right_sites: u32,
    /// Commits left out because the remedy was learned from them (and that it matches).
    pub left_out: u32,
}

/// One human edit of a history of panic fixes, as `suture mine --db` recorded it.
#[derive(Debug, Clone)]
pub struct RecordedFix {
    /// The commit that made it.
    pub commit: String,
    /// Its two sides, as a concrete pattern.
    pub edit: pattern::Pattern,
    /// What the function around it returned before the fix ([`engine::returns_at_edit`]); `None` when not
    /// read (no history given, or the edit not found in its file).
    pub returns: Option<Option<pattern::Returns>>,
}

/// The human edits recorded in a store by `suture mine --db` on a history of panic fixes: every edit of every
/// repository in it; the ones whose two sides no longer parse are dropped. With `history`, the repository
/// the store was mined from, each edit also says what its function returned before the fix.
pub fn recorded_fixes(
    store: &store::Store,
    history: Option<&git::Repo>,
) -> Result<Vec<RecordedFix>> {
    let mut fixes = Vec::new();
    let mut files = crate::mining::ParentFiles::default();
    for repo in store.repos()? {
        for e in store.edits(&repo)? {
            let kinds = (Some(e.before_kind.as_str()), Some(e.after_kind.as_str()));
            let Ok(edit) = pattern::Pattern::parse(&e.before, &e.after, kinds) else {
                continue;
            };
            let returns = match history {
                None => None,
                Some(git) => files.returns_at(git, &e.commit, &e.path, e.line, &e.before)?,
            };
            fixes.push(RecordedFix {
                commit: e.commit,
                edit,
                returns,
            });
        }
    }
    Ok(fixes)
}

/// Measures every panic remedy of `library` (a pattern with `panics`) on `fixes` ([`recorded_fixes`]): the
/// commits with an edit it matches, and those where it writes what the human wrote. A remedy is not measured
/// on the commits its provenance names (what it was learned from). A remedy that asks for a return type
/// (`returns`) is measured, when `by_returns`, only on the edits whose function returned it before the fix:
/// elsewhere it never applies. Other patterns are left out; so is a guard remedy, which inserts a statement
/// that no single edit shows (it matches nothing, see [`mine::on_fixes`]).
pub fn measure_remedies(
    library: &Library,
    fixes: &[RecordedFix],
    by_returns: bool,
) -> Vec<RemedyMeasure> {
    library
        .patterns
        .iter()
        .filter(|p| !p.panics.is_empty() && p.panics_when.is_none())
        .map(|p| {
            let learned_from = |commit: &str| p.provenance.iter().any(|s| s.commit == commit);
            let applies = |f: &RecordedFix| match (p.returns, f.returns) {
                (Some(want), Some(got)) if by_returns => want.admits(got),
                (Some(_), None) if by_returns => false,
                _ => true,
            };
            let (left_out, measured): (Vec<_>, Vec<_>) = fixes
                .iter()
                .filter(|f| applies(f))
                .map(|f| (f.commit.as_str(), &f.edit))
                .partition(|(commit, _)| learned_from(commit));
            let on = mine::on_fixes(&p.pattern, measured);
            RemedyMeasure {
                id: p.id.clone(),
                commits: on.commits,
                right: on.right,
                sites: on.sites,
                right_sites: on.right_sites,
                left_out: mine::on_fixes(&p.pattern, left_out).commits,
            }
        })
        .collect()
}

pub use mine::wilson_lower_bound;

/// The most failures a pattern may have among `applications` and still have a Wilson lower bound of at least
/// `bar`; `None` when even a clean record of that many cannot reach it.
pub fn failures_allowed(applications: u32, bar: f64, z: f64) -> Option<u32> {
    (0..=applications)
        .take_while(|&f| wilson_lower_bound(applications - f, applications, z) >= bar)
        .last()
}

/// The `measured.on` lines for a pattern's record: where, and how.
pub fn measured_on(
    counts: &PatternCounts,
    repos: &[RepoMeasure],
    mode: ValidateMode,
) -> Vec<String> {
    let how = match mode {
        ValidateMode::Test => "cargo check + cargo test",
        _ => "cargo check (no new error or warning)",
    };
    let mut on = vec![format!("suture patterns measure, {how}")];
    if let Some(repo) = &counts.stopped_after {
        on.push(format!(
            "stopped after {repo}: too many failures to clear the bar"
        ));
    }
    for (name, (right, proposed)) in &counts.by_repo {
        let commit = repos
            .iter()
            .find(|r| &r.name == name)
            .and_then(|r| r.commit.as_deref())
            .map(|c| format!("@{}", &c[..c.len().min(10)]))
            .unwrap_or_default();
        on.push(format!("{name}{commit}: {right} of {proposed}"));
    }
    on
}

/// Whether a directory looks like a checkout the measurement can use.
pub fn is_checkout(path: &Path) -> bool {
    path.join("Cargo.toml").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_lower_bound_matches_the_textbook_values() {
        // 10 of 10 at 95% is only 0.72: ten clean applications are not yet evidence of 90% precision.
        assert!((wilson_lower_bound(10, 10, 1.96) - 0.7225).abs() < 1e-3);
        // 35 of 35 is the first all-clean count whose bound reaches 0.9.
        assert!(wilson_lower_bound(35, 35, 1.96) >= 0.9);
        assert!(wilson_lower_bound(34, 34, 1.96) < 0.9);
        assert!((wilson_lower_bound(45, 50, 1.96) - 0.7864).abs() < 1e-3);
        assert_eq!(wilson_lower_bound(0, 0, 1.96), 0.0);
    }

    #[test]
    fn failures_allowed_is_the_last_count_that_clears_the_bar() {
        assert_eq!(failures_allowed(10, 0.9, 1.96), None);
        assert_eq!(failures_allowed(35, 0.9, 1.96), Some(0));
        let f = failures_allowed(80, 0.9, 1.96).unwrap();
        assert!(wilson_lower_bound(80 - f, 80, 1.96) >= 0.9);
        assert!(wilson_lower_bound(80 - f - 1, 80, 1.96) < 0.9);
    }
}
