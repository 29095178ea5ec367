//! A cheap textual scan of Rust source: its lexical classes ([`Tokens`], [`Spans`]), line starts, brackets
//! outside literals and comments ([`Punctuation`]), and the `fn` around a line.
//!
//! Why a scan and not the tree: finding the function around a hunk or a needle hit is what lets mining and
//! fixing parse a few functions instead of whole files, and squeezing every file for the library's needles
//! (`pattern::Index`) is what lets fixing skip most files unparsed; both keep their cost near that of reading
//! the text. So the scan must be much cheaper than parsing: one forward pass, no allocation, and a byte table
//! that lets code run over every byte that cannot start a comment or a literal (`/`, quotes, `#`); a literal's
//! prefix (`b`, `br`, `c`, `cr`, `r`) is found by looking back from its quote, not by stopping at every letter.
//!
//! Why one lexer: the bracket scan and the index's squeezing used to lex by hand, each its own way, and
//! disagreed (raw strings, byte strings, nested comments, `'{'` against lifetimes). Now one function
//! (`non_code_at`) decides what is a comment or a literal, for [`Spans`] (what squeezing reads), [`Tokens`]
//! (the same with whitespace apart) and [`Punctuation`] alike. It follows the Rust reference's lexical rules
//! for everything that can hide a bracket or a needle: line and nested block comments, doc comments among
//! them; strings, byte strings, C strings and their raw forms with any number of `#`; char and byte char
//! literals, told from lifetimes and labels the way rustc does (a quote, one character, a quote; or a quote
//! and an escape). It does not validate: an unterminated literal or comment runs to the end of the text, and a
//! region misjudged that way fails to parse strictly and is read whole instead.

use std::ops::Range;

/// Byte offsets of line starts.
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        // Every changed file's two whole texts are indexed while mining: memchr's vectorised search keeps this a
        // small part of the cost.
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// Byte offset of the start of 1-based `line`; the end of the text past the last line.
    pub fn start_of(&self, line: u32) -> usize {
        self.starts
            .get(line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(self.len)
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }

    /// How many lines the text has (a text without a newline has one).
    pub fn count(&self) -> u32 {
        self.starts.len() as u32
    }
}

/// The byte range of the function that contains the 1-based line range `lines`: the nearest `fn` header at or
/// above its first line whose body, found by brace matching, reaches past its last line. Attributes and doc
/// comments above the header are not included (they are not part of a fix's edit).
pub fn enclosing_function(
    text: &str,
    index: &LineIndex,
    lines: Range<u32>,
) -> Option<Range<usize>> {
    let first = lines.start.min(index.count());
    let last_end = if lines.is_empty() {
        index.start_of(lines.start)
    } else {
        index.start_of(lines.end).saturating_sub(1)
    };
    let mut line = first;
    while line >= 1 {
        let start = index.start_of(line);
        let end = index.start_of(line + 1);
        let header = &text[start..end];
        if is_fn_header(header)
            && let Some(body_end) = matching_brace_end(text, start)
            && body_end >= last_end
        {
            let indent = header.len() - header.trim_start().len();
            return Some(start + indent..body_end);
        }
        line -= 1;
    }
    None
}

fn is_fn_header(line: &str) -> bool {
    after_qualifiers(line).starts_with("fn ")
}

/// An item's header with its visibility (`pub`, `pub(..)`) and qualifiers (`const`, `async`, `unsafe`,
/// `default`, `auto`, `extern "ABI"`) taken off the front, so that it starts with the item's keyword (`fn`,
/// `impl`, `trait`, …) when it is one.
pub fn after_qualifiers(header: &str) -> &str {
    let mut rest = header.trim_start();
    if let Some(r) = rest.strip_prefix("pub") {
        rest = r.trim_start();
        if rest.starts_with('(') {
            match rest.find(')') {
                Some(close) => rest = rest[close + 1..].trim_start(),
                None => return "",
            }
        }
    }
    loop {
        let before = rest;
        for qualifier in ["const ", "async ", "unsafe ", "default ", "auto "] {
            if let Some(r) = rest.strip_prefix(qualifier) {
                rest = r.trim_start();
            }
        }
        if let Some(r) = rest.strip_prefix("extern ") {
            rest = r.trim_start();
            if rest.starts_with('"') {
                rest = rest[1..]
                    .split_once('"')
                    .map_or("", |(_, r)| r)
                    .trim_start();
            }
        }
        if rest == before {
            break;
        }
    }
    rest
}

