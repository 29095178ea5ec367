//! Locating (and, when missing, installing) the npm fixture packages.
//!
//! The directory is `$SUTURE_NPM_DIR` or `$HOME/.cache/suture-npm`. When the packages are missing we
//! run `scripts/npm-fixtures.sh` once per process (`OnceLock`), holding an exclusive file lock so that
//! several test binaries running at once don't install over each other.

use std::path::PathBuf;

/// The `node_modules` directory holding `@octokit/openapi` and `@octokit/webhooks-examples`,
/// installing them first if needed. Panics, naming the script, when they cannot be installed.
pub fn node_modules() -> PathBuf {
    todo!()
}
