//! GumTree matching (Falleri et al., ASE 2014): which node of the before tree is which node of the after tree.
//!
//! Why GumTree and not an optimal tree edit distance: optimal algorithms (Zhang–Shasha, RTED) are cubic or
//! worse, and a commit touches files of tens of thousands of nodes. GumTree is greedy and near-linear, and its
//! mistakes are the benign kind for suture: a node left unmatched makes an edit larger, and large edits are
//! dropped later with a reason.
//!
//! The three phases follow the paper, with choices of our own where it is silent or where Rust trees differ:
//! - Top-down matches the largest identical subtrees first, using the structural hashes computed by `syntax`
//!   and a real isomorphism check, so a hash collision can never map different code. Subtrees with several
//!   identical candidates are deferred and decided by the Dice similarity of their parents, as in the paper;
//!   ties (all the `#[test]`s of one module share a parent) go to the pair whose neighbouring siblings agree,
//!   then to the pair whose relative positions in the two files are closest. A large group of identical
//!   subtrees (hundreds of `()`) only pairs each subtree with the [`AMBIGUOUS_WINDOW`] nearest candidates by
//!   relative position on either side, which keeps the phase linear; a partner further away is left to the
//!   later phases.
//! - Bottom-up matches an unmatched container to the same-kind candidate with the most matched descendants in
//!   common, and the two roots to each other.
//! - Recovery (GumTree's "simple" last-chance match) then pairs the still-unmatched children of every newly
//!   matched container. The children already matched to each other are anchors; between two anchors it pairs
//!   identical subtrees in order, then same-label nodes, then same-kind nodes, and recurses into new pairs.
//!   It only pairs inner nodes of at most `max_recovery_size` nodes, where a pairing by kind alone is more
//!   often right than wrong, unless the gap between anchors holds exactly one node on each side.

use std::collections::HashMap;

use syntax::{NodeId, Tree};

use crate::Mapping;
use crate::lcs::{lcs, longest_increasing};

/// Groups of identical subtrees with up to this many candidate pairs consider all of them.
const MAX_AMBIGUOUS_PAIRS: usize = 1024;

/// In larger groups, a subtree considers this many candidates on either side of its relative position.
const AMBIGUOUS_WINDOW: usize = 16;

/// Recovery aligns children lists with a table of at most this many cells; longer lists only get their common
/// prefix and suffix aligned.
const MAX_LCS_CELLS: usize = 1 << 16;

/// Tuning of [`match_trees`]. The defaults are GumTree's, except `max_recovery_size` (GumTree uses 1,000 for
/// an optimal edit distance; our greedy recovery is cheap but less trustworthy on big subtrees).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchConfig {
    /// Top-down only matches identical subtrees at least this high (a leaf has height 1).
    pub min_height: u32,
    /// Bottom-up accepts a container pair when the Dice similarity of their matched descendants reaches this.
    pub min_dice: f64,
    /// Recovery only pairs same-kind subtrees that are both at most this many nodes.
    pub max_recovery_size: u32,
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            min_height: 2,
            min_dice: 0.5,
            max_recovery_size: 100,
        }
    }
}

/// Matches the nodes of `before` to the nodes of `after`. Matched nodes always have the same kind.
pub fn match_trees(before: &Tree, after: &Tree, config: &MatchConfig) -> Mapping {
    let mut matcher = Matcher {
        before,
        after,
        config,
        mapping: Mapping::empty(before.len(), after.len()),
    };
    if !before.is_empty() && !after.is_empty() {
        matcher.top_down();
        matcher.bottom_up();
    }
    matcher.mapping
}

struct Matcher<'a> {
    before: &'a Tree,
    after: &'a Tree,
    config: &'a MatchConfig,
    mapping: Mapping,
}

