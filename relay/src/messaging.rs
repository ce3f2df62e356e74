//! Sending through a number, shared by the REST API and the WebSocket: the
//! profile check, validation, queuing, dispatch to the host, host reports,
//! incoming capture, and the live events each of them causes.
//!
//! Dispatch hands a host one message at a time under a lease; the next goes
//! out when the host reports the last one sent or failed. That keeps each
//! chat (and the whole number) in queue order, matching how WhatsApp Web
//! sends: one message after another.

use axum::http::StatusCode;
use chorus_shared::account::Role;
use chorus_shared::api::User;
use chorus_shared::error::ErrorCode;
use chorus_shared::limits;
use chorus_shared::message::{MessageKind, MessageStatus};
use chorus_shared::protocol::{DeliveryReport, Dispatch, IncomingMessage, ServerFrame};
use chorus_shared::queue::{MessageView, SendMessage};
use chrono::Utc;
use uuid::Uuid;

use crate::error::ApiError;
use crate::store::{AccountRef, ChatRef, ChatTarget, LeaseOffer, NewOutgoing, Report, StoreError};
use crate::{orgs, phone, AppState};

/// The account behind a profile choice, checked against the caller: "You"
/// is the caller's own; an organization needs membership (else 404).
pub async fn account_for(
    state: &AppState,
    user: &User,
    organization_id: Option<Uuid>,
) -> Result<(AccountRef, Option<Role>), ApiError> {
    match organization_id {
        None => Ok((AccountRef::Personal(user.id), None)),
        Some(org) => {
            let role = orgs::role_in(state, org, user.id).await?;
            Ok((AccountRef::Organization(org), Some(role)))
        }
    }
}

/// Shows `queued` as `waiting_for_host` while nobody hosts the number.
pub fn present(state: &AppState, account: AccountRef, mut message: MessageView) -> MessageView {
    if message.status == MessageStatus::Queued && !state.hub.host_online(account) {
        message.status = MessageStatus::WaitingForHost;
    }
    message
}

/// Queues a message for the caller. Returns it and whether this call created
/// it (false when the idempotency key was used before).
pub async fn send(
    state: &AppState,
    user: &User,
    request: SendMessage,
) -> Result<(MessageView, bool), ApiError> {
    let (account, _) = account_for(state, user, request.organization_id).await?;
    let key = request.idempotency_key.trim().to_owned();
    if key.is_empty() || key.chars().count() > limits::IDEMPOTENCY_KEY_MAX_CHARS {
        return Err(ApiError::invalid_field(
            "idempotency_key",
            format!(
                "Give a key of 1 to {} characters, unique per message (a UUID works).",
                limits::IDEMPOTENCY_KEY_MAX_CHARS
            ),
        ));
    }
    let text = request
        .text
        .map(|text| text.trim_end().to_owned())
        .filter(|text| !text.trim().is_empty());
    if let Some(text) = &text {
        if text.chars().count() > limits::MESSAGE_TEXT_MAX_CHARS {
            return Err(ApiError::invalid_field(
                "text",
                format!(
                    "A message has at most {} characters; split it.",
                    limits::MESSAGE_TEXT_MAX_CHARS
                ),
            ));
        }
    }
    let kind = match request.attachment_id {
        Some(file_id) => {
            let file = state.store.file(account, file_id).await?.ok_or_else(|| {
                ApiError::not_found("file")
                    .with_field("attachment_id", "no such file in this profile")
            })?;
            if let Some(claimed) = request.kind {
                if claimed != file.kind {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::AttachmentKindMismatch,
                        format!(
                            "The attachment is a {} ({}), not a {}. Send it as {} or attach another file.",
                            file.kind.as_str(),
                            file.mime,
                            claimed.as_str(),
                            file.kind.as_str()
                        ),
                    )
                    .with_field("kind", "does not match the attachment"));
                }
            }
            file.kind
        }
        None => {
            if matches!(request.kind, Some(kind) if kind != MessageKind::Text) {
                return Err(ApiError::invalid_field(
                    "attachment_id",
                    "A media message needs an uploaded file; upload it first.",
                ));
            }
            if text.is_none() {
                return Err(ApiError::invalid_field(
                    "text",
                    "Write a message, or attach a file.",
                ));
            }
            MessageKind::Text
        }
    };
    let chat = match (request.phone.as_deref(), request.chat_id) {
        (Some(number), None) => ChatRef::Target(person_chat(state, user, account, number).await?),
        (None, Some(chat_id)) => ChatRef::Id(chat_id),
        _ => {
            return Err(ApiError::invalid_field(
                "phone",
                "Give either a phone number or a chat id (not both).",
            ))
        }
    };
    let host = state.hub.host(account);
    let lease = host.as_ref().map(|(connection, _)| LeaseOffer {
        owner: lease_owner(state, *connection),
        until: Utc::now() + state.settings.lease,
        window: state.settings.dispatch_window,
    });
    let new = NewOutgoing {
        id: Uuid::now_v7(),
        account,
        author_id: user.id,
        chat,
        kind,
        text,
        attachment_id: request.attachment_id,
        idempotency_key: key,
        lease,
    };
    let queued = state
        .sends
        .call(new)
        .await
        .ok_or_else(|| ApiError::internal(&"the relay is shutting down"))?
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("chat"),
            other => other.into(),
        })?;
    if queued.created {
        let leased = queued.message.status == MessageStatus::Sending;
        if let (true, Some((connection, outbox))) = (leased, host) {
            hand_over(state, account, connection, &outbox, &queued.message).await;
        } else {
            pump(state, account);
        }
        publish_message(state, account, queued.message.clone());
        publish_credits(state, account).await;
    }
    Ok((present(state, account, queued.message), queued.created))
}

