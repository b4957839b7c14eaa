//! Search: runs an SPL query against the store.
//!
//! The base search is pushed into tantivy ([`pushdown`]); the buckets are chosen by time
//! range and index before any is opened; `head N` walks buckets newest first and stops as
//! soon as no older bucket can contribute; `stats count` counts in every bucket in
//! parallel, reading bucket summaries when the predicate is "everything".
//! The index restriction of [`SearchScope`] is applied to bucket selection itself, so no
//! command can reach an index outside it.

pub mod admission;
mod catalog;
mod collect;
pub mod context;
mod grouped;
pub mod lookups;
mod map;
pub mod pushdown;
pub mod rows;
mod saved;
pub mod subsearch;
pub mod tail;
pub mod watch;

use crate::store::bucket::Bucket;
use crate::store::Store;
use loupe_event::Value;
use loupe_query::needs::FieldNeeds;
use loupe_query::{
    Command, CommandKind, ExecContext, ExecError, Limits, LookupError, PlanError, Row, RowBatch,
    SearchExpr, SearchGuard, Span, Stop, TimeBound,
};
use pushdown::Pushed;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Order, TantivyDocument};

/// Why a search failed; the first kinds are the user's to fix (exit code 2), the last is ours.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{message}")]
    Syntax {
        message: String,
        start: usize,
        end: usize,
        column: usize,
    },
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The planner refused a command (unsupported command or option, bad argument or regex,
    /// a subsearch over its limit); `span` lets the console underline the culprit.
    #[error("{message}{}", column.map(|c| format!(" (column {c})")).unwrap_or_default())]
    Plan {
        message: String,
        span: Option<Span>,
        /// 1-based column of `span.start` on its line, once the query text is known.
        column: Option<usize>,
    },
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this (a lookup table outside its grant).
    #[error("{0}")]
    Forbidden(String),
    /// Cancelled, out of time or out of memory: which limit says [`Stop::reason`].
    #[error(transparent)]
    Stopped(#[from] Stop),
    #[error("search failed: {0}")]
    Internal(String),
}

impl SearchError {
    /// True when the query, not the system, is at fault.
    pub fn is_query_error(&self) -> bool {
        !matches!(
            self,
            SearchError::Internal(_)
                | SearchError::Stopped(Stop::Shutdown | Stop::ServerMemory { .. })
        )
    }
}

impl From<ExecError> for SearchError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Stop(stop) => SearchError::Stopped(stop),
            ExecError::Lookup(l @ LookupError::Denied { .. }) => {
                SearchError::Forbidden(l.to_string())
            }
            other => SearchError::Invalid(other.to_string()),
        }
    }
}

impl From<PlanError> for SearchError {
    fn from(e: PlanError) -> Self {
        SearchError::Plan {
            message: e.message,
            span: e.span,
            column: None,
        }
    }
}

impl SearchError {
    /// Fills in the column of a located planner error from the query text it points into.
    fn locate(self, query: &str) -> SearchError {
        match self {
            SearchError::Plan {
                message,
                span: Some(span),
                column: None,
            } => SearchError::Plan {
                message,
                span: Some(span),
                column: Some(column_of(query, span.start)),
            },
            other => other,
        }
    }
}

/// 1-based character column of byte `offset` on its line (clamped to the text).
pub fn column_of(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..offset].chars().count() + 1
}

impl From<crate::store::docstore::DocStoreError> for SearchError {
    fn from(e: crate::store::docstore::DocStoreError) -> Self {
        SearchError::Internal(e.to_string())
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Internal(e.to_string())
    }
}

/// One search to run.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// Time modifiers (`-24h@h`, epoch, ISO 8601); the query's own `earliest=`/`latest=` win.
    pub earliest: Option<String>,
    pub latest: Option<String>,
    /// Most events returned when the query does not say (`head`).
    pub limit: usize,
    /// "Now" for relative times (tests pin it).
    pub now_ns: Option<i64>,
    /// The zone in which `@d`, `@w1` and date-only times are read and `strftime` writes
    /// (the user's, a saved search's `timezone`); `None` is the server's zone, as Splunk
    /// takes the user's preference and falls back to the server's.
    pub tz: Option<jiff::tz::TimeZone>,
    /// Only events indexed at or after this epoch second, whatever the query says: a live tail
    /// asks for what arrived since its last poll, old timestamps included.
    pub index_earliest: Option<i64>,
    /// Memory bounds of the pipeline and its subsearches (`[limits]` of `loupe.toml`).
    pub limits: Limits,
    /// Time limit, cancellation and memory budget of this search and its subsearches; the
    /// caller keeps a clone to cancel it (client gone, `DELETE` of a job, shutdown).
    pub guard: Arc<SearchGuard>,
    /// Macros the query may call (`` `name(args)` ``), expanded before parsing.
    pub macros: Arc<loupe_query::MacroTable>,
    /// Progress, preview and (for exports) the sink the rows go to while the search runs.
    pub watch: Option<Arc<watch::Watch>>,
    /// Saved searches and other objects `rest` may list (`None`: no meta store at hand).
    pub objects: Option<Objects>,
    /// The server's IP location database (`[geoip]`), opened once and shared (it reads a
    /// replaced file again itself); `None` makes
    /// `iplocation` a plan error naming the setting.
    pub geo: Option<Arc<dyn loupe_query::Geolocator>>,
}

/// The server's saved objects, which `| rest /services/saved/searches` describes; a search
/// made without a server (`loupe search --data-dir`) has none.
#[derive(Clone)]
pub struct Objects(pub Arc<loupe_meta::MetaStore>);

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Objects(meta store)")
    }
}

/// What a user may see: the planner intersects every search's indexes with this.
#[derive(Debug, Clone, Default)]
pub struct SearchScope {
    /// `None`: every index.
    pub allowed_indexes: Option<Vec<String>>,
    /// Lookup tables it may read (`inputlookup`, `lookup`) and write (`outputlookup`).
    pub lookups: lookups::LookupGrant,
    /// Who searches (a token's name): owns the jobs it starts.
    pub principal: String,
    /// The principal's role (`None`: unrestricted): its indexes, row filter, time window
    /// and maskers are applied by the planner at every depth, below every command.
    pub role: Option<Arc<loupe_access::Role>>,
}

impl SearchScope {
    /// The scope of a principal that has a role: the role decides indexes and lookup
    /// tables (`outputlookup` writes only with the capability).
    pub fn of_role(principal: impl Into<String>, role: Arc<loupe_access::Role>) -> SearchScope {
        let principal = principal.into();
        let write = if role.may(loupe_access::Capability::Outputlookup) {
            role.lookups.clone()
        } else {
            Some(Vec::new())
        };
        SearchScope {
            allowed_indexes: None,
            lookups: lookups::LookupGrant {
                who: format!("user {principal:?} (role {})", role.name),
                read: role.lookups.clone(),
                write,
            },
            principal,
            role: Some(role),
        }
    }

    /// True when the principal has capability `c` (an unrestricted one has them all).
    pub fn may(&self, c: loupe_access::Capability) -> bool {
        self.role.as_ref().is_none_or(|r| r.may(c))
    }

    /// True when a search in this scope may open `index`; a token's `indexes` take the
    /// wildcards HEC takes for writing, so it reads what it may write.
    pub fn allows_index(&self, index: &str) -> bool {
        self.allowed_indexes.as_ref().is_none_or(|allowed| {
            allowed
                .iter()
                .any(|a| loupe_access::role::index_matches(a, index))
        }) && self.role.as_ref().is_none_or(|r| r.allows_index(index))
    }

    /// The role's name, for the audit trail (`-` when unrestricted).
    pub fn role_name(&self) -> &str {
        self.role.as_ref().map_or("-", |r| r.name.as_str())
    }
}

/// A role's `search_filter` as the expression ANDed into its searches: one search
/// command, nothing after it (a pipe would change results, not filter events).
pub fn role_filter(text: &str) -> Result<SearchExpr, String> {
    let p = loupe_query::parse(text).map_err(|e| e.to_string())?;
    match p.commands.as_slice() {
        [c] => match &c.kind {
            CommandKind::Search(expr) => Ok(expr.clone()),
            _ => Err("must be a search expression, not a command".into()),
        },
        _ => Err("must be one search expression, without |".into()),
    }
}

/// One returned event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventOut {
    #[serde(rename = "_time")]
    pub time: String,
    #[serde(skip)]
    pub time_ns: i64,
    #[serde(rename = "_raw")]
    pub raw: String,
    pub host: String,
    pub source: String,
    pub sourcetype: String,
    pub index: String,
}

/// Work counters of a search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchStats {
    /// Buckets opened.
    pub buckets: usize,
    /// Events in the buckets considered.
    pub scanned: u64,
    pub matched: u64,
    pub elapsed_ms: f64,
    /// Indexes whose buckets were read, for the audit trail (not part of the answer).
    #[serde(skip)]
    pub indexes: Vec<String>,
}

/// The answer of `POST /api/v1/search` (DESIGN.md §4).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResponse {
    pub columns: Vec<String>,
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    pub events: Vec<EventOut>,
    pub stats: SearchStats,
}

