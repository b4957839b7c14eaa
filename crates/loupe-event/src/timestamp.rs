//! Timestamp recognition on the import hot path.
//!
//! Every event needs an `_time`, and every line of an import passes through
//! here, so recognition is done by hand-written byte matchers (no regex, no
//! allocation per line) over a fixed table of formats ([`TimeFormat`]).
//! A [`TimestampRecognizer`] is built once per stream (usually from a
//! [`crate::Sourcetype`]) and remembers the format that worked last, so the
//! common case is a single matcher call plus a little arithmetic.
//!
//! Two modes:
//! - **rules**: a sourcetype's list of [`TimestampRule`]s, each a format at a
//!   known place (start of line, after N fields, or searched in the first
//!   [`SCAN_LIMIT`] bytes);
//! - **auto**: every known format is tried at each word boundary of the first
//!   [`SCAN_LIMIT`] bytes; bare epoch seconds are accepted only when nothing
//!   else was found.
//!
//! Civil times without an offset are read in [`TimeContext::tz`]; times
//! without a year take [`TimeContext::default_year`]. The result is epoch
//! nanoseconds, with the sub-second digits the text carries.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::SignedDuration;
use std::ops::Range;

/// How far into an event `auto` (and [`Anchor::Search`]) looks for a timestamp, in bytes.
pub const SCAN_LIMIT: usize = 128;

/// What a recognizer needs besides the text: where year-less and zone-less
/// timestamps belong. Never derived from "now", so imports are reproducible.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeContext {
    /// Year given to year-less timestamps (syslog, Android, Proxifier); the caller
    /// takes it from config or the file's modification time.
    pub default_year: i32,
    /// Zone for timestamps that carry no offset; explicit offsets in the text win.
    pub tz: TimeZone,
}

impl TimeContext {
    /// A context with an explicit year and zone.
    pub fn new(default_year: i32, tz: TimeZone) -> TimeContext {
        TimeContext { default_year, tz }
    }

    /// The usual server-side default: zone-less times are UTC.
    pub fn utc(default_year: i32) -> TimeContext {
        TimeContext {
            default_year,
            tz: TimeZone::UTC,
        }
    }
}

/// The timestamp layouts Loupe recognizes; each has its own byte matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeFormat {
    /// `2026-03-02T10:00:00.123+01:00`, `2016-09-28 04:30:30`, `2015-10-18 18:01:47,978`,
    /// `2026/03/02 10:00:00Z`; offset `Z`, `±HH:MM`, `±HHMM`, `±HH` (or ` ±HHMM` after a space).
    Iso8601,
    /// BSD syslog `Jun 14 15:16:01`, `Jul  1 09:00:55`, optional fraction; year from context.
    Syslog,
    /// ctime / Apache error log `Sun Dec 04 04:47:44 2005` (optional fraction before the year).
    Ctime,
    /// Apache/NCSA common log `02/Mar/2026:00:04:16 +0100`.
    Clf,
    /// Android logcat `03-17 16:13:38.811`; year from context.
    AndroidLogcat,
    /// Proxifier `[10.30 16:49:06]` (month.day); year from context; needs the bracket.
    Proxifier,
    /// HealthApp `20171223-22:15:29:606`: unpadded hour/minute/second, then milliseconds.
    HealthApp,
    /// HDFS `081109 203615` (yyMMdd HHmmss).
    CompactYmdHms,
    /// Spark `17/06/09 20:10:40` (yy/MM/dd).
    SlashYmd2,
    /// Batch jobs `01:45:13 02/03/2026` (time first, then day/month/year).
    TimeDayFirstDate,
    /// Loghub BGL/Thunderbird `1117838570 2005.06.03`: epoch seconds confirmed by the date
    /// beside it; BGL's `2005-06-03-15.42.50.675872` two fields later supplies the fraction.
    EpochWithDate,
    /// Bare epoch seconds `1077804742` (optionally `.fraction`), as in HPC logs.
    EpochSeconds,
    /// A top-level JSON key `ts`, `time`, `timestamp`, `@timestamp` (or `_time`) holding
    /// an ISO 8601 string or epoch number.
    JsonKey,
    /// Day first `02/03/2026 10:00:00` (French, Windows exports), also `2/3/2026 10:00:00 AM`
    /// and a `,SSS` / `.SSS` fraction.
    DayMonthYear,
    /// Month first `03/02/2026 10:00:00` (US), chosen by `date_order = "mdy"`.
    MonthDayYear,
    /// Tomcat / catalina `02-Mar-2026 06:58:01.412`.
    DayMonNameYear,
    /// Redis `04 Mar 2026 09:12:01.004` (after its `pid:role ` prefix).
    DaySpaceMonYear,
}

/// Where in the event a rule looks; sourcetypes know where their timestamp is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// At the first byte (an opening `[` is skipped).
    Start,
    /// After this many whitespace-separated fields (an opening `[` is skipped).
    Field(u8),
    /// Anywhere in the first [`SCAN_LIMIT`] bytes, at a word boundary.
    Search,
}

/// One way a sourcetype's events carry their time: a format at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimestampRule {
    /// The layout to match.
    pub format: TimeFormat,
    /// Where to match it.
    pub anchor: Anchor,
}

impl TimestampRule {
    /// A rule anchored at the start of the event.
    pub const fn start(format: TimeFormat) -> TimestampRule {
        TimestampRule {
            format,
            anchor: Anchor::Start,
        }
    }

    /// A rule anchored after `n` whitespace-separated fields.
    pub const fn field(format: TimeFormat, n: u8) -> TimestampRule {
        TimestampRule {
            format,
            anchor: Anchor::Field(n),
        }
    }

    /// A rule searched for in the first [`SCAN_LIMIT`] bytes.
    pub const fn search(format: TimeFormat) -> TimestampRule {
        TimestampRule {
            format,
            anchor: Anchor::Search,
        }
    }
}

/// Formats tried by `auto` at a boundary that starts with a digit, most specific first.
const AUTO_DIGIT: &[TimeFormat] = &[
    TimeFormat::EpochWithDate,
    TimeFormat::Iso8601,
    TimeFormat::HealthApp,
    TimeFormat::Clf,
    TimeFormat::CompactYmdHms,
    TimeFormat::SlashYmd2,
    TimeFormat::AndroidLogcat,
    TimeFormat::TimeDayFirstDate,
    TimeFormat::Proxifier,
    TimeFormat::DayMonthYear,
    TimeFormat::DayMonNameYear,
    TimeFormat::DaySpaceMonYear,
];

/// [`AUTO_DIGIT`] with ambiguous `NN/NN/YYYY` dates read month first (`date_order = "mdy"`).
const AUTO_DIGIT_MDY: &[TimeFormat] = &[
    TimeFormat::EpochWithDate,
    TimeFormat::Iso8601,
    TimeFormat::HealthApp,
    TimeFormat::Clf,
    TimeFormat::CompactYmdHms,
    TimeFormat::SlashYmd2,
    TimeFormat::AndroidLogcat,
    TimeFormat::TimeDayFirstDate,
    TimeFormat::Proxifier,
    TimeFormat::MonthDayYear,
    TimeFormat::DayMonNameYear,
    TimeFormat::DaySpaceMonYear,
];

/// Formats tried by `auto` at a boundary that starts with a letter.
const AUTO_ALPHA: &[TimeFormat] = &[TimeFormat::Ctime, TimeFormat::Syslog];

/// Earliest and latest epoch second `auto` accepts for a bare number (2000-01-01..2100-01-01),
/// so ids and counters are not mistaken for times.
const AUTO_EPOCH_RANGE: Range<i64> = 946_684_800..4_102_444_800;

#[derive(Debug, Clone)]
enum Mode {
    Auto,
    Rules(Vec<TimestampRule>),
    Custom(Box<CustomTime>),
}

/// How ambiguous `NN/NN/YYYY` dates are read (`date_order` of a sourcetype).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DateOrder {
    /// Day first, as in France and most of the world (the default).
    #[default]
    Dmy,
    /// Month first, as in the US.
    Mdy,
}