/// From a function header at `start`, the byte just past the `}` that closes its body. `None` for a
/// declaration without a body.
fn matching_brace_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    // Parentheses and brackets in the signature, as in `-> [u8; 4]`.
    let mut nest = 0usize;
    for (i, b) in Punctuation::new(text, start) {
        match b {
            b'(' | b'[' => nest += 1,
            b')' | b']' => nest = nest.saturating_sub(1),
            b';' if depth == 0 && nest == 0 => return None,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The brace pairs `(open, close)` of `text[range]`, innermost last among those that nest.
pub fn brace_pairs(text: &str, range: Range<usize>) -> Vec<(usize, usize)> {
    let mut open = Vec::new();
    let mut pairs = Vec::new();
    for (i, b) in Punctuation::new(&text[..range.end], range.start) {
        match b {
            b'{' => open.push(i),
            b'}' => {
                if let Some(o) = open.pop() {
                    pairs.push((o, i));
                }
            }
            _ => {}
        }
    }
    pairs
}

/// The lexical class of a [`Token`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Everything outside literals, comments and whitespace: identifiers, keywords, numbers, punctuation,
    /// lifetimes and labels (`'a`, `'outer:`).
    Code,
    /// A run of ASCII whitespace.
    Whitespace,
    /// `// ...` up to (not including) the newline; doc comments `///` and `//!` too.
    LineComment,
    /// `/* ... */`, nested ones included; doc comments `/** */` and `/*! */` too.
    BlockComment,
    /// A string literal with its prefix and closing quote: `"..."`, `b"..."`, `c"..."`, `r#"..."#`, `br"..."`,
    /// `cr"..."`.
    Str,
    /// A char or byte char literal: `'x'`, `'\''`, `'\u{7f}'`, `b'x'`.
    Char,
}

/// A run of bytes of one [`Class`]: a whole literal or comment, or code up to the next one (and, from
/// [`Tokens`], up to the next whitespace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub class: Class,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// The tokens of Rust text from a byte offset on, contiguous and non-empty: they cover the text exactly.
/// Starting inside a literal or comment lexes its inside as code, so callers start at a token boundary (a line
/// start or a bracket of code).
///
/// This is [`Spans`] with each code span split at whitespace.
pub struct Tokens<'a> {
    spans: Spans<'a>,
    /// The rest of a code span being split into code and whitespace.
    code: Range<usize>,
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a str, start: usize) -> Tokens<'a> {
        Tokens {
            spans: Spans::new(text, start),
            code: start..start,
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if self.code.is_empty() {
            let span = self.spans.next()?;
            if span.class != Class::Code {
                return Some(span);
            }
            self.code = span.range();
        }
        let bytes = &self.spans.bytes[self.code.clone()];
        let white = bytes[0].is_ascii_whitespace();
        let n = bytes
            .iter()
            .position(|b| b.is_ascii_whitespace() != white)
            .unwrap_or(bytes.len());
        let start = self.code.start;
        self.code.start += n;
        let class = if white {
            Class::Whitespace
        } else {
            Class::Code
        };
        Some(Token {
            class,
            start,
            end: start + n,
        })
    }
}

/// The lexer under [`Tokens`], at the granularity the hot paths want: literals and comments, and the code
/// between them as one [`Class::Code`] span, whitespace included (never [`Class::Whitespace`]).
///
/// Why two granularities: splitting code at every space doubles the number of tokens, and with that per-token
/// cost a first version of this lexer made both the bracket scan and the index's squeezing slower than the
/// hand-written scans it replaced (benches/lexer.sh). Both only need to know what is code; squeezing drops
/// whitespace byte by byte.
pub struct Spans<'a> {
    bytes: &'a [u8],
    i: usize,
    /// The literal or comment that ended the last code span, found while looking for that end.
    pending: Option<Token>,
}

