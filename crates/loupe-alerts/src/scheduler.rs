//! The [`Scheduler`]: which saved searches are due, running them on a bounded pool of worker
//! threads, and what each run leaves behind.
//!
//! It is driven by [`Scheduler::tick`]`(now)`: the indexer's [`Scheduler::spawn`] thread calls it
//! about every second with the real clock; tests call it with whatever instant they like and
//! then [`Scheduler::wait_idle`], so nothing sleeps.
//!
//! Guarantees, and how they are kept:
//! - **One run per scheduled time, across restarts.** Each search has a *cursor* in the
//!   [`StateStore`]: the scheduled time up to which its schedule is handled. A tick moves the
//!   cursor over the times it dispatches *before* they run (claim, then run), so a new
//!   `Scheduler` over the same store never runs them again. The price, chosen on purpose: if
//!   the process dies in the middle of a run, that run is lost rather than done twice (no
//!   double e-mail); the missing `_scheduler` event shows it.
//! - **No storm after downtime.** Due times are those in `(cursor, now]`. Under
//!   `catch_up = skip` only the newest runs and the others are recorded as one skipped event;
//!   under `run_missed` they all run, oldest first, up to [`SchedulerConfig::catch_up_cap`]
//!   (the newest ones; older ones are recorded as skipped).
//! - **Runs of one search never overlap.** A search whose run is in flight is not dispatched
//!   again; its due times wait for the next tick after the run ends, and catch-up applies.
//! - **A slow search does not delay the others.** Runs execute on
//!   [`SchedulerConfig::workers`] threads; a search's several due times are one job (run in
//!   order), so one slow search holds one worker.
//! - **`schedule_window`** is how long a due run may wait in the queue for a free worker; one
//!   that starts later than its window after it was dispatched is skipped and recorded.
//!   Without a window a run waits as long as it takes.
//! - **Disabled searches** do not run and forget their cursor, throttles and firing state:
//!   enabling one again starts its schedule from then, without catching up the disabled time.
//! - **The scheduled time defines the window**: `earliest`/`latest` are resolved against it
//!   ([`crate::schedule::run_window`]), however late the run starts.
//! - **Every run is an event** in `_scheduler` (a [`RunRecord`]): duration, lag, result count,
//!   fired, throttled, each action's outcome, errors; failed and skipped runs too, so a saved
//!   search over `index=_scheduler status!=success` is a saved-search health alert.

use crate::actions::{run_action, ActionConfig, Firing};
use crate::clock::{Clock, Sleeper};
use crate::condition::CompiledCondition;
use crate::error::AlertError;
use crate::record::{FiredRecord, RunRecord, RunStatus, StateChange};
use crate::schedule::{parse_duration, run_window, zone_name, zone_of, Schedule};
use crate::searcher::{
    EventSink, SearchRequest, SearchResults, Searcher, ALERTS_INDEX, SCHEDULER_INDEX,
};
use crate::state::{AlertState, StateStore};
use crate::throttle::candidates;
use crossbeam_channel::{Receiver, Sender};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use loupe_meta::{CatchUp, SavedSearch};
use parking_lot::{Condvar, Mutex, RwLock};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the scheduler is given by the indexer.
#[derive(Clone)]
pub struct SchedulerDeps {
    /// Runs the queries.
    pub searcher: Arc<dyn Searcher>,
    /// Persists cursors, throttles, alert states and history.
    pub state: Arc<dyn StateStore>,
    /// Receives `_scheduler` and `_alerts` events.
    pub sink: Arc<dyn EventSink>,
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// Waits between action retries.
    pub sleeper: Arc<dyn Sleeper>,
}

/// Tunables, with the server's defaults.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Runs at once (bounded concurrency). Default 4.
    pub workers: usize,
    /// Most missed times one search catches up under `run_missed`. Default 24.
    pub catch_up_cap: usize,
    /// Zone of saved searches without `timezone` (the server's).
    pub default_timezone: TimeZone,
    /// Runs whose results are kept when the search has no `keep_runs`. Default 10.
    pub keep_runs: usize,
    /// Rows kept in a firing's record (`/api/v1/alerts/fired`, `_alerts`). Default 100.
    pub fired_rows_cap: usize,
    /// The actions' configuration (`[email]`, `[scripts]`, console URL, retries).
    pub actions: ActionConfig,
}

