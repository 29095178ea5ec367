//! Reviewing a pull request: the fixes on its added lines, as ```suggestion comments and a check run.
//!
//! The work splits into steps so that the server can put each where it belongs: [`fetch`] reads the pull
//! request's files and their text at the head commit (network), [`find_fixes`] runs the fix engine on them
//! (CPU, run on a blocking thread), [`post_suggestions`] sends one review and [`post_check_run`] one check
//! run (network). What lies between (dropping ignored fingerprints, ranking by each pattern's acceptance,
//! recording what was suggested) needs the store, so the caller does it, with [`rank`].
//!
//! Choices: the engine runs one round only, so every fix's position refers to the text at the head commit
//! (later rounds rewrite already patched text, which a suggestion on the original lines cannot express).
//! A fix is kept when it touches at least one added line: suture reviews what the pull request changed,
//! not the code around it. Fixes whose lines overlap are merged into one suggestion, because GitHub applies
//! suggestions line by line and two suggestions on one line would conflict. A fingerprint names a fix
//! independently of line numbers, so it stays the same across pushes and `@suture ignore` keeps working.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result};
use engine::{Outcomes, Probability};
use github::{Annotation, ChangedFile, CheckRun, GitHub, RepoId, Suggestion};
use pattern::LibraryPattern;
use pipeline::{Engine, Fix, FixConfig, Library};
use sha2::{Digest, Sha256};
use store::server::PatternStats;

use crate::ranking;

/// Limits and names for a review.
#[derive(Debug, Clone)]
pub struct ReviewConfig {
    /// At most this many suggestions in all; the rest are only annotated in the check run.
    pub max_suggestions: usize,
    /// At most this many comments per review request. The default equals the cap, so a pull request gets
    /// one review; a smaller batch splits it into several.
    pub batch: usize,
    /// Fixes with a lower probability (after the pattern's PR record) are not proposed.
    pub min_confidence: f64,
    /// The confidence model (the binary passes the shipped calibration and parameters).
    pub model: engine::ConfidenceModel,
    /// The check run's name.
    pub check_name: String,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            max_suggestions: 50,
            batch: 50,
            min_confidence: engine::DEFAULT_MIN_PROBABILITY,
            model: engine::ConfidenceModel::default(),
            check_name: "suture".to_owned(),
        }
    }
}

/// A pull request's changed files and the text of each changed Rust file at the head commit.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub files: Vec<ChangedFile>,
    /// Path → text at the head commit, for changed `.rs` files that still exist.
    pub texts: BTreeMap<String, String>,
}

/// One fix proposed on a pull request.
#[derive(Debug, Clone)]
pub struct PrFix {
    pub fix: Fix,
    pub fingerprint: String,
}

/// What [`post_suggestions`] sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggested {
    /// Suggestions posted in the review.
    pub posted: usize,
    /// Fixes not suggested because an earlier push's review already suggested them.
    pub already: usize,
    /// Suggestions left out (over the cap, or on lines GitHub does not accept comments on).
    pub unposted: Vec<Suggestion>,
}

