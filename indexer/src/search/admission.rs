//! Admission of searches on a server: how many run at once, how many may wait, and the
//! guard each one runs under.
//!
//! Every search (API, export, scheduler, command line against a server) enters through
//! [`Admission::enter`]: it gets a [`Ticket`] when one of `max_concurrent_searches` slots is
//! free, waits in a queue of at most `max_queued_searches` otherwise, and is refused with
//! [`Refused::QueueFull`] past that (the API answers 503 with `Retry-After`). The ticket
//! holds the search's [`SearchGuard`], drawn from the server's [`GuardPool`], so all running
//! searches share one memory budget and one shutdown switch.
//!
//! Before that, an API search takes one of its principal's [`UserSlot`]s
//! (`[limits] searches_per_user`, Splunk's srchJobsQuota): one user's script or dashboard
//! cannot take every slot and queue place of the server; past it [`Refused::UserQuota`]
//! (429). The scheduler's searches belong to the instance and take none.

use loupe_query::{GuardPool, Limits, SearchGuard, Stop};
use std::collections::HashMap;
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
    #[error("{user:?} already has {limit} searches running or queued ([limits] searches_per_user); wait for one to finish or cancel one")]
    UserQuota { user: String, limit: usize },
}

/// Searches running or queued per principal.
type PerUser = Arc<parking_lot::Mutex<HashMap<String, usize>>>;

/// One of a principal's searches: gives its place back when dropped.
pub struct UserSlot {
    per_user: PerUser,
    user: String,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut m = self.per_user.lock();
        if let Some(n) = m.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.user);
            }
        }
    }
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
    per_user: PerUser,
    max_per_user: usize,
    user_refused: AtomicU64,
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
            per_user: PerUser::default(),
            max_per_user: usize::MAX,
            user_refused: AtomicU64::new(0),
        }
    }

    /// The same with at most `n` searches per principal (0: no limit).
    pub fn with_user_quota(mut self, n: usize) -> Admission {
        self.max_per_user = if n == 0 { usize::MAX } else { n };
        self
    }

    /// The searches one principal may have at once (`usize::MAX`: no limit).
    pub fn user_quota(&self) -> usize {
        self.max_per_user
    }

    /// Searches refused because their principal had its quota.
    pub fn user_refused(&self) -> u64 {
        self.user_refused.load(Ordering::Relaxed)
    }

    /// Takes one of `user`'s search places, held until the search ends (its slot dropped).
    pub fn reserve(&self, user: &str) -> Result<UserSlot, Refused> {
        let mut m = self.per_user.lock();
        let n = m.entry(user.to_string()).or_insert(0);
        if *n >= self.max_per_user {
            drop(m);
            self.user_refused.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::UserQuota {
                user: user.to_string(),
                limit: self.max_per_user,
            });
        }
        *n += 1;
        Ok(UserSlot {
            per_user: self.per_user.clone(),
            user: user.to_string(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_its_quota_and_its_places_back() {
        let a = Admission::new(&Limits::default()).with_user_quota(2);
        let one = a.reserve("ana").unwrap();
        let _two = a.reserve("ana").unwrap();
        assert!(matches!(
            a.reserve("ana"),
            Err(Refused::UserQuota { limit: 2, .. })
        ));
        assert!(a.reserve("bob").is_ok(), "per user");
        drop(one);
        assert!(
            a.reserve("ana").is_ok(),
            "a finished search gives its place back"
        );
        assert_eq!(a.user_refused(), 1);
    }
}
