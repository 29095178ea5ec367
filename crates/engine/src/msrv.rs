//! The oldest Rust a fix needs, against the oldest Rust the crate promises to build on (its MSRV).
//!
//! Why: the check compiles fixes with the toolchain installed here, which is newer than most crates' MSRV, so
//! `.then(|| x)` → `.then_some(x)` compiles here and breaks the project's MSRV job on a crate that declares
//! `rust-version = "1.61"`. Clippy has the same rule for its own suggestions (`msrv`). A fix whose replacement
//! brings in a std item newer than the file's MSRV is skipped with [`crate::SkipReason::NeedsNewerRust`].
//!
//! What a piece of code uses is read off its tokens as keys — `.name` for a method (or a field: no std item
//! of the table is one), `name!` for a macro,
//! `a::b` for a path, and one key for an identifier captured in a format string (`"{x}"`) — and only the keys
//! the replacement has and the original had not count. [`STABLE_SINCE`] is **hand-written**, not learned: the
//! versions in which std stabilised the items, from the Rust release notes. A name std shares with other
//! items (`.flatten`: `Iterator` 1.29, `Option` 1.40) carries the newest of them, so a doubt skips a fix rather
//! than break a build.

use std::fmt;

/// A Rust release, `major.minor` (patch releases add no API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct RustVersion {
    pub major: u32,
    pub minor: u32,
}

impl RustVersion {
    /// `"1.62"`, `"1.62.1"` or `"1"` (as in `rust-version`); `None` for anything else.
    pub fn parse(text: &str) -> Option<RustVersion> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
        if let Some(patch) = parts.next() {
            patch.parse::<u32>().ok()?;
        }
        parts
            .next()
            .is_none()
            .then_some(RustVersion { major, minor })
    }
}

