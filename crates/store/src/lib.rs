//! The embedded SQLite store of one checkout: the mining cache (which commits of a repository
//! have been mined, the concrete edits each one produced, and the edits it skipped and why) and
//! the audit trail of `suture heal` and `suture fix`.
//!
//! Choices:
//! - rusqlite with bundled SQLite, so the store needs no system library and no server.
//! - This store holds only its own tables. The server's tables (webhook queue, fix outcomes, fix
//!   PRs, ignores) belong to [`server::ServerStore`], whose SQLite backend keeps its own migration
//!   track in the table `suture_server_migrations`, so opening a mining store never creates
//!   server tables and opening a server store never creates mining tables. The two may still
//!   share one file, each bringing only its own schema up to date.
//! - The schema is an ordered list of SQL migrations, and `PRAGMA user_version` counts how many
//!   have run. Each migration runs in its own immediate transaction that re-reads the version
//!   first, so two processes opening a fresh store at once apply every migration exactly once.
//!   A store written by a newer build (a higher version) is refused rather than misread.
//! - WAL journal with `synchronous = NORMAL`: readers never block the writer, and a crash can
//!   lose at most the last commits recorded, never corrupt the file. The mining cache is
//!   rebuildable, so that trade is cheap.
//! - One mined commit is one transaction. A commit row, its edits and its skipped edits land
//!   together or not at all, so the presence of a commit in [`Store::mined_commits`] proves that
//!   all of its rows are present and a crashed run simply mines that commit again.
//! - [`StoredEdit`] repeats its commit's id and time so that a row read back stands alone. The
//!   table keeps the time once, on the commit, and [`Store::record_commit`] refuses an edit
//!   whose id or time disagrees with the commit it is recorded under instead of storing a
//!   contradiction.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::OptionalExtension;
use rusqlite::{Connection, TransactionBehavior, params};

pub mod server;
mod watch;

pub use watch::{WatchGroup, WatchSource};

