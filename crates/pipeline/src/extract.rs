//! From one changed file (before text, after text, line hunks) to concrete edits.
//!
//! Parsing is the floor of mining: parsing both versions of every changed file would cost 15–20× `git log -p`.
//! So only what the hunks need is parsed: the function around each small hunk, found by a cheap textual scan
//! (an `fn` header above the hunk, then brace matching). A hunk outside any function (an item, a signature
//! the scan misses, a field, an attribute, a `use` tree, an `impl` header) is placed on the syntax tree of the
//! items around it instead (the run of an `impl`/`trait`/`mod` body's items, else the top-level item): its
//! region is the item around it, with its attributes ([`item_region`]), diffed on that same parse. A hunk in a
//! region that does not parse cleanly, in an item over
//! [`ExtractConfig::max_item_lines`], or too large to be a reusable fix is skipped with its reason, never
//! silently. Everything else is GumTree-diffed per region pair.

use std::collections::HashMap;
use std::ops::Range;

use git::Hunk;
use syntax::parse;
use syntax::scan::{
    Class, LineIndex, Punctuation, Tokens, after_qualifiers, brace_pairs, enclosing_function,
};
use treediff::{ByteHunk, EditConfig, MatchConfig, concrete_edits, edit_script, match_trees};

#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Hunks with more changed lines than this on either side are not fixes to learn from.
    pub max_hunk_lines: u32,
    /// Largest item (a struct, an `impl`, a `use` run) parsed and diffed for a hunk outside any function;
    /// a larger one is skipped with its reason.
    pub max_item_lines: u32,
    pub edit: EditConfig,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            max_hunk_lines: 6,
            max_item_lines: 400,
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
    /// The kind of the node the before side sits in, when that node is part of the parsed region (not the
    /// wrapper a block was parsed in): the edit's unchanged context, learned as a pattern's `within`.
    pub parent_kind: Option<String>,
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
    // The parses that found items for hunks outside any function, kept for diffing those items.
    let (mut before_parses, mut after_parses) = (Parses::new(), Parses::new());
    // Group the small hunks by the pair of regions that hold them: the innermost block around the hunk when
    // there is one, else the whole function.
    let mut groups: Vec<(Region, Region, Vec<&Hunk>)> = Vec::new();
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
        if only_comments_or_whitespace(before, &before_lines, hunk, after, &after_lines) {
            out.skipped
                .push((line, "hunk changes only comments or whitespace".to_owned()));
            continue;
        }
        let b_lines = hunk_lines(hunk.before_start, hunk.before_len);
        let a_lines = hunk_lines(hunk.after_start, hunk.after_len);
        let functions = (
            enclosing_function(before, &before_lines, b_lines.clone()),
            enclosing_function(after, &after_lines, a_lines.clone()),
        );
        let (b, a) = match functions {
            (Some(b_fn), Some(a_fn)) => (
                Region::around(before, &before_lines, b_fn, b_lines),
                Region::around(after, &after_lines, a_fn, a_lines),
            ),
            // Items, signatures, fields, attributes, `use` trees, `impl` headers: the region is the item
            // around the hunk, found on the syntax tree of the top-level items around it.
            _ if hunk.before_len == 0 || hunk.after_len == 0 => {
                // Lines added or removed between items add or remove items (or their attributes), which
                // no template of one node can say.
                let reason = "hunk outside any function only adds or removes lines".to_owned();
                out.skipped.push((line, reason));
                continue;
            }
            _ => {
                let limit = config.max_item_lines;
                let regions = (
                    item_region(before, &before_lines, b_lines, limit, &mut before_parses),
                    item_region(after, &after_lines, a_lines, limit, &mut after_parses),
                );
                let too_long = |lines| {
                    format!("hunk is in an item of {lines} lines, over the {limit}-line limit")
                };
                let (b_item, a_item) = match regions {
                    (Items::Found(b), Items::Found(a)) => (b, a),
                    (Items::TooLong(lines), _) | (_, Items::TooLong(lines)) => {
                        out.skipped.push((line, too_long(lines)));
                        continue;
                    }
                    _ => {
                        out.skipped
                            .push((line, "hunk is outside any item".to_owned()));
                        continue;
                    }
                };
                let lines = before_lines.line_of(b_item.0.end.saturating_sub(1))
                    - before_lines.line_of(b_item.0.start)
                    + 1;
                if lines > limit {
                    out.skipped.push((line, too_long(lines)));
                    continue;
                }
                (Region::item(b_item), Region::item(a_item))
            }
        };
        match groups.iter_mut().find(|(gb, ga, _)| *gb == b && *ga == a) {
            Some(group) => group.2.push(hunk),
            None => groups.push((b, a, vec![hunk])),
        }
    }
    for (b_region, a_region, hunks) in groups {
        // A block that does not parse on its own (say, a match body) gives way to the next enclosing one,
        // and finally to the function.
        // A candidate that does not parse on its own (say, a match body), or whose edit reaches past it into
        // the wrapper it was parsed in, gives way to the next one; the function is the last.
        let mut level = 0;
        loop {
            let regions = (b_region.at_level(level), a_region.at_level(level));
            let last = !regions.0.is_block() && !regions.1.is_block();
            match edits_in(
                (before, after),
                (&before_lines, &after_lines),
                &regions,
                (&mut before_parses, &mut after_parses),
                &hunks,
                config,
            ) {
                Found::Edits(found) => {
                    out.edits.extend(found.edits);
                    out.skipped.extend(found.skipped);
                    break;
                }
                Found::Escaped if last => {
                    let line = before_lines.line_of(b_region.range.start);
                    let reason = "edit reaches past the function or items around the hunk";
                    out.skipped.push((line, reason.to_owned()));
                    break;
                }
                _ if last => break,
                Found::ParseErrors => level += 1,
                Found::Escaped => {
                    // The edit is at least the whole enclosing candidate: when that spans more lines than an
                    // edit may, parsing it would only confirm the drop.
                    let next = b_region.at_level(level + 1);
                    let lines = before_lines.line_of(next.range.end.saturating_sub(1))
                        - before_lines.line_of(next.range.start)
                        + 1;
                    let limit = config.edit.max_lines;
                    if lines > limit {
                        let line = before_lines.line_of(next.range.start);
                        let reason = format!(
                            "edit spans a block of {lines} lines, over the {limit}-line limit"
                        );
                        out.skipped.push((line, reason));
                        break;
                    }
                    level += 1;
                }
            }
        }
    }
    out
}

