//! Concrete edits: for each hunk of a line diff, the pair (before subtree, after subtree) that a fix pattern is
//! learned from.
//!
//! Why start from line-diff hunks and not from the edit script alone: the script says which nodes changed but
//! not which changes belong together. Hunks are git's own grouping of one commit's changes into places, and a
//! reviewer reads a fix hunk by hunk, so one hunk gives at most one edit.
//!
//! The pair is the lowest pair of corresponding nodes that holds every changed node of the hunk (Getafix's
//! choice), widened where a template needs it:
//! - a pure insertion or deletion has nothing to anchor on, so it widens to the smallest matched container;
//! - `context_levels` adds unchanged surroundings, which makes a pattern fire in fewer, better places;
//! - with `fragment_roundtrip`, both sides must re-parse on their own into the same subtree, because a
//!   pattern is stored as text and must come back as the same tree. Widening stops at statements and items:
//!   an edit that only round-trips as a whole function is not a reusable fix.
//!
//! Edits that are too large, or that only reformat, are returned as [`Dropped`] with the reason, never
//! silently skipped: the caller records why a commit taught nothing.

use std::fmt;
use std::ops::Range;

use syntax::{NodeId, Tree, parse_fragment};

use crate::matching::isomorphic;
use crate::{EditScript, Mapping};

/// One hunk of a line diff as byte ranges in the before and after texts. A pure insertion has an empty
/// `before` range at the insertion point, a pure deletion an empty `after` range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteHunk {
    pub before: Range<u32>,
    pub after: Range<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditConfig {
    /// How many matched ancestor levels of unchanged context to add around each edit.
    pub context_levels: u32,
    /// Widen each edit until both sides re-parse on their own into the same subtree.
    pub fragment_roundtrip: bool,
    /// Drop edits with more nodes than this on either side.
    pub max_nodes: u32,
    /// Drop edits spanning more lines than this on either side.
    pub max_lines: u32,
}

impl Default for EditConfig {
    fn default() -> Self {
        EditConfig {
            context_levels: 0,
            fragment_roundtrip: true,
            max_nodes: 60,
            max_lines: 8,
        }
    }
}

/// A before subtree and the after subtree it became; extract them with [`Tree::extract`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcreteEdit {
    pub before: NodeId,
    pub after: NodeId,
}

/// A hunk that gave no edit, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Byte span of the before side: of the edit when one was found, else of the hunk.
    pub before_span: Range<u32>,
    pub after_span: Range<u32>,
    pub reason: String,
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dropped edit at bytes {}..{} (before), {}..{} (after): {}",
            self.before_span.start,
            self.before_span.end,
            self.after_span.start,
            self.after_span.end,
            self.reason
        )
    }
}

/// Node kinds at which widening stops: statements, items, and blocks (which hold statements). The lists
/// inside items (`declaration_list`, `field_declaration_list`) are not here: they never re-parse on their
/// own, so widening goes on to their item.
const STOP_KINDS: &[&str] = &[
    "source_file",
    "block",
    "let_declaration",
    "expression_statement",
    "function_item",
    "function_signature_item",
    "impl_item",
    "trait_item",
    "mod_item",
    "struct_item",
    "enum_item",
    "union_item",
    "const_item",
    "static_item",
    "type_item",
    "use_declaration",
    "macro_definition",
    "foreign_mod_item",
    "extern_crate_declaration",
];

/// One result per hunk, except that an edit equal to or nested in another hunk's edit is reported once, as
/// the outer one. `script` must be [`crate::edit_script`] of the same trees and mapping.
pub fn concrete_edits(
    before: &Tree,
    after: &Tree,
    mapping: &Mapping,
    script: &EditScript,
    hunks: &[ByteHunk],
    config: &EditConfig,
) -> Vec<Result<ConcreteEdit, Dropped>> {
    let finder = Finder {
        before,
        after,
        mapping,
        script,
        config,
    };
    let results: Vec<_> = hunks.iter().map(|hunk| finder.edit_for(hunk)).collect();
    dedup(before, after, results)
}

struct Finder<'a> {
    before: &'a Tree,
    after: &'a Tree,
    mapping: &'a Mapping,
    script: &'a EditScript,
    config: &'a EditConfig,
}