impl<'a> Spans<'a> {
    #[inline]
    pub fn new(text: &'a str, start: usize) -> Spans<'a> {
        Spans {
            bytes: text.as_bytes(),
            i: start,
            pending: None,
        }
    }
}

impl Iterator for Spans<'_> {
    type Item = Token;

    #[inline]
    fn next(&mut self) -> Option<Token> {
        if let Some(token) = self.pending.take() {
            self.i = token.end;
            return Some(token);
        }
        let bytes = self.bytes;
        let start = self.i;
        if start >= bytes.len() {
            return None;
        }
        let token = match next_non_code(bytes, start) {
            // A prefix never reaches back past where the scan started.
            Some(mut next) if next.start <= start => {
                next.start = start;
                next
            }
            Some(next) => {
                self.pending = Some(next);
                Token {
                    class: Class::Code,
                    start,
                    end: next.start,
                }
            }
            None => Token {
                class: Class::Code,
                start,
                end: bytes.len(),
            },
        };
        self.i = token.end;
        Some(token)
    }
}

/// The bytes at which a comment or a literal can be recognised: `/`, the quotes, and `#` (of `r#"`). A
/// literal's prefix (`b`, `c`, `r`, `br`, `cr`) is found by looking back from its quote or first `#`, so that
/// code runs over every letter without a second look (stopping at `b`, `c` and `r` was measurably slower).
static STOP: [bool; 256] = {
    let mut table = [false; 256];
    let stops = *b"/\"'#";
    let mut k = 0;
    while k < stops.len() {
        table[stops[k] as usize] = true;
        k += 1;
    }
    table
};

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The first comment or literal that starts at or after `i` (its prefix may start before `i`).
#[inline]
fn next_non_code(bytes: &[u8], mut i: usize) -> Option<Token> {
    loop {
        while i < bytes.len() && !STOP[bytes[i] as usize] {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        if let Some(token) = non_code_at(bytes, i) {
            return Some(token);
        }
        i += 1;
    }
}

/// The comment or literal recognised at the [`STOP`] byte `i`, its start moved back over a prefix; `None` when
/// `i` is code. A quote that does not open a char literal is a lifetime's or a label's, and a `#` that is not
/// between `r` and the quote of a raw string is code (attributes, raw identifiers `r#name`).
fn non_code_at(bytes: &[u8], i: usize) -> Option<Token> {
    let token = |start, class, end| Some(Token { class, start, end });
    match bytes[i] {
        b'/' => match bytes.get(i + 1) {
            Some(b'/') => {
                let n = bytes[i..].iter().position(|&b| b == b'\n');
                token(i, Class::LineComment, n.map_or(bytes.len(), |n| i + n))
            }
            Some(b'*') => token(i, Class::BlockComment, block_comment_end(bytes, i)),
            _ => None,
        },
        b'"' => match raw_prefix(bytes, i) {
            Some(start) => token(start, Class::Str, raw_string_end(bytes, i)?),
            None => {
                let start = if prefix_at(bytes, i, b"bc") { i - 1 } else { i };
                token(start, Class::Str, string_end(bytes, i + 1))
            }
        },
        b'#' => {
            let start = raw_prefix(bytes, i)?;
            token(start, Class::Str, raw_string_end(bytes, i)?)
        }
        b'\'' => {
            let end = char_end(bytes, i)?;
            let start = if prefix_at(bytes, i, b"b") { i - 1 } else { i };
            token(start, Class::Char, end)
        }
        _ => None,
    }
}

/// Whether the byte before `i` is one of `letters` and starts an identifier (not inside one, not a lifetime's).
fn prefix_at(bytes: &[u8], i: usize, letters: &[u8]) -> bool {
    i >= 1 && letters.contains(&bytes[i - 1]) && is_ident_start(bytes, i - 1)
}

fn is_ident_start(bytes: &[u8], k: usize) -> bool {
    k == 0 || !(is_ident(bytes[k - 1]) || bytes[k - 1] == b'\'')
}

/// Where the raw-string prefix (`r`, `br`, `cr`) ending just before `i` starts, if there is one.
fn raw_prefix(bytes: &[u8], i: usize) -> Option<usize> {
    if i == 0 || bytes[i - 1] != b'r' {
        return None;
    }
    if prefix_at(bytes, i - 1, b"bc") {
        Some(i - 2)
    } else {
        is_ident_start(bytes, i - 1).then_some(i - 1)
    }
}

/// From just after a string's opening quote, the byte past its closing quote (escapes skipped).
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return i + 1,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// From the hashes after a raw string's `r` (there may be none), the byte past its closing quote and as many
/// hashes. `None` if no quote follows the hashes (a raw identifier `r#name`).
fn raw_string_end(bytes: &[u8], i: usize) -> Option<usize> {
    let hashes = bytes[i.min(bytes.len())..]
        .iter()
        .take_while(|&&b| b == b'#')
        .count();
    let open = i + hashes;
    if bytes.get(open) != Some(&b'"') {
        return None;
    }
    let mut j = open + 1;
    while let Some(k) = bytes[j.min(bytes.len())..].iter().position(|&b| b == b'"') {
        let close = j + k;
        let after = close + 1;
        if bytes.len() >= after + hashes && bytes[after..after + hashes].iter().all(|&b| b == b'#')
        {
            return Some(after + hashes);
        }
        j = after;
    }
    Some(bytes.len())
}

/// From a `/*`, the byte past the `*/` that closes it, counting the comments nested inside.
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 1usize;
    let mut i = start + 2;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of the char literal whose opening quote is at `q`, or `None` if the quote starts a lifetime, a label
/// or nothing. As in rustc: an escape is a char literal (its closing quote within the longest escape,
/// `\u{10FFFF}`); otherwise one character followed by a quote is.
fn char_end(bytes: &[u8], q: usize) -> Option<usize> {
    let &first = bytes.get(q + 1)?;
    if first == b'\\' {
        // `'\''` and `'\\'` close right after the escaped byte; `'\x7f'` and `'\u{…}'` a few bytes later.
        let from = q + 3;
        let window = bytes.get(from..bytes.len().min(q + 12))?;
        return window
            .iter()
            .position(|&b| b == b'\'')
            .map(|k| from + k + 1);
    }
    let width = match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    };
    (bytes.get(q + 1 + width) == Some(&b'\'')).then_some(q + 2 + width)
}