/// A user-defined timestamp rule: a layout and/or a prefix it follows (Splunk's
/// `TIME_FORMAT`, `TIME_PREFIX`, `MAX_TIMESTAMP_LOOKAHEAD`).
#[derive(Debug, Clone)]
pub struct CustomTime {
    /// The strftime layout; `None` means every known format (as `auto`) after the prefix.
    pub layout: Option<crate::strftime::TimeLayout>,
    /// The timestamp starts where the first match of this regex ends.
    pub prefix: Option<regex::Regex>,
    /// How many bytes after the prefix (or the start) may hold the timestamp.
    pub lookahead: usize,
}

/// Finds the timestamp of an event; built once per stream, cheap per line.
///
/// It is `&mut self` because it caches the last format (and place) that worked
/// and the time-zone offset in force, so consecutive lines of one file cost one
/// matcher call each.
#[derive(Debug, Clone)]
pub struct TimestampRecognizer {
    mode: Mode,
    /// Last success: rule index (rules mode) or format (auto), and byte position.
    last: Option<(Last, usize)>,
    tz: TzCache,
    /// The sourcetype's own zone, which wins over the context's.
    zone: Option<TimeZone>,
    order: DateOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Rule(usize),
    Format(TimeFormat),
    Custom,
}

impl TimestampRecognizer {
    /// The `auto` recognizer: tries every known format near the start of each event.
    pub fn auto() -> TimestampRecognizer {
        TimestampRecognizer {
            mode: Mode::Auto,
            last: None,
            tz: TzCache::default(),
            zone: None,
            order: DateOrder::Dmy,
        }
    }

    /// A recognizer for a sourcetype's rules, tried in order (the last one that worked first).
    pub fn with_rules(rules: Vec<TimestampRule>) -> TimestampRecognizer {
        TimestampRecognizer {
            mode: Mode::Rules(rules),
            ..TimestampRecognizer::auto()
        }
    }

    /// A recognizer for a user-defined rule (`time_format`, `time_prefix`).
    pub fn custom(rule: CustomTime) -> TimestampRecognizer {
        TimestampRecognizer {
            mode: Mode::Custom(Box::new(rule)),
            ..TimestampRecognizer::auto()
        }
    }

    /// Reads zone-less times in `zone` rather than the context's zone.
    pub fn with_zone(mut self, zone: Option<TimeZone>) -> TimestampRecognizer {
        self.zone = zone;
        self
    }

    /// How `auto` reads ambiguous `NN/NN/YYYY` dates.
    pub fn with_date_order(mut self, order: DateOrder) -> TimestampRecognizer {
        self.order = order;
        self
    }

    /// What gave the last timestamp found (a format's name, or the custom layout), for
    /// `loupe sourcetypes test` to say why an event got its time.
    pub fn last_match(&self) -> Option<String> {
        let (last, pos) = self.last?;
        Some(match (last, &self.mode) {
            (Last::Rule(i), Mode::Rules(rules)) => {
                format!("{:?} at byte {pos}", rules.get(i)?.format)
            }
            (Last::Format(f), _) => format!("{f:?} at byte {pos}"),
            (Last::Custom, Mode::Custom(c)) => match &c.layout {
                Some(l) => format!("time_format {:?} at byte {pos}", l.as_str()),
                None => format!("time_prefix, then a known format at byte {pos}"),
            },
            _ => return None,
        })
    }

    /// True for the `auto` recognizer.
    pub fn is_auto(&self) -> bool {
        matches!(self.mode, Mode::Auto)
    }

    /// Epoch nanoseconds of the event's timestamp, or `None` when it has none
    /// (the caller then falls back to receipt time and flags the event).
    pub fn recognize(&mut self, text: &str, ctx: &TimeContext) -> Option<i64> {
        self.recognize_span(text, ctx).map(|(t, _)| t)
    }

    /// Like [`recognize`](Self::recognize), also returning the byte range of the
    /// timestamp in `text`, so extractions and highlighting can skip it.
    pub fn recognize_span(&mut self, text: &str, ctx: &TimeContext) -> Option<(i64, Range<usize>)> {
        let b = text.as_bytes();
        let own;
        let ctx = match &self.zone {
            Some(z) => {
                own = TimeContext::new(ctx.default_year, z.clone());
                &own
            }
            None => ctx,
        };
        let mode = std::mem::replace(&mut self.mode, Mode::Auto);
        let r = match &mode {
            Mode::Auto => self.find_auto(b, ctx),
            Mode::Rules(rules) => self.find_rules(rules, b, ctx),
            Mode::Custom(c) => self.find_custom(c, text, ctx),
        };
        self.mode = mode;
        r
    }

    fn find_custom(
        &mut self,
        c: &CustomTime,
        text: &str,
        ctx: &TimeContext,
    ) -> Option<(i64, Range<usize>)> {
        let start = match &c.prefix {
            Some(re) => re.find(text)?.end(),
            None => 0,
        };
        let mut end = text.len().min(start.saturating_add(c.lookahead));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let window = &text[start..end];
        match &c.layout {
            Some(layout) => {
                let skip = usize::from(c.prefix.is_none() && window.starts_with('['));
                let (t, n) = layout.parse(&window[skip..], ctx, &ctx.tz)?;
                self.last = Some((Last::Custom, start + skip));
                Some((t, start + skip..start + skip + n))
            }
            None => {
                let (t, r) = self.find_auto(window.as_bytes(), ctx)?;
                self.last = Some((Last::Custom, start + r.start));
                Some((t, start + r.start..start + r.end))
            }
        }
    }

