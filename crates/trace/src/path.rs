//! From printed paths to workspace files: the failing path of a panic.
//!
//! A printed path is relative to *some* directory, and which one depends on who printed it. The panic
//! site (`panicked at crates/core/src/lib.rs:6:5`) is relative to the directory cargo ran rustc in, the
//! workspace root. A short backtrace shortens paths against the *test's* working directory, which cargo
//! and nextest set to the package's directory, so in a workspace `ledger::Ledger::sell` is printed
//! `at ./src/lib.rs:14:22` while it lives in `crates/ledger/src/lib.rs`, and a frame in a sibling crate
//! stays absolute. So a relative path is matched against the workspace files as a suffix, and when several
//! files end that way (every crate has a `src/lib.rs`), the frame's crate name (`ledger::…`) picks the one
//! under a directory of that name. When that does not decide it, the path as printed (relative to the root)
//! wins if it exists; otherwise the frame is dropped: no location beats a wrong one.
//!
//! Absolute paths count only under the root; the toolchain's (`/rustc/…`), the registry's and git
//! dependencies' sources never do, whatever the files say.

use std::collections::HashSet;

use serde::Serialize;

use crate::Failure;
use crate::text::crate_of;

/// One step of the failing path, in workspace terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Workspace-relative, with `/` separators.
    pub file: String,
    pub line: u32,
    pub column: Option<u32>,
    /// The position on the path: 0 is the innermost workspace location (the panic site when it is in the
    /// workspace), then its callers.
    pub rank: usize,
    pub function: Option<String>,
}

/// The workspace locations of a failure: the panic site first, then the backtrace frames in printed order
/// (innermost first), each location once. `files` holds the workspace-relative paths that exist and `root`
/// the absolute workspace root; frames outside the workspace are dropped.
pub fn failing_path(failure: &Failure, root: &str, files: &HashSet<String>) -> Vec<Location> {
    let root = Root::new(root);
    let mut path: Vec<Location> = Vec::new();
    let mut add = |file: String, line: u32, column: Option<u32>, function: Option<String>| {
        // Old toolchains print frames without a column: such a frame is the same place as any location
        // on its line.
        let seen = path.iter().any(|l| {
            l.file == file
                && l.line == line
                && (l.column == column || l.column.is_none() || column.is_none())
        });
        if !seen {
            path.push(Location {
                file,
                line,
                column,
                rank: path.len(),
                function,
            });
        }
    };
    if let Some(site) = &failure.site {
        // The site prints no function; the frame at the same place has it.
        let function = failure
            .frames
            .iter()
            .find(|f| {
                f.line == site.line
                    && (f.column == site.column || f.column.is_none())
                    && same_file(&f.file, &site.file)
            })
            .and_then(|f| f.function.clone());
        let krate = function.as_deref().and_then(crate_of);
        if let Some(file) = resolve(&site.file, &root, files, krate) {
            add(file, site.line, site.column, function);
        }
    }
    for frame in &failure.frames {
        let krate = frame.function.as_deref().and_then(crate_of);
        if let Some(file) = resolve(&frame.file, &root, files, krate) {
            add(file, frame.line, frame.column, frame.function.clone());
        }
    }
    path
}

/// The workspace file a printed path (a diagnostic's, an `--at` argument) names, if any; the same rules
/// as [`failing_path`] without a crate name to break ties.
pub fn workspace_path(path: &str, root: &str, files: &HashSet<String>) -> Option<String> {
    resolve(path, &Root::new(root), files, None)
}

struct Root {
    /// `/` separators, no trailing slash.
    path: String,
    /// The root directory's own name: the package directory of files directly under the root.
    name: String,
}

impl Root {
    fn new(root: &str) -> Root {
        let path = root
            .trim()
            .replace('\\', "/")
            .trim_end_matches('/')
            .to_owned();
        let name = path.rsplit('/').next().unwrap_or("").to_owned();
        Root { path, name }
    }
}

fn resolve(
    printed: &str,
    root: &Root,
    files: &HashSet<String>,
    krate: Option<&str>,
) -> Option<String> {
    let path = printed.trim().replace('\\', "/");
    if path.is_empty() || path.starts_with('<') || path.starts_with("/rustc/") {
        return None;
    }
    if is_absolute(&path) {
        let dependency = ["/.cargo/registry/", "/.cargo/git/", "/.rustup/"]
            .iter()
            .any(|d| path.contains(d));
        if dependency || root.path.is_empty() {
            return None;
        }
        let relative = clean(path.strip_prefix(&root.path)?.strip_prefix('/')?);
        return files.contains(&relative).then_some(relative);
    }
    let relative = clean(&path);
    if relative.is_empty() {
        return None;
    }
    let suffix = format!("/{relative}");
    let mut candidates: Vec<&String> = files
        .iter()
        .filter(|f| **f == relative || f.ends_with(&suffix))
        .collect();
    candidates.sort();
    if let [only] = candidates[..] {
        return Some(only.clone());
    }
    if let Some(krate) = krate {
        let scores: Vec<u8> = candidates
            .iter()
            .map(|c| {
                let dirs = &c[..c.len() - relative.len()];
                if dirs.is_empty() {
                    crate_score(krate, &root.name)
                } else {
                    dirs.split('/')
                        .map(|d| crate_score(krate, d))
                        .max()
                        .unwrap_or(0)
                }
            })
            .collect();
        let best = scores.iter().copied().max().unwrap_or(0);
        if best > 0
            && scores.iter().filter(|&&s| s == best).count() == 1
            && let Some(i) = scores.iter().position(|&s| s == best)
        {
            return Some(candidates[i].clone());
        }
    }
    files.contains(&relative).then_some(relative)
}

/// How well a directory name matches a crate name: 2 when equal (`-` and `_` alike), 1 when the crate
/// name extends it (`core_math` in `core/`), else 0.
fn crate_score(krate: &str, dir: &str) -> u8 {
    let dir = dir.replace('-', "_").to_lowercase();
    let krate = krate.to_lowercase();
    if dir.is_empty() {
        0
    } else if dir == krate {
        2
    } else if krate.starts_with(&format!("{dir}_")) || krate.ends_with(&format!("_{dir}")) {
        1
    } else {
        0
    }
}

fn is_absolute(path: &str) -> bool {
    let b = path.as_bytes();
    path.starts_with('/')
        || (b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/')
}

/// Drops `./` and empty segments, and leading `../` (the rest is matched as a suffix anyway).
fn clean(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .skip_while(|s| *s == "..")
        .collect();
    segments.join("/")
}

fn same_file(a: &str, b: &str) -> bool {
    let (a, b) = (clean(&a.replace('\\', "/")), clean(&b.replace('\\', "/")));
    a == b || a.ends_with(&format!("/{b}")) || b.ends_with(&format!("/{a}"))
}
