//! The server store: the webhook delivery queue, the fixes suture proposed on pull requests and
//! their outcomes, the fix PRs `suture pr` opened, and ignored fingerprints. (Skeleton: the API
//! is fixed, the backends follow.)

pub use crate::Error;

/// Opens the server store. `url` is `postgres://…`/`postgresql://…` (PostgreSQL) or a file path /
/// `sqlite://PATH` (SQLite; created with parents if missing). Runs pending migrations.
pub fn connect(url: &str) -> Result<Box<dyn ServerStore>, Error> {
    let _ = url;
    todo!()
}

/// One webhook delivery as GitHub sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `X-GitHub-Delivery`.
    pub id: String,
    /// `X-GitHub-Event`.
    pub event: String,
    /// The raw body.
    pub payload: Vec<u8>,
}

/// What [`ServerStore::enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    New { job: i64 },
    Duplicate,
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub delivery: String,
    pub event: String,
    pub payload: Vec<u8>,
    /// How many times it has been claimed, this claim included.
    pub attempts: u32,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub dead: u64,
}

/// How a fix was proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixKind {
    Review,
    FixPr,
}

/// One fix suture proposed on a pull request (a review suggestion, or a suture fix PR).
#[derive(Debug, Clone)]
pub struct FixRecord {
    pub repo: String,
    pub pr: u64,
    pub fingerprint: String,
    pub pattern: String,
    pub kind: FixKind,
}

/// How often a pattern's fixes were proposed, merged and closed unmerged.
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
    HumanEdited,
    Reverted,
}

/// A fix PR opened by `suture pr`, keyed by (repo, fingerprint).
#[derive(Debug, Clone, PartialEq)]
pub struct FixPr {
    pub repo: String,
    pub fingerprint: String,
    pub pattern: String,
    pub number: u64,
    pub branch: String,
    pub head_sha: String,
    pub state: PrState,
    pub merge_sha: Option<String>,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The server store, on SQLite or PostgreSQL.
pub trait ServerStore: Send {
    /// Records the delivery id and enqueues its job in ONE transaction. A delivery id seen before →
    /// `Duplicate`, nothing enqueued.
    fn enqueue(&mut self, delivery: &Delivery) -> Result<Enqueued, Error>;
    /// Claims the oldest runnable job: queued, or running with an expired lease (its worker died).
    /// Sets running, lease owner = worker, lease until now+lease, attempts+1. Never hands one job
    /// to two live workers.
    fn claim(&mut self, worker: &str, lease: std::time::Duration) -> Result<Option<Job>, Error>;
    /// Marks done, only if `worker` still holds the lease; returns false when it lost the lease.
    fn complete(&mut self, job: i64, worker: &str) -> Result<bool, Error>;
    /// Records the error; requeues unless attempts >= max_attempts, then the job is dead.
    fn fail(&mut self, job: i64, worker: &str, error: &str, max_attempts: u32)
    -> Result<(), Error>;
    fn queue_stats(&mut self) -> Result<QueueStats, Error>;
    /// Test/diagnostic helper: how many times each delivery's job was completed.
    fn completions(&mut self) -> Result<Vec<(String, u32)>, Error>;

    /// Idempotent on (repo, pr, fingerprint).
    fn record_fix(&mut self, fix: &FixRecord) -> Result<(), Error>;
    /// A PR closed: marks its fixes merged or closed; returns how many fixes it touched.
    fn record_outcome(&mut self, repo: &str, pr: u64, merged: bool) -> Result<usize, Error>;
    /// Sorted by pattern id.
    fn pattern_stats(&mut self) -> Result<Vec<PatternStats>, Error>;

    fn fix_pr(&mut self, repo: &str, fingerprint: &str) -> Result<Option<FixPr>, Error>;
    fn upsert_fix_pr(&mut self, pr: &FixPr) -> Result<(), Error>;
    /// All states, by number.
    fn fix_prs(&mut self, repo: &str) -> Result<Vec<FixPr>, Error>;
    /// `@suture ignore` on a PR: the fingerprint is not proposed again in that repo.
    fn set_ignored(&mut self, repo: &str, fingerprint: &str, ignored: bool) -> Result<(), Error>;
    fn is_ignored(&mut self, repo: &str, fingerprint: &str) -> Result<bool, Error>;
}
