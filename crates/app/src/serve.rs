//! `suture serve`: the GitHub App's webhook server and the workers that do its work from a durable queue.
//!
//! The request path does as little as possible, in this order: read the body under a size limit (413),
//! verify `X-Hub-Signature-256` over the raw bytes in constant time (401, before anything else looks at the
//! body), check the delivery headers (400), parse the event (400 for malformed JSON), and either ignore it
//! (2xx, nothing stored) or record the delivery id and enqueue its job in one store transaction (202, or 200
//! for a replayed delivery id). It never calls GitHub, so GitHub's 10-second delivery timeout is never at
//! risk and a slow API cannot pile up requests.
//!
//! Workers claim jobs from the store queue (a lease, a bounded number of attempts, then dead), woken by a
//! `Notify` from the webhook handler and polling as a fallback, so jobs left by an earlier process, or
//! enqueued by another process sharing the PostgreSQL store, run too. Why the store is the queue and not
//! an in-process channel: a delivery GitHub was told we accepted must survive a crash or a deploy, and
//! several processes must share the work without running a delivery twice (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, `BEGIN IMMEDIATE` on SQLite, in `store::server`).
//!
//! Store calls are blocking (rusqlite, the sync `postgres` client), so they run on tokio's blocking pool
//! through [`Pool`]: a few connections reused, bounded by a semaphore so that a burst of webhooks cannot
//! open hundreds of PostgreSQL connections.
//!
//! Logs are structured (`tracing`) and carry delivery ids, job ids, repositories and pull request numbers;
//! never the webhook secret, the private key, installation tokens or payloads.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use github::webhook::{Event, IssueCommentEvent, PullRequestEvent, verify_signature};
use github::{App, FileChange, GitHub, RepoId};
use pipeline::Library;
use serde_json::json;
use store::server::{Delivery, Enqueued, FixKind, FixRecord, Job, ServerStore};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};
use tracing::{Instrument, error, info, info_span, warn};

use crate::commands::{self, Command, Parsed};
use crate::review::{self, PrFix, ReviewConfig, Snapshot};

/// Bytes that must not be printed: the webhook secret, the App's private key.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Everything `suture serve` needs besides the pattern library and the listening socket.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// `postgres://…` or a SQLite path (see `store::server::connect`).
    pub database_url: String,
    pub webhook_secret: Secret,
    pub app_id: u64,
    /// The App's private key, PEM.
    pub private_key: Secret,
    /// GitHub's REST API base, `https://api.github.com` or a GitHub Enterprise / test server.
    pub api_url: String,
    /// Workers claiming jobs; 0 only enqueues (a process that only acknowledges deliveries).
    pub workers: usize,
    /// Larger webhook bodies get 413 (GitHub caps payloads at 25 MB).
    pub max_body_bytes: usize,
    pub review: ReviewConfig,
    /// How long a claimed job is its worker's; after that another worker may take it over.
    pub lease: Duration,
    /// A job that failed this many times is dead.
    pub max_attempts: u32,
    /// The wait after a job's first failure; it doubles with each further failure (see [`retry_delay`]).
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_cap: Duration,
    /// How often idle workers look at the queue without being woken (jobs from other processes).
    pub poll_interval: Duration,
    /// How long running jobs may take to finish after shutdown is asked for.
    pub shutdown_timeout: Duration,
    /// Store connections open at once (request handlers and workers share them).
    pub store_connections: usize,
    /// The time the queue goes by (leases, backoff): the system's; tests pass a manual clock to move
    /// past the production backoff without waiting it out.
    pub clock: store::server::Clock,
}

