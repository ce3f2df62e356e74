//! Chats over REST: the list with its filters, one chat, its status and
//! name, marking it read, assignment (recorded as a comment line), comments
//! and the timeline that interleaves them with the chat's messages.
//! Every change is pushed to the profile's sidebars as it happens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::account::Role;
use chorus_shared::api::User;
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::limits;
use chorus_shared::team::{
    AssignChat, ChatPage, ChatStatus, ChatView, CommentKind, CommentView, Timeline, UpdateChat,
    WriteComment,
};
use chrono::Utc;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::access::InProfile;
use crate::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, ProfileQuery};
use crate::live;
use crate::store::{
    AccountRef, AssignRule, AssigneeSelect, Assignment, ChatQuery, NewComment, StoreError,
};
use crate::AppState;

/// Largest page of chats or timeline lines.
const PAGE_MAX: i64 = 200;

/// Routes under `/api/v1` for chats and comments.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(chat, update))
        .routes(routes!(mark_read))
        .routes(routes!(assign))
        .routes(routes!(timeline))
        .routes(routes!(add_comment))
        .routes(routes!(edit_comment, delete_comment))
}

/// One chat of the account, or 404.
async fn chat_in(
    state: &AppState,
    account: AccountRef,
    chat_id: Uuid,
) -> Result<ChatView, ApiError> {
    state
        .store
        .chat(account, chat_id)
        .await?
        .ok_or_else(|| ApiError::not_found("chat"))
}

fn chat_not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("chat"),
        other => other.into(),
    }
}

/// Filters of the chat list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// The organization profile; leave out for "You".
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// `mine`, `unassigned`, `anyone` (default) or a member's id.
    assignee: Option<String>,
    /// `open` or `resolved`.
    status: Option<ChatStatus>,
    /// Only chats whose contact has this tag.
    tag: Option<String>,
    /// Part of the name or number.
    q: Option<String>,
    /// `next` from the previous page.
    cursor: Option<String>,
    /// Page size, at most 200 (default 50).
    limit: Option<i64>,
}

/// The profile's chats, newest activity first.
#[utoipa::path(get, path = "/chats", tag = "chats", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ChatPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: InProfile,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ChatPage>, ApiError> {
    let account = caller.account;
    let assignee = match query.assignee.as_deref().map(str::trim) {
        None | Some("anyone") | Some("") => AssigneeSelect::Anyone,
        Some("mine") => AssigneeSelect::User(caller.user.id),
        Some("unassigned") => AssigneeSelect::Unassigned,
        Some(other) => AssigneeSelect::User(Uuid::parse_str(other).map_err(|_| {
            ApiError::invalid_field(
                "assignee",
                "Use mine, unassigned, anyone, or a member's id.",
            )
        })?),
    };
    let after = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(parse_cursor(cursor).ok_or_else(|| {
            ApiError::invalid_field("cursor", "Pass the `next` value of the previous page.")
        })?),
    };
    let limit = query.limit.unwrap_or(50).clamp(1, PAGE_MAX);
    let tag = match query.tag.as_deref() {
        Some(tag) => Some(
            limits::normalise_tag(tag)
                .map_err(|problem| ApiError::invalid_field("tag", problem))?,
        ),
        None => None,
    };
    let search = query
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    let chats = state
        .store
        .chats(
            account,
            ChatQuery {
                assignee,
                status: query.status,
                tag,
                search,
                after,
                limit: limit + 1,
            },
        )
        .await?;
    let mut chats = chats;
    let next = if chats.len() as i64 > limit {
        chats.truncate(limit as usize);
        chats
            .last()
            .map(|chat| format!("{}:{}", chat.last_activity_at.timestamp_millis(), chat.id))
    } else {
        None
    };
    Ok(Json(ChatPage { chats, next }))
}

fn parse_cursor(cursor: &str) -> Option<(i64, Uuid)> {
    let (at, id) = cursor.split_once(':')?;
    Some((at.parse().ok()?, Uuid::parse_str(id).ok()?))
}

