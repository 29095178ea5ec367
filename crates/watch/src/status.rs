//! Whether a group needs attention: `new`, `escalating`, `regressed` or `steady`.
//!
//! The escalation rule follows Sentry's escalating-issues forecast: a group escalates when its count in
//! the latest hour beats a *spike limit* computed from its own hourly counts over the week before, `mean +
//! 5σ`, kept between `5 × mean` and `8 × mean` so that a perfectly regular group (σ = 0) is not flagged for
//! one event more and a noisy one is not excused forever. Sentry's limits have no floor because they
//! apply to issues that already exist; here a quiet group (a few events a day) would otherwise escalate on
//! its third event in an hour, so the limit is never below [`Rule::floor`] events. Hours before the group
//! was first seen do not count (a group younger than a week is compared with its own life so far), hours
//! after it with no event count as zero.
//!
//! The window is the clock hour holding "now", which the caller chooses: the newest event of the logs
//! (so a log replayed next month reads the same), or a `--now` flag. Precedence: `regressed` (an event after
//! a fix of the group was recorded), then `new` (first seen inside the window), then `escalating`, else
//! `steady`.

use serde::Serialize;

pub const HOUR: i64 = 3600;

/// The parameters of the rule, with Sentry's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rule {
    /// Hourly buckets the baseline looks back over (a week).
    pub baseline_hours: i64,
    /// The σ multiplier of the spike limit.
    pub std_multiplier: f64,
    /// The limit is at least this many times the mean…
    pub min_mean_multiplier: f64,
    /// …and at most this many times the mean (but never below the floor).
    pub max_mean_multiplier: f64,
    /// The limit is never below this many events in the window.
    pub floor: f64,
}

impl Default for Rule {
    fn default() -> Rule {
        Rule {
            baseline_hours: 7 * 24,
            std_multiplier: 5.0,
            min_mean_multiplier: 5.0,
            max_mean_multiplier: 8.0,
            floor: 10.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    New,
    Escalating,
    Regressed,
    Steady,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Escalating => "escalating",
            Status::Regressed => "regressed",
            Status::Steady => "steady",
        }
    }
}

/// A group's baseline and its window, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    /// Events in the window (the clock hour holding now).
    pub window: u64,
    /// Hours the baseline covers (0 when the group was first seen inside the window).
    pub hours: i64,
    pub mean: f64,
    pub std: f64,
    /// The count the window must exceed to escalate.
    pub limit: f64,
}

/// `counts` are `(hour, events)` with `hour = seconds.div_euclid(3600)`, in any order, one entry per hour
/// or several (they are summed); `first_seen` is the group's first event ever (seconds).
pub fn baseline(rule: &Rule, counts: &[(i64, u64)], first_seen: i64, now: i64) -> Baseline {
    let window_hour = now.div_euclid(HOUR);
    let start = (window_hour - rule.baseline_hours).max(first_seen.div_euclid(HOUR));
    let hours = (window_hour - start).max(0);
    let mut window = 0;
    let mut buckets = vec![0u64; usize::try_from(hours).unwrap_or(0)];
    for &(hour, n) in counts {
        if hour == window_hour {
            window += n;
        } else if (start..window_hour).contains(&hour) {
            buckets[usize::try_from(hour - start).unwrap_or(0)] += n;
        }
    }
    let (mean, std) = if buckets.is_empty() {
        (0.0, 0.0)
    } else {
        let n = buckets.len() as f64;
        let mean = buckets.iter().map(|&c| c as f64).sum::<f64>() / n;
        let var = buckets
            .iter()
            .map(|&c| (c as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    };
    let lower = (rule.min_mean_multiplier * mean).max(rule.floor);
    let upper = (rule.max_mean_multiplier * mean).max(rule.floor);
    let limit = (mean + rule.std_multiplier * std).clamp(lower, upper);
    Baseline {
        window,
        hours,
        mean,
        std,
        limit,
    }
}

/// The status of a group: `last_fix` is when a fix of it was last recorded as applied or merged.
pub fn status(
    rule: &Rule,
    counts: &[(i64, u64)],
    first_seen: i64,
    last_seen: i64,
    last_fix: Option<i64>,
    now: i64,
) -> (Status, Baseline) {
    let baseline = baseline(rule, counts, first_seen, now);
    let status = if last_fix.is_some_and(|fix| last_seen > fix) {
        Status::Regressed
    } else if first_seen.div_euclid(HOUR) >= now.div_euclid(HOUR) {
        Status::New
    } else if baseline.window as f64 > baseline.limit {
        Status::Escalating
    } else {
        Status::Steady
    };
    (status, baseline)
}
