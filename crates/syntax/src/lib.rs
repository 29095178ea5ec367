//! Rust source text → suture's own owned syntax tree.
//!
//! Why our own tree and not tree-sitter's: the differ, the anti-unifier and the matcher walk trees millions of
//! times and need a structural hash, a subtree size and a height per node, computed once. They also need macro
//! bodies to be real expressions, which tree-sitter leaves as flat token trees. So tree-sitter-rust parses, and
//! [`parse`] converts its result once into a [`Tree`]; nothing downstream ever sees a tree-sitter type.
//!
//! Choices made here:
//! - Parsing never fails. Broken code is data: [`Parse`] carries the tree and the [`SyntaxError`]s.
//! - Comments are left out of the comparable shape. Spans still cover them, so exact text can be rebuilt.
//! - Nodes are stored in preorder, so the subtree of `n` is exactly the ids `n .. n + size`.
//! - Arguments of expression macros (`assert!`, `vec!`, `format!`, …) are re-parsed as a comma-separated
//!   expression list and grafted in as a `macro_arguments` node, with spans into the original text.
//! - Depth is a budget ([`MAX_DEPTH`]), enforced here where every tree is built. Everything downstream (the
//!   differ, anti-unification, matching, instantiation, syn's strict re-parse, rendering, dropping) recurses
//!   over the tree, and a recursion whose depth the input controls is a stack overflow waiting for
//!   `1 + 1 + … + 1` or `Some(Some(…))`: an abort no caller can catch. So a text nested deeper than the budget
//!   is not converted: its [`Parse`] is a one-node tree with [`Parse::too_deep`] set (and a syntax error
//!   saying so), which callers report as a typed skip. One check at the source instead of a guard in each
//!   consumer, so nothing can see a tree deeper than the budget.

mod fragment;
pub mod scan;
mod strict;

use std::ops::Range;

pub use fragment::{
    Fragment, FragmentContext, FragmentError, HOLE_PREFIX, LIST_HOLE_PREFIX, fragment_context,
    hole_name, list_hole_name, parse_fragment, replace_holes,
};
pub use strict::{StrictError, strict_reparse};

/// Index of a node in [`Tree::nodes`].
pub type NodeId = u32;

/// Kind given to a macro's argument list when its token tree was re-parsed as expressions.
pub const MACRO_ARGUMENTS: &str = "macro_arguments";

/// Macros whose arguments are expressions (or a format string followed by expressions).
const EXPRESSION_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "matches",
    "dbg",
    "bail",
    "anyhow",
    "ensure",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
];

#[derive(Debug, Clone)]
pub struct Node {
    /// The tree-sitter-rust kind, or [`MACRO_ARGUMENTS`].
    pub kind: &'static str,
    /// Byte range in [`Tree::text`].
    pub span: Range<u32>,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    /// Structural hash over kind, leaf text and the children's hashes.
    pub hash: u64,
    /// Number of nodes in this subtree, itself included.
    pub size: u32,
    /// 1 for a leaf.
    pub height: u32,
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub text: String,
    /// Preorder: the root is node 0 and the subtree of `n` is `n .. n + nodes[n].size`.
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Range<u32>,
    /// 1-based line and column of the start of the span.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Parse {
    pub tree: Tree,
    pub errors: Vec<SyntaxError>,
    /// Set when the text nests deeper than [`MAX_DEPTH`]: the tree is then only a root leaf spanning the
    /// text, and `errors` holds one error saying so.
    pub too_deep: Option<TooDeep>,
}

/// How many levels a tree may nest, counted in tree-sitter nodes from the root (a `Some(…)` call is two:
/// the call and its argument list; each `+` of a chain is one).
///
/// Why 256: the deepest tree in the current code of tokio, clap, serde and regex is 139 levels (a builder
/// chain in a clap benchmark; the rest stay under 70; `examples/depth.rs` measures), so real code keeps a
/// margin of almost 2×, while every recursive consumer fits a tree this deep in [`STACK_BYTES`] of stack even
/// in a debug build, which `crates/engine/tests/it.rs::every_consumer_fits_the_depth_budget` checks shape by
/// shape.
pub const MAX_DEPTH: u32 = 256;

