//! Who is asking, in which profile: [`InProfile`], the one way a handler
//! learns the account a request is about and the caller's role there.
//!
//! A profile is "You" (the caller's own number) or an organization the
//! caller belongs to; naming another organization answers 404, as if it did
//! not exist, so ids never leak across tenants.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chorus_shared::account::Role;
use chorus_shared::api::User;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::orgs;
use crate::session::CurrentUser;
use crate::store::AccountRef;
use crate::AppState;

/// The signed-in caller acting in the profile the request names: the query's
/// `organization_id`, or, for a profile named in a JSON body, through
/// [`InProfile::resolve`].
#[derive(Debug, Clone)]
pub struct InProfile {
    /// The caller.
    pub user: User,
    /// The account the request is about.
    pub account: AccountRef,
    /// The caller's role in the organization; `None` in "You".
    pub role: Option<Role>,
}

impl InProfile {
    /// The caller in the profile `organization_id` names: "You" is the
    /// caller's own; an organization needs membership (else 404).
    pub async fn resolve(
        state: &AppState,
        user: &User,
        organization_id: Option<Uuid>,
    ) -> Result<InProfile, ApiError> {
        let user = user.clone();
        match organization_id {
            None => Ok(InProfile {
                account: AccountRef::Personal(user.id),
                role: None,
                user,
            }),
            Some(org) => {
                let role = orgs::role_in(state, org, user.id).await?;
                Ok(InProfile {
                    account: AccountRef::Organization(org),
                    role: Some(role),
                    user,
                })
            }
        }
    }
}

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
