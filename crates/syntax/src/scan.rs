//! A cheap textual scan of Rust source: line starts, brackets outside strings and comments, and the `fn`
//! around a line.
//!
//! Why a scan and not the tree: finding the function around a hunk or a needle hit is what lets mining and
//! fixing parse a few functions instead of whole files, which is what keeps both near the cost of reading the
//! text. So this scan must be cheaper than parsing; it only has to be right on real code, and a region it
//! misjudges fails to parse strictly and is read whole instead. It is the one hand-written scanner of the
//! workspace: mining (`pipeline::extract`) and fixing (`engine`) share it.

use std::ops::Range;

/// Byte offsets of line starts.
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
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
    let mut rest = line.trim_start();
    if let Some(r) = rest.strip_prefix("pub") {
        rest = r.trim_start();
        if rest.starts_with('(') {
            match rest.find(')') {
                Some(close) => rest = rest[close + 1..].trim_start(),
                None => return false,
            }
        }
    }
    loop {
        let before = rest;
        for qualifier in ["const ", "async ", "unsafe ", "default "] {
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
    rest.starts_with("fn ")
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

/// Brackets and semicolons of Rust text with their offsets, skipping strings, chars and comments well enough
/// for real code (raw strings are not understood; a region they confuse fails to parse and is skipped).
pub struct Punctuation<'a> {
    bytes: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> Punctuation<'a> {
    pub fn new(text: &'a str, start: usize) -> Punctuation<'a> {
        Punctuation {
            bytes: text.as_bytes(),
            text,
            i: start,
        }
    }
}

impl Iterator for Punctuation<'_> {
    type Item = (usize, u8);

    fn next(&mut self) -> Option<(usize, u8)> {
        let bytes = self.bytes;
        while self.i < bytes.len() {
            let i = self.i;
            self.i += 1;
            match bytes[i] {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while self.i < bytes.len() && bytes[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    self.i = i + 2;
                    while self.i + 1 < bytes.len()
                        && !(bytes[self.i] == b'*' && bytes[self.i + 1] == b'/')
                    {
                        self.i += 1;
                    }
                    self.i += 2;
                }
                b'"' => {
                    while self.i < bytes.len() && bytes[self.i] != b'"' {
                        if bytes[self.i] == b'\\' {
                            self.i += 1;
                        }
                        self.i += 1;
                    }
                    self.i += 1;
                }
                b'\'' => {
                    // A char literal like '{' or '\''; a lifetime has no closing quote nearby.
                    if bytes.get(i + 2) == Some(&b'\'') {
                        self.i = i + 3;
                    } else if bytes.get(i + 1) == Some(&b'\\')
                        && let Some(close) = self.text[i + 3..].find('\'')
                    {
                        self.i = i + 4 + close;
                    }
                }
                b @ (b'{' | b'}' | b'(' | b')' | b'[' | b']' | b';') => return Some((i, b)),
                _ => {}
            }
        }
        None
    }
}
