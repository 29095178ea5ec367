//! Tests of matching, edit scripts and concrete edits on small before/after fixtures.
//!
//! Most tests go through one `check`, which diffs two fixtures by lines (as git would), runs the whole
//! pipeline and renders the edit script's top-level actions and the concrete edits, so that a wrong mapping
//! shows up as a visibly large script.

use std::fmt::Write;
use std::ops::Range;

use expect_test::{Expect, expect};
use syntax::{NodeId, Tree, parse};
use treediff::{
    Action, ByteHunk, EditConfig, EditScript, Mapping, MatchConfig, concrete_edits, edit_script,
    match_trees,
};

/// Hunks of a line diff (an LCS of lines), as byte ranges of whole lines.
fn line_hunks(before: &str, after: &str) -> Vec<ByteHunk> {
    let lines = |text: &str| -> Vec<Range<u32>> {
        let mut out = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            out.push(start..start + line.len() as u32);
            start += line.len() as u32;
        }
        out
    };
    let (lb, la) = (lines(before), lines(after));
    let text = |t: &str, r: &Range<u32>| t[r.start as usize..r.end as usize].to_owned();
    let (tb, ta): (Vec<String>, Vec<String>) = (
        lb.iter().map(|r| text(before, r)).collect(),
        la.iter().map(|r| text(after, r)).collect(),
    );
    let (n, m) = (tb.len(), ta.len());
    let mut table = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if tb[i] == ta[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let offset = |ranges: &[Range<u32>], i: usize, total: usize| {
        ranges.get(i).map_or(total as u32, |r| r.start)
    };
    let mut hunks = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut open: Option<(usize, usize)> = None;
    loop {
        let same = i < n && j < m && tb[i] == ta[j];
        let done = i == n && j == m;
        if same || done {
            if let Some((si, sj)) = open.take() {
                hunks.push(ByteHunk {
                    before: offset(&lb, si, before.len())..offset(&lb, i, before.len()),
                    after: offset(&la, sj, after.len())..offset(&la, j, after.len()),
                });
            }
            if done {
                break;
            }
            i += 1;
            j += 1;
            continue;
        }
        open.get_or_insert((i, j));
        if j == m || (i < n && table[i + 1][j] >= table[i][j + 1]) {
            i += 1;
        } else {
            j += 1;
        }
    }
    hunks
}

fn snippet(tree: &Tree, id: NodeId) -> String {
    let text = tree.text_of(id);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.len() > 60 {
        format!("{}…", &one_line[..one_line.floor_char_boundary(57)])
    } else {
        one_line
    }
}

/// The actions that are not implied by an action on the parent: a deleted subtree shows once, at its root.
fn render_script(before: &Tree, after: &Tree, script: &EditScript) -> String {
    let mut out = String::new();
    let deleted = |b: NodeId| {
        (script.actions.iter()).any(|a| matches!(a, Action::Delete { before } if *before == b))
    };
    let inserted = |x: NodeId| {
        (script.actions.iter()).any(|a| matches!(a, Action::Insert { after } if *after == x))
    };
    for action in &script.actions {
        let line = match *action {
            Action::Delete { before: b } => {
                if before.node(b).parent.is_some_and(deleted) {
                    continue;
                }
                format!("delete {} `{}`", before.node(b).kind, snippet(before, b))
            }
            Action::Insert { after: a } => {
                if after.node(a).parent.is_some_and(inserted) {
                    continue;
                }
                format!("insert {} `{}`", after.node(a).kind, snippet(after, a))
            }
            Action::Update {
                before: b,
                after: a,
            } => format!(
                "update {} `{}` → `{}`",
                before.node(b).kind,
                snippet(before, b),
                snippet(after, a)
            ),
            Action::Move {
                before: b,
                after: a,
            } => {
                if before.node(b).parent.is_some_and(deleted) {
                    continue;
                }
                format!("move {} `{}`", before.node(b).kind, snippet(after, a))
            }
        };
        writeln!(out, "{line}").unwrap();
    }
    out
}

struct Diff {
    before: Tree,
    after: Tree,
    mapping: Mapping,
    script: EditScript,
}

fn diff(before: &str, after: &str) -> Diff {
    let before = parse(before).tree;
    let after = parse(after).tree;
    let mapping = match_trees(&before, &after, &MatchConfig::default());
    let script = edit_script(&before, &after, &mapping);
    Diff {
        before,
        after,
        mapping,
        script,
    }
}

