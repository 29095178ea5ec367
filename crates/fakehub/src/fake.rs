//! `FakeGitHub`: a wiremock server answering like a small, stateful GitHub.
//!
//! One catch-all mock routes every request to a `Respond` impl that holds the state behind a mutex
//! (refs, git objects, pull requests, check runs, comments, reactions, reviews, installation tokens).
//! Answers start from the description's documented example for the operation, deep-patched with the
//! state's ids, shas and fields, so clients see GitHub's full shapes. Every request is recorded and
//! checked with [`crate::openapi::check`].
//!
//! The fake is strict where GitHub is strict and where suture could get it wrong: repository routes
//! need a valid token (an App JWT only works on `/app/...`, an expired installation token gets 401),
//! a check run takes at most 50 annotations per request, review comments must sit on lines of the
//! pull request's diff, a non-forced ref update must be a fast-forward, and a second open pull request
//! for the same head and base is refused.
//!
//! It can also misbehave as GitHub does: an outage (every request answered 502, for good or until a time)
//! and rate limits on one route ([`RateLimit`]: `Retry-After` in seconds or as a date, an exhausted limit
//! with its reset time, a secondary limit with no header). Time is the fake's clock, the system's unless a
//! test gives it a simulated one ([`FakeGitHub::set_clock`]); every answer carries it in `Date`, as
//! GitHub's do, so waits computed from the answer follow the simulated time too.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::openapi;

/// The login commits, pull requests and reviews made with an installation token are attributed to.
pub const APP_BOT_LOGIN: &str = "suture[bot]";
/// The login commits made with any other token (e.g. a workflow's `GITHUB_TOKEN`) are attributed to.
pub const TOKEN_BOT_LOGIN: &str = "github-actions[bot]";
/// The human account behind `set_file`, `push_human_commit` and `open_pull_request`.
pub const HUMAN_LOGIN: &str = "octocat";

/// A request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, percent-decoded, without the query string.
    pub path: String,
    /// The query string, without `?`; empty when there is none.
    pub query: String,
    /// The JSON body, when there is one.
    pub body: Option<Value>,
    /// The `Authorization` header's value (fake tokens only).
    pub authorization: Option<String>,
    /// Why the request does not follow GitHub's REST description, if it doesn't.
    pub invalid: Option<String>,
}

impl Recorded {
    /// `METHOD path`, e.g. `POST /repos/o/r/git/refs`.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A rate-limited answer, as GitHub gives them (see "Rate limits for the REST API").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimit {
    /// A secondary rate limit with `retry-after: SECONDS`, on a 403 or a 429.
    RetryAfter { status: u16, seconds: u64 },
    /// A 429 whose `retry-after` is an HTTP date, `after` from the fake's now.
    RetryAt { after: Duration },
    /// The primary limit used up: 403, `x-ratelimit-remaining: 0`, `x-ratelimit-reset` `after` from now.
    Exhausted { after: Duration },
    /// A 403 whose message says "secondary rate limit", with no header naming a time.
    Secondary,
}

/// What refuses requests for now: an outage, and rate limits on routes.
#[derive(Default)]
struct Refusals {
    /// Every request gets this status, until the time if there is one.
    outage: Option<(u16, Option<SystemTime>)>,
    /// `METHOD path` → the rate limits its next requests get, one each.
    limits: HashMap<String, VecDeque<RateLimit>>,
}

