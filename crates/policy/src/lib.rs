//! The confidence gate: which action a fix of a given confidence earns, per environment and criticality.
//!
//! The thresholds are the seed's remediation policies: for each environment (`production`, `staging`, …) and
//! criticality (`critical`, `nonCritical`, decided by path globs), a fix at or above `autoRemediate` is applied
//! (or opened as a ready PR), at or above `requireApproval` is proposed for a human to accept, at or above
//! `notifyOnly` is only reported, and below that only recorded. Pure: the caller reads the files.
//!
//! Three environments ship: `production` and `staging` with the seed's numbers, and `local`, a developer's
//! own tree (`suture fix`, `suture heal` without `--env`): there every change lands as an uncommitted edit the
//! developer reviews in git, so an explicit `--apply` of a fix that is more likely right than not may land.
//!
//! The gate reads only a [`Probability`]: the confidence model (`engine::confidence`) turns all the evidence
//! into one, and nothing here knows where it came from.
//!
//! Two wire shapes are accepted: the `[policy]` table of `suture.toml` and the seed's JSON
//! (`remediationPolicies` → env → criticality → `autoRemediateConfidenceThreshold`, …). Both compile into the
//! same [`Policy`], checked: thresholds in [0, 1] and ordered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Criticality {
    #[serde(rename = "critical")]
    Critical,
    #[serde(rename = "nonCritical")]
    NonCritical,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub auto_remediate: f64,
    pub require_approval: f64,
    pub notify_only: f64,
}

/// The probability that a fix is right, in [0, 1]. Only the confidence model makes one from evidence; the gate
/// and the reports read it.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Probability(f64);

impl Probability {
    pub const ZERO: Probability = Probability(0.0);
    pub const ONE: Probability = Probability(1.0);

    /// A probability; values outside [0, 1] are clamped, NaN is 0.
    pub fn new(p: f64) -> Probability {
        if p.is_nan() {
            Probability(0.0)
        } else {
            Probability(p.clamp(0.0, 1.0))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// Total order (NaN cannot occur), best first when reversed.
    pub fn total_cmp(&self, other: &Probability) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl std::fmt::Display for Probability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

/// The environment of a developer's own machine, the default of `suture fix` and `suture heal`.
pub const LOCAL: &str = "local";
/// The environment of `suture serve` and `suture pr`.
pub const PRODUCTION: &str = "production";

/// What a fix earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Below every threshold: audit trail only.
    Record,
    /// A comment or annotation only.
    Notify,
    /// A draft PR or a suggestion that a human must accept.
    Propose,
    /// Apply it, or open a ready PR.
    Apply,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub thresholds: BTreeMap<String, BTreeMap<Criticality, Thresholds>>,
    /// Paths matching these globs are critical; everything else is non-critical.
    pub critical_paths: Vec<String>,
    critical: globset::GlobSet,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy `{env}`/`{criticality}`: `{field}` is {value}, outside [0, 1]")]
    OutOfRange {
        env: String,
        criticality: String,
        field: &'static str,
        value: f64,
    },
    #[error(
        "policy `{env}`/`{criticality}`: thresholds must satisfy autoRemediate >= requireApproval >= notifyOnly"
    )]
    Unordered { env: String, criticality: String },
    #[error("policy: critical path glob `{glob}` is invalid: {message}")]
    Glob { glob: String, message: String },
    #[error("policy: unknown environment `{env}` (known: {known})")]
    UnknownEnvironment { env: String, known: String },
    #[error("policy JSON: {0}")]
    Json(String),
}

/// The seed's defaults.
impl Default for Policy {
    fn default() -> Self {
        let t = |a, r, n| Thresholds {
            auto_remediate: a,
            require_approval: r,
            notify_only: n,
        };
        let mut thresholds = BTreeMap::new();
        thresholds.insert(
            "production".to_owned(),
            BTreeMap::from([
                (Criticality::Critical, t(0.95, 0.75, 0.5)),
                (Criticality::NonCritical, t(0.85, 0.65, 0.4)),
            ]),
        );
        thresholds.insert(
            "staging".to_owned(),
            BTreeMap::from([
                (Criticality::Critical, t(0.85, 0.65, 0.4)),
                (Criticality::NonCritical, t(0.75, 0.5, 0.3)),
            ]),
        );
        // Not the seed's: a developer's tree, where an applied fix is an uncommitted change in front of the
        // person who asked for it. More likely right than wrong (with a margin) may be applied on request;
        // critical paths keep staging's bar.
        thresholds.insert(
            LOCAL.to_owned(),
            BTreeMap::from([
                (Criticality::Critical, t(0.85, 0.65, 0.4)),
                (Criticality::NonCritical, t(0.7, 0.4, 0.1)),
            ]),
        );
        Policy::new(thresholds, Vec::new()).expect("the defaults are valid")
    }
}