impl Matcher<'_> {
    fn is_matched_before(&self, id: NodeId) -> bool {
        self.mapping.before_to_after[id as usize].is_some()
    }

    fn is_matched_after(&self, id: NodeId) -> bool {
        self.mapping.after_to_before[id as usize].is_some()
    }

    fn link(&mut self, before: NodeId, after: NodeId) {
        debug_assert_eq!(self.before.node(before).kind, self.after.node(after).kind);
        self.mapping.before_to_after[before as usize] = Some(after);
        self.mapping.after_to_before[after as usize] = Some(before);
    }

    /// Maps two isomorphic subtrees node by node: in preorder, the k-th nodes correspond.
    fn link_subtree(&mut self, before: NodeId, after: NodeId) {
        for k in 0..self.before.node(before).size {
            self.link(before + k, after + k);
        }
    }

    fn top_down(&mut self) {
        let (before, after) = (self.before, self.after);
        let min_height = self.config.min_height.max(1);
        let mut queue_before = HeightQueue::new(before);
        let mut queue_after = HeightQueue::new(after);
        let mut ambiguous: Vec<(NodeId, NodeId)> = Vec::new();
        loop {
            let (height_before, height_after) = (queue_before.peek_max(), queue_after.peek_max());
            if height_before.min(height_after) < min_height {
                break;
            }
            if height_before > height_after {
                queue_before.open_max();
                continue;
            }
            if height_after > height_before {
                queue_after.open_max();
                continue;
            }
            let level_before = queue_before.pop_max();
            let level_after = queue_after.pop_max();
            let mut handled_before = vec![false; level_before.len()];
            let mut handled_after = vec![false; level_after.len()];
            for class in isomorphism_classes(before, &level_before, after, &level_after) {
                let (xs, ys) = (&class.before, &class.after);
                if xs.is_empty() || ys.is_empty() {
                    continue;
                }
                if xs.len() == 1 && ys.len() == 1 {
                    self.link_subtree(level_before[xs[0]], level_after[ys[0]]);
                } else {
                    let xs: Vec<NodeId> = xs.iter().map(|&x| level_before[x]).collect();
                    let ys: Vec<NodeId> = ys.iter().map(|&y| level_after[y]).collect();
                    ambiguous_candidates(before, &xs, after, &ys, &mut ambiguous);
                }
                // Either way the subtrees are not opened: their descendants are identical too, and splitting
                // them would only create more ambiguity further down.
                xs.iter().for_each(|&x| handled_before[x] = true);
                ys.iter().for_each(|&y| handled_after[y] = true);
            }
            for (&id, handled) in level_before.iter().zip(handled_before) {
                if !handled {
                    queue_before.open(id);
                }
            }
            for (&id, handled) in level_after.iter().zip(handled_after) {
                if !handled {
                    queue_after.open(id);
                }
            }
        }
        self.resolve_ambiguous(ambiguous);
    }

    /// Decides deferred candidates, best first, by the similarity of their parents, then by how many of their
    /// immediate siblings agree (so that the `#[test]` of an unchanged test function goes with that function
    /// and not with its neighbour's), then by how close their relative positions in the files are.
    fn resolve_ambiguous(&mut self, ambiguous: Vec<(NodeId, NodeId)>) {
        let (before, after) = (self.before, self.after);
        let mut parent_dice: HashMap<(NodeId, NodeId), f64> = HashMap::new();
        let mut scored: Vec<(f64, u32, f64, NodeId, NodeId)> = ambiguous
            .into_iter()
            .map(|(b, a)| {
                let dice = match (before.node(b).parent, after.node(a).parent) {
                    (Some(pb), Some(pa)) => *parent_dice
                        .entry((pb, pa))
                        .or_insert_with(|| self.dice(pb, pa)),
                    _ => 0.0,
                };
                let distance =
                    (b as f64 / before.len() as f64 - a as f64 / after.len() as f64).abs();
                (dice, self.siblings_agreeing(b, a), distance, b, a)
            })
            .collect();
        scored.sort_by(|x, y| {
            y.0.total_cmp(&x.0)
                .then(y.1.cmp(&x.1))
                .then(x.2.total_cmp(&y.2))
                .then((x.3, x.4).cmp(&(y.3, y.4)))
        });
        for (_, _, _, b, a) in scored {
            if !self.is_matched_before(b) && !self.is_matched_after(a) {
                self.link_subtree(b, a);
            }
        }
    }

    /// Whether the previous and the next siblings of `b` and `a` are matched to each other or identical. The
    /// next sibling weighs more: an outer attribute such as `#[test]` belongs to the item that follows it.
    fn siblings_agreeing(&self, b: NodeId, a: NodeId) -> u32 {
        let (before_prev, before_next) = neighbours(self.before, b);
        let (after_prev, after_next) = neighbours(self.after, a);
        let agree = |x: Option<NodeId>, y: Option<NodeId>| match (x, y) {
            (Some(x), Some(y)) => {
                self.mapping.partner_of_before(x) == Some(y)
                    || self.before.node(x).hash == self.after.node(y).hash
            }
            _ => false,
        };
        u32::from(agree(before_prev, after_prev)) + 2 * u32::from(agree(before_next, after_next))
    }

    /// Dice similarity of two containers: the share of their descendants that are matched to each other.
    fn dice(&self, before: NodeId, after: NodeId) -> f64 {
        let after_range = self.after.descendants(after);
        let common = (before + 1..before + self.before.node(before).size)
            .filter_map(|d| self.mapping.partner_of_before(d))
            .filter(|p| after_range.contains(p) && *p != after)
            .count();
        dice_of(
            common,
            self.before.node(before).size,
            self.after.node(after).size,
        )
    }

    fn bottom_up(&mut self) {
        let (before, after) = (self.before, self.after);
        // Visit marks for the candidate walk, stamped with the position in the postorder.
        let mut visited = vec![usize::MAX; after.len()];
        for (step, b) in postorder(before).into_iter().enumerate() {
            if b == Tree::ROOT || before.is_leaf(b) || self.is_matched_before(b) {
                continue;
            }
            let mut partners: Vec<NodeId> = (b + 1..b + before.node(b).size)
                .filter_map(|d| self.mapping.partner_of_before(d))
                .collect();
            if partners.is_empty() {
                continue;
            }
            partners.sort_unstable();
            let kind = before.node(b).kind;
            let mut best: Option<(f64, NodeId)> = None;
            // Candidates are the unmatched same-kind ancestors of the partners of b's matched descendants.
            for &p in &partners {
                let mut cur = after.node(p).parent;
                while let Some(c) = cur {
                    if visited[c as usize] == step {
                        break;
                    }
                    visited[c as usize] = step;
                    if c != Tree::ROOT && !self.is_matched_after(c) && after.node(c).kind == kind {
                        let inside = c + 1..c + after.node(c).size;
                        let common = partners.partition_point(|&x| x < inside.end)
                            - partners.partition_point(|&x| x < inside.start);
                        let dice = dice_of(common, before.node(b).size, after.node(c).size);
                        if best.is_none_or(|(d, _)| dice > d) {
                            best = Some((dice, c));
                        }
                    }
                    cur = after.node(c).parent;
                }
            }
            if let Some((dice, a)) = best
                && dice >= self.config.min_dice
            {
                self.link(b, a);
                self.recover(b, a);
            }
        }
        let (root_before, root_after) = (Tree::ROOT, Tree::ROOT);
        if !self.is_matched_before(root_before)
            && !self.is_matched_after(root_after)
            && before.node(root_before).kind == after.node(root_after).kind
        {
            self.link(root_before, root_after);
            self.recover(root_before, root_after);
        }
    }

    /// Pairs the unmatched descendants of a matched pair: between the children that are already matched to
    /// each other (the anchors), identical children in order first, then children of the same label, then of
    /// the same kind, recursing into every newly paired inner node.
    fn recover(&mut self, before_root: NodeId, after_root: NodeId) {
        let (before, after) = (self.before, self.after);
        let mut work = vec![(before_root, after_root)];
        while let Some((b, a)) = work.pop() {
            for (xs, ys) in self.gaps(&before.node(b).children, &after.node(a).children) {
                self.align_gap(xs, ys, &mut work);
            }
        }
    }

    /// Splits two children lists at the children matched to each other, keeping the longest run of such
    /// anchors that is in order on both sides, and returns the unmatched children between anchors. Aligning
    /// gap by gap keeps a comma from pairing with a comma on the other side of an unchanged parameter.
    fn gaps(&self, xs: &[NodeId], ys: &[NodeId]) -> Vec<(Vec<NodeId>, Vec<NodeId>)> {
        let anchors: Vec<(usize, usize)> = (xs.iter().enumerate())
            .filter_map(|(i, &x)| {
                let y = self.mapping.partner_of_before(x)?;
                ys.binary_search(&y).ok().map(|j| (i, j))
            })
            .collect();
        let keys: Vec<u32> = anchors.iter().map(|&(_, j)| j as u32).collect();
        let mut bounds: Vec<(usize, usize)> = longest_increasing(&keys)
            .into_iter()
            .map(|k| anchors[k])
            .collect();
        bounds.push((xs.len(), ys.len()));
        let mut gaps = Vec::with_capacity(bounds.len());
        let (mut from_x, mut from_y) = (0, 0);
        for (to_x, to_y) in bounds {
            let gap_x: Vec<NodeId> = (xs[from_x..to_x].iter().copied())
                .filter(|&x| !self.is_matched_before(x))
                .collect();
            let gap_y: Vec<NodeId> = (ys[from_y..to_y].iter().copied())
                .filter(|&y| !self.is_matched_after(y))
                .collect();
            if !gap_x.is_empty() && !gap_y.is_empty() {
                gaps.push((gap_x, gap_y));
            }
            (from_x, from_y) = (to_x + 1, to_y + 1);
        }
        gaps
    }

    fn align_gap(
        &mut self,
        mut xs: Vec<NodeId>,
        mut ys: Vec<NodeId>,
        work: &mut Vec<(NodeId, NodeId)>,
    ) {
        let (before, after) = (self.before, self.after);
        let max_size = self.config.max_recovery_size;
        let identical = lcs(xs.len(), ys.len(), MAX_LCS_CELLS, |i, j| {
            before.node(xs[i]).hash == after.node(ys[j]).hash
        });
        for (i, j) in identical {
            if isomorphic(before, xs[i], after, ys[j]) {
                self.link_subtree(xs[i], ys[j]);
            }
        }
        // A gap of one node on each side, between anchors that agree, is trusted whatever its size.
        let one_to_one = xs.len() == 1 && ys.len() == 1;
        let small = |x: NodeId, y: NodeId| {
            one_to_one || (before.node(x).size <= max_size && after.node(y).size <= max_size)
        };
        // Same label (kind, and text for leaves) first, so that an unchanged leaf is not paired with a changed
        // neighbour of the same kind; then same kind, which turns renamed leaves into updates.
        let same_label = |x: NodeId, y: NodeId| before.label_eq(x, after, y) && small(x, y);
        let same_kind = |x: NodeId, y: NodeId| {
            before.node(x).kind == after.node(y).kind
                && before.is_leaf(x) == after.is_leaf(y)
                && small(x, y)
        };
        for eq in [&same_label as &dyn Fn(NodeId, NodeId) -> bool, &same_kind] {
            xs.retain(|&x| !self.is_matched_before(x));
            ys.retain(|&y| !self.is_matched_after(y));
            if xs.is_empty() || ys.is_empty() {
                break;
            }
            for (i, j) in lcs(xs.len(), ys.len(), MAX_LCS_CELLS, |i, j| eq(xs[i], ys[j])) {
                self.link(xs[i], ys[j]);
                if !before.is_leaf(xs[i]) {
                    work.push((xs[i], ys[j]));
                }
            }
        }
    }
}

