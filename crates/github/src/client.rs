//! The REST client: `GitHub` (a token or an installation) and `App` (JWT → installation tokens).
//!
//! Why raw routes and our own wire structs: octocrab's typed builders cannot express a review whose
//! comments carry multi-line suggestions, nor appending check-run annotations, and its models fail
//! to deserialise on shapes they don't expect; our structs name only the fields suture reads.
//! Installation tokens are octocrab's: an installation client mints one with the App's JWT on its
//! first request and reuses it until 30 s before `expires_at`; `App` keeps one client per
//! installation so that the cache outlives a single call.
//!
//! Requests go through octocrab's `_get`/`_post`/`_patch`, which return the raw response, so that an error
//! answer's status and headers are still there to read how long GitHub asks us to wait (`Retry-After`,
//! rate-limit resets; `rate_limit`) before octocrab turns it into an error. octocrab's own retry layer is
//! off: it retries 5xx and 429 at once, three times, and an immediate retry of a rate-limited request is
//! what GitHub's documentation warns can get an integration banned. Retrying is the caller's, with the
//! wait in the error: `suture serve`'s queue backs off, `suture pr` runs again on its schedule.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine;
use http::Method;
use octocrab::FromResponse;
use octocrab::service::middleware::retry::RetryConfig;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{
    ChangedFile, CheckRun, Commit, Error, FileChange, NewPullRequest, PullRequest, RepoId,
    Repository, Suggestion,
};

/// GitHub accepts at most this many annotations per check-run request.
const ANNOTATIONS_PER_REQUEST: usize = 50;
/// GitHub refuses a pull request or comment body, or a check run summary, longer than this
/// (in characters).
pub const MAX_TEXT_CHARS: usize = 65_536;
/// The largest page the list routes serve.
const PER_PAGE: usize = 100;
/// `GET /pulls/{n}/files` lists at most 3000 files: 30 pages of 100.
const MAX_PAGES: usize = 30;

/// A client acting as one identity: a personal/workflow token or an App installation.
///
/// Clones share one octocrab client, and so its cached installation token (octocrab's own `Clone`
/// would copy the cache, and each copy would mint its own token).
#[derive(Clone)]
pub struct GitHub {
    crab: Arc<octocrab::Octocrab>,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the client: its auth state holds the token.
        f.write_str("GitHub { .. }")
    }
}

/// A GitHub App: signs JWTs with its private key and hands out installation clients.
pub struct App {
    crab: octocrab::Octocrab,
    /// One client per installation, so that its cached token is reused across calls.
    installations: Mutex<HashMap<u64, GitHub>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("App { .. }")
    }
}

fn builder(
    base_uri: &str,
) -> Result<
    octocrab::OctocrabBuilder<
        octocrab::NoSvc,
        octocrab::DefaultOctocrabBuilderConfig,
        octocrab::NoAuth,
        octocrab::NotLayerReady,
    >,
    Error,
> {
    let uri: http::Uri = base_uri
        .parse()
        .map_err(|e: http::uri::InvalidUri| Error::BaseUri {
            uri: base_uri.into(),
            message: e.to_string(),
        })?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(Error::BaseUri {
            uri: base_uri.into(),
            message: "expected an absolute http(s) URI".into(),
        });
    }
    octocrab::Octocrab::builder()
        .add_retry_config(RetryConfig::None)
        .base_uri(uri)
        .map_err(|e| Error::BaseUri {
            uri: base_uri.into(),
            message: e.to_string(),
        })
}

impl GitHub {
    /// A client authenticated with a token (e.g. `GITHUB_TOKEN` in a workflow) against `base_uri`
    /// (`https://api.github.com`, or a GitHub Enterprise / fake server).
    pub fn with_token(base_uri: &str, token: &str) -> Result<GitHub, Error> {
        if token.trim().is_empty() {
            return Err(Error::Client {
                message: "the GitHub token is empty".into(),
            });
        }
        let crab = builder(base_uri)?
            .personal_token(token.trim().to_string())
            .build()
            .map_err(|e| Error::Client {
                message: e.to_string(),
            })?;
        Ok(GitHub {
            crab: Arc::new(crab),
        })
    }
}

