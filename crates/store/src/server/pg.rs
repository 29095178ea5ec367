//! The server store on PostgreSQL, for several `suture serve` replicas sharing one queue.
//!
//! Claims use `FOR UPDATE SKIP LOCKED` (the queue pattern PostgreSQL documents for this, and what
//! queue libraries such as pgmq and graphile-worker build on): a worker locks the oldest runnable
//! row and skips rows other workers are locking at that moment, so replicas never wait on each
//! other and never take the same row. Lease times come from the database clock (`clock_timestamp()`),
//! not from each replica's, so replicas whose clocks disagree still agree on when a lease ran out. A
//! manual [`Clock`] (tests) is sent instead, as the parameter every queue statement reads its time from
//! (`COALESCE($n, clock_timestamp())`, NULL for the system clock), so both backends run one schedule.
//!
//! The hot statements (enqueue, claim, complete) are single statements, each its own transaction,
//! prepared once per connection: one round trip each. Enqueue inserts the delivery and its job in
//! one statement (a data-modifying `WITH`), so the two land together or not at all.
//!
//! Migrations are a list of SQL scripts recorded in `suture_migrations`. They run in one transaction
//! that first takes `pg_advisory_xact_lock`, so replicas that start at once wait for the first one,
//! then find nothing left to do. DDL is transactional in PostgreSQL: a failed migration leaves no
//! half-made table behind. A connection to an up-to-date store only reads the version and takes
//! no lock.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use postgres::{Client, Config, NoTls, Row, Statement};

use super::{
    Clock, Delivery, Enqueued, Error, FixPr, FixRecord, Job, JobInfo, PatternStats, QueueStats,
    RawFixPr, ServerStore, add_state, redact, to_i64, to_unsigned,
};

/// The key of the advisory lock held while migrating ("suture" in ASCII).
const MIGRATION_LOCK: i64 = 0x7375_7475_7265;

/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The ordered schema migrations. Migration `n` (0-based) brings the store to version `n + 1`.
/// Append only: never edit a migration that has shipped. The tables mirror the SQLite server
/// store's migration 1, with PostgreSQL types: BYTEA payloads, TIMESTAMPTZ lease times, BIGINT pull request numbers.
const MIGRATIONS: &[&str] = &[
    // 1: deliveries and their job queue, fixes and outcomes, fix PRs, ignored fingerprints.
    "
    CREATE TABLE delivery (
        id TEXT PRIMARY KEY,
        event TEXT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );

    CREATE TABLE job (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery TEXT NOT NULL UNIQUE REFERENCES delivery (id),
        event TEXT NOT NULL,
        payload BYTEA NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        lease_owner TEXT,
        lease_until TIMESTAMPTZ,
        last_error TEXT,
        completions INTEGER NOT NULL DEFAULT 0,
        enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX job_open ON job (id) WHERE state IN ('queued', 'running');

    CREATE TABLE fix_record (
        repo TEXT NOT NULL,
        pr BIGINT NOT NULL CHECK (pr >= 0),
        fingerprint TEXT NOT NULL,
        pattern TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('review', 'fix_pr')),
        outcome TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'merged', 'closed')),
        PRIMARY KEY (repo, pr, fingerprint)
    );
    CREATE INDEX fix_record_by_pattern ON fix_record (pattern);

    CREATE TABLE fix_pr (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        pattern TEXT NOT NULL,
        number BIGINT NOT NULL CHECK (number >= 0),
        branch TEXT NOT NULL,
        head_sha TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('open', 'merged', 'closed', 'human_edited', 'reverted')),
        merge_sha TEXT,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (repo, fingerprint)
    );
    CREATE INDEX fix_pr_by_number ON fix_pr (repo, number);

    CREATE TABLE ignored_fingerprint (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (repo, fingerprint)
    );
    ",
    // 2: a failed job waits before its next attempt (exponential backoff), so an outage of GitHub does not
    // use up its attempts within milliseconds.
    "ALTER TABLE job ADD COLUMN run_after TIMESTAMPTZ;",
];

