//! The tables of `suture watch` (migration 4): panic groups, their hourly counts, the fixes recorded for
//! them, and how far each log file has been read.
//!
//! Counts are kept per clock hour because that is the resolution of the escalation rule; a group's row
//! holds only what a report shows (first and last seen, the total, the latest message and frames). A run's
//! observations and the log offsets it reached are written in one transaction, so a run that fails half-way
//! neither counts its events nor skips them next time.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::{Error, Store};

/// A group as stored, or as one run observed it (then `count` and the seen times are that run's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchGroup {
    pub fingerprint: String,
    /// The panic kind's name (`divide-by-zero`, …).
    pub kind: String,
    /// The first line of the latest message.
    pub message: String,
    /// The in-app frames as a JSON array (`[{"file","line","function"}]`).
    pub frames: String,
    /// Seconds since the epoch.
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: u64,
}

/// How far a log file has been read: `offset` bytes, valid while its first bytes still hash to `head`
/// (a rotated or truncated file is read again from the start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSource {
    pub path: String,
    pub head: String,
    pub offset: u64,
}

fn to_i64(what: &'static str, value: u64) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::OutOfRange { what, value })
}

impl Store {
    /// Adds one run's observations: each group merged into its row (seen times widened, counts added, the
    /// message and frames replaced by the latest), its `(hour, count)` pairs added to the hourly counts,
    /// and the sources' offsets recorded. One transaction.
    pub fn record_watch(
        &mut self,
        observations: &[(WatchGroup, Vec<(i64, u64)>)],
        sources: &[WatchSource],
    ) -> Result<(), Error> {
        let name = self.name.clone();
        let sqlite = |source| Error::Sqlite {
            context: format!("cannot record the watched panics in store `{name}`"),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        for (group, hours) in observations {
            tx.execute(
                "INSERT INTO watch_group (fingerprint, kind, message, frames, first_seen, last_seen, count) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (fingerprint) DO UPDATE SET \
                   kind = excluded.kind, \
                   message = CASE WHEN excluded.last_seen >= last_seen THEN excluded.message ELSE message END, \
                   frames = CASE WHEN excluded.last_seen >= last_seen THEN excluded.frames ELSE frames END, \
                   first_seen = min(first_seen, excluded.first_seen), \
                   last_seen = max(last_seen, excluded.last_seen), \
                   count = count + excluded.count",
                params![
                    group.fingerprint,
                    group.kind,
                    group.message,
                    group.frames,
                    group.first_seen,
                    group.last_seen,
                    to_i64("a panic count", group.count)?
                ],
            )
            .map_err(sqlite)?;
            for &(hour, count) in hours {
                tx.execute(
                    "INSERT INTO watch_count (fingerprint, hour, count) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (fingerprint, hour) DO UPDATE SET count = count + excluded.count",
                    params![group.fingerprint, hour, to_i64("a panic count", count)?],
                )
                .map_err(sqlite)?;
            }
        }
        for source in sources {
            tx.execute(
                "INSERT INTO watch_source (path, head, offset) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (path) DO UPDATE SET head = excluded.head, offset = excluded.offset",
                params![
                    source.path,
                    source.head,
                    to_i64("a log offset", source.offset)?
                ],
            )
            .map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)
    }

    pub fn watch_group(&self, fingerprint: &str) -> Result<Option<WatchGroup>, Error> {
        self.conn
            .query_row(
                "SELECT fingerprint, kind, message, frames, first_seen, last_seen, count \
                 FROM watch_group WHERE fingerprint = ?1",
                [fingerprint],
                |row| {
                    Ok(WatchGroup {
                        fingerprint: row.get(0)?,
                        kind: row.get(1)?,
                        message: row.get(2)?,
                        frames: row.get(3)?,
                        first_seen: row.get(4)?,
                        last_seen: row.get(5)?,
                        count: row.get::<_, i64>(6)?.max(0) as u64,
                    })
                },
            )
            .optional()
            .map_err(self.sqlite(format!("cannot read the panic group {fingerprint}")))
    }

    /// The group's hourly counts from `from_hour` on, `(hour, count)`, oldest first.
    pub fn watch_counts(
        &self,
        fingerprint: &str,
        from_hour: i64,
    ) -> Result<Vec<(i64, u64)>, Error> {
        let sqlite = || {
            self.sqlite(format!(
                "cannot read the counts of panic group {fingerprint}"
            ))
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT hour, count FROM watch_count WHERE fingerprint = ?1 AND hour >= ?2 ORDER BY hour",
            )
            .map_err(sqlite())?;
        stmt.query_map(params![fingerprint, from_hour], |row| {
            Ok((row.get(0)?, row.get::<_, i64>(1)?.max(0) as u64))
        })
        .and_then(|rows| rows.collect())
        .map_err(sqlite())
    }

    /// Records that a fix of the group was applied (or merged) at `at`, with the regression test that
    /// guards it.
    pub fn record_watch_fix(
        &mut self,
        fingerprint: &str,
        at: i64,
        how: &str,
        commit: Option<&str>,
        test: &str,
    ) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT INTO watch_fix (fingerprint, at, how, commit_id, test) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![fingerprint, at, how, commit, test],
            )
            .map(drop)
            .map_err(self.sqlite(format!("cannot record the fix of panic group {fingerprint}")))
    }

    /// When a fix of the group was last recorded.
    pub fn watch_last_fix(&self, fingerprint: &str) -> Result<Option<i64>, Error> {
        self.conn
            .query_row(
                "SELECT max(at) FROM watch_fix WHERE fingerprint = ?1",
                [fingerprint],
                |row| row.get(0),
            )
            .map_err(self.sqlite(format!(
                "cannot read the fixes of panic group {fingerprint}"
            )))
    }

    pub fn watch_source(&self, path: &str) -> Result<Option<WatchSource>, Error> {
        self.conn
            .query_row(
                "SELECT path, head, offset FROM watch_source WHERE path = ?1",
                [path],
                |row| {
                    Ok(WatchSource {
                        path: row.get(0)?,
                        head: row.get(1)?,
                        offset: row.get::<_, i64>(2)?.max(0) as u64,
                    })
                },
            )
            .optional()
            .map_err(self.sqlite(format!("cannot read how far `{path}` was watched")))
    }
}
