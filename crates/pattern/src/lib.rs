//! Patterns: before/after templates with shared holes, their anti-unification, matching and instantiation.
//!
//! A [`Template`] is a tree of [`PNode`]s, each either a concrete node (a syntax kind, plus its text for a
//! leaf) or a [`Label::Hole`]. A [`Pattern`] pairs a before and an after template whose holes share one
//! numbering, so that what the before side binds is what the after side writes.
//!
//! Why anti-unification (Plotkin) and not, say, regular expressions over tokens or learned embeddings: it
//! gives the most specific generalisation of two edits, it is exact and explainable, and the result is itself
//! a pattern a human can read and edit. That is what Getafix showed works for fixes.
//!
//! Each template keeps the text of one representative example, and every node keeps its span in that text.
//! Rendering a template replaces hole spans with `$A`, `$B`, …, so a template prints as the Rust its examples
//! were written in, with their formatting.

mod guard;
mod index;
mod library;

use std::collections::HashMap;
use std::ops::Range;

use syntax::{Fragment, FragmentError, Fx, NodeId, Tree, hole_name, parse_fragment};

pub use guard::{
    HoleClass, bind_instance, called_methods_node, called_methods_tree, classify_node,
    classify_tree, learn_accessors, learn_guards,
};
pub use index::{Index, Match, squeeze};
pub use library::{
    Effect, LibraryError, LibraryPattern, Measured, MeasuredBy, Migration, MigrationStatus, Origin,
    Provenance, Returns, SerializableExample, SerializablePattern, SerializableProvenance,
};

/// Hole number, shared between the before and after sides of a pattern.
pub type HoleId = u32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Label {
    Hole(HoleId),
    Node {
        kind: &'static str,
        /// The text of a leaf; `None` for an inner node.
        leaf: Option<Box<str>>,
    },
}

#[derive(Debug, Clone)]
pub struct PNode {
    pub label: Label,
    pub children: Vec<PNode>,
    /// Structural hash; a hole hashes by its number.
    pub hash: u64,
    /// Nodes in this subtree that are not holes.
    pub concrete: u32,
    /// Holes in this subtree.
    pub holes: u32,
    /// Span in the template's representative text.
    pub span: Range<u32>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub root: PNode,
    /// The representative text that spans refer to.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Pattern {
    pub before: Template,
    pub after: Template,
    /// The guard of each hole, indexed by hole id; a missing entry is [`HoleClass::Any`]. Guards restrict
    /// where the pattern matches but are not part of its structure: [`Pattern::hash`] ignores them.
    pub guards: Vec<HoleClass>,
    /// For a hole guarded `accessor`, the methods its examples called (`["len"]`); the hole then binds only
    /// calls of those. Indexed by hole id; empty means no restriction.
    pub accessors: Vec<Vec<String>>,
}

/// What each hole is bound to in a target tree.
pub type Bindings = Vec<Option<NodeId>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{side}: {source}")]
    Parse {
        side: &'static str,
        source: FragmentError,
    },
}

impl PNode {
    fn new(label: Label, children: Vec<PNode>, span: Range<u32>) -> PNode {
        let mut h = Fx::new();
        let (mut concrete, mut holes) = (0, 0);
        match &label {
            Label::Hole(id) => {
                h.write(b"$hole");
                h.write_u64(u64::from(*id));
                holes = 1;
            }
            Label::Node { kind, leaf } => {
                h.write(kind.as_bytes());
                if let Some(text) = leaf {
                    h.write(&[0xff]);
                    h.write(text.as_bytes());
                }
                concrete = 1;
            }
        }
        for child in &children {
            h.write_u64(child.hash);
            concrete += child.concrete;
            holes += child.holes;
        }
        PNode {
            label,
            children,
            hash: h.finish(),
            concrete,
            holes,
            span,
        }
    }

