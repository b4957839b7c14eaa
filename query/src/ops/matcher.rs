//! `search`-style predicates over result rows (`| search`, `inputlookup ... where`,
//! `transaction startswith=`): terms and phrases match `_raw` (or, for rows without
//! `_raw`, any field value) case-insensitively; `field=value` compares case-insensitively
//! with `*` wildcards, numerically when both sides are numbers.

use crate::ast::{CmpOp, SearchExpr, TimeBound};
use crate::row::{text, values_of, Row};
use regex::Regex;

/// A compiled search predicate.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    All,
    And(Vec<Matcher>),
    Or(Vec<Matcher>),
    Not(Box<Matcher>),
    Text(Regex),
    /// `TERM(…)` / `CASE(…)`.
    Directive(crate::directive::Directive),
    Field {
        field: String,
        op: CmpOp,
        value: String,
        re: Regex,
        num: Option<f64>,
    },
    Time {
        earliest: bool,
        t: f64,
    },
}

fn glob_regex(s: &str, anchored: bool) -> Result<Regex, String> {
    let mut re = String::from("(?is)");
    if anchored {
        re.push('^');
    }
    for (i, part) in s.split('*').enumerate() {
        if i > 0 {
            re.push_str(".*");
        }
        re.push_str(&regex::escape(part));
    }
    if anchored {
        re.push('$');
    }
    Regex::new(&re).map_err(|e| e.to_string())
}

impl Matcher {
    /// Compiles a search expression; `now`/`tz` resolve `earliest=`/`latest=`.
    pub(crate) fn compile(
        e: &SearchExpr,
        now: f64,
        tz: &jiff::tz::TimeZone,
    ) -> Result<Matcher, String> {
        Ok(match e {
            SearchExpr::All => Matcher::All,
            SearchExpr::And(v) => Matcher::And(
                v.iter()
                    .map(|x| Matcher::compile(x, now, tz))
                    .collect::<Result<_, _>>()?,
            ),
            SearchExpr::Or(v) => Matcher::Or(
                v.iter()
                    .map(|x| Matcher::compile(x, now, tz))
                    .collect::<Result<_, _>>()?,
            ),
            SearchExpr::Not(x) => Matcher::Not(Box::new(Matcher::compile(x, now, tz)?)),
            SearchExpr::Term { text, .. } => match crate::directive::Directive::parse(text) {
                Some(d) => Matcher::Directive(d),
                None => Matcher::Text(glob_regex(text, false)?),
            },
            SearchExpr::Phrase { text, .. } => Matcher::Text(glob_regex(text, false)?),
            SearchExpr::Field {
                field, op, value, ..
            } => Matcher::Field {
                field: field.clone(),
                op: *op,
                value: value.clone(),
                re: glob_regex(value, true)?,
                num: value.trim().parse::<f64>().ok(),
            },
            SearchExpr::FieldIn { field, values, .. } => Matcher::Or(
                values
                    .iter()
                    .map(|v| {
                        Ok(Matcher::Field {
                            field: field.clone(),
                            op: CmpOp::Eq,
                            value: v.clone(),
                            re: glob_regex(v, true)?,
                            num: v.trim().parse::<f64>().ok(),
                        })
                    })
                    .collect::<Result<_, String>>()?,
            ),
            SearchExpr::TimeBound { bound, value, .. } => {
                let ns = loupe_event::reltime::resolve(value, (now * 1e9) as i64, tz)
                    .map_err(|e| format!("bad time `{value}`: {e}"))?;
                match bound {
                    TimeBound::Earliest => Matcher::Time {
                        earliest: true,
                        t: ns as f64 / 1e9,
                    },
                    TimeBound::Latest => Matcher::Time {
                        earliest: false,
                        t: ns as f64 / 1e9,
                    },
                    _ => return Err(format!("{} is not supported here", bound.keyword())),
                }
            }
            SearchExpr::Subsearch { .. } => {
                return Err("subsearches must be resolved by the caller before running".into())
            }
        })
    }

    /// True when the row satisfies the predicate.
    pub(crate) fn matches(&self, row: &Row) -> bool {
        match self {
            Matcher::All => true,
            Matcher::And(v) => v.iter().all(|m| m.matches(row)),
            Matcher::Or(v) => v.iter().any(|m| m.matches(row)),
            Matcher::Not(m) => !m.matches(row),
            Matcher::Directive(d) => match row.get("_raw") {
                Some(raw) => d.matches(&text(raw)),
                None => row.iter().any(|(_, v)| d.matches(&text(v))),
            },
            Matcher::Text(re) => match row.get("_raw") {
                Some(raw) => re.is_match(&text(raw)),
                None => row.iter().any(|(_, v)| re.is_match(&text(v))),
            },
            Matcher::Field {
                field,
                op,
                value,
                re,
                num,
            } => {
                let Some(v) = row.get(field) else {
                    return false;
                };
                let vals = values_of(v);
                match op {
                    CmpOp::Eq => vals.iter().any(|x| field_eq(x, re, *num)),
                    CmpOp::Ne => !vals.iter().any(|x| field_eq(x, re, *num)),
                    _ => vals.iter().any(|x| {
                        let ord = match (x.as_f64(), num) {
                            (Some(a), Some(b)) => a.partial_cmp(b),
                            _ => Some(text(x).as_str().cmp(value.as_str())),
                        };
                        match (ord, op) {
                            (Some(o), CmpOp::Lt) => o.is_lt(),
                            (Some(o), CmpOp::Le) => o.is_le(),
                            (Some(o), CmpOp::Gt) => o.is_gt(),
                            (Some(o), CmpOp::Ge) => o.is_ge(),
                            _ => false,
                        }
                    }),
                }
            }
            Matcher::Time { earliest, t } => match row.time() {
                Some(rt) => {
                    if *earliest {
                        rt >= *t
                    } else {
                        rt < *t
                    }
                }
                None => false,
            },
        }
    }
}

fn field_eq(x: &loupe_event::Value, re: &Regex, num: Option<f64>) -> bool {
    if let (Some(a), Some(b)) = (x.as_f64(), num) {
        if a == b {
            return true;
        }
    }
    re.is_match(&text(x))
}
