//! Sending through a number, shared by the REST API and the WebSocket: the
//! profile check, validation, queuing (group-committed), host reports,
//! incoming capture, and the live events each of them causes. Handing
//! messages to hosts is [`crate::dispatch`].

use axum::http::StatusCode;
use chorus_shared::api::User;
use chorus_shared::error::ErrorCode;
use chorus_shared::message::{MessageKind, MessageStatus};
use chorus_shared::protocol::{DeliveryReport, IncomingMessage};
use chorus_shared::queue::{MediaSeen, MessageView, SendAnswer, SendMessage, Sender};
use chorus_shared::team::{AddedAsComment, CommentView};
use chorus_shared::{limits, text};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::InProfile;
use crate::error::ApiError;
use crate::live;
use crate::store::{
    AccountRef, Applied, ChatRef, ChatTarget, NewOutgoing, Report, SendOutcome, StoreError,
};
use crate::{dispatch, phone, AppState};

/// Queues a message for the caller, or keeps it as a comment when its chat
/// is assigned to another member. The answer says which, and whether an
/// earlier call with the same idempotency key made it.
pub async fn send(
    state: &AppState,
    user: &User,
    request: SendMessage,
) -> Result<SendAnswer, ApiError> {
    let account = InProfile::resolve(state, user, request.organization_id)
        .await?
        .account;
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
            let file = state
                .store
                .file(account, file_id, true)
                .await?
                .ok_or_else(|| {
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
    let new = NewOutgoing {
        id: Uuid::now_v7(),
        account,
        author_id: user.id,
        chat,
        kind,
        text,
        attachment_id: request.attachment_id,
        idempotency_key: key,
        lease: None,
        campaign_id: None,
    };
    let queued = queue(state, new)
        .await
        .ok_or_else(|| ApiError::internal(&"the relay is shutting down"))?
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("chat"),
            other => other.into(),
        })?;
    let created = queued.created;
    let message = match queued.outcome {
        SendOutcome::Message(message) => *message,
        SendOutcome::Comment(comment) => {
            return Ok(SendAnswer::KeptAsComment(
                added_as_comment(state, comment).await,
            ));
        }
    };
    let message = live::present(state, account, message);
    Ok(if created {
        SendAnswer::Queued(message)
    } else {
        SendAnswer::AlreadyQueued(message)
    })
}

/// Queues a message (group-committed with concurrent sends), leased at once
/// to the number's host when it has room, and publishes what a new message
/// or comment causes. `None` when the relay is shutting down.
pub(crate) async fn queue(
    state: &AppState,
    mut new: NewOutgoing,
) -> Option<Result<crate::store::Queued, StoreError>> {
    let account = new.account;
    let (offer, host) = dispatch::lease_offer(state, account).unzip();
    new.lease = offer.clone();
    let queued = match state.sends.call(new).await? {
        Ok(queued) => queued,
        Err(error) => return Some(Err(error)),
    };
    if queued.created {
        match &queued.outcome {
            SendOutcome::Comment(comment) => live::comment(state, account, comment.clone()),
            SendOutcome::Message(message) => {
                let leased = message.status == MessageStatus::Sending;
                if let (true, Some((connection, outbox)), Some(offer)) = (leased, host, offer) {
                    let lease = (connection, offer.until);
                    dispatch::hand_over(state, account, lease, &outbox, message).await;
                } else {
                    dispatch::pump(state, account);
                }
                live::message(state, account, message.as_ref().clone());
                live::credits(state, account).await;
            }
        }
    }
    Some(Ok(queued))
}

/// The reply to a send that became a comment, naming the assignee.
async fn added_as_comment(state: &AppState, comment: CommentView) -> AddedAsComment {
    let assignee_id = comment.assignee_id.unwrap_or_default();
    let who = match state.store.user(assignee_id).await {
        Ok(Some(user)) => user.email,
        _ => "another member".to_owned(),
    };
    AddedAsComment {
        detail: format!("Added as a comment: this chat is assigned to {who}."),
        assignee_id,
        comment,
    }
}

/// The batch task behind [`send`]: concurrent sends share one transaction,
/// and a batch the database refuses is retried send by send.
pub fn send_batcher(
    store: std::sync::Arc<dyn crate::store::Store>,
) -> crate::batcher::Batcher<NewOutgoing, Result<crate::store::Queued, StoreError>> {
    crate::batcher::Batcher::spawn(256, move |batch| {
        let store = std::sync::Arc::clone(&store);
        async move { queue_batch(store.as_ref(), batch).await }
    })
}

