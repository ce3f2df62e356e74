//! The Campaigns tab's actions: the "Excel file" flow against the relay, and
//! starting, pausing, resuming and cancelling campaigns.

use std::rc::Rc;

use chorus_shared::campaign::{CreateCampaign, RecipientSource, SheetChoice};
use chorus_shared::endpoints;
use chorus_shared::limits::SPREADSHEET_MAX_BYTES;
use uuid::Uuid;

use super::{problem, Outcome};
use crate::pages::sidebar::App;
use crate::ui::campaign::CampaignFlow;

/// Recipients a preview shows.
const PREVIEW_RECIPIENTS: u32 = 20;

/// Uploads a spreadsheet and offers its sheets and columns.
pub(super) async fn upload_sheet(app: &Rc<App>, file: web_sys::File) -> Outcome {
    if file.size() > SPREADSHEET_MAX_BYTES as f64 {
        return Err(problem(format!(
            "{} is {:.1} MB; spreadsheets are at most {} MB. Split it into smaller files.",
            file.name(),
            file.size() / 1_048_576.0,
            SPREADSHEET_MAX_BYTES / 1_048_576
        )));
    }
    let endpoint = endpoints::UploadSpreadsheet {
        organization_id: app.profile(),
        name: file.name(),
    };
    let upload = app.relay().upload(&endpoint, &file).await?;
    let mut model = app.model.borrow_mut();
    model.notice = Some(format!(
        "Read {}: choose the sheet and columns.",
        upload.name
    ));
    model.campaign_flow = CampaignFlow::uploaded(upload);
    Ok(())
}

/// A sheet or header row chosen: its columns are read again.
pub(super) fn choose_sheet(app: &Rc<App>, sheet: String, header_row: u32) {
    let mut model = app.model.borrow_mut();
    let flow = &mut model.campaign_flow;
    flow.sheet = sheet;
    flow.header_row = header_row.max(1);
    flow.preview = None;
}

/// What the form holds.
pub(super) struct Form {
    pub name: String,
    pub phone_column: String,
    pub name_column: String,
    pub text: String,
    pub file: Option<Uuid>,
    pub starts_at: String,
}

/// Creates the draft (every row read and checked by the relay) and shows
/// its first recipients as each will get the message.
pub(super) async fn draft(app: &Rc<App>, form: Form) -> Outcome {
    let organization_id = app.profile();
    let (upload, sheet, header_row) = {
        let model = app.model.borrow();
        let flow = &model.campaign_flow;
        let upload = flow
            .upload
            .as_ref()
            .ok_or_else(|| problem("Upload a spreadsheet first."))?;
        (upload.id, flow.sheet.clone(), flow.header_row)
    };
    if form.name.trim().is_empty() {
        return Err(problem("Name the campaign so you can find it later."));
    }
    let starts_at = match form.starts_at.trim() {
        "" => None,
        local => Some(local_time(local)?),
    };
    let request = CreateCampaign {
        organization_id,
        name: form.name.trim().to_owned(),
        recipients: RecipientSource::Spreadsheet {
            spreadsheet_id: upload,
            choice: SheetChoice {
                sheet,
                header_row,
                phone_column: form.phone_column,
                name_column: Some(form.name_column).filter(|name| !name.is_empty()),
            },
        },
        text: Some(form.text).filter(|text| !text.trim().is_empty()),
        attachment_id: form.file,
        starts_at,
    };
    let relay = app.relay();
    let draft = relay
        .call_endpoint(&endpoints::DraftCampaign(request))
        .await?;
    let page = relay
        .call_endpoint(&endpoints::CampaignRecipients {
            organization_id,
            campaign_id: draft.id,
            after: 0,
            limit: PREVIEW_RECIPIENTS,
        })
        .await?;
    let mut model = app.model.borrow_mut();
    model.campaign_flow.draft = Some(draft);
    model.campaign_flow.draft_recipients = page.recipients;
    Ok(())
}