/// The fake's notion of now.
type Now = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A small stateful GitHub. Start it with [`FakeGitHub::start`] and point a client at [`FakeGitHub::uri`].
pub struct FakeGitHub {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    /// Starts the server. Repositories spring into existence on first use, with a `main` default
    /// branch holding one commit (a `README.md`) by a human.
    pub async fn start() -> FakeGitHub {
        // Load the description before the first request, outside any test timeout.
        let _ = openapi::spec();
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::new()));
        Mock::given(wiremock::matchers::any())
            .respond_with(Router(state.clone()))
            .mount(&server)
            .await;
        FakeGitHub { server, state }
    }

    /// The base URI to give a client (`http://127.0.0.1:PORT`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// `METHOD path` of every request so far, in order (the query string left out).
    pub fn routes(&self) -> Vec<String> {
        self.state().requests.iter().map(Recorded::route).collect()
    }

    /// Forgets the requests recorded so far (the state stays).
    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// Panics listing each request that does not follow GitHub's REST description.
    pub fn assert_valid(&self) {
        let state = self.state();
        let invalid: Vec<String> = state
            .requests
            .iter()
            .filter_map(|r| {
                r.invalid
                    .as_ref()
                    .map(|why| format!("{}: {why}", r.route()))
            })
            .collect();
        assert!(
            invalid.is_empty(),
            "{} request(s) do not follow GitHub's REST description:\n{}",
            invalid.len(),
            invalid.join("\n")
        );
    }

    /// Creates a repository (or returns the existing one's default-branch head sha).
    pub fn create_repo(&self, owner: &str, repo: &str) -> String {
        let mut state = self.state();
        let r = state.repo(owner, repo);
        r.refs[&format!("refs/heads/{}", r.default_branch)].clone()
    }

    /// The sha a branch points at, if the branch exists.
    pub fn branch_sha(&self, owner: &str, repo: &str, branch: &str) -> Option<String> {
        self.state()
            .repo(owner, repo)
            .refs
            .get(&format!("refs/heads/{branch}"))
            .cloned()
    }

    /// The text of `path` in the tree of `git_ref` (a branch or commit sha).
    pub fn file_at(&self, owner: &str, repo: &str, git_ref: &str, path: &str) -> Option<String> {
        let mut state = self.state();
        let r = state.repo(owner, repo);
        let sha = r.resolve(git_ref)?;
        r.file_in(&sha, path)
    }

    /// The author login (if linked to an account) and message of a commit.
    pub fn commit_info(
        &self,
        owner: &str,
        repo: &str,
        sha: &str,
    ) -> Option<(Option<String>, String)> {
        let mut state = self.state();
        let c = state.repo(owner, repo).commits.get(sha)?;
        Some((c.author.login.clone(), c.message.clone()))
    }

    /// Sets the repository's default branch (creating the branch at the current default's head).
    pub fn set_default_branch(&self, owner: &str, repo: &str, branch: &str) {
        let mut state = self.state();
        let r = state.repo(owner, repo);
        let head = r.refs[&format!("refs/heads/{}", r.default_branch)].clone();
        r.refs.entry(format!("refs/heads/{branch}")).or_insert(head);
        r.default_branch = branch.to_string();
    }

    /// Commits `text` at `path` on branch `git_ref` (created from the default branch if missing), as
    /// a human. Returns the new commit sha.
    pub fn set_file(
        &self,
        owner: &str,
        repo: &str,
        git_ref: &str,
        path: &str,
        text: &str,
    ) -> String {
        let mut state = self.state();
        state.commit_as_human(
            owner,
            repo,
            git_ref,
            &[(path, Some(text))],
            &format!("Edit {path}"),
        )
    }

    /// Deletes `path` on branch `git_ref` as a human. Returns the new commit sha.
    pub fn remove_file(&self, owner: &str, repo: &str, git_ref: &str, path: &str) -> String {
        let mut state = self.state();
        state.commit_as_human(
            owner,
            repo,
            git_ref,
            &[(path, None)],
            &format!("Remove {path}"),
        )
    }

    /// Moves `branch` to a new commit on top of it, authored and committed by a human account.
    /// Returns the new sha.
    pub fn push_human_commit(&self, owner: &str, repo: &str, branch: &str) -> String {
        let mut state = self.state();
        let n = state.next_id();
        let path = format!("human-{n}.txt");
        state.commit_as_human(
            owner,
            repo,
            branch,
            &[(path.as_str(), Some("a human was here\n"))],
            "Tweak by a human",
        )
    }

    /// Creates an open pull request from `head` into `base` as if a human opened it (the branches are
    /// created from the default branch if missing). Returns its number.
    pub fn open_pull_request(
        &self,
        owner: &str,
        repo: &str,
        head: &str,
        base: &str,
        title: &str,
    ) -> u64 {
        let mut state = self.state();
        for branch in [base, head] {
            state.ensure_branch(owner, repo, branch);
        }
        let number = state.next_id();
        state.repo(owner, repo).pulls.push(Pull {
            number,
            state: "open".into(),
            merged: false,
            merge_commit_sha: None,
            head_ref: head.into(),
            base_ref: base.into(),
            title: title.into(),
            body: None,
            user: HUMAN_LOGIN.into(),
            files: Vec::new(),
            reviews: Vec::new(),
        });
        number
    }

    /// Marks a pull request closed; merged or not. When merged, the base branch moves to a merge
    /// commit whose tree is the head's. Panics when there is no such pull request.
    pub fn close_pull_request(&self, owner: &str, repo: &str, number: u64, merged: bool) {
        let mut state = self.state();
        let merge_sha = merged.then(|| state.fresh_sha());
        let r = state.repo(owner, repo);
        let pull = r
            .pulls
            .iter()
            .find(|p| p.number == number)
            .unwrap_or_else(|| panic!("no pull request #{number}"));
        let (head_ref, base_ref) = (pull.head_ref.clone(), pull.base_ref.clone());
        if let Some(merge_sha) = &merge_sha {
            let head = r.refs[&format!("refs/heads/{head_ref}")].clone();
            let base = r.refs[&format!("refs/heads/{base_ref}")].clone();
            let tree = r.commits[&head].tree.clone();
            r.commits.insert(
                merge_sha.clone(),
                GitCommit {
                    tree,
                    parents: vec![base, head],
                    message: format!("Merge pull request #{number}"),
                    author: Person::human(),
                    committer: Person::web_flow(),
                },
            );
            r.refs
                .insert(format!("refs/heads/{base_ref}"), merge_sha.clone());
        }
        let pull = r
            .pulls
            .iter_mut()
            .find(|p| p.number == number)
            .expect("found above");
        pull.state = "closed".into();
        pull.merged = merged;
        pull.merge_commit_sha = merge_sha;
    }

    /// Presets the files `GET /pulls/{n}/files` lists, as `(filename, status, patch)`, and so the lines
    /// review comments may sit on. The pull request (head `pr-{n}`, base the default branch) is created
    /// if missing.
    pub fn set_pr_files(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        files: &[(&str, &str, Option<&str>)],
    ) {
        let mut state = self.state();
        let default_branch = state.repo(owner, repo).default_branch.clone();
        if !state
            .repo(owner, repo)
            .pulls
            .iter()
            .any(|p| p.number == number)
        {
            let head = format!("pr-{number}");
            state.ensure_branch(owner, repo, &head);
            state.counter = state.counter.max(number);
            state.repo(owner, repo).pulls.push(Pull {
                number,
                state: "open".into(),
                merged: false,
                merge_commit_sha: None,
                head_ref: head,
                base_ref: default_branch,
                title: format!("Pull request #{number}"),
                body: None,
                user: HUMAN_LOGIN.into(),
                files: Vec::new(),
                reviews: Vec::new(),
            });
        }
        let pull = state
            .repo(owner, repo)
            .pulls
            .iter_mut()
            .find(|p| p.number == number)
            .expect("created above");
        pull.files = files
            .iter()
            .map(|(name, status, patch)| PrFile {
                filename: name.to_string(),
                status: status.to_string(),
                patch: patch.map(str::to_string),
            })
            .collect();
    }

    /// The head sha of a pull request (its head branch's current commit).
    pub fn pr_head_sha(&self, owner: &str, repo: &str, number: u64) -> Option<String> {
        let mut state = self.state();
        let r = state.repo(owner, repo);
        let pull = r.pulls.iter().find(|p| p.number == number)?;
        r.refs
            .get(&format!("refs/heads/{}", pull.head_ref))
            .cloned()
    }

    /// Makes `GET /commits/{sha}/check-runs` report one more completed check run (named `ci`) with
    /// `conclusion` on `sha`.
    pub fn set_check_runs(&self, owner: &str, repo: &str, sha: &str, conclusion: &str) {
        let mut state = self.state();
        let id = state.next_id();
        state.repo(owner, repo).check_runs.push(CheckRunState {
            id,
            head_sha: sha.into(),
            name: "ci".into(),
            status: "completed".into(),
            conclusion: Some(conclusion.into()),
            title: None,
            summary: None,
            annotations: Vec::new(),
        });
    }

    /// How long installation tokens minted from now on live (default: one hour).
    pub fn set_token_ttl(&self, ttl: Duration) {
        self.state().token_ttl = ttl;
    }

    /// An outage: while `Some(status)`, every request is answered with that status and an HTML body,
    /// as GitHub's load balancers do (502, 503); `None` ends it.
    pub fn set_outage(&self, status: Option<u16>) {
        self.state().refusals.outage = status.map(|s| (s, None));
    }

    /// An outage that ends by itself: every request is answered with `status` until the fake's clock
    /// reaches `until`.
    pub fn set_outage_until(&self, status: u16, until: SystemTime) {
        self.state().refusals.outage = Some((status, Some(until)));
    }

    /// The next `times` requests to `method path` (e.g. `POST /repos/o/r/pulls/1/reviews`) are refused
    /// with `limit`; other routes are served as usual.
    pub fn rate_limit(&self, method: &str, path: &str, limit: RateLimit, times: usize) {
        let mut state = self.state();
        let queue = state
            .refusals
            .limits
            .entry(format!("{} {path}", method.to_ascii_uppercase()))
            .or_default();
        queue.extend(std::iter::repeat_n(limit, times));
    }

    /// The fake's clock from now on: what its outages, rate-limit resets, token expiry, timestamps and
    /// `Date` headers go by (App JWTs are still checked against the system clock, which signs them).
    pub fn set_clock(&self, now: impl Fn() -> SystemTime + Send + Sync + 'static) {
        self.state().now = Arc::new(now);
    }

    /// The installation tokens minted so far, in order.
    pub fn minted_tokens(&self) -> Vec<String> {
        self.state().minted.clone()
    }

    /// Pull requests of a repository as the API returns them, in creation order.
    pub fn pull_requests(&self, owner: &str, repo: &str) -> Vec<Value> {
        let mut state = self.state();
        let (o, n) = (owner.to_string(), repo.to_string());
        let numbers: Vec<u64> = state
            .repo(owner, repo)
            .pulls
            .iter()
            .map(|p| p.number)
            .collect();
        numbers
            .into_iter()
            .map(|number| state.pull_json(&o, &n, number))
            .collect()
    }

    /// Reviews posted to a pull request (the request bodies), in order.
    pub fn reviews(&self, owner: &str, repo: &str, number: u64) -> Vec<Value> {
        let mut state = self.state();
        let r = state.repo(owner, repo);
        r.pulls
            .iter()
            .find(|p| p.number == number)
            .map(|p| p.reviews.clone())
            .unwrap_or_default()
    }

    /// Check runs created on a repository as the API returns them, with every annotation appended to
    /// them under `output.annotations`.
    pub fn check_runs(&self, owner: &str, repo: &str) -> Vec<Value> {
        let mut state = self.state();
        let (o, n) = (owner.to_string(), repo.to_string());
        let runs = state.repo(owner, repo).check_runs.clone();
        runs.iter()
            .map(|run| {
                let mut value = state.check_run_json(&o, &n, run);
                value["output"]["annotations"] = Value::Array(run.annotations.clone());
                value
            })
            .collect()
    }

    /// Issue comments posted: `(issue_number, body)`.
    pub fn comments(&self, owner: &str, repo: &str) -> Vec<(u64, String)> {
        let mut state = self.state();
        state
            .repo(owner, repo)
            .comments
            .iter()
            .map(|c| (c.issue, c.body.clone()))
            .collect()
    }

    /// Reactions posted: `(comment_id, content)`.
    pub fn reactions(&self, owner: &str, repo: &str) -> Vec<(u64, String)> {
        let mut state = self.state();
        state.repo(owner, repo).reactions.clone()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not hide the state from the assertions that follow.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Someone who authors or commits.
#[derive(Debug, Clone)]
struct Person {
    name: String,
    email: String,
    /// The account linked to the email, if any.
    login: Option<String>,
}

impl Person {
    fn human() -> Person {
        Person {
            name: "The Octocat".into(),
            email: "octocat@github.com".into(),
            login: Some(HUMAN_LOGIN.into()),
        }
    }

    fn bot(login: &str) -> Person {
        Person {
            name: login.into(),
            email: format!("41898282+{login}@users.noreply.github.com"),
            login: Some(login.into()),
        }
    }

    fn web_flow() -> Person {
        Person {
            name: "GitHub".into(),
            email: "noreply@github.com".into(),
            login: Some("web-flow".into()),
        }
    }
}

#[derive(Debug, Clone)]
struct GitCommit {
    tree: String,
    parents: Vec<String>,
    message: String,
    author: Person,
    committer: Person,
}

#[derive(Debug, Clone)]
struct PrFile {
    filename: String,
    status: String,
    patch: Option<String>,
}

#[derive(Debug, Clone)]
struct Pull {
    number: u64,
    state: String,
    merged: bool,
    merge_commit_sha: Option<String>,
    head_ref: String,
    base_ref: String,
    title: String,
    body: Option<String>,
    user: String,
    files: Vec<PrFile>,
    reviews: Vec<Value>,
}

#[derive(Debug, Clone)]
struct CheckRunState {
    id: u64,
    head_sha: String,
    name: String,
    status: String,
    conclusion: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    annotations: Vec<Value>,
}

#[derive(Debug, Clone)]
struct IssueComment {
    issue: u64,
    body: String,
}

#[derive(Debug)]
struct Repo {
    id: u64,
    default_branch: String,
    /// `refs/heads/main` → commit sha.
    refs: BTreeMap<String, String>,
    blobs: HashMap<String, String>,
    /// Trees are flat here: path → blob sha.
    trees: HashMap<String, BTreeMap<String, String>>,
    commits: HashMap<String, GitCommit>,
    pulls: Vec<Pull>,
    check_runs: Vec<CheckRunState>,
    comments: Vec<IssueComment>,
    reactions: Vec<(u64, String)>,
}

impl Repo {
    /// A commit sha for a branch name, `heads/x`, `refs/heads/x`, or a known commit sha.
    fn resolve(&self, git_ref: &str) -> Option<String> {
        let name = git_ref
            .trim_start_matches("refs/")
            .trim_start_matches("heads/");
        self.refs
            .get(&format!("refs/heads/{name}"))
            .cloned()
            .or_else(|| {
                self.commits
                    .contains_key(git_ref)
                    .then(|| git_ref.to_string())
            })
    }

    fn file_in(&self, commit: &str, path: &str) -> Option<String> {
        let tree = &self.trees[&self.commits.get(commit)?.tree];
        self.blobs.get(tree.get(path)?).cloned()
    }

    /// Whether `ancestor` is `sha` or one of its ancestors.
    fn descends_from(&self, sha: &str, ancestor: &str) -> bool {
        let mut todo = vec![sha.to_string()];
        let mut seen = std::collections::HashSet::new();
        while let Some(s) = todo.pop() {
            if s == ancestor {
                return true;
            }
            if seen.insert(s.clone())
                && let Some(c) = self.commits.get(&s)
            {
                todo.extend(c.parents.iter().cloned());
            }
        }
        false
    }
}

/// Who a request is authenticated as.
#[derive(Debug, Clone, PartialEq)]
enum Identity {
    App,
    Installation,
    Token,
}

impl Identity {
    fn login(&self) -> &'static str {
        match self {
            Identity::Token => TOKEN_BOT_LOGIN,
            Identity::App | Identity::Installation => APP_BOT_LOGIN,
        }
    }
}

