//! Shared helpers for the end-to-end tests: real git repositories built with git2, and runs of the binary.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Repository, Signature, Time};

/// A git repository in a temporary directory, with deterministic commit ids (fixed author and times).
pub struct Repo {
    dir: tempfile::TempDir,
    repo: Repository,
    tick: std::cell::Cell<i64>,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Repo {
            dir,
            repo,
            tick: std::cell::Cell::new(1_700_000_000),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn path_str(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    /// Commits the given files (path, content) on top of HEAD.
    pub fn commit(&self, message: &str, files: &[(&str, &str)]) -> git2::Oid {
        let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_bytes())).collect();
        self.commit_bytes(message, &bytes)
    }

    pub fn commit_bytes(&self, message: &str, files: &[(&str, &[u8])]) -> git2::Oid {
        let mut index = self.repo.index().unwrap();
        for (path, content) in files {
            let full = self.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, content).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let t = self.tick.get() + 60;
        self.tick.set(t);
        let sig = Signature::new("Fixer", "fixer@example.com", &Time::new(t, 0)).unwrap();
        let parent = self.repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    /// A repository holding one committed one-package crate named `name` (no dependencies, so cargo runs
    /// offline) with `lib` as `src/lib.rs`.
    pub fn with_crate(name: &str, lib: &str) -> Repo {
        let manifest =
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
        let lock = format!("version = 4\n\n[[package]]\nname = \"{name}\"\nversion = \"0.1.0\"\n");
        let repo = Repo::new();
        repo.commit(
            "the crate",
            &[
                ("Cargo.toml", &manifest),
                ("Cargo.lock", &lock),
                ("src/lib.rs", lib),
                (".gitignore", "/target\n"),
            ],
        );
        repo
    }

    /// Replaces the single occurrence of `from` with `to` in `path` and commits.
    #[track_caller]
    pub fn edit(&self, message: &str, path: &str, from: &str, to: &str) -> git2::Oid {
        let text = std::fs::read_to_string(self.path().join(path)).unwrap();
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` must occur once in {path}"
        );
        let new = text.replacen(from, to, 1);
        self.commit(message, &[(path, &new)])
    }

    /// The id of the most recent commit with this summary.
    pub fn summary_to_id(&self, summary: &str) -> String {
        let mut walk = self.repo.revwalk().unwrap();
        walk.push_head().unwrap();
        for oid in walk {
            let commit = self.repo.find_commit(oid.unwrap()).unwrap();
            if commit.summary().unwrap() == Some(summary) {
                return commit.id().to_string();
            }
        }
        panic!("no commit `{summary}`");
    }

    /// The summary of a commit id, for readable assertions.
    pub fn summary(&self, id: &str) -> String {
        let oid = git2::Oid::from_str(id).unwrap();
        self.repo
            .find_commit(oid)
            .unwrap()
            .summary()
            .unwrap()
            .unwrap()
            .to_owned()
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `suture` binary.
pub fn run(args: &[&str]) -> Output {
    // The crates the tests build are all named alike; a CARGO_TARGET_DIR inherited from the test run would
    // let one test's build answer for another's. Each repository builds in its own target directory.
    let out = Command::new(env!("CARGO_BIN_EXE_suture"))
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Reads a written library back and prints it compactly, with commits shown by their summaries.
pub fn summarise_library(repo: &Repo, dir: &Path) -> String {
    let mut patterns: Vec<toml::Value> = read_dir_sorted(dir)
        .into_iter()
        .map(|(_, text)| toml::from_str(&text).unwrap())
        .collect();
    patterns.sort_by(|a, b| {
        b["score"]
            .as_float()
            .partial_cmp(&a["score"].as_float())
            .unwrap()
            .then_with(|| a["before"].as_str().cmp(&b["before"].as_str()))
    });
    let mut out = String::new();
    for p in patterns {
        let mut summaries: Vec<String> = p
            .get("provenance")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .map(|e| repo.summary(e["commit"].as_str().unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        summaries.sort();
        summaries.dedup();
        out.push_str(&format!(
            "{} => {}\n  origin {}, support {}, score {}, specialisation {}\n  provenance: {}\n",
            p["before"].as_str().unwrap(),
            p["after"].as_str().unwrap(),
            p["origin"].as_str().unwrap(),
            p["support"],
            p["score"],
            p["specialisation"],
            summaries.join(", ")
        ));
    }
    out
}

/// (file name, content) of every file in `dir`, sorted; empty when `dir` does not exist.
pub fn read_dir_sorted(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, String)> = entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                PathBuf::from(p.file_name().unwrap()),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A small crate whose history holds two families of fixes, an edit in a macro, and unrelated refactorings.
pub fn history() -> Repo {
    let repo = Repo::new();
    repo.commit(
        "initial",
        &[(
            "src/lib.rs",
            r#"use std::cmp::max;

pub struct Queue { items: Vec<u32>, end: usize }

impl Queue {
    pub fn idle(&self) -> bool {
        self.items.len() == 0
    }

    pub fn remaining(&self, start: usize) -> usize {
        max(self.end, start)
    }
}

pub fn none(v: &[u8]) -> bool {
    if v.len() == 0 { return true; }
    false
}

pub fn gap(a: usize, b: usize) -> usize {
    let d = max(a, b);
    d
}

pub fn bar_empty() -> bool {
    foo().bar.len() == 0
}

pub fn before_last(n: usize) -> usize {
    max(n, 1)
}

fn helper(x: u32, y: u32) -> u32 { x + y }

#[test]
fn empty() {
    let v: Vec<u8> = Vec::new();
    assert!(v.len() == 0);
}
"#,
        )],
    );
    repo.edit(
        "use is_empty on a slice",
        "src/lib.rs",
        "if v.len() == 0 {",
        "if v.is_empty() {",
    );
    repo.edit(
        "gap calls max as a method",
        "src/lib.rs",
        "let d = max(a, b);",
        "let d = a.max(b);",
    );
    repo.edit(
        "refactor: rename helper",
        "src/lib.rs",
        "fn helper(x: u32, y: u32) -> u32 { x + y }",
        "fn add(x: u32, y: u32) -> u32 { x + y }",
    );
    repo.edit(
        "queue idle uses is_empty",
        "src/lib.rs",
        "self.items.len() == 0",
        "self.items.is_empty()",
    );
    repo.edit(
        "remaining calls max as a method",
        "src/lib.rs",
        "max(self.end, start)",
        "self.end.max(start)",
    );
    repo.edit(
        "refactor: swap arguments",
        "src/lib.rs",
        "fn add(x: u32, y: u32) -> u32 { x + y }",
        "fn add(y: u32, x: u32) -> u32 { y + x }",
    );
    repo.edit(
        "bar_empty uses is_empty",
        "src/lib.rs",
        "foo().bar.len() == 0",
        "foo().bar.is_empty()",
    );
    repo.edit(
        "test uses is_empty",
        "src/lib.rs",
        "assert!(v.len() == 0);",
        "assert!(v.is_empty());",
    );
    repo.edit(
        "before_last calls max as a method",
        "src/lib.rs",
        "    max(n, 1)\n",
        "    n.max(1)\n",
    );
    repo.edit(
        "refactor: return early",
        "src/lib.rs",
        "    let d = a.max(b);\n    d\n",
        "    a.max(b)\n",
    );
    repo
}

/// The two pathological files of issue #16, which used to abort `fix` and `mine` with a stack overflow:
/// a constant summing 20,000 terms, and `Some(` nested 3,000 deep; (path, content).
pub fn deep_files() -> [(&'static str, String); 2] {
    let sum = vec!["1"; 20_000].join(" + ");
    let calls = format!("{}1{}", "Some(".repeat(3_000), ")".repeat(3_000));
    [
        ("src/sum.rs", format!("pub const X: u64 = {sum};\n")),
        (
            "src/some.rs",
            format!(
                "pub fn f(v: &[u8]) -> Option<bool> {{\n    let _ = {calls};\n    Some(v.len() == 0)\n}}\n"
            ),
        ),
    ]
}