impl Default for SchedulerConfig {
    fn default() -> SchedulerConfig {
        SchedulerConfig {
            workers: 4,
            catch_up_cap: 24,
            default_timezone: TimeZone::system(),
            keep_runs: 10,
            fired_rows_cap: 100,
            actions: ActionConfig::default(),
        }
    }
}

/// A saved search checked once: its schedule, zone, condition and durations.
#[derive(Debug)]
struct Entry {
    saved: SavedSearch,
    tz: TimeZone,
    schedule: Option<Schedule>,
    condition: Option<CompiledCondition>,
    throttle: Option<SignedDuration>,
    window: Option<SignedDuration>,
    busy: Arc<AtomicBool>,
}

/// Checks a saved search as the scheduler will run it (cron, zone, durations, `where`), for
/// the API to refuse a broken one with 400 at save time.
pub fn validate(saved: &SavedSearch, default_tz: &TimeZone) -> Result<(), AlertError> {
    compile(saved, default_tz, Arc::default()).map(|_| ())
}

fn compile(
    saved: &SavedSearch,
    default_tz: &TimeZone,
    busy: Arc<AtomicBool>,
) -> Result<Entry, AlertError> {
    let tz = zone_of(saved.timezone.as_deref(), default_tz)?;
    let schedule = saved
        .cron
        .as_deref()
        .map(|c| Schedule::parse(c, tz.clone()))
        .transpose()?;
    let condition = saved
        .alert
        .as_ref()
        .map(|a| CompiledCondition::new(&a.condition))
        .transpose()?;
    let throttle = saved
        .alert
        .as_ref()
        .and_then(|a| a.throttle.as_deref())
        .map(|t| parse_duration(t, "throttle"))
        .transpose()?;
    let window = saved
        .schedule_window
        .as_deref()
        .map(|t| parse_duration(t, "schedule_window"))
        .transpose()?;
    // A window that does not resolve is a save-time error too.
    let probe = Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH);
    run_window(saved, probe, &tz)?;
    Ok(Entry {
        saved: saved.clone(),
        tz,
        schedule,
        condition,
        throttle,
        window,
        busy,
    })
}

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TickReport {
    /// Searches dispatched, with the scheduled times of their job (oldest first).
    pub dispatched: Vec<(String, Vec<Timestamp>)>,
    /// Due searches left for a later tick because their previous run is still going.
    pub busy: Vec<String>,
    /// Searches whose state could not be read or written.
    pub errors: Vec<(String, String)>,
}

struct Job {
    entry: Arc<Entry>,
    times: Vec<Timestamp>,
    dispatched: Timestamp,
}

struct Shared {
    deps: SchedulerDeps,
    config: SchedulerConfig,
    searches: RwLock<BTreeMap<String, Arc<Entry>>>,
    busy_flags: Mutex<HashMap<String, Arc<AtomicBool>>>,
    in_flight: Mutex<usize>,
    idle: Condvar,
}

