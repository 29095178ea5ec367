//! Calibration: turning a raw ranking score into a confidence that means what it says.
//!
//! A pattern's score (prevalence × specialisation, times where the match is) ranks candidates well, but a score
//! of 0.6 does not mean that 60% of such candidates are the fix a human would write. `suture eval` measures
//! exactly that: for every hunk after a split, whether the top candidate reproduced the human edit. From those
//! (score, correct) samples we fit Platt scaling on the log score,
//! `confidence = 1 / (1 + exp(-(a · ln score + b)))`, with Platt's smoothed targets so that a handful of
//! samples cannot push a confidence to 0 or 1. The map is monotone when `a > 0`, so it never changes a ranking;
//! it only changes what the numbers mean, and therefore which fixes clear a confidence threshold.

use serde::{Deserialize, Serialize};

/// The fitted map from raw score to confidence, with where it was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub a: f64,
    pub b: f64,
    /// What the map was fitted on (repositories, commits, sample counts), for provenance.
    #[serde(default)]
    pub fitted_on: Vec<String>,
}

/// One evaluated top-1 candidate: its raw score and whether it reproduced the human fix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub score: f64,
    pub correct: bool,
}

/// One bucket of a reliability table: samples whose confidence falls in `[low, high)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub low: f64,
    pub high: f64,
    pub n: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
}

/// Scores at or below this are treated as this (the log of 0 is not a feature).
const FLOOR: f64 = 1e-4;

impl Calibration {
    /// The confidence of a candidate with this raw score.
    pub fn apply(&self, score: f64) -> f64 {
        let x = score.max(FLOOR).ln();
        1.0 / (1.0 + (-(self.a * x + self.b)).exp())
    }
}

/// Fits Platt scaling to `samples` by Newton's method on the log loss (with a small ridge on `a` and `b`, so
/// that separable or one-sided samples still give a finite, monotone map). Returns `None` without samples.
pub fn fit(samples: &[Sample]) -> Option<Calibration> {
    if samples.is_empty() {
        return None;
    }
    let positives = samples.iter().filter(|s| s.correct).count() as f64;
    let negatives = samples.len() as f64 - positives;
    // Platt's targets: the label, pulled towards the prior by one pseudo-sample each way.
    let t_pos = (positives + 1.0) / (positives + 2.0);
    let t_neg = 1.0 / (negatives + 2.0);
    let xs: Vec<(f64, f64)> = samples
        .iter()
        .map(|s| {
            let t = if s.correct { t_pos } else { t_neg };
            (s.score.max(FLOOR).ln(), t)
        })
        .collect();
    let ridge = 1e-3;
    // The penalised log loss; every Newton step is halved until it lowers it (plain Newton overshoots when
    // the scores sit far from 1 in log space, as mined scores do).
    let loss = |a: f64, b: f64| -> f64 {
        let data: f64 = xs
            .iter()
            .map(|&(x, t)| {
                let z = a * x + b;
                // log(1 + e^z) - t z, computed stably.
                let softplus = if z > 0.0 {
                    z + (-z).exp().ln_1p()
                } else {
                    z.exp().ln_1p()
                };
                softplus - t * z
            })
            .sum();
        data + ridge / 2.0 * (a * a + b * b)
    };
    let (mut a, mut b) = (1.0, 0.0);
    let mut current = loss(a, b);
    for _ in 0..200 {
        let (mut ga, mut gb) = (ridge * a, ridge * b);
        let (mut haa, mut hab, mut hbb) = (ridge, 0.0, ridge);
        for &(x, t) in &xs {
            let p = 1.0 / (1.0 + (-(a * x + b)).exp());
            let d = p - t;
            ga += d * x;
            gb += d;
            let w = (p * (1.0 - p)).max(1e-12);
            haa += w * x * x;
            hab += w * x;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let next = loss(na, nb);
            if next <= current {
                (a, b, current) = (na, nb, next);
                improved = true;
                break;
            }
            step /= 2.0;
        }
        if !improved || (step * da).abs() < 1e-10 && (step * db).abs() < 1e-10 {
            break;
        }
    }
    Some(Calibration {
        a,
        b,
        fitted_on: Vec::new(),
    })
}

/// The reliability table of `samples` under `confidence` (ten equal-width buckets) and its expected
/// calibration error: the sample-weighted mean gap between confidence and accuracy.
pub fn reliability(samples: &[Sample], confidence: impl Fn(f64) -> f64) -> (Vec<Bucket>, f64) {
    let scored: Vec<(f64, bool)> = samples
        .iter()
        .map(|s| (confidence(s.score), s.correct))
        .collect();
    let buckets: Vec<Bucket> = (0..10)
        .map(|b| {
            let (low, high) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
            let inside: Vec<&(f64, bool)> = scored
                .iter()
                .filter(|(c, _)| *c >= low && (*c < high || (b == 9 && *c <= 1.0)))
                .collect();
            let n = inside.len();
            let mean = |f: &dyn Fn(&(f64, bool)) -> f64| {
                if n == 0 {
                    0.0
                } else {
                    inside.iter().map(|s| f(s)).sum::<f64>() / n as f64
                }
            };
            Bucket {
                low,
                high,
                n,
                mean_confidence: mean(&|s| s.0),
                accuracy: mean(&|s| if s.1 { 1.0 } else { 0.0 }),
            }
        })
        .collect();
    let total = scored.len().max(1) as f64;
    let ece = buckets
        .iter()
        .map(|b| b.n as f64 / total * (b.accuracy - b.mean_confidence).abs())
        .sum();
    (buckets, ece)
}