impl fmt::Display for RustVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A file's MSRV and where it was declared (`crates/x/Cargo.toml`'s `rust-version`, a `clippy.toml` `msrv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msrv {
    pub version: RustVersion,
    pub source: String,
}

/// What a fix needs that the MSRV does not have: the item (as written in [`STABLE_SINCE`]) and its release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    pub item: &'static str,
    pub since: RustVersion,
}

/// The key of an identifier captured in a format string.
const FORMAT_CAPTURE: &str = "\"{ident}\"";

/// The key of a `let … else` statement.
const LET_ELSE: &str = "let … else";

/// When std stabilised what learned and hand-written fixes bring in, as `(key, minor)` of Rust `1.minor`.
/// Hand-written from the Rust release notes; see the module doc for the keys.
pub const STABLE_SINCE: &[(&str, u32)] = &[
    // bool and Option/Result combinators
    (".then", 50),
    (".then_some", 62),
    (".is_some_and", 70),
    (".is_ok_and", 70),
    (".is_err_and", 70),
    (".is_none_or", 82),
    (".as_deref", 40),
    (".as_deref_mut", 40),
    (".take_if", 80),
    (".inspect_err", 76),
    (".copied", 36),
    (".flatten", 40),
    (".get_or_insert_with", 20),
    (".unwrap_unchecked", 58),
    // strings and slices
    (".trim_start", 30),
    (".trim_end", 30),
    (".trim_start_matches", 30),
    (".trim_end_matches", 30),
    (".strip_prefix", 45),
    (".strip_suffix", 45),
    (".split_once", 52),
    (".rsplit_once", 52),
    (".sort_unstable", 20),
    (".sort_unstable_by", 20),
    (".sort_unstable_by_key", 20),
    (".select_nth_unstable", 49),
    (".retain_mut", 61),
    (".fill", 50),
    (".extend_from_within", 53),
    (".is_sorted", 82),
    (".is_sorted_by", 82),
    (".is_sorted_by_key", 82),
    (".first_chunk", 77),
    (".last_chunk", 77),
    (".chunk_by", 77),
    (".as_flattened", 80),
    (".map_while", 57),
    (".into_keys", 54),
    (".into_values", 54),
    // numbers
    (".abs_diff", 60),
    (".div_ceil", 73),
    (".next_multiple_of", 73),
    (".checked_next_multiple_of", 73),
    (".ilog", 67),
    (".ilog2", 67),
    (".ilog10", 67),
    (".checked_ilog2", 67),
    (".checked_ilog10", 67),
    (".isqrt", 84),
    (".unsigned_abs", 51),
    (".checked_add_signed", 66),
    (".saturating_add_signed", 66),
    (".wrapping_add_signed", 66),
    (".overflowing_add_signed", 66),
    (".saturating_neg", 45),
    (".saturating_abs", 45),
    (".saturating_pow", 34),
    (".checked_pow", 34),
    (".wrapping_pow", 34),
    (".rem_euclid", 38),
    (".div_euclid", 38),
    (".total_cmp", 62),
    (".clamp", 50),
    (".midpoint", 85),
    (".cast_signed", 87),
    (".cast_unsigned", 87),
    // macros
    ("matches!", 42),
    ("todo!", 40),
    ("dbg!", 32),
    ("addr_of!", 51),
    ("addr_of_mut!", 51),
    ("pin!", 68),
    // paths
    ("mem::take", 40),
    ("iter::zip", 59),
    ("iter::repeat_n", 82),
    ("iter::from_fn", 34),
    ("iter::successors", 34),
    ("array::from_fn", 63),
    ("hint::black_box", 66),
    ("sync::LazyLock", 80),
    ("sync::OnceLock", 70),
    ("cell::OnceCell", 70),
    ("cell::LazyCell", 80),
    // associated constants of the primitive types (before: `std::u32::MAX`, `u32::max_value()`)
    ("u8::MAX", 43),
    ("u16::MAX", 43),
    ("u32::MAX", 43),
    ("u64::MAX", 43),
    ("u128::MAX", 43),
    ("usize::MAX", 43),
    ("i8::MAX", 43),
    ("i16::MAX", 43),
    ("i32::MAX", 43),
    ("i64::MAX", 43),
    ("i128::MAX", 43),
    ("isize::MAX", 43),
    ("u8::MIN", 43),
    ("u16::MIN", 43),
    ("u32::MIN", 43),
    ("u64::MIN", 43),
    ("u128::MIN", 43),
    ("usize::MIN", 43),
    ("i8::MIN", 43),
    ("i16::MIN", 43),
    ("i32::MIN", 43),
    ("i64::MIN", 43),
    ("i128::MIN", 43),
    ("isize::MIN", 43),
    ("f32::EPSILON", 43),
    ("f64::EPSILON", 43),
    ("f32::MAX", 43),
    ("f64::MAX", 43),
    ("f32::MIN", 43),
    ("f64::MIN", 43),
    ("f32::NAN", 43),
    ("f64::NAN", 43),
    ("f32::INFINITY", 43),
    ("f64::INFINITY", 43),
    // `format!("{x}")`
    (FORMAT_CAPTURE, 58),
    // `let Some(x) = y else { return };`
    (LET_ELSE, 65),
];

/// How an item of [`STABLE_SINCE`] reads in a message: `` `then_some` ``, `` `matches!` ``, `` `mem::take` ``.
pub fn describe(item: &str) -> String {
    if item == FORMAT_CAPTURE {
        "an identifier captured in a format string (`\"{x}\"`)".to_owned()
    } else if item == LET_ELSE {
        "`let … else`".to_owned()
    } else {
        format!("`{}`", item.trim_start_matches('.'))
    }
}

/// The newest item that `replacement` brings in and `original` did not have, if any is newer than `msrv`.
pub fn needs_newer(original: &str, replacement: &str, msrv: RustVersion) -> Option<Needs> {
    let before = keys(original);
    keys(replacement)
        .into_iter()
        .filter(|k| !before.contains(k))
        .filter_map(|k| {
            let &(item, minor) = STABLE_SINCE.iter().find(|(item, _)| *item == k)?;
            Some(Needs {
                item,
                since: RustVersion { major: 1, minor },
            })
        })
        .filter(|n| n.since > msrv)
        .max_by_key(|n| n.since)
}

/// A token of the little lexer below: what the keys are read from.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Ident(&'a str),
    Punct(&'a str),
    Other,
}

