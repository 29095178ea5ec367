//! Hole guards: the class of code a hole may bind, learned from the examples a pattern was mined from.
//!
//! A hole of an anti-unified pattern matches any subtree, but its examples rarely justify that:
//! `.then(|| 1)`, `.then(|| MAX)` and `.then(|| y)` → `.then_some(..)` says nothing about
//! `.then(|| expensive())`, whose evaluation the fix would make eager. So each hole records the class of what
//! it bound in every supporting fix, and the guard is the smallest class covering them all (their join).
//!
//! Why a small fixed lattice read off the tree, and not kind sets or types: the classes that decide whether
//! a fix is right are about evaluation (does the code call or expand anything: effects and cost) and about
//! string contents (a format string must not gain or lose `{`), and both are visible in the syntax alone.
//! Kind sets would overfit (`1` and `2` justify any literal, not only integers), and types are not in the
//! tree. The lattice is a tree, so the join of two classes is their nearest common ancestor:
//!
//! ```text
//! any ─┬─ cheap ─┬─ accessor ─ pure ─┬─ literal ─┬─ string-no-brace
//!      │         │                   │           └─ string-with-brace
//!      │         │                   ├─ identifier
//!      │         │                   ├─ path        (a `scoped_identifier`: `u32::MAX`, `Ordering::Less`)
//!      │         │                   └─ field       (field accesses of identifiers: `self.items.len`)
//!      │         └─ panics   (an index, arithmetic that can overflow or divide by zero, `.unwrap()`)
//!      └─ effects ─┬─ call     (contains a call or `.await`)
//!                  └─ macro    (contains a macro invocation and no call)
//! ```
//!
//! `effects` is code that calls or expands something beyond an accessor: what makes moving code into a closure
//! (`.ok_or($B)` → `.ok_or_else(|| $B)`) worth it. Examples that all bind a call or a macro teach it; one that
//! binds an enum variant does not, and such a fix is refused at mining time (`mine::refuse`, laziness).
//!
//! `accessor` is pure code whose only calls are method calls without arguments (`p.raw_vals.len()`,
//! `x.is_empty()`): what people write in `.then_some(..)` when the examples hold a `.len()`, and still no
//! function call, no argument computed, no macro. It cannot tell a getter from a method with an effect
//! (`state.fresh_sha()`); the compiler cannot either, which is why a learned guard is a bound, not a proof.
//!
//! `pure` means no call, no macro, no `.await` and nothing that can panic anywhere inside, so evaluating the
//! code has no side effect and costs little (operator overloading aside). A panic is an effect too: in
//! `(i != 0).then(|| v[i - 1])` the closure is what keeps `i - 1` and the index from running when `i` is 0, so
//! `then_some(v[i - 1])` panics where the original did not. Code that may panic (an index, `+ - * / % << >>`
//! or a negation on anything but literals, an `.unwrap()`) and otherwise calls nothing is `panics`; `cheap` is
//! everything without calls (but an accessor's) and macros, panicking or not: what a guard condition may
//! repeat. Classification sees only kinds and leaf texts, so it gives
//! the same answer on a parsed file ([`classify_tree`]) and on a template's concrete nodes ([`classify_node`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use syntax::{NodeId, Tree};

use crate::{Bindings, Label, PNode, Pattern};

/// What a hole may bind. See the module documentation for the lattice.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum HoleClass {
    /// Anything: no guard.
    Any,
    /// An accessor's code or code that may panic: no call but an accessor's, no macro, no `.await`.
    Cheap,
    /// Cheap code that may panic: an index, arithmetic that can overflow or divide by zero, `.unwrap()`.
    Panics,
    /// No call, no macro, no `.await`, nothing that can panic anywhere inside.
    Pure,
    /// Pure code plus method calls without arguments (`items.len()`).
    Accessor,
    /// A number, character, boolean or string literal (or a string's contents).
    Literal,
    /// A string literal, or a string's contents, without `{`: it reads the same as a format string.
    StringNoBrace,
    /// A string literal, or a string's contents, holding `{`.
    StringWithBrace,
    /// One identifier (including `self` and field or type names).
    Identifier,
    /// A path of identifiers, such as `u32::MAX` or `Ordering::Less`.
    Path,
    /// A field access of identifiers and fields, such as `self.items` or `point.0`.
    Field,
    /// Code containing a call (other than an accessor's), a macro invocation or `.await`: a call or a macro.
    Effects,
    /// Code containing a call or `.await`.
    Call,
    /// Code containing a macro invocation and no call.
    Macro,
}