/// The ticked contacts become a draft campaign, previewed in the Campaigns
/// tab like a spreadsheet's (merge fields: `name`, `first_name`,
/// `last_name`, `phone` and the contacts' attributes).
pub(super) async fn draft_for_selection(app: &Rc<App>, text: &str, file: Option<Uuid>) -> Outcome {
    let contact_ids: Vec<Uuid> = {
        let model = app.model.borrow();
        model
            .contacts
            .iter()
            .filter(|c| model.selected.contains(&c.id))
            .map(|c| c.id)
            .collect()
    };
    if contact_ids.is_empty() {
        return Err(problem("Select the contacts to send to first."));
    }
    let organization_id = app.profile();
    let clock = crate::browser::local_clock();
    let request = CreateCampaign {
        organization_id,
        name: format!(
            "{} contacts, {}",
            contact_ids.len(),
            clock.local_now().format("%d %b %H:%M:%S")
        ),
        recipients: RecipientSource::Contacts { contact_ids },
        text: Some(text.to_owned()).filter(|text| !text.is_empty()),
        attachment_id: file,
        starts_at: None,
    };
    let relay = app.relay();
    let draft = relay
        .call_endpoint(&endpoints::DraftCampaign(request))
        .await?;
    let page = relay
        .call_endpoint(&endpoints::CampaignRecipients {
            organization_id,
            campaign_id: draft.id,
            after: 0,
            limit: PREVIEW_RECIPIENTS,
        })
        .await?;
    let mut model = app.model.borrow_mut();
    model.campaign_flow = CampaignFlow {
        draft: Some(draft),
        draft_recipients: page.recipients,
        ..CampaignFlow::default()
    };
    model.selected.clear();
    model.tab = crate::ui::Tab::Campaigns;
    model.notice = Some("Check the preview, then start the campaign.".into());
    app.set_value("bulk-text", "");
    Ok(())
}

/// A `datetime-local` value (the browser's zone) as UTC.
fn local_time(
    local: &str,
) -> Result<chrono::DateTime<chrono::Utc>, crate::browser::relay::Failure> {
    let millis = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local)).get_time();
    if millis.is_nan() {
        return Err(problem(
            "Give the start as a date and time, or leave it empty.",
        ));
    }
    chrono::DateTime::from_timestamp_millis(millis as i64)
        .ok_or_else(|| problem("Give the start as a date and time, or leave it empty."))
}

/// Takes the draft back (deleted on the relay, so its name is free again)
/// to change the form.
pub(super) async fn discard(app: &Rc<App>) -> Outcome {
    let draft = app.model.borrow_mut().campaign_flow.draft.take();
    app.model
        .borrow_mut()
        .campaign_flow
        .draft_recipients
        .clear();
    if let Some(draft) = draft {
        app.relay()
            .call_endpoint(&endpoints::DeleteDraftCampaign {
                organization_id: app.profile(),
                campaign_id: draft.id,
            })
            .await?;
    }
    Ok(())
}

/// Starts the draft shown, then shows it among the campaigns.
pub(super) async fn start(app: &Rc<App>, campaign_id: Uuid) -> Outcome {
    let started = app
        .relay()
        .call_endpoint(&endpoints::StartCampaign {
            organization_id: app.profile(),
            campaign_id,
        })
        .await?;
    let mut model = app.model.borrow_mut();
    model.notice = Some(format!("Started {}.", started.name));
    model.campaign_flow = CampaignFlow::default();
    model.campaigns.retain(|c| c.id != started.id);
    model.campaigns.insert(0, started);
    Ok(())
}

/// Which control was used.
pub(super) enum Control {
    Pause,
    Resume,
    Cancel,
}

/// Pauses, resumes or cancels a campaign.
pub(super) async fn control(app: &Rc<App>, campaign_id: Uuid, control: Control) -> Outcome {
    let organization_id = app.profile();
    let relay = app.relay();
    let changed = match control {
        Control::Pause => {
            relay
                .call_endpoint(&endpoints::PauseCampaign {
                    organization_id,
                    campaign_id,
                })
                .await?
        }
        Control::Resume => {
            relay
                .call_endpoint(&endpoints::ResumeCampaign {
                    organization_id,
                    campaign_id,
                })
                .await?
        }
        Control::Cancel => {
            relay
                .call_endpoint(&endpoints::CancelCampaign {
                    organization_id,
                    campaign_id,
                })
                .await?
        }
    };
    let mut model = app.model.borrow_mut();
    if let Some(shown) = model.campaigns.iter_mut().find(|c| c.id == changed.id) {
        *shown = changed;
    }
    Ok(())
}