/// sha256 hex of (repo, path, pattern id, before text): the same fix keeps its fingerprint when lines move.
pub fn fingerprint(repo: &str, path: &str, pattern: &str, before: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [repo, path, pattern, before] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// How many file texts are fetched at once: enough to hide latency, few enough to stay far below
/// GitHub's secondary rate limits.
const FETCH_CONCURRENCY: usize = 8;

/// Reads the pull request's files and the text of its changed Rust files at `head_sha` (several at once).
pub async fn fetch(gh: &GitHub, repo: &RepoId, number: u64, head_sha: &str) -> Result<Snapshot> {
    let files = gh
        .pull_request_files(repo, number)
        .await
        .with_context(|| format!("cannot list the files of {repo}#{number}"))?;
    let wanted: Vec<String> = files
        .iter()
        .filter(|f| f.filename.ends_with(".rs") && f.status != "removed")
        .map(|f| f.filename.clone())
        .collect();
    let permits = Arc::new(tokio::sync::Semaphore::new(FETCH_CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for path in wanted {
        let (gh, repo, sha, permits) = (
            gh.clone(),
            repo.clone(),
            head_sha.to_owned(),
            Arc::clone(&permits),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let text = gh
                .file_text(&repo, &path, &sha)
                .await
                .with_context(|| format!("cannot read {path} at {sha}"));
            (path, text)
        });
    }
    let mut texts = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        let (path, text) = done?;
        if let Some(text) = text? {
            texts.insert(path, text);
        }
    }
    Ok(Snapshot { files, texts })
}

/// The fix engine's configuration for reviews: one round, so positions refer to the head commit's text; the
/// patterns' PR records (`outcomes`) are evidence for the confidence model.
pub fn fix_config(config: &ReviewConfig, outcomes: HashMap<String, Outcomes>) -> FixConfig {
    FixConfig {
        max_rounds: 1,
        min_confidence: Probability::new(config.min_confidence),
        model: config.model.clone(),
        outcomes,
        ..FixConfig::default()
    }
}

/// Runs the fix engine on every changed Rust file and keeps the fixes that touch added lines. CPU-bound.
pub fn find_fixes(
    library: &Library,
    repo: &RepoId,
    snapshot: &Snapshot,
    config: &ReviewConfig,
    stats: &[PatternStats],
) -> Vec<PrFix> {
    let fix_config = fix_config(config, ranking::outcomes(stats));
    let patterns: Vec<&LibraryPattern> = library.patterns.iter().collect();
    let engine = Engine::new(&patterns, &fix_config);
    let repo = repo.to_string();
    let mut out = Vec::new();
    for file in &snapshot.files {
        let Some(text) = snapshot.texts.get(&file.filename) else {
            continue;
        };
        let added: BTreeSet<u32> = file.added_lines().into_iter().collect();
        if added.is_empty() {
            continue;
        }
        for fix in engine
            .fix_text(&file.filename, text, &fix_config)
            .fixes
            .fixes
        {
            if !(fix.start.line..=fix.end.line).any(|line| added.contains(&line)) {
                continue;
            }
            out.push(PrFix {
                fingerprint: fingerprint(&repo, &fix.file, &fix.pattern, &fix.before),
                fix,
            });
        }
    }
    out
}

/// Sorts fixes best first (probability, ties by position).
pub fn rank(fixes: &mut [PrFix]) {
    fixes.sort_by(|a, b| {
        b.fix
            .confidence
            .total_cmp(&a.fix.confidence)
            .then_with(|| a.fix.file.cmp(&b.fix.file))
            .then_with(|| a.fix.start.byte.cmp(&b.fix.start.byte))
    });
}

/// The suggestions for `fixes`: fixes on overlapping lines of one file become one suggestion that replaces
/// those whole lines. Ordered by the best fix each holds, as `fixes` is.
pub fn suggestions(snapshot: &Snapshot, fixes: &[PrFix]) -> Vec<Suggestion> {
    // Group by file, then merge runs of overlapping line ranges.
    let mut by_file: BTreeMap<&str, Vec<(usize, &PrFix)>> = BTreeMap::new();
    for (rank, f) in fixes.iter().enumerate() {
        by_file.entry(&f.fix.file).or_default().push((rank, f));
    }
    let mut groups: Vec<(usize, Suggestion)> = Vec::new();
    for (path, mut in_file) in by_file {
        let Some(text) = snapshot.texts.get(path) else {
            continue;
        };
        in_file.sort_by_key(|(_, f)| f.fix.start.byte);
        let mut run: Vec<(usize, &PrFix)> = Vec::new();
        for item in in_file {
            let overlaps = run
                .iter()
                .map(|(_, f)| f.fix.end.line)
                .max()
                .is_some_and(|end| item.1.fix.start.line <= end);
            if !run.is_empty() && !overlaps {
                groups.push(suggestion(path, text, &run));
                run.clear();
            }
            run.push(item);
        }
        if !run.is_empty() {
            groups.push(suggestion(path, text, &run));
        }
    }
    groups.sort_by_key(|(rank, _)| *rank);
    groups.into_iter().map(|(_, s)| s).collect()
}

/// One suggestion replacing the whole lines `run` covers; returns it with the best rank in the run.
fn suggestion(path: &str, text: &str, run: &[(usize, &PrFix)]) -> (usize, Suggestion) {
    let first = run.iter().map(|(_, f)| f.fix.start.byte).min().unwrap_or(0);
    let last = run.iter().map(|(_, f)| f.fix.end.byte).max().unwrap_or(0);
    let line_start = text[..first].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[last..].find('\n').map_or(text.len(), |i| last + i);
    let fixes: Vec<&Fix> = run.iter().map(|(_, f)| &f.fix).collect();
    let replacement = splice(&text[line_start..line_end], line_start, &fixes);
    let body = run
        .iter()
        .map(|(_, f)| explanation(f))
        .collect::<Vec<_>>()
        .join("\n");
    let start_line = run.iter().map(|(_, f)| f.fix.start.line).min().unwrap_or(1);
    let line = run.iter().map(|(_, f)| f.fix.end.line).max().unwrap_or(1);
    let best = run.iter().map(|(rank, _)| *rank).min().unwrap_or(0);
    (
        best,
        Suggestion {
            path: path.to_owned(),
            start_line,
            line,
            replacement,
            body,
        },
    )
}

/// Applies non-overlapping fixes to `text`, which starts at byte `offset` of the file the fixes refer to.
fn splice(text: &str, offset: usize, fixes: &[&Fix]) -> String {
    let edits: Vec<patch::TextEdit> = fixes
        .iter()
        .map(|f| patch::TextEdit {
            range: f.start.byte - offset..f.end.byte - offset,
            replacement: f.after.clone(),
        })
        .collect();
    patch::apply(text, &edits)
}

/// The new text of each file the fixes touch (for `@suture apply`), keyed by path.
pub fn patched_files(snapshot: &Snapshot, fixes: &[PrFix]) -> BTreeMap<String, String> {
    let mut by_file: BTreeMap<&str, Vec<&Fix>> = BTreeMap::new();
    for f in fixes {
        by_file.entry(&f.fix.file).or_default().push(&f.fix);
    }
    by_file
        .into_iter()
        .filter_map(|(path, fixes)| {
            let text = snapshot.texts.get(path)?;
            Some((path.to_owned(), splice(text, 0, &fixes)))
        })
        .collect()
}

/// One line saying what a fix does and why, above its suggestion block.
fn explanation(f: &PrFix) -> String {
    format!(
        "**suture** `{}` (confidence {}, {}): {}",
        f.fix.pattern,
        f.fix.confidence,
        f.fix.validation.describe(),
        f.fix.reason
    )
}

/// One annotation per fix, for the check run.
pub fn annotations(fixes: &[PrFix]) -> Vec<Annotation> {
    fixes
        .iter()
        .map(|f| Annotation {
            path: f.fix.file.clone(),
            start_line: f.fix.start.line,
            end_line: f.fix.end.line,
            level: "notice".to_owned(),
            message: format!(
                "replace `{}` with `{}` (confidence {}): {}",
                one_line(&f.fix.before),
                one_line(&f.fix.after),
                f.fix.confidence,
                f.fix.reason
            ),
            title: Some(format!("suture: {}", f.fix.pattern)),
        })
        .collect()
}

fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 120 {
        format!("{}…", joined.chars().take(120).collect::<String>())
    } else {
        joined
    }
}

