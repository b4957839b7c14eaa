//! Commands that reshape a result table without touching storage: `fieldformat`, `nomv`,
//! `untable`, `xyseries`, `transpose`, `addcoltotals`, `addinfo` and `appendpipe`.
//! Dashboards use them to turn a `stats` table into the shape a chart wants, so each
//! one keeps Splunk's row and column order: charts draw series in that order.

use super::block::Budget;
use super::stream::{Addtotals, Eval};
use crate::ast::{ArgsCmd, Command, CommandKind};
use crate::plan::{ExecContext, ExecError, Executor, Operator, Opts, PlanError};
use crate::row::{seconds_value, text, Row, RowBatch};
use loupe_event::Value;
use std::collections::HashMap;

/// Builds the operator of one of this module's commands.
pub(crate) fn build(cmd: &Command, ctx: &ExecContext) -> Result<Box<dyn Operator>, PlanError> {
    let max_rows = ctx.limits.max_rows_buffered;
    Ok(match &cmd.kind {
        CommandKind::Fieldformat(assign) => Box::new(Eval(
            assign
                .iter()
                .map(|(n, e)| Ok((n.clone(), super::ev(cmd, e, ctx)?)))
                .collect::<Result<_, PlanError>>()?,
        )),
        CommandKind::Appendpipe(a) => {
            Opts::new(cmd, &a.options).done()?;
            let inner = ExecContext {
                subsearches: HashMap::new(),
                ..ctx.clone()
            };
            // Compiled now so that a mistake inside the brackets is a plan error.
            crate::plan::compile(&a.subsearch.commands, &inner)?;
            Box::new(Appendpipe {
                commands: a.subsearch.commands.clone(),
                ctx: inner,
                rows: Vec::new(),
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Args(a) => match cmd.name.as_str() {
            "cluster" | "patterns" => return super::cluster::build(cmd, ctx),
            "format" | "return" => return super::format::build(cmd, a, ctx),
            "iplocation" => return crate::geo::build(cmd, a, ctx),
            // The indexer replaces it by the lookup or saved search it names.
            "from" => {
                return Err(PlanError::at(
                    cmd,
                    "runs only as the first command of a search of the store",
                ))
            }
            "nomv" => {
                let field = one_field(cmd, a, "nomv <field>")?;
                Opts::new(cmd, &a.options).done()?;
                Box::new(Nomv(field))
            }
            "untable" => {
                no_count(cmd, a)?;
                Opts::new(cmd, &a.options).done()?;
                let [x, name, value] = a.fields.as_slice() else {
                    return Err(PlanError::at(
                        cmd,
                        "expects three fields: untable <x-field> <name-field> <value-field>",
                    ));
                };
                Box::new(Untable {
                    x: x.clone(),
                    name: name.clone(),
                    value: value.clone(),
                    max_rows,
                })
            }
            "xyseries" => {
                no_count(cmd, a)?;
                let mut o = Opts::new(cmd, &a.options);
                let sep = o.take("sep").unwrap_or(": ").to_string();
                if o.take_bool("grouped", false)? {
                    return Err(o.error_at("grouped", "grouped=true is not supported"));
                }
                o.done()?;
                let [x, y, data @ ..] = a.fields.as_slice() else {
                    return Err(PlanError::at(
                        cmd,
                        "expects xyseries <x-field> <y-name-field> <y-data-field> ...",
                    ));
                };
                if data.is_empty() {
                    return Err(PlanError::at(
                        cmd,
                        "expects xyseries <x-field> <y-name-field> <y-data-field> ...",
                    ));
                }
                Box::new(Xyseries {
                    x: x.clone(),
                    y: y.clone(),
                    data: data.to_vec(),
                    sep,
                    rows: Vec::new(),
                    budget: Budget::of(ctx),
                })
            }
            "transpose" => {
                let mut o = Opts::new(cmd, &a.options);
                let column_name = o.take("column_name").unwrap_or("column").to_string();
                let header_field = o.take("header_field").map(str::to_string);
                let include_empty = o.take_bool("include_empty", true)?;
                o.done()?;
                if !a.fields.is_empty() {
                    return Err(PlanError::at(
                        cmd,
                        format!(
                            "unexpected field `{}` (transpose takes a row count and options)",
                            a.fields[0]
                        ),
                    ));
                }
                let limit = a.count.unwrap_or(5) as usize;
                Box::new(Transpose {
                    limit: if limit == 0 { usize::MAX } else { limit },
                    column_name,
                    header_field,
                    include_empty,
                    rows: Vec::new(),
                })
            }
            "addcoltotals" => {
                no_count(cmd, a)?;
                let mut o = Opts::new(cmd, &a.options);
                let labelfield = o.take("labelfield").map(str::to_string);
                let label = o.take("label").unwrap_or("Total").to_string();
                o.done()?;
                Box::new(Addtotals {
                    row: false,
                    col: true,
                    fieldname: String::new(),
                    fields: a.fields.clone(),
                    labelfield,
                    label,
                    totals: Vec::new(),
                })
            }
            "addinfo" => {
                no_count(cmd, a)?;
                Opts::new(cmd, &a.options).done()?;
                if let Some(f) = a.fields.first() {
                    return Err(PlanError::at(cmd, format!("unexpected argument `{f}`")));
                }
                Box::new(Addinfo {
                    info: vec![
                        ("info_min_time", seconds_value(ctx.earliest.unwrap_or(0.0))),
                        (
                            "info_max_time",
                            match ctx.latest {
                                Some(t) => seconds_value(t),
                                None => Value::Str("+Infinity".into()),
                            },
                        ),
                        ("info_search_time", seconds_value(ctx.now)),
                    ],
                })
            }
            other => return Err(PlanError::at(cmd, format!("no operator for `{other}`"))),
        },
        _ => return Err(PlanError::at(cmd, "not a reshaping command")),
    })
}

fn no_count(cmd: &Command, a: &ArgsCmd) -> Result<(), PlanError> {
    match a.count {
        Some(n) => Err(PlanError::at(cmd, format!("unexpected number `{n}`"))),
        None => Ok(()),
    }
}

fn one_field(cmd: &Command, a: &ArgsCmd, usage: &str) -> Result<String, PlanError> {
    no_count(cmd, a)?;
    match a.fields.as_slice() {
        [f] => Ok(f.clone()),
        _ => Err(PlanError::at(cmd, format!("expects {usage}"))),
    }
}

fn buffer(
    command: &str,
    rows: &mut RowBatch,
    batch: RowBatch,
    budget: &Budget,
) -> Result<(), ExecError> {
    budget.keep(command, rows, batch)
}

/// `nomv f`: a multi-value becomes one text value, its values on separate lines.
struct Nomv(String);

impl Operator for Nomv {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            if let Some(v @ Value::Multi(_)) = row.get(&self.0) {
                let joined = Value::Str(text(v));
                row.set(self.0.clone(), joined);
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `untable x name value`: each column other than `x` becomes a row `(x, name, value)`;
/// the inverse of `xyseries`.
struct Untable {
    x: String,
    name: String,
    value: String,
    max_rows: usize,
}

impl Operator for Untable {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in batch {
            let x = row.get(&self.x).cloned().unwrap_or(Value::Null);
            for (k, v) in row.iter() {
                // Internal fields (`_span`) are not series.
                if k == self.x || k.starts_with('_') {
                    continue;
                }
                let mut r = Row::new();
                r.set(&self.x, x.clone());
                r.set(&self.name, Value::Str(k.to_string()));
                r.set(&self.value, v.clone());
                out.push(r);
            }
            if out.len() > self.max_rows {
                return Err(ExecError::limit(
                    "untable",
                    "rows from one batch",
                    self.max_rows,
                    "max_rows_buffered",
                ));
            }
        }
        Ok(())
    }
}

/// `xyseries x y data...`: one row per `x` value, one column per `y` value (in order of
/// first appearance), holding `data`; several data fields make `data<sep>y` columns.
struct Xyseries {
    x: String,
    y: String,
    data: Vec<String>,
    sep: String,
    rows: RowBatch,
    budget: Budget,
}

impl Operator for Xyseries {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        buffer("xyseries", &mut self.rows, batch, &self.budget)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut order: Vec<Row> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for row in std::mem::take(&mut self.rows) {
            let Some(x) = row.get(&self.x) else { continue };
            let key = text(x);
            let i = *index.entry(key).or_insert_with(|| {
                let mut r = Row::new();
                r.set(&self.x, x.clone());
                order.push(r);
                order.len() - 1
            });
            let Some(y) = row.get(&self.y).map(text) else {
                continue;
            };
            for d in &self.data {
                let Some(v) = row.get(d) else { continue };
                let col = if self.data.len() == 1 {
                    y.clone()
                } else {
                    format!("{d}{}{y}", self.sep)
                };
                order[i].set(col, v.clone());
            }
        }
        out.extend(order);
        Ok(())
    }
}

/// `transpose [N]`: the first N rows become columns `row 1` … `row N`, each field a row.
struct Transpose {
    limit: usize,
    column_name: String,
    header_field: Option<String>,
    include_empty: bool,
    rows: RowBatch,
}

impl Operator for Transpose {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        let room = self.limit.saturating_sub(self.rows.len());
        self.rows.extend(batch.into_iter().take(room));
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        let headers: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| match &self.header_field {
                Some(h) => r
                    .get(h)
                    .map(text)
                    .unwrap_or_else(|| format!("row {}", i + 1)),
                None => format!("row {}", i + 1),
            })
            .collect();
        let mut names: Vec<String> = Vec::new();
        for r in &rows {
            for k in r.names() {
                let internal = k.starts_with('_') && k != "_time";
                if !internal
                    && Some(k) != self.header_field.as_deref()
                    && !names.iter().any(|n| n == k)
                {
                    names.push(k.to_string());
                }
            }
        }
        for name in names {
            let mut r = Row::new();
            r.set(&self.column_name, Value::Str(name.clone()));
            let mut any = false;
            for (h, row) in headers.iter().zip(&rows) {
                if let Some(v) = row.get(&name) {
                    any |= !text(v).is_empty();
                    r.set(h, v.clone());
                }
            }
            if any || self.include_empty {
                out.push(r);
            }
        }
        Ok(())
    }
}

/// `addinfo`: the search's time range and start on every row, as dashboards use them
/// to label a panel or compute rates over the range.
struct Addinfo {
    info: Vec<(&'static str, Value)>,
}

impl Operator for Addinfo {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            for (k, v) in &self.info {
                row.set(k, v.clone());
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `appendpipe [...]`: at the end of the input, runs the subpipeline over every row so
/// far and appends what it returns (a total line under a `stats` table).
struct Appendpipe {
    commands: Vec<Command>,
    ctx: ExecContext,
    rows: RowBatch,
    budget: Budget,
}

impl Operator for Appendpipe {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        buffer("appendpipe", &mut self.rows, batch, &self.budget)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        let mut ex: Executor = crate::plan::compile(&self.commands, &self.ctx)
            .map_err(|e| ExecError::Other(format!("appendpipe: {e}")))?;
        ex.push(rows.clone())?;
        let extra = ex.finish()?;
        out.extend(rows);
        out.extend(extra);
        Ok(())
    }
}
