//! `eval`: a Getafix-style evaluation. Learn from the history up to a split, then try to reproduce each later
//! small fix with its location given, and measure top-1 / top-5 exact matches and calibration.
//!
//! A hunk counts as reproduced when applying a candidate to the file as it was before the commit makes the
//! hunk's lines read as the human wrote them, ignoring whitespace. Every figure is reported twice: over all
//! small hunks after the split (the honest denominator: most small commits are semantic changes no pattern can
//! predict), and over the *recurring* ones: hunks whose concrete edit anti-unifies with edits from at least two
//! commits before the split into a pattern the miner could have learned (applicable, changing something, with a
//! meaningful token, and keeping the edit's change: the same tokens removed and added).
//!
//! Every top-1 candidate is also a calibration sample (its raw score, and whether it was right): `suture
//! calibrate` fits the score → confidence map on the samples of some repositories and checks it on others.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use mine::calibrate::{Bucket, Calibration, Sample, reliability};
use pattern::{LibraryPattern, Pattern, anti_unify};
use serde::Serialize;
use store::Store;

use crate::extract::{ExtractConfig, extract_file_edits};
use crate::fixing::{Engine, FixConfig, Location};
use crate::mining::{MineOptions, Progress, RepoSpec, mine_repos};

#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The last commit learned from.
    pub split: String,
    /// Hunks with more changed lines than this on either side are not evaluated.
    pub max_lines: u32,
    pub mine: MineOptions,
    /// Candidates considered per hunk for top-k.
    pub top: usize,
    /// The score → confidence map whose calibration is reported (the shipped one by default).
    pub calibration: Option<Calibration>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Rates {
    pub hunks: usize,
    pub top1: usize,
    pub top5: usize,
    pub no_candidate: usize,
    /// Hunks with at least one candidate.
    pub proposed: usize,
}

impl Rates {
    fn add(&mut self, rank: Option<usize>, any: bool) {
        self.hunks += 1;
        if rank == Some(0) {
            self.top1 += 1;
        }
        if rank.is_some_and(|r| r < 5) {
            self.top5 += 1;
        }
        if any {
            self.proposed += 1;
        } else {
            self.no_candidate += 1;
        }
    }

    pub fn rate(n: usize, of: usize) -> f64 {
        if of == 0 { 0.0 } else { n as f64 / of as f64 }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub commit: String,
    pub file: String,
    pub line: u32,
    pub human: String,
    /// The best candidate's result for the hunk, if any.
    pub best: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    /// The repository's directory name.
    pub repo: String,
    pub split: String,
    pub training_commits: usize,
    pub patterns: usize,
    pub test_commits: usize,
    pub all: Rates,
    pub recurring: Rates,
    /// Reliability of the top-1 candidates' confidence (calibrated when a map was given).
    pub calibration: Vec<Bucket>,
    /// Expected calibration error of that confidence.
    pub ece: f64,
    /// The same error for the raw score, before calibration.
    pub ece_raw: f64,
    /// Every top-1 candidate's raw score and whether it reproduced the human fix.
    pub samples: Vec<Sample>,
    /// A sample of misses (recurring hunks first), for reading.
    pub misses: Vec<Miss>,
    /// What one case (one evaluated hunk: extract it, scan its file at its lines, score the candidates)
    /// costs, in seconds, after the learning.
    pub case_seconds: CaseSeconds,
}

/// Wall time per evaluated case.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CaseSeconds {
    pub cases: usize,
    pub median: f64,
    pub p90: f64,
    pub max: f64,
}

impl CaseSeconds {
    fn of(mut times: Vec<f64>) -> CaseSeconds {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let i = ((times.len() as f64 - 1.0) * q).round() as usize;
            times.get(i).copied().map_or(0.0, crate::round4)
        };
        CaseSeconds {
            cases: times.len(),
            median: at(0.5),
            p90: at(0.9),
            max: at(1.0),
        }
    }
}

