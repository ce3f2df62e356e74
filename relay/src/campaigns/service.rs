//! What the campaign routes do: create a draft from a spreadsheet or
//! contacts (every recipient read and checked, nothing sent), start it
//! against the balance, pause, resume and cancel it, and describe it with
//! its progress and pacing.

use axum::http::StatusCode;
use chorus_shared::account::Role;
use chorus_shared::campaign::{
    credits_short_message, CampaignState, CampaignView, CreateCampaign, RecipientSource,
};
use chorus_shared::error::ErrorCode;
use chorus_shared::merge::{field_key, missing_reason, Template};
use chorus_shared::{limits, text};
use chrono::Utc;
use uuid::Uuid;

use super::pacing::{self, Feed};
use super::recipients::{Recipient, Table};
use crate::access::InProfile;
use crate::error::ApiError;
use crate::sheets::Sheet;
use crate::store::{AccountRef, CampaignRecord, Conflict, ContactQuery, NewCampaign, StoreError};
use crate::{messaging, AppState};

/// Longest campaign name.
pub const NAME_MAX_CHARS: usize = 100;
/// Most contacts chosen one by one for a campaign.
pub const CONTACT_IDS_MAX: usize = 10_000;

/// Creates a draft campaign: recipients read, numbers normalised, messages
/// rendered, rows that cannot be sent listed with their reasons.
pub async fn create(
    state: &AppState,
    caller: &InProfile,
    request: CreateCampaign,
) -> Result<CampaignView, ApiError> {
    let account = caller.account;
    let name = text::clean_name(request.name.trim());
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "Name the campaign (1 to {NAME_MAX_CHARS} characters) so you can find it later."
            ),
        ));
    }
    let written = request
        .text
        .as_deref()
        .map(str::trim_end)
        .filter(|text| !text.trim().is_empty());
    if let Some(written) = written {
        if written.chars().count() > limits::MESSAGE_TEXT_MAX_CHARS {
            return Err(ApiError::invalid_field(
                "text",
                format!(
                    "A message has at most {} characters.",
                    limits::MESSAGE_TEXT_MAX_CHARS
                ),
            ));
        }
    }
    let template = Template::parse(written.unwrap_or(""))
        .map_err(|problem| ApiError::invalid_field("text", problem.to_string()))?;
    let kind = match request.attachment_id {
        Some(file_id) => {
            state
                .store
                .file(account, file_id, true)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found("file")
                        .with_field("attachment_id", "no such file in this profile")
                })?
                .kind
        }
        None if written.is_none() => {
            return Err(ApiError::invalid_field(
                "text",
                "Write a message, or attach a file.",
            ))
        }
        None => chorus_shared::message::MessageKind::Text,
    };
    let now = Utc::now();
    if let Some(at) = request.starts_at {
        if at <= now {
            return Err(ApiError::invalid_field(
                "starts_at",
                "Choose a start time in the future, or leave it out to start when you press start.",
            ));
        }
    }
    let country = messaging::profile_country(state, &caller.user, account).await?;
    let (recipients, source) = match &request.recipients {
        RecipientSource::Spreadsheet {
            spreadsheet_id,
            choice,
        } => {
            let (upload, sheet) =
                load_sheet(state, account, *spreadsheet_id, &choice.sheet).await?;
            let table = Table::new(&sheet, choice)
                .map_err(|problem| ApiError::invalid_field(problem.field, problem.message))?;
            check_fields(&template, &table.columns)?;
            if table.is_empty() {
                return Err(ApiError::invalid_field(
                    "header_row",
                    format!(
                        "The sheet {:?} has no rows below its header row.",
                        sheet.name
                    ),
                ));
            }
            let recipients = table.recipients(country.as_deref(), &template);
            (recipients, format!("{}, sheet {}", upload, sheet.name))
        }
        RecipientSource::Contacts { contact_ids } => {
            if contact_ids.is_empty() || contact_ids.len() > CONTACT_IDS_MAX {
                return Err(ApiError::invalid_field(
                    "contact_ids",
                    format!("Choose 1 to {CONTACT_IDS_MAX} contacts."),
                ));
            }
            let mut contacts = Vec::with_capacity(contact_ids.len());
            for id in contact_ids {
                match state.store.contact(account, *id).await? {
                    Some(contact) => contacts.push(contact),
                    None => {
                        return Err(ApiError::not_found("contact")
                            .with_field("contact_ids", format!("no contact {id} in this profile")))
                    }
                }
            }
            let count = contacts.len();
            (
                contact_recipients(&template, contacts)?,
                format!("{count} chosen contacts"),
            )
        }
        RecipientSource::Tag { tag } => {
            let contacts = contacts_tagged(state, account, tag).await?;
            if contacts.is_empty() {
                return Err(ApiError::invalid_field(
                    "tag",
                    format!("No contact has the tag {tag:?}."),
                ));
            }
            (
                contact_recipients(&template, contacts)?,
                format!("contacts tagged {tag}"),
            )
        }
    };
    let id = Uuid::now_v7();
    state
        .store
        .create_campaign(
            NewCampaign {
                id,
                account,
                name,
                template: written.map(str::to_owned),
                kind,
                attachment_id: request.attachment_id,
                source,
                created_by: caller.user.id,
                starts_at: request.starts_at,
                recipients,
            },
            now,
        )
        .await?;
    let record = campaign_of(state, account, id).await?;
    view(state, account, record).await
}

