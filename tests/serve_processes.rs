//! `suture serve` as real processes: flags and exit codes, the bound address on stdout, JSON logs without
//! secrets, SIGTERM, and two processes sharing one PostgreSQL queue under a load of 1,000 deliveries.
//!
//! The PostgreSQL test needs `SUTURE_TEST_DATABASE_URL` (see `scripts/postgres.sh`) and runs in a fresh
//! schema. Without the variable at build time it shows as ignored, with the reason (`build.rs`); under
//! `SUTURE_REQUIRE_POSTGRES=1` it runs and fails without one (CI sets it, so a missing server cannot pass
//! silently). The load is GitHub's
//! `pull_request` `closed` example: its job only records an outcome in the store, so the test measures the
//! queue, not GitHub calls.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "process-test-secret-4f2a";
const PATTERN: &str = "id = \"m-test-len-zero\"\norigin = \"mined\"\nbefore = \"$A.len() == 0\"\nafter = \"$A.is_empty()\"\nsupport = 5\nscore = 0.8\nprevalence = 0.9\nspecialisation = 0.9\n";

/// A running `suture serve`.
struct Serve {
    child: Child,
    addr: SocketAddr,
    stderr: std::thread::JoinHandle<String>,
}

/// Starts `suture serve` on a free port, with `extra` flags, and waits for the address it prints.
fn serve(dir: &Path, database_url: &str, api_url: &str, workers: usize, extra: &[&str]) -> Serve {
    let key = dir.join("app.pem");
    if !key.exists() {
        let out = Command::new("openssl")
            .args(["genrsa", "-out"])
            .arg(&key)
            .arg("2048")
            .output()
            .expect("openssl is needed to make a test RSA key");
        assert!(out.status.success(), "openssl genrsa failed");
    }
    // A library of its own, so the test does not depend on what the shipped library holds.
    let patterns = dir.join("patterns");
    std::fs::create_dir_all(&patterns).unwrap();
    std::fs::write(patterns.join("m-test-len-zero.toml"), PATTERN).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_suture"))
        .args(["serve", "--listen", "127.0.0.1:0", "--app-id", "42"])
        .arg("--private-key")
        .arg(&key)
        .args(["--database-url", database_url, "--api-url", api_url])
        .args(["--workers", &workers.to_string(), "--poll-ms", "50"])
        .args(extra)
        .arg("--patterns")
        .arg(&patterns)
        .env("SUTURE_WEBHOOK_SECRET", SECRET)
        .env_remove("DATABASE_URL")
        .env_remove("SUTURE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    Serve {
        child,
        addr,
        stderr,
    }
}

impl Serve {
    /// SIGTERM, then the exit status must be success; returns the logs.
    fn terminate(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "suture serve ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        let logs = self.stderr.join().unwrap();
        assert!(exit.success(), "exit {exit:?}; logs:\n{logs}");
        logs
    }
}

/// One HTTP/1.1 request over loopback; returns the status.
async fn post(addr: SocketAddr, event: &str, delivery: &str, body: &[u8], signature: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-GitHub-Event: {event}\r\nX-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: {signature}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"))
}

fn closed_example() -> Vec<u8> {
    let payload = fakehub::webhooks::examples("pull_request")
        .into_iter()
        .find(|(action, _)| action == "closed")
        .unwrap()
        .1;
    serde_json::to_vec(&payload).unwrap()
}

