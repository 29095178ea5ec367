//! Guard remedies on every frame of a failing path: the panic's condition, carried up to where the bad value
//! came in, turned into an early `Err`/`None`.
//!
//! Why lift a condition instead of rewriting the site: people fix most out-of-range panics where the value
//! entered (a caller that did not check user input), and a remedy at the site can only swap the panic for a
//! default, which hides it. A guard pattern says when its code panics (`panics_when = "$B >= $A.len()"` for
//! `$A[$B]`). At the panic site the condition is instantiated from the match; at each caller, the parameters
//! of the callee it names are replaced by the arguments of the call on the frame's line (`pick(&v, i)` turns
//! `i >= v.len()` inside `pick(v, i)` into `i >= v.len()` in the caller's terms, whatever the names). Lifting
//! stops at a frame whose condition names a local (the value was computed there: the frames above cannot
//! say it), at test code, and where no call of the callee is on the frame's line. Every frame whose function
//! returns `Result` or `Option` gets a candidate `if <condition> { return Err(..) }` (or `return None`) before
//! the statement holding the site or the call. Whether it compiles and makes the tests pass is the caller's
//! to validate; how likely it is right is the one [`ConfidenceModel`](crate::ConfidenceModel)'s, with the
//! frame position as evidence.
//!
//! Textual, on purpose: the condition is Rust text built from the bound code; substitution works on its
//! identifiers (parsed), not on substrings, and the result must re-parse strictly in its function.

use pattern::{HoleClass, Index, LibraryPattern, Returns, instantiate};
use syntax::scan::LineIndex;
use syntax::{NodeId, Tree};

use crate::confidence::{Evidence, Outcomes, PathStep, Validation};
use crate::fix::{Fix, FixConfig, Proximity, explain, function_returns, position};

/// One frame of a failing path: its file's text and the line the trace names.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub line: u32,
    pub step: PathStep,
}

