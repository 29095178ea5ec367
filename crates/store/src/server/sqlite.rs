//! The server store on SQLite. It may share a file with the mining store ([`crate::Store`]), but
//! it has its own tables and its own migration track: the versions it has applied are rows of
//! `suture_server_migrations`, not the file's `user_version`, which counts the mining store's
//! migrations. So opening either store creates only its own tables, and either can open a file
//! first.
//!
//! Files from builds before the split hold the server tables already, created by the mining
//! store's old migration 3, and no `suture_server_migrations`. Migration 1 below is that old
//! migration with `IF NOT EXISTS` on every table and index, so on such a file it adopts the
//! tables and their rows as they are, and on a new file it creates them; either way it then
//! records version 1. Later migrations need no `IF NOT EXISTS`: the track table gates them.
//!
//! Every write that reads first (enqueue, claim) runs in a `BEGIN IMMEDIATE` transaction: it takes
//! the database's write lock before reading, so two connections can never both see a job as
//! runnable, and a waiting writer queues on the busy timeout instead of failing on a lock upgrade.
//! Single-statement writes (complete, fail, upserts) are atomic on their own.
//!
//! Lease times are milliseconds of the store's [`Clock`]: this machine's clock by default (a SQLite
//! file is shared only by processes on one machine, so they all read the same clock), or a test's
//! manual clock.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use super::Clock;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{
    Delivery, Enqueued, Error, FixPr, FixRecord, Job, JobInfo, PatternStats, QueueStats, RawFixPr,
    ServerStore, add_state, lease_ms, to_i64, to_unsigned,
};
use crate::Track;

/// How long a writer waits for another connection's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The ordered schema migrations of the SQLite server store. Migration `n` (0-based) brings it to
/// version `n + 1`. Append only: never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: webhook deliveries and their job queue, fixes proposed on pull requests with their
    // outcomes, fix PRs, and ignored fingerprints. Times are Unix seconds, except the lease, which
    // is in milliseconds. `IF NOT EXISTS` adopts the identical tables of older files (see above).
    "
    CREATE TABLE IF NOT EXISTS delivery (
        id TEXT PRIMARY KEY,
        event TEXT NOT NULL,
        received_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS job (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery TEXT NOT NULL UNIQUE REFERENCES delivery (id),
        event TEXT NOT NULL,
        payload BLOB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        lease_owner TEXT,
        lease_until_ms INTEGER,
        last_error TEXT,
        completions INTEGER NOT NULL DEFAULT 0,
        enqueued_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS job_open ON job (id) WHERE state IN ('queued', 'running');

    CREATE TABLE IF NOT EXISTS fix_record (
        repo TEXT NOT NULL,
        pr INTEGER NOT NULL CHECK (pr >= 0),
        fingerprint TEXT NOT NULL,
        pattern TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('review', 'fix_pr')),
        outcome TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'merged', 'closed')),
        PRIMARY KEY (repo, pr, fingerprint)
    ) STRICT;
    CREATE INDEX IF NOT EXISTS fix_record_by_pattern ON fix_record (pattern);

    CREATE TABLE IF NOT EXISTS fix_pr (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        pattern TEXT NOT NULL,
        number INTEGER NOT NULL CHECK (number >= 0),
        branch TEXT NOT NULL,
        head_sha TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('open', 'merged', 'closed', 'human_edited', 'reverted')),
        merge_sha TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (repo, fingerprint)
    ) STRICT;
    CREATE INDEX IF NOT EXISTS fix_pr_by_number ON fix_pr (repo, number);

    CREATE TABLE IF NOT EXISTS ignored_fingerprint (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (repo, fingerprint)
    ) STRICT;
    ",
    // 2: a failed job waits before its next attempt (exponential backoff), so an outage of GitHub does not
    // use up its attempts within milliseconds.
    "ALTER TABLE job ADD COLUMN run_after_ms INTEGER;",
];

