//! The edit script implied by a mapping: which nodes were inserted, deleted, updated or moved.
//!
//! Why not Chawathe's full script (with the exact positions and the order in which to apply the actions):
//! suture never replays a script. It only needs to know which nodes each hunk touched, so that it can find the
//! subtree pair that holds them. Each action is therefore read off the mapping independently, in one linear
//! pass per tree plus one longest-increasing-subsequence per matched parent pair.

use syntax::{NodeId, Tree};

use crate::Mapping;
use crate::lcs::longest_increasing;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A node of the after tree with no partner.
    Insert { after: NodeId },
    /// A node of the before tree with no partner.
    Delete { before: NodeId },
    /// Matched leaves whose text differs.
    Update { before: NodeId, after: NodeId },
    /// Matched nodes whose parents are not matched to each other, or whose position among the matched
    /// siblings changed.
    Move { before: NodeId, after: NodeId },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditScript {
    /// Deletions, updates and moves in preorder of the before tree, then insertions in preorder of the after
    /// tree.
    pub actions: Vec<Action>,
    /// The before nodes touched by any action, ascending.
    pub changed_before: Vec<NodeId>,
    /// The after nodes touched by any action, ascending.
    pub changed_after: Vec<NodeId>,
}

impl EditScript {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// Reads the edit script off a mapping produced by [`crate::match_trees`] for the same two trees.
pub fn edit_script(before: &Tree, after: &Tree, mapping: &Mapping) -> EditScript {
    let moved_in_order = reordered_siblings(before, after, mapping);
    let mut script = EditScript::default();
    for b in 0..before.len() as NodeId {
        let Some(a) = mapping.partner_of_before(b) else {
            script.actions.push(Action::Delete { before: b });
            script.changed_before.push(b);
            continue;
        };
        let mut changed = false;
        if before.is_leaf(b) && before.text_of(b) != after.text_of(a) {
            script.actions.push(Action::Update {
                before: b,
                after: a,
            });
            changed = true;
        }
        let parents_matched = match (before.node(b).parent, after.node(a).parent) {
            (None, None) => true,
            (Some(pb), Some(pa)) => mapping.partner_of_before(pb) == Some(pa),
            _ => false,
        };
        if !parents_matched || moved_in_order[b as usize] {
            script.actions.push(Action::Move {
                before: b,
                after: a,
            });
            changed = true;
        }
        if changed {
            script.changed_before.push(b);
            script.changed_after.push(a);
        }
    }
    for a in 0..after.len() as NodeId {
        if mapping.partner_of_after(a).is_none() {
            script.actions.push(Action::Insert { after: a });
            script.changed_after.push(a);
        }
    }
    script.changed_after.sort_unstable();
    script.changed_after.dedup();
    script
}

/// Marks the before nodes that stay under their matched parent but left the longest increasing run of
/// matched siblings. After ids are preorder, so within one parent they increase with sibling position.
fn reordered_siblings(before: &Tree, after: &Tree, mapping: &Mapping) -> Vec<bool> {
    let mut moved = vec![false; before.len()];
    for b in 0..before.len() as NodeId {
        let Some(a) = mapping.partner_of_before(b) else {
            continue;
        };
        let stayed: Vec<(NodeId, NodeId)> = before
            .node(b)
            .children
            .iter()
            .filter_map(|&x| mapping.partner_of_before(x).map(|y| (x, y)))
            .filter(|&(_, y)| after.node(y).parent == Some(a))
            .collect();
        if stayed.len() < 2 {
            continue;
        }
        let keys: Vec<NodeId> = stayed.iter().map(|&(_, y)| y).collect();
        let mut in_order = vec![false; stayed.len()];
        for pos in longest_increasing(&keys) {
            in_order[pos] = true;
        }
        for (&(x, _), kept) in stayed.iter().zip(in_order) {
            moved[x as usize] = !kept;
        }
    }
    moved
}