/// What parsing one pair of candidate regions gave.
enum Found {
    Edits(FileEdits),
    /// The regions are blocks that do not parse on their own.
    ParseErrors,
    /// An edit reached outside the regions, into the wrapper they were parsed in.
    Escaped,
}

/// The edits of `hunks` found by parsing `regions`; the caller tries larger regions on the other outcomes.
/// Syntax errors of whole functions are reported as skips.
fn edits_in(
    (before, after): (&str, &str),
    (before_lines, after_lines): (&LineIndex, &LineIndex),
    regions: &(Region, Region),
    (before_parses, after_parses): (&mut Parses, &mut Parses),
    hunks: &[&Hunk],
    config: &ExtractConfig,
) -> Found {
    let (b_region, a_region) = regions;
    // A candidate block with a syntax error only gives way to the next candidate: the tree of a broken block is
    // not built, and the after side is not parsed once the before side failed.
    let is_block = b_region.is_block() || a_region.is_block();
    // Lines of the parsed texts count from here (a wrapper's prefix holds no newline). A skip's line is in the
    // before file: a line of the after version is placed from the start of the before region.
    let line0 = before_lines.line_of(b_region.parsed.start);
    let region_line = before_lines.line_of(b_region.range.start);
    let mut out = FileEdits::default();
    // Over the depth budget a wider region only nests deeper: skipped with the reason at once. A syntax error
    // of a whole function is skipped with its place.
    let mut rejected = |side: &str, parse: &syntax::Parse, first: u32| {
        if let Some(too_deep) = &parse.too_deep {
            out.skipped.push((
                region_line,
                format!(
                    "code nested too deep in the {side} version: deeper than {} levels at line {}",
                    too_deep.limit,
                    first + too_deep.line - 1
                ),
            ));
        } else if let Some(e) = parse.errors.first() {
            out.skipped.push((
                first + e.line - 1,
                format!("syntax error in the {side} version: {}", e.message),
            ));
        } else {
            return false;
        }
        true
    };
    let Some((b_offset, b_parse)) = b_region.parse(before, before_parses, is_block) else {
        return Found::ParseErrors;
    };
    if rejected("before", &b_parse, line0) {
        return Found::Edits(out);
    }
    let Some((a_offset, a_parse)) = a_region.parse(after, after_parses, is_block) else {
        return Found::ParseErrors;
    };
    if rejected("after", &a_parse, line0) {
        return Found::Edits(out);
    }
    let (bt, at) = (&b_parse.tree, &a_parse.tree);
    let mapping = match_trees(bt, at, &MatchConfig::default());
    let script = edit_script(bt, at, &mapping);
    let shift = |r: Range<u32>, by: u32| r.start + by..r.end + by;
    let byte_hunks: Vec<ByteHunk> = hunks
        .iter()
        .map(|h| ByteHunk {
            before: shift(
                local(before_lines, h.before_start, h.before_len, &b_region.range),
                b_offset,
            ),
            after: shift(
                local(after_lines, h.after_start, h.after_len, &a_region.range),
                a_offset,
            ),
        })
        .collect();
    let inside = |span: &Range<u32>, offset: u32, region: &Region| {
        span.start >= offset && span.end <= offset + region.range.len() as u32
    };
    for result in concrete_edits(bt, at, &mapping, &script, &byte_hunks, &config.edit) {
        match result {
            Ok(edit) if edit.before == syntax::Tree::ROOT || edit.after == syntax::Tree::ROOT => {
                // Items added or removed whole: a list of items is no fix pattern.
                let reason = "edit adds or removes whole items".to_owned();
                out.skipped.push((region_line, reason));
            }
            Ok(edit) => {
                let (b_span, a_span) = (&bt.node(edit.before).span, &at.node(edit.after).span);
                if !inside(b_span, b_offset, b_region) || !inside(a_span, a_offset, a_region) {
                    // The edit reached the wrapper the region was parsed in. In the file it is at least as
                    // large as here, so a too-large one is dropped now; a small one needs a wider region.
                    let nodes = bt.node(edit.before).size.max(at.node(edit.after).size);
                    if nodes > config.edit.max_nodes {
                        let limit = config.edit.max_nodes;
                        let reason =
                            format!("edit has {nodes} nodes or more, over the {limit}-node limit");
                        out.skipped
                            .push((line0 + bt.line_of(b_span.start.max(b_offset)) - 1, reason));
                        continue;
                    }
                    return Found::Escaped;
                }
                let parent_kind = bt
                    .node(edit.before)
                    .parent
                    .filter(|&p| inside(&bt.node(p).span, b_offset, b_region))
                    .map(|p| bt.node(p).kind.to_owned());
                out.edits.push(ExtractedEdit {
                    parent_kind,
                    line: line0 + bt.line_of(b_span.start) - 1,
                    before: bt.text_of(edit.before).to_owned(),
                    after: at.text_of(edit.after).to_owned(),
                    before_kind: bt.node(edit.before).kind.to_owned(),
                    after_kind: at.node(edit.after).kind.to_owned(),
                });
            }
            Err(dropped) => out.skipped.push((
                line0 + bt.line_of(dropped.before_span.start) - 1,
                dropped.reason,
            )),
        }
    }
    Found::Edits(out)
}

