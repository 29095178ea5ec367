//! Behaviour tests of the server store (`store::server`): the delivery queue, fix records and
//! outcomes, fix PRs and ignores. Every test runs twice, as `<test>::sqlite` on a fresh file in a
//! temporary directory and as `<test>::postgres` in a fresh schema of the database named by
//! `SUTURE_TEST_DATABASE_URL` (see `scripts/postgres.sh`). Without that variable at build time the
//! PostgreSQL runs show as ignored, with the reason (`build.rs`); under `SUTURE_REQUIRE_POSTGRES=1`
//! they run and fail without it (CI sets it, so a missing server cannot pass silently).
//!
//! A test gets a [`Target`]: a URL for `store::server::connect`, so that it can open as many
//! connections (and "restart" as often) as it needs.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use store::server::{
    self, Delivery, Enqueued, Error, FixKind, FixPr, FixRecord, ManualClock, PatternStats, PrState,
    QueueStats, ServerStore,
};
use tempfile::TempDir;

/// Where one test's store lives.
struct Target {
    url: String,
    kind: Kind,
}

enum Kind {
    Sqlite {
        dir: TempDir,
    },
    /// A schema created for this test; dropped with the target.
    Postgres {
        base: String,
        schema: String,
    },
}

impl Target {
    fn sqlite() -> Target {
        let dir = tempfile::tempdir().unwrap();
        // A directory that does not exist yet: connect creates it.
        let url = format!("sqlite://{}", dir.path().join("state/server.db").display());
        Target {
            url,
            kind: Kind::Sqlite { dir },
        }
    }

    /// A fresh schema in `SUTURE_TEST_DATABASE_URL`'s database. The PostgreSQL tests only run when the
    /// variable (or `SUTURE_REQUIRE_POSTGRES=1`) was set at build time (`build.rs`), so here it must be.
    fn postgres() -> Target {
        let base = std::env::var("SUTURE_TEST_DATABASE_URL").unwrap_or_else(|_| {
            panic!(
                "SUTURE_TEST_DATABASE_URL is unset; run \
                 `export SUTURE_TEST_DATABASE_URL=$(bash scripts/postgres.sh)` first"
            )
        });
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let schema = format!(
            "suture_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to SUTURE_TEST_DATABASE_URL: {e}"));
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        Target {
            url,
            kind: Kind::Postgres { base, schema },
        }
    }

    fn backend(&self) -> &'static str {
        match self.kind {
            Kind::Sqlite { .. } => "sqlite",
            Kind::Postgres { .. } => "postgres",
        }
    }

    fn connect(&self) -> Box<dyn ServerStore> {
        server::connect(&self.url).unwrap_or_else(|e| panic!("cannot connect: {e:?}"))
    }

    /// A connection whose queue goes by `clock`.
    fn connect_at(&self, clock: &ManualClock) -> Box<dyn ServerStore> {
        server::connect_with(&self.url, clock.clone().into())
            .unwrap_or_else(|e| panic!("cannot connect: {e:?}"))
    }

    /// The schema version as the database records it, read behind the store's back.
    fn schema_version(&self) -> u32 {
        match &self.kind {
            Kind::Sqlite { dir } => {
                let raw = rusqlite::Connection::open(dir.path().join("state/server.db")).unwrap();
                let versions = sqlite_server_versions(&raw);
                assert_eq!(versions, (1..=versions.len() as u32).collect::<Vec<_>>());
                // The file's `user_version` belongs to the mining store, which never opened it.
                let user_version: u32 = raw
                    .pragma_query_value(None, "user_version", |row| row.get(0))
                    .unwrap();
                assert_eq!(user_version, 0);
                versions.len() as u32
            }
            Kind::Postgres { base, schema } => {
                let mut raw = postgres::Client::connect(base, postgres::NoTls).unwrap();
                let rows = raw
                    .query(
                        &format!("SELECT version FROM {schema}.suture_migrations ORDER BY version"),
                        &[],
                    )
                    .unwrap();
                let versions: Vec<i32> = rows.iter().map(|row| row.get(0)).collect();
                // One row per migration, no repeats.
                assert_eq!(versions, (1..=versions.len() as i32).collect::<Vec<_>>());
                versions.len() as u32
            }
        }
    }
}

impl Target {
    /// Records one schema version more than the store has, as a newer build would.
    fn bump_schema_version(&self) -> u32 {
        let newer = self.schema_version() + 1;
        match &self.kind {
            Kind::Sqlite { dir } => {
                let raw = rusqlite::Connection::open(dir.path().join("state/server.db")).unwrap();
                raw.execute(
                    "INSERT INTO suture_server_migrations (version, applied_at) VALUES (?1, 0)",
                    [newer],
                )
                .unwrap();
            }
            Kind::Postgres { base, schema } => {
                let mut raw = postgres::Client::connect(base, postgres::NoTls).unwrap();
                raw.execute(
                    &format!("INSERT INTO {schema}.suture_migrations (version) VALUES ($1)"),
                    &[&(newer as i32)],
                )
                .unwrap();
            }
        }
        newer
    }
}

/// The versions recorded in a SQLite file's server migration track, in order.
fn sqlite_server_versions(raw: &rusqlite::Connection) -> Vec<u32> {
    let mut stmt = raw
        .prepare("SELECT version FROM suture_server_migrations ORDER BY version")
        .unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The tables of a SQLite file, by name.
fn sqlite_tables(path: &std::path::Path) -> Vec<String> {
    let raw = rusqlite::Connection::open(path).unwrap();
    let mut stmt = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Kind::Postgres { base, schema } = &self.kind {
            let dropped = postgres::Client::connect(base, postgres::NoTls).and_then(|mut admin| {
                admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            });
            if let Err(e) = dropped {
                eprintln!("cannot drop test schema {schema}: {e}");
            }
        }
    }
}

