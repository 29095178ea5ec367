//! `suture patterns test`: each pattern's examples, checked like `sg test`.
//!
//! An example is a whole Rust file and, optionally, the file as the pattern must fix it. Without an expected
//! fix, the pattern must leave the file alone (an "invalid" example in ast-grep's terms). Examples run through
//! the same engine as `suture fix`, with the pattern alone, so a passing example means the real command would
//! do exactly that.

use pattern::{LibraryPattern, SerializableExample};

use syntax::FragmentContext;

use crate::fixing::{FixConfig, fix_text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleResult {
    pub pattern: String,
    /// 1-based index of the example in the pattern's file.
    pub example: usize,
    /// `None` when it passed; otherwise what went wrong, with the expected and actual text.
    pub failure: Option<String>,
}

/// Runs every example of every pattern.
pub fn test_examples(patterns: &[&LibraryPattern]) -> Vec<ExampleResult> {
    let mut results = Vec::new();
    for p in patterns {
        for (i, example) in p.examples.iter().enumerate() {
            results.push(ExampleResult {
                pattern: p.id.clone(),
                example: i + 1,
                failure: check(p, example),
            });
        }
    }
    results
}

fn check(p: &LibraryPattern, example: &SerializableExample) -> Option<String> {
    // An example shows the pattern at work, so the panics it is a remedy for count as reported.
    let config = FixConfig {
        panic_kinds: p.panics.clone(),
        ..FixConfig::default()
    };
    let outcome = fix_text("example.rs", &example.code, &[p], &config);
    let (fixes, skipped) = (outcome.fixes, outcome.skipped);
    match &example.fixed {
        Some(expected) if fixes.patched == *expected => None,
        Some(expected) => {
            let why = skipped
                .first()
                .map(|s| format!(" (skipped: {})", s.reason))
                .unwrap_or_default();
            Some(format!(
                "expected the fix to give:\n{expected}\nbut got:\n{}{why}",
                fixes.patched
            ))
        }
        None if fixes.fixes.is_empty() => None,
        None => Some(format!(
            "expected no match, but it fixed the code into:\n{}",
            fixes.patched
        )),
    }
}

/// Examples made from the templates themselves, for mined patterns: holes become fresh names, the before side
/// must be fixed into the after side, and the after side must be left alone (a fix that matches its own
/// output would fire forever). Each side is placed where its root kind stands (a function body, a file, a
/// type alias). Returns nothing when the templates cannot stand in a file on their own.
pub fn synthesize_examples(
    before: &str,
    after: &str,
    kinds: (Option<&str>, Option<&str>),
) -> Vec<SerializableExample> {
    let wrap = |template: &str, kind: Option<&str>| -> Option<String> {
        let filled = fill_holes(template);
        let code = match syntax::fragment_context(&filled, kind)? {
            FragmentContext::FunctionBody => format!(
                "fn example() {{\n    {}\n}}\n",
                indent_continuation(&filled)
            ),
            FragmentContext::File => format!("{filled}\n"),
            FragmentContext::Type => format!("type Example = {filled};\n"),
        };
        syntax::strict_reparse(&code).is_ok().then_some(code)
    };
    let (Some(code), Some(fixed)) = (wrap(before, kinds.0), wrap(after, kinds.1)) else {
        return Vec::new();
    };
    vec![
        SerializableExample {
            code,
            fixed: Some(fixed.clone()),
        },
        SerializableExample {
            code: fixed,
            fixed: None,
        },
    ]
}

fn indent_continuation(text: &str) -> String {
    text.replace('\n', "\n    ")
}

/// Replaces `$A`, `$B`, … with names that read as ordinary code: `a`, `b`, ….
fn fill_holes(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$'
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_')
        {
            let mut name = String::new();
            while let Some(&n) = chars.peek() {
                if !(n.is_ascii_alphanumeric() || n == '_') {
                    break;
                }
                name.push(n);
                chars.next();
            }
            out.push_str(&format!("hole_{}", name.to_ascii_lowercase()));
        } else {
            out.push(c);
        }
    }
    out
}
