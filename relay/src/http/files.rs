//! The file library: uploads (the bytes of an attachment, sent before the
//! message that uses it), the list, renaming and deleting.
//!
//! An upload's body is the file itself (any `Content-Type`); its kind is
//! detected from the bytes. At most 5 MB, checked before anything is stored.
//! A deleted file leaves the library at once; its bytes stay only while an
//! unsent message carries it, then [`crate::storage`] removes them.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chorus_shared::account::Role;
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::limits::ATTACHMENT_MAX_BYTES;
use chorus_shared::queue::FileView;
use chorus_shared::team::{FileList, RenameFile};
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, ProfileQuery};
use crate::live;
use crate::store::{AccountRef, NewFile, StoreError};
use crate::AppState;
use crate::{filetype, storage};

/// Routes under `/api/v1` for files; uploads may be up to 5 MB, the JSON
/// bodies of the other routes keep the relay's usual limit.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload, list))
        // A little over the limit, so an oversize upload is read far enough
        // to be refused with our message rather than cut off.
        .layer(DefaultBodyLimit::max(ATTACHMENT_MAX_BYTES + 1))
        .routes(routes!(file, rename, remove))
        .routes(routes!(content))
}

/// An attachment over the size limit.
pub(crate) fn too_large() -> ApiError {
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
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
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
        (status = 413, description = "over 5 MB, or the library's quota is full", body = ErrorBody),
        (status = 415, description = "not an image, document or video", body = ErrorBody),
        (status = 429, description = "too many uploads for this profile; retry later", body = ErrorBody),
    ))]
async fn upload(
    State(state): State<AppState>,
    caller: InProfile,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let account = caller.account;
    let bytes = attachment_bytes(body)?;
    storage::admit_upload(&state, account, bytes.len()).await?;
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
    let new = keep_bytes(
        &state,
        account,
        &bytes,
        query.name.as_deref(),
        detected,
        caller.user.id,
    )
    .await?;
    let file = state.store.create_file(new, Utc::now()).await?;
    live::file(&state, account, &file, false);
    Ok((StatusCode::CREATED, Json(file)))
}

/// Writes an upload's bytes to the blob store under a fresh id and
/// describes them for the store (named `name`, or after their type).
pub(crate) async fn keep_bytes(
    state: &AppState,
    account: AccountRef,
    bytes: &[u8],
    name: Option<&str>,
    detected: filetype::Detected,
    uploaded_by: Uuid,
) -> Result<NewFile, ApiError> {
    let id = Uuid::now_v7();
    let name = filetype::clean_name(name, &format!("file.{}", detected.extension));
    state
        .blobs
        .put(id, bytes)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(NewFile {
        id,
        account,
        name,
        mime: detected.mime,
        kind: detected.kind,
        size: bytes.len() as i64,
        sha256: Sha256::digest(bytes).to_vec(),
        uploaded_by,
    })
}

/// An upload's body within the attachment limit, or the error to answer.
pub(crate) fn attachment_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
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
    Ok(bytes)
}

/// The profile's file library, newest first.
#[utoipa::path(get, path = "/files", tag = "files", security(("bearer" = [])),
    params(ProfileQuery),
    responses((status = 200, body = FileList), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: InProfile,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<FileList>, ApiError> {
    let account = caller.account;
    Ok(Json(FileList {
        files: state.store.files(account).await?,
    }))
}

fn file_not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("file"),
        other => other.into(),
    }
}

/// Rename a file of the library (the name recipients see for documents).
#[utoipa::path(patch, path = "/files/{file_id}", tag = "files", security(("bearer" = [])),
    params(("file_id" = Uuid, Path), ProfileQuery), request_body = RenameFile,
    responses((status = 200, body = FileView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rename(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(file_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
    ApiJson(body): ApiJson<RenameFile>,
) -> Result<Json<FileView>, ApiError> {
    let account = caller.account;
    if body.name.trim().is_empty() {
        return Err(ApiError::invalid_field("name", "Give the file a name."));
    }
    let current_file = state
        .store
        .file(account, file_id, true)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    let fallback = current_file.name.clone();
    let name = filetype::clean_name(Some(&body.name), &fallback);
    let file = state
        .store
        .rename_file(account, file_id, &name, Utc::now())
        .await
        .map_err(file_not_found)?;
    live::file(&state, account, &file, false);
    Ok(Json(file))
}

/// Delete a file from the library; messages already queued with it still
/// send it. In an organization, agents delete only what they uploaded.
#[utoipa::path(delete, path = "/files/{file_id}", tag = "files", security(("bearer" = [])),
    params(("file_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = FileView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(file_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<FileView>, ApiError> {
    let (account, role) = (caller.account, caller.role);
    if role == Some(Role::Agent) {
        let uploader = state.store.file_uploader(account, file_id).await?;
        match uploader {
            None => return Err(ApiError::not_found("file")),
            Some(uploader) if uploader != caller.user.id => {
                return Err(ApiError::forbidden(
                    "Only an admin, or whoever uploaded it, can delete this file.",
                ))
            }
            Some(_) => {}
        }
    }
    let file = state
        .store
        .delete_file(account, file_id, Utc::now())
        .await
        .map_err(file_not_found)?;
    live::file(&state, account, &file, true);
    let detail = format!("deleted file {:?} ({})", file.name, file.id);
    crate::http::orgs::audit(&state, account, caller.user.id, "file_deleted", detail).await;
    Ok(Json(file))
}

/// A file's details.
#[utoipa::path(get, path = "/files/{file_id}", tag = "files", security(("bearer" = [])),
    params(("file_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = FileView), (status = 404, body = ErrorBody)))]
async fn file(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(file_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<FileView>, ApiError> {
    let account = caller.account;
    let file = state
        .store
        .file(account, file_id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(Json(file))
}

/// A file's bytes (the host fetches attachments from here).
#[utoipa::path(get, path = "/files/{file_id}/content", tag = "files", security(("bearer" = [])),
    params(("file_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, description = "the file's bytes, with its own media type", content_type = "*/*"), (status = 404, body = ErrorBody)))]
async fn content(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(file_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Response, ApiError> {
    let account = caller.account;
    // A deleted file stays reachable only while a message waiting to be
    // sent carries it (its host fetches it from here).
    let in_library = state.store.file(account, file_id, true).await?;
    let file = match in_library {
        Some(file) => file,
        None if state.store.file_awaited(account, file_id).await? => state
            .store
            .file(account, file_id, false)
            .await?
            .ok_or_else(|| ApiError::not_found("file"))?,
        None => return Err(ApiError::not_found("file")),
    };
    let bytes = state
        .blobs
        .get(file.id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    // Never rendered as a page, whatever the bytes also are (a PNG can be
    // valid HTML too): no sniffing, a download, and no scripts if opened.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
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
