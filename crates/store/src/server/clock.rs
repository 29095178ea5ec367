//! The time the server queue goes by: the system's, or a manual clock that a test moves by hand.
//!
//! Why a value passed to the store and not `SystemTime::now()` inside it: a failed job waits minutes
//! before its next attempt and a lease lasts minutes, so a test that a job outlives a 10-minute outage of
//! GitHub would either wait 10 minutes or shrink the production schedule to milliseconds, and then test a
//! schedule nobody runs. With a [`ManualClock`], the test moves time past each backoff itself; the
//! store, the worker and the schedule are the production ones.
//!
//! The clock decides every queue time the store reads or writes: when a job was enqueued or changed, when a
//! lease ends, when a failed job may run again, what `purge_jobs` counts as old. On SQLite it replaces this
//! machine's clock; on PostgreSQL the system clock means the database server's (one clock for all
//! replicas), and a manual clock is sent as a parameter instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the store's queue reads the time. The default is the system clock.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system clock (the database server's, on PostgreSQL).
    #[default]
    System,
    /// A clock that only moves when told to (tests).
    Manual(ManualClock),
}

impl Clock {
    /// The current time on this clock.
    pub fn now(&self) -> SystemTime {
        match self {
            Clock::System => SystemTime::now(),
            Clock::Manual(manual) => manual.now(),
        }
    }

    /// The current time in Unix milliseconds (0 before 1970, saturating far in the future).
    pub fn now_ms(&self) -> i64 {
        unix_ms(self.now())
    }

    /// The manual clock's time, or `None` for the system clock: the value PostgreSQL is given instead of
    /// reading its own clock.
    pub(crate) fn manual_now(&self) -> Option<SystemTime> {
        match self {
            Clock::System => None,
            Clock::Manual(manual) => Some(manual.now()),
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Clock {
        Clock::Manual(manual)
    }
}

/// A clock that stands still until [`ManualClock::advance`] moves it. Clones share one time, so a test
/// can keep one and hand another to the store.
#[derive(Debug, Clone)]
pub struct ManualClock {
    /// Unix milliseconds.
    ms: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn starting_at(start: SystemTime) -> ManualClock {
        ManualClock {
            ms: Arc::new(AtomicI64::new(unix_ms(start))),
        }
    }

    pub fn now(&self) -> SystemTime {
        let ms = self.ms.load(Ordering::SeqCst);
        UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |ms| {
                Some(ms.saturating_add(by))
            })
            .ok();
    }

    /// Moves the clock forward to `to`; a time in its past leaves it where it is (time never runs
    /// backwards, as leases and backoffs assume).
    pub fn advance_to(&self, to: SystemTime) {
        self.ms.fetch_max(unix_ms(to), Ordering::SeqCst);
    }
}

/// `time` in Unix milliseconds: 0 before 1970, saturating far in the future.
pub(crate) fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_forward_and_only_when_told() {
        let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let manual = ManualClock::starting_at(start);
        let clock = Clock::from(manual.clone());
        assert_eq!(clock.now(), start);
        manual.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start + Duration::from_secs(90));
        manual.advance_to(start);
        assert_eq!(clock.now(), start + Duration::from_secs(90));
        manual.advance_to(start + Duration::from_millis(600_001));
        assert_eq!(clock.now_ms(), 1_800_000_600_001);
        assert_eq!(clock.manual_now(), Some(clock.now()));
        assert_eq!(Clock::System.manual_now(), None);
    }
}