/// The batch task behind [`send`]: concurrent sends share one transaction.
pub fn send_batcher(
    store: std::sync::Arc<dyn crate::store::Store>,
) -> crate::batcher::Batcher<NewOutgoing, Result<crate::store::Queued, StoreError>> {
    crate::batcher::Batcher::spawn(256, move |batch| {
        let store = std::sync::Arc::clone(&store);
        async move {
            let size = batch.len();
            match store.queue_messages(batch, Utc::now()).await {
                Ok(results) => results,
                Err(error) => {
                    tracing::error!(%error, "a batch of sends failed");
                    (0..size)
                        .map(|_| Err(StoreError::Database(sqlx::Error::PoolClosed)))
                        .collect()
                }
            }
        }
    })
}

/// Sends a message leased while queuing to the host it was leased to; if
/// that host has gone meanwhile, its leases go back to the queue.
async fn hand_over(
    state: &AppState,
    account: AccountRef,
    connection: Uuid,
    outbox: &crate::hub::Outbox,
    message: &MessageView,
) {
    if state.hub.host(account).map(|(current, _)| current) == Some(connection) {
        let lease_until = Utc::now() + state.settings.lease;
        outbox.frame(ServerFrame::Dispatch {
            message: dispatch_of(message, lease_until),
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
                publish_message(state, account, message);
            }
        }
        Err(error) => tracing::error!(%error, "cannot release a departed host's lease"),
    }
    pump(state, account);
}

/// The chat for a phone number, read in the profile's country when written
/// without a country code.
async fn person_chat(
    state: &AppState,
    user: &User,
    account: AccountRef,
    number: &str,
) -> Result<ChatTarget, ApiError> {
    let country = match account {
        AccountRef::Organization(org) => state
            .store
            .organization(org)
            .await?
            .map(|org| org.default_country),
        AccountRef::Personal(_) => user.phone.as_deref().and_then(phone::country_of),
    };
    let e164 = phone::normalise(number, country.as_deref()).map_err(|problem| {
        ApiError::invalid_field("phone", problem).with_code(ErrorCode::InvalidPhoneNumber)
    })?;
    Ok(ChatTarget {
        wa_id: format!("{}@c.us", e164.trim_start_matches('+')),
        phone: Some(e164),
        name: None,
    })
}

/// Cancels a queued message of the caller's profile.
pub async fn cancel(
    state: &AppState,
    user: &User,
    organization_id: Option<Uuid>,
    message_id: Uuid,
) -> Result<MessageView, ApiError> {
    let (account, _) = account_for(state, user, organization_id).await?;
    let message = state
        .store
        .cancel_message(account, message_id, Utc::now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("message"),
            other => other.into(),
        })?;
    publish_message(state, account, message.clone());
    publish_credits(state, account).await;
    Ok(message)
}

/// Sends a message's new state to every sidebar watching its account.
pub fn publish_message(state: &AppState, account: AccountRef, message: MessageView) {
    let message = present(state, account, message);
    state
        .hub
        .to_sidebars(account, ServerFrame::Message { message });
}

/// Sends the account's balance to its sidebars, soon and off the caller's
/// path; a burst of changes sends the balance a few times, not once each.
pub async fn publish_credits(state: &AppState, account: AccountRef) {
    state.balance_pushes.run(state, account, push_balance);
}

async fn push_balance(state: AppState, account: AccountRef) {
    let state = &state;
    match state.store.credits(account, Utc::now(), 0).await {
        Ok(credits) => state.hub.to_sidebars(
            account,
            ServerFrame::Credits {
                organization_id: account.organization_id(),
                available: credits.available,
                reserved: credits.reserved,
            },
        ),
        Err(error) => tracing::warn!(%error, "cannot read the balance to publish it"),
    }
}