/// The previous and next siblings of a node.
fn neighbours(tree: &Tree, id: NodeId) -> (Option<NodeId>, Option<NodeId>) {
    let Some(parent) = tree.node(id).parent else {
        return (None, None);
    };
    let siblings = &tree.node(parent).children;
    let at = siblings.partition_point(|&s| s < id);
    (
        at.checked_sub(1).map(|k| siblings[k]),
        siblings.get(at + 1).copied(),
    )
}

/// Candidate pairs of a group of identical subtrees: all pairs for a small group, else for each before
/// subtree the after subtrees nearest to its relative position.
fn ambiguous_candidates(
    before: &Tree,
    xs: &[NodeId],
    after: &Tree,
    ys: &[NodeId],
    out: &mut Vec<(NodeId, NodeId)>,
) {
    if xs.len() * ys.len() <= MAX_AMBIGUOUS_PAIRS {
        out.extend(xs.iter().flat_map(|&x| ys.iter().map(move |&y| (x, y))));
        return;
    }
    let mut ys = ys.to_vec();
    ys.sort_unstable();
    let relative = |id: NodeId, tree: &Tree| id as f64 / tree.len() as f64;
    for &x in xs {
        let at = ys.partition_point(|&y| relative(y, after) < relative(x, before));
        let window = at.saturating_sub(AMBIGUOUS_WINDOW)..(at + AMBIGUOUS_WINDOW).min(ys.len());
        out.extend(ys[window].iter().map(|&y| (x, y)));
    }
}