const LITERALS: &[&str] = &[
    "integer_literal",
    "float_literal",
    "boolean_literal",
    "char_literal",
];
const STRINGS: &[&str] = &[
    "string_literal",
    "raw_string_literal",
    "string_content",
    "escape_sequence",
];
const IDENTIFIERS: &[&str] = &[
    "identifier",
    "self",
    "field_identifier",
    "type_identifier",
    "shorthand_field_identifier",
];

impl HoleClass {
    /// The next larger class; `None` for [`HoleClass::Any`].
    pub fn parent(self) -> Option<HoleClass> {
        use HoleClass::*;
        match self {
            Any => None,
            Cheap | Effects => Some(Any),
            Accessor | Panics => Some(Cheap),
            Call | Macro => Some(Effects),
            Pure => Some(Accessor),
            Literal | Identifier | Path | Field => Some(Pure),
            StringNoBrace | StringWithBrace => Some(Literal),
        }
    }

    /// Whether every code of class `other` is in `self`.
    pub fn contains(self, other: HoleClass) -> bool {
        std::iter::successors(Some(other), |c| c.parent()).any(|c| c == self)
    }

    /// The smallest class containing both.
    pub fn join(self, other: HoleClass) -> HoleClass {
        std::iter::successors(Some(self), |c| c.parent())
            .find(|c| c.contains(other))
            .unwrap_or(HoleClass::Any)
    }

    /// Every class, smallest first within each branch of the lattice.
    pub const ALL: [HoleClass; 14] = {
        use HoleClass::*;
        [
            StringNoBrace,
            StringWithBrace,
            Literal,
            Identifier,
            Path,
            Field,
            Pure,
            Accessor,
            Panics,
            Cheap,
            Call,
            Macro,
            Effects,
            Any,
        ]
    };

    /// The class of a name used in pattern files.
    pub fn from_name(name: &str) -> Option<HoleClass> {
        HoleClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The name used in pattern files (`string-no-brace`).
    pub fn name(self) -> &'static str {
        use HoleClass::*;
        match self {
            Any => "any",
            Cheap => "cheap",
            Panics => "panics",
            Pure => "pure",
            Accessor => "accessor",
            Literal => "literal",
            StringNoBrace => "string-no-brace",
            StringWithBrace => "string-with-brace",
            Identifier => "identifier",
            Path => "path",
            Field => "field",
            Effects => "effects",
            Call => "call",
            Macro => "macro",
        }
    }
}

/// What [`classify`] needs to know of a subtree besides its kinds.
#[derive(Clone, Copy)]
struct Traits {
    /// One of its leaves holds `{`.
    brace: bool,
    /// Each of its calls is a method call without arguments.
    accessor_calls: bool,
    /// One of its nodes may panic ([`may_panic`]).
    panics: bool,
}

impl Traits {
    const NONE: Traits = Traits {
        brace: false,
        accessor_calls: true,
        panics: false,
    };
}

/// A node's child as [`may_panic`] and [`is_accessor_call`] see it: its kind, and its own children's kinds and
/// leaf texts.
type Child<'a> = (&'a str, Vec<(&'a str, Option<&'a str>)>);

/// The operators that panic on overflow (in debug builds) or on a zero divisor, alone and compound.
const ARITHMETIC: &[&str] = &[
    "+", "-", "*", "/", "%", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=",
];