/// Runs the evaluation on `repo`, using `store` to cache the mining up to the split.
pub fn evaluate(
    repo: &Path,
    store: &mut Store,
    options: &EvalOptions,
    progress: &dyn Progress,
) -> Result<EvalReport> {
    let git_repo = git::open(repo)?;
    let split = git_repo.resolve(&options.split)?;
    let mut mine_options = options.mine.clone();
    mine_options.range = Some(split.clone());
    let spec = RepoSpec {
        path: repo.to_path_buf(),
        name: None,
    };
    let (library, mine_report) =
        mine_repos(std::slice::from_ref(&spec), store, &mine_options, progress)?;
    let patterns: Vec<LibraryPattern> = library
        .into_iter()
        .filter_map(|p| LibraryPattern::try_from(p).ok())
        .collect();
    let pattern_refs: Vec<&LibraryPattern> = patterns.iter().collect();
    // The shapes of the training edits, for the recurring subset.
    let key = store_key(repo);
    let training_commits: std::collections::HashSet<String> = git_repo
        .commits(Some(&split), false)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut shapes: HashMap<Shape, Vec<(Pattern, String)>> = HashMap::new();
    for e in store.edits(&key)? {
        if !training_commits.contains(&e.commit) {
            continue;
        }
        if let Ok(p) = Pattern::parse(
            &e.before,
            &e.after,
            (Some(&e.before_kind), Some(&e.after_kind)),
        ) {
            shapes.entry(shape(&p)).or_default().push((p, e.commit));
        }
    }
    let later = git_repo.commits(Some(&format!("{split}..HEAD")), false)?;
    progress.phase("evaluating", later.len() as u64);
    let mut report = EvalReport {
        repo: std::fs::canonicalize(repo)
            .unwrap_or_else(|_| repo.to_path_buf())
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        split,
        training_commits: mine_report.repos.first().map_or(0, |r| r.commits),
        patterns: patterns.len(),
        test_commits: later.len(),
        ..EvalReport::default()
    };
    let mut top1: Vec<Sample> = Vec::new();
    let mut misses_recurring = Vec::new();
    let mut misses_other = Vec::new();
    let engine = Engine::new(&pattern_refs, &FixConfig::default());
    let extract = ExtractConfig {
        max_hunk_lines: options.max_lines,
        ..ExtractConfig::default()
    };
    let mut case_times = Vec::new();
    for commit in &later {
        progress.inc(1);
        let Ok(files) = git_repo.changed_rust_files(&commit.id, &options.mine.limits) else {
            continue;
        };
        for file in files {
            let (Some(before), Some(after)) = (file.before.text(), file.after.text()) else {
                continue;
            };
            for hunk in &file.hunks {
                if hunk.before_len.max(hunk.after_len) > options.max_lines || hunk.before_len == 0 {
                    continue;
                }
                let started = std::time::Instant::now();
                let human = hunk_text(after, hunk.after_start, hunk.after_len);
                let recurring =
                    extract_file_edits(before, after, std::slice::from_ref(hunk), &extract)
                        .edits
                        .iter()
                        .filter_map(|e| {
                            Pattern::parse(
                                &e.before,
                                &e.after,
                                (Some(&e.before_kind), Some(&e.after_kind)),
                            )
                            .ok()
                        })
                        .any(|p| recurs(&p, &shapes));
                let locations: Vec<Location> = (hunk.before_start
                    ..hunk.before_start + hunk.before_len)
                    .map(|line| Location {
                        file: file.path.clone(),
                        line,
                        source: "evaluated hunk".to_owned(),
                        step: None,
                    })
                    .collect();
                let config = FixConfig {
                    locations,
                    keep_alternatives: true,
                    only_on_locations: true,
                    max_rounds: 1,
                    ..FixConfig::default()
                };
                let fixes = engine.fix_text(&file.path, before, &config).fixes;
                let mut candidates: Vec<_> = fixes
                    .fixes
                    .iter()
                    .chain(&fixes.alternatives)
                    .filter(|f| {
                        f.start.line < hunk.before_start + hunk.before_len
                            && f.end.line >= hunk.before_start
                    })
                    .collect();
                candidates.sort_by(|a, b| {
                    b.score
                        .get()
                        .total_cmp(&a.score.get())
                        .then(a.start.byte.cmp(&b.start.byte))
                });
                candidates.truncate(options.top);
                let results: Vec<String> = candidates
                    .iter()
                    .map(|c| {
                        let edit = patch::TextEdit {
                            range: c.start.byte..c.end.byte,
                            replacement: c.after.clone(),
                        };
                        let patched = patch::apply(before, std::slice::from_ref(&edit));
                        let delta = patched.lines().count() as i64 - before.lines().count() as i64;
                        hunk_text(
                            &patched,
                            hunk.before_start,
                            (hunk.before_len as i64 + delta).max(0) as u32,
                        )
                    })
                    .collect();
                let rank = results.iter().position(|r| squeeze(r) == squeeze(&human));
                case_times.push(started.elapsed().as_secs_f64());
                report.all.add(rank, !candidates.is_empty());
                if recurring {
                    report.recurring.add(rank, !candidates.is_empty());
                }
                if let Some(best) = candidates.first() {
                    top1.push(Sample {
                        score: best.score.get(),
                        correct: rank == Some(0),
                    });
                }
                if rank != Some(0) {
                    let miss = Miss {
                        commit: commit.id.clone(),
                        file: file.path.clone(),
                        line: hunk.before_start,
                        human: human.clone(),
                        best: results.first().cloned(),
                    };
                    if recurring {
                        misses_recurring.push(miss)
                    } else {
                        misses_other.push(miss)
                    }
                }
            }
        }
    }
    progress.finish();
    let (table, ece) = reliability(&top1, |score| {
        options
            .calibration
            .as_ref()
            .map_or(score, |c| c.apply(score))
    });
    report.calibration = table
        .into_iter()
        .map(|b| Bucket {
            mean_confidence: crate::round4(b.mean_confidence),
            accuracy: crate::round4(b.accuracy),
            ..b
        })
        .collect();
    report.ece = crate::round4(ece);
    report.ece_raw = crate::round4(reliability(&top1, |score| score).1);
    report.samples = top1;
    report.case_seconds = CaseSeconds::of(case_times);
    report.misses = misses_recurring
        .into_iter()
        .chain(misses_other)
        .take(30)
        .collect();
    Ok(report)
}