fn dice_of(common: usize, size_before: u32, size_after: u32) -> f64 {
    let total = (size_before - 1 + size_after - 1) as f64;
    if total == 0.0 {
        0.0
    } else {
        2.0 * common as f64 / total
    }
}

/// Whether two subtrees are identical: same kinds, same leaf texts, same shape. In preorder, a sequence of
/// (kind, number of children) pairs determines the shape, so one lockstep walk suffices.
pub(crate) fn isomorphic(before: &Tree, b: NodeId, after: &Tree, a: NodeId) -> bool {
    let size = before.node(b).size;
    size == after.node(a).size
        && (0..size).all(|k| {
            let (x, y) = (before.node(b + k), after.node(a + k));
            x.hash == y.hash
                && x.children.len() == y.children.len()
                && before.label_eq(b + k, after, a + k)
        })
}

/// Nodes of one height, split into classes of identical subtrees; indexes point into the level lists.
#[derive(Default)]
struct Class {
    before: Vec<usize>,
    after: Vec<usize>,
}

fn isomorphism_classes(
    before: &Tree,
    level_before: &[NodeId],
    after: &Tree,
    level_after: &[NodeId],
) -> Vec<Class> {
    // Classes are listed in order of first appearance so that the result does not depend on hash order.
    let mut classes: Vec<Class> = Vec::new();
    // For each hash, the classes that carry it (more than one only on a hash collision), with a
    // representative of each.
    let mut by_hash: HashMap<u64, Vec<(usize, &Tree, NodeId)>> = HashMap::new();
    for (side, tree, level) in [(0, before, level_before), (1, after, level_after)] {
        for (idx, &id) in level.iter().enumerate() {
            let reps = by_hash.entry(tree.node(id).hash).or_default();
            let class = match reps
                .iter()
                .find(|(_, rep_tree, rep)| isomorphic(rep_tree, *rep, tree, id))
            {
                Some(&(class, _, _)) => class,
                None => {
                    if side == 1 {
                        // Only in the after tree: nothing to match it with.
                        continue;
                    }
                    classes.push(Class::default());
                    reps.push((classes.len() - 1, tree, id));
                    classes.len() - 1
                }
            };
            if side == 0 {
                classes[class].before.push(idx);
            } else {
                classes[class].after.push(idx);
            }
        }
    }
    classes
}

