//! Tests of splicing, overlap resolution, re-indentation and diffs.

use expect_test::expect;
use patch::{Choice, TextEdit, apply, choose, indentation_at, unified_diff};

#[test]
fn edits_splice_in_any_order_and_leave_the_rest_untouched() {
    let text = "let a = x.len() == 0; // keep\nlet b = y.len() == 0;\n";
    let edits = [
        TextEdit {
            range: 30 + 8..30 + 20,
            replacement: "y.is_empty()".into(),
        },
        TextEdit {
            range: 8..20,
            replacement: "x.is_empty()".into(),
        },
    ];
    assert_eq!(
        apply(text, &edits),
        "let a = x.is_empty(); // keep\nlet b = y.is_empty();\n"
    );
}

#[test]
fn best_ranked_wins_overlaps() {
    let ranges = [0..10, 2..5, 10..12, 11..20];
    let choices = choose(4, &[1, 0, 3, 2], |i| ranges[i].clone());
    assert_eq!(
        choices,
        vec![
            Choice::LostTo(1),
            Choice::Kept,
            Choice::LostTo(3),
            Choice::Kept
        ]
    );
}

#[test]
fn indentation_is_that_of_the_line_of_the_match() {
    let text = "fn f() {\n        if a {}\n}";
    assert_eq!(indentation_at(text, 17), "        ");
}

#[test]
fn unified_diff_has_headers_and_context() {
    expect![[r#"
        --- a/src/lib.rs
        +++ b/src/lib.rs
        @@ -1,3 +1,3 @@
         fn f(v: &[u8]) -> bool {
        -    v.len() == 0
        +    v.is_empty()
         }
    "#]]
    .assert_eq(&unified_diff(
        "src/lib.rs",
        "fn f(v: &[u8]) -> bool {\n    v.len() == 0\n}\n",
        "fn f(v: &[u8]) -> bool {\n    v.is_empty()\n}\n",
    ));
    assert_eq!(unified_diff("x", "a", "a"), "");
}

#[test]
fn edit_diff_equals_the_whole_file_diff_for_a_single_edit() {
    let text = "a\nb\nc\nd\nfn f() {\n    v.len() == 0\n}\ne\nf\ng\nh\n";
    let start = text.find("v.len() == 0").unwrap();
    let edit = TextEdit {
        range: start..start + 12,
        replacement: "v.is_empty()".into(),
    };
    let after = apply(text, std::slice::from_ref(&edit));
    assert_eq!(
        patch::edit_diff("x.rs", text, &edit),
        unified_diff("x.rs", text, &after)
    );
    // A multi-line replacement at the very start.
    let edit = TextEdit {
        range: 0..3,
        replacement: "z\ny\nx".into(),
    };
    let after = apply(text, std::slice::from_ref(&edit));
    assert_eq!(
        patch::edit_diff("x.rs", text, &edit),
        unified_diff("x.rs", text, &after)
    );
}