/// Whether a hunk's lines, with line comments and whitespace taken out, read the same on both sides. Checked
/// on text before anything is parsed; block comments are left to the syntax-level check.
fn only_comments_or_whitespace(
    before: &str,
    before_lines: &LineIndex,
    hunk: &Hunk,
    after: &str,
    after_lines: &LineIndex,
) -> bool {
    let code = |text: &str, lines: &LineIndex, start: u32, len: u32| -> String {
        let r = hunk_lines(start, len);
        let (from, to) = (lines.start_of(r.start), lines.start_of(r.end));
        text[from.min(text.len())..to.min(text.len())]
            .lines()
            .map(|l| l.trim())
            .filter(|l| !l.starts_with("//"))
            .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
            .collect()
    };
    code(before, before_lines, hunk.before_start, hunk.before_len)
        == code(after, after_lines, hunk.after_start, hunk.after_len)
}

/// What is parsed for a hunk: a block of a function (parsed as the body of a dummy function), or the whole
/// function. Parsing the innermost block instead of the function is what keeps mining close to `git log -p`:
/// most fixes sit a few lines deep in long functions, and an edit never widens past its block anyway.
#[derive(Debug, Clone)]
struct Region {
    /// Bytes of the file that the region is.
    range: Range<usize>,
    /// Bytes of the file that are parsed for it: `range` itself, or for items the wider text whose parse found
    /// them (the parse is reused, in a [`Parses`]).
    parsed: Range<usize>,
    /// What `range` holds, which decides the context it is parsed in.
    kind: RegionKind,
    /// The candidates, narrowest first: the statements around the hunk, then the enclosing blocks, then the
    /// function. A candidate that does not parse on its own (say, a match body) gives way to the next.
    ladder: Vec<(Range<usize>, RegionKind)>,
}

