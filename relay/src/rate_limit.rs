//! Sliding-window limits on authentication attempts, per client address and
//! per account.
//!
//! Counters live in the relay's memory: several relays sharing one PostgreSQL
//! database each count on their own, which still bounds a guesser's rate.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many events a key may have within a window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Events allowed per window.
    pub max: usize,
    /// Length of the sliding window.
    pub window: Duration,
}

/// Event log per key; old events fall out of the window as time passes.
pub struct RateLimiter {
    limit: Limit,
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys are pruned once the map holds this many, so it cannot grow unbounded.
const PRUNE_AT: usize = 10_000;

impl RateLimiter {
    /// A limiter applying `limit` to every key.
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            events: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when the key used up its window; otherwise `Ok`.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut events = self.lock();
        let Some(log) = events.get_mut(key) else {
            return Ok(());
        };
        self.expire(log, now);
        if log.len() < self.limit.max {
            return Ok(());
        }
        let oldest = log.front().copied().unwrap_or(now);
        Err((oldest + self.limit.window).saturating_duration_since(now))
    }

    /// Counts one event for the key.
    pub fn record(&self, key: &str) {
        let now = Instant::now();
        let mut events = self.lock();
        if events.len() >= PRUNE_AT {
            events.retain(|_, log| {
                log.back()
                    .is_some_and(|last| now.duration_since(*last) < self.limit.window)
            });
        }
        let log = events.entry(key.to_owned()).or_default();
        self.expire(log, now);
        log.push_back(now);
    }

    /// Forgets the key's events (a successful sign-in clears failures).
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    fn expire(&self, log: &mut VecDeque<Instant>, now: Instant) {
        while log
            .front()
            .is_some_and(|at| now.duration_since(*at) >= self.limit.window)
        {
            log.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A poisoned lock only means another request panicked mid-update;
        // the counters are still usable.
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The limits applied to sign-up and sign-in.
pub struct AuthLimits {
    per_address: RateLimiter,
    per_account: RateLimiter,
}

impl AuthLimits {
    /// `per_address` counts every attempt from one IP; `per_account` counts
    /// failed sign-ins for one email.
    pub fn new(per_address: Limit, per_account: Limit) -> Self {
        Self {
            per_address: RateLimiter::new(per_address),
            per_account: RateLimiter::new(per_account),
        }
    }

    /// Counts an attempt from `ip`, or refuses it if the address is over its limit.
    pub fn attempt_from(&self, ip: std::net::IpAddr) -> Result<(), crate::error::ApiError> {
        let key = ip.to_string();
        self.per_address.check(&key).map_err(refusal)?;
        self.per_address.record(&key);
        Ok(())
    }

    /// Refuses sign-in for an account with too many recent failures.
    pub fn check_account(&self, email: &str) -> Result<(), crate::error::ApiError> {
        self.per_account.check(email).map_err(refusal)
    }

    /// Counts a failed sign-in.
    pub fn failed_for(&self, email: &str) {
        self.per_account.record(email);
    }

    /// Clears the account's failures after a successful sign-in.
    pub fn signed_in(&self, email: &str) {
        self.per_account.clear(email);
    }
}

fn refusal(wait: Duration) -> crate::error::ApiError {
    crate::error::ApiError::rate_limited(wait.as_secs().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_says_how_long_to_wait() {
        let limiter = RateLimiter::new(Limit {
            max: 2,
            window: Duration::from_secs(60),
        });
        assert!(limiter.check("a").is_ok());
        limiter.record("a");
        limiter.record("a");
        let wait = limiter.check("a").expect_err("third attempt is refused");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert!(limiter.check("b").is_ok(), "keys are independent");
        limiter.clear("a");
        assert!(limiter.check("a").is_ok());
    }

    #[test]
    fn events_leave_the_window() {
        let limiter = RateLimiter::new(Limit {
            max: 1,
            window: Duration::from_millis(1),
        });
        limiter.record("a");
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.check("a").is_ok());
    }
}