/// Runs `$test(target)` once on SQLite and once on PostgreSQL, as `$test::sqlite` and
/// `$test::postgres`.
macro_rules! on_both {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[test]
            fn sqlite() {
                super::$test(super::Target::sqlite());
            }

            #[test]
            #[cfg_attr(
                not(suture_postgres_tests),
                ignore = "SUTURE_TEST_DATABASE_URL was unset when the tests were built"
            )]
            fn postgres() {
                super::$test(super::Target::postgres());
            }
        }
    )*};
}

on_both!(
    enqueue_dedupes_on_delivery_id,
    claims_oldest_first,
    complete_needs_the_lease,
    failures_retry_then_die,
    queue_survives_a_restart,
    concurrent_workers_run_each_job_once,
    concurrent_enqueues_of_one_delivery_enqueue_once,
    fix_outcomes_feed_pattern_stats,
    fix_prs_upsert_get_and_list,
    ignores_are_per_repo,
    migrating_twice_is_a_no_op,
    simultaneous_first_connects_migrate_once,
    a_newer_schema_is_refused,
    a_store_can_be_dropped_inside_an_async_runtime,
    a_crash_loop_stops_at_max_attempts,
    a_failed_job_waits_out_its_backoff,
    dead_jobs_are_listed_retried_and_purged,
    leases_of_a_dead_owner_can_be_taken_over_at_once,
    the_queue_goes_by_its_clock,
);

fn delivery(id: &str) -> Delivery {
    Delivery {
        id: id.to_owned(),
        event: "pull_request".to_owned(),
        payload: format!("{{\"delivery\":\"{id}\"}}").into_bytes(),
    }
}

fn stats(queued: u64, running: u64, done: u64, dead: u64) -> QueueStats {
    QueueStats {
        queued,
        running,
        done,
        dead,
    }
}

const LONG: Duration = Duration::from_secs(600);

fn enqueue_dedupes_on_delivery_id(target: Target) {
    let mut store = target.connect();
    // Payloads are bytes, not text: invalid UTF-8 and NUL must survive.
    let first = Delivery {
        id: "72d3162e-cc78-11e3-81ab-4c9367dc0958".to_owned(),
        event: "issue_comment".to_owned(),
        payload: vec![0, 159, 146, 150, b'{', b'}', 0xff],
    };
    let Enqueued::New { job } = store.enqueue(&first).unwrap() else {
        panic!("a new delivery must be enqueued");
    };
    // GitHub redelivers with the same id; even a different body does not enqueue again.
    let again = Delivery {
        payload: b"{}".to_vec(),
        ..first.clone()
    };
    assert_eq!(store.enqueue(&again).unwrap(), Enqueued::Duplicate);
    assert_eq!(store.enqueue(&first).unwrap(), Enqueued::Duplicate);
    assert_eq!(store.queue_stats().unwrap(), stats(1, 0, 0, 0));

    let claimed = store.claim("w1", LONG, 3).unwrap().unwrap();
    assert_eq!(claimed.id, job);
    assert_eq!(claimed.delivery, first.id);
    assert_eq!(claimed.event, "issue_comment");
    assert_eq!(claimed.payload, first.payload);
    assert_eq!(claimed.attempts, 1);
    assert!(store.claim("w1", LONG, 3).unwrap().is_none());

    // A delivery whose job is finished is still a duplicate.
    assert!(store.complete(job, "w1").unwrap());
    assert_eq!(store.enqueue(&first).unwrap(), Enqueued::Duplicate);
    assert_eq!(store.queue_stats().unwrap(), stats(0, 0, 1, 0));
}

fn claims_oldest_first(target: Target) {
    let mut store = target.connect();
    let mut jobs = Vec::new();
    for id in ["c", "a", "b"] {
        match store.enqueue(&delivery(id)).unwrap() {
            Enqueued::New { job } => jobs.push(job),
            Enqueued::Duplicate => panic!("{id} is new"),
        }
    }
    // Oldest means enqueued first, not smallest delivery id.
    let claimed: Vec<(i64, String)> = (0..3)
        .map(|_| {
            let job = store.claim("w", LONG, 3).unwrap().unwrap();
            (job.id, job.delivery)
        })
        .collect();
    assert_eq!(
        claimed,
        vec![
            (jobs[0], "c".to_owned()),
            (jobs[1], "a".to_owned()),
            (jobs[2], "b".to_owned())
        ]
    );
    assert!(store.claim("w", LONG, 3).unwrap().is_none());
    assert_eq!(store.queue_stats().unwrap(), stats(0, 3, 0, 0));

    // A job put back in the queue keeps its place: it is older than one enqueued after it.
    store
        .fail(jobs[1], "w", "transient", 5, Duration::ZERO)
        .unwrap();
    store.enqueue(&delivery("d")).unwrap();
    assert_eq!(store.claim("w", LONG, 3).unwrap().unwrap().delivery, "a");
    assert_eq!(store.claim("w", LONG, 3).unwrap().unwrap().delivery, "d");
}

