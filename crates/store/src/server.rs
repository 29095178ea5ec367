//! The server store: what `suture serve` and `suture pr` remember between runs and share between
//! replicas. It holds the webhook delivery ids with their durable job queue, the fixes suture
//! proposed on pull requests with their outcomes (merged or closed, which feeds each pattern's
//! acceptance rate), the fix PRs `suture pr` opened, keyed by fingerprint, and the fingerprints a
//! repository asked to ignore.
//!
//! One trait, [`ServerStore`], two backends chosen by [`connect`]'s URL:
//! - SQLite, the default: a file, which may also hold the mining cache and audit trail of
//!   [`crate::Store`]. The server tables have their own migration track (the table
//!   `suture_server_migrations`, not `user_version`), so neither store creates the other's tables
//!   and either can open a file first. Several threads or processes may share the file (WAL, a
//!   5 s busy timeout); each claim takes the write lock up front with `BEGIN IMMEDIATE`, so a
//!   claim is a serialised read-then-write and one job never goes to two workers.
//! - PostgreSQL (`postgres://…`), for several `suture serve` replicas. A claim is one
//!   `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`: concurrent workers skip the rows
//!   others are claiming instead of waiting on them. Migrations live in `suture_migrations` and run
//!   under `pg_advisory_xact_lock`, so replicas starting at once migrate exactly once.
//!
//! Why rusqlite and the synchronous `postgres` client instead of sqlx: sqlx links its own sqlite3,
//! so it cannot share a workspace with rusqlite (bundled), which the embedded store already uses,
//! and sqlx with its sqlite, postgres, macros and migrate features adds about three minutes of
//! build time and 87 crates. The `postgres` crate is the small client that sits under sqlx's
//! PostgreSQL driver anyway (tokio-postgres), and a synchronous store keeps this crate plain: the
//! same code paths for both backends, no async in the adapter's API.
//!
//! The price of the synchronous client: it drives its own small tokio runtime and blocks the
//! calling thread, so async callers (the axum server) must call the store from
//! `tokio::task::spawn_blocking` or a dedicated thread, never directly on a runtime worker (the
//! client panics when it is asked to block inside a runtime). Connecting and every call block;
//! dropping a store does not matter where it happens (the PostgreSQL store closes its connection
//! on a thread of its own).
//!
//! The queue is a lease queue. A claim marks the job running for `lease`; a worker that dies simply
//! lets its lease expire, and the next claim takes the job again with `attempts + 1`, unless it has had
//! its `max_attempts` (then it is dead: a job that crashes its worker every time stops there). `complete`
//! and `fail` only act while the caller still owns the job, so a worker that was presumed dead
//! cannot overwrite the outcome of the worker that took its job over. Work is therefore
//! at-least-once around a crash, and exactly-once among live workers whose leases hold.
//!
//! PostgreSQL URLs accept libpq's parameters; `?options=-csearch_path%3Dmy_schema` puts the
//! tables in a schema of their own (the tests use it to give every test a fresh schema). The first
//! connection creates the tables, so the role needs CREATE on that schema (since PostgreSQL 15 only
//! the database owner has it on `public`). Store names in errors never show the password.

mod clock;
mod pg;
mod sqlite;

use std::path::PathBuf;
use std::time::SystemTime;

pub use crate::Error;
pub use clock::{Clock, ManualClock};

/// Opens the server store. `url` is `postgres://…`/`postgresql://…` (PostgreSQL) or a file path /
/// `sqlite://PATH` (SQLite; created with parents if missing). Runs pending migrations (safe when several
/// processes start at once: on PostgreSQL they run under `pg_advisory_xact_lock`, on SQLite each in an
/// immediate transaction that re-reads the schema version).
pub fn connect(url: &str) -> Result<Box<dyn ServerStore>, Error> {
    connect_with(url, Clock::System)
}

/// [`connect`], with the queue's times read from `clock` (see [`Clock`]).
pub fn connect_with(url: &str, clock: Clock) -> Result<Box<dyn ServerStore>, Error> {
    match Backend::parse(url)? {
        Backend::Postgres => Ok(Box::new(pg::PgStore::connect(url, clock)?)),
        Backend::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(&path, clock)?)),
    }
}

/// One webhook delivery as GitHub sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The `X-GitHub-Delivery` header: unique per delivery, repeated when GitHub redelivers.
    pub id: String,
    /// The `X-GitHub-Event` header.
    pub event: String,
    /// The raw body, stored as bytes (BLOB/BYTEA), exactly as received.
    pub payload: Vec<u8>,
}

