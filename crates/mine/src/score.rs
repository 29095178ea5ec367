//! Choosing and ranking the patterns of a dendrogram.
//!
//! Every cluster is a candidate. A candidate becomes a library pattern when it is applicable (its after side
//! only uses holes its before side binds), is supported by enough distinct fixing commits, and is not a
//! trivial template. It is then scored as Getafix does: prevalence × specialisation.
//! - Prevalence grows with support and saturates: `support / (support + 2)`. It does not depend on the rest
//!   of the library, so libraries mined separately can be merged without rescoring.
//! - Specialisation is the share of the before side's matches that were fixed: `fixed / (fixed + unfixed)`,
//!   where `unfixed` counts matches in code that was not fixed (the caller scans, for example, the tree at
//!   HEAD). A pattern that fires on every `x.len()` gets a low specialisation and ranks low.

use std::collections::{BTreeSet, HashMap};

use pattern::{Label, PNode, Template, match_at};
use syntax::Tree;

use crate::Dendrogram;

#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// Fewest distinct commits a pattern must generalise.
    pub min_support: u32,
    /// Fewest distinct repositories those commits must come from.
    pub min_repos: u32,
    /// Fewest holes a pattern must have; 1 keeps only general templates (a shipped library wants that).
    pub min_holes: u32,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            min_support: 3,
            min_repos: 1,
            min_holes: 0,
        }
    }
}

/// Where each edit came from: `commit[e]` and `repo[e]` identify edit `e`'s commit and repository.
#[derive(Debug, Clone, Copy)]
pub struct Origins<'a> {
    pub commit: &'a [usize],
    pub repo: &'a [usize],
}

#[derive(Debug, Clone)]
pub struct Scored {
    pub cluster: usize,
    /// Distinct commits among the pattern's edits.
    pub support: u32,
    /// Edits (fixed sites) under the pattern.
    pub fixed: u32,
    /// Matches of the before side in code that was not fixed.
    pub unfixed: u32,
    pub prevalence: f64,
    pub specialisation: f64,
    pub score: f64,
    /// The nearest more general selected pattern, as an index into the returned list.
    pub parent: Option<usize>,
}

/// Clusters that qualify as library patterns, deduplicated (the same pattern can appear at several levels of
/// the dendrogram; the one with the most support is kept).
pub fn select(dendrogram: &Dendrogram, origins: Origins<'_>, config: &ScoreConfig) -> Vec<usize> {
    let mut best: HashMap<u64, usize> = HashMap::new();
    for (i, cluster) in dendrogram.clusters.iter().enumerate() {
        let pattern = &cluster.pattern;
        if !pattern.is_applicable() || pattern.before.root.hash == pattern.after.root.hash {
            continue;
        }
        if !has_meaningful_token(&pattern.before.root) || pattern.hole_count() < config.min_holes {
            continue;
        }
        if support(cluster.edits.iter().map(|&e| origins.commit[e])) < config.min_support
            || support(cluster.edits.iter().map(|&e| origins.repo[e])) < config.min_repos
        {
            continue;
        }
        let entry = best.entry(pattern.hash()).or_insert(i);
        if dendrogram.clusters[*entry].edits.len() < cluster.edits.len() {
            *entry = i;
        }
    }
    let mut selected: Vec<usize> = best.into_values().collect();
    selected.sort_unstable();
    selected
}

pub(crate) fn support(commits: impl Iterator<Item = usize>) -> u32 {
    commits.collect::<BTreeSet<_>>().len() as u32
}

/// A template made only of holes and brackets (`$A($B)`) says nothing about what to fix.
pub fn has_meaningful_token(node: &PNode) -> bool {
    match &node.label {
        Label::Hole(_) => false,
        Label::Node {
            leaf: Some(text), ..
        } => !matches!(
            &**text,
            "(" | ")" | "[" | "]" | "{" | "}" | "," | ";" | "." | ":" | "::"
        ),
        Label::Node { leaf: None, .. } => node.children.iter().any(has_meaningful_token),
    }
}

/// Counts, for each template, its matches in `tree`. Templates are indexed by root kind, so one pass over the
/// tree checks them all.
pub fn count_matches(templates: &[&Template], tree: &Tree) -> Vec<u32> {
    let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in templates.iter().enumerate() {
        by_kind.entry(t.kind()).or_default().push(i);
    }
    let holes: Vec<usize> = templates.iter().map(|t| t.root.hole_slots()).collect();
    let mut counts = vec![0; templates.len()];
    for (id, node) in tree.nodes.iter().enumerate() {
        if let Some(candidates) = by_kind.get(node.kind) {
            for &i in candidates {
                if match_at(templates[i], tree, id as u32, holes[i]).is_some() {
                    counts[i] += 1;
                }
            }
        }
    }
    counts
}

/// Scores the selected clusters given their unfixed match counts (same order as `selected`), and links each
/// to its nearest selected ancestor. Returned in the order of `selected`.
pub fn score(
    dendrogram: &Dendrogram,
    selected: &[usize],
    unfixed: &[u32],
    origins: Origins<'_>,
) -> Vec<Scored> {
    let index: HashMap<usize, usize> = selected.iter().enumerate().map(|(k, &c)| (c, k)).collect();
    selected
        .iter()
        .zip(unfixed)
        .map(|(&c, &unfixed)| {
            let cluster = &dendrogram.clusters[c];
            let support = support(cluster.edits.iter().map(|&e| origins.commit[e]));
            let fixed = cluster.edits.len() as u32;
            let prevalence = f64::from(support) / (f64::from(support) + 2.0);
            let specialisation = f64::from(fixed) / f64::from(fixed + unfixed);
            let mut parent = cluster.parent;
            while let Some(p) = parent {
                if index.contains_key(&p) {
                    break;
                }
                parent = dendrogram.clusters[p].parent;
            }
            Scored {
                cluster: c,
                support,
                fixed,
                unfixed,
                prevalence,
                specialisation,
                score: prevalence * specialisation,
                parent: parent.map(|p| index[&p]),
            }
        })
        .collect()
}