/// Posts one review of suggestions (batched and capped by `github`) for the fixes not in `already` (suggested
/// on an earlier push). The check run is [`post_check_run`]'s, a separate step, so that the caller can record
/// what was suggested in between: a retry after a failed check run then does not suggest it all again.
// The pull request (repo, number, head), what was found (snapshot, fixes, already suggested) and how to post
// it: each is needed, and a struct around them would only be built to call this.
#[allow(clippy::too_many_arguments)]
pub async fn post_suggestions(
    gh: &GitHub,
    repo: &RepoId,
    number: u64,
    head_sha: &str,
    snapshot: &Snapshot,
    fixes: &[PrFix],
    already: &BTreeSet<String>,
    config: &ReviewConfig,
) -> Result<Suggested> {
    let new: Vec<PrFix> = fixes
        .iter()
        .filter(|f| !already.contains(&f.fingerprint))
        .cloned()
        .collect();
    let repeated = fixes.len() - new.len();
    let suggestions = suggestions(snapshot, &new);
    let unposted = if suggestions.is_empty() {
        Vec::new()
    } else {
        gh.post_review(
            repo,
            number,
            head_sha,
            &snapshot.files,
            &suggestions,
            config.batch.max(1),
            config.max_suggestions,
        )
        .await
        .with_context(|| format!("cannot post the review on {repo}#{number}"))?
    };
    Ok(Suggested {
        posted: suggestions.len() - unposted.len(),
        already: repeated,
        unposted,
    })
}

