//! Sequence alignment for children lists: a longest common subsequence (recovery pairs children in order)
//! and a longest increasing subsequence (the edit script finds reordered siblings).
//!
//! Why a plain dynamic-programming LCS and not Myers: the lists aligned here are the *unmatched* children of
//! one node pair, usually a handful of items, so the table is tiny. Long lists (a 5,000-element array
//! literal) are the exception, and for them the table is not built at all: only the common prefix and suffix
//! are paired, which is linear and is what a line diff would find first anyway.

/// Pairs `(i, j)` of a longest common subsequence of two sequences of lengths `n` and `m` under `eq`, in
/// increasing order. When the middle left after trimming the common prefix and suffix needs more than
/// `max_cells` table cells, only the prefix and suffix are paired.
pub(crate) fn lcs(
    n: usize,
    m: usize,
    max_cells: usize,
    mut eq: impl FnMut(usize, usize) -> bool,
) -> Vec<(usize, usize)> {
    let mut prefix = 0;
    while prefix < n && prefix < m && eq(prefix, prefix) {
        prefix += 1;
    }
    let mut suffix = 0;
    while suffix < n - prefix && suffix < m - prefix && eq(n - 1 - suffix, m - 1 - suffix) {
        suffix += 1;
    }
    let mut pairs: Vec<(usize, usize)> = (0..prefix).map(|i| (i, i)).collect();
    let (rows, cols) = (n - prefix - suffix, m - prefix - suffix);
    if rows > 0 && cols > 0 && rows.saturating_mul(cols) <= max_cells {
        // Evaluate `eq` once per cell: it may be more than a comparison of two integers.
        let same: Vec<bool> = (0..rows * cols)
            .map(|k| eq(prefix + k / cols, prefix + k % cols))
            .collect();
        // table[i][j] = length of an LCS of the suffixes starting at i and j.
        let width = cols + 1;
        let mut table = vec![0u32; (rows + 1) * width];
        for i in (0..rows).rev() {
            for j in (0..cols).rev() {
                table[i * width + j] = if same[i * cols + j] {
                    table[(i + 1) * width + j + 1] + 1
                } else {
                    table[(i + 1) * width + j].max(table[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < rows && j < cols {
            if same[i * cols + j] {
                pairs.push((prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if table[(i + 1) * width + j] >= table[i * width + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    pairs.extend((0..suffix).rev().map(|k| (n - 1 - k, m - 1 - k)));
    pairs
}

/// Positions of a longest strictly increasing subsequence of `keys`, in increasing order.
pub(crate) fn longest_increasing(keys: &[u32]) -> Vec<usize> {
    // tails[l] = position of the smallest tail of an increasing subsequence of length l + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; keys.len()];
    for (pos, &key) in keys.iter().enumerate() {
        let len = tails.partition_point(|&t| keys[t] < key);
        previous[pos] = len.checked_sub(1).map(|l| tails[l]);
        if len == tails.len() {
            tails.push(pos);
        } else {
            tails[len] = pos;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied();
    while let Some(pos) = cur {
        out.push(pos);
        cur = previous[pos];
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcs_str(a: &str, b: &str, max_cells: usize) -> String {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        lcs(a.len(), b.len(), max_cells, |i, j| a[i] == b[j])
            .into_iter()
            .map(|(i, _)| a[i])
            .collect()
    }

    #[test]
    fn lcs_finds_the_common_subsequence() {
        assert_eq!(lcs_str("abcbdab", "bdcaba", 1000), "bdab");
        assert_eq!(lcs_str("xaby", "xcdy", 1000), "xy");
        assert_eq!(lcs_str("", "abc", 1000), "");
        // Over the cell budget only prefix and suffix are paired.
        assert_eq!(lcs_str("xabcy", "xcbay", 1), "xy");
    }

    #[test]
    fn longest_increasing_subsequence() {
        assert_eq!(longest_increasing(&[3, 1, 2, 5, 4]), vec![1, 2, 4]);
        assert_eq!(longest_increasing(&[]), Vec::<usize>::new());
        assert_eq!(longest_increasing(&[1, 2, 3]), vec![0, 1, 2]);
    }
}
