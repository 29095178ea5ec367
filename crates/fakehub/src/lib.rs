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
//!
//! A test reads like this:
//!
//! ```text
//! let fake = FakeGitHub::start().await;
//! let head = fake.set_file("acme", "widgets", "feature", "src/lib.rs", "fn a() {}\n");
//! fake.set_pr_files("acme", "widgets", 7, &[("src/lib.rs", "modified", Some("@@ -1 +1 @@\n-x\n+fn a() {}"))]);
//! let gh = github::GitHub::with_token(&fake.uri(), "test-token")?;   // or App::new(..).installation(id)
//! // … exercise the code under test …
//! assert_eq!(fake.routes(), ["GET /repos/acme/widgets/pulls/7/files", "POST /repos/acme/widgets/pulls/7/reviews"]);
//! fake.assert_valid();   // every request (and the fake's own answers) as GitHub's description says
//! ```
//!
//! Identities: an installation token acts as [`APP_BOT_LOGIN`], any other token as
//! [`TOKEN_BOT_LOGIN`]; the test controls (`set_file`, `push_human_commit`, …) act as [`HUMAN_LOGIN`].

mod fake;
pub mod npm;
pub mod openapi;
pub mod webhooks;

pub use fake::{APP_BOT_LOGIN, FakeGitHub, HUMAN_LOGIN, RateLimit, Recorded, TOKEN_BOT_LOGIN};
