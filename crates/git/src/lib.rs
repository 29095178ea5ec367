//! Reads a repository's history for mining: commits in a range, and the Rust files each commit
//! modified, with their text before and after and the `-U0` line hunks between them.
//!
//! This is the only crate that sees git2. Everything it returns is plain owned data (hex ids,
//! `String` paths, `u32` line numbers) so that the pipeline and the pure core never depend on
//! libgit2's lifetimes or types.
//!
//! Choices:
//! - `open` does not search parent directories. The caller keys its cache by the repository's
//!   path, so a subdirectory of a repository is reported as not a repository instead of being
//!   silently widened to the whole repository.
//! - Blob content is read only for files a commit *modified*, and each blob's size is checked in
//!   the object header before the blob is loaded, so a huge generated file costs one header read.
//!   Oversized, binary and non-UTF-8 blobs are values ([`BlobText`]), not errors: the miner skips
//!   them and records why (degrade, don't crash).
//! - Hunks are computed with libgit2's own diff on the two blobs already loaded (zero context,
//!   no rename detection), so the line numbers follow `git diff -U0` exactly.
//! - [`Repo`] wraps a `git2::Repository`, which is `Send` but not `Sync`. Opening one is cheap
//!   (it reads a few files under `.git`), so parallel callers open one `Repo` per thread instead
//!   of sharing one behind a lock.

use std::path::{Path, PathBuf};

use git2::{DiffOptions, ErrorCode, Oid, Patch, RevparseMode, Sort, TreeWalkMode};

/// Everything that can go wrong while reading a repository.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{}` is not a git repository", path.display())]
    NotARepo { path: PathBuf },
    #[error("`{}` has no commits", path.display())]
    Empty { path: PathBuf },
    #[error("unknown revision `{rev}`")]
    UnknownRevision { rev: String },
    #[error("revision `{rev}` does not name a commit")]
    NotACommit { rev: String },
    /// The commit modifies more Rust files than [`Limits::max_files`]; no blob was read.
    #[error("commit {commit} modifies {files} Rust files, over the {limit}-file limit")]
    TooManyFiles {
        commit: String,
        files: usize,
        limit: usize,
    },
    /// Any other libgit2 failure. The message says what was being done and in which repository;
    /// libgit2's own message is the `source`.
    #[error("{context}")]
    Git {
        context: String,
        source: git2::Error,
    },
}

/// An open repository. Not `Sync`: open one per thread (see the module docs).
pub struct Repo {
    repo: git2::Repository,
    path: PathBuf,
}

/// Budgets for reading blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Blobs larger than this are reported as [`BlobText::TooLarge`] without being read.
    pub max_file_bytes: usize,
    /// Commits modifying more Rust files than this are refused by
    /// [`Repo::changed_rust_files`] with [`Error::TooManyFiles`] before any blob is read.
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 1 << 20,
            max_files: usize::MAX,
        }
    }
}

/// One non-merge commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// Hex id of the first parent, or `None` for a root commit or a shallow boundary commit
    /// whose parent is not in the repository.
    pub parent: Option<String>,
    /// First line of the message, lossily decoded.
    pub summary: String,
    /// Committer time, seconds since the Unix epoch.
    pub time: i64,
    /// The author's name, lossily decoded.
    pub author: String,
}

/// A Rust file modified by a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    pub before: BlobText,
    pub after: BlobText,
    /// Zero-context hunks, in file order. Empty unless both sides are [`BlobText::Text`].
    pub hunks: Vec<Hunk>,
}

/// The content of a blob, or the reason it was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobText {
    Text(String),
    Binary,
    NotUtf8,
    /// The blob was not read: it has `bytes` bytes, over [`Limits::max_file_bytes`] (`limit`).
    TooLarge {
        bytes: usize,
        limit: usize,
    },
}

impl BlobText {
    /// The text, if the blob was decoded.
    pub fn text(&self) -> Option<&str> {
        match self {
            BlobText::Text(text) => Some(text),
            _ => None,
        }
    }

    /// Why the blob was skipped, as a lowercase phrase for skip records; `None` for text.
    pub fn reason(&self) -> Option<String> {
        match self {
            BlobText::Text(_) => None,
            BlobText::Binary => Some("binary file".to_owned()),
            BlobText::NotUtf8 => Some("not valid utf-8".to_owned()),
            BlobText::TooLarge { bytes, limit } => Some(format!(
                "file is {bytes} bytes, over the {limit}-byte limit"
            )),
        }
    }
}

