//! From one changed file (before text, after text, line hunks) to concrete edits.
//!
//! Parsing is the floor of mining: parsing both versions of every changed file would cost 15–20× `git log -p`.
//! So only what the hunks need is parsed: the function around each small hunk, found by a cheap textual scan
//! (an `fn` header above the hunk, then brace matching). A hunk outside any function, or in a function whose
//! region does not parse cleanly, is skipped with its reason; so is a hunk too large to be a reusable fix,
//! before anything is parsed. Everything else is GumTree-diffed per function pair.

use std::ops::Range;

use git::Hunk;
use syntax::parse;
use treediff::{ByteHunk, EditConfig, MatchConfig, concrete_edits, edit_script, match_trees};

#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Hunks with more changed lines than this on either side are not fixes to learn from.
    pub max_hunk_lines: u32,
    pub edit: EditConfig,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            max_hunk_lines: 6,
            edit: EditConfig::default(),
        }
    }
}

/// One concrete edit, as text, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedEdit {
    /// 1-based line in the before file.
    pub line: u32,
    pub before: String,
    pub after: String,
    pub before_kind: String,
    pub after_kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileEdits {
    pub edits: Vec<ExtractedEdit>,
    /// (1-based line in the before file, reason).
    pub skipped: Vec<(u32, String)>,
}

/// Extracts the concrete edits of one file change.
pub fn extract_file_edits(
    before: &str,
    after: &str,
    hunks: &[Hunk],
    config: &ExtractConfig,
) -> FileEdits {
    let mut out = FileEdits::default();
    let before_lines = LineIndex::new(before);
    let after_lines = LineIndex::new(after);
    // Group the small hunks by the function pair that holds them.
    let mut groups: Vec<(Range<usize>, Range<usize>, Vec<&Hunk>)> = Vec::new();
    for hunk in hunks {
        let line = hunk.before_start.max(1);
        let size = hunk.before_len.max(hunk.after_len);
        if size > config.max_hunk_lines {
            out.skipped.push((
                line,
                format!(
                    "hunk changes {size} lines, over the {}-line limit",
                    config.max_hunk_lines
                ),
            ));
            continue;
        }
        let regions = (
            enclosing_function(
                before,
                &before_lines,
                hunk_lines(hunk.before_start, hunk.before_len),
            ),
            enclosing_function(
                after,
                &after_lines,
                hunk_lines(hunk.after_start, hunk.after_len),
            ),
        );
        let (Some(b), Some(a)) = regions else {
            out.skipped
                .push((line, "hunk is outside any function".to_owned()));
            continue;
        };
        match groups.iter_mut().find(|(gb, ga, _)| *gb == b && *ga == a) {
            Some(group) => group.2.push(hunk),
            None => groups.push((b, a, vec![hunk])),
        }
    }
    for (b_range, a_range, hunks) in groups {
        let line0 = before_lines.line_of(b_range.start);
        let b_parse = parse(&before[b_range.clone()]);
        let a_parse = parse(&after[a_range.clone()]);
        if let Some(e) = b_parse.errors.first().or(a_parse.errors.first()) {
            let side = if b_parse.errors.is_empty() {
                "after"
            } else {
                "before"
            };
            out.skipped.push((
                line0 + e.line - 1,
                format!("syntax error in the {side} version: {}", e.message),
            ));
            continue;
        }
        let (bt, at) = (&b_parse.tree, &a_parse.tree);
        let mapping = match_trees(bt, at, &MatchConfig::default());
        let script = edit_script(bt, at, &mapping);
        let byte_hunks: Vec<ByteHunk> = hunks
            .iter()
            .map(|h| ByteHunk {
                before: local(&before_lines, h.before_start, h.before_len, &b_range),
                after: local(&after_lines, h.after_start, h.after_len, &a_range),
            })
            .collect();
        for result in concrete_edits(bt, at, &mapping, &script, &byte_hunks, &config.edit) {
            match result {
                Ok(edit) => out.edits.push(ExtractedEdit {
                    line: line0 + bt.line_of(bt.node(edit.before).span.start) - 1,
                    before: bt.text_of(edit.before).to_owned(),
                    after: at.text_of(edit.after).to_owned(),
                    before_kind: bt.node(edit.before).kind.to_owned(),
                    after_kind: at.node(edit.after).kind.to_owned(),
                }),
                Err(dropped) => out.skipped.push((
                    line0 + bt.line_of(dropped.before_span.start) - 1,
                    dropped.reason,
                )),
            }
        }
    }
    out
}

/// The 1-based line range a hunk side covers; a pure insertion (`len == 0`) covers the empty range after
/// line `start`.
fn hunk_lines(start: u32, len: u32) -> Range<u32> {
    if len == 0 {
        start + 1..start + 1
    } else {
        start..start + len
    }
}

/// The byte range of a hunk side, relative to the start of `region`.
fn local(lines: &LineIndex, start: u32, len: u32, region: &Range<usize>) -> Range<u32> {
    let r = hunk_lines(start, len);
    let begin = lines.start_of(r.start).clamp(region.start, region.end);
    let end = if r.is_empty() {
        begin
    } else {
        lines
            .start_of(r.end)
            .saturating_sub(1)
            .clamp(begin, region.end)
    };
    (begin - region.start) as u32..(end - region.start) as u32
}

/// Byte offsets of line starts.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
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
    pub(crate) fn start_of(&self, line: u32) -> usize {
        self.starts
            .get(line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(self.len)
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }

    fn count(&self) -> u32 {
        self.starts.len() as u32
    }
}

/// The byte range of the function that contains the 1-based line range `lines`: the nearest `fn` header at or
/// above its first line whose body, found by brace matching, reaches past its last line. Attributes and doc
/// comments above the header are not included (they are not part of a fix's edit).
pub(crate) fn enclosing_function(
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
        if is_fn_header(header) {
            if let Some(body_end) = matching_brace_end(text, start) {
                if body_end >= last_end {
                    let indent = header.len() - header.trim_start().len();
                    return Some(start + indent..body_end);
                }
            }
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

/// From a function header at `start`, the byte just past the `}` that closes its body, skipping strings,
/// chars and comments well enough for real code. `None` for a declaration without a body.
fn matching_brace_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    // Parentheses and brackets in the signature, as in `-> [u8; 4]`.
    let mut nest = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal like '{' or '\'' ; a lifetime has no closing quote nearby.
                if bytes.get(i + 2) == Some(&b'\'') {
                    i += 2;
                } else if bytes.get(i + 1) == Some(&b'\\') {
                    if let Some(close) = text[i + 2..].find('\'') {
                        i += 2 + close;
                    }
                }
            }
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
        i += 1;
    }
    None
}
