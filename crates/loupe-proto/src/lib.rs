//! # loupe-proto
//!
//! The wire contract between whatever ships events (the Loupe forwarder, a Splunk
//! HEC client) and the Loupe indexer, so both sides agree without sharing code
//! beyond this crate.
//!
//! - [`Envelope`] is one HEC event as senders write it (`{time, host, source, sourcetype, index, event, fields}`).
//! - [`HecCode`] and [`HecAnswer`] are Splunk's `{"text":…,"code":N}` answers, with the HTTP status each implies.
//! - [`AckRequest`] / [`AckAnswer`] are the bodies of `POST /services/collector/ack`.
//! - [`CHANNEL_HEADER`] and [`SEQUENCE_HEADER`] carry the batch identity the indexer deduplicates on.
//!
//! ```
//! use loupe_proto::{Envelope, HecCode, HecAnswer};
//! let env: Envelope = serde_json::from_str(r#"{"time":"1767225601.5","event":"hello","host":"web-1"}"#).unwrap();
//! assert_eq!(env.time_ns().unwrap(), Some(1_767_225_601_500_000_000));
//! let answer = HecAnswer::new(HecCode::Success);
//! assert_eq!(answer.code, 0);
//! assert_eq!(HecCode::InvalidToken.http_status(), 403);
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Splunk's header naming the data channel; acks and deduplication are per channel.
pub const CHANNEL_HEADER: &str = "X-Splunk-Request-Channel";
/// Loupe's header giving a batch's sequence number within its channel, so a retried batch is recognised.
pub const SEQUENCE_HEADER: &str = "X-Loupe-Sequence";

/// One HEC event envelope; every field but `event` is optional, as senders omit them freely.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Envelope {
    /// Epoch seconds as a number or numeric string, up to 9 decimals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sourcetype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// A string or any JSON value; absent is an error (code 12), blank another (code 13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<serde_json::Value>,
    /// Indexed fields: searchable without touching `_raw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// Why an envelope's `time` could not be read; the sender gets code 6 for it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid time value {0}")]
pub struct BadTime(pub String);

impl Envelope {
    /// Reads `time` without float arithmetic: a string keeps all nine decimals; a JSON number
    /// arrives as an f64, whose shortest decimal form keeps milliseconds and microseconds exact.
    pub fn time_ns(&self) -> Result<Option<i64>, BadTime> {
        match &self.time {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Number(n)) => parse_epoch(&n.to_string())
                .map(Some)
                .ok_or_else(|| BadTime(n.to_string())),
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => parse_epoch(s.trim())
                .map(Some)
                .ok_or_else(|| BadTime(s.clone())),
            Some(other) => Err(BadTime(other.to_string())),
        }
    }
}

/// Parses epoch seconds with optional decimals (or an exponent, as some JSON encoders write) into nanoseconds.
pub fn parse_epoch(s: &str) -> Option<i64> {
    if s.contains(['e', 'E']) {
        let f: f64 = s.parse().ok()?;
        if !f.is_finite() || f.abs() > 9.2e9 {
            return None;
        }
        return Some((f * 1e9).round() as i64);
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut nanos: i64 = 0;
    for (i, b) in frac_part.bytes().take(9).enumerate() {
        nanos += i64::from(b - b'0') * 10i64.pow(8 - i as u32);
    }
    let total = secs.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    Some(if neg { -total } else { total })
}

/// Splunk's HEC status codes; clients read `code`, some ignoring the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum HecCode {
    Success = 0,
    TokenDisabled = 1,
    TokenRequired = 2,
    InvalidAuthorization = 3,
    InvalidToken = 4,
    NoData = 5,
    InvalidDataFormat = 6,
    IncorrectIndex = 7,
    InternalError = 8,
    ServerBusy = 9,
    ChannelMissing = 10,
    InvalidChannel = 11,
    EventFieldRequired = 12,
    EventFieldBlank = 13,
    AckDisabled = 14,
    IndexedFieldsError = 15,
    Healthy = 17,
    QueuesFull = 18,
}

impl HecCode {
    /// The HTTP status Splunk pairs with each code.
    pub fn http_status(self) -> u16 {
        use HecCode::*;
        match self {
            Success | Healthy => 200,
            TokenDisabled | InvalidToken => 403,
            TokenRequired | InvalidAuthorization => 401,
            NoData | InvalidDataFormat | IncorrectIndex | ChannelMissing | InvalidChannel
            | EventFieldRequired | EventFieldBlank | AckDisabled | IndexedFieldsError => 400,
            InternalError => 500,
            ServerBusy | QueuesFull => 503,
        }
    }