/// Refuses merge fields that name no column.
fn check_fields(template: &Template, columns: &[String]) -> Result<(), ApiError> {
    let unknown = template.unknown_fields(columns);
    if unknown.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = unknown
        .iter()
        .map(|name| format!("{{{{{name}}}}}"))
        .collect();
    Err(ApiError::invalid_field(
        "text",
        format!(
            "{} {} not a column. The columns are: {}.",
            named.join(", "),
            if named.len() == 1 { "is" } else { "are" },
            columns.join(", ")
        ),
    ))
}

/// The fields a contact offers to merge: its name, first and last name,
/// phone, and attributes.
fn contact_recipients(
    template: &Template,
    contacts: Vec<chorus_shared::team::ContactView>,
) -> Result<Vec<Recipient>, ApiError> {
    let mut known: Vec<String> = ["name", "first_name", "last_name", "phone"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    for contact in &contacts {
        for key in contact.attributes.keys() {
            if !known.iter().any(|k| field_key(k) == field_key(key)) {
                known.push(key.clone());
            }
        }
    }
    check_fields(template, &known)?;
    Ok(contacts
        .into_iter()
        .map(|contact| {
            let name = contact.name.clone().unwrap_or_default();
            let (first, last) = name.split_once(' ').unwrap_or((name.as_str(), ""));
            let mut fields: Vec<(String, String)> = vec![
                ("name".into(), name.clone()),
                ("first_name".into(), first.to_owned()),
                ("last_name".into(), last.trim().to_owned()),
                ("phone".into(), contact.phone.clone()),
            ];
            for (key, value) in &contact.attributes {
                fields.push((field_key(key), value.clone()));
            }
            let value = |key: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
            };
            let rendered = template.render(value);
            Recipient {
                row: None,
                phone: Some(contact.phone.clone()),
                name: contact.name.clone(),
                text: rendered.as_ref().ok().cloned(),
                problem: rendered.err().map(|missing| missing_reason(&missing)),
            }
        })
        .collect())
}

async fn contacts_tagged(
    state: &AppState,
    account: AccountRef,
    tag: &str,
) -> Result<Vec<chorus_shared::team::ContactView>, ApiError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (page, _) = state
            .store
            .contacts(
                account,
                ContactQuery {
                    tag: Some(tag.trim().to_owned()),
                    attribute: None,
                    search: None,
                    after: after.clone(),
                    limit: 1000,
                },
            )
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.name.clone().unwrap_or_default(), last.phone.clone()));
        let full = page.len() == 1000;
        all.extend(page);
        if !full || all.len() >= limits::SHEET_ROWS_MAX {
            break;
        }
    }
    Ok(all)
}

