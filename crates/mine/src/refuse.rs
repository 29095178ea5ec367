//! Refusing noise: candidates that their examples cannot make right, however often they recur.
//!
//! Support measures how often a change was made, not whether it is a fix. Reviewed by hand, the patterns a
//! plain miner ships include changes that are right only with knowledge the examples do not hold. Each rule
//! here refuses one such family, and every refusal is counted by its [`Refusal`] so that the mine summary
//! says what was left out and why:
//! - **Toggle**: both directions of one change were learned (`let mut $A` ↔ `let $A`, `&$A` ↔ `&mut $A`).
//!   With comparable support (the smaller at least a third of the larger) neither is kept: the history says
//!   both are right somewhere, so without context neither is right everywhere. Otherwise the minority
//!   direction is refused and the majority kept.
//! - **Rename**: the after side introduces a name that the before side does not have and that is not API
//!   vocabulary. Introduced names are allowed when they are what is called (the method of a method call, the
//!   last segment of a called path, a called function or an invoked macro: the fix uses another API) or are
//!   names of Rust's prelude (`Some`, `Ok`, `Default`, …). Any other introduced name (a variable, a field, a
//!   type, a module) comes from the training code: `$A::$B(key)` → `key` or `a: OldName` → `a: NewName` is
//!   a migration, right only in the repository that is migrating. A mined edit is shrunk to the smallest
//!   differing subtree, so a method swap (`$A.iter().count` → `$A.len`) and a field rename
//!   (`self.crate_def_map` → `self.def_map`) look alike: the pattern's learned `within` tells them apart (the
//!   callee of a `call_expression`, or a field read elsewhere); without one (edits whose places differ) the
//!   field of a root field access counts as called. It is refused unless [`RefuseConfig::renames`] is off
//!   (a team's own library).
//! - **Drops**: the fix removes a `?` (errors silently ignored), a call of varying callee (`self.$A($B)?` →
//!   `$B`), or an operand of `||`/`&&` or a whole argument bound by a hole (the examples dropped different
//!   code each time). What every example shows the same is vouched for: a concrete call or argument
//!   (`.iter()` in `$A.iter().count()` → `$A.len()`, `Vec::new()` in `std::mem::replace($A, Vec::new())`),
//!   and a hole whose learned guard is `literal` (every example dropped a constant). A `?` is always the
//!   same token, yet nothing in a tree shows that dropping it is right (that needs the context the examples
//!   share), so it is always refused.
//! - **Test data**: the two sides differ only in string contents or numbers (`timeout(100)` →
//!   `timeout(200)`). That is a change of data, not of code.
//! - **Operator swap**: the two sides differ only in operators (`$A < $B` → `$A <= $B`, `+` → `-`). No
//!   two of Rust's operators mean the same, so such a fix changes what the code computes: it corrected that
//!   one site's logic, and says nothing of another site's. It compiles wherever it matches, so not even the
//!   compiler in the loop would stop it.
//! - **Lazy cheap code**: the fix moves a hole into a closure of its own (`.ok_or($B)` →
//!   `.ok_or_else(|| $B)`, `.unwrap_or($B)` → `.unwrap_or_else(|| $B)`), and not every example bound code with
//!   effects (a call or a macro: learned guard `effects`). Deferring a call is the fix; deferring an enum
//!   variant or a field is churn that clippy's `unnecessary_lazy_evaluations` asks to undo, and an example
//!   that does it was made for another reason (a borrow, a type) the tree does not show. A guard of `effects`
//!   learned from all the examples keeps the pattern, for code with effects only.
//! - **Imports only**: both sides are imports and one side's names are the other's with some left out
//!   (`use proc_macro2::{Span, $A};` → `use proc_macro2::$A;`). Imports follow the code that uses them: a
//!   name was dropped because its last use went in the same commit, or added for a new use, so on another
//!   site the edit is an `unused_imports` cleanup at best (cargo fix's business) and an unresolved name at
//!   worst (syn's and mdBook's own histories taught three such patterns, and the compiler backed every
//!   proposal out). An import whose path changes (`use failure::Error` → `use anyhow::Error`) is not this
//!   rule's.

