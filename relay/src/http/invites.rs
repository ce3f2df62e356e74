//! The invitee's side of invites: accept (explicitly confirmed, with the
//! invite's one-time code) or decline.
//!
//! An invite is found by id *and* the caller's email, so one addressed to
//! someone else answers 404 like an id that does not exist. The relay sends
//! no email, so owning the address is never proven by signing up with it:
//! the code, which the admin shares with the person they mean, is what
//! proves the invite reached them. Wrong codes slow down per user.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::api::{AcceptInvite, Invite};
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::limits;
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
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
        (status = 422, description = "not confirmed, or the code is missing or wrong", body = ErrorBody),
        (status = 429, description = "too many wrong codes; retry later", body = ErrorBody),
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
    let code = body
        .code
        .as_deref()
        .ok_or_else(|| "Enter the invite code your admin gave you.".to_owned())
        .and_then(limits::normalise_invite_code)
        .map_err(|problem| {
            ApiError::invalid_field("code", problem).with_code(ErrorCode::InvalidInviteCode)
        })?;
    let key = current.user.id.to_string();
    state
        .code_guesses
        .check(&key)
        .map_err(|wait| ApiError::rate_limited(wait.as_secs().max(1)))?;
    let answered = answer(&state, invite_id, &current, Some(&code_hash(&code))).await;
    if let Err(error) = &answered {
        if error.code() == ErrorCode::InvalidInviteCode {
            state.code_guesses.failed(&key);
        }
    }
    answered
}

/// A fresh invite code in canonical form (60 random bits).
pub fn new_code() -> Result<String, ApiError> {
    let mut random = [0u8; limits::INVITE_CODE_CHARS];
    getrandom::fill(&mut random).map_err(|e| ApiError::internal(&e))?;
    Ok(random
        .iter()
        .map(|byte| char::from(limits::INVITE_CODE_ALPHABET[usize::from(byte % 32)]))
        .collect())
}

/// What the store keeps of a canonical code.
pub fn code_hash(code: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(code.as_bytes()).to_vec()
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
    answer(&state, invite_id, &current, None).await
}

async fn answer(
    state: &AppState,
    invite_id: Uuid,
    current: &CurrentUser,
    accept_with: Option<&[u8]>,
) -> Result<Json<Invite>, ApiError> {
    let accept = accept_with.is_some();
    let invite = state
        .store
        .answer_invite(invite_id, &current.user, accept_with, Utc::now())
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