/// One `-U0` hunk. Lines are 1-based. `before_len == 0` means a pure insertion after line
/// `before_start`, and `after_len == 0` a pure deletion after line `after_start` (git's
/// convention for zero-context hunks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hunk {
    pub before_start: u32,
    pub before_len: u32,
    pub after_start: u32,
    pub after_len: u32,
}

/// Opens the repository at `path` (its work tree or, for a bare repository, its git directory).
/// Parent directories are not searched.
pub fn open(path: &Path) -> Result<Repo, Error> {
    // Object ids are checked by git itself when objects are written; re-hashing every blob on each read
    // (libgit2's default) cost a sixth of mining time. This is a process-wide libgit2 setting.
    static RELAXED: std::sync::Once = std::sync::Once::new();
    RELAXED.call_once(|| git2::opts::strict_hash_verification(false));
    let repo = match git2::Repository::open(path) {
        Ok(repo) => repo,
        Err(err) if err.code() == ErrorCode::NotFound => {
            return Err(Error::NotARepo {
                path: path.to_owned(),
            });
        }
        Err(source) => {
            return Err(Error::Git {
                context: format!("cannot open repository `{}`", path.display()),
                source,
            });
        }
    };
    let is_empty = repo.is_empty().map_err(|source| Error::Git {
        context: format!("cannot read the references of `{}`", path.display()),
        source,
    })?;
    if is_empty {
        return Err(Error::Empty {
            path: path.to_owned(),
        });
    }
    // libgit2 reports directories with a trailing slash; rebuilding the path from its
    // components drops it so that messages show the path the way users write it.
    let path = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .components()
        .collect();
    Ok(Repo { repo, path })
}

/// The repository that contains `path` (searching parent directories), if any. Used to check a tree is clean
/// before writing to it; mining uses [`open`], which does not search, so that its cache key is canonical.
pub fn discover(path: &Path) -> Option<Repo> {
    let repo = git2::Repository::discover(path).ok()?;
    let path = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .components()
        .collect();
    Some(Repo { repo, path })
}

impl Repo {
    /// Files with uncommitted changes: modified, staged, or new and not ignored. Empty for a clean tree.
    pub fn dirty_files(&self) -> Result<Vec<String>, Error> {
        let mut options = git2::StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let statuses = self
            .repo
            .statuses(Some(&mut options))
            .map_err(|source| Error::Git {
                context: format!("cannot read the status of `{}`", self.path.display()),
                source,
            })?;
        Ok(statuses
            .iter()
            .filter(|s| {
                s.status() != git2::Status::CURRENT && !s.status().contains(git2::Status::IGNORED)
            })
            .filter_map(|s| s.path().ok().map(str::to_owned))
            .collect())
    }

    /// The work tree, or the git directory of a bare repository.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the repository is a shallow clone, so that some commits lack their parents.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The hex id of the commit `HEAD` points at.
    pub fn head(&self) -> Result<String, Error> {
        self.resolve("HEAD")
    }

    /// Resolves any single revspec (`HEAD~2`, a branch, a tag, an abbreviated id) to a commit id.
    pub fn resolve(&self, rev: &str) -> Result<String, Error> {
        Ok(self.resolve_oid(rev)?.to_string())
    }

    /// Non-merge commits in `range`, oldest first (parents before children).
    ///
    /// `range` is `A..B` (reachable from `B` but not from `A`; an empty side means `HEAD`),
    /// `A...B` (reachable from exactly one side), a single revision (everything reachable from
    /// it), or `None` for `HEAD`. With `first_parent`, only first parents are followed; merges on
    /// that chain are still left out.
    pub fn commits(
        &self,
        range: Option<&str>,
        first_parent: bool,
    ) -> Result<Vec<CommitInfo>, Error> {
        let range = range.unwrap_or("HEAD");
        let git = |source| Error::Git {
            context: format!("cannot walk `{range}` in `{}`", self.path.display()),
            source,
        };
        let mut walk = self.repo.revwalk().map_err(git)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .map_err(git)?;
        if first_parent {
            walk.simplify_first_parent().map_err(git)?;
        }
        if range.contains("..") {
            let spec = self
                .repo
                .revparse(range)
                .map_err(|source| self.revparse_error(range, source))?;
            let from = self.spec_commit(range, spec.from())?;
            let to = self.spec_commit(range, spec.to())?;
            walk.push(to).map_err(git)?;
            if spec.mode().contains(RevparseMode::MERGE_BASE) {
                walk.push(from).map_err(git)?;
                let bases = self.repo.merge_bases(from, to).map_err(git)?;
                for base in bases.iter() {
                    walk.hide(*base).map_err(git)?;
                }
            } else {
                walk.hide(from).map_err(git)?;
            }
        } else {
            walk.push(self.resolve_oid(range)?).map_err(git)?;
        }

        let mut commits = Vec::new();
        for oid in walk {
            let commit = self.repo.find_commit(oid.map_err(git)?).map_err(git)?;
            if commit.parent_count() > 1 {
                continue;
            }
            commits.push(CommitInfo {
                id: commit.id().to_string(),
                parent: self.present_parent(&commit).map(|oid| oid.to_string()),
                summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                    .into_owned(),
                time: commit.time().seconds(),
                author: String::from_utf8_lossy(commit.author().name_bytes()).into_owned(),
            });
        }
        Ok(commits)
    }