/// An uploaded spreadsheet's name and one of its sheets, read again.
pub async fn load_sheet(
    state: &AppState,
    account: AccountRef,
    spreadsheet_id: Uuid,
    sheet_name: &str,
) -> Result<(String, Sheet), ApiError> {
    let upload = state
        .store
        .spreadsheet(account, spreadsheet_id)
        .await?
        .ok_or_else(|| ApiError::not_found("spreadsheet"))?;
    let sheets = read_upload(state, spreadsheet_id).await?;
    let names: Vec<String> = sheets.iter().map(|sheet| sheet.name.clone()).collect();
    let sheet = sheets
        .into_iter()
        .find(|sheet| field_key(&sheet.name) == field_key(sheet_name))
        .ok_or_else(|| {
            ApiError::invalid_field(
                "sheet",
                format!(
                    "There is no sheet {sheet_name:?}. The sheets are: {}.",
                    names.join(", ")
                ),
            )
        })?;
    Ok((upload.name, sheet))
}

/// Reads a stored upload's sheets on the blocking pool.
pub async fn read_upload(state: &AppState, id: Uuid) -> Result<Vec<Sheet>, ApiError> {
    let bytes = state
        .blobs
        .get(id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    tokio::task::spawn_blocking(move || crate::sheets::read(&bytes))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(sheet_error)
}

/// A spreadsheet the relay cannot read, as an answer.
pub fn sheet_error(error: crate::sheets::SheetError) -> ApiError {
    use crate::sheets::SheetError;
    let status = match &error {
        SheetError::NotASpreadsheet(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        SheetError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, ErrorCode::InvalidSpreadsheet, error.to_string())
}

async fn campaign_of(
    state: &AppState,
    account: AccountRef,
    id: Uuid,
) -> Result<CampaignRecord, ApiError> {
    state
        .store
        .campaign(account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("campaign"))
}

/// Reads a campaign of the caller's profile, with its progress.
pub async fn get(state: &AppState, caller: &InProfile, id: Uuid) -> Result<CampaignView, ApiError> {
    let record = campaign_of(state, caller.account, id).await?;
    view(state, caller.account, record).await
}

/// A campaign as the API shows it: its progress, what it still costs, and
/// when the pacing lets the next and the last message go.
pub async fn view(
    state: &AppState,
    account: AccountRef,
    record: CampaignRecord,
) -> Result<CampaignView, ApiError> {
    let now = Utc::now();
    let stored = CampaignState::parse(&record.state).unwrap_or(CampaignState::Draft);
    let state_now = match stored {
        CampaignState::Running if record.starts_at.is_some_and(|at| at > now) => {
            CampaignState::Scheduled
        }
        other => other,
    };
    let (next_send_at, estimated_finish_at) =
        if stored == CampaignState::Running && record.ready > 0 {
            let settings = state.store.pacing(account).await?;
            let history = state.store.feed_history(account, &settings, now).await?;
            let next = match pacing::next_feed(&settings, &history, now) {
                Feed::At(at) => at,
                Feed::Now | Feed::AfterInFlight => now,
            };
            let next = record.starts_at.map_or(next, |at| at.max(next));
            (
                Some(next),
                Some(pacing::estimate_finish(&settings, record.ready, next)),
            )
        } else {
            (None, None)
        };
    Ok(CampaignView {
        id: record.id,
        organization_id: account.organization_id(),
        name: record.name,
        state: state_now,
        paused_reason: record.paused_reason,
        text: record.template,
        kind: record.kind,
        attachment_id: record.attachment_id,
        source: record.source,
        created_by: record.created_by,
        credits_needed: i64::from(record.ready) * record.kind.cost(),
        counts: record.counts,
        created_at: record.created_at,
        starts_at: record.starts_at,
        finished_at: record.finished_at,
        next_send_at,
        estimated_finish_at,
    })
}

/// Who may control a campaign: its creator, or an organization's admin.
fn may_control(caller: &InProfile, record: &CampaignRecord) -> Result<(), ApiError> {
    if record.created_by == caller.user.id
        || caller.role.is_none()
        || caller.role == Some(Role::Admin)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only the campaign's creator or an admin can start, pause or cancel it.",
        ))
    }
}

