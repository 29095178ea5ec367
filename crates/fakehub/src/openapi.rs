//! GitHub's REST description (`@octokit/openapi`, `generated/api.github.com.json`), parsed once per
//! process, and the checks the fake applies to every request it receives.

use serde_json::Value;

/// The whole OpenAPI document.
pub fn spec() -> &'static Value {
    todo!()
}

/// Checks a request against the description: the route exists (a path template such as
/// `/repos/{owner}/{repo}/git/refs` matches `path`, which may carry a query string), it has `method`,
/// and the JSON body has every `required` field of the operation's request body schema (`$ref`s
/// resolved; also inside objects in arrays, e.g. a review's `comments[].path`).
pub fn check(method: &str, path: &str, body: Option<&Value>) -> Result<(), String> {
    let _ = (method, path, body);
    todo!()
}

/// The documented example response of an operation for `status` (e.g. 201), `$ref`s resolved:
/// the starting point for the fake's answers.
pub fn example_response(method: &str, path: &str, status: u16) -> Option<Value> {
    let _ = (method, path, status);
    todo!()
}