/// Runs saved searches on their schedules. See the module documentation for its guarantees.
pub struct Scheduler {
    shared: Arc<Shared>,
    tx: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl Scheduler {
    /// Starts the worker threads; no search is scheduled until [`Scheduler::set_searches`].
    pub fn new(deps: SchedulerDeps, config: SchedulerConfig) -> Scheduler {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let shared = Arc::new(Shared {
            deps,
            config,
            searches: RwLock::new(BTreeMap::new()),
            busy_flags: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(0),
            idle: Condvar::new(),
        });
        let workers = (0..shared.config.workers.max(1))
            .map(|i| {
                let shared = shared.clone();
                let rx: Receiver<Job> = rx.clone();
                std::thread::Builder::new()
                    .name(format!("loupe-scheduler-{i}"))
                    .spawn(move || worker(shared, rx))
                    .expect("spawning a scheduler worker thread")
            })
            .collect();
        Scheduler {
            shared,
            tx: Some(tx),
            workers,
        }
    }

    /// Replaces the set of saved searches (all of them: the indexer passes what its metadata
    /// holds after each change). A deleted search's state stays in the [`StateStore`] until the
    /// indexer calls [`StateStore::forget`] (its history is kept either way). Invalid ones are left out and returned with their error; a
    /// search whose run is in flight keeps its busy flag, so an edit never makes two runs overlap.
    pub fn set_searches(&self, searches: Vec<SavedSearch>) -> Vec<(String, AlertError)> {
        let mut errors = Vec::new();
        let mut map = BTreeMap::new();
        let mut flags = self.shared.busy_flags.lock();
        for s in searches {
            let busy = flags.entry(s.name.clone()).or_default().clone();
            match compile(&s, &self.shared.config.default_timezone, busy) {
                Ok(e) => {
                    map.insert(s.name.clone(), Arc::new(e));
                }
                Err(e) => errors.push((s.name.clone(), e)),
            }
        }
        flags.retain(|name, flag| map.contains_key(name) || flag.load(Ordering::SeqCst));
        *self.shared.searches.write() = map;
        errors
    }

    /// Dispatches every run due at `now`; returns at once (runs go on on the workers).
    pub fn tick(&self, now: Timestamp) -> TickReport {
        let mut report = TickReport::default();
        let entries: Vec<Arc<Entry>> = self.shared.searches.read().values().cloned().collect();
        let state = &self.shared.deps.state;
        for entry in entries {
            let Some(schedule) = &entry.schedule else {
                continue;
            };
            let name = &entry.saved.name;
            let cursor = match state.cursor(name) {
                Ok(c) => c,
                Err(e) => {
                    report.errors.push((name.clone(), e.to_string()));
                    continue;
                }
            };
            if !entry.saved.enabled {
                // A disabled search forgets its schedule (and throttles and firing state), so
                // enabling it again starts afresh instead of catching up the disabled time.
                if cursor.is_some() && !entry.busy.load(Ordering::SeqCst) {
                    if let Err(e) = state.forget(name) {
                        report.errors.push((name.clone(), e.to_string()));
                    }
                }
                continue;
            }
            let Some(cursor) = cursor else {
                // First sight of this search: its schedule starts now, history is not replayed.
                if let Err(e) = state.set_cursor(name, now) {
                    report.errors.push((name.clone(), e.to_string()));
                }
                continue;
            };
            if now <= cursor {
                continue;
            }
            let cap = match entry.saved.catch_up {
                CatchUp::Skip => 1,
                CatchUp::RunMissed => self.shared.config.catch_up_cap.max(1),
            };
            let (mut times, more) = schedule.times_back(cursor, now, cap);
            if times.is_empty() {
                continue;
            }
            if entry.busy.load(Ordering::SeqCst) {
                report.busy.push(name.clone());
                continue;
            }
            times.reverse();
            let newest = times[times.len() - 1];
            if let Err(e) = state.set_cursor(name, newest) {
                report.errors.push((name.clone(), e.to_string()));
                continue;
            }
            if more {
                self.shared
                    .record_missed(&entry, schedule, cursor, times[0]);
            }
            entry.busy.store(true, Ordering::SeqCst);
            *self.shared.in_flight.lock() += 1;
            report.dispatched.push((name.clone(), times.clone()));
            let job = Job {
                entry: entry.clone(),
                times,
                dispatched: now,
            };
            if let Some(tx) = &self.tx {
                if tx.send(job).is_err() {
                    entry.busy.store(false, Ordering::SeqCst);
                    self.shared.done_one();
                }
            }
        }
        report
    }

    /// Blocks until no run is queued or running (tests, and an orderly shutdown).
    pub fn wait_idle(&self) {
        let mut n = self.shared.in_flight.lock();
        while *n > 0 {
            self.shared.idle.wait(&mut n);
        }
    }

    /// Runs a saved search now, on the calling thread (`loupe saved run`, the console's "Run"),
    /// as if scheduled at the clock's current time: conditions, throttles and actions apply, the
    /// cursor does not move. Refused while a run of the same search is in flight.
    pub fn run_now(&self, name: &str) -> Result<RunRecord, AlertError> {
        let entry = self
            .shared
            .searches
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| AlertError::UnknownSearch(name.to_string()))?;
        if entry.busy.swap(true, Ordering::SeqCst) {
            return Err(AlertError::Busy(name.to_string()));
        }
        let now = self.shared.deps.clock.now();
        let record = self.shared.run_one(&entry, now, now);
        entry.busy.store(false, Ordering::SeqCst);
        Ok(record)
    }