    fn auto_digit(&self) -> &'static [TimeFormat] {
        match self.order {
            DateOrder::Dmy => AUTO_DIGIT,
            DateOrder::Mdy => AUTO_DIGIT_MDY,
        }
    }

    /// True when the line begins with a timestamp this recognizer knows (for rules,
    /// at a rule's anchored place; for `auto`, at the first byte). The line breaker
    /// uses it to tell a new event from a continuation line; no zone work is done.
    pub fn starts_with_timestamp(&mut self, line: &[u8]) -> bool {
        match &self.mode {
            Mode::Rules(rules) => {
                if let Some((Last::Rule(i), _)) = self.last {
                    if let Some(rule) = rules.get(i) {
                        if match_rule(rule, line).is_some() {
                            return true;
                        }
                    }
                }
                for (i, rule) in rules.iter().enumerate() {
                    if match_rule(rule, line).is_some() {
                        self.last = Some((Last::Rule(i), 0));
                        return true;
                    }
                }
                false
            }
            Mode::Custom(_) => {
                let text = String::from_utf8_lossy(line);
                let mode = std::mem::replace(&mut self.mode, Mode::Auto);
                let hit = match &mode {
                    Mode::Custom(c) => self
                        .find_custom(c, &text, &TimeContext::utc(2000))
                        .is_some(),
                    _ => false,
                };
                self.mode = mode;
                hit
            }
            Mode::Auto => {
                let p = usize::from(line.first() == Some(&b'['));
                let list = match line.get(p) {
                    Some(c) if c.is_ascii_digit() => self.auto_digit(),
                    Some(c) if c.is_ascii_alphabetic() => AUTO_ALPHA,
                    _ => return false,
                };
                Opening::at(line, p)
                    .candidates(list)
                    .any(|f| match_format(f, line, p).is_some())
            }
        }
    }

    fn find_rules(
        &mut self,
        rules: &[TimestampRule],
        b: &[u8],
        ctx: &TimeContext,
    ) -> Option<(i64, Range<usize>)> {
        if let Some((Last::Rule(i), pos)) = self.last {
            if let Some(rule) = rules.get(i) {
                let hit = if rule.anchor == Anchor::Search {
                    match_format(rule.format, b, pos).map(|(s, e)| (s, pos, e))
                } else {
                    match_rule(rule, b)
                };
                if let Some((stamp, start, end)) = hit {
                    if let Some(t) = self.stamp_ns(&stamp, ctx) {
                        return Some((t, start..end));
                    }
                }
            }
        }
        for (i, rule) in rules.iter().enumerate() {
            if let Some((stamp, start, end)) = match_rule(rule, b) {
                if let Some(t) = self.stamp_ns(&stamp, ctx) {
                    self.last = Some((Last::Rule(i), start));
                    return Some((t, start..end));
                }
            }
        }
        None
    }

    fn find_auto(&mut self, b: &[u8], ctx: &TimeContext) -> Option<(i64, Range<usize>)> {
        if let Some((Last::Format(f), pos)) = self.last {
            let ok = f != TimeFormat::EpochSeconds || auto_epoch_ok(b, pos);
            if ok {
                if let Some((stamp, end)) = match_format(f, b, pos) {
                    if let Some(t) = self.stamp_ns(&stamp, ctx) {
                        return Some((t, pos..end));
                    }
                }
            }
        }
        let first = b.iter().position(|c| !c.is_ascii_whitespace());
        if let Some(p) = first {
            if b[p] == b'{' {
                if let Some((stamp, end)) = match_format(TimeFormat::JsonKey, b, 0) {
                    if let Some(t) = self.stamp_ns(&stamp, ctx) {
                        self.last = Some((Last::Format(TimeFormat::JsonKey), 0));
                        return Some((t, 0..end));
                    }
                }
            }
        }
        // The first bare epoch-seconds word in range: a last resort, used only when no other
        // format matches anywhere.
        let mut epoch = None;
        let lim = b.len().min(SCAN_LIMIT);
        let mut p = 0;
        while p < lim {
            if !b[p].is_ascii_alphanumeric() {
                p += 1;
                continue;
            }
            if !b[p].is_ascii_digit() {
                // Both letter-led formats open with a three-letter name and a space (`Jun 14`,
                // `Sun Dec 04`): most words of a line are ruled out by one look.
                if b.get(p + 3) == Some(&b' ') {
                    if let Some(hit) = self.try_formats(AUTO_ALPHA.iter().copied(), b, p, ctx) {
                        return Some(hit);
                    }
                }
                p += 1;
            } else {
                let opening = Opening::at(b, p);
                if epoch.is_none() && opening.run >= 10 && auto_epoch_ok(b, p) {
                    epoch = match_format(TimeFormat::EpochSeconds, b, p)
                        .and_then(|(stamp, end)| Some((self.stamp_ns(&stamp, ctx)?, p..end)));
                }
                // Most numbers open no format at all: the list is not even walked for them.
                if opening.formats() != 0 {
                    let formats = opening.candidates(self.auto_digit());
                    if let Some(hit) = self.try_formats(formats, b, p, ctx) {
                        return Some(hit);
                    }
                }
                p += opening.run.max(1);
            }
            // On to the next word.
            while p < lim && b[p].is_ascii_alphanumeric() {
                p += 1;
            }
        }
        let (t, span) = epoch?;
        self.last = Some((Last::Format(TimeFormat::EpochSeconds), span.start));
        Some((t, span))
    }

    /// The first of `formats` that matches at `p` with a valid time, remembered for the next
    /// event.
    fn try_formats(
        &mut self,
        formats: impl IntoIterator<Item = TimeFormat>,
        b: &[u8],
        p: usize,
        ctx: &TimeContext,
    ) -> Option<(i64, Range<usize>)> {
        for f in formats {
            if let Some((stamp, end)) = match_format(f, b, p) {
                if let Some(t) = self.stamp_ns(&stamp, ctx) {
                    self.last = Some((Last::Format(f), p));
                    return Some((t, p..end));
                }
            }
        }
        None
    }

    /// Converts a matched stamp to epoch nanoseconds.
    fn stamp_ns(&mut self, stamp: &Stamp, ctx: &TimeContext) -> Option<i64> {
        let secs = match stamp {
            Stamp::Epoch { secs, .. } => *secs,
            Stamp::Civil(c) => {
                let year = c.year.unwrap_or(ctx.default_year);
                if !(1..=9999).contains(&year) || !c.valid_in(year) {
                    return None;
                }
                let local = days_from_civil(i64::from(year), c.month, c.day) * 86_400
                    + i64::from(c.hour) * 3600
                    + i64::from(c.minute) * 60
                    + i64::from(c.second);
                match c.offset {
                    Some(off) => local - i64::from(off),
                    None => local - self.tz.offset_for_local(&ctx.tz, local, year, c)?,
                }
            }
        };
        let nanos = match stamp {
            Stamp::Epoch { nanos, .. } => *nanos,
            Stamp::Civil(c) => c.nanos,
        };
        secs.checked_mul(1_000_000_000)?
            .checked_add(i64::from(nanos))
    }
}

impl Default for TimestampRecognizer {
    fn default() -> Self {
        TimestampRecognizer::auto()
    }
}

/// `auto` accepts a bare epoch only as a whole whitespace-delimited 10-digit word in range.
fn auto_epoch_ok(b: &[u8], p: usize) -> bool {
    if p >= b.len() || p > 0 && !b[p - 1].is_ascii_whitespace() {
        return false;
    }
    match num_var(b, p, 10, 10) {
        Some((v, _)) => i64::try_from(v).is_ok_and(|v| AUTO_EPOCH_RANGE.contains(&v)),
        None => false,
    }
}

// ---------------------------------------------------------------------------
// Time-zone offsets, cached per validity range.

/// Remembers the zone's offset over a range of local times where it is
/// unambiguous, so named zones cost one comparison per line, not a tzdb lookup.
#[derive(Debug, Clone, Default)]
struct TzCache {
    tz: Option<TimeZone>,
    /// Offset of a fixed-offset zone (UTC included).
    fixed: Option<i64>,
    /// Local seconds `[lo, hi)` where `off` applies without ambiguity.
    lo: i64,
    hi: i64,
    off: i64,
}

impl TzCache {
    /// Cheap check that `tz` is the cached zone: named zones compare by name (a full
    /// comparison looks the name up in the tz database on every call).
    #[inline]
    fn same_zone(&self, tz: &TimeZone) -> bool {
        match &self.tz {
            None => false,
            Some(cached) => match (cached.iana_name(), tz.iana_name()) {
                (Some(a), Some(b)) => a == b,
                _ => cached == tz,
            },
        }
    }

    /// Offset (seconds east of UTC) for a local time, resolving gaps and folds as
    /// jiff's `compatible` does (later offset in a gap, earlier in a fold).
    fn offset_for_local(&mut self, tz: &TimeZone, local: i64, year: i32, c: &Civil) -> Option<i64> {
        if !self.same_zone(tz) {
            self.fixed = tz.to_fixed_offset().ok().map(|o| i64::from(o.seconds()));
            self.tz = Some(tz.clone());
            self.lo = 0;
            self.hi = 0;
        }
        if let Some(off) = self.fixed {
            return Some(off);
        }
        if local >= self.lo && local < self.hi {
            return Some(self.off);
        }
        let year = i16::try_from(year).ok()?;
        let second = c.second.min(59);
        let dt = DateTime::new(
            year,
            c.month as i8,
            c.day as i8,
            c.hour as i8,
            c.minute as i8,
            second as i8,
            0,
        )
        .ok()?;
        let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
        let local_clamped = local - i64::from(c.second) + i64::from(second);
        let off = local_clamped - ts.as_second();
        if off != i64::from(tz.to_offset(ts).seconds()) {
            // A gap: the time was pushed forward; do not cache such an odd mapping.
            return Some(off);
        }
        // Validity range of this offset, in local time.
        let after = ts.checked_add(SignedDuration::from_secs(1)).ok()?;
        let lo = match tz.preceding(after).next() {
            Some(tr) => {
                let at = tr.timestamp();
                let before = at
                    .checked_sub(SignedDuration::from_secs(1))
                    .map(|t| i64::from(tz.to_offset(t).seconds()))
                    .unwrap_or(off);
                at.as_second() + off.max(before)
            }
            None => i64::MIN,
        };
        let hi = match tz.following(ts).next() {
            Some(tr) => tr.timestamp().as_second() + off.min(i64::from(tr.offset().seconds())),
            None => i64::MAX,
        };
        if lo <= local_clamped && local_clamped < hi {
            self.lo = lo;
            self.hi = hi;
            self.off = off;
        }
        Some(off)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------
// Matched stamps.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: Option<i32>,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// Seconds east of UTC, when the text says.
    offset: Option<i32>,
}

impl Civil {
    /// Field ranges; year-less dates allow 29 February (the year is checked later).
    fn plausible(&self) -> bool {
        let dim = match self.year {
            Some(y) => days_in_month(y, self.month),
            None => days_in_month(2000, self.month),
        };
        self.day >= 1 && self.day <= dim && self.hour < 24 && self.minute < 60 && self.second <= 60
    }