enum Tail {
    /// Newest N events straight from the index.
    Events(usize),
    /// A count answered by the index (or bucket summaries).
    Count(String),
    /// `stats` of counts, distinct values and times by keyword fields: bucket streams or fast
    /// columns, no documents; the commands after it take its rows.
    Grouped(grouped::Grouped),
    /// `timechart span=S count`: per-minute bucket summaries or the `_time` column, no documents.
    TimechartCount { span: i64, alias: String },
    /// Everything else: rows through the SPL operators.
    Pipeline,
}

/// The tails answered without reading rows: `| head N`, a bare `| stats count`, a
/// `timechart count`, and a `stats` over keyword fields and times (followed by anything).
fn fast_tail(commands: &[Command], limit: usize) -> Option<Tail> {
    if let Some(first) = commands.first() {
        if let Some(g) = grouped::Grouped::of(first) {
            let bare_count = commands.len() == 1
                && matches!(&first.kind, CommandKind::Stats(s)
                    if s.by.is_empty() && s.funcs.len() == 1 && s.funcs[0].func == "count"
                        && s.funcs[0].arg.is_none());
            if !bare_count {
                return Some(Tail::Grouped(g));
            }
        }
    }
    let mut tail = Tail::Events(limit);
    for (i, cmd) in commands.iter().enumerate() {
        match (&cmd.kind, &tail) {
            (CommandKind::Head(h), Tail::Events(n)) if h.expr.is_none() && h.options.is_empty() => {
                tail = Tail::Events((h.limit as usize).min(*n))
            }
            // Counts of everything, not of the first N: only as the first command.
            (CommandKind::Timechart(t), Tail::Events(_))
                if i == 0
                    && t.by.is_empty()
                    && t.funcs.len() == 1
                    && t.funcs[0].func == "count"
                    && t.funcs[0].arg.is_none()
                    && t.options.len() == 1
                    && t.options[0].key.eq_ignore_ascii_case("span") =>
            {
                let span = loupe_query::ops::parse_time_span(&t.options[0].value)?;
                if span < 1.0 || span.fract() != 0.0 || span > 86_400.0 {
                    return None;
                }
                tail = Tail::TimechartCount {
                    span: span as i64,
                    alias: t.funcs[0].alias.clone().unwrap_or_else(|| "count".into()),
                };
            }
            (CommandKind::Stats(s), Tail::Events(_))
                if i == 0
                    && s.by.is_empty()
                    && s.options.is_empty()
                    && s.funcs.len() == 1
                    && s.funcs[0].func == "count"
                    && s.funcs[0].arg.is_none() =>
            {
                tail = Tail::Count(s.funcs[0].alias.clone().unwrap_or_else(|| "count".into()));
            }
            _ => return None,
        }
    }
    Some(tail)
}

/// Rows per batch pushed through the operators.
const ROW_BATCH: usize = 1024;

/// Feeds matching events, newest first, through the operators; stops when they need no more.
///
/// Reading documents, the base-search row filter and the leading row-local commands (`rex`,
/// `eval`, `where`, ...) run on all cores over separate batches; the rest of the pipeline gets
/// the batches back in time order, so its results are the same as a sequential run.
#[allow(clippy::too_many_arguments)]
fn run_pipeline(
    plans: Vec<(Arc<Bucket>, Pushed)>,
    commands: &[Command],
    needs: &FieldNeeds,
    ctx: &ExecContext,
    (filter, masker): (
        Option<&rows::RowFilter>,
        Option<&loupe_access::mask::Masker>,
    ),
    (earliest, latest): (Option<i64>, Option<i64>),
    limit: usize,
    watch: Option<&watch::Watch>,
    stats: &mut SearchStats,
) -> Result<Vec<Row>, SearchError> {
    let unsupported = <SearchError as From<PlanError>>::from;
    let split = loupe_query::needs::row_local_prefix(commands);
    let (local, rest) = commands.split_at(split);
    let rest_ctx = shift_subsearches(ctx, split);
    loupe_query::compile(local, ctx).map_err(unsupported)?;
    if let Some(partial) = loupe_query::mergeable_stats(rest, &ctx.limits).map_err(unsupported)? {
        return run_partial_stats(
            plans,
            (local, rest),
            needs,
            (ctx, &rest_ctx),
            (filter, masker),
            (earliest, latest),
            partial,
            stats,
        )
        .and_then(|rows| deliver(rows, watch));
    }
    let mut exec = loupe_query::compile(rest, &rest_ctx).map_err(unsupported)?;
    // Rows that already left the last stage (streaming pipelines): at most `limit` are returned.
    let mut streamed: Vec<Row> = Vec::new();
    // An export reads its windows in store order, so a doc-store block is decompressed about
    // once per window; the segments' block caches carry the rest over from one window to the
    // next. A window's rows are what an export holds at once, so it stays a few thousand.
    let streaming = watch.is_some_and(|w| w.is_streaming());
    let window = if streaming {
        ROW_BATCH * 4
    } else {
        ROW_BATCH * 2 * rayon::current_num_threads().max(1)
    };
    'buckets: for (b, p) in plans {
        let searcher = b.reader.searcher();
        let timed = matching_newest_first(&b, &searcher, p, (earliest, latest))?;
        let reader = rows::RowReader::new(&b, &searcher, needs).masked(masker);
        for part in timed.chunks(window) {
            ctx.guard.check()?;
            let rows = read_window(&reader, part, filter, ctx)?;
            let matched = rows.len() as u64;
            // Row-local commands on all cores, over batches kept in time order.
            let batches: Vec<Result<(Vec<Row>, u64), SearchError>> = rows
                .into_par_iter()
                .chunks(ROW_BATCH)
                .map_init(
                    || loupe_query::compile(local, ctx),
                    |local_exec, chunk| {
                        ctx.guard.check()?;
                        let local_exec = local_exec.as_mut().map_err(|e| unsupported(e.clone()))?;
                        local_exec.push(chunk)?;
                        Ok((local_exec.drain(), 0))
                    },
                )
                .collect();
            stats.matched += matched;
            if let Some(w) = watch {
                w.add(&w.progress.matched, matched);
            }
            for batch in batches {
                let (batch, _) = batch?;
                exec.push(batch)?;
                let out = exec.drain();
                match watch {
                    // An export hands rows on as they come: nothing accumulates, no cap.
                    Some(w) if w.is_streaming() => {
                        if !w.send(out) {
                            return Err(SearchError::Stopped(Stop::Cancelled));
                        }
                        if exec.is_done() {
                            break 'buckets;
                        }
                        continue;
                    }
                    Some(w) => w.preview(&out),
                    None => {}
                }
                ctx.guard
                    .charge(loupe_query::row::batch_bytes(&out), "search")?;
                streamed.extend(out);
                if exec.is_done() || streamed.len() >= limit {
                    break 'buckets;
                }
            }
        }
        if let Some(w) = watch {
            w.add(&w.progress.buckets_done, 1);
        }
    }
    let capped = streamed.len() >= limit;
    streamed.extend(exec.finish()?);
    if capped {
        streamed.truncate(limit);
    }
    deliver(streamed, watch)
}

/// The rows of a finished pipeline: to the sink of an export (the caller then gets none),
/// else back to the caller.
fn deliver(rows: Vec<Row>, watch: Option<&watch::Watch>) -> Result<Vec<Row>, SearchError> {
    match watch {
        Some(w) if w.is_streaming() => {
            for chunk in rows.chunks(ROW_BATCH) {
                if !w.send(chunk.to_vec()) {
                    return Err(SearchError::Stopped(Stop::Cancelled));
                }
            }
            Ok(Vec::new())
        }
        _ => Ok(rows),
    }
}

/// A bucket's events matching `pushed` in the time range, newest first (ties in index order).
fn matching_newest_first(
    b: &Bucket,
    searcher: &tantivy::Searcher,
    pushed: Pushed,
    (earliest, latest): (Option<i64>, Option<i64>),
) -> Result<Vec<(i64, DocAddress)>, SearchError> {
    let mut timed = matching_timed(b, searcher, pushed, (earliest, latest), true)?;
    timed.sort_unstable_by_key(|(t, a)| (std::cmp::Reverse(*t), a.segment_ord, a.doc_id));
    Ok(timed)
}

/// A bucket's events matching `pushed` in the time range with their time (`i64::MIN` when
/// `read_time` is false: nothing reads it), in index order (the order that reads each
/// doc-store block once).
fn matching_timed(
    b: &Bucket,
    searcher: &tantivy::Searcher,
    pushed: Pushed,
    (earliest, latest): (Option<i64>, Option<i64>),
    read_time: bool,
) -> Result<Vec<(i64, DocAddress)>, SearchError> {
    let expect_all = matches!(pushed, Pushed::All);
    let q = with_time(b, pushed, earliest, latest);
    let timed = searcher.search(
        &*q,
        &collect::Timed {
            read_time,
            expect_all,
        },
    )?;
    Ok(timed)
}

/// Events read as rows (document by document), those the row filter keeps.
fn filtered_rows(
    reader: &rows::RowReader<'_>,
    cache: &mut rows::KeywordCache,
    chunk: &[(i64, DocAddress)],
    filter: Option<&rows::RowFilter>,
) -> Result<Vec<Row>, SearchError> {
    let mut batch = Vec::with_capacity(chunk.len());
    for &(t, addr) in chunk {
        let row = reader.row(cache, addr, t).map_err(SearchError::Internal)?;
        if filter.is_none_or(|f| f.matches(&row)) {
            batch.push(row);
        }
    }
    Ok(batch)
}