impl App {
    /// An App client from its id and PEM-encoded RSA private key.
    pub fn new(base_uri: &str, app_id: u64, private_key_pem: &[u8]) -> Result<App, Error> {
        let crab = builder(base_uri)?
            .app_from_rsa_pem(octocrab::models::AppId(app_id), private_key_pem)
            // The key is secret: say what is wrong with it without echoing it.
            .map_err(|e| Error::PrivateKey {
                message: key_error(&e),
            })?
            .build()
            .map_err(|e| Error::Client {
                message: e.to_string(),
            })?;
        Ok(App {
            crab,
            installations: Mutex::new(HashMap::new()),
        })
    }

    /// A client acting as the installation; its token is minted with the app JWT
    /// (`POST /app/installations/{id}/access_tokens`) and cached until shortly before expiry.
    pub fn installation(&self, id: u64) -> Result<GitHub, Error> {
        let mut installations = self.installations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = installations.get(&id) {
            return Ok(client.clone());
        }
        let crab = self
            .crab
            .installation(octocrab::models::InstallationId(id))
            .map_err(|e| Error::Client {
                message: e.to_string(),
            })?;
        let client = GitHub {
            crab: Arc::new(crab),
        };
        installations.insert(id, client.clone());
        Ok(client)
    }
}

fn key_error(e: &octocrab::Error) -> String {
    match e {
        octocrab::Error::JWT { source, .. } => source.to_string(),
        _ => "not a PEM-encoded RSA private key".into(),
    }
}

/// Percent-encodes a path (or one segment of it), keeping `/` when `keep_slash`.
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn repo_path(repo: &RepoId) -> String {
    format!(
        "/repos/{}/{}",
        encode(&repo.owner, false),
        encode(&repo.name, false)
    )
}

/// What went wrong, as a route error; GitHub's own message when it sent one.
fn api_error(route: &str, e: octocrab::Error) -> Error {
    match e {
        octocrab::Error::GitHub { source, .. } => {
            let mut message = source.message.clone();
            if let Some(errors) = source.errors.as_ref().filter(|e| !e.is_empty()) {
                message.push_str(&format!(" ({})", Value::Array(errors.clone())));
            }
            Error::Api {
                route: route.into(),
                status: Some(source.status_code.as_u16()),
                message,
                retry_after: None,
            }
        }
        octocrab::Error::Json { source, .. } => Error::Response {
            route: route.into(),
            message: format!("{} at {}", source.inner(), source.path()),
        },
        octocrab::Error::Serde { source, .. } => Error::Response {
            route: route.into(),
            message: source.to_string(),
        },
        other => Error::Api {
            route: route.into(),
            status: None,
            message: first_line(&other.to_string()),
            retry_after: None,
        },
    }
}

/// `text` cut to GitHub's limit, saying so at the end, rather than a refused request.
fn fit(text: &str) -> std::borrow::Cow<'_, str> {
    const MARKER: &str = "\n\n… (truncated: GitHub allows 65536 characters)";
    if text.chars().count() <= MAX_TEXT_CHARS {
        return text.into();
    }
    let keep = MAX_TEXT_CHARS - MARKER.chars().count();
    let cut: String = text.chars().take(keep).collect();
    (cut + MARKER).into()
}

/// Some octocrab errors append a backtrace to their message; keep the message.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

#[derive(Deserialize)]
struct WireRepository {
    default_branch: String,
    html_url: String,
}

#[derive(Deserialize)]
struct WireAccount {
    login: String,
}

#[derive(Deserialize)]
struct WireGitPerson {
    email: Option<String>,
}

#[derive(Deserialize)]
struct WireCommitDetail {
    message: String,
    author: Option<WireGitPerson>,
    committer: Option<WireGitPerson>,
}

