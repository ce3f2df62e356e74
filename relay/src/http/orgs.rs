//! Organizations as their members see them: details, members, and the
//! invites an admin sends.
//!
//! Every handler first resolves the caller's role in the organization named
//! by the path. A non-member gets 404 whatever the id, so responses never
//! confirm that another tenant's organization exists.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::api::{
    AuditEvent, AuditTrail, ChangeRole, CreateInvite, DeleteOrganization, Invite, InviteList,
    MemberList, MyOrganizations, Organization, UpdateOrganization,
};
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::limits;
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::access::{require_admin, role_in};
use crate::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::session::CurrentUser;
use crate::store::{AccountRef, MemberChange};
use crate::{phone, AppState};

/// Routes under `/api/v1` for organizations.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_organizations))
        .routes(routes!(
            organization,
            update_organization,
            delete_organization
        ))
        .routes(routes!(members))
        .routes(routes!(remove_member, change_role))
        .routes(routes!(invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(audit_trail))
}

/// Records a destructive or governing change in the organization's audit
/// trail (a personal number's own data keeps none). A failure to record is
/// logged, not answered: the change itself was made.
pub async fn audit(
    state: &AppState,
    account: AccountRef,
    actor: Uuid,
    action: &str,
    detail: String,
) {
    let AccountRef::Organization(org_id) = account else {
        return;
    };
    let event = AuditEvent {
        id: Uuid::now_v7(),
        actor_id: actor,
        action: action.to_owned(),
        detail,
        created_at: Utc::now(),
    };
    if let Err(error) = state.store.record_audit(org_id, &event).await {
        tracing::error!(%error, %org_id, action, "cannot record an audit event");
    }
}