/// The keys of `code` (see the module doc), in order of appearance.
fn keys(code: &str) -> Vec<String> {
    let (tokens, captures) = tokens(code);
    let mut out = Vec::new();
    if captures {
        out.push(FORMAT_CAPTURE.to_owned());
    }
    let at = |i: usize| tokens.get(i).unwrap_or(&Token::Other);
    for (i, t) in tokens.iter().enumerate() {
        let Token::Ident(name) = t else { continue };
        let previous = if i == 0 { &Token::Other } else { at(i - 1) };
        let next = at(i + 1);
        // A method, called or not (a template can end at the name: `$A.sort` → `$A.sort_unstable`); not the
        // end of a range (`..name`).
        let range = i >= 2 && *at(i - 2) == Token::Punct(".");
        if *previous == Token::Punct(".") && !range {
            out.push(format!(".{name}"));
        }
        if *next == Token::Punct("!")
            && matches!(
                at(i + 2),
                Token::Punct("(") | Token::Punct("[") | Token::Punct("{")
            )
        {
            out.push(format!("{name}!"));
        }
        if *next == Token::Punct("::")
            && let Token::Ident(second) = at(i + 2)
        {
            out.push(format!("{name}::{second}"));
        }
        if *name == "let" && is_let_else(&tokens[i + 1..]) {
            out.push(LET_ELSE.to_owned());
        }
    }
    out
}

/// Whether the statement after a `let` has an `else` of its own: at the statement's depth, before its `;`, and
/// not after a `}` (that `else` is an `if`'s; let-else forbids an initializer ending in `}`).
fn is_let_else(rest: &[Token<'_>]) -> bool {
    let mut depth = 0usize;
    let mut previous = &Token::Other;
    for t in rest {
        match t {
            Token::Punct("(" | "[" | "{") => depth += 1,
            Token::Punct(")" | "]" | "}") if depth == 0 => return false,
            Token::Punct(")" | "]" | "}") => depth -= 1,
            Token::Punct(";") if depth == 0 => return false,
            Token::Ident("else") if depth == 0 => return *previous != Token::Punct("}"),
            _ => {}
        }
        previous = t;
    }
    false
}

/// The tokens of `code`, comments and literals skipped, and whether a string literal captures an identifier
/// the way a format string does (`{name}`, `{name:?}`, not `{{`).
fn tokens(code: &str) -> (Vec<Token<'_>>, bool) {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut captures = false;
    let mut i = 0;
    let ident_char = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &code[i..];
        if b.is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(body) = rest.strip_prefix("/*") {
            i += body.find("*/").map_or(rest.len(), |e| e + 4);
        } else if let Some(len) = string_literal(rest) {
            captures |= captures_identifier(&rest[..len]);
            out.push(Token::Other);
            i += len;
        } else if b == b'\'' {
            // A char literal ('a', '\n') or a lifetime ('a): a lifetime's name is read as an identifier next.
            let close = rest[1..].char_indices().nth(1).map(|(at, _)| at + 1);
            match (rest.as_bytes().get(1), close) {
                (Some(b'\\'), _) => {
                    i += rest[2..].find('\'').map_or(rest.len(), |e| e + 3);
                }
                (_, Some(at)) if rest[at..].starts_with('\'') => i += at + 1,
                _ => i += 1,
            }
            out.push(Token::Other);
        } else if b.is_ascii_digit() {
            let mut j = i;
            while j < bytes.len()
                && (ident_char(bytes[j])
                    || (bytes[j] == b'.' && bytes.get(j + 1).is_some_and(|d| d.is_ascii_digit())))
            {
                j += 1;
            }
            out.push(Token::Other);
            i = j;
        } else if ident_char(b) || !b.is_ascii() {
            let mut j = i;
            while j < bytes.len() && (ident_char(bytes[j]) || !bytes[j].is_ascii()) {
                j += 1;
            }
            out.push(Token::Ident(&code[i..j]));
            i = j;
        } else if rest.starts_with("::") {
            out.push(Token::Punct("::"));
            i += 2;
        } else {
            out.push(Token::Punct(&code[i..i + 1]));
            i += 1;
        }
    }
    (out, captures)
}

/// The length of the string literal `text` starts with (`"…"`, `b"…"`, `r#"…"#`, `br"…"`), if it starts with one.
fn string_literal(text: &str) -> Option<usize> {
    let body = text
        .strip_prefix("br")
        .or_else(|| text.strip_prefix('r'))
        .map(|r| (true, r))
        .or_else(|| text.strip_prefix('b').map(|r| (false, r)))
        .unwrap_or((false, text));
    let (raw, rest) = body;
    let prefix = text.len() - rest.len();
    if raw {
        let hashes = rest.bytes().take_while(|&b| b == b'#').count();
        let after = rest[hashes..].strip_prefix('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        let end = after.find(&close).map_or(after.len(), |e| e + close.len());
        return Some(prefix + hashes + 1 + end);
    }
    let after = rest.strip_prefix('"')?;
    let mut escaped = false;
    for (at, c) in after.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(prefix + 1 + at + 1),
            _ => escaped = false,
        }
    }
    Some(text.len())
}