/// A completed check run on `head_sha` annotating every fix, its summary saying what `suggested` posted.
/// Returns its id.
pub async fn post_check_run(
    gh: &GitHub,
    repo: &RepoId,
    head_sha: &str,
    fixes: &[PrFix],
    suggested: &Suggested,
    config: &ReviewConfig,
) -> Result<u64> {
    let check = CheckRun {
        name: config.check_name.clone(),
        head_sha: head_sha.to_owned(),
        conclusion: if fixes.is_empty() {
            "success"
        } else {
            "neutral"
        }
        .to_owned(),
        title: match fixes.len() {
            0 => "No fixes on the changed lines".to_owned(),
            1 => "1 fix suggested".to_owned(),
            n => format!("{n} fixes suggested"),
        },
        summary: summary(
            fixes.len(),
            suggested.posted,
            suggested.already,
            &suggested.unposted,
        ),
        annotations: annotations(fixes),
    };
    gh.create_check_run(repo, &check)
        .await
        .with_context(|| format!("cannot create the check run on {repo}@{head_sha}"))
}

fn summary(n_fixes: usize, posted: usize, repeated: usize, unposted: &[Suggestion]) -> String {
    let mut out = format!(
        "suture found {n_fixes} fix(es) on the lines this pull request adds and posted {posted} suggestion(s) in a review."
    );
    if repeated > 0 {
        out.push_str(&format!(
            " {repeated} were suggested on an earlier push and not again (`@suture recreate` suggests everything anew)."
        ));
    }
    if !unposted.is_empty() {
        out.push_str(&format!(
            "\n\n{} more suggestion(s) were not posted (over the cap, or outside the diff):\n",
            unposted.len()
        ));
        for s in unposted {
            out.push_str(&format!(
                "\n- `{}` lines {}–{}: {}",
                s.path, s.start_line, s.line, s.body
            ));
        }
    }
    out.push_str("\n\nComment `@suture explain`, `@suture apply`, `@suture ignore` or `@suture recreate` on the pull request.");
    out
}

