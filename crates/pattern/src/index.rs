//! A compiled library: one pass over a file checks every pattern.
//!
//! Why not run each pattern over each file: the cost would grow with the library. Instead a pattern is indexed
//! by the syntax kind of its before side's root, and by the words (identifiers, keywords) its before side
//! requires. Per file, the words present are collected once; a pattern missing one of its words cannot match
//! and is never tried. Then a single walk over the tree looks up, for each node, only the possible patterns
//! whose root kind is the node's kind. Word sets are hash lookups, so a library ten times larger costs a
//! little more hashing, not ten times the matching.

use std::collections::{HashMap, HashSet};

use syntax::{NodeId, Tree};

use crate::{Bindings, PNode, Pattern, match_at};

/// Patterns compiled for matching.
#[derive(Debug)]
pub struct Index<'a> {
    patterns: Vec<&'a Pattern>,
    /// The words each pattern's before side requires.
    words: Vec<Vec<&'a str>>,
    holes: Vec<usize>,
}

/// One match of a pattern's before side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the pattern in the order given to [`Index::new`].
    pub pattern: usize,
    pub node: NodeId,
    pub bindings: Bindings,
}

impl<'a> Index<'a> {
    pub fn new(patterns: Vec<&'a Pattern>) -> Index<'a> {
        let words = patterns
            .iter()
            .map(|p| {
                let mut tokens = Vec::new();
                p.before.root.literal_tokens(&mut tokens);
                let mut words: Vec<&str> = tokens.into_iter().filter(|t| is_word(t)).collect();
                words.sort_unstable();
                words.dedup();
                words
            })
            .collect();
        let holes = patterns
            .iter()
            .map(|p| hole_slots(&p.before.root))
            .collect();
        Index {
            patterns,
            words,
            holes,
        }
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns that may match somewhere in `text`: those whose required words all occur in it.
    pub fn possible(&self, text: &str) -> Vec<usize> {
        let present: HashSet<&str> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        (0..self.patterns.len())
            .filter(|&i| self.words[i].iter().all(|w| present.contains(w)))
            .collect()
    }

    /// Every match of the `possible` patterns in `tree`, in tree order (outer nodes before inner ones).
    pub fn matches(&self, tree: &Tree, possible: &[usize]) -> Vec<Match> {
        let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
        for &i in possible {
            by_kind
                .entry(self.patterns[i].before.kind())
                .or_default()
                .push(i);
        }
        let mut out = Vec::new();
        if by_kind.is_empty() {
            return out;
        }
        for (id, node) in tree.nodes.iter().enumerate() {
            let Some(candidates) = by_kind.get(node.kind) else {
                continue;
            };
            for &i in candidates {
                if let Some(bindings) =
                    match_at(&self.patterns[i].before, tree, id as NodeId, self.holes[i])
                {
                    out.push(Match {
                        pattern: i,
                        node: id as NodeId,
                        bindings,
                    });
                }
            }
        }
        out
    }
}

fn is_word(token: &str) -> bool {
    !token.is_empty() && token.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn hole_slots(node: &PNode) -> usize {
    let mut ids = Vec::new();
    node.hole_ids(&mut ids);
    ids.into_iter().max().map_or(0, |m| m as usize + 1)
}