    pub fn kind(&self) -> Option<&'static str> {
        match self.label {
            Label::Node { kind, .. } => Some(kind),
            Label::Hole(_) => None,
        }
    }

    pub fn is_hole(&self) -> bool {
        matches!(self.label, Label::Hole(_))
    }

    /// Hole ids in preorder, with repetitions.
    pub fn hole_ids(&self, out: &mut Vec<HoleId>) {
        match self.label {
            Label::Hole(id) => out.push(id),
            Label::Node { .. } => self.children.iter().for_each(|c| c.hole_ids(out)),
        }
    }

    /// The number of binding slots a match of this template needs: one past the highest hole id.
    pub fn hole_slots(&self) -> usize {
        let mut ids = Vec::new();
        self.hole_ids(&mut ids);
        ids.into_iter().max().map_or(0, |m| m as usize + 1)
    }

    /// The leaf texts of the concrete part, in order: the tokens a match must contain.
    pub fn literal_tokens<'a>(&'a self, out: &mut Vec<&'a str>) {
        if let Label::Node {
            leaf: Some(text), ..
        } = &self.label
        {
            out.push(text);
        }
        self.children.iter().for_each(|c| c.literal_tokens(out));
    }

    fn from_tree(tree: &Tree, id: NodeId, base: u32, names: &mut HoleNames) -> PNode {
        let node = tree.node(id);
        let span = node.span.start - base..node.span.end - base;
        if let Some(name) = names
            .as_mut()
            .and_then(|n| hole_name(tree, id).map(|h| n.id(h)))
        {
            return PNode::new(Label::Hole(name), Vec::new(), span);
        }
        let children = node
            .children
            .iter()
            .map(|&c| PNode::from_tree(tree, c, base, names))
            .collect();
        let leaf = tree.label_text(id).map(Box::from);
        PNode::new(
            Label::Node {
                kind: node.kind,
                leaf,
            },
            children,
            span,
        )
    }
}

/// Hole names seen while reading templates, numbered in order of first appearance. `None` reads a concrete
/// tree in which placeholders are ordinary identifiers.
type HoleNames = Option<NameTable>;

#[derive(Debug, Default)]
struct NameTable(Vec<String>);

impl NameTable {
    fn id(&mut self, name: &str) -> HoleId {
        match self.0.iter().position(|n| n == name) {
            Some(i) => i as HoleId,
            None => {
                self.0.push(name.to_owned());
                (self.0.len() - 1) as HoleId
            }
        }
    }
}

/// The conventional name of hole `id`: `A` … `Z`, then `H26`, `H27`, ….
pub fn hole_display_name(id: HoleId) -> String {
    if id < 26 {
        char::from(b'A' + id as u8).to_string()
    } else {
        format!("H{id}")
    }
}

impl Template {
    /// A concrete template (no holes) from a subtree of a parsed file.
    pub fn from_tree(tree: &Tree, id: NodeId) -> Template {
        let base = tree.node(id).span.start;
        Template {
            root: PNode::from_tree(tree, id, base, &mut None),
            text: tree.text_of(id).to_owned(),
        }
    }

    /// Renders the template as Rust with `$A`-style holes, its continuation lines dedented so that the
    /// template reads the same wherever in a file its example came from.
    pub fn render(&self) -> String {
        dedent(&self.render_raw())
    }

    fn render_raw(&self) -> String {
        let mut holes = Vec::new();
        collect_hole_spans(&self.root, &mut holes);
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for (span, id) in holes {
            out.push_str(&self.text[at..span.start as usize]);
            out.push('$');
            out.push_str(&hole_display_name(id));
            at = span.end as usize;
        }
        out.push_str(&self.text[at..]);
        out
    }

    /// The root's syntax kind (a template's root is never a hole).
    pub fn kind(&self) -> &'static str {
        self.root.kind().unwrap_or("hole")
    }
}

/// Removes the indentation that continuation lines inherited from the example's position in its file. The
/// first line starts at the node and has none. A last line that closes a bracket lines up with the first;
/// otherwise continuation lines keep one level (4 spaces) of indentation.
fn dedent(text: &str) -> String {
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.collect();
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let Some(min) = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()
    else {
        return text.to_owned();
    };
    let last = rest.last().copied().unwrap_or_default();
    let base = if last.trim_start().starts_with(['}', ')', ']']) {
        indent(last).min(min)
    } else {
        min.saturating_sub(4)
    };
    let mut out = first.to_owned();
    for line in rest {
        out.push('\n');
        out.push_str(line.get(base.min(indent(line))..).unwrap_or(""));
    }
    out
}

