//! Admission of searches on a server: how many run at once, how many may wait, and the
//! guard each one runs under.
//!
//! Every search (API, export, scheduler, command line against a server) enters through
//! [`Admission::enter`]: it gets a [`Ticket`] when one of `max_concurrent_searches` slots is
//! free, waits in a queue of at most `max_queued_searches` otherwise, and is refused with
//! [`Refused::QueueFull`] past that (the API answers 503 with `Retry-After`). The ticket
//! holds the search's [`SearchGuard`], drawn from the server's [`GuardPool`], so all running
//! searches share one memory budget and one shutdown switch.

use loupe_query::{GuardPool, Limits, SearchGuard, Stop};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a search was not admitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refused {
    #[error("too many searches are running and waiting ({running} running, {queued} queued); retry later")]
    QueueFull { running: usize, queued: usize },
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// The server's search slots and counters (shown by `/metrics`).
pub struct Admission {
    slots: Arc<Semaphore>,
    max_running: usize,
    max_queued: usize,
    queued: AtomicUsize,
    running: Arc<AtomicUsize>,
    refused: AtomicU64,
    completed: Arc<AtomicU64>,
    /// Searches stopped before their end, by [`Stop::reason`] (in [`STOP_REASONS`] order).
    stopped: [AtomicU64; 5],
    pool: Arc<GuardPool>,
    limits: Limits,
}

/// The reasons a search is stopped, as `/metrics` labels them.
pub const STOP_REASONS: [&str; 5] = [
    "cancelled",
    "search_timeout",
    "search_memory",
    "server_memory",
    "shutdown",
];

/// A running search's place: its guard, and its slot until dropped.
pub struct Ticket {
    pub guard: Arc<SearchGuard>,
    _permit: OwnedSemaphorePermit,
    running: Arc<AtomicUsize>,
    completed: Arc<AtomicU64>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
        self.completed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Cancels a search when dropped: a handler holds one while its search runs on a blocking
/// thread, so a client that goes away (the handler's future is dropped) stops the search.
pub struct CancelOnDrop(pub Arc<SearchGuard>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Counters of [`Admission`] at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdmissionCounts {
    pub running: usize,
    pub queued: usize,
    pub refused: u64,
    pub completed: u64,
    pub memory_bytes: usize,
}

impl Admission {
    /// Slots and budgets from `[limits]`.
    pub fn new(limits: &Limits) -> Admission {
        let max_running = limits.max_concurrent_searches.max(1);
        Admission {
            slots: Arc::new(Semaphore::new(max_running)),
            max_running,
            max_queued: limits.max_queued_searches,
            queued: AtomicUsize::new(0),
            running: Arc::new(AtomicUsize::new(0)),
            refused: AtomicU64::new(0),
            completed: Arc::new(AtomicU64::new(0)),
            stopped: Default::default(),
            pool: Arc::new(GuardPool::new(limits.server_memory)),
            limits: limits.clone(),
        }
    }

    /// The shared pool (shutdown switch, server-wide memory).
    pub fn pool(&self) -> &Arc<GuardPool> {
        &self.pool
    }

    /// Waits for a slot; `timeout` (at most `[limits] search_timeout`) bounds the search's run,
    /// counted from when it starts running.
    pub async fn enter(&self, timeout: Option<Duration>) -> Result<Ticket, Refused> {
        if self.pool.is_shut_down() {
            return Err(Refused::ShuttingDown);
        }
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let queued = self.queued.fetch_add(1, Ordering::SeqCst);
                if queued >= self.max_queued {
                    self.queued.fetch_sub(1, Ordering::SeqCst);
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    return Err(Refused::QueueFull {
                        running: self.max_running,
                        queued,
                    });
                }
                let p = self.slots.clone().acquire_owned().await;
                self.queued.fetch_sub(1, Ordering::SeqCst);
                p.map_err(|_| Refused::ShuttingDown)?
            }
        };
        if self.pool.is_shut_down() {
            return Err(Refused::ShuttingDown);
        }
        self.running.fetch_add(1, Ordering::Relaxed);
        Ok(Ticket {
            guard: Arc::new(self.guard(timeout)),
            _permit: permit,
            running: self.running.clone(),
            completed: self.completed.clone(),
        })
    }

    /// A guard with the configured budgets (a shorter time limit when asked), in the pool.
    pub fn guard(&self, timeout: Option<Duration>) -> SearchGuard {
        let limit = self.limits.search_timeout;
        let timeout = timeout.map_or(limit, |t| t.min(limit));
        SearchGuard::new(Some(timeout), self.limits.search_memory).in_pool(self.pool.clone())
    }

    /// Stops every running search at its next check and refuses new ones.
    pub fn shut_down(&self) {
        self.pool.shut_down();
        self.slots.close();
    }

    /// Counts a search that `stop` ended early.
    pub fn record_stop(&self, stop: &Stop) {
        if let Some(i) = STOP_REASONS.iter().position(|r| *r == stop.reason()) {
            self.stopped[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Searches stopped for each of [`STOP_REASONS`].
    pub fn stopped(&self) -> [u64; 5] {
        std::array::from_fn(|i| self.stopped[i].load(Ordering::Relaxed))
    }

    pub fn counts(&self) -> AdmissionCounts {
        AdmissionCounts {
            running: self.running.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            memory_bytes: self.pool.used(),
        }
    }
}
