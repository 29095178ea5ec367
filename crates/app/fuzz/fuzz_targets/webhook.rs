//! Fuzzes the webhook request path of `suture serve` (`app::serve::admit`): the signature check over the
//! raw body, the delivery headers, the typed payload parse (`github::webhook::Event::parse`) and the
//! decision to queue (comment commands included), then the worker's parse of what was queued.
//!
//! Input: three header lines, then the body: `X-GitHub-Event`, `X-GitHub-Delivery`, and
//! `X-Hub-Signature-256` (an empty line: the target signs the body with the secret, so that most inputs
//! get past the signature to the parser, as GitHub's deliveries do). Seeds are GitHub's own example
//! deliveries (`seeds/webhook`, from `@octokit/webhooks-examples`).
//!
//! The invariants: no panic; a refusal is a 400 or a 401, and a delivery whose signature is not the body's
//! is always a 401; a queued delivery holds the body and event exactly as received, and the worker's parse
//! of it succeeds and reads the same event.

#![no_main]

use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

const SECRET: &[u8] = b"fuzz-secret";

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(4, |b| *b == b'\n');
    let (event, delivery, signature) = (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    );
    let body = lines.next().unwrap_or_default();
    let correct = sign(body);
    let signature = if signature.is_empty() {
        correct.as_bytes()
    } else {
        signature
    };
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-github-event", event),
        ("x-github-delivery", delivery),
        ("x-hub-signature-256", signature),
    ] {
        // Bytes no HTTP header can carry are a header the request did not have.
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    let signed = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(&correct));
    match app::serve::admit(SECRET, &headers, body) {
        Err(refusal) => {
            assert!(refusal.status == 400 || refusal.status == 401, "{refusal:?}");
            if !signed {
                assert_eq!(refusal.status, 401, "{refusal:?}");
            }
        }
        Ok(admission) => {
            assert!(signed, "admitted without the body's signature: {admission:?}");
            if let app::serve::Admission::Queue(queued) = admission {
                assert_eq!(queued.payload, body);
                assert_eq!(queued.event.as_bytes(), event);
                let again = github::webhook::Event::parse(&queued.event, &queued.payload)
                    .expect("the worker parses what the request path queued");
                assert!(
                    matches!(
                        again,
                        github::webhook::Event::PullRequest(_)
                            | github::webhook::Event::IssueComment(_)
                    ),
                    "{again:?}"
                );
            }
        }
    }
});