/// Regions are the same place whatever was parsed to find them: hunks in one item share one diff.
impl PartialEq for Region {
    fn eq(&self, other: &Region) -> bool {
        (&self.range, self.kind, &self.ladder) == (&other.range, other.kind, &other.ladder)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegionKind {
    /// A run of whole statements of a block, parsed as a function body.
    Statements,
    /// A block with its braces, parsed as a function body.
    Block,
    /// A whole function from its header.
    Function,
    /// Whole items (with their attributes) around a hunk outside any function, parsed as a file.
    Item,
}

const BLOCK_PREFIX: &str = "fn __suture_block() ";

impl Region {
    fn around(text: &str, index: &LineIndex, function: Range<usize>, lines: Range<u32>) -> Region {
        let first = index.start_of(lines.start);
        let last_end = if lines.is_empty() {
            first
        } else {
            index.start_of(lines.end)
        };
        let body = function.start.max(
            text[function.clone()]
                .find('{')
                .map_or(function.start, |o| function.start + o),
        );
        let mut blocks: Vec<Range<usize>> = brace_pairs(text, body..function.end)
            .into_iter()
            .filter(|&(open, close)| open < first && close >= last_end && open > body)
            .filter(|&(open, _)| opens_a_block(text, open))
            .map(|(open, close)| open..close + 1)
            .collect();
        blocks.sort_by_key(|b| std::cmp::Reverse(b.start));
        let container = blocks.first().cloned().unwrap_or(body..function.end);
        let mut ladder = Vec::new();
        // The statements must hold the whole hunk: a hunk that touches the signature needs the function.
        if container.len() >= 2
            && container.start < first
            && let Some(run) = statement_run(
                text,
                container.start + 1..container.end - 1,
                first,
                last_end,
            )
        {
            ladder.push((run, RegionKind::Statements));
        }
        ladder.extend(blocks.into_iter().map(|b| (b, RegionKind::Block)));
        ladder.push((function, RegionKind::Function));
        Region {
            range: ladder[0].0.clone(),
            parsed: ladder[0].0.clone(),
            kind: ladder[0].1,
            ladder,
        }
    }

    /// The items around a hunk outside any function, found in the parse of `parsed`: the only candidate.
    fn item((range, parsed): (Range<usize>, Range<usize>)) -> Region {
        Region {
            range: range.clone(),
            parsed,
            kind: RegionKind::Item,
            ladder: vec![(range, RegionKind::Item)],
        }
    }

    /// The `level`-th candidate of the ladder (the function past its end).
    fn at_level(&self, level: usize) -> Region {
        if self.kind == RegionKind::Item {
            return self.clone();
        }
        let (range, kind) = self.ladder[level.min(self.ladder.len() - 1)].clone();
        Region {
            parsed: range.clone(),
            range,
            kind,
            ladder: self.ladder.clone(),
        }
    }

    fn is_block(&self) -> bool {
        matches!(self.kind, RegionKind::Statements | RegionKind::Block)
    }

    /// Parses the region; returns where the region's text starts in the parsed text, and the parse, or with
    /// `clean_only` `None` when the text has a syntax error. Items take the parse that found them from `parses`.
    fn parse(
        &self,
        text: &str,
        parses: &mut Parses,
        clean_only: bool,
    ) -> Option<(u32, syntax::Parse)> {
        let code = &text[self.range.clone()];
        let parse_text = |text: &str| {
            if clean_only {
                syntax::parse_if_clean(text)
            } else {
                Some(parse(text))
            }
        };
        match self.kind {
            RegionKind::Item => Some((
                (self.range.start - self.parsed.start) as u32,
                match parses.remove(&self.parsed) {
                    Some(found) => found,
                    None => parse_text(&text[self.parsed.clone()])?,
                },
            )),
            RegionKind::Function => Some((0, parse_text(code)?)),
            RegionKind::Block => Some((
                BLOCK_PREFIX.len() as u32,
                parse_text(&format!("{BLOCK_PREFIX}{code}"))?,
            )),
            RegionKind::Statements => Some((
                BLOCK_PREFIX.len() as u32 + 1,
                parse_text(&format!("{BLOCK_PREFIX}{{{code}\n}}"))?,
            )),
        }
    }
}

/// The whole statements of a block's inside (`inner`, braces excluded) that cover the bytes `first..last_end`:
/// from just after the statement boundary before them to the boundary after them. Boundaries are `;` at the
/// block's own depth and `}` closing a block-like statement (not followed by `else`, `.`, `?`, `)` or `,`).
/// `None` when the run would be the whole block.
fn statement_run(
    text: &str,
    inner: Range<usize>,
    first: usize,
    last_end: usize,
) -> Option<Range<usize>> {
    let mut depth = 0usize;
    let mut start = inner.start;
    let mut end = None;
    for (i, b) in Punctuation::new(&text[..inner.end], inner.start) {
        let boundary = match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                false
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                false
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                let next = text[i + 1..].trim_start();
                depth == 0
                    && !(next.starts_with("else") || next.starts_with(['.', '?', ')', ',', ';']))
            }
            b';' => depth == 0,
            _ => false,
        };
        if !boundary {
            continue;
        }
        if i < first {
            start = i + 1;
        } else if text[i + 1..last_end.max(i + 1)].trim().is_empty() {
            end = Some(i + 1);
            break;
        }
    }
    // No boundary after the hunk: it is in the block's tail expression, which runs to the block's end.
    let end = end.unwrap_or(inner.end);
    (start > inner.start || end < inner.end).then_some(start..end)
}

