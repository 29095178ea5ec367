//! From one changed file (before text, after text, line hunks) to concrete edits.
//!
//! Parsing is the floor of mining: parsing both versions of every changed file would cost 15–20× `git log -p`.
//! So only what the hunks need is parsed: the function around each small hunk, found by a cheap textual scan
//! (an `fn` header above the hunk, then brace matching). A hunk outside any function (an item, a signature
//! the scan misses, a field, an attribute, a `use` tree, an `impl` header) is placed on the syntax tree of the
//! whole file instead, parsed once per file and only for such hunks: its region is the item around it, with
//! its attributes ([`item_region`]). A hunk in a region that does not parse cleanly, in an item over
//! [`ExtractConfig::max_item_lines`], or too large to be a reusable fix is skipped with its reason, never
//! silently. Everything else is GumTree-diffed per region pair.

use std::ops::Range;

use git::Hunk;
use syntax::parse;
use syntax::scan::{LineIndex, Punctuation, brace_pairs, enclosing_function};
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
                let regions = (
                    item_region(before, &before_lines, b_lines),
                    item_region(after, &after_lines, a_lines),
                );
                let (Some(b_item), Some(a_item)) = regions else {
                    out.skipped
                        .push((line, "hunk is outside any item".to_owned()));
                    continue;
                };
                let lines = before_lines.line_of(b_item.end.saturating_sub(1))
                    - before_lines.line_of(b_item.start)
                    + 1;
                if lines > config.max_item_lines {
                    let limit = config.max_item_lines;
                    out.skipped.push((
                        line,
                        format!("hunk is in an item of {lines} lines, over the {limit}-line limit"),
                    ));
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
                before,
                after,
                &before_lines,
                &after_lines,
                &regions,
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
    before: &str,
    after: &str,
    before_lines: &LineIndex,
    after_lines: &LineIndex,
    regions: &(Region, Region),
    hunks: &[&Hunk],
    config: &ExtractConfig,
) -> Found {
    let (b_region, a_region) = regions;
    let is_block = b_region.is_block() || a_region.is_block();
    let (b_offset, b_parse) = b_region.parse(before);
    let (a_offset, a_parse) = a_region.parse(after);
    let line0 = before_lines.line_of(b_region.range.start);
    let a_line0 = after_lines.line_of(a_region.range.start);
    let mut out = FileEdits::default();
    // Over the depth budget a wider region only nests deeper: skipped with the reason at once.
    let too_deep = [("before", &b_parse, line0), ("after", &a_parse, a_line0)]
        .into_iter()
        .find_map(|(side, p, first)| p.too_deep.map(|d| (side, d, first)));
    if let Some((side, too_deep, first)) = too_deep {
        out.skipped.push((
            line0,
            format!(
                "code nested too deep in the {side} version: deeper than {} levels at line {}",
                too_deep.limit,
                first + too_deep.line - 1
            ),
        ));
        return Found::Edits(out);
    }
    if let Some(e) = b_parse.errors.first().or(a_parse.errors.first()) {
        if is_block {
            return Found::ParseErrors;
        }
        let side = if b_parse.errors.is_empty() {
            "after"
        } else {
            "before"
        };
        out.skipped.push((
            line0 + e.line - 1,
            format!("syntax error in the {side} version: {}", e.message),
        ));
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
                out.skipped.push((line0, reason));
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
                out.edits.push(ExtractedEdit {
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
#[derive(Debug, Clone, PartialEq, Eq)]
struct Region {
    /// Bytes of the file that are parsed.
    range: Range<usize>,
    /// What `range` holds, which decides the context it is parsed in.
    kind: RegionKind,
    /// The candidates, narrowest first: the statements around the hunk, then the enclosing blocks, then the
    /// function. A candidate that does not parse on its own (say, a match body) gives way to the next.
    ladder: Vec<(Range<usize>, RegionKind)>,
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
            kind: ladder[0].1,
            ladder,
        }
    }

    /// The items around a hunk outside any function: the only candidate.
    fn item(range: Range<usize>) -> Region {
        Region {
            range: range.clone(),
            kind: RegionKind::Item,
            ladder: vec![(range, RegionKind::Item)],
        }
    }

    /// The `level`-th candidate of the ladder (the function past its end).
    fn at_level(&self, level: usize) -> Region {
        let (range, kind) = self.ladder[level.min(self.ladder.len() - 1)].clone();
        Region {
            range,
            kind,
            ladder: self.ladder.clone(),
        }
    }

    fn is_block(&self) -> bool {
        matches!(self.kind, RegionKind::Statements | RegionKind::Block)
    }

    /// Parses the region; returns where the region's text starts in the parsed text, and the parse.
    fn parse(&self, text: &str) -> (u32, syntax::Parse) {
        let code = &text[self.range.clone()];
        match self.kind {
            RegionKind::Function | RegionKind::Item => (0, parse(code)),
            RegionKind::Block => (
                BLOCK_PREFIX.len() as u32,
                parse(&format!("{BLOCK_PREFIX}{code}")),
            ),
            RegionKind::Statements => (
                BLOCK_PREFIX.len() as u32 + 1,
                parse(&format!("{BLOCK_PREFIX}{{{code}\n}}")),
            ),
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

/// The byte range of the items around the 1-based `lines`, found on a syntax tree: the item (a child of the
/// file or of an `impl`/`trait`/`mod` body) that holds the lines, or the run of items they overlap, extended
/// over the attributes and doc comments before them and, when the run ends in an attribute, to the item it
/// belongs to. Parsed alone as a file, the range gives the same items back. `None` when the lines touch no
/// item (say, only whitespace between items).
///
/// Only the top-level items around the lines are parsed, not the whole file: they run from the `;` or `}` at
/// bracket depth 0 before the lines to the one after them, found by the lexer (comments and literals are not
/// code). Parsing whole files for these hunks made mining several times slower.
fn item_region(text: &str, index: &LineIndex, lines: Range<u32>) -> Option<Range<usize>> {
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
    let (mut depth, mut chunk_start, mut chunk_end) = (0usize, 0usize, text.len());
    for (i, b) in Punctuation::new(text, 0) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' | b';' => {
                if b == b'}' {
                    depth = depth.saturating_sub(1);
                }
                // `static S: T = T { .. };` ends at its `;`, not at the struct literal's `}`.
                let continues =
                    b == b'}' && text[i + 1..].trim_start().starts_with([';', ',', '.', ')']);
                if depth == 0 && !continues {
                    if i < first {
                        chunk_start = i + 1;
                    } else if i >= end {
                        chunk_end = i + 1;
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    let chunk = &text[chunk_start..chunk_end];
    let tree = parse(chunk).tree;
    let local = item_in_tree(
        &tree,
        (first - chunk_start) as u32,
        (end - chunk_start) as u32,
    )?;
    Some(local.start + chunk_start..local.end + chunk_start)
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
