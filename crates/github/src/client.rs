//! The REST client: `GitHub` (a token or an installation) and `App` (JWT → installation tokens).
//!
//! Why raw routes and our own wire structs: octocrab's typed builders cannot express a review whose
//! comments carry multi-line suggestions, nor appending check-run annotations, and its models fail
//! to deserialise on shapes they don't expect; our structs name only the fields suture reads.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{
    ChangedFile, CheckRun, Commit, Error, FileChange, NewPullRequest, PullRequest, RepoId,
    Repository, Suggestion,
};

/// A client acting as one identity: a personal/workflow token or an App installation.
#[derive(Clone)]
pub struct GitHub {
    crab: octocrab::Octocrab,
}

/// A GitHub App: signs JWTs with its private key and hands out installation clients.
pub struct App {
    crab: octocrab::Octocrab,
    /// One client per installation, so that its cached token is reused across calls.
    installations: Mutex<HashMap<u64, GitHub>>,
}

impl GitHub {
    /// A client authenticated with a token (e.g. `GITHUB_TOKEN` in a workflow) against `base_uri`
    /// (`https://api.github.com`, or a GitHub Enterprise / fake server).
    pub fn with_token(base_uri: &str, token: &str) -> Result<GitHub, Error> {
        let _ = (base_uri, token, &mut HashMap::<u64, u64>::new());
        todo!()
    }
}

impl App {
    /// An App client from its id and PEM-encoded RSA private key.
    pub fn new(base_uri: &str, app_id: u64, private_key_pem: &[u8]) -> Result<App, Error> {
        let _ = (base_uri, app_id, private_key_pem);
        todo!()
    }

    /// A client acting as the installation; its token is minted with the app JWT
    /// (`POST /app/installations/{id}/access_tokens`) and cached until shortly before expiry.
    pub fn installation(&self, id: u64) -> Result<GitHub, Error> {
        let _ = (id, &self.crab, &self.installations);
        todo!()
    }
}

impl GitHub {
    /// `GET /repos/{owner}/{repo}`.
    pub async fn repository(&self, repo: &RepoId) -> Result<Repository, Error> {
        let _ = (repo, &self.crab);
        todo!()
    }

    /// The commit at the head of `branch`, or `None` when the branch does not exist.
    pub async fn branch_head(&self, repo: &RepoId, branch: &str) -> Result<Option<Commit>, Error> {
        let _ = (repo, branch);
        todo!()
    }

    /// `GET /repos/{owner}/{repo}/pulls/{number}`.
    pub async fn pull_request(&self, repo: &RepoId, number: u64) -> Result<PullRequest, Error> {
        let _ = (repo, number);
        todo!()
    }

    /// Every file of a pull request (all pages).
    pub async fn pull_request_files(
        &self,
        repo: &RepoId,
        number: u64,
    ) -> Result<Vec<ChangedFile>, Error> {
        let _ = (repo, number);
        todo!()
    }

    /// The text of `path` at `git_ref`, or `None` when there is no such file.
    pub async fn file_text(
        &self,
        repo: &RepoId,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<String>, Error> {
        let _ = (repo, path, git_ref);
        todo!()
    }

    /// Every open pull request (all pages).
    pub async fn open_pull_requests(&self, repo: &RepoId) -> Result<Vec<PullRequest>, Error> {
        let _ = repo;
        todo!()
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
        let _ = (repo, branch, base_sha, message, files);
        todo!()
    }

    /// `POST /repos/{owner}/{repo}/pulls`.
    pub async fn create_pull_request(
        &self,
        repo: &RepoId,
        pr: &NewPullRequest,
    ) -> Result<PullRequest, Error> {
        let _ = (repo, pr);
        todo!()
    }

    /// `PATCH /repos/{owner}/{repo}/pulls/{number}` with a new title and body.
    pub async fn update_pull_request(
        &self,
        repo: &RepoId,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), Error> {
        let _ = (repo, number, title, body);
        todo!()
    }

    /// One or more reviews (batches of at most `batch` comments), at most `cap` suggestions in all;
    /// returns the suggestions that were NOT posted (over the cap, or not on the new side of the diff)
    /// so the caller can summarise them. Each comment body is the explanation then a ```suggestion
    /// block (multi-line: start_line/line, side RIGHT).
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
        let _ = (repo, number, commit_id, files, suggestions, batch, cap);
        todo!()
    }

    /// `POST /check-runs` with the first 50 annotations, then `PATCH /check-runs/{id}` with the next
    /// 50, and so on (GitHub appends annotations on update). Returns the check run id.
    pub async fn create_check_run(&self, repo: &RepoId, run: &CheckRun) -> Result<u64, Error> {
        let _ = (repo, run);
        todo!()
    }

    /// `POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions`.
    pub async fn react_to_comment(
        &self,
        repo: &RepoId,
        comment_id: u64,
        content: &str,
    ) -> Result<(), Error> {
        let _ = (repo, comment_id, content);
        todo!()
    }

    /// `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`.
    pub async fn comment(&self, repo: &RepoId, issue_number: u64, body: &str) -> Result<(), Error> {
        let _ = (repo, issue_number, body);
        todo!()
    }

    /// Conclusions of the check runs on a ref (for "the default branch's checks fail after a merge");
    /// a run that has not completed reports its status (`queued`, `in_progress`) instead.
    pub async fn check_conclusions(
        &self,
        repo: &RepoId,
        git_ref: &str,
    ) -> Result<Vec<String>, Error> {
        let _ = (repo, git_ref);
        todo!()
    }
}