struct State {
    repos: BTreeMap<(String, String), Repo>,
    counter: u64,
    requests: Vec<Recorded>,
    token_ttl: Duration,
    /// Installation token → expiry.
    tokens: HashMap<String, SystemTime>,
    minted: Vec<String>,
    /// Outages and rate limits; refused requests are recorded as usual.
    refusals: Refusals,
    now: Now,
}

type Reply = (u16, Value);

fn not_found() -> Reply {
    (
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

fn unprocessable(message: &str) -> Reply {
    (
        422,
        json!({"message": message, "errors": [message], "documentation_url": "https://docs.github.com/rest", "status": "422"}),
    )
}

fn unauthorized(message: &str) -> Reply {
    (
        401,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "401"}),
    )
}

/// GitHub's limit on a pull request or comment body and on a check run's summary, in characters.
const MAX_TEXT: usize = 65_536;

/// The first text field of a request body that exceeds GitHub's limit.
fn too_long(body: &Value) -> Option<&'static str> {
    let long = |v: &Value| v.as_str().is_some_and(|s| s.chars().count() > MAX_TEXT);
    if long(&body["body"]) {
        return Some("body");
    }
    if long(&body["output"]["summary"]) {
        return Some("output.summary");
    }
    if body["comments"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| long(&c["body"])))
    {
        return Some("comments.body");
    }
    None
}

/// Deep-merges `patch` into `base`: objects merge key by key, anything else replaces.
fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