/// The schema version this build writes on PostgreSQL.
const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(super) struct PgStore {
    client: ClosingClient,
    /// The URL with its password redacted, for error messages.
    name: String,
    /// The queue's statements, prepared once per connection: a prepared statement is one round
    /// trip per call instead of two (parse, then execute), and enqueueing is on the path of every
    /// webhook acknowledgement.
    statements: HashMap<&'static str, Statement>,
    /// The queue's time: the database's, unless a manual clock is given.
    clock: Clock,
}

/// A client that closes its connection on a thread of its own when dropped.
///
/// The synchronous client closes by blocking on its private tokio runtime, which panics when the
/// drop happens on a thread that is already running a runtime: the last reference to a connection
/// pool held by an async server is often dropped exactly there. A plain thread has no runtime, so
/// the close is always legal; the dropping thread waits for it (one round trip) so that a dropped
/// store has really disconnected.
struct ClosingClient(Option<Client>);

impl Deref for ClosingClient {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.0.as_ref().expect("only drop takes the client out")
    }
}

impl DerefMut for ClosingClient {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().expect("only drop takes the client out")
    }
}

impl Drop for ClosingClient {
    fn drop(&mut self) {
        let Some(client) = self.0.take() else {
            return;
        };
        // If no thread can be spawned, the closure and the client inside it are dropped here.
        if let Ok(closer) = std::thread::Builder::new()
            .name("suture-pg-close".to_owned())
            .spawn(move || drop(client))
        {
            let _ = closer.join();
        }
    }
}

/// Wraps a PostgreSQL error with what was being done and the store's (redacted) name.
fn pg(name: &str, what: &str, source: postgres::Error) -> Error {
    Error::Pg {
        context: format!("cannot {what} in postgresql store `{name}`"),
        source,
    }
}

impl PgStore {
    /// Connects without TLS (the database is expected on a private network or loopback) and
    /// applies pending migrations.
    pub(super) fn connect(url: &str, clock: Clock) -> Result<PgStore, Error> {
        let name = redact(url);
        let mut config = Config::from_str(url).map_err(|source| Error::Pg {
            context: format!("cannot parse postgresql url `{name}`"),
            source,
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let client = config.connect(NoTls).map_err(|source| Error::Pg {
            context: format!("cannot connect to postgresql store `{name}`"),
            source,
        })?;
        let mut store = PgStore {
            client: ClosingClient(Some(client)),
            name,
            statements: HashMap::new(),
            clock,
        };
        store.migrate()?;
        Ok(store)
    }

    /// `sql` prepared on this connection, from the cache after the first call.
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// The schema version recorded in the store, without locking; 0 when it has none yet.
    fn schema_version(&mut self) -> Result<u32, postgres::Error> {
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass('suture_migrations') IS NOT NULL", &[])?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let version: i32 = self
            .client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM suture_migrations",
                &[],
            )?
            .get(0);
        Ok(u32::try_from(version).unwrap_or(0))
    }

    fn migrate(&mut self) -> Result<(), Error> {
        // The common case, every connection after the first: nothing to do, no lock to wait for.
        let current = self.schema_version().map_err(|source| Error::PgMigrate {
            store: self.name.clone(),
            version: SCHEMA_VERSION,
            source,
        })?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        let name = &self.name;
        let migrate_error = |version, source| Error::PgMigrate {
            store: name.clone(),
            version,
            source,
        };
        let mut tx = self
            .client
            .transaction()
            .map_err(|source| migrate_error(SCHEMA_VERSION, source))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .and_then(|_| {
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS suture_migrations (
                        version INTEGER PRIMARY KEY,
                        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                    )",
                )
            })
            .map_err(|source| migrate_error(SCHEMA_VERSION, source))?;
        let found: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM suture_migrations",
                &[],
            )
            .map_err(|source| migrate_error(SCHEMA_VERSION, source))?
            .get(0);
        let found = u32::try_from(found).unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(Error::TooNew {
                store: name.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (version, sql) in (1..).zip(MIGRATIONS).skip(found as usize) {
            tx.batch_execute(sql)
                .and_then(|()| {
                    tx.execute(
                        "INSERT INTO suture_migrations (version) VALUES ($1)",
                        &[&(version as i32)],
                    )
                })
                .map_err(|source| migrate_error(version, source))?;
        }
        tx.commit()
            .map_err(|source| migrate_error(SCHEMA_VERSION, source))
    }
}

const FIX_PR_COLUMNS: &str =
    "repo, fingerprint, pattern, number, branch, head_sha, state, merge_sha, updated_at";

/// A `fix_pr` row selected with [`FIX_PR_COLUMNS`].
fn fix_pr_row(row: &Row) -> RawFixPr {
    RawFixPr {
        repo: row.get(0),
        fingerprint: row.get(1),
        pattern: row.get(2),
        number: row.get(3),
        branch: row.get(4),
        head_sha: row.get(5),
        state: row.get(6),
        merge_sha: row.get(7),
        updated_at: row.get(8),
    }
}

impl ServerStore for PgStore {
    fn enqueue(&mut self, delivery: &Delivery) -> Result<Enqueued, Error> {
        // One statement is one transaction: the delivery row and its job land together or not at
        // all. A concurrent statement inserting the same id makes this one wait for it to commit
        // and then see the conflict, so exactly one of them enqueues; the other inserts no job and
        // returns no row.
        let now = self.clock.manual_now();
        let enqueued = self
            .prepared(
                "WITH new_delivery AS ( \
                   INSERT INTO delivery (id, event, received_at) \
                   VALUES ($1, $2, COALESCE($4::timestamptz, now())) \
                   ON CONFLICT (id) DO NOTHING RETURNING id, received_at) \
                 INSERT INTO job (delivery, event, payload, state, enqueued_at, updated_at) \
                 SELECT id, $2, $3, 'queued', received_at, received_at FROM new_delivery RETURNING id",
            )
            .and_then(|statement| {
                self.client.query_opt(
                    &statement,
                    &[&delivery.id, &delivery.event, &delivery.payload, &now],
                )
            })
            .map_err(|source| {
                pg(
                    &self.name,
                    &format!("enqueue delivery `{}`", delivery.id),
                    source,
                )
            })?;
        Ok(match enqueued {
            Some(row) => Enqueued::New { job: row.get(0) },
            None => Enqueued::Duplicate,
        })
    }

