//! Accounts: sign-up, sign-in and sign-out, and the first-use set-up of the
//! signed-in user (account type, own WhatsApp number).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::account::AccountType;
use chorus_shared::api::{AccountSetup, ChooseAccountType, Credentials, Session, SetPhone, User};
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::limits;
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::client::ClientAddr;
use crate::error::ApiError;
use crate::http::extract::ApiJson;
use crate::session::{new_token, token_hash, CurrentUser};
use crate::store::NewOrganizationRecord;
use crate::{password, phone, AppState};

/// Routes under `/api/v1` for accounts.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(me))
        .routes(routes!(choose_account_type))
        .routes(routes!(set_phone))
}

/// Create an account and a first session.
#[utoipa::path(post, path = "/auth/signup", tag = "accounts", request_body = Credentials,
    responses(
        (status = 201, body = Session),
        (status = 409, description = "email taken", body = ErrorBody),
        (status = 422, description = "invalid email or password", body = ErrorBody),
        (status = 429, description = "too many attempts from this address", body = ErrorBody),
    ))]
async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    state.limits.attempt_from(client)?;
    let email = limits::normalise_email(&body.email)
        .map_err(|problem| ApiError::invalid_field("email", problem))?;
    limits::check_password(&body.password)
        .map_err(|problem| ApiError::invalid_field("password", problem))?;
    let hash = password::hash(body.password).await?;
    let user = state
        .store
        .create_user(uuid::Uuid::now_v7(), &email, &hash, Utc::now())
        .await?;
    tracing::info!(user = %user.id, "account created");
    let session = start_session(&state, user).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Sign in with email and password.
///
/// A wrong password and an unknown email get the same answer.
#[utoipa::path(post, path = "/auth/signin", tag = "accounts", request_body = Credentials,
    responses(
        (status = 200, body = Session),
        (status = 401, description = "wrong email or password", body = ErrorBody),
        (status = 429, description = "too many attempts", body = ErrorBody),
    ))]
async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<Session>, ApiError> {
    state.limits.attempt_from(client)?;
    let email = body.email.trim().to_lowercase();
    state.limits.check_account(&email, client)?;
    let stored = state.store.credentials_by_email(&email).await?;
    let (user, hash) = match stored {
        Some(stored) => (Some(stored.user), Some(stored.password_hash)),
        None => (None, None),
    };
    let verified = password::verify(body.password, hash).await?;
    match user {
        Some(user) if verified => {
            state.limits.signed_in(&email, client);
            Ok(Json(start_session(&state, user).await?))
        }
        _ => {
            state.limits.failed_for(&email, client);
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "The email or password is wrong. Check both and try again.",
            ))
        }
    }
}

async fn start_session(state: &AppState, user: User) -> Result<Session, ApiError> {
    let token = new_token()?;
    let now = Utc::now();
    let expires_at = now + state.settings.session_ttl;
    state
        .store
        .create_session(&token_hash(&token), user.id, now, expires_at)
        .await?;
    Ok(Session {
        token,
        expires_at,
        user,
    })
}

/// End the current session; its token stops working at once.
#[utoipa::path(post, path = "/auth/signout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<StatusCode, ApiError> {
    state.store.delete_session(&current.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
async fn me(current: CurrentUser) -> Json<User> {
    Json(current.user)
}

/// Choose the account type (once). An Organization account creates its
/// organization here and becomes its admin.
#[utoipa::path(put, path = "/me/account-type", tag = "accounts", security(("bearer" = [])),
    request_body = ChooseAccountType,
    responses(
        (status = 200, body = AccountSetup),
        (status = 409, description = "already chosen", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn choose_account_type(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<ChooseAccountType>,
) -> Result<Json<AccountSetup>, ApiError> {
    let organization = match (body.account_type, body.organization) {
        (AccountType::Organization, Some(org)) => Some(NewOrganizationRecord {
            id: uuid::Uuid::now_v7(),
            name: limits::normalise_org_name(&org.name)
                .map_err(|p| ApiError::invalid_field("organization.name", p))?,
            default_country: phone::normalise_country(&org.default_country)
                .map_err(|p| ApiError::invalid_field("organization.default_country", p))?,
            phone: current.user.phone.clone(),
        }),
        (AccountType::Organization, None) => {
            return Err(ApiError::invalid_field(
                "organization",
                "An Organization account needs its organization's name and default country.",
            ))
        }
        (AccountType::Agent, Some(_)) => {
            return Err(ApiError::invalid_field(
                "organization",
                "An Agent account does not create an organization; leave this out or choose organization.",
            ))
        }
        (AccountType::Agent, None) => None,
    };
    let (user, organization) = state
        .store
        .choose_account_type(current.user.id, body.account_type, organization, Utc::now())
        .await?;
    if let Some(organization) = &organization {
        state.hub.set_watching(
            user.id,
            crate::store::AccountRef::Organization(organization.id),
            true,
        );
    }
    Ok(Json(AccountSetup { user, organization }))
}

/// Register or change the user's own WhatsApp number (with its country code).
#[utoipa::path(put, path = "/me/phone", tag = "accounts", security(("bearer" = [])),
    request_body = SetPhone,
    responses(
        (status = 200, body = User),
        (status = 422, description = "not a phone number", body = ErrorBody),
    ))]
async fn set_phone(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<SetPhone>,
) -> Result<Json<User>, ApiError> {
    let e164 = phone::normalise(&body.phone, body.country.as_deref()).map_err(|problem| {
        ApiError::invalid_field("phone", problem).with_code(ErrorCode::InvalidPhoneNumber)
    })?;
    let user = state.store.set_user_phone(current.user.id, &e164).await?;
    Ok(Json(user))
}