#[derive(Deserialize)]
struct WireCommit {
    sha: String,
    commit: WireCommitDetail,
    author: Option<WireAccount>,
    committer: Option<WireAccount>,
}

impl From<WireCommit> for Commit {
    fn from(c: WireCommit) -> Commit {
        let email = |p: Option<WireGitPerson>| p.and_then(|p| p.email).unwrap_or_default();
        Commit {
            sha: c.sha,
            author_login: c.author.map(|a| a.login),
            committer_login: c.committer.map(|a| a.login),
            author_email: email(c.commit.author),
            committer_email: email(c.commit.committer),
            message: c.commit.message,
        }
    }
}

#[derive(Deserialize)]
struct WireBranch {
    commit: WireCommit,
}

#[derive(Deserialize)]
struct WireBranchRef {
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
}

#[derive(Deserialize)]
struct WirePull {
    number: u64,
    state: String,
    /// Absent from list responses; `merged_at` tells there.
    merged: Option<bool>,
    merged_at: Option<String>,
    closed_at: Option<String>,
    merge_commit_sha: Option<String>,
    head: WireBranchRef,
    base: WireBranchRef,
    html_url: String,
    title: String,
    body: Option<String>,
    user: Option<WireAccount>,
}

/// Unix seconds of a GitHub timestamp (`2026-11-28T10:00:00Z`, always UTC); `None` when it is not one.
fn unix_seconds(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

impl From<WirePull> for PullRequest {
    fn from(p: WirePull) -> PullRequest {
        PullRequest {
            number: p.number,
            state: p.state,
            merged: p.merged.unwrap_or(p.merged_at.is_some()),
            merge_commit_sha: p.merge_commit_sha,
            head_ref: p.head.git_ref,
            head_sha: p.head.sha,
            base_ref: p.base.git_ref,
            html_url: p.html_url,
            title: p.title,
            body: p.body.unwrap_or_default(),
            user_login: p.user.map(|u| u.login).unwrap_or_default(),
            closed_at: p.closed_at.as_deref().and_then(unix_seconds),
        }
    }
}

#[derive(Deserialize)]
struct WireFile {
    filename: String,
    status: String,
    patch: Option<String>,
}

#[derive(Deserialize)]
struct WireContent {
    #[serde(rename = "type")]
    kind: String,
    encoding: Option<String>,
    content: Option<String>,
}

#[derive(Deserialize)]
struct WireSha {
    sha: String,
}

#[derive(Deserialize)]
struct WireGitCommit {
    tree: WireSha,
}

#[derive(Deserialize)]
struct WireId {
    id: u64,
}

#[derive(Deserialize)]
struct WireCheckRun {
    status: String,
    conclusion: Option<String>,
}

#[derive(Deserialize)]
struct WireCheckRuns {
    check_runs: Vec<WireCheckRun>,
}

impl GitHub {
    /// One request; an error answer becomes [`Error::Api`] with GitHub's message and the wait it asks for.
    async fn send<R: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
    ) -> Result<R, Error> {
        tracing::debug!(route, %method, "request");
        let what = format!("{method} {route}");
        let response = match method {
            Method::POST => self.crab._post(route, body).await,
            Method::PATCH => self.crab._patch(route, body).await,
            _ => self.crab._get(route).await,
        }
        .map_err(|e| api_error(&what, e))?;
        let status = response.status();
        if status.is_success() {
            return R::from_response(response)
                .await
                .map_err(|e| api_error(&what, e));
        }
        let headers = response.headers().clone();
        let mut error = match octocrab::map_github_error(response).await {
            Err(e) => api_error(&what, e),
            Ok(_) => Error::Api {
                route: what,
                status: Some(status.as_u16()),
                message: status.canonical_reason().unwrap_or("error").to_owned(),
                retry_after: None,
            },
        };
        if let Error::Api {
            message,
            retry_after,
            ..
        } = &mut error
        {
            *retry_after = crate::rate_limit::retry_after(
                status.as_u16(),
                &headers,
                message,
                SystemTime::now(),
            );
        }
        Err(error)
    }

    async fn get<R: DeserializeOwned>(&self, route: &str) -> Result<R, Error> {
        self.send(Method::GET, route, None).await
    }

    /// A GET whose 404 means "there is none".
    async fn get_optional<R: DeserializeOwned>(&self, route: &str) -> Result<Option<R>, Error> {
        match self.get(route).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn post<R: DeserializeOwned>(&self, route: &str, body: &Value) -> Result<R, Error> {
        self.send(Method::POST, route, Some(body)).await
    }

    async fn patch<R: DeserializeOwned>(&self, route: &str, body: &Value) -> Result<R, Error> {
        self.send(Method::PATCH, route, Some(body)).await
    }

    /// Every item of a list route, page by page, until a short page.
    async fn get_all<R: DeserializeOwned>(&self, route: &str) -> Result<Vec<R>, Error> {
        let sep = if route.contains('?') { '&' } else { '?' };
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let items: Vec<R> = self
                .get(&format!("{route}{sep}per_page={PER_PAGE}&page={page}"))
                .await?;
            let done = items.len() < PER_PAGE;
            all.extend(items);
            if done {
                break;
            }
        }
        Ok(all)
    }

    /// `GET /repos/{owner}/{repo}`.
    pub async fn repository(&self, repo: &RepoId) -> Result<Repository, Error> {
        let r: WireRepository = self.get(&repo_path(repo)).await?;
        Ok(Repository {
            default_branch: r.default_branch,
            html_url: r.html_url,
        })
    }

    /// The commit at the head of `branch` (`GET /repos/{owner}/{repo}/branches/{branch}`), or `None`
    /// when the branch does not exist.
    pub async fn branch_head(&self, repo: &RepoId, branch: &str) -> Result<Option<Commit>, Error> {
        let route = format!("{}/branches/{}", repo_path(repo), encode(branch, true));
        Ok(self
            .get_optional::<WireBranch>(&route)
            .await?
            .map(|b| b.commit.into()))
    }

    /// `GET /repos/{owner}/{repo}/pulls/{number}`.
    pub async fn pull_request(&self, repo: &RepoId, number: u64) -> Result<PullRequest, Error> {
        let p: WirePull = self
            .get(&format!("{}/pulls/{number}", repo_path(repo)))
            .await?;
        Ok(p.into())
    }

    /// Every file of a pull request (all pages, at most 3000 files as GitHub caps them).
    pub async fn pull_request_files(
        &self,
        repo: &RepoId,
        number: u64,
    ) -> Result<Vec<ChangedFile>, Error> {
        let files: Vec<WireFile> = self
            .get_all(&format!("{}/pulls/{number}/files", repo_path(repo)))
            .await?;
        Ok(files
            .into_iter()
            .map(|f| ChangedFile {
                filename: f.filename,
                status: f.status,
                patch: f.patch,
            })
            .collect())
    }

    /// The text of `path` at `git_ref` (`GET /repos/{owner}/{repo}/contents/{path}?ref=`), or `None`
    /// when there is no such file.
    pub async fn file_text(
        &self,
        repo: &RepoId,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<String>, Error> {
        let route = format!(
            "{}/contents/{}?ref={}",
            repo_path(repo),
            encode(path, true),
            encode(git_ref, false)
        );
        let Some(content) = self.get_optional::<WireContent>(&route).await? else {
            return Ok(None);
        };
        let bad = |message: String| Error::Response {
            route: format!("GET {route}"),
            message,
        };
        if content.kind != "file" {
            return Err(bad(format!("{path} is a {}, not a file", content.kind)));
        }
        match (content.encoding.as_deref(), content.content) {
            (Some("base64"), Some(text)) => {
                let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|e| bad(format!("content is not base64: {e}")))?;
                String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| bad(format!("{path} is not UTF-8 text")))
            }
            (encoding, _) => Err(bad(format!(
                "{path}: content not included (encoding {}); files over 1 MB are not served by this route",
                encoding.unwrap_or("missing")
            ))),
        }
    }

    /// Every open pull request (all pages).
    pub async fn open_pull_requests(&self, repo: &RepoId) -> Result<Vec<PullRequest>, Error> {
        let pulls: Vec<WirePull> = self
            .get_all(&format!("{}/pulls?state=open", repo_path(repo)))
            .await?;
        Ok(pulls.into_iter().map(PullRequest::from).collect())
    }

    /// The most recently updated closed (and merged) pull requests, at most 100: one page, newest first.
    pub async fn recently_closed_pull_requests(
        &self,
        repo: &RepoId,
    ) -> Result<Vec<PullRequest>, Error> {
        let pulls: Vec<WirePull> = self
            .get(&format!(
                "{}/pulls?state=closed&sort=updated&direction=desc&per_page=100",
                repo_path(repo)
            ))
            .await?;
        Ok(pulls.into_iter().map(PullRequest::from).collect())
    }

    /// Git Data API, no push: blobs → tree (base_tree) → commit (parent = base_sha) → create the ref, or
    /// update it (force) when it exists. Returns the new commit sha.
    pub async fn commit_files(
        &self,
        repo: &RepoId,
        branch: &str,
        base_sha: &str,
        message: &str,
        files: &[FileChange],
    ) -> Result<String, Error> {
        let r = repo_path(repo);
        let base: WireGitCommit = self
            .get(&format!("{r}/git/commits/{}", encode(base_sha, false)))
            .await?;
        let mut entries = Vec::with_capacity(files.len());
        for file in files {
            let blob: WireSha = self
                .post(
                    &format!("{r}/git/blobs"),
                    &json!({"content": file.content, "encoding": "utf-8"}),
                )
                .await?;
            entries.push(
                json!({"path": file.path, "mode": "100644", "type": "blob", "sha": blob.sha}),
            );
        }
        let tree: WireSha = self
            .post(
                &format!("{r}/git/trees"),
                &json!({"base_tree": base.tree.sha, "tree": entries}),
            )
            .await?;
        let commit: WireSha = self
            .post(
                &format!("{r}/git/commits"),
                &json!({"message": message, "tree": tree.sha, "parents": [base_sha]}),
            )
            .await?;
        let branch_path = encode(branch, true);
        let existing: Option<Value> = self
            .get_optional(&format!("{r}/git/ref/heads/{branch_path}"))
            .await?;
        if existing.is_some() {
            let _: Value = self
                .patch(
                    &format!("{r}/git/refs/heads/{branch_path}"),
                    &json!({"sha": commit.sha, "force": true}),
                )
                .await?;
        } else {
            let _: Value = self
                .post(
                    &format!("{r}/git/refs"),
                    &json!({"ref": format!("refs/heads/{branch}"), "sha": commit.sha}),
                )
                .await?;
        }
        Ok(commit.sha)
    }

    /// `POST /repos/{owner}/{repo}/pulls`.
    pub async fn create_pull_request(
        &self,
        repo: &RepoId,
        pr: &NewPullRequest,
    ) -> Result<PullRequest, Error> {
        let body =
            json!({"title": pr.title, "head": pr.head, "base": pr.base, "body": fit(&pr.body)});
        let p: WirePull = self
            .post(&format!("{}/pulls", repo_path(repo)), &body)
            .await?;
        Ok(p.into())
    }

    /// `PATCH /repos/{owner}/{repo}/pulls/{number}` with a new title and body.
    pub async fn update_pull_request(
        &self,
        repo: &RepoId,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), Error> {
        let _: Value = self
            .patch(
                &format!("{}/pulls/{number}", repo_path(repo)),
                &json!({"title": title, "body": fit(body)}),
            )
            .await?;
        Ok(())
    }

    /// One or more reviews (batches of at most `batch` comments), at most `cap` suggestions in all;
    /// returns the suggestions that were NOT posted (over the cap, not on the new side of the diff, or
    /// longer than GitHub allows),
    /// in their input order, so the caller can summarise them. Each comment body is the explanation
    /// then a ```suggestion block (multi-line: start_line/line, side RIGHT).
    #[allow(clippy::too_many_arguments)]
    pub async fn post_review(
        &self,
        repo: &RepoId,
        number: u64,
        commit_id: &str,
        files: &[ChangedFile],
        suggestions: &[Suggestion],
        batch: usize,
        cap: usize,
    ) -> Result<Vec<Suggestion>, Error> {
        // A suggestion is never cut short (that would suggest wrong code): one too long is not posted.
        let postable = |s: &Suggestion| {
            files
                .iter()
                .any(|f| f.filename == s.path && f.can_comment_on(s.start_line, s.line))
                && review_comment(s)["body"]
                    .as_str()
                    .is_some_and(|b| b.chars().count() <= MAX_TEXT_CHARS)
        };
        let mut posted = Vec::new();
        let mut not_posted = Vec::new();
        for s in suggestions {
            if posted.len() < cap && postable(s) {
                posted.push(s);
            } else {
                not_posted.push(s.clone());
            }
        }
        let route = format!("{}/pulls/{number}/reviews", repo_path(repo));
        let chunks: Vec<&[&Suggestion]> = posted.chunks(batch.max(1)).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let comments: Vec<Value> = chunk.iter().map(|s| review_comment(s)).collect();
            let part = if chunks.len() > 1 {
                format!(" (part {} of {})", i + 1, chunks.len())
            } else {
                String::new()
            };
            let noun = if chunk.len() == 1 { "fix" } else { "fixes" };
            let body = json!({
                "commit_id": commit_id,
                "event": "COMMENT",
                "body": format!("suture suggests {} {noun}{part}.", chunk.len()),
                "comments": comments,
            });
            let _: Value = self.post(&route, &body).await?;
        }
        Ok(not_posted)
    }

    /// `POST /check-runs` with the first 50 annotations, then `PATCH /check-runs/{id}` with the next
    /// 50, and so on (GitHub appends annotations on update). Returns the check run id.
    pub async fn create_check_run(&self, repo: &RepoId, run: &CheckRun) -> Result<u64, Error> {
        let annotations: Vec<Value> = run.annotations.iter().map(annotation_json).collect();
        let mut chunks = annotations.chunks(ANNOTATIONS_PER_REQUEST);
        let body = json!({
            "name": run.name, "head_sha": run.head_sha, "status": "completed",
            "conclusion": run.conclusion, "output": check_output(run, chunks.next()),
        });
        let created: WireId = self
            .post(&format!("{}/check-runs", repo_path(repo)), &body)
            .await?;
        self.append_annotations(repo, created.id, run, chunks)
            .await?;
        Ok(created.id)
    }

    /// Completes an existing check run with `run`'s conclusion and output: `PATCH /check-runs/{id}`
    /// with the first 50 annotations, then further PATCHes with the next 50 (appended to any the run
    /// already has). `run.head_sha` is not sent: a check run's commit cannot change.
    pub async fn update_check_run(
        &self,
        repo: &RepoId,
        id: u64,
        run: &CheckRun,
    ) -> Result<(), Error> {
        let annotations: Vec<Value> = run.annotations.iter().map(annotation_json).collect();
        let mut chunks = annotations.chunks(ANNOTATIONS_PER_REQUEST);
        let body = json!({
            "name": run.name, "status": "completed", "conclusion": run.conclusion,
            "output": check_output(run, chunks.next()),
        });
        let _: Value = self
            .patch(&format!("{}/check-runs/{id}", repo_path(repo)), &body)
            .await?;
        self.append_annotations(repo, id, run, chunks).await
    }

    async fn append_annotations(
        &self,
        repo: &RepoId,
        id: u64,
        run: &CheckRun,
        chunks: std::slice::Chunks<'_, Value>,
    ) -> Result<(), Error> {
        let route = format!("{}/check-runs/{id}", repo_path(repo));
        for chunk in chunks {
            let _: Value = self
                .patch(&route, &json!({"output": check_output(run, Some(chunk))}))
                .await?;
        }
        Ok(())
    }

    /// `POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions`; `content` is one of
    /// GitHub's reactions (`+1`, `eyes`, `rocket`, …).
    pub async fn react_to_comment(
        &self,
        repo: &RepoId,
        comment_id: u64,
        content: &str,
    ) -> Result<(), Error> {
        let route = format!("{}/issues/comments/{comment_id}/reactions", repo_path(repo));
        let _: Value = self.post(&route, &json!({"content": content})).await?;
        Ok(())
    }

    /// `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`.
    pub async fn comment(&self, repo: &RepoId, issue_number: u64, body: &str) -> Result<(), Error> {
        let route = format!("{}/issues/{issue_number}/comments", repo_path(repo));
        let _: Value = self.post(&route, &json!({"body": fit(body)})).await?;
        Ok(())
    }

    /// Conclusions of the check runs on a ref (for "the default branch's checks fail after a merge");
    /// a run that has not completed reports its status (`queued`, `in_progress`) instead.
    pub async fn check_conclusions(
        &self,
        repo: &RepoId,
        git_ref: &str,
    ) -> Result<Vec<String>, Error> {
        let route = format!(
            "{}/commits/{}/check-runs?per_page={PER_PAGE}",
            repo_path(repo),
            encode(git_ref, false)
        );
        let runs: WireCheckRuns = self.get(&route).await?;
        Ok(runs
            .check_runs
            .into_iter()
            .map(|c| c.conclusion.unwrap_or(c.status))
            .collect())
    }
}