    fn claim(
        &mut self,
        worker: &str,
        lease: Duration,
        max_attempts: u32,
    ) -> Result<Option<Job>, Error> {
        let max_attempts = i32::try_from(max_attempts).unwrap_or(i32::MAX);
        let now = self.clock.manual_now();
        // Jobs whose worker stopped during their last allowed attempt are dead. A separate statement:
        // the claim below skips them anyway (`attempts < $3`), whoever wins a race between the two.
        self.prepared(
            "UPDATE job SET state = 'dead', lease_until = NULL, \
             updated_at = COALESCE($2::timestamptz, now()), \
             last_error = 'its worker stopped during attempt ' || attempts || \
               ' (crashed or was killed), the last allowed' \
             WHERE state IN ('queued', 'running') AND state = 'running' \
               AND lease_until <= COALESCE($2::timestamptz, clock_timestamp()) AND attempts >= $1",
        )
        .and_then(|statement| self.client.execute(&statement, &[&max_attempts, &now]))
        .map_err(|source| pg(&self.name, "end jobs out of attempts", source))?;
        // One statement, so its own transaction: the row lock taken by `FOR UPDATE SKIP LOCKED`
        // is held until the row says who owns it.
        let row = self
            .prepared(
                "UPDATE job SET state = 'running', lease_owner = $1, \
                 lease_until = COALESCE($4::timestamptz, clock_timestamp()) + make_interval(secs => $2), \
                 attempts = attempts + 1, updated_at = COALESCE($4::timestamptz, now()) \
                 WHERE id = ( \
                   SELECT id FROM job WHERE state IN ('queued', 'running') AND attempts < $3 \
                   AND ((state = 'queued' AND (run_after IS NULL \
                         OR run_after <= COALESCE($4::timestamptz, clock_timestamp()))) \
                     OR (state = 'running' AND lease_until <= COALESCE($4::timestamptz, clock_timestamp()))) \
                   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, delivery, event, payload, attempts",
            )
            .and_then(|statement| {
                self.client.query_opt(
                    &statement,
                    &[&worker, &lease.as_secs_f64(), &max_attempts, &now],
                )
            })
            .map_err(|source| pg(&self.name, "claim a job", source))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let attempts: i32 = row.get(4);
        Ok(Some(Job {
            id: row.get(0),
            delivery: row.get(1),
            event: row.get(2),
            payload: row.get(3),
            attempts: to_unsigned(&self.name, "attempt count", i64::from(attempts))?,
        }))
    }