fn wrong_state(action: &str, record: &CampaignRecord) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::CampaignState,
        format!("The campaign is {} and cannot be {action}.", record.state),
    )
}

/// Starts a draft: refused without credits for every recipient.
pub async fn start(
    state: &AppState,
    caller: &InProfile,
    id: Uuid,
) -> Result<CampaignView, ApiError> {
    let account = caller.account;
    let record = campaign_of(state, account, id).await?;
    may_control(caller, &record)?;
    if record.state != "draft" {
        return Err(wrong_state("started", &record));
    }
    let needed = i64::from(record.ready) * record.kind.cost();
    let balance = state.store.credits(account, Utc::now(), 0).await?.available;
    if needed > balance {
        return Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            ErrorCode::InsufficientCredits,
            credits_short_message(needed, balance),
        ));
    }
    if record.ready == 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "No recipient can be sent to: every row is skipped (see the recipients for why).",
        ));
    }
    move_to(state, caller, &record, &["draft"], "running", "started").await
}

/// Deletes a draft, freeing its name; a started campaign is refused (it is
/// cancelled instead, and its results kept).
pub async fn delete_draft(state: &AppState, caller: &InProfile, id: Uuid) -> Result<(), ApiError> {
    let record = campaign_of(state, caller.account, id).await?;
    may_control(caller, &record)?;
    if !state.store.delete_draft(caller.account, id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::CampaignState,
            format!(
                "The campaign is {}; only drafts are deleted. Cancel it instead.",
                record.state
            ),
        ));
    }
    Ok(())
}

/// Pauses a running campaign; the message in flight (if any) still goes.
pub async fn pause(
    state: &AppState,
    caller: &InProfile,
    id: Uuid,
) -> Result<CampaignView, ApiError> {
    control(state, caller, id, &["running"], "paused", "paused").await
}

/// Resumes a paused campaign where it was.
pub async fn resume(
    state: &AppState,
    caller: &InProfile,
    id: Uuid,
) -> Result<CampaignView, ApiError> {
    control(state, caller, id, &["paused"], "running", "resumed").await
}

/// Cancels a campaign for good: recipients not yet queued never will be.
pub async fn cancel(
    state: &AppState,
    caller: &InProfile,
    id: Uuid,
) -> Result<CampaignView, ApiError> {
    let from = ["draft", "running", "paused"];
    control(state, caller, id, &from, "cancelled", "cancelled").await
}

/// The creator's or an admin's move of a campaign from one of `from` to `to`.
async fn control(
    state: &AppState,
    caller: &InProfile,
    id: Uuid,
    from: &[&str],
    to: &str,
    done: &str,
) -> Result<CampaignView, ApiError> {
    let record = campaign_of(state, caller.account, id).await?;
    may_control(caller, &record)?;
    move_to(state, caller, &record, from, to, done).await
}

async fn move_to(
    state: &AppState,
    caller: &InProfile,
    record: &CampaignRecord,
    from: &[&str],
    to: &str,
    done: &str,
) -> Result<CampaignView, ApiError> {
    let account = caller.account;
    let moved = state
        .store
        .move_campaign(account, record.id, from, to, None, Utc::now())
        .await?;
    if !moved {
        return Err(wrong_state(done, record));
    }
    if to == "running" {
        super::feeder::wake(state, account);
    }
    if to == "cancelled" {
        // Its message still waiting in the queue goes too (one handed to
        // the host already is past recall).
        for message_id in state
            .store
            .campaign_queued_messages(account, record.id)
            .await?
        {
            match messaging::cancel_in(state, account, message_id).await {
                Ok(_) | Err(StoreError::Conflict(Conflict::NotCancellable)) => {}
                Err(other) => return Err(other.into()),
            }
        }
    }
    let record = campaign_of(state, account, record.id).await?;
    view(state, account, record).await
}