#[track_caller]
fn check_with(before: &str, after: &str, config: &EditConfig, expected: Expect) {
    let d = diff(before, after);
    let mut out = render_script(&d.before, &d.after, &d.script);
    out.push_str("--\n");
    out.push_str(&render_edits(&d, &line_hunks(before, after), config));
    expected.assert_eq(&out);
}

fn render_edits(d: &Diff, hunks: &[ByteHunk], config: &EditConfig) -> String {
    let mut out = String::new();
    for result in concrete_edits(&d.before, &d.after, &d.mapping, &d.script, hunks, config) {
        match result {
            Ok(edit) => writeln!(
                out,
                "edit {} `{}` → {} `{}`",
                d.before.node(edit.before).kind,
                snippet(&d.before, edit.before),
                d.after.node(edit.after).kind,
                snippet(&d.after, edit.after),
            ),
            Err(dropped) => writeln!(out, "dropped: {}", dropped.reason),
        }
        .unwrap();
    }
    out
}

#[track_caller]
fn check(before: &str, after: &str, expected: Expect) {
    check_with(before, after, &EditConfig::default(), expected);
}

#[test]
fn identical_trees_map_fully() {
    let text = "fn f(x: &[u8]) -> bool {\n    x.len() == 0 && x.len() == 0\n}\n";
    let d = diff(text, text);
    assert_eq!(d.mapping.n_pairs(), d.before.len());
    assert!((0..d.before.len() as NodeId).all(|id| d.mapping.partner_of_before(id) == Some(id)));
    assert!(d.script.is_empty());
    assert!(d.script.changed_before.is_empty() && d.script.changed_after.is_empty());
}

