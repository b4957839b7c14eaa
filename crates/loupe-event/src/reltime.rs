//! Splunk time modifiers (`earliest=-24h@h latest=now`), resolved to epoch nanoseconds.
//!
//! Accepted forms:
//! - `now` (also `rt` real-time windows such as `rt-5m`, treated like `-5m`);
//! - relative terms applied left to right: offsets `-15m`, `+1d`, `-h` (count 1),
//!   and snaps `@d`, `@w1` (Monday), `@mon`, `@q`, `@y`, e.g. `-24h@h`, `-7d@w1`,
//!   `@d+8h`; units `s sec secs second seconds`, `m min mins minute minutes`,
//!   `h hr hrs hour hours`, `d day days`, `w week weeks`, `mon month months`,
//!   `q qtr qtrs quarter quarters`, `y yr yrs year years`; `@w0`/`@w7`/`@w` is Sunday;
//! - epoch seconds with up to nine decimals: `1767225601.123`;
//! - ISO 8601: `2026-03-02T00:00:00Z`, `2026-03-02T01:00:00+01:00`,
//!   `2026-03-02 10:00:00` and `2026-03-02` (these two in the given zone);
//! - Splunk's own `%m/%d/%Y:%H:%M:%S` (`03/02/2026:10:00:00`) and `%m/%d/%Y`.
//!
//! Snapping and calendar units (days and longer) are computed in the given zone,
//! so `@d` is local midnight and `-1d` keeps the local time across DST changes;
//! seconds, minutes and hours are exact durations.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, ZonedDateTime};

/// Why a time modifier could not be resolved; the message names the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The text is not a time modifier Loupe understands.
    #[error("invalid time modifier {input:?}: {reason}")]
    Invalid {
        /// The modifier as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The modifier is well-formed but lands outside the representable range
    /// (about the years 1678-2262 for nanosecond timestamps).
    #[error("time modifier {input:?} is out of range")]
    OutOfRange {
        /// The modifier as given.
        input: String,
    },
}

fn invalid(input: &str, reason: impl Into<String>) -> TimeError {
    TimeError::Invalid {
        input: input.to_owned(),
        reason: reason.into(),
    }
}

fn out_of_range(input: &str) -> TimeError {
    TimeError::OutOfRange {
        input: input.to_owned(),
    }
}

/// Resolves `earliest`/`latest` style time specs against a fixed `now`, so searches,
/// alerts and tests agree on what "the last 24 hours" means.
pub fn resolve(spec: &str, now_ns: i64, tz: &TimeZone) -> Result<i64, TimeError> {
    let s = spec.trim();
    if s.is_empty() {
        return Err(invalid(spec, "empty"));
    }
    if s.eq_ignore_ascii_case("now") {
        return Ok(now_ns);
    }
    let first = s.as_bytes()[0];
    if first.is_ascii_digit() {
        if let Some(ns) = epoch_seconds(s) {
            return ns.ok_or_else(|| out_of_range(spec));
        }
        return absolute(spec, s, tz);
    }
    let rel = if s.len() >= 2 && s.as_bytes()[..2].eq_ignore_ascii_case(b"rt") {
        &s[2..]
    } else {
        s
    };
    if rel.is_empty() {
        return Ok(now_ns);
    }
    relative(spec, rel, now_ns, tz)
}

/// `1767225601` or `1767225601.123`: `Some(None)` when the number is too large.
fn epoch_seconds(s: &str) -> Option<Option<i64>> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut nanos: i64 = 0;
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digits: String = f.chars().take(9).collect();
        let padded = format!("{digits:0<9}");
        nanos = padded.parse().ok()?;
    }
    let secs: i64 = match int.parse() {
        Ok(v) => v,
        Err(_) => return Some(None),
    };
    Some(
        secs.checked_mul(1_000_000_000)
            .and_then(|v| v.checked_add(nanos)),
    )
}

fn zoned_ns(input: &str, z: &ZonedDateTime) -> Result<i64, TimeError> {
    i64::try_from(z.timestamp().as_nanosecond()).map_err(|_| out_of_range(input))
}

fn timestamp_ns(input: &str, t: Timestamp) -> Result<i64, TimeError> {
    i64::try_from(t.as_nanosecond()).map_err(|_| out_of_range(input))
}

/// ISO 8601 and Splunk's `%m/%d/%Y:%H:%M:%S`.
fn absolute(input: &str, s: &str, tz: &TimeZone) -> Result<i64, TimeError> {
    let b = s.as_bytes();
    // Splunk's US form: 03/02/2026:10:00:00 or 03/02/2026.
    if b.len() >= 10 && b[2] == b'/' && b[5] == b'/' {
        let parsed = if b.len() == 10 {
            Date::strptime("%m/%d/%Y", s).map(|d| d.at(0, 0, 0, 0))
        } else {
            DateTime::strptime("%m/%d/%Y:%H:%M:%S", s)
        };
        let dt = parsed.map_err(|e| invalid(input, format!("expected %m/%d/%Y:%H:%M:%S ({e})")))?;
        let z = dt
            .to_zoned_datetime(tz.clone())
            .map_err(|_| out_of_range(input))?;
        return zoned_ns(input, &z);
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return timestamp_ns(input, t);
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        let z = dt
            .to_zoned_datetime(tz.clone())
            .map_err(|_| out_of_range(input))?;
        return zoned_ns(input, &z);
    }
    if let Ok(d) = s.parse::<Date>() {
        let z = d
            .to_zoned_datetime(tz.clone())
            .map_err(|_| out_of_range(input))?;
        return zoned_ns(input, &z);
    }
    Err(invalid(
        input,
        "expected now, a relative time like -24h@h, epoch seconds, ISO 8601 or %m/%d/%Y:%H:%M:%S",
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

fn unit(name: &str) -> Option<Unit> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => Unit::Second,
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
        "d" | "day" | "days" => Unit::Day,
        "w" | "week" | "weeks" => Unit::Week,
        "mon" | "month" | "months" => Unit::Month,
        "q" | "qtr" | "qtrs" | "quarter" | "quarters" => Unit::Quarter,
        "y" | "yr" | "yrs" | "year" | "years" => Unit::Year,
        _ => return None,
    })
}