fn collect_hole_spans(node: &PNode, out: &mut Vec<(Range<u32>, HoleId)>) {
    match node.label {
        Label::Hole(id) => out.push((node.span.clone(), id)),
        Label::Node { .. } => node
            .children
            .iter()
            .for_each(|c| collect_hole_spans(c, out)),
    }
}

impl Pattern {
    /// A concrete pattern from a before and an after subtree.
    pub fn from_trees(before: &Tree, before_id: NodeId, after: &Tree, after_id: NodeId) -> Pattern {
        Pattern {
            before: Template::from_tree(before, before_id),
            after: Template::from_tree(after, after_id),
            guards: Vec::new(),
            accessors: Vec::new(),
        }
    }

    /// Parses a pattern from its two templates. Holes with the same name on both sides are one hole.
    /// `kinds` asks for particular root kinds, for templates that parse several ways.
    pub fn parse(
        before: &str,
        after: &str,
        kinds: (Option<&str>, Option<&str>),
    ) -> Result<Pattern, TemplateError> {
        Pattern::parse_named(before, after, kinds).map(|(pattern, _)| pattern)
    }

    /// Like [`Pattern::parse`], also returning the hole names as written, indexed by hole id.
    pub fn parse_named(
        before: &str,
        after: &str,
        kinds: (Option<&str>, Option<&str>),
    ) -> Result<(Pattern, Vec<String>), TemplateError> {
        let mut names = Some(NameTable::default());
        let mut side = |text: &str, kind, side| -> Result<Template, TemplateError> {
            let Fragment { tree } = parse_fragment(text, kind)
                .map_err(|source| TemplateError::Parse { side, source })?;
            Ok(Template {
                root: PNode::from_tree(&tree, Tree::ROOT, 0, &mut names),
                text: tree.text,
            })
        };
        let before = side(before, kinds.0, "before")?;
        let after = side(after, kinds.1, "after")?;
        let names = names.map(|n| n.0).unwrap_or_default();
        Ok((
            Pattern {
                before,
                after,
                guards: Vec::new(),
                accessors: Vec::new(),
            },
            names,
        ))
    }

    /// Holes used on the after side but never bound by the before side: the fix would invent that code.
    pub fn after_only_holes(&self) -> Vec<HoleId> {
        let (mut before, mut after) = (Vec::new(), Vec::new());
        self.before.root.hole_ids(&mut before);
        self.after.root.hole_ids(&mut after);
        after.retain(|h| !before.contains(h));
        after.dedup();
        after
    }

    /// Whether the after side can be built from what the before side binds.
    pub fn is_applicable(&self) -> bool {
        !self.before.root.is_hole() && self.after_only_holes().is_empty()
    }

    /// One hash for both sides, stable across runs, used for ids and dedupe.
    pub fn hash(&self) -> u64 {
        let mut h = Fx::new();
        h.write_u64(self.before.root.hash);
        h.write_u64(self.after.root.hash);
        h.finish()
    }

    pub fn hole_count(&self) -> u32 {
        let mut ids = Vec::new();
        self.before.root.hole_ids(&mut ids);
        self.after.root.hole_ids(&mut ids);
        ids.sort_unstable();
        ids.dedup();
        ids.len() as u32
    }

    /// Concrete nodes on both sides: how specific the pattern is.
    pub fn concrete(&self) -> u32 {
        self.before.root.concrete + self.after.root.concrete
    }
}

/// The most specific generalisation of two patterns, with one substitution table shared by the before and
/// after sides: the same pair of differing subtrees always becomes the same hole. The result keeps the first
/// pattern's representative text.
pub fn anti_unify(a: &Pattern, b: &Pattern) -> Pattern {
    let mut table = HashMap::new();
    let before = au(&a.before.root, &b.before.root, &mut table);
    let after = au(&a.after.root, &b.after.root, &mut table);
    Pattern {
        before: Template {
            root: before,
            text: a.before.text.clone(),
        },
        after: Template {
            root: after,
            text: a.after.text.clone(),
        },
        guards: Vec::new(),
        accessors: Vec::new(),
    }
}