/// Queues a batch of sends; see [`crate::batcher::whole_or_one_by_one`].
pub async fn queue_batch(
    store: &dyn crate::store::Store,
    batch: Vec<NewOutgoing>,
) -> Vec<Result<crate::store::Queued, StoreError>> {
    crate::batcher::whole_or_one_by_one(batch, |batch| store.queue_messages(batch, Utc::now()))
        .await
}

/// The chat for a phone number, read in the profile's country when written
/// without a country code.
async fn person_chat(
    state: &AppState,
    user: &User,
    account: AccountRef,
    number: &str,
) -> Result<ChatTarget, ApiError> {
    let e164 = profile_number(state, user, account, number).await?;
    Ok(ChatTarget {
        wa_id: crate::whatsapp::person_chat(&e164),
        phone: Some(e164),
        name: None,
    })
}

/// A phone number in E.164, read in the profile's country (the
/// organization's default, or the country of the user's own number) when
/// written without a country code.
pub async fn profile_number(
    state: &AppState,
    user: &User,
    account: AccountRef,
    number: &str,
) -> Result<String, ApiError> {
    let country = profile_country(state, user, account).await?;
    phone::normalise(number, country.as_deref()).map_err(|problem| {
        ApiError::invalid_field("phone", problem).with_code(ErrorCode::InvalidPhoneNumber)
    })
}

/// The country numbers without a country code are read in: the
/// organization's default, or the country of the user's own number.
pub async fn profile_country(
    state: &AppState,
    user: &User,
    account: AccountRef,
) -> Result<Option<String>, ApiError> {
    Ok(match account {
        AccountRef::Organization(org) => state
            .store
            .organization(org)
            .await?
            .map(|org| org.default_country),
        AccountRef::Personal(_) => user.phone.as_deref().and_then(phone::country_of),
    })
}

/// Cancels a queued message of the caller's profile.
pub async fn cancel(
    state: &AppState,
    user: &User,
    organization_id: Option<Uuid>,
    message_id: Uuid,
) -> Result<MessageView, ApiError> {
    let account = InProfile::resolve(state, user, organization_id)
        .await?
        .account;
    cancel_in(state, account, message_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("message"),
            other => other.into(),
        })
}

/// Cancels a queued message of the account and publishes the change.
pub(crate) async fn cancel_in(
    state: &AppState,
    account: AccountRef,
    message_id: Uuid,
) -> Result<MessageView, StoreError> {
    let message = state
        .store
        .cancel_message(account, message_id, Utc::now())
        .await?;
    live::message(state, account, message.clone());
    live::credits(state, account).await;
    Ok(message)
}

/// Applies a host's report about one of its number's messages.
pub async fn report(
    state: &AppState,
    account: AccountRef,
    message_id: Uuid,
    report: &DeliveryReport,
) -> Result<MessageView, ApiError> {
    let report = &bounded(report)?;
    let (lease, host) = dispatch::lease_offer(state, account).unzip();
    let request = Report {
        account,
        message_id,
        report: report.clone(),
        lease: lease.clone(),
    };
    let Applied {
        message,
        changed,
        leased,
    } = state
        .reports
        .call(request)
        .await
        .ok_or_else(|| ApiError::internal(&"the relay is shutting down"))?
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("message"),
            other => other.into(),
        })?;
    if changed {
        live::message(state, account, message.clone());
    }
    if let (Some((connection, outbox)), Some(offer)) = (&host, &lease) {
        for next in &leased {
            dispatch::hand_over(state, account, (*connection, offer.until), outbox, next).await;
            live::message(state, account, next.clone());
        }
    }
    if matches!(
        report,
        DeliveryReport::Sent { .. } | DeliveryReport::Failed { .. }
    ) {
        if changed {
            live::credits(state, account).await;
            if message.campaign_id.is_some() {
                crate::campaigns::feeder::wake(state, account);
            }
        }
        if lease.is_none() {
            dispatch::pump(state, account);
        }
    }
    Ok(message)
}

/// A host's report with its strings within what the relay stores: a
/// failure reason is clipped, a WhatsApp id that long is no id.
fn bounded(report: &DeliveryReport) -> Result<DeliveryReport, ApiError> {
    match report {
        DeliveryReport::Sent { wa_id: Some(wa_id) }
            if wa_id.chars().count() > limits::WA_ID_MAX_CHARS =>
        {
            Err(ApiError::invalid_field(
                "wa_id",
                format!(
                    "A WhatsApp message id has at most {} characters.",
                    limits::WA_ID_MAX_CHARS
                ),
            ))
        }
        DeliveryReport::Failed { reason } => Ok(DeliveryReport::Failed {
            reason: text::clip(reason, limits::FAILURE_REASON_MAX_CHARS),
        }),
        other => Ok(other.clone()),
    }
}

