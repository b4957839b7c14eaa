//! Search jobs (`/api/v1/jobs`): a search started now and read later, page by page, while it
//! runs and after it ends — what the console stands on.
//!
//! A [`Job`] is created queued, waits for a search slot ([`Admission`]), runs on a blocking
//! thread under its own guard, and keeps its [`Watch`] (progress, preview) and finally its
//! whole answer. `DELETE` cancels it through the guard, so the search stops at its next check.
//! Finished jobs are forgotten after the TTL; at most `MAX_JOBS` are kept.

use crate::search::admission::{Admission, Refused};
use crate::search::watch::Watch;
use crate::search::{self, SearchError, SearchRequest, SearchResponse, SearchScope};
use crate::store::Store;
use loupe_query::{SearchGuard, Stop};
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Jobs kept at once (running and finished); past it, new jobs are refused with 503.
pub const MAX_JOBS: usize = 1000;

/// Rows of a running job's preview.
const PREVIEW_ROWS: usize = 1000;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

/// One search job.
pub struct Job {
    pub sid: String,
    /// Who started it (the token's name): only they read or cancel it.
    pub owner: String,
    pub request: SearchRequest,
    pub scope: SearchScope,
    pub watch: Arc<Watch>,
    created: Instant,
    state: Mutex<JobState>,
    cancelled: AtomicBool,
    guard: Mutex<Option<Arc<SearchGuard>>>,
    started: Mutex<Option<Instant>>,
    finished: Mutex<Option<Instant>>,
    answer: Mutex<Option<Arc<SearchResponse>>>,
    error: Mutex<Option<SearchError>>,
}

impl Job {
    pub fn state(&self) -> JobState {
        *self.state.lock()
    }

    /// The finished answer (done jobs only).
    pub fn answer(&self) -> Option<Arc<SearchResponse>> {
        self.answer.lock().clone()
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().as_ref().map(|e| e.to_string())
    }

    /// Which limit stopped it, when one did.
    pub fn stopped_by(&self) -> Option<&'static str> {
        match &*self.error.lock() {
            Some(SearchError::Stopped(stop)) => Some(stop.reason()),
            _ => None,
        }
    }

    /// Wall time since it started running (or since it was made, while queued).
    pub fn elapsed(&self) -> Duration {
        let start = self.started.lock().unwrap_or(self.created);
        match *self.finished.lock() {
            Some(end) => end.saturating_duration_since(start),
            None => start.elapsed(),
        }
    }

    /// Asks it to stop: a queued job never runs, a running one stops at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(g) = &*self.guard.lock() {
            g.cancel();
        }
        let mut state = self.state.lock();
        if *state == JobState::Queued {
            *state = JobState::Cancelled;
            *self.finished.lock() = Some(Instant::now());
        }
    }

    fn is_finished(&self) -> bool {
        !matches!(self.state(), JobState::Queued | JobState::Running)
    }

    fn finish(&self, outcome: Result<SearchResponse, SearchError>) {
        let state = match outcome {
            Ok(resp) => {
                *self.answer.lock() = Some(Arc::new(resp));
                JobState::Done
            }
            Err(SearchError::Stopped(Stop::Cancelled)) => {
                *self.error.lock() = Some(SearchError::Stopped(Stop::Cancelled));
                JobState::Cancelled
            }
            Err(e) => {
                *self.error.lock() = Some(e);
                JobState::Failed
            }
        };
        *self.finished.lock() = Some(Instant::now());
        *self.state.lock() = state;
    }

    /// The job as `GET /api/v1/jobs/{sid}` shows it.
    pub fn status(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "sid": self.sid,
            "query": self.request.query,
            "earliest": self.request.earliest,
            "latest": self.request.latest,
            "state": self.state(),
            "progress": self.watch.progress.snapshot(),
            "elapsed_ms": self.elapsed().as_secs_f64() * 1000.0,
        });
        if let Some(e) = self.error() {
            if self.state() == JobState::Failed {
                v["error"] = serde_json::Value::String(e);
            }
        }
        if let Some(reason) = self.stopped_by() {
            v["stopped_by"] = serde_json::Value::String(reason.into());
        }
        if let Some(a) = self.answer() {
            v["result_count"] = serde_json::Value::from(a.rows.len());
            v["event_count"] = serde_json::Value::from(a.events.len());
        }
        v
    }
}

/// The server's jobs.
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    ttl: Duration,
    next: AtomicU64,
    /// Where each finished job is recorded (`_audit`).
    audit: Option<Arc<crate::audit::Auditor>>,
}

impl Jobs {
    pub fn new(ttl: Duration) -> Jobs {
        Jobs {
            jobs: Mutex::new(HashMap::new()),
            ttl,
            next: AtomicU64::new(1),
            audit: None,
        }
    }

    /// The same, each job recorded in the audit trail when it ends.
    pub fn audited(mut self, audit: Arc<crate::audit::Auditor>) -> Jobs {
        self.audit = Some(audit);
        self
    }

