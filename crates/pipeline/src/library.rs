//! Reading and writing pattern libraries: a directory of `.toml` files, one pattern per file.
//!
//! One file per pattern keeps diffs and merges of a library readable and lets a person delete or edit one
//! pattern without touching the rest. Every write is atomic (temporary file, then rename), so a library is never
//! left half-written. Errors name the file and the line.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pattern::{LibraryPattern, Origin, SerializablePattern};
use rayon::prelude::*;

/// A library as read from disk.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub patterns: Vec<LibraryPattern>,
    /// The file each pattern came from, in the same order.
    pub files: Vec<PathBuf>,
}

/// Reads every `*.toml` file under `dir` (recursively, in path order) as a pattern.
pub fn read_library(dir: &Path) -> Result<Library> {
    let mut files = Vec::new();
    collect_toml(dir, &mut files)
        .with_context(|| format!("cannot read pattern library `{}`", dir.display()))?;
    files.sort();
    let mut library = Library::default();
    for file in files {
        let pattern = read_pattern_file(&file)?;
        library.add(pattern, file)?;
    }
    Ok(library)
}

/// Builds a library from files already in memory, `(name, text)`, such as the library shipped in the binary.
pub fn library_from_texts(files: &[(&str, &str)]) -> Result<Library> {
    let mut library = Library::default();
    for (name, text) in files {
        let pattern = parse_pattern_text(Path::new(name), text)?;
        library.add(pattern, PathBuf::from(name))?;
    }
    Ok(library)
}

impl Library {
    /// The pattern with this id.
    pub fn pattern(&self, id: &str) -> Option<&LibraryPattern> {
        self.patterns.iter().find(|p| p.id == id)
    }

    /// Adds a pattern; a second pattern with the same id is an error naming both files.
    pub fn add(&mut self, pattern: LibraryPattern, file: PathBuf) -> Result<()> {
        if let Some(i) = self.patterns.iter().position(|p| p.id == pattern.id) {
            bail!(
                "{}: pattern id `{}` is already used by {}",
                file.display(),
                pattern.id,
                self.files[i].display()
            );
        }
        self.patterns.push(pattern);
        self.files.push(file);
        Ok(())
    }

    /// Adds the patterns of `other` whose ids are not in the library yet (the same mined pattern learned by
    /// two libraries has one id); returns how many were left out.
    pub fn extend_new(&mut self, other: Library) -> usize {
        let mut skipped = 0;
        for (pattern, file) in other.patterns.into_iter().zip(other.files) {
            if self.pattern(&pattern.id).is_some() {
                skipped += 1;
            } else {
                self.patterns.push(pattern);
                self.files.push(file);
            }
        }
        skipped
    }

    /// Keeps the patterns for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&LibraryPattern) -> bool) {
        let kept: Vec<bool> = self.patterns.iter().map(&mut keep).collect();
        let mut k = kept.iter();
        self.patterns.retain(|_| *k.next().unwrap_or(&false));
        let mut k = kept.iter();
        self.files.retain(|_| *k.next().unwrap_or(&false));
    }

    /// Adds every pattern of `other`.
    pub fn extend(&mut self, other: Library) -> Result<()> {
        for (pattern, file) in other.patterns.into_iter().zip(other.files) {
            self.add(pattern, file)?;
        }
        Ok(())
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads and checks one pattern file. Errors look like `patterns/x.toml:3: before: template does not parse …`.
pub fn read_pattern_file(path: &Path) -> Result<LibraryPattern> {
    let bytes = fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    parse_pattern_text(path, &text)
}

/// Checks the text of one pattern file; `path` names it in errors.
pub fn parse_pattern_text(path: &Path, text: &str) -> Result<LibraryPattern> {
    let file: SerializablePattern = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |s| syntax::line_of(text, s.start as u32));
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
    })?;
    LibraryPattern::try_from(file).map_err(|e| {
        let line = line_of_key(text, e.field()).unwrap_or(1);
        anyhow::anyhow!("{}:{line}: {e}", path.display())
    })
}

/// The line where `key = ` is written in a TOML file.
fn line_of_key(text: &str, key: &str) -> Option<u32> {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i as u32 + 1)
}

/// The file name a pattern is written to.
pub fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.toml")
}

/// Renders a pattern as TOML, with multi-line templates as literal strings.
/// A pattern file's text with its `[measured]` table replaced by `measured` (or removed, for `None`), and
/// nothing else changed: comments, key order and string styles of a hand-written file stay as written. The
/// table goes before the file's first table header, where a top-level table may start.
pub fn with_measured(text: &str, measured: Option<&pattern::Measured>) -> Result<String> {
    let lines: Vec<&str> = text.lines().collect();
    let header = |l: &str| l.trim_start().starts_with('[');
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut in_measured = false;
    for line in lines {
        if header(line) {
            in_measured = line.trim() == "[measured]";
        }
        if !in_measured {
            kept.push(line);
        }
    }
    let mut out = String::with_capacity(text.len() + 256);
    let first_table = kept.iter().position(|l| header(l));
    let table = match measured {
        Some(m) => format!(
            "[measured]\n{}\n",
            toml::to_string(m).context("cannot serialise a measured record")?
        ),
        None => String::new(),
    };
    for (i, line) in kept.iter().enumerate() {
        if Some(i) == first_table {
            out.push_str(&table);
        }
        out.push_str(line);
        out.push('\n');
    }
    if first_table.is_none() && !table.is_empty() {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(table.trim_end());
        out.push('\n');
    }
    Ok(out)
}

