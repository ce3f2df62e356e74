//! The invitee's side of invites: accept (explicitly confirmed) or decline.
//!
//! An invite is found by id *and* the caller's email, so one addressed to
//! someone else answers 404 like an id that does not exist.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::api::{AcceptInvite, Invite};
use chorus_shared::error::{ErrorBody, ErrorCode};
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::session::CurrentUser;
use crate::store::StoreError;
use crate::AppState;

/// Routes under `/api/v1` for received invites.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accept))
        .routes(routes!(decline))
}

/// Join the organization as an agent. The body must confirm: `{"confirm": true}`.
#[utoipa::path(post, path = "/invites/{invite_id}/accept", tag = "invites",
    security(("bearer" = [])), params(("invite_id" = Uuid, Path)), request_body = AcceptInvite,
    responses(
        (status = 200, body = Invite),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already answered or revoked", body = ErrorBody),
        (status = 422, description = "not confirmed", body = ErrorBody),
    ))]
async fn accept(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(invite_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AcceptInvite>,
) -> Result<Json<Invite>, ApiError> {
    if !body.confirm {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ConfirmationRequired,
            "Confirm that you want to join this organization (send \"confirm\": true).",
        )
        .with_field("confirm", "must be true"));
    }
    answer(&state, invite_id, &current, true).await
}

/// Decline the invite.
#[utoipa::path(post, path = "/invites/{invite_id}/decline", tag = "invites",
    security(("bearer" = [])), params(("invite_id" = Uuid, Path)),
    responses(
        (status = 200, body = Invite),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already answered or revoked", body = ErrorBody),
    ))]
async fn decline(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(invite_id): ApiPath<Uuid>,
) -> Result<Json<Invite>, ApiError> {
    answer(&state, invite_id, &current, false).await
}

async fn answer(
    state: &AppState,
    invite_id: Uuid,
    current: &CurrentUser,
    accept: bool,
) -> Result<Json<Invite>, ApiError> {
    let invite = state
        .store
        .answer_invite(invite_id, &current.user, accept, Utc::now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("invite"),
            other => other.into(),
        })?;
    tracing::info!(invite = %invite.id, user = %current.user.id, accept, "invite answered");
    if accept {
        // Open sidebars of the new member see the organization at once.
        state.hub.set_watching(
            current.user.id,
            crate::store::AccountRef::Organization(invite.organization_id),
            true,
        );
    }
    Ok(Json(invite))
}
