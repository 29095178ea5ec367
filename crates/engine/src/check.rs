//! Checking candidate fixes with the compiler, planned as values: which diagnostics a set of fixes adds,
//! which fix each one falls on, and which fixes to back out when the compiler cannot say.
//!
//! Why here and not in the caller: the rules (what counts as new, which fix a diagnostic blames, how to
//! bisect) decide what users see, so they are tested as values. The caller only runs the compiler: it passes
//! a closure that writes a set of patched files to a scratch worktree, runs `cargo check`, and returns the
//! diagnostics ([`settle`]).
//!
//! Choices:
//! - A diagnostic is new when the baseline (the tree without fixes) does not have it, counted by (file, level,
//!   code, message): line numbers move when fixes are applied, so they are not part of the key, and counting
//!   keeps a second `unused variable: x` in one file from hiding behind the first.
//! - Errors and warnings alike: a fix that adds `unused_must_use` is as unwelcome as one that does not build.
//! - Blame by place first: a new diagnostic whose primary span lies on the lines a fix occupies in the patched
//!   file blames that fix, and all blamed fixes are backed out at once, in one more run. Only what no fix's
//!   lines explain (an error in a caller, in another file) is found by bisection, so the number of compiler
//!   runs grows with the number of broken fixes, not with the number of fixes.
//! - A place accuses, it does not convict: one fix can break the lines of another (renaming a function's
//!   definition breaks every renamed call of it). So when blamed fixes lie in more than one file, each file's
//!   blamed fixes are tried once more, alone on top of what checked clean; the files that check clean with it
//!   come back. One more run per such file, only when several files were blamed.

use std::collections::{BTreeMap, HashMap};
use std::ops::{Range, RangeInclusive};

use syntax::scan::LineIndex;

/// One compiler message at its primary span.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Relative to the checked root, with `/`.
    pub file: String,
    pub line: u32,
    pub end_line: u32,
    /// `error` or `warning` (others are ignored by callers).
    pub level: String,
    /// `E0308`, `unused_must_use`, `clippy::…`.
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{}[{code}]: {}", self.level, self.message),
            None => write!(f, "{}: {}", self.level, self.message),
        }
    }
}

/// The diagnostics of `after` that `before` does not have, as a multiset keyed without line numbers.
pub fn new_diagnostics(before: &[Diagnostic], after: &[Diagnostic]) -> Vec<Diagnostic> {
    let key = |d: &Diagnostic| {
        (
            d.file.clone(),
            d.level.clone(),
            d.code.clone(),
            d.message.clone(),
        )
    };
    let mut seen: HashMap<_, usize> = HashMap::new();
    for d in before {
        *seen.entry(key(d)).or_default() += 1;
    }
    let mut new = Vec::new();
    for d in after {
        match seen.get_mut(&key(d)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => new.push(d.clone()),
        }
    }
    new
}

/// A candidate fix as an edit of its file's original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub file: String,
    pub range: Range<usize>,
    pub replacement: String,
}

/// The files of `set` (indices into `edits`) with their edits applied, and the 1-based lines each edit
/// occupies in its patched file. Files without an edit of the set are not in the map.
pub fn patch_set(
    originals: &BTreeMap<String, String>,
    edits: &[Edit],
    set: &[usize],
) -> (
    BTreeMap<String, String>,
    HashMap<usize, RangeInclusive<u32>>,
) {
    let mut by_file: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in set {
        by_file.entry(edits[i].file.as_str()).or_default().push(i);
    }
    let mut files = BTreeMap::new();
    let mut lines = HashMap::new();
    for (file, mut ids) in by_file {
        let Some(original) = originals.get(file) else {
            continue;
        };
        ids.sort_by_key(|&i| edits[i].range.start);
        let text_edits: Vec<patch::TextEdit> = ids
            .iter()
            .map(|&i| patch::TextEdit {
                range: edits[i].range.clone(),
                replacement: edits[i].replacement.clone(),
            })
            .collect();
        let patched = patch::apply(original, &text_edits);
        let index = LineIndex::new(&patched);
        let mut shift: isize = 0;
        for &i in &ids {
            let e = &edits[i];
            let start = (e.range.start as isize + shift) as usize;
            let end = start + e.replacement.len();
            lines.insert(
                i,
                index.line_of(start)..=index.line_of(end.saturating_sub(1).max(start)),
            );
            shift += e.replacement.len() as isize - e.range.len() as isize;
        }
        files.insert(file.to_owned(), patched);
    }
    (files, lines)
}

