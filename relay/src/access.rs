//! Who may act in which profile: [`InProfile`] (the caller, the account a
//! request is about, and the caller's role there) and organization roles.
//! Handlers get an `InProfile` from the query through the extractor in
//! [`crate::http::caller`]; services and the WebSocket resolve one here when
//! the profile is named elsewhere (a JSON body, a frame).
//!
//! A profile is "You" (the caller's own number) or an organization the
//! caller belongs to; naming another organization answers 404, as if it did
//! not exist, so ids never leak across tenants.

use chorus_shared::account::Role;
use chorus_shared::api::User;
use uuid::Uuid;

use crate::error::ApiError;
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
                let role = role_in(state, org, user.id).await?;
                Ok(InProfile {
                    account: AccountRef::Organization(org),
                    role: Some(role),
                    user,
                })
            }
        }
    }
}

/// The caller's role in an organization; not a member is 404.
pub async fn role_in(state: &AppState, org_id: Uuid, user_id: Uuid) -> Result<Role, ApiError> {
    state
        .store
        .role(org_id, user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))
}

/// Like [`role_in`], but only admins pass; other members get 403.
pub async fn require_admin(
    state: &AppState,
    org_id: Uuid,
    user_id: Uuid,
    action: &str,
) -> Result<(), ApiError> {
    match role_in(state, org_id, user_id).await? {
        Role::Admin => Ok(()),
        Role::Agent => Err(ApiError::forbidden(format!(
            "Only an admin of this organization can {action}. Ask an admin to do it."
        ))),
    }
}
