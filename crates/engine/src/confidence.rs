//! The confidence model: all the evidence about one candidate fix in, one probability that it is right out.
//!
//! Why one model: a confidence used to be four different quantities (a calibrated score, a hand-written
//! prior, `c + (1 − c)/2` after validation, `× 2a` after PR outcomes), so no threshold meant one thing. Here
//! every piece of evidence is a step of one Bayesian update, and nothing outside this file does arithmetic
//! on confidences:
//!
//! 1. **Base rate** of the pattern, `P(right)` where it matches on a reported line: for a mined pattern the
//!    calibration map (Platt scaling fitted by `suture calibrate` on `suture eval` samples) of its score; for
//!    any pattern with a `measured` record in its file, the posterior mean of that record under a uniform
//!    prior, `(right + 1) / (proposed + 2)`; a hand-written pattern with no record is **unmeasured** and starts
//!    from the uniform prior's mean, ½, and says so wherever it is shown. A record made by `suture patterns
//!    measure` counted as right what compiled (`by = "check"`) or also passed the tests (`by = "test"`): it is
//!    already the rate given that validation, so that validation's ratio is not multiplied in again (step 2
//!    counts only what the local check adds beyond it).
//! 2. **Likelihood ratios**, multiplied into the odds: where the match is (a line a trace or a person pointed
//!    at, the same function, elsewhere), and how the fix validated (`cargo check` clean; the failing test and
//!    the suite pass). A fix that failed validation has probability 0: it is backed out, never shown.
//! 3. **Outcomes** of earlier fixes of the same pattern (merged / closed unmerged pull requests): a Beta
//!    update in which the probability of step 2 is worth [`Parameters::outcome_weight`] observations. The
//!    commits of a migration (a pattern with a `migration` record, learned from the team's own history) are
//!    merged outcomes too: each is the team making this change and keeping it.
//!
//! The parameters are data ([`Parameters`], `corpus/confidence.toml`), each with where its number comes from;
//! the ones no measurement supports yet say so. The raw score ([`RawScore`]) only ranks candidates of one
//! origin against each other; the probability is what gates and what is shown.

use std::collections::BTreeMap;

use pattern::{Effect, LibraryPattern, Measured, MeasuredBy, Origin};
use policy::Probability;
use serde::{Deserialize, Serialize};

use crate::Proximity;

/// A pattern's score times its location weight: orders candidates, means nothing as a number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct RawScore(f64);

impl RawScore {
    pub fn get(self) -> f64 {
        self.0
    }
}

/// How a candidate was checked before it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validation {
    /// Not checked beyond a strict re-parse: the fix may not compile.
    NotRun,
    /// A check failed: the fix is backed out.
    Failed,
    /// `cargo check` (or the configured checker) passed with no new error or warning.
    Compiled,
    /// The failing test (or command) passes now and nothing that passed fails.
    Tested,
}

impl Validation {
    /// How a fix was checked, in words: every output says when a fix was not compile-checked.
    pub fn describe(self) -> &'static str {
        match self {
            Validation::NotRun => "not compile-checked",
            Validation::Failed => "failed its checks",
            Validation::Compiled => "compiles",
            Validation::Tested => "compiles, tests pass",
        }
    }
}

/// Earlier fixes of a pattern delivered as pull requests or suggestions, and what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    pub merged: u32,
    pub closed: u32,
}

/// What the base rate of a candidate rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Basis {
    /// A mined pattern's score through the calibration map.
    Calibrated,
    /// A mined pattern's raw score, taken as a probability (`--calibration none`).
    Uncalibrated,
    /// The pattern's measured record.
    Measured { right: u32, proposed: u32 },
    /// No measurement: the uniform prior.
    Unmeasured,
}

impl std::fmt::Display for Basis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Basis::Calibrated => write!(f, "calibrated"),
            Basis::Uncalibrated => write!(f, "uncalibrated raw score"),
            Basis::Measured { right, proposed } => {
                write!(f, "measured: {right} of {proposed} right")
            }
            Basis::Unmeasured => write!(f, "unmeasured"),
        }
    }
}

/// Everything known about one candidate.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    pub pattern: &'a LibraryPattern,
    pub proximity: Proximity,
    pub validation: Validation,
    pub outcomes: Outcomes,
    /// Where on a panic's failing path the candidate is, when a trace said so.
    pub step: Option<&'a PathStep>,
}

/// A place on the failing path of a reported panic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathStep {
    /// 0 is the panic site, 1 its caller, ….
    pub position: u32,
    /// The panic kind, as pattern files name it (`index-out-of-bounds`).
    pub panic: String,
}

