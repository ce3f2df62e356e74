//! Contacts over REST: list with filters, add, read, edit, and the bulk
//! changes on a selection (delete, tag). Contacts are also made for every
//! new number a message goes to or comes from (by the queue and incoming
//! capture); deleting one leaves its chat readable.

use std::collections::BTreeMap;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::account::Role;
use chorus_shared::error::ErrorBody;
use chorus_shared::limits;
use chorus_shared::team::{
    BulkContacts, BulkResult, ContactPage, ContactSource, ContactView, NewContact, UpdateContact,
};
use chrono::Utc;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, ProfileQuery};
use crate::live;
use crate::messaging::profile_number;
use crate::session::CurrentUser;
use crate::store::{ContactChange, ContactQuery, ContactRecord, StoreError};
use crate::AppState;

/// Largest page of contacts.
const PAGE_MAX: i64 = 500;

/// Between the sort key and the phone number in a page cursor. The split
/// is taken from the right: a phone number in E.164 never holds it, a name
/// may.
const CURSOR_SEPARATOR: char = '~';

/// Routes under `/api/v1` for contacts.
pub fn router() -> OpenApiRouter<AppState> {
    let bulk = OpenApiRouter::new()
        .routes(routes!(bulk_delete))
        .routes(routes!(bulk_tag))
        .layer(DefaultBodyLimit::max(limits::BULK_BODY_MAX_BYTES));
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(contact, update))
        .merge(bulk)
}

fn not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("contact"),
        other => other.into(),
    }
}

/// Filters of the contact list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// The organization profile; leave out for "You".
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// Only contacts with this tag.
    tag: Option<String>,
    /// Only contacts with this attribute value, written `key=value`.
    attribute: Option<String>,
    /// Part of the name or number.
    q: Option<String>,
    /// `next` from the previous page.
    cursor: Option<String>,
    /// Page size, at most 500 (default 100).
    limit: Option<i64>,
}

/// The profile's contacts, by name then number, with how many match.
#[utoipa::path(get, path = "/contacts", tag = "contacts", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ContactPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: InProfile,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ContactPage>, ApiError> {
    let account = caller.account;
    let tag = match query.tag.as_deref() {
        Some(tag) => Some(
            limits::normalise_tag(tag)
                .map_err(|problem| ApiError::invalid_field("tag", problem))?,
        ),
        None => None,
    };
    let attribute = match query.attribute.as_deref() {
        Some(pair) => {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                ApiError::invalid_field("attribute", "Write it as key=value, e.g. city=Leeds.")
            })?;
            Some((key.trim().to_owned(), value.to_owned()))
        }
        None => None,
    };
    let after = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(cursor.rsplit_once(CURSOR_SEPARATOR).map_or_else(
            || {
                Err(ApiError::invalid_field(
                    "cursor",
                    "Pass the `next` value of the previous page.",
                ))
            },
            |(key, phone)| Ok((key.to_owned(), phone.to_owned())),
        )?),
    };
    let limit = query.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let (mut contacts, total) = state
        .store
        .contacts(
            account,
            ContactQuery {
                tag,
                attribute,
                search: query
                    .q
                    .map(|q| q.trim().to_owned())
                    .filter(|q| !q.is_empty()),
                after,
                limit: limit + 1,
            },
        )
        .await?;
    let next = if contacts.len() as i64 > limit {
        contacts.truncate(limit as usize);
        contacts.last().map(|contact| {
            let key = contact
                .name
                .clone()
                .unwrap_or_else(|| contact.phone.clone())
                .to_lowercase();
            format!("{key}{CURSOR_SEPARATOR}{}", contact.phone)
        })
    } else {
        None
    };
    Ok(Json(ContactPage {
        contacts,
        total,
        next,
    }))
}

fn tags_and_attributes(
    tags: &[String],
    attributes: &BTreeMap<String, String>,
) -> Result<(Vec<String>, BTreeMap<String, String>), ApiError> {
    let tags =
        limits::normalise_tags(tags).map_err(|problem| ApiError::invalid_field("tags", problem))?;
    let attributes = limits::normalise_attributes(attributes)
        .map_err(|problem| ApiError::invalid_field("attributes", problem))?;
    Ok((tags, attributes))
}

/// Add a contact (a deleted one with the same number comes back).
#[utoipa::path(post, path = "/contacts", tag = "contacts", security(("bearer" = [])),
    request_body = NewContact,
    responses((status = 201, body = ContactView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<NewContact>,
) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let account = InProfile::resolve(&state, &current.user, body.organization_id)
        .await?
        .account;
    let phone = profile_number(&state, &current.user, account, &body.phone).await?;
    let name = match &body.name {
        Some(name) => limits::normalise_name(name)
            .map_err(|problem| ApiError::invalid_field("name", problem))?,
        None => None,
    };
    let (tags, attributes) = tags_and_attributes(&body.tags, &body.attributes)?;
    let record = ContactRecord {
        phone,
        name,
        tags,
        attributes,
        source: ContactSource::Manual,
    };
    let contact = state
        .store
        .add_contact(account, Uuid::now_v7(), record, Utc::now())
        .await?;
    live::contact(&state, account, contact.clone());
    Ok((StatusCode::CREATED, Json(contact)))
}