/// The organization's audit trail: who deleted or changed what (admin).
#[utoipa::path(get, path = "/orgs/{org_id}/audit", tag = "organizations",
    security(("bearer" = [])), params(("org_id" = Uuid, Path)),
    responses(
        (status = 200, body = AuditTrail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn audit_trail(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<Json<AuditTrail>, ApiError> {
    require_admin(&state, org_id, current.user.id, "read the audit trail").await?;
    Ok(Json(AuditTrail {
        events: state.store.audit_events(org_id, 500).await?,
    }))
}

/// "My Organizations": organizations joined and invites waiting for an answer.
#[utoipa::path(get, path = "/orgs", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, body = MyOrganizations), (status = 401, body = ErrorBody)))]
async fn my_organizations(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<MyOrganizations>, ApiError> {
    let organizations = state.store.memberships(current.user.id).await?;
    let invites = state.store.open_invites_for(&current.user.email).await?;
    Ok(Json(MyOrganizations {
        organizations,
        invites,
    }))
}

/// One organization the caller belongs to.
#[utoipa::path(get, path = "/orgs/{org_id}", tag = "organizations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    responses((status = 200, body = Organization), (status = 404, body = ErrorBody)))]
async fn organization(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<Json<Organization>, ApiError> {
    role_in(&state, org_id, current.user.id).await?;
    let org = state
        .store
        .organization(org_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    Ok(Json(org))
}

/// Delete the organization (admin): every member loses it at once, open
/// connections included, and open invites are revoked. Type its name to
/// confirm.
#[utoipa::path(delete, path = "/orgs/{org_id}", tag = "organizations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = DeleteOrganization,
    responses(
        (status = 204, description = "deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "the name does not match", body = ErrorBody),
    ))]
async fn delete_organization(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(org_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DeleteOrganization>,
) -> Result<StatusCode, ApiError> {
    require_admin(&state, org_id, current.user.id, "delete it").await?;
    let existing = state
        .store
        .organization(org_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    if !body.name.trim().eq_ignore_ascii_case(existing.name.trim()) {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "Type the organization's name, {:?}, to confirm that it is the one to delete.",
                existing.name
            ),
        ));
    }
    let members = state
        .store
        .delete_organization(org_id, Utc::now())
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => ApiError::not_found("organization"),
            other => other.into(),
        })?;
    for member in members {
        crate::http::ws::membership_changed(&state, org_id, member, MemberChange::Remove).await;
    }
    tracing::info!(organization = %org_id, by = %current.user.id, "organization deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Change the organization's name, default country or hosted number (admin).
#[utoipa::path(patch, path = "/orgs/{org_id}", tag = "organizations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = UpdateOrganization,
    responses(
        (status = 200, body = Organization),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn update_organization(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(org_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateOrganization>,
) -> Result<Json<Organization>, ApiError> {
    require_admin(&state, org_id, current.user.id, "change its settings").await?;
    let existing = state
        .store
        .organization(org_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    let name = body
        .name
        .as_deref()
        .map(limits::normalise_org_name)
        .transpose()
        .map_err(|p| ApiError::invalid_field("name", p))?;
    let default_country = body
        .default_country
        .as_deref()
        .map(phone::normalise_country)
        .transpose()
        .map_err(|p| ApiError::invalid_field("default_country", p))?;
    let country = default_country
        .as_deref()
        .unwrap_or(&existing.default_country);
    let phone = body
        .phone
        .as_deref()
        .map(|number| phone::normalise(number, Some(country)))
        .transpose()
        .map_err(|p| {
            ApiError::invalid_field("phone", p).with_code(ErrorCode::InvalidPhoneNumber)
        })?;
    if let Some(pacing) = body.pacing {
        limits::check_pacing(&pacing).map_err(|p| ApiError::invalid_field("pacing", p))?;
    }
    let changes = UpdateOrganization {
        name,
        default_country,
        phone,
        pacing: body.pacing,
    };
    Ok(Json(
        state.store.update_organization(org_id, &changes).await?,
    ))
}

/// The organization's members (any member may list them, e.g. to assign chats).
#[utoipa::path(get, path = "/orgs/{org_id}/members", tag = "organizations",
    security(("bearer" = [])), params(("org_id" = Uuid, Path)),
    responses((status = 200, body = MemberList), (status = 404, body = ErrorBody)))]
async fn members(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<Json<MemberList>, ApiError> {
    role_in(&state, org_id, current.user.id).await?;
    Ok(Json(MemberList {
        members: state.store.members(org_id).await?,
    }))
}

/// Remove a member (admin), or leave (your own user id).
#[utoipa::path(delete, path = "/orgs/{org_id}/members/{user_id}", tag = "organizations",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "last admin", body = ErrorBody),
    ))]
async fn remove_member(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath((org_id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    if user_id == current.user.id {
        role_in(&state, org_id, user_id).await?;
    } else {
        require_admin(&state, org_id, current.user.id, "remove members").await?;
    }
    state
        .store
        .change_member(org_id, user_id, MemberChange::Remove)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => ApiError::not_found("member"),
            other => other.into(),
        })?;
    crate::http::ws::membership_changed(&state, org_id, user_id, MemberChange::Remove).await;
    let account = AccountRef::Organization(org_id);
    let detail = format!("removed member {user_id}");
    audit(&state, account, current.user.id, "member_removed", detail).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a member an admin or an agent (admins only; an organization keeps
/// at least one admin).
#[utoipa::path(patch, path = "/orgs/{org_id}/members/{user_id}", tag = "organizations",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = ChangeRole,
    responses(
        (status = 200, body = MemberList),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "last admin", body = ErrorBody),
    ))]
async fn change_role(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath((org_id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ChangeRole>,
) -> Result<Json<MemberList>, ApiError> {
    require_admin(&state, org_id, current.user.id, "change roles").await?;
    state
        .store
        .change_member(org_id, user_id, MemberChange::Role(body.role))
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => ApiError::not_found("member"),
            other => other.into(),
        })?;
    crate::http::ws::membership_changed(&state, org_id, user_id, MemberChange::Role(body.role))
        .await;
    let detail = format!("made member {user_id} {}", body.role.as_str());
    let account = AccountRef::Organization(org_id);
    audit(&state, account, current.user.id, "role_changed", detail).await;
    Ok(Json(MemberList {
        members: state.store.members(org_id).await?,
    }))
}

/// Every invite of the organization with its state (admin).
#[utoipa::path(get, path = "/orgs/{org_id}/invites", tag = "organizations",
    security(("bearer" = [])), params(("org_id" = Uuid, Path)),
    responses(
        (status = 200, body = InviteList),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn invites(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<Json<InviteList>, ApiError> {
    require_admin(&state, org_id, current.user.id, "see invites").await?;
    Ok(Json(InviteList {
        invites: state.store.invites(org_id).await?,
    }))
}

/// Invite an agent by email; the email need not have an account yet (admin).
#[utoipa::path(post, path = "/orgs/{org_id}/invites", tag = "organizations",
    security(("bearer" = [])), params(("org_id" = Uuid, Path)), request_body = CreateInvite,
    responses(
        (status = 201, body = Invite),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already a member or already invited", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn create_invite(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(org_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateInvite>,
) -> Result<(StatusCode, Json<Invite>), ApiError> {
    require_admin(&state, org_id, current.user.id, "invite agents").await?;
    let email = limits::normalise_email(&body.email)
        .map_err(|problem| ApiError::invalid_field("email", problem))?;
    let code = crate::http::invites::new_code()?;
    let mut invite = state
        .store
        .create_invite(
            Uuid::now_v7(),
            org_id,
            &email,
            current.user.id,
            &crate::http::invites::code_hash(&code),
            Utc::now(),
        )
        .await?;
    invite.code = Some(limits::format_invite_code(&code));
    Ok((StatusCode::CREATED, Json(invite)))
}

/// Withdraw an invite that has not been answered (admin).
#[utoipa::path(delete, path = "/orgs/{org_id}/invites/{invite_id}", tag = "organizations",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("invite_id" = Uuid, Path)),
    responses(
        (status = 200, body = Invite),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already answered", body = ErrorBody),
    ))]
async fn revoke_invite(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath((org_id, invite_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<Invite>, ApiError> {
    require_admin(&state, org_id, current.user.id, "revoke invites").await?;
    let invite = state
        .store
        .revoke_invite(org_id, invite_id, Utc::now())
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => ApiError::not_found("invite"),
            other => other.into(),
        })?;
    Ok(Json(invite))
}