#[test]
fn one_token_change_is_a_small_edit() {
    check(
        r#"
fn f(x: &[u8]) {
    if x.len() == 0 {}
}
"#,
        r#"
fn f(x: &[u8]) {
    if x.is_empty() {}
}
"#,
        expect![[r#"
            delete binary_expression `x.len() == 0`
            insert call_expression `x.is_empty()`
            --
            edit binary_expression `x.len() == 0` → call_expression `x.is_empty()`
        "#]],
    );
}

#[test]
fn one_token_change_among_similar_code() {
    check(
        r#"
fn f(x: &[u8]) -> usize {
    let n = x.len();
    if x.len() == 0 {
        return 0;
    }
    n
}

fn g(x: &[u8]) -> usize {
    let n = x.len();
    if x.len() == 1 {
        return 0;
    }
    n
}
"#,
        r#"
fn f(x: &[u8]) -> usize {
    let n = x.len();
    if x.is_empty() {
        return 0;
    }
    n
}

fn g(x: &[u8]) -> usize {
    let n = x.len();
    if x.len() == 1 {
        return 0;
    }
    n
}
"#,
        expect![[r#"
            delete binary_expression `x.len() == 0`
            insert call_expression `x.is_empty()`
            --
            edit binary_expression `x.len() == 0` → call_expression `x.is_empty()`
        "#]],
    );
}

#[test]
fn subtraction_becomes_saturating_sub() {
    check(
        r#"
fn f(a: u32, b: u32) -> u32 {
    let d = a - b;
    d * 2
}
"#,
        r#"
fn f(a: u32, b: u32) -> u32 {
    let d = a.saturating_sub(b);
    d * 2
}
"#,
        expect![[r#"
            delete binary_expression `a - b`
            insert call_expression `a.saturating_sub(b)`
            --
            edit binary_expression `a - b` → call_expression `a.saturating_sub(b)`
        "#]],
    );
}

#[test]
fn unwrap_or_new_becomes_unwrap_or_default() {
    check(
        r#"
fn f(v: Option<Vec<u8>>) -> Vec<u8> {
    v.unwrap_or(Vec::new())
}
"#,
        r#"
fn f(v: Option<Vec<u8>>) -> Vec<u8> {
    v.unwrap_or_default()
}
"#,
        expect![[r#"
            update field_identifier `unwrap_or` → `unwrap_or_default`
            delete arguments `(Vec::new())`
            --
            edit call_expression `v.unwrap_or(Vec::new())` → call_expression `v.unwrap_or_default()`
        "#]],
    );
}

#[test]
fn edit_inside_assert_arguments() {
    check(
        r#"
fn t() {
    let v: Vec<u8> = Vec::new();
    assert!(v.len() == 0);
}
"#,
        r#"
fn t() {
    let v: Vec<u8> = Vec::new();
    assert!(v.is_empty());
}
"#,
        expect![[r#"
            delete binary_expression `v.len() == 0`
            insert call_expression `v.is_empty()`
            --
            edit binary_expression `v.len() == 0` → call_expression `v.is_empty()`
        "#]],
    );
}

#[test]
fn inserted_guard_widens_to_its_container() {
    check(
        r#"
fn f(x: Option<u32>) {
    let y = x.unwrap();
    use_it(y);
}
"#,
        r#"
fn f(x: Option<u32>) {
    if x.is_none() { return; }
    let y = x.unwrap();
    use_it(y);
}
"#,
        expect![[r#"
            insert expression_statement `if x.is_none() { return; }`
            --
            edit block `{ let y = x.unwrap(); use_it(y); }` → block `{ if x.is_none() { return; } let y = x.unwrap(); use_it(y…`
        "#]],
    );
}

#[test]
fn deleted_statement_widens_to_its_container() {
    check(
        r#"
fn f(x: u32) {
    dbg!(x);
    use_it(x);
}
"#,
        r#"
fn f(x: u32) {
    use_it(x);
}
"#,
        expect![[r#"
            delete expression_statement `dbg!(x);`
            --
            edit block `{ dbg!(x); use_it(x); }` → block `{ use_it(x); }`
        "#]],
    );
}

#[test]
fn moved_statement_is_a_move() {
    check(
        r#"
fn f() {
    let a = compute(1);
    let b = compute(2);
    finish(a, b);
}
"#,
        r#"
fn f() {
    let b = compute(2);
    let a = compute(1);
    finish(a, b);
}
"#,
        expect![[r#"
            move let_declaration `let a = compute(1);`
            --
            edit block `{ let a = compute(1); let b = compute(2); finish(a, b); }` → block `{ let b = compute(2); let a = compute(1); finish(a, b); }`
        "#]],
    );
}

#[test]
fn two_hunks_give_two_edits() {
    check(
        r#"
fn f(x: &[u8], a: u32, b: u32) -> u32 {
    if x.len() == 0 {
        return 0;
    }
    let first = x[0] as u32;
    let second = first * 2;
    let third = second + first;
    let d = a - b;
    d + third
}
"#,
        r#"
fn f(x: &[u8], a: u32, b: u32) -> u32 {
    if x.is_empty() {
        return 0;
    }
    let first = x[0] as u32;
    let second = first * 2;
    let third = second + first;
    let d = a.saturating_sub(b);
    d + third
}
"#,
        expect![[r#"
            delete binary_expression `x.len() == 0`
            delete binary_expression `a - b`
            insert call_expression `x.is_empty()`
            insert call_expression `a.saturating_sub(b)`
            --
            edit binary_expression `x.len() == 0` → call_expression `x.is_empty()`
            edit binary_expression `a - b` → call_expression `a.saturating_sub(b)`
        "#]],
    );
}

#[test]
fn large_rewrite_is_dropped_with_a_reason() {
    let body = |op: &str| -> String {
        (0..40)
            .map(|i| format!("    let v{i} = w{i} {op} {i};\n"))
            .collect()
    };
    let before = format!("fn f() {{\n{}}}\n", body("+"));
    let after = format!("fn f() {{\n{}}}\n", body("*"));
    let d = diff(&before, &after);
    let hunks = line_hunks(&before, &after);
    assert_eq!(hunks.len(), 1);
    expect![[r#"
        dropped: edit has 363 nodes on the before side, over the 60-node limit
    "#]]
    .assert_eq(&render_edits(&d, &hunks, &EditConfig::default()));
}

#[test]
fn reformatting_is_dropped_with_a_reason() {
    check(
        "fn f(a: u32) -> u32 {\n    a+1\n}\n",
        "fn f(a: u32) -> u32 {\n    a + 1\n}\n",
        expect![[r#"
            --
            dropped: the hunk changes no syntax node (only whitespace or comments)
        "#]],
    );
}

#[test]
fn context_levels_add_the_enclosing_expression() {
    check_with(
        r#"
fn f(x: &[u8]) {
    if x.len() == 0 {}
}
"#,
        r#"
fn f(x: &[u8]) {
    if x.is_empty() {}
}
"#,
        &EditConfig {
            context_levels: 1,
            ..EditConfig::default()
        },
        expect![[r#"
            delete binary_expression `x.len() == 0`
            insert call_expression `x.is_empty()`
            --
            edit if_expression `if x.len() == 0 {}` → if_expression `if x.is_empty() {}`
        "#]],
    );
}

#[test]
fn operator_change_widens_to_an_expression_that_reparses() {
    check(
        "fn f(a: u32, b: u32) -> bool {\n    a == b\n}\n",
        "fn f(a: u32, b: u32) -> bool {\n    a != b\n}\n",
        expect![[r#"
            delete == `==`
            insert != `!=`
            --
            edit binary_expression `a == b` → binary_expression `a != b`
        "#]],
    );
}

#[test]
fn wrapping_call_keeps_the_wrapped_expression() {
    check(
        "fn f(x: u32) -> Option<u32> {\n    let y = compute(x);\n    y\n}\n",
        "fn f(x: u32) -> Option<u32> {\n    let y = Some(compute(x));\n    y\n}\n",
        expect![[r#"
            move call_expression `compute(x)`
            insert call_expression `Some(compute(x))`
            --
            edit call_expression `compute(x)` → call_expression `Some(compute(x))`
        "#]],
    );
}

#[test]
fn nested_and_repeated_edits_are_reported_once() {
    let before =
        "fn f(a: u32, b: u32) -> u32 {\n    let d = (a - b)\n        + (b - a);\n    d\n}\n";
    let after = "fn f(a: u32, b: u32) -> u32 {\n    let d = (a.saturating_sub(b))\n        + (b.saturating_sub(a));\n    d\n}\n";
    let d = diff(before, after);
    let line = |text: &str, n: usize| -> Range<u32> {
        let start: usize = text.split_inclusive('\n').take(n - 1).map(str::len).sum();
        let len = text.split_inclusive('\n').nth(n - 1).unwrap().len();
        start as u32..(start + len) as u32
    };
    let both_lines = ByteHunk {
        before: line(before, 2).start..line(before, 3).end,
        after: line(after, 2).start..line(after, 3).end,
    };
    let first_line = ByteHunk {
        before: line(before, 2),
        after: line(after, 2),
    };
    let hunks = [first_line, both_lines.clone(), both_lines];
    expect![[r#"
        edit binary_expression `(a - b) + (b - a)` → binary_expression `(a.saturating_sub(b)) + (b.saturating_sub(a))`
    "#]]
    .assert_eq(&render_edits(&d, &hunks, &EditConfig::default()));
}

#[test]
fn identical_test_attributes_follow_their_functions() {
    let test = |name: &str| {
        format!("    #[test]\n    fn {name}() {{\n        check({name:?});\n    }}\n\n")
    };
    let file = |names: &[&str]| -> String {
        let tests: String = names.iter().map(|name| test(name)).collect();
        format!("mod tests {{\n{tests}}}\n")
    };
    check(
        &file(&["a", "b", "c", "d", "e", "f"]),
        &file(&["a", "b", "d", "e", "f"]),
        expect![[r#"
            delete attribute_item `#[test]`
            delete function_item `fn c() { check("c"); }`
            --
            dropped: edit has 159 nodes on the before side, over the 60-node limit
        "#]],
    );
}

#[test]
fn change_among_identical_function_bodies() {
    let test = |name: &str, expected: &str| {
        format!(
            "#[test]\nfn {name}() {{\n    let mut haystack = String::new();\n    haystack.push_str(\"a\\n\");\n    \
             let exp = \"{expected}\";\n    check(&haystack, exp);\n}}\n\n"
        )
    };
    let file = |middle: &str| {
        format!(
            "{}{}{}",
            test("one", "x"),
            test("two", middle),
            test("three", "x")
        )
    };
    check(
        &file("count: 1"),
        &file("count: 2"),
        expect![[r#"
            update string_content `count: 1` → `count: 2`
            --
            edit string_literal `"count: 1"` → string_literal `"count: 2"`
        "#]],
    );
}

/// Two ~5,000-line files that differ in a few places: matching must stay near-linear, and a one-token change
/// must stay a one-token change even among hundreds of near-identical functions.
#[test]
fn large_generated_files() {
    let file = |changed: bool| -> String {
        let mut text = String::new();
        for i in 0..500 {
            let cond = if changed && i % 100 == 7 {
                "v.is_empty()".to_owned()
            } else {
                "v.len() == 0".to_owned()
            };
            write!(
                text,
                "fn f{i}(v: &[u32]) -> u32 {{\n    if {cond} {{\n        return {i};\n    }}\n    \
                 let mut total = 0;\n    for x in v {{\n        total += x * {i};\n    }}\n    total\n}}\n\n"
            )
            .unwrap();
        }
        text
    };
    let (before_text, after_text) = (file(false), file(true));
    // The files have the same lines except the changed conditions, so the hunks are the differing lines (the
    // quadratic `line_hunks` would dominate this test in a debug build).
    let mut hunks = Vec::new();
    let (mut offset_before, mut offset_after) = (0, 0);
    for (line_before, line_after) in before_text
        .split_inclusive('\n')
        .zip(after_text.split_inclusive('\n'))
    {
        let (end_before, end_after) = (
            offset_before + line_before.len() as u32,
            offset_after + line_after.len() as u32,
        );
        if line_before != line_after {
            hunks.push(ByteHunk {
                before: offset_before..end_before,
                after: offset_after..end_after,
            });
        }
        (offset_before, offset_after) = (end_before, end_after);
    }
    let start = std::time::Instant::now();
    let d = diff(&before_text, &after_text);
    let edits = concrete_edits(
        &d.before,
        &d.after,
        &d.mapping,
        &d.script,
        &hunks,
        &EditConfig::default(),
    );
    let elapsed = start.elapsed();
    eprintln!(
        "{} + {} nodes diffed in {elapsed:?}",
        d.before.len(),
        d.after.len()
    );
    assert_eq!(hunks.len(), 5);
    let rendered: Vec<String> = edits
        .iter()
        .map(|e| {
            let e = e.as_ref().expect("every hunk gives an edit");
            format!(
                "{} → {}",
                d.before.text_of(e.before),
                d.after.text_of(e.after)
            )
        })
        .collect();
    assert_eq!(rendered, vec!["v.len() == 0 → v.is_empty()"; 5]);
    assert!(
        d.script.changed_before.len() < 100,
        "{} changed nodes",
        d.script.changed_before.len()
    );
}

#[test]
fn trailing_comma_reflow_is_formatting() {
    let before = "fn f() {\n    g(a, b)\n}\n";
    let after = "fn f() {\n    g(\n        a,\n        b,\n    )\n}\n";
    let (b, a) = (syntax::parse(before).tree, syntax::parse(after).tree);
    let mapping = treediff::match_trees(&b, &a, &treediff::MatchConfig::default());
    let script = treediff::edit_script(&b, &a, &mapping);
    let hunks = [treediff::ByteHunk {
        before: 13..20,
        after: 13..after.len() as u32 - 3,
    }];
    let edits = treediff::concrete_edits(
        &b,
        &a,
        &mapping,
        &script,
        &hunks,
        &treediff::EditConfig::default(),
    );
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0].as_ref().unwrap_err().reason,
        "before and after differ only in commas"
    );
}

#[test]
fn a_kind_change_under_an_operator_keeps_the_operator() {
    // `[u16]` is only a type behind the `&`: the edit keeps the reference, so its pattern leaves owned
    // vectors alone.
    check(
        "fn widest(cols: &Vec<u16>) {}\n",
        "fn widest(cols: &[u16]) {}\n",
        expect![[r#"
            delete generic_type `Vec<u16>`
            insert array_type `[u16]`
            --
            edit reference_type `&Vec<u16>` → reference_type `&[u16]`
        "#]],
    );
    // Brackets are not operators: the argument list is dropped from the edit.
    check(
        "fn f() -> R {\n    g(x.unwrap())\n}\n",
        "fn f() -> R {\n    g(x?)\n}\n",
        expect![[r#"
            delete call_expression `x.unwrap()`
            insert try_expression `x?`
            --
            edit call_expression `x.unwrap()` → try_expression `x?`
        "#]],
    );
}
