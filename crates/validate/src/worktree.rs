//! A scratch copy of the user's working tree, where candidate fixes are written, built and tested
//! without ever touching the user's files.
//!
//! Why a git worktree and not a copy of the directory: `git worktree add --detach` checks HEAD out
//! into a temp dir while sharing the repository's object store, so it costs one checkout and no
//! clone, and ignored files (above all a multi-gigabyte `target/`) stay behind. HEAD alone is not
//! what the user builds, though, so the user's uncommitted state is then copied over path by path:
//! everything `git diff HEAD` names (modified, staged, deleted) and every untracked file that is not
//! ignored. The scratch tree then holds exactly what a `cargo test` in the user's tree would see.
//!
//! Choices:
//! - The `git` CLI, not git2: adapters do not depend on each other, and the CLI already knows
//!   worktrees, filters and `.gitignore` rules. Every git command runs with `--no-optional-locks`
//!   (so reading the user's status never rewrites their index) and without the `GIT_DIR`-style
//!   variables a hook may have set, which would point git at another repository.
//! - The checkout runs with hooks disabled (`core.hooksPath=/dev/null`): a user's post-checkout
//!   hook is for their own checkouts, not for a throwaway one.
//! - One worktree serves many candidates: [`Worktree::write_files`] remembers what it overwrote and
//!   [`Worktree::reset`] puts it back. The path stays the same, so cargo's fingerprints in a shared
//!   target dir stay valid and each candidate rebuilds only what it changed.
//! - Writes cannot escape the worktree. A path with `..` or a root is refused, and so is one whose
//!   real location (after following symlinks, which a repository may commit) lies outside it.
//! - Removal is targeted: `git worktree remove --force --force`, and if git cannot, this worktree's
//!   own admin directory is deleted. Never `git worktree prune`, which works on the whole repository
//!   and would also forget the user's other worktrees whose directories happen to be missing (on an
//!   unmounted drive, say).
//! - A worktree may also be kept between runs ([`persistent_worktree`], under a build directory): brought to
//!   the user's HEAD and uncommitted state by rewriting only the files whose content differs, so the files
//!   keep their modification times and cargo's next build is incremental instead of a rebuild of every
//!   workspace crate. It is never removed on drop; a missing or broken one is made again.
//! - Submodules are not checked out and nested repositories are not copied; a build that needs them
//!   fails in the worktree, visibly, rather than silently using the user's copy.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// Everything that can go wrong while making, changing or removing a worktree.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{}` is not inside a git work tree: {reason}", path.display())]
    NotARepo { path: PathBuf, reason: String },
    #[error("`{}` has no commit to check out (HEAD is unborn)", path.display())]
    NoCommit { path: PathBuf },
    #[error("could not run git in `{}`: {source}", dir.display())]
    GitNotStarted { dir: PathBuf, source: io::Error },
    #[error("`git {args}` failed in `{}`: {stderr}", dir.display())]
    Git {
        dir: PathBuf,
        args: String,
        stderr: String,
    },
    #[error("could not {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// A candidate path that is absolute, has `..`, or resolves (through a symlink) outside the
    /// worktree.
    #[error("`{path}` is not a path inside the worktree `{}`", worktree.display())]
    Escapes { path: String, worktree: PathBuf },
}

/// A scratch copy of the user's working tree as a git worktree, detached at HEAD, in a temp dir,
/// with the user's uncommitted changes copied over. Removed on drop (or by [`Worktree::remove`],
/// which reports failures).
#[derive(Debug)]
pub struct Worktree {
    /// Where the `repo_root` given to [`create_worktree`] is inside the scratch copy (the
    /// worktree's top level, plus the same subdirectory if `repo_root` was one). Run cargo here;
    /// [`Worktree::write_files`] takes paths relative to it.
    pub path: PathBuf,
    /// The worktree's top level, as created and with symlinks resolved; every write must stay
    /// under it.
    top: PathBuf,
    top_real: PathBuf,
    /// The user's top level, where `git worktree remove` runs.
    user_top: PathBuf,
    /// `.git/worktrees/<name>` in the user's repository, deleted by hand if git cannot remove the
    /// worktree.
    admin_dir: PathBuf,
    /// The content each written file had before the first write since the last reset (`None`: it
    /// did not exist). Keyed by absolute path inside the worktree.
    originals: BTreeMap<PathBuf, Option<Vec<u8>>>,
    /// Directories `write_files` created, outermost first, removed again on reset if empty.
    created_dirs: Vec<PathBuf>,
    /// `None` once removed.
    temp: Option<TempDir>,
}

/// [`create_worktree_in`] under the system temp dir.
pub fn create_worktree(repo_root: &Path) -> Result<Worktree, Error> {
    create_worktree_in(repo_root, &std::env::temp_dir())
}

