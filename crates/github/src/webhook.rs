//! Webhook deliveries: signature verification and the typed payloads suture acts on.
//!
//! The signature is an HMAC-SHA256 of the RAW body (never of re-serialised JSON), compared in
//! constant time. Payloads are deserialised with serde into small structs naming only the fields
//! suture uses, so unknown fields and new event kinds never fail a delivery.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::RepoId;

/// Why a delivery's `X-Hub-Signature-256` was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    #[error("malformed X-Hub-Signature-256 header: {reason}")]
    Malformed { reason: String },
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// Why a delivery's body could not be read as its event.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("{event} payload is not valid: {message}")]
    Payload { event: String, message: String },
}

/// Checks `header` (`sha256=<hex>`) against the HMAC-SHA256 of `body` keyed with `secret`, in
/// constant time (`Mac::verify_slice`).
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let malformed = |reason: &str| SignatureError::Malformed {
        reason: reason.into(),
    };
    let hex_digest = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or_else(|| malformed("expected sha256=<hex>"))?;
    let digest = hex::decode(hex_digest).map_err(|_| malformed("the digest is not hexadecimal"))?;
    if digest.len() != 32 {
        return Err(malformed("the digest is not 32 bytes long"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

/// A webhook delivery, by its `X-GitHub-Event` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    PullRequest(PullRequestEvent),
    IssueComment(IssueCommentEvent),
    Ping,
    /// Any other event, by name; suture ignores it.
    Other(String),
}

/// A `pull_request` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestEvent {
    /// `opened`, `synchronize`, `closed`, …
    pub action: String,
    pub number: u64,
    pub pull_request: PullRequestPayload,
    pub repo: RepoId,
    pub installation: Option<u64>,
}

/// The pull request as a `pull_request` event carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestPayload {
    pub head_sha: String,
    pub head_ref: String,
    pub base_ref: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    pub user_login: String,
    pub title: String,
    pub body: String,
}

/// An `issue_comment` event (on an issue or a pull request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueCommentEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    pub comment_id: u64,
    pub body: String,
    /// The commenter's login.
    pub user: String,
    /// The commenter's account type: `User`, `Bot` or `Organization`.
    pub user_type: String,
    pub issue_number: u64,
    /// Whether the issue is a pull request.
    pub is_pull_request: bool,
    pub repo: RepoId,
    pub installation: Option<u64>,
}

impl Event {
    /// Parses a delivery from its `X-GitHub-Event` header and raw body. The body must be JSON
    /// whatever the event; `pull_request` and `issue_comment` must also carry the fields suture uses.
    pub fn parse(event_header: &str, body: &[u8]) -> Result<Event, ParseError> {
        let event = event_header.trim();
        let fail = |e: serde_json::Error| ParseError::Payload {
            event: event.to_string(),
            message: e.to_string(),
        };
        match event {
            "pull_request" => {
                let p: wire::PullRequestEvent = serde_json::from_slice(body).map_err(fail)?;
                Ok(Event::PullRequest(PullRequestEvent {
                    action: p.action,
                    number: p.number,
                    pull_request: PullRequestPayload {
                        head_sha: p.pull_request.head.sha,
                        head_ref: p.pull_request.head.git_ref,
                        base_ref: p.pull_request.base.git_ref,
                        merged: p.pull_request.merged.unwrap_or(false),
                        merge_commit_sha: p.pull_request.merge_commit_sha,
                        user_login: p.pull_request.user.map(|u| u.login).unwrap_or_default(),
                        title: p.pull_request.title,
                        body: p.pull_request.body.unwrap_or_default(),
                    },
                    repo: p.repository.into(),
                    installation: p.installation.map(|i| i.id),
                }))
            }
            "issue_comment" => {
                let c: wire::IssueCommentEvent = serde_json::from_slice(body).map_err(fail)?;
                let (user, user_type) = c
                    .comment
                    .user
                    .map(|u| (u.login, u.kind))
                    .unwrap_or_default();
                Ok(Event::IssueComment(IssueCommentEvent {
                    action: c.action,
                    comment_id: c.comment.id,
                    body: c.comment.body.unwrap_or_default(),
                    user,
                    user_type,
                    issue_number: c.issue.number,
                    is_pull_request: c.issue.pull_request.is_some_and(|p| !p.is_null()),
                    repo: c.repository.into(),
                    installation: c.installation.map(|i| i.id),
                }))
            }
            _ => {
                // Still JSON: a garbled delivery is an error whatever its event.
                serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(fail)?;
                match event {
                    "ping" => Ok(Event::Ping),
                    "" => Err(ParseError::Payload {
                        event: String::new(),
                        message: "the X-GitHub-Event header is empty".into(),
                    }),
                    other => Ok(Event::Other(other.to_string())),
                }
            }
        }
    }
}

/// The payload fields suture reads; serde ignores the rest.
mod wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub(super) struct Account {
        pub(super) login: String,
        #[serde(rename = "type", default)]
        pub(super) kind: String,
    }

    #[derive(Deserialize)]
    pub(super) struct Repository {
        pub(super) name: String,
        pub(super) owner: Account,
    }

    impl From<Repository> for crate::RepoId {
        fn from(r: Repository) -> crate::RepoId {
            crate::RepoId {
                owner: r.owner.login,
                name: r.name,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Installation {
        pub(super) id: u64,
    }

    #[derive(Deserialize)]
    pub(super) struct BranchRef {
        #[serde(rename = "ref")]
        pub(super) git_ref: String,
        pub(super) sha: String,
    }

    #[derive(Deserialize)]
    pub(super) struct PullRequest {
        pub(super) head: BranchRef,
        pub(super) base: BranchRef,
        pub(super) merged: Option<bool>,
        pub(super) merge_commit_sha: Option<String>,
        pub(super) user: Option<Account>,
        pub(super) title: String,
        pub(super) body: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct PullRequestEvent {
        pub(super) action: String,
        pub(super) number: u64,
        pub(super) pull_request: PullRequest,
        pub(super) repository: Repository,
        pub(super) installation: Option<Installation>,
    }

    #[derive(Deserialize)]
    pub(super) struct Comment {
        pub(super) id: u64,
        pub(super) body: Option<String>,
        pub(super) user: Option<Account>,
    }

    #[derive(Deserialize)]
    pub(super) struct Issue {
        pub(super) number: u64,
        /// Present (an object of links) when the issue is a pull request.
        pub(super) pull_request: Option<serde_json::Value>,
    }

    #[derive(Deserialize)]
    pub(super) struct IssueCommentEvent {
        pub(super) action: String,
        pub(super) comment: Comment,
        pub(super) issue: Issue,
        pub(super) repository: Repository,
        pub(super) installation: Option<Installation>,
    }
}