impl ServeConfig {
    /// The defaults for everything but the database, the secrets and the App id.
    pub fn new(
        database_url: &str,
        webhook_secret: Secret,
        app_id: u64,
        private_key: Secret,
    ) -> ServeConfig {
        ServeConfig {
            database_url: database_url.to_owned(),
            webhook_secret,
            app_id,
            private_key,
            api_url: "https://api.github.com".to_owned(),
            workers: 2,
            max_body_bytes: 25 * 1024 * 1024,
            review: ReviewConfig::default(),
            lease: Duration::from_secs(300),
            // With the retry defaults, the first 6 attempts span at least 0.75 × (30 s + 1 + 2 + 4 + 8 min)
            // ≈ 11 min: a 10-minute outage of GitHub does not lose the job.
            max_attempts: 8,
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(600),
            poll_interval: Duration::from_secs(2),
            shutdown_timeout: Duration::from_secs(30),
            store_connections: 8,
            clock: store::server::Clock::System,
        }
    }
}

/// Installs JSON-line logs on stderr, filtered by `SUTURE_LOG` (default `info`). A second call does nothing.
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SUTURE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A few store connections reused across blocking tasks.
struct Pool {
    url: String,
    clock: store::server::Clock,
    idle: Mutex<Vec<Box<dyn ServerStore>>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    fn new(url: &str, size: usize, clock: store::server::Clock) -> Pool {
        Pool {
            url: url.to_owned(),
            clock,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Runs `f` with a connection on the blocking pool. A connection whose call failed is dropped, not
    /// reused, in case the failure was the connection's.
    async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn ServerStore) -> Result<T, store::server::Error> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let idle = pool
                .idle
                .lock()
                .map_err(|_| anyhow!("store pool poisoned"))?
                .pop();
            let mut conn = match idle {
                Some(conn) => conn,
                None => store::server::connect_with(&pool.url, pool.clock.clone())
                    .context("cannot open the store")?,
            };
            let out = f(conn.as_mut())?;
            if let Ok(mut idle) = pool.idle.lock() {
                idle.push(conn);
            }
            Ok(out)
        })
        .await?
    }
}

/// State shared by the request handlers and the workers.
struct Shared {
    config: ServeConfig,
    library: Arc<Library>,
    app: App,
    pool: Arc<Pool>,
    wake: Notify,
    /// Unique per process, so leases name the process and worker that hold them.
    worker_prefix: String,
}

/// Serves webhooks on `listener` and runs the workers until `shutdown` resolves; then stops accepting,
/// lets running jobs finish within [`ServeConfig::shutdown_timeout`] and returns. Queued jobs stay in the
/// store for the next start.
pub async fn run(
    config: ServeConfig,
    library: Arc<Library>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let app = App::new(&config.api_url, config.app_id, config.private_key.expose())
        .context("cannot set up the GitHub App client")?;
    // Open (and migrate) the store before accepting anything, so a bad URL fails at startup.
    let pool = Arc::new(Pool::new(
        &config.database_url,
        config.store_connections + config.workers,
        config.clock.clone(),
    ));
    pool.run(|store| store.queue_stats())
        .await
        .with_context(|| "cannot open the server store".to_owned())?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // A restart on this host takes over at once what a dead process of ours still holds, instead of
    // waiting out its leases (300 s by default).
    let host = host_name();
    let taken = pool
        .run(move |store| -> Result<u64, store::server::Error> {
            let mut n = 0;
            for owner in store.lease_owners()? {
                if dead_owner_on_this_host(&owner, &host) {
                    n += store.expire_leases(&owner)?;
                }
            }
            Ok(n)
        })
        .await
        .context("cannot take over the leases of a dead process")?;
    if taken > 0 {
        info!(
            jobs = taken,
            "took over the jobs of a dead suture process on this host"
        );
    }
    let shared = Arc::new(Shared {
        worker_prefix: format!("suture@{}:{}:{nanos:08x}", host_name(), std::process::id()),
        config,
        library,
        app,
        pool,
        wake: Notify::new(),
    });

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    let mut workers = tokio::task::JoinSet::new();
    for idx in 0..shared.config.workers {
        let shared = Arc::clone(&shared);
        let stop = stop_rx.clone();
        workers.spawn(worker(shared, idx, stop));
    }

    let router = router(Arc::clone(&shared));
    let addr = listener.local_addr()?;
    info!(%addr, workers = shared.config.workers, "serving webhooks");
    let mut server_stop = stop_rx.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        })
        .await
        .context("the webhook server failed")?;
    info!("stopped accepting webhooks; waiting for running jobs");

    let drain = async { while workers.join_next().await.is_some() {} };
    if tokio::time::timeout(shared.config.shutdown_timeout, drain)
        .await
        .is_err()
    {
        warn!(
            timeout_s = shared.config.shutdown_timeout.as_secs(),
            "jobs still running at the shutdown timeout: aborted; their leases will expire and another worker will retry them"
        );
        workers.abort_all();
    }
    info!("stopped");
    Ok(())
}

fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.max_body_bytes;
    Router::new()
        .route("/webhook", post(webhook))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(shared)
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The longest delivery id accepted (GitHub's are UUIDs).
const MAX_DELIVERY_ID: usize = 128;

/// What the request path makes of a delivery, before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// A `ping`: answered, nothing stored.
    Pong,
    /// Verified and well-formed, but not something suture acts on: acknowledged, nothing stored.
    Ignored { event: String },
    /// To record and enqueue: the delivery id, the event and the raw body, exactly as received.
    Queue(Delivery),
}

/// A delivery refused on the request path: the HTTP status (401 or 400) and why, for the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

/// The request path up to the store, with no IO: verifies the signature over the raw body (401, before
/// anything else reads the body), checks the delivery headers (400), parses the event (400 for a malformed
/// payload) and decides whether it is wanted. Header values that are not visible ASCII count as missing.
/// This is what the fuzz target `crates/app/fuzz` runs.
pub fn admit(secret: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<Admission, Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let refuse = |status: u16, message: String| Err(Refusal { status, message });
    if let Err(e) = verify_signature(secret, body, header("x-hub-signature-256")) {
        return refuse(401, e.to_string());
    }
    let Some(event) = header("x-github-event").filter(|e| !e.is_empty()) else {
        return refuse(400, "missing X-GitHub-Event header".to_owned());
    };
    let delivery = header("x-github-delivery").unwrap_or("");
    if delivery.is_empty() || delivery.len() > MAX_DELIVERY_ID {
        return refuse(
            400,
            "missing or invalid X-GitHub-Delivery header".to_owned(),
        );
    }
    let parsed = match Event::parse(event, body) {
        Ok(parsed) => parsed,
        Err(e) => return refuse(400, e.to_string()),
    };
    if matches!(parsed, Event::Ping) {
        return Ok(Admission::Pong);
    }
    if !wanted(&parsed) {
        return Ok(Admission::Ignored {
            event: event.to_owned(),
        });
    }
    Ok(Admission::Queue(Delivery {
        id: delivery.to_owned(),
        event: event.to_owned(),
        payload: body.to_vec(),
    }))
}

async fn webhook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let delivery = headers
        .get("x-github-delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let record = match admit(shared.config.webhook_secret.expose(), &headers, &body) {
        Err(refusal) => {
            warn!(delivery, status = refusal.status, reason = %refusal.message, "rejected a webhook");
            let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST);
            return reply(status, json!({"error": refusal.message}));
        }
        Ok(Admission::Pong) => {
            info!(delivery, "ping");
            return reply(StatusCode::OK, json!({"status": "pong"}));
        }
        Ok(Admission::Ignored { event }) => {
            info!(delivery, event, "ignored");
            return reply(StatusCode::OK, json!({"status": "ignored"}));
        }
        Ok(Admission::Queue(record)) => record,
    };
    let event = record.event.clone();
    match shared.pool.run(move |store| store.enqueue(&record)).await {
        Ok(Enqueued::New { job }) => {
            info!(delivery, event, job, "queued");
            shared.wake.notify_one();
            reply(
                StatusCode::ACCEPTED,
                json!({"status": "queued", "job": job}),
            )
        }
        Ok(Enqueued::Duplicate) => {
            info!(delivery, event, "duplicate delivery");
            reply(StatusCode::OK, json!({"status": "duplicate"}))
        }
        Err(e) => {
            error!(delivery, event, error = format!("{e:#}"), "cannot enqueue");
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "cannot store the delivery"}),
            )
        }
    }
}

