//! `commit_split`: the few-shot benchmark. From a history, take every commit that applies one change at several
//! sites, learn from half of each such commit's sites (and from the rest of the history), and ask the fix engine
//! to fix the other half in the files as they were before the commit.
//!
//! Why this and not only `suture eval`: eval asks whether later commits repeat earlier ones, which measures
//! how often history repeats itself more than how well few examples teach. A commit that makes one change at
//! four places is the few-shot case in its purest form: the held-out sites are known right answers, and the
//! training sites are two or three examples of exactly the same change. The split is deterministic: a change's
//! sites in (path, line) order, even positions for training, odd ones held out.
//!
//! "One change" is one change shape (root kinds and the tokens removed and added, as clustering buckets them).
//! A held-out site is *fixed* when one of the fixes the engine chooses for its file (whole-file run, no location
//! given) makes the file read as the human's change at that site did, ignoring whitespace. A *false edit* is a
//! chosen fix in those files that reproduces none of the commit's sites.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;
use pattern::{LibraryPattern, Pattern};
use serde::Serialize;
use store::{Store, StoredEdit};

use crate::fixing::{Engine, FixConfig};
use crate::mining::{MineOptions, Progress, RepoSpec, mine_repos};

#[derive(Debug, Clone)]
pub struct SplitOptions {
    pub mine: MineOptions,
    /// Fewest sites of one change in one commit for the commit to be a test.
    pub min_sites: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SplitReport {
    pub repo: String,
    /// Commits with a change at `min_sites` sites or more, and those changes.
    pub commits: usize,
    pub changes: usize,
    pub training_sites: usize,
    pub held_out: usize,
    /// Held-out sites reproduced exactly.
    pub fixed: usize,
    /// Chosen fixes in the held-out files that reproduce none of the commit's sites.
    pub false_edits: usize,
    /// Patterns learned (from the whole history minus the held-out sites).
    pub patterns: usize,
}

/// Runs the commit-split benchmark on `repo`'s whole history, caching the mining in `store`.
pub fn commit_split(
    repo: &Path,
    store: &mut Store,
    options: &SplitOptions,
    progress: &dyn Progress,
) -> Result<SplitReport> {
    let spec = RepoSpec {
        path: repo.to_path_buf(),
        name: None,
    };
    let specs = std::slice::from_ref(&spec);
    // Mine (or reuse) every commit's edits first: the split is chosen among them.
    let (_, first) = mine_repos(specs, store, &options.mine, progress)?;
    let key = crate::eval::store_key(repo);
    let mut by_change: BTreeMap<(String, String, String, Vec<String>), Vec<StoredEdit>> =
        BTreeMap::new();
    for e in store.edits(&key)? {
        let Ok(p) = Pattern::parse(
            &e.before,
            &e.after,
            (Some(&e.before_kind), Some(&e.after_kind)),
        ) else {
            continue;
        };
        let shape = (
            e.commit.clone(),
            p.before.kind().to_owned(),
            p.after.kind().to_owned(),
            mine::change_signature(&p),
        );
        by_change.entry(shape).or_default().push(e);
    }
    let mut report = SplitReport {
        repo: first
            .repos
            .first()
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        ..SplitReport::default()
    };
    let mut held_out: BTreeSet<(String, String, u32)> = BTreeSet::new();
    let mut tests: BTreeMap<String, Vec<StoredEdit>> = BTreeMap::new();
    let mut commits = BTreeSet::new();
    for ((commit, ..), mut sites) in by_change {
        if sites.len() < options.min_sites {
            continue;
        }
        sites.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        report.changes += 1;
        commits.insert(commit.clone());
        for (i, site) in sites.into_iter().enumerate() {
            if i % 2 == 1 {
                held_out.insert((site.commit.clone(), site.path.clone(), site.line));
                tests.entry(commit.clone()).or_default().push(site);
            } else {
                report.training_sites += 1;
            }
        }
    }
    report.commits = commits.len();
    report.held_out = held_out.len();
    let mut mine_options = options.mine.clone();
    mine_options.held_out = held_out;
    let (library, _) = mine_repos(specs, store, &mine_options, progress)?;
    let patterns: Vec<LibraryPattern> = library
        .into_iter()
        .filter_map(|p| LibraryPattern::try_from(p).ok())
        .collect();
    report.patterns = patterns.len();
    let refs: Vec<&LibraryPattern> = patterns.iter().collect();
    let config = FixConfig {
        max_rounds: 1,
        ..FixConfig::default()
    };
    let engine = Engine::new(&refs, &config);
    let git_repo = git::open(repo)?;
    // Every site of a test commit (training ones too): a fix that reproduces any of them is no false edit.
    let all_sites: BTreeMap<(String, String), Vec<StoredEdit>> = store
        .edits(&key)?
        .into_iter()
        .filter(|e| commits.contains(&e.commit))
        .fold(BTreeMap::new(), |mut m, e| {
            m.entry((e.commit.clone(), e.path.clone()))
                .or_default()
                .push(e);
            m
        });
    progress.phase("fixing held-out sites", tests.len() as u64);
    for (commit, sites) in &tests {
        progress.inc(1);
        let files = git_repo.changed_rust_files(commit, &options.mine.limits)?;
        let paths: BTreeSet<&str> = sites.iter().map(|s| s.path.as_str()).collect();
        for file in files.iter().filter(|f| paths.contains(f.path.as_str())) {
            let Some(before) = file.before.text() else {
                continue;
            };
            let outcome = engine.fix_text(&file.path, before, &config);
            let patched: Vec<String> = (outcome.fixes.fixes.iter())
                .map(|f| {
                    let edit = patch::TextEdit {
                        range: f.start.byte..f.end.byte,
                        replacement: f.after.clone(),
                    };
                    squeeze(&patch::apply(before, std::slice::from_ref(&edit)))
                })
                .collect();
            let human = |site: &StoredEdit| human_change(before, site).map(|t| squeeze(&t));
            for site in sites.iter().filter(|s| s.path == file.path) {
                if let Some(expected) = human(site)
                    && patched.contains(&expected)
                {
                    report.fixed += 1;
                }
            }
            let every: Vec<String> = all_sites
                .get(&(commit.clone(), file.path.clone()))
                .into_iter()
                .flatten()
                .filter_map(human)
                .collect();
            report.false_edits += patched.iter().filter(|p| !every.contains(p)).count();
        }
    }
    progress.finish();
    Ok(report)
}

/// The before file with one site's human change applied: its before text, found from the start of its line,
/// replaced by its after text.
fn human_change(before: &str, site: &StoredEdit) -> Option<String> {
    let line_start: usize = before
        .split_inclusive('\n')
        .take(site.line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let at = line_start + before.get(line_start..)?.find(&site.before)?;
    let mut out = String::with_capacity(before.len());
    out.push_str(&before[..at]);
    out.push_str(&site.after);
    out.push_str(&before[at + site.before.len()..]);
    Some(out)
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}