/// Sends `n` deliveries from `clients` concurrent clients, round-robin over `servers`; returns the
/// acknowledgement latencies, sorted.
async fn load(servers: &[SocketAddr], n: usize, clients: usize, tag: &str) -> Vec<Duration> {
    let body = Arc::new(closed_example());
    let signature = fakehub::webhooks::sign(SECRET.as_bytes(), &body);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (servers, body, signature, tag) = (
            servers.to_vec(),
            Arc::clone(&body),
            signature.clone(),
            tag.to_owned(),
        );
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            for i in (c..n).step_by(clients) {
                let addr = servers[i % servers.len()];
                let t = Instant::now();
                let status = post(
                    addr,
                    "pull_request",
                    &format!("{tag}-{i}"),
                    &body,
                    &signature,
                )
                .await;
                latencies.push(t.elapsed());
                assert_eq!(status, 202, "delivery {i}");
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(l) = tasks.join_next().await {
        latencies.extend(l.unwrap());
    }
    latencies.sort();
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Waits until `n` jobs are done, then checks every delivery ran exactly once.
fn check_exactly_once(database_url: &str, n: usize) {
    let mut store = store::server::connect(database_url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stats = store.queue_stats().unwrap();
        if stats.done as usize >= n && stats.queued == 0 && stats.running == 0 {
            assert_eq!(stats.dead, 0, "{stats:?}");
            break;
        }
        assert!(Instant::now() < deadline, "jobs did not finish: {stats:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let completions = store.completions().unwrap();
    assert_eq!(completions.len(), n, "a delivery was lost");
    let twice: Vec<_> = completions.iter().filter(|(_, c)| *c != 1).collect();
    assert!(twice.is_empty(), "run more than once: {twice:?}");
}

#[test]
fn serve_without_a_webhook_secret_is_a_configuration_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_suture"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--app-id",
            "1",
            "--private-key",
            "/nonexistent",
        ])
        .env_remove("SUTURE_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "no webhook secret: pass --webhook-secret-file FILE or set SUTURE_WEBHOOK_SECRET"
        ),
        "{stderr}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_suture"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Examples:") && help.contains("--webhook-secret-file"),
        "{help}"
    );

    // A store that cannot be opened fails at startup, before anything is accepted, naming the store
    // but not its password.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("app.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .unwrap();
    assert!(made.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_suture"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--app-id",
            "1",
            "--private-key",
        ])
        .arg(&key)
        .args([
            "--database-url",
            "postgres://suture:hunter2@127.0.0.1:1/nowhere",
        ])
        .env("SUTURE_WEBHOOK_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot open the server store"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing was listening");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_process_on_sqlite_queues_runs_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let db = db.to_str().unwrap().to_owned();
    let fake = fakehub::FakeGitHub::start().await;
    let server = serve(dir.path(), &db, &fake.uri(), 2, &[]);
    let latencies = load(&[server.addr], 200, 16, "sqlite").await;
    eprintln!(
        "suture serve (SQLite, 1 process): 200 deliveries, ack latency median {:?}, p99 {:?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    let db2 = db.clone();
    tokio::task::spawn_blocking(move || check_exactly_once(&db2, 200))
        .await
        .unwrap();
    let logs = server.terminate();
    // JSON lines carrying delivery and job ids; never the secret, never a payload.
    assert!(!logs.contains(SECRET), "the secret leaked into the logs");
    // Repository names and numbers are logged on purpose; the pull request's text never is.
    let payload: Value = serde_json::from_slice(&closed_example()).unwrap();
    let title = payload["pull_request"]["title"].as_str().unwrap();
    assert!(!logs.contains(title), "a payload leaked into the logs");
    assert!(
        !logs.contains("PRIVATE KEY"),
        "the private key leaked into the logs"
    );
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["delivery"] == "sqlite-7" && l["fields"]["job"].is_i64()),
        "{logs}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "stopped"),
        "{logs}"
    );
    assert!(fake.requests().is_empty());
    fake.assert_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(suture_postgres_tests),
    ignore = "SUTURE_TEST_DATABASE_URL was unset when the tests were built"
)]
async fn two_processes_on_one_postgres_run_each_of_1000_deliveries_once() {
    let Ok(base) = std::env::var("SUTURE_TEST_DATABASE_URL") else {
        panic!(
            "SUTURE_TEST_DATABASE_URL is unset; run \
             `export SUTURE_TEST_DATABASE_URL=$(bash scripts/postgres.sh)` first"
        );
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("suture_serve_{}_{nanos}", std::process::id());
    let admin_url = base.clone();
    let create = format!("CREATE SCHEMA {schema}");
    tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to SUTURE_TEST_DATABASE_URL: {e}"));
        admin.batch_execute(&create).unwrap();
    })
    .await
    .unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-csearch_path%3D{schema}");

    let dir = tempfile::tempdir().unwrap();
    let fake = fakehub::FakeGitHub::start().await;
    let a = serve(dir.path(), &url, &fake.uri(), 2, &[]);
    let b = serve(dir.path(), &url, &fake.uri(), 2, &[]);
    let started = Instant::now();
    let latencies = load(&[a.addr, b.addr], 1000, 32, "pg").await;
    let acked = started.elapsed();
    let check_url = url.clone();
    tokio::task::spawn_blocking(move || check_exactly_once(&check_url, 1000))
        .await
        .unwrap();
    eprintln!(
        "suture serve (PostgreSQL, 2 processes × 2 workers, 32 clients): 1000 deliveries acknowledged in {acked:?}, all run once in {:?}; ack latency median {:?}, p99 {:?}",
        started.elapsed(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    // A replay to the other process is still a duplicate: the dedupe is in the shared store.
    let body = closed_example();
    let signature = fakehub::webhooks::sign(SECRET.as_bytes(), &body);
    assert_eq!(
        post(b.addr, "pull_request", "pg-0", &body, &signature).await,
        200
    );
    let (logs_a, logs_b) = (a.terminate(), b.terminate());
    // Both processes ran jobs.
    for logs in [&logs_a, &logs_b] {
        assert!(logs.contains("job done"), "a process ran no job:\n{logs}");
    }
    assert!(fake.requests().is_empty());
    fake.assert_valid();
    tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    })
    .await
    .unwrap();
}