/// Everything that can go wrong while using the store. `store` fields hold the database path,
/// or `:memory:` for an in-memory store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create directory `{}` for store `{}`", dir.display(), path.display())]
    CreateDir {
        dir: PathBuf,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open store `{}`", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "store `{store}` has schema version {found}, newer than version {supported} that this build understands"
    )]
    TooNew {
        store: String,
        found: u32,
        supported: u32,
    },
    #[error("cannot migrate store `{store}` to schema version {version}")]
    Migrate {
        store: String,
        version: u32,
        source: rusqlite::Error,
    },
    #[error(
        "{what} at `{path}:{line}` names commit {found}, but is recorded under commit {commit}"
    )]
    WrongCommit {
        what: &'static str,
        path: String,
        line: u32,
        found: String,
        commit: String,
    },
    #[error("edit at `{path}:{line}` has time {found}, but its commit {commit} has time {time}")]
    WrongTime {
        path: String,
        line: u32,
        found: i64,
        commit: String,
        time: i64,
    },
    /// Any other SQLite failure; the message says what was being done and in which store.
    #[error("{context}")]
    Sqlite {
        context: String,
        source: rusqlite::Error,
    },
    /// A PostgreSQL failure without more context.
    #[error("postgresql: {0}")]
    Postgres(#[from] postgres::Error),
    /// A PostgreSQL failure; the message says what was being done and in which database (its
    /// password is never shown).
    #[error("{context}")]
    Pg {
        context: String,
        source: postgres::Error,
    },
    #[error("cannot migrate postgresql store `{store}` to schema version {version}")]
    PgMigrate {
        store: String,
        version: u32,
        source: postgres::Error,
    },
    /// A server store URL that names no backend, or that cannot be parsed.
    #[error("bad store url `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    /// A number too large for the store's signed 64-bit columns.
    #[error("{what} {value} is too large to store (at most {})", i64::MAX)]
    OutOfRange { what: &'static str, value: u64 },
    /// A value read back that this build cannot interpret, such as an unknown state name.
    #[error("store `{store}` holds {what} `{value}`, which this build does not understand")]
    BadValue {
        store: String,
        what: &'static str,
        value: String,
    },
}

/// The ordered schema migrations of the mining store. Migration `n` (0-based) brings the store to
/// version `n + 1`. Append only: never edit a migration that has shipped (migration 3 was emptied
/// once, when the server tables moved to their own track, and says why).
const MIGRATIONS: &[&str] = &[
    // 1: the mining cache.
    "
    CREATE TABLE mined_commit (
        repo TEXT NOT NULL,
        commit_id TEXT NOT NULL,
        time INTEGER NOT NULL,
        PRIMARY KEY (repo, commit_id)
    ) STRICT;

    CREATE TABLE edit (
        repo TEXT NOT NULL,
        commit_id TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL CHECK (line >= 0),
        before_text TEXT NOT NULL,
        after_text TEXT NOT NULL,
        before_kind TEXT NOT NULL,
        after_kind TEXT NOT NULL,
        FOREIGN KEY (repo, commit_id) REFERENCES mined_commit (repo, commit_id)
    ) STRICT;
    CREATE INDEX edit_by_commit ON edit (repo, commit_id);

    CREATE TABLE skipped_edit (
        repo TEXT NOT NULL,
        commit_id TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL CHECK (line >= 0),
        reason TEXT NOT NULL,
        FOREIGN KEY (repo, commit_id) REFERENCES mined_commit (repo, commit_id)
    ) STRICT;
    CREATE INDEX skipped_edit_by_commit ON skipped_edit (repo, commit_id);
    ",
    // 2: the audit trail: one row per action of a run (detected, located, matched, patched, validated,
    // decided, delivered, outcome).
    "
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        run TEXT NOT NULL,
        at INTEGER NOT NULL,
        step TEXT NOT NULL,
        actor TEXT NOT NULL,
        subject TEXT NOT NULL,
        reason TEXT NOT NULL,
        commit_id TEXT,
        data TEXT NOT NULL CHECK (json_valid(data))
    ) STRICT;
    CREATE INDEX audit_by_run ON audit (run, id);
    ",
    // 3: empty. Builds before the server store had its own track created the server's tables
    // here, on every mining store. A store those builds brought to version 3 keeps the tables
    // and their rows (the SQLite server backend adopts them, see `server/sqlite.rs`); a new
    // store passes version 3 without creating them. The version number stays taken so that
    // both kinds of file read as up to date, and so that builds agree on what 4 will mean.
    "",
    // 4: `suture watch`: panic groups by fingerprint, their hourly counts, the fixes recorded for them,
    // and how far each log file has been read (see `watch.rs`).
    "
    CREATE TABLE watch_group (
        fingerprint TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        frames TEXT NOT NULL CHECK (json_valid(frames)),
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        count INTEGER NOT NULL CHECK (count >= 0)
    ) STRICT;

    CREATE TABLE watch_count (
        fingerprint TEXT NOT NULL REFERENCES watch_group (fingerprint),
        hour INTEGER NOT NULL,
        count INTEGER NOT NULL CHECK (count >= 0),
        PRIMARY KEY (fingerprint, hour)
    ) STRICT;

    CREATE TABLE watch_fix (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL REFERENCES watch_group (fingerprint),
        at INTEGER NOT NULL,
        how TEXT NOT NULL,
        commit_id TEXT,
        test TEXT NOT NULL
    ) STRICT;
    CREATE INDEX watch_fix_by_group ON watch_fix (fingerprint, at);

    CREATE TABLE watch_source (
        path TEXT PRIMARY KEY,
        head TEXT NOT NULL,
        offset INTEGER NOT NULL CHECK (offset >= 0)
    ) STRICT;
    ",
    // 5: each edit's unchanged context, the kind of the node its before side sat in. The mining cache is
    // emptied, so that every commit is mined again with it (the store is a cache of what git holds).
    "
    ALTER TABLE edit ADD COLUMN parent_kind TEXT;
    DELETE FROM skipped_edit;
    DELETE FROM edit;
    DELETE FROM mined_commit;
    ",
];

