//! Text patches: splicing replacements into a file, choosing among overlapping fixes, and unified diffs.
//!
//! A fix replaces one byte range of a file and nothing else, so everything outside the range (formatting,
//! comments, indentation) stays exactly as it was. That makes patching pure text work: this crate knows
//! nothing of syntax, and the caller re-parses the result.
//!
//! Choices made here: overlapping candidates are resolved greedily by rank (the best wins; the others are
//! reported with the fix they lost to), which is what a reviewer expects and is optimal for the common case of
//! nested matches. Diffs are `similar`'s unified format, the one `git apply` and `patch -p1` read.

use std::ops::Range;

/// Replace `range` (bytes of the original text) with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: Range<usize>,
    pub replacement: String,
}

/// Applies non-overlapping edits to `text`. Edits may come in any order.
///
/// Panics if two edits overlap or an edit is out of bounds: callers choose edits with [`choose`] first.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        assert!(
            edit.range.start >= at,
            "overlapping edits at byte {}",
            edit.range.start
        );
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.replacement);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether two byte ranges share at least one byte, or are the same empty position.
pub fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    (a.start < b.end && b.start < a.end) || (a.is_empty() && a == b)
}

/// The outcome of [`choose`] for one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Kept,
    /// Lost to the candidate at this index, which overlaps it and ranks higher.
    LostTo(usize),
}

/// Chooses non-overlapping candidates greedily in rank order. `order` lists candidate indices best first;
/// `range_of(i)` is candidate `i`'s range. Returns one [`Choice`] per candidate, indexed like `range_of`.
pub fn choose(n: usize, order: &[usize], range_of: impl Fn(usize) -> Range<usize>) -> Vec<Choice> {
    let mut choices = vec![Choice::Kept; n];
    let mut kept: Vec<usize> = Vec::new();
    for &i in order {
        let range = range_of(i);
        match kept.iter().find(|&&k| overlaps(&range_of(k), &range)) {
            Some(&k) => choices[i] = Choice::LostTo(k),
            None => kept.push(i),
        }
    }
    choices
}

/// The indentation (spaces and tabs) at the start of the line that holds byte `at`.
pub fn indentation_at(text: &str, at: usize) -> &str {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// A unified diff of one file, with `a/` and `b/` prefixes and 3 lines of context; empty when equal.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// The unified diff of one edit alone, computed on the lines it touches plus 3 lines of context, so that its
/// cost does not depend on the size of the file. Equal to [`unified_diff`] of the text before and after the edit.
pub fn edit_diff(path: &str, text: &str, edit: &TextEdit) -> String {
    const CONTEXT: usize = 3;
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    // The whole lines the edit touches.
    let start = line_start(edit.range.start);
    let end = if edit.range.end > edit.range.start && text[..edit.range.end].ends_with('\n') {
        edit.range.end
    } else {
        line_end(edit.range.end)
    };
    let old = &text[start..end];
    let new = format!(
        "{}{}{}",
        &text[start..edit.range.start],
        edit.replacement,
        &text[edit.range.end..end]
    );
    if old == new {
        return String::new();
    }
    let mut before_lines: Vec<&str> = text[..start].split_inclusive('\n').collect();
    let before_ctx: Vec<&str> = before_lines.split_off(before_lines.len().saturating_sub(CONTEXT));
    let after_ctx: Vec<&str> = text[end..].split_inclusive('\n').take(CONTEXT).collect();
    let first_line = before_lines.len() + 1;
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let old_len = before_ctx.len() + old_lines.len() + after_ctx.len();
    let new_len = before_ctx.len() + new_lines.len() + after_ctx.len();
    let mut out = format!(
        "--- a/{path}\n+++ b/{path}\n@@ -{first_line},{old_len} +{first_line},{new_len} @@\n"
    );
    let mut push = |mark: char, line: &str| {
        out.push(mark);
        out.push_str(line);
        if !line.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    before_ctx.iter().for_each(|l| push(' ', l));
    old_lines.iter().for_each(|l| push('-', l));
    new_lines.iter().for_each(|l| push('+', l));
    after_ctx.iter().for_each(|l| push(' ', l));
    out
}
