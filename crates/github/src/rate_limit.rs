//! How long GitHub asks a client to wait after an error answer: `Retry-After`, exhausted rate limits, and
//! secondary rate limits.
//!
//! GitHub's documentation ("Rate limits for the REST API", "Best practices"): when `retry-after` is
//! present, do not retry before that many seconds have passed; when `x-ratelimit-remaining` is `0`, not
//! before `x-ratelimit-reset` (Unix seconds); otherwise, after a secondary rate limit (429, or a 403 whose
//! message says so), wait at least a minute. `Retry-After` may also be an HTTP date (RFC 9110 allows it,
//! and proxies in front of GitHub Enterprise send it).
//!
//! Absolute times are measured against the response's own `Date` header when it has one, not against
//! this machine's clock: the wait is then right even when the local clock is off, and a test server with a
//! simulated clock gets waits in its own time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;

/// The wait GitHub asks for when no header names one after a secondary rate limit.
const SECONDARY_WAIT: Duration = Duration::from_secs(60);

/// How long to wait before retrying after an answer with `status`, `headers` and GitHub's error
/// `message`; `None` when the answer asks for no wait. `now` is used only when the answer has no (valid)
/// `Date` header.
pub(crate) fn retry_after(
    status: u16,
    headers: &HeaderMap,
    message: &str,
    now: SystemTime,
) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let reference = header("date")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or(now);
    let until = |at: SystemTime| at.duration_since(reference).unwrap_or(Duration::ZERO);
    if let Some(value) = header("retry-after") {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            return Some(until(at));
        }
    }
    let rate_limit_status = status == 403 || status == 429;
    if rate_limit_status
        && header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|r| r.parse::<u64>().ok())
    {
        return Some(until(UNIX_EPOCH + Duration::from_secs(reset)));
    }
    let secondary =
        status == 429 || (status == 403 && message.to_ascii_lowercase().contains("rate limit"));
    secondary.then_some(SECONDARY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(status: u16, headers: &[(&'static str, &str)], message: &str) -> Option<Duration> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        // 2026-11-28T10:00:00Z; every absolute time below is relative to it.
        let now = UNIX_EPOCH + Duration::from_secs(1_795_860_000);
        retry_after(status, &map, message, now)
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let secs = |s: u64| Some(Duration::from_secs(s));
        assert_eq!(wait(403, &[("retry-after", "120")], ""), secs(120));
        assert_eq!(wait(503, &[("retry-after", " 5 ")], ""), secs(5));
        // An HTTP date, against the response's own Date (a minute after our clock): 90 s, not 150 s.
        assert_eq!(
            wait(
                429,
                &[
                    ("date", "Sat, 28 Nov 2026 10:01:00 GMT"),
                    ("retry-after", "Sat, 28 Nov 2026 10:02:30 GMT")
                ],
                ""
            ),
            secs(90)
        );
        // Without a Date header, against our clock; a date in the past is no wait.
        assert_eq!(
            wait(503, &[("retry-after", "Sat, 28 Nov 2026 10:00:30 GMT")], ""),
            secs(30)
        );
        assert_eq!(
            wait(503, &[("retry-after", "Sat, 28 Nov 2026 09:00:00 GMT")], ""),
            secs(0)
        );
    }

    #[test]
    fn an_exhausted_rate_limit_waits_for_its_reset() {
        let reset = (1_795_860_000u64 + 900).to_string();
        let exhausted = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", reset.as_str()),
        ];
        let message = "API rate limit exceeded for installation ID 1.";
        assert_eq!(
            wait(403, &exhausted, message),
            Some(Duration::from_secs(900))
        );
        assert_eq!(wait(429, &exhausted, ""), Some(Duration::from_secs(900)));
        // Retry-After wins over the reset time.
        let both = [exhausted[0], exhausted[1], ("retry-after", "60")];
        assert_eq!(wait(403, &both, message), Some(Duration::from_secs(60)));
        // Remaining requests left: the 403 is about something else.
        let left = [("x-ratelimit-remaining", "12"), exhausted[1]];
        assert_eq!(
            wait(403, &left, "Resource not accessible by integration"),
            None
        );
    }

    #[test]
    fn a_secondary_rate_limit_without_headers_waits_a_minute() {
        let minute = Some(Duration::from_secs(60));
        assert_eq!(
            wait(
                403,
                &[],
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            ),
            minute
        );
        assert_eq!(wait(429, &[], ""), minute);
        assert_eq!(
            wait(403, &[], "Must have admin rights to Repository."),
            None
        );
        assert_eq!(wait(502, &[], "Bad Gateway"), None);
        assert_eq!(wait(404, &[("retry-after", "soon")], "Not Found"), None);
    }
}