/// Whether suture acts on an event: everything else is acknowledged and dropped.
fn wanted(event: &Event) -> bool {
    match event {
        Event::PullRequest(pr) => matches!(
            pr.action.as_str(),
            "opened" | "synchronize" | "reopened" | "closed"
        ),
        Event::IssueComment(c) => {
            c.action == "created"
                && c.is_pull_request
                && c.user_type != "Bot"
                && commands::parse(&c.body) != Parsed::NotForUs
        }
        Event::Ping | Event::Other(_) => false,
    }
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.pool.run(|store| store.queue_stats()).await {
        Ok(q) => reply(
            StatusCode::OK,
            json!({
                "status": "ok",
                "queue": {"queued": q.queued, "running": q.running, "done": q.done, "dead": q.dead},
                "workers": shared.config.workers,
            }),
        ),
        Err(e) => {
            error!(
                error = format!("{e:#}"),
                "health check cannot read the store"
            );
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "store unavailable"}),
            )
        }
    }
}

async fn worker(shared: Arc<Shared>, idx: usize, mut stop: watch::Receiver<bool>) {
    let name = format!("{}-{idx}", shared.worker_prefix);
    loop {
        if *stop.borrow() {
            break;
        }
        let (claimer, lease) = (name.clone(), shared.config.lease);
        let max_attempts = shared.config.max_attempts;
        match shared
            .pool
            .run(move |store| store.claim(&claimer, lease, max_attempts))
            .await
        {
            Ok(Some(job)) => {
                run_job(&shared, &name, job).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => error!(worker = %name, error = format!("{e:#}"), "cannot claim a job"),
        }
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(shared.config.poll_interval) => {}
            _ = stop.changed() => {}
        }
    }
}

async fn run_job(shared: &Arc<Shared>, worker: &str, job: Job) {
    let span = info_span!(
        "job",
        job = job.id,
        delivery = %job.delivery,
        event = %job.event,
        attempt = job.attempts
    );
    async {
        let started = std::time::Instant::now();
        let outcome = handle(shared, &job).await;
        let (id, owner) = (job.id, worker.to_owned());
        match outcome {
            Ok(()) => {
                match shared
                    .pool
                    .run(move |store| store.complete(id, &owner))
                    .await
                {
                    Ok(true) => info!(ms = started.elapsed().as_millis() as u64, "job done"),
                    Ok(false) => {
                        warn!("job done, but its lease had expired and passed to another worker")
                    }
                    Err(e) => error!(error = format!("{e:#}"), "cannot mark the job done"),
                }
            }
            Err(e) => {
                let message = format!("{e:#}");
                warn!(error = %message, "job failed");
                let max = shared.config.max_attempts;
                // The wait GitHub asked for (Retry-After, a rate limit's reset), if the failure was its.
                let asked = e
                    .chain()
                    .find_map(|cause| cause.downcast_ref::<github::Error>())
                    .and_then(github::Error::retry_after);
                let retry_in = retry_delay(
                    &shared.config,
                    job.attempts,
                    asked,
                    jitter(job.id, job.attempts),
                );
                warn!(
                    retry_in_s = retry_in.as_secs_f64(),
                    github_asked_s = asked.map(|d| d.as_secs_f64()),
                    "job failed: retried later"
                );
                if let Err(e) = shared
                    .pool
                    .run(move |store| store.fail(id, &owner, &message, max, retry_in))
                    .await
                {
                    error!(error = format!("{e:#}"), "cannot record the job's failure");
                }
            }
        }
    }
    .instrument(span)
    .await
}

