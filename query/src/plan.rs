//! From AST commands to a running pipeline: [`compile`] checks every command and option
//! (anything Loupe does not implement is a [`PlanError`] naming it, never silently
//! ignored) and builds an [`Executor`] that rows are pushed through in batches.
//!
//! Row-wise commands (`where`, `eval`, `rex`, ...) pass each batch on at once; blocking
//! ones (`sort`, `stats`, `eventstats`, ...) buffer until [`Executor::finish`]. Memory is
//! bounded by [`Limits`]: past a limit the pipeline stops with an [`ExecError::Limit`]
//! naming the limit, instead of growing without bound.

use crate::agg::AggError;
use crate::ast::{CmdOption, Command, CommandKind, Span};
use crate::eval::EvalError;
use crate::guard::{SearchGuard, Stop};
use crate::lookup::{LookupError, LookupProvider};
use crate::ops::stats::GroupedAggs;
use crate::row::RowBatch;
use jiff::tz::TimeZone;
use std::collections::HashMap;
use std::sync::Arc;

/// Memory bounds of a pipeline; every buffering operator checks the relevant one.
/// Deserializable (missing keys take their default) so a config file can set them.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Groups kept by `stats`, `chart`, `timechart` (and its time buckets), `top`/`rare`,
    /// `eventstats`, `streamstats`, `dedup` keys.
    pub max_groups: usize,
    /// Rows buffered by a blocking command (`sort`, `tail`, `eventstats`, `transaction`,
    /// ...), rows one batch may become (`join max=0`, `mvexpand`), `streamstats window=`,
    /// and rows waiting in the executor's output.
    pub max_rows_buffered: usize,
    /// Events in one transaction (Splunk's `maxevents` default is 1000).
    pub max_transaction_events: usize,
    /// Transactions open at the same time.
    pub max_open_transactions: usize,
    /// Distinct values kept by one `dc`/`values`/`mode`/`median`/`perc` aggregate.
    pub max_distinct: usize,
    /// Rows of a subsearch given to `append`/`join` (Splunk's default is 50,000).
    pub max_subsearch_rows: usize,
    /// Rows of a base-search subsearch (`[search ...]`) turned into search terms; each becomes
    /// a clause of the outer search (Splunk's `maxout` default is 10,000).
    pub max_subsearch_results: usize,
    /// Wall-time limit of one search, subsearches included (`"5m"`, `"30s"`, or seconds).
    #[serde(deserialize_with = "de_duration")]
    pub search_timeout: std::time::Duration,
    /// Bytes one search may keep: buffered rows, groups, distinct values, built strings
    /// (`"512MB"`, or bytes).
    #[serde(deserialize_with = "de_bytes")]
    pub search_memory: usize,
    /// Bytes all running searches of a server may keep together (the indexer's budget).
    #[serde(deserialize_with = "de_bytes")]
    pub server_memory: usize,
    /// Searches running at once on a server; more wait in a queue.
    pub max_concurrent_searches: usize,
    /// Searches waiting for a slot; past this a search is refused with 503 and `Retry-After`.
    pub max_queued_searches: usize,
}

fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<std::time::Duration, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Text {
        Seconds(u64),
        Span(String),
    }
    match <Text as serde::Deserialize>::deserialize(d)? {
        Text::Seconds(s) => Ok(std::time::Duration::from_secs(s)),
        Text::Span(s) if s.trim().ends_with("ms") => s
            .trim()
            .trim_end_matches("ms")
            .trim()
            .parse::<u64>()
            .map(std::time::Duration::from_millis)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a duration"))),
        Text::Span(s) => crate::ops::parse_time_span(&s)
            .map(std::time::Duration::from_secs_f64)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "{s:?} is not a duration (\"30s\", \"5m\", \"1h\")"
                ))
            }),
    }
}

fn de_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Text {
        Bytes(usize),
        Size(String),
    }
    match <Text as serde::Deserialize>::deserialize(d)? {
        Text::Bytes(b) => Ok(b),
        Text::Size(s) => parse_byte_size(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("{s:?} is not a size (\"512MB\", \"2GB\")"))
        }),
    }
}

