//! Parsing a fragment of Rust (an expression, a statement, an item or a type) on its own, with `$NAME` holes.
//!
//! Pattern templates are written as Rust with holes, like ast-grep's `$A.len() == 0`. `$` is not Rust, so a hole
//! is first replaced by an identifier that cannot clash with user code ([`HOLE_PREFIX`] + name), which parses in
//! any position where an expression, a type, a pattern or a name may stand. The fragment is then parsed inside
//! the contexts where fragments usually live (a function body, a file, a type alias), and the first context in
//! which it parses cleanly and one node spans it exactly wins.

use crate::{NodeId, Parse, SyntaxError, Tree, parse};

/// Holes become identifiers with this prefix before parsing.
pub const HOLE_PREFIX: &str = "__suture_hole_";

/// List holes (`$$$NAME`, a run of list items) become identifiers with this prefix before parsing.
pub const LIST_HOLE_PREFIX: &str = "__suture_list_";

/// A parsed fragment: `tree.text` is the fragment with holes replaced, and its root is the fragment's node.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub tree: Tree,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FragmentError {
    /// The text is empty or only whitespace.
    Empty,
    /// No context parses the text cleanly as a single node; the errors are those of the first context tried.
    NotOneNode { errors: Vec<SyntaxError> },
}

impl std::fmt::Display for FragmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FragmentError::Empty => write!(f, "empty template"),
            FragmentError::NotOneNode { errors } => match errors.first() {
                Some(e) => write!(
                    f,
                    "template does not parse as one Rust node: {} at line {}, column {}",
                    e.message, e.line, e.column
                ),
                None => write!(
                    f,
                    "template does not parse as one Rust expression, statement, item or type"
                ),
            },
        }
    }
}

impl std::error::Error for FragmentError {}

const CONTEXTS: &[(&str, &str)] = &[
    ("fn __suture_fragment() {\n", "\n}\n"),
    ("", "\n"),
    ("type __SutureFragment = ", ";\n"),
];

/// Replaces `$NAME` holes (`NAME` = ASCII letters, digits, `_`) and `$$$NAME` list holes with placeholder
/// identifiers.
pub fn replace_holes(text: &str) -> String {
    replace_holes_mapped(text).0
}

