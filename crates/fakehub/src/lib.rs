//! Test support: a fake GitHub REST API and GitHub's own published shapes.
//!
//! - [`FakeGitHub`]: a wiremock server that behaves like a small stateful GitHub for the routes suture
//!   uses. Every request it receives is checked against GitHub's REST description ([`openapi::check`]).
//! - [`openapi`]: the REST description from the npm package `@octokit/openapi`.
//! - [`webhooks`]: example deliveries from the npm package `@octokit/webhooks-examples`, and signing.
//!
//! Why npm fixtures rather than hand-made JSON: shapes we write ourselves only prove that suture agrees
//! with our memory of GitHub. The packages are installed on first use by `scripts/npm-fixtures.sh`
//! (see [`npm::node_modules`]), so a plain `cargo test` on a fresh machine works.

mod fake;
pub mod npm;
pub mod openapi;
pub mod webhooks;

pub use fake::{APP_BOT_LOGIN, FakeGitHub, HUMAN_LOGIN, Recorded, TOKEN_BOT_LOGIN};
