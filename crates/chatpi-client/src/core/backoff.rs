//! The retry schedules of the `phoenix` JS client: how long to wait before the
//! next socket reconnect and before the next channel rejoin.
//!
//! Tries count from 1 (the first retry). The caller keeps a [`Backoff`] per
//! socket (reconnect) and per channel (rejoin), asks it for the next delay when
//! a retry is needed, and resets it once the connection or join succeeds.

use std::time::Duration;

/// Socket reconnect delays in milliseconds; past the end, [`RECONNECT_MAX`].
const RECONNECT_MS: [u64; 9] = [10, 50, 100, 150, 200, 250, 500, 1000, 2000];
const RECONNECT_MAX: Duration = Duration::from_secs(5);

/// Channel rejoin delays in milliseconds; past the end, [`REJOIN_MAX`].
const REJOIN_MS: [u64; 3] = [1000, 2000, 5000];
const REJOIN_MAX: Duration = Duration::from_secs(10);

/// The wait before reconnect try `tries` (1-based; 0 counts as 1).
pub fn reconnect_after(tries: u32) -> Duration {
    scheduled(&RECONNECT_MS, RECONNECT_MAX, tries)
}

/// The wait before rejoin try `tries` (1-based; 0 counts as 1).
pub fn rejoin_after(tries: u32) -> Duration {
    scheduled(&REJOIN_MS, REJOIN_MAX, tries)
}

fn scheduled(steps: &[u64], max: Duration, tries: u32) -> Duration {
    let index = tries.max(1) as usize - 1;
    steps
        .get(index)
        .map_or(max, |ms| Duration::from_millis(*ms))
}

/// Which schedule a [`Backoff`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    Reconnect,
    Rejoin,
}

/// Counts the retries since the last success.
#[derive(Debug, Clone)]
pub struct Backoff {
    schedule: Schedule,
    tries: u32,
}

impl Backoff {
    pub fn new(schedule: Schedule) -> Self {
        Self { schedule, tries: 0 }
    }

    /// Counts one more try and returns how long to wait before it.
    pub fn next_delay(&mut self) -> Duration {
        self.tries = self.tries.saturating_add(1);
        match self.schedule {
            Schedule::Reconnect => reconnect_after(self.tries),
            Schedule::Rejoin => rejoin_after(self.tries),
        }
    }

    /// The tries counted since the last reset.
    pub fn tries(&self) -> u32 {
        self.tries
    }

    /// Starts the schedule over, after a success.
    pub fn reset(&mut self) {
        self.tries = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn reconnect_follows_the_phoenix_schedule() {
        let got: Vec<Duration> = (1..=11).map(reconnect_after).collect();
        let want = [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000].map(ms);
        assert_eq!(got, want);
        assert_eq!(reconnect_after(u32::MAX), ms(5000));
    }

    #[test]
    fn rejoin_follows_the_phoenix_schedule() {
        let got: Vec<Duration> = (1..=5).map(rejoin_after).collect();
        assert_eq!(got, [1000, 2000, 5000, 10_000, 10_000].map(ms));
    }

    #[test]
    fn try_zero_counts_as_the_first() {
        assert_eq!(reconnect_after(0), ms(10));
        assert_eq!(rejoin_after(0), ms(1000));
    }

    #[test]
    fn backoff_counts_tries_and_resets() {
        let mut backoff = Backoff::new(Schedule::Rejoin);
        assert_eq!(backoff.next_delay(), ms(1000));
        assert_eq!(backoff.next_delay(), ms(2000));
        assert_eq!(backoff.next_delay(), ms(5000));
        assert_eq!(backoff.next_delay(), ms(10_000));
        assert_eq!(backoff.tries(), 4);
        backoff.reset();
        assert_eq!(backoff.tries(), 0);
        assert_eq!(backoff.next_delay(), ms(1000));
    }

    #[test]
    fn reconnect_backoff_uses_the_reconnect_schedule() {
        let mut backoff = Backoff::new(Schedule::Reconnect);
        assert_eq!(backoff.next_delay(), ms(10));
        assert_eq!(backoff.next_delay(), ms(50));
    }
}