    fn complete(&mut self, job: i64, worker: &str) -> Result<bool, Error> {
        let now = self.clock.manual_now();
        let changed = self
            .prepared(
                "UPDATE job SET state = 'done', completions = completions + 1, \
                 lease_until = NULL, updated_at = COALESCE($3::timestamptz, now()) \
                 WHERE id = $1 AND state = 'running' AND lease_owner = $2",
            )
            .and_then(|statement| self.client.execute(&statement, &[&job, &worker, &now]))
            .map_err(|source| pg(&self.name, &format!("complete job {job}"), source))?;
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
        // `attempts` is an INTEGER column, so the parameter is one too.
        let max_attempts = i32::try_from(max_attempts).unwrap_or(i32::MAX);
        let now = self.clock.manual_now();
        self.client
            .execute(
                "UPDATE job SET state = CASE WHEN attempts >= $3 THEN 'dead' ELSE 'queued' END, \
                 last_error = $4, lease_until = NULL, updated_at = COALESCE($6::timestamptz, now()), \
                 run_after = COALESCE($6::timestamptz, clock_timestamp()) + make_interval(secs => $5) \
                 WHERE id = $1 AND state = 'running' AND lease_owner = $2",
                &[
                    &job,
                    &worker,
                    &max_attempts,
                    &error,
                    &retry_in.as_secs_f64(),
                    &now,
                ],
            )
            .map_err(|source| {
                pg(
                    &self.name,
                    &format!("record the failure of job {job}"),
                    source,
                )
            })?;
        Ok(())
    }

    fn queue_stats(&mut self) -> Result<QueueStats, Error> {
        let rows = self
            .client
            .query("SELECT state, COUNT(*) FROM job GROUP BY state", &[])
            .map_err(|source| pg(&self.name, "count the jobs", source))?;
        let mut stats = QueueStats::default();
        for row in rows {
            add_state(&mut stats, &self.name, row.get(0), row.get(1))?;
        }
        Ok(stats)
    }

    fn lease_owners(&mut self) -> Result<Vec<String>, Error> {
        let rows = self
            .client
            .query(
                "SELECT lease_owner FROM job WHERE state IN ('queued', 'running') \
                 AND state = 'running' AND lease_owner IS NOT NULL \
                 GROUP BY lease_owner ORDER BY lease_owner COLLATE \"C\"",
                &[],
            )
            .map_err(|source| pg(&self.name, "list the lease owners", source))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn expire_leases(&mut self, owner: &str) -> Result<u64, Error> {
        let now = self.clock.manual_now();
        self.client
            .execute(
                "UPDATE job SET lease_until = COALESCE($2::timestamptz, clock_timestamp()) \
                 WHERE state IN ('queued', 'running') AND state = 'running' AND lease_owner = $1",
                &[&owner, &now],
            )
            .map_err(|source| pg(&self.name, "expire leases", source))
    }

    fn jobs(&mut self, state: Option<&str>, limit: usize) -> Result<Vec<JobInfo>, Error> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client
            .query(
                "SELECT id, delivery, event, state, attempts, last_error, \
                 EXTRACT(EPOCH FROM updated_at)::BIGINT, \
                 CASE WHEN state = 'queued' THEN run_after END FROM job \
                 WHERE $1::TEXT IS NULL OR state = $1 ORDER BY updated_at DESC, id DESC LIMIT $2",
                &[&state, &limit],
            )
            .map_err(|source| pg(&self.name, "list the jobs", source))?;
        rows.iter()
            .map(|row| {
                let attempts: i32 = row.get(4);
                Ok(JobInfo {
                    id: row.get(0),
                    delivery: row.get(1),
                    event: row.get(2),
                    state: row.get(3),
                    attempts: to_unsigned(&self.name, "attempt count", i64::from(attempts))?,
                    last_error: row.get(5),
                    updated_at: row.get(6),
                    run_after: row.get::<_, Option<SystemTime>>(7),
                })
            })
            .collect()
    }