/// Whether evaluating a node of `kind` with these children may panic by itself: an index, arithmetic on
/// anything but two literals, a negation of anything but a literal, or `.unwrap()` / `.unwrap_err()`.
fn may_panic(kind: &str, children: &[Child<'_>]) -> bool {
    let kind_at = |i: usize| children.get(i).map(|c| c.0);
    let literal = |i: usize| kind_at(i).is_some_and(|k| LITERALS.contains(&k));
    match kind {
        "index_expression" => true,
        "binary_expression" | "compound_assignment_expr" => {
            kind_at(1).is_some_and(|op| ARITHMETIC.contains(&op)) && !(literal(0) && literal(2))
        }
        "unary_expression" => kind_at(0) == Some("-") && !literal(1),
        "call_expression" => children.first().is_some_and(|(function, inner)| {
            *function == "field_expression"
                && matches!(
                    inner.last(),
                    Some(("field_identifier", Some("unwrap" | "unwrap_err")))
                )
        }),
        _ => false,
    }
}

/// The most specific class of a subtree, from its kinds in preorder (root first) and its [`Traits`].
fn classify(kinds: &[&str], traits: Traits) -> HoleClass {
    let Some(&root) = kinds.first() else {
        return HoleClass::Any;
    };
    let Traits {
        brace,
        accessor_calls,
        panics,
    } = traits;
    if kinds.contains(&"await_expression") {
        return HoleClass::Call;
    }
    if kinds.contains(&"call_expression") {
        return if !accessor_calls || kinds.contains(&"macro_invocation") {
            HoleClass::Call
        } else if panics {
            HoleClass::Panics
        } else {
            HoleClass::Accessor
        };
    }
    if kinds.contains(&"macro_invocation") {
        return HoleClass::Macro;
    }
    if panics {
        return HoleClass::Panics;
    }
    let only = |allowed: &[&str]| kinds.iter().all(|k| allowed.contains(k));
    if STRINGS.contains(&root) {
        return if brace {
            HoleClass::StringWithBrace
        } else {
            HoleClass::StringNoBrace
        };
    }
    if LITERALS.contains(&root) {
        return HoleClass::Literal;
    }
    if IDENTIFIERS.contains(&root) {
        return HoleClass::Identifier;
    }
    if root == "scoped_identifier"
        && only(&[
            "scoped_identifier",
            "identifier",
            "type_identifier",
            "::",
            "self",
            "super",
            "crate",
        ])
    {
        return HoleClass::Path;
    }
    if root == "field_expression"
        && only(&[
            "field_expression",
            "identifier",
            "self",
            "field_identifier",
            "integer_literal",
            ".",
        ])
    {
        return HoleClass::Field;
    }
    HoleClass::Pure
}

/// The class of the subtree of `id` in a parsed file.
pub fn classify_tree(tree: &Tree, id: NodeId) -> HoleClass {
    let mut traits = Traits::NONE;
    let mut kinds = Vec::new();
    for d in tree.descendants(id) {
        let node = tree.node(d);
        kinds.push(node.kind);
        traits.brace |= tree.label_text(d).is_some_and(|t| t.contains('{'));
        if node.children.is_empty() {
            continue;
        }
        let children: Vec<Child> = node
            .children
            .iter()
            .map(|&c| {
                let inner = tree.node(c).children.iter();
                let inner = inner.map(|&g| (tree.node(g).kind, tree.label_text(g)));
                (tree.node(c).kind, inner.collect())
            })
            .collect();
        traits.panics |= may_panic(node.kind, &children);
        if node.kind == "call_expression" {
            traits.accessor_calls &= is_accessor_call(&children);
        }
    }
    classify(&kinds, traits)
}

/// Whether a call, given its children, is `receiver.method()`: its function is a field expression and its
/// argument list holds nothing but the parentheses.
fn is_accessor_call(children: &[Child<'_>]) -> bool {
    let function = children.first();
    let arguments = children.iter().find(|(kind, _)| *kind == "arguments");
    matches!(function, Some(("field_expression", _)))
        && arguments.is_some_and(|(_, inner)| inner.iter().all(|(k, _)| matches!(*k, "(" | ")")))
}

/// The class of a concrete template node (one without holes; a hole inside counts as [`HoleClass::Any`]).
pub fn classify_node(node: &PNode) -> HoleClass {
    fn kind_of(node: &PNode) -> &str {
        crate::list::kind_of(node)
    }
    fn leaf_of(node: &PNode) -> Option<&str> {
        match &node.label {
            Label::Node { leaf, .. } => leaf.as_deref(),
            _ => None,
        }
    }
    fn walk<'a>(node: &'a PNode, kinds: &mut Vec<&'a str>, traits: &mut Traits) -> bool {
        match &node.label {
            Label::Hole(_) | Label::List(_) => false,
            Label::Node { kind, leaf } => {
                kinds.push(kind);
                traits.brace |= leaf.as_deref().is_some_and(|t| t.contains('{'));
                let children: Vec<Child> = node
                    .children
                    .iter()
                    .map(|c| {
                        let inner = c.children.iter().map(|g| (kind_of(g), leaf_of(g)));
                        (kind_of(c), inner.collect())
                    })
                    .collect();
                traits.panics |= may_panic(kind, &children);
                if *kind == "call_expression" {
                    traits.accessor_calls &= is_accessor_call(&children);
                }
                node.children.iter().all(|c| walk(c, kinds, traits))
            }
        }
    }
    let (mut kinds, mut traits) = (Vec::new(), Traits::NONE);
    if !walk(node, &mut kinds, &mut traits) {
        return HoleClass::Any;
    }
    classify(&kinds, traits)
}

/// Binds the holes of `general` to the subtrees of `instance`, a template it generalises (for example one of
/// the concrete edits it was anti-unified from): one subtree per hole, the run of items per list hole. `false`
/// when `instance` is not an instance of `general`.
pub fn bind_instance<'a>(
    general: &PNode,
    instance: &'a PNode,
    out: &mut Vec<Option<Vec<&'a PNode>>>,
) -> bool {
    fn bind<'a>(
        out: &mut Vec<Option<Vec<&'a PNode>>>,
        h: crate::HoleId,
        run: Vec<&'a PNode>,
    ) -> bool {
        let slot = h as usize;
        if slot >= out.len() {
            out.resize(slot + 1, None);
        }
        match &out[slot] {
            Some(prev) => {
                prev.len() == run.len() && prev.iter().zip(&run).all(|(a, b)| a.hash == b.hash)
            }
            None => {
                out[slot] = Some(run);
                true
            }
        }
    }
    match &general.label {
        Label::Hole(h) => bind(out, *h, vec![instance]),
        Label::List(_) => false,
        Label::Node { kind, .. } if crate::list::has_list_child(general) => {
            let Some(split) = (general.label == instance.label)
                .then(|| crate::list::split(general, kind, &crate::list::kinds(instance)))
                .flatten()
            else {
                return false;
            };
            let run = split.run.iter().map(|&i| &instance.children[i]).collect();
            split
                .pairs
                .iter()
                .all(|&(g, i)| bind_instance(&general.children[g], &instance.children[i], out))
                && bind(out, split.hole, run)
        }
        Label::Node { .. } => {
            general.label == instance.label
                && general.children.len() == instance.children.len()
                && general
                    .children
                    .iter()
                    .zip(&instance.children)
                    .all(|(g, i)| bind_instance(g, i, out))
        }
    }
}