/// The lease owner name of a host connection on this relay.
pub fn lease_owner(state: &AppState, connection: Uuid) -> String {
    format!("{}/{connection}", state.instance)
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
                    message: dispatch_of(&message, lease_until),
                });
                publish_message(state, account, message);
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

fn dispatch_of(message: &MessageView, lease_until: chrono::DateTime<Utc>) -> Dispatch {
    let phone = message
        .chat_wa_id
        .strip_suffix("@c.us")
        .map(|digits| format!("+{digits}"));
    let attachment_url = message
        .attachment
        .as_ref()
        .map(|file| match message.organization_id {
            Some(org) => format!("/api/v1/files/{}/content?organization_id={org}", file.id),
            None => format!("/api/v1/files/{}/content", file.id),
        });
    Dispatch {
        message_id: message.id,
        chat_wa_id: message.chat_wa_id.clone(),
        phone,
        kind: message.kind,
        text: message.text.clone(),
        attachment: message.attachment.clone(),
        attachment_url,
        lease_expires_at: lease_until,
    }
}

/// Applies a host's report about one of its number's messages.
pub async fn report(
    state: &AppState,
    account: AccountRef,
    message_id: Uuid,
    report: &DeliveryReport,
) -> Result<MessageView, ApiError> {
    let before = state.store.message(account, message_id).await?;
    let request = Report {
        account,
        message_id,
        report: report.clone(),
    };
    let message = state
        .reports
        .call(request)
        .await
        .ok_or_else(|| ApiError::internal(&"the relay is shutting down"))?
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("message"),
            other => other.into(),
        })?;
    let changed = before
        .as_ref()
        .is_none_or(|b| b.status != message.status || b.wa_id != message.wa_id);
    if changed {
        publish_message(state, account, message.clone());
    }
    if matches!(
        report,
        DeliveryReport::Sent { .. } | DeliveryReport::Failed { .. }
    ) {
        if changed {
            publish_credits(state, account).await;
        }
        pump(state, account);
    }
    Ok(message)
}

/// The batch task behind [`report`]: concurrent reports share one transaction.
pub fn report_batcher(
    store: std::sync::Arc<dyn crate::store::Store>,
    lease: chrono::Duration,
) -> crate::batcher::Batcher<Report, Result<MessageView, StoreError>> {
    crate::batcher::Batcher::spawn(256, move |batch: Vec<Report>| {
        let store = std::sync::Arc::clone(&store);
        async move {
            let size = batch.len();
            let now = Utc::now();
            match store.apply_reports(batch, now, now + lease).await {
                Ok(results) => results,
                Err(error) => {
                    tracing::error!(%error, "a batch of reports failed");
                    (0..size)
                        .map(|_| Err(StoreError::Database(sqlx::Error::PoolClosed)))
                        .collect()
                }
            }
        }
    })
}

/// Stores a message the host saw arrive, once per WhatsApp id.
pub async fn incoming(
    state: &AppState,
    account: AccountRef,
    incoming: &IncomingMessage,
) -> Result<(MessageView, bool), ApiError> {
    let wa_id = incoming.wa_id.trim();
    let chat = incoming.chat_wa_id.trim();
    if wa_id.is_empty() || wa_id.len() > 256 {
        return Err(ApiError::invalid_field(
            "wa_id",
            "WhatsApp's message id is required.",
        ));
    }
    if !(chat.ends_with("@c.us") || chat.ends_with("@g.us") || chat.ends_with("@lid"))
        || chat.len() > 128
    {
        return Err(ApiError::invalid_field(
            "chat_wa_id",
            "Expected a WhatsApp chat id such as 447400123456@c.us.",
        ));
    }
    if incoming
        .text
        .as_ref()
        .is_some_and(|text| text.chars().count() > limits::MESSAGE_TEXT_MAX_CHARS * 16)
    {
        return Err(ApiError::invalid_field(
            "text",
            "Too long for a WhatsApp message.",
        ));
    }
    let target = ChatTarget {
        wa_id: chat.to_owned(),
        phone: chat
            .strip_suffix("@c.us")
            .map(|digits| format!("+{digits}")),
        name: incoming.chat_name.clone(),
    };
    let (message, duplicate) = state
        .store
        .record_incoming(account, Uuid::now_v7(), incoming, target, Utc::now())
        .await?;
    if !duplicate {
        publish_message(state, account, message.clone());
        publish_credits(state, account).await;
    }
    Ok((message, duplicate))
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
                publish_message(state, account, message);
            }
        }
        Err(error) => tracing::error!(%error, "cannot expire leases"),
    }
    for account in state.hub.hosted_accounts() {
        pump(state, account);
    }
}
