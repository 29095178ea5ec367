//! Mining: hierarchical clustering of concrete edits into a tree of patterns, and their ranking.
//!
//! Getafix's idea: start with every concrete edit as its own cluster and repeatedly merge the two clusters
//! whose anti-unification loses the least information. Every merge is a node of a dendrogram and a candidate
//! pattern: concrete fixes at the leaves, general patterns toward the roots.
//!
//! Why buckets and chunks instead of one global agglomeration: the naive algorithm is cubic, and edits whose
//! roots have different kinds never generalise into anything applicable. So edits are first bucketed by
//! (before root kind, after root kind): buckets are separate trees of the forest. Inside a bucket, edits with
//! the same *change signature* (the tokens the edit removes and adds) are clustered first, exactly, in groups
//! of at most [`ClusterConfig::max_group`]; the roots of those groups are then clustered the same way. Each
//! level costs O(n · max_group) anti-unifications, so the whole is near-linear in the number of edits.

pub mod calibrate;
mod loo;
pub mod migration;
mod refuse;
mod remedy;
mod score;

use std::collections::BTreeMap;

use pattern::{Pattern, anti_unify, generalisation_cost};

pub use loo::{Loo, LooConfig, leave_one_commit_out, prefer_precise_levels, wilson_lower_bound};
pub use refuse::{Dropped, Refusal, RefuseConfig, refusal, toggles};
pub use remedy::{OnFixes, Remedy, on_fixes, remedy_of};
pub use score::{
    MatchCounter, Origins, ScoreConfig, Scored, has_meaningful_token, score, select, site_support,
};

#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Largest group clustered exactly (all pairs). Larger groups are split and their roots merged.
    pub max_group: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig { max_group: 32 }
    }
}

/// One node of the dendrogram.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub pattern: Pattern,
    /// The two clusters merged into this one; `None` for a leaf.
    pub children: Option<(usize, usize)>,
    pub parent: Option<usize>,
    /// Indices of the input edits under this cluster.
    pub edits: Vec<usize>,
    /// Information lost by the merge that made this cluster.
    pub cost: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Dendrogram {
    pub clusters: Vec<Cluster>,
}

impl Dendrogram {
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.clusters.len()).filter(|&i| self.clusters[i].parent.is_none())
    }

    fn leaf(&mut self, pattern: Pattern, edits: Vec<usize>) -> usize {
        self.clusters.push(Cluster {
            pattern,
            children: None,
            parent: None,
            edits,
            cost: 0,
        });
        self.clusters.len() - 1
    }

    fn merge(&mut self, a: usize, b: usize, pattern: Pattern, cost: u32) -> usize {
        let mut edits = self.clusters[a].edits.clone();
        edits.extend_from_slice(&self.clusters[b].edits);
        edits.sort_unstable();
        let id = self.clusters.len();
        self.clusters.push(Cluster {
            pattern,
            children: Some((a, b)),
            parent: None,
            edits,
            cost,
        });
        self.clusters[a].parent = Some(id);
        self.clusters[b].parent = Some(id);
        id
    }
}

/// Splits edit indices into the buckets that [`cluster`] never merges across (same before and after root
/// kinds), in a deterministic order. A caller may cluster the buckets independently, in parallel, and join
/// the dendrograms with [`Dendrogram::append`]; the result equals clustering all edits at once.
pub fn buckets(edits: &[Pattern]) -> Vec<Vec<usize>> {
    let mut by_kind: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, edit) in edits.iter().enumerate() {
        by_kind
            .entry((edit.before.kind(), edit.after.kind()))
            .or_default()
            .push(i);
    }
    by_kind.into_values().collect()
}

impl Dendrogram {
    /// Appends `other`, whose edit indices are positions in `edit_ids`, renumbering its clusters and edits.
    pub fn append(&mut self, other: Dendrogram, edit_ids: &[usize]) {
        let base = self.clusters.len();
        for mut c in other.clusters {
            c.children = c.children.map(|(a, b)| (a + base, b + base));
            c.parent = c.parent.map(|p| p + base);
            c.edits = c.edits.into_iter().map(|e| edit_ids[e]).collect();
            c.edits.sort_unstable();
            self.clusters.push(c);
        }
    }
}

/// Leaves of one bucket, grouped by change signature.
type BySignature = BTreeMap<Vec<String>, Vec<usize>>;