    /// The next scheduled time of any enabled search after `t` (for a caller that wants to sleep
    /// exactly until then).
    pub fn next_due_after(&self, t: Timestamp) -> Option<Timestamp> {
        self.shared
            .searches
            .read()
            .values()
            .filter(|e| e.saved.enabled)
            .filter_map(|e| e.schedule.as_ref()?.next_after(t))
            .min()
    }

    /// Ticks on a thread of its own with the deps' clock, at each whole second (so six-field
    /// patterns run on their second), until the handle is stopped or dropped.
    pub fn spawn(self: Arc<Self>) -> SchedulerHandle {
        let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(1);
        let clock = self.shared.deps.clock.clone();
        let join = std::thread::Builder::new()
            .name("loupe-scheduler-tick".into())
            .spawn(move || loop {
                let now = clock.now();
                let report = self.tick(now);
                for (name, err) in &report.errors {
                    tracing::warn!(search = %name, error = %err, "scheduler state");
                }
                let into_second = now.subsec_nanosecond().max(0) as u64;
                let wait = Duration::from_nanos(1_000_000_000 - into_second.min(999_999_999));
                match stop_rx.recv_timeout(wait) {
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            })
            .expect("spawning the scheduler thread");
        SchedulerHandle {
            stop: Some(stop_tx),
            join: Some(join),
        }
    }
}

impl Drop for Scheduler {
    /// Closes the queue and waits for the runs in flight (they are claimed: leaving them
    /// half-done would lose them).
    fn drop(&mut self) {
        self.tx.take();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// The ticking thread of [`Scheduler::spawn`].
pub struct SchedulerHandle {
    stop: Option<Sender<()>>,
    join: Option<JoinHandle<()>>,
}

impl SchedulerHandle {
    /// Stops ticking and waits for the thread (runs in flight finish on the workers).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for SchedulerHandle {
    fn drop(&mut self) {
        self.halt();
    }
}

fn worker(shared: Arc<Shared>, rx: Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        for &t in &job.times {
            shared.run_one(&job.entry, t, job.dispatched);
        }
        job.entry.busy.store(false, Ordering::SeqCst);
        shared.done_one();
    }
}

/// `scheduler__<name>__<epoch>`: stable for a scheduled time, so the indexer's job, the kept
/// results and the `_scheduler` event of one run share it.
pub fn sid_for(name: &str, scheduled: Timestamp) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("scheduler__{clean}__{}", scheduled.as_second())
}

/// The console page of a search over a window (DESIGN §4 console pages).
pub fn results_link(
    console_url: &str,
    query: &str,
    earliest: Option<Timestamp>,
    latest: Timestamp,
) -> String {
    let q = utf8_percent_encode(query, NON_ALPHANUMERIC);
    let e = earliest
        .map(|t| t.as_second().to_string())
        .unwrap_or_else(|| "0".into());
    format!(
        "{}/search?q={q}&earliest={e}&latest={}",
        console_url.trim_end_matches('/'),
        latest.as_second()
    )
}

impl Shared {
    fn done_one(&self) {
        let mut n = self.in_flight.lock();
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.idle.notify_all();
        }
    }

    fn emit(&self, index: &str, event: serde_json::Value) {
        if let Err(e) = self.deps.sink.emit(index, event) {
            tracing::warn!(index, error = %e, "scheduler event not indexed");
        }
    }