    /// Splunk's wording, which some clients match on.
    pub fn text(self) -> &'static str {
        use HecCode::*;
        match self {
            Success => "Success",
            TokenDisabled => "Token disabled",
            TokenRequired => "Token is required",
            InvalidAuthorization => "Invalid authorization",
            InvalidToken => "Invalid token",
            NoData => "No data",
            InvalidDataFormat => "Invalid data format",
            IncorrectIndex => "Incorrect index",
            InternalError => "Internal server error",
            ServerBusy => "Server is busy",
            ChannelMissing => "Data channel is missing",
            InvalidChannel => "Invalid data channel",
            EventFieldRequired => "Event field is required",
            EventFieldBlank => "Event field cannot be blank",
            AckDisabled => "ACK is disabled",
            IndexedFieldsError => "Error in handling indexed fields",
            Healthy => "HEC is healthy",
            QueuesFull => "HEC is unhealthy, queues are full",
        }
    }
}

/// The JSON body of every HEC answer, errors included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HecAnswer {
    pub text: String,
    pub code: u16,
    /// 0-based number of the first rejected event (code 6); the ones before it were indexed.
    #[serde(
        rename = "invalid-event-number",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub invalid_event_number: Option<usize>,
    /// Present whenever the request named a channel.
    #[serde(rename = "ackId", default, skip_serializing_if = "Option::is_none")]
    pub ack_id: Option<u64>,
}

impl HecAnswer {
    /// The plain answer for a code, with Splunk's text.
    pub fn new(code: HecCode) -> Self {
        HecAnswer {
            text: code.text().to_string(),
            code: code as u16,
            invalid_event_number: None,
            ack_id: None,
        }
    }

    /// The same code with a more precise message for humans (the code stays what clients key on).
    pub fn with_text(code: HecCode, text: impl Into<String>) -> Self {
        HecAnswer {
            text: text.into(),
            ..HecAnswer::new(code)
        }
    }
}

/// Body of `POST /services/collector/ack`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AckRequest {
    pub acks: Vec<u64>,
}

/// Answer of `/ack`: which of the asked ids are durable.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AckAnswer {
    pub acks: BTreeMap<String, bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_parsing_keeps_nanoseconds() {
        assert_eq!(parse_epoch("1767225601"), Some(1_767_225_601_000_000_000));
        assert_eq!(
            parse_epoch("1767225601.123456789"),
            Some(1_767_225_601_123_456_789)
        );
        assert_eq!(parse_epoch("1767225601.5"), Some(1_767_225_601_500_000_000));
        assert_eq!(parse_epoch("-1.5"), Some(-1_500_000_000));
        assert_eq!(parse_epoch("1.7e9"), Some(1_700_000_000_000_000_000));
        assert_eq!(parse_epoch("abc"), None);
        assert_eq!(parse_epoch(""), None);
        assert_eq!(parse_epoch("."), None);
        assert_eq!(parse_epoch("12a"), None);
    }

    #[test]
    fn envelope_time_accepts_numbers_and_strings() {
        let e: Envelope = serde_json::from_str(r#"{"time":1767225601.25,"event":"x"}"#).unwrap();
        assert_eq!(e.time_ns().unwrap(), Some(1_767_225_601_250_000_000));
        // A number's microseconds survive the f64 it is read as; a string keeps nanoseconds.
        let e: Envelope =
            serde_json::from_str(r#"{"time":1767225601.123456,"event":"x"}"#).unwrap();
        assert_eq!(e.time_ns().unwrap(), Some(1_767_225_601_123_456_000));
        let e: Envelope =
            serde_json::from_str(r#"{"time":"1767225601.123456789","event":"x"}"#).unwrap();
        assert_eq!(e.time_ns().unwrap(), Some(1_767_225_601_123_456_789));
        let e: Envelope = serde_json::from_str(r#"{"time":"1767225601","event":"x"}"#).unwrap();
        assert_eq!(e.time_ns().unwrap(), Some(1_767_225_601_000_000_000));
        let e: Envelope = serde_json::from_str(r#"{"time":"soon","event":"x"}"#).unwrap();
        assert!(e.time_ns().is_err());
        let e: Envelope = serde_json::from_str(r#"{"event":"x"}"#).unwrap();
        assert_eq!(e.time_ns().unwrap(), None);
    }

    #[test]
    fn answers_serialize_like_splunk() {
        let mut a = HecAnswer::new(HecCode::InvalidDataFormat);
        a.invalid_event_number = Some(2);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"text":"Invalid data format","code":6,"invalid-event-number":2}"#
        );
        assert_eq!(HecCode::ServerBusy.http_status(), 503);
        assert_eq!(HecCode::TokenRequired.http_status(), 401);
    }
}
