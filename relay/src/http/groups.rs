//! WhatsApp groups: the host reports the groups WhatsApp Web lists, and an
//! admin adds one to Chorus, after which it is a chat like any other
//! (sends, assignment, comments).

use axum::extract::State;
use axum::Json;
use chorus_shared::error::ErrorBody;
use chorus_shared::limits;
use chorus_shared::team::{AddGroup, ChatView, GroupView, SeenGroup};
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::InProfile;
use crate::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, ProfileQuery};
use crate::live;
use crate::session::CurrentUser;
use crate::store::AccountRef;
use crate::AppState;

/// Most groups one report may carry.
const GROUPS_PER_REPORT_MAX: usize = 1000;
/// Most members kept per group (WhatsApp allows 1,024).
const PARTICIPANTS_MAX: usize = 1024;

/// Routes under `/api/v1` for groups.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, add))
}

fn check_wa_id(wa_id: &str) -> Result<String, ApiError> {
    crate::whatsapp::check_group_id("wa_id", wa_id)
}

/// Records the groups a host reports seeing.
pub async fn seen(
    state: &AppState,
    account: AccountRef,
    groups: &[SeenGroup],
) -> Result<(), ApiError> {
    if groups.len() > GROUPS_PER_REPORT_MAX {
        return Err(ApiError::invalid_field(
            "groups",
            format!("Report at most {GROUPS_PER_REPORT_MAX} groups at once."),
        ));
    }
    let mut checked = Vec::with_capacity(groups.len());
    for group in groups {
        let name = limits::normalise_name(&group.name)
            .map_err(|problem| ApiError::invalid_field("name", problem))?
            .unwrap_or_default();
        if group.participants.len() > PARTICIPANTS_MAX {
            return Err(ApiError::invalid_field(
                "participants",
                format!("A group has at most {PARTICIPANTS_MAX} members."),
            ));
        }
        // Names the page shows are kept clean, never refused one by one.
        let mut participants: Vec<String> = group
            .participants
            .iter()
            .filter_map(|name| limits::normalise_name(name).ok().flatten())
            .collect();
        participants.dedup();
        checked.push(SeenGroup {
            wa_id: check_wa_id(&group.wa_id)?,
            name,
            participants,
        });
    }
    checked.sort_by(|a, b| a.wa_id.cmp(&b.wa_id));
    checked.dedup_by(|a, b| a.wa_id == b.wa_id);
    let changed = state
        .store
        .see_groups(account, &checked, Utc::now())
        .await?;
    for chat_id in changed {
        if let Some(chat) = state.store.chat(account, chat_id).await? {
            live::chat(state, account, chat);
        }
    }
    Ok(())
}

/// Groups the host has seen, and whether each is added.
#[utoipa::path(get, path = "/groups", tag = "groups", security(("bearer" = [])),
    params(ProfileQuery),
    responses((status = 200, body = [GroupView]), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: InProfile,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    let account = caller.account;
    Ok(Json(state.store.groups(account).await?))
}

/// Add a group to the chats: an organization's (admins only), or the
/// user's own "You" chats.
#[utoipa::path(post, path = "/groups", tag = "groups", security(("bearer" = [])),
    request_body = AddGroup,
    responses((status = 200, body = ChatView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<AddGroup>,
) -> Result<Json<ChatView>, ApiError> {
    let account = match body.organization_id {
        Some(organization_id) => {
            crate::access::require_admin(&state, organization_id, current.user.id, "add a group")
                .await?;
            AccountRef::Organization(organization_id)
        }
        None => {
            InProfile::resolve(&state, &current.user, None)
                .await?
                .account
        }
    };
    let wa_id = check_wa_id(&body.wa_id)?;
    let name = match &body.name {
        Some(name) => limits::normalise_name(name)
            .map_err(|problem| ApiError::invalid_field("name", problem))?,
        None => None,
    };
    let chat = state
        .store
        .add_group(account, &wa_id, name, Utc::now())
        .await?;
    live::chat(&state, account, chat.clone());
    Ok(Json(chat))
}
