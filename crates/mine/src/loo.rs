//! Leave-one-commit-out: how precise a level of the dendrogram is, measured on the training history itself.
//!
//! Support says a change was made often, not that the generalisation is right. So for a candidate cluster and
//! each commit among its edits, the pattern is learned again from the *other* commits' edits (anti-unified, its
//! guards learned from them), and applied to the held-out commit's sites: fixed exactly as the human wrote
//! (`right`, compared without whitespace), matched but written otherwise (`wrong`), or not matched (`missed`,
//! the level was too specific to reach it). Together with the matches of the before side in code nobody fixed
//! (the unfixed count of the scan at the end of the range: false edits), that is a precision with real
//! denominators, and its Wilson lower bound decides between a level and the more general one above it (see
//! `prefer_precise_levels`). A cluster whose edits all come from one commit has no held-out commit, and one
//! whose folds matched none of the held-out sites (two commits with different sites: learned from one commit,
//! a pattern is that commit's concrete edit) measured nothing about what it writes: neither is preferred nor
//! dropped by it.
//!
//! Why this is cheap enough: a fold is one anti-unification per distinct edit learned from (at most
//! [`LooConfig::max_learn`]), a guard pass, and one match per held-out site (at most [`LooConfig::max_sites`]
//! per commit, [`LooConfig::max_folds`] commits per cluster, chosen evenly). Each edit is parsed once, however
//! many clusters hold it.

use std::collections::BTreeMap;

use pattern::{Pattern, anti_unify, instantiate, match_at, squeeze};
use syntax::{Tree, parse_fragment};

use crate::{Dendrogram, Origins};

#[derive(Debug, Clone)]
pub struct LooConfig {
    /// Most held-out commits per cluster (taken evenly from its commits in order).
    pub max_folds: usize,
    /// Most held-out sites checked per commit.
    pub max_sites: usize,
    /// Most distinct edits a fold learns from (the first ones in edit order).
    pub max_learn: usize,
}

impl Default for LooConfig {
    fn default() -> Self {
        LooConfig {
            max_folds: 8,
            max_sites: 4,
            max_learn: 32,
        }
    }
}

/// What the leave-one-commit-out folds of one cluster did with the held-out sites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loo {
    /// Held-out commits.
    pub folds: u32,
    /// Sites fixed exactly as the human did.
    pub right: u32,
    /// Sites matched and written otherwise (or not writable).
    pub wrong: u32,
    /// Sites not matched.
    pub missed: u32,
}

impl Loo {
    /// Wilson 95% lower bound of `right / (right + wrong + false_edits)`, where `false_edits` are the matches
    /// in code nobody fixed; `None` when no held-out site was matched (no held-out commit, or the level learned
    /// without each commit reached none of its sites): then nothing was measured about what it writes.
    pub fn precision_bound(&self, false_edits: u32) -> Option<f64> {
        (self.right + self.wrong > 0)
            .then(|| wilson_lower_bound(self.right, self.right + self.wrong + false_edits, 1.96))
    }
}

/// The lower end of the Wilson score interval for `right` of `n` at normal quantile `z` (1.96: 95%).
pub fn wilson_lower_bound(right: u32, n: u32, z: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    let p = f64::from(right) / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - spread) / (1.0 + z2 / n)).max(0.0)
}