/// The guard candidates along one failing path (`frames[0]` must be the panic site, position 0), innermost
/// first. Only patterns with `panics_when` that remedy the reported kind take part.
pub fn guards_on_path(
    frames: &[Frame<'_>],
    patterns: &[&LibraryPattern],
    config: &FixConfig,
) -> Vec<Fix> {
    let Some(site) = frames.first().filter(|f| f.step.position == 0) else {
        return Vec::new();
    };
    let guards: Vec<&LibraryPattern> = patterns
        .iter()
        .copied()
        .filter(|p| {
            p.panics_when.is_some()
                && p.panics.contains(&site.step.panic)
                && p.pattern.is_applicable()
        })
        .collect();
    if guards.is_empty() {
        return Vec::new();
    }
    let parses: Vec<syntax::Parse> = frames.iter().map(|f| syntax::parse(f.text)).collect();
    let index = Index::new(guards.iter().map(|p| &p.pattern).collect());
    let all: Vec<usize> = (0..guards.len()).collect();
    let site_tree = &parses[0].tree;
    let site_lines = LineIndex::new(site.text);
    let mut out: Vec<Fix> = Vec::new();
    // The innermost matches on the panic line, each with its condition.
    let mut starts: Vec<(usize, NodeId, String)> = Vec::new();
    for m in index.matches(site_tree, &all) {
        let p = guards[m.pattern];
        if !on_line(site_tree, &site_lines, m.node, site.line) {
            continue;
        }
        // The condition repeats the bound code: only code without calls or macros may be repeated (what may
        // panic in it, an index or arithmetic, ran before the panic at the site too).
        let pure = m
            .bindings
            .iter()
            .flatten()
            .flat_map(|b| b.nodes())
            .all(|&b| HoleClass::Cheap.contains(pattern::classify_tree(site_tree, b)));
        if !pure {
            continue;
        }
        let Some(cond) = p.panics_when.as_ref() else {
            continue;
        };
        let Ok(condition) = instantiate(cond, site_tree, &m.bindings, "") else {
            continue;
        };
        if !starts.iter().any(|(_, _, c)| *c == condition) {
            starts.push((m.pattern, m.node, condition));
        }
    }
    for (pattern, node, condition) in starts {
        let p = guards[pattern];
        let mut condition = condition;
        let mut anchor = node;
        for (k, frame) in frames.iter().enumerate() {
            let tree = &parses[k].tree;
            let Some(function) = enclosing_function(tree, anchor) else {
                break;
            };
            if in_test_code(frame.file, tree, function) {
                break;
            }
            if let Some(returns) = function_returns(tree, anchor)
                && let Some(fix) = guard_fix(frame, tree, anchor, &condition, returns, p, config)
                && !out
                    .iter()
                    .any(|f| f.file == fix.file && f.after == fix.after)
            {
                out.push(fix);
            }
            // Up one frame: the condition in the caller's terms.
            let Some(next) = frames.get(k + 1) else {
                break;
            };
            let Some(lifted) = lift(tree, function, &condition, &parses[k + 1].tree, next) else {
                break;
            };
            (condition, anchor) = lifted;
        }
    }
    out
}

fn on_line(tree: &Tree, lines: &LineIndex, node: NodeId, line: u32) -> bool {
    let span = &tree.node(node).span;
    let first = lines.line_of(span.start as usize);
    let last = lines.line_of(span.end.saturating_sub(1).max(span.start) as usize);
    first <= line && line <= last
}

fn enclosing_function(tree: &Tree, node: NodeId) -> Option<NodeId> {
    tree.ancestors(node)
        .find(|&a| tree.node(a).kind == "function_item")
}

/// Test code is where the failure is observed, not where it is fixed: files under `tests/` or `benches/`,
/// `#[test]` functions, and anything in a module named `tests`.
fn in_test_code(file: &str, tree: &Tree, function: NodeId) -> bool {
    if file
        .split('/')
        .any(|c| c == "tests" || c == "benches" || c == "examples")
    {
        return true;
    }
    let test_attribute = previous_siblings(tree, function)
        .take_while(|&s| tree.node(s).kind == "attribute_item")
        .any(|s| tree.text_of(s).contains("test"));
    let in_tests_module = tree.ancestors(function).any(|a| {
        tree.node(a).kind == "mod_item"
            && tree
                .node(a)
                .children
                .iter()
                .any(|&c| tree.node(c).kind == "identifier" && tree.text_of(c) == "tests")
    });
    test_attribute || in_tests_module
}

fn previous_siblings(tree: &Tree, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    let siblings: &[NodeId] = tree
        .node(node)
        .parent
        .map_or(&[], |p| tree.node(p).children.as_slice());
    let at = siblings.iter().position(|&s| s == node).unwrap_or(0);
    siblings[..at].iter().rev().copied()
}

/// The candidate `if <condition> { return …; }` before the statement holding `anchor`.
fn guard_fix(
    frame: &Frame<'_>,
    tree: &Tree,
    anchor: NodeId,
    condition: &str,
    returns: Returns,
    p: &LibraryPattern,
    config: &FixConfig,
) -> Option<Fix> {
    let statement = statement_of(tree, anchor)?;
    let span = tree.node(statement).span.clone();
    let range = span.start as usize..span.end as usize;
    let indent = patch::indentation_at(frame.text, range.start);
    let fail = match returns {
        // A signature is never read as `Fallible` (that is only what a pattern may ask for).
        Returns::Result | Returns::Fallible => {
            format!("Err({:?}.into())", format!("invalid input: {condition}"))
        }
        Returns::UnitResult => "Err(())".to_owned(),
        Returns::Option => "None".to_owned(),
    };
    let replacement = format!(
        "if {condition} {{\n{indent}    return {fail};\n{indent}}}\n{indent}{}",
        &frame.text[range.clone()]
    );
    let edit = patch::TextEdit {
        range: range.clone(),
        replacement,
    };
    // The function must still parse strictly with the guard in it.
    let function = enclosing_function(tree, anchor)?;
    let fspan = tree.node(function).span.clone();
    let fun = &frame.text[fspan.start as usize..fspan.end as usize];
    let local = patch::TextEdit {
        range: range.start - fspan.start as usize..range.end - fspan.start as usize,
        replacement: edit.replacement.clone(),
    };
    syntax::strict_reparse(&patch::apply(fun, std::slice::from_ref(&local))).ok()?;
    let step = frame.step.clone();
    let assessment = config.model.assess(&Evidence {
        pattern: p,
        proximity: Proximity::OnLine,
        validation: Validation::NotRun,
        outcomes: config
            .outcomes
            .get(&p.id)
            .copied()
            .unwrap_or(Outcomes::default()),
        step: Some(&step),
    });
    if assessment.probability < config.min_confidence {
        return None;
    }
    let location = crate::Location {
        file: frame.file.to_owned(),
        line: frame.line,
        source: match step.position {
            0 => format!("panic site ({})", step.panic),
            n => format!("caller #{n} on the failing path"),
        },
        step: Some(step.clone()),
    };
    let reason = format!(
        "{}; guard `{condition}` carried from the panic site",
        explain(p, &assessment, Proximity::OnLine, Some(&step), &[&location])
    );
    Some(Fix {
        file: frame.file.to_owned(),
        start: position(frame.text, range.start),
        end: position(frame.text, range.end),
        before: frame.text[range.clone()].to_owned(),
        after: edit.replacement.clone(),
        diff: patch::edit_diff(frame.file, frame.text, &edit),
        pattern: p.id.clone(),
        origin: p.origin,
        confidence: assessment.probability,
        basis: assessment.basis.clone(),
        validation: Validation::NotRun,
        score: assessment.raw,
        rank: 0,
        proximity: Proximity::OnLine,
        reason,
        round: 1,
        effect: Some(pattern::Effect::Surfaces),
        step: Some(step),
    })
}

/// The statement (a child of a block) holding `node`; `None` inside a closure, where `return` would leave
/// the closure.
fn statement_of(tree: &Tree, node: NodeId) -> Option<NodeId> {
    let mut at = node;
    loop {
        let parent = tree.node(at).parent?;
        match tree.node(parent).kind {
            "closure_expression" => return None,
            "block" => return Some(at),
            _ => at = parent,
        }
    }
}

/// The condition of `function` (the callee) in the terms of the call on `caller`'s line, and that call.
fn lift(
    callee_tree: &Tree,
    function: NodeId,
    condition: &str,
    caller_tree: &Tree,
    caller: &Frame<'_>,
) -> Option<(String, NodeId)> {
    let name = function_name(callee_tree, function)?;
    let params = parameters(callee_tree, function);
    let lines = LineIndex::new(caller.text);
    let call = caller_tree
        .nodes
        .iter()
        .enumerate()
        .map(|(i, _)| i as NodeId)
        .filter(|&i| caller_tree.node(i).kind == "call_expression")
        .filter(|&i| on_line(caller_tree, &lines, i, caller.line))
        .filter(|&i| callee_name(caller_tree, i).is_some_and(|(n, _)| n == name))
        .min_by_key(|&i| caller_tree.node(i).size)?;
    let (_, receiver) = callee_name(caller_tree, call)?;
    let mut args: Vec<NodeId> = caller_tree
        .node(call)
        .children
        .iter()
        .copied()
        .filter(|&c| caller_tree.node(c).kind == "arguments")
        .flat_map(|a| caller_tree.node(a).children.clone())
        .filter(|&c| {
            !matches!(
                caller_tree.node(c).kind,
                "(" | ")" | "," | "line_comment" | "block_comment"
            )
        })
        .collect();
    let mut names = params;
    // A method call's receiver is its `self`; in `Type::method(x, ..)` the receiver is already the first
    // argument.
    if names.first().is_some_and(|n| n == "self")
        && let Some(r) = receiver
    {
        args.insert(0, r);
    }
    if names.len() != args.len() {
        return None;
    }
    let values: Vec<String> = args
        .iter()
        .map(|&a| argument_text(caller_tree, a))
        .collect();
    names.truncate(values.len());
    let lifted = substitute(condition, &names, &values)?;
    Some((lifted, call))
}

fn function_name(tree: &Tree, function: NodeId) -> Option<String> {
    tree.node(function)
        .children
        .iter()
        .find(|&&c| tree.node(c).kind == "identifier")
        .map(|&c| tree.text_of(c).to_owned())
}

/// Parameter names in order (`self` for a self parameter); a destructuring pattern is named `_`, which no
/// condition can name.
fn parameters(tree: &Tree, function: NodeId) -> Vec<String> {
    let Some(list) = tree
        .node(function)
        .children
        .iter()
        .find(|&&c| tree.node(c).kind == "parameters")
    else {
        return Vec::new();
    };
    tree.node(*list)
        .children
        .iter()
        .filter_map(|&c| match tree.node(c).kind {
            "self_parameter" => Some("self".to_owned()),
            "parameter" => Some(
                tree.node(c)
                    .children
                    .iter()
                    .find(|&&x| tree.node(x).kind == "identifier")
                    .map_or("_".to_owned(), |&x| tree.text_of(x).to_owned()),
            ),
            _ => None,
        })
        .collect()
}

/// The name a call calls (the last path segment or the method), and the receiver of a method call.
fn callee_name(tree: &Tree, call: NodeId) -> Option<(&str, Option<NodeId>)> {
    let mut f = *tree.node(call).children.first()?;
    loop {
        let node = tree.node(f);
        match node.kind {
            "identifier" => return Some((tree.text_of(f), None)),
            "scoped_identifier" => {
                let last = *node.children.last()?;
                return Some((tree.text_of(last), None));
            }
            "field_expression" => {
                let field = *node.children.last()?;
                return Some((tree.text_of(field), node.children.first().copied()));
            }
            "generic_function" => f = *node.children.first()?,
            _ => return None,
        }
    }
}

/// An argument as it can stand in a condition: a borrow is dropped (methods and comparisons auto-deref
/// the same way), anything but a simple expression is parenthesised.
fn argument_text(tree: &Tree, arg: NodeId) -> String {
    let mut at = arg;
    while tree.node(at).kind == "reference_expression" {
        match tree.node(at).children.last() {
            Some(&inner) => at = inner,
            None => break,
        }
    }
    let text = tree.text_of(at);
    match tree.node(at).kind {
        "identifier"
        | "self"
        | "field_expression"
        | "call_expression"
        | "integer_literal"
        | "scoped_identifier"
        | "index_expression"
        | "parenthesized_expression" => text.to_owned(),
        _ => format!("({text})"),
    }
}

/// Replaces each variable of `condition` that is a parameter by its argument. `None` when the condition names
/// a variable that is not a parameter: a local of the callee, which the caller cannot see.
fn substitute(condition: &str, names: &[String], values: &[String]) -> Option<String> {
    const PREFIX: &str = "fn __suture_condition() -> bool { ";
    let wrapped = format!("{PREFIX}{condition} }}");
    let parse = syntax::parse(&wrapped);
    if !parse.errors.is_empty() {
        return None;
    }
    let tree = &parse.tree;
    let body = tree.nodes.iter().position(|n| n.kind == "block")? as NodeId;
    let mut edits: Vec<patch::TextEdit> = Vec::new();
    for id in tree.descendants(body) {
        let node = tree.node(id);
        if !matches!(node.kind, "identifier" | "self") {
            continue;
        }
        let parent = node.parent.map(|p| tree.node(p).kind);
        // Path segments and macro names are not variables; nor is a function called by name.
        if matches!(parent, Some("scoped_identifier" | "macro_invocation")) {
            continue;
        }
        let text = tree.text_of(id);
        if let Some(i) = names.iter().position(|n| n == text) {
            edits.push(patch::TextEdit {
                range: node.span.start as usize..node.span.end as usize,
                replacement: values[i].clone(),
            });
        } else if !text.starts_with(|c: char| c.is_uppercase()) {
            return None;
        }
    }
    let out = patch::apply(&wrapped, &edits);
    let inner = out.strip_prefix(PREFIX)?.strip_suffix(" }")?;
    Some(inner.to_owned())
}