/// Brackets and semicolons of Rust code with their offsets, from a token boundary on: those inside literals and
/// comments are not code and not reported.
///
/// Why not filter [`Spans`]: that reads each code byte twice, once to find where the span ends and once for
/// brackets, and the bracket scan was twice as slow as its hand-written predecessor. This is the same lexer in
/// one pass: the code/non-code decision is [`Spans`]'s own (`non_code_at`, asked at the same bytes), only the
/// loop also stops at brackets (a literal's prefix, scanned as code here, holds none). A test checks the two agree on this crate's sources.
pub struct Punctuation<'a> {
    bytes: &'a [u8],
    i: usize,
}

impl<'a> Punctuation<'a> {
    pub fn new(text: &'a str, start: usize) -> Punctuation<'a> {
        Punctuation {
            bytes: text.as_bytes(),
            i: start,
        }
    }
}

/// [`STOP`] plus the bytes [`Punctuation`] reports.
static STOP_OR_PUNCTUATION: [bool; 256] = {
    let mut table = STOP;
    let punctuation = *b"{}()[];";
    let mut k = 0;
    while k < punctuation.len() {
        table[punctuation[k] as usize] = true;
        k += 1;
    }
    table
};

impl Iterator for Punctuation<'_> {
    type Item = (usize, u8);

    fn next(&mut self) -> Option<(usize, u8)> {
        let bytes = self.bytes;
        let mut i = self.i;
        loop {
            while i < bytes.len() && !STOP_OR_PUNCTUATION[bytes[i] as usize] {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else {
                self.i = i;
                return None;
            };
            if let b'{' | b'}' | b'(' | b')' | b'[' | b']' | b';' = b {
                self.i = i + 1;
                return Some((i, b));
            }
            i = match non_code_at(bytes, i) {
                Some(token) => token.end,
                None => i + 1,
            };
        }
    }
}
