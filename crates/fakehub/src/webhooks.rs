//! Webhook deliveries as GitHub sends them: example payloads from `@octokit/webhooks-examples`, and
//! the `X-Hub-Signature-256` header for a body.

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::npm;

/// The package's index: `[{ name, actions, examples: [payload…] }, …]`, parsed once per process.
fn index() -> &'static [Value] {
    static INDEX: OnceLock<Vec<Value>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let path = npm::node_modules().join(npm::WEBHOOK_EXAMPLES_JSON);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    })
}

/// Every example payload of `event` (e.g. `pull_request`), with its `action` (or the event name when
/// the payload has none, e.g. `ping`). Panics if the event has no examples: a typo in a test.
pub fn examples(event: &str) -> Vec<(String, Value)> {
    let entry = index()
        .iter()
        .find(|e| e["name"] == event)
        .unwrap_or_else(|| panic!("@octokit/webhooks-examples has no event {event:?}"));
    let examples: Vec<(String, Value)> = entry["examples"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|payload| {
            let action = payload["action"].as_str().unwrap_or(event).to_string();
            (action, payload.clone())
        })
        .collect();
    assert!(
        !examples.is_empty(),
        "@octokit/webhooks-examples has no examples of {event:?}"
    );
    examples
}

/// The first example of `event` with `action`. Panics when there is none.
pub fn example(event: &str, action: &str) -> Value {
    examples(event)
        .into_iter()
        .find(|(a, _)| a == action)
        .map(|(_, payload)| payload)
        .unwrap_or_else(|| panic!("@octokit/webhooks-examples has no {event}.{action} example"))
}

/// The event names that have examples.
pub fn event_names() -> Vec<String> {
    index()
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect()
}

/// The `X-Hub-Signature-256` header value for `body`: `sha256=` and the hex HMAC-SHA256.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_githubs_documented_example() {
        // From GitHub's "Validating webhook deliveries" documentation.
        assert_eq!(
            sign(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn pull_request_examples_carry_their_action() {
        let opened = example("pull_request", "opened");
        assert_eq!(opened["action"], "opened");
        assert!(examples("ping").iter().all(|(action, _)| action == "ping"));
    }
}