impl Finder<'_> {
    fn edit_for(&self, hunk: &ByteHunk) -> Result<ConcreteEdit, Dropped> {
        let (before, after) = (self.before, self.after);
        let hunk_dropped = |reason: &str| Dropped {
            before_span: hunk.before.clone(),
            after_span: hunk.after.clone(),
            reason: reason.to_owned(),
        };
        let changed_before: Vec<NodeId> = (self.script.changed_before.iter().copied())
            .filter(|&id| touches(&before.node(id).span, &hunk.before))
            .collect();
        let changed_after: Vec<NodeId> = (self.script.changed_after.iter().copied())
            .filter(|&id| touches(&after.node(id).span, &hunk.after))
            .collect();
        let anchored = match (
            before.lowest_common_ancestor(&changed_before),
            after.lowest_common_ancestor(&changed_after),
        ) {
            (Some(b0), Some(a0)) => self.anchor(b0, a0),
            // A pure insertion: the smallest matched container of the inserted code. When `a0` is itself
            // matched (a moved node), the container is its parent: that is where the move shows.
            (None, Some(a0)) => {
                let skip = self.mapping.partner_of_after(a0).is_some() && a0 != Tree::ROOT;
                (after.ancestors(a0).skip(skip as usize))
                    .find_map(|a| self.mapping.partner_of_after(a).map(|b| (b, a)))
            }
            (Some(b0), None) => {
                let skip = self.mapping.partner_of_before(b0).is_some() && b0 != Tree::ROOT;
                (before.ancestors(b0).skip(skip as usize))
                    .find_map(|b| self.mapping.partner_of_before(b).map(|a| (b, a)))
            }
            (None, None) => {
                return Err(hunk_dropped(
                    "the hunk changes no syntax node (only whitespace or comments)",
                ));
            }
        };
        let (mut b, mut a) = anchored.ok_or_else(|| {
            hunk_dropped("no pair of matched nodes holds the change (the roots do not match)")
        })?;
        // The mapping can anchor the same change at different depths (identical `()` argument lists compete
        // for one partner); descending while exactly one child pair differs makes the edit canonical.
        (b, a) = shrink(before, after, b, a);
        // The anchor can be a differing child of a matched parent; the same context rule as in `shrink`
        // lifts it back under its operator.
        if let (Some(pb), Some(pa)) = (before.node(b).parent, after.node(a).parent)
            && self.mapping.partner_of_before(pb) == Some(pa)
            && keeps_operator(before, pb, b, after, a)
        {
            (b, a) = (pb, pa);
        }
        // A node that moved within its parent is identical on both sides; the change is the parent's order.
        while isomorphic(before, b, after, a) {
            match self.mapped_ancestor(b, a) {
                Some(pair) => (b, a) = pair,
                None => break,
            }
        }
        for _ in 0..self.config.context_levels {
            match self.mapped_ancestor(b, a) {
                Some(pair) => (b, a) = pair,
                None => break,
            }
        }
        let first = (b, a);
        loop {
            self.check_size(b, a)?;
            if !self.config.fragment_roundtrip || (roundtrips(before, b) && roundtrips(after, a)) {
                break;
            }
            let stop = [before.node(b).kind, after.node(a).kind]
                .into_iter()
                .find(|kind| STOP_KINDS.contains(kind));
            let widened = if stop.is_some() {
                None
            } else {
                self.widen(b, a)
            };
            let Some(pair) = widened else {
                let (kind_before, kind_after) =
                    (before.node(first.0).kind, after.node(first.1).kind);
                let limit = stop.unwrap_or(before.node(b).kind);
                return Err(self.dropped(
                    b,
                    a,
                    format!(
                        "neither `{kind_before}` → `{kind_after}` nor an enclosing pair up to \
                         `{limit}` re-parses on its own as the same subtree"
                    ),
                ));
            };
            (b, a) = pair;
        }
        if isomorphic(before, b, after, a) {
            let squeeze = |text: &str| {
                text.chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
            };
            let reason = if squeeze(before.text_of(b)) == squeeze(after.text_of(a)) {
                "before and after differ only in whitespace"
            } else {
                "before and after differ only in comments and whitespace"
            };
            return Err(self.dropped(b, a, reason.to_owned()));
        }
        if tokens_without_commas(before, b).eq(tokens_without_commas(after, a)) {
            // rustfmt adds and removes trailing commas when it reflows; that is formatting, not a fix.
            return Err(self.dropped(b, a, "before and after differ only in commas".to_owned()));
        }
        Ok(ConcreteEdit {
            before: b,
            after: a,
        })
    }

    /// Climbs from the before side's changed nodes to the lowest pair that holds the changes of both sides:
    /// either `b` matched to an `a` that contains `a0`, or `b` under a matched parent whose partner's child
    /// `a` contains `a0` and is unmatched or matched inside `b` (a node replaced by one of another kind that
    /// keeps part of it, as `x.len() == 0` → `x.is_empty()` keeps the call).
    fn anchor(&self, b0: NodeId, a0: NodeId) -> Option<(NodeId, NodeId)> {
        let (before, after) = (self.before, self.after);
        let mut b = b0;
        loop {
            if let Some(a) = self.mapping.partner_of_before(b)
                && after.contains(a, a0)
            {
                return Some((b, a));
            }
            let parent = before.node(b).parent?;
            if let Some(parent_after) = self.mapping.partner_of_before(parent)
                && let Some(&a) = (after.node(parent_after).children.iter())
                    .find(|&&child| after.contains(child, a0))
                && self
                    .mapping
                    .partner_of_after(a)
                    .is_none_or(|x| before.contains(b, x))
            {
                return Some((b, a));
            }
            b = parent;
        }
    }

    /// The nearest strict ancestor pair of `(b, a)` that is matched and still holds `a`.
    fn mapped_ancestor(&self, b: NodeId, a: NodeId) -> Option<(NodeId, NodeId)> {
        self.before.ancestors(b).skip(1).find_map(|x| {
            self.mapping
                .partner_of_before(x)
                .filter(|&y| self.after.contains(y, a))
                .map(|y| (x, y))
        })
    }

    /// One step up: the before parent with its partner when that holds `a`, else both parents.
    fn widen(&self, b: NodeId, a: NodeId) -> Option<(NodeId, NodeId)> {
        let parent_before = self.before.node(b).parent?;
        if let Some(x) = self.mapping.partner_of_before(parent_before)
            && self.after.contains(x, a)
        {
            return Some((parent_before, x));
        }
        Some((parent_before, self.after.node(a).parent?))
    }

    fn check_size(&self, b: NodeId, a: NodeId) -> Result<(), Dropped> {
        for (side, tree, id) in [("before", self.before, b), ("after", self.after, a)] {
            let nodes = tree.node(id).size;
            if nodes > self.config.max_nodes {
                return Err(self.dropped(
                    b,
                    a,
                    format!(
                        "edit has {nodes} nodes on the {side} side, over the {}-node limit",
                        self.config.max_nodes
                    ),
                ));
            }
            let lines = tree.text_of(id).matches('\n').count() + 1;
            if lines > self.config.max_lines as usize {
                return Err(self.dropped(
                    b,
                    a,
                    format!(
                        "edit spans {lines} lines on the {side} side, over the {}-line limit",
                        self.config.max_lines
                    ),
                ));
            }
        }
        Ok(())
    }

    fn dropped(&self, b: NodeId, a: NodeId, reason: String) -> Dropped {
        Dropped {
            before_span: self.before.node(b).span.clone(),
            after_span: self.after.node(a).span.clone(),
            reason,
        }
    }
}

