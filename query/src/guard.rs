//! What keeps one search from taking the server down: a wall-time limit, cancellation and
//! a memory budget, checked cooperatively by every operator and by the store's iteration.
//!
//! A [`SearchGuard`] belongs to one search (and its subsearches); it may hang from a
//! [`GuardPool`] shared by every search of a server, which holds the server-wide memory
//! budget and the shutdown switch. Nothing here interrupts a thread: work calls
//! [`SearchGuard::check`] between batches (1,024 rows or less, well under 100 ms of CPU), and
//! buffering code calls [`SearchGuard::charge`] with the bytes it keeps.
//!
//! ```
//! use loupe_query::guard::{GuardPool, SearchGuard, Stop};
//! use std::sync::{Arc, Weak};
//!
//! let pool = Arc::new(GuardPool::new(1 << 30));
//! let guard = SearchGuard::new(Some(std::time::Duration::from_secs(300)), 1 << 20)
//!     .in_pool(pool.clone());
//! guard.charge(4096, "sort").unwrap();
//! assert_eq!(pool.used(), 6144); // 4096 and what the estimates leave out
//! assert!(matches!(guard.charge(2 << 20, "sort"), Err(Stop::Memory { .. })));
//! guard.cancel();
//! assert_eq!(guard.check(), Err(Stop::Cancelled));
//! drop(guard);
//! assert_eq!(pool.used(), 0); // what a search held goes back when it ends
//! ```

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// Why a search was stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stop {
    /// Its client went away or asked (`DELETE` of a job).
    #[error("the search was cancelled")]
    Cancelled,
    /// It ran longer than its wall-time limit.
    #[error("the search ran longer than its time limit of {}s and was stopped (limits.search_timeout, or narrow the search)", .limit.as_secs_f64())]
    Timeout {
        /// The limit it had.
        limit: Duration,
    },
    /// It kept more bytes than its own budget.
    #[error("{command}: the search needs more than its memory budget of {} MB and was stopped (limits.search_memory, or narrow the search)", .limit / 1_000_000)]
    Memory {
        /// Command that asked for the bytes.
        command: String,
        /// The budget, in bytes.
        limit: usize,
    },
    /// Every search of the server together holds the server-wide budget.
    #[error("{command}: the server's searches together use their memory budget of {} MB; try again when fewer searches run (limits.server_memory)", .limit / 1_000_000)]
    ServerMemory {
        /// Command that asked for the bytes.
        command: String,
        /// The server-wide budget, in bytes.
        limit: usize,
    },
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Shutdown,
}

impl Stop {
    /// The `[limits]` key (or event) that stopped the search, as the API reports it.
    pub fn reason(&self) -> &'static str {
        match self {
            Stop::Cancelled => "cancelled",
            Stop::Timeout { .. } => "search_timeout",
            Stop::Memory { .. } => "search_memory",
            Stop::ServerMemory { .. } => "server_memory",
            Stop::Shutdown => "shutdown",
        }
    }
}

/// What every search of a server shares: the server-wide memory budget and shutdown.
///
/// When the searches together pass the budget, the one holding the most is stopped (at its
/// next check), not whichever asked last: a small search keeps running beside a runaway one.
#[derive(Debug)]
pub struct GuardPool {
    used: AtomicUsize,
    limit: usize,
    shutdown: AtomicBool,
    members: std::sync::Mutex<Vec<Weak<Shared>>>,
}

/// The part of a guard the pool sees: its state and its bytes.
#[derive(Debug)]
struct Shared {
    state: AtomicU8,
    used: AtomicUsize,
}

impl GuardPool {
    /// A pool whose searches may together keep `limit` bytes.
    pub fn new(limit: usize) -> GuardPool {
        GuardPool {
            used: AtomicUsize::new(0),
            limit,
            shutdown: AtomicBool::new(false),
            members: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Bytes held by the pool's searches now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Stops every search of the pool at its next check, and any started later.
    pub fn shut_down(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
    }

    /// True once [`GuardPool::shut_down`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::Relaxed)
    }

    /// Over budget: stops the search holding the most. True when that is `asking` itself.
    fn evict_largest(&self, asking: &Arc<Shared>) -> bool {
        let mut members = self.members.lock().unwrap_or_else(|p| p.into_inner());
        members.retain(|m| m.strong_count() > 0);
        // A search already stopped gives its bytes back as it unwinds: nobody else pays meanwhile.
        let unwinding = members
            .iter()
            .filter_map(Weak::upgrade)
            .any(|m| m.state.load(Ordering::Relaxed) == EVICTED);
        if unwinding {
            return false;
        }
        let largest = members
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|m| m.state.load(Ordering::Relaxed) == RUNNING)
            .max_by_key(|m| m.used.load(Ordering::Relaxed));
        match largest {
            Some(m) if !Arc::ptr_eq(&m, asking) => {
                m.state.store(EVICTED, Ordering::SeqCst);
                false
            }
            _ => true,
        }
    }
}

/// What the itemised estimates leave out — allocator rounding and fragmentation, documents
/// being decoded, batches in flight between threads — as a share of what they count: the
/// 20-heavy-searches row of `make bench` measured RSS at about 1.3× the itemised bytes.
fn with_overhead(bytes: usize) -> usize {
    bytes.saturating_add(bytes / 2)
}