/// One action to record in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// The run it belongs to (one `suture heal` or `suture fix` invocation).
    pub run: String,
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// What kind of action: `trace`, `located`, `candidate`, `validated`, `decided`, `delivered`, ….
    pub step: String,
    /// Who acted: `suture` or a person.
    pub actor: String,
    /// What it is about: a file and line, a pattern, a command.
    pub subject: String,
    /// Why, in words.
    pub reason: String,
    /// The commit the run worked on, when known.
    pub commit: Option<String>,
    /// Details as a JSON document.
    pub data: String,
}

/// A recorded action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub entry: NewAudit,
}

/// The mining store's schema version this build writes: the number of its migrations.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// An open store. Like the SQLite connection inside it, it is `Send` but not `Sync`: open one per
/// thread, or funnel writes through one owner.
pub struct Store {
    conn: Connection,
    /// The database path, or `:memory:`, for error messages.
    name: String,
}

/// One mined commit and everything mining produced for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinedCommit {
    /// Full hex id.
    pub id: String,
    /// Commit time, seconds since the Unix epoch.
    pub time: i64,
    pub edits: Vec<StoredEdit>,
    pub skipped: Vec<SkippedEdit>,
}

/// One concrete edit found in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEdit {
    /// The id of the commit that made the edit; must equal [`MinedCommit::id`].
    pub commit: String,
    /// The time of that commit; must equal [`MinedCommit::time`].
    pub time: i64,
    /// File path relative to the repository root.
    pub path: String,
    /// 1-based line of the edit in the file after the commit.
    pub line: u32,
    pub before: String,
    pub after: String,
    /// The syntax kind of `before`, as named by the syntax layer.
    pub before_kind: String,
    /// The syntax kind of `after`.
    pub after_kind: String,
    /// The syntax kind of the node `before` sat in, when known (`None` also for edits of other places).
    pub parent_kind: Option<String>,
}

/// An edit that mining dropped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEdit {
    /// The id of the commit; must equal [`MinedCommit::id`].
    pub commit: String,
    pub path: String,
    pub line: u32,
    pub reason: String,
}

/// Opens the store at `path`, creating the file and its parent directories if needed, and brings
/// its schema up to date. Tables of other tracks in the same file (the server store's) are left
/// alone.
pub fn open(path: &Path) -> Result<Store, Error> {
    let conn = connect(path)?;
    let mut store = Store {
        conn,
        name: path.display().to_string(),
    };
    migrate(&mut store.conn, &store.name, &LOCAL_TRACK)?;
    Ok(store)
}

/// Opens the SQLite file at `path` for either store, creating the file and its parent
/// directories if needed, with the settings both rely on (WAL, `synchronous = NORMAL`, foreign
/// keys); creates no table.
pub(crate) fn connect(path: &Path) -> Result<Connection, Error> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
            dir: dir.to_owned(),
            path: path.to_owned(),
            source,
        })?;
    }
    let open_error = |source| Error::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open(path).map_err(open_error)?;
    // SQLite opens lazily: a directory or a file that is not a database fails here.
    set_wal(&conn).map_err(open_error)?;
    conn.pragma_update(None, "synchronous", "normal")
        .map_err(open_error)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(open_error)?;
    Ok(conn)
}

/// How long opening waits for other connections that are switching the same new file to WAL.
const WAL_SWITCH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Puts the file in WAL mode. Switching a new file needs its exclusive lock, and a connection that
/// asks while another one holds the lock half-way through is told "busy" at once, without its busy
/// timeout (waiting could deadlock), so processes or threads opening one new file at once (workers
/// starting together) retry here for a while instead of failing.
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + WAL_SWITCH_WAIT;
    loop {
        match conn
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get::<_, String>(0))
        {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other.map(drop),
        }
    }
}