/// The `@suture explain` comment: each fix's pattern, confidence and the commits the pattern was learned from.
pub fn explain(library: &Library, fixes: &[PrFix]) -> String {
    if fixes.is_empty() {
        return "suture has no fixes on the lines this pull request adds.".to_owned();
    }
    let mut out = format!("suture proposes {} fix(es):\n", fixes.len());
    for f in fixes {
        out.push_str(&format!(
            "\n- `{}` line {}: pattern `{}`, confidence {} ({}; {}). {}",
            f.fix.file,
            f.fix.start.line,
            f.fix.pattern,
            f.fix.confidence,
            f.fix.basis,
            f.fix.validation.describe(),
            f.fix.reason
        ));
        let pattern = library.patterns.iter().find(|p| p.id == f.fix.pattern);
        match pattern.map(|p| &p.provenance) {
            Some(provenance) if !provenance.is_empty() => {
                out.push_str("\n  Learned from:");
                for p in provenance.iter().take(5) {
                    out.push_str(&format!(
                        " {}@{} (`{}`:{})",
                        p.repo,
                        short(&p.commit),
                        p.path,
                        p.line
                    ));
                }
                if provenance.len() > 5 {
                    out.push_str(&format!(" and {} more", provenance.len() - 5));
                }
            }
            _ => out.push_str("\n  Hand-written pattern: no commits."),
        }
    }
    out
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATTERN: &str = "id = \"m-t\"\norigin = \"mined\"\nbefore = \"$A.len() == 0\"\nafter = \"$A.is_empty()\"\nsupport = 5\nscore = 0.8\nprevalence = 0.9\nspecialisation = 0.9\n";
    const TEXT: &str = "fn f(v: &[u8]) -> bool {\n    v.len() == 0\n}\nfn g(a: &[u8], b: &[u8]) -> bool {\n    a.len() == 0 && b.len() == 0\n}\n";

    fn snapshot(patch: &str) -> Snapshot {
        Snapshot {
            files: vec![ChangedFile {
                filename: "src/lib.rs".into(),
                status: "modified".into(),
                patch: Some(patch.into()),
            }],
            texts: BTreeMap::from([("src/lib.rs".to_owned(), TEXT.to_owned())]),
        }
    }

    fn fixes(patch: &str) -> Vec<PrFix> {
        let library = pipeline::library_from_texts(&[("m-t.toml", PATTERN)]).unwrap();
        let repo = RepoId::new("o", "r");
        find_fixes(
            &library,
            &repo,
            &snapshot(patch),
            &ReviewConfig::default(),
            &[],
        )
    }

    #[test]
    fn only_fixes_on_added_lines_are_kept() {
        // Lines 4–6 added; line 2's fix is old code.
        let found = fixes(
            "@@ -1,3 +1,6 @@\n fn f(v: &[u8]) -> bool {\n     v.len() == 0\n }\n+fn g(a: &[u8], b: &[u8]) -> bool {\n+    a.len() == 0 && b.len() == 0\n+}\n",
        );
        let lines: Vec<u32> = found.iter().map(|f| f.fix.start.line).collect();
        assert_eq!(lines, vec![5, 5]);
        assert!(fixes("@@ -1,6 +1,6 @@\n-x\n+fn f(v: &[u8]) -> bool {\n").is_empty());
    }

    #[test]
    fn fixes_on_one_line_make_one_suggestion_over_the_whole_line() {
        let patch = "@@ -0,0 +1,6 @@\n+fn f(v: &[u8]) -> bool {\n+    v.len() == 0\n+}\n+fn g(a: &[u8], b: &[u8]) -> bool {\n+    a.len() == 0 && b.len() == 0\n+}\n";
        let mut found = fixes(patch);
        rank(&mut found);
        let s = suggestions(&snapshot(patch), &found);
        assert_eq!(s.len(), 2);
        let mut got: Vec<(u32, u32, &str)> = s
            .iter()
            .map(|s| (s.start_line, s.line, s.replacement.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                (2, 2, "    v.is_empty()"),
                (5, 5, "    a.is_empty() && b.is_empty()")
            ]
        );
        let patched = patched_files(&snapshot(patch), &found);
        assert_eq!(
            patched["src/lib.rs"],
            TEXT.replace(".len() == 0", ".is_empty()")
        );
    }

    #[test]
    fn fingerprints_ignore_line_numbers_and_separate_fields() {
        assert_eq!(
            fingerprint("o/r", "a.rs", "p", "x.len() == 0"),
            fingerprint("o/r", "a.rs", "p", "x.len() == 0")
        );
        assert_ne!(
            fingerprint("o/r", "ab", "c", "x"),
            fingerprint("o/r", "a", "bc", "x")
        );
        assert_eq!(fingerprint("o/r", "a.rs", "p", "x").len(), 64);
    }

    #[test]
    fn a_patterns_pr_record_is_evidence_for_the_model() {
        let patch = "@@ -0,0 +1,3 @@\n+fn f(v: &[u8]) -> bool {\n+    v.len() == 0\n+}\n";
        let library = pipeline::library_from_texts(&[("m-t.toml", PATTERN)]).unwrap();
        let repo = RepoId::new("o", "r");
        let with = |merged, closed| {
            let stats = [PatternStats {
                pattern: "m-t".into(),
                proposed: merged + closed,
                merged,
                closed,
            }];
            let found = find_fixes(
                &library,
                &repo,
                &snapshot(patch),
                &ReviewConfig::default(),
                &stats,
            );
            found[0].fix.confidence.get()
        };
        // The uncalibrated score 0.8, worth two observations: two closes halve it, merges raise it.
        assert_eq!(fixes(patch)[0].fix.confidence.get(), 0.8);
        assert_eq!(with(0, 2), 0.4);
        assert_eq!(with(2, 0), 0.9);
        assert_eq!(with(0, 0), 0.8);
    }
}
