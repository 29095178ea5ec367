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

/// The tokens of `text` except whitespace, one per line as `Class text`; checks on the way that the tokens
/// cover the text exactly, in order and without empty ones, whitespace tokens holding only whitespace.
#[track_caller]
fn check_tokens(text: &str, expected: Expect) {
    use syntax::scan::{Class, Tokens};
    let mut out = String::new();
    let mut at = 0;
    for token in Tokens::new(text, 0) {
        assert_eq!(token.start, at, "tokens are contiguous");
        assert!(token.end > token.start, "tokens are not empty");
        at = token.end;
        let piece = &text[token.range()];
        if token.class == Class::Whitespace {
            assert!(piece.bytes().all(|b| b.is_ascii_whitespace()), "{piece:?}");
        } else {
            out.push_str(&format!("{:?} {piece}\n", token.class));
        }
    }
    assert_eq!(at, text.len(), "tokens cover the text");
    expected.assert_eq(&out);
}

/// The brackets and semicolons [`syntax::scan::Punctuation`] reports in `text`, in order.
#[track_caller]
fn check_punctuation(text: &str, expected: &str) {
    let found: String = syntax::scan::Punctuation::new(text, 0)
        .map(|(i, b)| {
            assert_eq!(text.as_bytes()[i], b, "offsets point at the byte");
            b as char
        })
        .collect();
    assert_eq!(found, expected, "in {text:?}");
}

