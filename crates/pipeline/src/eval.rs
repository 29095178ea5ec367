//! `eval`: a Getafix-style evaluation. Learn from the history up to a split, then try to reproduce each later
//! small fix with its location given, and measure top-1 / top-5 exact matches and calibration.
//!
//! A hunk counts as reproduced when applying a candidate to the file as it was before the commit makes the
//! hunk's lines read as the human wrote them, ignoring whitespace. Every figure is reported twice: over all
//! small hunks after the split (the honest denominator: most small commits are semantic changes no pattern can
//! predict), and over the *recurring* ones, whose concrete edit has the same shape (root kinds and change
//! signature) as at least two edits before the split.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use pattern::{LibraryPattern, Pattern};
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

/// One bucket of the calibration table: top-1 candidates whose confidence falls in `[low, high)`.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub low: f64,
    pub high: f64,
    pub n: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
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
    pub split: String,
    pub training_commits: usize,
    pub patterns: usize,
    pub test_commits: usize,
    pub all: Rates,
    pub recurring: Rates,
    pub calibration: Vec<Bucket>,
    /// Expected calibration error of the top-1 candidates.
    pub ece: f64,
    /// A sample of misses (recurring hunks first), for reading.
    pub misses: Vec<Miss>,
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
    let mut shapes: HashMap<(String, String, Vec<String>), usize> = HashMap::new();
    for e in store.edits(&key)? {
        if !training_commits.contains(&e.commit) {
            continue;
        }
        if let Ok(p) = Pattern::parse(
            &e.before,
            &e.after,
            (Some(&e.before_kind), Some(&e.after_kind)),
        ) {
            *shapes.entry(shape(&p)).or_default() += 1;
        }
    }
    let later = git_repo.commits(Some(&format!("{split}..HEAD")), false)?;
    progress.phase("evaluating", later.len() as u64);
    let mut report = EvalReport {
        split,
        training_commits: mine_report.repos.first().map_or(0, |r| r.commits),
        patterns: patterns.len(),
        test_commits: later.len(),
        ..EvalReport::default()
    };
    let mut top1: Vec<(f64, bool)> = Vec::new();
    let mut misses_recurring = Vec::new();
    let mut misses_other = Vec::new();
    let engine = Engine::new(&pattern_refs, &FixConfig::default());
    let extract = ExtractConfig {
        max_hunk_lines: options.max_lines,
        ..ExtractConfig::default()
    };
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
                        .any(|p| shapes.get(&shape(&p)).copied().unwrap_or(0) >= 2);
                let locations: Vec<Location> = (hunk.before_start
                    ..hunk.before_start + hunk.before_len)
                    .map(|line| Location {
                        file: file.path.clone(),
                        line,
                        source: "evaluated hunk".to_owned(),
                    })
                    .collect();
                let config = FixConfig {
                    locations,
                    keep_alternatives: true,
                    only_on_locations: true,
                    max_rounds: 1,
                    ..FixConfig::default()
                };
                let (fixes, _) = engine.fix_text(&file.path, before, &config);
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
                    b.confidence
                        .total_cmp(&a.confidence)
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
                report.all.add(rank, !candidates.is_empty());
                if recurring {
                    report.recurring.add(rank, !candidates.is_empty());
                }
                if let Some(best) = candidates.first() {
                    top1.push((best.confidence, rank == Some(0)));
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
    report.calibration = calibration(&top1);
    report.ece = ece(&report.calibration, top1.len());
    report.misses = misses_recurring
        .into_iter()
        .chain(misses_other)
        .take(30)
        .collect();
    Ok(report)
}

fn store_key(repo: &Path) -> String {
    git::open(repo)
        .ok()
        .and_then(|r| std::fs::canonicalize(r.path()).ok())
        .unwrap_or_else(|| repo.to_path_buf())
        .display()
        .to_string()
}

/// The shape of an edit: its root kinds and the tokens it removes and adds.
fn shape(p: &Pattern) -> (String, String, Vec<String>) {
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

fn calibration(top1: &[(f64, bool)]) -> Vec<Bucket> {
    (0..10)
        .map(|b| {
            let (low, high) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
            let inside: Vec<&(f64, bool)> = top1
                .iter()
                .filter(|(c, _)| *c >= low && (*c < high || (b == 9 && *c <= 1.0)))
                .collect();
            let n = inside.len();
            let mean = if n == 0 {
                0.0
            } else {
                inside.iter().map(|(c, _)| c).sum::<f64>() / n as f64
            };
            let acc = if n == 0 {
                0.0
            } else {
                inside.iter().filter(|(_, ok)| *ok).count() as f64 / n as f64
            };
            Bucket {
                low,
                high,
                n,
                mean_confidence: crate::round4(mean),
                accuracy: crate::round4(acc),
            }
        })
        .collect()
}

fn ece(buckets: &[Bucket], total: usize) -> f64 {
    if total == 0 {
        return 0.0;
    }
    crate::round4(
        buckets
            .iter()
            .map(|b| b.n as f64 / total as f64 * (b.accuracy - b.mean_confidence).abs())
            .sum(),
    )
}