pub(crate) fn store_key(repo: &Path) -> String {
    git::open(repo)
        .ok()
        .and_then(|r| std::fs::canonicalize(r.path()).ok())
        .unwrap_or_else(|| repo.to_path_buf())
        .display()
        .to_string()
}

/// The shape of an edit: its root kinds and the tokens it removes and adds.
type Shape = (String, String, Vec<String>);

fn shape(p: &Pattern) -> Shape {
    (
        p.before.kind().to_owned(),
        p.after.kind().to_owned(),
        mine::change_signature(p),
    )
}

/// Lines `start .. start + len` (1-based) of `text`.
fn hunk_text(text: &str, start: u32, len: u32) -> String {
    text.lines()
        .skip(start.saturating_sub(1) as usize)
        .take(len as usize)
        .collect::<Vec<_>>()
        .join("\n")
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether `edit` anti-unifies with edits from at least two training commits into a pattern the miner could
/// have learned: applicable, changing something, with a meaningful token, and keeping the edit's change.
/// Only edits of the same shape can keep the change, so only those are tried.
fn recurs(edit: &Pattern, shapes: &HashMap<Shape, Vec<(Pattern, String)>>) -> bool {
    let key = shape(edit);
    let Some(training) = shapes.get(&key) else {
        return false;
    };
    let mut commits = std::collections::HashSet::new();
    for (other, commit) in training {
        if commits.contains(commit.as_str()) {
            continue;
        }
        let general = anti_unify(edit, other);
        if general.is_applicable()
            && general.before.root.hash != general.after.root.hash
            && mine::has_meaningful_token(&general.before.root)
            && mine::change_signature(&general) == key.2
        {
            commits.insert(commit.as_str());
            if commits.len() >= 2 {
                return true;
            }
        }
    }
    false
}