/// This machine's name, for lease owners (`suture@HOST:PID:NONCE-IDX`).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace([':', '@'], "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Whether a lease owner is a worker of a suture process on `host` that no longer runs. Only Linux can
/// tell (`/proc`); elsewhere, and for other hosts, leases are waited out as before.
pub fn dead_owner_on_this_host(owner: &str, host: &str) -> bool {
    let Some(rest) = owner.strip_prefix("suture@") else {
        return false;
    };
    let mut parts = rest.splitn(3, ':');
    let (Some(h), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    h == host
        && pid != std::process::id()
        && cfg!(target_os = "linux")
        && !std::path::Path::new("/proc").join(pid.to_string()).exists()
}

/// How long a job waits after failing its `attempts`-th attempt: exponential backoff from
/// [`ServeConfig::retry_base`], doubling per attempt up to [`ServeConfig::retry_cap`], times `jitter`
/// scaled into 0.75–1.25 (so jobs failed by one outage do not all come back at once); and never less than
/// `github_asked`, the wait GitHub's answer asked for ([`github::Error::retry_after`]: `Retry-After`, a
/// rate limit's reset, a minute after a secondary rate limit), even above the cap.
pub fn retry_delay(
    config: &ServeConfig,
    attempts: u32,
    github_asked: Option<Duration>,
    jitter: f64,
) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    let backoff = config
        .retry_base
        .saturating_mul(1u32 << doublings)
        .min(config.retry_cap);
    let delay = backoff.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0));
    delay.max(github_asked.unwrap_or(Duration::ZERO))
}

/// A number in [0, 1) that differs between jobs and attempts: the jitter of [`retry_delay`].
fn jitter(job: i64, attempts: u32) -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(job);
    h.write_u32(attempts);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Does one job's work.
async fn handle(shared: &Arc<Shared>, job: &Job) -> Result<()> {
    let event =
        Event::parse(&job.event, &job.payload).context("cannot parse the queued payload")?;
    match event {
        Event::PullRequest(pr) => on_pull_request(shared, pr).await,
        Event::IssueComment(comment) => on_comment(shared, comment).await,
        Event::Ping | Event::Other(_) => Ok(()),
    }
}

fn installation(shared: &Shared, id: Option<u64>, repo: &RepoId) -> Result<GitHub> {
    let id = id.ok_or_else(|| anyhow!("the delivery for {repo} names no App installation"))?;
    shared
        .app
        .installation(id)
        .with_context(|| format!("cannot act as installation {id}"))
}