/// A sequence of `±N unit` offsets and `@unit` snaps, applied left to right.
fn relative(input: &str, s: &str, now_ns: i64, tz: &TimeZone) -> Result<i64, TimeError> {
    let now = Timestamp::from_nanosecond(i128::from(now_ns)).map_err(|_| out_of_range(input))?;
    let mut z = now.to_zoned_datetime(tz.clone());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            sign @ (b'+' | b'-') => {
                i += 1;
                let ds = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let count: i64 = if i == ds {
                    1
                } else {
                    s[ds..i].parse().map_err(|_| out_of_range(input))?
                };
                let us = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let name = &s[us..i];
                if name.is_empty() {
                    return Err(invalid(input, format!("missing unit after {:?}", &s[..i])));
                }
                let u =
                    unit(name).ok_or_else(|| invalid(input, format!("unknown unit {name:?}")))?;
                let n = if sign == b'-' { -count } else { count };
                z = offset(input, &z, n, u)?;
            }
            b'@' => {
                i += 1;
                let us = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let name = &s[us..i];
                let day = if i < b.len() && b[i].is_ascii_digit() {
                    let d = b[i] - b'0';
                    i += 1;
                    Some(d)
                } else {
                    None
                };
                z = snap(input, &z, name, day)?;
            }
            _ => {
                return Err(invalid(
                    input,
                    format!("unexpected {:?}; expected +, - or @", &s[i..]),
                ))
            }
        }
    }
    zoned_ns(input, &z)
}

fn offset(input: &str, z: &ZonedDateTime, n: i64, u: Unit) -> Result<ZonedDateTime, TimeError> {
    let oor = |_| out_of_range(input);
    let exact = |secs_per: i64| -> Result<ZonedDateTime, TimeError> {
        let secs = n.checked_mul(secs_per).ok_or_else(|| out_of_range(input))?;
        z.checked_add(SignedDuration::from_secs(secs))
            .map_err(|_| out_of_range(input))
    };
    let span = match u {
        Unit::Second => return exact(1),
        Unit::Minute => return exact(60),
        Unit::Hour => return exact(3600),
        Unit::Day => Span::new().try_days(n).map_err(oor)?,
        Unit::Week => Span::new().try_weeks(n).map_err(oor)?,
        Unit::Month => Span::new().try_months(n).map_err(oor)?,
        Unit::Quarter => {
            let months = n.checked_mul(3).ok_or_else(|| out_of_range(input))?;
            Span::new().try_months(months).map_err(oor)?
        }
        Unit::Year => Span::new().try_years(n).map_err(oor)?,
    };
    z.checked_add(span).map_err(|_| out_of_range(input))
}

fn snap(
    input: &str,
    z: &ZonedDateTime,
    name: &str,
    day: Option<u8>,
) -> Result<ZonedDateTime, TimeError> {
    let oor = |_| out_of_range(input);
    let at_date = |d: Date| d.to_zoned_datetime(z.time_zone().clone()).map_err(oor);
    let lower = name.to_ascii_lowercase();
    if let Some(d) = day {
        if lower != "w" {
            return Err(invalid(
                input,
                format!("a weekday number only follows @w, not @{name}"),
            ));
        }
        if d > 7 {
            return Err(invalid(input, "weekday must be 0-7 (0 and 7 are Sunday)"));
        }
    }
    let u = unit(&lower).ok_or_else(|| invalid(input, format!("unknown snap unit {name:?}")))?;
    let date = z.date();
    match u {
        Unit::Second => z.with().subsec_nanosecond(0).build().map_err(oor),
        Unit::Minute => z.with().second(0).subsec_nanosecond(0).build().map_err(oor),
        Unit::Hour => z
            .with()
            .minute(0)
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .map_err(oor),
        Unit::Day => z.start_of_day().map_err(oor),
        Unit::Week => {
            let target = i64::from(day.unwrap_or(0) % 7);
            let today = i64::from(date.weekday().to_sunday_zero_offset());
            let back = (today - target).rem_euclid(7);
            let d = date.checked_sub(Span::new().days(back)).map_err(oor)?;
            at_date(d)
        }
        Unit::Month => at_date(date.first_of_month()),
        Unit::Quarter => {
            let m = (date.month() - 1) / 3 * 3 + 1;
            let d = Date::new(date.year(), m, 1).map_err(oor)?;
            at_date(d)
        }
        Unit::Year => at_date(date.first_of_year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_input() {
        let e = resolve("-5x", 0, &TimeZone::UTC).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid time modifier \"-5x\": unknown unit \"x\""
        );
        assert!(resolve("", 0, &TimeZone::UTC).is_err());
        assert!(resolve("yesterday", 0, &TimeZone::UTC).is_err());
    }
}
