//! Field values as SPL sees them: loosely typed, possibly multi-valued.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A field's value; SPL coerces between strings and numbers on demand, so both live here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum Value {
    /// Absent field: SPL's null propagates through eval and is skipped by stats.
    #[default]
    Null,
    /// Kept separate from strings so `true()` and JSON booleans round-trip.
    Bool(bool),
    /// Integers stay exact (counts, ids, epoch seconds).
    Int(i64),
    /// Everything fractional.
    Float(f64),
    /// The common case: text extracted from `_raw`.
    Str(String),
    /// Multi-value fields (`values()`, `split()`, repeated JSON arrays).
    Multi(Vec<Value>),
}

impl Value {
    /// Numeric view used by comparisons and arithmetic; strings that look like numbers count.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Str(s) => s.trim().parse::<f64>().ok(),
            Value::Multi(v) => v.first().and_then(Value::as_f64),
            Value::Null => None,
        }
    }

    /// True for `Null`, which SPL treats as "field not present".
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Builds a value from JSON, keeping numbers exact where they are integers.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(a) => Value::Multi(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(_) => Value::Str(v.to_string()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    write!(f, "{}", *x as i64)
                } else {
                    write!(f, "{x}")
                }
            }
            Value::Str(s) => f.write_str(s),
            Value::Multi(v) => {
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{x}")?;
                }
                Ok(())
            }
        }
    }
}