    fn valid_in(&self, year: i32) -> bool {
        self.day <= days_in_month(year, self.month)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Civil(Civil),
    Epoch { secs: i64, nanos: u32 },
}

fn civil(c: Civil, end: usize) -> Option<(Stamp, usize)> {
    if c.plausible() {
        Some((Stamp::Civil(c), end))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Byte helpers.

/// Exactly `n` ASCII digits at `i` (`n` at most 9, so the value fits).
#[inline]
fn num(b: &[u8], i: usize, n: usize) -> Option<u32> {
    debug_assert!(n <= 9);
    let s = b.get(i..i.checked_add(n)?)?;
    let mut v: u32 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Between `min` and `max` ASCII digits at `i` (greedy); value and end.
#[inline]
fn num_var(b: &[u8], i: usize, min: usize, max: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut j = i;
    while j < b.len() && j - i < max && b[j].is_ascii_digit() {
        v = v * 10 + u64::from(b[j] - b'0');
        j += 1;
    }
    if j - i < min || (j < b.len() && b[j].is_ascii_digit()) {
        return None;
    }
    Some((v, j))
}

#[inline]
fn at(b: &[u8], i: usize, c: u8) -> bool {
    b.get(i) == Some(&c)
}

/// The event ends here or a non-alphanumeric byte follows: the stamp is a whole word.
#[inline]
fn end_ok(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None => true,
        Some(c) => !c.is_ascii_alphanumeric(),
    }
}

/// Fraction digits at `i` (after the separator): nanoseconds and end. At least one digit.
#[inline]
fn frac(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    let mut v: u32 = 0;
    let mut n = 0;
    while j < b.len() && b[j].is_ascii_digit() {
        if n < 9 {
            v = v * 10 + u32::from(b[j] - b'0');
            n += 1;
        }
        j += 1;
    }
    if j == i {
        return None;
    }
    while n < 9 {
        v *= 10;
        n += 1;
    }
    Some((v, j))
}

/// Optional `.ddd` / `,ddd` fraction at `i`.
#[inline]
fn opt_frac(b: &[u8], i: usize) -> (u32, usize) {
    if matches!(b.get(i), Some(b'.') | Some(b',')) {
        if let Some(r) = frac(b, i + 1) {
            return r;
        }
    }
    (0, i)
}

/// `HH:MM:SS` at `i`.
#[inline]
fn hms(b: &[u8], i: usize) -> Option<(u32, u32, u32)> {
    let h = num(b, i, 2)?;
    if !at(b, i + 2, b':') {
        return None;
    }
    let m = num(b, i + 3, 2)?;
    if !at(b, i + 5, b':') {
        return None;
    }
    let s = num(b, i + 6, 2)?;
    Some((h, m, s))
}

/// English month abbreviation at `i` (any case), 1-based.
#[inline]
fn month_abbr(b: &[u8], i: usize) -> Option<u32> {
    let s = b.get(i..i + 3)?;
    let k = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    Some(match &k {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

#[inline]
fn weekday_abbr(b: &[u8], i: usize) -> bool {
    let Some(s) = b.get(i..i + 3) else {
        return false;
    };
    let k = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    matches!(
        &k,
        b"mon" | b"tue" | b"wed" | b"thu" | b"fri" | b"sat" | b"sun"
    )
}

/// `Z`, `±HH:MM`, `±HHMM` or `±HH` at `i`: seconds east and end.
#[inline]
fn offset_at(b: &[u8], i: usize) -> Option<(i32, usize)> {
    let sign = match b.get(i)? {
        b'Z' | b'z' => return Some((0, i + 1)),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = num(b, i + 1, 2)?;
    let (m, end) = if at(b, i + 3, b':') {
        (num(b, i + 4, 2)?, i + 6)
    } else if let Some(m) = num(b, i + 3, 2) {
        (m, i + 5)
    } else {
        (0, i + 3)
    };
    if h > 23 || m > 59 || matches!(b.get(end), Some(c) if c.is_ascii_digit()) {
        return None;
    }
    Some((sign * (h as i32 * 3600 + m as i32 * 60), end))
}

fn two_digit_year(yy: u32) -> i32 {
    if yy < 70 {
        2000 + yy as i32
    } else {
        1900 + yy as i32
    }
}

// ---------------------------------------------------------------------------
// Matchers: each takes the text and a start position, returns the stamp and its end.

fn match_rule(rule: &TimestampRule, b: &[u8]) -> Option<(Stamp, usize, usize)> {
    let p = match rule.anchor {
        Anchor::Start => 0,
        Anchor::Field(n) => skip_fields(b, n)?,
        Anchor::Search => {
            let lim = b.len().min(SCAN_LIMIT);
            let mut prev_alnum = false;
            for p in 0..lim {
                let alnum = b[p].is_ascii_alphanumeric();
                if alnum && !prev_alnum {
                    if let Some((s, e)) = match_format(rule.format, b, p) {
                        return Some((s, p, e));
                    }
                }
                prev_alnum = alnum;
            }
            return None;
        }
    };
    let p = if at(b, p, b'[') && rule.format != TimeFormat::JsonKey {
        p + 1
    } else {
        p
    };
    let (s, e) = match_format(rule.format, b, p)?;
    Some((s, p, e))
}

/// Position after `n` whitespace-separated fields and the whitespace after them.
fn skip_fields(b: &[u8], n: u8) -> Option<usize> {
    let mut i = 0;
    for _ in 0..n {
        let s = i;
        while i < b.len() && !matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        if i == s {
            return None;
        }
        let s = i;
        while i < b.len() && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        if i == s || i >= b.len() {
            return None;
        }
    }
    Some(i)
}

/// How a word opens: its run of ASCII digits (counted up to 11, no format opens with a longer
/// number) and the byte after that run.
#[derive(Debug, Clone, Copy)]
struct Opening {
    run: usize,
    next: Option<u8>,
}

impl Opening {
    fn at(b: &[u8], i: usize) -> Opening {
        let run = b
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take(11)
            .take_while(|c| c.is_ascii_digit())
            .count();
        Opening {
            run,
            next: b.get(i + run).copied(),
        }
    }

    /// The formats of `list` that can match a word opening so, in the list's order.
    fn candidates(self, list: &'static [TimeFormat]) -> impl Iterator<Item = TimeFormat> {
        let admitted = self.formats();
        list.iter()
            .copied()
            .filter(move |&f| admitted & format_bit(f) != 0)
    }

    /// Whether format `f` can match a word opening so.
    #[cfg(test)]
    fn admits(self, f: TimeFormat) -> bool {
        self.formats() & format_bit(f) != 0
    }

    /// The formats that can match a word opening so, one bit each ([`format_bit`]). Each
    /// digit-led format opens with a number of fixed length and a separator (`2026-`, `02/`,
    /// `081109 `), so one look rules most of them out at once: `auto` tries the formats at
    /// every word of the first [`SCAN_LIMIT`] bytes of every line, and on lines without a time
    /// (most of a scrambled corpus) they all fail, which was a tenth of an import's time.
    fn formats(self) -> u32 {
        use TimeFormat as F;
        const fn bits(fs: &[TimeFormat]) -> u32 {
            let (mut m, mut i) = (0, 0);
            while i < fs.len() {
                m |= format_bit(fs[i]);
                i += 1;
            }
            m
        }
        match (self.run, self.next) {
            (0, _) => const { bits(&[F::Syslog, F::Ctime, F::JsonKey]) },
            (1, Some(b'/')) => const { bits(&[F::DayMonthYear, F::MonthDayYear]) },
            (2, Some(b'/')) => {
                const { bits(&[F::Clf, F::SlashYmd2, F::DayMonthYear, F::MonthDayYear]) }
            }
            (2, Some(b'-')) => const { bits(&[F::AndroidLogcat, F::DayMonNameYear]) },
            (2, Some(b':')) => const { bits(&[F::TimeDayFirstDate]) },
            (2, Some(b'.')) => const { bits(&[F::Proxifier]) },
            (2, Some(b' ')) => const { bits(&[F::DaySpaceMonYear]) },
            (4, Some(b'-' | b'/')) => const { bits(&[F::Iso8601]) },
            (6, Some(b' ')) => const { bits(&[F::CompactYmdHms]) },
            (8, Some(b'-')) => const { bits(&[F::HealthApp]) },
            (9 | 10, Some(b' ' | b'.')) => const { bits(&[F::EpochWithDate, F::EpochSeconds]) },
            (9 | 10, None | Some(b'\t')) => const { bits(&[F::EpochSeconds]) },
            _ => 0,
        }
    }
}

/// `f`'s bit in [`Opening::formats`].
const fn format_bit(f: TimeFormat) -> u32 {
    1 << f as u32
}

fn match_format(f: TimeFormat, b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    if i >= b.len() {
        return None;
    }
    match f {
        TimeFormat::Iso8601 => m_iso(b, i),
        TimeFormat::Syslog => m_syslog(b, i),
        TimeFormat::Ctime => m_ctime(b, i),
        TimeFormat::Clf => m_clf(b, i),
        TimeFormat::AndroidLogcat => m_android(b, i),
        TimeFormat::Proxifier => m_proxifier(b, i),
        TimeFormat::HealthApp => m_healthapp(b, i),
        TimeFormat::CompactYmdHms => m_compact(b, i),
        TimeFormat::SlashYmd2 => m_slash_ymd2(b, i),
        TimeFormat::TimeDayFirstDate => m_time_dmy(b, i),
        TimeFormat::EpochWithDate => m_epoch_with_date(b, i),
        TimeFormat::EpochSeconds => m_epoch(b, i),
        TimeFormat::JsonKey => m_json_key(b, i),
        TimeFormat::DayMonthYear => m_slash_date(b, i, true),
        TimeFormat::MonthDayYear => m_slash_date(b, i, false),
        TimeFormat::DayMonNameYear => m_day_mon_year(b, i, b'-'),
        TimeFormat::DaySpaceMonYear => m_day_mon_year(b, i, b' '),
    }
}

/// `02/03/2026 10:00:00[.fff][ AM|PM]` with one- or two-digit day and month.
fn m_slash_date(b: &[u8], i: usize, day_first: bool) -> Option<(Stamp, usize)> {
    let (first, j) = num_var(b, i, 1, 2)?;
    if !at(b, j, b'/') {
        return None;
    }
    let (second, j) = num_var(b, j + 1, 1, 2)?;
    if !at(b, j, b'/') {
        return None;
    }
    let year = num(b, j + 1, 4)?;
    let j = j + 5;
    if !matches!(b.get(j), Some(b' ') | Some(b'T')) {
        return None;
    }
    let (hour, j) = num_var(b, j + 1, 1, 2)?;
    if !at(b, j, b':') {
        return None;
    }
    let minute = num(b, j + 1, 2)?;
    if !at(b, j + 3, b':') {
        return None;
    }
    let second_of_minute = num(b, j + 4, 2)?;
    let (nanos, mut j) = opt_frac(b, j + 6);
    let mut hour = hour as u32;
    if at(b, j, b' ') {
        let ampm = b.get(j + 1..j + 3).map(|s| s.to_ascii_uppercase());
        match ampm.as_deref() {
            Some(b"AM") if end_ok(b, j + 3) && (1..=12).contains(&hour) => {
                hour %= 12;
                j += 3;
            }
            Some(b"PM") if end_ok(b, j + 3) && (1..=12).contains(&hour) => {
                hour = hour % 12 + 12;
                j += 3;
            }
            _ => {}
        }
    }
    if !end_ok(b, j) {
        return None;
    }
    let (day, month) = if day_first {
        (first as u32, second as u32)
    } else {
        (second as u32, first as u32)
    };
    civil(
        Civil {
            year: Some(year as i32),
            month,
            day,
            hour,
            minute,
            second: second_of_minute,
            nanos,
            offset: None,
        },
        j,
    )
}

/// `HH:MM:SS[.frac]` at `i` ending the stamp, on a date already read: the tail most
/// fixed formats share.
fn clock_ending_at(
    b: &[u8],
    i: usize,
    year: Option<i32>,
    month: u32,
    day: u32,
) -> Option<(Stamp, usize)> {
    let (hour, minute, second) = hms(b, i)?;
    let (nanos, j) = opt_frac(b, i + 8);
    if !end_ok(b, j) {
        return None;
    }
    civil(
        Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset: None,
        },
        j,
    )
}

/// `02-Mar-2026 06:58:01.412` (`sep` `-`) or `04 Mar 2026 09:12:01.004` (`sep` space).
fn m_day_mon_year(b: &[u8], i: usize, sep: u8) -> Option<(Stamp, usize)> {
    let day = num(b, i, 2)?;
    if !at(b, i + 2, sep) {
        return None;
    }
    let month = month_abbr(b, i + 3)?;
    if !at(b, i + 6, sep) {
        return None;
    }
    let year = num(b, i + 7, 4)?;
    if !at(b, i + 11, b' ') {
        return None;
    }
    clock_ending_at(b, i + 12, Some(year as i32), month, day)
}

fn m_iso(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let year = num(b, i, 4)?;
    let sep = *b.get(i + 4)?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    let month = num(b, i + 5, 2)?;
    if !at(b, i + 7, sep) {
        return None;
    }
    let day = num(b, i + 8, 2)?;
    if !matches!(b.get(i + 10), Some(b'T') | Some(b't') | Some(b' ')) {
        return None;
    }
    let (hour, minute, second) = hms(b, i + 11)?;
    let (nanos, mut j) = opt_frac(b, i + 19);
    let mut offset = None;
    if let Some((o, e)) = offset_at(b, j) {
        offset = Some(o);
        j = e;
    } else if at(b, j, b' ') && matches!(b.get(j + 1), Some(b'+') | Some(b'-')) {
        // `2026-03-02 10:00:00 +0100`: only the four-digit form, to avoid `- INFO`.
        if let Some(hhmm) = num(b, j + 2, 4) {
            if end_ok(b, j + 6) && hhmm / 100 < 24 && hhmm % 100 < 60 {
                let sign = if b[j + 1] == b'-' { -1 } else { 1 };
                offset = Some(sign * ((hhmm / 100) as i32 * 3600 + (hhmm % 100) as i32 * 60));
                j += 6;
            }
        }
    } else if at(b, j, b' ') && b.get(j + 1).is_some_and(u8::is_ascii_uppercase) {
        // PostgreSQL's `2026-03-02 10:00:01.123 CET`: a zone abbreviation after a space.
        let s = j + 1;
        let mut e = s;
        while e < b.len() && e - s < 5 && b[e].is_ascii_uppercase() {
            e += 1;
        }
        if end_ok(b, e) {
            let abbr = std::str::from_utf8(&b[s..e]).unwrap_or_default();
            if let Some(o) = crate::strftime::abbreviation_offset(abbr) {
                offset = Some(o);
                j = e;
            }
        }
    }
    if !end_ok(b, j) {
        return None;
    }
    civil(
        Civil {
            year: Some(year as i32),
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset,
        },
        j,
    )
}

/// `Mon dd HH:MM:SS[.frac]` without the end check; the day may be ` d`, `d` or `dd`.
fn syslog_core(b: &[u8], i: usize) -> Option<(Civil, usize)> {
    let month = month_abbr(b, i)?;
    if !at(b, i + 3, b' ') {
        return None;
    }
    let (day, j) = if at(b, i + 4, b' ') {
        (num(b, i + 5, 1)?, i + 6)
    } else {
        let (d, j) = num_var(b, i + 4, 1, 2)?;
        (d as u32, j)
    };
    if !at(b, j, b' ') {
        return None;
    }
    let (hour, minute, second) = hms(b, j + 1)?;
    let (nanos, j) = opt_frac(b, j + 9);
    Some((
        Civil {
            year: None,
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset: None,
        },
        j,
    ))
}

fn m_syslog(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let (c, j) = syslog_core(b, i)?;
    if !end_ok(b, j) {
        return None;
    }
    civil(c, j)
}

fn m_ctime(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    if !weekday_abbr(b, i) || !at(b, i + 3, b' ') {
        return None;
    }
    let (mut c, j) = syslog_core(b, i + 4)?;
    if !at(b, j, b' ') {
        return None;
    }
    let year = num(b, j + 1, 4)?;
    if !end_ok(b, j + 5) {
        return None;
    }
    c.year = Some(year as i32);
    civil(c, j + 5)
}

fn m_clf(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let day = num(b, i, 2)?;
    if !at(b, i + 2, b'/') {
        return None;
    }
    let month = month_abbr(b, i + 3)?;
    if !at(b, i + 6, b'/') {
        return None;
    }
    let year = num(b, i + 7, 4)?;
    if !at(b, i + 11, b':') {
        return None;
    }
    let (hour, minute, second) = hms(b, i + 12)?;
    let (nanos, mut j) = opt_frac(b, i + 20);
    let mut offset = None;
    if at(b, j, b' ') {
        if let Some((o, e)) = offset_at(b, j + 1) {
            offset = Some(o);
            j = e;
        }
    }
    if !end_ok(b, j) {
        return None;
    }
    civil(
        Civil {
            year: Some(year as i32),
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset,
        },
        j,
    )
}

fn m_android(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let month = num(b, i, 2)?;
    if !at(b, i + 2, b'-') {
        return None;
    }
    let day = num(b, i + 3, 2)?;
    if !at(b, i + 5, b' ') {
        return None;
    }
    clock_ending_at(b, i + 6, None, month, day)
}

fn m_proxifier(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    if i == 0 || b[i - 1] != b'[' {
        return None;
    }
    let month = num(b, i, 2)?;
    if !at(b, i + 2, b'.') {
        return None;
    }
    let day = num(b, i + 3, 2)?;
    if !at(b, i + 5, b' ') {
        return None;
    }
    let (hour, minute, second) = hms(b, i + 6)?;
    if !at(b, i + 14, b']') {
        return None;
    }
    civil(
        Civil {
            year: None,
            month,
            day,
            hour,
            minute,
            second,
            nanos: 0,
            offset: None,
        },
        i + 14,
    )
}

fn m_healthapp(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let year = num(b, i, 4)?;
    let month = num(b, i + 4, 2)?;
    let day = num(b, i + 6, 2)?;
    if !at(b, i + 8, b'-') {
        return None;
    }
    let (hour, j) = num_var(b, i + 9, 1, 2)?;
    if !at(b, j, b':') {
        return None;
    }
    let (minute, j) = num_var(b, j + 1, 1, 2)?;
    if !at(b, j, b':') {
        return None;
    }
    let (second, j) = num_var(b, j + 1, 1, 2)?;
    if !at(b, j, b':') {
        return None;
    }
    let (ms, j) = num_var(b, j + 1, 1, 3)?;
    if !end_ok(b, j) {
        return None;
    }
    civil(
        Civil {
            year: Some(year as i32),
            month,
            day,
            hour: hour as u32,
            minute: minute as u32,
            second: second as u32,
            nanos: ms as u32 * 1_000_000,
            offset: None,
        },
        j,
    )
}

fn m_compact(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let yy = num(b, i, 2)?;
    let month = num(b, i + 2, 2)?;
    let day = num(b, i + 4, 2)?;
    if !at(b, i + 6, b' ') {
        return None;
    }
    let hour = num(b, i + 7, 2)?;
    let minute = num(b, i + 9, 2)?;
    let second = num(b, i + 11, 2)?;
    if !end_ok(b, i + 13) {
        return None;
    }
    civil(
        Civil {
            year: Some(two_digit_year(yy)),
            month,
            day,
            hour,
            minute,
            second,
            nanos: 0,
            offset: None,
        },
        i + 13,
    )
}

fn m_slash_ymd2(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let yy = num(b, i, 2)?;
    if !at(b, i + 2, b'/') {
        return None;
    }
    let month = num(b, i + 3, 2)?;
    if !at(b, i + 5, b'/') {
        return None;
    }
    let day = num(b, i + 6, 2)?;
    if !at(b, i + 8, b' ') {
        return None;
    }
    clock_ending_at(b, i + 9, Some(two_digit_year(yy)), month, day)
}

fn m_time_dmy(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let (hour, minute, second) = hms(b, i)?;
    if !at(b, i + 8, b' ') {
        return None;
    }
    let day = num(b, i + 9, 2)?;
    if !at(b, i + 11, b'/') {
        return None;
    }
    let month = num(b, i + 12, 2)?;
    if !at(b, i + 14, b'/') {
        return None;
    }
    let year = num(b, i + 15, 4)?;
    if !end_ok(b, i + 19) {
        return None;
    }
    civil(
        Civil {
            year: Some(year as i32),
            month,
            day,
            hour,
            minute,
            second,
            nanos: 0,
            offset: None,
        },
        i + 19,
    )
}

/// Epoch seconds (9-10 digits, optional fraction) at `i`: seconds, nanos, end.
fn epoch_core(b: &[u8], i: usize) -> Option<(i64, u32, usize)> {
    if i > 0 && b[i - 1].is_ascii_digit() {
        return None;
    }
    let (secs, j) = num_var(b, i, 9, 10)?;
    let (nanos, j) = if at(b, j, b'.') {
        frac(b, j + 1)?
    } else {
        (0, j)
    };
    Some((secs as i64, nanos, j))
}

fn m_epoch(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let (secs, nanos, j) = epoch_core(b, i)?;
    if !matches!(b.get(j), None | Some(b' ') | Some(b'\t')) {
        return None;
    }
    Some((Stamp::Epoch { secs, nanos }, j))
}

fn m_epoch_with_date(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let (secs, mut nanos, j) = epoch_core(b, i)?;
    if !at(b, j, b' ') {
        return None;
    }
    let d = j + 1;
    let year = num(b, d, 4)?;
    let month = num(b, d + 5, 2)?;
    let day = num(b, d + 8, 2)?;
    if !at(b, d + 4, b'.') || !at(b, d + 7, b'.') || !end_ok(b, d + 10) {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year as i32, month) {
        return None;
    }
    // The date beside the epoch is a local date: within a day of the UTC one.
    let days = days_from_civil(i64::from(year), month, day);
    if (days - secs.div_euclid(86_400)).abs() > 1 {
        return None;
    }
    let end = d + 10;
    // BGL: `<node> 2005-06-03-15.42.50.675872` carries the sub-second part in local
    // time; take its fraction when its seconds agree with the epoch's.
    if nanos == 0 && at(b, end, b' ') {
        let mut k = end + 1;
        let s = k;
        while k < b.len() && !matches!(b[k], b' ' | b'\t') {
            k += 1;
        }
        if k > s && at(b, k, b' ') {
            if let Some(n) = bgl_detail_frac(b, k + 1, secs) {
                nanos = n;
            }
        }
    }
    Some((Stamp::Epoch { secs, nanos }, end))
}

/// Fraction of a BGL `YYYY-MM-DD-HH.MM.SS.ffffff` field at `i`, if it is the same
/// instant as `epoch` in some whole-minute offset within a day.
fn bgl_detail_frac(b: &[u8], i: usize, epoch: i64) -> Option<u32> {
    let year = num(b, i, 4)?;
    let month = num(b, i + 5, 2)?;
    let day = num(b, i + 8, 2)?;
    let hour = num(b, i + 11, 2)?;
    let minute = num(b, i + 14, 2)?;
    let second = num(b, i + 17, 2)?;
    for (k, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'-'),
        (13, b'.'),
        (16, b'.'),
        (19, b'.'),
    ] {
        if !at(b, i + k, c) {
            return None;
        }
    }
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let (nanos, j) = frac(b, i + 20)?;
    if !end_ok(b, j) {
        return None;
    }
    let local = days_from_civil(i64::from(year), month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second);
    let diff = local - epoch;
    if diff.rem_euclid(60) == 0 && diff.abs() <= 86_400 {
        Some(nanos)
    } else {
        None
    }
}

/// Top-level JSON key holding the time; scans the object without building it.
fn m_json_key(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let mut k = i;
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    if !at(b, k, b'{') {
        return None;
    }
    k += 1;
    let mut depth = 1usize;
    let mut expect_key = true;
    while k < b.len() {
        match b[k] {
            b'"' => {
                let s = k + 1;
                let e = string_end(b, s)?;
                if depth == 1 && expect_key {
                    let key = &b[s..e];
                    let mut v = e + 1;
                    while v < b.len() && b[v].is_ascii_whitespace() {
                        v += 1;
                    }
                    if !at(b, v, b':') {
                        return None;
                    }
                    v += 1;
                    while v < b.len() && b[v].is_ascii_whitespace() {
                        v += 1;
                    }
                    if matches!(
                        key,
                        b"ts" | b"time" | b"timestamp" | b"@timestamp" | b"_time"
                    ) {
                        if let Some(r) = json_time_value(b, v) {
                            return Some(r);
                        }
                    }
                    expect_key = false;
                    k = v;
                    continue;
                }
                k = e + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return None;
                }
            }
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        k += 1;
    }
    None
}

/// Index of the closing quote of a JSON string whose content starts at `s`.
fn string_end(b: &[u8], s: usize) -> Option<usize> {
    let mut k = s;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            b'"' => return Some(k),
            _ => k += 1,
        }
    }
    None
}

/// A JSON time value at `v`: an ISO 8601 string, or epoch seconds (number or numeric
/// string; 13/16/19 integer digits are read as milli/micro/nanoseconds).
fn json_time_value(b: &[u8], v: usize) -> Option<(Stamp, usize)> {
    if at(b, v, b'"') {
        let e = string_end(b, v + 1)?;
        let inner = &b[v + 1..e];
        if let Some((s, end)) = m_iso(inner, 0) {
            if end == inner.len() {
                return Some((s, e + 1));
            }
        }
        let (s, end) = json_epoch(inner, 0)?;
        if end == inner.len() {
            return Some((s, e + 1));
        }
        return None;
    }
    json_epoch(b, v)
}

fn json_epoch(b: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let (int, j) = num_var(b, i, 1, 19)?;
    let digits = j - i;
    let (nanos, j) = if at(b, j, b'.') {
        frac(b, j + 1)?
    } else {
        (0, j)
    };
    if matches!(b.get(j), Some(b'e') | Some(b'E')) {
        return None;
    }
    let int = i64::try_from(int).ok()?;
    let (secs, nanos) = match digits {
        0..=11 => (int, nanos),
        13 => (
            int.div_euclid(1000),
            (int.rem_euclid(1000) as u32) * 1_000_000,
        ),
        16 => (
            int.div_euclid(1_000_000),
            (int.rem_euclid(1_000_000) as u32) * 1000,
        ),
        19 => (
            int.div_euclid(1_000_000_000),
            int.rem_euclid(1_000_000_000) as u32,
        ),
        _ => return None,
    };
    Some((Stamp::Epoch { secs, nanos }, j))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn utc(year: i32) -> TimeContext {
        TimeContext::utc(year)
    }

    fn ns(s: &str) -> i64 {
        let ts: Timestamp = s.parse().expect("test timestamp");
        i64::try_from(ts.as_nanosecond()).expect("fits")
    }

    #[test]
    fn days_from_civil_matches_jiff() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2026, 3, 2),
            (1969, 12, 31),
            (2100, 12, 31),
        ] {
            let dt = jiff::civil::date(y as i16, m as i8, d as i8).at(0, 0, 0, 0);
            let ts = dt
                .to_zoned_datetime(TimeZone::UTC)
                .expect("utc")
                .timestamp();
            assert_eq!(
                days_from_civil(y, m, d) * 86_400,
                ts.as_second(),
                "{y}-{m}-{d}"
            );
        }
    }