/// `suture jobs` as an operator after an outage: a real `suture serve` lets a review job die on GitHub's
/// 502s (one attempt allowed), `suture jobs list` shows it dead with the 502, and once GitHub is back
/// `suture jobs retry` revives it: the same server runs it again and the review is posted, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn suture_jobs_retry_revives_a_job_an_outage_killed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let url = db.to_str().unwrap().to_owned();
    let fake = fakehub::FakeGitHub::start().await;
    let (owner, repo) = ("Codertocat", "Hello-World");
    let text = "pub fn f(v: &[u8]) -> bool {\n    v.len() == 0\n}\n";
    let head = fake.set_file(owner, repo, "changes", "src/lib.rs", text);
    let patch = "@@ -0,0 +1,3 @@\n+pub fn f(v: &[u8]) -> bool {\n+    v.len() == 0\n+}";
    fake.set_pr_files(owner, repo, 2, &[("src/lib.rs", "added", Some(patch))]);
    let mut payload = fakehub::webhooks::examples("pull_request")
        .into_iter()
        .find(|(action, p)| action == "opened" && p["installation"]["id"].is_u64())
        .unwrap()
        .1;
    payload["pull_request"]["head"]["sha"] = Value::from(head);
    let body = serde_json::to_vec(&payload).unwrap();
    fake.set_outage(Some(502));
    let server = serve(dir.path(), &url, &fake.uri(), 1, &["--max-attempts", "1"]);
    let signature = fakehub::webhooks::sign(SECRET.as_bytes(), &body);
    assert_eq!(
        post(server.addr, "pull_request", "outage-1", &body, &signature).await,
        202
    );
    let jobs = |args: Vec<String>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let out = Command::new(env!("CARGO_BIN_EXE_suture"))
                    .arg("jobs")
                    .args(&args)
                    .args(["--database-url", &url])
                    .output()
                    .unwrap();
                let stderr = String::from_utf8(out.stderr).unwrap();
                assert!(out.status.success(), "suture jobs {args:?}: {stderr}");
                String::from_utf8(out.stdout).unwrap()
            })
            .await
            .unwrap()
        }
    };
    let list = || jobs(vec!["list".into(), "--format".into(), "json".into()]);
    let job = |listed: String| -> Value {
        serde_json::from_str::<Value>(&listed).unwrap()["jobs"][0].clone()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let dead = loop {
        let listed = job(list().await);
        if listed["state"] == "dead" {
            break listed;
        }
        assert!(Instant::now() < deadline, "the job did not die: {listed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        dead["last_error"].as_str().unwrap().contains("HTTP 502"),
        "{dead}"
    );
    assert!(fake.reviews(owner, repo, 2).is_empty());

    fake.set_outage(None);
    let id = dead["id"].to_string();
    assert_eq!(
        jobs(vec!["retry".into(), id]).await,
        "1 job(s) back in the queue\n"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let listed = job(list().await);
        if listed["state"] == "done" {
            break listed;
        }
        assert_ne!(listed["state"], "dead", "{listed}");
        assert!(
            Instant::now() < deadline,
            "the revived job did not run: {listed}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["attempts"], 1, "a fresh count of attempts: {done}");
    assert_eq!(fake.reviews(owner, repo, 2).len(), 1);
    let mut store = store::server::connect(&url).unwrap();
    assert_eq!(store.completions().unwrap(), [("outage-1".to_owned(), 1)]);
    drop(store);
    server.terminate();
    fake.assert_valid();
}

/// `suture jobs`: the operator lists the dead job with its error, revives it (it runs again with a fresh
/// count of attempts), and purges what is finished.
#[test]
fn suture_jobs_lists_retries_and_purges_dead_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let url = db.to_str().unwrap();
    {
        let mut store = store::server::connect(url).unwrap();
        store
            .enqueue(&store::server::Delivery {
                id: "d-1".into(),
                event: "pull_request".into(),
                payload: b"{}".to_vec(),
            })
            .unwrap();
        let job = store
            .claim("w", Duration::from_secs(60), 1)
            .unwrap()
            .unwrap();
        store
            .fail(job.id, "w", "HTTP 502: Bad Gateway", 1, Duration::ZERO)
            .unwrap();
    }
    let jobs = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_suture"))
            .arg("jobs")
            .args(args)
            .args(["--database-url", url])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, stdout, stderr) = jobs(&["list", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    let job = &listed["jobs"][0];
    assert_eq!(
        (job["state"].as_str(), job["attempts"].as_u64()),
        (Some("dead"), Some(1))
    );
    assert_eq!(job["last_error"], "HTTP 502: Bad Gateway");
    let id = job["id"].to_string();
    let (code, stdout, stderr) = jobs(&["retry", &id]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "1 job(s) back in the queue\n"),
        "{stderr}"
    );
    let (code, _, stderr) = jobs(&["retry", &id]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("no dead job with id {id}")),
        "{stderr}"
    );
    let mut store = store::server::connect(url).unwrap();
    let again = store
        .claim("w", Duration::from_secs(60), 1)
        .unwrap()
        .unwrap();
    assert_eq!((again.delivery.as_str(), again.attempts), ("d-1", 1));
    assert!(store.complete(again.id, "w").unwrap());
    drop(store);
    let (code, stdout, _) = jobs(&["purge", "--older-than-days", "0"]);
    assert_eq!(code, 0);
    assert!(stdout.ends_with("finished job(s) purged\n"), "{stdout}");
    let (code, stdout, _) = jobs(&["list", "--state", "queued"]);
    assert_eq!((code, stdout.as_str()), (0, "no jobs\n"));
}