    /// The `*.rs` files that `commit` modified relative to its first parent, with both texts and
    /// the `-U0` hunks. Added, deleted and renamed files (renames show as a deletion plus an
    /// addition, since rename detection is off), type changes and mode-only changes are left
    /// out. A root commit or a shallow boundary commit gives an empty list.
    pub fn changed_rust_files(
        &self,
        commit: &str,
        limits: &Limits,
    ) -> Result<Vec<FileChange>, Error> {
        let oid = self.resolve_oid(commit)?;
        let git = |what: &str, source| Error::Git {
            context: format!("cannot {what} of commit {oid} in `{}`", self.path.display()),
            source,
        };
        let commit = self.repo.find_commit(oid).map_err(|e| git("read", e))?;
        let Some(parent) = self.present_parent(&commit) else {
            return Ok(Vec::new());
        };
        let parent = self
            .repo
            .find_commit(parent)
            .map_err(|e| git("read the parent", e))?;
        let before_tree = parent.tree().map_err(|e| git("read the parent tree", e))?;
        let after_tree = commit.tree().map_err(|e| git("read the tree", e))?;

        let mut opts = DiffOptions::new();
        opts.pathspec("*.rs")
            .context_lines(0)
            .interhunk_lines(0)
            .ignore_submodules(true);
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&before_tree), Some(&after_tree), Some(&mut opts))
            .map_err(|e| git("diff the tree", e))?;

        let modified = diff
            .deltas()
            .filter(|d| d.status() == git2::Delta::Modified)
            .count();
        if modified > limits.max_files {
            return Err(Error::TooManyFiles {
                commit: oid.to_string(),
                files: modified,
                limit: limits.max_files,
            });
        }
        let mut changes = Vec::new();
        for delta in diff.deltas() {
            if delta.status() != git2::Delta::Modified {
                continue;
            }
            let (old, new) = (delta.old_file(), delta.new_file());
            let is_blob = |mode| {
                matches!(
                    mode,
                    git2::FileMode::Blob
                        | git2::FileMode::BlobExecutable
                        | git2::FileMode::BlobGroupWritable
                )
            };
            if !is_blob(old.mode()) || !is_blob(new.mode()) || old.id() == new.id() {
                continue;
            }
            // The pathspec also matches files under a directory named `*.rs`.
            let path = String::from_utf8_lossy(new.path_bytes().unwrap_or_default()).into_owned();
            if !path.ends_with(".rs") {
                continue;
            }
            let before = self.read_blob(old.id(), &path, limits)?;
            let after = self.read_blob(new.id(), &path, limits)?;
            let hunks = match (&before, &after) {
                ((BlobText::Text(_), Some(before_blob)), (BlobText::Text(_), Some(after_blob))) => {
                    let mut opts = DiffOptions::new();
                    opts.context_lines(0).interhunk_lines(0);
                    let patch =
                        Patch::from_blobs(before_blob, None, after_blob, None, Some(&mut opts))
                            .map_err(|source| Error::Git {
                                context: format!(
                                    "cannot diff `{path}` in commit {oid} of `{}`",
                                    self.path.display()
                                ),
                                source,
                            })?;
                    hunks(&patch).map_err(|source| Error::Git {
                        context: format!(
                            "cannot read the hunks of `{path}` in commit {oid} of `{}`",
                            self.path.display()
                        ),
                        source,
                    })?
                }
                _ => Vec::new(),
            };
            changes.push(FileChange {
                path,
                before: before.0,
                after: after.0,
                hunks,
            });
        }
        Ok(changes)
    }

    /// Every `*.rs` blob in the tree of `rev`, sorted by path. Symlinks and submodules are left
    /// out; oversized, binary and non-UTF-8 files are returned with their [`BlobText`] reason.
    pub fn rust_files_at(
        &self,
        rev: &str,
        limits: &Limits,
    ) -> Result<Vec<(String, BlobText)>, Error> {
        let oid = self.resolve_oid(rev)?;
        let git = |source| Error::Git {
            context: format!(
                "cannot read the tree of `{rev}` in `{}`",
                self.path.display()
            ),
            source,
        };
        let tree = self
            .repo
            .find_commit(oid)
            .and_then(|commit| commit.tree())
            .map_err(git)?;
        let mut blobs = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let mode = entry.filemode();
            let is_blob = mode == i32::from(git2::FileMode::Blob)
                || mode == i32::from(git2::FileMode::BlobExecutable);
            if is_blob && entry.name_bytes().ends_with(b".rs") {
                let name = String::from_utf8_lossy(entry.name_bytes());
                blobs.push((format!("{dir}{name}"), entry.id()));
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(git)?;
        blobs.sort();
        blobs
            .into_iter()
            .map(|(path, id)| {
                let (text, _) = self.read_blob(id, &path, limits)?;
                Ok((path, text))
            })
            .collect()
    }

    fn resolve_oid(&self, rev: &str) -> Result<Oid, Error> {
        // A full commit id needs no reference lookup; revparse would first consult the refs (and
        // re-validate packed-refs), which dominated mining time on repositories with many tags.
        if rev.len() == 40
            && rev.bytes().all(|b| b.is_ascii_hexdigit())
            && let Ok(oid) = Oid::from_str(rev)
            && self.repo.find_commit(oid).is_ok()
        {
            return Ok(oid);
        }
        let object = self
            .repo
            .revparse_single(rev)
            .map_err(|source| self.revparse_error(rev, source))?;
        let commit = object.peel_to_commit().map_err(|_| Error::NotACommit {
            rev: rev.to_owned(),
        })?;
        Ok(commit.id())
    }

    fn spec_commit(&self, range: &str, object: Option<&git2::Object<'_>>) -> Result<Oid, Error> {
        let not_a_commit = || Error::NotACommit {
            rev: range.to_owned(),
        };
        let object = object.ok_or_else(not_a_commit)?;
        Ok(object.peel_to_commit().map_err(|_| not_a_commit())?.id())
    }

    fn revparse_error(&self, rev: &str, source: git2::Error) -> Error {
        match source.code() {
            ErrorCode::NotFound | ErrorCode::InvalidSpec | ErrorCode::Ambiguous => {
                Error::UnknownRevision {
                    rev: rev.to_owned(),
                }
            }
            _ => Error::Git {
                context: format!("cannot parse revision `{rev}` in `{}`", self.path.display()),
                source,
            },
        }
    }

    /// The first parent, if the commit has one and it is present: in a shallow clone libgit2
    /// reports no parents for boundary commits, and the object check also covers repositories
    /// whose parent objects are missing for other reasons.
    fn present_parent(&self, commit: &git2::Commit<'_>) -> Option<Oid> {
        let parent = commit.parent_id(0).ok()?;
        self.repo.find_commit(parent).ok().map(|_| parent)
    }

    /// Reads a blob after checking its size in the object header. The loaded blob is returned
    /// alongside its text so that hunks can be computed without reading it again.
    fn read_blob(
        &self,
        oid: Oid,
        path: &str,
        limits: &Limits,
    ) -> Result<(BlobText, Option<git2::Blob<'_>>), Error> {
        let git = |source| Error::Git {
            context: format!(
                "cannot read blob {oid} of `{path}` in `{}`",
                self.path.display()
            ),
            source,
        };
        let odb = self.repo.odb().map_err(git)?;
        let (bytes, _) = odb.read_header(oid).map_err(git)?;
        if bytes > limits.max_file_bytes {
            return Ok((
                BlobText::TooLarge {
                    bytes,
                    limit: limits.max_file_bytes,
                },
                None,
            ));
        }
        let blob = self.repo.find_blob(oid).map_err(git)?;
        if blob.is_binary() {
            return Ok((BlobText::Binary, None));
        }
        let text = match std::str::from_utf8(blob.content()) {
            Ok(text) => BlobText::Text(text.to_owned()),
            Err(_) => BlobText::NotUtf8,
        };
        Ok((text, Some(blob)))
    }
}

fn hunks(patch: &Patch<'_>) -> Result<Vec<Hunk>, git2::Error> {
    (0..patch.num_hunks())
        .map(|idx| {
            let (hunk, _) = patch.hunk(idx)?;
            Ok(Hunk {
                before_start: hunk.old_start(),
                before_len: hunk.old_lines(),
                after_start: hunk.new_start(),
                after_len: hunk.new_lines(),
            })
        })
        .collect()
}