    #[test]
    fn auto_formats() {
        let cases: &[(&str, &str)] = &[
            (
                "2026-03-02T00:07:50.959+01:00 x",
                "2026-03-01T23:07:50.959Z",
            ),
            ("2016-09-28 04:30:30, Info", "2016-09-28T04:30:30Z"),
            ("2015-10-18 18:01:47,978 INFO", "2015-10-18T18:01:47.978Z"),
            ("Jun 14 15:16:01 combo sshd", "2005-06-14T15:16:01Z"),
            ("Jul  1 09:00:55 host", "2005-07-01T09:00:55Z"),
            (
                "[Sun Dec 04 04:47:44 2005] [notice]",
                "2005-12-04T04:47:44Z",
            ),
            (
                "1.2.3.4 - - [02/Mar/2026:00:04:16 +0100] \"GET",
                "2026-03-01T23:04:16Z",
            ),
            ("03-17 16:13:38.811  1702", "2005-03-17T16:13:38.811Z"),
            ("[10.30 16:49:06] chrome.exe", "2005-10-30T16:49:06Z"),
            ("20171223-22:16:0:5|Step", "2017-12-23T22:16:00.005Z"),
            ("081109 203615 148 INFO", "2008-11-09T20:36:15Z"),
            ("17/06/09 20:10:40 INFO", "2017-06-09T20:10:40Z"),
            ("01:45:13 02/03/2026 INFO x", "2026-03-02T01:45:13Z"),
            (
                "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01",
                "2005-11-09T20:01:01Z",
            ),
            (
                "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02",
                "2005-06-03T22:42:50.675872Z",
            ),
            (
                "134681 node-246 unix.hw state 1077804742 1 Comp",
                "2004-02-26T14:12:22Z",
            ),
            (
                "{\"a\":{\"ts\":1},\"ts\":\"2026-03-02T00:07:50.959+01:00\"}",
                "2026-03-01T23:07:50.959Z",
            ),
            ("{\"time\": 1767225601.123}", "2026-01-01T00:00:01.123Z"),
        ];
        let mut r = TimestampRecognizer::auto();
        for (text, want) in cases {
            assert_eq!(r.recognize(text, &utc(2005)), Some(ns(want)), "{text}");
            // And fresh, without the cache.
            assert_eq!(
                TimestampRecognizer::auto().recognize(text, &utc(2005)),
                Some(ns(want)),
                "{text}"
            );
        }
    }

