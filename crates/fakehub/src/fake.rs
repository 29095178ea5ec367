//! `FakeGitHub`: a wiremock server answering like a small, stateful GitHub.
//!
//! One catch-all mock routes every request to a `Respond` impl that holds the state behind a mutex
//! (refs, git objects, pull requests, check runs, comments, reactions, reviews, installation tokens).
//! Answers start from the description's documented examples where practical, patched with the
//! state's ids, shas and fields. Every request is recorded and checked with [`crate::openapi::check`].

use std::time::Duration;

use serde_json::Value;

/// A request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query string.
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

/// A small stateful GitHub. Start it with [`FakeGitHub::start`] and point a client at [`FakeGitHub::uri`].
pub struct FakeGitHub {
    server: wiremock::MockServer,
}

impl FakeGitHub {
    /// Starts the server. Repositories spring into existence on first use, with a `main` default
    /// branch holding one commit.
    pub async fn start() -> FakeGitHub {
        todo!()
    }

    /// The base URI to give a client (`http://127.0.0.1:PORT`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        todo!()
    }

    /// `METHOD path` of every request so far, in order (the query string left out).
    pub fn routes(&self) -> Vec<String> {
        todo!()
    }

    /// Panics listing each request that does not follow GitHub's REST description.
    pub fn assert_valid(&self) {
        todo!()
    }

    /// The sha a branch points at, if the branch exists.
    pub fn branch_sha(&self, owner: &str, repo: &str, branch: &str) -> Option<String> {
        let _ = (owner, repo, branch);
        todo!()
    }

    /// The text of `path` in the tree of `git_ref` (a branch, tag or commit sha).
    pub fn file_at(&self, owner: &str, repo: &str, git_ref: &str, path: &str) -> Option<String> {
        let _ = (owner, repo, git_ref, path);
        todo!()
    }

    /// Sets the repository's default branch (creating the branch at the current default's head).
    pub fn set_default_branch(&self, owner: &str, repo: &str, branch: &str) {
        let _ = (owner, repo, branch);
        todo!()
    }

    /// Commits `text` at `path` on `git_ref` (a branch, created from the default branch if missing),
    /// as a human. Returns the new commit sha.
    pub fn set_file(
        &self,
        owner: &str,
        repo: &str,
        git_ref: &str,
        path: &str,
        text: &str,
    ) -> String {
        let _ = (owner, repo, git_ref, path, text);
        todo!()
    }

    /// Moves `branch` to a new commit on top of it, authored and committed by a human account.
    /// Returns the new sha.
    pub fn push_human_commit(&self, owner: &str, repo: &str, branch: &str) -> String {
        let _ = (owner, repo, branch);
        todo!()
    }

    /// Creates an open pull request from `head` into `base` as if a human opened it (the branches are
    /// created if missing). Returns its number.
    pub fn open_pull_request(
        &self,
        owner: &str,
        repo: &str,
        head: &str,
        base: &str,
        title: &str,
    ) -> u64 {
        let _ = (owner, repo, head, base, title);
        todo!()
    }

    /// Marks a pull request closed; merged or not. When merged, the base branch moves to a merge commit.
    pub fn close_pull_request(&self, owner: &str, repo: &str, number: u64, merged: bool) {
        let _ = (owner, repo, number, merged);
        todo!()
    }

    /// Presets the files `GET /pulls/{n}/files` lists: `(filename, status, patch)`. The pull
    /// request is created if missing.
    pub fn set_pr_files(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        files: &[(&str, &str, Option<&str>)],
    ) {
        let _ = (owner, repo, number, files);
        todo!()
    }

    /// Makes `GET /commits/{sha}/check-runs` report one completed check run with `conclusion`.
    pub fn set_check_runs(&self, owner: &str, repo: &str, sha: &str, conclusion: &str) {
        let _ = (owner, repo, sha, conclusion);
        todo!()
    }

    /// How long installation tokens minted from now on live (default: one hour).
    pub fn set_token_ttl(&self, ttl: Duration) {
        let _ = ttl;
        todo!()
    }

    /// Pull requests of a repository as the API returns them, in creation order.
    pub fn pull_requests(&self, owner: &str, repo: &str) -> Vec<Value> {
        let _ = (owner, repo);
        todo!()
    }

    /// Reviews posted to a pull request (the request bodies), in order.
    pub fn reviews(&self, owner: &str, repo: &str, number: u64) -> Vec<Value> {
        let _ = (owner, repo, number);
        todo!()
    }

    /// Check runs created on a repository as the API returns them, annotations appended.
    pub fn check_runs(&self, owner: &str, repo: &str) -> Vec<Value> {
        let _ = (owner, repo);
        todo!()
    }

    /// Issue comments posted: `(issue_number, body)`.
    pub fn comments(&self, owner: &str, repo: &str) -> Vec<(u64, String)> {
        let _ = (owner, repo);
        todo!()
    }

    /// Reactions posted: `(comment_id, content)`.
    pub fn reactions(&self, owner: &str, repo: &str) -> Vec<(u64, String)> {
        let _ = (owner, repo);
        todo!()
    }
}
