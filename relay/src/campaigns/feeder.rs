//! The relay's duty that feeds running campaigns into their numbers' queues.
//!
//! A pass for a number finishes campaigns with nothing left, reads the
//! number's pacing and campaign history, and when [`pacing::next_feed`]
//! says so queues the next recipient's message through the same path as
//! any send. Passes coalesce per number; a host's report on a campaign
//! message wakes one at once, and a sweep every second wakes every number
//! with a campaign due (gaps and caps expire, start times arrive, and
//! campaigns started through another relay are found).
//!
//! Nothing is sent twice: a recipient's message has the idempotency key
//! `campaign:<id>:<position>`, so a pass that queued it and stopped before
//! marking the recipient fed (a crash, a restart) finds the same message
//! again instead of queuing another.

use chorus_shared::message::MessageStatus;
use chrono::Utc;
use uuid::Uuid;

use super::pacing::{self, Feed};
use crate::store::{
    AccountRef, ChatRef, ChatTarget, Conflict, FeedItem, NewOutgoing, SendOutcome, StoreError,
};
use crate::{messaging, AppState};

/// Asks for a feeding pass for the number.
pub fn wake(state: &AppState, account: AccountRef) {
    state.feeds.run(state, account, feed);
}

/// Background duty, every second: wake every number with a campaign due.
pub async fn feed_forever(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state
            .store
            .accounts_with_running_campaigns(Utc::now())
            .await
        {
            Ok(accounts) => {
                for account in accounts {
                    wake(&state, account);
                }
            }
            Err(error) => tracing::error!(%error, "cannot find running campaigns"),
        }
    }
}

async fn feed(state: AppState, account: AccountRef) {
    if let Err(error) = feed_once(&state, account).await {
        tracing::error!(%error, "cannot feed the campaign queue");
    }
}

/// One pass: feeds at most one message (the next is due only after it).
pub async fn feed_once(state: &AppState, account: AccountRef) -> Result<(), StoreError> {
    let now = Utc::now();
    state.store.finish_done_campaigns(account, now).await?;
    let settings = state.store.pacing(account).await?;
    let history = state.store.feed_history(account, &settings, now).await?;
    if pacing::next_feed(&settings, &history, now) != Feed::Now {
        return Ok(());
    }
    let Some(item) = state.store.next_feed(account, now).await? else {
        return Ok(());
    };
    let new = NewOutgoing {
        id: Uuid::now_v7(),
        account,
        author_id: item.created_by,
        chat: ChatRef::Target(ChatTarget {
            wa_id: crate::whatsapp::person_chat(&item.phone),
            phone: Some(item.phone.clone()),
            name: None,
        }),
        kind: item.kind,
        text: item.text.clone(),
        attachment_id: item.attachment_id,
        idempotency_key: idempotency_key(&item),
        lease: None,
        campaign_id: Some(item.campaign_id),
    };
    let Some(queued) = messaging::queue(state, new).await else {
        return Ok(());
    };
    match queued {
        Ok(queued) => match queued.outcome {
            SendOutcome::Message(message) => {
                state
                    .store
                    .mark_fed(item.campaign_id, item.position, message.id, Utc::now())
                    .await?;
                if matches!(
                    message.status,
                    MessageStatus::Failed | MessageStatus::Cancelled
                ) {
                    wake(state, account);
                }
            }
            SendOutcome::Comment(_) => {
                state
                    .store
                    .skip_recipient(item.campaign_id, item.position, "Kept as a comment")
                    .await?;
            }
        },
        Err(StoreError::Conflict(Conflict::InsufficientCredits { needed, available })) => {
            let reason = format!(
                "Out of credits: the next message costs {needed} and the balance is {available}. Add credits, then resume."
            );
            pause(state, account, item.campaign_id, &reason).await?;
        }
        Err(StoreError::NotFound) => {
            pause(
                state,
                account,
                item.campaign_id,
                "The campaign's file is no longer in the library. Cancel it, or create it again with another file.",
            )
            .await?;
        }
        Err(other) => return Err(other),
    }
    Ok(())
}

/// The recipient's idempotency key: the same however often it is fed.
pub fn idempotency_key(item: &FeedItem) -> String {
    format!("campaign:{}:{}", item.campaign_id, item.position)
}

async fn pause(
    state: &AppState,
    account: AccountRef,
    campaign_id: Uuid,
    reason: &str,
) -> Result<(), StoreError> {
    tracing::info!(campaign = %campaign_id, reason, "campaign paused by the relay");
    state
        .store
        .move_campaign(
            account,
            campaign_id,
            &["running"],
            "paused",
            Some(reason),
            Utc::now(),
        )
        .await?;
    Ok(())
}