/// One ordered list of migrations and where a database records how many of them have run. The
/// mining store counts in `PRAGMA user_version`; the SQLite server store in a table of its own,
/// so that the two tracks can share a file without either counting the other's migrations.
pub(crate) struct Track {
    pub(crate) migrations: &'static [&'static str],
    /// Run at the start of every migration transaction, before `version` (for example to create
    /// the table that holds the version).
    pub(crate) setup: &'static str,
    /// How many migrations of this track have run.
    pub(crate) version: fn(&Connection) -> rusqlite::Result<u32>,
    /// Records that `version` migrations have run.
    pub(crate) set_version: fn(&Connection, u32) -> rusqlite::Result<()>,
}

/// The mining store's track.
const LOCAL_TRACK: Track = Track {
    migrations: MIGRATIONS,
    setup: "",
    version: |conn| conn.pragma_query_value(None, "user_version", |row| row.get(0)),
    set_version: |conn, version| conn.pragma_update(None, "user_version", version),
};

/// Applies the migrations of `track` that `conn` has not seen yet, one immediate transaction each
/// that re-reads the version first, so that processes opening a fresh file at once apply each
/// migration exactly once. A version above what this build knows is refused. `name` is the
/// store's name for errors.
pub(crate) fn migrate(conn: &mut Connection, name: &str, track: &Track) -> Result<(), Error> {
    let supported = track.migrations.len() as u32;
    loop {
        let migrate_error = |version, source| Error::Migrate {
            store: name.to_owned(),
            version,
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| migrate_error(supported, source))?;
        let found = tx
            .execute_batch(track.setup)
            .and_then(|()| (track.version)(&tx))
            .map_err(|source| migrate_error(supported, source))?;
        if found > supported {
            return Err(Error::TooNew {
                store: name.to_owned(),
                found,
                supported,
            });
        }
        let Some(sql) = track.migrations.get(found as usize) else {
            return Ok(());
        };
        let version = found + 1;
        tx.execute_batch(sql)
            .and_then(|()| (track.set_version)(&tx, version))
            .and_then(|()| tx.commit())
            .map_err(|source| migrate_error(version, source))?;
    }
}

/// Opens a fresh store that lives in memory, for tests and dry runs.
pub fn open_in_memory() -> Result<Store, Error> {
    let path = Path::new(":memory:");
    let open_error = |source| Error::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open_in_memory().map_err(open_error)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(open_error)?;
    let mut store = Store {
        conn,
        name: ":memory:".to_owned(),
    };
    migrate(&mut store.conn, &store.name, &LOCAL_TRACK)?;
    Ok(store)
}

impl Store {
    /// Every repository with a mined commit recorded, by key, sorted.
    pub fn repos(&self) -> Result<Vec<String>, Error> {
        let sqlite = || self.sqlite("cannot read the mined repositories".to_owned());
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT repo FROM mined_commit ORDER BY repo")
            .map_err(sqlite())?;
        let repos = stmt
            .query_map([], |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sqlite())?;
        Ok(repos)
    }

    /// The ids of every commit of `repo` recorded so far.
    pub fn mined_commits(&self, repo: &str) -> Result<HashSet<String>, Error> {
        let sqlite = || self.sqlite(format!("cannot read the mined commits of `{repo}`"));
        let mut stmt = self
            .conn
            .prepare_cached("SELECT commit_id FROM mined_commit WHERE repo = ?1")
            .map_err(sqlite())?;
        let ids = stmt
            .query_map([repo], |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sqlite())?;
        Ok(ids)
    }

    /// Records one mined commit with its edits and skipped edits in one transaction: either all
    /// rows land or none do. Recording a commit again replaces its rows.
    pub fn record_commit(&mut self, repo: &str, commit: &MinedCommit) -> Result<(), Error> {
        self.record_commits(repo, std::slice::from_ref(commit))
    }

