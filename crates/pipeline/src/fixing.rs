//! `propose_fixes`: the fix engine over a source tree, and `apply_fixes`, which writes what was chosen.
//!
//! The engine (`engine`) is pure: it takes one file's text. This module walks the tree the way `.gitignore`
//! says, reads each file (skipping oversized and non-UTF-8 ones with their reason; an unreadable one is an
//! error), runs the engine on the files in parallel, ranks the fixes over the whole run, and, only when
//! asked, writes the patched files atomically after checking that nobody changed them meanwhile.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
pub use engine::{
    Engine, FileFixes, Fix, FixConfig, Location, Position, Proximity, SkipReason, Skipped, fix_text,
};
use pattern::LibraryPattern;
use rayon::prelude::*;
use serde::Serialize;

use crate::library::{Library, write_atomic};

#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct FixReport {
    /// The directory the files' names are relative to.
    pub base: PathBuf,
    pub files: Vec<FileFixes>,
    pub skipped: Vec<Skipped>,
    pub skipped_files: Vec<SkippedFile>,
    pub files_scanned: usize,
    pub patterns: usize,
    /// Candidates under [`FixConfig::min_confidence`], not listed one by one.
    pub below_threshold: usize,
    /// The MSRV of each file whose crate declares one (`crate::msrv`), which the engine held the fixes to.
    pub msrv: HashMap<String, engine::Msrv>,
    /// What the compiler check did (`crate::checking`); `None` before it ran.
    pub validation: Option<crate::checking::CheckReport>,
}

impl FixReport {
    pub fn fixes(&self) -> impl Iterator<Item = &Fix> {
        self.files.iter().flat_map(|f| &f.fixes)
    }
}

