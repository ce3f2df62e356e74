//! Keeping uploads within bounds: a quota per profile, a rate of uploads
//! per profile, and deleted files' bytes removed from disk once no unsent
//! message needs them.
//!
//! Sign-up is open, so without these one account could fill the relay's
//! disk; and a deleted file must stop being reachable at once, not linger.

use std::time::Duration;

use axum::http::StatusCode;
use chorus_shared::error::ErrorCode;
use chrono::Utc;

use crate::error::ApiError;
use crate::store::{AccountRef, StoreError};
use crate::AppState;

/// Deleted files purged per pass.
const PURGE_BATCH: i64 = 200;

/// Refuses an upload of `size` bytes that the account's quota or upload
/// rate does not allow, saying what to do.
pub async fn admit_upload(
    state: &AppState,
    account: AccountRef,
    size: usize,
) -> Result<(), ApiError> {
    let uploads = &state.uploads;
    let key = account.id().to_string();
    if let Err(wait) = uploads.check(&key) {
        return Err(ApiError::rate_limited(wait.as_secs().max(1)));
    }
    // Refused attempts count too: they cost the relay the upload all the same.
    uploads.record(&key);
    admit_bytes(state, account, size).await
}

/// Refuses `size` more bytes that the account's storage quota does not
/// allow (the library and the received files it keeps).
pub async fn admit_bytes(
    state: &AppState,
    account: AccountRef,
    size: usize,
) -> Result<(), ApiError> {
    let quota = state.settings.storage_quota_bytes;
    let used = state.store.library_bytes(account).await?;
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    if used.saturating_add(size) > quota {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::StorageQuotaExceeded,
            format!(
                "Stored files (the library and files customers sent) take {} of {}; this file needs {} more. \
                 Delete library files you no longer need, or ask the relay's operator for more room.",
                human(used),
                human(quota),
                human(size)
            ),
        ));
    }
    Ok(())
}

/// A byte count for people.
fn human(bytes: i64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / MB)
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// Removes the bytes of deleted files that nothing waits for, every
/// `Settings::purge_interval`, until the relay stops.
pub async fn purge_forever(state: AppState) {
    let mut tick = tokio::time::interval(state.settings.purge_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = purge(&state).await {
            tracing::warn!(%error, "cannot purge deleted files yet");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// One pass of [`purge_forever`]; returns how many files' bytes went.
pub async fn purge(state: &AppState) -> Result<usize, StoreError> {
    let ids = state.store.purgeable_files(PURGE_BATCH).await?;
    let mut purged = Vec::with_capacity(ids.len());
    for id in ids {
        match state.blobs.delete(id).await {
            Ok(()) => purged.push(id),
            Err(error) => {
                tracing::warn!(%error, file = %id, "cannot remove a deleted file's bytes")
            }
        }
    }
    state.store.mark_purged(&purged, Utc::now()).await?;
    if !purged.is_empty() {
        tracing::info!(count = purged.len(), "deleted files' bytes removed");
    }
    Ok(purged.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(super::human(512), "512 bytes");
        assert_eq!(super::human(1536), "1.5 KB");
        assert_eq!(super::human(5 * 1024 * 1024), "5.0 MB");
    }
}
