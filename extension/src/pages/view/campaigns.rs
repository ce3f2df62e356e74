//! The Campaigns tab: the "Excel file" flow (upload a spreadsheet, pick the
//! sheet, header row, phone and name columns, name the campaign, write the
//! message with merge fields, preview, start) and every campaign with its
//! progress bar and controls.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use chorus_shared::campaign::CampaignState;

use super::{dispatch, file_choices, value, Action};
use crate::browser::local_clock;
use crate::ui::campaign::{
    draft_summary, pacing_line, percent_done, progress_line, recipient_line, state_word, with_field,
};
use crate::ui::Model;

/// Local "HH:MM" (with the date when not today).
fn clock(at: chrono::DateTime<chrono::Utc>) -> String {
    let clock = local_clock();
    let local =
        at.naive_utc() - chrono::Duration::minutes(i64::from(clock.utc_minus_local_minutes));
    if local.date() == clock.local_now().date() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%d %b %H:%M").to_string()
    }
}

pub fn tab(shown: RwSignal<Model>) -> impl IntoView {
    let flow = Memo::new(move |_| shown.with(|m| m.campaign_flow.clone()));
    view! {
        <h2>"Send from an Excel file"</h2>
        <label for="sheet-file">"Spreadsheet (.xlsx, .xls, .ods or .csv; one row per recipient)"</label>
        <input id="sheet-file" type="file" accept=".xlsx,.xls,.ods,.csv" on:change=|ev| {
            let Some(input) = ev
                .target()
                .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                input.set_value("");
                dispatch(Action::UploadSheet(file));
            }
        }/>
        {move || flow.with(|f| f.upload.is_some()).then(|| campaign_form(shown, flow))}
        {move || flow.with(|f| f.draft.is_some()).then(|| draft_view(shown, flow))}
        <h2>"Campaigns"</h2>
        <p id="pacing" class="muted">{move || shown.with(|m| m.pacing.as_ref().map(pacing_line))}</p>
        {move || shown.with(|m| m.campaigns.is_empty()).then(|| view! {
            <p class="empty">"Campaigns you start show their progress here."</p>
        })}
        <ul id="campaigns" class="list">
            <For
                each=move || shown.with(|m| m.campaigns.clone())
                key=|campaign| (campaign.id, campaign.counts.done(), campaign.counts.sending, campaign.counts.delivered, campaign.counts.read, campaign.counts.replied, state_word(campaign.state))
                children=|campaign| {
                    let id = campaign.id;
                    let now = chrono::DateTime::from_timestamp_millis(crate::browser::now_ms()).unwrap_or_default();
                    let line = progress_line(&campaign, now, clock);
                    let state = campaign.state;
                    view! {
                        <li data-campaign-id=id.to_string() data-state=state_word(state)>
                            <div class="grow">
                                <b>{campaign.name.clone()}</b> " "
                                <span class="muted state">{state_word(state)}</span>
                                <progress max="100" value=percent_done(&campaign).to_string()
                                    aria-label=format!("{} progress", campaign.name)></progress>
                                <div class="muted progress-line">{line}</div>
                            </div>
                            {(state == CampaignState::Running || state == CampaignState::Scheduled).then(|| view! {
                                <button type="button" class="link" on:click=move |_| dispatch(Action::PauseCampaign(id))>"Pause"</button>
                            })}
                            {(state == CampaignState::Paused).then(|| view! {
                                <button type="button" class="link" on:click=move |_| dispatch(Action::ResumeCampaign(id))>"Resume"</button>
                            })}
                            {matches!(state, CampaignState::Running | CampaignState::Scheduled | CampaignState::Paused).then(|| view! {
                                <button type="button" class="link danger" on:click=move |_| dispatch(Action::CancelCampaign(id))>"Cancel"</button>
                            })}
                        </li>
                    }
                }
            />
        </ul>
    }
}