/// The rows of a window of events (newest first), those the row filter keeps, in the
/// window's order. They are read in store order on all cores: events newest first jump
/// between the streams a bucket's store is sorted by, and reading them in that order would
/// decompress a 512 KiB block for nearly every event (an export of 2M events ran at 1 MB/s).
fn read_window(
    reader: &rows::RowReader<'_>,
    part: &[(i64, DocAddress)],
    filter: Option<&rows::RowFilter>,
    ctx: &ExecContext,
) -> Result<Vec<Row>, SearchError> {
    let mut order: Vec<u32> = (0..part.len() as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let a = part[i as usize].1;
        (a.segment_ord, a.doc_id)
    });
    let read: Vec<Result<Vec<(u32, Row)>, SearchError>> = order
        .par_chunks(ROW_BATCH)
        .map_init(rows::KeywordCache::default, |cache, idxs| {
            ctx.guard.check()?;
            let mut out = Vec::with_capacity(idxs.len());
            for &i in idxs {
                let (t, addr) = part[i as usize];
                let row = reader.row(cache, addr, t).map_err(SearchError::Internal)?;
                if filter.is_none_or(|f| f.matches(&row)) {
                    out.push((i, row));
                }
            }
            Ok(out)
        })
        .collect();
    let mut rows: Vec<(u32, Row)> = Vec::with_capacity(part.len());
    for r in read {
        rows.extend(r?);
    }
    rows.sort_unstable_by_key(|(i, _)| *i);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Work for one thread at a time: which bucket, which of its matching documents (one segment,
/// in index order), and whether to walk the segment's store in order.
type WorkUnit<'a> = (usize, &'a [(i64, DocAddress)], bool);

/// A thread's share of a partial `stats`: its own row-local commands and aggregate, kept for
/// the whole search so each thread builds one partial whatever the number of buckets.
struct StatsWorker {
    local: loupe_query::Executor,
    partial: loupe_query::GroupedAggs,
    matched: u64,
}

impl StatsWorker {
    /// Runs a batch of rows through the row-local commands into the thread's partial.
    fn absorb(&mut self, batch: Vec<Row>, ctx: &ExecContext) -> Result<(), SearchError> {
        ctx.guard.check()?;
        self.matched += batch.len() as u64;
        self.local.push(batch)?;
        for row in &self.local.drain() {
            self.partial.update(row)?;
        }
        Ok(())
    }
}

/// `stats` whose result does not depend on row order: every thread reads, filters and
/// aggregates its own slice of each bucket into a partial, and the partials are merged at the
/// end (rows never cross threads); the commands after `stats` run on the merged result.
#[allow(clippy::too_many_arguments)]
fn run_partial_stats(
    plans: Vec<(Arc<Bucket>, Pushed)>,
    (local, rest): (&[Command], &[Command]),
    needs: &FieldNeeds,
    (ctx, rest_ctx): (&ExecContext, &ExecContext),
    (filter, masker): (
        Option<&rows::RowFilter>,
        Option<&loupe_access::mask::Masker>,
    ),
    (earliest, latest): (Option<i64>, Option<i64>),
    partial: loupe_query::GroupedAggs,
    stats: &mut SearchStats,
) -> Result<Vec<Row>, SearchError> {
    let unsupported = <SearchError as From<PlanError>>::from;
    let partial = partial.with_guard(ctx.guard.clone());
    let threads = rayon::current_num_threads().max(1);
    let workers = (0..threads)
        .map(|_| {
            Ok(parking_lot::Mutex::new(StatsWorker {
                local: loupe_query::compile(local, ctx).map_err(unsupported)?,
                partial: partial.clone(),
                matched: 0,
            }))
        })
        .collect::<Result<Vec<_>, SearchError>>()?;
    // Every bucket's matching documents, cut into units of work: a segment whose documents are
    // mostly wanted is walked in store order (each block decompressed once, no lookups), the
    // rest is read document by document in slices. Each thread aggregates into its own partial.
    // Buckets matched on all cores: a scan of every event otherwise spends its first tenth
    // on one thread, listing documents.
    let opened = plans
        .into_par_iter()
        .map(|(b, p)| {
            let searcher = b.reader.searcher();
            let docs = matching_timed(&b, &searcher, p, (earliest, latest), needs.wants("_time"))?;
            Ok((b, searcher, docs))
        })
        .collect::<Result<Vec<_>, SearchError>>()?;
    let readers: Vec<rows::RowReader<'_>> = opened
        .iter()
        .map(|(b, searcher, _)| rows::RowReader::new(b, searcher, needs).masked(masker))
        .collect();
    // A masked role's rows are checked on their masked text: neither the regex nor the
    // filter's words may look at the stored text before the row is built.
    let unmasked = masker.is_none_or(|m| m.is_empty());
    // `rex` straight into `stats`: the regex runs on each stored text, rows only for matches.
    let fused = (filter.is_none() && unmasked)
        .then(|| loupe_query::RawExtraction::plan(local, &partial))
        .flatten();
    // The text rules most events of a scan out before their row is built.
    let text_check = filter.filter(|_| unmasked);
    let mut units: Vec<WorkUnit<'_>> = Vec::new();
    for (i, (_, searcher, docs)) in opened.iter().enumerate() {
        for segment in docs.chunk_by(|a, b| a.1.segment_ord == b.1.segment_ord) {
            let max_doc = searcher.segment_reader(segment[0].1.segment_ord).max_doc() as usize;
            if readers[i].reads_documents() && segment.len() * 4 >= max_doc {
                units.push((i, segment, true));
            } else {
                units.extend(segment.chunks(ROW_BATCH * 16).map(|c| (i, c, false)));
            }
        }
    }
    units
        .par_iter()
        .try_for_each(|&(i, docs, in_store_order)| {
            let slot = rayon::current_thread_index().unwrap_or(0) % workers.len();
            let mut w = workers[slot].lock();
            let w = &mut *w;
            let reader = &readers[i];
            let mut cache = rows::KeywordCache::default();
            if let Some(fused) = &fused {
                return fused_unit(fused, w, reader, &mut cache, ctx, (docs, in_store_order));
            }
            if in_store_order {
                let mut batch = Vec::with_capacity(ROW_BATCH);
                reader.each_document(docs[0].1.segment_ord, docs, |&(t, addr), doc| {
                    if text_check.is_some_and(|f| !f.may_match_text(reader.raw_bytes(&doc))) {
                        return Ok(());
                    }
                    let stored = reader.decoded(addr, doc).map_err(SearchError::Internal)?;
                    let row = reader
                        .row_with(&mut cache, addr, t, Some(stored))
                        .map_err(SearchError::Internal)?;
                    if filter.is_none_or(|f| f.matches(&row)) {
                        batch.push(row);
                    }
                    if batch.len() >= ROW_BATCH {
                        w.absorb(std::mem::take(&mut batch), ctx)?;
                    }
                    Ok::<_, SearchError>(())
                })?;
                w.absorb(batch, ctx)
            } else {
                for chunk in docs.chunks(ROW_BATCH) {
                    w.absorb(filtered_rows(reader, &mut cache, chunk, filter)?, ctx)?;
                }
                Ok(())
            }
        })?;
    // The fullest partial is the base the others merge into: its groups are not copied.
    let mut done: Vec<StatsWorker> = workers.into_iter().map(|w| w.into_inner()).collect();
    done.sort_by_key(|w| std::cmp::Reverse(w.partial.groups().len()));
    let mut total = partial;
    for (i, w) in done.into_iter().enumerate() {
        stats.matched += w.matched;
        if i == 0 {
            total = w.partial;
        } else {
            total.merge(&w.partial)?;
        }
    }
    // The commands after `stats` see its rows.
    let after_ctx = shift_subsearches(rest_ctx, 1);
    let mut exec = loupe_query::compile(&rest[1..], &after_ctx).map_err(unsupported)?;
    exec.push(total.into_rows())?;
    let mut out = exec.drain();
    out.extend(exec.finish()?);
    Ok(out)
}

/// One unit of [`run_partial_stats`] when `rex` feeds `stats` directly: the regex runs on
/// each event's stored text and only a match becomes a row. An event that does not match
/// still goes the row path when its row could hold a field `stats` reads from elsewhere
/// (indexed with it, or extracted from its text), so the answer is the operators' own.
fn fused_unit(
    fused: &loupe_query::RawExtraction,
    w: &mut StatsWorker,
    reader: &rows::RowReader<'_>,
    cache: &mut rows::KeywordCache,
    ctx: &ExecContext,
    (docs, in_store_order): (&[(i64, DocAddress)], bool),
) -> Result<(), SearchError> {
    let mut scratch = fused.scratch();
    // Events that need their row: batched through the row-local commands as on the row path.
    let mut batch: Vec<Row> = Vec::new();
    let mut each = |&(t, addr): &(i64, DocAddress), doc: rows::Doc<'_>| {
        let raw = reader.raw_bytes(&doc);
        let whole = match fused.scan(raw, &mut scratch, &mut w.partial)? {
            loupe_query::RawScan::Counted => true,
            loupe_query::RawScan::NoMatch => !reader.may_give_fields(cache, addr, &doc, raw),
            loupe_query::RawScan::Undecided => false,
        };
        if whole {
            w.matched += 1;
            if w.matched.is_multiple_of(ROW_BATCH as u64) {
                ctx.guard.check()?;
            }
        } else {
            let stored = reader.decoded(addr, doc).map_err(SearchError::Internal)?;
            let row = reader
                .row_with(cache, addr, t, Some(stored))
                .map_err(SearchError::Internal)?;
            batch.push(row);
            if batch.len() >= ROW_BATCH {
                w.absorb(std::mem::take(&mut batch), ctx)?;
            }
        }
        Ok::<_, SearchError>(())
    };
    if in_store_order {
        reader.each_document(docs[0].1.segment_ord, docs, &mut each)?;
    } else {
        for d in docs {
            let doc = reader.stored(d.1).map_err(SearchError::Internal)?;
            each(d, rows::Doc::Stored(doc))?;
        }
    }
    w.absorb(batch, ctx)
}

