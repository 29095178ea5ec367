//! Benchmark: webhook → posted review for a 500-line pull request diff, against `FakeGitHub`.
//!
//! An in-process `suture serve` (SQLite store, one worker) receives GitHub's `pull_request` `opened`
//! example, signed, for a pull request that adds a 500-line Rust file holding 25 fixable lines. The clock
//! runs from the moment the delivery is sent until the fake has received both the review and the check run:
//! acknowledgement, queue, installation token, file list, file text, the fix engine, suggestions, review
//! and check run. Fixes are not validated (no cargo run), as the issue's target says. The fake checks every
//! request against GitHub's REST description as it would in a test; the 10 MB description is parsed once,
//! in a warm-up run that is not counted. Prints the median of 15 runs and its ratio to the 2 s target.
//!
//! Run with `cargo bench -p app --bench review` (release) or `cargo test -p app --bench review` (debug,
//! slower: an upper bound).

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::serve::{Secret, ServeConfig};
use fakehub::FakeGitHub;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &[u8] = b"bench-secret";
const OWNER: &str = "Codertocat";
const REPO: &str = "Hello-World";
const RUNS: usize = 15;
const TARGET: Duration = Duration::from_secs(2);
const PATTERN: &str = r#"id = "m-bench-len-zero"
origin = "mined"
before = "$A.len() == 0"
after = "$A.is_empty()"
support = 5
score = 0.8
prevalence = 0.9
specialisation = 0.9
"#;

/// 500 lines: 25 functions of 20 lines, each with one fixable line.
fn source() -> String {
    let mut out = String::new();
    for f in 0..25 {
        out.push_str(&format!(
            "pub fn check_{f}(items: &[u32], limit: u32) -> bool {{\n"
        ));
        out.push_str("    let mut total = 0;\n");
        for i in 0..13 {
            out.push_str(&format!(
                "    total += items.get({i}).copied().unwrap_or(0);\n"
            ));
        }
        out.push_str("    if items.len() == 0 {\n        return false;\n    }\n");
        out.push_str("    total < limit\n}\n");
    }
    assert_eq!(out.lines().count(), 500);
    out
}

fn patch(text: &str) -> String {
    let n = text.lines().count();
    let mut out = format!("@@ -0,0 +1,{n} @@\n");
    for line in text.lines() {
        out.push('+');
        out.push_str(line);
        out.push('\n');
    }
    out
}

async fn deliver(addr: std::net::SocketAddr, delivery: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: {}\r\n\r\n",
        body.len(),
        fakehub::webhooks::sign(SECRET, body)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let key = std::process::Command::new("openssl")
        .args(["genrsa", "2048"])
        .output()
        .expect("openssl makes the test RSA key")
        .stdout;
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGitHub::start().await;
    let text = source();
    let head = fake.set_file(OWNER, REPO, "bench", "src/checks.rs", &text);
    let diff = patch(&text);

    let mut config = ServeConfig::new(
        dir.path().join("server.db").to_str().unwrap(),
        Secret::new(SECRET),
        42,
        Secret::new(key),
    );
    config.api_url = fake.uri();
    config.workers = 1;
    config.poll_interval = Duration::from_millis(50);
    let library =
        Arc::new(pipeline::library_from_texts(&[("m-bench-len-zero.toml", PATTERN)]).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app::serve::run(config, library, listener, async {
        let _ = stopped.await;
    }));

    let mut example = fakehub::webhooks::examples("pull_request")
        .into_iter()
        .find(|(a, p)| a == "opened" && p["installation"]["id"].is_u64())
        .unwrap()
        .1;
    example["pull_request"]["head"]["sha"] = serde_json::json!(head);
    let mut times = Vec::new();
    for run in 0..=RUNS {
        let number = 100 + run as u64;
        fake.set_pr_files(
            OWNER,
            REPO,
            number,
            &[("src/checks.rs", "added", Some(&diff))],
        );
        example["number"] = serde_json::json!(number);
        example["pull_request"]["number"] = serde_json::json!(number);
        let body = serde_json::to_vec(&example).unwrap();
        let checks_before = fake.check_runs(OWNER, REPO).len();
        let started = Instant::now();
        assert_eq!(deliver(addr, &format!("bench-{run}"), &body).await, 202);
        loop {
            if !fake.reviews(OWNER, REPO, number).is_empty()
                && fake.check_runs(OWNER, REPO).len() > checks_before
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no review after 60 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let elapsed = started.elapsed();
        let review = &fake.reviews(OWNER, REPO, number)[0];
        assert_eq!(review["comments"].as_array().map(Vec::len), Some(25));
        if run > 0 {
            times.push(elapsed);
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "webhook → review + check run, 500-line diff, 25 suggestions: median {:.1} ms over {RUNS} runs (min {:.1} ms, max {:.1} ms); {:.3} of the 2 s target",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        median.as_secs_f64() / TARGET.as_secs_f64()
    );
    fake.assert_valid();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
