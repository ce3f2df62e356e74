//! Uploads: the bytes of an attachment, sent before the message that uses it.
//!
//! The body is the file itself (any `Content-Type`); its kind is detected
//! from the bytes. At most 5 MB, checked before anything is stored.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::limits::ATTACHMENT_MAX_BYTES;
use chorus_shared::queue::FileView;
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, ProfileQuery};
use crate::filetype;
use crate::messaging::account_for;
use crate::session::CurrentUser;
use crate::store::NewFile;
use crate::AppState;

/// Routes under `/api/v1` for files; uploads may be up to 5 MB.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(file))
        .routes(routes!(content))
        // A little over the limit, so an oversize upload is read far enough
        // to be refused with our message rather than cut off.
        .layer(DefaultBodyLimit::max(ATTACHMENT_MAX_BYTES + 1))
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!(
            "Attachments are at most {} MB. Compress the file or send a smaller one.",
            ATTACHMENT_MAX_BYTES / (1024 * 1024)
        ),
    )
}

/// Profile and file name of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    /// The organization profile; leave out for "You".
    organization_id: Option<Uuid>,
    /// The file's name as the recipient should see it.
    name: Option<String>,
}

/// Upload a file (the raw bytes as the body) to use as an attachment.
#[utoipa::path(post, path = "/files", tag = "files", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, body = FileView),
        (status = 413, description = "over 5 MB", body = ErrorBody),
        (status = 415, description = "not an image, document or video", body = ErrorBody),
    ))]
async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let (account, _) = account_for(&state, &current.user, query.organization_id).await?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidBody,
                rejection.body_text(),
            )
        }
    })?;
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err(too_large());
    }
    let detected = filetype::detect(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedFileType,
            format!(
                "This file cannot be sent. Chorus sends {}.",
                filetype::ACCEPTED
            ),
        )
    })?;
    let id = Uuid::now_v7();
    let name = filetype::clean_name(
        query.name.as_deref(),
        &format!("file.{}", detected.extension),
    );
    state
        .blobs
        .put(id, &bytes)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let file = state
        .store
        .create_file(
            NewFile {
                id,
                account,
                name,
                mime: detected.mime,
                kind: detected.kind,
                size: bytes.len() as i64,
                sha256: Sha256::digest(&bytes).to_vec(),
                uploaded_by: current.user.id,
            },
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(file)))
}

/// A file's details.
#[utoipa::path(get, path = "/files/{file_id}", tag = "files", security(("bearer" = [])),
    params(("file_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = FileView), (status = 404, body = ErrorBody)))]
async fn file(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(file_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ProfileQuery>,
) -> Result<Json<FileView>, ApiError> {
    let (account, _) = account_for(&state, &current.user, query.organization_id).await?;
    let file = state
        .store
        .file(account, file_id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(Json(file))
}

/// A file's bytes (the host fetches attachments from here).
#[utoipa::path(get, path = "/files/{file_id}/content", tag = "files", security(("bearer" = [])),
    params(("file_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
async fn content(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(file_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ProfileQuery>,
) -> Result<Response, ApiError> {
    let (account, _) = account_for(&state, &current.user, query.organization_id).await?;
    let file = state
        .store
        .file(account, file_id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    let bytes = state
        .blobs
        .get(file.id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(&file.mime) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    let ascii_name: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"{ascii_name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}