/// Finds fixes for every Rust file under `root` (a directory or one file), respecting `.gitignore`.
pub fn propose_fixes(root: &Path, library: &Library, config: &FixConfig) -> Result<FixReport> {
    let files = rust_files(root)?;
    let base = if root.is_file() {
        root.parent().unwrap_or(Path::new(""))
    } else {
        root
    };
    let patterns: Vec<&LibraryPattern> = library.patterns.iter().collect();
    let engine = Engine::new(&patterns, config);
    let names: Vec<String> = files
        .iter()
        .map(|path| {
            path.strip_prefix(base)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    // A fix must not need a newer Rust than the crate's MSRV: the engine reads each file's from the config.
    let mut config = config.clone();
    let msrv = crate::msrv::msrv_of_files(
        base,
        files
            .iter()
            .map(PathBuf::as_path)
            .zip(names.iter().map(String::as_str)),
    );
    for (file, msrv) in msrv {
        config.msrv.entry(file).or_insert(msrv);
    }
    let results: Vec<Result<engine::FileOutcome, SkippedFile>> = files
        .par_iter()
        .zip(&names)
        .map(
            |(path, file)| -> Result<Result<engine::FileOutcome, SkippedFile>> {
                Ok(read_source(path, file, &config)?
                    .map(|text| engine.fix_text(file, &text, &config)))
            },
        )
        .collect::<Result<_>>()?;
    let mut report = FixReport {
        base: base.to_path_buf(),
        files_scanned: files.len(),
        patterns: engine.len(),
        msrv: config.msrv,
        ..FixReport::default()
    };
    for outcome in results {
        match outcome {
            Err(s) => report.skipped_files.push(s),
            Ok(outcome) => {
                report.below_threshold += outcome.below_threshold;
                report.skipped.extend(outcome.skipped);
                if !outcome.fixes.fixes.is_empty() || !outcome.fixes.alternatives.is_empty() {
                    report.files.push(outcome.fixes);
                }
            }
        }
    }
    engine::rank(&mut report.files, &mut report.skipped);
    Ok(report)
}

/// An error unless `path` exists; a dangling symbolic link says where it points.
pub fn existing(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Ok(target) = std::fs::read_link(path) {
        bail!(
            "`{}` is a symbolic link to `{}`, which does not exist",
            path.display(),
            target.display()
        );
    }
    bail!("`{}` does not exist", path.display())
}

/// The Rust files under `root`, sorted, skipping what `.gitignore` and friends exclude. Symbolic links met on
/// the walk are not followed (as ripgrep does): `--apply` would replace a link with a file.
pub fn rust_files(root: &Path) -> Result<Vec<PathBuf>> {
    existing(root)?;
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root).build() {
        let entry = entry.with_context(|| format!("cannot walk `{}`", root.display()))?;
        if entry.file_type().is_some_and(|t| t.is_file())
            && entry.path().extension().is_some_and(|e| e == "rs")
        {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

/// A file's text, or why it is skipped: over the size limit (`--max-file-bytes`), or not UTF-8. A file that
/// cannot be read is an error naming it: a fix run that silently left out a file it was asked to look at
/// would report a clean tree it never saw.
fn read_source(path: &Path, file: &str, config: &FixConfig) -> Result<Result<String, SkippedFile>> {
    let skip = |reason: String| {
        Ok(Err(SkippedFile {
            file: file.to_owned(),
            reason,
        }))
    };
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if bytes.len() > config.max_file_bytes {
        return skip(format!(
            "file is {} bytes, over the {}-byte limit (--max-file-bytes)",
            bytes.len(),
            config.max_file_bytes
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Ok(text)),
        Err(e) => skip(format!(
            "not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )),
    }
}

/// The workspace-relative paths (with `/`) of the Rust files under `base`: what traces are mapped onto.
pub fn workspace_files(base: &Path) -> Result<std::collections::HashSet<String>> {
    Ok(rust_files(base)?
        .iter()
        .filter_map(|p| p.strip_prefix(base).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect())
}

/// Writes each patched file atomically. `keep(fix)` decides fix by fix (for `--interactive`); a file whose
/// kept fixes differ from all of its fixes is re-patched from the original with only those.
pub fn apply_fixes(
    report: &FixReport,
    mut keep: impl FnMut(&Fix) -> Result<bool>,
) -> Result<Vec<(String, usize)>> {
    let mut plan: Vec<(&FileFixes, String, usize)> = Vec::new();
    for file in &report.files {
        let mut chosen = Vec::new();
        for fix in &file.fixes {
            if keep(fix)? {
                chosen.push(fix);
            }
        }
        if chosen.is_empty() {
            continue;
        }
        let text = if chosen.len() == file.fixes.len() {
            file.patched.clone()
        } else {
            // Only first-round fixes can be applied alone: their positions refer to the original.
            let edits: Vec<patch::TextEdit> = chosen
                .iter()
                .filter(|f| f.round == 1)
                .map(|f| patch::TextEdit {
                    range: f.start.byte..f.end.byte,
                    replacement: f.after.clone(),
                })
                .collect();
            patch::apply(&file.original, &edits)
        };
        plan.push((file, text, chosen.len()));
    }
    // What a run killed between creating a temporary file and renaming it left behind is removed first.
    let mut dirs: Vec<PathBuf> = plan
        .iter()
        .filter_map(|(f, _, _)| report.base.join(&f.file).parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        crate::library::remove_stale_temp_files(dir);
    }
    // Check every file before writing any, so that a file changed on disk meanwhile stops the whole run.
    for (file, _, _) in &plan {
        let path = report.base.join(&file.file);
        let now = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if now != file.original {
            bail!(
                "`{}` changed while suture was running; nothing was written",
                path.display()
            );
        }
    }
    let mut written = Vec::new();
    for (file, text, n) in plan {
        write_atomic(&report.base.join(&file.file), text.as_bytes())?;
        written.push((file.file.clone(), n));
    }
    Ok(written)
}

/// Counts fixes per pattern id, for summaries.
pub fn fixes_per_pattern(report: &FixReport) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for fix in report.fixes() {
        *counts.entry(fix.pattern.as_str()).or_default() += 1;
    }
    counts
}
