//! Dispatch: handing queued messages to the host of their number.
//!
//! A pass leases the account's next queued messages (in queue order, at most
//! the dispatch window at once) to the host connection and sends them as
//! `dispatch` frames. Passes coalesce per account, so a burst of sends or
//! reports costs a few lease transactions, not one each. A sweep every second
//! returns lapsed leases to the queue and offers every hosted number its next
//! messages (which also picks up messages queued through another relay).

use chorus_shared::protocol::{Dispatch, ServerFrame};
use chorus_shared::queue::MessageView;
use chrono::Utc;
use uuid::Uuid;

use crate::live;
use crate::store::AccountRef;
use crate::AppState;

/// Sends a message leased while queuing to the host it was leased to; if
/// that host has gone meanwhile, its leases go back to the queue.
/// `lease` is the host connection and the lease's end, as stored.
pub(crate) async fn hand_over(
    state: &AppState,
    account: AccountRef,
    lease: (Uuid, chrono::DateTime<Utc>),
    outbox: &crate::hub::Outbox,
    message: &MessageView,
) {
    let (connection, lease_until) = lease;
    if state.hub.host(account).map(|(current, _)| current) == Some(connection) {
        outbox.frame(ServerFrame::Dispatch {
            message: dispatch_of(state, account, message, lease_until).await,
        });
        return;
    }
    match state
        .store
        .release_leases(&lease_owner(state, connection), Utc::now())
        .await
    {
        Ok(requeued) => {
            for (account, message) in requeued {
                live::message(state, account, message);
            }
        }
        Err(error) => tracing::error!(%error, "cannot release a departed host's lease"),
    }
    pump(state, account);
}

/// The lease owner name of a host connection on this relay.
pub fn lease_owner(state: &AppState, connection: Uuid) -> String {
    format!("{}/{connection}", state.instance)
}

/// The lease a write may take on the account's next messages for its host
/// online now (so a send or a report hands them over in the same
/// transaction), with that host; `None` while no host is online.
pub fn lease_offer(
    state: &AppState,
    account: AccountRef,
) -> Option<(crate::store::LeaseOffer, (Uuid, crate::hub::Outbox))> {
    let host = state.hub.host(account)?;
    let offer = crate::store::LeaseOffer {
        owner: lease_owner(state, host.0),
        until: chrono::Utc::now() + state.settings.lease,
        window: state.settings.dispatch_window,
    };
    Some((offer, host))
}

/// Asks for the account's next queued messages to be handed to its host.
///
/// Requests coalesce: one pass runs per account at a time, and requests
/// made during a pass cause exactly one more. A burst of sends therefore
/// costs a few lease transactions, not one each.
pub fn pump(state: &AppState, account: AccountRef) {
    if state.hub.host_online(account) {
        state.pumps.run(state, account, pump_now);
    }
}

async fn pump_now(state: AppState, account: AccountRef) {
    let state = &state;
    let Some((connection, outbox)) = state.hub.host(account) else {
        return;
    };
    let now = Utc::now();
    let lease_until = now + state.settings.lease;
    let leased = state
        .store
        .lease_next(
            account,
            &lease_owner(state, connection),
            now,
            lease_until,
            state.settings.dispatch_window,
        )
        .await;
    match leased {
        Ok(messages) => {
            for message in messages {
                outbox.frame(ServerFrame::Dispatch {
                    message: dispatch_of(state, account, &message, lease_until).await,
                });
                live::message(state, account, message);
            }
        }
        Err(error) => tracing::error!(%error, "cannot lease the next messages"),
    }
}

/// Per-account work that coalesces: one pass runs per account at a time,
/// and requests made during a pass cause exactly one more.
#[derive(Default)]
pub struct Coalescer {
    running: std::sync::Mutex<std::collections::HashMap<AccountRef, bool>>,
}

impl Coalescer {
    /// Runs `work` for the account now, or once more after the pass running.
    pub fn run<Work, Done>(
        self: &std::sync::Arc<Self>,
        state: &AppState,
        account: AccountRef,
        work: Work,
    ) where
        Work: Fn(AppState, AccountRef) -> Done + Send + 'static,
        Done: std::future::Future<Output = ()> + Send,
    {
        if !self.request(account) {
            return;
        }
        let state = state.clone();
        let coalescer = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            loop {
                work(state.clone(), account).await;
                if !coalescer.again(account) {
                    break;
                }
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<AccountRef, bool>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True if the caller should start a pass; otherwise one is running and
    /// will run again.
    fn request(&self, account: AccountRef) -> bool {
        let mut running = self.lock();
        match running.get_mut(&account) {
            Some(again) => {
                *again = true;
                false
            }
            None => {
                running.insert(account, false);
                true
            }
        }
    }

    /// After a pass: true if another was requested meanwhile (and claims it).
    fn again(&self, account: AccountRef) -> bool {
        let mut running = self.lock();
        match running.get_mut(&account) {
            Some(again) if *again => {
                *again = false;
                true
            }
            _ => {
                running.remove(&account);
                false
            }
        }
    }
}

/// What the host needs to send `message`. A group is found by its name in
/// WhatsApp Web's chat list (no link opens it), so that is read for groups.
async fn dispatch_of(
    state: &AppState,
    account: AccountRef,
    message: &MessageView,
    lease_until: chrono::DateTime<Utc>,
) -> Dispatch {
    let phone = crate::whatsapp::phone_of(&message.chat_wa_id);
    let chat_name = if phone.is_none() {
        match state.store.chat(account, message.chat_id).await {
            Ok(chat) => chat.and_then(|chat| chat.name),
            Err(error) => {
                tracing::warn!(%error, "cannot read a group's name for its dispatch");
                None
            }
        }
    } else {
        None
    };
    let attachment_url = message
        .attachment
        .as_ref()
        .map(|file| match message.organization_id {
            Some(org) => format!("/api/v1/files/{}/content?organization_id={org}", file.id),
            None => format!("/api/v1/files/{}/content", file.id),
        });
    Dispatch {
        chat_name,
        message_id: message.id,
        chat_wa_id: message.chat_wa_id.clone(),
        phone,
        kind: message.kind,
        text: message.text.clone(),
        attachment: message.attachment.clone(),
        attachment_url,
        lease_expires_at: lease_until,
        campaign_id: message.campaign_id,
    }
}

/// Background duty, every second: return lapsed leases to the queue, and
/// offer every hosted number its next message (this also picks up messages
/// queued through another relay sharing the database).
pub async fn sweep_forever(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        sweep(&state).await;
    }
}

/// One pass of [`sweep_forever`].
pub async fn sweep(state: &AppState) {
    match state.store.expire_leases(Utc::now()).await {
        Ok(requeued) => {
            for (account, message) in requeued {
                tracing::info!(message = %message.id, "lease lapsed; message back in the queue");
                live::message(state, account, message);
            }
        }
        Err(error) => tracing::error!(%error, "cannot expire leases"),
    }
    for account in state.hub.hosted_accounts() {
        pump(state, account);
    }
}
