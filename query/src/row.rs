//! Result rows: an ordered map from field name to [`Value`], the unit every pipeline
//! operator consumes and produces.
//!
//! `_time` is stored like any other field, as **epoch seconds** (`Value::Int` when whole,
//! `Value::Float` with a fraction): this is what `strftime(_time, ...)`, `relative_time`
//! and Splunk's own rows use, so eval needs no conversion. The indexer divides its
//! nanosecond timestamps by 1e9 when it builds rows ([`Row::set_time_ns`]).

use crate::eval::RowAccess;
use compact_str::CompactString;
use loupe_event::Value;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// One result row; field order is insertion order (what `table` and the API show).
///
/// Names are [`CompactString`]s: the usual field names fit inline, so building millions of
/// rows allocates nothing for them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Row {
    fields: Vec<(CompactString, Value)>,
}

/// A batch of rows, the unit pushed through an executor.
pub type RowBatch = Vec<Row>;

/// Heap bytes of a value beyond its inline slot (strings, multi-values).
pub fn value_bytes(v: &Value) -> usize {
    match v {
        Value::Str(s) if s.capacity() > 0 => s.capacity() + 16,
        Value::Str(_) => 0,
        Value::Multi(items) => 16 + items.iter().map(|x| 40 + value_bytes(x)).sum::<usize>(),
        _ => 0,
    }
}

/// Heap bytes of a batch of rows ([`Row::heap_bytes`] summed).
pub fn batch_bytes(rows: &[Row]) -> usize {
    rows.iter().map(Row::heap_bytes).sum()
}

impl Row {
    /// An empty row.
    pub fn new() -> Row {
        Row::default()
    }

    /// Builds a row from `(name, value)` pairs (later duplicates overwrite earlier ones).
    pub fn from_pairs<K: AsRef<str>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Row {
        let mut r = Row::new();
        for (k, v) in pairs {
            r.set(k, v);
        }
        r
    }

    /// Heap bytes the row keeps, roughly (names, values, the vector's slots): what buffering
    /// operators charge to a search's memory budget. Cheap: one pass over the fields.
    pub fn heap_bytes(&self) -> usize {
        // A slot is a name (24) and a value (32) plus the allocator's rounding; measured
        // against RSS in `make bench` (20 heavy searches under a server budget).
        let mut n = std::mem::size_of::<Row>() + 16 + self.fields.capacity() * 64;
        for (k, v) in &self.fields {
            if k.len() > 24 {
                n += k.len();
            }
            n += value_bytes(v);
        }
        n
    }

    /// The field's value; `None` when absent (SPL null).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sets a field, keeping its position when it exists; setting `Null` removes it,
    /// because SPL does not distinguish a null field from an absent one.
    pub fn set(&mut self, name: impl AsRef<str>, value: Value) {
        let name = name.as_ref();
        if value.is_null() {
            self.remove(name);
            return;
        }
        match self.fields.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((CompactString::from(name), value)),
        }
    }

    /// Renames a field where it stands (Splunk's `rename` keeps the column's place); a field
    /// already called `to` is replaced. False when `from` is absent.
    pub fn rename(&mut self, from: &str, to: &str) -> bool {
        if from == to {
            return self.contains(from);
        }
        let Some(i) = self.fields.iter().position(|(k, _)| k == from) else {
            return false;
        };
        self.fields[i].0 = CompactString::from(to);
        if let Some(j) = self
            .fields
            .iter()
            .enumerate()
            .position(|(j, (k, _))| j != i && k == to)
        {
            self.fields.remove(j);
        }
        true
    }

    /// Removes a field, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.fields.iter().position(|(k, _)| k == name)?;
        Some(self.fields.remove(i).1)
    }

    /// True when the field is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Field names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_str())
    }

    /// `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the row has no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Keeps only the fields for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &Value) -> bool) {
        self.fields.retain(|(k, v)| keep(k, v));
    }

    /// `_time` in epoch seconds, when present and numeric.
    pub fn time(&self) -> Option<f64> {
        self.get("_time").and_then(Value::as_f64)
    }

    /// Sets `_time` from epoch seconds (whole seconds stay integers).
    pub fn set_time(&mut self, seconds: f64) {
        self.set("_time", seconds_value(seconds));
    }

    /// Sets `_time` from epoch nanoseconds, the store's unit.
    pub fn set_time_ns(&mut self, ns: i64) {
        if ns % 1_000_000_000 == 0 {
            self.set("_time", Value::Int(ns / 1_000_000_000));
        } else {
            self.set("_time", Value::Float(ns as f64 / 1e9));
        }
    }

    /// Consumes the row into its pairs.
    pub fn into_pairs(self) -> Vec<(String, Value)> {
        self.fields
            .into_iter()
            .map(|(k, v)| (k.into_string(), v))
            .collect()
    }
}