/// The stack a thread needs to parse, fix or mine a text within [`MAX_DEPTH`]: what the threads that run
/// the engine are given (the binary's main work thread, `pipeline`'s rayon pool, the server's blocking
/// pool). Our own recursions need far less (under 2 MiB at the budget in a debug build); syn's strict
/// re-parse is the hungry one: a debug build spends about 30 KiB of stack per level of nested generic types.
/// Only touched pages are ever committed, so the reservation costs address space, not memory.
pub const STACK_BYTES: usize = 32 << 20;

/// Where a text first went over the depth budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line of the node that went over the budget.
    pub line: u32,
    /// The budget, [`MAX_DEPTH`].
    pub limit: u32,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "code nested deeper than {} levels at line {}",
            self.limit, self.line
        )
    }
}

impl Tree {
    pub const ROOT: NodeId = 0;

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The source text of a node, comments inside it included.
    pub fn text_of(&self, id: NodeId) -> &str {
        let span = &self.node(id).span;
        &self.text[span.start as usize..span.end as usize]
    }

    pub fn is_leaf(&self, id: NodeId) -> bool {
        self.node(id).children.is_empty()
    }

    /// The text that takes part in label equality: a leaf's text, nothing for an inner node.
    pub fn label_text(&self, id: NodeId) -> Option<&str> {
        self.is_leaf(id).then(|| self.text_of(id))
    }

    /// Two nodes are label-equal when their kinds match and, for leaves, their texts match.
    pub fn label_eq(&self, id: NodeId, other: &Tree, other_id: NodeId) -> bool {
        self.node(id).kind == other.node(other_id).kind
            && self.label_text(id) == other.label_text(other_id)
    }

    /// Whether `descendant` lies in the subtree of `ancestor` (itself included).
    pub fn contains(&self, ancestor: NodeId, descendant: NodeId) -> bool {
        let a = self.node(ancestor);
        descendant >= ancestor && descendant < ancestor + a.size
    }

    /// Ids of the subtree of `id` in preorder, itself first.
    pub fn descendants(&self, id: NodeId) -> Range<NodeId> {
        id..id + self.node(id).size
    }

    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(Some(id), |&n| self.node(n).parent)
    }

    /// The lowest node that contains every node in `ids`.
    pub fn lowest_common_ancestor(&self, ids: &[NodeId]) -> Option<NodeId> {
        let (&first, rest) = ids.split_first()?;
        let mut lca = first;
        for &id in rest {
            while !self.contains(lca, id) {
                lca = self.node(lca).parent?;
            }
        }
        Some(lca)
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: u32) -> u32 {
        line_of(&self.text, offset)
    }

    /// The smallest node whose span contains `range`.
    pub fn covering_node(&self, range: Range<u32>) -> NodeId {
        let mut id = Self::ROOT;
        'descend: loop {
            for &child in &self.node(id).children {
                let span = &self.node(child).span;
                if span.start <= range.start && range.end <= span.end {
                    id = child;
                    continue 'descend;
                }
            }
            return id;
        }
    }
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: u32) -> u32 {
    let end = (offset as usize).min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u32
}

/// Parses a whole file. Never fails: broken code yields a tree with `ERROR` nodes plus errors.
pub fn parse(text: &str) -> Parse {
    build(text, &ts_parse_reusing(text))
}

/// Parses `text` when it has no syntax error; `None`, without building a tree, when it has one. For callers that
/// only try a text and widen it when it does not parse (mining tries the block around a hunk first): building
/// the tree of a broken text would be thrown away.
pub fn parse_if_clean(text: &str) -> Option<Parse> {
    let ts_tree = ts_parse_reusing(text);
    (!ts_tree.root_node().has_error()).then(|| build(text, &ts_tree))
}