/// Whether the `{` at `open` opens a block of statements rather than a match body or a struct literal, judged
/// from the line before it. A wrong guess only costs a failed parse: the caller then tries the next candidate.
fn opens_a_block(text: &str, open: usize) -> bool {
    let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
    let head = text[line_start..open].trim();
    let words = || {
        head.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
    };
    if words().any(|w| w == "match") {
        return false;
    }
    let starts_a_condition = ["if ", "while ", "for ", "} else if ", "else if "]
        .iter()
        .any(|k| head.starts_with(k));
    let last = words().next_back().unwrap_or("");
    let struct_literal = head.ends_with(last) && last.starts_with(|c: char| c.is_ascii_uppercase());
    !struct_literal || starts_a_condition
}

/// Nodes whose children are items.
const ITEM_CONTAINERS: &[&str] = &["source_file", "declaration_list"];

/// Parses of one side's text by byte range: several hunks in one item, and the diff of the item, share one.
type Parses = HashMap<Range<usize>, syntax::Parse>;

/// What [`item_region`] found.
#[derive(Debug, PartialEq, Eq)]
enum Items {
    /// The items, and the range whose parse (kept in the [`Parses`]) holds them.
    Found((Range<usize>, Range<usize>)),
    /// The top-level item around the lines spans this many lines, over the limit: found without parsing it.
    TooLong(u32),
    /// The lines touch no item (say, only whitespace between items).
    Nothing,
}

/// The byte range of the items around the 1-based `lines`, found on a syntax tree: the item (a child of the
/// file or of an `impl`/`trait`/`mod` body) that holds the lines, or the run of items they overlap, extended
/// over the attributes before them and, when the run ends in an attribute, to the item it belongs to (comments
/// are not in the tree). Parsed alone as a file, the range gives the same items back.
///
/// Only the items around the lines are parsed, not the whole file. Inside an `impl`, `trait` or `mod` body
/// that is the run of the body's items around the lines ([`declaration_run`]): a one-line change to a field
/// or a method's attribute in an `impl` of thousands of lines parses a few lines, not the `impl`. When that
/// run does not parse as a file on its own, or the lines are not in such a body, it is the top-level items
/// around the lines ([`top_level_chunk`]); when that is one item (with the comments and whitespace before it)
/// of more than `max_lines` lines from its first code, it is not parsed at all.
fn item_region(
    text: &str,
    index: &LineIndex,
    lines: Range<u32>,
    max_lines: u32,
    parses: &mut Parses,
) -> Items {
    let first = index.start_of(lines.start).min(text.len());
    let end = if lines.is_empty() {
        first
    } else {
        index
            .start_of(lines.end)
            .saturating_sub(1)
            .max(first)
            .min(text.len())
    };
    let (chunk, split) = top_level_chunk(text, first, end);
    let body = declaration_run(text, chunk.clone(), first, end);
    if let Body::Run(run) = body {
        let parsed = parses
            .entry(run.clone())
            .or_insert_with(|| parse(&text[run.clone()]));
        if parsed.errors.is_empty() && parsed.too_deep.is_none() {
            // The same items as on the top-level item's tree: none there either when none here.
            return items_in(&parsed.tree, run, first, end);
        }
        parses.remove(&run);
    } else if body == Body::Outside {
        // The items start at their first attribute or code: comments are not in the tree.
        let code = first_code(text, chunk.clone());
        let lines =
            (index.line_of(chunk.end.saturating_sub(1)) + 1).saturating_sub(index.line_of(code));
        // Only one item, from its first code on, is measured: lines only in the comments before it touch no
        // item, an item that ends on the lines may be followed by others, and inner attributes (`#![..]`,
        // only at the start of a file) are not items. Those are left to the tree.
        if lines > max_lines && !split && end >= code && !text[code..].starts_with("#!") {
            return Items::TooLong(lines);
        }
    }
    let parsed = parses
        .entry(chunk.clone())
        .or_insert_with(|| parse(&text[chunk.clone()]));
    items_in(&parsed.tree, chunk, first, end)
}

/// The items around the bytes `first..end` ([`item_in_tree`]) on the tree of `text[range]`, in file offsets.
fn items_in(tree: &syntax::Tree, range: Range<usize>, first: usize, end: usize) -> Items {
    let local = item_in_tree(
        tree,
        (first - range.start) as u32,
        (end - range.start) as u32,
    );
    match local {
        Some(local) => Items::Found((local.start + range.start..local.end + range.start, range)),
        None => Items::Nothing,
    }
}