/// What one compiler run said about a set of fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No new diagnostic.
    Clean,
    /// New diagnostics (possibly none, when the check failed in a way that names no place, such as a test).
    Broken(Vec<Diagnostic>),
}

/// The outcome of [`settle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The edits that check clean together, in index order.
    pub kept: Vec<usize>,
    /// Each backed-out edit with the new diagnostics that were blamed on it (by place), or seen while it was
    /// in the set (by bisection).
    pub backed_out: Vec<(usize, Vec<Diagnostic>)>,
    /// Compiler runs made.
    pub runs: usize,
}

/// Finds a set of the edits that checks clean: all of them, minus those the compiler's new diagnostics blame
/// by place, minus those bisection finds for what no place explains. `check` receives the patched files of a
/// set (the caller writes them over a clean tree and runs the compiler).
pub fn settle(
    originals: &BTreeMap<String, String>,
    edits: &[Edit],
    mut check: impl FnMut(&BTreeMap<String, String>) -> Verdict,
) -> Settled {
    let mut runs = 0;
    let mut run = |set: &[usize]| -> (Verdict, HashMap<usize, RangeInclusive<u32>>) {
        runs += 1;
        let (files, lines) = patch_set(originals, edits, set);
        (check(&files), lines)
    };
    let mut kept: Vec<usize> = (0..edits.len()).collect();
    let mut backed_out: Vec<(usize, Vec<Diagnostic>)> = Vec::new();
    let mut by_place: Vec<usize> = Vec::new();
    // Each round either ends clean or backs out at least one edit, so this ends within `edits.len() + 1`
    // rounds.
    while !kept.is_empty() {
        let (verdict, lines) = run(&kept);
        let Verdict::Broken(new) = verdict else {
            break;
        };
        let mut blamed: BTreeMap<usize, Vec<Diagnostic>> = BTreeMap::new();
        let mut unexplained = Vec::new();
        for d in new {
            let culprit = kept.iter().copied().find(|&i| {
                edits[i].file == d.file
                    && lines
                        .get(&i)
                        .is_some_and(|l| d.line <= *l.end() && d.end_line.max(d.line) >= *l.start())
            });
            match culprit {
                Some(i) => blamed.entry(i).or_default().push(d),
                None => unexplained.push(d),
            }
        }
        if blamed.is_empty() {
            let bad = culprits(&mut run, &[], &kept);
            for &i in &bad {
                backed_out.push((i, unexplained.clone()));
            }
            kept.retain(|i| !bad.contains(i));
        } else {
            kept.retain(|i| !blamed.contains_key(i));
            by_place.extend(blamed.keys());
            backed_out.extend(blamed);
        }
    }
    // Retry what only a place accused, one file at a time, when several files were accused.
    let accused: BTreeMap<&str, Vec<usize>> =
        by_place.iter().fold(BTreeMap::new(), |mut files, &i| {
            files.entry(edits[i].file.as_str()).or_default().push(i);
            files
        });
    if accused.len() > 1 {
        for group in accused.values() {
            let mut set = kept.clone();
            set.extend_from_slice(group);
            set.sort_unstable();
            if run(&set).0 == Verdict::Clean {
                kept = set;
                backed_out.retain(|(i, _)| !group.contains(i));
            }
        }
    }
    backed_out.sort_by_key(|(i, _)| *i);
    Settled {
        kept,
        backed_out,
        runs,
    }
}

/// The edits of `suspects` that break the check, given that `good` alone is clean and `good ∪ suspects` is
/// not: halve, keep the half that is clean, recurse into the halves that are not.
fn culprits(
    run: &mut impl FnMut(&[usize]) -> (Verdict, HashMap<usize, RangeInclusive<u32>>),
    good: &[usize],
    suspects: &[usize],
) -> Vec<usize> {
    if suspects.len() <= 1 {
        return suspects.to_vec();
    }
    let (a, b) = suspects.split_at(suspects.len() / 2);
    let with = |extra: &[usize]| -> Vec<usize> {
        let mut set = good.to_vec();
        set.extend_from_slice(extra);
        set
    };
    if run(&with(a)).0 == Verdict::Clean {
        return culprits(run, &with(a), b);
    }
    let bad_a = culprits(run, good, a);
    let clean_a: Vec<usize> = a.iter().copied().filter(|i| !bad_a.contains(i)).collect();
    let good_now = with(&clean_a);
    let mut set = good_now.clone();
    set.extend_from_slice(b);
    if run(&set).0 == Verdict::Clean {
        return bad_a;
    }
    let mut bad = bad_a;
    bad.extend(culprits(run, &good_now, b));
    bad
}
