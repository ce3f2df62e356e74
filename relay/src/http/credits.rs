//! Credits over REST: members read their profile's balance and ledger; the
//! relay's operator grants credits (there is no payment provider yet).

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::queue::{CreditGrant, CreditPlan, Credits, GrantCredits};
use chrono::{DateTime, Months, Utc};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiJson, ApiQuery, ProfileQuery};
use crate::live;
use crate::session::bearer_token;
use crate::store::{AccountRef, Store, StoreResult};
use crate::AppState;

/// Ledger lines returned with the balance.
const RECENT_LEDGER_LINES: i64 = 50;

/// Routes under `/api/v1` for credits.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balance))
        .routes(routes!(grant))
}

/// The profile's balance, unexpired grants and recent ledger.
#[utoipa::path(get, path = "/credits", tag = "credits", security(("bearer" = [])),
    params(ProfileQuery),
    responses((status = 200, body = Credits), (status = 404, body = ErrorBody)))]
async fn balance(
    State(state): State<AppState>,
    caller: InProfile,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<Credits>, ApiError> {
    let account = caller.account;
    Ok(Json(
        state
            .store
            .credits(account, Utc::now(), RECENT_LEDGER_LINES)
            .await?,
    ))
}

/// When a grant made now of `plan` expires.
pub fn expiry(plan: CreditPlan, now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_add_months(Months::new(plan.months_valid()))
        .unwrap_or(now)
}

/// Grants credits to the account the request names; shared by the admin API
/// and the `chorus-relay credits grant` command.
pub async fn grant_to(
    store: &dyn Store,
    request: &GrantCredits,
) -> Result<(AccountRef, CreditGrant), ApiError> {
    if request.amount <= 0 || request.amount > 100_000_000 {
        return Err(ApiError::invalid_field(
            "amount",
            "Grant between 1 and 100,000,000 credits.",
        ));
    }
    let account = match (&request.organization_id, &request.user_email) {
        (Some(org), None) => {
            store
                .organization(*org)
                .await?
                .ok_or_else(|| ApiError::not_found("organization"))?;
            AccountRef::Organization(*org)
        }
        (None, Some(email)) => {
            let email = email.trim().to_lowercase();
            let user = store
                .credentials_by_email(&email)
                .await?
                .ok_or_else(|| ApiError::not_found("user"))?;
            AccountRef::Personal(user.user.id)
        }
        _ => {
            return Err(ApiError::invalid_field(
                "organization_id",
                "Name either an organization_id or a user_email.",
            ))
        }
    };
    let now = Utc::now();
    let grant: StoreResult<CreditGrant> = store
        .grant_credits(
            account,
            Uuid::now_v7(),
            request.plan,
            request.amount,
            now,
            expiry(request.plan, now),
        )
        .await;
    Ok((account, grant?))
}

/// Grant credits (relay operator only: `Authorization: Bearer <admin token>`).
#[utoipa::path(post, path = "/admin/credits", tag = "credits", security(("admin" = [])),
    request_body = GrantCredits,
    responses(
        (status = 201, body = CreditGrant),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn grant(
    State(state): State<AppState>,
    _operator: Operator,
    ApiJson(body): ApiJson<GrantCredits>,
) -> Result<(StatusCode, Json<CreditGrant>), ApiError> {
    let (account, grant) = grant_to(state.store.as_ref(), &body).await?;
    tracing::info!(account = %account.id(), amount = grant.amount, plan = grant.plan.as_str(), "credits granted");
    live::credits(&state, account).await;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// The relay operator, authenticated by the admin token set at start.
pub struct Operator;

impl axum::extract::FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = &state.settings.admin_token_hash else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "The admin API is off. Start the relay with --admin-token (or CHORUS_ADMIN_TOKEN) to use it.",
            ));
        };
        let presented = bearer_token(parts).map(|token| Sha256::digest(token.as_bytes()).to_vec());
        // Comparing hashes keeps the comparison's timing independent of the token.
        if presented.as_deref() == Some(expected.as_slice()) {
            Ok(Operator)
        } else {
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "This needs the relay's admin token.",
            ))
        }
    }
}