/// Epoch seconds as a value: integral times stay `Int`, so they print without decimals.
pub fn seconds_value(seconds: f64) -> Value {
    if seconds.fract() == 0.0 && seconds.abs() < 9.0e15 {
        Value::Int(seconds as i64)
    } else {
        Value::Float(seconds)
    }
}

impl RowAccess for Row {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).map(Cow::Borrowed)
    }

    fn as_row(&self) -> Option<Cow<'_, Row>> {
        Some(Cow::Borrowed(self))
    }
}

impl<K: AsRef<str>> FromIterator<(K, Value)> for Row {
    fn from_iter<T: IntoIterator<Item = (K, Value)>>(iter: T) -> Self {
        Row::from_pairs(iter)
    }
}

/// Text of a value as SPL prints it (multi-values joined by newlines).
pub fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

/// [`text`] without a copy when the value already is a string (hot paths: `rex`, `regex`).
pub fn text_ref(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::Str(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

/// The values of a possibly multi-valued value; null has none.
pub fn values_of(v: &Value) -> Vec<&Value> {
    match v {
        Value::Null => Vec::new(),
        Value::Multi(m) => m.iter().collect(),
        other => vec![other],
    }
}

/// Every key extended by every one of `vals`: how several multi-valued fields become one
/// group or match key per combination (`stats ... by`, `lookup`).
pub fn extend_keys<T: Clone>(keys: Vec<Vec<T>>, vals: &[T]) -> Vec<Vec<T>> {
    keys.into_iter()
        .flat_map(|k| {
            vals.iter().map(move |v| {
                let mut k = k.clone();
                k.push(v.clone());
                k
            })
        })
        .collect()
}

/// Glob match with `*` wildcards, case-sensitive (field names).
pub fn wildcard_match(pattern: &str, s: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == s;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = s;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.len() >= part.len() && rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty() || parts.len() > 1
}

/// Splunk's automatic ordering: numbers (numeric strings included) numerically and
/// before text, text lexicographically; null sorts first.
pub fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    // Keep in step with [`SortKey`], which precomputes the same order.
    use std::cmp::Ordering;
    match (a.is_null(), b.is_null()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => text_ref(a).cmp(&text_ref(b)),
    }
}

/// A value's place in [`compare_values`]' order, computed once: sorting many rows by
/// precomputed keys parses each number once instead of at every comparison. The text is
/// borrowed from the value when it is a string.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey<'a> {
    /// Null sorts first.
    Null,
    /// Numbers (and numeric strings) next, by value.
    Num(f64),
    /// Then text, byte-wise.
    Text(Cow<'a, str>),
}

impl<'a> SortKey<'a> {
    /// The key of `v`.
    pub fn of(v: &'a Value) -> SortKey<'a> {
        if v.is_null() {
            SortKey::Null
        } else if let Some(x) = v.as_f64() {
            SortKey::Num(x)
        } else {
            SortKey::Text(text_ref(v))
        }
    }
}

impl Eq for SortKey<'_> {}

impl PartialOrd for SortKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (SortKey::Null, SortKey::Null) => Ordering::Equal,
            (SortKey::Null, _) => Ordering::Less,
            (_, SortKey::Null) => Ordering::Greater,
            (SortKey::Num(x), SortKey::Num(y)) => x.total_cmp(y),
            (SortKey::Num(_), SortKey::Text(_)) => Ordering::Less,
            (SortKey::Text(_), SortKey::Num(_)) => Ordering::Greater,
            (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
        }
    }
}

#[cfg(test)]
mod sort_key_tests {
    use super::*;

    #[test]
    fn rename_keeps_the_place_and_replaces_an_existing_target() {
        let mut r = Row::from_pairs([
            ("a", Value::Int(1)),
            ("b", Value::Int(2)),
            ("c", Value::Int(3)),
        ]);
        assert!(r.rename("a", "x"));
        assert_eq!(r.names().collect::<Vec<_>>(), ["x", "b", "c"]);
        assert!(r.rename("b", "c"));
        assert_eq!(r.names().collect::<Vec<_>>(), ["x", "c"]);
        assert_eq!(r.get("c"), Some(&Value::Int(2)));
        assert!(!r.rename("nope", "y"));
    }

    #[test]
    fn sort_keys_order_values_as_compare_values_does() {
        let values = [
            Value::Null,
            Value::Int(-3),
            Value::Int(10),
            Value::Float(2.5),
            Value::Float(f64::NAN),
            Value::Str("9".into()),
            Value::Str("10.0".into()),
            Value::Str("abc".into()),
            Value::Str("Abc".into()),
            Value::Str("1.2.3.4".into()),
            Value::Str(String::new()),
            Value::Bool(true),
            Value::Multi(vec![Value::Str("b".into()), Value::Str("a".into())]),
        ];
        for a in &values {
            for b in &values {
                assert_eq!(
                    SortKey::of(a).cmp(&SortKey::of(b)),
                    compare_values(a, b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
}
