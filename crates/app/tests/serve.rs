//! `suture serve` end to end, in process: GitHub's own webhook examples (`@octokit/webhooks-examples`)
//! signed and posted over loopback HTTP to the real server, workers running the jobs against `FakeGitHub`
//! (every request checked against GitHub's REST description), and the SQLite store inspected directly.
//!
//! The HTTP client is a few lines over a tokio `TcpStream` (HTTP/1.1, one request per connection) rather
//! than a client crate: the tests need status codes, bodies and raw control over headers, nothing more.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use app::serve::{Secret, ServeConfig};
use fakehub::{FakeGitHub, RateLimit};
use pipeline::Library;
use serde_json::{Value, json};
use store::server::{JobInfo, ManualClock, PatternStats, QueueStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SECRET: &[u8] = b"it's a secret to everybody";
const OWNER: &str = "Codertocat";
const REPO: &str = "Hello-World";

/// The pattern every test reviews with: `$A.len() == 0` → `$A.is_empty()`, mined from one commit.
const PATTERN: &str = r#"id = "m-test-len-zero"
origin = "mined"
description = "test pattern: emptiness checks"
before = "$A.len() == 0"
after = "$A.is_empty()"
support = 5
score = 0.8
prevalence = 0.9
specialisation = 0.9

[[provenance]]
repo = "example/one"
commit = "0123456789abcdef0123456789abcdef01234567"
path = "src/lib.rs"
line = 10
"#;

fn library() -> Arc<Library> {
    Arc::new(pipeline::library_from_texts(&[("m-test-len-zero.toml", PATTERN)]).unwrap())
}

/// A throwaway RSA key for the App's JWT (the fake does not check JWT signatures, but octocrab needs a
/// well-formed key). Generated once per test process with openssl.
fn private_key() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| {
        let out = std::process::Command::new("openssl")
            .args(["genrsa", "2048"])
            .output()
            .expect("openssl is needed to make a test RSA key");
        assert!(out.status.success(), "openssl genrsa failed");
        out.stdout
    })
}

fn config(db: &Path, api: &str, workers: usize) -> ServeConfig {
    let mut config = ServeConfig::new(
        db.to_str().unwrap(),
        Secret::new(SECRET),
        42,
        Secret::new(private_key()),
    );
    config.api_url = api.to_owned();
    config.workers = workers;
    config.poll_interval = Duration::from_millis(50);
    config.max_body_bytes = 64 * 1024;
    // Retries at once, not after the production backoff of half a minute and more.
    config.retry_base = Duration::from_millis(1);
    config
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

async fn start(config: ServeConfig) -> Server {
    start_with(config, library()).await
}

async fn start_with(config: ServeConfig, library: Arc<Library>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app::serve::run(config, library, listener, async {
        let _ = rx.await;
    }));
    Server {
        addr,
        stop: Some(tx),
        task,
    }
}

impl Server {
    /// Asks for a graceful shutdown and waits for it.
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(30), &mut self.task)
            .await
            .expect("the server stops within 30 s")
            .unwrap()
            .unwrap();
    }
}

/// One HTTP/1.1 request; returns the status and the body as JSON (Null when it is not JSON).
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let (mut read, mut write) = stream.split();
    let send = async {
        // The server may answer (413) and close before reading all of an oversized body.
        let _ = write.write_all(head.as_bytes()).await;
        let _ = write.write_all(body).await;
    };
    let mut response = Vec::new();
    let receive = async {
        let _ = read.read_to_end(&mut response).await;
    };
    tokio::join!(send, receive);
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Posts a delivery signed with the right secret.
async fn deliver(addr: SocketAddr, event: &str, delivery: &str, body: &[u8]) -> (u16, Value) {
    let headers = [
        ("X-GitHub-Event", event.to_owned()),
        ("X-GitHub-Delivery", delivery.to_owned()),
        ("X-Hub-Signature-256", fakehub::webhooks::sign(SECRET, body)),
        ("Content-Type", "application/json".to_owned()),
    ];
    request(addr, "POST", "/webhook", &headers, body).await
}

/// The first example of `event`/`action` that names an App installation (deliveries to an App do).
fn example(event: &str, action: &str) -> Value {
    fakehub::webhooks::examples(event)
        .into_iter()
        .find(|(a, p)| a == action && p["installation"]["id"].is_u64())
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no {event}.{action} example with an installation"))
}

fn store(db: &Path) -> Box<dyn store::server::ServerStore> {
    store::server::connect(db.to_str().unwrap()).unwrap()
}