impl Policy {
    pub fn new(
        thresholds: BTreeMap<String, BTreeMap<Criticality, Thresholds>>,
        critical_paths: Vec<String>,
    ) -> Result<Policy, PolicyError> {
        for (env, by_crit) in &thresholds {
            for (crit, t) in by_crit {
                let criticality = match crit {
                    Criticality::Critical => "critical",
                    Criticality::NonCritical => "nonCritical",
                };
                for (field, value) in [
                    ("autoRemediate", t.auto_remediate),
                    ("requireApproval", t.require_approval),
                    ("notifyOnly", t.notify_only),
                ] {
                    if !(0.0..=1.0).contains(&value) {
                        return Err(PolicyError::OutOfRange {
                            env: env.clone(),
                            criticality: criticality.to_owned(),
                            field,
                            value,
                        });
                    }
                }
                if !(t.auto_remediate >= t.require_approval && t.require_approval >= t.notify_only)
                {
                    return Err(PolicyError::Unordered {
                        env: env.clone(),
                        criticality: criticality.to_owned(),
                    });
                }
            }
        }
        let mut builder = globset::GlobSetBuilder::new();
        for glob in &critical_paths {
            let g = globset::Glob::new(glob).map_err(|e| PolicyError::Glob {
                glob: glob.clone(),
                message: e.kind().to_string(),
            })?;
            builder.add(g);
        }
        let critical = builder.build().map_err(|e| PolicyError::Glob {
            glob: String::new(),
            message: e.to_string(),
        })?;
        Ok(Policy {
            thresholds,
            critical_paths,
            critical,
        })
    }

    /// Reads the seed's JSON shape (`remediationPolicies`), keeping `critical_paths`.
    pub fn from_seed_json(json: &str, critical_paths: Vec<String>) -> Result<Policy, PolicyError> {
        let seed: SeedPolicy =
            serde_json::from_str(json).map_err(|e| PolicyError::Json(e.to_string()))?;
        let thresholds = seed
            .remediation_policies
            .into_iter()
            .map(|(env, by_crit)| {
                let by_crit = by_crit
                    .into_iter()
                    .map(|(crit, t)| {
                        (
                            crit,
                            Thresholds {
                                auto_remediate: t.auto_remediate_confidence_threshold,
                                require_approval: t.require_approval_threshold,
                                notify_only: t.notify_only_threshold,
                            },
                        )
                    })
                    .collect();
                (env, by_crit)
            })
            .collect();
        Policy::new(thresholds, critical_paths)
    }

    /// Builds a policy from the `[policy]` table of `suture.toml`; environments it does not mention keep the
    /// defaults.
    pub fn from_config(config: SerializablePolicy) -> Result<Policy, PolicyError> {
        let mut thresholds = Policy::default().thresholds;
        for (env, by_crit) in config.environments {
            let entry = thresholds.entry(env).or_default();
            for (crit, t) in by_crit {
                entry.insert(
                    crit,
                    Thresholds {
                        auto_remediate: t.auto_remediate,
                        require_approval: t.require_approval,
                        notify_only: t.notify_only,
                    },
                );
            }
        }
        Policy::new(thresholds, config.critical)
    }

    pub fn criticality(&self, path: &str) -> Criticality {
        if self.critical.is_match(path) {
            Criticality::Critical
        } else {
            Criticality::NonCritical
        }
    }

    /// The thresholds in force for `env` and `path`.
    pub fn thresholds_for(&self, env: &str, path: &str) -> Result<Thresholds, PolicyError> {
        let by_crit = self
            .thresholds
            .get(env)
            .ok_or_else(|| PolicyError::UnknownEnvironment {
                env: env.to_owned(),
                known: self
                    .thresholds
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let crit = self.criticality(path);
        // An environment that lists one criticality only uses it for both.
        Ok(*by_crit
            .get(&crit)
            .or_else(|| by_crit.values().next())
            .expect("an environment has thresholds"))
    }

    pub fn decide(
        &self,
        env: &str,
        path: &str,
        probability: Probability,
    ) -> Result<Decision, PolicyError> {
        let t = self.thresholds_for(env, path)?;
        let confidence = probability.get();
        Ok(if confidence >= t.auto_remediate {
            Decision::Apply
        } else if confidence >= t.require_approval {
            Decision::Propose
        } else if confidence >= t.notify_only {
            Decision::Notify
        } else {
            Decision::Record
        })
    }
}

/// The `[policy]` table of `suture.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerializablePolicy {
    /// Globs of critical paths, for example `["src/billing/**"]`.
    #[serde(default)]
    pub critical: Vec<String>,
    /// Per environment and criticality: `[policy.environments.production.critical]` with `auto_remediate`,
    /// `require_approval`, `notify_only`.
    #[serde(default)]
    pub environments: BTreeMap<String, BTreeMap<Criticality, SerializableThresholds>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerializableThresholds {
    /// Apply (or open a ready PR) at or above this confidence.
    pub auto_remediate: f64,
    /// Propose for approval at or above this confidence.
    pub require_approval: f64,
    /// Only notify at or above this confidence.
    pub notify_only: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedPolicy {
    remediation_policies: BTreeMap<String, BTreeMap<Criticality, SeedThresholds>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedThresholds {
    auto_remediate_confidence_threshold: f64,
    require_approval_threshold: f64,
    notify_only_threshold: f64,
}
