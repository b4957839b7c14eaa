//! `format` and `return`: the rows so far become one row whose `search` field is search text,
//! which is what a subsearch (`[search … | return 5 host]`) gives the search around it.
//! The text is built as rows arrive, so only it is kept, charged to the search's budget.

use super::block::Budget;
use crate::ast::{ArgsCmd, Command};
use crate::plan::{ExecContext, ExecError, Operator, Opts, PlanError};
use crate::row::{text, values_of, Row, RowBatch};
use loupe_event::Value;

/// How a row and a value are written: `format`'s six separators, or `return`'s terms.
enum Style {
    Format {
        row_prefix: String,
        col_prefix: String,
        col_sep: String,
        col_end: String,
        row_sep: String,
        row_end: String,
        mvsep: String,
    },
    /// `(output name, input field, value only)` per term of `return`.
    Return(Vec<(String, String, bool)>),
}

pub(crate) struct Format {
    command: &'static str,
    style: Style,
    /// Rows taken at most (0: all).
    max: usize,
    seen: usize,
    /// Each taken row's text, already joined.
    parts: Vec<String>,
    budget: Budget,
}

/// A value as a quoted search term.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

pub(crate) fn build(
    cmd: &Command,
    a: &ArgsCmd,
    ctx: &ExecContext,
) -> Result<Box<dyn Operator>, PlanError> {
    let mut o = Opts::new(cmd, &a.options);
    let op = if cmd.name == "format" {
        let max = o.take_usize("maxresults")?.unwrap_or(0);
        let mvsep = o.take("mvsep").unwrap_or("OR").to_string();
        o.done()?;
        if a.count.is_some() {
            return Err(PlanError::at(cmd, "unexpected number"));
        }
        let seps: Vec<String> = match a.fields.as_slice() {
            [] => ["(", "(", "AND", ")", "OR", ")"]
                .map(str::to_string)
                .to_vec(),
            six @ [_, _, _, _, _, _] => six.to_vec(),
            _ => {
                return Err(PlanError::at(
                    cmd,
                    "expects six separators: \"(\" \"(\" \"AND\" \")\" \"OR\" \")\"",
                ))
            }
        };
        Format {
            command: "format",
            style: Style::Format {
                row_prefix: seps[0].clone(),
                col_prefix: seps[1].clone(),
                col_sep: seps[2].clone(),
                col_end: seps[3].clone(),
                row_sep: seps[4].clone(),
                row_end: seps[5].clone(),
                mvsep,
            },
            max,
            seen: 0,
            parts: Vec::new(),
            budget: Budget::of(ctx),
        }
    } else {
        // `return alias=field`: option keys are lower-cased by the parser, as all are.
        let mut terms: Vec<(String, String, bool)> = a
            .fields
            .iter()
            .map(|f| match f.strip_prefix('$') {
                Some(bare) => (bare.to_string(), bare.to_string(), true),
                None => (f.clone(), f.clone(), false),
            })
            .collect();
        terms.extend(
            a.options
                .iter()
                .map(|opt| (opt.key.clone(), opt.value.clone(), false)),
        );
        if terms.is_empty() {
            return Err(PlanError::at(
                cmd,
                "needs a field: return [<count>] <field>…",
            ));
        }
        Format {
            command: "return",
            style: Style::Return(terms),
            max: a.count.unwrap_or(1) as usize,
            seen: 0,
            parts: Vec::new(),
            budget: Budget::of(ctx),
        }
    };
    Ok(Box::new(op))
}

impl Format {
    fn row_text(&self, row: &Row) -> Option<String> {
        match &self.style {
            Style::Format {
                col_prefix,
                col_sep,
                col_end,
                mvsep,
                ..
            } => {
                let mut cols = Vec::new();
                for (name, v) in row.iter() {
                    if name.starts_with('_') {
                        continue;
                    }
                    let vals: Vec<String> = values_of(v)
                        .into_iter()
                        .filter(|x| !matches!(x, Value::Null))
                        .map(text)
                        .filter(|x| !x.is_empty())
                        .map(|x| format!("{name}={}", quoted(&x)))
                        .collect();
                    match vals.len() {
                        0 => {}
                        1 => cols.extend(vals),
                        _ => cols.push(format!("( {} )", vals.join(&format!(" {mvsep} ")))),
                    }
                }
                (!cols.is_empty()).then(|| {
                    format!(
                        "{col_prefix} {} {col_end}",
                        cols.join(&format!(" {col_sep} "))
                    )
                })
            }
            Style::Return(terms) => {
                let mut out = Vec::new();
                for (alias, field, bare) in terms {
                    let Some(v) = row.get(field).filter(|v| !matches!(v, Value::Null)) else {
                        continue;
                    };
                    let v = text(v);
                    out.push(if *bare {
                        v
                    } else {
                        format!("{alias}={}", quoted(&v))
                    });
                }
                (!out.is_empty()).then(|| out.join(" "))
            }
        }
    }
}

impl Operator for Format {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        for row in batch {
            if self.max > 0 && self.seen >= self.max {
                break;
            }
            self.seen += 1;
            if let Some(t) = self.row_text(&row) {
                self.budget.charge(self.command, t.len())?;
                self.parts.push(t);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let search = match &self.style {
            Style::Format {
                row_prefix,
                row_sep,
                row_end,
                ..
            } => {
                if self.parts.is_empty() {
                    "NOT ()".to_string()
                } else {
                    format!(
                        "{row_prefix} {} {row_end}",
                        self.parts.join(&format!(" {row_sep} "))
                    )
                }
            }
            Style::Return(_) if self.parts.len() == 1 => self.parts[0].clone(),
            Style::Return(_) => self
                .parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" OR "),
        };
        out.push(Row::from_pairs([("search", Value::Str(search))]));
        Ok(())
    }

    fn is_done(&self) -> bool {
        // `return` (and `format maxresults=`) need no more rows once they have theirs.
        self.max > 0 && self.seen >= self.max
    }
}
