//! List holes: `$$$NAME` stands for a run of zero or more items of a list (call arguments, macro arguments,
//! parameters, array elements, struct fields, `use` lists, generic arguments, the statements of a block).
//!
//! Why a separate kind of hole and not a single hole over the whole list node: a hole binds one subtree, so
//! `foo(a)` and `foo(a, b)` would generalise to `foo` followed by a hole for `(a)`/`(a, b)`, whose text
//! (`foo$A`) does not read back as the same tree, and the pattern was dropped. A list hole sits where items
//! sit, so the template reads as Rust (`foo($$$A)`), and it binds the items' original text, separators and
//! comments between them included.
//!
//! The choices that keep a list hole from writing wrong code:
//! - Only lists whose separators are known are lists: comma lists of the kinds in [`COMMA_LISTS`] whose
//!   children alternate item and `,` (attributes between items, as in a field list with `#[cfg]`, do not), and
//!   the statements of a `block`. Tuples are not lists: `(a,)` with one item bound is `(a)`, another type.
//!   Match arms are not lists yet (`$$$A` has no placeholder that parses as an arm).
//! - The separators next to a list hole are the template's. Matching compares items only (a trailing comma is
//!   formatting); instantiation writes the bound run's text between the template's own separators, and an
//!   empty run takes one separator with it (`f(a, $$$B)` with nothing bound is `f(a)`, not `f(a, )`).
//! - At most one list hole per list, so a match is unique: the items before it match the list's first items,
//!   the items after it its last ones, and the hole binds what is between.
//! - In a block, a run followed by more template statements must end in a statement, not a tail expression
//!   (`{ $$$A; f(); }` does not bind `{ x }`'s `x`, which would give `x f();`).

use std::ops::Range;

use syntax::{NodeId, Tree};

use crate::{Label, PNode};

/// How a list separates its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `( a, b, )`: delimiters, items separated by commas, maybe a trailing comma.
    Comma,
    /// `{ a; b }`: the statements of a block, each carrying its own `;`.
    Statements,
}

/// Node kinds whose comma-separated children are a list a list hole may stand in.
const COMMA_LISTS: &[&str] = &[
    "arguments",
    "macro_arguments",
    "parameters",
    "array_expression",
    "field_initializer_list",
    "field_declaration_list",
    "ordered_field_declaration_list",
    "use_list",
    "enum_variant_list",
    "type_arguments",
];

/// The shape of a node of `kind` whose children have `kinds`, if it is a list.
pub(crate) fn shape(kind: &str, kinds: &[&str]) -> Option<Shape> {
    if kinds.len() < 2 {
        return None;
    }
    let close = match kinds[0] {
        "(" => ")",
        "[" => "]",
        "{" => "}",
        "<" => ">",
        _ => return None,
    };
    if kinds[kinds.len() - 1] != close {
        return None;
    }
    let inner = &kinds[1..kinds.len() - 1];
    if kind == "block" && kinds[0] == "{" {
        return (!inner.contains(&",")).then_some(Shape::Statements);
    }
    if !COMMA_LISTS.contains(&kind) {
        return None;
    }
    inner
        .iter()
        .enumerate()
        .all(|(i, k)| (i % 2 == 1) == (*k == ","))
        .then_some(Shape::Comma)
}

/// Indices of the items among the children: all but the delimiters and, in a comma list, the commas.
pub(crate) fn items(shape: Shape, kinds: &[&str]) -> Vec<usize> {
    (1..kinds.len().saturating_sub(1))
        .filter(|&i| shape == Shape::Statements || kinds[i] != ",")
        .collect()
}

/// Whether a comma list ends with a trailing comma.
pub(crate) fn trailing_comma(shape: Shape, kinds: &[&str]) -> bool {
    shape == Shape::Comma && kinds.len() >= 3 && kinds[kinds.len() - 2] == ","
}

/// The kind of a template node for [`shape`]: holes are items.
pub(crate) fn kind_of(node: &PNode) -> &'static str {
    match node.label {
        Label::Hole(_) => "$hole",
        Label::List(_) => "$list",
        Label::Node { kind, .. } => kind,
    }
}

pub(crate) fn kinds(node: &PNode) -> Vec<&'static str> {
    node.children.iter().map(kind_of).collect()
}

pub(crate) fn tree_kinds(tree: &Tree, id: NodeId) -> Vec<&'static str> {
    tree.node(id)
        .children
        .iter()
        .map(|&c| tree.node(c).kind)
        .collect()
}

/// Whether `node` has a list hole among its children.
pub(crate) fn has_list_child(node: &PNode) -> bool {
    node.children
        .iter()
        .any(|c| matches!(c.label, Label::List(_)))
}

/// A match of a template list holding one list hole against a list with children `target` (kinds): which
/// template child goes with which target child (the items around the hole), the hole, and the target children
/// of the run it binds.
pub(crate) struct Split {
    pub(crate) pairs: Vec<(usize, usize)>,
    pub(crate) hole: crate::HoleId,
    pub(crate) run: Vec<usize>,
    pub(crate) shape: Shape,
    /// Whether the template has items after the hole.
    pub(crate) followed: bool,
}