    fn skipped(&self, entry: &Entry, scheduled: Timestamp, reason: String) -> RunRecord {
        RunRecord {
            search_name: entry.saved.name.clone(),
            sid: sid_for(&entry.saved.name, scheduled),
            scheduled_time: scheduled,
            started: None,
            lag_ms: 0,
            duration_ms: 0.0,
            earliest: None,
            latest: None,
            status: RunStatus::Skipped,
            reason: Some(reason),
            error: None,
            result_count: None,
            fired: false,
            firings: 0,
            throttled: 0,
            state_change: None,
            actions: Vec::new(),
            actions_failed: 0,
        }
    }

    /// One skipped event for the times in `(cursor, before)` that will not run.
    fn record_missed(
        &self,
        entry: &Entry,
        schedule: &Schedule,
        cursor: Timestamp,
        before: Timestamp,
    ) {
        let Some(upto) = before.checked_sub(SignedDuration::from_nanos(1)).ok() else {
            return;
        };
        let (missed, more) = schedule.times_back(cursor, upto, 10_000);
        let Some(&newest) = missed.first() else {
            return;
        };
        let oldest = missed[missed.len() - 1];
        let count = if more {
            format!("more than {}", missed.len())
        } else {
            missed.len().to_string()
        };
        let policy = match entry.saved.catch_up {
            CatchUp::Skip => "catch_up = skip runs only the newest".to_string(),
            CatchUp::RunMissed => format!(
                "catch_up = run_missed runs at most {}",
                self.config.catch_up_cap
            ),
        };
        let reason = format!(
            "{count} scheduled time(s) from {oldest} to {newest} not run (scheduler down or previous run still running; {policy})"
        );
        let mut record = self.skipped(entry, newest, reason);
        record.result_count = None;
        self.finish(entry, record, None);
    }

    fn finish(
        &self,
        entry: &Entry,
        record: RunRecord,
        results: Option<&SearchResults>,
    ) -> RunRecord {
        let keep = entry.saved.keep_runs.unwrap_or(self.config.keep_runs);
        if let Err(e) = self.deps.state.append_run(&record, results, keep) {
            tracing::warn!(search = %record.search_name, error = %e, "run history not written");
        }
        self.emit(SCHEDULER_INDEX, record.to_event());
        record
    }

    fn run_one(&self, entry: &Entry, scheduled: Timestamp, dispatched: Timestamp) -> RunRecord {
        let started = self.deps.clock.now();
        if let Some(window) = entry.window {
            let from = dispatched.max(scheduled);
            if started.duration_since(from) > window {
                let reason = format!(
                    "waited {}s for a free worker, past schedule_window {}s",
                    started.duration_since(from).as_secs(),
                    window.as_secs()
                );
                return self.finish(entry, self.skipped(entry, scheduled, reason), None);
            }
        }
        let clock = Instant::now();
        let saved = &entry.saved;
        let mut record = self.skipped(entry, scheduled, String::new());
        record.status = RunStatus::Success;
        record.reason = None;
        record.started = Some(started);
        record.lag_ms = started.duration_since(scheduled).as_millis() as i64;
        let result = (|| -> Result<SearchResults, AlertError> {
            let (earliest, latest) = run_window(saved, scheduled, &entry.tz)?;
            record.earliest = earliest;
            record.latest = Some(latest);
            let req = SearchRequest {
                search_name: saved.name.clone(),
                sid: record.sid.clone(),
                query: saved.query.clone(),
                earliest,
                latest,
                timezone: zone_name(&entry.tz),
            };
            let results = self.deps.searcher.search(&req)?;
            record.result_count = Some(results.rows.len());
            if saved.alert.is_some() {
                self.alert(entry, &results, &mut record)?;
            }
            Ok(results)
        })();
        record.duration_ms = clock.elapsed().as_secs_f64() * 1e3;
        match result {
            Ok(results) => self.finish(entry, record, Some(&results)),
            Err(e) => {
                record.status = RunStatus::Failed;
                record.error = Some(e.to_string());
                self.finish(entry, record, None)
            }
        }
    }