use std::collections::HashSet;

use pattern::{HoleClass, HoleId, Label, PNode, Pattern};

/// Which rules apply.
#[derive(Debug, Clone)]
pub struct RefuseConfig {
    /// Refuse patterns whose after side introduces a name of the training code (on for a cross-project
    /// library, the default; off for a team's own history, where a migration is worth finishing).
    pub renames: bool,
}

impl Default for RefuseConfig {
    fn default() -> Self {
        RefuseConfig { renames: true }
    }
}

/// Why a candidate was refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// The opposite direction was learned too.
    Toggle,
    /// The after side introduces this name of the training code.
    Rename(String),
    /// The fix removes this.
    Drops(Dropped),
    /// Only string contents or numbers change.
    TestData,
    /// Only operators change.
    OperatorSwap,
    /// A hole is moved into a closure, and an example bound code without effects there.
    LazyCheap,
    /// Only imported names are added or removed.
    ImportsOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dropped {
    Try,
    Call,
    Operand,
    Argument,
}

impl Refusal {
    /// The reason's kind, without particulars, for counting: `toggle`, `rename`, `drops ?`, `test data`.
    pub fn kind(&self) -> String {
        match self {
            Refusal::Toggle => "toggle (both directions learned)".to_owned(),
            Refusal::Rename(_) => {
                "rename (after side keeps a name of the training code)".to_owned()
            }
            Refusal::Drops(Dropped::Try) => "drops `?`".to_owned(),
            Refusal::Drops(Dropped::Call) => "drops a call".to_owned(),
            Refusal::Drops(Dropped::Operand) => "drops an operand of `||`/`&&`".to_owned(),
            Refusal::Drops(Dropped::Argument) => "drops an argument".to_owned(),
            Refusal::TestData => "test data (only strings or numbers change)".to_owned(),
            Refusal::OperatorSwap => "operator swap (changes what the code computes)".to_owned(),
            Refusal::LazyCheap => {
                "lazy cheap code (moved into a closure, an example had no call)".to_owned()
            }
            Refusal::ImportsOnly => {
                "imports only (names added to or removed from a `use`)".to_owned()
            }
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Rename(name) => write!(f, "rename: after side introduces `{name}`"),
            other => f.write_str(&other.kind()),
        }
    }
}

/// The rules about one pattern alone (rename, drops, test data), with its learned guards set.
pub fn refusal(pattern: &Pattern, config: &RefuseConfig) -> Option<Refusal> {
    if differs_only_in(&pattern.before.root, &pattern.after.root, &is_data) {
        return Some(Refusal::TestData);
    }
    if differs_only_in(&pattern.before.root, &pattern.after.root, &is_operator) {
        return Some(Refusal::OperatorSwap);
    }
    if only_imported_names_change(&pattern.before.root, &pattern.after.root) {
        return Some(Refusal::ImportsOnly);
    }
    if let Some(dropped) = drops(pattern) {
        return Some(Refusal::Drops(dropped));
    }
    if made_lazy(pattern).any(|h| !HoleClass::Effects.contains(pattern.guard(h))) {
        return Some(Refusal::LazyCheap);
    }
    if config.renames
        && let Some(name) = introduced_name(pattern)
    {
        return Some(Refusal::Rename(name));
    }
    None
}

