//! The teamwork change feed: what changed in chats, comments, contacts and
//! files after a cursor, so a sidebar that was offline misses nothing (the
//! live WebSocket events carry the same changes as they happen).

use axum::extract::State;
use axum::Json;
use chorus_shared::error::ErrorBody;
use chorus_shared::team::{ChangePage, FeedCursor};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::ApiQuery;
use crate::AppState;

/// Largest page of each kind of change.
const PAGE_MAX: i64 = 500;

/// Routes under `/api/v1` for the change feed.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(changes))
}

/// Feed position and page size.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct ChangesQuery {
    /// The organization profile; leave out for "You".
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// `cursor` of the previous page (absent for the beginning).
    after: Option<String>,
    /// Most changes of each kind, at most 500 (default 200).
    limit: Option<i64>,
}

/// Chats, comments, contacts and files changed after the cursor, in change
/// order (messages have their own feed: `GET /messages`).
#[utoipa::path(get, path = "/changes", tag = "chats", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = ChangePage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn changes(
    State(state): State<AppState>,
    caller: InProfile,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<Json<ChangePage>, ApiError> {
    let account = caller.account;
    let after = match query.after.as_deref() {
        None | Some("") => FeedCursor::default(),
        Some(text) => FeedCursor::parse(text).ok_or_else(|| {
            ApiError::invalid_field("after", "Pass the `cursor` of the previous page.")
        })?,
    };
    let limit = query.limit.unwrap_or(200).clamp(1, PAGE_MAX);
    Ok(Json(state.store.team_changes(account, after, limit).await?))
}
