//! Tree differencing: which nodes of a file's before and after trees correspond, what changed between them,
//! and which (before subtree, after subtree) pairs are the concrete edits that fix patterns are learned from.
//!
//! Why a tree diff and not the line diff alone: a line diff says `if x.len() == 0 {` became
//! `if x.is_empty() {`, but a pattern must say that the expression `x.len() == 0` became `x.is_empty()`,
//! whatever surrounds it. The three steps are separate functions because their callers differ: mining wants
//! all three, evaluation inspects mappings, and tests check each one alone.
//! - [`match_trees`]: GumTree matching (top-down on identical subtrees, bottom-up on containers, recovery).
//! - [`edit_script`]: the insert / delete / update / move actions implied by the mapping, as node sets.
//! - [`concrete_edits`]: per line-diff hunk, the smallest matched pair of subtrees holding its changes,
//!   widened until it re-parses on its own, or a [`Dropped`] value with the reason.
//!
//! Everything here is pure: trees in, values out, no IO.

mod concrete;
mod lcs;
mod matching;
mod script;

use syntax::NodeId;

pub use concrete::{ByteHunk, ConcreteEdit, Dropped, EditConfig, concrete_edits};
pub use matching::{MatchConfig, match_trees};
pub use script::{Action, EditScript, edit_script};

/// A one-to-one partial mapping between the nodes of a before tree and an after tree. The two vectors are
/// inverse to each other, and matched nodes have the same kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Indexed by before node id.
    pub before_to_after: Vec<Option<NodeId>>,
    /// Indexed by after node id.
    pub after_to_before: Vec<Option<NodeId>>,
}

impl Mapping {
    /// A mapping that matches nothing, for trees of the given sizes.
    pub fn empty(before_len: usize, after_len: usize) -> Mapping {
        Mapping {
            before_to_after: vec![None; before_len],
            after_to_before: vec![None; after_len],
        }
    }

    pub fn partner_of_before(&self, id: NodeId) -> Option<NodeId> {
        self.before_to_after[id as usize]
    }

    pub fn partner_of_after(&self, id: NodeId) -> Option<NodeId> {
        self.after_to_before[id as usize]
    }

    /// Number of matched pairs.
    pub fn n_pairs(&self) -> usize {
        self.before_to_after.iter().flatten().count()
    }
}
