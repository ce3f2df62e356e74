//! Files customers sent: the host that captured an incoming photo,
//! document, video or voice note uploads the bytes its WhatsApp Web holds,
//! so agents can open them from the sidebar.
//!
//! The bytes become the message's attachment, kept apart from the file
//! library (never listed or deleted there) but counted in the profile's
//! storage quota. An upload for a message that has its bytes already is
//! answered with the message as it is, so a host may retry freely.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::account::Role;
use chorus_shared::error::ErrorBody;
use chorus_shared::limits::ATTACHMENT_MAX_BYTES;
use chorus_shared::queue::MessageView;
use chrono::Utc;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::files::{attachment_bytes, keep_bytes};
use crate::live;
use crate::store::MediaAttached;
use crate::{filetype, storage, AppState};

/// Routes under `/api/v1` for received files' bytes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(attach))
        .layer(DefaultBodyLimit::max(ATTACHMENT_MAX_BYTES + 1))
}

/// Profile and file name of a received file's upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct MediaQuery {
    /// The organization profile; leave out for "You".
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// The file's name as WhatsApp Web showed it.
    name: Option<String>,
}

/// Upload the bytes of a file a customer sent (the raw bytes as the body),
/// as the host that captured the message found them in its WhatsApp Web.
/// In an organization only admins (who host) may.
#[utoipa::path(put, path = "/messages/{message_id}/media", tag = "messages", security(("bearer" = [])),
    params(("message_id" = Uuid, Path), MediaQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "the bytes are the message's attachment now", body = MessageView),
        (status = 200, description = "the message had its bytes already; these were not kept", body = MessageView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, description = "over 5 MB, or the profile's storage is full", body = ErrorBody),
        (status = 422, description = "the message is not a file a customer sent", body = ErrorBody),
    ))]
async fn attach(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(message_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<MediaQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let (account, role) = (caller.account, caller.role);
    if role == Some(Role::Agent) {
        return Err(ApiError::forbidden(
            "Only the organization's host (an admin) uploads the files customers send.",
        ));
    }
    let bytes = attachment_bytes(body)?;
    if bytes.is_empty() {
        return Err(ApiError::invalid_field("body", "The file is empty."));
    }
    storage::admit_bytes(&state, account, bytes.len()).await?;
    let detected = filetype::detect_received(&bytes);
    let file = keep_bytes(
        &state,
        account,
        &bytes,
        query.name.as_deref(),
        detected,
        caller.user.id,
    )
    .await?;
    let id = file.id;
    let attached = state
        .store
        .attach_incoming_media(file, message_id, Utc::now())
        .await;
    let unused = !matches!(attached, Ok(MediaAttached::Attached(_)));
    if unused {
        // Nothing refers to these bytes: they go at once.
        if let Err(error) = state.blobs.delete(id).await {
            tracing::warn!(%error, %id, "cannot remove an unused upload");
        }
    }
    match attached? {
        MediaAttached::NoMessage => Err(ApiError::not_found("message")),
        MediaAttached::NotAFile => Err(ApiError::invalid_field(
            "message_id",
            "This message is not a file a customer sent; only those take uploaded bytes.",
        )),
        MediaAttached::Already(message) => Ok((StatusCode::OK, Json(message))),
        MediaAttached::Attached(message) => {
            live::message(&state, account, message.clone());
            Ok((
                StatusCode::CREATED,
                Json(live::present(&state, account, message)),
            ))
        }
    }
}