fn build(text: &str, ts_tree: &tree_sitter::Tree) -> Parse {
    let mut builder = Builder {
        text,
        // The count tree-sitter keeps (comments in, grafted macro arguments out): the vector rarely grows.
        nodes: Vec::with_capacity(ts_tree.root_node().descendant_count()),
        errors: Vec::new(),
        too_deep: None,
    };
    builder.convert(&mut ts_tree.walk(), text, 0, None, 1);
    if let Some(too_deep) = builder.too_deep {
        return shallow(text, too_deep);
    }
    let mut tree = Tree {
        text: text.to_owned(),
        nodes: builder.nodes,
    };
    finish(&mut tree);
    Parse {
        tree,
        errors: builder.errors,
        too_deep: None,
    }
}

/// The parse of a text over the depth budget: one root leaf over the whole text, nothing to match or diff.
fn shallow(text: &str, too_deep: TooDeep) -> Parse {
    let mut tree = Tree {
        text: text.to_owned(),
        nodes: vec![Node {
            kind: "source_file",
            span: 0..text.len() as u32,
            parent: None,
            children: Vec::new(),
            hash: 0,
            size: 1,
            height: 1,
        }],
    };
    finish(&mut tree);
    Parse {
        tree,
        errors: vec![SyntaxError {
            span: 0..text.len() as u32,
            line: too_deep.line,
            column: 1,
            message: too_deep.to_string(),
        }],
        too_deep: Some(too_deep),
    }
}

static LANGUAGE: std::sync::LazyLock<tree_sitter::Language> =
    std::sync::LazyLock::new(|| tree_sitter_rust::LANGUAGE.into());

/// Kind names by kind id, read once from the grammar's tables (which live for the whole program).
static KIND_NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    (0..LANGUAGE.node_kind_count() as u16)
        .map(|id| LANGUAGE.node_kind_for_id(id).unwrap_or("ERROR"))
        .collect()
});

/// Whether `kind` names a kind of node in suture's trees (a tree-sitter-rust kind or [`MACRO_ARGUMENTS`]).
pub fn is_kind(kind: &str) -> bool {
    kind == MACRO_ARGUMENTS || KIND_NAMES.contains(&kind)
}

/// The kind name of a tree-sitter node, with a `'static` lifetime.
fn kind_name(node: tree_sitter::Node<'_>) -> &'static str {
    KIND_NAMES
        .get(node.kind_id() as usize)
        .copied()
        .unwrap_or("ERROR")
}

fn ts_parse(text: &str) -> tree_sitter::Tree {
    ts_parse_with(text, None)
}

fn ts_parse_with(text: &str, old: Option<&tree_sitter::Tree>) -> tree_sitter::Tree {
    thread_local! {
        static PARSER: std::cell::RefCell<tree_sitter::Parser> = std::cell::RefCell::new({
            let mut parser = tree_sitter::Parser::new();
            parser
                .set_language(&LANGUAGE)
                .expect("tree-sitter-rust is compatible with the linked tree-sitter");
            parser
        });
    }
    PARSER.with(|parser| {
        parser
            .borrow_mut()
            .parse(text, old)
            .expect("parsing without a timeout or cancellation always returns a tree")
    })
}

/// Parses `text`, reusing the thread's previous parse when `text` is an edit of that text.
///
/// Mining parses the region around a hunk before a commit and then the same region after it, which differ by
/// the hunk alone; tree-sitter's incremental parsing then rebuilds only the part around the change, and gives
/// the tree a parse from scratch gives. Texts that share less than half their bytes with the previous one are
/// parsed from scratch.
fn ts_parse_reusing(text: &str) -> tree_sitter::Tree {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, tree_sitter::Tree)>> =
            const { std::cell::RefCell::new(None) };
    }
    let previous = LAST.with(|last| last.borrow_mut().take());
    let tree = match previous {
        Some((old, mut tree)) => match shared_ends(&old, text) {
            Some((prefix, suffix)) => {
                tree.edit(&tree_sitter::InputEdit {
                    start_byte: prefix,
                    old_end_byte: old.len() - suffix,
                    new_end_byte: text.len() - suffix,
                    start_position: point_at(&old, prefix),
                    old_end_position: point_at(&old, old.len() - suffix),
                    new_end_position: point_at(text, text.len() - suffix),
                });
                ts_parse_with(text, Some(&tree))
            }
            None => ts_parse_with(text, None),
        },
        None => ts_parse_with(text, None),
    };
    LAST.with(|last| *last.borrow_mut() = Some((text.to_owned(), tree.clone())));
    tree
}