/// [`replace_holes`], also returning for each hole `(position in the output, growth so far)`, so that a
/// position in the output can be mapped back to the template as written.
fn replace_holes_mapped(text: &str) -> (String, Vec<(usize, usize)>) {
    let mut shifts = Vec::new();
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while let Some((at, c)) = chars.next() {
        let list = c == '$'
            && text[at..].starts_with("$$$")
            && text[at + 3..].chars().next().is_some_and(name_char);
        if list {
            chars.next();
            chars.next();
        }
        if c == '$'
            && let Some(&(_, n)) = chars.peek()
            && name_char(n)
        {
            let (prefix, written) = if list {
                (LIST_HOLE_PREFIX, 3)
            } else {
                (HOLE_PREFIX, 1)
            };
            out.push_str(prefix);
            shifts.push((
                out.len(),
                shifts.last().map_or(0, |s: &(usize, usize)| s.1) + prefix.len() - written,
            ));
            while let Some(&(_, n)) = chars.peek() {
                if !(n.is_ascii_alphanumeric() || n == '_') {
                    break;
                }
                out.push(n);
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    (out, shifts)
}

/// Maps a position of the hole-replaced text back to the template as written.
fn original_position(shifts: &[(usize, usize)], position: u32) -> u32 {
    let growth = shifts
        .iter()
        .take_while(|(at, _)| *at <= position as usize)
        .last()
        .map_or(0, |s| s.1);
    position.saturating_sub(growth as u32)
}

/// The hole name if the text of `id` is exactly a hole placeholder.
pub fn hole_name(tree: &Tree, id: NodeId) -> Option<&str> {
    let name = tree.text_of(id).strip_prefix(HOLE_PREFIX)?;
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(name)
}

/// The list hole name if the text of `id` is exactly a list hole placeholder.
pub fn list_hole_name(tree: &Tree, id: NodeId) -> Option<&str> {
    let name = tree.text_of(id).strip_prefix(LIST_HOLE_PREFIX)?;
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(name)
}

/// Where a fragment stands: in a function body, at the top of a file, or as a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentContext {
    FunctionBody,
    File,
    Type,
}

/// The context in which [`parse_fragment`] reads `template` (with the same `want_kind`).
pub fn fragment_context(template: &str, want_kind: Option<&str>) -> Option<FragmentContext> {
    parse_fragment_in(template, want_kind)
        .ok()
        .map(|(_, i)| match i {
            0 => FragmentContext::FunctionBody,
            1 => FragmentContext::File,
            _ => FragmentContext::Type,
        })
}

/// Parses a template. `want_kind` picks, among nodes spanning the fragment exactly, the one of that kind.
pub fn parse_fragment(template: &str, want_kind: Option<&str>) -> Result<Fragment, FragmentError> {
    parse_fragment_in(template, want_kind).map(|(f, _)| f)
}

fn parse_fragment_in(
    template: &str,
    want_kind: Option<&str>,
) -> Result<(Fragment, usize), FragmentError> {
    let written = template.trim();
    let (text, shifts) = replace_holes_mapped(written);
    if text.is_empty() {
        return Err(FragmentError::Empty);
    }
    let mut first_errors = None;
    for (context, (prefix, suffix)) in CONTEXTS.iter().enumerate() {
        let wrapped = format!("{prefix}{text}{suffix}");
        let Parse { tree, errors, .. } = parse(&wrapped);
        let range = prefix.len() as u32..(prefix.len() + text.len()) as u32;
        let local: Vec<_> = errors
            .into_iter()
            .filter(|e| e.span.start < range.end + suffix.len() as u32 && e.span.end >= range.start)
            .map(|e| rebase(e, &text, range.start, written, &shifts))
            .collect();
        if !local.is_empty() {
            first_errors.get_or_insert(local);
            continue;
        }
        if let Some(id) = exact_node(&tree, range, want_kind) {
            return Ok((
                Fragment {
                    tree: tree.extract(id),
                },
                context,
            ));
        }
    }
    Err(FragmentError::NotOneNode {
        errors: first_errors.unwrap_or_default(),
    })
}

/// Re-expresses an error of the wrapped parse in the coordinates of the fragment itself.
fn rebase(
    error: SyntaxError,
    text: &str,
    start: u32,
    written: &str,
    shifts: &[(usize, usize)],
) -> SyntaxError {
    let clamp = |x: u32| original_position(shifts, x.saturating_sub(start).min(text.len() as u32));
    let span = clamp(error.span.start)..clamp(error.span.end);
    let (line, column) = crate::line_column(written, span.start);
    SyntaxError {
        span,
        line,
        column,
        ..error
    }
}

/// The innermost node whose span is exactly `range` (an `if` rather than the statement around it), or the
/// one of `want_kind`.
fn exact_node(tree: &Tree, range: std::ops::Range<u32>, want_kind: Option<&str>) -> Option<NodeId> {
    let mut id = Tree::ROOT;
    let mut found = Vec::new();
    'descend: loop {
        for &child in &tree.node(id).children {
            let span = &tree.node(child).span;
            if span.start <= range.start && range.end <= span.end {
                if *span == range {
                    found.push(child);
                }
                id = child;
                continue 'descend;
            }
        }
        break;
    }
    match want_kind {
        Some(kind) => found.into_iter().find(|&n| tree.node(n).kind == kind),
        None => found.last().copied(),
    }
}

impl Tree {
    /// A copy of the subtree of `id` as a tree of its own, with its text and spans rebased.
    pub fn extract(&self, id: NodeId) -> Tree {
        let base = self.node(id).span.start;
        let range = self.descendants(id);
        let nodes = self.nodes[range.start as usize..range.end as usize]
            .iter()
            .map(|n| crate::Node {
                kind: n.kind,
                span: n.span.start - base..n.span.end - base,
                parent: n.parent.filter(|&p| p >= id).map(|p| p - id),
                children: n.children.iter().map(|c| c - id).collect(),
                hash: n.hash,
                size: n.size,
                height: n.height,
            })
            .collect();
        let mut tree = Tree {
            text: self.text_of(id).to_owned(),
            nodes,
        };
        tree.nodes[0].parent = None;
        tree
    }
}