fn complete_needs_the_lease(target: Target) {
    let mut store = target.connect();
    let mut other = target.connect();
    store.enqueue(&delivery("d1")).unwrap();
    let job = store
        .claim("alice", Duration::from_millis(200), 3)
        .unwrap()
        .unwrap();

    // While the lease holds, nobody else gets the job, and only its owner can finish it.
    assert!(other.claim("bob", LONG, 3).unwrap().is_none());
    assert!(!other.complete(job.id, "bob").unwrap());
    other
        .fail(job.id, "bob", "not mine", 1, Duration::ZERO)
        .unwrap();
    assert_eq!(other.queue_stats().unwrap(), stats(0, 1, 0, 0));

    thread::sleep(Duration::from_millis(400));
    // Alice's lease ran out: Bob takes the job over, and Alice can no longer finish it.
    let taken = other.claim("bob", LONG, 3).unwrap().unwrap();
    assert_eq!((taken.id, taken.attempts), (job.id, 2));
    assert!(!store.complete(job.id, "alice").unwrap());
    store
        .fail(job.id, "alice", "late", 1, Duration::ZERO)
        .unwrap();
    assert_eq!(store.queue_stats().unwrap(), stats(0, 1, 0, 0));
    assert!(other.complete(job.id, "bob").unwrap());
    // Completing twice is refused: the job is no longer running.
    assert!(!other.complete(job.id, "bob").unwrap());
    assert_eq!(store.completions().unwrap(), vec![("d1".to_owned(), 1)]);
    assert_eq!(store.queue_stats().unwrap(), stats(0, 0, 1, 0));
    // Unknown job ids are not an error, just not completed.
    assert!(!store.complete(job.id + 1000, "bob").unwrap());

    // A worker whose lease ran out but whose job nobody took over may still finish it.
    store.enqueue(&delivery("d2")).unwrap();
    let slow = store
        .claim("carol", Duration::from_millis(1), 3)
        .unwrap()
        .unwrap();
    thread::sleep(Duration::from_millis(20));
    assert!(store.complete(slow.id, "carol").unwrap());
}

fn failures_retry_then_die(target: Target) {
    let mut store = target.connect();
    store.enqueue(&delivery("flaky")).unwrap();
    for attempt in 1..=3 {
        let job = store.claim("w", LONG, 3).unwrap().unwrap();
        assert_eq!((job.delivery.as_str(), job.attempts), ("flaky", attempt));
        store
            .fail(
                job.id,
                "w",
                &format!("attempt {attempt} failed"),
                3,
                Duration::ZERO,
            )
            .unwrap();
        let expected = if attempt < 3 {
            stats(1, 0, 0, 0)
        } else {
            stats(0, 0, 0, 1)
        };
        assert_eq!(
            store.queue_stats().unwrap(),
            expected,
            "after attempt {attempt}"
        );
    }
    // Dead jobs are never claimed again, and were never completed.
    assert!(store.claim("w", LONG, 3).unwrap().is_none());
    assert_eq!(store.completions().unwrap(), vec![("flaky".to_owned(), 0)]);

    // A job that then succeeds is done after its retries.
    store.enqueue(&delivery("second-try")).unwrap();
    let job = store.claim("w", LONG, 3).unwrap().unwrap();
    store
        .fail(job.id, "w", "timeout", 3, Duration::ZERO)
        .unwrap();
    let job = store.claim("w", LONG, 3).unwrap().unwrap();
    assert_eq!(job.attempts, 2);
    assert!(store.complete(job.id, "w").unwrap());
    assert_eq!(store.queue_stats().unwrap(), stats(0, 0, 1, 1));
}

fn queue_survives_a_restart(target: Target) {
    {
        let mut store = target.connect();
        for id in ["held", "expired", "waiting"] {
            store.enqueue(&delivery(id)).unwrap();
        }
        let held = store.claim("dead-worker", LONG, 3).unwrap().unwrap();
        let expired = store
            .claim("dead-worker", Duration::from_millis(1), 3)
            .unwrap()
            .unwrap();
        assert_eq!(
            (held.delivery.as_str(), expired.delivery.as_str()),
            ("held", "expired")
        );
        // The process dies here: the store is dropped with both jobs running.
    }
    // Whatever the machine's speed: one lease is long past, the other holds for an hour.
    thread::sleep(Duration::from_millis(20));
    let mut store = target.connect();
    assert_eq!(store.queue_stats().unwrap(), stats(1, 2, 0, 0));
    let reclaimed = store.claim("new-worker", LONG, 3).unwrap().unwrap();
    assert_eq!(
        (reclaimed.delivery.as_str(), reclaimed.attempts),
        ("expired", 2)
    );
    assert_eq!(reclaimed.payload, delivery("expired").payload);
    let waiting = store.claim("new-worker", LONG, 3).unwrap().unwrap();
    assert_eq!(waiting.delivery, "waiting");
    // While the dead worker's other lease holds, nothing else is handed out.
    assert!(store.claim("new-worker", LONG, 3).unwrap().is_none());
    assert!(store.complete(reclaimed.id, "new-worker").unwrap());
    assert!(store.complete(waiting.id, "new-worker").unwrap());
    assert_eq!(store.queue_stats().unwrap(), stats(0, 1, 2, 0));
}