/// Parses `text`, or returns the thread's tree of the same text parsed lately. The arguments of a macro are parsed
/// on their own for each parse of the code around them, and mining parses the same code before and after a
/// change: most macros are the same on both sides.
fn ts_parse_remembered(text: &str) -> tree_sitter::Tree {
    thread_local! {
        static RECENT: std::cell::RefCell<std::collections::HashMap<String, tree_sitter::Tree>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(tree) = RECENT.with(|recent| recent.borrow().get(text).cloned()) {
        return tree;
    }
    let tree = ts_parse(text);
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.len() >= 256 {
            recent.clear();
        }
        recent.insert(text.to_owned(), tree.clone());
    });
    tree
}

/// The bytes two texts share at their start and at their end (not overlapping, on character boundaries), when
/// they are at least half of the new text and the old text is not much longer.
fn shared_ends(old: &str, new: &str) -> Option<(usize, usize)> {
    if new.is_empty() || old.len() > 2 * new.len() {
        return None;
    }
    let (o, n) = (old.as_bytes(), new.as_bytes());
    let mut prefix = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    while !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let limit = o.len().min(n.len()) - prefix;
    let mut suffix = (o.iter().rev().zip(n.iter().rev()))
        .take(limit)
        .take_while(|(a, b)| a == b)
        .count();
    while !new.is_char_boundary(new.len() - suffix) || !old.is_char_boundary(old.len() - suffix) {
        suffix -= 1;
    }
    (2 * (prefix + suffix) >= new.len()).then_some((prefix, suffix))
}

/// The tree-sitter position (row, byte column) of a byte offset.
fn point_at(text: &str, offset: usize) -> tree_sitter::Point {
    let before = &text.as_bytes()[..offset];
    match before.iter().rposition(|&b| b == b'\n') {
        Some(newline) => tree_sitter::Point::new(
            before.iter().filter(|&&b| b == b'\n').count(),
            offset - newline - 1,
        ),
        None => tree_sitter::Point::new(0, offset),
    }
}

struct Builder<'a> {
    /// The text that spans refer to (without any wrapping context).
    text: &'a str,
    nodes: Vec<Node>,
    errors: Vec<SyntaxError>,
    /// Set once a node deeper than [`MAX_DEPTH`] is met; conversion then stops descending.
    too_deep: Option<TooDeep>,
}

