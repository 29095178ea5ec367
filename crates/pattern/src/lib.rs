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
//! A [`Label::List`] hole (`$$$NAME`) binds a run of zero or more items of a list (arguments, statements,
//! fields); see the `list` module for where lists are and how their separators are written.
//!
//! Each template keeps the text of one representative example, and every node keeps its span in that text.
//! Rendering a template replaces hole spans with `$A`, `$B`, …, so a template prints as the Rust its examples
//! were written in, with their formatting.

mod guard;
mod index;
mod library;
mod list;

use std::collections::HashMap;
use std::ops::Range;

use syntax::{
    Fragment, FragmentError, Fx, NodeId, Tree, hole_name, list_hole_name, parse_fragment,
};

pub use guard::{
    HoleClass, bind_instance, called_methods_node, called_methods_tree, classify_node,
    classify_tree, learn_accessors, learn_guards,
};
pub use index::{Index, Match, required_words, squeeze, words_of};
pub use library::{
    Effect, HeldOut, LibraryError, LibraryPattern, Measured, MeasuredBy, Migration,
    MigrationStatus, Origin, Provenance, Returns, SerializableExample, SerializablePattern,
    SerializableProvenance,
};

/// Hole number, shared between the before and after sides of a pattern.
pub type HoleId = u32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Label {
    Hole(HoleId),
    /// A list hole (`$$$NAME`): a run of zero or more items of the list its parent is.
    List(HoleId),
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
    /// The syntax kind of the node a match must sit in (`macro_invocation` for a renamed macro, `call_expression`
    /// for a renamed method), when the pattern's before side is a name whose meaning depends on where it
    /// is and all its examples shared that place. Like guards, not part of [`Pattern::hash`].
    pub within: Option<Box<str>>,
}

/// What each hole is bound to in a target tree, indexed by hole id.
pub type Bindings = Vec<Option<Binding>>;

/// What one hole bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// A hole's subtree.
    Node(NodeId),
    /// A list hole's run of sibling items, in order (maybe none).
    List(Vec<NodeId>),
}

impl Binding {
    /// The bound subtrees: one for a hole, the run for a list hole.
    pub fn nodes(&self) -> &[NodeId] {
        match self {
            Binding::Node(id) => std::slice::from_ref(id),
            Binding::List(run) => run,
        }
    }

    /// The bound code as written: a subtree's text, or a run's from its first item's start to its last item's
    /// end (the separators and comments between items included; empty for an empty run).
    pub fn text<'t>(&self, tree: &'t Tree) -> &'t str {
        match self.nodes() {
            [] => "",
            [first, .., last] => {
                let (a, b) = (tree.node(*first).span.start, tree.node(*last).span.end);
                &tree.text[a as usize..b as usize]
            }
            [only] => tree.text_of(*only),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{side}: {source}")]
    Parse {
        side: &'static str,
        source: FragmentError,
    },
    #[error("{side}: list hole $$${name} {problem}")]
    ListHole {
        side: &'static str,
        name: String,
        problem: &'static str,
    },
}

