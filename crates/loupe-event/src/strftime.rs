//! A user's own timestamp layout (`time_format` of a `[sourcetypes.NAME]` table), in
//! strftime notation, read with jiff's `strptime`.
//!
//! Built-in formats have hand-written matchers (see [`crate::timestamp`]); a custom one
//! is whatever the user's software writes, so it goes through a general parser. Two
//! things strptime lacks are added here because logs need them: `%Z` (a zone
//! abbreviation such as `CET` or an IANA name such as `Europe/Paris`) and a missing
//! year (taken from the [`TimeContext`], as for syslog).

use crate::timestamp::TimeContext;
use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::TimeZone;

/// Offsets (seconds east of UTC) of the zone abbreviations logs commonly print.
/// Ambiguous ones (`IST`: India, Ireland, Israel) are left out on purpose.
const ABBREVIATIONS: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 3600),
    ("BST", 3600),
    ("CET", 3600),
    ("CEST", 7200),
    ("MET", 3600),
    ("MEST", 7200),
    ("EET", 7200),
    ("EEST", 10_800),
    ("MSK", 10_800),
    ("EST", -18_000),
    ("EDT", -14_400),
    ("CST", -21_600),
    ("CDT", -18_000),
    ("MST", -25_200),
    ("MDT", -21_600),
    ("PST", -28_800),
    ("PDT", -25_200),
    ("AKST", -32_400),
    ("AKDT", -28_800),
    ("HST", -36_000),
    ("JST", 32_400),
    ("KST", 32_400),
    ("HKT", 28_800),
    ("SGT", 28_800),
    ("AWST", 28_800),
    ("ACST", 34_200),
    ("AEST", 36_000),
    ("AEDT", 39_600),
    ("NZST", 43_200),
    ("NZDT", 46_800),
];

/// The offset of a zone abbreviation (`CET`, `EDT`...), in seconds east of UTC.
pub fn abbreviation_offset(abbr: &str) -> Option<i32> {
    ABBREVIATIONS
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(abbr))
        .map(|&(_, o)| o)
}

/// A `time_format` checked once (when the config is read) and applied to each event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeLayout {
    /// The format before `%Z`, or all of it.
    before: String,
    /// The format after `%Z` when it has one.
    after: Option<String>,
    text: String,
}

/// Why a `time_format` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// No conversion at all: such a format could never give a time.
    #[error("time_format {0:?} has no % conversion")]
    NoConversion(String),
    /// `%Z` more than once.
    #[error("time_format {0:?} has %Z more than once")]
    TwoZones(String),
}

impl TimeLayout {
    /// Checks a strftime format; the conversions themselves are checked by jiff on use.
    pub fn new(format: &str) -> Result<TimeLayout, LayoutError> {
        if !format.contains('%') {
            return Err(LayoutError::NoConversion(format.to_string()));
        }
        let mut parts = format.split("%Z");
        let before = parts.next().unwrap_or_default().to_string();
        let after = parts.next().map(str::to_string);
        if parts.next().is_some() {
            return Err(LayoutError::TwoZones(format.to_string()));
        }
        Ok(TimeLayout {
            before,
            after,
            text: format.to_string(),
        })
    }

    /// The format as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Reads a timestamp at the start of `text`: epoch nanoseconds and the length read.
    /// Zone-less times are read in `tz`; year-less ones take the context's year.
    pub fn parse(&self, text: &str, ctx: &TimeContext, tz: &TimeZone) -> Option<(i64, usize)> {
        let (mut tm, used, zone) = match &self.after {
            None => {
                let (tm, n) = BrokenDownTime::parse_prefix(&self.before, text).ok()?;
                (tm, n, None)
            }
            Some(after) => {
                let (_, n) = BrokenDownTime::parse_prefix(&self.before, text).ok()?;
                let rest = &text[n..];
                let zlen = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')))
                    .unwrap_or(rest.len());
                let name = &rest[..zlen];
                let zone = match abbreviation_offset(name) {
                    Some(off) => TimeZone::fixed(jiff::tz::Offset::from_seconds(off).ok()?),
                    None => TimeZone::get(name).ok()?,
                };
                // Everything but the zone, parsed as one piece so fields may straddle it.
                let joined = format!("{}{}", &text[..n], &rest[zlen..]);
                let fmt = format!("{}{}", self.before, after);
                let (tm, m) = BrokenDownTime::parse_prefix(&fmt, &joined).ok()?;
                (tm, m + zlen, Some(zone))
            }
        };
        if let Some(ts) = tm.timestamp() {
            return Some((i64::try_from(ts.as_nanosecond()).ok()?, used));
        }
        if tm.year().is_none() {
            tm.set_year(i16::try_from(ctx.default_year).ok()).ok()?;
        }
        let ts = if let Some(off) = tm.offset() {
            tm.to_datetime()
                .ok()?
                .to_zoned_datetime(TimeZone::fixed(off))
                .ok()?
                .timestamp()
        } else if let Some(z) = zone {
            tm.to_datetime()
                .ok()?
                .to_zoned_datetime(z)
                .ok()?
                .timestamp()
        } else if let Some(name) = tm.iana_time_zone() {
            let z = TimeZone::get(name).ok()?;
            tm.to_datetime()
                .ok()?
                .to_zoned_datetime(z)
                .ok()?
                .timestamp()
        } else {
            let dt = tm.to_datetime().ok()?;
            tz.to_ambiguous_timestamp(dt).compatible().ok()?
        };
        Some((i64::try_from(ts.as_nanosecond()).ok()?, used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> i64 {
        let ts: jiff::Timestamp = s.parse().expect("test timestamp");
        i64::try_from(ts.as_nanosecond()).expect("fits")
    }

    #[test]
    fn layouts_with_names_fractions_offsets_and_no_year() {
        let ctx = TimeContext::utc(2026);
        let paris = TimeZone::get("Europe/Paris").expect("tzdb");
        let cases: &[(&str, &str, &str)] = &[
            (
                "%H:%M:%S %d/%m/%Y",
                "01:45:13 02/03/2026 OK",
                "2026-03-02T00:45:13Z",
            ),
            (
                "%b %e %H:%M:%S",
                "Mar  2 10:00:01 host",
                "2026-03-02T09:00:01Z",
            ),
            (
                "%Y-%m-%d %H:%M:%S%.f %z",
                "2026-03-02 10:00:01.250 +0000 x",
                "2026-03-02T10:00:01.25Z",
            ),
            (
                "%Y-%m-%d %H:%M:%S %Z",
                "2026-07-02 10:00:01 CEST [1]",
                "2026-07-02T08:00:01Z",
            ),
            (
                "%Y-%m-%d %H:%M:%S %Z",
                "2026-01-02 10:00:01 EST [1]",
                "2026-01-02T15:00:01Z",
            ),
            (
                "%d-%b-%Y %H:%M:%S,%f",
                "02-Mar-2026 06:58:01,412 INFO",
                "2026-03-02T05:58:01.412Z",
            ),
            ("%s", "1772445601 x", "2026-03-02T10:00:01Z"),
        ];
        for (fmt, text, want) in cases {
            let layout = TimeLayout::new(fmt).expect("layout");
            let got = layout.parse(text, &ctx, &paris).map(|(t, _)| t);
            assert_eq!(got, Some(ns(want)), "{fmt} on {text}");
        }
        let layout = TimeLayout::new("%Y-%m-%d").expect("layout");
        assert_eq!(layout.parse("not a date", &ctx, &paris), None);
        assert!(TimeLayout::new("YYYY-MM-DD").is_err());
        assert!(TimeLayout::new("%Z %Z").is_err());
    }
}