/// The [`Split`] of `template` (a node of `kind` with a list hole among its children) over `target`, if the
/// two are lists of one shape and delimiters with enough items.
pub(crate) fn split(template: &PNode, kind: &str, target: &[&str]) -> Option<Split> {
    let kinds = kinds(template);
    let shape = shape(kind, &kinds)?;
    if self::shape(kind, target) != Some(shape) || kinds[0] != target[0] {
        return None;
    }
    let (ti, ii) = (items(shape, &kinds), items(shape, target));
    let holes: Vec<usize> = (0..ti.len())
        .filter(|&k| matches!(template.children[ti[k]].label, Label::List(_)))
        .collect();
    let [at] = holes[..] else {
        return None;
    };
    let Label::List(hole) = template.children[ti[at]].label else {
        return None;
    };
    let (pre, post) = (&ti[..at], &ti[at + 1..]);
    let tail = ii.len().checked_sub(post.len())?;
    if tail < pre.len() {
        return None;
    }
    let pairs = pre
        .iter()
        .copied()
        .zip(ii.iter().copied())
        .chain(post.iter().copied().zip(ii[tail..].iter().copied()))
        .collect();
    Some(Split {
        pairs,
        hole,
        run: ii[pre.len()..tail].to_vec(),
        shape,
        followed: !post.is_empty(),
    })
}

/// Whether a bound statement may be followed by another statement: it ends in `;` or is a statement or an
/// item, not a tail expression.
pub(crate) fn ends_statement(tree: &Tree, id: NodeId) -> bool {
    let kind = tree.node(id).kind;
    tree.text_of(id).trim_end().ends_with(';')
        || matches!(kind, "expression_statement" | "let_declaration")
        || kind.ends_with("_item")
}

/// Where a list hole stands in its list, in the template's text: what instantiation and rendering need to
/// write the separators next to it.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub(crate) shape: Shape,
    /// End of the item before the hole, if there is one.
    pub(crate) prev_end: Option<u32>,
    /// Start of the item after the hole, if there is one.
    pub(crate) next_start: Option<u32>,
    /// Between the list's delimiters.
    pub(crate) inner: Range<u32>,
}

/// The [`Site`] of the list hole at child `child` of the list `parent`.
pub(crate) fn site(parent: &PNode, child: usize, shape: Shape) -> Site {
    let kinds = kinds(parent);
    let items = items(shape, &kinds);
    let k = items
        .iter()
        .position(|&i| i == child)
        .expect("a list hole is an item");
    Site {
        shape,
        prev_end: k.checked_sub(1).map(|p| parent.children[items[p]].span.end),
        next_start: items.get(k + 1).map(|&n| parent.children[n].span.start),
        inner: parent.children[0].span.end..parent.children[kinds.len() - 1].span.start,
    }
}

/// The separator written next to a statement at `at` when a list hole gains or brings one: a new line at the
/// statement's indentation, or a space in a block written on one line.
pub(crate) fn separator(site: &Site, text: &str, at: u32) -> String {
    match site.shape {
        Shape::Comma => ", ".to_owned(),
        Shape::Statements => {
            let (a, b) = (
                site.inner.start.min(at) as usize,
                site.inner.start.max(at) as usize,
            );
            if text.get(a..b).is_some_and(|t| t.contains('\n')) {
                format!("\n{}", line_indent(text, at))
            } else {
                " ".to_owned()
            }
        }
    }
}

/// The text a list hole's run brings: from its first item to its last, and, in a comma list, out to the
/// delimiters on a side where the run reaches them and the template's hole does too (`f($$$A)`), so that a
/// list written over several lines with a trailing comma is copied as written.
pub(crate) fn run_text<'t>(
    tree: &'t Tree,
    run: &[NodeId],
    site: &Site,
    span: &Range<u32>,
) -> &'t str {
    let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
        return "";
    };
    let mut range = tree.node(first).span.start..tree.node(last).span.end;
    if site.shape == Shape::Comma
        && let Some(parent) = tree.node(first).parent
    {
        let children = &tree.node(parent).children;
        let kinds = tree_kinds(tree, parent);
        let items = items(Shape::Comma, &kinds);
        let (open, close) = (children[0], children[children.len() - 1]);
        if items.first().map(|&i| children[i]) == Some(first) && span.start == site.inner.start {
            range.start = tree.node(open).span.end;
        }
        if items.last().map(|&i| children[i]) == Some(last) && span.end == site.inner.end {
            range.end = tree.node(close).span.start;
        }
    }
    &tree.text[range.start as usize..range.end as usize]
}

/// The indentation of the line holding `at` in `text`.
pub(crate) fn line_indent(text: &str, at: u32) -> &str {
    let at = (at as usize).min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}