/// Runs the folds of every `selected` cluster (`edits[e]` is edit `e`, a concrete pattern); same order.
pub fn leave_one_commit_out(
    dendrogram: &Dendrogram,
    selected: &[usize],
    edits: &[Pattern],
    origins: Origins<'_>,
    config: &LooConfig,
) -> Vec<Loo> {
    let mut trees: Vec<Option<Option<Tree>>> = vec![None; edits.len()];
    selected
        .iter()
        .map(|&c| {
            let mut by_commit: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &e in &dendrogram.clusters[c].edits {
                by_commit.entry(origins.commit[e]).or_default().push(e);
            }
            let mut loo = Loo::default();
            if by_commit.len() < 2 {
                return loo;
            }
            let commits: Vec<usize> = by_commit.keys().copied().collect();
            let folds = commits.len().min(config.max_folds.max(1));
            for k in 0..folds {
                let held = commits[k * commits.len() / folds];
                let learned = learn_without(&by_commit, held, edits, config.max_learn);
                for &e in by_commit[&held].iter().take(config.max_sites.max(1)) {
                    let tree = trees[e].get_or_insert_with(|| {
                        parse_fragment(&edits[e].before.text, Some(edits[e].before.kind()))
                            .ok()
                            .map(|f| f.tree)
                    });
                    match tree.as_ref().and_then(|t| fix(&learned, t)) {
                        None => loo.missed += 1,
                        Some(written) if squeeze(&written) == squeeze(&edits[e].after.text) => {
                            loo.right += 1
                        }
                        Some(_) => loo.wrong += 1,
                    }
                }
                loo.folds += 1;
            }
            loo
        })
        .collect()
}

/// The pattern the edits of every commit but `held` generalise to, with guards learned from them.
fn learn_without(
    by_commit: &BTreeMap<usize, Vec<usize>>,
    held: usize,
    edits: &[Pattern],
    max_learn: usize,
) -> Pattern {
    let mut distinct: BTreeMap<u64, usize> = BTreeMap::new();
    let mut others: Vec<usize> = by_commit
        .iter()
        .filter(|(commit, _)| **commit != held)
        .flat_map(|(_, es)| es.iter().copied())
        .collect();
    others.sort_unstable();
    others.retain(|&e| distinct.insert(edits[e].hash(), e).is_none());
    others.truncate(max_learn.max(1));
    let mut learned = edits[others[0]].clone();
    for &e in &others[1..] {
        learned = anti_unify(&learned, &edits[e]);
    }
    let examples = || others.iter().map(|&e| &edits[e]);
    learned.guards = pattern::learn_guards(&learned, examples());
    learned.accessors = pattern::learn_accessors(&learned, &learned.guards, examples());
    learned
}

/// What `pattern` writes for the site at the root of `tree`, if it matches there.
pub(crate) fn fix(pattern: &Pattern, tree: &Tree) -> Option<String> {
    if !pattern.is_applicable() {
        return None;
    }
    let bindings = match_at(
        &pattern.before,
        tree,
        Tree::ROOT,
        pattern.hole_count() as usize,
    )
    .filter(|b| pattern.admits(tree, b))?;
    Some(instantiate(&pattern.after, tree, &bindings, "").unwrap_or_default())
}

/// Drops each measured candidate whose nearest measured, selected ancestor is at least as precise (Wilson lower
/// bound of [`Loo::precision_bound`], with the candidates' unfixed matches as false edits): the more general
/// level covers its sites with no less measured precision, so the refinement adds nothing. A refinement that
/// is measurably more precise than the level above it stays (and so does that level, which covers more).
/// Returns the kept indices into `selected`, in order, and how many were dropped.
pub fn prefer_precise_levels(
    dendrogram: &Dendrogram,
    selected: &[usize],
    loo: &[Loo],
    unfixed: &[u32],
) -> (Vec<usize>, usize) {
    let bound: BTreeMap<usize, f64> = selected
        .iter()
        .zip(loo.iter().zip(unfixed))
        .filter_map(|(&c, (l, &u))| l.precision_bound(u).map(|b| (c, b)))
        .collect();
    let kept: Vec<usize> = (0..selected.len())
        .filter(|&k| {
            let Some(&own) = bound.get(&selected[k]) else {
                return true;
            };
            let mut up = dendrogram.clusters[selected[k]].parent;
            while let Some(p) = up {
                if let Some(&above) = bound.get(&p) {
                    return above < own;
                }
                up = dendrogram.clusters[p].parent;
            }
            true
        })
        .collect();
    let dropped = selected.len() - kept.len();
    (kept, dropped)
}