/// Makes a worktree of the repository containing `repo_root`, detached at HEAD, in a new temp dir
/// under `scratch_parent`, and copies the user's uncommitted changes into it.
pub fn create_worktree_in(repo_root: &Path, scratch_parent: &Path) -> Result<Worktree, Error> {
    let (user_top, prefix, _) = locate(repo_root)?;

    let temp = tempfile::Builder::new()
        .prefix("suture-validate-")
        .tempdir_in(scratch_parent)
        .map_err(|source| Error::Io {
            action: "create a temp dir in",
            path: scratch_parent.to_path_buf(),
            source,
        })?;
    let top = temp.path().join("worktree");
    git(
        &user_top,
        &[
            "-c".as_ref(),
            "core.hooksPath=/dev/null".as_ref(),
            "worktree".as_ref(),
            "add".as_ref(),
            "--detach".as_ref(),
            "--quiet".as_ref(),
            top.as_os_str(),
            "HEAD".as_ref(),
        ],
    )?;

    // From here on the worktree exists, so every early return must remove it: build the value
    // first and let its Drop clean up.
    let mut tree = Worktree {
        path: top.join(&prefix),
        top_real: top.clone(),
        top: top.clone(),
        user_top: user_top.clone(),
        admin_dir: PathBuf::new(),
        originals: BTreeMap::new(),
        created_dirs: Vec::new(),
        temp: Some(temp),
    };
    let admin = git(&top, &["rev-parse", "--absolute-git-dir"])?;
    tree.admin_dir = PathBuf::from(OsStr::from_bytes(trim_newline(&admin)));
    tree.top_real = top.canonicalize().map_err(|source| Error::Io {
        action: "resolve",
        path: top.clone(),
        source,
    })?;
    copy_uncommitted(&user_top, &top)?;
    Ok(tree)
}