/// For candidates with their support, which are toggles: `Some(Refusal::Toggle)` at each refused position.
pub fn toggles(candidates: &[(&Pattern, u32)]) -> Vec<Option<Refusal>> {
    let mut out = vec![None; candidates.len()];
    let forward: Vec<u64> = candidates
        .iter()
        .map(|(p, _)| canonical_hash(&p.before.root, &p.after.root))
        .collect();
    for (i, (p, support)) in candidates.iter().enumerate() {
        let reverse = canonical_hash(&p.after.root, &p.before.root);
        for (j, &f) in forward.iter().enumerate() {
            if f != reverse || i == j {
                continue;
            }
            let other = candidates[j].1;
            // Comparable: the smaller at least a third of the larger. Otherwise only the minority goes.
            let comparable = support.min(&other) * 3 >= *support.max(&other);
            if comparable || *support < other {
                out[i] = Some(Refusal::Toggle);
            }
        }
    }
    out
}

/// A hash of two templates with holes numbered by first appearance, so that `$B → $A` and `$A → $B` agree.
fn canonical_hash(first: &PNode, second: &PNode) -> u64 {
    fn walk(node: &PNode, names: &mut Vec<HoleId>, h: &mut syntax::Fx) {
        match &node.label {
            Label::Hole(id) | Label::List(id) => {
                let k = names.iter().position(|n| n == id).unwrap_or_else(|| {
                    names.push(*id);
                    names.len() - 1
                });
                h.write(if node.label == Label::List(*id) {
                    b"$$$"
                } else {
                    b"$"
                });
                h.write_u64(k as u64);
            }
            Label::Node { kind, leaf } => {
                h.write(kind.as_bytes());
                if let Some(text) = leaf {
                    h.write(&[0xff]);
                    h.write(text.as_bytes());
                }
                h.write_u64(node.children.len() as u64);
                node.children.iter().for_each(|c| walk(c, names, h));
            }
        }
    }
    let (mut names, mut h) = (Vec::new(), syntax::Fx::new());
    walk(first, &mut names, &mut h);
    h.write(b"=>");
    walk(second, &mut names, &mut h);
    h.finish()
}

const NUMBERS_AND_STRINGS: &[&str] = &[
    "integer_literal",
    "float_literal",
    "string_literal",
    "raw_string_literal",
    "string_content",
    "escape_sequence",
];

/// Whether the two sides have one shape and differ only at numbers and strings (or holes standing for them).
/// The operator tokens of Rust's expressions (binary, compound assignment, unary, range).
const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "&&", "||", "==", "!=", "<", "<=", ">",
    ">=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "!", "..", "..=",
];

fn is_data(n: &PNode) -> bool {
    n.is_hole() || n.kind().is_some_and(|k| NUMBERS_AND_STRINGS.contains(&k))
}

fn is_operator(n: &PNode) -> bool {
    n.children.is_empty() && n.kind().is_some_and(|k| OPERATORS.contains(&k))
}

/// Whether the two sides have the same shape and differ somewhere, and only in nodes that `changes` admits
/// (a hole on one side against data on the other counts as such a change; two holes do not).
fn differs_only_in(before: &PNode, after: &PNode, changes: &dyn Fn(&PNode) -> bool) -> bool {
    fn walk(b: &PNode, a: &PNode, changes: &dyn Fn(&PNode) -> bool, differs: &mut bool) -> bool {
        if b.hash == a.hash {
            return true;
        }
        if changes(b) && changes(a) && !(b.is_hole() && a.is_hole()) {
            *differs = true;
            return true;
        }
        b.label == a.label
            && !b.is_hole()
            && b.children.len() == a.children.len()
            && b.children
                .iter()
                .zip(&a.children)
                .all(|(cb, ca)| walk(cb, ca, changes, differs))
    }
    let mut differs = false;
    walk(before, after, changes, &mut differs) && differs
}

