//! `suture.toml` at the repository root: the policy, and where a seed-format policy lives.
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
}

/// Reads `root/suture.toml` (if present) into a policy.
pub fn load_policy(root: &Path) -> Result<Policy> {
    let path = root.join("suture.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Policy::default());
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
    policy.with_context(|| format!("in {}", path.display()))
}