/// GumTree's height-indexed priority list: one bucket per height, popped from the highest.
struct HeightQueue<'t> {
    tree: &'t Tree,
    buckets: Vec<Vec<NodeId>>,
    max: usize,
}

impl<'t> HeightQueue<'t> {
    fn new(tree: &'t Tree) -> Self {
        let height = tree.node(Tree::ROOT).height as usize;
        let mut buckets = vec![Vec::new(); height + 1];
        buckets[height].push(Tree::ROOT);
        HeightQueue {
            tree,
            buckets,
            max: height,
        }
    }

    /// The greatest height with nodes waiting, 0 when none.
    fn peek_max(&mut self) -> u32 {
        while self.max > 0 && self.buckets[self.max].is_empty() {
            self.max -= 1;
        }
        self.max as u32
    }

    fn pop_max(&mut self) -> Vec<NodeId> {
        let height = self.peek_max() as usize;
        std::mem::take(&mut self.buckets[height])
    }

    /// Replaces every node of the greatest height by its children.
    fn open_max(&mut self) {
        for id in self.pop_max() {
            self.open(id);
        }
    }

    fn open(&mut self, id: NodeId) {
        for &child in &self.tree.node(id).children {
            self.buckets[self.tree.node(child).height as usize].push(child);
        }
    }
}

/// The nodes of `tree` in postorder (children before parents, siblings left to right).
fn postorder(tree: &Tree) -> Vec<NodeId> {
    let mut out = Vec::with_capacity(tree.len());
    let mut stack: Vec<(NodeId, usize)> = vec![(Tree::ROOT, 0)];
    while let Some((id, next)) = stack.last_mut() {
        let children = &tree.node(*id).children;
        if let Some(&child) = children.get(*next) {
            *next += 1;
            stack.push((child, 0));
        } else {
            out.push(*id);
            stack.pop();
        }
    }
    out
}
