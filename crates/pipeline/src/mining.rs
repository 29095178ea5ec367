//! `mine_repos`: git histories → concrete edits (cached in the store) → clusters → a ranked pattern library.
//!
//! Mining is incremental: each commit's edits are recorded in the store in the transaction that records the
//! fact that the commit was mined (the commits that are ready together share one), and a later run only
//! processes commits the store has not seen. The library is then rebuilt from the stored edits of the commits
//! in range, so a re-run with nothing new writes the same library. Several repositories can be mined into one
//! library; that is how the shipped library is made.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use mine::{ClusterConfig, MatchCounter, Origins, ScoreConfig, cluster, score, select};
use pattern::{Origin, Pattern, SerializablePattern, SerializableProvenance, Template};
use rayon::prelude::*;
use store::{MinedCommit, SkippedEdit, Store, StoredEdit};

use crate::extract::{ExtractConfig, extract_file_edits};

/// What a long step reports as it goes; the binary draws progress bars with it.
pub trait Progress: Sync {
    /// A new phase with `total` units of work (0 when unknown).
    fn phase(&self, name: &str, total: u64);
    fn inc(&self, n: u64);
    fn finish(&self);
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _: &str, _: u64) {}
    fn inc(&self, _: u64) {}
    fn finish(&self) {}
}