/// The server store's track: one row per applied migration in `suture_server_migrations`, as the
/// PostgreSQL backend keeps them in `suture_migrations`.
const SERVER_TRACK: Track = Track {
    migrations: MIGRATIONS,
    setup: "CREATE TABLE IF NOT EXISTS suture_server_migrations (
        version INTEGER PRIMARY KEY,
        applied_at INTEGER NOT NULL
    ) STRICT",
    version: |conn| {
        conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM suture_server_migrations",
            [],
            |row| row.get(0),
        )
    },
    set_version: |conn, version| {
        conn.execute(
            "INSERT INTO suture_server_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, Clock::System.now_ms() / 1000],
        )
        .map(drop)
    },
};

pub(super) struct SqliteStore {
    conn: Connection,
    /// The file path, for error messages.
    name: String,
    /// The queue's time.
    clock: Clock,
}

impl SqliteStore {
    /// Opens (creating if needed) the store file and applies the server track's migrations; the
    /// mining store's tables, if the file has them, are left alone.
    pub(super) fn open(path: &Path, clock: Clock) -> Result<SqliteStore, Error> {
        let mut conn = crate::connect(path)?;
        let name = path.display().to_string();
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| Error::Open {
                path: path.to_owned(),
                source,
            })?;
        crate::migrate(&mut conn, &name, &SERVER_TRACK)?;
        Ok(SqliteStore { conn, name, clock })
    }
}

/// Wraps a SQLite error with what was being done and the store's name.
fn sqlite(name: &str, what: &str, source: rusqlite::Error) -> Error {
    Error::Sqlite {
        context: format!("cannot {what} in store `{name}`"),
        source,
    }
}

const FIX_PR_COLUMNS: &str =
    "repo, fingerprint, pattern, number, branch, head_sha, state, merge_sha, updated_at";