/// `512MB`, `2GB`, `64KiB`, `1048576`: decimal units as Splunk's limits.conf, binary with `i`.
pub fn parse_byte_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * mult) as usize)
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_groups: 1_000_000,
            max_rows_buffered: 2_000_000,
            max_transaction_events: 1000,
            max_open_transactions: 100_000,
            max_distinct: 1_000_000,
            max_subsearch_rows: 50_000,
            max_subsearch_results: 10_000,
            search_timeout: std::time::Duration::from_secs(300),
            search_memory: 512_000_000,
            server_memory: 2_000_000_000,
            max_concurrent_searches: 4,
            max_queued_searches: 32,
        }
    }
}

/// Everything a pipeline needs from its caller: limits, clock, time zone, lookups, the IP
/// location database and
/// the already-computed results of `append`/`join` subsearches.
#[derive(Clone)]
pub struct ExecContext {
    /// Memory bounds.
    pub limits: Limits,
    /// `now` in epoch seconds (`makeresults`, `eval now()`).
    pub now: f64,
    /// Zone for `convert ctime` and day-sized `timechart`/`bin` spans (default UTC).
    pub time_zone: TimeZone,
    /// The search's time range in epoch seconds, when known: chooses `timechart`'s default
    /// span and the buckets it fills with zeros.
    pub earliest: Option<f64>,
    /// End of the search's time range (exclusive), epoch seconds.
    pub latest: Option<f64>,
    /// Lookup tables (`lookup`, `inputlookup`, `outputlookup`); the indexer implements it.
    pub lookups: Option<Arc<dyn LookupProvider>>,
    /// Where IP addresses are (`iplocation`); the indexer opens its `[geoip] database` once.
    pub geo: Option<Arc<dyn crate::geo::Geolocator>>,
    /// Results of the subsearch of the `append`/`join` at this index of the command slice
    /// given to [`compile`], and the rows of a catalog command there ([`crate::CATALOG_COMMANDS`]:
    /// `dbinspect`, …); the caller runs subsearches and reads its catalog first.
    pub subsearches: HashMap<usize, RowBatch>,
    /// Time limit, cancellation and memory budget of the search this pipeline belongs to.
    pub guard: Arc<SearchGuard>,
}

impl Default for ExecContext {
    fn default() -> ExecContext {
        ExecContext {
            limits: Limits::default(),
            now: jiff::Timestamp::now().as_nanosecond() as f64 / 1e9,
            time_zone: TimeZone::UTC,
            earliest: None,
            latest: None,
            lookups: None,
            geo: None,
            subsearches: HashMap::new(),
            guard: Arc::new(SearchGuard::default()),
        }
    }
}

impl std::fmt::Debug for ExecContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecContext")
            .field("limits", &self.limits)
            .field("now", &self.now)
            .field("earliest", &self.earliest)
            .field("latest", &self.latest)
            .field("lookups", &self.lookups.is_some())
            .field("geo", &self.geo.is_some())
            .field("subsearches", &self.subsearches.len())
            .finish()
    }
}

/// A command cannot be planned: unsupported command, option or function, bad argument.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    /// Human sentence naming the command and what is wrong.
    pub message: String,
    /// The offending command, for the console to underline.
    pub span: Option<Span>,
}

impl PlanError {
    /// An error about command `cmd`.
    pub fn at(cmd: &Command, message: impl Into<String>) -> PlanError {
        PlanError {
            message: format!("{}: {}", cmd.name, message.into()),
            span: Some(cmd.span),
        }
    }
}