#[derive(Debug, Clone)]
pub struct RepoSpec {
    pub path: PathBuf,
    /// The name written into provenance, for example `tokio-rs/tokio`; defaults to the directory name.
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MineOptions {
    /// `A..B`, a single revision, or `None` for the history of HEAD.
    pub range: Option<String>,
    pub first_parent: bool,
    pub extract: ExtractConfig,
    pub limits: git::Limits,
    pub cluster: ClusterConfig,
    pub score: ScoreConfig,
    /// Most provenance entries written per pattern (the support count is always exact).
    pub max_provenance: usize,
    /// Which noise rules refuse candidates (toggles, renames, drops, test data).
    pub refuse: mine::RefuseConfig,
    /// Stored edits never learned from, as (commit, path, line): the held-out sites of an evaluation.
    pub held_out: BTreeSet<(String, String, u32)>,
    /// Read migrations in the history (a team's own, one repository): patterns whose fixes kept arriving
    /// while the old form remained get a `migration` record, and patterns a later commit undid are dropped.
    pub migrations: Option<mine::migration::MigrationConfig>,
    /// Leave-one-commit-out on the mined history, which chooses among the dendrogram's levels.
    pub loo: mine::LooConfig,
}

impl Default for MineOptions {
    fn default() -> Self {
        MineOptions {
            range: None,
            first_parent: false,
            extract: ExtractConfig::default(),
            limits: git::Limits {
                max_files: 10,
                ..git::Limits::default()
            },
            cluster: ClusterConfig::default(),
            score: ScoreConfig::default(),
            max_provenance: 20,
            refuse: mine::RefuseConfig::default(),
            held_out: BTreeSet::new(),
            migrations: None,
            loo: mine::LooConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RepoReport {
    pub name: String,
    pub path: PathBuf,
    pub shallow: bool,
    /// Non-merge commits in range.
    pub commits: usize,
    /// Of those, already in the store and skipped.
    pub already_mined: usize,
    /// Mined in this run.
    pub mined_now: usize,
    pub edits_now: usize,
    pub skipped_now: usize,
    /// Skip reasons of this run, most frequent first: (reason kind, count).
    pub skip_reasons: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MineReport {
    pub repos: Vec<RepoReport>,
    /// Stored edits of the commits in range, over all repositories.
    pub edits: usize,
    /// Edits whose stored templates no longer parse (for example after a grammar upgrade).
    pub unparsable_edits: usize,
    pub clusters: usize,
    pub patterns: usize,
    /// Files scanned for unfixed matches of the patterns.
    pub scanned_files: usize,
    /// Patterns dropped because they did not fix their own example or matched their own output.
    pub failed_examples: usize,
    /// Candidates not written because the level above them was measured at least as precise (leave one
    /// commit out).
    pub less_precise_levels: usize,
    /// Candidates refused as noise, by reason, most frequent first: (reason kind, count). See
    /// `mine::Refusal`: toggles, renames, drops of `?`/calls/operands/arguments, test data.
    pub refused: Vec<(String, usize)>,
    /// Migrations read in the history (with `MineOptions::migrations`): in progress, done, stalled.
    pub migrations: MigrationCounts,
    /// Wall time of each phase, in seconds.
    pub seconds: Timings,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MigrationCounts {
    pub in_progress: usize,
    pub done: usize,
    pub stalled: usize,
    /// Patterns dropped because a later commit undid their change.
    pub reverted: usize,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Timings {
    pub history: f64,
    pub load: f64,
    pub cluster: f64,
    pub scan: f64,
    /// Leave-one-commit-out folds.
    pub held_out: f64,
    /// Reading migrations (reverts, names, authors).
    pub migrations: f64,
}

/// A repository opened for mining.
struct Source {
    spec: RepoSpec,
    key: String,
    name: String,
    commits: Vec<git::CommitInfo>,
    head: String,
}

/// Mines `repos` into `store` and returns the library built from all stored edits of the commits in range.
pub fn mine_repos(
    repos: &[RepoSpec],
    store: &mut Store,
    options: &MineOptions,
    progress: &dyn Progress,
) -> Result<(Vec<SerializablePattern>, MineReport)> {
    if repos.is_empty() {
        bail!("no repository to mine");
    }
    let mut report = MineReport::default();
    let mut sources = Vec::new();
    for spec in repos {
        let repo = git::open(&spec.path)?;
        let key = std::fs::canonicalize(repo.path())
            .unwrap_or_else(|_| repo.path().to_path_buf())
            .display()
            .to_string();
        let name = spec
            .name
            .clone()
            .unwrap_or_else(|| default_name(repo.path()));
        let commits = repo
            .commits(options.range.as_deref(), options.first_parent)
            .with_context(|| format!("cannot list the commits of `{}`", spec.path.display()))?;
        let head = match options
            .range
            .as_deref()
            .map(|r| r.rsplit("..").next().unwrap_or(r))
        {
            Some(end) if !end.is_empty() => repo.resolve(end)?,
            _ => repo.head()?,
        };
        report.repos.push(RepoReport {
            name: name.clone(),
            path: spec.path.clone(),
            shallow: repo.is_shallow(),
            commits: commits.len(),
            ..RepoReport::default()
        });
        sources.push(Source {
            spec: spec.clone(),
            key,
            name,
            commits,
            head,
        });
    }
    let start = std::time::Instant::now();
    for (source, repo_report) in sources.iter().zip(&mut report.repos) {
        mine_history(source, store, options, progress, repo_report)?;
    }
    report.seconds.history = start.elapsed().as_secs_f64();
    let library = build_library(&sources, store, options, progress, &mut report)?;
    Ok((library, report))
}

fn default_name(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".git").map(str::to_owned).unwrap_or(name)
}

/// Mines the commits of one repository that the store has not seen, in parallel, recording the commits mined so
/// far in one transaction whenever the store is free.
fn mine_history(
    source: &Source,
    store: &mut Store,
    options: &MineOptions,
    progress: &dyn Progress,
    report: &mut RepoReport,
) -> Result<()> {
    let done = store.mined_commits(&source.key)?;
    let todo: Vec<&git::CommitInfo> = source
        .commits
        .iter()
        .filter(|c| !done.contains(&c.id))
        .collect();
    report.already_mined = source.commits.len() - todo.len();
    progress.phase(&format!("mining {}", source.name), todo.len() as u64);
    let mut reasons: HashMap<String, usize> = HashMap::new();
    // One repository handle per worker thread, opened once: opening reads the references.
    let handles: Vec<std::sync::Mutex<Option<git::Repo>>> = (0..rayon::current_num_threads())
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    // Workers mine commits in parallel and send them here; this thread records each one as it arrives, so
    // the store's writes overlap with mining and a crash loses at most the commits in flight.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<MinedCommit>>(64);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| -> Result<()> {
        let (handles, todo, stop) = (&handles, &todo, &stop);
        scope.spawn(move || {
            todo.par_iter().for_each_with(sender, |sender, commit| {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let slot = rayon::current_thread_index().unwrap_or(0) % handles.len();
                let mut handle = handles[slot].lock().expect("a mining thread panicked");
                let result = match &*handle {
                    Some(repo) => mine_commit(repo, commit, options),
                    None => match git::open(&source.spec.path) {
                        Ok(repo) => mine_commit(handle.insert(repo), commit, options),
                        Err(e) => Err(e.into()),
                    },
                };
                // The receiver hangs up only on an error, which it reports; the other workers then stop.
                if sender.send(result).is_err() {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
        });
        // The commits that arrived while the last batch was written are recorded together, in one transaction.
        let mut batch = Vec::new();
        while let Ok(first) = receiver.recv() {
            batch.push(first?);
            // A failed commit ends mining, after the commits mined before it are recorded.
            let mut failed = None;
            while batch.len() < 64
                && let Ok(next) = receiver.try_recv()
            {
                match next {
                    Ok(commit) => batch.push(commit),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            for commit in &batch {
                report.mined_now += 1;
                report.edits_now += commit.edits.len();
                report.skipped_now += commit.skipped.len();
                for s in &commit.skipped {
                    *reasons.entry(reason_kind(&s.reason)).or_default() += 1;
                }
            }
            store.record_commits(&source.key, &batch)?;
            progress.inc(batch.len() as u64);
            batch.clear();
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok(())
    })?;
    progress.finish();
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    report.skip_reasons = reasons;
    Ok(())
}

/// The reason with its numbers taken out, so that reasons can be counted by kind.
fn reason_kind(reason: &str) -> String {
    let head = reason.split(':').next().unwrap_or(reason);
    head.split_whitespace()
        .map(|w| {
            let rest = w.trim_start_matches(|c: char| c.is_ascii_digit());
            if rest.len() < w.len() {
                format!("N{rest}")
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn mine_commit(
    repo: &git::Repo,
    commit: &git::CommitInfo,
    options: &MineOptions,
) -> Result<MinedCommit> {
    let mut mined = MinedCommit {
        id: commit.id.clone(),
        time: commit.time,
        edits: Vec::new(),
        skipped: Vec::new(),
    };
    if commit.parent.is_none() {
        return Ok(mined);
    }
    let files = match repo.changed_rust_files(&commit.id, &options.limits) {
        Ok(files) => files,
        Err(git::Error::TooManyFiles { files, limit, .. }) => {
            // A sweeping change (a reformat, a rename across the tree) is not a fix to learn from, and
            // it would cost more than many small commits together.
            mined.skipped.push(SkippedEdit {
                commit: commit.id.clone(),
                path: String::new(),
                line: 0,
                reason: format!("commit modifies {files} Rust files, over the {limit}-file limit"),
            });
            return Ok(mined);
        }
        Err(e) => return Err(e.into()),
    };
    for file in files {
        let (before, after) = match (file.before.text(), file.after.text()) {
            (Some(b), Some(a)) => (b, a),
            _ => {
                let reason = file
                    .before
                    .reason()
                    .or(file.after.reason())
                    .unwrap_or_default();
                mined.skipped.push(SkippedEdit {
                    commit: commit.id.clone(),
                    path: file.path.clone(),
                    line: 0,
                    reason,
                });
                continue;
            }
        };
        let edits = extract_file_edits(before, after, &file.hunks, &options.extract);
        mined
            .edits
            .extend(edits.edits.into_iter().map(|e| StoredEdit {
                commit: commit.id.clone(),
                time: commit.time,
                path: file.path.clone(),
                line: e.line,
                before: e.before,
                after: e.after,
                before_kind: e.before_kind,
                after_kind: e.after_kind,
                parent_kind: e.parent_kind,
            }));
        mined
            .skipped
            .extend(edits.skipped.into_iter().map(|(line, reason)| SkippedEdit {
                commit: commit.id.clone(),
                path: file.path.clone(),
                line,
                reason,
            }));
    }
    Ok(mined)
}

/// Clusters the stored edits of all sources and ranks the resulting patterns.
fn build_library(
    sources: &[Source],
    store: &Store,
    options: &MineOptions,
    progress: &dyn Progress,
    report: &mut MineReport,
) -> Result<Vec<SerializablePattern>> {
    let start = std::time::Instant::now();
    let mut patterns = Vec::new();
    let mut provenance = Vec::new();
    let (mut commit_of, mut file_of, mut repo_of) = (Vec::new(), Vec::new(), Vec::new());
    let mut time_of = Vec::new();
    let mut parent_of: Vec<Option<String>> = Vec::new();
    let mut commit_ids: HashMap<String, usize> = HashMap::new();
    let mut file_ids: HashMap<(usize, String), usize> = HashMap::new();
    for (r, source) in sources.iter().enumerate() {
        let in_range: BTreeSet<&str> = source.commits.iter().map(|c| c.id.as_str()).collect();
        let edits: Vec<StoredEdit> = store
            .edits(&source.key)?
            .into_iter()
            .filter(|e| in_range.contains(e.commit.as_str()))
            .filter(|e| {
                options.held_out.is_empty()
                    || !(options.held_out).contains(&(e.commit.clone(), e.path.clone(), e.line))
            })
            .collect();
        report.edits += edits.len();
        let parsed: Vec<_> = edits
            .par_iter()
            .map(|e| {
                Pattern::parse(
                    &e.before,
                    &e.after,
                    (Some(&e.before_kind), Some(&e.after_kind)),
                )
                .ok()
            })
            .collect();
        for (edit, pattern) in edits.into_iter().zip(parsed) {
            let Some(pattern) = pattern else {
                report.unparsable_edits += 1;
                continue;
            };
            let next = commit_ids.len();
            commit_of.push(*commit_ids.entry(edit.commit.clone()).or_insert(next));
            let next = file_ids.len();
            file_of.push(*file_ids.entry((r, edit.path.clone())).or_insert(next));
            repo_of.push(r);
            time_of.push(edit.time);
            parent_of.push(edit.parent_kind);
            patterns.push(pattern);
            provenance.push(SerializableProvenance {
                repo: source.name.clone(),
                commit: edit.commit,
                path: edit.path,
                line: edit.line,
            });
        }
    }
    report.seconds.load = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    progress.phase("clustering", 0);
    // Buckets never merge, so they are clustered in parallel and joined in their deterministic order.
    let parts: Vec<(Vec<usize>, mine::Dendrogram)> = mine::buckets(&patterns)
        .into_par_iter()
        .map(|ids| {
            let subset: Vec<Pattern> = ids.iter().map(|&i| patterns[i].clone()).collect();
            let dendrogram = cluster(&subset, &options.cluster);
            (ids, dendrogram)
        })
        .collect();
    let mut dendrogram = mine::Dendrogram::default();
    for (ids, part) in parts {
        dendrogram.append(part, &ids);
    }
    report.clusters = dendrogram.clusters.len();
    let origins = Origins {
        commit: &commit_of,
        file: &file_of,
        repo: &repo_of,
    };
    let selected = select(&dendrogram, origins, &options.score);
    // Guards come from the edits under each candidate; the drop rule reads them, so they come first.
    mine::learn_guards(&mut dendrogram, &selected, &patterns);
    let parents: Vec<Option<&str>> = parent_of.iter().map(Option::as_deref).collect();
    mine::learn_within(&mut dendrogram, &selected, &parents);
    // In a team's own history a rename is worth keeping while the team is migrating, and only then: the
    // rename rule is applied after the migrations are read (below), to the patterns that are not one.
    let defer_renames = options.migrations.is_some() && options.refuse.renames;
    let rules = mine::RefuseConfig {
        renames: options.refuse.renames && !defer_renames,
    };
    let (selected, refused) = mine::refuse(&dendrogram, &selected, origins, &rules);
    let renames: std::collections::HashSet<usize> = if defer_renames {
        selected
            .iter()
            .copied()
            .filter(|&c| {
                matches!(
                    mine::refusal(&dendrogram.clusters[c].pattern, &options.refuse),
                    Some(mine::Refusal::Rename(_))
                )
            })
            .collect()
    } else {
        Default::default()
    };
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for (_, reason) in &refused {
        *reasons.entry(reason.kind()).or_default() += 1;
    }
    let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    report.refused = reasons;
    let candidates: Vec<&Pattern> = selected
        .iter()
        .map(|&c| &dendrogram.clusters[c].pattern)
        .collect();
    report.seconds.cluster = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let (unfixed, scanned, names) = count_unfixed(sources, &candidates, options, progress)?;
    report.seconds.scan = start.elapsed().as_secs_f64();
    report.scanned_files = scanned;
    let start = std::time::Instant::now();
    let loo = mine::leave_one_commit_out(&dendrogram, &selected, &patterns, origins, &options.loo);
    let (kept, dropped) = mine::prefer_precise_levels(&dendrogram, &selected, &loo, &unfixed);
    report.less_precise_levels = dropped;
    let (selected, unfixed, loo): (Vec<usize>, Vec<u32>, Vec<mine::Loo>) = (
        kept.iter().map(|&k| selected[k]).collect(),
        kept.iter().map(|&k| unfixed[k]).collect(),
        kept.iter().map(|&k| loo[k]).collect(),
    );
    report.seconds.held_out = start.elapsed().as_secs_f64();
    let mut scored = score(&dendrogram, &selected, &unfixed, origins, &options.score);
    let mut loo = loo;
    let migrations = match &options.migrations {
        Some(config) if sources.len() == 1 => {
            let mut commit_names = vec![String::new(); commit_ids.len()];
            for (id, &i) in &commit_ids {
                commit_names[i] = id.clone();
            }
            let history = History {
                source: &sources[0],
                patterns: &patterns,
                time: &time_of,
                commit: &commit_of,
                commit_ids: &commit_names,
                defined: &names.defined,
                deprecated: &names.deprecated,
            };
            let started = std::time::Instant::now();
            let migrations = read_migrations(&dendrogram, &scored, &history, config);
            report.seconds.migrations = started.elapsed().as_secs_f64();
            let mut kept = Vec::with_capacity(scored.len());
            let mut records = Vec::with_capacity(scored.len());
            let mut new_index = Vec::with_capacity(scored.len());
            let mut renamed = 0;
            let mut kept_at = Vec::with_capacity(scored.len());
            for (k, (s, verdict)) in scored.into_iter().zip(migrations).enumerate() {
                let record = match verdict {
                    Read::Reverted => {
                        report.migrations.reverted += 1;
                        new_index.push(None);
                        continue;
                    }
                    Read::Record(record) => {
                        match record.status {
                            pattern::MigrationStatus::InProgress => {
                                report.migrations.in_progress += 1
                            }
                            pattern::MigrationStatus::Done => report.migrations.done += 1,
                        }
                        Some(record)
                    }
                    Read::Stalled | Read::NotOne if renames.contains(&s.cluster) => {
                        renamed += 1;
                        new_index.push(None);
                        continue;
                    }
                    Read::Stalled => {
                        report.migrations.stalled += 1;
                        None
                    }
                    Read::NotOne => None,
                };
                new_index.push(Some(kept.len()));
                kept.push(s);
                kept_at.push(k);
                records.push(record);
            }
            let rename = mine::Refusal::Rename(String::new()).kind();
            for (reason, n) in [
                (
                    "reverted (a later commit undid the change)".to_owned(),
                    report.migrations.reverted,
                ),
                (rename, renamed),
            ] {
                match report.refused.iter_mut().find(|(r, _)| *r == reason) {
                    Some(entry) => entry.1 += n,
                    None if n > 0 => report.refused.push((reason, n)),
                    None => {}
                }
            }
            report
                .refused
                .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            // Parents are indices into the list: re-pointed past the dropped ones.
            for s in &mut kept {
                s.parent = s.parent.and_then(|p| new_index[p]);
            }
            scored = kept;
            loo = kept_at.iter().map(|&k| loo[k]).collect();
            records
        }
        _ => vec![None; scored.len()],
    };
    let ids: Vec<String> = scored
        .iter()
        .map(|s| pattern_id(&dendrogram.clusters[s.cluster].pattern))
        .collect();
    let returns_at = ReturnsAt::new(sources);
    let mut library: Vec<SerializablePattern> = scored
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let cluster = &dendrogram.clusters[s.cluster];
            let mut prov: Vec<SerializableProvenance> = cluster
                .edits
                .iter()
                .map(|&e| provenance[e].clone())
                .collect();
            prov.sort_by(|a, b| {
                (&a.repo, &a.commit, &a.path, a.line).cmp(&(&b.repo, &b.commit, &b.path, b.line))
            });
            prov.dedup();
            let prov = representative(prov, options.max_provenance);
            let p = &cluster.pattern;
            let held_out = (loo[k].folds > 0).then(|| pattern::HeldOut {
                commits: loo[k].folds,
                right: loo[k].right,
                wrong: loo[k].wrong,
                missed: loo[k].missed,
                false_edits: s.unfixed,
                precision: loo[k].precision_bound(s.unfixed).map(crate::round4),
            });
            let loo_line = held_out
                .as_ref()
                .map(|h| {
                    format!(
                        "; learned without each of {} commits it fixed {} of their {} sites as written \
                         ({} otherwise){}",
                        h.commits,
                        h.right,
                        h.right + h.wrong + h.missed,
                        h.wrong,
                        h.precision
                            .map(|p| format!(", held-out precision ≥ {p}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let guards: std::collections::BTreeMap<String, pattern::HoleClass> = p
                .guards
                .iter()
                .enumerate()
                .filter(|(_, g)| **g != pattern::HoleClass::Any)
                .map(|(h, &g)| (pattern::hole_display_name(h as pattern::HoleId), g))
                .collect();
            let remedy = mine::remedy_of(p);
            let returns = (remedy.effect == Some(pattern::Effect::Surfaces))
                .then(|| learn_returns(&cluster.edits, &provenance, &patterns, &returns_at))
                .flatten();
            let accessors: std::collections::BTreeMap<String, Vec<String>> = p
                .accessors
                .iter()
                .enumerate()
                .filter(|(h, m)| {
                    !m.is_empty() && p.guards.get(*h) == Some(&pattern::HoleClass::Accessor)
                })
                .map(|(h, m)| (pattern::hole_display_name(h as pattern::HoleId), m.clone()))
                .collect();
            SerializablePattern {
                id: ids[k].clone(),
                origin: Origin::Mined,
                description: Some(format!(
                    "learned from {} fixes ({} weighted sites) in {} files and {} commits; {} unfixed \
                     matches in the mined code{loo_line}",
                    s.fixed,
                    crate::round4(s.sites),
                    s.files,
                    s.support,
                    s.unfixed
                )),
                before: p.before.render(),
                after: p.after.render(),
                before_kind: Some(p.before.kind().to_owned()),
                after_kind: Some(p.after.kind().to_owned()),
                support: s.support,
                score: crate::round4(s.score),
                prevalence: crate::round4(s.prevalence),
                specialisation: crate::round4(s.specialisation),
                parent: s.parent.map(|p| ids[p].clone()),
                // A pattern that removes a panicking operation without surfacing it is a panic remedy, used
                // only where a trace reports that panic (mine::remedy); a migration is the team's own intent for
                // every site, so it stays general.
                panics: if remedy.only_for_reported_panics() && migrations[k].is_none() {
                    remedy.panics.iter().map(|&k| k.to_owned()).collect()
                } else {
                    Vec::new()
                },
                effect: remedy.effect,
                returns,
                panics_when: None,
                examples: crate::examples::synthesize_examples(
                    &p.before.render(),
                    &p.after.render(),
                    (Some(p.before.kind()), Some(p.after.kind())),
                    &guards,
                    p.within.as_deref(),
                    returns,
                ),
                guards,
                accessors,
                within: p.within.as_deref().map(str::to_owned),
                provenance: prov,
                measured: None,
                migration: migrations[k].clone(),
                held_out,
            }
        })
        .collect();
    // A template must read back as the same pattern; one that does not is dropped rather than written wrong.
    library.retain(|p| round_trips(p, &patterns_by_id(&dendrogram, &scored, &ids, &p.id)));
    // A pattern must fix its own example and leave its own output alone; one that does not would misfire.
    let before_examples = library.len();
    library.retain(|p| {
        pattern::LibraryPattern::try_from(p.clone()).is_ok_and(|lp| {
            crate::examples::test_examples(&[&lp])
                .iter()
                .all(|r| r.failure.is_none())
        })
    });
    report.failed_examples = before_examples - library.len();
    library.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    report.patterns = library.len();
    Ok(library)
}

fn patterns_by_id<'a>(
    dendrogram: &'a mine::Dendrogram,
    scored: &[mine::Scored],
    ids: &[String],
    id: &str,
) -> Option<&'a Pattern> {
    let k = ids.iter().position(|i| i == id)?;
    Some(&dendrogram.clusters[scored[k].cluster].pattern)
}

fn round_trips(file: &SerializablePattern, mined: &Option<&Pattern>) -> bool {
    let Some(mined) = mined else { return false };
    Pattern::parse(
        &file.before,
        &file.after,
        (file.before_kind.as_deref(), file.after_kind.as_deref()),
    )
    .is_ok_and(|p| p.hash() == mined.hash())
}

/// The files a commit changed, as they were at its parent, read once per commit: where the function around a
/// human edit is read from before the fix ([`engine::returns_at_edit`]).
#[derive(Default)]
pub(crate) struct ParentFiles {
    by_commit: HashMap<String, HashMap<String, String>>,
}

impl ParentFiles {
    /// What the function around the edit `before` at `path`:`line` of `commit` returned before it; `None`
    /// when the file or the edit in it cannot be found.
    pub(crate) fn returns_at(
        &mut self,
        repo: &git::Repo,
        commit: &str,
        path: &str,
        line: u32,
        before: &str,
    ) -> Result<Option<Option<pattern::Returns>>> {
        if !self.by_commit.contains_key(commit) {
            let texts = repo
                .changed_rust_files(commit, &git::Limits::default())
                .with_context(|| format!("cannot read the files of commit {commit}"))?
                .into_iter()
                .filter_map(|c| match c.before {
                    git::BlobText::Text(t) => Some((c.path, t)),
                    _ => None,
                })
                .collect();
            self.by_commit.insert(commit.to_owned(), texts);
        }
        Ok(self.by_commit[commit]
            .get(path)
            .and_then(|text| engine::returns_at_edit(text, line, before)))
    }
}

/// [`ParentFiles`] over the sources being mined, for the provenance of their edits.
struct ReturnsAt<'a> {
    sources: &'a [Source],
    repos: std::cell::RefCell<HashMap<usize, Option<git::Repo>>>,
    files: std::cell::RefCell<ParentFiles>,
}

impl<'a> ReturnsAt<'a> {
    fn new(sources: &'a [Source]) -> ReturnsAt<'a> {
        ReturnsAt {
            sources,
            repos: Default::default(),
            files: Default::default(),
        }
    }

    /// `None` when the repository, the file or the edit in it cannot be read.
    fn at(&self, site: &SerializableProvenance, before: &str) -> Option<Option<pattern::Returns>> {
        let r = self.sources.iter().position(|s| s.name == site.repo)?;
        let mut repos = self.repos.borrow_mut();
        let repo = repos
            .entry(r)
            .or_insert_with(|| git::open(&self.sources[r].spec.path).ok())
            .as_ref()?;
        self.files
            .borrow_mut()
            .returns_at(repo, &site.commit, &site.path, site.line, before)
            .ok()
            .flatten()
    }
}

/// What a surfacing edit (one that adds a `?`, an `Err` or a `None`) needs around it, learned from its
/// examples: it must return from the function, so at least `fallible`; when the functions around the examples
/// whose function could be read all returned the same kind before the fix (`option`, `result`,
/// `unit-result`), that kind. An example whose function returned neither (its commit changed the signature
/// too) says nothing about where the edit alone compiles, and is not counted. At most the first
/// [`MAX_RETURNS_EXAMPLES`] examples are read.
fn learn_returns(
    edits: &[usize],
    provenance: &[SerializableProvenance],
    patterns: &[Pattern],
    returns_at: &ReturnsAt<'_>,
) -> Option<pattern::Returns> {
    let kinds: Vec<pattern::Returns> = edits
        .iter()
        .take(MAX_RETURNS_EXAMPLES)
        .filter_map(|&e| {
            returns_at
                .at(&provenance[e], &patterns[e].before.text)
                .flatten()
        })
        .collect();
    Some(match kinds.first() {
        Some(&first) if kinds.iter().all(|&k| k == first) => first,
        _ => pattern::Returns::Fallible,
    })
}

/// How many examples of a cluster [`learn_returns`] reads at most: each costs reading its commit's files.
const MAX_RETURNS_EXAMPLES: usize = 32;

/// At most `max` provenance entries, chosen so that a truncated list still shows every repository and as
/// many commits as fit: first one site per commit, taking commits round-robin across repositories, then the
/// remaining sites. The input is sorted by repository and commit; so is the output.
fn representative(sorted: Vec<SerializableProvenance>, max: usize) -> Vec<SerializableProvenance> {
    let mut keyed = Vec::with_capacity(sorted.len());
    let (mut repo_idx, mut commit_idx, mut site_idx) = (0usize, 0usize, 0usize);
    for (i, p) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1].repo != p.repo {
            repo_idx += 1;
            commit_idx = 0;
            site_idx = 0;
        } else if i > 0 && sorted[i - 1].commit != p.commit {
            commit_idx += 1;
            site_idx = 0;
        } else if i > 0 {
            site_idx += 1;
        }
        keyed.push(((site_idx, commit_idx, repo_idx), i));
    }
    keyed.sort_unstable();
    let mut chosen: Vec<usize> = keyed.into_iter().take(max).map(|(_, i)| i).collect();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| sorted[i].clone()).collect()
}

/// A stable id from the pattern's structure.
pub fn pattern_id(pattern: &Pattern) -> String {
    format!("m-{:010x}", pattern.hash() >> 24)
}

/// Names the code at the end of the range defines, and those it marks `#[deprecated]`.
#[derive(Default)]
struct Names {
    /// How many items define each name.
    defined: HashMap<String, u32>,
    deprecated: HashSet<String>,
}

/// What [`read_migrations`] reads besides the dendrogram: the one source's edits, by index.
struct History<'a> {
    source: &'a Source,
    patterns: &'a [Pattern],
    time: &'a [i64],
    commit: &'a [usize],
    /// Commit index → full id.
    commit_ids: &'a [String],
    /// Names items define at the end of the range (how many times), and those marked `#[deprecated]`.
    defined: &'a HashMap<String, u32>,
    deprecated: &'a HashSet<String>,
}

/// A scored pattern read as a migration.
enum Read {
    Record(pattern::Migration),
    Stalled,
    Reverted,
    NotOne,
}

/// Each scored pattern classified by `mine::migration` from its fixes' times, its sites left at the end of
/// the range (`unfixed`), later edits that undid it, and deprecated names of its old form.
fn read_migrations(
    dendrogram: &mine::Dendrogram,
    scored: &[mine::Scored],
    history: &History<'_>,
    config: &mine::migration::MigrationConfig,
) -> Vec<Read> {
    use mine::migration::{MigrationEvidence, Verdict, classify, new_names, removed_names, undoes};
    // Edits by (before kind, after kind): an edit that undoes a pattern has the pattern's kinds swapped.
    let mut by_kinds: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (e, p) in history.patterns.iter().enumerate() {
        by_kinds
            .entry((p.before.kind(), p.after.kind()))
            .or_default()
            .push(e);
    }
    let authors: HashMap<&str, &str> = history
        .source
        .commits
        .iter()
        .map(|c| (c.id.as_str(), c.author.as_str()))
        .collect();
    let head_time = history
        .source
        .commits
        .iter()
        .map(|c| c.time)
        .max()
        .unwrap_or(0);
    scored
        .par_iter()
        .map(|s| {
            let cluster = &dendrogram.clusters[s.cluster];
            let p = &cluster.pattern;
            let mut fixes: Vec<(i64, usize)> = cluster
                .edits
                .iter()
                .map(|&e| (history.time[e], history.commit[e]))
                .collect();
            fixes.sort_unstable();
            fixes.dedup_by_key(|f| f.1);
            let first = fixes.first().map_or(0, |f| f.0);
            // An edit that undoes the pattern holds the after side's words before and the before side's
            // after: a substring test first, anti-unification only for what passes it.
            let (mut words_after, mut words_before) = (Vec::new(), Vec::new());
            p.after.root.literal_tokens(&mut words_after);
            p.before.root.literal_tokens(&mut words_before);
            let has = |text: &str, words: &[&str]| words.iter().all(|w| text.contains(w));
            let undone_at = by_kinds
                .get(&(p.after.kind(), p.before.kind()))
                .into_iter()
                .flatten()
                .filter(|&&e| history.time[e] >= first)
                .filter(|&&e| {
                    let edit = &history.patterns[e];
                    has(&edit.before.text, &words_after) && has(&edit.after.text, &words_before)
                })
                .filter(|&&e| undoes(p, &history.patterns[e]))
                .map(|&e| history.time[e])
                .max();
            let removed = removed_names(p);
            let names_changed = (removed.len(), new_names(p).len());
            let items = mine::migration::item_names(p);
            // A name every use of which goes through a path the repository does not define (`HashMap::new`
            // in a crate with `fn new`s of its own) names someone else's item.
            let uses = mine::migration::qualifiers(p);
            let own_path = |q: &Option<String>| match q.as_deref() {
                None | Some("Self" | "self" | "crate" | "super") => true,
                Some(q) => history.defined.contains_key(q),
            };
            let own_names: Vec<String> = removed
                .into_iter()
                .filter(|n| items.contains(n))
                .filter(|n| history.defined.contains_key(n))
                .filter(|n| uses.iter().any(|(name, q)| name == n && own_path(q)))
                .collect();
            let deprecated: Vec<String> = own_names
                .iter()
                .filter(|n| history.deprecated.contains(*n) && history.defined.get(*n) == Some(&1))
                .cloned()
                .collect();
            let evidence = MigrationEvidence {
                fix_times: fixes.iter().map(|f| f.0).collect(),
                migrated: cluster.edits.len() as u32,
                remaining: s.unfixed,
                names_changed,
                undone_at,
                own_names,
                deprecated: deprecated.clone(),
                head_time,
            };
            let status = match classify(&evidence, config) {
                Verdict::Reverted => return Read::Reverted,
                Verdict::Stalled => return Read::Stalled,
                Verdict::NotOne => return Read::NotOne,
                Verdict::InProgress => pattern::MigrationStatus::InProgress,
                Verdict::Done => pattern::MigrationStatus::Done,
            };
            let ids: Vec<&str> = fixes
                .iter()
                .map(|f| history.commit_ids[f.1].as_str())
                .collect();
            let mut names: Vec<String> = ids
                .iter()
                .filter_map(|id| authors.get(id).map(|a| (*a).to_owned()))
                .collect();
            names.sort_unstable();
            names.dedup();
            Read::Record(pattern::Migration {
                status,
                migrated: cluster.edits.len() as u32,
                remaining: s.unfixed,
                commits: fixes.len() as u32,
                authors: names,
                first,
                last: fixes.last().map_or(0, |f| f.0),
                started_by: ids.iter().take(3).map(|id| (*id).to_owned()).collect(),
                deprecated,
            })
        })
        .collect()
}

/// Counts matches of each template in the code at the end of the range of each source: code that was not
/// fixed. Files that contain none of the templates' rarest tokens are not parsed. With
/// `MineOptions::migrations`, also the names the items there define, and which are `#[deprecated]`.
fn count_unfixed(
    sources: &[Source],
    candidates: &[&Pattern],
    options: &MineOptions,
    progress: &dyn Progress,
) -> Result<(Vec<u32>, usize, Names)> {
    let mut counts = vec![0u32; candidates.len()];
    let mut names = Names::default();
    if candidates.is_empty() {
        return Ok((counts, 0, names));
    }
    let templates: Vec<&Template> = candidates.iter().map(|p| &p.before).collect();
    // The engine's index and the pieces it would parse: a site counted here is one `suture fix` would find,
    // and one it would find is counted (a function inside an item macro's body included).
    let index = pattern::Index::new(candidates.to_vec());
    let counter = MatchCounter::new(&templates)
        .within(candidates.iter().map(|p| p.within.as_deref()).collect());
    let mut scanned = 0;
    for source in sources {
        let repo = git::open(&source.spec.path)?;
        let files = repo.rust_files_at(&source.head, &options.limits)?;
        progress.phase(&format!("scanning {}", source.name), files.len() as u64);
        // Per file: the matches (when a needle is there), and the names it defines and deprecates.
        type PerFile = (Option<Vec<u32>>, (Vec<String>, Vec<String>));
        let partial: Vec<PerFile> = files
            .par_iter()
            .filter_map(|(_, blob)| {
                progress.inc(1);
                let text = blob.text()?;
                let names = if options.migrations.is_some() {
                    (
                        mine::migration::defined_names(text),
                        mine::migration::deprecated_names(text),
                    )
                } else {
                    Default::default()
                };
                let (possible, hits) = index.possible_with_hits(text);
                if possible.is_empty() {
                    return Some((None, names));
                }
                let mut counts = vec![0u32; counter.len()];
                for unit in engine::units(text, &index, &possible, hits.as_deref()) {
                    let found = counter.count_of(&unit.parse.tree, &possible);
                    for (total, n) in counts.iter_mut().zip(found) {
                        *total += n;
                    }
                }
                Some((Some(counts), names))
            })
            .collect();
        progress.finish();
        for (c, (defined, deprecated)) in partial {
            for name in defined {
                *names.defined.entry(name).or_default() += 1;
            }
            names.deprecated.extend(deprecated);
            if let Some(c) = c {
                scanned += 1;
                counts.iter_mut().zip(c).for_each(|(total, n)| *total += n);
            }
        }
    }
    Ok((counts, scanned, names))
}