    /// `Opening::admits` only skips formats that could not match: every format that matches
    /// anywhere in these lines (each `auto` format, and copies with a digit added or taken
    /// away at every place, so near misses of each length are seen) is admitted there.
    #[test]
    fn word_opening_check_never_hides_a_match() {
        let lines = [
            "2026-03-02T00:07:50.959+01:00 x",
            "2015-10-18 18:01:47,978 INFO",
            "1.2.3.4 - - [02/Mar/2026:00:04:16 +0100] \"GET",
            "03-17 16:13:38.811  1702",
            "[10.30 16:49:06] chrome.exe",
            "20171223-22:16:0:5|Step",
            "081109 203615 148 INFO",
            "17/06/09 20:10:40 INFO",
            "01:45:13 02/03/2026 INFO x",
            "2/3/2026 10:00:00 AM x",
            "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01",
            "02-Mar-2026 06:58:01.412 INFO",
            "1:M 04 Mar 2026 09:12:01.004 * Ready",
            "at 12/31/2026 23:59:59 and 1767225601 x",
            "[Sun Dec 04 04:47:44 2005] [notice]",
            "Jun 14 15:16:01 combo sshd",
        ];
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for line in lines {
            let b = line.as_bytes().to_vec();
            variants.push(b.clone());
            for i in 0..b.len() {
                let mut longer = b.clone();
                longer.insert(i, b'7');
                variants.push(longer);
                if b[i].is_ascii_digit() {
                    let mut shorter = b.clone();
                    shorter.remove(i);
                    variants.push(shorter);
                }
            }
        }
        let (mut matched, mut skipped) = (0, 0);
        let mut seen = std::collections::HashSet::new();
        let formats = AUTO_DIGIT
            .iter()
            .chain(AUTO_DIGIT_MDY)
            .chain(AUTO_ALPHA)
            .chain([&TimeFormat::EpochSeconds]);
        for b in &variants {
            for p in 0..b.len() {
                for &f in formats.clone() {
                    let admitted = Opening::at(b, p).admits(f);
                    if match_format(f, b, p).is_some() {
                        matched += 1;
                        seen.insert(f);
                        assert!(admitted, "{f:?} at {p} of {:?}", String::from_utf8_lossy(b));
                    } else if !admitted {
                        skipped += 1;
                    }
                }
            }
        }
        assert!(matched > 100, "{matched}");
        assert!(skipped > matched, "{skipped}");
        // Each format matched somewhere, so each one's rule was checked.
        let unseen: Vec<_> = formats.filter(|f| !seen.contains(*f)).collect();
        assert!(unseen.is_empty(), "never matched: {unseen:?}");
        // A scrambled date leaves one format to try where there were twelve.
        let b = b"6864-54-89 55:87:08, Info";
        let opening = Opening::at(b, 0);
        let left: Vec<_> = AUTO_DIGIT.iter().filter(|&&f| opening.admits(f)).collect();
        assert_eq!(left, [&TimeFormat::Iso8601]);
    }