/// Whether a string literal holds `{name}` or `{name:…}` with `name` an identifier (not `{{`, `{0}`, `{}`).
fn captures_identifier(literal: &str) -> bool {
    let b = literal.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            if b.get(i + 1) == Some(&b'{') {
                i += 2;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            let named = j > start && !b[start].is_ascii_digit() && &literal[start..j] != "_";
            if named && matches!(b.get(j), Some(b'}') | Some(b':')) {
                return true;
            }
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u32) -> RustVersion {
        RustVersion { major: 1, minor }
    }

    #[test]
    fn versions_parse_as_cargo_writes_them() {
        assert_eq!(RustVersion::parse("1.62"), Some(v(62)));
        assert_eq!(RustVersion::parse("1.62.1"), Some(v(62)));
        assert_eq!(RustVersion::parse(" 1.88.0 "), Some(v(88)));
        assert_eq!(RustVersion::parse("1"), Some(v(0)));
        for bad in ["", "1.x", "one", "1.2.3.4", "1.62-beta"] {
            assert_eq!(RustVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_are_methods_macros_paths_and_captures() {
        let code = r#"std::mem::take(&mut v); x.then_some(1); matches!(a, B::C); s.parse::<u8>(); "{{}}"; a!b"#;
        assert_eq!(
            keys(code),
            [
                "std::mem",
                "mem::take",
                ".then_some",
                "matches!",
                "B::C",
                ".parse"
            ]
        );
        assert_eq!(
            keys(r#"println!("{x:?} {0} {}")"#),
            [FORMAT_CAPTURE, "println!"]
        );
        // Names in comments, strings and char literals are not code.
        assert!(keys("// x.then_some(1)\n'a'; \"matches!(a)\"; r#\"x.then_some(1)\"#").is_empty());
        assert_eq!(
            keys("fn f<'a>(x: &'a str) { '\\n'; x.trim_start() }").len(),
            1
        );
        // A method named without its call, as a template may end; a range's end is no method.
        assert_eq!(keys("v.sort_unstable; a..fill"), [".sort_unstable"]);
    }

    #[test]
    fn only_what_the_replacement_brings_in_counts() {
        let then_some = needs_newer("ready.then(|| 5)", "ready.then_some(5)", v(61));
        assert_eq!(
            then_some,
            Some(Needs {
                item: ".then_some",
                since: v(62)
            })
        );
        assert_eq!(
            needs_newer("ready.then(|| 5)", "ready.then_some(5)", v(62)),
            None
        );
        // Already used before the fix: the fix adds no requirement.
        assert_eq!(
            needs_newer(
                "x.then_some(a).then(|| b)",
                "x.then_some(a).then_some(b)",
                v(50)
            ),
            None
        );
        // The newest of several.
        let both = needs_newer(
            "match x { A::B => true, _ => false }",
            "matches!(x, A::B) && y.is_some_and(f)",
            v(40),
        );
        assert_eq!(both.map(|n| n.item), Some(".is_some_and"));
        assert_eq!(
            needs_newer("u32::max_value()", "u32::MAX", v(42)).map(|n| n.since),
            Some(v(43))
        );
        assert_eq!(
            needs_newer("format!(\"{}\", x)", "format!(\"{x}\")", v(57)).map(|n| n.since),
            Some(v(58))
        );
        assert_eq!(
            needs_newer("mem::replace(&mut v, vec![])", "mem::take(&mut v)", v(39)).map(|n| n.item),
            Some("mem::take")
        );
        let let_else = needs_newer(
            "let x = match y { Some(x) => x, None => return };",
            "let Some(x) = y else { return };",
            v(64),
        );
        assert_eq!(let_else.map(|n| n.item), Some(LET_ELSE));
        assert_eq!(describe(LET_ELSE), "`let … else`");
        // An `if`'s `else` in a `let` is no let-else.
        assert!(!keys("let x = if a { b } else { c };").contains(&LET_ELSE.to_owned()));
        // A method std has had since 1.0 needs nothing.
        assert_eq!(
            needs_newer("x.unwrap_or(y())", "x.unwrap_or_else(|| y())", v(0)),
            None
        );
    }
}
