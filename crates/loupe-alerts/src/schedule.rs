//! When a saved search runs, and over which window.
//!
//! **Cron.** Five fields as Splunk's `cron_schedule` (`minute hour day-of-month month
//! day-of-week`), or six with seconds first; parsed by [`croner`] (names such as `MON` and
//! `JAN`, ranges, steps, `L`, `W` and `#` accepted; a year field is refused). Day-of-month
//! and day-of-week combine with OR when both are restricted, as in Vixie cron and Splunk.
//!
//! **Time zone.** A pattern is read on the wall clock of the search's IANA `timezone`
//! (default: the server's), with jiff's tz database, so `0 8 * * 1` is 08:00 in Paris all year.
//!
//! **Daylight saving time** (croner's rules, which follow Vixie cron):
//! - *Spring forward* (a wall time that does not exist, such as 02:30 in Paris on the last
//!   Sunday of March): a *fixed-time* pattern (seconds, minutes and hours all plain numbers,
//!   `30 2 * * *`) is **shifted** to the first instant after the gap — it runs at 03:00 CEST
//!   that day, so a daily job is never lost. An *interval* pattern (`*/15 * * * *`, any `*` or
//!   step in those fields) **skips** the times inside the gap and continues on the new wall
//!   clock.
//! - *Fall back* (a wall time that happens twice, 02:30 in Paris on the last Sunday of
//!   October): a fixed-time pattern runs **once**, at the first occurrence (02:30 CEST); an
//!   interval pattern runs on each real occurrence, since those are distinct instants an
//!   "every 15 minutes" job means.
//!
//! **Window.** [`run_window`] resolves `earliest`/`latest` (`-24h@h`, `@d`, ISO 8601, …) with
//! [`loupe_event::reltime`] against the *scheduled* time in the search's zone, never against
//! the wall clock when the run starts: a run that starts late, or is caught up after downtime,
//! covers exactly the window it was scheduled for.

use crate::error::AlertError;
use croner::parser::{CronParser, Seconds, Year};
use croner::{CivilDate, CivilDateTime, CivilTime, Cron, CronDateTime, Resolution};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use loupe_meta::SavedSearch;
use std::cmp::Ordering;

/// A parsed cron pattern in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    tz: TimeZone,
    text: String,
}

impl Schedule {
    /// Parses a 5- or 6-field pattern, evaluated in `tz`.
    pub fn parse(cron: &str, tz: TimeZone) -> Result<Schedule, AlertError> {
        let fields = cron.split_whitespace().count();
        if !(fields == 5 || fields == 6) {
            return Err(AlertError::Cron {
                cron: cron.to_string(),
                reason: format!("expected 5 fields (6 with seconds first), found {fields}"),
            });
        }
        let parsed = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(cron)
            .map_err(|e| AlertError::Cron {
                cron: cron.to_string(),
                reason: e.to_string(),
            })?;
        Ok(Schedule {
            cron: parsed,
            tz,
            text: cron.to_string(),
        })
    }

    /// The pattern as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The zone the pattern is read in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The first scheduled time strictly after `t`.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let start = JZoned(t.to_zoned_datetime(self.tz.clone()));
        self.cron
            .find_next_occurrence(&start, false)
            .ok()
            .map(|z| z.0.timestamp())
    }

    /// The last scheduled time at or before `t`.
    pub fn last_at_or_before(&self, t: Timestamp) -> Option<Timestamp> {
        let start = JZoned(t.to_zoned_datetime(self.tz.clone()));
        self.cron
            .find_previous_occurrence(&start, true)
            .ok()
            .map(|z| z.0.timestamp())
    }

    /// Scheduled times in `(after, upto]`, newest first, at most `cap` of them; the flag says
    /// whether older ones were left out. Walks backwards so a long downtime under a
    /// seconds-level pattern costs `cap` steps, not one per missed second.
    pub fn times_back(
        &self,
        after: Timestamp,
        upto: Timestamp,
        cap: usize,
    ) -> (Vec<Timestamp>, bool) {
        let mut out = Vec::new();
        let mut cursor = self.last_at_or_before(upto);
        while let Some(t) = cursor {
            if t <= after {
                return (out, false);
            }
            if out.len() == cap {
                return (out, true);
            }
            out.push(t);
            let start = JZoned(t.to_zoned_datetime(self.tz.clone()));
            cursor = self
                .cron
                .find_previous_occurrence(&start, false)
                .ok()
                .map(|z| z.0.timestamp());
        }
        (out, false)
    }
}