/// The guard of each hole of `general` (indexed by hole id): the join of the classes its before side binds in
/// every example. A hole no example binds, or an example that is not an instance, gives [`HoleClass::Any`]:
/// no evidence, no guard.
///
/// A guard is kept only for a hole whose code the fix evaluates or reads differently: moved out of a closure
/// (`.then(|| $B)` → `.then_some($B)`: made eager), into or out of a format string (`write!($A, "$B")` →
/// `$A.write_str("$B")`), into or out of a loop or a branch, dropped or duplicated. A hole moved verbatim to an
/// equivalent position (the receiver of `$A.len() == 0` → `$A.is_empty()`) is as right for any binding as for
/// the examples', and three examples would otherwise narrow it to whatever they happened to hold.
pub fn learn_guards<'a>(
    general: &Pattern,
    examples: impl IntoIterator<Item = &'a Pattern>,
) -> Vec<HoleClass> {
    let slots = general.before.root.hole_slots();
    let mut guards: Vec<Option<HoleClass>> = vec![None; slots];
    for example in examples {
        let mut bound = Vec::new();
        if !bind_instance(&general.before.root, &example.before.root, &mut bound) {
            return vec![HoleClass::Any; slots];
        }
        for (guard, nodes) in guards
            .iter_mut()
            .zip(bound.iter().chain(std::iter::repeat(&None)))
        {
            // A list hole's class covers each item it bound; an empty run is no evidence either way.
            let Some(class) = nodes.as_ref().map_or(Some(HoleClass::Any), |run| {
                run.iter().map(|n| classify_node(n)).reduce(HoleClass::join)
            }) else {
                continue;
            };
            *guard = Some(guard.map_or(class, |g| g.join(class)));
        }
    }
    let (before, after) = (
        contexts(&general.before.root),
        contexts(&general.after.root),
    );
    guards
        .into_iter()
        .enumerate()
        .map(|(h, g)| {
            let h = h as crate::HoleId;
            let of = |all: &[(crate::HoleId, Vec<&'static str>)]| {
                let mut c: Vec<_> = all
                    .iter()
                    .filter(|(id, _)| *id == h)
                    .map(|(_, m)| m.clone())
                    .collect();
                c.sort();
                c
            };
            // Moved verbatim to a position evaluated and read the same way: what the examples bound there
            // says nothing about where the fix is right, so the hole binds anything.
            if of(&before) == of(&after) {
                HoleClass::Any
            } else {
                g.unwrap_or(HoleClass::Any)
            }
        })
        .collect()
}

/// For each hole occurrence, the markers of how its code is evaluated or read there: inside a closure or an
/// async block (`lazy`), a loop (`loop`), a conditional branch or the right operand of `&&`/`||` (`branch`),
/// a string of a macro (`format-string`) or another string (`string`).
fn contexts(root: &PNode) -> Vec<(crate::HoleId, Vec<&'static str>)> {
    fn walk(
        node: &PNode,
        markers: &mut Vec<&'static str>,
        in_macro: bool,
        out: &mut Vec<(crate::HoleId, Vec<&'static str>)>,
    ) {
        let kind = match &node.label {
            Label::Hole(h) | Label::List(h) => {
                out.push((*h, markers.clone()));
                return;
            }
            Label::Node { kind, .. } => *kind,
        };
        let marker = match kind {
            "closure_expression" | "async_block" => Some("lazy"),
            "loop_expression" | "while_expression" | "for_expression" => Some("loop"),
            "match_arm" => Some("branch"),
            "string_literal" | "raw_string_literal" if in_macro => Some("format-string"),
            "string_literal" | "raw_string_literal" => Some("string"),
            _ => None,
        };
        markers.extend(marker);
        let in_macro = in_macro || kind == "macro_invocation";
        let logical = kind == "binary_expression"
            && node.children.len() == 3
            && matches!(
                &node.children[1].label,
                Label::Node { leaf: Some(op), .. } if matches!(&**op, "&&" | "||")
            );
        for (i, child) in node.children.iter().enumerate() {
            let branch = (logical && i == 2) || (kind == "if_expression" && i >= 2);
            if branch {
                markers.push("branch");
            }
            walk(child, markers, in_macro, out);
            if branch {
                markers.pop();
            }
        }
        if marker.is_some() {
            markers.pop();
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), false, &mut out);
    out
}

/// The methods called without arguments inside the subtree of `id` (`["len"]` for `p.items.len()`).
pub fn called_methods_tree(tree: &Tree, id: NodeId) -> Vec<String> {
    let mut out: Vec<String> = tree
        .descendants(id)
        .filter(|&d| tree.node(d).kind == "call_expression")
        .filter_map(|d| {
            let function = *tree.node(d).children.first()?;
            let field = tree.node(function);
            (field.kind == "field_expression")
                .then(|| {
                    field
                        .children
                        .iter()
                        .rev()
                        .find(|&&c| tree.node(c).kind == "field_identifier")
                        .map(|&c| tree.text_of(c).to_owned())
                })
                .flatten()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// [`called_methods_tree`] on a concrete template node.
pub fn called_methods_node(node: &PNode) -> Vec<String> {
    fn walk(node: &PNode, out: &mut Vec<String>) {
        if let Label::Node { kind, .. } = &node.label
            && *kind == "call_expression"
            && let Some(function) = node.children.first()
            && matches!(&function.label, Label::Node { kind, .. } if *kind == "field_expression")
            && let Some(name) = function.children.iter().rev().find_map(|c| match &c.label {
                Label::Node {
                    kind: "field_identifier",
                    leaf: Some(text),
                } => Some(text.clone()),
                _ => None,
            })
        {
            out.push(name.to_string());
        }
        for c in &node.children {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    walk(node, &mut out);
    out.sort();
    out.dedup();
    out
}

/// For each hole whose guard is [`HoleClass::Accessor`], the methods its examples called: the accessor guard
/// then admits only those (`.then(|| p.items.len())` justifies `len`, not `fresh_sha`). Other holes get none.
pub fn learn_accessors<'a>(
    general: &Pattern,
    guards: &[HoleClass],
    examples: impl IntoIterator<Item = &'a Pattern>,
) -> Vec<Vec<String>> {
    let mut methods: Vec<Vec<String>> = vec![Vec::new(); guards.len()];
    for example in examples {
        let mut bound = Vec::new();
        if !bind_instance(&general.before.root, &example.before.root, &mut bound) {
            return vec![Vec::new(); guards.len()];
        }
        for (h, nodes) in bound.iter().enumerate() {
            if guards.get(h) == Some(&HoleClass::Accessor)
                && let Some(nodes) = nodes
            {
                for node in nodes {
                    methods[h].extend(called_methods_node(node));
                }
            }
        }
    }
    for m in &mut methods {
        m.sort();
        m.dedup();
    }
    methods
}

impl Pattern {
    /// Whether every binding is in its hole's guard (and, for an `accessor` guard with learned methods, calls
    /// only those).
    /// Whether a match at `node` is in the place the pattern's `within` asks for (anywhere without one).
    pub fn sits_in(&self, tree: &Tree, node: NodeId) -> bool {
        self.within
            .as_deref()
            .is_none_or(|kind| tree.node(node).parent.map(|p| tree.node(p).kind) == Some(kind))
    }

    pub fn admits(&self, tree: &Tree, bindings: &Bindings) -> bool {
        self.guards.iter().enumerate().all(|(h, &guard)| {
            guard == HoleClass::Any
                || bindings.get(h).and_then(Option::as_ref).is_none_or(|b| {
                    b.nodes().iter().all(|&id| {
                        guard.contains(classify_tree(tree, id))
                            && match self.accessors.get(h) {
                                Some(allowed)
                                    if guard == HoleClass::Accessor && !allowed.is_empty() =>
                                {
                                    called_methods_tree(tree, id)
                                        .iter()
                                        .all(|m| allowed.contains(m))
                                }
                                _ => true,
                            }
                    })
                })
        })
    }

    /// The guard of hole `h` ([`HoleClass::Any`] when it has none).
    pub fn guard(&self, h: crate::HoleId) -> HoleClass {
        self.guards
            .get(h as usize)
            .copied()
            .unwrap_or(HoleClass::Any)
    }
}
