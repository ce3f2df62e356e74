//! The pacing of a profile's number: how its host spaces sends, and how
//! campaigns are fed (gaps, pauses after runs, hourly and daily caps). Any
//! member reads it; an organization's admins (or the user, for "You") set it.

use axum::extract::State;
use axum::Json;
use chorus_shared::api::PacingSettings;
use chorus_shared::error::ErrorBody;
use chorus_shared::limits;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use chorus_shared::account::Role;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiJson, ApiQuery, ProfileQuery};
use crate::AppState;

/// Routes under `/api/v1` for pacing.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(pacing, set_pacing))
}

/// The number's pacing.
#[utoipa::path(get, path = "/pacing", tag = "campaigns", security(("bearer" = [])),
    params(ProfileQuery),
    responses((status = 200, body = PacingSettings), (status = 404, body = ErrorBody)))]
async fn pacing(
    State(state): State<AppState>,
    caller: InProfile,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<PacingSettings>, ApiError> {
    Ok(Json(state.store.pacing(caller.account).await?))
}

/// Set the number's pacing (an organization's admins; anyone for "You").
#[utoipa::path(put, path = "/pacing", tag = "campaigns", security(("bearer" = [])),
    params(ProfileQuery),
    request_body = PacingSettings,
    responses(
        (status = 200, body = PacingSettings),
        (status = 403, description = "not an admin of the organization", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn set_pacing(
    State(state): State<AppState>,
    caller: InProfile,
    _: ApiQuery<ProfileQuery>,
    ApiJson(body): ApiJson<PacingSettings>,
) -> Result<Json<PacingSettings>, ApiError> {
    if caller.role == Some(Role::Agent) {
        return Err(ApiError::forbidden(
            "Only an admin of this organization can change its pacing. Ask an admin to do it.",
        ));
    }
    limits::check_pacing(&body).map_err(|problem| ApiError::invalid_field("pacing", problem))?;
    state.store.set_pacing(caller.account, &body).await?;
    Ok(Json(state.store.pacing(caller.account).await?))
}