async fn on_pull_request(shared: &Arc<Shared>, event: PullRequestEvent) -> Result<()> {
    let repo = event.repo.clone();
    let number = event.number;
    match event.action.as_str() {
        "opened" | "synchronize" | "reopened" => {
            let gh = installation(shared, event.installation, &repo)?;
            let head = event.pull_request.head_sha.clone();
            // A new push is reviewed for what it adds: suggestions already made on this PR are not made
            // again (the check run still lists every fix).
            review_pull_request(shared, &gh, &repo, number, &head, false).await
        }
        "closed" => {
            let merged = event.pull_request.merged;
            let name = repo.to_string();
            let touched = shared
                .pool
                .run(move |store| store.record_outcome(&name, number, merged))
                .await?;
            info!(%repo, pr = number, merged, fixes = touched, "recorded the outcome");
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The fixes suture proposes on a pull request at `head_sha`: on added lines, not ignored, ranked.
async fn pull_request_fixes(
    shared: &Arc<Shared>,
    gh: &GitHub,
    repo: &RepoId,
    number: u64,
    head_sha: &str,
) -> Result<(Snapshot, Vec<PrFix>)> {
    let snapshot = Arc::new(review::fetch(gh, repo, number, head_sha).await?);
    // The patterns' PR records are evidence for the confidence model, so they are read before the engine
    // runs: the threshold then applies to the probability that includes them.
    let stats = shared.pool.run(|store| store.pattern_stats()).await?;
    let (library, snap, r, config) = (
        Arc::clone(&shared.library),
        Arc::clone(&snapshot),
        repo.clone(),
        shared.config.review.clone(),
    );
    let fixes = tokio::task::spawn_blocking(move || {
        review::find_fixes(&library, &r, &snap, &config, &stats)
    })
    .await?;
    let name = repo.to_string();
    let fingerprints: BTreeSet<String> = fixes.iter().map(|f| f.fingerprint.clone()).collect();
    let ignored = shared
        .pool
        .run(move |store| {
            let mut ignored = BTreeSet::new();
            for fp in fingerprints {
                if store.is_ignored(&name, &fp)? {
                    ignored.insert(fp);
                }
            }
            Ok(ignored)
        })
        .await?;
    let mut fixes: Vec<PrFix> = fixes
        .into_iter()
        .filter(|f| !ignored.contains(&f.fingerprint))
        .collect();
    review::rank(&mut fixes);
    let snapshot = Arc::try_unwrap(snapshot).unwrap_or_else(|arc| (*arc).clone());
    Ok((snapshot, fixes))
}

async fn review_pull_request(
    shared: &Arc<Shared>,
    gh: &GitHub,
    repo: &RepoId,
    number: u64,
    head_sha: &str,
    suggest_again: bool,
) -> Result<()> {
    let (snapshot, fixes) = pull_request_fixes(shared, gh, repo, number, head_sha).await?;
    let name = repo.to_string();
    let already: BTreeSet<String> = if suggest_again {
        BTreeSet::new()
    } else {
        shared
            .pool
            .run(move |store| store.proposed(&name, number))
            .await?
            .into_iter()
            .collect()
    };
    let config = &shared.config.review;
    let suggested = review::post_suggestions(
        gh, repo, number, head_sha, &snapshot, &fixes, &already, config,
    )
    .await?;
    // Record after the review, so that a retry after a failed review suggests them again, and before the
    // check run, so that a retry after a failed check run does not; recording is idempotent, so a retry
    // after a failed record counts nothing twice.
    let records: Vec<FixRecord> = fixes
        .iter()
        .map(|f| FixRecord {
            repo: repo.to_string(),
            pr: number,
            fingerprint: f.fingerprint.clone(),
            pattern: f.fix.pattern.clone(),
            kind: FixKind::Review,
        })
        .collect();
    shared
        .pool
        .run(move |store| {
            for r in &records {
                store.record_fix(r)?;
            }
            Ok(())
        })
        .await?;
    let check_run = review::post_check_run(gh, repo, head_sha, &fixes, &suggested, config).await?;
    info!(
        %repo,
        pr = number,
        files = snapshot.texts.len(),
        fixes = fixes.len(),
        suggestions = suggested.posted,
        already_suggested = suggested.already,
        unposted = suggested.unposted.len(),
        check_run,
        "reviewed"
    );
    Ok(())
}

async fn on_comment(shared: &Arc<Shared>, event: IssueCommentEvent) -> Result<()> {
    if event.action != "created" || !event.is_pull_request || event.user_type == "Bot" {
        return Ok(());
    }
    let parsed = commands::parse(&event.body);
    if parsed == Parsed::NotForUs {
        return Ok(());
    }
    let repo = event.repo.clone();
    let number = event.issue_number;
    let gh = installation(shared, event.installation, &repo)?;
    let command = match parsed {
        Parsed::Command(command) => command,
        Parsed::Unknown(word) => {
            gh.react_to_comment(&repo, event.comment_id, "confused")
                .await?;
            info!(%repo, pr = number, word, "unknown command");
            return Ok(());
        }
        Parsed::NotForUs => return Ok(()),
    };
    gh.react_to_comment(&repo, event.comment_id, "eyes").await?;
    info!(%repo, pr = number, command = command.name(), user = %event.user, "command");
    let pr = gh.pull_request(&repo, number).await?;
    match command {
        Command::Recreate => {
            review_pull_request(shared, &gh, &repo, number, &pr.head_sha, true).await
        }
        Command::Explain => {
            let (_, fixes) = pull_request_fixes(shared, &gh, &repo, number, &pr.head_sha).await?;
            gh.comment(&repo, number, &review::explain(&shared.library, &fixes))
                .await?;
            Ok(())
        }
        Command::Ignore => {
            let (_, fixes) = pull_request_fixes(shared, &gh, &repo, number, &pr.head_sha).await?;
            let mut fingerprints: Vec<String> =
                fixes.iter().map(|f| f.fingerprint.clone()).collect();
            // On a fix PR of `suture pr` the review finds nothing (the PR is the fix): ignoring it means its
            // group, whose fingerprint the PR body carries, is not proposed again.
            if let Some(crate::pr::body::Marker::Fix { fingerprint, .. }) =
                crate::pr::body::Marker::parse(&pr.body)
            {
                fingerprints.push(fingerprint);
            }
            let name = repo.to_string();
            let n = fingerprints.len();
            shared
                .pool
                .run(move |store| {
                    for fp in &fingerprints {
                        store.set_ignored(&name, fp, true)?;
                    }
                    Ok(())
                })
                .await?;
            gh.comment(
                &repo,
                number,
                &format!("suture will not propose these {n} fix(es) again in this repository."),
            )
            .await?;
            Ok(())
        }
        Command::Apply => {
            // Only a branch of this repository can be committed to with the installation's token: a pull
            // request from a fork has a head branch that this repository does not hold at the head sha.
            let head = gh.branch_head(&repo, &pr.head_ref).await?;
            if head.as_ref().map(|c| c.sha.as_str()) != Some(pr.head_sha.as_str()) {
                gh.comment(
                    &repo,
                    number,
                    "suture cannot apply fixes to this pull request: its head branch is not in this repository.",
                )
                .await?;
                return Ok(());
            }
            let (snapshot, fixes) =
                pull_request_fixes(shared, &gh, &repo, number, &pr.head_sha).await?;
            if fixes.is_empty() {
                gh.comment(&repo, number, "suture has no fixes to apply.")
                    .await?;
                return Ok(());
            }
            let changes: Vec<FileChange> = review::patched_files(&snapshot, &fixes)
                .into_iter()
                .map(|(path, content)| FileChange { path, content })
                .collect();
            let message = format!(
                "Apply {} suture fix(es)\n\nRequested with `@suture apply` on #{number}.",
                fixes.len()
            );
            let sha = gh
                .commit_files(&repo, &pr.head_ref, &pr.head_sha, &message, &changes)
                .await?;
            info!(%repo, pr = number, commit = %sha, fixes = fixes.len(), "applied");
            gh.comment(
                &repo,
                number,
                &format!("suture applied {} fix(es) in {sha}.", fixes.len()),
            )
            .await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_printed() {
        let config = ServeConfig::new(
            "db",
            Secret::new("hunter2"),
            1,
            Secret::new("-----BEGIN PRIVATE KEY-----"),
        );
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("PRIVATE"),
            "{printed}"
        );
        assert_eq!(config.webhook_secret.expose(), b"hunter2");
    }

    #[test]
    fn only_actionable_events_are_queued() {
        let pr = |action: &str| {
            Event::PullRequest(PullRequestEvent {
                action: action.to_owned(),
                number: 1,
                pull_request: github::webhook::PullRequestPayload {
                    head_sha: "a".into(),
                    head_ref: "b".into(),
                    base_ref: "main".into(),
                    merged: false,
                    merge_commit_sha: None,
                    user_login: "u".into(),
                    title: String::new(),
                    body: String::new(),
                },
                repo: RepoId::new("o", "r"),
                installation: Some(1),
            })
        };
        for action in ["opened", "synchronize", "reopened", "closed"] {
            assert!(wanted(&pr(action)), "{action}");
        }
        for action in ["labeled", "edited", "assigned"] {
            assert!(!wanted(&pr(action)), "{action}");
        }
        let comment = |body: &str, user_type: &str, is_pull_request: bool| {
            Event::IssueComment(IssueCommentEvent {
                action: "created".into(),
                comment_id: 1,
                body: body.into(),
                user: "u".into(),
                user_type: user_type.into(),
                issue_number: 1,
                is_pull_request,
                repo: RepoId::new("o", "r"),
                installation: Some(1),
            })
        };
        assert!(wanted(&comment("@suture explain", "User", true)));
        assert!(wanted(&comment("@suture what", "User", true)));
        assert!(!wanted(&comment("@suture explain", "Bot", true)));
        assert!(!wanted(&comment("@suture explain", "User", false)));
        assert!(!wanted(&comment("looks good", "User", true)));
        assert!(!wanted(&Event::Ping));
        assert!(!wanted(&Event::Other("star".into())));
    }
}