/// What [`ServerStore::enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// First time this delivery id was seen; its job has this id.
    New { job: i64 },
    /// The delivery id was seen before; nothing was enqueued.
    Duplicate,
}

/// A job a worker has claimed.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    /// The delivery id it came from.
    pub delivery: String,
    pub event: String,
    pub payload: Vec<u8>,
    /// How many times the job has been claimed, this claim included.
    pub attempts: u32,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub queued: u64,
    /// Claimed, whether or not the lease has expired.
    pub running: u64,
    pub done: u64,
    /// Failed `max_attempts` times; never claimed again.
    pub dead: u64,
}

/// One job as `suture jobs list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub id: i64,
    pub delivery: String,
    pub event: String,
    /// `queued`, `running`, `done` or `dead`.
    pub state: String,
    pub attempts: u32,
    /// The error of the last failed attempt, if any.
    pub last_error: Option<String>,
    /// Unix seconds of the last change.
    pub updated_at: i64,
    /// For a queued job that failed: the earliest time its next attempt may start (its backoff, or the
    /// wait GitHub asked for).
    pub run_after: Option<SystemTime>,
}

/// How a fix was proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixKind {
    /// A suggestion in a review of someone's pull request.
    Review,
    /// A pull request suture opened itself.
    FixPr,
}

impl FixKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::Review => "review",
            FixKind::FixPr => "fix_pr",
        }
    }
}

/// One fix suture proposed on a pull request (a review suggestion, or a suture fix PR).
#[derive(Debug, Clone)]
pub struct FixRecord {
    /// `owner/name`.
    pub repo: String,
    /// The pull request number.
    pub pr: u64,
    /// Identifies the fix (pattern, file, matched text) across runs.
    pub fingerprint: String,
    /// The pattern id.
    pub pattern: String,
    pub kind: FixKind,
}

/// How often a pattern's fixes were proposed, merged, and closed without merging. Fixes whose pull
/// request is still open count in `proposed` only.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternStats {
    pub pattern: String,
    pub proposed: u64,
    pub merged: u64,
    pub closed: u64,
}

/// The life of a fix PR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrState {
    Open,
    Merged,
    Closed,
    /// Someone other than suture pushed to the branch: suture leaves it alone.
    HumanEdited,
    /// Merged, broke the default branch, and suture opened a revert.
    Reverted,
}

impl PrState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PrState::Open => "open",
            PrState::Merged => "merged",
            PrState::Closed => "closed",
            PrState::HumanEdited => "human_edited",
            PrState::Reverted => "reverted",
        }
    }

    fn parse(name: &str) -> Option<PrState> {
        [
            PrState::Open,
            PrState::Merged,
            PrState::Closed,
            PrState::HumanEdited,
            PrState::Reverted,
        ]
        .into_iter()
        .find(|state| state.as_str() == name)
    }
}