/// One chat of the profile.
#[utoipa::path(get, path = "/chats/{chat_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody)))]
async fn chat(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(chat_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<ChatView>, ApiError> {
    let account = caller.account;
    let chat = chat_in(&state, account, chat_id).await?;
    Ok(Json(chat))
}

/// Resolve or reopen a chat (any member; recorded in the timeline), or
/// change the name shown for it (the person's contact, or the group).
#[utoipa::path(patch, path = "/chats/{chat_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ProfileQuery), request_body = UpdateChat,
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(chat_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
    ApiJson(body): ApiJson<UpdateChat>,
) -> Result<Json<ChatView>, ApiError> {
    let account = caller.account;
    if body.status.is_none() && body.name.is_none() {
        return Err(ApiError::invalid_field(
            "status",
            "Give a status (open or resolved) or a name to change.",
        ));
    }
    let name = match &body.name {
        Some(name) => Some(
            limits::normalise_name(name)
                .map_err(|problem| ApiError::invalid_field("name", problem))?,
        ),
        None => None,
    };
    let status = body.status.map(|status| {
        let verb = match status {
            ChatStatus::Resolved => "Resolved",
            ChatStatus::Open => "Reopened",
        };
        (status, format!("{verb} by {}", caller.user.email))
    });
    let (chat, line) = state
        .store
        .update_chat(account, chat_id, caller.user.id, status, name, Utc::now())
        .await
        .map_err(chat_not_found)?;
    if let Some(line) = line {
        live::comment(&state, account, line);
    }
    live::chat(&state, account, chat.clone());
    Ok(Json(chat))
}

/// Mark the chat's incoming messages read (for every member).
#[utoipa::path(post, path = "/chats/{chat_id}/read", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(chat_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<ChatView>, ApiError> {
    let account = caller.account;
    let (chat, changed) = state
        .store
        .mark_chat_read(account, chat_id)
        .await
        .map_err(chat_not_found)?;
    if changed {
        live::chat(&state, account, chat.clone());
    }
    Ok(Json(chat))
}

/// Assign the chat to a member, or unassign it (`null`). Admins assign
/// anyone and reassign; agents may take a chat nobody handles. The change is
/// recorded as a comment line every member sees; from then on only the
/// assignee's sends go out, others' become comments.
#[utoipa::path(put, path = "/chats/{chat_id}/assignee", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ProfileQuery), request_body = AssignChat,
    responses(
        (status = 200, body = ChatView),
        (status = 403, description = "an agent assigning someone else", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "an agent taking a chat someone handles", body = ErrorBody),
        (status = 422, description = "not a member, or not an organization's chat", body = ErrorBody),
    ))]
async fn assign(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(chat_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
    ApiJson(body): ApiJson<AssignChat>,
) -> Result<Json<ChatView>, ApiError> {
    let (account, role) = (caller.account, caller.role);
    let (AccountRef::Organization(org), Some(role)) = (account, role) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "Only an organization's chats are assigned; pass its organization_id.",
        ));
    };
    let rule = match role {
        Role::Admin => AssignRule::Admin,
        Role::Agent if body.assignee_id == Some(caller.user.id) => AssignRule::TakeUnassigned,
        Role::Agent => {
            return Err(ApiError::forbidden(
                "Only an admin can assign a chat to someone else or unassign it; you can take an unassigned chat yourself.",
            ))
        }
    };
    let line = match body.assignee_id {
        Some(assignee) => {
            let who = member_email(&state, org, assignee).await?;
            format!("Assigned to {who} by {}", caller.user.email)
        }
        None => format!("Unassigned by {}", caller.user.email),
    };
    let (chat, line) = state
        .store
        .assign_chat(
            account,
            Assignment {
                chat_id,
                actor: caller.user.id,
                assignee: body.assignee_id,
                rule,
                line,
            },
            Utc::now(),
        )
        .await
        .map_err(chat_not_found)?;
    live::comment(&state, account, line);
    live::chat(&state, account, chat.clone());
    Ok(Json(chat))
}

/// The email of a member of the organization, or a clear refusal.
async fn member_email(state: &AppState, org: Uuid, user_id: Uuid) -> Result<String, ApiError> {
    let not_member = || {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NotAMember,
            "That person is not a member of this organization; invite them first.",
        )
        .with_field("assignee_id", "not a member of this organization")
    };
    crate::access::role_in(state, org, user_id)
        .await
        .map_err(|_| not_member())?;
    let user: Option<User> = state.store.user(user_id).await?;
    user.map(|user| user.email).ok_or_else(not_member)
}

