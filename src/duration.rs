//! Durations as people write them (`500ms`, `10s`, `1.5s`, `2m`, `1h`; a unit is always
//! required, so `10` is never read as the wrong unit): the one parser behind `--timeout`, `timeout:` in scenarios and every duration of
//! the project file, with the same accepted forms, limits and wording everywhere.
//! Pure: imports nothing of the crate.

use std::fmt;
use std::time::Duration;

/// The longest duration accepted anywhere: a wait longer than this is a mistake.
pub const MAX: Duration = Duration::from_secs(60 * 60);

/// Why a text is not an acceptable duration. The `Display` text is the whole message, the
/// same on the command line and in scenario diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration like 500ms, 10s or 2m")]
    Malformed(String),
    #[error("`{0}` has no unit: write {0}s, or use ms, m or h")]
    NoUnit(String),
    #[error("`{text}`: unknown unit `{unit}` (use ms, s, m or h)")]
    UnknownUnit { text: String, unit: String },
    #[error("`{0}` is zero: a wait must be longer than 0")]
    Zero(String),
    #[error("`{0}` is too long: at most 1h")]
    TooLong(String),
}

/// Whether zero is a meaningful value (a polling interval) or a mistake (a timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zero {
    Allowed,
    Rejected,
}

/// Parses `text` (surrounding spaces ignored).
pub fn parse(text: &str, zero: Zero) -> Result<Duration, DurationError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim();
    let malformed = || DurationError::Malformed(t.to_string());
    if number.is_empty() || number.matches('.').count() > 1 || number == "." {
        return Err(malformed());
    }
    let scale = match unit {
        "ms" => 0.001,
        "" => return Err(DurationError::NoUnit(t.to_string())),
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ if unit.chars().all(|c| c.is_ascii_alphabetic()) => {
            return Err(DurationError::UnknownUnit {
                text: t.to_string(),
                unit: unit.to_string(),
            })
        }
        _ => return Err(malformed()),
    };
    let value: f64 = number.parse().map_err(|_| malformed())?;
    let secs = value * scale;
    if !secs.is_finite() || secs > MAX.as_secs_f64() {
        return Err(DurationError::TooLong(t.to_string()));
    }
    let duration = Duration::from_secs_f64(secs);
    if duration.is_zero() && zero == Zero::Rejected {
        return Err(DurationError::Zero(t.to_string()));
    }
    Ok(duration)
}

/// For clap: a positive duration.
pub fn parse_timeout(text: &str) -> Result<Duration, DurationError> {
    parse(text, Zero::Rejected)
}

/// A duration written back the way [`parse`] reads it (`1.5s`, `250ms`, `2m`).
pub struct Human(pub Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(60_000) && ms > 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else if ms < 1000 {
            write!(f, "{ms}ms")
        } else {
            write!(f, "{}s", self.0.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Duration {
        parse(text, Zero::Rejected).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("10s"), Duration::from_secs(10));
        assert_eq!(ok(" 1.5s "), Duration::from_millis(1500));
        assert_eq!(ok("2m"), Duration::from_secs(120));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok("10 s"), Duration::from_secs(10));
    }

    #[test]
    fn rejected_forms_say_why() {
        let err = |t: &str| parse(t, Zero::Rejected).unwrap_err().to_string();
        assert_eq!(err("3"), "`3` has no unit: write 3s, or use ms, m or h");
        assert_eq!(err("ten"), "`ten` is not a duration like 500ms, 10s or 2m");
        assert_eq!(err(""), "`` is not a duration like 500ms, 10s or 2m");
        assert_eq!(
            err("1.2.3s"),
            "`1.2.3s` is not a duration like 500ms, 10s or 2m"
        );
        assert_eq!(err("-1s"), "`-1s` is not a duration like 500ms, 10s or 2m");
        assert_eq!(err("5d"), "`5d`: unknown unit `d` (use ms, s, m or h)");
        assert_eq!(err("0s"), "`0s` is zero: a wait must be longer than 0");
        assert_eq!(
            err("0.0ms"),
            "`0.0ms` is zero: a wait must be longer than 0"
        );
        assert_eq!(err("61m"), "`61m` is too long: at most 1h");
    }

    #[test]
    fn overflow_is_an_error_never_a_panic() {
        for text in [
            "99999999999999999999999s",
            "99999999999999999999s",
            "1e400s",
            &"9".repeat(400),
        ] {
            let got = parse(text, Zero::Rejected);
            assert!(got.is_err(), "{text}: {got:?}");
        }
    }

    #[test]
    fn zero_is_allowed_where_it_means_something() {
        assert_eq!(parse("0s", Zero::Allowed).unwrap(), Duration::ZERO);
    }

    #[test]
    fn human_round_trips() {
        for text in ["250ms", "10s", "1.5s", "2m"] {
            assert_eq!(Human(ok(text)).to_string(), text);
        }
    }
}