/// A `fix_pr` row selected with [`FIX_PR_COLUMNS`].
fn fix_pr_row(row: &Row<'_>) -> rusqlite::Result<RawFixPr> {
    Ok(RawFixPr {
        repo: row.get(0)?,
        fingerprint: row.get(1)?,
        pattern: row.get(2)?,
        number: row.get(3)?,
        branch: row.get(4)?,
        head_sha: row.get(5)?,
        state: row.get(6)?,
        merge_sha: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

/// A job row as `jobs` reads it: id, delivery, event, state, attempts, last error, updated at, and
/// (for a queued job) run after, in milliseconds.
type JobRow = (
    i64,
    String,
    String,
    String,
    i64,
    Option<String>,
    i64,
    Option<i64>,
);

impl ServerStore for SqliteStore {
    fn enqueue(&mut self, delivery: &Delivery) -> Result<Enqueued, Error> {
        let what = format!("enqueue delivery `{}`", delivery.id);
        let err = |source| sqlite(&self.name, &what, source);
        let now = self.clock.now_ms() / 1000;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let inserted = tx
            .execute(
                "INSERT INTO delivery (id, event, received_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO NOTHING",
                params![delivery.id, delivery.event, now],
            )
            .map_err(err)?;
        if inserted == 0 {
            // Dropping `tx` rolls back the (empty) transaction.
            return Ok(Enqueued::Duplicate);
        }
        let job = tx
            .query_row(
                "INSERT INTO job (delivery, event, payload, state, enqueued_at, updated_at) \
                 VALUES (?1, ?2, ?3, 'queued', ?4, ?4) RETURNING id",
                params![delivery.id, delivery.event, delivery.payload, now],
                |row| row.get(0),
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Enqueued::New { job })
    }

    fn claim(
        &mut self,
        worker: &str,
        lease: Duration,
        max_attempts: u32,
    ) -> Result<Option<Job>, Error> {
        let err = |source| sqlite(&self.name, "claim a job", source);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let now = self.clock.now_ms();
        // Jobs whose worker stopped during their last allowed attempt are dead. (The `IN` term lets SQLite
        // use the partial index of open jobs instead of scanning every job ever received.)
        tx.execute(
            "UPDATE job SET state = 'dead', lease_until_ms = NULL, updated_at = ?1 / 1000, \
             last_error = 'its worker stopped during attempt ' || attempts || \
               ' (crashed or was killed), the last allowed' \
             WHERE state IN ('queued', 'running') AND state = 'running' \
               AND lease_until_ms <= ?1 AND attempts >= ?2",
            params![now, max_attempts],
        )
        .map_err(err)?;
        let claimed = tx
            .query_row(
                "UPDATE job SET state = 'running', lease_owner = ?1, \
                 lease_until_ms = ?3, attempts = attempts + 1, updated_at = ?2 / 1000 \
                 WHERE id = ( \
                   SELECT id FROM job WHERE state IN ('queued', 'running') AND attempts < ?4 \
                   AND ((state = 'queued' AND (run_after_ms IS NULL OR run_after_ms <= ?2)) \
                     OR (state = 'running' AND lease_until_ms <= ?2)) \
                   ORDER BY id LIMIT 1) \
                 RETURNING id, delivery, event, payload, attempts",
                params![
                    worker,
                    now,
                    now.saturating_add(lease_ms(lease)),
                    max_attempts
                ],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Vec<u8>>(3)?,
                        row.get::<_, i64>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        tx.commit().map_err(err)?;
        let Some((id, delivery, event, payload, attempts)) = claimed else {
            return Ok(None);
        };
        Ok(Some(Job {
            id,
            delivery,
            event,
            payload,
            attempts: to_unsigned(&self.name, "attempt count", attempts)?,
        }))
    }

    fn complete(&mut self, job: i64, worker: &str) -> Result<bool, Error> {
        let changed = self
            .conn
            .execute(
                "UPDATE job SET state = 'done', completions = completions + 1, \
                 lease_until_ms = NULL, updated_at = ?3 \
                 WHERE id = ?1 AND state = 'running' AND lease_owner = ?2",
                params![job, worker, self.clock.now_ms() / 1000],
            )
            .map_err(|source| sqlite(&self.name, &format!("complete job {job}"), source))?;
        Ok(changed == 1)
    }

    fn fail(
        &mut self,
        job: i64,
        worker: &str,
        error: &str,
        max_attempts: u32,
        retry_in: Duration,
    ) -> Result<(), Error> {
        let now = self.clock.now_ms();
        self.conn
            .execute(
                "UPDATE job SET state = CASE WHEN attempts >= ?3 THEN 'dead' ELSE 'queued' END, \
                 last_error = ?4, lease_until_ms = NULL, updated_at = ?5, run_after_ms = ?6 \
                 WHERE id = ?1 AND state = 'running' AND lease_owner = ?2",
                params![
                    job,
                    worker,
                    max_attempts,
                    error,
                    now / 1000,
                    now.saturating_add(lease_ms(retry_in))
                ],
            )
            .map_err(|source| {
                sqlite(
                    &self.name,
                    &format!("record the failure of job {job}"),
                    source,
                )
            })?;
        Ok(())
    }

    fn queue_stats(&mut self) -> Result<QueueStats, Error> {
        let err = |source| sqlite(&self.name, "count the jobs", source);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, COUNT(*) FROM job GROUP BY state")
            .map_err(err)?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(err)?;
        let mut stats = QueueStats::default();
        for (state, count) in rows {
            add_state(&mut stats, &self.name, &state, count)?;
        }
        Ok(stats)
    }

    fn lease_owners(&mut self) -> Result<Vec<String>, Error> {
        let err = |source| sqlite(&self.name, "list the lease owners", source);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT lease_owner FROM job WHERE state IN ('queued', 'running') \
                 AND state = 'running' AND lease_owner IS NOT NULL ORDER BY lease_owner",
            )
            .map_err(err)?;
        stmt.query_map([], |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(err)
    }

    fn expire_leases(&mut self, owner: &str) -> Result<u64, Error> {
        let n = self
            .conn
            .execute(
                "UPDATE job SET lease_until_ms = ?2 WHERE state IN ('queued', 'running') \
                 AND state = 'running' AND lease_owner = ?1",
                params![owner, self.clock.now_ms()],
            )
            .map_err(|source| sqlite(&self.name, "expire leases", source))?;
        Ok(n as u64)
    }

    fn jobs(&mut self, state: Option<&str>, limit: usize) -> Result<Vec<JobInfo>, Error> {
        let err = |source| sqlite(&self.name, "list the jobs", source);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, delivery, event, state, attempts, last_error, updated_at, \
                 CASE WHEN state = 'queued' THEN run_after_ms END FROM job \
                 WHERE ?1 IS NULL OR state = ?1 ORDER BY updated_at DESC, id DESC LIMIT ?2",
            )
            .map_err(err)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<JobRow> = stmt
            .query_map(params![state, limit], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(err)?;
        rows.into_iter()
            .map(
                |(id, delivery, event, state, attempts, last_error, updated_at, run_after_ms)| {
                    Ok(JobInfo {
                        id,
                        delivery,
                        event,
                        state,
                        attempts: to_unsigned(&self.name, "attempt count", attempts)?,
                        last_error,
                        updated_at,
                        run_after: run_after_ms.map(|ms: i64| {
                            UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
                        }),
                    })
                },
            )
            .collect()
    }

    fn retry_job(&mut self, job: i64) -> Result<bool, Error> {
        let changed = self
            .conn
            .execute(
                "UPDATE job SET state = 'queued', attempts = 0, run_after_ms = NULL, \
                 lease_owner = NULL, lease_until_ms = NULL, updated_at = ?2 \
                 WHERE id = ?1 AND state = 'dead'",
                params![job, self.clock.now_ms() / 1000],
            )
            .map_err(|source| sqlite(&self.name, &format!("retry job {job}"), source))?;
        Ok(changed == 1)
    }

    fn purge_jobs(&mut self, older_than: Duration) -> Result<u64, Error> {
        let cutoff = (self.clock.now_ms() / 1000)
            .saturating_sub(i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX));
        let n = self
            .conn
            .execute(
                "DELETE FROM job WHERE state IN ('done', 'dead') AND updated_at < ?1",
                params![cutoff],
            )
            .map_err(|source| sqlite(&self.name, "purge old jobs", source))?;
        Ok(n as u64)
    }

    fn completions(&mut self) -> Result<Vec<(String, u32)>, Error> {
        let err = |source| sqlite(&self.name, "read the job completions", source);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT delivery, completions FROM job ORDER BY delivery")
            .map_err(err)?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(err)?;
        rows.into_iter()
            .map(|(delivery, count)| {
                Ok((
                    delivery,
                    to_unsigned(&self.name, "completion count", count)?,
                ))
            })
            .collect()
    }

    fn proposed(&mut self, repo: &str, pr: u64) -> Result<Vec<String>, Error> {
        let number = to_i64("pull request number", pr)?;
        let what = || format!("read the fixes on {repo}#{pr}");
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT fingerprint FROM fix_record WHERE repo = ?1 AND pr = ?2 ORDER BY fingerprint",
            )
            .map_err(|source| sqlite(&self.name, &what(), source))?;
        let rows = statement
            .query_map(params![repo, number], |row| row.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(|source| sqlite(&self.name, &what(), source))?;
        Ok(rows)
    }

    fn record_fix(&mut self, fix: &FixRecord) -> Result<(), Error> {
        let pr = to_i64("pull request number", fix.pr)?;
        self.conn
            .execute(
                "INSERT INTO fix_record (repo, pr, fingerprint, pattern, kind) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (repo, pr, fingerprint) DO NOTHING",
                params![
                    fix.repo,
                    pr,
                    fix.fingerprint,
                    fix.pattern,
                    fix.kind.as_str()
                ],
            )
            .map_err(|source| {
                let what = format!(
                    "record fix `{}` on {}#{}",
                    fix.fingerprint, fix.repo, fix.pr
                );
                sqlite(&self.name, &what, source)
            })?;
        Ok(())
    }

    fn record_outcome(&mut self, repo: &str, pr: u64, merged: bool) -> Result<usize, Error> {
        let number = to_i64("pull request number", pr)?;
        let outcome = if merged { "merged" } else { "closed" };
        self.conn
            .execute(
                "UPDATE fix_record SET outcome = ?3 WHERE repo = ?1 AND pr = ?2",
                params![repo, number, outcome],
            )
            .map_err(|source| {
                sqlite(
                    &self.name,
                    &format!("record the outcome of {repo}#{pr}"),
                    source,
                )
            })
    }

    fn pattern_stats(&mut self) -> Result<Vec<PatternStats>, Error> {
        let err = |source| sqlite(&self.name, "read the pattern statistics", source);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT pattern, COUNT(*), SUM(outcome = 'merged'), SUM(outcome = 'closed') \
                 FROM fix_record GROUP BY pattern ORDER BY pattern",
            )
            .map_err(err)?;
        let rows: Vec<(String, i64, i64, i64)> = stmt
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(err)?;
        rows.into_iter()
            .map(|(pattern, proposed, merged, closed)| {
                Ok(PatternStats {
                    pattern,
                    proposed: to_unsigned(&self.name, "fix count", proposed)?,
                    merged: to_unsigned(&self.name, "fix count", merged)?,
                    closed: to_unsigned(&self.name, "fix count", closed)?,
                })
            })
            .collect()
    }

    fn fix_pr(&mut self, repo: &str, fingerprint: &str) -> Result<Option<FixPr>, Error> {
        let row = self
            .conn
            .query_row(
                &format!(
                    "SELECT {FIX_PR_COLUMNS} FROM fix_pr WHERE repo = ?1 AND fingerprint = ?2"
                ),
                params![repo, fingerprint],
                fix_pr_row,
            )
            .optional()
            .map_err(|source| {
                let what = format!("read the fix PR of `{fingerprint}` in {repo}");
                sqlite(&self.name, &what, source)
            })?;
        row.map(|row| row.into_fix_pr(&self.name)).transpose()
    }

    fn upsert_fix_pr(&mut self, pr: &FixPr) -> Result<(), Error> {
        let number = to_i64("pull request number", pr.number)?;
        self.conn
            .execute(
                &format!(
                    "INSERT INTO fix_pr ({FIX_PR_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                     ON CONFLICT (repo, fingerprint) DO UPDATE SET \
                     pattern = excluded.pattern, number = excluded.number, \
                     branch = excluded.branch, head_sha = excluded.head_sha, \
                     state = excluded.state, merge_sha = excluded.merge_sha, \
                     updated_at = excluded.updated_at"
                ),
                params![
                    pr.repo,
                    pr.fingerprint,
                    pr.pattern,
                    number,
                    pr.branch,
                    pr.head_sha,
                    pr.state.as_str(),
                    pr.merge_sha,
                    pr.updated_at
                ],
            )
            .map_err(|source| {
                let what = format!("record fix PR {}#{}", pr.repo, pr.number);
                sqlite(&self.name, &what, source)
            })?;
        Ok(())
    }

    fn fix_prs(&mut self, repo: &str) -> Result<Vec<FixPr>, Error> {
        let what = format!("read the fix PRs of {repo}");
        let err = |source| sqlite(&self.name, &what, source);
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {FIX_PR_COLUMNS} FROM fix_pr WHERE repo = ?1 \
                 ORDER BY number, fingerprint"
            ))
            .map_err(err)?;
        let rows: Vec<_> = stmt
            .query_map([repo], fix_pr_row)
            .and_then(|rows| rows.collect())
            .map_err(err)?;
        drop(stmt);
        rows.into_iter()
            .map(|row| row.into_fix_pr(&self.name))
            .collect()
    }

    fn set_ignored(&mut self, repo: &str, fingerprint: &str, ignored: bool) -> Result<(), Error> {
        let sql = if ignored {
            "INSERT INTO ignored_fingerprint (repo, fingerprint) VALUES (?1, ?2) \
             ON CONFLICT (repo, fingerprint) DO NOTHING"
        } else {
            "DELETE FROM ignored_fingerprint WHERE repo = ?1 AND fingerprint = ?2"
        };
        self.conn
            .execute(sql, params![repo, fingerprint])
            .map_err(|source| {
                let what = format!("record whether `{fingerprint}` is ignored in {repo}");
                sqlite(&self.name, &what, source)
            })?;
        Ok(())
    }

    fn is_ignored(&mut self, repo: &str, fingerprint: &str) -> Result<bool, Error> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM ignored_fingerprint \
                 WHERE repo = ?1 AND fingerprint = ?2)",
                params![repo, fingerprint],
                |row| row.get(0),
            )
            .map_err(|source| {
                let what = format!("read whether `{fingerprint}` is ignored in {repo}");
                sqlite(&self.name, &what, source)
            })
    }
}