/// Whether a node's span meets a hunk's range; an empty range (a pure insertion point) is met by the nodes
/// that touch it.
fn touches(span: &Range<u32>, range: &Range<u32>) -> bool {
    if range.is_empty() {
        span.start <= range.start && range.start <= span.end
    } else {
        span.start < range.end && range.start < span.end
    }
}

/// Whether the text of `id` parses on its own, as a node of its kind, into the same subtree.
/// The smallest pair under `(b, a)` that still holds every difference: while both nodes have the same kind
/// and arity and all but one pair of children are identical, descend into that pair.
fn shrink(before: &Tree, after: &Tree, mut b: NodeId, mut a: NodeId) -> (NodeId, NodeId) {
    loop {
        let (nb, na) = (before.node(b), after.node(a));
        if nb.kind != na.kind || nb.children.len() != na.children.len() {
            return (b, a);
        }
        let mut differing = nb
            .children
            .iter()
            .zip(&na.children)
            .filter(|&(&cb, &ca)| !isomorphic(before, cb, after, ca));
        match (differing.next(), differing.next()) {
            (Some((&cb, &ca)), None) if !keeps_operator(before, b, cb, after, ca) => {
                (b, a) = (cb, ca)
            }
            _ => return (b, a),
        }
    }
}

/// Whether descending from `parent` to the differing child pair `(cb, ca)` would lose the context that makes
/// the change right: the child changes kind, and the parent holds an operator of its own ([`OPERATORS`]: `&`,
/// `*`, `-`, `!`, …) that applies to it. `&Vec<T>` → `&[T]` is right, but `Vec<T>` → `[T]` breaks every owned vector,
/// because an unsized `[T]` is only valid behind the `&`. Brackets and separators are not operators: they
/// only repeat the parent's kind, so `f(x.unwrap())` → `f(x?)` still shrinks to `x.unwrap()` → `x?`.
fn keeps_operator(before: &Tree, parent: NodeId, cb: NodeId, after: &Tree, ca: NodeId) -> bool {
    if before.node(cb).kind == after.node(ca).kind {
        return false;
    }
    before
        .node(parent)
        .children
        .iter()
        .any(|&c| before.is_leaf(c) && OPERATORS.contains(&before.text_of(c)))
}

