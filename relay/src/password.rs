//! Password hashing with argon2id (the crate's default parameters).
//!
//! Hashing is deliberately slow, so it runs on the blocking pool rather than
//! stalling the async workers; and each hash takes 19 MiB, so at most one per
//! core runs at once (48 concurrent sign-ins once took the relay from 313 MiB
//! to 1.2 GiB). The rest wait their turn.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use tokio::sync::Semaphore;

use crate::error::ApiError;

/// How many hashes may be computed at once: one per core.
fn hashing_permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Semaphore::new(cores)
    })
}

/// Runs `work` on the blocking pool once a hashing permit is free.
async fn with_permit<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    tokio::task::spawn_blocking(move || {
        let _running = in_flight::enter();
        work()
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
}

/// Counts hashes being computed, so tests can see the bound hold.
pub mod in_flight {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static NOW: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    /// Marks one hash running until the guard drops.
    pub(super) fn enter() -> Guard {
        let now = NOW.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(now, Ordering::SeqCst);
        Guard
    }

    /// The most hashes that ran at once in this process.
    pub fn peak() -> usize {
        PEAK.load(Ordering::SeqCst)
    }

    pub(super) struct Guard;

    impl Drop for Guard {
        fn drop(&mut self) {
            NOW.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> Result<String, ApiError> {
    with_permit(move || hash_now(&password)).await
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(&e))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(&e))
}

/// Checks a password against a stored hash. With no stored hash (unknown
/// email) it checks against a dummy one, so both cases take the same time.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    with_permit(move || {
        let known = stored.is_some();
        let stored = match stored {
            Some(stored) => stored,
            None => dummy_hash()?.to_owned(),
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| ApiError::internal(&e))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
}

fn dummy_hash() -> Result<&'static str, ApiError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_now("chorus-dummy-password-for-timing")?;
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod bound_tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_hashes_wait_for_a_core() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let hashes: Vec<_> = (0..cores * 4)
            .map(|n| tokio::spawn(super::hash(format!("password number {n}"))))
            .collect();
        for hash in hashes {
            hash.await.expect("task").expect("hash");
        }
        let peak = super::in_flight::peak();
        assert!(
            peak >= 1 && peak <= cores,
            "{peak} hashes ran at once on {cores} cores"
        );
    }
}