impl TemplateError {
    /// The side (`before`, `after`) the error is in.
    pub fn side(&self) -> &'static str {
        match self {
            TemplateError::Parse { side, .. } | TemplateError::ListHole { side, .. } => side,
        }
    }
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
            Label::List(id) => {
                h.write(b"$list");
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
        // The commas of a list with a list hole are the template's formatting, not evidence: an anti-unified
        // list may carry one more than either of its inputs (`f(a,)` and `f(a, b)` give `f(a, $$$A,)`).
        let listed = children.iter().any(|c| matches!(c.label, Label::List(_)));
        for child in &children {
            h.write_u64(child.hash);
            if !(listed && child.kind() == Some(",")) {
                concrete += child.concrete;
            }
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
            Label::Hole(_) | Label::List(_) => None,
        }
    }

    /// The text of a concrete leaf (`-`, `unwrap`, `0`); `None` for an inner node or a hole.
    pub fn leaf(&self) -> Option<&str> {
        match &self.label {
            Label::Node { leaf, .. } => leaf.as_deref(),
            Label::Hole(_) | Label::List(_) => None,
        }
    }

    /// How many nodes of this subtree (itself included) satisfy `f`.
    pub fn count(&self, f: &dyn Fn(&PNode) -> bool) -> usize {
        usize::from(f(self)) + self.children.iter().map(|c| c.count(f)).sum::<usize>()
    }

    /// Whether this is a hole or a list hole.
    pub fn is_hole(&self) -> bool {
        matches!(self.label, Label::Hole(_) | Label::List(_))
    }

    /// Hole ids (list holes included) in preorder, with repetitions.
    pub fn hole_ids(&self, out: &mut Vec<HoleId>) {
        match self.label {
            Label::Hole(id) | Label::List(id) => out.push(id),
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
        if let Some(names) = names.as_mut() {
            // A list hole among statements is written as a statement, `$$$A;`, so that what follows parses.
            let placeholder = match node.kind {
                "expression_statement" if node.children.len() == 2 => node.children[0],
                _ => id,
            };
            if let Some(name) = list_hole_name(tree, placeholder) {
                return PNode::new(Label::List(names.id(name)), Vec::new(), span);
            }
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
        for HoleSite { span, id, list } in holes {
            out.push_str(&self.text[at..span.start as usize]);
            let name = hole_display_name(id);
            match list {
                None => {
                    out.push('$');
                    out.push_str(&name);
                }
                Some(site) => {
                    let hole = match site.shape {
                        list::Shape::Comma => format!("$$${name}"),
                        list::Shape::Statements => format!("$$${name};"),
                    };
                    // A list hole that is empty in the representative text brings a separator along.
                    let sep = |at: u32| list::separator(&site, &self.text, at);
                    if !span.is_empty() {
                        out.push_str(&hole);
                    } else if let Some(prev) = site.prev_end {
                        out.push_str(&sep(prev));
                        out.push_str(&hole);
                    } else if let Some(next) = site.next_start {
                        out.push_str(&hole);
                        out.push_str(&sep(next));
                    } else {
                        out.push_str(&format!(" {hole} "));
                    }
                }
            }
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

/// A hole of a template, where it is in the template's text.
struct HoleSite {
    span: Range<u32>,
    id: HoleId,
    /// For a list hole, where it stands in its list.
    list: Option<list::Site>,
}

fn collect_hole_spans(node: &PNode, out: &mut Vec<HoleSite>) {
    match node.label {
        Label::Hole(id) | Label::List(id) => out.push(HoleSite {
            span: node.span.clone(),
            id,
            list: None,
        }),
        Label::Node { kind, .. } => {
            let shape = list::has_list_child(node)
                .then(|| list::shape(kind, &list::kinds(node)))
                .flatten();
            for (i, c) in node.children.iter().enumerate() {
                match (&c.label, shape) {
                    (Label::List(id), Some(shape)) => out.push(HoleSite {
                        span: c.span.clone(),
                        id: *id,
                        list: Some(list::site(node, i, shape)),
                    }),
                    _ => collect_hole_spans(c, out),
                }
            }
        }
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
            within: None,
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
        for (template, side) in [(&before, "before"), (&after, "after")] {
            if let Some((id, problem)) = misplaced_list_hole(&template.root, &before, &after) {
                return Err(TemplateError::ListHole {
                    side,
                    name: names
                        .get(id as usize)
                        .cloned()
                        .unwrap_or_else(|| hole_display_name(id)),
                    problem,
                });
            }
        }
        Ok((
            Pattern {
                before,
                after,
                guards: Vec::new(),
                accessors: Vec::new(),
                within: None,
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

/// A list hole where a template cannot have one, and why: at the root, outside a list, next to another list
/// hole in one list, or under the name of a plain hole.
fn misplaced_list_hole(
    node: &PNode,
    before: &Template,
    after: &Template,
) -> Option<(HoleId, &'static str)> {
    if let Label::List(id) = node.label {
        return Some((id, "stands for the whole template"));
    }
    let lists: Vec<HoleId> = node
        .children
        .iter()
        .filter_map(|c| match c.label {
            Label::List(id) => Some(id),
            _ => None,
        })
        .collect();
    if let (Some(&id), Some(kind)) = (lists.first(), node.kind()) {
        if list::shape(kind, &list::kinds(node)).is_none() {
            return Some((
                id,
                "is not an item of a list (arguments, fields, statements, …)",
            ));
        }
        if lists.len() > 1 {
            return Some((lists[1], "shares its list with another list hole"));
        }
        let plain = |root: &PNode| {
            let mut found = false;
            fn walk(n: &PNode, id: HoleId, found: &mut bool) {
                *found |= n.label == Label::Hole(id);
                n.children.iter().for_each(|c| walk(c, id, found));
            }
            walk(root, id, &mut found);
            found
        };
        if plain(&before.root) || plain(&after.root) {
            return Some((id, "is also used as a plain hole"));
        }
    }
    node.children
        .iter()
        .filter(|c| !matches!(c.label, Label::List(_)))
        .find_map(|c| misplaced_list_hole(c, before, after))
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
        within: None,
    }
}

/// Information lost by generalising `a` and `b` into `general`: concrete nodes that became holes, summed over
/// both inputs. Zero means they were the same pattern.
pub fn generalisation_cost(a: &Pattern, b: &Pattern, general: &Pattern) -> u32 {
    (a.concrete() + b.concrete()).saturating_sub(2 * general.concrete())
}

fn au(x: &PNode, y: &PNode, table: &mut HashMap<(u64, u64), HoleId>) -> PNode {
    if x.holes == 0 && y.holes == 0 && x.hash == y.hash {
        return x.clone();
    }
    let nodes = matches!(
        (&x.label, &y.label),
        (Label::Node { .. }, Label::Node { .. })
    ) && x.label == y.label;
    let listed = list::has_list_child(x) || list::has_list_child(y);
    if nodes
        && (listed || x.children.len() != y.children.len())
        && let Some(kind) = x.kind()
        && let Some(shape) = list::shape(kind, &list::kinds(x))
        && list::shape(kind, &list::kinds(y)) == Some(shape)
        && x.children[0].label == y.children[0].label
    {
        return au_list(x, y, shape, table);
    }
    let same_label = nodes && !listed && x.children.len() == y.children.len();
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

/// Anti-unifies two lists of one shape whose lengths differ (or that hold a list hole). The rule: the longest
/// common prefix of identical items (no holes, equal hashes) stays concrete, then the longest common suffix of
/// identical items in what remains; the differing middle becomes one list hole, numbered by the pair of
/// middles, so that the same middles on the after side are the same hole. The separators are the first list's
/// (its trailing comma included).
fn au_list(
    x: &PNode,
    y: &PNode,
    shape: list::Shape,
    table: &mut HashMap<(u64, u64), HoleId>,
) -> PNode {
    let (xk, yk) = (list::kinds(x), list::kinds(y));
    let xi: Vec<&PNode> = list::items(shape, &xk)
        .into_iter()
        .map(|i| &x.children[i])
        .collect();
    let yi: Vec<&PNode> = list::items(shape, &yk)
        .into_iter()
        .map(|i| &y.children[i])
        .collect();
    let same = |a: &PNode, b: &PNode| a.holes == 0 && b.holes == 0 && a.hash == b.hash;
    let min = xi.len().min(yi.len());
    let mut p = 0;
    while p < min && same(xi[p], yi[p]) {
        p += 1;
    }
    let mut s = 0;
    while p + s < min && same(xi[xi.len() - 1 - s], yi[yi.len() - 1 - s]) {
        s += 1;
    }
    let (mx, my) = (&xi[p..xi.len() - s], &yi[p..yi.len() - s]);
    let run_hash = |run: &[&PNode]| {
        let mut h = Fx::new();
        h.write(b"$run");
        run.iter().for_each(|n| h.write_u64(n.hash));
        h.finish()
    };
    let next = table.len() as HoleId;
    let id = *table.entry((run_hash(mx), run_hash(my))).or_insert(next);
    let span = match (mx.first(), mx.last()) {
        (Some(first), Some(last)) => first.span.start..last.span.end,
        _ => {
            let at = if p > 0 {
                xi[p - 1].span.end
            } else if s > 0 {
                xi[xi.len() - s].span.start
            } else {
                x.children[0].span.end
            };
            at..at
        }
    };
    let hole = PNode::new(Label::List(id), Vec::new(), span);
    let items = xi[..p]
        .iter()
        .map(|n| (*n).clone())
        .chain(std::iter::once(hole))
        .chain(xi[xi.len() - s..].iter().map(|n| (*n).clone()));
    let comma = |at: u32| {
        PNode::new(
            Label::Node {
                kind: ",",
                leaf: Some(",".into()),
            },
            Vec::new(),
            at..at,
        )
    };
    let mut children = vec![x.children[0].clone()];
    for (k, item) in items.enumerate() {
        if k > 0 && shape == list::Shape::Comma {
            children.push(comma(item.span.start));
        }
        children.push(item);
    }
    let close = x.children[x.children.len() - 1].clone();
    if list::trailing_comma(shape, &xk) {
        children.push(comma(close.span.start));
    }
    children.push(close);
    PNode::new(x.label.clone(), children, x.span.clone())
}

/// Matches a template against the subtree of `id`. A hole binds any subtree; a repeated hole must bind
/// structurally equal subtrees.
pub fn match_at(template: &Template, tree: &Tree, id: NodeId, n_holes: usize) -> Option<Bindings> {
    let mut bindings = vec![None; n_holes];
    match_node(&template.root, tree, id, &mut bindings).then_some(bindings)
}

fn match_node(p: &PNode, tree: &Tree, id: NodeId, bindings: &mut Bindings) -> bool {
    match &p.label {
        Label::Hole(h) => bind(bindings, *h, Binding::Node(id), tree),
        // A list hole is matched by its list (`match_list`); anywhere else it matches nothing.
        Label::List(_) => false,
        Label::Node { kind, leaf } => {
            let node = tree.node(id);
            if node.kind != *kind {
                return false;
            }
            if list::has_list_child(p) {
                return match_list(p, kind, tree, id, bindings);
            }
            if node.children.len() != p.children.len() {
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

/// Binds hole `h`; a hole bound before must bind structurally equal code again.
fn bind(bindings: &mut Bindings, h: HoleId, binding: Binding, tree: &Tree) -> bool {
    let slot = h as usize;
    if slot >= bindings.len() {
        bindings.resize(slot + 1, None);
    }
    match &bindings[slot] {
        Some(prev) => {
            matches!(prev, Binding::List(_)) == matches!(binding, Binding::List(_))
                && prev.nodes().len() == binding.nodes().len()
                && prev
                    .nodes()
                    .iter()
                    .zip(binding.nodes())
                    .all(|(&a, &b)| subtree_eq(tree, a, b))
        }
        None => {
            bindings[slot] = Some(binding);
            true
        }
    }
}

/// Matches a list whose template holds a list hole: items before the hole match the list's first items, items
/// after it its last ones, and the hole binds the run between (delimiters must agree; commas are formatting).
fn match_list(p: &PNode, kind: &str, tree: &Tree, id: NodeId, bindings: &mut Bindings) -> bool {
    let Some(split) = list::split(p, kind, &list::tree_kinds(tree, id)) else {
        return false;
    };
    let children = &tree.node(id).children;
    let run: Vec<NodeId> = split.run.iter().map(|&i| children[i]).collect();
    if split.shape == list::Shape::Statements
        && split.followed
        && run
            .last()
            .is_some_and(|&last| !list::ends_statement(tree, last))
    {
        return false;
    }
    split
        .pairs
        .iter()
        .all(|&(c, t)| match_node(&p.children[c], tree, children[t], bindings))
        && bind(bindings, split.hole, Binding::List(run), tree)
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
    #[error(
        "list hole $$${0} bound a tail expression, which the after side follows with a statement"
    )]
    TailBeforeStatement(String),
}

/// Builds the after text for a match: the after template's text with each hole replaced by the original text
/// of the subtree it bound, comments and formatting included. The template's own continuation lines get
/// `indent` (the indentation of the line where the match starts); bound text is copied as it was.
///
/// A list hole writes its run between the template's separators. An empty run takes one separator with it
/// (the one before it, else the one after it, else everything between the delimiters); a run bound where the
/// template's example had none brings one (`, ` or a new line at the item's indentation).
pub fn instantiate(
    after: &Template,
    tree: &Tree,
    bindings: &Bindings,
    indent: &str,
) -> Result<String, InstantiateError> {
    let mut holes = Vec::new();
    collect_hole_spans(&after.root, &mut holes);
    // (range of the template's text replaced, separator written before, bound text, separator after)
    let mut edits: Vec<(Range<u32>, String, &str, String)> = Vec::with_capacity(holes.len());
    for HoleSite { span, id, list } in holes {
        let bound = bindings
            .get(id as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| InstantiateError::Unbound(hole_display_name(id)))?;
        let Some(site) = list else {
            edits.push((span, String::new(), bound.text(tree), String::new()));
            continue;
        };
        if site.shape == list::Shape::Statements
            && site.next_start.is_some()
            && bound
                .nodes()
                .last()
                .is_some_and(|&last| !list::ends_statement(tree, last))
        {
            return Err(InstantiateError::TailBeforeStatement(hole_display_name(id)));
        }
        let text = list::run_text(tree, bound.nodes(), &site, &span);
        let sep = |at: u32| list::separator(&site, &after.text, at);
        let edit = match (span.is_empty(), text.is_empty()) {
            (_, true) => {
                let range = match (site.prev_end, site.next_start) {
                    (Some(prev), _) => prev..span.end,
                    (None, Some(next)) => span.start..next,
                    (None, None) => site.inner.clone(),
                };
                (range, String::new(), "", String::new())
            }
            (false, false) => (span, String::new(), text, String::new()),
            (true, false) => match (site.prev_end, site.next_start) {
                (Some(prev), _) => (span, sep(prev), text, String::new()),
                (None, Some(next)) => (span, String::new(), text, sep(next)),
                (None, None) => (span, String::new(), text, String::new()),
            },
        };
        edits.push(edit);
    }
    let mut out = String::with_capacity(after.text.len());
    let mut at = 0;
    for (range, before, text, after_sep) in edits {
        let start = (range.start as usize).max(at);
        push_indented(&mut out, &after.text[at..start], indent);
        push_indented(&mut out, &before, indent);
        out.push_str(text);
        push_indented(&mut out, &after_sep, indent);
        at = (range.end as usize).max(at);
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