impl Worktree {
    /// Writes files (path relative to [`Worktree::path`], full content) into the worktree,
    /// remembering what each held before so that [`Worktree::reset`] can restore it.
    pub fn write_files(&mut self, files: &[(String, String)]) -> Result<(), Error> {
        for (relative, content) in files {
            let target = self.resolve(relative)?;
            if !self.originals.contains_key(&target) {
                let before = match std::fs::read(&target) {
                    Ok(bytes) => Some(bytes),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                    Err(source) => {
                        return Err(Error::Io {
                            action: "read",
                            path: target,
                            source,
                        });
                    }
                };
                self.originals.insert(target.clone(), before);
            }
            std::fs::write(&target, content).map_err(|source| Error::Io {
                action: "write",
                path: target.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Restores every file changed by [`Worktree::write_files`] since the last reset, and removes
    /// the directories it created, so the next candidate starts from the user's state.
    pub fn reset(&mut self) -> Result<(), Error> {
        while let Some((path, before)) = self.originals.pop_first() {
            let restored = match &before {
                Some(bytes) => std::fs::write(&path, bytes),
                None => std::fs::remove_file(&path).or_else(|error| {
                    if error.kind() == io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(error)
                    }
                }),
            };
            if let Err(source) = restored {
                // Keep the entry so that a later reset can try again.
                self.originals.insert(path.clone(), before);
                return Err(Error::Io {
                    action: "restore",
                    path,
                    source,
                });
            }
        }
        // Innermost first; a directory something else has since written into is left alone.
        while let Some(dir) = self.created_dirs.pop() {
            let _ = std::fs::remove_dir(&dir);
        }
        Ok(())
    }

    /// Removes the worktree now and reports whether that worked. Dropping does the same but has
    /// to ignore failures.
    pub fn remove(mut self) -> Result<(), Error> {
        self.remove_now()
    }

    fn remove_now(&mut self) -> Result<(), Error> {
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        let removed = git(
            &self.user_top,
            &[
                "worktree".as_ref(),
                "remove".as_ref(),
                "--force".as_ref(),
                "--force".as_ref(),
                self.top.as_os_str(),
            ],
        );
        if removed.is_err() && is_our_admin_dir(&self.admin_dir) {
            // git could not do it (the directory may already be gone): forget this worktree, and
            // only this one, by hand.
            let _ = std::fs::remove_dir_all(&self.admin_dir);
        }
        let path = temp.path().to_path_buf();
        temp.close().map_err(|source| Error::Io {
            action: "remove",
            path,
            source,
        })?;
        removed.map(drop)
    }

    /// The absolute path for a candidate file, after checking that it stays inside the worktree.
    /// Creates missing parent directories (and remembers them for reset).
    fn resolve(&mut self, relative: &str) -> Result<PathBuf, Error> {
        let escapes = || Error::Escapes {
            path: relative.to_string(),
            worktree: self.top.clone(),
        };
        let rel = Path::new(relative);
        let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
        if relative.is_empty() || !plain {
            return Err(escapes());
        }
        let target = self.path.join(rel);
        let parent = target.parent().ok_or_else(escapes)?.to_path_buf();

        // The deepest existing ancestor decides where new directories would really go.
        let mut existing = parent.as_path();
        let mut missing = Vec::new();
        while std::fs::symlink_metadata(existing).is_err() {
            missing.push(existing.to_path_buf());
            existing = existing.parent().ok_or_else(escapes)?;
        }
        let real = existing.canonicalize().map_err(|source| Error::Io {
            action: "resolve",
            path: existing.to_path_buf(),
            source,
        })?;
        if !real.starts_with(&self.top_real) {
            return Err(escapes());
        }
        for dir in missing.into_iter().rev() {
            std::fs::create_dir(&dir).map_err(|source| Error::Io {
                action: "create directory",
                path: dir.clone(),
                source,
            })?;
            self.created_dirs.push(dir);
        }
        // The file itself may be a symlink; what counts is where it points.
        if let Ok(real) = target.canonicalize()
            && !real.starts_with(&self.top_real)
        {
            return Err(escapes());
        }
        Ok(target)
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = self.remove_now();
    }
}

/// Copies the user's uncommitted state from `user_top` onto the fresh checkout at `top`: every
/// path `git diff HEAD` names (its current content, or its absence) and every untracked,
/// non-ignored file.
fn copy_uncommitted(user_top: &Path, top: &Path) -> Result<(), Error> {
    for relative in uncommitted_paths(user_top)? {
        copy_path(&user_top.join(&relative), &top.join(&relative))?;
    }
    Ok(())
}

/// Every path `git diff HEAD` names and every untracked, non-ignored file of the user's tree. `ls-files`
/// names an untracked nested repository as `dir/`; it is left out.
fn uncommitted_paths(user_top: &Path) -> Result<Vec<PathBuf>, Error> {
    let changed = git(
        user_top,
        &["diff", "HEAD", "--name-only", "--no-renames", "-z"],
    )?;
    let untracked = git(
        user_top,
        &["ls-files", "--others", "--exclude-standard", "-z"],
    )?;
    Ok(changed
        .split(|&b| b == 0)
        .chain(untracked.split(|&b| b == 0))
        .filter(|name| !name.is_empty() && !name.ends_with(b"/"))
        .map(|name| PathBuf::from(OsStr::from_bytes(name)))
        .collect())
}

/// Makes `to` what `from` is: the same file, the same symlink, or absent. Directories (submodules)
/// are skipped.
fn copy_path(from: &Path, to: &Path) -> Result<(), Error> {
    let io_error = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    let meta = match std::fs::symlink_metadata(from) {
        Ok(meta) => meta,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return remove_non_dir(to).map_err(io_error("remove", to));
        }
        Err(source) => return Err(io_error("read", from)(source)),
    };
    if meta.is_dir() {
        return Ok(());
    }
    // Remove first: copying onto a symlink would write through it, possibly out of the worktree.
    remove_non_dir(to).map_err(io_error("remove", to))?;
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io_error("create directory", parent))?;
    }
    if meta.is_symlink() {
        let link = std::fs::read_link(from).map_err(io_error("read link", from))?;
        std::os::unix::fs::symlink(link, to).map_err(io_error("create symlink", to))?;
    } else {
        std::fs::copy(from, to).map_err(io_error("copy to the worktree", from))?;
    }
    Ok(())
}