/// Unary and binary operators: tokens that apply to their operands. Assignment, `->`, `=>` and ranges are
/// left out: they separate parts rather than act on them, so `let d = a - b;` still shrinks to `a - b`.
const OPERATORS: &[&str] = &[
    "&", "*", "!", "-", "?", "+", "/", "%", "<<", ">>", "|", "^", "==", "!=", "<", ">", "<=", ">=",
    "&&", "||",
];

/// The leaf texts of a subtree, commas left out.
fn tokens_without_commas(tree: &Tree, id: NodeId) -> impl Iterator<Item = &str> {
    tree.descendants(id)
        .filter(move |&n| tree.is_leaf(n))
        .map(move |n| tree.text_of(n))
        .filter(|t| *t != ",")
}

fn roundtrips(tree: &Tree, id: NodeId) -> bool {
    // Whether a subtree re-parses alone depends only on its tokens, which its structural hash covers (kind
    // included; whitespace and comments do not change a parse). Mining asks about the same subtrees again
    // and again across commits, so answers are remembered per thread, in a bounded table.
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<u64, bool>> = Default::default();
    }
    let node = tree.node(id);
    if let Some(known) = KNOWN.with(|k| k.borrow().get(&node.hash).copied()) {
        return known;
    }
    let answer = parse_fragment(tree.text_of(id), Some(node.kind))
        .is_ok_and(|fragment| fragment.tree.node(Tree::ROOT).hash == node.hash);
    KNOWN.with(|k| {
        let mut known = k.borrow_mut();
        if known.len() >= 1 << 16 {
            known.clear();
        }
        known.insert(node.hash, answer);
    });
    answer
}

/// Removes edits that repeat or lie inside another hunk's edit on both sides, keeping the first outer one.
fn dedup(
    before: &Tree,
    after: &Tree,
    results: Vec<Result<ConcreteEdit, Dropped>>,
) -> Vec<Result<ConcreteEdit, Dropped>> {
    let edits: Vec<(usize, ConcreteEdit)> = (results.iter().enumerate())
        .filter_map(|(idx, r)| r.as_ref().ok().map(|&e| (idx, e)))
        .collect();
    let inside = |inner: ConcreteEdit, outer: ConcreteEdit| {
        before.contains(outer.before, inner.before) && after.contains(outer.after, inner.after)
    };
    let redundant = |idx: usize, edit: ConcreteEdit| {
        edits.iter().any(|&(other_idx, other)| {
            other_idx != idx && inside(edit, other) && (other != edit || other_idx < idx)
        })
    };
    (results.into_iter().enumerate())
        .filter(|(idx, r)| r.as_ref().map_or(true, |&e| !redundant(*idx, e)))
        .map(|(_, r)| r)
        .collect()
}