/// The batch task behind [`report`]: concurrent reports share one
/// transaction, and a batch the database refuses is retried report by report.
pub fn report_batcher(
    store: std::sync::Arc<dyn crate::store::Store>,
    lease: chrono::Duration,
) -> crate::batcher::Batcher<Report, Result<Applied, StoreError>> {
    crate::batcher::Batcher::spawn(256, move |batch: Vec<Report>| {
        let store = std::sync::Arc::clone(&store);
        async move { apply_report_batch(store.as_ref(), batch, lease).await }
    })
}

/// Applies a batch of host reports; see [`crate::batcher::whole_or_one_by_one`].
pub async fn apply_report_batch(
    store: &dyn crate::store::Store,
    batch: Vec<Report>,
    lease: chrono::Duration,
) -> Vec<Result<Applied, StoreError>> {
    crate::batcher::whole_or_one_by_one(batch, |batch| {
        let now = Utc::now();
        store.apply_reports(batch, now, now + lease)
    })
    .await
}

/// How long a shown file size may be ("2.4 MB", "3 pages").
const MEDIA_SIZE_MAX_CHARS: usize = 40;

/// Whether a time read from a message row can be WhatsApp's: not before
/// WhatsApp existed, nor later than the next day (a host's clock or zone may
/// be off by hours). Anything else is dropped, not refused: the message
/// itself must be kept.
fn plausible_wa_time(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let earliest = DateTime::<Utc>::from_timestamp(1_230_768_000, 0).unwrap_or_default(); // 2009
    at >= earliest && at <= now + chrono::Duration::days(1)
}

/// A name a host reported, cleaned and clipped as names are kept.
fn clean_name(name: &str) -> Option<String> {
    Some(text::clip(
        text::clean_name(name).trim(),
        limits::CONTACT_NAME_MAX_CHARS,
    ))
    .filter(|name| !name.is_empty())
}

/// Stores a message the host saw arrive, once per WhatsApp id.
pub async fn incoming(
    state: &AppState,
    account: AccountRef,
    incoming: &IncomingMessage,
) -> Result<(MessageView, bool), ApiError> {
    let wa_id = incoming.wa_id.trim();
    let chat = incoming.chat_wa_id.trim();
    if wa_id.is_empty() || wa_id.len() > limits::WA_ID_MAX_CHARS {
        return Err(ApiError::invalid_field(
            "wa_id",
            "WhatsApp's message id is required.",
        ));
    }
    let chat = crate::whatsapp::check_chat_id("chat_wa_id", chat)?;
    // What a host reports is kept even when longer than the relay stores
    // (a customer's long message must not be lost): clipped, not refused.
    let mut incoming = incoming.clone();
    incoming.text = incoming
        .text
        .map(|text| text::clip(&text, limits::MESSAGE_TEXT_MAX_CHARS));
    let chat_name = incoming.chat_name.as_deref().and_then(clean_name);
    incoming.chat_name = chat_name.clone();
    incoming.sender = match incoming.sender.take() {
        Some(sender) => Some(Sender {
            wa_id: crate::whatsapp::check_chat_id("sender.wa_id", &sender.wa_id)?,
            name: sender.name.as_deref().and_then(clean_name),
        }),
        None => None,
    };
    incoming.media = incoming.media.take().map(|media| MediaSeen {
        name: media.name.as_deref().and_then(clean_name),
        size: media
            .size
            .map(|size| text::clip(size.trim(), MEDIA_SIZE_MAX_CHARS))
            .filter(|size| !size.is_empty()),
    });
    incoming.wa_time = incoming
        .wa_time
        .filter(|at| plausible_wa_time(*at, Utc::now()));
    let incoming = &incoming;
    let target = ChatTarget {
        phone: crate::whatsapp::phone_of(&chat),
        wa_id: chat,
        name: chat_name,
    };
    let (message, duplicate) = state
        .store
        .record_incoming(account, Uuid::now_v7(), incoming, target, Utc::now())
        .await?;
    if !duplicate {
        live::message(state, account, message.clone());
        live::credits(state, account).await;
        // Its chat has one more unread message, and may have reopened.
        if let Ok(Some(chat)) = state.store.chat(account, message.chat_id).await {
            live::chat(state, account, chat);
        }
    }
    Ok((message, duplicate))
}
