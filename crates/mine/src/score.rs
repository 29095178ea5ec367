//! Choosing and ranking the patterns of a dendrogram.
//!
//! Every cluster is a candidate. A candidate becomes a library pattern when it is applicable (its after side
//! only uses holes its before side binds), is supported by enough fix sites (and, if asked, commits and
//! repositories), and is not a trivial template. It is then scored as Getafix does: prevalence × specialisation.
//! - Evidence is sites, not commits: a cleanup commit that makes one change at five places is five examples.
//!   But five sites of one commit are less independent than five commits, so [`site_support`] weighs them:
//!   within one commit, a site in a file the commit has not shown yet counts 1, a further site in the same file
//!   counts 1/2, and one commit never counts more than [`ScoreConfig::max_per_commit`] (a sweeping mechanical
//!   commit is recognised, and capped). Distinct commits stay a separate, optional threshold: the shipped
//!   cross-project library demands three (`corpus/rebuild.sh`); a team's own history does not.
//! - Prevalence grows with the weighted site support and saturates: `sites / (sites + 2)`. It does not depend
//!   on the rest of the library, so libraries mined separately can be merged without rescoring.
//! - Specialisation is the share of the before side's matches that were fixed: `fixed / (fixed + unfixed)`,
//!   where `unfixed` counts matches in code that was not fixed (the caller scans, for example, the tree at
//!   HEAD). A pattern that fires on every `x.len()` gets a low specialisation and ranks low.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use pattern::{Label, PNode, Template, match_at, required_words, words_of};
use syntax::Tree;

use crate::Dendrogram;

#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// Fewest weighted fix sites ([`site_support`]) a pattern must generalise.
    pub min_support: f64,
    /// Fewest distinct commits those sites must come from.
    pub min_commits: u32,
    /// Most weight one commit's sites can add up to.
    pub max_per_commit: f64,
    /// Fewest distinct repositories those commits must come from.
    pub min_repos: u32,
    /// Fewest holes a pattern must have; 1 keeps only general templates (a shipped library wants that).
    pub min_holes: u32,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            min_support: 2.0,
            min_commits: 1,
            max_per_commit: 3.0,
            min_repos: 1,
            min_holes: 0,
        }
    }
}

/// Where each edit came from: `commit[e]`, `file[e]` and `repo[e]` identify edit `e`'s commit, file (a path
/// in one repository) and repository.
#[derive(Debug, Clone, Copy)]
pub struct Origins<'a> {
    pub commit: &'a [usize],
    pub file: &'a [usize],
    pub repo: &'a [usize],
}

/// The weighted number of fix sites among `edits` (see the module comment): per commit, 1 for each site in a
/// file not seen yet in that commit, 1/2 for each further site in a seen file, capped at `max_per_commit`.
pub fn site_support(edits: &[usize], origins: Origins<'_>, max_per_commit: f64) -> f64 {
    let mut by_commit: BTreeMap<usize, (BTreeSet<usize>, f64)> = BTreeMap::new();
    for &e in edits {
        let (files, weight) = by_commit.entry(origins.commit[e]).or_default();
        *weight += if files.insert(origins.file[e]) {
            1.0
        } else {
            0.5
        };
    }
    by_commit
        .into_values()
        .map(|(_, w)| w.min(max_per_commit))
        .sum()
}

#[derive(Debug, Clone)]
pub struct Scored {
    pub cluster: usize,
    /// Distinct commits among the pattern's edits.
    pub support: u32,
    /// Weighted fix sites ([`site_support`]).
    pub sites: f64,
    /// Distinct files among the pattern's edits.
    pub files: u32,
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
        if site_support(&cluster.edits, origins, config.max_per_commit) < config.min_support
            || support(cluster.edits.iter().map(|&e| origins.commit[e])) < config.min_commits
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
        Label::Hole(_) | Label::List(_) => false,
        Label::Node {
            leaf: Some(text), ..
        } => !matches!(
            &**text,
            "(" | ")" | "[" | "]" | "{" | "}" | "," | ";" | "." | ":" | "::"
        ),
        Label::Node { leaf: None, .. } => node.children.iter().any(has_meaningful_token),
    }
}

/// Templates compiled for counting their matches file after file: grouped by the kind of their root, with the
/// words (identifiers, keywords) each needs. A file lacking one of a template's words cannot hold a match, so
/// the template is not tried on it: most of a library is specific to names that most files do not use.
pub struct MatchCounter<'a> {
    templates: &'a [&'a Template],
    holes: Vec<usize>,
    words: Vec<Vec<&'a str>>,
    /// Per template, the kind of node a match must sit in (a pattern's `within`); `None` anywhere.
    within: Vec<Option<&'a str>>,
}

impl<'a> MatchCounter<'a> {
    pub fn new(templates: &'a [&'a Template]) -> MatchCounter<'a> {
        let words = templates.iter().map(|t| required_words(&t.root)).collect();
        MatchCounter {
            holes: templates.iter().map(|t| t.root.hole_slots()).collect(),
            templates,
            words,
            within: vec![None; templates.len()],
        }
    }

    /// Counts only matches whose parent node has the kind given per template (the patterns' `within`).
    pub fn within(mut self, within: Vec<Option<&'a str>>) -> MatchCounter<'a> {
        assert_eq!(
            within.len(),
            self.templates.len(),
            "one `within` per template"
        );
        self.within = within;
        self
    }

    /// How many templates there are.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// How many nodes of `tree` each template matches, in the order of the templates.
    pub fn count(&self, tree: &Tree) -> Vec<u32> {
        let present = words_of(&tree.text);
        let which: Vec<usize> = (0..self.templates.len())
            .filter(|&i| self.words[i].iter().all(|w| present.contains(w)))
            .collect();
        self.count_of(tree, &which)
    }

    /// [`MatchCounter::count`] for the templates `which` only (for example those an index already found
    /// possible in the file); the others count 0.
    pub fn count_of(&self, tree: &Tree, which: &[usize]) -> Vec<u32> {
        let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
        for &i in which {
            by_kind.entry(self.templates[i].kind()).or_default().push(i);
        }
        let mut counts = vec![0; self.templates.len()];
        for (id, node) in tree.nodes.iter().enumerate() {
            if let Some(candidates) = by_kind.get(node.kind) {
                for &i in candidates {
                    let placed = self.within[i]
                        .is_none_or(|k| node.parent.map(|p| tree.node(p).kind) == Some(k));
                    if placed
                        && match_at(self.templates[i], tree, id as u32, self.holes[i]).is_some()
                    {
                        counts[i] += 1;
                    }
                }
            }
        }
        counts
    }
}

/// Scores the selected clusters given their unfixed match counts (same order as `selected`), and links each
/// to its nearest selected ancestor. Returned in the order of `selected`.
pub fn score(
    dendrogram: &Dendrogram,
    selected: &[usize],
    unfixed: &[u32],
    origins: Origins<'_>,
    config: &ScoreConfig,
) -> Vec<Scored> {
    let index: HashMap<usize, usize> = selected.iter().enumerate().map(|(k, &c)| (c, k)).collect();
    selected
        .iter()
        .zip(unfixed)
        .map(|(&c, &unfixed)| {
            let cluster = &dendrogram.clusters[c];
            let support = support(cluster.edits.iter().map(|&e| origins.commit[e]));
            let sites = site_support(&cluster.edits, origins, config.max_per_commit);
            let files = self::support(cluster.edits.iter().map(|&e| origins.file[e]));
            let fixed = cluster.edits.len() as u32;
            let prevalence = sites / (sites + 2.0);
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
                sites,
                files,
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