const RUNNING: u8 = 0;
const CANCELLED: u8 = 1;
/// Stopped by the pool because it held the most when the server ran out of budget.
const EVICTED: u8 = 2;

/// One search's limits and state; shared (`Arc`) by its threads and subsearches.
#[derive(Debug)]
pub struct SearchGuard {
    shared: Arc<Shared>,
    started: Instant,
    timeout: Option<Duration>,
    limit: usize,
    pool: Option<Arc<GuardPool>>,
}

impl Default for SearchGuard {
    /// No time limit, no memory budget: tests and one-shot tools.
    fn default() -> SearchGuard {
        SearchGuard::new(None, usize::MAX)
    }
}

impl SearchGuard {
    /// A guard starting now, with a wall-time limit and a memory budget in bytes.
    pub fn new(timeout: Option<Duration>, memory: usize) -> SearchGuard {
        SearchGuard {
            shared: Arc::new(Shared {
                state: AtomicU8::new(RUNNING),
                used: AtomicUsize::new(0),
            }),
            started: Instant::now(),
            timeout,
            limit: memory,
            pool: None,
        }
    }

    /// The same guard, counting its bytes in `pool` too and stopping when it shuts down.
    pub fn in_pool(mut self, pool: Arc<GuardPool>) -> SearchGuard {
        pool.members
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::downgrade(&self.shared));
        self.pool = Some(pool);
        self
    }

    /// Asks the search to stop; it does at its next [`SearchGuard::check`].
    pub fn cancel(&self) {
        self.shared.state.store(CANCELLED, Ordering::SeqCst);
    }

    /// True when the search was cancelled (not timed out).
    pub fn is_cancelled(&self) -> bool {
        self.shared.state.load(Ordering::Relaxed) == CANCELLED
    }

    /// Time since the search started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Bytes the search holds now.
    pub fn used(&self) -> usize {
        self.shared.used.load(Ordering::Relaxed)
    }

    /// `Err` when the search must stop: cancelled, past its time limit, server shutting down.
    /// Cheap (two atomic loads and a clock read): call it once per batch.
    pub fn check(&self) -> Result<(), Stop> {
        match self.shared.state.load(Ordering::Relaxed) {
            CANCELLED => return Err(Stop::Cancelled),
            EVICTED => return Err(self.evicted("search")),
            _ => {}
        }
        if self.pool.as_ref().is_some_and(|p| p.is_shut_down()) {
            return Err(Stop::Shutdown);
        }
        if let Some(limit) = self.timeout {
            if self.started.elapsed() > limit {
                return Err(Stop::Timeout { limit });
            }
        }
        Ok(())
    }

    /// Counts `bytes` kept by `command` against the search's budget and the server's; the
    /// bytes stay counted until the guard is dropped (a search's memory is a high-water mark,
    /// which is what decides whether the server keeps standing).
    pub fn charge(&self, bytes: usize, command: &str) -> Result<(), Stop> {
        if bytes == 0 {
            return Ok(());
        }
        let bytes = with_overhead(bytes);
        if self.shared.state.load(Ordering::Relaxed) == EVICTED {
            return Err(self.evicted(command));
        }
        let now = self.shared.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(pool) = &self.pool {
            let total = pool.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
            if total > pool.limit && pool.evict_largest(&self.shared) {
                return Err(Stop::ServerMemory {
                    command: command.to_string(),
                    limit: pool.limit,
                });
            }
        }
        if now > self.limit {
            return Err(Stop::Memory {
                command: command.to_string(),
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// Gives back `bytes` a command charged and no longer holds (a bounded `sort` cutting its
    /// buffer back): such a command's high-water mark is what it keeps, not what it saw.
    pub fn release(&self, bytes: usize) {
        let bytes = with_overhead(bytes);
        let sub = |a: &AtomicUsize| {
            let _ = a.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(bytes))
            });
        };
        sub(&self.shared.used);
        if let Some(pool) = &self.pool {
            sub(&pool.used);
        }
    }

    fn evicted(&self, command: &str) -> Stop {
        Stop::ServerMemory {
            command: command.to_string(),
            limit: self.pool.as_ref().map_or(0, |p| p.limit),
        }
    }

    /// `Err` when a value of `bytes` would not fit in what is left of the budget: string
    /// building (`.`, `printf`, `mvjoin`) asks before allocating, so `s . s` doubled 26 times
    /// stops at the budget instead of building a gigabyte.
    pub fn fits(&self, bytes: usize, command: &str) -> Result<(), Stop> {
        let bytes = with_overhead(bytes);
        let left = self.limit.saturating_sub(self.used());
        if bytes > left {
            return Err(Stop::Memory {
                command: command.to_string(),
                limit: self.limit,
            });
        }
        if let Some(pool) = &self.pool {
            if bytes > pool.limit.saturating_sub(pool.used()) {
                return Err(Stop::ServerMemory {
                    command: command.to_string(),
                    limit: pool.limit,
                });
            }
        }
        Ok(())
    }
}

impl Drop for SearchGuard {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.used
                .fetch_sub(self.shared.used.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}
