//! The pipeline operators, one per SPL command, and [`build`], which turns an AST
//! command into one (checking every option: unknown ones are a [`PlanError`]).

pub(crate) mod block;
mod cluster;
mod format;
pub(crate) mod matcher;
mod reshape;
pub mod stats;
pub(crate) mod stream;
mod timechart_ext;
mod window;

use crate::agg::AggSpec;
use crate::ast::Span;
use crate::ast::{AggCall, Command, CommandKind};
use crate::eval::{at_bytes, compile_spl_regex, regex_reason, Evaluator};
use crate::pcre::SplRegex;
use crate::plan::{ExecContext, Operator, Opts, PlanError};
use crate::row::RowBatch;
use block::*;
use loupe_event::Value;
use matcher::Matcher;
use stats::*;
use std::collections::HashMap;
use std::sync::Arc;
use stream::*;

fn ev(cmd: &Command, e: &crate::Expr, ctx: &ExecContext) -> Result<Evaluator, PlanError> {
    Evaluator::new(e)
        .map(|x| {
            x.with_now(ctx.now)
                .with_time_zone(ctx.time_zone.clone())
                .with_guard(ctx.guard.clone())
        })
        .map_err(|e| PlanError {
            message: format!("{}: {}", cmd.name, e.message),
            span: e.span.or(Some(cmd.span)),
        })
}

/// A regex argument that does not compile: the message quotes it and says where it is,
/// and the span underlines the argument rather than the whole command.
fn bad_regex(cmd: &Command, pattern: &str, span: Span, e: &dyn std::fmt::Display) -> PlanError {
    PlanError {
        message: format!(
            "{}: invalid regex {pattern:?} {}: {e}",
            cmd.name,
            at_bytes(span),
        ),
        span: Some(span),
    }
}

pub(crate) fn specs(cmd: &Command, funcs: &[AggCall]) -> Result<Arc<[AggSpec]>, PlanError> {
    if funcs.is_empty() {
        return Err(PlanError::at(cmd, "needs at least one aggregation"));
    }
    funcs
        .iter()
        .map(|f| AggSpec::compile(f).map_err(|e| PlanError::at(cmd, e.0)))
        .collect::<Result<Vec<_>, _>>()
        .map(Arc::from)
}

/// Parses `30s`, `5m`, `1h`, `1d`, `1w` (also `sec`, `min`, `hr`, `day`...) to seconds.
pub fn parse_time_span(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = if n.is_empty() { 1.0 } else { n.parse().ok()? };
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        "ms" => 0.001,
        "cs" => 0.01,
        "ds" => 0.1,
        "w" | "week" | "weeks" => 7.0 * 86400.0,
        _ => return None,
    };
    (n > 0.0).then_some(n * mult)
}

fn literal(v: &str) -> Value {
    match v.parse::<i64>() {
        Ok(i) => Value::Int(i),
        Err(_) => Value::Str(v.to_string()),
    }
}

fn provider(
    cmd: &Command,
    ctx: &ExecContext,
) -> Result<Arc<dyn crate::lookup::LookupProvider>, PlanError> {
    ctx.lookups
        .clone()
        .ok_or_else(|| PlanError::at(cmd, "no lookup tables are available here"))
}

