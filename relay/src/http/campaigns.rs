//! Campaigns over REST: create a draft (recipients read and checked), list
//! and read them with their progress, page through recipients, start,
//! pause, resume and cancel, and export the results as CSV.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chorus_shared::campaign::{CampaignList, CampaignView, CreateCampaign, RecipientPage};
use chorus_shared::error::ErrorBody;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::access;
use crate::campaigns::{export, service};
use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, ProfileQuery};
use crate::session::CurrentUser;
use crate::AppState;

/// Largest page of recipients.
const PAGE_MAX: u32 = 1000;

/// Routes under `/api/v1` for campaigns.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(campaign, delete_draft))
        .routes(routes!(recipients))
        .routes(routes!(results))
        .routes(routes!(start))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(cancel))
}

/// Create a draft campaign. Every recipient is read and checked now: the
/// answer counts who will be sent to and who is skipped (with reasons in
/// the recipients), and the credits it needs. Nothing is sent until it is
/// started.
#[utoipa::path(post, path = "/campaigns", tag = "campaigns", security(("bearer" = [])),
    request_body = CreateCampaign,
    responses(
        (status = 201, body = CampaignView),
        (status = 404, description = "no such spreadsheet, contact or file in this profile", body = ErrorBody),
        (status = 409, description = "a campaign of that name exists", body = ErrorBody),
        (status = 422, description = "no such sheet or column, a merge field that names no column, no message", body = ErrorBody),
    ))]
async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<CreateCampaign>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let caller = access::InProfile::resolve(&state, &current.user, body.organization_id).await?;
    let view = service::create(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The profile's campaigns, newest first, each with its progress.
#[utoipa::path(get, path = "/campaigns", tag = "campaigns", security(("bearer" = [])),
    params(ProfileQuery),
    responses((status = 200, body = CampaignList), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: InProfile,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<CampaignList>, ApiError> {
    let account = caller.account;
    let mut campaigns = Vec::new();
    for record in state.store.campaigns(account).await? {
        campaigns.push(service::view(&state, account, record).await?);
    }
    Ok(Json(CampaignList { campaigns }))
}

/// One campaign with its progress, the next send's time and the estimated
/// finish.
#[utoipa::path(get, path = "/campaigns/{campaign_id}", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), ProfileQuery),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody)))]
async fn campaign(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(service::get(&state, &caller, campaign_id).await?))
}

/// Delete a draft campaign (its name is free again). A started campaign
/// is cancelled instead, so its results stay.
#[utoipa::path(delete, path = "/campaigns/{campaign_id}", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), ProfileQuery),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not a draft", body = ErrorBody),
    ))]
async fn delete_draft(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<StatusCode, ApiError> {
    service::delete_draft(&state, &caller, campaign_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A page of recipients.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    /// The organization profile; leave out for "You".
    #[allow(dead_code)]
    organization_id: Option<Uuid>,
    /// Recipients after this position (from the previous page's `next_after`).
    after: Option<u32>,
    /// Page size (at most 1000; 100 by default).
    limit: Option<u32>,
}

/// A campaign's recipients in sending order: each one's number, message,
/// state, and why it was skipped or failed.
#[utoipa::path(get, path = "/campaigns/{campaign_id}/recipients", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), PageQuery),
    responses((status = 200, body = RecipientPage), (status = 404, body = ErrorBody)))]
async fn recipients(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<RecipientPage>, ApiError> {
    let account = caller.account;
    service::get(&state, &caller, campaign_id).await?;
    let limit = query.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let recipients = state
        .store
        .campaign_recipients(account, campaign_id, query.after.unwrap_or(0), limit)
        .await?;
    let next_after = (recipients.len() as u32 == limit)
        .then(|| recipients.last().map(|r| r.position))
        .flatten();
    Ok(Json(RecipientPage {
        recipients,
        next_after,
    }))
}

/// Every recipient's result as CSV (spreadsheet-safe: no cell can run as a
/// formula).
#[utoipa::path(get, path = "/campaigns/{campaign_id}/results.csv", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), ProfileQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody),
    ))]
async fn results(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Response, ApiError> {
    let account = caller.account;
    let campaign = service::get(&state, &caller, campaign_id).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(export::HEADER)
        .map_err(|e| ApiError::internal(&e))?;
    let mut after = 0;
    loop {
        let page = state
            .store
            .campaign_recipients(account, campaign_id, after, PAGE_MAX)
            .await?;
        export::write_rows(&mut writer, &page).map_err(|e| ApiError::internal(&e))?;
        match page.last() {
            Some(last) if page.len() as u32 == PAGE_MAX => after = last.position,
            _ => break,
        }
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::internal(&e))?;
    let file_name: String = campaign
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}-results.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Start a draft campaign (at its start time, if it has one). Refused with
/// the credits needed and the balance when the balance cannot pay for every
/// recipient.
#[utoipa::path(post, path = "/campaigns/{campaign_id}/start", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), ProfileQuery),
    responses(
        (status = 200, body = CampaignView),
        (status = 402, description = "not enough credits", body = ErrorBody),
        (status = 403, description = "neither its creator nor an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not a draft", body = ErrorBody),
    ))]
async fn start(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(service::start(&state, &caller, campaign_id).await?))
}

/// Pause a running campaign; a message already handed to the host still goes.
#[utoipa::path(post, path = "/campaigns/{campaign_id}/pause", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), ProfileQuery),
    responses(
        (status = 200, body = CampaignView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not running", body = ErrorBody),
    ))]
async fn pause(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(service::pause(&state, &caller, campaign_id).await?))
}

/// Resume a paused campaign where it stopped.
#[utoipa::path(post, path = "/campaigns/{campaign_id}/resume", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), ProfileQuery),
    responses(
        (status = 200, body = CampaignView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not paused", body = ErrorBody),
    ))]
async fn resume(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(service::resume(&state, &caller, campaign_id).await?))
}

/// Cancel a campaign for good: recipients not yet queued are never sent to.
#[utoipa::path(post, path = "/campaigns/{campaign_id}/cancel", tag = "campaigns",
    security(("bearer" = [])),
    params(("campaign_id" = Uuid, Path), ProfileQuery),
    responses(
        (status = 200, body = CampaignView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "finished or cancelled already", body = ErrorBody),
    ))]
async fn cancel(
    State(state): State<AppState>,
    caller: InProfile,
    ApiPath(campaign_id): ApiPath<Uuid>,
    _: ApiQuery<ProfileQuery>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(service::cancel(&state, &caller, campaign_id).await?))
}