/// One contact.
#[utoipa::path(get, path = "/contacts/{contact_id}", tag = "contacts", security(("bearer" = [])),
    params(("contact_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = ContactView), (status = 404, body = ErrorBody)))]
async fn contact(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(contact_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<ContactView>, ApiError> {
    let account = caller.account;
    let contact = state
        .store
        .contact(account, contact_id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    Ok(Json(contact))
}

/// Change a contact's name, tags or attributes (fields left out stay).
#[utoipa::path(patch, path = "/contacts/{contact_id}", tag = "contacts", security(("bearer" = [])),
    params(("contact_id" = Uuid, Path), ProfileQuery), request_body = UpdateContact,
    responses((status = 200, body = ContactView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(contact_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
    ApiJson(body): ApiJson<UpdateContact>,
) -> Result<Json<ContactView>, ApiError> {
    let account = caller.account;
    let name = match &body.name {
        Some(name) => Some(
            limits::normalise_name(name)
                .map_err(|problem| ApiError::invalid_field("name", problem))?,
        ),
        None => None,
    };
    let tags = match &body.tags {
        Some(tags) => Some(
            limits::normalise_tags(tags)
                .map_err(|problem| ApiError::invalid_field("tags", problem))?,
        ),
        None => None,
    };
    let attributes = match &body.attributes {
        Some(attributes) => Some(
            limits::normalise_attributes(attributes)
                .map_err(|problem| ApiError::invalid_field("attributes", problem))?,
        ),
        None => None,
    };
    let change = ContactChange {
        name,
        tags,
        attributes,
    };
    let contact = state
        .store
        .update_contact(account, contact_id, change, Utc::now())
        .await
        .map_err(not_found)?;
    live::contact(&state, account, contact.clone());
    Ok(Json(contact))
}

fn selection(body: &BulkContacts) -> Result<(), ApiError> {
    if body.ids.is_empty() {
        return Err(ApiError::invalid_field(
            "ids",
            "Select at least one contact.",
        ));
    }
    if body.ids.len() > limits::BULK_IDS_MAX {
        return Err(ApiError::invalid_field(
            "ids",
            format!(
                "Select at most {} contacts at once; split the selection.",
                limits::BULK_IDS_MAX
            ),
        ));
    }
    Ok(())
}

/// Delete the selected contacts in one step (their chats stay readable).
/// Ids that are not the profile's contacts are skipped. In an organization
/// only admins may, and each deletion is kept in its audit trail.
#[utoipa::path(post, path = "/contacts/bulk-delete", tag = "contacts", security(("bearer" = [])),
    request_body = BulkContacts,
    responses((status = 200, body = BulkResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bulk_delete(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<BulkContacts>,
) -> Result<Json<BulkResult>, ApiError> {
    let InProfile { account, role, .. } =
        InProfile::resolve(&state, &current.user, body.organization_id).await?;
    if role == Some(Role::Agent) {
        return Err(ApiError::forbidden(
            "Only an admin of this organization can delete contacts. Ask an admin to do it.",
        ));
    }
    selection(&body)?;
    if !body.add_tags.is_empty() || !body.remove_tags.is_empty() {
        return Err(ApiError::invalid_field(
            "add_tags",
            "Tags are changed with /contacts/bulk-tag, not while deleting.",
        ));
    }
    let affected = state
        .store
        .delete_contacts(account, &body.ids, Utc::now())
        .await?;
    live::contacts_changed(&state, account, affected);
    let detail = format!("deleted {affected} contacts");
    crate::http::orgs::audit(&state, account, current.user.id, "contacts_deleted", detail).await;
    Ok(Json(BulkResult { affected }))
}

/// Add and remove tags on the selected contacts.
#[utoipa::path(post, path = "/contacts/bulk-tag", tag = "contacts", security(("bearer" = [])),
    request_body = BulkContacts,
    responses((status = 200, body = BulkResult), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bulk_tag(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<BulkContacts>,
) -> Result<Json<BulkResult>, ApiError> {
    let account = InProfile::resolve(&state, &current.user, body.organization_id)
        .await?
        .account;
    selection(&body)?;
    let add = limits::normalise_tags(&body.add_tags)
        .map_err(|problem| ApiError::invalid_field("add_tags", problem))?;
    let remove = limits::normalise_tags(&body.remove_tags)
        .map_err(|problem| ApiError::invalid_field("remove_tags", problem))?;
    if add.is_empty() && remove.is_empty() {
        return Err(ApiError::invalid_field(
            "add_tags",
            "Give tags to add or to remove.",
        ));
    }
    let affected = state
        .store
        .tag_contacts(account, &body.ids, &add, &remove, Utc::now())
        .await?;
    live::contacts_changed(&state, account, affected);
    Ok(Json(BulkResult { affected }))
}