impl Builder<'_> {
    fn push(&mut self, kind: &'static str, span: Range<u32>, parent: Option<NodeId>) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            kind,
            span,
            parent,
            children: Vec::new(),
            hash: 0,
            size: 1,
            height: 1,
        });
        if let Some(parent) = parent {
            self.nodes[parent as usize].children.push(id);
        }
        id
    }

    /// Converts the cursor's node (from a parse of a string in which our text starts at `offset`) and its
    /// subtree, and leaves the cursor where it was; `depth` is the node's own (the root's is 1). The recursion
    /// is bounded by [`MAX_DEPTH`]. One cursor walks the whole tree: a cursor per node cost an allocation each.
    fn convert(
        &mut self,
        cursor: &mut tree_sitter::TreeCursor<'_>,
        parsed: &str,
        offset: i64,
        parent: Option<NodeId>,
        depth: u32,
    ) {
        let node = cursor.node();
        if self.too_deep.is_some() {
            return;
        }
        if depth > MAX_DEPTH {
            let start = shift(node.start_byte(), offset);
            self.too_deep = Some(TooDeep {
                line: line_column(self.text, start).0,
                limit: MAX_DEPTH,
            });
            return;
        }
        let kind = kind_name(node);
        if node.is_extra() && kind.ends_with("comment") {
            return;
        }
        if node.is_missing() {
            self.error_at_offset(node, offset);
            return;
        }
        if node.is_error() {
            self.error_at_offset(node, offset);
        }
        let span = shift(node.start_byte(), offset)..shift(node.end_byte(), offset);
        let id = self.push(kind, span, parent);
        if kind == "macro_invocation" && self.graft_macro(node, parsed, offset, id, depth) {
            return;
        }
        // One allocation of the right size instead of doubling as children arrive (comments may leave it
        // slightly too large).
        self.nodes[id as usize]
            .children
            .reserve_exact(node.child_count() as usize);
        if cursor.goto_first_child() {
            loop {
                self.convert(cursor, parsed, offset, Some(id), depth + 1);
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
    }

    fn error_at_offset(&mut self, node: tree_sitter::Node<'_>, offset: i64) {
        let start = shift(node.start_byte(), offset);
        let end = shift(node.end_byte(), offset);
        let (line, column) = line_column(self.text, start);
        let message = if node.is_missing() {
            format!("missing `{}`", node.kind())
        } else {
            let snippet: String = self
                .text
                .get(start as usize..end as usize)
                .unwrap_or("")
                .chars()
                .take(40)
                .collect();
            format!("syntax error near `{}`", snippet.replace('\n', " "))
        };
        self.errors.push(SyntaxError {
            span: start..end,
            line,
            column,
            message,
        });
    }

    /// Re-parses the token tree of an expression macro as `[args]` and grafts the expressions in, under a
    /// [`MACRO_ARGUMENTS`] node that keeps the macro's own delimiters. Returns false (and leaves the token
    /// tree to the caller) when the macro is not an expression macro or its arguments are not expressions.
    fn graft_macro(
        &mut self,
        node: tree_sitter::Node<'_>,
        parsed: &str,
        offset: i64,
        id: NodeId,
        depth: u32,
    ) -> bool {
        let Some(name) = node.child_by_field_name("macro") else {
            return false;
        };
        let name_text = &parsed[name.start_byte()..name.end_byte()];
        let last = name_text.rsplit("::").next().unwrap_or(name_text);
        if !EXPRESSION_MACROS.contains(&last) {
            return false;
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        let Some(token_tree) = children.iter().find(|c| c.kind() == "token_tree") else {
            return false;
        };
        let open = token_tree.start_byte();
        let close = token_tree.end_byte();
        if close < open + 2 {
            return false;
        }
        let inner = &parsed[open + 1..close - 1];
        const PREFIX: &str = "fn __suture_macro() {[";
        let sub_text = format!("{PREFIX}{inner}];}}");
        let sub_tree = ts_parse_remembered(&sub_text);
        if sub_tree.root_node().has_error() {
            return false;
        }
        let Some(array) = find_array(sub_tree.root_node(), PREFIX.len() - 1) else {
            return false;
        };
        // Positions in `sub_text` map to the original text by this offset (in the coordinates of `parsed`).
        // A position `p` of `sub_text` is position `p + delta` of `parsed`, so its offset is `offset - delta`.
        let delta = (open + 1) as i64 - PREFIX.len() as i64;
        for child in children.iter().filter(|c| c.id() != token_tree.id()) {
            if child.start_byte() > token_tree.start_byte() {
                continue;
            }
            self.convert(&mut child.walk(), parsed, offset, Some(id), depth + 1);
        }
        let args_span =
            shift(token_tree.start_byte(), offset)..shift(token_tree.end_byte(), offset);
        let args = self.push(MACRO_ARGUMENTS, args_span, Some(id));
        // The delimiters are the macro's own; the array brackets from the wrapper are dropped.
        self.push_token(
            token_tree.kind_open(parsed),
            shift(open, offset),
            Some(args),
        );
        let mut cursor = array.walk();
        let inner_children: Vec<_> = array.children(&mut cursor).collect();
        let n = inner_children.len();
        for child in &inner_children[1..n.saturating_sub(1)] {
            self.convert(
                &mut child.walk(),
                &sub_text,
                offset - delta,
                Some(args),
                depth + 2,
            );
        }
        self.push_token(
            token_tree.kind_close(parsed),
            shift(close - 1, offset),
            Some(args),
        );
        for child in children
            .iter()
            .filter(|c| c.start_byte() >= token_tree.end_byte())
        {
            self.convert(&mut child.walk(), parsed, offset, Some(id), depth + 1);
        }
        true
    }

    fn push_token(&mut self, kind: &'static str, at: u32, parent: Option<NodeId>) {
        self.push(kind, at..at + 1, parent);
    }
}

trait Delimiters {
    fn kind_open(&self, parsed: &str) -> &'static str;
    fn kind_close(&self, parsed: &str) -> &'static str;
}

impl Delimiters for tree_sitter::Node<'_> {
    fn kind_open(&self, parsed: &str) -> &'static str {
        match parsed.as_bytes()[self.start_byte()] {
            b'[' => "[",
            b'{' => "{",
            _ => "(",
        }
    }
    fn kind_close(&self, parsed: &str) -> &'static str {
        match parsed.as_bytes()[self.end_byte() - 1] {
            b']' => "]",
            b'}' => "}",
            _ => ")",
        }
    }
}

