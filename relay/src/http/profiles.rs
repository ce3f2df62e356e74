//! Profiles: "You" and one per organization joined, which the sidebar
//! switches between to choose the number a message goes through.

use axum::extract::State;
use axum::Json;
use chorus_shared::api::{Profile, ProfileKind, ProfileList};
use chorus_shared::error::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::session::CurrentUser;
use crate::AppState;

/// Routes under `/api/v1` for profiles.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(profiles))
}

/// The caller's profiles: "You" first, then each organization joined.
#[utoipa::path(get, path = "/profiles", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = ProfileList), (status = 401, body = ErrorBody)))]
async fn profiles(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<ProfileList>, ApiError> {
    let mut profiles = vec![Profile {
        kind: ProfileKind::Personal,
        label: "You".to_owned(),
        organization_id: None,
        phone: current.user.phone.clone(),
        role: None,
    }];
    let memberships = state.store.memberships(current.user.id).await?;
    profiles.extend(memberships.into_iter().map(|membership| Profile {
        kind: ProfileKind::Organization,
        label: membership.organization.name,
        organization_id: Some(membership.organization.id),
        phone: membership.organization.phone,
        role: Some(membership.role),
    }));
    Ok(Json(ProfileList { profiles }))
}