/// The zone named by a saved search, or `default` when it names none.
pub fn zone_of(name: Option<&str>, default: &TimeZone) -> Result<TimeZone, AlertError> {
    match name {
        None => Ok(default.clone()),
        Some(n) => TimeZone::get(n).map_err(|_| AlertError::TimeZone(n.to_string())),
    }
}

/// A zone's IANA name, or its offset when it has none (a fixed-offset server zone).
pub fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().map(str::to_string).unwrap_or_else(|| {
        let offset = tz.to_offset(Timestamp::now());
        format!("{offset}")
    })
}

/// Durations as Loupe's objects spell them: `30s`, `5m`, `2h`, `1d`, `1w`, combinations
/// (`1h30m`), or plain seconds (`300`, as Splunk's `alert.suppress.period` allows).
pub fn parse_duration(text: &str, what: &'static str) -> Result<SignedDuration, AlertError> {
    let err = || AlertError::Duration {
        input: text.to_string(),
        what,
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(err());
    }
    if let Ok(secs) = s.parse::<i64>() {
        return if secs >= 0 {
            Ok(SignedDuration::from_secs(secs))
        } else {
            Err(err())
        };
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| err())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start();
        let per: i64 = match unit.to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 604_800,
            _ => return Err(err()),
        };
        total = n
            .checked_mul(per)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(err)?;
    }
    Ok(SignedDuration::from_secs(total))
}

/// `[earliest, latest)` of the run scheduled at `scheduled`: the saved search's modifiers
/// resolved against that instant in `tz`; `latest` defaults to the scheduled time itself,
/// `earliest` to all time.
pub fn run_window(
    saved: &SavedSearch,
    scheduled: Timestamp,
    tz: &TimeZone,
) -> Result<(Option<Timestamp>, Timestamp), AlertError> {
    let now_ns = i64::try_from(scheduled.as_nanosecond()).map_err(|_| {
        loupe_event::TimeError::OutOfRange {
            input: scheduled.to_string(),
        }
    })?;
    let resolve = |spec: &str| -> Result<Timestamp, AlertError> {
        let ns = loupe_event::reltime::resolve(spec, now_ns, tz)?;
        Timestamp::from_nanosecond(i128::from(ns)).map_err(|_| {
            AlertError::Time(loupe_event::TimeError::OutOfRange {
                input: spec.to_string(),
            })
        })
    };
    let earliest = saved.earliest.as_deref().map(resolve).transpose()?;
    let latest = match saved.latest.as_deref() {
        Some(spec) => resolve(spec)?,
        None => scheduled,
    };
    Ok((earliest, latest))
}

/// jiff's `ZonedDateTime` seen by croner. croner ships an adapter for jiff 0.2 only; this one is for
/// the workspace's jiff 1 (and spares the build chrono), written like croner's own.
#[derive(Clone)]
struct JZoned(ZonedDateTime);

impl CronDateTime for JZoned {
    fn to_civil(&self) -> CivilDateTime {
        let d = self.0.datetime();
        CivilDateTime::new(
            CivilDate::from_parts_unchecked(i32::from(d.year()), d.month() as u32, d.day() as u32),
            CivilTime::from_parts_unchecked(d.hour() as u32, d.minute() as u32, d.second() as u32),
        )
    }

    fn civil_weekday(&self) -> croner::Weekday {
        croner::Weekday::from_days_from_sunday(self.0.weekday().to_sunday_zero_offset() as u32)
    }