/// The `array_expression` that starts at `at` in a macro re-parse.
fn find_array(root: tree_sitter::Node<'_>, at: usize) -> Option<tree_sitter::Node<'_>> {
    let mut node = root.descendant_for_byte_range(at, at + 1)?;
    loop {
        if node.kind() == "array_expression" && node.start_byte() == at {
            return Some(node);
        }
        node = node.parent()?;
    }
}

/// Maps a byte position of a parsed string to our text, given where our text starts in it.
fn shift(position: usize, offset: i64) -> u32 {
    (position as i64 - offset) as u32
}

fn line_column(text: &str, offset: u32) -> (u32, u32) {
    let end = (offset as usize).min(text.len());
    let before = &text.as_bytes()[..end];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count() as u32;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, (end - line_start) as u32 + 1)
}

/// Computes hashes, sizes and heights bottom-up. Preorder means children have larger ids than parents.
fn finish(tree: &mut Tree) {
    for id in (0..tree.nodes.len()).rev() {
        let node = &tree.nodes[id];
        let mut h = Fx::new();
        h.write(node.kind.as_bytes());
        let mut size = 1;
        let mut height = 0;
        if node.children.is_empty() {
            let span = &node.span;
            h.write(&[0xff]);
            h.write(&tree.text.as_bytes()[span.start as usize..span.end as usize]);
        }
        for &child in &node.children {
            let c = &tree.nodes[child as usize];
            h.write_u64(c.hash);
            size += c.size;
            height = height.max(c.height);
        }
        let node = &mut tree.nodes[id];
        node.hash = h.finish();
        node.size = size;
        node.height = height + 1;
    }
}

/// A small, fast, deterministic hasher (FxHash's mixing step) so that hashes are stable across runs and
/// platforms; structural hashes end up in pattern ids.
#[derive(Debug, Clone, Copy)]
pub struct Fx(u64);

impl Fx {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    pub fn new() -> Fx {
        Fx(0)
    }

    pub fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(Self::K);
    }

    pub fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        self.write_u64(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
    }

    pub fn finish(&self) -> u64 {
        // A final avalanche so that small inputs spread over all bits.
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

impl Default for Fx {
    fn default() -> Self {
        Fx::new()
    }
}

/// Renders a tree as an S-expression, for tests and debugging: leaves show their text.
pub fn debug_tree(tree: &Tree, id: NodeId) -> String {
    let mut out = String::new();
    render(tree, id, 0, &mut out);
    out
}

fn render(tree: &Tree, id: NodeId, depth: usize, out: &mut String) {
    use std::fmt::Write;
    let node = tree.node(id);
    let _ = write!(out, "{}{}", "  ".repeat(depth), node.kind);
    if node.children.is_empty() {
        let _ = write!(out, " {:?}", tree.text_of(id));
    }
    out.push('\n');
    for &child in &node.children {
        render(tree, child, depth + 1, out);
    }
}
