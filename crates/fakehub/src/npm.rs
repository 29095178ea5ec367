//! Locating (and, when missing, installing) the npm fixture packages.
//!
//! The directory is `$SUTURE_NPM_DIR` or `$HOME/.cache/suture-npm`. When the packages are missing we
//! run `scripts/npm-fixtures.sh` once per process (`OnceLock`), holding an exclusive file lock so that
//! several test binaries starting at once don't install over each other.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The files the crate reads, relative to `node_modules`.
pub(crate) const OPENAPI_JSON: &str = "@octokit/openapi/generated/api.github.com.json";
pub(crate) const WEBHOOK_EXAMPLES_JSON: &str =
    "@octokit/webhooks-examples/api.github.com/index.json";

/// The install script, from this crate's source directory.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/npm-fixtures.sh");

/// The `node_modules` directory holding `@octokit/openapi` and `@octokit/webhooks-examples`,
/// installing them first if needed. Panics, naming the script, when they cannot be installed.
pub fn node_modules() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(install).clone()
}

fn npm_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SUTURE_NPM_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    Path::new(&home).join(".cache/suture-npm")
}

fn present(modules: &Path) -> bool {
    modules.join(OPENAPI_JSON).is_file() && modules.join(WEBHOOK_EXAMPLES_JSON).is_file()
}

fn install() -> PathBuf {
    let dir = npm_dir();
    let modules = dir.join("node_modules");
    if present(&modules) {
        return modules;
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot create the npm fixture directory {}: {e}",
            dir.display()
        )
    });
    // Another process may be installing right now: wait for it, then look again.
    let lock_path = dir.join(".suture-install.lock");
    let lock = File::create(&lock_path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    if !present(&modules) {
        let output = Command::new("bash")
            .arg(SCRIPT)
            .env("SUTURE_NPM_DIR", &dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run scripts/npm-fixtures.sh ({SCRIPT}): {e}"));
        if !output.status.success() || !present(&modules) {
            panic!(
                "scripts/npm-fixtures.sh failed to install the GitHub fixtures (@octokit/openapi, \
                 @octokit/webhooks-examples) into {}; run it by hand to see why ({}):\n{}",
                dir.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    drop(lock);
    modules
}
