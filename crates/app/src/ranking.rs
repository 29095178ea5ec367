//! How a pattern's track record on pull requests feeds the confidence suture shows for its fixes.
//!
//! Every fix suture proposes on a pull request is recorded with its pattern; when the pull request closes,
//! the fix counts as merged or closed. A pattern whose suggestions keep being merged should rank higher than
//! one whose suggestions are closed unmerged. We use the posterior mean of a Beta(1, 1) prior (Laplace's
//! rule of succession), `a = (merged + 1) / (merged + closed + 2)`, instead of the raw rate: a pattern with
//! one merged fix is not certain, and a pattern with no record keeps its mined confidence (`a = 1/2` gives a
//! factor of exactly 1). The adjusted confidence is `clamp(confidence × 2a, 0, 1)`. Both `suture serve` and
//! `suture pr` rank with this one function, so a pattern's history means the same thing everywhere.

use store::server::PatternStats;

/// The posterior acceptance rate of a pattern: `(merged + 1) / (merged + closed + 2)`, `1/2` with no record.
pub fn acceptance(stats: Option<&PatternStats>) -> f64 {
    let (merged, closed) = stats.map_or((0, 0), |s| (s.merged, s.closed));
    (merged as f64 + 1.0) / ((merged + closed) as f64 + 2.0)
}

/// A fix's confidence adjusted by its pattern's acceptance: `clamp(confidence × 2a, 0, 1)`.
pub fn adjust(confidence: f64, stats: Option<&PatternStats>) -> f64 {
    (confidence * 2.0 * acceptance(stats)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(merged: u64, closed: u64) -> PatternStats {
        PatternStats {
            pattern: "p".to_owned(),
            proposed: merged + closed,
            merged,
            closed,
        }
    }

    #[test]
    fn no_record_leaves_confidence_unchanged() {
        assert_eq!(adjust(0.6, None), 0.6);
        assert_eq!(adjust(0.6, Some(&stats(0, 0))), 0.6);
    }

    #[test]
    fn merges_raise_and_closes_lower() {
        // 3 merged, 0 closed: a = 4/5, factor 1.6.
        assert!((adjust(0.5, Some(&stats(3, 0))) - 0.8).abs() < 1e-12);
        // 0 merged, 2 closed: a = 1/4, factor 0.5.
        assert!((adjust(0.8, Some(&stats(0, 2))) - 0.4).abs() < 1e-12);
        // Equal records cancel out.
        assert!((adjust(0.7, Some(&stats(5, 5))) - 0.7).abs() < 1e-12);
    }

    #[test]
    fn result_stays_in_unit_interval() {
        assert_eq!(adjust(0.9, Some(&stats(100, 0))), 1.0);
        assert_eq!(adjust(0.0, Some(&stats(100, 0))), 0.0);
        assert!(adjust(1.0, Some(&stats(0, 1000))) > 0.0);
    }
}