/// A fix PR opened by `suture pr`, keyed by (repo, fingerprint).
#[derive(Debug, Clone, PartialEq)]
pub struct FixPr {
    pub repo: String,
    pub fingerprint: String,
    pub pattern: String,
    pub number: u64,
    pub branch: String,
    /// The head commit suture last pushed; a different head means a human pushed.
    pub head_sha: String,
    pub state: PrState,
    pub merge_sha: Option<String>,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The server store, on SQLite or PostgreSQL. One value is one connection: open one per thread
/// (it is `Send`, not `Sync`).
pub trait ServerStore: Send {
    /// Records the delivery id and enqueues its job in ONE transaction. A delivery id seen before →
    /// `Duplicate`, nothing enqueued.
    fn enqueue(&mut self, delivery: &Delivery) -> Result<Enqueued, Error>;
    /// Claims the oldest runnable job: queued, or running with an expired lease (its worker died).
    /// Sets running, lease owner = worker, lease until now+lease, attempts+1. PostgreSQL: `FOR UPDATE
    /// SKIP LOCKED`; SQLite: `BEGIN IMMEDIATE`. Never hands one job to two live workers.
    ///
    /// The attempt is counted when the job is claimed, before it runs, so a job that kills its worker
    /// (a crash loop) is not claimed again once it has had `max_attempts`: an expired job at the limit is
    /// marked dead instead, with an error saying its worker stopped.
    fn claim(
        &mut self,
        worker: &str,
        lease: std::time::Duration,
        max_attempts: u32,
    ) -> Result<Option<Job>, Error>;
    /// Marks done, only if `worker` still owns the job (it is running under `worker`'s claim, even
    /// if the lease ran out as long as nobody claimed it since); returns false when it lost it.
    fn complete(&mut self, job: i64, worker: &str) -> Result<bool, Error>;
    /// Records the error; requeues unless attempts >= max_attempts, then the job is dead. A requeued
    /// job is not claimed before `retry_in` has passed (the caller's backoff). Does nothing when
    /// `worker` no longer owns the job (like [`ServerStore::complete`]).
    fn fail(
        &mut self,
        job: i64,
        worker: &str,
        error: &str,
        max_attempts: u32,
        retry_in: std::time::Duration,
    ) -> Result<(), Error>;
    fn queue_stats(&mut self) -> Result<QueueStats, Error>;
    /// The lease owners of the running jobs, sorted, without repeats.
    fn lease_owners(&mut self) -> Result<Vec<String>, Error>;
    /// Ends the leases `owner` holds now, so that the next claim takes its jobs over at once (a worker
    /// that knows `owner` is dead need not wait out the lease); returns how many.
    fn expire_leases(&mut self, owner: &str) -> Result<u64, Error>;
    /// Jobs, most recently changed first, at most `limit`; only those in `state` when given.
    fn jobs(&mut self, state: Option<&str>, limit: usize) -> Result<Vec<JobInfo>, Error>;
    /// A dead job back in the queue with a fresh count of attempts (after the cause was fixed); false
    /// when there is no dead job with this id.
    fn retry_job(&mut self, job: i64) -> Result<bool, Error>;
    /// Deletes the done and dead jobs last changed more than `older_than` ago; returns how many. Their
    /// deliveries stay recorded, so a replay of one still enqueues nothing.
    fn purge_jobs(&mut self, older_than: std::time::Duration) -> Result<u64, Error>;
    /// Test/diagnostic helper: how many times each delivery's job was completed (for "none run
    /// twice"), every job included, sorted by delivery id.
    fn completions(&mut self) -> Result<Vec<(String, u32)>, Error>;

    /// Idempotent on (repo, pr, fingerprint): recording the same fix again changes nothing.
    fn record_fix(&mut self, fix: &FixRecord) -> Result<(), Error>;
    /// The fingerprints already recorded on one PR, sorted: what a review of a new push need not
    /// suggest again.
    fn proposed(&mut self, repo: &str, pr: u64) -> Result<Vec<String>, Error>;
    /// A PR closed: marks its fixes merged or closed; returns how many fixes it touched. A PR that
    /// is reopened and closed again overwrites the earlier outcome.
    fn record_outcome(&mut self, repo: &str, pr: u64, merged: bool) -> Result<usize, Error>;
    /// Sorted by pattern id (byte order).
    fn pattern_stats(&mut self) -> Result<Vec<PatternStats>, Error>;

    fn fix_pr(&mut self, repo: &str, fingerprint: &str) -> Result<Option<FixPr>, Error>;
    /// Inserts, or replaces every field of the row with the same (repo, fingerprint).
    fn upsert_fix_pr(&mut self, pr: &FixPr) -> Result<(), Error>;
    /// All states, by number.
    fn fix_prs(&mut self, repo: &str) -> Result<Vec<FixPr>, Error>;
    /// `@suture ignore` on a PR: the fingerprint is not proposed again in that repo.
    fn set_ignored(&mut self, repo: &str, fingerprint: &str, ignored: bool) -> Result<(), Error>;
    fn is_ignored(&mut self, repo: &str, fingerprint: &str) -> Result<bool, Error>;
}

/// Which backend a URL names.
#[derive(Debug, PartialEq, Eq)]
enum Backend {
    Postgres,
    Sqlite(PathBuf),
}

impl Backend {
    fn parse(url: &str) -> Result<Backend, Error> {
        let bad = |reason: &str| Error::BadUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        if url.trim().is_empty() {
            return Err(bad("it is empty"));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres);
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(bad("no file path after `sqlite://`"));
            }
            return Ok(Backend::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(bad(&format!(
                "unknown scheme `{scheme}`; expected `postgres://`, `postgresql://`, `sqlite://` or a file path"
            )));
        }
        Ok(Backend::Sqlite(PathBuf::from(url)))
    }
}

/// `url` with its password replaced by `***`, both in `user:password@` and in a `password=`
/// parameter, so that it can appear in errors and logs.
pub(crate) fn redact(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..]
            .find(['/', '?'])
            .map_or(out.len(), |end| rest + end);
        if let Some(at) = out[rest..authority_end].rfind('@') {
            let userinfo = rest..rest + at;
            if let Some(colon) = out[userinfo.clone()].find(':') {
                out.replace_range(userinfo.start + colon + 1..userinfo.end, "***");
            }
        }
    }
    let mut search = 0;
    while let Some(found) = out[search..].find("password=") {
        let start = search + found + "password=".len();
        let end = out[start..]
            .find(['&', ' '])
            .map_or(out.len(), |end| start + end);
        out.replace_range(start..end, "***");
        search = start + 3;
    }
    out
}