/// Where on a failing path people fix a panic of each kind: likelihood ratios by frame position, and the
/// ratio of a remedy that substitutes a default value. Data (`corpus/frame-prior.toml`), with its origin: the
/// shipped one is mined from harvested panic fixes (`benches/heal_harvest.sh prior`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FramePrior {
    /// `hand-written` or `mined`.
    pub origin: Origin,
    /// By frame position (0 = the panic site); the last entry holds for deeper frames.
    pub default: Vec<f64>,
    /// The same, per panic kind.
    #[serde(default)]
    pub kinds: BTreeMap<String, Vec<f64>>,
    /// A remedy labelled `substitutes-default`, relative to one that is not (whose ratio is 1).
    pub substitutes_default: f64,
    #[serde(default)]
    pub provenance: Vec<String>,
}

/// The shipped frame prior (`corpus/frame-prior.toml`).
pub const SHIPPED_FRAME_PRIOR: &str = include_str!("../../../corpus/frame-prior.toml");

impl FramePrior {
    /// Reads a frame prior from TOML; every ratio must be finite and positive, and no list empty.
    pub fn from_toml(text: &str) -> Result<FramePrior, String> {
        let p: FramePrior = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let lists = std::iter::once(("default", &p.default))
            .chain(p.kinds.iter().map(|(k, v)| (k.as_str(), v)));
        for (name, list) in lists {
            if list.is_empty() {
                return Err(format!("`{name}` is empty"));
            }
            if let Some(v) = list.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(format!(
                    "`{name}` must hold finite positive ratios, got {v}"
                ));
            }
        }
        if !(p.substitutes_default.is_finite() && p.substitutes_default > 0.0) {
            return Err(format!(
                "`substitutes_default` must be finite and positive, got {}",
                p.substitutes_default
            ));
        }
        Ok(p)
    }

    /// The ratio of a remedy at `step`.
    pub fn at(&self, step: &PathStep) -> f64 {
        let list = self.kinds.get(&step.panic).unwrap_or(&self.default);
        let i = (step.position as usize).min(list.len() - 1);
        list[i]
    }
}

static SHIPPED_FRAMES: std::sync::LazyLock<FramePrior> = std::sync::LazyLock::new(|| {
    FramePrior::from_toml(SHIPPED_FRAME_PRIOR).expect("the shipped frame prior is valid")
});

/// The model's answer for one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub raw: RawScore,
    pub probability: Probability,
    pub basis: Basis,
}

/// The numbers of the model other than the calibration map, each a likelihood ratio (odds multiplier) unless
/// said otherwise. The provenance of each is in `corpus/confidence.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// A match in the function of a reported line, against one on the line.
    pub same_function: f64,
    /// A match away from every reported location, against one on the line.
    pub elsewhere: f64,
    /// `cargo check` passed with no new diagnostic: `1 / P(compiles | wrong)`.
    pub compiled: f64,
    /// The failing test and the suite pass: `1 / P(passes | wrong)` (includes the compile).
    pub tested: f64,
    /// How many PR outcomes the model's own estimate is worth in the Beta update.
    pub outcome_weight: f64,
    /// Where these numbers come from, one line each.
    #[serde(default)]
    pub provenance: Vec<String>,
}

/// The shipped parameters (`corpus/confidence.toml`), checked.
pub const SHIPPED_PARAMETERS: &str = include_str!("../../../corpus/confidence.toml");

impl Parameters {
    /// Reads parameters from TOML; every ratio must be finite and positive.
    pub fn from_toml(text: &str) -> Result<Parameters, String> {
        let p: Parameters = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        for (name, v) in [
            ("same_function", p.same_function),
            ("elsewhere", p.elsewhere),
            ("compiled", p.compiled),
            ("tested", p.tested),
            ("outcome_weight", p.outcome_weight),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("`{name}` must be finite and positive, got {v}"));
            }
        }
        Ok(p)
    }
}

/// The shipped parameters, read once: every `FixConfig::default()` (an evaluation makes one per hunk) takes a
/// model, and parsing TOML each time was work on a hot path.
static SHIPPED: std::sync::LazyLock<Parameters> = std::sync::LazyLock::new(|| {
    Parameters::from_toml(SHIPPED_PARAMETERS).expect("the shipped confidence parameters are valid")
});

/// The one confidence model.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfidenceModel {
    /// The score → probability map of mined patterns; `None` takes raw scores as probabilities.
    pub calibration: Option<mine::calibrate::Calibration>,
    pub parameters: Parameters,
    pub frames: FramePrior,
}

impl Default for ConfidenceModel {
    /// The shipped parameters without a calibration map.
    fn default() -> Self {
        ConfidenceModel {
            calibration: None,
            parameters: SHIPPED.clone(),
            frames: SHIPPED_FRAMES.clone(),
        }
    }
}