fn concurrent_workers_run_each_job_once(target: Target) {
    const JOBS: usize = 1000;
    const WORKERS: usize = 4;
    let mut store = target.connect();
    let mut enqueue_times: Vec<Duration> = (0..JOBS)
        .map(|n| {
            let started = Instant::now();
            store.enqueue(&delivery(&format!("d{n:04}"))).unwrap();
            started.elapsed()
        })
        .collect();
    enqueue_times.sort();

    let target = Arc::new(target);
    let barrier = Arc::new(Barrier::new(WORKERS));
    let started = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let target = Arc::clone(&target);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let mut store = target.connect();
                let worker = format!("worker-{w}");
                let mut ran = Vec::new();
                barrier.wait();
                while let Some(job) = store.claim(&worker, LONG, 3).unwrap() {
                    assert!(
                        store.complete(job.id, &worker).unwrap(),
                        "{worker} lost job {}",
                        job.id
                    );
                    ran.push(job.delivery);
                }
                ran
            })
        })
        .collect();
    let ran: Vec<Vec<String>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let run_time = started.elapsed();

    let mut seen = HashSet::new();
    for delivery in ran.iter().flatten() {
        assert!(seen.insert(delivery.clone()), "{delivery} ran twice");
    }
    assert_eq!(seen.len(), JOBS);
    let completions = store.completions().unwrap();
    assert_eq!(completions.len(), JOBS);
    assert!(completions.iter().all(|(_, n)| *n == 1), "{completions:?}");
    assert_eq!(store.queue_stats().unwrap(), stats(0, 0, JOBS as u64, 0));
    eprintln!(
        "{}: {JOBS} jobs: enqueue median {:?}, p99 {:?}; claimed and completed by {WORKERS} workers in \
         {run_time:?} ({:.0} jobs/s); per worker {:?}",
        target.backend(),
        enqueue_times[JOBS / 2],
        enqueue_times[JOBS * 99 / 100],
        JOBS as f64 / run_time.as_secs_f64(),
        ran.iter().map(Vec::len).collect::<Vec<_>>()
    );
}

