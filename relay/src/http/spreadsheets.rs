//! Spreadsheet uploads for campaigns: the file's sheets, and a preview of a
//! sheet read as a campaign would read it.
//!
//! The body is the file itself (at most 20 MB); its format is told from
//! its bytes. It is read before anything is stored, so a file the relay
//! cannot read is refused with the reason and leaves nothing behind.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use chorus_shared::campaign::{SheetChoice, SheetPreview, SheetSummary, SpreadsheetView};
use chorus_shared::error::{ErrorBody, ErrorCode};
use chorus_shared::limits::SPREADSHEET_MAX_BYTES;
use chrono::Utc;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::campaigns::recipients::Table;
use crate::campaigns::service::{load_sheet, sheet_error};
use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, ProfileQuery};
use crate::store::SpreadsheetRecord;
use crate::{messaging, AppState};

/// Rows of each sheet shown with an upload, to find the header row.
const FIRST_ROWS: usize = 5;
/// Rows a preview shows.
const PREVIEW_ROWS: usize = 20;

/// Routes under `/api/v1` for spreadsheets.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(SPREADSHEET_MAX_BYTES + 1))
        .routes(routes!(preview))
}

/// Profile and file name of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    /// The organization profile; leave out for "You".
    // Read by `InProfile`; declared here to be checked and documented.
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// The file's name, as the campaign will name its source.
    name: Option<String>,
}

/// Upload a spreadsheet (`.xlsx`, `.xls`, `.ods` or `.csv`, the raw bytes
/// as the body) to send a campaign to its rows. Answers with its sheets
/// and their first rows.
#[utoipa::path(post, path = "/spreadsheets", tag = "campaigns", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, body = SpreadsheetView),
        (status = 413, description = "over 20 MB, or more rows, columns or cells than a sheet may hold", body = ErrorBody),
        (status = 415, description = "not a spreadsheet", body = ErrorBody),
        (status = 422, description = "empty, password-protected or damaged", body = ErrorBody),
    ))]
async fn upload(
    State(state): State<AppState>,
    caller: InProfile,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SpreadsheetView>), ApiError> {
    let account = caller.account;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!(
                "Spreadsheets are at most {} MB. Remove columns you do not need, or split the rows into several files.",
                SPREADSHEET_MAX_BYTES / (1024 * 1024)
            ),
        )
    };
    let bytes = body.map_err(|_| too_large())?;
    if bytes.len() > SPREADSHEET_MAX_BYTES {
        return Err(too_large());
    }
    let read = bytes.clone();
    let sheets = tokio::task::spawn_blocking(move || crate::sheets::read(&read))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(sheet_error)?;
    let id = Uuid::now_v7();
    let name = crate::filetype::clean_name(query.name.as_deref(), "spreadsheet");
    state
        .blobs
        .put(id, &bytes)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let record = SpreadsheetRecord {
        id,
        name,
        size: bytes.len() as i64,
        created_at: Utc::now(),
    };
    state
        .store
        .create_spreadsheet(account, &record, caller.user.id)
        .await?;
    let sheets = sheets
        .into_iter()
        .map(|sheet| SheetSummary {
            rows: sheet.rows.len() as u32,
            columns: sheet.width() as u32,
            first_rows: sheet.rows.iter().take(FIRST_ROWS).cloned().collect(),
            name: sheet.name,
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(SpreadsheetView {
            id,
            name: record.name,
            size: record.size,
            sheets,
            created_at: record.created_at,
        }),
    ))
}

/// Read a sheet as a campaign would: its columns (the merge fields), how
/// many rows would be sent to or skipped, and the first rows with their
/// numbers in E.164 or the reason they would be skipped.
#[utoipa::path(post, path = "/spreadsheets/{spreadsheet_id}/preview", tag = "campaigns",
    security(("bearer" = [])),
    params(("spreadsheet_id" = Uuid, Path), ProfileQuery),
    request_body = SheetChoice,
    responses((status = 200, body = SheetPreview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(spreadsheet_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
    ApiJson(choice): ApiJson<SheetChoice>,
) -> Result<Json<SheetPreview>, ApiError> {
    let account = caller.account;
    let (_, sheet) = load_sheet(&state, account, spreadsheet_id, &choice.sheet).await?;
    let table = Table::new(&sheet, &choice)
        .map_err(|problem| ApiError::invalid_field(problem.field, problem.message))?;
    let country = messaging::profile_country(&state, &caller.user, account).await?;
    let plain = chorus_shared::merge::Template::parse("")
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    let all = table.recipients(country.as_deref(), &plain);
    let skipped = all.iter().filter(|r| r.problem.is_some()).count() as u32;
    Ok(Json(SheetPreview {
        columns: table.columns.clone(),
        rows: table.len() as u32,
        valid: table.len() as u32 - skipped,
        skipped,
        rows_shown: table.preview(country.as_deref(), PREVIEW_ROWS),
    }))
}
