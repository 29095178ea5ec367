//! RFC 3339 timestamps, by hand: the log reader needs only "is this line prefixed with one, and what
//! instant is it", and a date library would be the crate's heaviest dependency for two small functions.
//!
//! Accepted: `2026-12-01T10:00:00Z`, with `t`/space for `T`, fractional seconds of any length, and
//! `z`/`+HH:MM`/`-HH:MM`/`+HHMM` offsets. Leap seconds (`:60`) count as the next second. A local time
//! without an offset is not RFC 3339 and is not accepted: guessing a zone would shift counts between
//! hourly windows.

/// Seconds since the Unix epoch of the RFC 3339 timestamp at the start of `s`, and its length in bytes.
pub fn parse_prefix(s: &str) -> Option<(i64, usize)> {
    let b = s.as_bytes();
    let num = |at: usize, n: usize| -> Option<i64> {
        let digits = b.get(at..at + n)?;
        let mut v = 0i64;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(d - b'0');
        }
        Some(v)
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(16) != Some(&b':') {
        return None;
    }
    let (month, day) = (num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        at += 1 + digits;
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hours = num(at + 1, 2)?;
            let (minutes, len) = if b.get(at + 3) == Some(&b':') {
                (num(at + 4, 2)?, 6)
            } else {
                (num(at + 3, 2)?, 5)
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            at += len;
            let offset = hours * 3600 + minutes * 60;
            if sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        at,
    ))
}

/// `2026-12-01T10:00:00Z` for seconds since the epoch.
pub fn format(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar ("chrono-Compatible Low-Level Date
// Algorithms"): exact for every year, no tables.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_shapes_logs_use_and_round_trips() {
        let cases = [
            ("2026-12-01T10:00:00Z rest", 1_796_119_200, 20),
            ("2026-12-01T10:00:00.123456789Z", 1_796_119_200, 30),
            ("2026-12-01 12:00:00+02:00", 1_796_119_200, 25),
            ("2026-12-01t05:30:00-0430", 1_796_119_200, 24),
            ("1970-01-01T00:00:00Z", 0, 20),
            ("2024-02-29T23:59:59Z", 1_709_251_199, 20),
        ];
        for (text, seconds, len) in cases {
            assert_eq!(parse_prefix(text), Some((seconds, len)), "{text}");
        }
        assert_eq!(format(1_796_119_200), "2026-12-01T10:00:00Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59Z");
        for text in [
            "2026-12-01T10:00:00",
            "2026-13-01T10:00:00Z",
            "2026-12-01T10:00:00.Z",
            "2026-12-01X10:00:00Z",
            "20261201T100000Z",
            "2026-12-01T10:00:00+2",
            "",
        ] {
            assert_eq!(parse_prefix(text), None, "{text}");
        }
    }
}