/// Waits until `done + dead` reaches `n` (and nothing is queued or running).
async fn settle(db: &Path, n: u64) -> QueueStats {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut store = store(db);
    loop {
        let stats = store.queue_stats().unwrap();
        if stats.done + stats.dead >= n && stats.queued == 0 && stats.running == 0 {
            return stats;
        }
        assert!(Instant::now() < deadline, "jobs did not settle: {stats:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The file a pull request changes: one fixable line added (line 6 holds two fixes).
const CHANGED: &str = "pub fn f(v: &[u8]) -> bool {\n    v.len() == 0\n}\n\npub fn g(a: &[u8], b: &[u8]) -> bool {\n    a.len() == 0 && b.len() == 0\n}\n";
/// Its diff: lines 5–7 added; line 2 is old code, not touched by the pull request.
const CHANGED_PATCH: &str = "@@ -1,3 +1,7 @@\n pub fn f(v: &[u8]) -> bool {\n     v.len() == 0\n }\n+\n+pub fn g(a: &[u8], b: &[u8]) -> bool {\n+    a.len() == 0 && b.len() == 0\n+}\n";

/// Sets up pull request `number` in the fake: branch `changes` holding [`CHANGED`], the files listed.
/// Returns the head sha.
fn preset_pull_request(fake: &FakeGitHub, number: u64) -> String {
    let sha = fake.set_file(OWNER, REPO, "changes", "src/lib.rs", CHANGED);
    fake.set_pr_files(
        OWNER,
        REPO,
        number,
        &[
            ("src/lib.rs", "modified", Some(CHANGED_PATCH)),
            ("README.md", "modified", Some("@@ -1 +1 @@\n-a\n+b\n")),
        ],
    );
    sha
}

/// The `pull_request` `opened` example, pointing at `head_sha` (the example's own sha is not in the fake).
fn opened(head_sha: &str) -> Vec<u8> {
    let mut payload = example("pull_request", "opened");
    payload["pull_request"]["head"]["sha"] = json!(head_sha);
    serde_json::to_vec(&payload).unwrap()
}

fn routes(fake: &FakeGitHub) -> Vec<String> {
    fake.routes()
        .into_iter()
        .filter(|r| !r.contains("/access_tokens"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signed_pull_request_gets_a_review_and_a_check_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let head = preset_pull_request(&fake, 2);
    let server = start(config(&db, &fake.uri(), 2)).await;

    let body = opened(&head);
    let (status, reply) = deliver(server.addr, "pull_request", "d-opened", &body).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(reply["status"], "queued");
    let stats = settle(&db, 1).await;
    assert_eq!(stats.done, 1, "{stats:?}");

    // One review: line 6 holds two fixes, merged into one suggestion over that whole line; line 2 is not
    // added by the pull request, so it gets nothing.
    let reviews = fake.reviews(OWNER, REPO, 2);
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    let comments = reviews[0]["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["path"], "src/lib.rs");
    assert_eq!(comments[0]["line"], 6);
    let text = comments[0]["body"].as_str().unwrap();
    assert!(
        text.contains("```suggestion\n    a.is_empty() && b.is_empty()\n```"),
        "{text}"
    );
    assert!(text.contains("m-test-len-zero"), "{text}");
    assert_eq!(reviews[0]["commit_id"], json!(head));

    // One check run annotating both fixes.
    let runs = fake.check_runs(OWNER, REPO);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["head_sha"], json!(head));
    let annotations = runs[0]["output"]["annotations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(annotations.len(), 2, "{runs:?}");

    // Only the Rust file's text was read; the App acted as its installation.
    let routes = routes(&fake);
    assert!(
        routes.contains(&format!("GET /repos/{OWNER}/{REPO}/pulls/2/files")),
        "{routes:?}"
    );
    assert!(!routes.iter().any(|r| r.contains("README")), "{routes:?}");
    assert!(
        fake.routes()
            .iter()
            .any(|r| r == "POST /app/installations/1/access_tokens"),
        "{:?}",
        fake.routes()
    );

    // Both fixes are recorded as proposed.
    let stats = store(&db).pattern_stats().unwrap();
    assert_eq!(
        stats,
        vec![PatternStats {
            pattern: "m-test-len-zero".into(),
            proposed: 2,
            merged: 0,
            closed: 0
        }]
    );

    // A new push that leaves the line unfixed: a new check run lists both fixes again, but the
    // suggestion already made is not made twice (no second review).
    let mut pushed = example("pull_request", "synchronize");
    pushed["pull_request"]["head"]["sha"] = json!(head);
    pushed["number"] = json!(2);
    pushed["installation"] = json!({"id": 1});
    let body = serde_json::to_vec(&pushed).unwrap();
    let (status, reply) = deliver(server.addr, "pull_request", "d-synchronize", &body).await;
    assert_eq!(status, 202, "{reply}");
    settle(&db, 2).await;
    assert_eq!(fake.reviews(OWNER, REPO, 2).len(), 1);
    let runs = fake.check_runs(OWNER, REPO);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(
        runs[1]["output"]["annotations"].as_array().map(Vec::len),
        Some(2)
    );
    let summary = runs[1]["output"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("suggested on an earlier push"),
        "{summary}"
    );
    server.stop().await;
    fake.assert_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_deliveries_get_the_right_status_and_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let server = start(config(&db, &fake.uri(), 2)).await;
    let body = opened("0000000000000000000000000000000000000000");
    let base = |event: &str, delivery: &str| {
        vec![
            ("X-GitHub-Event", event.to_owned()),
            ("X-GitHub-Delivery", delivery.to_owned()),
            ("Content-Type", "application/json".to_owned()),
        ]
    };

    // No signature.
    let (status, _) = request(
        server.addr,
        "POST",
        "/webhook",
        &base("pull_request", "d1"),
        &body,
    )
    .await;
    assert_eq!(status, 401);
    // A signature made with another secret.
    let mut headers = base("pull_request", "d2");
    headers.push((
        "X-Hub-Signature-256",
        fakehub::webhooks::sign(b"wrong", &body),
    ));
    let (status, _) = request(server.addr, "POST", "/webhook", &headers, &body).await;
    assert_eq!(status, 401);
    // The right signature over another body.
    let mut headers = base("pull_request", "d3");
    headers.push((
        "X-Hub-Signature-256",
        fakehub::webhooks::sign(SECRET, b"{}"),
    ));
    let (status, _) = request(server.addr, "POST", "/webhook", &headers, &body).await;
    assert_eq!(status, 401);
    // A malformed header.
    let mut headers = base("pull_request", "d4");
    headers.push(("X-Hub-Signature-256", "sha1=abc".to_owned()));
    let (status, _) = request(server.addr, "POST", "/webhook", &headers, &body).await;
    assert_eq!(status, 401);

    // Signed, but malformed JSON.
    let (status, reply) = deliver(server.addr, "pull_request", "d5", b"{\"action\": ").await;
    assert_eq!(status, 400, "{reply}");
    // Signed, but no event or delivery header.
    let mut headers = vec![("X-GitHub-Delivery", "d6".to_owned())];
    headers.push((
        "X-Hub-Signature-256",
        fakehub::webhooks::sign(SECRET, &body),
    ));
    let (status, _) = request(server.addr, "POST", "/webhook", &headers, &body).await;
    assert_eq!(status, 400);
    let mut headers = vec![("X-GitHub-Event", "pull_request".to_owned())];
    headers.push((
        "X-Hub-Signature-256",
        fakehub::webhooks::sign(SECRET, &body),
    ));
    let (status, _) = request(server.addr, "POST", "/webhook", &headers, &body).await;
    assert_eq!(status, 400);

    // An event suture does not handle (GitHub's own `star` example) and an action it ignores.
    let star = serde_json::to_vec(&fakehub::webhooks::examples("star")[0].1).unwrap();
    let (status, reply) = deliver(server.addr, "star", "d7", &star).await;
    assert_eq!((status, reply["status"].clone()), (200, json!("ignored")));
    let labeled = serde_json::to_vec(&example("pull_request", "labeled")).unwrap();
    let (status, reply) = deliver(server.addr, "pull_request", "d8", &labeled).await;
    assert_eq!((status, reply["status"].clone()), (200, json!("ignored")));
    // GitHub's ping.
    let ping = serde_json::to_vec(&fakehub::webhooks::examples("ping")[0].1).unwrap();
    let (status, reply) = deliver(server.addr, "ping", "d9", &ping).await;
    assert_eq!((status, reply["status"].clone()), (200, json!("pong")));

    // An oversized body (the limit is 64 KiB here), signed correctly: refused before anything else.
    let mut big = example("pull_request", "closed");
    big["padding"] = json!("x".repeat(100 * 1024));
    let big = serde_json::to_vec(&big).unwrap();
    let (status, _) = deliver(server.addr, "pull_request", "d10", &big).await;
    assert_eq!(status, 413);

    // Nothing was queued, nothing ran, GitHub was never called.
    let mut s = store(&db);
    assert_eq!(s.queue_stats().unwrap(), QueueStats::default());
    assert!(fake.requests().is_empty(), "{:?}", fake.routes());

    // A closed pull request (cheap: no GitHub call) is queued once; its replay is a duplicate.
    let closed = serde_json::to_vec(&example("pull_request", "closed")).unwrap();
    let (status, reply) = deliver(server.addr, "pull_request", "d11", &closed).await;
    assert_eq!((status, reply["status"].clone()), (202, json!("queued")));
    let (status, reply) = deliver(server.addr, "pull_request", "d11", &closed).await;
    assert_eq!((status, reply["status"].clone()), (200, json!("duplicate")));
    settle(&db, 1).await;
    assert_eq!(s.completions().unwrap(), vec![("d11".to_owned(), 1)]);
    assert_eq!(
        s.queue_stats().unwrap(),
        QueueStats {
            done: 1,
            ..QueueStats::default()
        }
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.routes());

    // The health endpoint reports the queue.
    let (status, health) = request(server.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(status, 200);
    assert_eq!(health["queue"]["done"], 1, "{health}");
    server.stop().await;
    fake.assert_valid();
}

/// A `created` comment with `body` on pull request `number`, from GitHub's issue_comment example (whose
/// issue is a plain issue: the `pull_request` key GitHub adds for pull requests is added here).
fn comment(number: u64, body: &str, comment_id: u64) -> Vec<u8> {
    let mut payload = example("issue_comment", "created");
    payload["issue"]["number"] = json!(number);
    payload["issue"]["pull_request"] = json!({
        "url": format!("https://api.github.com/repos/{OWNER}/{REPO}/pulls/{number}"),
    });
    payload["comment"]["body"] = json!(body);
    payload["comment"]["id"] = json!(comment_id);
    serde_json::to_vec(&payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn comment_commands_are_acknowledged_and_carried_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    fake.set_file(OWNER, REPO, "changes", "src/lib.rs", CHANGED);
    let number = fake.open_pull_request(OWNER, REPO, "changes", "main", "Add g");
    fake.set_pr_files(
        OWNER,
        REPO,
        number,
        &[("src/lib.rs", "modified", Some(CHANGED_PATCH))],
    );
    let server = start(config(&db, &fake.uri(), 1)).await;
    let mut n = 0;
    let mut send = async |text: &str, id: u64| {
        n += 1;
        let (status, reply) = deliver(
            server.addr,
            "issue_comment",
            &format!("c{n}"),
            &comment(number, text, id),
        )
        .await;
        assert_eq!(status, 202, "{text}: {reply}");
        settle(&db, n).await;
    };

    // explain: 👀, then a comment naming the pattern, its confidence and its commit.
    send("@suture explain", 101).await;
    assert_eq!(fake.reactions(OWNER, REPO), vec![(101, "eyes".to_owned())]);
    let comments = fake.comments(OWNER, REPO);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].0, number);
    assert!(
        comments[0].1.contains("m-test-len-zero"),
        "{}",
        comments[0].1
    );
    assert!(
        comments[0].1.contains("confidence 0.80"),
        "{}",
        comments[0].1
    );
    assert!(
        comments[0].1.contains("example/one@0123456789ab"),
        "{}",
        comments[0].1
    );

    // An unknown command: 😕 and nothing else.
    send("@Suture dance", 102).await;
    assert_eq!(
        fake.reactions(OWNER, REPO).last(),
        Some(&(102, "confused".to_owned()))
    );
    assert_eq!(fake.comments(OWNER, REPO).len(), 1);

    // recreate: the review runs again.
    send("@suture recreate", 103).await;
    assert_eq!(fake.reviews(OWNER, REPO, number).len(), 1);
    assert_eq!(fake.check_runs(OWNER, REPO).len(), 1);

    // apply: one commit on the head branch with both fixes of line 6.
    let before = fake.branch_sha(OWNER, REPO, "changes").unwrap();
    send("@suture apply", 104).await;
    let after = fake.branch_sha(OWNER, REPO, "changes").unwrap();
    assert_ne!(before, after);
    let text = fake.file_at(OWNER, REPO, "changes", "src/lib.rs").unwrap();
    assert_eq!(
        text,
        CHANGED.replace(
            "a.len() == 0 && b.len() == 0",
            "a.is_empty() && b.is_empty()"
        )
    );

    // ignore: the fixes are remembered as ignored in this repository; a new review proposes nothing.
    fake.set_file(OWNER, REPO, "changes", "src/lib.rs", CHANGED);
    send("@suture ignore", 105).await;
    send("@suture recreate", 106).await;
    let runs = fake.check_runs(OWNER, REPO);
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["conclusion"], "success", "{:?}", runs[1]);
    assert_eq!(fake.reviews(OWNER, REPO, number).len(), 1);

    // A bot's comment and a comment not addressed to suture are acknowledged and dropped.
    let mut bot: Value = serde_json::from_slice(&comment(number, "@suture apply", 107)).unwrap();
    bot["comment"]["user"]["type"] = json!("Bot");
    let (status, reply) = deliver(
        server.addr,
        "issue_comment",
        "c-bot",
        &serde_json::to_vec(&bot).unwrap(),
    )
    .await;
    assert_eq!((status, reply["status"].clone()), (200, json!("ignored")));
    let (status, reply) = deliver(
        server.addr,
        "issue_comment",
        "c-chat",
        &comment(number, "LGTM", 108),
    )
    .await;
    assert_eq!((status, reply["status"].clone()), (200, json!("ignored")));
    assert_eq!(fake.reactions(OWNER, REPO).len(), 6);
    server.stop().await;
    fake.assert_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_closed_pull_request_records_the_outcome_and_moves_the_ranking() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let head = preset_pull_request(&fake, 2);
    let server = start(config(&db, &fake.uri(), 1)).await;
    deliver(server.addr, "pull_request", "o1", &opened(&head)).await;
    settle(&db, 1).await;
    let before = store(&db).pattern_stats().unwrap();
    assert_eq!(before[0].closed, 0);

    // GitHub's `closed` example: not merged.
    let closed = serde_json::to_vec(&example("pull_request", "closed")).unwrap();
    assert_eq!(
        deliver(server.addr, "pull_request", "o2", &closed).await.0,
        202
    );
    settle(&db, 2).await;
    let after = store(&db).pattern_stats().unwrap();
    assert_eq!(
        after,
        vec![PatternStats {
            pattern: "m-test-len-zero".into(),
            proposed: 2,
            merged: 0,
            closed: 2
        }]
    );
    // Two unmerged fixes are the evidence the next review hands the confidence model.
    assert_eq!(
        app::ranking::outcomes(&after)["m-test-len-zero"],
        engine::Outcomes {
            merged: 0,
            closed: 2
        }
    );

    // The next review shows the lowered confidence.
    fake.set_pr_files(
        OWNER,
        REPO,
        3,
        &[("src/lib.rs", "modified", Some(CHANGED_PATCH))],
    );
    let mut payload: Value = serde_json::from_slice(&opened(&head)).unwrap();
    payload["number"] = json!(3);
    payload["pull_request"]["number"] = json!(3);
    deliver(
        server.addr,
        "pull_request",
        "o3",
        &serde_json::to_vec(&payload).unwrap(),
    )
    .await;
    settle(&db, 3).await;
    let review = &fake.reviews(OWNER, REPO, 3)[0];
    let body = review["comments"][0]["body"].as_str().unwrap();
    assert!(body.contains("confidence 0.40"), "{body}");
    server.stop().await;
    fake.assert_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queued_deliveries_survive_a_restart_and_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let closed = serde_json::to_vec(&example("pull_request", "closed")).unwrap();

    // No workers: deliveries are only acknowledged and queued.
    let first = start(config(&db, &fake.uri(), 0)).await;
    for i in 0..20 {
        let (status, _) = deliver(first.addr, "pull_request", &format!("r{i}"), &closed).await;
        assert_eq!(status, 202);
    }
    first.stop().await;
    assert_eq!(store(&db).queue_stats().unwrap().queued, 20);

    // A new process on the same store runs each exactly once.
    let second = start(config(&db, &fake.uri(), 3)).await;
    let stats = settle(&db, 20).await;
    assert_eq!(stats.done, 20);
    let completions = store(&db).completions().unwrap();
    assert_eq!(completions.len(), 20);
    assert!(completions.iter().all(|(_, n)| *n == 1), "{completions:?}");
    // A replay after the restart is still a duplicate.
    let (status, _) = deliver(second.addr, "pull_request", "r0", &closed).await;
    assert_eq!(status, 200);
    second.stop().await;
    fake.assert_valid();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_deliveries_are_none_lost_none_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let server = start(config(&db, &fake.uri(), 4)).await;
    let closed = Arc::new(serde_json::to_vec(&example("pull_request", "closed")).unwrap());
    let (n, clients) = (1000, 32);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (addr, closed) = (server.addr, Arc::clone(&closed));
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            for i in (c..n).step_by(clients) {
                let t = Instant::now();
                let (status, reply) =
                    deliver(addr, "pull_request", &format!("load-{i}"), &closed).await;
                latencies.push(t.elapsed());
                assert_eq!(status, 202, "{reply}");
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(l) = tasks.join_next().await {
        latencies.extend(l.unwrap());
    }
    let acked = started.elapsed();
    latencies.sort();
    let stats = settle(&db, n as u64).await;
    eprintln!(
        "load (SQLite, {clients} clients, 4 workers): {n} deliveries acknowledged in {acked:?}, all done in {:?}; ack latency median {:?}, p99 {:?}, max {:?}",
        started.elapsed(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().unwrap()
    );
    assert_eq!(stats.done, n as u64, "{stats:?}");
    let completions = store(&db).completions().unwrap();
    assert_eq!(completions.len(), n);
    assert!(completions.iter().all(|(_, c)| *c == 1));
    server.stop().await;
    fake.assert_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_keeps_failing_is_retried_then_dead() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let mut config = config(&db, &fake.uri(), 1);
    config.max_attempts = 2;
    let server = start(config).await;
    // Pull request 2 does not exist in the fake: listing its files fails with 404, every time.
    let (status, _) = deliver(server.addr, "pull_request", "f1", &opened(&"0".repeat(40))).await;
    assert_eq!(status, 202);
    let stats = settle(&db, 1).await;
    assert_eq!(
        stats,
        QueueStats {
            dead: 1,
            ..QueueStats::default()
        }
    );
    let listings = fake
        .routes()
        .into_iter()
        .filter(|r| r == &format!("GET /repos/{OWNER}/{REPO}/pulls/2/files"))
        .count();
    assert_eq!(listings, 2, "{:?}", fake.routes());
    assert!(
        store(&db)
            .completions()
            .unwrap()
            .iter()
            .all(|(_, n)| *n == 0)
    );
    server.stop().await;
    fake.assert_valid();
}

/// Waits until the job has sent its first request to `github`.
async fn job_started(github: &wiremock::MockServer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while github
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A GitHub that takes `delay` to mint an installation token and knows nothing else (404).
async fn slow_github(delay: Duration) -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    let token =
        fakehub::openapi::example_response("POST", "/app/installations/1/access_tokens", 201)
            .expect("the REST description documents the token response");
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(
            "/app/installations/1/access_tokens",
        ))
        .respond_with(
            wiremock::ResponseTemplate::new(201)
                .set_body_json(token)
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_lets_a_running_job_finish_within_the_timeout() {
    // The job is in flight (waiting 1 s for a token) when shutdown is asked for: the server waits for it.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let github = slow_github(Duration::from_secs(1)).await;
    let server = start(config(&db, &github.uri(), 1)).await;
    deliver(server.addr, "pull_request", "s1", &opened(&"0".repeat(40))).await;
    job_started(&github).await;
    let asked = Instant::now();
    server.stop().await;
    assert!(
        asked.elapsed() >= Duration::from_millis(500),
        "{:?}",
        asked.elapsed()
    );
    // It ran to its end (a failed attempt: this GitHub knows no pull request), so it is not left running.
    let stats = store(&db).queue_stats().unwrap();
    assert_eq!(
        stats,
        QueueStats {
            queued: 1,
            ..QueueStats::default()
        }
    );

    // With a shutdown timeout shorter than the job, the server stops on time and the job keeps its lease
    // (another worker takes it over when the lease expires).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let github = slow_github(Duration::from_secs(10)).await;
    let mut config = config(&db, &github.uri(), 1);
    config.shutdown_timeout = Duration::from_millis(200);
    let server = start(config).await;
    deliver(server.addr, "pull_request", "s2", &opened(&"0".repeat(40))).await;
    job_started(&github).await;
    let asked = Instant::now();
    server.stop().await;
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(store(&db).queue_stats().unwrap().running, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn suggestions_over_the_cap_go_to_the_check_run_summary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let head = fake.set_file(OWNER, REPO, "changes", "src/lib.rs", CHANGED);
    // A new file: every line is added, so lines 2 and 6 each get a suggestion.
    let patch: String = std::iter::once("@@ -0,0 +1,7 @@\n".to_owned())
        .chain(CHANGED.lines().map(|l| format!("+{l}\n")))
        .collect();
    fake.set_pr_files(OWNER, REPO, 2, &[("src/lib.rs", "added", Some(&patch))]);
    let mut config = config(&db, &fake.uri(), 1);
    config.review.max_suggestions = 1;
    let server = start(config).await;
    assert_eq!(
        deliver(server.addr, "pull_request", "cap", &opened(&head))
            .await
            .0,
        202
    );
    settle(&db, 1).await;
    let reviews = fake.reviews(OWNER, REPO, 2);
    let posted: usize = reviews
        .iter()
        .map(|r| r["comments"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(posted, 1, "{reviews:?}");
    let run = &fake.check_runs(OWNER, REPO)[0];
    assert_eq!(run["output"]["annotations"].as_array().unwrap().len(), 3);
    let summary = run["output"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("1 more suggestion(s) were not posted"),
        "{summary}"
    );
    server.stop().await;
    fake.assert_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ignore_on_a_suture_fix_pr_ignores_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let fixed = CHANGED.replace("v.len() == 0", "v.is_empty()");
    fake.set_file(OWNER, REPO, "main", "src/lib.rs", CHANGED);
    fake.set_file(OWNER, REPO, "suture/m-test-len-zero", "src/lib.rs", &fixed);
    // A fix PR as `suture pr` opens it: its body carries the group's fingerprint in a hidden marker.
    let fingerprint = "ab".repeat(32);
    let marker = app::pr::body::Marker::Fix {
        fingerprint: fingerprint.clone(),
        pattern: "m-test-len-zero".to_owned(),
        base: None,
    };
    let gh = github::GitHub::with_token(&fake.uri(), "gho_workflow_token").unwrap();
    let repo = github::RepoId::new(OWNER, REPO);
    let pr = gh
        .create_pull_request(
            &repo,
            &github::NewPullRequest {
                title: "suture: is_empty".to_owned(),
                head: "suture/m-test-len-zero".to_owned(),
                base: "main".to_owned(),
                body: format!("A fix.\n\n{}", marker.render()),
            },
        )
        .await
        .unwrap();
    fake.set_pr_files(OWNER, REPO, pr.number, &[]);
    let server = start(config(&db, &fake.uri(), 1)).await;
    let (status, reply) = deliver(
        server.addr,
        "issue_comment",
        "ignore-fix-pr",
        &comment(pr.number, "@suture ignore", 201),
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    settle(&db, 1).await;
    server.stop().await;
    // The review of a fix PR finds nothing to ignore; the group itself is what `suture pr` must not
    // propose again.
    assert!(
        store(&db)
            .is_ignored(&repo.to_string(), &fingerprint)
            .unwrap()
    );
    assert_eq!(fake.reactions(OWNER, REPO), vec![(201, "eyes".to_owned())]);
    fake.assert_valid();
}

/// The two pathological files of issue #16 (a sum of 20,000 terms, `Some(` nested 3,000 deep) in a pull
/// request used to overflow the worker's stack and kill the server, then again after every restart. Now the
/// deep code is skipped, the review of the rest is posted, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pull_request_adding_deeply_nested_code_is_reviewed_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let sum = format!("pub const X: u64 = {};\n", vec!["1"; 20_000].join(" + "));
    let calls = format!(
        "pub fn f(v: &[u8]) -> Option<bool> {{\n    let _ = {}1{};\n    Some(v.len() == 0)\n}}\n",
        "Some(".repeat(3_000),
        ")".repeat(3_000)
    );
    let added = |text: &str| {
        let lines: Vec<String> = text.lines().map(|l| format!("+{l}")).collect();
        format!("@@ -0,0 +1,{} @@\n{}\n", lines.len(), lines.join("\n"))
    };
    fake.set_file(OWNER, REPO, "changes", "src/sum.rs", &sum);
    fake.set_file(OWNER, REPO, "changes", "src/some.rs", &calls);
    let head = fake.set_file(OWNER, REPO, "changes", "src/lib.rs", CHANGED);
    fake.set_pr_files(
        OWNER,
        REPO,
        2,
        &[
            ("src/some.rs", "added", Some(&added(&calls))),
            ("src/sum.rs", "added", Some(&added(&sum))),
            ("src/lib.rs", "modified", Some(CHANGED_PATCH)),
        ],
    );
    let server = start(config(&db, &fake.uri(), 2)).await;
    let (status, reply) = deliver(server.addr, "pull_request", "d-deep", &opened(&head)).await;
    assert_eq!(status, 202, "{reply}");
    let stats = settle(&db, 1).await;
    assert_eq!(stats.done, 1, "{stats:?}");
    let reviews = fake.reviews(OWNER, REPO, 2);
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    let paths: Vec<&str> = reviews[0]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["src/lib.rs"]);
    // Still serving.
    let (status, _) = deliver(server.addr, "pull_request", "d-after", &opened(&head)).await;
    assert_eq!(status, 202);
    settle(&db, 2).await;
    server.stop().await;
    fake.assert_valid();
}

/// A server on the production retry schedule (base 30 s, doubling, cap 10 min, ±25% jitter, 8 attempts,
/// 5-minute leases) and a manual clock that the fake GitHub shares, so the test moves time and nothing waits
/// it out; pull request 2 preset and its `opened` delivery sent. `misbehave` sets up how GitHub fails,
/// given the simulated start.
struct Simulated {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    fake: FakeGitHub,
    clock: ManualClock,
    server: Server,
}

async fn simulated(delivery: &str, misbehave: impl FnOnce(&FakeGitHub, SystemTime)) -> Simulated {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let clock = ManualClock::starting_at(SystemTime::now());
    let shared = clock.clone();
    fake.set_clock(move || shared.now());
    let mut config = config(&db, &fake.uri(), 1);
    let production = ServeConfig::new("x.db", Secret::new(b"s"), 1, Secret::new(b"k"));
    config.retry_base = production.retry_base;
    config.retry_cap = production.retry_cap;
    config.max_attempts = production.max_attempts;
    config.lease = production.lease;
    config.poll_interval = Duration::from_millis(10);
    config.clock = clock.clone().into();
    let head = preset_pull_request(&fake, 2);
    misbehave(&fake, clock.now());
    let server = start_with(config, library()).await;
    let (status, _) = deliver(server.addr, "pull_request", delivery, &opened(&head)).await;
    assert_eq!(status, 202);
    Simulated {
        _dir: dir,
        db,
        fake,
        clock,
        server,
    }
}

/// The only job, once no worker holds it and it has been claimed `attempts` times (or is done).
async fn job_after(db: &Path, attempts: u32) -> JobInfo {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut store = store(db);
    loop {
        let jobs = store.jobs(None, 10).unwrap();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let job = &jobs[0];
        if job.state != "running" && (job.state == "done" || job.attempts == attempts) {
            return job.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the job did not move on: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs the only job on simulated time: after each failed attempt, checks that its next attempt waits at
/// least `floor(attempt)` and moves the clock exactly to that attempt's time (not a millisecond before, so
/// an attempt that started early would show as a claim before its `run_after`). Returns the wait before each
/// attempt after the first, once the job is done.
async fn run_on_simulated_time(
    db: &Path,
    clock: &ManualClock,
    floor: impl Fn(u32) -> Duration,
) -> Vec<Duration> {
    let mut waits = Vec::new();
    for attempt in 1.. {
        let job = job_after(db, attempt).await;
        if job.state == "done" {
            assert_eq!(job.attempts, attempt, "one claim per attempt");
            return waits;
        }
        assert_eq!(
            job.state, "queued",
            "a failed job waits for its next attempt: {job:?}"
        );
        let run_after = job.run_after.expect("a failed job says when it runs again");
        let wait = run_after.duration_since(clock.now()).unwrap();
        assert!(
            wait >= floor(attempt),
            "attempt {attempt} failed ({:?}); the next waits {wait:?}, less than {:?}",
            job.last_error,
            floor(attempt)
        );
        waits.push(wait);
        clock.advance_to(run_after);
    }
    unreachable!()
}

/// GitHub answers 502 to everything for 10 minutes of simulated time, on the production schedule: the job
/// fails, waits its backoff (never less than 0.75 × 30 s × 2^(n−1)), is never dead, and the review is posted
/// once GitHub is back, exactly once; the delivery's job completed once, nothing lost. Whatever the jitter,
/// the outage takes exactly 5 failed attempts: the first 4 backoffs sum to at most 562.5 s (< 600 s), the
/// first 5 to at least 697.5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ten_minute_outage_of_simulated_time_loses_nothing() {
    let outage = Duration::from_secs(600);
    let s = simulated("d-sim-outage", |fake, start| {
        fake.set_outage_until(502, start + outage)
    })
    .await;
    let start = s.clock.now();
    let floor = |attempt: u32| {
        (Duration::from_secs(30) * 2u32.pow(attempt - 1))
            .min(Duration::from_secs(600))
            .mul_f64(0.75)
    };
    let waits = run_on_simulated_time(&s.db, &s.clock, floor).await;
    assert_eq!(waits.len(), 5, "{waits:?}");
    let recovered = s.clock.now().duration_since(start).unwrap();
    assert!(recovered >= outage, "{recovered:?}");
    let reviews = s.fake.reviews(OWNER, REPO, 2);
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(s.fake.check_runs(OWNER, REPO).len(), 1);
    let mut store = store(&s.db);
    assert_eq!(
        store.completions().unwrap(),
        [("d-sim-outage".to_owned(), 1)]
    );
    assert_eq!(
        store.queue_stats().unwrap(),
        QueueStats {
            done: 1,
            ..QueueStats::default()
        }
    );
    // The failed attempts got as far as GitHub, and GitHub said 502.
    let job = &store.jobs(None, 1).unwrap()[0];
    assert!(
        job.last_error.as_deref().unwrap().contains("502"),
        "{job:?}"
    );
    s.server.stop().await;
    s.fake.assert_valid();
}

/// GitHub's rate limits on the review, one after the other: a secondary limit with `Retry-After: 900`, one
/// with `Retry-After` as a date 20 minutes on, an exhausted limit resetting in 45 minutes, and a secondary
/// limit naming no time. Each wait is what GitHub asked (all above the backoff of 30 s, 60 s, 120 s and 240 s
/// × 1.25, except the last: a minute, or the backoff if longer), and the review is posted once at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limited_reviews_wait_as_long_as_github_asks() {
    let reviews = format!("/repos/{OWNER}/{REPO}/pulls/2/reviews");
    let s = simulated("d-limited", |fake, _| {
        for limit in [
            RateLimit::RetryAfter {
                status: 403,
                seconds: 900,
            },
            RateLimit::RetryAt {
                after: Duration::from_secs(1200),
            },
            RateLimit::Exhausted {
                after: Duration::from_secs(2700),
            },
            RateLimit::Secondary,
        ] {
            fake.rate_limit("POST", &reviews, limit, 1);
        }
    })
    .await;
    let asked = [900, 1200, 2700, 60].map(Duration::from_secs);
    let waits = run_on_simulated_time(&s.db, &s.clock, |attempt| asked[attempt as usize - 1]).await;
    assert_eq!(waits.len(), 4, "{waits:?}");
    assert_eq!(&waits[..3], &asked[..3], "exactly what GitHub asked");
    // No header: a minute, or the backoff (240 s ± 25%) when that is longer.
    assert!(waits[3] >= Duration::from_secs(180), "{waits:?}");
    assert_eq!(s.fake.reviews(OWNER, REPO, 2).len(), 1);
    let tries = s
        .fake
        .routes()
        .iter()
        .filter(|r| **r == format!("POST {reviews}"))
        .count();
    assert_eq!(tries, 5, "four refused, one posted");
    s.server.stop().await;
    s.fake.assert_valid();
}

/// The check run is refused after the review went out: the retry creates the check run and does not post
/// the suggestions a second time (they were recorded in between).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_after_a_refused_check_run_does_not_suggest_again() {
    let s = simulated("d-check", |fake, _| {
        let check_runs = format!("/repos/{OWNER}/{REPO}/check-runs");
        fake.rate_limit("POST", &check_runs, RateLimit::Secondary, 1);
    })
    .await;
    let waits = run_on_simulated_time(&s.db, &s.clock, |_| Duration::from_secs(60)).await;
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(s.fake.reviews(OWNER, REPO, 2).len(), 1, "suggested once");
    assert_eq!(s.fake.check_runs(OWNER, REPO).len(), 1);
    s.server.stop().await;
    s.fake.assert_valid();
}

/// The production retry schedule (the defaults of `ServeConfig`): even with the least jitter, the attempts
/// a job has span more than a 10-minute outage; a wait GitHub asked for is honoured, even above the cap.
#[test]
fn retries_span_a_ten_minute_outage() {
    let config = ServeConfig::new("x.db", Secret::new(b"s"), 1, Secret::new(b"k"));
    for jitter in [0.0, 0.5, 1.0] {
        let waited: Duration = (1..config.max_attempts)
            .map(|attempt| app::serve::retry_delay(&config, attempt, None, jitter))
            .sum();
        assert!(waited > Duration::from_secs(600), "{jitter}: {waited:?}");
        assert!(
            waited < Duration::from_secs(3 * 3600),
            "{jitter}: {waited:?}"
        );
    }
    let first = app::serve::retry_delay(&config, 1, None, 0.0);
    assert_eq!(first, Duration::from_millis(22_500));
    let minute = Some(Duration::from_secs(60));
    assert_eq!(
        app::serve::retry_delay(&config, 1, minute, 0.0),
        Duration::from_secs(60)
    );
    // A longer backoff is not shortened by a shorter wait.
    assert_eq!(
        app::serve::retry_delay(&config, 4, minute, 0.0),
        Duration::from_secs(180)
    );
    let hour = Some(Duration::from_secs(3600));
    assert_eq!(
        app::serve::retry_delay(&config, 30, hour, 1.0),
        Duration::from_secs(3600)
    );
    let capped = app::serve::retry_delay(&config, 30, None, 1.0);
    assert_eq!(capped, Duration::from_secs(750));
}

/// The fuzz target's seeds (`crates/app/fuzz/seeds/webhook`: three header lines, then the body) reach every
/// outcome of the request path, so the fuzzer starts from deliveries that get past the signature and the
/// parser: a pull request opened and closed and an `@suture` comment are queued, a ping is answered, a bad
/// signature is refused.
#[test]
fn the_webhook_fuzz_seeds_reach_every_outcome() {
    use app::serve::{Admission, admit};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/webhook");
    let mut outcomes: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let mut parts = data.splitn(4, |b| *b == b'\n');
            let mut line = || String::from_utf8(parts.next().unwrap().to_vec()).unwrap();
            let (event, delivery, signature) = (line(), line(), line());
            let body = parts.next().unwrap();
            let signature = if signature.is_empty() {
                fakehub::webhooks::sign(b"fuzz-secret", body)
            } else {
                signature
            };
            let mut headers = axum::http::HeaderMap::new();
            headers.insert("x-github-event", event.parse().unwrap());
            headers.insert("x-github-delivery", delivery.parse().unwrap());
            headers.insert("x-hub-signature-256", signature.parse().unwrap());
            let outcome = match admit(b"fuzz-secret", &headers, body) {
                Ok(Admission::Queue(d)) => format!("queued {}", d.event),
                Ok(Admission::Pong) => "pong".to_owned(),
                Ok(Admission::Ignored { event }) => format!("ignored {event}"),
                Err(refusal) => format!("refused {}", refusal.status),
            };
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, outcome)
        })
        .collect();
    outcomes.sort();
    let expected = [
        ("bad-signature", "refused 401"),
        ("issue_comment-created", "queued issue_comment"),
        ("ping", "pong"),
        ("pull_request-closed", "queued pull_request"),
        ("pull_request-opened", "queued pull_request"),
    ]
    .map(|(a, b)| (a.to_owned(), b.to_owned()));
    assert_eq!(outcomes, expected);
}

/// Lease owners name their host and process, so a restart can tell its own dead predecessor's workers from
/// live ones and from other hosts'.
#[test]
fn a_dead_owner_on_this_host_is_recognised() {
    use app::serve::dead_owner_on_this_host;
    // Above Linux's pid_max: no process has it.
    let dead = "suture@box:4194305:0000abcd-0";
    assert!(dead_owner_on_this_host(dead, "box"));
    assert!(!dead_owner_on_this_host(dead, "other-box"));
    let me = format!("suture@box:{}:0000abcd-1", std::process::id());
    assert!(!dead_owner_on_this_host(&me, "box"));
    assert!(
        !dead_owner_on_this_host("suture@box:1:0-0", "box"),
        "pid 1 lives"
    );
    assert!(!dead_owner_on_this_host("alice", "box"));
}

/// A migration of the repository (as `suture fix` learns it from the history, with its record).
const MIGRATION: &str = r#"
id = "m-legacy"
origin = "mined"
before = "legacy_parse($A)"
after = "parse($A)"
support = 3
score = 0.2
prevalence = 0.6
specialisation = 0.4

[migration]
status = "done"
migrated = 5
remaining = 0
commits = 4
authors = ["Ada", "Grace"]
first = 1700000000
last = 1700100000
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pull_request_that_adds_a_use_of_a_migrated_api_is_told_the_new_form() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let fake = FakeGitHub::start().await;
    let code = "pub fn read(s: &str) -> Option<u32> {\n    legacy_parse(s)\n}\n";
    let head = fake.set_file(OWNER, REPO, "changes", "src/new.rs", code);
    let patch: String = std::iter::once("@@ -0,0 +1,3 @@\n".to_owned())
        .chain(code.lines().map(|l| format!("+{l}\n")))
        .collect();
    fake.set_pr_files(OWNER, REPO, 2, &[("src/new.rs", "added", Some(&patch))]);
    let library = Arc::new(pipeline::library_from_texts(&[("m-legacy.toml", MIGRATION)]).unwrap());
    let server = start_with(config(&db, &fake.uri(), 1), library).await;
    let (status, reply) = deliver(server.addr, "pull_request", "mig", &opened(&head)).await;
    assert_eq!(status, 202, "{reply}");
    settle(&db, 1).await;
    let reviews = fake.reviews(OWNER, REPO, 2);
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    let text = reviews[0]["comments"][0]["body"].as_str().unwrap();
    assert!(text.contains("```suggestion\n    parse(s)\n```"), "{text}");
    assert!(
        text.contains("continues a migration of this repository: 5 sites changed this way in 4 commits by 2 authors"),
        "{text}"
    );
    server.stop().await;
    fake.assert_valid();
}
