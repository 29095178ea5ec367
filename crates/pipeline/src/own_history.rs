//! The main job learns first: `suture fix` in a git repository mines that repository's own history before it
//! fixes anything, and uses what it learned together with the shipped library, the team's patterns first.
//!
//! Incremental by construction: the store (`REPO/.suture/suture.db`) remembers every mined commit, so a
//! re-run mines only the commits that arrived since; when none did and HEAD is where the library was built,
//! the library on disk is used as it is (`REPO/.suture/learned/`, with the revision it was built at in
//! `.head`, with the version of suture that built it). A library a person mined on purpose (`suture mine` into `REPO/.suture/patterns`) is theirs:
//! it is used as it is, and nothing is learned over it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::library::{WriteReport, write_atomic, write_library};
use crate::mining::{MineOptions, MineReport, Progress, RepoSpec, mine_repos};

/// Bumped whenever what is learned from the same history changes (mining, refusal or migration rules), so that
/// a library learned by an earlier build is learned again from the stored edits.
const LEARNING: u32 = 6;

/// Where the team's library of a repository comes from.
#[derive(Debug, Clone)]
pub enum OwnLibrary {
    /// Learned now (or up to date from an earlier run) from the repository's history.
    Learned {
        dir: PathBuf,
        /// `None` when nothing new was mined and the library on disk was current.
        report: Option<Box<MineReport>>,
        written: Option<WriteReport>,
    },
    /// `REPO/.suture/patterns`, mined by a person with `suture mine`: used as it is.
    Mined(PathBuf),
    /// No history to learn from, and why (not a git repository, an empty one, a store that cannot be made).
    None(String),
}

/// The options a team's own history is mined with: any pattern two consistent sites support, renames kept
/// only as migrations, migrations read.
pub fn own_history_options() -> MineOptions {
    MineOptions {
        migrations: Some(mine::migration::MigrationConfig::default()),
        ..MineOptions::default()
    }
}

/// Learns the history of the git repository around `start` (a directory or file inside it).
pub fn learn_own_history(start: &Path, progress: &dyn Progress) -> Result<OwnLibrary> {
    let Some(repo) = git::discover(start) else {
        return Ok(OwnLibrary::None(format!(
            "`{}` is not in a git repository",
            start.display()
        )));
    };
    let root = repo.path().to_path_buf();
    let suture = root.join(".suture");
    let mined = suture.join("patterns");
    if mined.is_dir() {
        return Ok(OwnLibrary::Mined(mined));
    }
    let head = match repo.head() {
        Ok(head) => head,
        Err(_) => {
            return Ok(OwnLibrary::None(format!(
                "`{}` has no commit yet",
                root.display()
            )));
        }
    };
    let dir = suture.join("learned");
    let stamp = dir.join(".head");
    // Built at this revision by this version of suture (another version may learn differently).
    let built = format!("{head} {} {LEARNING}", env!("CARGO_PKG_VERSION"));
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == built) {
        return Ok(OwnLibrary::Learned {
            dir,
            report: None,
            written: None,
        });
    }
    if let Err(e) = std::fs::create_dir_all(&suture) {
        return Ok(OwnLibrary::None(format!(
            "cannot create `{}` for the store: {e}",
            suture.display()
        )));
    }
    ignore_dir(&suture);
    let mut store = store::open(&suture.join("suture.db"))?;
    let spec = RepoSpec {
        path: root.clone(),
        name: None,
    };
    let (library, report) = mine_repos(&[spec], &mut store, &own_history_options(), progress)
        .with_context(|| format!("cannot learn the history of `{}`", root.display()))?;
    let written = write_library(&dir, &library)?;
    write_atomic(&stamp, format!("{built}\n").as_bytes())?;
    Ok(OwnLibrary::Learned {
        dir,
        report: Some(Box::new(report)),
        written: Some(written),
    })
}

/// Keeps suture's own directory (store, libraries) out of `git status`, as cargo does for `target/`.
pub fn ignore_dir(dir: &Path) {
    let ignore = dir.join(".gitignore");
    if dir.is_dir() && !ignore.exists() {
        // Best effort: a tree where this cannot be written only shows one more untracked directory.
        let _ = write_atomic(&ignore, b"*\n");
    }
}

/// "3 of 5 sites migrated since 2026-03-02, by 2 authors": a migration's progress with `remaining` sites left.
pub fn migration_progress(m: &pattern::Migration, remaining: u32) -> String {
    let authors = match m.authors.len() {
        1 => "1 author".to_owned(),
        n => format!("{n} authors"),
    };
    let date = watch::time::format(m.first);
    format!(
        "{} of {} sites migrated since {}, by {authors}",
        m.migrated,
        m.migrated + remaining,
        &date[..10]
    )
}