fn concurrent_enqueues_of_one_delivery_enqueue_once(target: Target) {
    const DELIVERIES: usize = 300;
    let target = Arc::new(target);
    let barrier = Arc::new(Barrier::new(2));
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let target = Arc::clone(&target);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let mut store = target.connect();
                barrier.wait();
                (0..DELIVERIES)
                    .map(|n| store.enqueue(&delivery(&format!("r{n:03}"))).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<Vec<Enqueued>> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    let mut jobs = HashSet::new();
    assert_eq!(results[0].len(), DELIVERIES);
    for (n, pair) in results[0].iter().zip(&results[1]).enumerate() {
        match pair {
            (Enqueued::New { job }, Enqueued::Duplicate)
            | (Enqueued::Duplicate, Enqueued::New { job }) => assert!(jobs.insert(*job)),
            other => panic!("delivery r{n:03}: {other:?}"),
        }
    }
    let mut store = target.connect();
    assert_eq!(
        store.queue_stats().unwrap(),
        stats(DELIVERIES as u64, 0, 0, 0)
    );
}

fn fix(repo: &str, pr: u64, fingerprint: &str, pattern: &str, kind: FixKind) -> FixRecord {
    FixRecord {
        repo: repo.to_owned(),
        pr,
        fingerprint: fingerprint.to_owned(),
        pattern: pattern.to_owned(),
        kind,
    }
}

fn pattern(pattern: &str, proposed: u64, merged: u64, closed: u64) -> PatternStats {
    PatternStats {
        pattern: pattern.to_owned(),
        proposed,
        merged,
        closed,
    }
}

fn fix_outcomes_feed_pattern_stats(target: Target) {
    let mut store = target.connect();
    assert_eq!(store.pattern_stats().unwrap(), vec![]);
    let repo = "acme/widgets";
    for record in [
        fix(repo, 1, "f1", "unwrap-to-question", FixKind::Review),
        fix(repo, 1, "f2", "len-zero-is-empty", FixKind::Review),
        fix(repo, 2, "f3", "unwrap-to-question", FixKind::FixPr),
        fix(repo, 3, "f4", "unwrap-to-question", FixKind::Review),
        // Another repository's PR 1 is another PR.
        fix("acme/gadgets", 1, "f1", "Clone-on-copy", FixKind::Review),
    ] {
        store.record_fix(&record).unwrap();
        // Recording the same fix again (a webhook redelivered, a review re-run) changes nothing.
        store.record_fix(&record).unwrap();
    }
    // What each PR already had proposed, for reviews of later pushes.
    assert_eq!(store.proposed(repo, 1).unwrap(), ["f1", "f2"]);
    assert_eq!(store.proposed("acme/gadgets", 1).unwrap(), ["f1"]);
    assert!(store.proposed(repo, 99).unwrap().is_empty());
    assert_eq!(store.record_outcome(repo, 1, true).unwrap(), 2);
    assert_eq!(store.record_outcome(repo, 2, false).unwrap(), 1);
    assert_eq!(store.record_outcome(repo, 99, true).unwrap(), 0);
    assert_eq!(store.record_outcome("other/repo", 3, true).unwrap(), 0);
    // Sorted by pattern id in byte order (upper case first), whatever the database collation.
    assert_eq!(
        store.pattern_stats().unwrap(),
        vec![
            pattern("Clone-on-copy", 1, 0, 0),
            pattern("len-zero-is-empty", 1, 1, 0),
            pattern("unwrap-to-question", 3, 1, 1),
        ]
    );
    // A reopened PR that is merged after all replaces its earlier outcome.
    assert_eq!(store.record_outcome(repo, 2, true).unwrap(), 1);
    assert_eq!(
        store.pattern_stats().unwrap()[2],
        pattern("unwrap-to-question", 3, 2, 0)
    );

    let too_big = fix(repo, u64::MAX, "f9", "p", FixKind::Review);
    let err = store.record_fix(&too_big).unwrap_err();
    assert!(matches!(err, Error::OutOfRange { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "pull request number 18446744073709551615 is too large to store (at most 9223372036854775807)"
    );
}

fn fix_pr(repo: &str, fingerprint: &str, number: u64, state: PrState) -> FixPr {
    FixPr {
        repo: repo.to_owned(),
        fingerprint: fingerprint.to_owned(),
        pattern: "unwrap-to-question".to_owned(),
        number,
        branch: format!("suture/{fingerprint}"),
        head_sha: "1111111111111111111111111111111111111111".to_owned(),
        state,
        merge_sha: None,
        updated_at: 1_764_000_000,
    }
}

fn fix_prs_upsert_get_and_list(target: Target) {
    let mut store = target.connect();
    let repo = "acme/widgets";
    assert_eq!(store.fix_pr(repo, "fp-a").unwrap(), None);
    assert_eq!(store.fix_prs(repo).unwrap(), vec![]);

    let a = fix_pr(repo, "fp-a", 12, PrState::Open);
    let b = fix_pr(repo, "fp-b", 7, PrState::HumanEdited);
    let elsewhere = fix_pr("acme/gadgets", "fp-a", 1, PrState::Open);
    for pr in [&a, &b, &elsewhere] {
        store.upsert_fix_pr(pr).unwrap();
    }
    assert_eq!(store.fix_pr(repo, "fp-a").unwrap().as_ref(), Some(&a));
    assert_eq!(
        store.fix_pr("acme/gadgets", "fp-a").unwrap().as_ref(),
        Some(&elsewhere)
    );
    // By number, and only this repository's.
    assert_eq!(store.fix_prs(repo).unwrap(), vec![b.clone(), a.clone()]);

    // Upserting the same key replaces the row instead of adding one.
    let merged = FixPr {
        state: PrState::Merged,
        head_sha: "2222222222222222222222222222222222222222".to_owned(),
        merge_sha: Some("3333333333333333333333333333333333333333".to_owned()),
        updated_at: 1_764_000_600,
        ..a.clone()
    };
    store.upsert_fix_pr(&merged).unwrap();
    assert_eq!(store.fix_pr(repo, "fp-a").unwrap().as_ref(), Some(&merged));
    let reverted = FixPr {
        state: PrState::Reverted,
        ..merged.clone()
    };
    store.upsert_fix_pr(&reverted).unwrap();
    let closed = FixPr {
        state: PrState::Closed,
        ..b.clone()
    };
    store.upsert_fix_pr(&closed).unwrap();
    assert_eq!(store.fix_prs(repo).unwrap(), vec![closed, reverted]);
}

fn ignores_are_per_repo(target: Target) {
    let mut store = target.connect();
    assert!(!store.is_ignored("acme/widgets", "fp").unwrap());
    store.set_ignored("acme/widgets", "fp", true).unwrap();
    // Ignoring twice is the same as once.
    store.set_ignored("acme/widgets", "fp", true).unwrap();
    assert!(store.is_ignored("acme/widgets", "fp").unwrap());
    assert!(!store.is_ignored("acme/gadgets", "fp").unwrap());
    assert!(!store.is_ignored("acme/widgets", "fp2").unwrap());
    // Another connection (another replica) sees it.
    assert!(target.connect().is_ignored("acme/widgets", "fp").unwrap());
    store.set_ignored("acme/widgets", "fp", false).unwrap();
    assert!(!store.is_ignored("acme/widgets", "fp").unwrap());
    // Un-ignoring what is not ignored is not an error.
    store.set_ignored("acme/widgets", "never", false).unwrap();
}

fn migrating_twice_is_a_no_op(target: Target) {
    let mut first = target.connect();
    let version = target.schema_version();
    assert!(version >= 1);
    first.enqueue(&delivery("kept")).unwrap();
    first.set_ignored("r", "f", true).unwrap();
    drop(first);

    let mut second = target.connect();
    assert_eq!(target.schema_version(), version);
    assert_eq!(second.queue_stats().unwrap(), stats(1, 0, 0, 0));
    assert!(second.is_ignored("r", "f").unwrap());
    assert_eq!(
        second.enqueue(&delivery("kept")).unwrap(),
        Enqueued::Duplicate
    );
}

fn simultaneous_first_connects_migrate_once(target: Target) {
    const CONNECTIONS: usize = 4;
    let target = Arc::new(target);
    let barrier = Arc::new(Barrier::new(CONNECTIONS));
    let connects: Vec<_> = (0..CONNECTIONS)
        .map(|n| {
            let target = Arc::clone(&target);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                let mut store = server::connect(&target.url)
                    .unwrap_or_else(|e| panic!("connection {n} failed: {e:?}"));
                store.enqueue(&delivery(&format!("from-{n}"))).unwrap()
            })
        })
        .collect();
    for connect in connects {
        assert!(matches!(connect.join().unwrap(), Enqueued::New { .. }));
    }
    target.schema_version();
    assert_eq!(
        target.connect().queue_stats().unwrap(),
        stats(CONNECTIONS as u64, 0, 0, 0)
    );
}

fn a_newer_schema_is_refused(target: Target) {
    target.connect().enqueue(&delivery("d")).unwrap();
    let newer = target.bump_schema_version();
    let err = match server::connect(&target.url) {
        Ok(_) => panic!("a store from a newer build was opened"),
        Err(err) => err,
    };
    let Error::TooNew {
        found, supported, ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!((found, supported), (newer, newer - 1));
    assert!(
        err.to_string().ends_with(&format!(
            "has schema version {newer}, newer than version {supported} that this build understands"
        )),
        "{err}"
    );
}

/// `suture serve` keeps idle connections in a pool that an async task may drop last; the
/// PostgreSQL client must not try to block on its own runtime there.
fn a_store_can_be_dropped_inside_an_async_runtime(target: Target) {
    let mut store = target.connect();
    store.enqueue(&delivery("d")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async move { drop(store) });
    assert_eq!(target.connect().queue_stats().unwrap(), stats(1, 0, 0, 0));
}

#[test]
fn sqlite_file_is_shared_with_the_mining_store_in_any_order() {
    for server_first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("suture.db");
        let open_server = || server::connect(path.to_str().unwrap()).unwrap();
        let mut queue = if server_first {
            let queue = open_server();
            store::open(&path).unwrap();
            queue
        } else {
            store::open(&path).unwrap();
            open_server()
        };
        queue.enqueue(&delivery("d")).unwrap();
        let mut mining = store::open(&path).unwrap();
        mining
            .record_commit(
                "repo",
                &store::MinedCommit {
                    id: "c1".to_owned(),
                    time: 1,
                    edits: vec![],
                    skipped: vec![],
                },
            )
            .unwrap();
        assert_eq!(open_server().queue_stats().unwrap(), stats(1, 0, 0, 0));
        assert!(mining.mined_commits("repo").unwrap().contains("c1"));
    }
}

/// Each store creates its own tables only: a server store on a new file makes no mining tables
/// and leaves `user_version` (the mining store's counter) alone, and the mining store, opened
/// next, adds its tables and nothing else.
#[test]
fn each_sqlite_store_creates_only_its_own_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suture.db");
    drop(server::connect(path.to_str().unwrap()).unwrap());
    expect_test::expect![[r#"
        [
            "delivery",
            "fix_pr",
            "fix_record",
            "ignored_fingerprint",
            "job",
            "sqlite_sequence",
            "suture_server_migrations",
        ]
    "#]]
    .assert_debug_eq(&sqlite_tables(&path));
    let raw = rusqlite::Connection::open(&path).unwrap();
    let user_version: u32 = raw
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(
        (user_version, sqlite_server_versions(&raw)),
        (0, vec![1, 2])
    );
    drop(raw);

    drop(store::open(&path).unwrap());
    let server_tables = [
        "delivery",
        "fix_pr",
        "fix_record",
        "ignored_fingerprint",
        "job",
        "sqlite_sequence",
        "suture_server_migrations",
    ];
    let mining_tables: Vec<String> = sqlite_tables(&path)
        .into_iter()
        .filter(|table| !server_tables.contains(&table.as_str()))
        .collect();
    assert_eq!(
        mining_tables,
        [
            "audit",
            "edit",
            "mined_commit",
            "skipped_edit",
            "watch_count",
            "watch_fix",
            "watch_group",
            "watch_source"
        ]
    );
}

/// The whole schema as builds before the server store had its own migration track wrote it: the
/// mining store's migrations 1 to 3, the third of which created the server tables in every store
/// file, with `user_version` 3 and no `suture_server_migrations`. Copied from those builds; do not
/// edit.
const SCHEMA_BEFORE_THE_SPLIT: &str = "
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

    CREATE TABLE delivery (
        id TEXT PRIMARY KEY,
        event TEXT NOT NULL,
        received_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE job (
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
    CREATE INDEX job_open ON job (id) WHERE state IN ('queued', 'running');

    CREATE TABLE fix_record (
        repo TEXT NOT NULL,
        pr INTEGER NOT NULL CHECK (pr >= 0),
        fingerprint TEXT NOT NULL,
        pattern TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('review', 'fix_pr')),
        outcome TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'merged', 'closed')),
        PRIMARY KEY (repo, pr, fingerprint)
    ) STRICT;
    CREATE INDEX fix_record_by_pattern ON fix_record (pattern);

    CREATE TABLE fix_pr (
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
    CREATE INDEX fix_pr_by_number ON fix_pr (repo, number);

    CREATE TABLE ignored_fingerprint (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (repo, fingerprint)
    ) STRICT;

    PRAGMA user_version = 3;
";

/// A store file written before the split, with rows in every table, opens with both stores, in
/// either order, and twice; nothing is lost but the mining cache (schema 5 empties it, so that git's
/// history is mined again with each edit's context), and both stores write to it afterwards.
#[test]
fn a_file_from_before_the_split_opens_with_both_stores() {
    for server_first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("suture.db");
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(SCHEMA_BEFORE_THE_SPLIT).unwrap();
        raw.execute_batch(
            "INSERT INTO mined_commit VALUES ('repo', 'c1', 10);
             INSERT INTO edit VALUES ('repo', 'c1', 'a.rs', 3, 'v.len() == 0', 'v.is_empty()',
                 'binary_expression', 'call_expression');
             INSERT INTO skipped_edit VALUES ('repo', 'c1', 'b.rs', 7, 'outside a function');
             INSERT INTO audit (run, at, step, actor, subject, reason, commit_id, data)
                 VALUES ('r1', 5, 'trace', 'suture', 'a.rs:3', 'panic site', 'c1', '{}');
             INSERT INTO delivery VALUES ('d1', 'pull_request', 1);
             INSERT INTO job (delivery, event, payload, state, enqueued_at, updated_at)
                 VALUES ('d1', 'pull_request', X'7B7D', 'queued', 1, 1);
             INSERT INTO fix_record (repo, pr, fingerprint, pattern, kind, outcome)
                 VALUES ('acme/w', 4, 'f1', 'p1', 'review', 'merged');
             INSERT INTO fix_pr VALUES ('acme/w', 'f2', 'p2', 9, 'suture/p2', 'abc', 'open', NULL, 1);
             INSERT INTO ignored_fingerprint VALUES ('acme/w', 'f3');",
        )
        .unwrap();
        drop(raw);

        let url = path.to_str().unwrap();
        let (mut mining, mut queue) = if server_first {
            let queue = server::connect(url).unwrap();
            (store::open(&path).unwrap(), queue)
        } else {
            let mining = store::open(&path).unwrap();
            (mining, server::connect(url).unwrap())
        };

        // Every old row reads back through the stores' own API, but the mining cache, which the next
        // mine fills again from git.
        assert!(places_of(&mining).is_empty());
        assert!(mining.skipped("repo").unwrap().is_empty());
        assert!(mining.mined_commits("repo").unwrap().is_empty());
        assert_eq!(mining.last_run().unwrap().as_deref(), Some("r1"));
        assert_eq!(queue.queue_stats().unwrap(), stats(1, 0, 0, 0));
        assert_eq!(queue.pattern_stats().unwrap(), [pattern("p1", 1, 1, 0)]);
        let fix_pr = queue.fix_pr("acme/w", "f2").unwrap().unwrap();
        assert_eq!((fix_pr.number, fix_pr.state), (9, PrState::Open));
        assert!(queue.is_ignored("acme/w", "f3").unwrap());
        let job = queue.claim("w", LONG, 3).unwrap().unwrap();
        assert_eq!(
            (job.delivery.as_str(), job.payload.as_slice()),
            ("d1", &b"{}"[..])
        );

        // Both write, and the old job ids are not reused.
        assert_eq!(
            queue.enqueue(&delivery("d2")).unwrap(),
            Enqueued::New { job: job.id + 1 }
        );
        assert_eq!(queue.enqueue(&delivery("d1")).unwrap(), Enqueued::Duplicate);
        mining
            .record_commit(
                "repo",
                &store::MinedCommit {
                    id: "c2".to_owned(),
                    time: 20,
                    edits: vec![],
                    skipped: vec![],
                },
            )
            .unwrap();
        drop((mining, queue));

        // Reopening migrates nothing more: the mining store stays at its version, and the server
        // track recorded its one migration once.
        let mining = store::open(&path).unwrap();
        let mut queue = server::connect(url).unwrap();
        assert_eq!(
            mining.mined_commits("repo").unwrap(),
            HashSet::from(["c2".to_owned()])
        );
        assert_eq!(queue.queue_stats().unwrap(), stats(1, 1, 0, 0));
        let raw = rusqlite::Connection::open(&path).unwrap();
        let user_version: u32 = raw
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(
            (user_version, sqlite_server_versions(&raw)),
            (store::SCHEMA_VERSION, vec![1, 2])
        );
    }
}

/// A mining store's edits as `commit@path:line before -> after`.
fn places_of(mining: &store::Store) -> Vec<String> {
    mining
        .edits("repo")
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}@{}:{} {} -> {}",
                e.commit, e.path, e.line, e.before, e.after
            )
        })
        .collect()
}