/// Position in the timeline.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct TimelineQuery {
    /// The organization profile; leave out for "You".
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// `earlier` from the previous page, for older lines.
    before: Option<Uuid>,
    /// How many lines, at most 200 (default 100).
    limit: Option<i64>,
}

/// The chat's messages and comments in one order, oldest first.
#[utoipa::path(get, path = "/chats/{chat_id}/timeline", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), TimelineQuery),
    responses((status = 200, body = Timeline), (status = 404, body = ErrorBody)))]
async fn timeline(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(chat_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<TimelineQuery>,
) -> Result<Json<Timeline>, ApiError> {
    let account = caller.account;
    let chat = chat_in(&state, account, chat_id).await?;
    let limit = query.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let mut items = state
        .store
        .timeline(account, chat_id, query.before, limit + 1)
        .await?;
    let earlier = if items.len() as i64 > limit {
        items.remove(0);
        items.first().map(timeline_id)
    } else {
        None
    };
    let items = items
        .into_iter()
        .map(|item| match item {
            chorus_shared::team::TimelineItem::Message { message } => {
                chorus_shared::team::TimelineItem::Message {
                    message: Box::new(live::present(&state, account, *message)),
                }
            }
            other => other,
        })
        .collect();
    Ok(Json(Timeline {
        chat,
        items,
        earlier,
    }))
}

fn timeline_id(item: &chorus_shared::team::TimelineItem) -> Uuid {
    match item {
        chorus_shared::team::TimelineItem::Message { message } => message.id,
        chorus_shared::team::TimelineItem::Comment { comment } => comment.id,
    }
}

fn comment_body(body: &WriteComment) -> Result<String, ApiError> {
    limits::check_comment(&body.body).map_err(|problem| ApiError::invalid_field("body", problem))
}

fn comment_not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("comment"),
        other => other.into(),
    }
}

/// Add a comment to the chat: every member sees it; WhatsApp never does.
#[utoipa::path(post, path = "/chats/{chat_id}/comments", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ProfileQuery), request_body = WriteComment,
    responses((status = 201, body = CommentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_comment(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(chat_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
    ApiJson(body): ApiJson<WriteComment>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let account = caller.account;
    let body = comment_body(&body)?;
    let comment = NewComment {
        id: Uuid::now_v7(),
        chat_id,
        author_id: caller.user.id,
        kind: CommentKind::Note,
        body,
    };
    let comment = state
        .store
        .add_comment(account, comment, Utc::now())
        .await
        .map_err(chat_not_found)?;
    live::comment(&state, account, comment.clone());
    Ok((StatusCode::CREATED, Json(comment)))
}

/// Edit your own note; the timeline shows that it was edited.
#[utoipa::path(patch, path = "/comments/{comment_id}", tag = "chats", security(("bearer" = [])),
    params(("comment_id" = Uuid, Path), ProfileQuery), request_body = WriteComment,
    responses((status = 200, body = CommentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_comment(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(comment_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
    ApiJson(body): ApiJson<WriteComment>,
) -> Result<Json<CommentView>, ApiError> {
    let account = caller.account;
    let body = comment_body(&body)?;
    let comment = state
        .store
        .change_comment(account, comment_id, caller.user.id, Some(body), Utc::now())
        .await
        .map_err(comment_not_found)?;
    live::comment(&state, account, comment.clone());
    Ok(Json(comment))
}

/// Delete your own note; the timeline keeps a line saying it was deleted.
#[utoipa::path(delete, path = "/comments/{comment_id}", tag = "chats", security(("bearer" = [])),
    params(("comment_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = CommentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_comment(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(comment_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<CommentView>, ApiError> {
    let account = caller.account;
    let comment = state
        .store
        .change_comment(account, comment_id, caller.user.id, None, Utc::now())
        .await
        .map_err(comment_not_found)?;
    live::comment(&state, account, comment.clone());
    Ok(Json(comment))
}