fn annotation_json(a: &crate::Annotation) -> Value {
    let mut v = json!({
        "path": a.path, "start_line": a.start_line, "end_line": a.end_line.max(a.start_line),
        "annotation_level": a.level, "message": a.message,
    });
    if let Some(title) = &a.title {
        v["title"] = json!(title);
    }
    v
}

/// A check run's `output` (title and summary are required on every update) with some annotations.
fn check_output(run: &CheckRun, annotations: Option<&[Value]>) -> Value {
    json!({"title": run.title, "summary": fit(&run.summary), "annotations": annotations.unwrap_or_default()})
}

/// A review comment holding a suggestion: the explanation, then a suggestion block whose fence is
/// longer than any backtick run in the replacement.
fn review_comment(s: &Suggestion) -> Value {
    let longest_run = s
        .replacement
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let body = format!(
        "{}\n\n{fence}suggestion\n{}\n{fence}",
        s.body.trim_end(),
        s.replacement.trim_end_matches('\n')
    );
    let mut comment = json!({"path": s.path, "body": body, "line": s.line, "side": "RIGHT"});
    if s.start_line < s.line {
        comment["start_line"] = json!(s.start_line);
        comment["start_side"] = json!("RIGHT");
    }
    comment
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_timestamps_are_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(unix_seconds("2026-11-28T10:24:37Z"), Some(1_795_861_477));
        assert_eq!(unix_seconds("2026-11-28 10:24:37"), None);
        assert_eq!(unix_seconds("2026-13-28T10:24:37Z"), None);
    }

    #[test]
    fn suggestion_fence_outgrows_backticks_in_the_replacement() {
        let s = Suggestion {
            path: "a.rs".into(),
            start_line: 3,
            line: 4,
            replacement: "let s = \"```\";\n".into(),
            body: "Use a raw string.".into(),
        };
        let c = review_comment(&s);
        assert_eq!(
            c["body"],
            "Use a raw string.\n\n````suggestion\nlet s = \"```\";\n````"
        );
        assert_eq!(c["start_line"], 3);
        assert_eq!(c["start_side"], "RIGHT");
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode("src/a b.rs", true), "src/a%20b.rs");
        assert_eq!(encode("heads/x", false), "heads%2Fx");
    }
}