/// The top-level items around the bytes `first..end`: from the `;` or `}` at bracket depth 0 before them to
/// the one after them, found by the lexer (comments and literals are not code). Parsing whole files for these
/// hunks made mining several times slower. Also whether an item ends inside `first..end` (then the range may
/// hold more items than the lines touch).
fn top_level_chunk(text: &str, first: usize, end: usize) -> (Range<usize>, bool) {
    let (mut depth, mut chunk_start, mut chunk_end) = (0usize, 0usize, text.len());
    let mut split = false;
    for (i, b) in Punctuation::new(text, 0) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' | b';' => {
                if b == b'}' {
                    depth = depth.saturating_sub(1);
                }
                if depth == 0 && !continues_after(text, i, b) {
                    if i < first {
                        chunk_start = i + 1;
                    } else if i >= end {
                        chunk_end = i + 1;
                        break;
                    } else {
                        split = true;
                    }
                }
            }
            _ => {}
        }
    }
    (chunk_start..chunk_end, split)
}

/// Whether the item goes on after the `b` at `i`: `static S: T = T { .. };` ends at its `;`, not at the
/// struct literal's `}`.
fn continues_after(text: &str, i: usize, b: u8) -> bool {
    b == b'}' && text[i + 1..].trim_start().starts_with([';', ',', '.', ')'])
}

/// Where lines are with respect to the `impl`, `trait` and `mod` bodies of a top-level item.
#[derive(Debug, PartialEq, Eq)]
enum Body {
    /// In no such body (the lines may touch a header).
    Outside,
    /// In one: the bytes of the run of its items around the lines.
    Run(Range<usize>),
    /// From inside one to past its closing brace, or in code the lexer could not balance.
    Crossing,
}

/// Inside the top-level `chunk`, the items of the innermost `impl`, `trait` or `mod` body around the bytes
/// `first..end`, among those nested only in each other (not in a macro): from the item boundary (`;` or `}`
/// directly in the body) before them to the one after them.
fn declaration_run(text: &str, chunk: Range<usize>, first: usize, end: usize) -> Body {
    // The brackets open at `first`: (the bracket, where its header starts, where its current item starts).
    let mut open: Vec<(u8, usize, usize)> = Vec::new();
    let mut item_start = chunk.start;
    for (i, b) in Punctuation::new(&text[..first], chunk.start) {
        match b {
            b'(' | b'[' | b'{' => {
                open.push((b, item_start, i + 1));
                item_start = i + 1;
            }
            b')' | b']' | b'}' => {
                let Some((_, header, _)) = open.pop() else {
                    return Body::Crossing;
                };
                // A `}` ends its item (a function, a nested `impl`); after any other bracket the item that
                // holds it goes on.
                item_start = if b == b'}' && !continues_after(text, i, b) {
                    i + 1
                } else {
                    header
                };
            }
            b';' => item_start = i + 1,
            _ => {}
        }
        if let Some(top) = open.last_mut() {
            top.2 = item_start;
        }
    }
    // The bodies from the top down; past the first bracket that is not one (a macro's, a function's) the tree
    // has no items, so the search stops there.
    let Some(level) = open
        .iter()
        .take_while(|&&(b, header, _)| b == b'{' && declares_items(&text[header..chunk.end]))
        .count()
        .checked_sub(1)
    else {
        return Body::Outside;
    };
    let start = open[level].2;
    // The first item boundary at the body's own depth after the lines; the body's `}` ends the run too.
    let mut depth = 0usize;
    for (i, b) in Punctuation::new(&text[..chunk.end], start) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => {
                return if i >= end {
                    Body::Run(start..i)
                } else {
                    Body::Crossing
                };
            }
            b')' | b']' => depth -= 1,
            b'}' | b';' => {
                if b == b'}' {
                    depth -= 1;
                }
                if depth == 0 && i >= end && !continues_after(text, i, b) {
                    return Body::Run(start..i + 1);
                }
            }
            _ => {}
        }
    }
    Body::Crossing
}

/// Whether the item whose text starts `header` (comments and attributes first) is an `impl`, `trait` or `mod`
/// with a body of items, read from its first words.
fn declares_items(header: &str) -> bool {
    let mut rest = &header[first_code(header, 0..header.len())..];
    // Attributes, each up to the `]` that closes its `[`, and the comments after them.
    while rest.starts_with('#') {
        let mut depth = 0usize;
        let close = Punctuation::new(rest, 0).find_map(|(i, b)| {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                _ => return None,
            }
            (depth == 0).then_some(i)
        });
        let Some(close) = close else {
            return false;
        };
        rest = &rest[close + 1..];
        rest = &rest[first_code(rest, 0..rest.len())..];
    }
    let keyword = after_qualifiers(rest)
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next();
    matches!(keyword, Some("impl" | "trait" | "mod"))
}