/// `value` as the signed 64-bit integer both databases store.
fn to_i64(what: &'static str, value: u64) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::OutOfRange { what, value })
}

/// A stored count or number back as unsigned; a negative one means the store was tampered with.
fn to_unsigned<T: TryFrom<i64>>(store: &str, what: &'static str, value: i64) -> Result<T, Error> {
    T::try_from(value).map_err(|_| Error::BadValue {
        store: store.to_owned(),
        what,
        value: value.to_string(),
    })
}

/// Adds `count` jobs in `state` to `stats`.
fn add_state(stats: &mut QueueStats, store: &str, state: &str, count: i64) -> Result<(), Error> {
    let count: u64 = to_unsigned(store, "job count", count)?;
    let slot = match state {
        "queued" => &mut stats.queued,
        "running" => &mut stats.running,
        "done" => &mut stats.done,
        "dead" => &mut stats.dead,
        _ => {
            return Err(Error::BadValue {
                store: store.to_owned(),
                what: "job state",
                value: state.to_owned(),
            });
        }
    };
    *slot += count;
    Ok(())
}

/// A `fix_pr` row as the database returns it, before its number and state are checked.
struct RawFixPr {
    repo: String,
    fingerprint: String,
    pattern: String,
    number: i64,
    branch: String,
    head_sha: String,
    state: String,
    merge_sha: Option<String>,
    updated_at: i64,
}

impl RawFixPr {
    fn into_fix_pr(self, store: &str) -> Result<FixPr, Error> {
        Ok(FixPr {
            number: to_unsigned(store, "pull request number", self.number)?,
            state: parse_pr_state(store, &self.state)?,
            repo: self.repo,
            fingerprint: self.fingerprint,
            pattern: self.pattern,
            branch: self.branch,
            head_sha: self.head_sha,
            merge_sha: self.merge_sha,
            updated_at: self.updated_at,
        })
    }
}

fn parse_pr_state(store: &str, name: &str) -> Result<PrState, Error> {
    PrState::parse(name).ok_or_else(|| Error::BadValue {
        store: store.to_owned(),
        what: "fix PR state",
        value: name.to_owned(),
    })
}

/// The lease as whole milliseconds, saturating (a lease of centuries is as good as forever).
fn lease_ms(lease: std::time::Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            Backend::parse("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::parse("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::parse("sqlite:///var/lib/suture.db").unwrap(),
            Backend::Sqlite(PathBuf::from("/var/lib/suture.db"))
        );
        assert_eq!(
            Backend::parse("sqlite://rel/s.db").unwrap(),
            Backend::Sqlite(PathBuf::from("rel/s.db"))
        );
        assert_eq!(
            Backend::parse(".suture/server.db").unwrap(),
            Backend::Sqlite(PathBuf::from(".suture/server.db"))
        );
        for (url, message) in [
            ("", "bad store url ``: it is empty"),
            (
                "sqlite://",
                "bad store url `sqlite://`: no file path after `sqlite://`",
            ),
            (
                "mysql://root:hunter2@db/x",
                "bad store url `mysql://root:***@db/x`: unknown scheme `mysql`; expected \
                 `postgres://`, `postgresql://`, `sqlite://` or a file path",
            ),
        ] {
            assert_eq!(Backend::parse(url).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn redact_hides_passwords() {
        assert_eq!(
            redact("postgres://suture:s3cr:et@db.internal:5432/q?sslmode=disable"),
            "postgres://suture:***@db.internal:5432/q?sslmode=disable"
        );
        assert_eq!(redact("postgres://suture@db/q"), "postgres://suture@db/q");
        assert_eq!(
            redact("postgres://db/q?user=a&password=pw&x=1"),
            "postgres://db/q?user=a&password=***&x=1"
        );
        assert_eq!(redact("/tmp/a@b:c.db"), "/tmp/a@b:c.db");
    }

    #[test]
    fn stored_names_round_trip() {
        for state in [
            PrState::Open,
            PrState::Merged,
            PrState::Closed,
            PrState::HumanEdited,
            PrState::Reverted,
        ] {
            assert_eq!(parse_pr_state("s", state.as_str()).unwrap(), state);
        }
        assert_eq!(
            parse_pr_state("s.db", "draft").unwrap_err().to_string(),
            "store `s.db` holds fix PR state `draft`, which this build does not understand"
        );
    }
}
