//! Each file's MSRV, read from the manifests around it, for the engine's rule that a fix must not need a newer
//! Rust than the crate promises (`engine::msrv`).
//!
//! A file belongs to the package of the nearest `Cargo.toml` above it with a `[package]`; its MSRV is that
//! package's `rust-version` (`rust-version.workspace = true` reads `[workspace.package]` of the nearest
//! workspace manifest above), and a `clippy.toml` / `.clippy.toml` `msrv` above the package lowers it, the
//! way clippy reads its own configuration. The walk up stops at the repository's top (a directory holding
//! `.git`). A manifest that cannot be read or parsed declares nothing here: `cargo check` reports it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use engine::{Msrv, RustVersion};

/// The MSRV of each of `files` (named as the engine sees them, paths relative to `base`) that has one.
pub fn msrv_of_files<'a>(
    base: &Path,
    files: impl IntoIterator<Item = (&'a Path, &'a str)>,
) -> HashMap<String, Msrv> {
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    let mut reader = Reader {
        base,
        manifests: HashMap::new(),
        by_dir: HashMap::new(),
    };
    let mut out = HashMap::new();
    for (path, name) in files {
        let Some(dir) = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        else {
            continue;
        };
        if let Some(msrv) = reader.of_dir(&dir) {
            out.insert(name.to_owned(), msrv);
        }
    }
    out
}

struct Reader {
    base: PathBuf,
    /// Parsed TOML files by path; `None` when missing or unreadable.
    manifests: HashMap<PathBuf, Option<toml::Table>>,
    by_dir: HashMap<PathBuf, Option<Msrv>>,
}

impl Reader {
    fn of_dir(&mut self, dir: &Path) -> Option<Msrv> {
        if let Some(known) = self.by_dir.get(dir) {
            return known.clone();
        }
        let found = self.find(dir);
        self.by_dir.insert(dir.to_path_buf(), found.clone());
        found
    }

    fn find(&mut self, dir: &Path) -> Option<Msrv> {
        let package_dir = self.up_from(dir).into_iter().find(|d| {
            self.table(&d.join("Cargo.toml"))
                .is_some_and(|t| t.contains_key("package"))
        })?;
        let manifest = package_dir.join("Cargo.toml");
        let rust_version = self
            .table(&manifest)?
            .get("package")?
            .get("rust-version")
            .cloned();
        let declared = match rust_version {
            Some(toml::Value::String(v)) => RustVersion::parse(&v).map(|v| (v, manifest.clone())),
            Some(toml::Value::Table(t))
                if t.get("workspace") == Some(&toml::Value::Boolean(true)) =>
            {
                self.workspace_version(&package_dir)
            }
            _ => None,
        };
        let from_cargo = declared.map(|(version, path)| Msrv {
            version,
            source: format!("`rust-version` in {}", self.shown(&path)),
        });
        let from_clippy = self.clippy_msrv(&package_dir);
        match (from_cargo, from_clippy) {
            (Some(a), Some(b)) => Some(if b.version < a.version { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// `[workspace.package] rust-version` of the nearest workspace manifest at or above `dir`.
    fn workspace_version(&mut self, dir: &Path) -> Option<(RustVersion, PathBuf)> {
        for d in self.up_from(dir) {
            let path = d.join("Cargo.toml");
            let Some(workspace) = self.table(&path).and_then(|t| t.get("workspace")) else {
                continue;
            };
            let version = workspace.get("package")?.get("rust-version")?.as_str()?;
            return RustVersion::parse(version).map(|v| (v, path));
        }
        None
    }

    fn clippy_msrv(&mut self, dir: &Path) -> Option<Msrv> {
        for d in self.up_from(dir) {
            for name in ["clippy.toml", ".clippy.toml"] {
                let path = d.join(name);
                let Some(table) = self.table(&path) else {
                    continue;
                };
                let version = match table.get("msrv") {
                    Some(toml::Value::String(v)) => RustVersion::parse(v),
                    _ => None,
                };
                return version.map(|version| Msrv {
                    version,
                    source: format!("`msrv` in {}", self.shown(&path)),
                });
            }
        }
        None
    }

    /// `dir` and its ancestors, up to and including the first that holds `.git`.
    fn up_from(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for d in dir.ancestors() {
            out.push(d.to_path_buf());
            if d.join(".git").exists() {
                break;
            }
        }
        out
    }

    fn table(&mut self, path: &Path) -> Option<&toml::Table> {
        self.manifests
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let text = std::fs::read_to_string(path).ok()?;
                text.parse::<toml::Table>().ok()
            })
            .as_ref()
    }

    /// A path as the report shows it: relative to the run's base when under it.
    fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.base)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }
}