fn remove_non_dir(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => std::fs::remove_file(path),
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// Deleting a directory by hand is only done for a `.git/worktrees/<name>` directory.
fn is_our_admin_dir(dir: &Path) -> bool {
    dir.parent().and_then(Path::file_name) == Some(OsStr::new("worktrees"))
}

/// A worktree kept at `at` between runs. The first call makes it (`git worktree add --force --detach`, which
/// also takes over a registration whose directory was deleted); later calls bring it to the user's HEAD
/// (`git reset --hard`, then remove the untracked files the user no longer has), then copy the user's
/// uncommitted state, writing only files whose content differs. Two runs on one repository at once must not share `at`.
pub fn persistent_worktree(repo_root: &Path, at: &Path) -> Result<Worktree, Error> {
    let (user_top, prefix, head) = locate(repo_root)?;
    let ours = git(at, &["rev-parse", "--show-toplevel"])
        .ok()
        .map(|t| PathBuf::from(OsStr::from_bytes(trim_newline(&t))))
        .zip(at.canonicalize().ok())
        .is_some_and(|(top, real)| top == real);
    if ours {
        git(at, &["reset", "--quiet", "--hard", head.as_str()])?;
        // Untracked files the user no longer has go; the ones they still have stay (and keep their times
        // when their content is the same).
        let theirs = git(
            &user_top,
            &["ls-files", "--others", "--exclude-standard", "-z"],
        )?;
        let theirs: Vec<&[u8]> = theirs.split(|&b| b == 0).collect();
        let mine = git(at, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        for name in mine.split(|&b| b == 0) {
            if name.is_empty() || name.ends_with(b"/") || theirs.contains(&name) {
                continue;
            }
            let path = at.join(OsStr::from_bytes(name));
            remove_non_dir(&path).map_err(|source| Error::Io {
                action: "remove",
                path: path.clone(),
                source,
            })?;
        }
    } else {
        if at.exists() {
            std::fs::remove_dir_all(at).map_err(|source| Error::Io {
                action: "remove",
                path: at.to_path_buf(),
                source,
            })?;
        }
        if let Some(parent) = at.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                action: "create directory",
                path: parent.to_path_buf(),
                source,
            })?;
        }
        git(
            &user_top,
            &[
                "-c".as_ref(),
                "core.hooksPath=/dev/null".as_ref(),
                "worktree".as_ref(),
                "add".as_ref(),
                "--force".as_ref(),
                "--detach".as_ref(),
                "--quiet".as_ref(),
                at.as_os_str(),
                head.as_ref(),
            ],
        )?;
    }
    let top = at.to_path_buf();
    let top_real = top.canonicalize().map_err(|source| Error::Io {
        action: "resolve",
        path: top.clone(),
        source,
    })?;
    let admin = git(&top, &["rev-parse", "--absolute-git-dir"])?;
    copy_uncommitted_if_changed(&user_top, &top)?;
    Ok(Worktree {
        path: top.join(&prefix),
        top_real,
        top,
        user_top,
        admin_dir: PathBuf::from(OsStr::from_bytes(trim_newline(&admin))),
        originals: BTreeMap::new(),
        created_dirs: Vec::new(),
        // No temp dir: dropping it leaves the worktree in place for the next run.
        temp: None,
    })
}

/// [`copy_uncommitted`], but a file whose content is already the user's is left alone (and keeps its
/// modification time).
fn copy_uncommitted_if_changed(user_top: &Path, top: &Path) -> Result<(), Error> {
    for relative in uncommitted_paths(user_top)? {
        let (from, to) = (user_top.join(&relative), top.join(&relative));
        let same = match (
            std::fs::symlink_metadata(&from),
            std::fs::symlink_metadata(&to),
        ) {
            (Ok(a), Ok(b)) if a.is_file() && b.is_file() => {
                std::fs::read(&from).ok() == std::fs::read(&to).ok()
            }
            _ => false,
        };
        if !same {
            copy_path(&from, &to)?;
        }
    }
    Ok(())
}

/// The user's top level, `repo_root`'s place in it, and the HEAD commit, or why there is no worktree to make.
fn locate(repo_root: &Path) -> Result<(PathBuf, PathBuf, String), Error> {
    let located = git(
        repo_root,
        &["rev-parse", "--show-toplevel", "--show-prefix"],
    )
    .map_err(|error| Error::NotARepo {
        path: repo_root.to_path_buf(),
        reason: match error {
            Error::Git { stderr, .. } => stderr,
            other => other.to_string(),
        },
    })?;
    let mut lines = located.split(|&b| b == b'\n');
    let user_top = PathBuf::from(OsStr::from_bytes(lines.next().unwrap_or_default()));
    let prefix = PathBuf::from(OsStr::from_bytes(lines.next().unwrap_or_default()));
    if user_top.as_os_str().is_empty() {
        return Err(Error::NotARepo {
            path: repo_root.to_path_buf(),
            reason: "git found no work tree (a bare repository?)".to_string(),
        });
    }
    let head = git(
        &user_top,
        &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
    )
    .map_err(|_| Error::NoCommit {
        path: repo_root.to_path_buf(),
    })?;
    let head = String::from_utf8_lossy(trim_newline(&head)).into_owned();
    Ok((user_top, prefix, head))
}

/// Runs `git -C dir args…` and returns its stdout, or its stderr as the error.
fn git<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<Vec<u8>, Error> {
    let mut command = Command::new("git");
    command
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null());
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_PREFIX",
    ] {
        command.env_remove(var);
    }
    let output = command.output().map_err(|source| Error::GitNotStarted {
        dir: dir.to_path_buf(),
        source,
    })?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let args: Vec<_> = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        Err(Error::Git {
            dir: dir.to_path_buf(),
            args: args.join(" "),
            stderr: String::from_utf8_lossy(trim_newline(&output.stderr)).into_owned(),
        })
    }
}

fn trim_newline(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\n").unwrap_or(bytes)
}