    /// The scan `auto` made before words were skipped by their opening: every format at every
    /// word start, then bare epoch seconds at every byte. The recognizer must agree with it.
    fn every_place(b: &[u8], ctx: &TimeContext) -> Option<(i64, Range<usize>)> {
        let mut r = TimestampRecognizer::auto();
        let lim = b.len().min(SCAN_LIMIT);
        for p in 0..lim {
            let starts =
                b[p].is_ascii_alphanumeric() && (p == 0 || !b[p - 1].is_ascii_alphanumeric());
            let list = if b[p].is_ascii_digit() {
                AUTO_DIGIT
            } else {
                AUTO_ALPHA
            };
            for &f in list.iter().filter(|_| starts) {
                if let Some((stamp, end)) = match_format(f, b, p) {
                    if let Some(t) = r.stamp_ns(&stamp, ctx) {
                        return Some((t, p..end));
                    }
                }
            }
        }
        (0..lim).find_map(|p| {
            let (stamp, end) = match_format(TimeFormat::EpochSeconds, b, p)?;
            auto_epoch_ok(b, p).then_some(())?;
            Some((r.stamp_ns(&stamp, ctx)?, p..end))
        })
    }

    #[test]
    fn auto_finds_what_a_scan_of_every_place_finds() {
        let mut lines: Vec<String> = [
            "6864-54-89 55:87:08, Info CBS 1325-80-89-43.36.96.347365",
            "- 2529283432 3336.87.55 R90-M0-NC-C:J68-U97 RAS KERNEL",
            "134681 node-246 unix.hw state 1077804742 1 Comp",
            "x 9999999999 1077804742",
            "ab12 03-17 16:13:38.811 1702",
            "[Mon Dec 93 08:49:64 6551] [error] then Jun 14 15:16:01",
            "id=1234567890123 at 02/03/2026 10:00:00",
        ]
        .map(String::from)
        .to_vec();
        // Eight bare ten-digit numbers out of range before the one in range, and one after.
        lines.push(format!(
            "{}1077804742 9999999999 end",
            "9999999999 ".repeat(8)
        ));
        // Letter-led stamps behind words of every length, and one whose month starts three
        // bytes before the end of the scanned range (its space lies outside it).
        lines.push("a ab abc abcd Sunday Junk Jun14 Jun 14 15:16:01 x".into());
        lines.push("Jul  1 09:00:55 host".into());
        lines.push(format!("{}Jun 14 15:16:01", "x".repeat(SCAN_LIMIT - 3)));
        lines.push(format!(
            "{} Sun Dec 04 04:47:44 2005",
            "y".repeat(SCAN_LIMIT - 10)
        ));
        // Near misses: a digit or a letter put in at every place, so each word in turn grows
        // by one and stamps break in every way.
        let mut variants = Vec::new();
        for line in &lines {
            for i in 0..=line.len() {
                for c in ["7", "x", " "] {
                    if line.is_char_boundary(i) {
                        variants.push(format!("{}{c}{}", &line[..i], &line[i..]));
                    }
                }
            }
        }
        let ctx = utc(2005);
        let mut found = 0;
        for line in lines.iter().chain(&variants) {
            let b = line.as_bytes();
            let want = every_place(b, &ctx);
            let got = TimestampRecognizer::auto().find_auto(b, &ctx);
            assert_eq!(got, want, "{line}");
            found += usize::from(got.is_some());
        }
        assert!(found > variants.len() / 2, "{found} of {}", variants.len());
        assert!(every_place(lines[7].as_bytes(), &ctx).is_some());
    }

