//! Reading a pull request file's `patch` (unified diff hunks): which lines of the new side a review
//! comment may be attached to.
//!
//! GitHub only accepts review comments on lines that appear in the diff; a suggestion must sit on the
//! RIGHT side (added or context lines), and a multi-line one must stay inside one hunk. The `patch`
//! field holds only hunks (`@@ -a,b +c,d @@` headers and their lines), no file headers.

use std::collections::BTreeSet;

use crate::ChangedFile;

/// One line of a hunk, seen from the new side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Added(u32),
    Context(u32),
    Deleted,
}

impl ChangedFile {
    /// New-side line numbers of the lines this change added (`+` lines).
    pub fn added_lines(&self) -> Vec<u32> {
        self.hunks()
            .into_iter()
            .flatten()
            .filter_map(|line| match line {
                Line::Added(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    /// New-side line numbers that appear in the diff: added and context lines, never deleted ones.
    pub fn new_side_lines(&self) -> BTreeSet<u32> {
        self.new_side_hunks().into_iter().flatten().collect()
    }

    /// The new-side lines of each hunk separately (a multi-line comment must stay inside one).
    pub(crate) fn new_side_hunks(&self) -> Vec<BTreeSet<u32>> {
        self.hunks()
            .into_iter()
            .map(|hunk| {
                hunk.into_iter()
                    .filter_map(|line| match line {
                        Line::Added(n) | Line::Context(n) => Some(n),
                        Line::Deleted => None,
                    })
                    .collect()
            })
            .collect()
    }

    /// Whether every line of `start..=end` (new side) is an added or context line of one hunk.
    pub(crate) fn can_comment_on(&self, start: u32, end: u32) -> bool {
        start >= 1
            && start <= end
            && self
                .new_side_hunks()
                .iter()
                .any(|hunk| (start..=end).all(|n| hunk.contains(&n)))
    }

    fn hunks(&self) -> Vec<Vec<Line>> {
        let Some(patch) = &self.patch else {
            return Vec::new();
        };
        let mut hunks: Vec<Vec<Line>> = Vec::new();
        // `None` until the first hunk header: nothing before it can be numbered.
        let mut next_new: Option<u32> = None;
        for text in patch.lines() {
            if let Some(header) = text.strip_prefix("@@") {
                next_new = new_start(header);
                hunks.push(Vec::new());
                continue;
            }
            let (Some(n), Some(hunk)) = (next_new, hunks.last_mut()) else {
                continue;
            };
            match text.as_bytes().first() {
                Some(b'+') => {
                    hunk.push(Line::Added(n));
                    next_new = Some(n + 1);
                }
                Some(b'-') => hunk.push(Line::Deleted),
                // "\ No newline at end of file" belongs to the previous line and takes no number.
                Some(b'\\') => {}
                // A context line starts with a space; an empty line is a context line whose space was
                // trimmed by some tool.
                _ => {
                    hunk.push(Line::Context(n));
                    next_new = Some(n + 1);
                }
            }
        }
        hunks
    }
}

/// The new-side start line of a hunk header ` -a,b +c,d @@ …`: `c`. `+0,0` (a deleted file) starts
/// nowhere, but then the hunk has no new-side lines anyway.
fn new_start(header: &str) -> Option<u32> {
    let plus = header
        .split_whitespace()
        .find(|part| part.starts_with('+'))?;
    let start = plus[1..].split(',').next()?;
    start.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(patch: &str) -> ChangedFile {
        ChangedFile {
            filename: "src/lib.rs".into(),
            status: "modified".into(),
            patch: Some(patch.into()),
        }
    }

    #[test]
    fn lines_of_two_hunks() {
        let f = file(
            "@@ -1,3 +1,4 @@\n fn a() {\n-    old();\n+    new();\n+    more();\n }\n@@ -10,2 +11,2 @@ fn b() {\n-    x\n+    y\n\\ No newline at end of file\n",
        );
        assert_eq!(f.added_lines(), vec![2, 3, 11]);
        assert_eq!(
            f.new_side_lines().into_iter().collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 11]
        );
        assert!(f.can_comment_on(2, 4));
        // 4 and 11 are in different hunks; 5 is not in the diff at all.
        assert!(!f.can_comment_on(4, 11));
        assert!(!f.can_comment_on(5, 5));
        assert!(!f.can_comment_on(3, 2));
    }

    #[test]
    fn no_patch_means_no_lines() {
        let f = ChangedFile {
            filename: "a.png".into(),
            status: "added".into(),
            patch: None,
        };
        assert!(f.new_side_lines().is_empty());
        assert!(!f.can_comment_on(1, 1));
    }

    #[test]
    fn deleted_file_has_no_new_side() {
        let f = file("@@ -1,2 +0,0 @@\n-a\n-b\n");
        assert!(f.new_side_lines().is_empty());
        assert!(f.added_lines().is_empty());
    }
}