/// Whether both sides are (parts of) `use` declarations and the names of one are the other's with some left
/// out, holes counted as names.
fn only_imported_names_change(before: &PNode, after: &PNode) -> bool {
    const IMPORTS: &[&str] = &[
        "use_declaration",
        "use_list",
        "scoped_use_list",
        "use_as_clause",
        "use_wildcard",
    ];
    let is_import = |n: &PNode| n.kind().is_some_and(|k| IMPORTS.contains(&k));
    if !is_import(before) || !is_import(after) {
        return false;
    }
    let names = |root: &PNode| {
        let mut out = std::collections::BTreeMap::<String, usize>::new();
        visit(root, &mut |node, _| {
            let name = match &node.label {
                Label::Hole(id) | Label::List(id) => Some(format!("${id:?}")),
                Label::Node { .. } if node.children.is_empty() => node.leaf().map(str::to_owned),
                Label::Node { .. } => None,
            };
            if let Some(name) = name {
                *out.entry(name).or_default() += 1;
            }
        });
        out
    };
    let (b, a) = (names(before), names(after));
    let within = |small: &std::collections::BTreeMap<String, usize>,
                  large: &std::collections::BTreeMap<String, usize>| {
        small
            .iter()
            .all(|(name, n)| large.get(name).is_some_and(|m| m >= n))
    };
    b != a && (within(&a, &b) || within(&b, &a))
}

/// What the fix removes, if it removes something the examples cannot vouch for.
fn drops(pattern: &Pattern) -> Option<Dropped> {
    let (before, after) = (&pattern.before.root, &pattern.after.root);
    let is_try = |n: &PNode| n.kind() == Some("try_expression");
    if before.count(&is_try) > after.count(&is_try) {
        return Some(Dropped::Try);
    }
    // A call whose callee is a hole (`self.$A($B)`) calls something different in every example.
    let variable_call = |n: &PNode| {
        matches!(n.kind(), Some("call_expression" | "macro_invocation"))
            && n.children.first().is_some_and(callee_is_hole)
    };
    if before.count(&variable_call) > after.count(&variable_call) {
        return Some(Dropped::Call);
    }
    let mut after_holes = Vec::new();
    after.hole_ids(&mut after_holes);
    // A part is dropped when it holds holes and none of them is used by the after side. A dropped part
    // without holes is the same code in every example, which the examples vouch for (`Vec::new()` in
    // `std::mem::replace($A, Vec::new())`); so is a hole that bound a literal in every example.
    let dropped = |part: &PNode| {
        let mut holes = Vec::new();
        part.hole_ids(&mut holes);
        let literal = part.is_hole()
            && holes
                .iter()
                .all(|&h| HoleClass::Literal.contains(pattern.guard(h)));
        !(holes.is_empty() || holes.iter().any(|h| after_holes.contains(h)) || literal)
    };
    let mut found = None;
    visit(before, &mut |node, _| {
        let logical = node.kind() == Some("binary_expression")
            && node.children.len() == 3
            && matches!(node.children[1].leaf(), Some("||" | "&&"));
        if found.is_none() && logical && (dropped(&node.children[0]) || dropped(&node.children[2]))
        {
            found = Some(Dropped::Operand);
        }
        let arguments = node.kind() == Some("arguments");
        if found.is_none()
            && arguments
            && node
                .children
                .iter()
                .filter(|c| !matches!(c.leaf(), Some("(" | ")" | ",")))
                .any(&dropped)
        {
            found = Some(Dropped::Argument);
        }
    });
    found
}

/// The holes the fix moves into a closure of their own: the after side has a closure whose body is the hole,
/// and the before side uses the hole outside any closure.
fn made_lazy(pattern: &Pattern) -> impl Iterator<Item = HoleId> {
    fn holes(node: &PNode, in_closure: bool, eager: &mut Vec<HoleId>, lazy: &mut Vec<HoleId>) {
        let closure = node.kind() == Some("closure_expression");
        if closure && let Some(Label::Hole(h)) = node.children.last().map(|b| &b.label) {
            lazy.push(*h);
        }
        match &node.label {
            Label::Hole(h) | Label::List(h) if !in_closure => eager.push(*h),
            _ => {}
        }
        for child in &node.children {
            holes(child, in_closure || closure, eager, lazy);
        }
    }
    let (mut eager, mut lazy, mut ignored) = (Vec::new(), Vec::new(), Vec::new());
    holes(&pattern.before.root, false, &mut eager, &mut ignored);
    holes(&pattern.after.root, false, &mut Vec::new(), &mut lazy);
    lazy.into_iter().filter(move |h| eager.contains(h))
}

