//! The extractor for the caller in a profile: [`InProfile`] from the query's
//! `organization_id`, the one way a handler learns the account a request is
//! about and the caller's role there (see [`crate::access`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use uuid::Uuid;

pub use crate::access::InProfile;
use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::session::CurrentUser;
use crate::AppState;

/// The profile part of a query string; the handler's own query type checks
/// the rest.
#[derive(Deserialize)]
struct NamedProfile {
    organization_id: Option<Uuid>,
}

impl FromRequestParts<AppState> for InProfile {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        let ApiQuery(named) = ApiQuery::<NamedProfile>::from_request_parts(parts, state).await?;
        InProfile::resolve(state, &current.user, named.organization_id).await
    }
}