    /// Forgets finished jobs past their TTL.
    fn expire(&self) {
        let ttl = self.ttl;
        self.jobs
            .lock()
            .retain(|_, j| !j.is_finished() || j.finished.lock().is_none_or(|f| f.elapsed() < ttl));
    }

    /// Makes a queued job and starts it on the runtime; answers at once. Refused when the
    /// owner already has its quota of searches.
    pub fn start(
        self: &Arc<Self>,
        store: Arc<Store>,
        admission: Arc<Admission>,
        owner: String,
        scope: SearchScope,
        mut request: SearchRequest,
        timeout: Option<Duration>,
    ) -> Result<Arc<Job>, Refused> {
        self.expire();
        if self.jobs.lock().len() >= MAX_JOBS {
            return Err(Refused::QueueFull {
                running: MAX_JOBS,
                queued: 0,
            });
        }
        // One of the owner's places (`[limits] searches_per_user`), held until the job ends.
        let slot = admission.reserve(&owner)?;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let sid = format!("{}.{n}", jiff::Timestamp::now().as_second());
        let watch = Arc::new(Watch::new(PREVIEW_ROWS));
        request.watch = Some(watch.clone());
        let job = Arc::new(Job {
            sid: sid.clone(),
            owner,
            request,
            scope,
            watch,
            created: Instant::now(),
            state: Mutex::new(JobState::Queued),
            cancelled: AtomicBool::new(false),
            guard: Mutex::new(None),
            started: Mutex::new(None),
            finished: Mutex::new(None),
            answer: Mutex::new(None),
            error: Mutex::new(None),
        });
        self.jobs.lock().insert(sid, job.clone());
        let running = job.clone();
        let audit = self.audit.clone();
        tokio::spawn(async move {
            // The owner's place is given back when the job ends, however it ends.
            let _slot = slot;
            let ticket = match admission.enter(timeout).await {
                Ok(t) => t,
                Err(r) => {
                    running.finish(Err(SearchError::Stopped(match r {
                        Refused::ShuttingDown => Stop::Shutdown,
                        Refused::QueueFull { .. } | Refused::UserQuota { .. } => Stop::Cancelled,
                    })));
                    return;
                }
            };
            // The guard first, then the flag: a cancel in between reaches one or the other.
            *running.guard.lock() = Some(ticket.guard.clone());
            if running.cancelled.load(Ordering::SeqCst) {
                running.finish(Err(SearchError::Stopped(Stop::Cancelled)));
                return;
            }
            *running.started.lock() = Some(Instant::now());
            *running.state.lock() = JobState::Running;
            let job = running.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                let mut req = job.request.clone();
                req.guard = ticket.guard.clone();
                let outcome = search::run(&store, &job.scope, &req);
                if let Err(SearchError::Stopped(stop)) = &outcome {
                    admission.record_stop(stop);
                }
                // An event search keeps its newest `limit` events but counts them all.
                if let Ok(resp) = &outcome {
                    if !resp.events.is_empty() && resp.events.len() >= req.limit {
                        if let Ok(n) = search::count_matching(&store, &job.scope, &req) {
                            job.watch.progress.matched.store(n, Ordering::Relaxed);
                        }
                    }
                }
                drop(ticket);
                outcome
            })
            .await;
            if let Some(audit) = audit {
                let result = match &outcome {
                    // An event search counts all its events, not the `limit` it keeps.
                    Ok(Ok(r)) if !r.events.is_empty() => Ok((
                        &r.stats,
                        running.watch.progress.matched.load(Ordering::Relaxed) as usize,
                    )),
                    Ok(Ok(r)) => Ok((&r.stats, r.rows.len())),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                audit
                    .search("job", &running.scope, &running.request, result)
                    .await;
            }
            match outcome {
                Ok(o) => running.finish(o),
                Err(e) => running.finish(Err(SearchError::Internal(e.to_string()))),
            }
        });
        Ok(job)
    }

    /// The job `sid` if `owner` started it.
    pub fn get(&self, sid: &str, owner: &str) -> Option<Arc<Job>> {
        self.expire();
        self.jobs
            .lock()
            .get(sid)
            .filter(|j| j.owner == owner)
            .cloned()
    }

    /// The jobs of `owner`, newest first.
    pub fn list(&self, owner: &str) -> Vec<Arc<Job>> {
        self.expire();
        let mut jobs: Vec<Arc<Job>> = self
            .jobs
            .lock()
            .values()
            .filter(|j| j.owner == owner)
            .cloned()
            .collect();
        jobs.sort_by_key(|j| std::cmp::Reverse(j.created));
        jobs
    }

    /// Cancels and forgets a job.
    pub fn remove(&self, sid: &str) {
        if let Some(j) = self.jobs.lock().remove(sid) {
            j.cancel();
        }
    }
}