/// Where the first code (not whitespace, not a comment) of `text[range]` starts; `range.end` when there is none.
fn first_code(text: &str, range: Range<usize>) -> usize {
    Tokens::new(&text[..range.end], range.start)
        .find(|t| {
            !matches!(
                t.class,
                Class::Whitespace | Class::LineComment | Class::BlockComment
            )
        })
        .map_or(range.end, |t| t.start)
}

/// [`item_region`] on the tree of a text, for the bytes `first..end` of that text.
fn item_in_tree(tree: &syntax::Tree, first: u32, end: u32) -> Option<Range<usize>> {
    let mut node = tree.covering_node(first..end);
    let container = loop {
        if ITEM_CONTAINERS.contains(&tree.node(node).kind) {
            break node;
        }
        let parent = tree.node(node).parent?;
        if ITEM_CONTAINERS.contains(&tree.node(parent).kind) {
            break parent;
        }
        node = parent;
    };
    let children: Vec<syntax::NodeId> = (tree.node(container).children.iter().copied())
        .filter(|&c| !tree.is_leaf(c) || tree.node(c).kind.ends_with("comment"))
        .collect();
    let overlaps = |c: syntax::NodeId| {
        let span = &tree.node(c).span;
        span.start <= end && first < span.end.max(span.start + 1)
    };
    let mut i = children.iter().position(|&c| overlaps(c))?;
    let mut j = children.iter().rposition(|&c| overlaps(c))?;
    let attached = |c: syntax::NodeId| {
        let kind = tree.node(c).kind;
        kind == "attribute_item" || kind == "line_comment" || kind == "block_comment"
    };
    while i > 0 && attached(children[i - 1]) {
        i -= 1;
    }
    while j + 1 < children.len() && attached(children[j]) {
        j += 1;
    }
    let (start, stop) = (
        tree.node(children[i]).span.start,
        tree.node(children[j]).span.end,
    );
    Some(start as usize..stop as usize)
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

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"//! A file with items at every depth.
use std::fmt;

/// A struct.
#[derive(Debug)]
pub struct Point {
    pub x: i32,
    y: i32,
}

static ORIGIN: Point = Point { x: 0, y: 0 };

impl fmt::Display for Point {
    /// Formats.
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }

    // A comment with a brace } in it.
    const ZERO: i32 = 0;
}

pub(crate) trait Shape {
    type Unit;
    fn area(&self) -> f64;
    fn name(&self) -> &str {
        "shape"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Point {
        #[allow(dead_code)]
        fn new(x: i32, y: i32) -> Self {
            Point { x, y }
        }

        const ONE: Point = Point { x: 1, y: 1 };
    }

    check!(
        origin_is_zero,
        [ORIGIN.x, 0],
        [ORIGIN.y, 0]
    );

    #[test]
    fn origin() {
        assert_eq!(ORIGIN.x, 0);
    }
}
"#;

    fn whole(text: &str, index: &LineIndex, lines: Range<u32>) -> Option<Range<usize>> {
        let first = index.start_of(lines.start).min(text.len());
        let end = index.start_of(lines.end).saturating_sub(1).max(first);
        let (chunk, _) = top_level_chunk(text, first, end);
        match items_in(&parse(&text[chunk.clone()]).tree, chunk, first, end) {
            Items::Found((items, _)) => Some(items),
            _ => None,
        }
    }

    fn found(text: &str, index: &LineIndex, lines: Range<u32>, max: u32) -> Items {
        item_region(text, index, lines, max, &mut Parses::new())
    }

    /// Narrowing to the body of an `impl`, `trait` or `mod` is only a speed-up: every line range of the file
    /// gets the items that the top-level item's syntax tree gives. One difference, on purpose: an item macro
    /// `m!(..);` keeps its `;` (the Reference's MacroInvocationSemi), which a `mod` body's tree leaves out.
    #[test]
    fn narrowed_item_regions_equal_the_top_level_ones() {
        let index = LineIndex::new(FILE);
        let n = index.count();
        let mut macro_semis = 0;
        for start in 1..=n {
            for len in 1..=3 {
                let lines = start..(start + len).min(n + 1);
                let narrowed = match found(FILE, &index, lines.clone(), u32::MAX) {
                    Items::Found((items, parsed)) => {
                        assert!(parsed.start <= items.start && items.end <= parsed.end);
                        Some(items)
                    }
                    _ => None,
                };
                let top = whole(FILE, &index, lines.clone());
                if let (Some(a), Some(b)) = (&narrowed, &top)
                    && a.start == b.start
                    && &FILE[b.end..a.end] == ";"
                    && FILE[b.clone()].starts_with("check!")
                {
                    macro_semis += 1;
                    continue;
                }
                assert_eq!(narrowed, top, "lines {lines:?}");
            }
        }
        assert!(macro_semis > 0);
    }