    fn resolve_civil(
        &self,
        civil: CivilDateTime,
    ) -> Result<Resolution<Self>, croner::errors::CronError> {
        use croner::errors::CronError;
        let year = i16::try_from(civil.year()).map_err(|_| CronError::InvalidDate)?;
        let dt = jiff::civil::DateTime::new(
            year,
            civil.month() as i8,
            civil.day() as i8,
            civil.hour() as i8,
            civil.minute() as i8,
            civil.second() as i8,
            0,
        )
        .map_err(|_| CronError::InvalidDate)?;
        let ambiguous = self.0.time_zone().to_ambiguous_zoned_datetime(dt);
        Ok(match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { .. } => Resolution::Single(JZoned(
                ambiguous
                    .unambiguous()
                    .map_err(|_| CronError::InvalidTime)?,
            )),
            AmbiguousOffset::Fold { .. } => {
                let earlier = ambiguous
                    .clone()
                    .earlier()
                    .map_err(|_| CronError::InvalidTime)?;
                let later = ambiguous.later().map_err(|_| CronError::InvalidTime)?;
                Resolution::Ambiguous(JZoned(earlier), JZoned(later))
            }
            AmbiguousOffset::Gap { .. } => Resolution::Gap,
        })
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        self.0
            .checked_add(SignedDuration::from_secs(seconds))
            .ok()
            .map(JZoned)
    }

    fn cmp_instant(&self, other: &Self) -> Ordering {
        self.0.timestamp().cmp(&other.0.timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("30m", "t").unwrap(),
            SignedDuration::from_mins(30)
        );
        assert_eq!(
            parse_duration("1h30m", "t").unwrap(),
            SignedDuration::from_mins(90)
        );
        assert_eq!(
            parse_duration("300", "t").unwrap(),
            SignedDuration::from_secs(300)
        );
        assert_eq!(
            parse_duration("1d", "t").unwrap(),
            SignedDuration::from_hours(24)
        );
        assert!(parse_duration("5x", "t").is_err());
        assert!(parse_duration("", "t").is_err());
    }

    #[test]
    fn five_and_six_fields() {
        let utc = TimeZone::UTC;
        let s = Schedule::parse("*/5 * * * *", utc.clone()).unwrap();
        assert_eq!(
            s.next_after(ts("2026-01-01T10:02:00Z")),
            Some(ts("2026-01-01T10:05:00Z"))
        );
        let s = Schedule::parse("*/10 * * * * *", utc.clone()).unwrap();
        assert_eq!(
            s.next_after(ts("2026-01-01T10:00:05Z")),
            Some(ts("2026-01-01T10:00:10Z"))
        );
        assert!(Schedule::parse("* * * *", utc.clone()).is_err());
        assert!(Schedule::parse("0 0 * * * * 2026", utc.clone()).is_err());
        assert!(Schedule::parse("61 * * * *", utc).is_err());
    }

    #[test]
    fn times_back_is_capped_and_newest_first() {
        let s = Schedule::parse("* * * * *", TimeZone::UTC).unwrap();
        let (t, more) = s.times_back(ts("2026-01-01T10:00:00Z"), ts("2026-01-01T10:03:30Z"), 10);
        assert_eq!(
            t,
            vec![
                ts("2026-01-01T10:03:00Z"),
                ts("2026-01-01T10:02:00Z"),
                ts("2026-01-01T10:01:00Z")
            ]
        );
        assert!(!more);
        let (t, more) = s.times_back(ts("2026-01-01T00:00:00Z"), ts("2026-01-02T00:00:00Z"), 2);
        assert_eq!(t.len(), 2);
        assert!(more);
    }

    #[test]
    fn window_from_the_scheduled_time_in_the_zone() {
        let saved: SavedSearch = serde_json::from_str(
            r#"{"name":"w","query":"error","earliest":"-1d@d","latest":"@d"}"#,
        )
        .unwrap();
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let (e, l) = run_window(&saved, ts("2026-03-10T07:00:00Z"), &paris).unwrap();
        assert_eq!(e, Some(ts("2026-03-08T23:00:00Z")));
        assert_eq!(l, ts("2026-03-09T23:00:00Z"));
    }
}
