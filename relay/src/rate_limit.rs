//! Limits on authentication attempts: a sliding window per client address,
//! and a progressive delay per account *and* address, so that someone
//! guessing a password slows down without locking the real owner out from
//! their own address.
//!
//! Counters live in the relay's memory: several relays sharing one PostgreSQL
//! database each count on their own, which still bounds a guesser's rate.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
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

/// Failed attempts per key, each refused attempt told how long to wait; the
/// wait doubles with every failure past the free ones, up to a ceiling.
pub struct Backoff {
    policy: BackoffPolicy,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// How [`Backoff`] grows.
#[derive(Debug, Clone, Copy)]
pub struct BackoffPolicy {
    /// Failures that cost no wait (typos).
    pub free: u32,
    /// The wait after the first failure past the free ones.
    pub first: Duration,
    /// The longest wait; failures are forgotten after it.
    pub ceiling: Duration,
}

impl BackoffPolicy {
    /// The wait after `failures` failures.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures <= self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free - 1).min(30);
        self.first
            .saturating_mul(1u32 << doublings)
            .min(self.ceiling)
    }
}

impl Backoff {
    /// A backoff following `policy` for every key.
    pub fn new(policy: BackoffPolicy) -> Self {
        Self {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` while the key must still wait after its last failure.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let failures = self.lock();
        let Some(&(count, last)) = failures.get(key) else {
            return Ok(());
        };
        let ready_at = last + self.policy.delay_after(count);
        if now < ready_at {
            Err(ready_at - now)
        } else {
            Ok(())
        }
    }

    /// Counts a failure for the key.
    pub fn failed(&self, key: &str) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= PRUNE_AT {
            let ceiling = self.policy.ceiling;
            failures.retain(|_, (_, last)| now.duration_since(*last) < ceiling);
        }
        let entry = failures.entry(key.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.policy.ceiling {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = now;
    }

    /// Forgets the key (a successful sign-in).
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The limits applied to sign-up and sign-in.
pub struct AuthLimits {
    per_address: RateLimiter,
    per_account_and_address: Backoff,
}

impl AuthLimits {
    /// `per_address` counts every attempt from one IP; `failures` slows
    /// down failed sign-ins for one email from one IP.
    pub fn new(per_address: Limit, failures: BackoffPolicy) -> Self {
        Self {
            per_address: RateLimiter::new(per_address),
            per_account_and_address: Backoff::new(failures),
        }
    }

    /// Counts an attempt from `ip`, or refuses it if the address is over its limit.
    pub fn attempt_from(&self, ip: IpAddr) -> Result<(), crate::error::ApiError> {
        let key = ip.to_string();
        self.per_address.check(&key).map_err(refusal)?;
        self.per_address.record(&key);
        Ok(())
    }

    /// Refuses a sign-in to `email` from `ip` while its failures ask it to wait.
    pub fn check_account(&self, email: &str, ip: IpAddr) -> Result<(), crate::error::ApiError> {
        self.per_account_and_address
            .check(&account_key(email, ip))
            .map_err(refusal)
    }

    /// Counts a failed sign-in.
    pub fn failed_for(&self, email: &str, ip: IpAddr) {
        self.per_account_and_address.failed(&account_key(email, ip));
    }

    /// Clears the failures after a successful sign-in.
    pub fn signed_in(&self, email: &str, ip: IpAddr) {
        self.per_account_and_address.clear(&account_key(email, ip));
    }
}

fn account_key(email: &str, ip: IpAddr) -> String {
    format!("{ip} {email}")
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
    fn the_wait_doubles_past_the_free_failures_up_to_a_ceiling() {
        let policy = BackoffPolicy {
            free: 3,
            first: Duration::from_secs(1),
            ceiling: Duration::from_secs(60),
        };
        let waits: Vec<u64> = (0..=10).map(|n| policy.delay_after(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60]);
        assert_eq!(policy.delay_after(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn a_key_waits_only_after_its_own_failures() {
        let backoff = Backoff::new(BackoffPolicy {
            free: 1,
            first: Duration::from_secs(30),
            ceiling: Duration::from_secs(60),
        });
        backoff.failed("a");
        assert!(backoff.check("a").is_ok(), "one failure is free");
        backoff.failed("a");
        let wait = backoff.check("a").expect_err("waits after the second");
        assert!(wait > Duration::from_secs(25));
        assert!(backoff.check("b").is_ok());
        backoff.clear("a");
        assert!(backoff.check("a").is_ok());
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