    /// The run parsed for a line in a method's attribute is the method's run of the `impl` body, not the
    /// `impl`; in a trait, the item alone; on the `impl` header, no body holds the line.
    #[test]
    fn a_line_in_an_impl_body_parses_only_the_items_around_it() {
        let index = LineIndex::new(FILE);
        let line = |needle: &str| FILE.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;
        let at = |l: u32| {
            let first = index.start_of(l);
            let end = index.start_of(l + 1) - 1;
            (first, end, top_level_chunk(FILE, first, end).0)
        };
        let (first, end, chunk) = at(line("#[inline]"));
        let Body::Run(run) = declaration_run(FILE, chunk, first, end) else {
            panic!("the line is in a body");
        };
        assert!(FILE[run.clone()].trim_start().starts_with("/// Formats."));
        assert!(FILE[run].trim_end().ends_with("self.y)\n    }"));
        let (first, end, chunk) = at(line("#[allow(dead_code)]"));
        let Body::Run(run) = declaration_run(FILE, chunk, first, end) else {
            panic!("the line is in a body");
        };
        assert!(FILE[run].trim().starts_with("#[allow(dead_code)]"));
        let (first, end, chunk) = at(line("type Unit;"));
        let Body::Run(run) = declaration_run(FILE, chunk, first, end) else {
            panic!("the line is in a body");
        };
        assert!(FILE[run].trim().starts_with("type Unit;"));
        let (first, end, chunk) = at(line("impl fmt::Display"));
        assert_eq!(declaration_run(FILE, chunk, first, end), Body::Outside);
        // The `impl`'s own closing brace.
        let close = line("const ZERO") + 1;
        let (first, end, chunk) = at(close);
        assert_eq!(
            declaration_run(FILE, chunk, first, end),
            Body::Crossing,
            "{close}"
        );
    }

    /// A top-level item over the limit is skipped unparsed, with its length from its attribute on; a
    /// method of an `impl` over the limit is not, and the parse that found it is kept for its diff.
    #[test]
    fn items_over_the_limit_are_not_parsed() {
        let index = LineIndex::new(FILE);
        let line = |needle: &str| FILE.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;
        let x = line("pub x: i32");
        assert_eq!(found(FILE, &index, x..x + 1, 4), Items::TooLong(5));
        assert!(matches!(found(FILE, &index, x..x + 1, 5), Items::Found(_)));
        let inline = line("#[inline]");
        let mut parses = Parses::new();
        let Items::Found((items, parsed)) =
            item_region(FILE, &index, inline..inline + 1, 5, &mut parses)
        else {
            panic!("the method's items are found");
        };
        assert!(FILE[items].starts_with("#[inline]"));
        assert!(parses.contains_key(&parsed));
    }

    /// An edit in an item outside any function is reported at its own line, though the parse it came from
    /// starts on the line before (after the previous item's `}`).
    #[test]
    fn edits_in_items_keep_their_lines() {
        let after = FILE.replace("    const ZERO: i32 = 0;", "    const ZERO: i64 = 0;");
        let line = FILE.lines().position(|l| l.contains("const ZERO")).unwrap() as u32 + 1;
        let hunk = Hunk {
            before_start: line,
            before_len: 1,
            after_start: line,
            after_len: 1,
        };
        let found = extract_file_edits(FILE, &after, &[hunk], &ExtractConfig::default());
        assert_eq!(found.skipped, vec![]);
        let edit = &found.edits[0];
        assert_eq!(
            (edit.line, &*edit.before, &*edit.after),
            (line, "i32", "i64")
        );
    }

    /// An `impl` in a macro's body is tokens to the tree, not items: no run is taken from it.
    #[test]
    fn bodies_inside_macros_are_not_narrowed() {
        let text = "macro_rules! m {\n    ($t:ident) => {\n        impl $t {\n            /// Doc.\n            \
                    const N: u8 = 1;\n        }\n    };\n}\n";
        let index = LineIndex::new(text);
        let first = index.start_of(5);
        let end = index.start_of(6) - 1;
        let (chunk, _) = top_level_chunk(text, first, end);
        assert_eq!(declaration_run(text, chunk, first, end), Body::Outside);
    }
}
