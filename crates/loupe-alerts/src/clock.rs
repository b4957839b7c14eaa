//! Time as the scheduler sees it. The indexer passes [`SystemClock`]; tests pass a
//! [`ManualClock`] and move it by hand, so no test sleeps to see a schedule fire.

use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;
use std::time::Duration;

/// The current instant. `Send + Sync` because the scheduler's worker threads read it too
/// (to know how late a queued run starts).
pub trait Clock: Send + Sync {
    /// Now, as an absolute instant.
    fn now(&self) -> Timestamp;
}

/// The machine's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `t` (backwards too, to test a clock that was set back).
    pub fn set(&self, t: Timestamp) {
        *self.now.lock() = t;
    }

    /// Moves the clock forward by `d` and returns the new time.
    pub fn advance(&self, d: SignedDuration) -> Timestamp {
        let mut now = self.now.lock();
        *now = now.checked_add(d).unwrap_or(*now);
        *now
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock()
    }
}

/// How the scheduler waits between action retries. Injected so tests record the backoffs
/// instead of waiting through them.
pub trait Sleeper: Send + Sync {
    /// Blocks the calling worker thread for `d`.
    fn sleep(&self, d: Duration);
}

/// Really sleeps (the indexer's choice).
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Does not sleep; remembers every requested pause, for tests to check the backoff.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    slept: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// The pauses requested so far, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.slept.lock().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) {
        self.slept.lock().push(d);
    }
}
