//! `suture patterns test`: each pattern's examples, checked like `sg test`.
//!
//! An example is a whole Rust file and, optionally, the file as the pattern must fix it. Without an expected
//! fix, the pattern must leave the file alone (an "invalid" example in ast-grep's terms). Examples run through
//! the same engine as `suture fix`, with the pattern alone, so a passing example means the real command would
//! do exactly that.

use std::collections::BTreeMap;

use pattern::{HoleClass, LibraryPattern, SerializableExample};

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

/// Examples made from the templates themselves, for mined patterns: holes become fresh code of their guard's
/// class (`hole_a`, `1`, `"hole_a"`, …), the before side must be fixed into the after side, and the after side
/// must be left alone (a fix that matches its own output would fire forever). Each guarded hole adds one more
/// example: the before side with that hole filled outside its class (`hole_a()` for a `pure` hole, `{hole_a}`
/// in a `string-no-brace` one), which must be left alone, so that `patterns test` checks the guards as data.
/// Each side is placed where its root kind stands (a function body, a file, a type alias), inside the node the
/// pattern's `within` names, in a function returning what its `returns` asks for. A list hole
/// (`$$$A`) becomes two items where two parse (`hole_a_1, hole_a_2`), else one. Returns nothing when the
/// templates cannot stand in a file on their own.
pub fn synthesize_examples(
    before: &str,
    after: &str,
    kinds: (Option<&str>, Option<&str>),
    guards: &BTreeMap<String, HoleClass>,
    within: Option<&str>,
    returns: Option<pattern::Returns>,
) -> Vec<SerializableExample> {
    // A pattern that needs its function to return a `Result` or an `Option` is shown in one that does.
    let signature = match returns {
        None => "",
        Some(pattern::Returns::Option) => " -> Option<()>",
        Some(pattern::Returns::UnitResult) => " -> Result<(), ()>",
        Some(pattern::Returns::Result | pattern::Returns::Fallible) => " -> Result<(), Error>",
    };
    // A pattern learned `within` a kind of node is shown there (`legacy_parse` as `path::legacy_parse`).
    let place = within.and_then(|w| mine::WITHIN.iter().find(|(k, _)| *k == w));
    let wrap_items = |template: &str, kind: Option<&str>, violate: Option<&str>, items: usize| {
        let filled = fill_holes(template, guards, violate, items);
        let filled = match place {
            Some((_, around)) => around.replace("{}", &filled),
            None => filled,
        };
        let code = match syntax::fragment_context(&filled, kind)? {
            FragmentContext::FunctionBody => format!(
                "fn example(){signature} {{\n    {}\n}}\n",
                indent_continuation(&filled)
            ),
            FragmentContext::File => format!("{filled}\n"),
            FragmentContext::Type => format!("type Example = {filled};\n"),
        };
        syntax::strict_reparse(&code).is_ok().then_some(code)
    };
    let items = if wrap_items(before, kinds.0, None, 2).is_some()
        && wrap_items(after, kinds.1, None, 2).is_some()
    {
        2
    } else {
        1
    };
    let wrap = |template: &str, kind: Option<&str>, violate: Option<&str>| {
        wrap_items(template, kind, violate, items)
    };
    let (Some(code), Some(fixed)) = (wrap(before, kinds.0, None), wrap(after, kinds.1, None))
    else {
        return Vec::new();
    };
    let mut examples = vec![
        SerializableExample {
            code,
            fixed: Some(fixed.clone()),
        },
        SerializableExample {
            code: fixed,
            fixed: None,
        },
    ];
    for hole in guards.keys() {
        if let Some(code) = wrap(before, kinds.0, Some(hole)) {
            examples.push(SerializableExample { code, fixed: None });
        }
    }
    examples
}

fn indent_continuation(text: &str) -> String {
    text.replace('\n', "\n    ")
}

/// Replaces `$A`, `$B`, … with code that reads as ordinary code of each hole's guard (`hole_a` without one);
/// the hole named `violate` gets code outside its guard instead (in a list hole, its first item). Inside a
/// string literal (an odd number of quotes before the hole) a hole stands for the string's contents. A list
/// hole `$$$A` becomes `items` items (`hole_a_1, hole_a_2`; one is `hole_a`).
fn fill_holes(
    template: &str,
    guards: &BTreeMap<String, HoleClass>,
    violate: Option<&str>,
    items: usize,
) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        let mut list = false;
        if c == '$' && chars.peek() == Some(&'$') {
            let mut ahead = chars.clone();
            ahead.next();
            if ahead.next() == Some('$')
                && ahead
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_')
            {
                chars = ahead;
                list = true;
            }
        }
        if list
            || c == '$'
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
            let in_string = out.matches('"').count() % 2 == 1;
            let class = guards.get(&name).copied().unwrap_or(HoleClass::Any);
            if list && items > 1 {
                let fills: Vec<String> = (1..=items)
                    .map(|k| {
                        let wrong =
                            (k == 1 && violate == Some(name.as_str())).then_some(name.as_str());
                        fill_one(&format!("{name}_{k}"), class, in_string, wrong.is_some())
                    })
                    .collect();
                out.push_str(&fills.join(", "));
                continue;
            }
            out.push_str(&fill_one(
                &name,
                class,
                in_string,
                violate == Some(name.as_str()),
            ));
        } else {
            out.push(c);
        }
    }
    out
}

/// Code for one hole named `name` of class `class`, or outside it when `violate`.
fn fill_one(name: &str, class: HoleClass, in_string: bool, violate: bool) -> String {
    let plain = format!("hole_{}", name.to_ascii_lowercase());
    let quoted = |text: String| {
        if in_string {
            text
        } else {
            format!("\"{text}\"")
        }
    };
    if violate {
        match class {
            HoleClass::StringNoBrace => quoted(format!("{{{plain}}}")),
            HoleClass::StringWithBrace => quoted(plain),
            HoleClass::Effects | HoleClass::Call | HoleClass::Macro => plain,
            _ => format!("{plain}()"),
        }
    } else {
        match class {
            HoleClass::Literal => "1".to_owned(),
            HoleClass::StringNoBrace => quoted(plain),
            HoleClass::StringWithBrace => quoted(format!("{{{plain}}}")),
            HoleClass::Path => format!("hole::{}", name.to_ascii_lowercase()),
            HoleClass::Field => format!("hole.{}", name.to_ascii_lowercase()),
            HoleClass::Effects | HoleClass::Call => format!("{plain}()"),
            HoleClass::Macro => format!("{plain}!()"),
            HoleClass::Panics => format!("{plain}[0]"),
            HoleClass::Any
            | HoleClass::Cheap
            | HoleClass::Pure
            | HoleClass::Accessor
            | HoleClass::Identifier => plain,
        }
    }
}