/// Whether the function part of a call names a hole: `$F(..)`, `$A.$B(..)`, `$A::$B(..)`.
fn callee_is_hole(function: &PNode) -> bool {
    match function.kind() {
        None => true,
        Some("field_expression" | "scoped_identifier") => {
            function.children.last().is_some_and(PNode::is_hole)
        }
        Some("generic_function") => function.children.first().is_some_and(callee_is_hole),
        _ => false,
    }
}

/// Preorder visit with each node's parent.
fn visit<'a>(root: &'a PNode, f: &mut impl FnMut(&'a PNode, Option<&'a PNode>)) {
    fn go<'a>(
        node: &'a PNode,
        parent: Option<&'a PNode>,
        f: &mut impl FnMut(&'a PNode, Option<&'a PNode>),
    ) {
        f(node, parent);
        node.children.iter().for_each(|c| go(c, Some(node), f));
    }
    go(root, None, f);
}

/// Names of Rust's prelude and keywords that a fix may introduce anywhere.
const PRELUDE: &[&str] = &[
    "Some",
    "None",
    "Ok",
    "Err",
    "Option",
    "Result",
    "Vec",
    "String",
    "Box",
    "Default",
    "Iterator",
    "IntoIterator",
    "From",
    "Into",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Fn",
    "FnMut",
    "FnOnce",
    "Drop",
    "self",
    "Self",
    "std",
    "core",
    "alloc",
    "crate",
    "super",
    "_",
];

const NAME_KINDS: &[&str] = &[
    "identifier",
    "field_identifier",
    "type_identifier",
    "shorthand_field_identifier",
];

/// The first name on the after side that the before side lacks and that is not API vocabulary.
fn introduced_name(pattern: &Pattern) -> Option<String> {
    let mut before_words = HashSet::new();
    let mut tokens = Vec::new();
    pattern.before.root.literal_tokens(&mut tokens);
    before_words.extend(tokens);
    // Nodes that are called: the `function` of a call (through a turbofish or a method's field access to
    // the name), or the name of an invoked macro.
    let mut called: HashSet<*const PNode> = HashSet::new();
    visit(&pattern.after.root, &mut |node, _| {
        let target = match node.kind() {
            Some("call_expression" | "macro_invocation") => node.children.first(),
            _ => None,
        };
        let mut target = target;
        while let Some(t) = target {
            match t.kind() {
                Some("generic_function") => target = t.children.first(),
                Some("field_expression" | "scoped_identifier") => target = t.children.last(),
                _ => {
                    called.insert(t as *const PNode);
                    break;
                }
            }
        }
    });
    // A mined edit is shrunk to the smallest differing subtree, so `$A.iter().count()` → `$A.len()` is
    // learned as `$A.iter().count` → `$A.len`: the field of a root field access may be a callee whose call
    // the template does not show, and counts as called.
    // Where the edits' context says what the field access sat in, only a call's callee counts.
    let root = &pattern.after.root;
    if root.kind() == Some("field_expression")
        && pattern
            .within
            .as_deref()
            .is_none_or(|k| k == "call_expression")
        && let Some(field) = root.children.last()
    {
        called.insert(field as *const PNode);
    }
    let mut found = None;
    visit(root, &mut |node, _| {
        if found.is_some() || !node.kind().is_some_and(|k| NAME_KINDS.contains(&k)) {
            return;
        }
        let Some(name) = node.leaf() else { return };
        if before_words.contains(name)
            || PRELUDE.contains(&name)
            || called.contains(&(node as *const PNode))
        {
            return;
        }
        found = Some(name.to_owned());
    });
    found
}