#[test]
fn bad_urls_are_refused_with_the_reason() {
    let err = |url: &str| match server::connect(url) {
        Ok(_) => panic!("{url} was accepted"),
        Err(e) => e,
    };
    assert_eq!(
        err("mysql://root:hunter2@db/suture").to_string(),
        "bad store url `mysql://root:***@db/suture`: unknown scheme `mysql`; expected \
         `postgres://`, `postgresql://`, `sqlite://` or a file path"
    );
    assert_eq!(err("").to_string(), "bad store url ``: it is empty");

    // A database that cannot be reached is named in the error, without its password.
    let unreachable = err("postgres://suture:hunter2@127.0.0.1:1/suture?connect_timeout=5");
    let message = format!(
        "{unreachable} / {:?}",
        std::error::Error::source(&unreachable)
    );
    assert!(
        message.starts_with(
            "cannot connect to postgresql store `postgres://suture:***@127.0.0.1:1/suture?connect_timeout=5`"
        ),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{unreachable:?}").contains("hunter2"));

    // A SQLite path that is a directory is not a database.
    let dir = tempfile::tempdir().unwrap();
    let err = err(dir.path().to_str().unwrap());
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
}

/// A job whose workers keep dying is claimed again after each expired lease, and every claim counts as
/// an attempt before the job runs, so a crash loop ends at `max_attempts`: the next claim finds the job
/// dead instead of running it a fourth time.
fn a_crash_loop_stops_at_max_attempts(target: Target) {
    let mut store = target.connect();
    store.enqueue(&delivery("poison")).unwrap();
    let mut attempts = Vec::new();
    while let Some(job) = store
        .claim(&format!("w{}", attempts.len()), Duration::from_millis(1), 3)
        .unwrap()
    {
        attempts.push(job.attempts);
        // The worker crashes: it never completes nor fails the job, and its lease runs out.
        thread::sleep(Duration::from_millis(5));
        assert!(attempts.len() <= 3, "{attempts:?}");
    }
    assert_eq!(attempts, vec![1, 2, 3]);
    assert_eq!(store.queue_stats().unwrap(), stats(0, 0, 0, 1));
}

/// A failed job is not claimed again before its backoff has passed, whatever the machine's speed: an hour
/// holds, a millisecond is over after a short sleep.
fn a_failed_job_waits_out_its_backoff(target: Target) {
    let mut store = target.connect();
    store.enqueue(&delivery("later")).unwrap();
    store.enqueue(&delivery("soon")).unwrap();
    let later = store.claim("w", LONG, 5).unwrap().unwrap();
    let soon = store.claim("w", LONG, 5).unwrap().unwrap();
    store
        .fail(later.id, "w", "HTTP 502", 5, Duration::from_secs(3600))
        .unwrap();
    store
        .fail(soon.id, "w", "HTTP 502", 5, Duration::from_millis(1))
        .unwrap();
    thread::sleep(Duration::from_millis(20));
    let again = store.claim("w", LONG, 5).unwrap().unwrap();
    assert_eq!((again.delivery.as_str(), again.attempts), ("soon", 2));
    assert!(store.claim("w", LONG, 5).unwrap().is_none());
    assert_eq!(store.queue_stats().unwrap(), stats(1, 1, 0, 0));
}

/// `suture jobs`: a dead job is listed with its error, retried with a fresh count of attempts, and the
/// finished jobs are purged once old enough, their deliveries still deduplicated.
fn dead_jobs_are_listed_retried_and_purged(target: Target) {
    let mut store = target.connect();
    store.enqueue(&delivery("ok")).unwrap();
    store.enqueue(&delivery("bad")).unwrap();
    let ok = store.claim("w", LONG, 1).unwrap().unwrap();
    let bad = store.claim("w", LONG, 1).unwrap().unwrap();
    assert!(store.complete(ok.id, "w").unwrap());
    store
        .fail(bad.id, "w", "HTTP 502", 1, Duration::ZERO)
        .unwrap();
    let dead = store.jobs(Some("dead"), 10).unwrap();
    let shown: Vec<_> = dead
        .iter()
        .map(|j| {
            (
                j.delivery.as_str(),
                j.state.as_str(),
                j.attempts,
                j.last_error.as_deref(),
            )
        })
        .collect();
    assert_eq!(shown, [("bad", "dead", 1, Some("HTTP 502"))]);
    assert_eq!(store.jobs(None, 10).unwrap().len(), 2);
    assert_eq!(store.jobs(None, 1).unwrap().len(), 1);
    assert!(
        !store.retry_job(ok.id).unwrap(),
        "only dead jobs are retried"
    );
    assert!(store.retry_job(bad.id).unwrap());
    let again = store.claim("w", LONG, 1).unwrap().unwrap();
    assert_eq!((again.delivery.as_str(), again.attempts), ("bad", 1));
    assert!(store.complete(again.id, "w").unwrap());
    assert_eq!(store.purge_jobs(Duration::from_secs(3600)).unwrap(), 0);
    thread::sleep(Duration::from_millis(1100));
    assert_eq!(store.purge_jobs(Duration::ZERO).unwrap(), 2);
    assert!(store.jobs(None, 10).unwrap().is_empty());
    assert_eq!(store.enqueue(&delivery("ok")).unwrap(), Enqueued::Duplicate);
}

/// A restarted server takes over the jobs of its dead predecessor at once: it lists the lease owners and
/// ends the leases of the dead one, and the next claim gets the job without waiting out the lease.
fn leases_of_a_dead_owner_can_be_taken_over_at_once(target: Target) {
    let mut store = target.connect();
    store.enqueue(&delivery("in-flight")).unwrap();
    store.enqueue(&delivery("other")).unwrap();
    store.claim("dead", LONG, 3).unwrap().unwrap();
    store.claim("alive", LONG, 3).unwrap().unwrap();
    assert_eq!(store.lease_owners().unwrap(), ["alive", "dead"]);
    assert!(store.claim("new", LONG, 3).unwrap().is_none());
    assert_eq!(store.expire_leases("dead").unwrap(), 1);
    let taken = store.claim("new", LONG, 3).unwrap().unwrap();
    assert_eq!((taken.delivery.as_str(), taken.attempts), ("in-flight", 2));
    assert!(
        store.claim("new", LONG, 3).unwrap().is_none(),
        "the live owner keeps its job"
    );
    assert_eq!(store.lease_owners().unwrap(), ["alive", "new"]);
}

/// Every queue time is the store's clock's: with a manual clock, a backoff, a lease and a purge's age end
/// exactly when the clock says, to the millisecond, however long the test itself takes.
fn the_queue_goes_by_its_clock(target: Target) {
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = ManualClock::starting_at(start);
    let mut store = target.connect_at(&clock);
    store.enqueue(&delivery("outage")).unwrap();
    let job = store.claim("w", LONG, 8).unwrap().unwrap();
    store
        .fail(job.id, "w", "HTTP 502", 8, Duration::from_secs(30))
        .unwrap();
    let listed = store.jobs(None, 10).unwrap();
    assert_eq!(listed[0].run_after, Some(start + Duration::from_secs(30)));
    assert_eq!(listed[0].updated_at, 1_800_000_000);
    clock.advance(Duration::from_millis(29_999));
    assert!(store.claim("w", LONG, 8).unwrap().is_none(), "backoff");
    clock.advance(Duration::from_millis(1));
    let again = store.claim("w", LONG, 8).unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    assert_eq!(store.jobs(None, 10).unwrap()[0].run_after, None, "running");

    // The lease of 10 minutes holds until its last millisecond, then another worker takes the job over.
    clock.advance(LONG - Duration::from_millis(1));
    assert!(store.claim("other", LONG, 8).unwrap().is_none(), "lease");
    clock.advance(Duration::from_millis(1));
    let taken = store.claim("other", LONG, 8).unwrap().unwrap();
    assert_eq!((taken.id, taken.attempts), (job.id, 3));
    assert!(!store.complete(job.id, "w").unwrap());
    assert!(store.complete(job.id, "other").unwrap());

    // Purging counts age on the clock too: a day later the job is a day old, not older.
    clock.advance(Duration::from_secs(86_400));
    assert_eq!(store.purge_jobs(Duration::from_secs(86_400)).unwrap(), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(store.purge_jobs(Duration::from_secs(86_400)).unwrap(), 1);
}