    fn retry_job(&mut self, job: i64) -> Result<bool, Error> {
        let changed = self
            .client
            .execute(
                "UPDATE job SET state = 'queued', attempts = 0, run_after = NULL, \
                 lease_owner = NULL, lease_until = NULL, updated_at = COALESCE($2::timestamptz, now()) \
                 WHERE id = $1 AND state = 'dead'",
                &[&job, &self.clock.manual_now()],
            )
            .map_err(|source| pg(&self.name, &format!("retry job {job}"), source))?;
        Ok(changed == 1)
    }

    fn purge_jobs(&mut self, older_than: Duration) -> Result<u64, Error> {
        self.client
            .execute(
                "DELETE FROM job WHERE state IN ('done', 'dead') \
                 AND updated_at < COALESCE($2::timestamptz, now()) - make_interval(secs => $1)",
                &[&older_than.as_secs_f64(), &self.clock.manual_now()],
            )
            .map_err(|source| pg(&self.name, "purge old jobs", source))
    }

    fn completions(&mut self) -> Result<Vec<(String, u32)>, Error> {
        let rows = self
            .client
            .query(
                "SELECT delivery, completions FROM job ORDER BY delivery COLLATE \"C\"",
                &[],
            )
            .map_err(|source| pg(&self.name, "read the job completions", source))?;
        rows.iter()
            .map(|row| {
                let count: i32 = row.get(1);
                Ok((
                    row.get(0),
                    to_unsigned(&self.name, "completion count", i64::from(count))?,
                ))
            })
            .collect()
    }

    fn record_fix(&mut self, fix: &FixRecord) -> Result<(), Error> {
        let pr = to_i64("pull request number", fix.pr)?;
        self.client
            .execute(
                "INSERT INTO fix_record (repo, pr, fingerprint, pattern, kind) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repo, pr, fingerprint) DO NOTHING",
                &[
                    &fix.repo,
                    &pr,
                    &fix.fingerprint,
                    &fix.pattern,
                    &fix.kind.as_str(),
                ],
            )
            .map_err(|source| {
                let what = format!(
                    "record fix `{}` on {}#{}",
                    fix.fingerprint, fix.repo, fix.pr
                );
                pg(&self.name, &what, source)
            })?;
        Ok(())
    }