/// `ctx` for the commands from position `by` on: subsearch results are keyed by position in
/// the slice given to `compile`.
fn shift_subsearches(ctx: &ExecContext, by: usize) -> ExecContext {
    let mut shifted = ctx.clone();
    shifted.subsearches = ctx
        .subsearches
        .iter()
        .filter(|(i, _)| **i >= by)
        .map(|(i, rows)| (i - by, rows.clone()))
        .collect();
    shifted
}

/// An event row (from the row path) in the shape of [`EventOut`].
fn event_of_row(r: &Row) -> EventOut {
    let text = |k: &str| r.get(k).map(|v| v.to_string()).unwrap_or_default();
    let time_ns = r
        .get("_time")
        .and_then(Value::as_f64)
        .map_or(0, |s| (s * 1e6).round() as i64 * 1000);
    EventOut {
        time: format_time(time_ns),
        time_ns,
        raw: text("_raw"),
        host: text("host"),
        source: text("source"),
        sourcetype: text("sourcetype"),
        index: text("index"),
    }
}

/// One row in the API's shape: internal fields (`_span`, `_tc`…) left out, as Splunk hides
/// them (not `_time` and `_raw`), `_time` as RFC 3339, fields in the row's order.
pub fn row_json(r: &Row) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    for (k, v) in r.iter() {
        if k.starts_with('_') && k != "_time" && k != "_raw" {
            continue;
        }
        let json = match (k, v.as_f64()) {
            ("_time", Some(secs)) => {
                serde_json::Value::String(format_time((secs * 1e6).round() as i64 * 1000))
            }
            _ => serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
        };
        m.insert(k.to_string(), json);
    }
    m
}

/// Rows made outside a store search (a post-process search's) in the API's shape.
pub fn rows_response_of(out: Vec<Row>) -> SearchResponse {
    rows_response(out, SearchStats::default())
}

/// Rows to the API's shape: columns in order of first appearance, `_time` as RFC 3339.
fn rows_response(out: Vec<Row>, stats: SearchStats) -> SearchResponse {
    let mut columns: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(out.len());
    for r in &out {
        // Columns in the rows' own order (the JSON map sorts its keys).
        for (k, _) in r.iter() {
            if !(k.starts_with('_') && k != "_time" && k != "_raw") && seen.insert(k.to_string()) {
                columns.push(k.to_string());
            }
        }
        rows.push(row_json(r));
    }
    SearchResponse {
        columns,
        rows,
        events: Vec::new(),
        stats,
    }
}

/// Parses, plans and runs a search (subsearches first, in the same scope and time range).
pub fn run(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    run_located(store, scope, req).map_err(|e| e.locate(&req.query))
}

fn run_located(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    let started = Instant::now();
    let p = prepare(store, scope, req)?;
    execute(store, p, req, started)
}