/// A pipeline failed while running: a limit, an eval or regex error, a lookup failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecError {
    /// A memory bound of [`Limits`] was exceeded.
    #[error("{command}: more than {limit} {what}; the search was stopped (raise limits.{key} or narrow the search)")]
    Limit {
        /// Command that hit the limit.
        command: String,
        /// What was counted (`groups`, `buffered rows`, ...).
        what: &'static str,
        /// The limit.
        limit: usize,
        /// Field name in [`Limits`].
        key: &'static str,
    },
    /// An eval/where expression failed.
    #[error("{command}: {source}")]
    Eval {
        /// Command running the expression.
        command: String,
        /// The evaluator's error.
        source: EvalError,
    },
    /// An aggregate exceeded its distinct-value bound.
    #[error(transparent)]
    Agg(#[from] AggError),
    /// A lookup table could not be read or written.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The search was cancelled, ran out of time or of memory.
    #[error(transparent)]
    Stop(#[from] Stop),
    /// Anything else, as a sentence.
    #[error("{0}")]
    Other(String),
}

impl ExecError {
    /// A limit error.
    pub fn limit(command: &str, what: &'static str, limit: usize, key: &'static str) -> ExecError {
        ExecError::Limit {
            command: command.to_string(),
            what,
            limit,
            key,
        }
    }
}

/// The `stats` that heads `commands`, as an empty partial aggregate, when its result does not
/// depend on the order rows arrive in: several threads (or nodes) can each fill a copy over
/// separate rows and [`GroupedAggs::merge`] them. `None` for anything else (`first`, `last`,
/// `list`, `mode`, `earliest`, `latest` keep arrival order or ties, options change semantics).
pub fn mergeable_stats(
    commands: &[Command],
    limits: &Limits,
) -> Result<Option<GroupedAggs>, PlanError> {
    use crate::agg::AggFunc;
    let Some(cmd) = commands.first() else {
        return Ok(None);
    };
    let CommandKind::Stats(s) = &cmd.kind else {
        return Ok(None);
    };
    if !s.options.is_empty() {
        return Ok(None);
    }
    let specs = crate::ops::specs(cmd, &s.funcs)?;
    let ordered = specs.iter().any(|sp| {
        matches!(
            sp.func,
            AggFunc::First
                | AggFunc::Last
                | AggFunc::List
                | AggFunc::Mode
                | AggFunc::Earliest
                | AggFunc::Latest
        )
    });
    if ordered {
        return Ok(None);
    }
    Ok(Some(GroupedAggs::new(
        specs,
        s.by.clone(),
        limits.max_groups,
        limits.max_distinct,
    )))
}

/// One compiled pipeline stage.
pub(crate) trait Operator: Send {
    /// Processes a batch; rows ready now go to `out`.
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError>;
    /// End of input: emits what was buffered.
    fn finish(&mut self, _out: &mut RowBatch) -> Result<(), ExecError> {
        Ok(())
    }
    /// True when no further input can change the output (`head` satisfied).
    fn is_done(&self) -> bool {
        false
    }
}

/// Rows pushed through the stages at a time: small enough that a cancelled search stops
/// within milliseconds, large enough that the per-batch costs vanish.
const SLICE: usize = 4096;

/// A compiled pipeline: push batches, then [`Executor::finish`].
pub struct Executor {
    ops: Vec<Box<dyn Operator>>,
    output: RowBatch,
    max_output: usize,
    guard: Arc<SearchGuard>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("operators", &self.ops.len())
            .field("output", &self.output.len())
            .finish()
    }
}

impl Executor {
    /// Runs a batch through every streaming stage; rows reaching the end are buffered
    /// until [`Executor::drain`] or [`Executor::finish`].
    pub fn push(&mut self, batch: RowBatch) -> Result<(), ExecError> {
        self.run_from(0, batch)
    }

    fn run_from(&mut self, start: usize, batch: RowBatch) -> Result<(), ExecError> {
        // A generating or blocking stage may emit millions of rows at once: they go on in
        // slices, so the guard is asked every `SLICE` rows and a cancel is seen in time.
        if batch.len() > SLICE {
            let mut rows = batch.into_iter();
            loop {
                let slice: RowBatch = rows.by_ref().take(SLICE).collect();
                if slice.is_empty() {
                    return Ok(());
                }
                self.run_slice(start, slice)?;
            }
        }
        self.run_slice(start, batch)
    }

    fn run_slice(&mut self, start: usize, batch: RowBatch) -> Result<(), ExecError> {
        let mut cur = batch;
        for op in &mut self.ops[start..] {
            if cur.is_empty() {
                return Ok(());
            }
            self.guard.check()?;
            let mut out = Vec::new();
            op.push(cur, &mut out)?;
            cur = out;
        }
        self.output.extend(cur);
        if self.output.len() > self.max_output {
            return Err(ExecError::limit(
                "search",
                "result rows waiting to be read",
                self.max_output,
                "max_rows_buffered",
            ));
        }
        Ok(())
    }

    /// True when the pipeline needs no more input (a `head` is satisfied): the caller
    /// can stop scanning and call [`Executor::finish`].
    pub fn is_done(&self) -> bool {
        self.ops.iter().any(|o| o.is_done())
    }

    /// Takes the rows that already reached the end of the pipeline (streaming callers).
    pub fn drain(&mut self) -> RowBatch {
        std::mem::take(&mut self.output)
    }

