//! Adapter: GitHub's REST API (through octocrab) and its webhooks.
//!
//! Everything at this crate's boundary is plain data (`RepoId`, `PullRequest`, `ChangedFile`, …) so
//! that orchestration never sees octocrab's models. Requests go through octocrab's raw `get`/`post`/
//! `patch` with our own small wire structs rather than its typed builders: we need exact control over
//! the bodies (multi-line review suggestions, appended check-run annotations), and small structs that
//! only name the fields we read are tolerant of GitHub adding fields.

mod client;
mod diff;
mod rate_limit;
pub mod webhook;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use client::{App, GitHub, MAX_TEXT_CHARS};

/// A repository, `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId {
    /// The user or organisation that owns the repository.
    pub owner: String,
    /// The repository's name, without the owner.
    pub name: String,
}

impl RepoId {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> RepoId {
        RepoId {
            owner: owner.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl FromStr for RepoId {
    type Err = Error;

    /// Parses `owner/name`; both parts must be non-empty and free of `/` and whitespace.
    fn from_str(s: &str) -> Result<RepoId, Error> {
        let valid =
            |part: &str| !part.is_empty() && !part.chars().any(|c| c == '/' || c.is_whitespace());
        match s.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(RepoId::new(owner, name)),
            _ => Err(Error::RepoId {
                input: s.to_string(),
            }),
        }
    }
}

/// What suture needs to know about a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub default_branch: String,
    pub html_url: String,
}

/// A commit as the REST API reports it (`GET /repos/{owner}/{repo}/commits/{ref}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    /// The GitHub account linked to the author's email, if any.
    pub author_login: Option<String>,
    /// The GitHub account linked to the committer's email, if any.
    pub committer_login: Option<String>,
    pub author_email: String,
    pub committer_email: String,
    pub message: String,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub html_url: String,
    pub title: String,
    /// The description; empty when GitHub reports `null`.
    pub body: String,
    /// The login of the account that opened it.
    pub user_login: String,
    /// When it was closed (or merged), in unix seconds; `None` while open.
    pub closed_at: Option<i64>,
}

/// One file of a pull request's diff (`GET /repos/{owner}/{repo}/pulls/{n}/files`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`.
    pub status: String,
    /// The unified diff hunks; absent for binary files and very large diffs.
    pub patch: Option<String>,
}

/// A review comment that replaces lines `start_line..=line` (new side) with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub path: String,
    pub start_line: u32,
    pub line: u32,
    /// The new text for those lines, without a trailing newline.
    pub replacement: String,
    /// The explanation shown above the suggestion block.
    pub body: String,
}

/// A check-run annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// `notice`, `warning` or `failure`.
    pub level: String,
    pub message: String,
    pub title: Option<String>,
}

/// A completed check run to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRun {
    pub name: String,
    pub head_sha: String,
    /// `success`, `failure`, `neutral`, `action_required`, …
    pub conclusion: String,
    pub title: String,
    /// Markdown.
    pub summary: String,
    pub annotations: Vec<Annotation>,
}

/// A file to write in a commit: its full new content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub content: String,
}

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPullRequest {
    pub title: String,
    /// The branch holding the changes.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    pub body: String,
}

/// Errors talking to GitHub. Each names the route that failed; none carries a token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid repository {input:?}: expected owner/name")]
    RepoId { input: String },
    #[error("invalid GitHub API base URI {uri:?}: {message}")]
    BaseUri { uri: String, message: String },
    #[error("invalid GitHub App private key: {message}")]
    PrivateKey { message: String },
    #[error("cannot build the GitHub client: {message}")]
    Client { message: String },
    /// The request failed: transport, or GitHub answered with an error status.
    #[error("{route}: {}{message}", status.map(|s| format!("HTTP {s}: ")).unwrap_or_default())]
    Api {
        route: String,
        status: Option<u16>,
        message: String,
        /// How long GitHub asked us to wait before trying again: its `Retry-After` header (seconds or an
        /// HTTP date), the reset time of an exhausted rate limit (`x-ratelimit-remaining: 0` with
        /// `x-ratelimit-reset`), or a minute for a secondary rate limit that names no time, as GitHub's
        /// documentation says. `None` when the answer asks for nothing.
        retry_after: Option<Duration>,
    },
    /// GitHub answered, but not with what the route documents.
    #[error("{route}: unexpected response: {message}")]
    Response { route: String, message: String },
}

impl Error {
    /// The HTTP status GitHub answered with, when the error is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => *status,
            _ => None,
        }
    }

    /// The wait GitHub asked for before the next attempt, if it asked (see [`Error::Api`]).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