fn odds(p: f64) -> f64 {
    p / (1.0 - p)
}

fn from_odds(o: f64) -> f64 {
    if o.is_infinite() { 1.0 } else { o / (1.0 + o) }
}

/// Four decimals, as every report writes numbers (stable output, readable diffs).
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

impl ConfidenceModel {
    pub fn with_calibration(calibration: Option<mine::calibrate::Calibration>) -> ConfidenceModel {
        ConfidenceModel {
            calibration,
            ..ConfidenceModel::default()
        }
    }

    /// The location weight of the raw score and the likelihood ratio of the location.
    fn location(&self, proximity: Proximity) -> f64 {
        match proximity {
            Proximity::Anywhere | Proximity::OnLine => 1.0,
            Proximity::SameFunction => self.parameters.same_function,
            Proximity::Elsewhere => self.parameters.elsewhere,
        }
    }

    /// The ranking score of a pattern at a place.
    pub fn raw(&self, pattern: &LibraryPattern, proximity: Proximity) -> RawScore {
        RawScore(round4(pattern.score * self.location(proximity)))
    }

    /// The base rate of a pattern on a reported line, and what it rests on.
    pub fn base_rate(&self, pattern: &LibraryPattern) -> (f64, Basis) {
        match (&pattern.measured, pattern.origin, &self.calibration) {
            (
                Some(Measured {
                    right, proposed, ..
                }),
                _,
                _,
            ) => (
                (*right as f64 + 1.0) / (*proposed as f64 + 2.0),
                Basis::Measured {
                    right: *right,
                    proposed: *proposed,
                },
            ),
            (None, Origin::Mined, Some(c)) => (c.apply(pattern.score), Basis::Calibrated),
            (None, Origin::Mined, None) => (pattern.score, Basis::Uncalibrated),
            (None, Origin::HandWritten, _) => (0.5, Basis::Unmeasured),
        }
    }

    /// The probability of a fix the engine proposed, once a caller has validated it.
    pub fn validated(
        &self,
        pattern: &LibraryPattern,
        fix: &crate::Fix,
        validation: Validation,
        outcomes: Outcomes,
    ) -> Probability {
        self.assess(&Evidence {
            pattern,
            proximity: fix.proximity,
            validation,
            outcomes,
            step: fix.step.as_ref(),
        })
        .probability
    }

    /// The odds multiplier of where on a failing path a remedy is and of what it does to the failure.
    fn remedy(&self, evidence: &Evidence<'_>) -> f64 {
        let frame = evidence.step.map_or(1.0, |s| self.frames.at(s));
        let effect = match evidence.pattern.effect {
            Some(Effect::SubstitutesDefault) => self.frames.substitutes_default,
            _ => 1.0,
        };
        frame * effect
    }

    /// The probability that the candidate is the right fix, given everything in `evidence`.
    pub fn assess(&self, evidence: &Evidence<'_>) -> Assessment {
        let raw = self.raw(evidence.pattern, evidence.proximity);
        let (base, basis) = self.base_rate(evidence.pattern);
        let ratio = |v: Validation| match v {
            Validation::NotRun => 1.0,
            Validation::Failed => 0.0,
            Validation::Compiled => self.parameters.compiled,
            Validation::Tested => self.parameters.tested,
        };
        // What the base rate already conditions on: a record that counted compiled fixes as right is the
        // rate among compiled fixes.
        let counted = match evidence.pattern.measured.as_ref().and_then(|m| m.by) {
            Some(MeasuredBy::Check) => ratio(Validation::Compiled),
            Some(MeasuredBy::Test) => ratio(Validation::Tested),
            None => 1.0,
        };
        let validation = match ratio(evidence.validation) {
            0.0 => 0.0,
            r => (r / counted).max(1.0),
        };
        let p = if base >= 1.0 && validation > 0.0 {
            1.0
        } else {
            from_odds(
                odds(base) * self.location(evidence.proximity) * self.remedy(evidence) * validation,
            )
        };
        let Outcomes { merged, closed } = evidence.outcomes;
        // A migration's own commits are this team accepting this very change, one commit after another: each
        // counts as a merged fix of the pattern.
        let merged = merged + evidence.pattern.migration.as_ref().map_or(0, |m| m.commits);
        let k = self.parameters.outcome_weight;
        let p = if validation == 0.0 {
            0.0
        } else {
            (p * k + merged as f64) / (k + merged as f64 + closed as f64)
        };
        Assessment {
            raw,
            probability: Probability::new(round4(p)),
            basis,
        }
    }
}