    /// Ends the input: flushes every blocking stage in order and returns the remaining rows.
    pub fn finish(mut self) -> Result<RowBatch, ExecError> {
        for i in 0..self.ops.len() {
            self.guard.check()?;
            let mut out = Vec::new();
            self.ops[i].finish(&mut out)?;
            self.run_from(i + 1, out)?;
        }
        Ok(self.output)
    }
}

/// Compiles the commands that follow the leading search into an [`Executor`].
pub fn compile(commands: &[Command], ctx: &ExecContext) -> Result<Executor, PlanError> {
    let mut ops = Vec::with_capacity(commands.len());
    for (i, cmd) in commands.iter().enumerate() {
        ops.push(crate::ops::build(i, cmd, ctx)?);
    }
    Ok(Executor {
        ops,
        output: Vec::new(),
        max_output: ctx.limits.max_rows_buffered,
        guard: ctx.guard.clone(),
    })
}

/// Runs `commands` over `rows` in one call (tests, subsearches, small inputs).
pub fn run(commands: &[Command], ctx: &ExecContext, rows: RowBatch) -> Result<RowBatch, String> {
    let mut ex = compile(commands, ctx).map_err(|e| e.to_string())?;
    ex.push(rows).map_err(|e| e.to_string())?;
    ex.finish().map_err(|e| e.to_string())
}

/// Command options, consumed one by one; leftovers are reported as unsupported.
pub struct Opts<'a> {
    cmd: &'a Command,
    opts: Vec<&'a CmdOption>,
    /// Every option as written, taken or not: where an error about one points.
    all: &'a [CmdOption],
}

impl<'a> Opts<'a> {
    /// The options of `cmd`, none consumed yet.
    pub fn new(cmd: &'a Command, opts: &'a [CmdOption]) -> Opts<'a> {
        Opts {
            cmd,
            opts: opts.iter().collect(),
            all: opts,
        }
    }

    /// An error about option `key` of the command: its span is the option's as written (the
    /// last one of that name), the command's when the option has no place in the text.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> PlanError {
        let span = self
            .all
            .iter()
            .rev()
            .find(|o| o.key == key)
            .map(|o| o.span)
            .filter(|s| s.end > s.start);
        option_error(self.cmd, span, message)
    }

    /// Takes option `key` (last occurrence wins).
    pub fn take(&mut self, key: &str) -> Option<&'a str> {
        let mut found = None;
        self.opts.retain(|o| {
            if o.key == key {
                found = Some(o.value.as_str());
                false
            } else {
                true
            }
        });
        found
    }

    /// Takes a boolean option (`t`, `false`, `1`, …).
    pub fn take_bool(&mut self, key: &str, default: bool) -> Result<bool, PlanError> {
        match self.take(key) {
            None => Ok(default),
            Some(v) => parse_bool(v)
                .ok_or_else(|| self.error_at(key, format!("{key}={v} is not a boolean"))),
        }
    }

    /// Takes a count option.
    pub fn take_usize(&mut self, key: &str) -> Result<Option<usize>, PlanError> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                self.error_at(key, format!("{key}={v} is not a non-negative integer"))
            }),
        }
    }

    /// Takes every occurrence of a repeatable option (`dbinspect index=a index=b`), in order.
    pub fn take_all(&mut self, key: &str) -> Vec<&'a str> {
        let mut found = Vec::new();
        self.opts.retain(|o| {
            if o.key == key {
                found.push(o.value.as_str());
                false
            } else {
                true
            }
        });
        found
    }

    /// Errors if any option was not consumed.
    pub fn done(self) -> Result<(), PlanError> {
        if self.opts.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = self.opts.iter().map(|o| format!("{}=", o.key)).collect();
        // Underline the first one left over (all of them when they stand together).
        let span = self
            .opts
            .first()
            .map(|o| o.span)
            .filter(|s| s.end > s.start);
        Err(option_error(
            self.cmd,
            span,
            format!("unsupported option {}", names.join(", ")),
        ))
    }
}

/// An error about one option: named with its command, placed at the option when it is known.
fn option_error(cmd: &Command, span: Option<Span>, message: impl Into<String>) -> PlanError {
    let mut e = PlanError::at(cmd, message);
    if let Some(s) = span {
        e.span = Some(s);
    }
    e
}

/// SPL booleans: `true/false`, `t/f`, `1/0`, `yes/no`.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" => Some(true),
        "false" | "f" | "0" | "no" => Some(false),
        _ => None,
    }
}
