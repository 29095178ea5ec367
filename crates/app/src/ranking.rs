//! A pattern's track record on pull requests, as evidence for the confidence model.
//!
//! Every fix suture proposes on a pull request is recorded with its pattern; when the pull request closes,
//! the fix counts as merged or closed. Those counts are evidence about the pattern, and like all evidence
//! they go into the one confidence model (`engine::confidence`), which does a Beta update of its own
//! estimate with them. This module only turns the store's records into the model's input, so that
//! `suture serve` and `suture pr` hand the same evidence to the same model.

use std::collections::HashMap;

use engine::Outcomes;
use store::server::PatternStats;

/// Merged / closed counts per pattern id, for [`engine::FixConfig::outcomes`].
pub fn outcomes(stats: &[PatternStats]) -> HashMap<String, Outcomes> {
    stats
        .iter()
        .map(|s| {
            (
                s.pattern.clone(),
                Outcomes {
                    merged: u32::try_from(s.merged).unwrap_or(u32::MAX),
                    closed: u32::try_from(s.closed).unwrap_or(u32::MAX),
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_outcomes_by_pattern() {
        let stats = [PatternStats {
            pattern: "p".to_owned(),
            proposed: 5,
            merged: 3,
            closed: 1,
        }];
        let o = outcomes(&stats);
        assert_eq!(
            o["p"],
            Outcomes {
                merged: 3,
                closed: 1
            }
        );
        assert!(!o.contains_key("q"));
    }
}