#[test]
fn tokens_of_raw_and_byte_strings() {
    check_tokens(
        r###"let s = r#"a " { b"#; let t = br"x"; f(b"\"{", c"c", cr##"y"#"##, r"\");"###,
        expect![[r###"
            Code let
            Code s
            Code =
            Str r#"a " { b"#
            Code ;
            Code let
            Code t
            Code =
            Str br"x"
            Code ;
            Code f(
            Str b"\"{"
            Code ,
            Str c"c"
            Code ,
            Str cr##"y"#"##
            Code ,
            Str r"\"
            Code );
        "###]],
    );
    // Raw identifiers and identifiers that start like a prefix are code.
    check_tokens(
        "r#match br bar(r) c",
        expect![[r#"
            Code r#match
            Code br
            Code bar(r)
            Code c
        "#]],
    );
}

#[test]
fn tokens_of_chars_lifetimes_and_labels() {
    check_tokens(
        r"['{', '\'', '\u{7f}', '\\', b'}', 'é', '\x41']",
        expect![[r#"
            Code [
            Char '{'
            Code ,
            Char '\''
            Code ,
            Char '\u{7f}'
            Code ,
            Char '\\'
            Code ,
            Char b'}'
            Code ,
            Char 'é'
            Code ,
            Char '\x41'
            Code ]
        "#]],
    );
    check_tokens(
        "fn f<'a>(x: &'a str) -> &'static str { 'outer: loop { break 'outer; } }",
        expect![[r#"
            Code fn
            Code f<'a>(x:
            Code &'a
            Code str)
            Code ->
            Code &'static
            Code str
            Code {
            Code 'outer:
            Code loop
            Code {
            Code break
            Code 'outer;
            Code }
            Code }
        "#]],
    );
    // A lifetime right before a char literal in one run of code.
    check_tokens(
        "<'a>'{'",
        expect![[r#"
            Code <'a>
            Char '{'
        "#]],
    );
}

#[test]
fn tokens_of_comments_and_escapes() {
    check_tokens(
        "a /* /* nested */ { */ b // { line\n/// doc {\n//! inner {\n/** block doc { */ \"\\\\\"{ \"\\\"\" x/y",
        expect![[r#"
            Code a
            BlockComment /* /* nested */ { */
            Code b
            LineComment // { line
            LineComment /// doc {
            LineComment //! inner {
            BlockComment /** block doc { */
            Str "\\"
            Code {
            Str "\""
            Code x/y
        "#]],
    );
    // Unterminated literals and comments run to the end of the text.
    check_tokens(
        "a \"b { c",
        expect![[r#"
            Code a
            Str "b { c
        "#]],
    );
    check_tokens(
        "a /* b /* c */ {",
        expect![[r#"
            Code a
            BlockComment /* b /* c */ {
        "#]],
    );
    check_tokens(
        "r##\"x\"# {",
        expect![[r##"
            Str r##"x"# {
        "##]],
    );
}

#[test]
fn punctuation_skips_literals_and_comments() {
    check_punctuation(r##"f(r#"a " { b"#);"##, "();");
    check_punctuation(r#"f(br"x{", b"{\"[");"#, "();");
    check_punctuation(r"m('{', '\'', '\u{7f}', b'}');", "();");
    check_punctuation("fn f<'a>(x: &'a [u8]) { 'outer: loop {} }", "([]){{}}");
    check_punctuation("/* /* nested */ { */ [ // {\n ]", "[]");
    check_punctuation("/// doc {\n//! inner (\n/** [ */ ;", ";");
    check_punctuation(r#"g("\\"); {"#, "();{");
}

#[test]
fn a_raw_string_with_a_brace_does_not_unbalance_the_enclosing_function() {
    use syntax::scan::{LineIndex, enclosing_function};
    let text = r##"fn a() {
    let s = r#"a " { b"#;
    x();
}
fn b() {
    let c = '{';
    y();
}
"##;
    let lines = LineIndex::new(text);
    let found = |line: u32| enclosing_function(text, &lines, line..line + 1).map(|r| &text[r]);
    assert_eq!(
        found(3),
        Some("fn a() {\n    let s = r#\"a \" { b\"#;\n    x();\n}")
    );
    assert_eq!(found(7), Some("fn b() {\n    let c = '{';\n    y();\n}"));
}

#[test]
fn punctuation_is_the_brackets_of_the_code_spans() {
    use syntax::scan::{Class, Punctuation, Spans};
    // The fixtures above and this crate's sources, which are full of quotes, lifetimes and raw strings.
    let texts = [
        include_str!("../src/scan.rs"),
        include_str!("../src/lib.rs"),
        include_str!("it.rs"),
    ];
    for text in texts {
        let from_spans: Vec<(usize, u8)> = Spans::new(text, 0)
            .filter(|t| t.class == Class::Code)
            .flat_map(|t| t.range())
            .map(|i| (i, text.as_bytes()[i]))
            .filter(|(_, b)| b"{}()[];".contains(b))
            .collect();
        let from_punctuation: Vec<(usize, u8)> = Punctuation::new(text, 0).collect();
        assert_eq!(from_punctuation, from_spans);
        assert!(from_spans.len() > 100);
    }
}

#[test]
fn a_text_nested_deeper_than_the_budget_is_one_node_with_the_reason() {
    use syntax::{MAX_DEPTH, TooDeep};
    let n = MAX_DEPTH as usize;
    let text = format!(
        "fn f() {{}}\nfn g() {{\n    {}1{}\n}}\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    let parse = parse(&text);
    assert_eq!(
        parse.too_deep,
        Some(TooDeep {
            line: 3,
            limit: MAX_DEPTH
        })
    );
    assert_eq!(parse.tree.len(), 1);
    assert_eq!(parse.tree.text_of(Tree::ROOT), text);
    let messages: Vec<String> = parse.errors.iter().map(|e| e.message.clone()).collect();
    assert_eq!(messages, ["code nested deeper than 256 levels at line 3"]);
    // Within the budget the same shape is an ordinary tree.
    let shallow = "(".repeat(n / 2) + "1" + &")".repeat(n / 2);
    let parse = syntax::parse(&format!("fn g() {{ {shallow} }}"));
    assert!(parse.too_deep.is_none() && parse.errors.is_empty());
}

/// The tree and errors of a parse, as text, with every node's hash.
fn shape(text: &str) -> String {
    shape_of(&parse(text))
}

fn shape_of(parse: &syntax::Parse) -> String {
    let mut out = debug_tree(&parse.tree, Tree::ROOT);
    for id in 0..parse.tree.len() as u32 {
        out.push_str(&format!("{}:{} ", id, parse.tree.node(id).hash));
    }
    for e in &parse.errors {
        out.push_str(&format!("\nerror {}:{} {}", e.line, e.column, e.message));
    }
    out
}

/// `parse` reuses the thread's previous tree when the new text is an edit of the previous one (mining parses the
/// code around a hunk before and after the commit). The trees and errors must be the ones a parse from scratch
/// gives, whatever the edit: in the middle, at either end, inside a multi-byte character, one that breaks the
/// syntax or mends it, inside a macro's arguments, and edits that change how the text around them is lexed
/// (a block comment opened, a raw string's hashes).
#[test]
fn a_parse_after_a_parse_of_a_similar_text_is_a_parse_from_scratch() {
    let base = "fn f(a: u32) -> u32 {\n    let s = \"héllo\";\n    assert_eq!(a, 1);\n    let b = a - 1;\n    \
                let r = r#\"raw\"#;\n    b + 2\n}\n";
    let edits = [
        ("let b = a - 1;", "let b = a -1;"),
        ("fn f(", "pub fn f("),
        ("    b + 2\n}\n", "    b + 3\n}\n// end\n"),
        ("héllo", "hállo"),
        ("héllo", "hello"),
        ("let b = a - 1;", "let b = a - ;"),
        ("assert_eq!(a, 1)", "assert_eq!(a, 2)"),
        ("assert_eq!(a, 1)", "assert_eq!(a, vec![1, 2].len())"),
        ("let b = a - 1;", "/* let b = a - 1;"),
        ("r#\"raw\"#", "r##\"raw\"#"),
        ("u32 {", "u32 {{"),
    ];
    for (from, to) in edits {
        assert!(base.contains(from), "{from}");
        let edited = base.replacen(from, to, 1);
        for (first, second) in [(base, edited.as_str()), (edited.as_str(), base)] {
            // An unrelated text in between makes the next parse start from scratch.
            parse("x");
            let fresh = shape(second);
            parse(first);
            let reused = shape(second);
            assert_eq!(reused, fresh, "{first:?} then {second:?}");
        }
    }
}

/// `parse_if_clean` is `parse` for a text without syntax errors and `None` for one with any, wherever the error
/// is: a missing operand, a stray brace, one deep in nested blocks, 2015's `try!`, match arms where statements
/// belong. Mining asks it of the blocks it tries before the function around a hunk, and widens on `None`.
#[test]
fn a_clean_parse_is_the_parse_and_a_broken_text_has_none() {
    let clean = [
        "fn f(a: u32) -> u32 {\n    let b = a - 1;\n    b + 2\n}\n",
        "fn __suture_block() {{ let v = vec![1, 2]; assert_eq!(v.len(), 2);\n}}",
        "struct S { a: u32 }\nimpl S { fn a(&self) -> u32 { self.a } }\n",
    ];
    for text in clean {
        let full = parse(text);
        assert!(full.errors.is_empty(), "{text}");
        let fast = syntax::parse_if_clean(text).expect("a text without errors parses");
        assert_eq!(shape(text), shape_of(&fast), "{text}");
        assert!(fast.errors.is_empty());
    }
    let broken = [
        "fn f(a: u32) -> u32 {\n    let b = a - ;\n    b + 2\n}\n",
        "fn f() { let x = 1 }\n}",
        "fn f() { if a { if b { if c { let = 3; } } } }",
        "fn f() { let x = try!(g()); }",
        "fn __suture_block() { x => 1, y => 2 }",
    ];
    for text in broken {
        assert!(!parse(text).errors.is_empty(), "{text}");
        assert!(syntax::parse_if_clean(text).is_none(), "{text}");
    }
}