    fn alert(
        &self,
        entry: &Entry,
        results: &SearchResults,
        record: &mut RunRecord,
    ) -> Result<(), AlertError> {
        let (Some(alert), Some(condition)) = (&entry.saved.alert, &entry.condition) else {
            return Ok(());
        };
        let name = &entry.saved.name;
        let state = &self.deps.state;
        let scheduled = record.scheduled_time;
        let previous = state.alert_state(name)?;
        let verdict = condition.evaluate(results, previous.previous_count);
        let mut next = AlertState {
            firing: previous.firing,
            since: previous.since,
            previous_count: verdict.count.or(previous.previous_count),
        };
        let earliest = record.earliest;
        let latest = record.latest.unwrap_or(scheduled);
        let link = results_link(
            &self.config.actions.console_url,
            &entry.saved.query,
            earliest,
            latest,
        );
        let sid = record.sid.clone();
        let firing_of = |key: String, rows: Vec<crate::searcher::Row>, resolved: bool| Firing {
            search_name: name.clone(),
            query: entry.saved.query.clone(),
            sid: sid.clone(),
            owner: "nobody".into(),
            app: "search".into(),
            results_link: link.clone(),
            severity: alert.severity,
            scheduled_time: scheduled,
            trigger_time: self.deps.clock.now(),
            earliest,
            latest,
            resolved,
            key,
            columns: results.columns.clone(),
            rows,
        };
        if verdict.met {
            record.state_change = Some(if previous.firing {
                StateChange::StillFiring
            } else {
                StateChange::Fired
            });
            next.firing = true;
            next.since = previous
                .since
                .filter(|_| previous.firing)
                .or(Some(scheduled));
            let mut fired_keys: HashSet<String> = HashSet::new();
            for c in candidates(alert.mode, &alert.throttle_fields, results, &verdict.rows) {
                if let Some(period) = entry.throttle {
                    let until = state.throttle_until(name, &c.key)?;
                    if fired_keys.contains(&c.key) || until.is_some_and(|u| u > scheduled) {
                        record.throttled += 1;
                        continue;
                    }
                    let until = scheduled.checked_add(period).unwrap_or(scheduled);
                    state.set_throttle_until(name, &c.key, until)?;
                    fired_keys.insert(c.key.clone());
                }
                let rows = c
                    .rows
                    .iter()
                    .filter_map(|&i| results.rows.get(i).cloned())
                    .collect();
                let firing = firing_of(c.key, rows, false);
                self.fire(alert, &firing, record)?;
                record.firings += 1;
            }
            record.fired = record.firings > 0;
        } else if previous.firing {
            record.state_change = Some(StateChange::Resolved);
            next.firing = false;
            next.since = None;
            if alert.notify_resolved {
                let firing = firing_of(String::new(), Vec::new(), true);
                self.fire(alert, &firing, record)?;
            }
        }
        state.set_alert_state(name, &next)?;
        Ok(())
    }

    fn fire(
        &self,
        alert: &loupe_meta::Alert,
        firing: &Firing,
        record: &mut RunRecord,
    ) -> Result<(), AlertError> {
        let outcomes: Vec<_> = alert
            .actions
            .iter()
            .map(|a| {
                run_action(
                    &self.config.actions,
                    self.deps.sink.as_ref(),
                    self.deps.sleeper.as_ref(),
                    a,
                    firing,
                )
            })
            .collect();
        record.actions_failed += outcomes.iter().filter(|o| !o.ok).count();
        record.actions.extend(outcomes.iter().cloned());
        let fired = FiredRecord {
            search_name: firing.search_name.clone(),
            sid: firing.sid.clone(),
            scheduled_time: firing.scheduled_time,
            trigger_time: firing.trigger_time,
            severity: firing.severity,
            resolved: firing.resolved,
            key: firing.key.clone(),
            result_count: firing.rows.len(),
            results: firing
                .rows
                .iter()
                .take(self.config.fired_rows_cap)
                .cloned()
                .collect(),
            results_link: firing.results_link.clone(),
            actions: outcomes,
        };
        self.deps.state.append_firing(&fired)?;
        self.emit(ALERTS_INDEX, fired.to_event());
        Ok(())
    }
}