/// The documented example for an operation, patched; `patch` alone when there is no example.
fn shaped(method: &str, path: &str, status: u16, patch: Value) -> Value {
    let mut base = openapi::example_response(method, path, status).unwrap_or_else(|| json!({}));
    if base.is_array() {
        base = base
            .as_array()
            .and_then(|a| a.first().cloned())
            .unwrap_or_else(|| json!({}));
    }
    merge(&mut base, patch);
    base
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a time (`watch::time::format`, the project's one civil-date conversion).
fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    watch::time::format(secs as i64)
}

/// Whether a bearer credential is an App JWT as GitHub accepts it: RS256, an issuer, issued no later
/// than now (with a minute of clock drift), expiring in the future and at most 10 minutes after issue.
/// The signature is not checked: the fake does not know the App's key.
fn valid_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |part: &str| -> Option<Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let (Some(header), Some(claims)) = (
        parts.first().and_then(|p| decode(p)),
        parts.get(1).and_then(|p| decode(p)),
    ) else {
        return false;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (Some(iat), Some(exp)) = (claims["iat"].as_u64(), claims["exp"].as_u64()) else {
        return false;
    };
    parts.len() == 3
        && header["alg"] == "RS256"
        && !claims["iss"].is_null()
        && iat <= now + 60
        && exp > now
        && exp.saturating_sub(iat) <= 600
}

/// Line numbers of the new side of each hunk of a unified-diff `patch` (added and context lines).
/// Written independently of the `github` crate's own reading, so that the fake is a real check.
fn right_side_hunks(patch: &str) -> Vec<Vec<u32>> {
    let mut hunks: Vec<Vec<u32>> = Vec::new();
    let mut line = 0u32;
    for text in patch.lines() {
        if text.starts_with("@@") {
            let start = text
                .split(' ')
                .find_map(|w| w.strip_prefix('+'))
                .and_then(|w| w.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            line = start;
            hunks.push(Vec::new());
        } else if let Some(hunk) = hunks.last_mut() {
            if text.starts_with('-') || text.starts_with('\\') {
                continue;
            }
            hunk.push(line);
            line += 1;
        }
    }
    hunks
}

impl State {
    fn new() -> State {
        State {
            repos: BTreeMap::new(),
            counter: 0,
            requests: Vec::new(),
            token_ttl: Duration::from_secs(3600),
            tokens: HashMap::new(),
            minted: Vec::new(),
            refusals: Refusals::default(),
            now: Arc::new(SystemTime::now),
        }
    }

    fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn fresh_sha(&mut self) -> String {
        let n = self.next_id();
        hex::encode(Sha256::digest(format!("fakehub object {n}")))[..40].to_string()
    }

    /// The repository, created with one human commit on `main` if it does not exist yet.
    fn repo(&mut self, owner: &str, name: &str) -> &mut Repo {
        let key = (owner.to_string(), name.to_string());
        if !self.repos.contains_key(&key) {
            let id = self.next_id();
            let blob = self.fresh_sha();
            let tree = self.fresh_sha();
            let commit = self.fresh_sha();
            let mut repo = Repo {
                id,
                default_branch: "main".into(),
                refs: BTreeMap::new(),
                blobs: HashMap::new(),
                trees: HashMap::new(),
                commits: HashMap::new(),
                pulls: Vec::new(),
                check_runs: Vec::new(),
                comments: Vec::new(),
                reactions: Vec::new(),
            };
            repo.blobs.insert(blob.clone(), format!("# {name}\n"));
            repo.trees.insert(
                tree.clone(),
                BTreeMap::from([("README.md".to_string(), blob)]),
            );
            repo.commits.insert(
                commit.clone(),
                GitCommit {
                    tree,
                    parents: Vec::new(),
                    message: "Initial commit".into(),
                    author: Person::human(),
                    committer: Person::human(),
                },
            );
            repo.refs.insert("refs/heads/main".into(), commit);
            self.repos.insert(key.clone(), repo);
        }
        self.repos.get_mut(&key).expect("inserted above")
    }

    fn ensure_branch(&mut self, owner: &str, repo: &str, branch: &str) -> String {
        let r = self.repo(owner, repo);
        let head = r.refs[&format!("refs/heads/{}", r.default_branch)].clone();
        r.refs
            .entry(format!("refs/heads/{branch}"))
            .or_insert(head)
            .clone()
    }

    fn commit_as_human(
        &mut self,
        owner: &str,
        repo: &str,
        branch: &str,
        changes: &[(&str, Option<&str>)],
        message: &str,
    ) -> String {
        let parent = self.ensure_branch(owner, repo, branch);
        let mut blob_shas = Vec::new();
        for (_, text) in changes {
            blob_shas.push(text.map(|_| self.fresh_sha()));
        }
        let (tree_sha, commit_sha) = (self.fresh_sha(), self.fresh_sha());
        let r = self.repo(owner, repo);
        let mut tree = r.trees[&r.commits[&parent].tree].clone();
        for ((path, text), blob) in changes.iter().zip(blob_shas) {
            match (text, blob) {
                (Some(text), Some(blob)) => {
                    r.blobs.insert(blob.clone(), text.to_string());
                    tree.insert(path.to_string(), blob);
                }
                _ => {
                    tree.remove(*path);
                }
            }
        }
        r.trees.insert(tree_sha.clone(), tree);
        r.commits.insert(
            commit_sha.clone(),
            GitCommit {
                tree: tree_sha,
                parents: vec![parent],
                message: message.into(),
                author: Person::human(),
                committer: Person::human(),
            },
        );
        r.refs
            .insert(format!("refs/heads/{branch}"), commit_sha.clone());
        commit_sha
    }

    fn authenticate(&mut self, request: &Request, path: &str) -> Result<Identity, Reply> {
        let header = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let Some(header) = header else {
            return Err(unauthorized("Requires authentication"));
        };
        let credential = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("token "))
            .ok_or_else(|| unauthorized("Bad credentials"))?
            .trim();
        let is_jwt = credential.split('.').count() == 3;
        if path.starts_with("/app/") || path == "/app" {
            return if is_jwt && valid_jwt(credential) {
                Ok(Identity::App)
            } else {
                Err(unauthorized("A JSON web token could not be decoded"))
            };
        }
        if is_jwt {
            return Err(unauthorized(
                "'Authorization' header is using a JWT, which is only valid for GitHub App endpoints",
            ));
        }
        if credential.starts_with("ghs_") {
            return match self.tokens.get(credential) {
                Some(expiry) if *expiry > (self.now)() => Ok(Identity::Installation),
                _ => Err(unauthorized("Bad credentials")),
            };
        }
        if credential.is_empty() {
            Err(unauthorized("Bad credentials"))
        } else {
            Ok(Identity::Token)
        }
    }

    fn handle(&mut self, request: &Request) -> ResponseTemplate {
        // One reading of the clock per request, so a rate limit's reset and the `Date` agree to the second.
        let now = (self.now)();
        self.answer(request, now)
            .insert_header("date", httpdate::fmt_http_date(now).as_str())
    }

    /// The refusal due for `METHOD path` now, if any: the outage first, then the route's rate limits.
    fn refusal(&mut self, method: &str, path: &str, now: SystemTime) -> Option<ResponseTemplate> {
        if let Some((status, until)) = self.refusals.outage {
            if until.is_none_or(|until| now < until) {
                return Some(
                    ResponseTemplate::new(status)
                        .set_body_string("<html><body><h1>502 Bad Gateway</h1></body></html>"),
                );
            }
            self.refusals.outage = None;
        }
        let limit = self
            .refusals
            .limits
            .get_mut(&format!("{method} {path}"))?
            .pop_front()?;
        let unix = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let secondary = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.";
        let body = |message: &str| json!({"message": message, "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"});
        Some(match limit {
            RateLimit::RetryAfter { status, seconds } => ResponseTemplate::new(status)
                .insert_header("retry-after", seconds.to_string().as_str())
                .set_body_json(body(secondary)),
            RateLimit::RetryAt { after } => ResponseTemplate::new(429)
                .insert_header("retry-after", httpdate::fmt_http_date(now + after).as_str())
                .set_body_json(body(secondary)),
            RateLimit::Exhausted { after } => ResponseTemplate::new(403)
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-used", "5000")
                .insert_header("x-ratelimit-reset", unix(now + after).to_string().as_str())
                .set_body_json(body("API rate limit exceeded for installation ID 1.")),
            RateLimit::Secondary => ResponseTemplate::new(403).set_body_json(body(secondary)),
        })
    }

    fn answer(&mut self, request: &Request, now: SystemTime) -> ResponseTemplate {
        let method = request.method.as_str().to_ascii_uppercase();
        let path = openapi::percent_decode(request.url.path(), false);
        let query = request.url.query().unwrap_or("").to_string();
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (body, body_error) = if request.body.is_empty() {
            (None, None)
        } else {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(v) => (Some(v), None),
                Err(e) => (None, Some(format!("the body is not JSON: {e}"))),
            }
        };
        let invalid = body_error.clone().or_else(|| {
            let target = if query.is_empty() {
                path.clone()
            } else {
                format!("{path}?{query}")
            };
            openapi::check(&method, &target, body.as_ref()).err()
        });
        self.requests.push(Recorded {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            body: body.clone(),
            authorization,
            invalid,
        });
        if let Some(refused) = self.refusal(&method, &path, now) {
            return refused;
        }
        let (status, value) = if body_error.is_some() {
            (
                400,
                json!({"message": "Problems parsing JSON", "status": "400"}),
            )
        } else {
            match self.authenticate(request, &path) {
                Err(reply) => reply,
                Ok(identity) => {
                    let query: HashMap<String, String> = request
                        .url
                        .query_pairs()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    let body = body.unwrap_or(Value::Null);
                    self.route(&method, &path, &query, &body, &identity)
                }
            }
        };
        // The fake checks its own answers too: a shape GitHub does not document would make tests
        // pass against a GitHub that does not exist. Errors (4xx) are GitHub's generic shapes.
        if (200..300).contains(&status)
            && let Err(why) = openapi::check_response(&method, &path, status, &value)
        {
            let recorded = self.requests.last_mut().expect("pushed above");
            let previous = recorded.invalid.take();
            recorded.invalid = Some(match previous {
                Some(p) => format!("{p}; fake's own response: {why}"),
                None => format!("fake's own response: {why}"),
            });
        }
        ResponseTemplate::new(status).set_body_json(value)
    }

    fn route(
        &mut self,
        method: &str,
        path: &str,
        query: &HashMap<String, String>,
        body: &Value,
        who: &Identity,
    ) -> Reply {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method, segments.as_slice()) {
            ("POST", ["app", "installations", id, "access_tokens"]) => {
                self.mint_token(method, path, id)
            }
            ("GET", ["repos", owner, repo, rest @ ..]) if *who != Identity::App => {
                self.get_repo_route(method, path, owner, repo, rest, query)
            }
            (_, ["repos", owner, repo, rest @ ..]) if *who != Identity::App => {
                self.write_repo_route(method, path, owner, repo, rest, body, who)
            }
            _ => not_found(),
        }
    }

    fn mint_token(&mut self, method: &str, path: &str, id: &str) -> Reply {
        if id.parse::<u64>().is_err() {
            return not_found();
        }
        let n = self.next_id();
        let token = format!("ghs_fake{n:0>28}");
        let expires = (self.now)() + self.token_ttl;
        self.tokens.insert(token.clone(), expires);
        self.minted.push(token.clone());
        let value = shaped(
            method,
            path,
            201,
            json!({"token": token, "expires_at": rfc3339(expires), "repository_selection": "all"}),
        );
        (201, value)
    }

    fn get_repo_route(
        &mut self,
        method: &str,
        path: &str,
        owner: &str,
        repo: &str,
        rest: &[&str],
        query: &HashMap<String, String>,
    ) -> Reply {
        let (o, n) = (owner.to_string(), repo.to_string());
        let page = |items: Vec<Value>| -> Value {
            let per_page = query
                .get("per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(30usize)
                .clamp(1, 100);
            let page = query
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1usize)
                .max(1);
            Value::Array(
                items
                    .into_iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .collect(),
            )
        };
        match rest {
            [] => {
                let r = self.repo(owner, repo);
                let (id, default_branch) = (r.id, r.default_branch.clone());
                let value = shaped(
                    method,
                    path,
                    200,
                    json!({
                        "id": id, "name": repo, "full_name": format!("{owner}/{repo}"),
                        "owner": {"login": owner}, "default_branch": default_branch,
                        "html_url": format!("https://github.com/{owner}/{repo}"),
                        "language": "Rust", "fork": false,
                    }),
                );
                // Not a fork: no parent or source repository (the example has both).
                let mut value = value;
                if let Some(obj) = value.as_object_mut() {
                    obj.remove("parent");
                    obj.remove("source");
                }
                (200, value)
            }
            ["branches", branch @ ..] => {
                let branch = branch.join("/");
                let Some(sha) = self
                    .repo(owner, repo)
                    .refs
                    .get(&format!("refs/heads/{branch}"))
                    .cloned()
                else {
                    return (404, json!({"message": "Branch not found", "status": "404"}));
                };
                let commit = self.commit_json(&o, &n, &sha);
                (
                    200,
                    shaped(
                        method,
                        path,
                        200,
                        json!({"name": branch, "commit": commit, "protected": false}),
                    ),
                )
            }
            ["commits", git_ref, "check-runs"] => {
                let r = self.repo(owner, repo);
                let Some(sha) = r.resolve(git_ref) else {
                    return unprocessable("No commit found for SHA");
                };
                let runs: Vec<CheckRunState> = r
                    .check_runs
                    .iter()
                    .filter(|c| c.head_sha == sha)
                    .cloned()
                    .collect();
                let runs: Vec<Value> = runs
                    .iter()
                    .map(|c| self.check_run_json(&o, &n, c))
                    .collect();
                (
                    200,
                    json!({"total_count": runs.len(), "check_runs": page(runs)}),
                )
            }
            ["commits", git_ref] => {
                let Some(sha) = self.repo(owner, repo).resolve(git_ref) else {
                    return unprocessable(&format!("No commit found for SHA: {git_ref}"));
                };
                (200, self.commit_json(&o, &n, &sha))
            }
            ["git", "ref", git_ref @ ..] => {
                let full = format!("refs/{}", git_ref.join("/"));
                match self.repo(owner, repo).refs.get(&full).cloned() {
                    Some(sha) => (200, self.ref_json(method, path, &o, &n, &full, &sha, 200)),
                    None => not_found(),
                }
            }
            ["git", "commits", sha] => {
                if !self.repo(owner, repo).commits.contains_key(*sha) {
                    return not_found();
                }
                (200, self.git_commit_json(method, path, &o, &n, sha, 200))
            }
            ["contents", file @ ..] => {
                let file = file.join("/");
                let r = self.repo(owner, repo);
                let git_ref = query
                    .get("ref")
                    .cloned()
                    .unwrap_or_else(|| r.default_branch.clone());
                let Some(sha) = r.resolve(&git_ref) else {
                    return not_found();
                };
                let tree = &r.trees[&r.commits[&sha].tree];
                let Some(blob) = tree.get(&file).cloned() else {
                    return not_found();
                };
                let text = r.blobs[&blob].clone();
                let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                // GitHub wraps the base64 at 60 columns.
                let wrapped: Vec<String> = encoded
                    .as_bytes()
                    .chunks(60)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                let name = file.rsplit('/').next().unwrap_or(&file).to_string();
                let value = shaped(
                    method,
                    path,
                    200,
                    json!({
                        "type": "file", "encoding": "base64", "size": text.len(), "name": name, "path": file,
                        "content": wrapped.join("\n") + "\n", "sha": blob,
                    }),
                );
                (200, value)
            }
            ["pulls"] => {
                let r = self.repo(owner, repo);
                let state = query.get("state").cloned().unwrap_or_else(|| "open".into());
                let head = query.get("head").cloned();
                let base = query.get("base").cloned();
                let numbers: Vec<u64> = r
                    .pulls
                    .iter()
                    .filter(|p| state == "all" || p.state == state)
                    .filter(|p| {
                        head.as_ref()
                            .is_none_or(|h| *h == format!("{owner}:{}", p.head_ref))
                    })
                    .filter(|p| base.as_ref().is_none_or(|b| *b == p.base_ref))
                    .map(|p| p.number)
                    .collect();
                let pulls: Vec<Value> = numbers
                    .into_iter()
                    .map(|number| self.pull_json(&o, &n, number))
                    .collect();
                (200, page(pulls))
            }
            ["pulls", number] => match number.parse::<u64>() {
                Ok(number)
                    if self
                        .repo(owner, repo)
                        .pulls
                        .iter()
                        .any(|p| p.number == number) =>
                {
                    (200, self.pull_json(&o, &n, number))
                }
                _ => not_found(),
            },
            ["pulls", number, "files"] => {
                let Ok(number) = number.parse::<u64>() else {
                    return not_found();
                };
                let r = self.repo(owner, repo);
                let Some(pull) = r.pulls.iter().find(|p| p.number == number) else {
                    return not_found();
                };
                let files: Vec<Value> = pull
                    .files
                    .iter()
                    .map(|f| {
                        let (additions, deletions) = f.patch.as_deref().map_or((0, 0), |p| {
                            let lines = || p.lines().filter(|l| !l.starts_with("@@"));
                            (lines().filter(|l| l.starts_with('+')).count(), lines().filter(|l| l.starts_with('-')).count())
                        });
                        let mut v = json!({
                            "sha": hex::encode(Sha256::digest(&f.filename))[..40].to_string(),
                            "filename": f.filename, "status": f.status,
                            "additions": additions, "deletions": deletions, "changes": additions + deletions,
                            "blob_url": format!("https://github.com/{owner}/{repo}/blob/HEAD/{}", f.filename),
                            "raw_url": format!("https://github.com/{owner}/{repo}/raw/HEAD/{}", f.filename),
                            "contents_url": format!("https://api.github.com/repos/{owner}/{repo}/contents/{}", f.filename),
                        });
                        if let Some(p) = &f.patch {
                            v["patch"] = json!(p);
                        }
                        v
                    })
                    .collect();
                (200, page(files))
            }
            _ => not_found(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn write_repo_route(
        &mut self,
        method: &str,
        path: &str,
        owner: &str,
        repo: &str,
        rest: &[&str],
        body: &Value,
        who: &Identity,
    ) -> Reply {
        let (o, n) = (owner.to_string(), repo.to_string());
        let str_field = |name: &str| body[name].as_str().map(str::to_string);
        if let Some(field) = too_long(body) {
            return unprocessable(&format!(
                "{field} is too long (maximum is {MAX_TEXT} characters)"
            ));
        }
        match (method, rest) {
            ("POST", ["git", "blobs"]) => {
                let Some(content) = str_field("content") else {
                    return unprocessable("content is missing");
                };
                let text = if body["encoding"] == "base64" {
                    match base64::engine::general_purpose::STANDARD
                        .decode(content.replace('\n', ""))
                    {
                        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                        Err(_) => return unprocessable("content is not valid base64"),
                    }
                } else {
                    content
                };
                let sha = self.fresh_sha();
                self.repo(owner, repo).blobs.insert(sha.clone(), text);
                let url = format!("https://api.github.com/repos/{owner}/{repo}/git/blobs/{sha}");
                (201, json!({"sha": sha, "url": url}))
            }
            ("POST", ["git", "trees"]) => {
                let Some(entries) = body["tree"].as_array().cloned() else {
                    return unprocessable("tree is missing");
                };
                let mut tree = match body["base_tree"].as_str() {
                    None => BTreeMap::new(),
                    Some(base) => match self.repo(owner, repo).trees.get(base) {
                        Some(t) => t.clone(),
                        None => return unprocessable("base_tree is not a valid tree oid"),
                    },
                };
                for entry in &entries {
                    let Some(p) = entry["path"].as_str() else {
                        return unprocessable("tree.path is missing");
                    };
                    if let Some(content) = entry["content"].as_str() {
                        let sha = self.fresh_sha();
                        self.repo(owner, repo)
                            .blobs
                            .insert(sha.clone(), content.to_string());
                        tree.insert(p.to_string(), sha);
                    } else if let Some(sha) = entry["sha"].as_str() {
                        if !self.repo(owner, repo).blobs.contains_key(sha) {
                            return unprocessable(&format!("tree.sha {sha} is not a valid blob"));
                        }
                        tree.insert(p.to_string(), sha.to_string());
                    } else if entry["sha"].is_null() && entry.get("sha").is_some() {
                        tree.remove(p);
                    } else {
                        return unprocessable("tree entries need a sha or content");
                    }
                }
                let sha = self.fresh_sha();
                let listing: Vec<Value> = tree
                    .iter()
                    .map(|(p, blob)| json!({"path": p, "mode": "100644", "type": "blob", "sha": blob}))
                    .collect();
                self.repo(owner, repo).trees.insert(sha.clone(), tree);
                let url = format!("https://api.github.com/repos/{owner}/{repo}/git/trees/{sha}");
                (
                    201,
                    json!({"sha": sha, "url": url, "tree": listing, "truncated": false}),
                )
            }
            ("POST", ["git", "commits"]) => {
                let (Some(message), Some(tree)) = (str_field("message"), str_field("tree")) else {
                    return unprocessable("message and tree are required");
                };
                let parents: Vec<String> = body["parents"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect();
                let sha = self.fresh_sha();
                let r = self.repo(owner, repo);
                if !r.trees.contains_key(&tree) {
                    return unprocessable("tree is not a valid tree oid");
                }
                if let Some(p) = parents.iter().find(|p| !r.commits.contains_key(*p)) {
                    return unprocessable(&format!("parent {p} is not a valid commit"));
                }
                let author = Person::bot(who.login());
                r.commits.insert(
                    sha.clone(),
                    GitCommit {
                        tree,
                        parents,
                        message,
                        author: author.clone(),
                        committer: author,
                    },
                );
                (201, self.git_commit_json(method, path, &o, &n, &sha, 201))
            }
            ("POST", ["git", "refs"]) => {
                let (Some(full), Some(sha)) = (str_field("ref"), str_field("sha")) else {
                    return unprocessable("ref and sha are required");
                };
                if !full.starts_with("refs/") || full.matches('/').count() < 2 {
                    return unprocessable("Reference name is invalid");
                }
                let r = self.repo(owner, repo);
                if r.refs.contains_key(&full) {
                    return unprocessable("Reference already exists");
                }
                if !r.commits.contains_key(&sha) {
                    return unprocessable("Object does not exist");
                }
                r.refs.insert(full.clone(), sha.clone());
                (201, self.ref_json(method, path, &o, &n, &full, &sha, 201))
            }
            ("PATCH", ["git", "refs", git_ref @ ..]) => {
                let full = format!("refs/{}", git_ref.join("/"));
                let Some(sha) = str_field("sha") else {
                    return unprocessable("sha is required");
                };
                let force = body["force"].as_bool().unwrap_or(false);
                let r = self.repo(owner, repo);
                let Some(current) = r.refs.get(&full).cloned() else {
                    return unprocessable("Reference does not exist");
                };
                if !r.commits.contains_key(&sha) {
                    return unprocessable("Object does not exist");
                }
                if !force && !r.descends_from(&sha, &current) {
                    return unprocessable("Update is not a fast forward");
                }
                r.refs.insert(full.clone(), sha.clone());
                (200, self.ref_json(method, path, &o, &n, &full, &sha, 200))
            }
            ("POST", ["pulls"]) => {
                let (Some(head), Some(base)) = (str_field("head"), str_field("base")) else {
                    return unprocessable("head and base are required");
                };
                let head = head
                    .strip_prefix(&format!("{owner}:"))
                    .unwrap_or(&head)
                    .to_string();
                // Create the repository first: that takes ids too, and numbers must stay unique.
                self.repo(owner, repo);
                let number = self.next_id();
                let r = self.repo(owner, repo);
                for branch in [&head, &base] {
                    if !r.refs.contains_key(&format!("refs/heads/{branch}")) {
                        return unprocessable(&format!(
                            "Validation Failed: branch {branch} does not exist"
                        ));
                    }
                }
                if r.pulls
                    .iter()
                    .any(|p| p.state == "open" && p.head_ref == head && p.base_ref == base)
                {
                    return unprocessable(&format!(
                        "A pull request already exists for {owner}:{head}."
                    ));
                }
                if r.refs[&format!("refs/heads/{head}")] == r.refs[&format!("refs/heads/{base}")] {
                    return unprocessable(&format!("No commits between {base} and {head}"));
                }
                r.pulls.push(Pull {
                    number,
                    state: "open".into(),
                    merged: false,
                    merge_commit_sha: None,
                    head_ref: head,
                    base_ref: base,
                    title: str_field("title").unwrap_or_default(),
                    body: str_field("body"),
                    user: who.login().into(),
                    files: Vec::new(),
                    reviews: Vec::new(),
                });
                (201, self.pull_json(&o, &n, number))
            }
            ("PATCH", ["pulls", number]) => {
                let Ok(number) = number.parse::<u64>() else {
                    return not_found();
                };
                let r = self.repo(owner, repo);
                let Some(pull) = r.pulls.iter_mut().find(|p| p.number == number) else {
                    return not_found();
                };
                if let Some(title) = str_field("title") {
                    pull.title = title;
                }
                if let Some(body) = str_field("body") {
                    pull.body = Some(body);
                }
                if let Some(state) = str_field("state") {
                    pull.state = state;
                }
                (200, self.pull_json(&o, &n, number))
            }
            ("POST", ["pulls", number, "reviews"]) => {
                let Ok(number) = number.parse::<u64>() else {
                    return not_found();
                };
                let id = self.next_id();
                let r = self.repo(owner, repo);
                if let Some(commit) = body["commit_id"].as_str()
                    && !r.commits.contains_key(commit)
                {
                    return unprocessable("commit_id is not part of the pull request");
                }
                let Some(pull) = r.pulls.iter_mut().find(|p| p.number == number) else {
                    return not_found();
                };
                for comment in body["comments"].as_array().into_iter().flatten() {
                    let file = pull
                        .files
                        .iter()
                        .find(|f| comment["path"].as_str() == Some(f.filename.as_str()));
                    let Some(file) = file else {
                        return unprocessable("Path could not be resolved");
                    };
                    let line = comment["line"].as_u64().unwrap_or(0) as u32;
                    let start = comment["start_line"].as_u64().map_or(line, |s| s as u32);
                    let right = comment["side"].as_str().unwrap_or("RIGHT") == "RIGHT"
                        && comment["start_side"].as_str().unwrap_or("RIGHT") == "RIGHT";
                    let hunks = right_side_hunks(file.patch.as_deref().unwrap_or(""));
                    let in_diff = hunks
                        .iter()
                        .any(|h| h.contains(&start) && h.contains(&line));
                    if !right || start > line || !in_diff {
                        return unprocessable(
                            "Pull request review thread line must be part of the diff",
                        );
                    }
                }
                pull.reviews.push(body.clone());
                let value = shaped(
                    method,
                    path,
                    200,
                    json!({
                        "id": id, "body": body["body"].as_str().unwrap_or(""),
                        "state": if body["event"].is_null() { "PENDING" } else { "COMMENTED" },
                        "commit_id": body["commit_id"], "user": {"login": who.login(), "type": "Bot"},
                        "html_url": format!("https://github.com/{owner}/{repo}/pull/{number}#pullrequestreview-{id}"),
                    }),
                );
                (200, value)
            }
            ("POST", ["check-runs"]) => {
                let annotations = body["output"]["annotations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if annotations.len() > 50 {
                    return unprocessable("Only 50 annotations are allowed per request");
                }
                let (Some(name), Some(head_sha)) = (str_field("name"), str_field("head_sha"))
                else {
                    return unprocessable("name and head_sha are required");
                };
                let id = self.next_id();
                let conclusion = str_field("conclusion");
                let status = if conclusion.is_some() {
                    "completed".into()
                } else {
                    str_field("status").unwrap_or("queued".into())
                };
                let run = CheckRunState {
                    id,
                    head_sha,
                    name,
                    status,
                    conclusion,
                    title: body["output"]["title"].as_str().map(str::to_string),
                    summary: body["output"]["summary"].as_str().map(str::to_string),
                    annotations,
                };
                let value = self.check_run_json(&o, &n, &run);
                self.repo(owner, repo).check_runs.push(run);
                (201, value)
            }
            ("PATCH", ["check-runs", id]) => {
                let Ok(id) = id.parse::<u64>() else {
                    return not_found();
                };
                let annotations = body["output"]["annotations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if annotations.len() > 50 {
                    return unprocessable("Only 50 annotations are allowed per request");
                }
                let r = self.repo(owner, repo);
                let Some(run) = r.check_runs.iter_mut().find(|c| c.id == id) else {
                    return not_found();
                };
                run.annotations.extend(annotations);
                if let Some(title) = body["output"]["title"].as_str() {
                    run.title = Some(title.into());
                }
                if let Some(summary) = body["output"]["summary"].as_str() {
                    run.summary = Some(summary.into());
                }
                if let Some(conclusion) = str_field("conclusion") {
                    run.conclusion = Some(conclusion);
                    run.status = "completed".into();
                } else if let Some(status) = str_field("status") {
                    run.status = status;
                }
                let run = run.clone();
                (200, self.check_run_json(&o, &n, &run))
            }
            ("POST", ["issues", "comments", comment_id, "reactions"]) => {
                let Ok(comment_id) = comment_id.parse::<u64>() else {
                    return not_found();
                };
                let Some(content) = str_field("content") else {
                    return unprocessable("content is required");
                };
                let id = self.next_id();
                self.repo(owner, repo)
                    .reactions
                    .push((comment_id, content.clone()));
                let value = shaped(
                    method,
                    path,
                    201,
                    json!({"id": id, "content": content, "user": {"login": who.login(), "type": "Bot"}}),
                );
                (201, value)
            }
            ("POST", ["issues", number, "comments"]) => {
                let Ok(issue) = number.parse::<u64>() else {
                    return not_found();
                };
                let Some(text) = str_field("body") else {
                    return unprocessable("body is required");
                };
                let id = self.next_id();
                self.repo(owner, repo).comments.push(IssueComment {
                    issue,
                    body: text.clone(),
                });
                let value = shaped(
                    method,
                    path,
                    201,
                    json!({
                        "id": id, "body": text, "user": {"login": who.login(), "type": "Bot"},
                        "html_url": format!("https://github.com/{owner}/{repo}/issues/{issue}#issuecomment-{id}"),
                        "issue_url": format!("https://api.github.com/repos/{owner}/{repo}/issues/{issue}"),
                    }),
                );
                (201, value)
            }
            _ => not_found(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ref_json(
        &self,
        method: &str,
        path: &str,
        owner: &str,
        repo: &str,
        full: &str,
        sha: &str,
        status: u16,
    ) -> Value {
        shaped(
            method,
            path,
            status,
            json!({
                "ref": full,
                "url": format!("https://api.github.com/repos/{owner}/{repo}/git/{full}"),
                "object": {"type": "commit", "sha": sha,
                           "url": format!("https://api.github.com/repos/{owner}/{repo}/git/commits/{sha}")},
            }),
        )
    }

    fn git_commit_json(
        &mut self,
        method: &str,
        path: &str,
        owner: &str,
        repo: &str,
        sha: &str,
        status: u16,
    ) -> Value {
        let c = self.repo(owner, repo).commits[sha].clone();
        let now = rfc3339((self.now)());
        let person = |p: &Person| json!({"name": p.name, "email": p.email, "date": now});
        let parents: Vec<Value> = c
            .parents
            .iter()
            .map(|p| json!({"sha": p, "url": format!("https://api.github.com/repos/{owner}/{repo}/git/commits/{p}"),
                            "html_url": format!("https://github.com/{owner}/{repo}/commit/{p}")}))
            .collect();
        shaped(
            method,
            path,
            status,
            json!({
                "sha": sha,
                "url": format!("https://api.github.com/repos/{owner}/{repo}/git/commits/{sha}"),
                "html_url": format!("https://github.com/{owner}/{repo}/commit/{sha}"),
                "author": person(&c.author), "committer": person(&c.committer), "message": c.message,
                "tree": {"sha": c.tree, "url": format!("https://api.github.com/repos/{owner}/{repo}/git/trees/{}", c.tree)},
                "parents": parents,
            }),
        )
    }

    /// A commit as `GET /repos/{owner}/{repo}/commits/{ref}` returns it.
    fn commit_json(&mut self, owner: &str, repo: &str, sha: &str) -> Value {
        let c = self.repo(owner, repo).commits[sha].clone();
        let now = rfc3339((self.now)());
        let person = |p: &Person| json!({"name": p.name, "email": p.email, "date": now});
        let account = |p: &Person| match &p.login {
            Some(login) => {
                json!({"login": login, "type": if login.ends_with("[bot]") { "Bot" } else { "User" }})
            }
            None => Value::Null,
        };
        let mut value = shaped(
            "GET",
            "/repos/o/r/commits/x",
            200,
            json!({
                "sha": sha,
                "url": format!("https://api.github.com/repos/{owner}/{repo}/commits/{sha}"),
                "html_url": format!("https://github.com/{owner}/{repo}/commit/{sha}"),
                "commit": {
                    "author": person(&c.author), "committer": person(&c.committer), "message": c.message,
                    "tree": {"sha": c.tree, "url": format!("https://api.github.com/repos/{owner}/{repo}/git/trees/{}", c.tree)},
                },
                "parents": c.parents.iter().map(|p| json!({"sha": p, "url": format!("https://api.github.com/repos/{owner}/{repo}/commits/{p}")})).collect::<Vec<_>>(),
            }),
        );
        // Accounts replace the example's wholesale: a commit by an unlinked email has `null` here.
        value["author"] = account(&c.author);
        value["committer"] = account(&c.committer);
        if let Some(obj) = value.as_object_mut() {
            obj.remove("files");
            obj.remove("stats");
        }
        value
    }

    fn pull_json(&mut self, owner: &str, repo: &str, number: u64) -> Value {
        let r = self.repo(owner, repo);
        let pull = r
            .pulls
            .iter()
            .find(|p| p.number == number)
            .expect("callers check the number")
            .clone();
        let head_sha = r
            .refs
            .get(&format!("refs/heads/{}", pull.head_ref))
            .cloned()
            .unwrap_or_default();
        let base_sha = r
            .refs
            .get(&format!("refs/heads/{}", pull.base_ref))
            .cloned()
            .unwrap_or_default();
        let repo_json = json!({"name": repo, "full_name": format!("{owner}/{repo}"), "owner": {"login": owner}});
        let mut value = shaped(
            "GET",
            "/repos/o/r/pulls/1",
            200,
            json!({
                "id": 1_000_000 + number, "number": number, "state": pull.state, "title": pull.title,
                "body": pull.body, "merged": pull.merged, "merge_commit_sha": pull.merge_commit_sha,
                "merged_at": if pull.merged { json!(rfc3339((self.now)())) } else { Value::Null },
                "closed_at": if pull.state == "closed" { json!(rfc3339((self.now)())) } else { Value::Null },
                "user": {"login": pull.user, "type": if pull.user.ends_with("[bot]") { "Bot" } else { "User" }},
                "url": format!("https://api.github.com/repos/{owner}/{repo}/pulls/{number}"),
                "html_url": format!("https://github.com/{owner}/{repo}/pull/{number}"),
                "head": {"ref": pull.head_ref, "sha": head_sha, "label": format!("{owner}:{}", pull.head_ref), "repo": repo_json},
                "base": {"ref": pull.base_ref, "sha": base_sha, "label": format!("{owner}:{}", pull.base_ref), "repo": repo_json},
                "draft": false,
            }),
        );
        // Nobody is asked to review in the fake (and the example's team lacks required fields).
        value["requested_teams"] = json!([]);
        value["requested_reviewers"] = json!([]);
        value
    }

    fn check_run_json(&mut self, owner: &str, repo: &str, run: &CheckRunState) -> Value {
        let now = rfc3339((self.now)());
        shaped(
            "POST",
            "/repos/o/r/check-runs",
            201,
            json!({
                "id": run.id, "head_sha": run.head_sha, "name": run.name, "status": run.status,
                "conclusion": run.conclusion,
                "completed_at": if run.status == "completed" { json!(now) } else { Value::Null },
                "url": format!("https://api.github.com/repos/{owner}/{repo}/check-runs/{}", run.id),
                "html_url": format!("https://github.com/{owner}/{repo}/runs/{}", run.id),
                "output": {"title": run.title, "summary": run.summary, "text": Value::Null,
                           "annotations_count": run.annotations.len(),
                           "annotations_url": format!("https://api.github.com/repos/{owner}/{repo}/check-runs/{}/annotations", run.id)},
            }),
        )
    }
}

/// The one `Respond` impl: every request goes through the state.
struct Router(Arc<Mutex<State>>);

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        lock(&self.0).handle(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_follow_githubs_rules() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let encode =
            |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let jwt = |alg: &str, iat: u64, exp: u64| {
            format!(
                "{}.{}.sig",
                encode(json!({"alg": alg, "typ": "JWT"})),
                encode(json!({"iss": 1, "iat": iat, "exp": exp}))
            )
        };
        assert!(valid_jwt(&jwt("RS256", now - 60, now + 540)));
        assert!(!valid_jwt(&jwt("HS256", now - 60, now + 540)));
        assert!(
            !valid_jwt(&jwt("RS256", now - 60, now + 3600)),
            "more than 10 minutes"
        );
        assert!(!valid_jwt(&jwt("RS256", now - 700, now - 100)), "expired");
        assert!(!valid_jwt("ghs_token"));
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_709_251_199)),
            "2024-02-29T23:59:59Z"
        );
    }

    #[test]
    fn right_side_lines_skip_deleted_lines() {
        assert_eq!(
            right_side_hunks("@@ -1,2 +1,2 @@\n a\n-b\n+c\n@@ -9 +9,1 @@\n+d\n"),
            vec![vec![1, 2], vec![9]]
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(openapi::percent_decode("/a%2Fb%20c+d", false), "/a/b c+d");
        assert_eq!(openapi::percent_decode("a+b%2B", true), "a b+");
        assert_eq!(openapi::percent_decode("/100%", false), "/100%");
    }
}
