//! Messages over REST: queue one, read one, cancel one, and read the
//! profile's change feed after a cursor (what a reconnecting sidebar uses to
//! catch up on everything it missed).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::error::ErrorBody;
use chorus_shared::queue::{MessagePage, MessageView, QueueSummary, SendAnswer, SendMessage};
use chorus_shared::team::AddedAsComment;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, ProfileQuery};
use crate::live;
use crate::messaging;
use crate::session::CurrentUser;
use crate::AppState;

/// Largest page of the change feed.
const PAGE_MAX: i64 = 500;

/// Routes under `/api/v1` for messages.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send, changes))
        .routes(routes!(message))
        .routes(routes!(cancel))
        .routes(routes!(queue))
}

/// How much waits for the profile's host.
#[utoipa::path(get, path = "/queue", tag = "messages", security(("bearer" = [])),
    params(ProfileQuery),
    responses((status = 200, body = QueueSummary), (status = 404, body = ErrorBody)))]
async fn queue(
    State(state): State<AppState>,
    caller: InProfile,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<QueueSummary>, ApiError> {
    let account = caller.account;
    let (queued, sending) = state.store.queue_counts(account).await?;
    Ok(Json(QueueSummary {
        queued,
        sending,
        host_online: state.hub.host_online(account),
    }))
}

/// Queue a message through a profile's number. It is stored before this
/// returns; 201 when queued now, 200 when the idempotency key was used before.
#[utoipa::path(post, path = "/messages", tag = "messages", security(("bearer" = [])),
    request_body = SendMessage,
    responses(
        (status = 201, body = MessageView),
        (status = 200, description = "same idempotency key as an earlier send", body = MessageView),
        (status = 202, description = "the chat is assigned to someone else: kept as a comment, not sent", body = AddedAsComment),
        (status = 402, description = "not enough credits", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn send(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<SendMessage>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let answer = messaging::send(&state, &current.user, body).await?;
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::OK);
    Ok(match answer {
        SendAnswer::Queued(message) | SendAnswer::AlreadyQueued(message) => {
            (status, Json(message)).into_response()
        }
        SendAnswer::KeptAsComment(added) => (status, Json(added)).into_response(),
    })
}

/// Feed position and page size.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    /// The organization profile; leave out for "You".
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// Cursor from the previous page (0 or absent for the beginning).
    after: Option<i64>,
    /// Page size, at most 500 (default 100).
    limit: Option<i64>,
}

/// Messages changed after the cursor, in change order.
#[utoipa::path(get, path = "/messages", tag = "messages", security(("bearer" = [])),
    params(FeedQuery),
    responses((status = 200, body = MessagePage), (status = 404, body = ErrorBody)))]
async fn changes(
    State(state): State<AppState>,
    caller: InProfile,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let account = caller.account;
    let after = query.after.unwrap_or(0).max(0);
    let limit = query.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    // Read first: whatever changes later is past it.
    let head = state.store.feed_head(account).await?;
    let mut messages = state.store.changes_after(account, after, limit + 1).await?;
    let more = messages.len() as i64 > limit;
    messages.truncate(limit as usize);
    let cursor = messages.last().map_or(after, |m| m.seq);
    Ok(Json(MessagePage {
        messages: messages
            .into_iter()
            .map(|m| live::present(&state, account, m))
            .collect(),
        cursor,
        more,
        head,
        host_online: state.hub.host_online(account),
    }))
}

/// One message of the profile.
#[utoipa::path(get, path = "/messages/{message_id}", tag = "messages", security(("bearer" = [])),
    params(("message_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody)))]
async fn message(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(message_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<MessageView>, ApiError> {
    let account = caller.account;
    let message = state
        .store
        .message(account, message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(Json(live::present(&state, account, message)))
}

/// Withdraw a message no host has taken yet; its credits are released.
#[utoipa::path(post, path = "/messages/{message_id}/cancel", tag = "messages",
    security(("bearer" = [])), params(("message_id" = Uuid, Path), ProfileQuery),
    responses(
        (status = 200, body = MessageView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already handed to the host", body = ErrorBody),
    ))]
async fn cancel(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(message_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ProfileQuery>,
) -> Result<Json<MessageView>, ApiError> {
    let message =
        messaging::cancel(&state, &current.user, query.organization_id, message_id).await?;
    Ok(Json(message))
}
