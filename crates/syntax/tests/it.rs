//! Tests of the owned tree: shape, spans, macro grafting, fragments and strict reparse.

use expect_test::{Expect, expect};
use syntax::{Tree, debug_tree, parse, parse_fragment, strict_reparse};

#[track_caller]
fn check(text: &str, expected: Expect) {
    let parse = parse(text);
    let mut out = debug_tree(&parse.tree, Tree::ROOT);
    for e in &parse.errors {
        out.push_str(&format!("error {}:{} {}\n", e.line, e.column, e.message));
    }
    expected.assert_eq(&out);
}

#[track_caller]
fn check_fragment(text: &str, expected: Expect) {
    let out = match parse_fragment(text, None) {
        Ok(f) => debug_tree(&f.tree, Tree::ROOT),
        Err(e) => format!("error: {e}\n"),
    };
    expected.assert_eq(&out);
}

#[test]
fn comments_are_dropped_but_spans_keep_them() {
    let text = "fn f() { a /* c */ + b; }";
    check(
        text,
        expect![[r#"
            source_file
              function_item
                fn "fn"
                identifier "f"
                parameters
                  ( "("
                  ) ")"
                block
                  { "{"
                  expression_statement
                    binary_expression
                      identifier "a"
                      + "+"
                      identifier "b"
                    ; ";"
                  } "}"
        "#]],
    );
    let tree = parse(text).tree;
    let bin = tree
        .nodes
        .iter()
        .position(|n| n.kind == "binary_expression")
        .unwrap();
    assert_eq!(tree.text_of(bin as u32), "a /* c */ + b");
}

#[test]
fn assert_arguments_are_expressions() {
    check(
        "fn t() { assert!(v.len() == 0, \"x\"); }",
        expect![[r#"
            source_file
              function_item
                fn "fn"
                identifier "t"
                parameters
                  ( "("
                  ) ")"
                block
                  { "{"
                  expression_statement
                    macro_invocation
                      identifier "assert"
                      ! "!"
                      macro_arguments
                        ( "("
                        binary_expression
                          call_expression
                            field_expression
                              identifier "v"
                              . "."
                              field_identifier "len"
                            arguments
                              ( "("
                              ) ")"
                          == "=="
                          integer_literal "0"
                        , ","
                        string_literal
                          " "\""
                          string_content "x"
                          " "\""
                        ) ")"
                    ; ";"
                  } "}"
        "#]],
    );
}

#[test]
fn nested_macros_and_vec_repeat_are_grafted_with_exact_spans() {
    let text = "fn t() { assert_eq!(format!(\"{}\", a + 1), vec![0; n].len()); }";
    let tree = parse(text).tree;
    let kinds: Vec<_> = tree.nodes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "macro_arguments").count(), 3);
    for (id, node) in tree.nodes.iter().enumerate() {
        if node.children.is_empty() {
            // Every leaf's span points at its own text in the original file.
            let t = tree.text_of(id as u32);
            assert!(!t.is_empty(), "empty leaf {node:?}");
        }
    }
    let bin = tree
        .nodes
        .iter()
        .position(|n| n.kind == "binary_expression")
        .unwrap();
    assert_eq!(tree.text_of(bin as u32), "a + 1");
    let rep = tree
        .nodes
        .iter()
        .position(|n| n.kind == "integer_literal")
        .unwrap();
    assert_eq!(tree.text_of(rep as u32), "1");
}

#[test]
fn macro_with_non_expression_arguments_stays_a_token_tree() {
    let tree = parse("macro_rules! m { ($x:expr) => {} } fn f() { m!(=> x); }").tree;
    assert!(tree.nodes.iter().all(|n| n.kind != "macro_arguments"));
}

#[test]
fn broken_code_is_data() {
    check(
        "fn f( { let x = ; }",
        expect![[r#"
            source_file
              function_item
                fn "fn"
                identifier "f"
                parameters
                  ( "("
                block
                  { "{"
                  let_declaration
                    let "let"
                    identifier "x"
                    ERROR
                      = "="
                    ; ";"
                  } "}"
            error 1:6 missing `)`
            error 1:15 syntax error near `=`
        "#]],
    );
}

#[test]
fn hashes_are_structural() {
    let a = parse("fn f() { x.len() == 0 }").tree;
    let b = parse("fn g() {\n    x.len()  ==  0\n}").tree;
    let find = |t: &Tree| {
        t.nodes
            .iter()
            .find(|n| n.kind == "binary_expression")
            .unwrap()
            .hash
    };
    assert_eq!(find(&a), find(&b));
    let c = parse("fn f() { y.len() == 0 }").tree;
    assert_ne!(find(&a), find(&c));
}

#[test]
fn preorder_subtrees_are_contiguous() {
    let tree = parse("fn f() { if a { b(c, d) } else { e } }").tree;
    for id in 0..tree.len() as u32 {
        for d in tree.descendants(id) {
            assert!(tree.ancestors(d).any(|a| a == id));
        }
    }
}

#[test]
fn fragments() {
    check_fragment(
        "$A.len() == 0",
        expect![[r#"
            binary_expression
              call_expression
                field_expression
                  identifier "__suture_hole_A"
                  . "."
                  field_identifier "len"
                arguments
                  ( "("
                  ) ")"
              == "=="
              integer_literal "0"
        "#]],
    );
    check_fragment(
        "let $X = $E.unwrap();",
        expect![[r#"
            let_declaration
              let "let"
              identifier "__suture_hole_X"
              = "="
              call_expression
                field_expression
                  identifier "__suture_hole_E"
                  . "."
                  field_identifier "unwrap"
                arguments
                  ( "("
                  ) ")"
              ; ";"
        "#]],
    );
    check_fragment(
        "Vec<$T>",
        expect![[r#"
            generic_type
              type_identifier "Vec"
              type_arguments
                < "<"
                type_identifier "__suture_hole_T"
                > ">"
        "#]],
    );
    check_fragment(
        "a +",
        expect![[r#"
        error: template does not parse as one Rust node: missing `identifier` at line 1, column 4
    "#]],
    );
    check_fragment("   ", expect!["error: empty template\n"]);
}

#[test]
fn strict_reparse_names_the_line() {
    assert!(strict_reparse("fn f() { let x = 1; }").is_ok());
    let e = strict_reparse("fn f() {\n let x = ;\n}").unwrap_err();
    assert_eq!((e.line, e.column), (2, 10));
}
