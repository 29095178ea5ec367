//! `suture.toml` at the repository root: the policy, where a seed-format policy lives, and the environment
//! local commands act in.
//!
//! Optional: without the file every default applies. Unknown keys are errors that name the file and line, so
//! a typo never silently keeps a default.

use std::path::Path;

use anyhow::{Context, Result};
use policy::{Policy, SerializablePolicy};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerializableConfig {
    /// The confidence gate: `critical` path globs and per-environment thresholds.
    #[serde(default)]
    pub policy: Option<SerializablePolicy>,
    /// A policy file in the seed's JSON shape (`remediationPolicies`), relative to the repository root; it
    /// replaces the thresholds of `[policy]` (whose `critical` globs still apply).
    #[serde(default)]
    pub policy_json: Option<String>,
    /// The policy environment of `suture heal` (and other local commands) when `--env` is not given;
    /// `local` without this key. A team that wants its developers' runs gated like staging says `"staging"`.
    #[serde(default)]
    pub env: Option<String>,
}

/// What `suture.toml` settles for a local run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: Policy,
    /// The environment to act in when the command line names none.
    pub env: String,
}

/// Reads `root/suture.toml` (if present) into a policy and the local environment, checked: the environment
/// must be one the policy knows.
pub fn load_settings(root: &Path) -> Result<Settings> {
    let path = root.join("suture.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Settings {
            policy: Policy::default(),
            env: policy::LOCAL.to_owned(),
        });
    };
    let config: SerializableConfig = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |s| syntax::line_of(&text, s.start as u32));
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
    })?;
    let critical = config
        .policy
        .as_ref()
        .map(|p| p.critical.clone())
        .unwrap_or_default();
    let policy = match &config.policy_json {
        Some(json) => {
            let json_path = root.join(json);
            let text = std::fs::read_to_string(&json_path).with_context(|| {
                format!(
                    "{}: cannot read policy_json `{}`",
                    path.display(),
                    json_path.display()
                )
            })?;
            Policy::from_seed_json(&text, critical)
        }
        None => Policy::from_config(config.policy.unwrap_or_default()),
    };
    let policy = policy.with_context(|| format!("in {}", path.display()))?;
    let env = config.env.unwrap_or_else(|| policy::LOCAL.to_owned());
    policy
        .thresholds_for(&env, "")
        .with_context(|| format!("{}: `env = \"{env}\"`", path.display()))?;
    Ok(Settings { policy, env })
}