/// Builds the operator of the command at `index` of the compiled slice.
pub(crate) fn build(
    index: usize,
    cmd: &Command,
    ctx: &ExecContext,
) -> Result<Box<dyn Operator>, PlanError> {
    let l = &ctx.limits;
    let op: Box<dyn Operator> = match &cmd.kind {
        CommandKind::Search(s) => Box::new(Filter::Search(
            Matcher::compile(s, ctx.now, &ctx.time_zone).map_err(|e| PlanError::at(cmd, e))?,
        )),
        CommandKind::Where(e) => Box::new(Filter::Where(ev(cmd, e, ctx)?)),
        CommandKind::Eval(assign) => Box::new(Eval(
            assign
                .iter()
                .map(|(n, e)| Ok((n.clone(), ev(cmd, e, ctx)?)))
                .collect::<Result<_, PlanError>>()?,
        )),
        CommandKind::Rex(r) => {
            let mut o = Opts::new(cmd, &r.options);
            let field = r.field.clone().unwrap_or_else(|| "_raw".into());
            let mode = o.take("mode");
            let max_match = o.take_usize("max_match")?.unwrap_or(1);
            o.done()?;
            match mode {
                Some("sed") => Box::new(Rex::sed(field, &r.pattern).map_err(|e| PlanError {
                    message: format!("{}: {e} ({})", cmd.name, at_bytes(r.pattern_span)),
                    span: Some(r.pattern_span),
                })?),
                Some(m) => return Err(PlanError::at(cmd, format!("unsupported mode={m}"))),
                None => {
                    let re = SplRegex::new(&r.pattern)
                        .map_err(|e| bad_regex(cmd, &r.pattern, r.pattern_span, &e))?;
                    let names = re.capture_names();
                    if names.is_empty() {
                        return Err(PlanError::at(
                            cmd,
                            "the regex has no named group (?<name>...)",
                        ));
                    }
                    Box::new(Rex::Extract {
                        field,
                        re,
                        names,
                        max_match,
                    })
                }
            }
        }
        CommandKind::Fields(f) => Box::new(if f.remove {
            Shape::Drop(f.fields.clone())
        } else {
            Shape::Keep(f.fields.clone())
        }),
        CommandKind::Table(f) => Box::new(Shape::Table(f.clone())),
        CommandKind::Rename(p) => Box::new(Shape::Rename(p.clone())),
        CommandKind::Regex(r) => Box::new(Filter::Regex {
            field: r.field.clone().unwrap_or_else(|| "_raw".into()),
            re: SplRegex::new(&r.pattern)
                .map_err(|e| bad_regex(cmd, &r.pattern, r.pattern_span, &e))?,
            negate: r.negate,
        }),
        CommandKind::Sort(s) => Box::new(Sort {
            keys: s.keys.clone(),
            reverse: s.reverse,
            limit: s.limit.unwrap_or(10_000) as usize,
            rows: Vec::new(),
            budget: Budget::of(ctx),
            sorted: 0,
        }),
        CommandKind::Head(h) => {
            let o = Opts::new(cmd, &h.options);
            o.done()?;
            Box::new(Head {
                limit: if h.expr.is_some() && h.limit == 10 {
                    u64::MAX
                } else {
                    h.limit
                },
                seen: 0,
                expr: h.expr.as_ref().map(|e| ev(cmd, e, ctx)).transpose()?,
                stopped: false,
            })
        }
        CommandKind::Tail(t) => Box::new(Tail {
            limit: t.limit as usize,
            rows: Default::default(),
            budget: Budget::of(ctx),
        }),
        CommandKind::Dedup(d) => {
            let mut o = Opts::new(cmd, &d.options);
            let keepempty = o.take_bool("keepempty", false)?;
            let consecutive = o.take_bool("consecutive", false)?;
            o.done()?;
            Box::new(Dedup {
                fields: d.fields.clone(),
                limit: d.limit.unwrap_or(1).max(1),
                keepempty,
                consecutive,
                sortby: d.sortby.clone(),
                seen: HashMap::new(),
                last: None,
                max_groups: l.max_groups,
                rows: Vec::new(),
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Stats(s) => {
            Opts::new(cmd, &s.options).done()?;
            Box::new(Stats(
                GroupedAggs::new(
                    specs(cmd, &s.funcs)?,
                    s.by.clone(),
                    l.max_groups,
                    l.max_distinct,
                )
                .with_guard(ctx.guard.clone()),
            ))
        }
        CommandKind::Eventstats(s) => {
            Opts::new(cmd, &s.options).done()?;
            Box::new(Eventstats {
                groups: GroupedAggs::new(
                    specs(cmd, &s.funcs)?,
                    s.by.clone(),
                    l.max_groups,
                    l.max_distinct,
                )
                .for_command("eventstats")
                .with_guard(ctx.guard.clone()),
                rows: Vec::new(),
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Streamstats(s) => {
            let mut o = Opts::new(cmd, &s.options);
            let window = o.take_usize("window")?.unwrap_or(0);
            let current = o.take_bool("current", true)?;
            let time_window = o
                .take("time_window")
                .map(|s| {
                    parse_time_span(s)
                        .ok_or_else(|| PlanError::at(cmd, format!("unsupported time_window={s}")))
                })
                .transpose()?;
            o.done()?;
            if let Some(seconds) = time_window {
                return Ok(Box::new(window::TimeWindow {
                    specs: specs(cmd, &s.funcs)?,
                    by: s.by.clone(),
                    seconds,
                    max_count: window,
                    current,
                    max_groups: l.max_groups,
                    max_distinct: l.max_distinct,
                    max_rows: l.max_rows_buffered,
                    windows: HashMap::new(),
                }));
            }
            if window > l.max_rows_buffered {
                return Err(PlanError::at(
                    cmd,
                    format!(
                        "window={window} is above the {} rows a command may buffer (limit max_rows_buffered)",
                        l.max_rows_buffered
                    ),
                ));
            }
            Box::new(Streamstats {
                specs: specs(cmd, &s.funcs)?,
                by: s.by.clone(),
                window,
                current,
                max_groups: l.max_groups,
                max_distinct: l.max_distinct,
                running: HashMap::new(),
                windows: HashMap::new(),
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Chart(c) => {
            let mut o = Opts::new(cmd, &c.options);
            let (over, split) = match (&c.over, c.by.as_slice()) {
                (Some(x), []) => (x.clone(), None),
                (Some(x), [y]) => (x.clone(), Some(y.clone())),
                (None, [x]) => (x.clone(), None),
                (None, [x, y]) => (x.clone(), Some(y.clone())),
                _ => return Err(PlanError::at(cmd, "expects `over X [by Y]` or `by X [Y]`")),
            };
            let p = pivot(cmd, &mut o, &c.funcs, over, split, None, ctx)?;
            o.done()?;
            Box::new(p)
        }
        CommandKind::Timechart(t) => {
            let mut o = Opts::new(cmd, &t.options);
            let minspan = o
                .take("minspan")
                .map(|s| {
                    parse_time_span(s)
                        .ok_or_else(|| PlanError::at(cmd, format!("unsupported minspan={s}")))
                })
                .transpose()?;
            let partial = o.take_bool("partial", true)?;
            let (funcs, rates) = timechart_ext::split_rates(&t.funcs);
            let span = match o.take("span") {
                Some(s) => parse_time_span(s)
                    .ok_or_else(|| PlanError::at(cmd, format!("unsupported span={s}")))?,
                None => match (ctx.earliest, ctx.latest, minspan) {
                    (Some(a), Some(b), m) => default_span(b - a).max(m.unwrap_or(0.0)),
                    (_, _, Some(m)) => m,
                    _ => 0.0,
                },
            };
            let split = match t.by.as_slice() {
                [] => None,
                [y] => Some(y.clone()),
                _ => return Err(PlanError::at(cmd, "timechart splits by one field")),
            };
            let ts = TimeSpan {
                seconds: span,
                tz: ctx.time_zone.clone(),
            };
            let p = pivot(cmd, &mut o, &funcs, "_time".into(), split, Some(ts), ctx)?;
            o.done()?;
            let whole = match (partial, ctx.earliest, ctx.latest) {
                (false, Some(a), Some(b)) => Some((a, b)),
                _ => None,
            };
            if rates.is_empty() && whole.is_none() {
                Box::new(p)
            } else {
                Box::new(timechart_ext::TimechartExt {
                    inner: Box::new(p),
                    rates,
                    single: funcs.len() == 1,
                    whole_buckets_of: whole,
                })
            }
        }
        CommandKind::Top(t) | CommandKind::Rare(t) => {
            let rare = matches!(cmd.kind, CommandKind::Rare(_));
            let mut o = Opts::new(cmd, &t.options);
            let limit = match o.take_usize("limit")? {
                Some(n) => n,
                None => t.limit.unwrap_or(10) as usize,
            };
            let countfield = o.take("countfield").unwrap_or("count").to_string();
            let percentfield = o.take("percentfield").unwrap_or("percent").to_string();
            let showcount = o.take_bool("showcount", true)?;
            let showperc = o.take_bool("showperc", true)?;
            if o.take_bool("useother", false)? {
                return Err(o.error_at("useother", "useother=true is not supported"));
            }
            o.done()?;
            Box::new(Top {
                rare,
                fields: t.fields.clone(),
                by: t.by.clone(),
                limit,
                countfield,
                percentfield,
                showcount,
                showperc,
                max_groups: l.max_groups,
                groups: Vec::new(),
                index: HashMap::new(),
                entries: 0,
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Bin(b) => {
            let mut o = Opts::new(cmd, &b.options);
            let Some(span) = o.take("span") else {
                return Err(o.error_at("bins", "needs span= (bins= is not supported)"));
            };
            o.done()?;
            let (time, span) = if b.field == "_time" {
                let s = parse_time_span(span)
                    .ok_or_else(|| PlanError::at(cmd, format!("unsupported span={span}")))?;
                (
                    Some(TimeSpan {
                        seconds: s,
                        tz: ctx.time_zone.clone(),
                    }),
                    s,
                )
            } else {
                let s: f64 = span
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0)
                    .ok_or_else(|| PlanError::at(cmd, format!("unsupported span={span}")))?;
                (None, s)
            };
            Box::new(Bin {
                field: b.field.clone(),
                alias: b.alias.clone(),
                time,
                span,
            })
        }
        CommandKind::Fillnull(f) => {
            let value = literal(f.value.as_deref().unwrap_or("0"));
            if f.fields.is_empty() {
                Box::new(FillAll {
                    value,
                    rows: Vec::new(),
                    budget: Budget::of(ctx),
                })
            } else {
                Box::new(FillFields {
                    fields: f.fields.clone(),
                    value,
                })
            }
        }
        CommandKind::Spath(s) => {
            if s.path
                .as_deref()
                .is_some_and(|p| p.contains('{') && !p.contains("{}"))
            {
                return Err(PlanError::at(
                    cmd,
                    "array indexes in paths are not supported",
                ));
            }
            Box::new(Spath {
                input: s.input.clone().unwrap_or_else(|| "_raw".into()),
                output: s.output.clone(),
                path: s.path.clone(),
            })
        }
        CommandKind::Lookup(lk) => {
            Opts::new(cmd, &lk.options).done()?;
            let p = provider(cmd, ctx)?;
            let table = p
                .table(&lk.table)
                .map_err(|e| PlanError::at(cmd, e.to_string()))?;
            let outputs = lk.output.as_ref().map(|o| (o.fields.as_slice(), o.new));
            Box::new(
                Lookup::new(table, &lk.inputs, outputs)
                    .map_err(|e| PlanError::at(cmd, e.to_string()))?,
            )
        }
        CommandKind::Inputlookup(i) => {
            let mut o = Opts::new(cmd, &i.options);
            let start = o.take_usize("start")?.unwrap_or(0);
            let max = o.take_usize("max")?.unwrap_or(0);
            o.take_bool("append", false)?;
            o.done()?;
            Box::new(Inputlookup {
                provider: provider(cmd, ctx)?,
                table: i.table.clone(),
                filter: i
                    .filter
                    .as_ref()
                    .map(|f| Matcher::compile(f, ctx.now, &ctx.time_zone))
                    .transpose()
                    .map_err(|e| PlanError::at(cmd, e))?,
                start,
                max,
            })
        }
        CommandKind::Outputlookup(out) => {
            let mut o = Opts::new(cmd, &out.options);
            let append = o.take_bool("append", false)?;
            o.done()?;
            Box::new(Outputlookup {
                provider: provider(cmd, ctx)?,
                table: out.table.clone(),
                append,
                rows: Vec::new(),
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Makeresults(m) => {
            let mut o = Opts::new(cmd, &m.options);
            let count = o.take_usize("count")?.unwrap_or(1);
            if o.take_bool("annotate", false)? {
                return Err(o.error_at("annotate", "annotate=true is not supported"));
            }
            o.done()?;
            if count > l.max_rows_buffered {
                return Err(PlanError::at(
                    cmd,
                    format!("count={count} is above max_rows_buffered"),
                ));
            }
            Box::new(Makeresults {
                count,
                now: ctx.now.floor(),
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Mvexpand(m) => Box::new(Mv::Expand {
            field: m.field.clone(),
            limit: m.limit.map(|x| x as usize),
            max_rows: l.max_rows_buffered,
        }),
        CommandKind::Makemv(m) => {
            let mut o = Opts::new(cmd, &m.options);
            let delim = o.take("delim").map(str::to_string);
            let tokenizer = o
                .take("tokenizer")
                .map(|t| {
                    compile_spl_regex(t).map_err(|e| bad_regex(cmd, t, cmd.span, &regex_reason(&e)))
                })
                .transpose()?;
            let allow_empty = o.take_bool("allowempty", false)?;
            o.done()?;
            Box::new(Mv::Make {
                field: m.field.clone(),
                delim,
                tokenizer,
                allow_empty,
            })
        }
        CommandKind::Convert(c) => {
            let mut o = Opts::new(cmd, &c.options);
            let timeformat = o
                .take("timeformat")
                .unwrap_or("%m/%d/%Y %H:%M:%S")
                .to_string();
            o.done()?;
            let convs = c
                .conversions
                .iter()
                .map(|cv| {
                    let f = match cv.func.as_str() {
                        "ctime" => ConvFn::Ctime,
                        "mktime" => ConvFn::Mktime,
                        "num" => ConvFn::Num,
                        "auto" => ConvFn::Auto,
                        "dur2sec" => ConvFn::Dur2sec,
                        "rmcomma" => ConvFn::Rmcomma,
                        "none" => ConvFn::None,
                        other => {
                            return Err(PlanError::at(
                                cmd,
                                format!("unsupported conversion {other}()"),
                            ))
                        }
                    };
                    Ok((f, cv.field.clone(), cv.alias.clone()))
                })
                .collect::<Result<_, _>>()?;
            Box::new(Convert {
                timeformat,
                tz: ctx.time_zone.clone(),
                convs,
            })
        }
        CommandKind::Addtotals(a) => {
            let mut o = Opts::new(cmd, &a.options);
            let row = o.take_bool("row", true)?;
            let col = o.take_bool("col", false)?;
            let fieldname = o.take("fieldname").unwrap_or("Total").to_string();
            let labelfield = o.take("labelfield").map(str::to_string);
            let label = o.take("label").unwrap_or("Total").to_string();
            o.done()?;
            Box::new(Addtotals {
                row,
                col,
                fieldname,
                fields: a.fields.clone(),
                labelfield,
                label,
                totals: Vec::new(),
            })
        }
        CommandKind::Transaction(t) => {
            let mut o = Opts::new(cmd, &t.options);
            let dur = |o: &mut Opts, k: &str| -> Result<Option<f64>, PlanError> {
                o.take(k)
                    .map(|s| {
                        parse_time_span(s).ok_or_else(|| PlanError::at(cmd, format!("bad {k}={s}")))
                    })
                    .transpose()
            };
            let maxspan = dur(&mut o, "maxspan")?;
            let maxpause = dur(&mut o, "maxpause")?;
            let maxevents = o.take_usize("maxevents")?.unwrap_or(1000);
            let cond = |o: &mut Opts, k: &str| -> Result<Option<TxnCond>, PlanError> {
                let Some(s) = o.take(k) else { return Ok(None) };
                if let Some(inner) = s.strip_prefix("eval(").and_then(|x| x.strip_suffix(')')) {
                    let p = crate::parse(&format!("| where {inner}"))
                        .map_err(|e| PlanError::at(cmd, format!("{k}: {e}")))?;
                    let Some(CommandKind::Where(e)) = p.commands.last().map(|c| &c.kind) else {
                        return Err(PlanError::at(cmd, format!("{k}: bad eval")));
                    };
                    return Ok(Some(TxnCond::Eval(ev(cmd, e, ctx)?)));
                }
                let text = if s.contains(' ') || s.contains('=') {
                    s.to_string()
                } else {
                    format!("\"{s}\"")
                };
                let p = crate::parse(&format!("search {text}"))
                    .map_err(|e| PlanError::at(cmd, format!("{k}: {e}")))?;
                let Some(CommandKind::Search(se)) = p.commands.first().map(|c| &c.kind) else {
                    return Err(PlanError::at(cmd, format!("{k}: bad filter")));
                };
                Ok(Some(TxnCond::Search(
                    Matcher::compile(se, ctx.now, &ctx.time_zone)
                        .map_err(|e| PlanError::at(cmd, e))?,
                )))
            };
            let startswith = cond(&mut o, "startswith")?;
            let endswith = cond(&mut o, "endswith")?;
            o.done()?;
            // Without fields every event shares the empty key: one open transaction, cut by
            // maxspan, maxpause, maxevents and the start/end conditions, as in Splunk.
            Box::new(Transaction {
                fields: t.fields.clone(),
                maxspan,
                maxpause,
                maxevents: maxevents.min(l.max_transaction_events),
                startswith,
                endswith,
                max_open: l.max_open_transactions,
                rows: Vec::new(),
                budget: Budget::of(ctx),
            })
        }
        CommandKind::Append(a) if cmd.name == "appendcols" => {
            let mut o = Opts::new(cmd, &a.options);
            let overwrite = o.take_bool("override", false)?;
            o.done()?;
            Box::new(Appendcols {
                rows: subsearch(index, cmd, ctx)?.into_iter(),
                overwrite,
            })
        }
        CommandKind::Append(a) => {
            let mut o = Opts::new(cmd, &a.options);
            let maxout = o.take_usize("maxout")?.unwrap_or(l.max_subsearch_rows);
            o.done()?;
            let mut rows = subsearch(index, cmd, ctx)?;
            rows.truncate(maxout);
            Box::new(Generate { rows })
        }
        CommandKind::Union(u) => {
            let mut o = Opts::new(cmd, &u.options);
            let maxout = o.take_usize("maxout")?;
            o.done()?;
            let mut rows = subsearch(index, cmd, ctx)?;
            if let Some(m) = maxout {
                rows.truncate(m);
            }
            Box::new(Generate { rows })
        }
        CommandKind::Join(j) => {
            let mut o = Opts::new(cmd, &j.options);
            let left = match o.take("type").unwrap_or("inner") {
                "inner" => false,
                "left" | "outer" => true,
                other => return Err(o.error_at("type", format!("unsupported type={other}"))),
            };
            let max = o.take_usize("max")?.unwrap_or(1);
            if !o.take_bool("overwrite", true)? {
                return Err(o.error_at("overwrite", "overwrite=false is not supported"));
            }
            o.done()?;
            if j.fields.is_empty() {
                return Err(PlanError::at(cmd, "join without fields is not supported"));
            }
            Box::new(Join::new(
                j.fields.clone(),
                left,
                max,
                subsearch(index, cmd, ctx)?,
                l.max_rows_buffered,
            ))
        }
        CommandKind::Args(_) if crate::commands::CATALOG_COMMANDS.contains(&cmd.name.as_str()) => {
            let rows = ctx.subsearches.get(&index).cloned().ok_or_else(|| {
                PlanError::at(
                    cmd,
                    "describes the indexer's store, which is not available here",
                )
            })?;
            Box::new(Generate { rows })
        }
        CommandKind::Args(_) if cmd.name == "map" => {
            // The indexer runs the searches and gives their rows at `map`'s place.
            let rows = ctx.subsearches.get(&index).cloned().ok_or_else(|| {
                PlanError::at(cmd, "runs its searches only in a search of the store")
            })?;
            Box::new(Generate { rows })
        }
        CommandKind::Fieldformat(_) | CommandKind::Appendpipe(_) | CommandKind::Args(_) => {
            return reshape::build(cmd, ctx)
        }
        CommandKind::Tstats(_) => {
            // The indexer plans it as the search and stats it stands for (crate::tstats).
            return Err(PlanError::at(
                cmd,
                "runs only as the first command of a search of the store",
            ));
        }
        CommandKind::Generic { .. } => {
            return Err(PlanError::at(cmd, "unsupported command"));
        }
    };
    Ok(op)
}

/// The rows of the subsearch of the `append`/`join` at `index`: given by the caller, or,
/// for a subsearch that starts with a generating command Loupe runs without the index
/// (`makeresults`, `inputlookup`), computed here.
fn subsearch(index: usize, cmd: &Command, ctx: &ExecContext) -> Result<RowBatch, PlanError> {
    let rows = match ctx.subsearches.get(&index) {
        Some(rows) => rows.clone(),
        None => local_subsearch(cmd, ctx)?.ok_or_else(|| {
            PlanError::at(
                cmd,
                format!("the results of the subsearch of command {index} were not provided"),
            )
        })?,
    };
    if rows.len() > ctx.limits.max_subsearch_rows {
        return Err(PlanError::at(
            cmd,
            format!(
                "the subsearch returned more than {} rows (limit max_subsearch_rows)",
                ctx.limits.max_subsearch_rows
            ),
        ));
    }
    Ok(rows)
}

/// Runs a subsearch that needs no index (it starts with `makeresults` or `inputlookup`);
/// `None` for any other subsearch.
fn local_subsearch(cmd: &Command, ctx: &ExecContext) -> Result<Option<RowBatch>, PlanError> {
    let sub = match &cmd.kind {
        CommandKind::Append(a) => &a.subsearch,
        CommandKind::Join(j) => &j.subsearch,
        CommandKind::Union(u) if u.subsearches.len() == 1 => &u.subsearches[0],
        _ => return Ok(None),
    };
    let generating = matches!(
        sub.commands.first().map(|c| &c.kind),
        Some(CommandKind::Makeresults(_) | CommandKind::Inputlookup(_))
    );
    if !generating {
        return Ok(None);
    }
    let inner = ExecContext {
        subsearches: HashMap::new(),
        ..ctx.clone()
    };
    let mut ex = crate::plan::compile(&sub.commands, &inner)?;
    let run = ex.push(Vec::new()).and_then(|()| ex.finish());
    run.map(Some)
        .map_err(|e| PlanError::at(cmd, format!("subsearch: {e}")))
}

#[allow(clippy::too_many_arguments)]
fn pivot(
    cmd: &Command,
    o: &mut Opts,
    funcs: &[AggCall],
    over: String,
    split: Option<String>,
    span: Option<TimeSpan>,
    ctx: &ExecContext,
) -> Result<Pivot, PlanError> {
    let limit = o.take_usize("limit")?.unwrap_or(10);
    let useother = o.take_bool("useother", true)?;
    let usenull = o.take_bool("usenull", true)?;
    let otherstr = o.take("otherstr").unwrap_or("OTHER").to_string();
    let nullstr = o.take("nullstr").unwrap_or("NULL").to_string();
    let command = if span.is_some() { "timechart" } else { "chart" };
    Ok(Pivot {
        command,
        specs: specs(cmd, funcs)?,
        over,
        split,
        limit,
        useother,
        usenull,
        otherstr,
        nullstr,
        max_groups: ctx.limits.max_groups,
        max_distinct: ctx.limits.max_distinct,
        range: if span.is_some() {
            (ctx.earliest, ctx.latest)
        } else {
            (None, None)
        },
        span,
        groups: None,
        rows: Vec::new(),
        budget: Budget::of(ctx),
    })
}