pub fn to_toml(pattern: &SerializablePattern) -> Result<String> {
    toml::to_string_pretty(pattern).context("cannot serialise pattern")
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: usize,
    pub unchanged: usize,
    /// Mined pattern files of an earlier run that the new library no longer has.
    pub removed: usize,
}

/// Writes mined patterns into `dir`, one atomic write per file. A file whose content would not change is not
/// rewritten. Mined pattern files left by an earlier run and absent now are removed; hand-written files and
/// anything that is not a pattern are never touched.
pub fn write_library(dir: &Path, patterns: &[SerializablePattern]) -> Result<WriteReport> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut rendered = Vec::with_capacity(patterns.len());
    for p in patterns {
        rendered.push((dir.join(file_name(&p.id)), to_toml(p)?));
    }
    let mut report = WriteReport::default();
    // In parallel: each atomic write waits for its file to reach the disk, and a library has hundreds of files.
    let written: Vec<bool> = rendered
        .par_iter()
        .map(|(path, text)| {
            if fs::read_to_string(path).is_ok_and(|old| old == *text) {
                return Ok(false);
            }
            write_atomic(path, text.as_bytes()).map(|()| true)
        })
        .collect::<Result<_>>()?;
    report.written = written.iter().filter(|&&w| w).count();
    report.unchanged = written.len() - report.written;
    let keep: Vec<&PathBuf> = rendered.iter().map(|(p, _)| p).collect();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list `{}`", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") || keep.contains(&&path) {
            continue;
        }
        let is_mined = fs::read_to_string(&path)
            .ok()
            .and_then(|t| toml::from_str::<SerializablePattern>(&t).ok())
            .is_some_and(|p| p.origin == Origin::Mined);
        if is_mined {
            fs::remove_file(&path)
                .with_context(|| format!("cannot remove `{}`", path.display()))?;
            report.removed += 1;
        }
    }
    Ok(report)
}

/// Writes a file atomically: a temporary file in the same directory, synced, then renamed over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // Beside the target, so that the rename stays on one file system; named so that a run killed between
    // create and rename leaves a file the next run recognises as its own ([`stale_temp_file`]).
    let tmp = dir.join(format!(".{name}.{}{}", std::process::id(), TEMP_SUFFIX));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        // The file keeps its permissions (a 0640 file stays 0640), not the umask's.
        if let Ok(meta) = fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write `{}`", path.display()))
}

/// How the temporary files of [`write_atomic`] end: `.NAME.PID.suture-tmp`.
pub const TEMP_SUFFIX: &str = ".suture-tmp";

/// Whether `path` is a temporary file of [`write_atomic`] (`.NAME.PID.suture-tmp`), and then whether the
/// process that made it is gone, so that the file is clutter of an interrupted run: `Some(true)` for a stale
/// one, `Some(false)` for one a running process may still rename, `None` for any other file.
pub fn stale_temp_file(path: &Path) -> Option<bool> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    let (_, pid) = stem.rsplit_once('.')?;
    let pid: u32 = pid.parse().ok()?;
    Some(pid != std::process::id() && !process_alive(pid))
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without /proc there is no cheap portable check: assume it lives, leaving the file alone.
        true
    }
}

/// Removes the stale temporary files of [`write_atomic`] in `dir` (not below it); returns how many.
pub fn remove_stale_temp_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| stale_temp_file(p) == Some(true))
        .filter(|p| fs::remove_file(p).is_ok())
        .count()
}

/// The JSON schema of a pattern file, generated from [`SerializablePattern`].
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(SerializablePattern);
    serde_json::to_string_pretty(&schema).expect("a schema always serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(right: u32) -> pattern::Measured {
        pattern::Measured {
            right,
            proposed: 4,
            on: vec!["here".to_owned()],
            by: None,
        }
    }

    #[test]
    fn a_measured_record_is_put_before_the_first_table_replaced_and_removed_leaving_the_rest() {
        let file = "# a comment\nid = \"h\"\nbefore = '$A'\n\n[guards]\nA = \"pure\"\n";
        let with = with_measured(file, Some(&record(1))).unwrap();
        assert_eq!(
            with,
            "# a comment\nid = \"h\"\nbefore = '$A'\n\n[measured]\nright = 1\nproposed = 4\non = [\"here\"]\n\n[guards]\nA = \"pure\"\n"
        );
        let replaced = with_measured(&with, Some(&record(3))).unwrap();
        assert_eq!(replaced, with.replace("right = 1", "right = 3"));
        assert_eq!(with_measured(&with, None).unwrap(), file);
        // A file with no table gets the record at its end.
        let bare = "id = \"h\"\n";
        let appended = with_measured(bare, Some(&record(0))).unwrap();
        assert_eq!(
            appended,
            "id = \"h\"\n\n[measured]\nright = 0\nproposed = 4\non = [\"here\"]\n"
        );
        assert_eq!(with_measured(&appended, None).unwrap(), "id = \"h\"\n\n");
    }
}