fn campaign_form(
    shown: RwSignal<Model>,
    flow: Memo<crate::ui::campaign::CampaignFlow>,
) -> impl IntoView {
    let sheet = NodeRef::<html::Select>::new();
    let header_row = NodeRef::<html::Input>::new();
    let phone = NodeRef::<html::Select>::new();
    let name_column = NodeRef::<html::Select>::new();
    let title = NodeRef::<html::Input>::new();
    let text = NodeRef::<html::Textarea>::new();
    let field = NodeRef::<html::Select>::new();
    let attachment = NodeRef::<html::Select>::new();
    let starts = NodeRef::<html::Input>::new();
    let choose_sheet = move || {
        dispatch(Action::ChooseSheet {
            sheet: value(sheet),
            header_row: value(header_row).trim().parse().unwrap_or(1),
        })
    };
    let columns = Memo::new(move |_| flow.with(|f| f.columns()));
    let likely_phone = Memo::new(move |_| flow.with(|f| f.likely_phone_column()));
    let likely_name = Memo::new(move |_| flow.with(|f| f.likely_name_column()));
    view! {
        <form data-form="campaign" on:submit=move |ev| {
            ev.prevent_default();
            dispatch(Action::DraftCampaign {
                name: value(title),
                phone_column: value(phone),
                name_column: value(name_column),
                text: value(text),
                file: value(attachment).parse().ok(),
                starts_at: value(starts),
            });
        }>
            <p class="muted" id="sheet-upload">{move || flow.with(|f| f.upload.as_ref().map(|u| format!("{} · {} sheets", u.name, u.sheets.len())))}</p>
            <label for="campaign-sheet">"Sheet"</label>
            <select id="campaign-sheet" node_ref=sheet on:change=move |_| choose_sheet()>
                {move || flow.with(|f| f.upload.as_ref().map(|u| u.sheets.iter().map(|s| {
                    let chosen = s.name == f.sheet;
                    view! { <option value=s.name.clone() selected=chosen>{format!("{} ({} rows)", s.name, s.rows)}</option> }
                }).collect::<Vec<_>>()))}
            </select>
            <label for="campaign-header">"Header row (the row with the column names)"</label>
            <input id="campaign-header" type="number" min="1" node_ref=header_row
                prop:value=move || flow.with(|f| f.header_row.to_string())
                on:change=move |_| choose_sheet()/>
            <label for="campaign-phone">"Phone number column"</label>
            <select id="campaign-phone" node_ref=phone>
                {move || columns.get().into_iter().map(|column| {
                    let chosen = likely_phone.get().as_deref() == Some(column.as_str());
                    let label = column.clone();
                    view! { <option value=column selected=chosen>{label}</option> }
                }).collect::<Vec<_>>()}
            </select>
            <label for="campaign-name-column">"Name column"</label>
            <select id="campaign-name-column" node_ref=name_column>
                <option value="">"(none)"</option>
                {move || columns.get().into_iter().map(|column| {
                    let chosen = likely_name.get().as_deref() == Some(column.as_str());
                    let label = column.clone();
                    view! { <option value=column selected=chosen>{label}</option> }
                }).collect::<Vec<_>>()}
            </select>
            <label for="campaign-title">"Campaign name"</label>
            <input id="campaign-title" required node_ref=title/>
            <label for="campaign-text">"Message"</label>
            <textarea id="campaign-text" rows="4" node_ref=text></textarea>
            <label for="merge-field">"Insert merge field"</label>
            <select id="merge-field" node_ref=field on:change=move |_| {
                let chosen = value(field);
                if chosen.is_empty() {
                    return;
                }
                if let Some(area) = text.get_untracked() {
                    area.set_value(&with_field(&area.value(), &chosen));
                    let _ = area.focus();
                }
                if let Some(select) = field.get_untracked() {
                    select.set_value("");
                }
            }>
                <option value="">"Choose a column…"</option>
                {move || columns.get().into_iter().map(|column| {
                    let label = column.clone();
                    view! { <option value=column>{label}</option> }
                }).collect::<Vec<_>>()}
            </select>
            <label for="campaign-attachment">"File from the library"</label>
            <select id="campaign-attachment" node_ref=attachment>{file_choices(shown)}</select>
            <label for="campaign-start">"Start at (leave empty to start when you press Start)"</label>
            <input id="campaign-start" type="datetime-local" node_ref=starts/>
            <button type="submit">"Preview"</button>
        </form>
    }
}

fn draft_view(
    shown: RwSignal<Model>,
    flow: Memo<crate::ui::campaign::CampaignFlow>,
) -> impl IntoView {
    let summary = move || {
        shown.with(|m| {
            let balance = m
                .credits
                .get(&m.settings.profile)
                .map_or(0, |(available, _)| *available);
            m.campaign_flow
                .draft
                .as_ref()
                .map(|draft| draft_summary(draft, balance))
        })
    };
    view! {
        <div id="campaign-draft" class="card">
            <h3>{move || flow.with(|f| f.draft.as_ref().map(|d| format!("Preview: {}", d.name)))}</h3>
            <p id="draft-summary">{summary}</p>
            <ul id="draft-recipients" class="list">
                {move || flow.with(|f| f.draft_recipients.iter().map(|recipient| {
                    let (who, what) = recipient_line(recipient);
                    view! { <li><b>{who}</b> " " <span class="muted">{what}</span></li> }
                }).collect::<Vec<_>>())}
            </ul>
            <div class="row">
                <button type="button" on:click=move |_| {
                    if let Some(id) = flow.with_untracked(|f| f.draft.as_ref().map(|d| d.id)) {
                        dispatch(Action::StartCampaign(id));
                    }
                }>{move || flow.with(|f| if f.draft.as_ref().is_some_and(|d| d.starts_at.is_some()) { "Schedule campaign" } else { "Start campaign" })}</button>
                <button type="button" class="link" on:click=|_| dispatch(Action::DiscardDraft)>"Change"</button>
            </div>
        </div>
    }
}