    #[test]
    fn no_timestamp() {
        let mut r = TimestampRecognizer::auto();
        for text in [
            "",
            "hello world",
            "\tat com.x.Y(Y.java:12)",
            "12345 67890",
            "2026-13-01 00:00:00",
            "Feb 30 10:00:00 x",
        ] {
            assert_eq!(r.recognize(text, &utc(2005)), None, "{text}");
        }
    }

    #[test]
    fn zone_less_times_use_context_zone() {
        let paris = TimeZone::get("Europe/Paris").expect("tzdb");
        let ctx = TimeContext::new(2026, paris.clone());
        let mut r = TimestampRecognizer::auto();
        assert_eq!(
            r.recognize("01:45:13 02/03/2026 INFO", &ctx),
            Some(ns("2026-03-02T00:45:13Z"))
        );
        assert_eq!(
            r.recognize("01:45:13 02/07/2026 INFO", &ctx),
            Some(ns("2026-07-01T23:45:13Z"))
        );
        // Explicit offsets win.
        assert_eq!(
            r.recognize("2026-07-02T01:45:13Z", &ctx),
            Some(ns("2026-07-02T01:45:13Z"))
        );
        // Switching zones between calls invalidates the offset cache.
        let ny = TimeContext::new(2026, TimeZone::get("America/New_York").expect("tzdb"));
        let fixed = TimeContext::new(2026, TimeZone::fixed(jiff::tz::offset(5)));
        let line = "01:45:13 02/07/2026 INFO";
        for _ in 0..2 {
            assert_eq!(r.recognize(line, &ctx), Some(ns("2026-07-01T23:45:13Z")));
            assert_eq!(r.recognize(line, &ny), Some(ns("2026-07-02T05:45:13Z")));
            assert_eq!(r.recognize(line, &utc(1)), Some(ns("2026-07-02T01:45:13Z")));
            assert_eq!(r.recognize(line, &fixed), Some(ns("2026-07-01T20:45:13Z")));
        }
    }

    /// The offset cache must agree with jiff's `compatible` everywhere, DST edges included.
    #[test]
    fn tz_cache_agrees_with_jiff() {
        for name in [
            "Europe/Paris",
            "America/New_York",
            "Australia/Lord_Howe",
            "America/St_Johns",
        ] {
            let tz = TimeZone::get(name).expect("tzdb");
            let ctx = TimeContext::new(2026, tz.clone());
            let mut r = TimestampRecognizer::auto();
            // Every 7 minutes through 2026, in order (the cache's common case), then backwards.
            let start = days_from_civil(2026, 1, 1) * 86_400;
            let mut locals: Vec<i64> = (0..(366 * 24 * 60 / 7))
                .map(|k| start + k * 420 + 13)
                .collect();
            let rev: Vec<i64> = locals.iter().rev().copied().collect();
            locals.extend(rev);
            for local in locals {
                let ts = Timestamp::from_second(local).expect("ts");
                let dt = TimeZone::UTC.to_datetime(ts);
                let text = format!("{}", dt.strftime("%Y-%m-%d %H:%M:%S"));
                let want = tz
                    .to_ambiguous_timestamp(dt)
                    .compatible()
                    .expect("compatible");
                let got = r.recognize(&text, &ctx);
                assert_eq!(got, Some(want.as_second() * 1_000_000_000), "{name} {text}");
            }
        }
    }

    #[test]
    fn rules_anchor_fields() {
        let mut r =
            TimestampRecognizer::with_rules(vec![TimestampRule::field(TimeFormat::Iso8601, 1)]);
        let ctx = utc(2017);
        assert_eq!(
            r.recognize(
                "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO",
                &ctx
            ),
            Some(ns("2017-05-16T00:00:00.008Z"))
        );
        assert_eq!(
            r.recognize("2017-05-16 00:00:00.008 25746 INFO", &ctx),
            None
        );
        assert!(r.starts_with_timestamp(b"x 2017-05-16 00:00:00.008 y"));
        assert!(!r.starts_with_timestamp(b"\tat x"));
    }

    #[test]
    fn span_is_reported() {
        let mut r = TimestampRecognizer::auto();
        let text = "1.2.3.4 - - [02/Mar/2026:00:04:16 +0100] \"GET";
        let (_, span) = r.recognize_span(text, &utc(2026)).expect("found");
        assert_eq!(&text[span], "02/Mar/2026:00:04:16 +0100");
    }
}