/// Runs a planned search: the fast tails from summaries and columns, else the operators.
fn execute(
    store: &Store,
    mut p: Prepared,
    req: &SearchRequest,
    started: Instant,
) -> Result<SearchResponse, SearchError> {
    p.watch = req.watch.clone();
    if req.watch.as_ref().is_some_and(|w| w.is_streaming()) {
        // An export streams rows: every path goes through the operators.
        p.tail = Tail::Pipeline;
    }
    let (earliest, latest) = (p.earliest, p.latest);
    let plans = p.bucket_plans(store)?;
    let mut stats = SearchStats {
        buckets: plans.len(),
        indexes: plans
            .iter()
            .map(|(b, _)| b.key.index.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        ..Default::default()
    };
    stats.scanned = plans.iter().map(|(b, _)| b.summary().count).sum();
    if let Some(w) = &req.watch {
        w.progress
            .buckets_total
            .store(plans.len() as u64, std::sync::atomic::Ordering::Relaxed);
        w.progress
            .scanned
            .store(stats.scanned, std::sync::atomic::Ordering::Relaxed);
    }

    let tail = std::mem::replace(&mut p.tail, Tail::Pipeline);
    let mut resp = match tail {
        Tail::Grouped(g) => {
            let range = data_range(&plans);
            let rows = g.run(plans, (earliest, latest), &p.limits, &req.guard, &mut stats)?;
            // The commands after `stats` take its rows, as from the operator.
            let ctx = exec_context(store, &mut p, range);
            let after = shift_subsearches(&ctx, 1);
            let rest = &p.pipeline.commands[p.first_op + 1..];
            let mut exec = loupe_query::compile(rest, &after)?;
            exec.push(rows)?;
            let mut out = exec.drain();
            out.extend(exec.finish()?);
            rows_response(out, stats)
        }
        Tail::TimechartCount { span, alias } => {
            let (data_lo, data_hi) = data_range(&plans);
            let maps = plans
                .into_par_iter()
                .map(|(b, p)| {
                    req.guard.check()?;
                    histogram_bucket(&b, p, span, earliest, latest)
                })
                .collect::<Result<Vec<_>, SearchError>>()?;
            let mut total: BTreeMap<i64, u64> = BTreeMap::new();
            for m in maps {
                for (k, n) in m {
                    *total.entry(k).or_default() += n;
                }
            }
            stats.matched = total.values().sum();
            // Zero-filled over the search's range (or the data's), as `timechart` does.
            if let (Some(lo), Some(hi)) = (earliest.or(data_lo), latest.or(data_hi)) {
                let (lo, hi) = (
                    lo.div_euclid(1_000_000_000),
                    (hi + 999_999_999).div_euclid(1_000_000_000),
                );
                let mut t = lo.div_euclid(span) * span;
                let mut n = 0;
                while t < hi && n < 50_000 {
                    total.entry(t).or_insert(0);
                    t += span;
                    n += 1;
                }
            }
            let rows = total
                .into_iter()
                .map(|(t, n)| {
                    let mut r = Row::new();
                    r.set("_time", Value::Int(t));
                    r.set(alias.clone(), Value::Int(n as i64));
                    r
                })
                .collect();
            rows_response(rows, stats)
        }
        Tail::Pipeline => {
            // A plain search (maybe with `head`) answers events, whichever path ran it.
            let events_view = p.scan
                && p.pipeline.commands[p.first_op..]
                    .iter()
                    .all(|c| matches!(c.kind, CommandKind::Head(_)));
            let out = pipeline_rows(store, p, plans, &mut stats)?;
            let events = if events_view {
                out.iter().map(event_of_row).collect()
            } else {
                Vec::new()
            };
            let mut resp = rows_response(out, stats);
            resp.events = events;
            resp
        }
        Tail::Count(name) => {
            let counts = plans
                .into_par_iter()
                .map(|(b, p)| {
                    req.guard.check()?;
                    count_bucket(&b, p, earliest, latest)
                })
                .collect::<Result<Vec<u64>, SearchError>>()?;
            let total: u64 = counts.iter().sum();
            stats.matched = total;
            let mut row = serde_json::Map::new();
            row.insert(name.clone(), serde_json::Value::from(total));
            SearchResponse {
                columns: vec![name],
                rows: vec![row],
                events: Vec::new(),
                stats,
            }
        }
        Tail::Events(n) => {
            let events = newest_events(plans, earliest, latest, n, &req.guard, &mut stats)?;
            let columns: Vec<String> = ["_time", "host", "source", "sourcetype", "index", "_raw"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows = events
                .iter()
                .map(|e| match serde_json::to_value(e) {
                    Ok(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                })
                .collect();
            SearchResponse {
                columns,
                rows,
                events,
                stats,
            }
        }
    };
    resp.stats.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Some(w) = &req.watch {
        use std::sync::atomic::Ordering::Relaxed;
        w.progress
            .buckets_done
            .store(w.progress.buckets_total.load(Relaxed), Relaxed);
        w.progress.matched.store(resp.stats.matched, Relaxed);
    }
    Ok(resp)
}

/// The base search of `p` followed by `commands` (SPL, such as `timechart span=60s count`)
/// instead of the rest of its pipeline: what a job's timeline, field summary and total ask of
/// its events, on the plan already made (its index-time bounds, resolved subsearches and zone
/// kept) rather than on the base search printed and planned again.
fn base_then(mut p: Prepared, commands: &str) -> Result<Prepared, SearchError> {
    let tail = loupe_query::parse(&format!("| {commands}"))
        .map_err(|e| SearchError::Internal(format!("{commands}: {e}")))?;
    p.pipeline.commands.truncate(p.first_op);
    p.pipeline.commands.extend(tail.commands);
    // `append`/`join` rows belonged to the commands now gone.
    p.subsearches.clear();
    p.tail = choose_tail(
        &p.pipeline.commands[p.first_op..],
        p.limit,
        p.scan,
        p.row_filter,
        &p.masker,
    );
    Ok(p)
}

/// How to answer the commands after the base search: a fast tail when one fits, else the
/// operators. Events of a masked role always come through the row reader, the one place
/// that masks them.
fn choose_tail(
    commands: &[Command],
    limit: usize,
    scan: bool,
    row_filter: bool,
    masker: &Option<Arc<loupe_access::mask::Masker>>,
) -> Tail {
    match fast_tail(commands, limit) {
        Some(Tail::Events(_)) if masker.is_some() => Tail::Pipeline,
        Some(t) if scan && !row_filter => t,
        _ => Tail::Pipeline,
    }
}

/// The context of a pipeline: limits, clock, lookups and the rows of its `append`/`join`
/// subsearches (keyed by position after the base search).
fn exec_context(
    store: &Store,
    p: &mut Prepared,
    (data_lo, data_hi): (Option<i64>, Option<i64>),
) -> ExecContext {
    ExecContext {
        limits: p.limits.clone(),
        now: p.now as f64 / 1e9,
        time_zone: p.tz.clone(),
        earliest: p.earliest.or(data_lo).map(|e| e as f64 / 1e9),
        latest: p.latest.or(data_hi).map(|l| l as f64 / 1e9),
        lookups: Some(Arc::new(lookups::DirLookups::new(
            store.root().join("lookups"),
            p.lookup_grant.clone(),
        ))),
        geo: p.geo.clone(),
        subsearches: std::mem::take(&mut p.subsearches),
        guard: p.guard.clone(),
    }
}

/// Rows of a search through the SPL operators (whatever its tail): what `run` returns for
/// most pipelines and what a subsearch gives the search around it.
fn pipeline_rows(
    store: &Store,
    mut p: Prepared,
    plans: Vec<(Arc<Bucket>, Pushed)>,
    stats: &mut SearchStats,
) -> Result<Vec<Row>, SearchError> {
    // An open-ended range ("all time") is the data's own range, which the bucket summaries know:
    // `timechart` then buckets rows as they stream instead of buffering them to find it.
    let ctx = exec_context(store, &mut p, data_range(&plans));
    let filter = p.row_filter.then(|| rows::RowFilter::new(&p.base));
    let needs = loupe_query::needs::event_fields(&p.pipeline.commands);
    run_pipeline(
        plans,
        &p.pipeline.commands[p.first_op..],
        &needs,
        &ctx,
        (filter.as_ref(), p.masker.as_deref()),
        (p.earliest, p.latest),
        p.limit,
        p.watch.clone().as_deref(),
        stats,
    )
}

/// A parsed and planned search, before any bucket is read.
struct Prepared {
    pipeline: loupe_query::Pipeline,
    base: SearchExpr,
    /// Index of the first command after the base search.
    first_op: usize,
    /// False for generating pipelines (`| makeresults`): no bucket is read.
    scan: bool,
    /// Some predicate names a search-time field: the index gives a superset, rows are checked.
    row_filter: bool,
    limit: usize,
    tail: Tail,
    earliest: Option<i64>,
    latest: Option<i64>,
    /// `_index_earliest`/`_index_latest`, epoch seconds (inclusive, exclusive).
    index_time: (Option<i64>, Option<i64>),
    now: i64,
    /// Zone of `@d` snapping, day spans and `strftime`.
    tz: jiff::tz::TimeZone,
    indexes: Vec<String>,
    limits: Limits,
    /// Rows of the `append`/`join` subsearches, keyed by position after the base search.
    subsearches: std::collections::HashMap<usize, RowBatch>,
    guard: Arc<SearchGuard>,
    lookup_grant: lookups::LookupGrant,
    /// The role's maskers, applied to every row as it is read.
    masker: Option<Arc<loupe_access::mask::Masker>>,
    /// The top-level search's watch (subsearches report nothing).
    watch: Option<Arc<watch::Watch>>,
    /// What `explain` should say about options accepted but without effect (`tstats summariesonly=`).
    notes: Vec<String>,
    /// `iplocation`'s database.
    geo: Option<Arc<dyn loupe_query::Geolocator>>,
}

fn prepare(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<Prepared, SearchError> {
    let syntax = |e: loupe_query::ParseError, text: &str| {
        let (_, col) = e.line_col(text);
        SearchError::Syntax {
            message: e.to_string(),
            start: e.span.start,
            end: e.span.end,
            column: col,
        }
    };
    // Macros first, as Splunk does: an unknown one is an error at its call, never literal text.
    let expanded =
        loupe_query::expand_macros(&req.query, &req.macros).map_err(|e| syntax(e, &req.query))?;
    let pipeline = loupe_query::parse(&expanded).map_err(|e| syntax(e, &expanded))?;
    let now = req.now_ns.unwrap_or_else(crate::ingest::now_ns);
    let tz = req.tz.clone().unwrap_or_else(server_zone);
    let frame = subsearch::Frame {
        store,
        scope,
        limits: &req.limits,
        now,
        tz: &tz,
        earliest: resolve_time(req.earliest.as_deref(), now, &tz)?,
        latest: resolve_time(req.latest.as_deref(), now, &tz)?,
        depth: 0,
        guard: &req.guard,
        objects: req.objects.as_ref(),
        macros: &req.macros,
        geo: req.geo.as_ref(),
    };
    let limit = if req.limit == 0 { 100 } else { req.limit };
    let mut p = plan(pipeline, &frame, limit)?;
    if let Some(at) = req.index_earliest {
        p.index_time.0 = Some(p.index_time.0.map_or(at, |q| q.max(at)));
    }
    Ok(p)
}

/// The zone of the machine the server runs on (`TZ`, then `/etc/localtime`), UTC when it
/// cannot be told.
pub fn server_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Plans a parsed pipeline in `frame`: narrows the time range, runs its subsearches (those of
/// the base search become search terms, those of `append`/`join` rows for the operators),
/// then chooses how to answer. At most `limit` streamed rows are returned.
fn plan(
    mut pipeline: loupe_query::Pipeline,
    frame: &subsearch::Frame<'_>,
    limit: usize,
) -> Result<Prepared, SearchError> {
    saved::expand(&mut pipeline, frame)?;
    let notes = loupe_query::tstats::expand(&mut pipeline)?;
    let mapped = map::expand(&mut pipeline, frame)?;
    let unsupported = loupe_query::unsupported_function_calls(&pipeline);
    if let Some((_, first)) = unsupported.first() {
        // Placed at the first call, so the console and `loupe explain` point at it.
        let names: Vec<&str> = unsupported.iter().map(|(n, _)| n.as_str()).collect();
        return Err(SearchError::Plan {
            message: format!("unsupported: function(s) {}", names.join(", ")),
            span: Some(*first),
            column: None,
        });
    }
    check_lookup_access(&pipeline, &frame.scope.lookups)?;
    let now = frame.now;
    let tz = frame.tz.clone();
    let (mut earliest, mut latest) = (frame.earliest, frame.latest);
    // The outer search's own `earliest=`/`latest=` bound its subsearches too.
    if let Some(CommandKind::Search(expr)) = pipeline.commands.first().map(|c| &c.kind) {
        collect_time_bounds(expr, now, &tz, &mut earliest, &mut latest)?;
    }
    let inner = subsearch::Frame {
        earliest,
        latest,
        depth: frame.depth + 1,
        ..*frame
    };
    let mut subsearches = subsearch::resolve(&mut pipeline, &inner)?;
    if let Some(rows) = mapped {
        subsearches.insert(0, rows);
    }
    // A leading search scans the store; a generating command (`makeresults`, `inputlookup`) does not.
    let (base, first_op, scan) = match pipeline.commands.first().map(|c| &c.kind) {
        Some(CommandKind::Search(expr)) => (expr.clone(), 1, true),
        Some(_) => (SearchExpr::All, 0, false),
        None => (SearchExpr::All, 0, true),
    };
    // A subsearch may have returned `earliest`/`latest`.
    collect_time_bounds(&base, now, &tz, &mut earliest, &mut latest)?;
    let mut base = base;
    let index_time = take_index_bounds(&mut base, now, &tz)?;
    check_index_names(&base)?;
    let role = frame.scope.role.as_deref();
    if let Some(r) = role {
        // The role's share of the data, at this depth as at every other: its row filter
        // ANDed in (after the user's own terms were checked, so its `index=` may name what
        // the user could not), its time window cut from the end of the range.
        if let Some(f) = &r.search_filter {
            let filter = role_filter(f).map_err(|e| {
                SearchError::Internal(format!("role {} search_filter: {e}", r.name))
            })?;
            base = SearchExpr::And(vec![base, filter]);
            // The rows are read for the fields the filter names too.
            if let Some(Command {
                kind: CommandKind::Search(expr),
                ..
            }) = pipeline.commands.first_mut().filter(|_| first_op == 1)
            {
                *expr = base.clone();
            }
        }
        if let Some(w) = r.max_time_window {
            let from = latest
                .unwrap_or(now)
                .saturating_sub(w as i64 * 1_000_000_000);
            earliest = Some(earliest.map_or(from, |e| e.max(from)));
        }
    }
    let masker = role.and_then(|r| r.masker.clone());
    // A masked role's terms are checked on the masked rows too: searching for a hidden
    // number must not tell that it exists.
    let row_filter = rows::needs_row_filter(&base) || masker.is_some();
    let tail = choose_tail(
        &pipeline.commands[first_op..],
        limit,
        scan,
        row_filter,
        &masker,
    );
    let indexes = candidate_indexes(frame.store, frame.scope, &base);
    let subsearches = subsearches
        .into_iter()
        .filter_map(|(i, rows)| i.checked_sub(first_op).map(|i| (i, rows)))
        .collect();
    Ok(Prepared {
        pipeline,
        base,
        first_op,
        scan,
        row_filter,
        limit,
        tail,
        earliest,
        latest,
        index_time,
        now,
        tz,
        indexes,
        limits: frame.limits.clone(),
        subsearches,
        guard: frame.guard.clone(),
        lookup_grant: frame.scope.lookups.clone(),
        masker,
        watch: None,
        notes,
        geo: frame.geo.cloned(),
    })
}

impl Prepared {
    /// The buckets to read (time range and index decided before opening any) and each one's query.
    fn bucket_plans(&self, store: &Store) -> Result<Vec<(Arc<Bucket>, Pushed)>, SearchError> {
        let mut plans = Vec::new();
        if !self.scan {
            return Ok(plans);
        }
        for b in store.buckets_for(&self.indexes, self.earliest, self.latest) {
            match pushdown::translate(&self.base, &b.fields, &b.key.index, self.row_filter)? {
                Pushed::Nothing => {}
                p => match pushdown::index_time_range(&b.fields, self.index_time) {
                    None => plans.push((b, p)),
                    // A bucket older than `_indextime` has events with no index time.
                    Some(None) => {}
                    Some(Some(r)) => {
                        let q = BooleanQuery::new(vec![
                            (Occur::Must, p.into_query()),
                            (Occur::Must, r),
                        ]);
                        plans.push((b, Pushed::Query(Box::new(q))));
                    }
                },
            }
        }
        Ok(plans)
    }
}

/// `loupe explain`: the plan as JSON — what tantivy answers, what runs after, whether documents are read.
pub fn explain(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<serde_json::Value, SearchError> {
    explain_located(store, scope, req).map_err(|e| e.locate(&req.query))
}

fn explain_located(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<serde_json::Value, SearchError> {
    let mut p = prepare(store, scope, req)?;
    match p.tail {
        Tail::Pipeline => {
            let ctx = exec_context(store, &mut p, (None, None));
            loupe_query::compile(&p.pipeline.commands[p.first_op..], &ctx)?;
        }
        Tail::Grouped(_) => {
            let ctx = exec_context(store, &mut p, (None, None));
            loupe_query::compile(
                &p.pipeline.commands[p.first_op + 1..],
                &shift_subsearches(&ctx, 1),
            )?;
        }
        _ => {}
    }
    let rest = &p.pipeline.commands[p.first_op..];
    let pushed = if p.scan {
        pushdown::describe(&p.base, p.row_filter)
    } else {
        "none (generating command)".to_string()
    };
    let event_needs = loupe_query::needs::event_fields(&p.pipeline.commands);
    let parallel = loupe_query::needs::row_local_prefix(rest);
    let partial_stats = loupe_query::mergeable_stats(&rest[parallel..], &p.limits)
        .ok()
        .flatten();
    let fused = matches!(p.tail, Tail::Pipeline)
        && p.scan
        && !p.row_filter
        && partial_stats
            .as_ref()
            .and_then(|s| loupe_query::RawExtraction::plan(&rest[..parallel], s))
            .is_some();
    let (path, reads_docs) = match &p.tail {
        Tail::Pipeline if fused => (
            "rex fused with stats: the regex runs on each stored text in store order, and only \
             a match (or an event that may carry the fields otherwise) becomes a row",
            true,
        ),
        Tail::Count(_) => (
            "count from the index (bucket summaries when everything matches)",
            false,
        ),
        Tail::Grouped(_) => (
            "stats over keyword fields and times from bucket streams or fast columns (no documents), then the operators",
            false,
        ),
        Tail::TimechartCount { .. } => (
            "counts per time span from per-minute bucket summaries or the _time column",
            false,
        ),
        Tail::Events(_) => (
            "newest events, bucket by bucket newest first, early stop",
            true,
        ),
        Tail::Pipeline => (
            "rows through the SPL operators",
            p.scan && rows::reads_documents(&event_needs),
        ),
    };
    let buckets = p.bucket_plans(store)?;
    let needs = match event_needs {
        FieldNeeds::All => serde_json::json!("all"),
        FieldNeeds::Only(set) => serde_json::json!(set),
    };
    let partial_stats = partial_stats.is_some();
    let operators: Vec<serde_json::Value> = rest
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let threads = if i < parallel || (i == parallel && partial_stats) {
                "all"
            } else {
                "one"
            };
            let fields = match loupe_query::needs::command_fields(c) {
                Some(set) => serde_json::json!(set),
                None => serde_json::json!("all"),
            };
            serde_json::json!({"command": c.name, "spl": c.to_string(), "threads": threads, "fields": fields})
        })
        .collect();
    let mut notes = p.notes.clone();
    let index_time = match p.index_time {
        (None, None) => serde_json::Value::Null,
        (from, to) => {
            let secs = |s: i64| format_time(s.saturating_mul(1_000_000_000));
            notes.push(format!(
                "_index_earliest/_index_latest: a range over each bucket's _indextime column ({} to {}, \
                 when the events were written), pushed into the index with the search; the buckets \
                 opened are chosen by the event-time range alone, and buckets written before \
                 _indextime existed match nothing",
                from.map_or_else(|| "the start".to_string(), secs),
                to.map_or_else(|| "now".to_string(), secs),
            ));
            serde_json::json!({
                "earliest": from.map(|s| format_time(s.saturating_mul(1_000_000_000))),
                "latest": to.map(|s| format_time(s.saturating_mul(1_000_000_000))),
            })
        }
    };
    Ok(serde_json::json!({
        "search": p.base.to_string(),
        "indexes": p.indexes,
        "earliest": p.earliest.map(format_time),
        "latest": p.latest.map(format_time),
        "index_time": index_time,
        "buckets": buckets.len(),
        "pushdown": pushed,
        "row_filter": p.row_filter,
        "path": path,
        "operators": operators,
        "event_fields": needs,
        "reads_stored_documents": reads_docs,
        "notes": notes,
    }))
}

fn resolve_time(
    spec: Option<&str>,
    now: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<i64>, SearchError> {
    match spec.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some("0") => Ok(None),
        Some(s) => loupe_event::reltime::resolve(s, now, tz)
            .map(Some)
            .map_err(|e| SearchError::Invalid(format!("time {s:?}: {e}"))),
    }
}

/// `earliest=`/`latest=` anywhere in the top-level AND narrow the range.
fn collect_time_bounds(
    expr: &SearchExpr,
    now: i64,
    tz: &jiff::tz::TimeZone,
    earliest: &mut Option<i64>,
    latest: &mut Option<i64>,
) -> Result<(), SearchError> {
    match expr {
        SearchExpr::And(items) => {
            for i in items {
                collect_time_bounds(i, now, tz, earliest, latest)?;
            }
        }
        SearchExpr::TimeBound { bound, value, .. } => {
            let t = resolve_time(Some(value), now, tz)?;
            match bound {
                TimeBound::Earliest => *earliest = t,
                TimeBound::Latest => *latest = t,
                // Bound the index time, not the range: see `take_index_bounds`.
                TimeBound::IndexEarliest | TimeBound::IndexLatest => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// Takes `_index_earliest=`/`_index_latest=` out of the top-level AND of the base search, as
/// epoch seconds (`_indextime` is kept in seconds, as Splunk's): lower bound inclusive, upper
/// exclusive. They select events by when they were indexed, so they become a range over the
/// `_indextime` column of each bucket rather than a bound on which buckets are read.
fn take_index_bounds(
    expr: &mut SearchExpr,
    now: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<(Option<i64>, Option<i64>), SearchError> {
    let mut bounds = (None, None);
    let mut take = |e: &mut SearchExpr| -> Result<(), SearchError> {
        if let SearchExpr::TimeBound { bound, value, .. } = e {
            if matches!(bound, TimeBound::IndexEarliest | TimeBound::IndexLatest) {
                let secs = resolve_time(Some(value), now, tz)?.map(|ns| {
                    ns.div_euclid(1_000_000_000) + i64::from(ns.rem_euclid(1_000_000_000) != 0)
                });
                match bound {
                    TimeBound::IndexEarliest => bounds.0 = secs,
                    _ => bounds.1 = secs,
                }
                *e = SearchExpr::All;
            }
        }
        Ok(())
    };
    match &mut *expr {
        SearchExpr::And(items) => {
            for i in items.iter_mut() {
                take(i)?;
            }
        }
        e => take(e)?,
    }
    if contains_index_bound(expr) {
        return Err(SearchError::Invalid(
            "_index_earliest and _index_latest apply to the whole search: put them outside OR and NOT".into(),
        ));
    }
    Ok(bounds)
}

fn contains_index_bound(expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::TimeBound { bound, .. } => {
            matches!(bound, TimeBound::IndexEarliest | TimeBound::IndexLatest)
        }
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().any(contains_index_bound),
        SearchExpr::Not(inner) => contains_index_bound(inner),
        _ => false,
    }
}

/// Indexes a search may touch: not the internal ones unless named, never outside the scope.
fn candidate_indexes(store: &Store, scope: &SearchScope, base: &SearchExpr) -> Vec<String> {
    scope_indexes(store, scope, names_internal_index(base), names_index(base))
}

/// Indexes within `scope`: the internal ones only when `internal`, and when the search names
/// no index (`named` false) a role's `default_indexes` (they may be internal: the auditor's is
/// `_audit`). The catalog commands choose theirs through here too.
pub(crate) fn scope_indexes(
    store: &Store,
    scope: &SearchScope,
    internal: bool,
    named: bool,
) -> Vec<String> {
    let defaults = scope
        .role
        .as_ref()
        .and_then(|r| r.default_indexes.as_ref())
        .filter(|_| !named);
    store
        .index_names()
        .into_iter()
        .filter(|i| match defaults {
            Some(d) => d.iter().any(|p| loupe_access::role::index_matches(p, i)),
            None => internal || !i.starts_with('_'),
        })
        .filter(|i| scope.allows_index(i))
        .collect()
}

/// True when the base search says which index it reads (`index=…`, `index IN (…)`).
fn names_index(expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::Field { field, .. } | SearchExpr::FieldIn { field, .. } => {
            field.eq_ignore_ascii_case("index")
        }
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().any(names_index),
        _ => false,
    }
}

/// Lookup tables are decided here, once per pipeline (subsearches are planned through here
/// too), before anything runs: a table outside the grant is 403 whether it exists or not, and
/// an `outputlookup` that may not write never runs its search.
fn check_lookup_access(
    pipeline: &loupe_query::Pipeline,
    grant: &lookups::LookupGrant,
) -> Result<(), SearchError> {
    let denied = |name: &str, action: &'static str| {
        SearchError::Forbidden(
            LookupError::Denied {
                name: name.to_string(),
                who: grant.who.clone(),
                action,
            }
            .to_string(),
        )
    };
    for cmd in &pipeline.commands {
        match &cmd.kind {
            CommandKind::Lookup(l) if !grant.may_read(&l.table) => {
                return Err(denied(&l.table, "read"))
            }
            CommandKind::Inputlookup(i) if !grant.may_read(&i.table) => {
                return Err(denied(&i.table, "read"))
            }
            CommandKind::Outputlookup(o) if !grant.may_write(&o.table) => {
                return Err(denied(&o.table, "write"))
            }
            _ => {}
        }
    }
    Ok(())
}

/// `index=../../etc` is refused by name, not answered "no such index": an index pattern holds
/// the letters of index names (in any case, as Splunk compares them) and `*`.
fn check_index_names(expr: &SearchExpr) -> Result<(), SearchError> {
    let check = |value: &str| {
        let lower = value.to_lowercase();
        let plain = lower.replace('*', "a");
        match lower == "*" || crate::store::validate_index_name(&plain).is_ok() {
            true => Ok(()),
            false => Err(SearchError::Invalid(
                crate::store::StoreError::BadIndexName(value.to_string()).to_string(),
            )),
        }
    };
    match expr {
        SearchExpr::Field { field, value, .. } if field.eq_ignore_ascii_case("index") => {
            check(value)
        }
        SearchExpr::FieldIn { field, values, .. } if field.eq_ignore_ascii_case("index") => {
            values.iter().try_for_each(|v| check(v))
        }
        SearchExpr::And(items) | SearchExpr::Or(items) => {
            items.iter().try_for_each(check_index_names)
        }
        SearchExpr::Not(inner) => check_index_names(inner),
        _ => Ok(()),
    }
}

/// True when the search names an internal index (`index=_internal`, `index=_*`), as Splunk requires.
fn names_internal_index(expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::Field { field, value, .. } => {
            field.eq_ignore_ascii_case("index") && value.starts_with('_')
        }
        SearchExpr::FieldIn { field, values, .. } => {
            field.eq_ignore_ascii_case("index") && values.iter().any(|v| v.starts_with('_'))
        }
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().any(names_internal_index),
        _ => false,
    }
}

/// True when every event of the bucket lies inside the search's time range (no range clause needed).
fn covers(b: &Bucket, earliest: Option<i64>, latest: Option<i64>) -> bool {
    b.time_range()
        .is_some_and(|(lo, hi)| earliest.is_none_or(|e| lo >= e) && latest.is_none_or(|l| hi < l))
}

/// The time range of the data in the chosen buckets (end exclusive), for open-ended searches.
fn data_range(plans: &[(Arc<Bucket>, Pushed)]) -> (Option<i64>, Option<i64>) {
    let lo = plans
        .iter()
        .filter_map(|(b, _)| b.time_range().map(|r| r.0))
        .min();
    let hi = plans
        .iter()
        .filter_map(|(b, _)| b.time_range().map(|r| r.1 + 1))
        .max();
    (lo, hi)
}

fn with_time(b: &Bucket, p: Pushed, earliest: Option<i64>, latest: Option<i64>) -> Box<dyn Query> {
    // A bucket wholly inside the range needs no range clause.
    let inside = covers(b, earliest, latest);
    let range = if inside {
        None
    } else {
        pushdown::time_range(&b.fields, earliest, latest)
    };
    match range {
        None => p.into_query(),
        Some(r) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, p.into_query()),
            (Occur::Must, r),
        ])),
    }
}

/// Event counts per `span` seconds in one bucket: from its per-minute summary when the whole bucket
/// matches and the span is whole minutes, else from the `_time` column of the matching documents.
fn histogram_bucket(
    b: &Bucket,
    p: Pushed,
    span: i64,
    earliest: Option<i64>,
    latest: Option<i64>,
) -> Result<BTreeMap<i64, u64>, SearchError> {
    let inside = covers(b, earliest, latest);
    let mut out = BTreeMap::new();
    if inside && matches!(p, Pushed::All) && span % 60 == 0 {
        for (minute, n) in b.summary().minutes {
            *out.entry((minute * 60).div_euclid(span) * span)
                .or_default() += n;
        }
        return Ok(out);
    }
    let searcher = b.reader.searcher();
    for (t, _) in matching_timed(b, &searcher, p, (earliest, latest), true)? {
        // An event without a time (`i64::MIN`) has no bin.
        if t != i64::MIN {
            *out.entry(t.div_euclid(1_000_000_000).div_euclid(span) * span)
                .or_default() += 1;
        }
    }
    Ok(out)
}

fn count_bucket(
    b: &Bucket,
    p: Pushed,
    earliest: Option<i64>,
    latest: Option<i64>,
) -> Result<u64, SearchError> {
    let inside = covers(b, earliest, latest);
    if inside && matches!(p, Pushed::All) {
        return Ok(b.reader.searcher().num_docs());
    }
    let q = with_time(b, p, earliest, latest);
    Ok(b.reader.searcher().search(&*q, &Count)? as u64)
}

/// Newest `n` matching events, walking buckets newest first and stopping early.
fn newest_events(
    plans: Vec<(Arc<Bucket>, Pushed)>,
    earliest: Option<i64>,
    latest: Option<i64>,
    n: usize,
    guard: &SearchGuard,
    stats: &mut SearchStats,
) -> Result<Vec<EventOut>, SearchError> {
    let mut found: Vec<(i64, Arc<Bucket>, DocAddress)> = Vec::new();
    for (b, p) in plans {
        guard.check()?;
        if found.len() >= n {
            let nth = found[n - 1].0;
            if b.time_range().is_some_and(|(_, hi)| hi < nth) {
                break;
            }
        }
        if n == 0 {
            break;
        }
        let q = with_time(&b, p, earliest, latest);
        let searcher = b.reader.searcher();
        let collector = TopDocs::with_limit(n).order_by_fast_field::<i64>("_time", Order::Desc);
        let (top, count) = searcher.search(&*q, &(collector, Count))?;
        stats.matched += count as u64;
        for (t, addr) in top {
            found.push((t.unwrap_or(i64::MIN), b.clone(), addr));
        }
        found.sort_by_key(|(t, _, _)| std::cmp::Reverse(*t));
        found.truncate(n);
    }
    let mut out = Vec::with_capacity(found.len());
    for (t, b, addr) in found {
        let searcher = b.reader.searcher();
        let doc: TantivyDocument = searcher.doc(addr)?;
        let raw = doc
            .get_first(b.fields.raw)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let fast = searcher.segment_reader(addr.segment_ord).fast_fields();
        let keyword = |name: &str| -> Result<String, SearchError> {
            let mut s = String::new();
            if let Some(col) = fast.str(name)? {
                if let Some(ord) = col.term_ords(addr.doc_id).next() {
                    col.ord_to_str(ord, &mut s)
                        .map_err(|e| SearchError::Internal(e.to_string()))?;
                }
            }
            Ok(s)
        };
        out.push(EventOut {
            time: format_time(t),
            time_ns: t,
            raw,
            host: keyword("host")?,
            source: keyword("source")?,
            sourcetype: keyword("sourcetype")?,
            index: b.key.index.clone(),
        });
    }
    Ok(out)
}

/// RFC 3339 in UTC with as many decimals as needed.
pub fn format_time(ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ns.to_string())
}

/// Counts of a search's events per time bin over its whole range (the console's timeline).
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// Bin width in seconds.
    pub span: i64,
    pub buckets: Vec<TimelineBin>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineBin {
    /// Start of the bin, RFC 3339.
    pub time: String,
    pub count: u64,
}

/// Bin widths a timeline may use, as Splunk's: the smallest giving at most `TIMELINE_BINS`.
const TIMELINE_SPANS: [i64; 17] = [
    1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800,
    2_592_000,
];
const TIMELINE_BINS: i64 = 300;

fn timeline_span(range_s: i64) -> i64 {
    TIMELINE_SPANS
        .iter()
        .copied()
        .find(|s| range_s / s <= TIMELINE_BINS)
        .unwrap_or(TIMELINE_SPANS[TIMELINE_SPANS.len() - 1])
}

/// The timeline of a search's base search (what it matched, before any command), from
/// bucket summaries and the `_time` column when the index answers the base search, else
/// through `timechart` over the matching rows.
pub fn timeline(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<Timeline, SearchError> {
    timeline_located(store, scope, req).map_err(|e| e.locate(&req.query))
}

fn timeline_located(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<Timeline, SearchError> {
    let p = prepare(store, scope, req)?;
    let plans = p.bucket_plans(store)?;
    let (data_lo, data_hi) = data_range(&plans);
    let (Some(lo), Some(hi)) = (p.earliest.or(data_lo), p.latest.or(data_hi)) else {
        return Ok(Timeline {
            span: 60,
            buckets: Vec::new(),
        });
    };
    let (lo_s, hi_s) = (
        lo.div_euclid(1_000_000_000),
        (hi + 999_999_999).div_euclid(1_000_000_000),
    );
    let span = timeline_span(hi_s - lo_s);
    let mut total: BTreeMap<i64, u64> = BTreeMap::new();
    if p.scan && !p.row_filter {
        let maps = plans
            .into_par_iter()
            .map(|(b, pushed)| {
                req.guard.check()?;
                histogram_bucket(&b, pushed, span, p.earliest, p.latest)
            })
            .collect::<Result<Vec<_>, SearchError>>()?;
        for m in maps {
            for (k, n) in m {
                *total.entry(k).or_default() += n;
            }
        }
    } else if p.scan {
        // A search-time field in the base search: the rows decide, through timechart.
        // Binned on the same grid as the index path (whole spans from the epoch), not by
        // `timechart`, whose day-sized bins begin at the search zone's midnight.
        let p = base_then(
            p,
            &format!("eval loupe_timeline_bin=floor(_time / {span}) * {span} | stats count by loupe_timeline_bin"),
        )?;
        let quiet = SearchRequest {
            watch: None,
            ..req.clone()
        };
        for row in execute(store, p, &quiet, Instant::now())?.rows {
            let bin = row.get("loupe_timeline_bin").and_then(|v| v.as_f64());
            if let (Some(bin), Some(n)) = (bin, row.get("count").and_then(|v| v.as_u64())) {
                *total.entry(bin as i64).or_default() += n;
            }
        }
    }
    let mut buckets = Vec::new();
    let mut t = lo_s.div_euclid(span) * span;
    while t < hi_s && buckets.len() < 10_000 {
        buckets.push(TimelineBin {
            time: format_time(t * 1_000_000_000),
            count: total.get(&t).copied().unwrap_or(0),
        });
        t += span;
    }
    Ok(Timeline { span, buckets })
}

/// What the events of a search hold, field by field (the console's fields sidebar).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldSummary {
    /// Events the summary was made over (the newest, up to the cap).
    pub events: u64,
    pub fields: BTreeMap<String, FieldStats>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldStats {
    /// Events holding the field.
    pub count: u64,
    /// `count / events`.
    pub coverage: f64,
    /// Distinct values (exact up to `SUMMARY_DISTINCT`, then a floor).
    pub distinct: u64,
    pub top: Vec<TopValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopValue {
    pub value: String,
    pub count: u64,
}

/// Distinct values tracked per field; beyond, `distinct` stops growing (and says "at least").
const SUMMARY_DISTINCT: usize = 10_000;

/// Field coverage, distinct counts and top 10 values over the newest `max_events` events of
/// the search's base search, every field extracted.
pub fn summary(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
    max_events: usize,
) -> Result<FieldSummary, SearchError> {
    let p = prepare(store, scope, req).map_err(|e| e.locate(&req.query))?;
    if !p.scan {
        return Ok(FieldSummary::default());
    }
    let mut p = base_then(p, &format!("head {max_events} | table *"))?;
    p.limit = max_events;
    let plans = p.bucket_plans(store)?;
    let mut stats = SearchStats::default();
    let rows = pipeline_rows(store, p, plans, &mut stats)?;
    let mut counts: BTreeMap<String, (u64, HashMap<String, u64>)> = BTreeMap::new();
    for row in &rows {
        for (k, v) in row.iter() {
            if k.starts_with('_') {
                continue;
            }
            let entry = counts.entry(k.to_string()).or_default();
            entry.0 += 1;
            let values: Vec<String> = match v {
                Value::Multi(items) => items.iter().map(|x| x.to_string()).collect(),
                other => vec![other.to_string()],
            };
            for value in values {
                let len = entry.1.len();
                match entry.1.get_mut(&value) {
                    Some(n) => *n += 1,
                    None if len < SUMMARY_DISTINCT => {
                        entry.1.insert(value, 1);
                    }
                    None => {}
                }
            }
        }
    }
    let events = rows.len() as u64;
    let fields = counts
        .into_iter()
        .map(|(name, (count, values))| {
            let mut top: Vec<TopValue> = values
                .iter()
                .map(|(v, n)| TopValue {
                    value: v.clone(),
                    count: *n,
                })
                .collect();
            top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            top.truncate(10);
            let stats = FieldStats {
                count,
                coverage: if events == 0 {
                    0.0
                } else {
                    count as f64 / events as f64
                },
                distinct: values.len() as u64,
                top,
            };
            (name, stats)
        })
        .collect();
    Ok(FieldSummary { events, fields })
}

/// How many events the base search of `req` matches (a job that kept only its newest events
/// still reports them all): from the index when it answers the base search, else by rows.
pub fn count_matching(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<u64, SearchError> {
    let p = prepare(store, scope, req).map_err(|e| e.locate(&req.query))?;
    if !p.scan {
        return Ok(0);
    }
    let quiet = SearchRequest {
        watch: None,
        ..req.clone()
    };
    let resp = execute(store, base_then(p, "stats count")?, &quiet, Instant::now())?;
    Ok(resp
        .rows
        .first()
        .and_then(|r| r.get("count"))
        .and_then(|v| v.as_u64())
        .unwrap_or(0))
}

/// The events of one bucket a search matches, as addresses in `searcher`.
pub struct BucketMatches {
    pub bucket: Arc<Bucket>,
    pub searcher: tantivy::Searcher,
    pub docs: Vec<DocAddress>,
}

/// A row of a search's answer, as JSON.
pub type JsonRow = serde_json::Map<String, serde_json::Value>;

/// What an erasure would remove: every event the base search `req.query` matches in
/// `scope` (its indexes, row filter, time window, masking: nobody erases what they cannot
/// see), bucket by bucket, and the first `sample` of them as rows. A pipeline is refused:
/// an erasure removes events, and a command after the search would change which ones only
/// in ways nobody could check beforehand.
pub fn erasure_matches(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
    sample: usize,
) -> Result<(Vec<BucketMatches>, Vec<JsonRow>), SearchError> {
    let p = prepare(store, scope, req).map_err(|e| e.locate(&req.query))?;
    if !p.scan || p.pipeline.commands.len() > p.first_op {
        return Err(SearchError::Invalid(
            "an erasure takes a search expression (terms, field=value, index=, earliest=), not a pipeline with |".into(),
        ));
    }
    let filter = p.row_filter.then(|| rows::RowFilter::new(&p.base));
    let needs = FieldNeeds::All;
    let mut out = Vec::new();
    let mut rows_out = Vec::new();
    for (b, pushed) in p.bucket_plans(store)? {
        p.guard.check()?;
        let searcher = b.reader.searcher();
        let timed = matching_newest_first(&b, &searcher, pushed, (p.earliest, p.latest))?;
        let reader = rows::RowReader::new(&b, &searcher, &needs).masked(p.masker.as_deref());
        let mut cache = rows::KeywordCache::default();
        let mut docs = Vec::with_capacity(timed.len());
        for (t, addr) in timed {
            if filter.is_none() && rows_out.len() >= sample {
                docs.push(addr);
                continue;
            }
            let row = reader
                .row(&mut cache, addr, t)
                .map_err(SearchError::Internal)?;
            if filter.as_ref().is_none_or(|f| f.matches(&row)) {
                docs.push(addr);
                if rows_out.len() < sample {
                    rows_out.push(row_json(&row));
                }
            }
        }
        if !docs.is_empty() {
            docs.sort_unstable();
            out.push(BucketMatches {
                bucket: b,
                searcher,
                docs,
            });
        }
    }
    Ok((out, rows_out))
}
