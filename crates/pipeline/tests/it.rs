//! Tests of hunk → concrete edit extraction on whole files, as mining sees them.

use expect_test::{Expect, expect};
use git::Hunk;
use pipeline::{ExtractConfig, extract_file_edits};

/// Computes `-U0` hunks from the line diff of `before` and `after`, extracts edits and prints them.
#[track_caller]
fn check(before: &str, after: &str, expected: Expect) {
    let hunks = line_hunks(before, after);
    let edits = extract_file_edits(before, after, &hunks, &ExtractConfig::default());
    let mut out = String::new();
    for e in &edits.edits {
        out.push_str(&format!(
            "{}: {} [{}] => {} [{}]\n",
            e.line, e.before, e.before_kind, e.after, e.after_kind
        ));
    }
    for (line, reason) in &edits.skipped {
        out.push_str(&format!("{line}: skipped: {reason}\n"));
    }
    expected.assert_eq(&out);
}

/// A minimal line diff (common prefix/suffix per region) good enough for single-region fixtures.
fn line_hunks(before: &str, after: &str) -> Vec<Hunk> {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    let prefix = b.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let suffix = b[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (bl, al) = (
        (b.len() - prefix - suffix) as u32,
        (a.len() - prefix - suffix) as u32,
    );
    let start = prefix as u32 + 1;
    vec![Hunk {
        before_start: if bl == 0 { start - 1 } else { start },
        before_len: bl,
        after_start: if al == 0 { start - 1 } else { start },
        after_len: al,
    }]
}

#[test]
fn len_zero_in_an_if() {
    check(
        "fn f(v: &[u8]) -> bool {\n    if v.len() == 0 { return true; }\n    false\n}\n",
        "fn f(v: &[u8]) -> bool {\n    if v.is_empty() { return true; }\n    false\n}\n",
        expect![[r#"
            2: v.len() == 0 [binary_expression] => v.is_empty() [call_expression]
        "#]],
    );
}

#[test]
fn method_in_an_impl() {
    check(
        "impl Q {\n    pub fn idle(&self) -> bool {\n        self.items.len() == 0\n    }\n}\n",
        "impl Q {\n    pub fn idle(&self) -> bool {\n        self.items.is_empty()\n    }\n}\n",
        expect![[r#"
            3: self.items.len() == 0 [binary_expression] => self.items.is_empty() [call_expression]
        "#]],
    );
}

#[test]
fn inside_assert() {
    check(
        "#[test]\nfn t() {\n    let v: Vec<u8> = Vec::new();\n    assert!(v.len() == 0);\n}\n",
        "#[test]\nfn t() {\n    let v: Vec<u8> = Vec::new();\n    assert!(v.is_empty());\n}\n",
        expect![[r#"
            4: v.len() == 0 [binary_expression] => v.is_empty() [call_expression]
        "#]],
    );
}

#[test]
fn items_outside_functions_and_too_large() {
    // Outside any function the region is the item around the hunk, found on the syntax tree.
    check(
        "use a::b;\n",
        "use a::c;\n",
        expect![[r#"
        1: b [identifier] => c [identifier]
    "#]],
    );
    check(
        "#[derive(Debug)]\npub struct S {\n    a: u8,\n    names: Vec<String>,\n}\n",
        "#[derive(Debug)]\npub struct S {\n    a: u8,\n    names: Box<[String]>,\n}\n",
        expect![[r#"
            4: Vec<String> [generic_type] => Box<[String]> [generic_type]
        "#]],
    );
    check(
        "#[derive(Debug)]\npub struct S;\n",
        "#[derive(Debug, Clone)]\npub struct S;\n",
        expect![[r#"
            1: #[derive(Debug)] [attribute_item] => #[derive(Debug, Clone)] [attribute_item]
        "#]],
    );
    check(
        "impl<T> Trait for Wrapper<T> {\n    fn f(&self) {}\n}\n",
        "impl<T: Clone> Trait for Wrapper<T> {\n    fn f(&self) {}\n}\n",
        expect![[r#"
            1: impl<T> Trait for Wrapper<T> {
                fn f(&self) {}
            } [impl_item] => impl<T: Clone> Trait for Wrapper<T> {
                fn f(&self) {}
            } [impl_item]
        "#]],
    );
    check(
        "impl S {\n    const N: usize = 4;\n    fn len(&self) -> usize { self.v.iter().count() }\n}\n",
        "impl S {\n    const N: usize = 4;\n    fn len(&self) -> usize { self.v.len() }\n}\n",
        expect![[r#"
            3: self.v.iter().count [field_expression] => self.v.len [field_expression]
        "#]],
    );
    check(
        "impl S {\n    const N: usize = 4;\n}\n",
        "impl S {\n    const N: u32 = 4;\n}\n",
        expect![[r#"
            2: usize [primitive_type] => u32 [primitive_type]
        "#]],
    );
    check(
        "use a::b;\n",
        "use a::b;\nuse a::c;\n",
        expect![[r#"
        1: skipped: hunk outside any function only adds or removes lines
    "#]],
    );
    let before = "fn f() {\n}\n";
    let after = format!("fn f() {{\n{}}}\n", "    g();\n".repeat(10));
    check(
        before,
        &after,
        expect!["1: skipped: hunk changes 10 lines, over the 6-line limit\n"],
    );
}

#[test]
fn syntax_errors_are_reported_with_their_line() {
    check(
        "fn f() {\n    let x = 1;\n}\n",
        "fn f() {\n    let x = ;\n}\n",
        expect!["2: skipped: syntax error in the after version: syntax error near `=`\n"],
    );
}

#[test]
fn long_functions_are_cut_to_the_statements_around_the_hunk() {
    let filler: String = (0..50)
        .map(|i| format!("    let x{i} = f({i});\n"))
        .collect();
    let before = format!(
        "fn f(v: Vec<u8>) {{\n{filler}    let n = v.len() - 1;\n{filler}    if n > 0 {{\n        g(a - b);\n    }} else {{\n        h();\n    }}\n}}\n"
    );
    let after = before.replace("v.len() - 1", "v.len().saturating_sub(1)");
    check(
        &before,
        &after,
        expect![
            "52: v.len() - 1 [binary_expression] => v.len().saturating_sub(1) [call_expression]\n"
        ],
    );
    let after = before.replace("g(a - b)", "g(a.saturating_sub(b))");
    check(
        &before,
        &after,
        expect!["104: a - b [binary_expression] => a.saturating_sub(b) [call_expression]\n"],
    );
}

#[test]
fn a_hunk_on_the_signature_uses_the_whole_function() {
    check(
        "fn f(a: usize, b: usize) -> usize {\n    let d = a - b;\n    d\n}\n",
        "fn f(a: usize, b: usize) -> usize { let d = a.saturating_sub(b);\n    d\n}\n",
        expect![[r#"
            2: a - b [binary_expression] => a.saturating_sub(b) [call_expression]
        "#]],
    );
}

#[test]
fn an_edit_never_includes_the_parsing_wrapper() {
    let filler: String = (0..2)
        .map(|i| format!("        let x{i} = f({i});\n"))
        .collect();
    let before = format!("fn f() {{\n    if c {{\n{filler}        g();\n    }}\n}}\n");
    let after = before.replace("        g();\n", "");
    check(
        &before,
        &after,
        expect![[r#"
            2: {
                    let x0 = f(0);
                    let x1 = f(1);
                    g();
                } [block] => {
                    let x0 = f(0);
                    let x1 = f(1);
                } [block]
        "#]],
    );
}

#[test]
fn dropping_a_link_of_a_method_chain() {
    check(
        "pub fn train() {\n    let a = v.iter().count();\n}\n",
        "pub fn train() {\n    let a = v.len();\n}\n",
        expect![[r#"
            2: v.iter().count [field_expression] => v.len [field_expression]
        "#]],
    );
}