    /// Records several mined commits in one transaction, as [`Store::record_commit`] records one: either
    /// all their rows land or none do. A transaction per commit cost mining a write of the journal each.
    pub fn record_commits(&mut self, repo: &str, commits: &[MinedCommit]) -> Result<(), Error> {
        let name = self.name.clone();
        let sqlite = |commit: &str| {
            let name = name.clone();
            let commit = commit.to_owned();
            let repo = repo.to_owned();
            move |source| Error::Sqlite {
                context: format!("cannot record commit {commit} of `{repo}` in store `{name}`"),
                source,
            }
        };
        let Some(first) = commits.first() else {
            return Ok(());
        };
        // Immediate: take the write lock up front, so a concurrent writer waits for the busy
        // timeout instead of failing when a read lock would have to be upgraded.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite(&first.id))?;
        for commit in commits {
            insert_commit(&tx, repo, commit, sqlite(&commit.id))?;
        }
        tx.commit().map_err(sqlite(&first.id))
    }

    /// All edits of `repo`, ordered by commit time, commit id, path, line, and then the order in
    /// which they were recorded.
    pub fn edits(&self, repo: &str) -> Result<Vec<StoredEdit>, Error> {
        let sqlite = || self.sqlite(format!("cannot read the edits of `{repo}`"));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.commit_id, c.time, e.path, e.line, e.before_text, e.after_text, \
                 e.before_kind, e.after_kind, e.parent_kind \
                 FROM edit e JOIN mined_commit c ON c.repo = e.repo AND c.commit_id = e.commit_id \
                 WHERE e.repo = ?1 \
                 ORDER BY c.time, e.commit_id, e.path, e.line, e.rowid",
            )
            .map_err(sqlite())?;
        stmt.query_map([repo], |row| {
            Ok(StoredEdit {
                commit: row.get(0)?,
                time: row.get(1)?,
                path: row.get(2)?,
                line: row.get(3)?,
                before: row.get(4)?,
                after: row.get(5)?,
                before_kind: row.get(6)?,
                after_kind: row.get(7)?,
                parent_kind: row.get(8)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sqlite())
    }

    /// All skipped edits of `repo`, in the same order as [`Store::edits`].
    pub fn skipped(&self, repo: &str) -> Result<Vec<SkippedEdit>, Error> {
        let sqlite = || self.sqlite(format!("cannot read the skipped edits of `{repo}`"));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.commit_id, s.path, s.line, s.reason \
                 FROM skipped_edit s \
                 JOIN mined_commit c ON c.repo = s.repo AND c.commit_id = s.commit_id \
                 WHERE s.repo = ?1 \
                 ORDER BY c.time, s.commit_id, s.path, s.line, s.rowid",
            )
            .map_err(sqlite())?;
        stmt.query_map([repo], |row| {
            Ok(SkippedEdit {
                commit: row.get(0)?,
                path: row.get(1)?,
                line: row.get(2)?,
                reason: row.get(3)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sqlite())
    }

    /// The number of edits recorded for `repo`.
    pub fn count_edits(&self, repo: &str) -> Result<usize, Error> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM edit WHERE repo = ?1", [repo], |row| {
                row.get(0)
            })
            .map_err(self.sqlite(format!("cannot count the edits of `{repo}`")))?;
        Ok(count as usize)
    }

    /// Appends one action to the audit trail and returns its id. `data` must be valid JSON.
    pub fn record_audit(&mut self, entry: &NewAudit) -> Result<i64, Error> {
        let sqlite = || {
            self.sqlite(format!(
                "cannot record the audit entry `{}` of run {}",
                entry.step, entry.run
            ))
        };
        self.conn
            .execute(
                "INSERT INTO audit (run, at, step, actor, subject, reason, commit_id, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    entry.run,
                    entry.at,
                    entry.step,
                    entry.actor,
                    entry.subject,
                    entry.reason,
                    entry.commit,
                    entry.data
                ],
            )
            .map_err(sqlite())?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The audit trail, oldest first: one run's rows, or the last `limit` rows of all runs.
    pub fn audit(&self, run: Option<&str>, limit: usize) -> Result<Vec<AuditRow>, Error> {
        let sqlite = || self.sqlite("cannot read the audit trail".to_owned());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, run, at, step, actor, subject, reason, commit_id, data FROM ( \
                 SELECT * FROM audit WHERE ?1 IS NULL OR run = ?1 ORDER BY id DESC LIMIT ?2 \
                 ) ORDER BY id",
            )
            .map_err(sqlite())?;
        stmt.query_map(rusqlite::params![run, limit as i64], |row| {
            Ok(AuditRow {
                id: row.get(0)?,
                entry: NewAudit {
                    run: row.get(1)?,
                    at: row.get(2)?,
                    step: row.get(3)?,
                    actor: row.get(4)?,
                    subject: row.get(5)?,
                    reason: row.get(6)?,
                    commit: row.get(7)?,
                    data: row.get(8)?,
                },
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sqlite())
    }

    /// The id of the most recent run in the audit trail.
    pub fn last_run(&self) -> Result<Option<String>, Error> {
        self.conn
            .query_row(
                "SELECT run FROM audit ORDER BY id DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(self.sqlite("cannot read the audit trail".to_owned()))
    }

    /// Wraps a SQLite error with what was being done and the store's name.
    fn sqlite(&self, context: String) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
        move |source| Error::Sqlite {
            context: format!("{context} in store `{}`", self.name),
            source,
        }
    }
}

/// The rows of one mined commit, inserted in `tx` after any earlier rows of that commit are deleted. Rows are
/// checked as they are inserted; an error leaves `tx` to be rolled back by the caller.
fn insert_commit(
    tx: &rusqlite::Transaction<'_>,
    repo: &str,
    commit: &MinedCommit,
    sqlite: impl Fn(rusqlite::Error) -> Error,
) -> Result<(), Error> {
    for table in ["edit", "skipped_edit", "mined_commit"] {
        tx.prepare_cached(&format!(
            "DELETE FROM {table} WHERE repo = ?1 AND commit_id = ?2"
        ))
        .and_then(|mut delete| delete.execute(params![repo, commit.id]))
        .map_err(&sqlite)?;
    }
    tx.execute(
        "INSERT INTO mined_commit (repo, commit_id, time) VALUES (?1, ?2, ?3)",
        params![repo, commit.id, commit.time],
    )
    .map_err(&sqlite)?;

    // Rows are checked as they are inserted, so a bad row also exercises the rollback of
    // the rows before it: returning early drops `tx`, which rolls back.
    let mut insert_edit = tx
        .prepare_cached(
            "INSERT INTO edit (repo, commit_id, path, line, before_text, after_text, \
                 before_kind, after_kind, parent_kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(&sqlite)?;
    for edit in &commit.edits {
        if edit.commit != commit.id {
            return Err(Error::WrongCommit {
                what: "edit",
                path: edit.path.clone(),
                line: edit.line,
                found: edit.commit.clone(),
                commit: commit.id.clone(),
            });
        }
        if edit.time != commit.time {
            return Err(Error::WrongTime {
                path: edit.path.clone(),
                line: edit.line,
                found: edit.time,
                commit: commit.id.clone(),
                time: commit.time,
            });
        }
        insert_edit
            .execute(params![
                repo,
                edit.commit,
                edit.path,
                edit.line,
                edit.before,
                edit.after,
                edit.before_kind,
                edit.after_kind,
                edit.parent_kind
            ])
            .map_err(&sqlite)?;
    }
    drop(insert_edit);

    let mut insert_skipped = tx
        .prepare_cached(
            "INSERT INTO skipped_edit (repo, commit_id, path, line, reason) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(&sqlite)?;
    for skipped in &commit.skipped {
        if skipped.commit != commit.id {
            return Err(Error::WrongCommit {
                what: "skipped edit",
                path: skipped.path.clone(),
                line: skipped.line,
                found: skipped.commit.clone(),
                commit: commit.id.clone(),
            });
        }
        insert_skipped
            .execute(params![
                repo,
                skipped.commit,
                skipped.path,
                skipped.line,
                skipped.reason
            ])
            .map_err(&sqlite)?;
    }
    drop(insert_skipped);
    Ok(())
}