    fn proposed(&mut self, repo: &str, pr: u64) -> Result<Vec<String>, Error> {
        let number = to_i64("pull request number", pr)?;
        let rows = self
            .client
            .query(
                "SELECT fingerprint FROM fix_record WHERE repo = $1 AND pr = $2 \
                 ORDER BY fingerprint COLLATE \"C\"",
                &[&repo, &number],
            )
            .map_err(|source| {
                pg(
                    &self.name,
                    &format!("read the fixes on {repo}#{pr}"),
                    source,
                )
            })?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn record_outcome(&mut self, repo: &str, pr: u64, merged: bool) -> Result<usize, Error> {
        let number = to_i64("pull request number", pr)?;
        let outcome = if merged { "merged" } else { "closed" };
        let changed = self
            .client
            .execute(
                "UPDATE fix_record SET outcome = $3 WHERE repo = $1 AND pr = $2",
                &[&repo, &number, &outcome],
            )
            .map_err(|source| {
                pg(
                    &self.name,
                    &format!("record the outcome of {repo}#{pr}"),
                    source,
                )
            })?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    fn pattern_stats(&mut self) -> Result<Vec<PatternStats>, Error> {
        let rows = self
            .client
            .query(
                "SELECT pattern, COUNT(*), \
                 COUNT(*) FILTER (WHERE outcome = 'merged'), \
                 COUNT(*) FILTER (WHERE outcome = 'closed') \
                 FROM fix_record GROUP BY pattern ORDER BY pattern COLLATE \"C\"",
                &[],
            )
            .map_err(|source| pg(&self.name, "read the pattern statistics", source))?;
        rows.iter()
            .map(|row| {
                Ok(PatternStats {
                    pattern: row.get(0),
                    proposed: to_unsigned(&self.name, "fix count", row.get(1))?,
                    merged: to_unsigned(&self.name, "fix count", row.get(2))?,
                    closed: to_unsigned(&self.name, "fix count", row.get(3))?,
                })
            })
            .collect()
    }

    fn fix_pr(&mut self, repo: &str, fingerprint: &str) -> Result<Option<FixPr>, Error> {
        let row = self
            .client
            .query_opt(
                &format!(
                    "SELECT {FIX_PR_COLUMNS} FROM fix_pr WHERE repo = $1 AND fingerprint = $2"
                ),
                &[&repo, &fingerprint],
            )
            .map_err(|source| {
                let what = format!("read the fix PR of `{fingerprint}` in {repo}");
                pg(&self.name, &what, source)
            })?;
        row.map(|row| fix_pr_row(&row).into_fix_pr(&self.name))
            .transpose()
    }

    fn upsert_fix_pr(&mut self, pr: &FixPr) -> Result<(), Error> {
        let number = to_i64("pull request number", pr.number)?;
        self.client
            .execute(
                &format!(
                    "INSERT INTO fix_pr ({FIX_PR_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (repo, fingerprint) DO UPDATE SET \
                     pattern = excluded.pattern, number = excluded.number, \
                     branch = excluded.branch, head_sha = excluded.head_sha, \
                     state = excluded.state, merge_sha = excluded.merge_sha, \
                     updated_at = excluded.updated_at"
                ),
                &[
                    &pr.repo,
                    &pr.fingerprint,
                    &pr.pattern,
                    &number,
                    &pr.branch,
                    &pr.head_sha,
                    &pr.state.as_str(),
                    &pr.merge_sha,
                    &pr.updated_at,
                ],
            )
            .map_err(|source| {
                let what = format!("record fix PR {}#{}", pr.repo, pr.number);
                pg(&self.name, &what, source)
            })?;
        Ok(())
    }

    fn fix_prs(&mut self, repo: &str) -> Result<Vec<FixPr>, Error> {
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {FIX_PR_COLUMNS} FROM fix_pr WHERE repo = $1 \
                     ORDER BY number, fingerprint COLLATE \"C\""
                ),
                &[&repo],
            )
            .map_err(|source| pg(&self.name, &format!("read the fix PRs of {repo}"), source))?;
        rows.iter()
            .map(|row| fix_pr_row(row).into_fix_pr(&self.name))
            .collect()
    }

    fn set_ignored(&mut self, repo: &str, fingerprint: &str, ignored: bool) -> Result<(), Error> {
        let sql = if ignored {
            "INSERT INTO ignored_fingerprint (repo, fingerprint) VALUES ($1, $2) \
             ON CONFLICT (repo, fingerprint) DO NOTHING"
        } else {
            "DELETE FROM ignored_fingerprint WHERE repo = $1 AND fingerprint = $2"
        };
        self.client
            .execute(sql, &[&repo, &fingerprint])
            .map_err(|source| {
                let what = format!("record whether `{fingerprint}` is ignored in {repo}");
                pg(&self.name, &what, source)
            })?;
        Ok(())
    }

    fn is_ignored(&mut self, repo: &str, fingerprint: &str) -> Result<bool, Error> {
        let row = self
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM ignored_fingerprint \
                 WHERE repo = $1 AND fingerprint = $2)",
                &[&repo, &fingerprint],
            )
            .map_err(|source| {
                let what = format!("read whether `{fingerprint}` is ignored in {repo}");
                pg(&self.name, &what, source)
            })?;
        Ok(row.get(0))
    }
}