/// Clusters concrete edits (patterns without holes, as extracted from history) into a dendrogram.
/// The result is deterministic for a given input order.
pub fn cluster(edits: &[Pattern], config: &ClusterConfig) -> Dendrogram {
    let mut dendrogram = Dendrogram::default();
    // Identical edits are one leaf: merging them loses nothing.
    let mut identical: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, edit) in edits.iter().enumerate() {
        identical.entry(edit.hash()).or_default().push(i);
    }
    // Bucket → change signature → leaves. BTreeMaps keep the order deterministic.
    let mut buckets: BTreeMap<(&str, &str), BySignature> = BTreeMap::new();
    for group in identical.into_values() {
        let edit = &edits[group[0]];
        let key = (edit.before.kind(), edit.after.kind());
        let signature = change_signature(edit);
        let leaf = dendrogram.leaf(edit.clone(), group);
        buckets
            .entry(key)
            .or_default()
            .entry(signature)
            .or_default()
            .push(leaf);
    }
    for signatures in buckets.into_values() {
        let roots: Vec<usize> = signatures
            .into_values()
            .map(|leaves| agglomerate_many(&mut dendrogram, leaves, config))
            .collect();
        agglomerate_many(&mut dendrogram, roots, config);
    }
    dendrogram
}

/// The tokens an edit removes and adds, as a sorted multiset difference: `v.len() == 0 → v.is_empty()` has
/// the signature `-0 -== -len +is_empty`, whatever the receiver.
pub fn change_signature(edit: &Pattern) -> Vec<String> {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    edit.before.root.literal_tokens(&mut before);
    edit.after.root.literal_tokens(&mut after);
    before.sort_unstable();
    after.sort_unstable();
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        match (before.get(i), after.get(j)) {
            (Some(b), Some(a)) if b == a => {
                i += 1;
                j += 1;
            }
            (Some(b), Some(a)) if b < a => {
                out.push(format!("-{b}"));
                i += 1;
            }
            (Some(b), None) => {
                out.push(format!("-{b}"));
                i += 1;
            }
            (_, Some(a)) => {
                out.push(format!("+{a}"));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// Clusters `items` into one root, in exact groups of at most `max_group`, and returns the root.
fn agglomerate_many(
    dendrogram: &mut Dendrogram,
    mut items: Vec<usize>,
    config: &ClusterConfig,
) -> usize {
    let max = config.max_group.max(2);
    while items.len() > max {
        // Similar edits tend to share their before side's shape: order by it so that chunks are coherent.
        items.sort_by_key(|&c| (dendrogram.clusters[c].pattern.before.root.concrete, c));
        items = items
            .chunks(max)
            .map(|chunk| agglomerate(dendrogram, chunk.to_vec()))
            .collect();
    }
    agglomerate(dendrogram, items)
}

/// Exact greedy agglomeration: repeatedly merge the pair with the cheapest anti-unification.
fn agglomerate(dendrogram: &mut Dendrogram, mut items: Vec<usize>) -> usize {
    assert!(!items.is_empty(), "agglomerate needs at least one cluster");
    // costs[i][j] for i < j: (cost, merged pattern) of items[i] and items[j].
    let mut merged: Vec<Vec<Option<(u32, u32, Pattern)>>> = Vec::with_capacity(items.len());
    for i in 0..items.len() {
        let row = (0..items.len())
            .map(|j| (j > i).then(|| merge_cost(dendrogram, items[i], items[j])))
            .collect();
        merged.push(row);
    }
    while items.len() > 1 {
        let mut best: Option<(u32, u32, usize, usize)> = None;
        for (i, row) in merged.iter().enumerate() {
            for (j, cell) in row.iter().enumerate().skip(i + 1) {
                let (cost, holes, _) = cell.as_ref().expect("upper triangle is filled");
                if best.is_none_or(|(bc, bh, _, _)| (*cost, *holes) < (bc, bh)) {
                    best = Some((*cost, *holes, i, j));
                }
            }
        }
        let (cost, _, i, j) = best.expect("two or more items have a pair");
        let (_, _, pattern) = merged[i][j].take().expect("chosen pair exists");
        let id = dendrogram.merge(items[i], items[j], pattern, cost);
        // Remove j then i (j > i), and append the new cluster.
        items.remove(j);
        items.remove(i);
        merged.remove(j);
        merged.remove(i);
        for row in &mut merged {
            row.remove(j);
            row.remove(i);
        }
        for (k, row) in merged.iter_mut().enumerate() {
            row.push(Some(merge_cost(dendrogram, items[k], id)));
        }
        items.push(id);
        merged.push(vec![None; items.len()]);
    }
    items[0]
}

fn merge_cost(dendrogram: &Dendrogram, a: usize, b: usize) -> (u32, u32, Pattern) {
    let (pa, pb) = (
        &dendrogram.clusters[a].pattern,
        &dendrogram.clusters[b].pattern,
    );
    let general = anti_unify(pa, pb);
    let cost = generalisation_cost(pa, pb, &general);
    (cost, general.hole_count(), general)
}

/// Sets the guards of the `selected` clusters' patterns from the edits under them (`edits[e]` is edit `e`, a
/// concrete pattern): each hole's guard is the join of the classes it binds in every edit
/// ([`pattern::learn_guards`]).
pub fn learn_guards(dendrogram: &mut Dendrogram, selected: &[usize], edits: &[Pattern]) {
    for &c in selected {
        let cluster = &dendrogram.clusters[c];
        let guards =
            pattern::learn_guards(&cluster.pattern, cluster.edits.iter().map(|&e| &edits[e]));
        let accessors = pattern::learn_accessors(
            &cluster.pattern,
            &guards,
            cluster.edits.iter().map(|&e| &edits[e]),
        );
        dendrogram.clusters[c].pattern.guards = guards;
        dendrogram.clusters[c].pattern.accessors = accessors;
    }
}

/// The kinds of before side whose meaning depends on where they sit: a name alone (`map_either` may be a macro,
/// a method or a function) or a field access (a field read, or the callee of a method call).
const PLACED_KINDS: &[&str] = &[
    "identifier",
    "field_identifier",
    "type_identifier",
    "scoped_identifier",
    "scoped_type_identifier",
    "field_expression",
];

/// The places a pattern's `within` can name, each with how a synthesized example puts a before side there
/// (`{}` is the side): a pattern must fix its own example, so a place no example can show is not learned.
pub const WITHIN: &[(&str, &str)] = &[
    ("call_expression", "{}()"),
    ("macro_invocation", "{}!()"),
    ("scoped_identifier", "path::{}"),
    ("scoped_type_identifier", "path::{}"),
    ("field_expression", "hole.{}"),
];

/// Sets each selected cluster's `within` (see [`Pattern::within`]): for a before side that is a name or a
/// field access, the kind of node all its edits sat in (`parents`, indexed like the edits), when they agree,
/// every one is known, and it is one of [`WITHIN`]. Getafix's unchanged context, one level up, where the
/// examples share it.
pub fn learn_within(dendrogram: &mut Dendrogram, selected: &[usize], parents: &[Option<&str>]) {
    for &c in selected {
        let cluster = &mut dendrogram.clusters[c];
        if !PLACED_KINDS.contains(&cluster.pattern.before.kind()) {
            continue;
        }
        let mut kinds = cluster
            .edits
            .iter()
            .map(|&e| parents.get(e).copied().flatten());
        let first = kinds.next().flatten();
        if let Some(kind) = first
            && WITHIN.iter().any(|(k, _)| *k == kind)
            && kinds.all(|k| k == Some(kind))
        {
            cluster.pattern.within = Some(kind.into());
        }
    }
}

/// Splits `selected` into the clusters kept and those refused with their reasons (see [`refusal`] and
/// [`toggles`]); guards must be learned first.
pub fn refuse(
    dendrogram: &Dendrogram,
    selected: &[usize],
    origins: Origins<'_>,
    config: &RefuseConfig,
) -> (Vec<usize>, Vec<(usize, Refusal)>) {
    let candidates: Vec<(&Pattern, u32)> = selected
        .iter()
        .map(|&c| {
            let cluster = &dendrogram.clusters[c];
            let support = score::support(cluster.edits.iter().map(|&e| origins.commit[e]));
            (&cluster.pattern, support)
        })
        .collect();
    let toggled = toggles(&candidates);
    let (mut kept, mut refused) = (Vec::new(), Vec::new());
    for ((&c, (pattern, _)), toggle) in selected.iter().zip(&candidates).zip(toggled) {
        match toggle.or_else(|| refusal(pattern, config)) {
            Some(reason) => refused.push((c, reason)),
            None => kept.push(c),
        }
    }
    (kept, refused)
}