/// Information lost by generalising `a` and `b` into `general`: concrete nodes that became holes, summed over
/// both inputs. Zero means they were the same pattern.
pub fn generalisation_cost(a: &Pattern, b: &Pattern, general: &Pattern) -> u32 {
    a.concrete() + b.concrete() - 2 * general.concrete()
}

fn au(x: &PNode, y: &PNode, table: &mut HashMap<(u64, u64), HoleId>) -> PNode {
    if x.holes == 0 && y.holes == 0 && x.hash == y.hash {
        return x.clone();
    }
    let same_label = matches!(
        (&x.label, &y.label),
        (Label::Node { .. }, Label::Node { .. })
    ) && x.label == y.label
        && x.children.len() == y.children.len();
    if same_label {
        let children = x
            .children
            .iter()
            .zip(&y.children)
            .map(|(cx, cy)| au(cx, cy, table))
            .collect();
        return PNode::new(x.label.clone(), children, x.span.clone());
    }
    let next = table.len() as HoleId;
    let id = *table.entry((x.hash, y.hash)).or_insert(next);
    PNode::new(Label::Hole(id), Vec::new(), x.span.clone())
}

/// Matches a template against the subtree of `id`. A hole binds any subtree; a repeated hole must bind
/// structurally equal subtrees.
pub fn match_at(template: &Template, tree: &Tree, id: NodeId, n_holes: usize) -> Option<Bindings> {
    let mut bindings = vec![None; n_holes];
    match_node(&template.root, tree, id, &mut bindings).then_some(bindings)
}

fn match_node(p: &PNode, tree: &Tree, id: NodeId, bindings: &mut Bindings) -> bool {
    match &p.label {
        Label::Hole(h) => {
            let slot = *h as usize;
            if slot >= bindings.len() {
                bindings.resize(slot + 1, None);
            }
            match bindings[slot] {
                Some(prev) => subtree_eq(tree, prev, id),
                None => {
                    bindings[slot] = Some(id);
                    true
                }
            }
        }
        Label::Node { kind, leaf } => {
            let node = tree.node(id);
            if node.kind != *kind || node.children.len() != p.children.len() {
                return false;
            }
            if let Some(text) = leaf
                && tree.text_of(id) != &**text
            {
                return false;
            }
            p.children
                .iter()
                .zip(&node.children)
                .all(|(pc, &c)| match_node(pc, tree, c, bindings))
        }
    }
}

/// Structural equality of two subtrees of one tree: same kinds, same leaf texts, same shape.
pub fn subtree_eq(tree: &Tree, a: NodeId, b: NodeId) -> bool {
    let (na, nb) = (tree.node(a), tree.node(b));
    if na.hash != nb.hash || na.size != nb.size {
        return false;
    }
    tree.descendants(a).zip(tree.descendants(b)).all(|(x, y)| {
        tree.label_eq(x, tree, y) && tree.node(x).children.len() == tree.node(y).children.len()
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantiateError {
    #[error("hole ${0} of the after side is not bound by the before side")]
    Unbound(String),
}

/// Builds the after text for a match: the after template's text with each hole replaced by the original text
/// of the subtree it bound, comments and formatting included. The template's own continuation lines get
/// `indent` (the indentation of the line where the match starts); bound text is copied as it was.
pub fn instantiate(
    after: &Template,
    tree: &Tree,
    bindings: &Bindings,
    indent: &str,
) -> Result<String, InstantiateError> {
    let mut holes = Vec::new();
    collect_hole_spans(&after.root, &mut holes);
    let mut out = String::with_capacity(after.text.len());
    let mut at = 0;
    for (span, id) in holes {
        let bound = bindings
            .get(id as usize)
            .copied()
            .flatten()
            .ok_or_else(|| InstantiateError::Unbound(hole_display_name(id)))?;
        push_indented(&mut out, &after.text[at..span.start as usize], indent);
        out.push_str(tree.text_of(bound));
        at = span.end as usize;
    }
    push_indented(&mut out, &after.text[at..], indent);
    Ok(out)
}

fn push_indented(out: &mut String, text: &str, indent: &str) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(indent);
            }
        }
        out.push_str(line);
    }
}
