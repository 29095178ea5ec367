//! Webhook deliveries as GitHub sends them: example payloads from `@octokit/webhooks-examples`, and
//! the `X-Hub-Signature-256` header for a body.

use serde_json::Value;

/// Every example payload of `event` (e.g. `pull_request`), with its `action` (or the event name when
/// the payload has none, e.g. `ping`). Panics if the event has no examples: a typo in a test.
pub fn examples(event: &str) -> Vec<(String, Value)> {
    let _ = event;
    todo!()
}

/// The first example of `event` with `action`.
pub fn example(event: &str, action: &str) -> Value {
    let _ = (event, action);
    todo!()
}

/// The event names that have examples.
pub fn event_names() -> Vec<String> {
    todo!()
}

/// The `X-Hub-Signature-256` header value for `body`: `sha256=` and the hex HMAC-SHA256.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let _ = (secret, body);
    todo!()
}
