//! The Campaigns tab's state and words: the "Excel file" flow (upload, pick
//! the sheet and columns, write with merge fields, preview, start) and each
//! campaign's progress line.

use chorus_shared::campaign::{
    CampaignState, CampaignView, RecipientStatus, RecipientView, SheetPreview, SpreadsheetView,
};
use chrono::{DateTime, Utc};

/// Where the "Excel file" flow is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignFlow {
    /// The spreadsheet uploaded.
    pub upload: Option<SpreadsheetView>,
    /// The sheet chosen.
    pub sheet: String,
    /// The header row chosen, from 1.
    pub header_row: u32,
    /// The sheet read with the chosen columns.
    pub preview: Option<SheetPreview>,
    /// The draft created from it, waiting to be started.
    pub draft: Option<CampaignView>,
    /// The draft's first recipients as each will get the message, and the
    /// skipped ones with their reasons.
    pub draft_recipients: Vec<RecipientView>,
}

impl CampaignFlow {
    /// A fresh upload: its first sheet with something in it, header on row 1.
    pub fn uploaded(upload: SpreadsheetView) -> CampaignFlow {
        let sheet = upload
            .sheets
            .iter()
            .find(|sheet| sheet.rows > 0)
            .or(upload.sheets.first())
            .map(|sheet| sheet.name.clone())
            .unwrap_or_default();
        CampaignFlow {
            upload: Some(upload),
            sheet,
            header_row: 1,
            ..CampaignFlow::default()
        }
    }

    /// The chosen header row's column names, to pick the phone and name
    /// columns from and to offer as merge fields (from the relay's preview
    /// once there is one, else from the sheet's first rows).
    pub fn columns(&self) -> Vec<String> {
        if let Some(preview) = &self.preview {
            return preview.columns.clone();
        }
        let Some(sheet) = self
            .upload
            .as_ref()
            .and_then(|upload| upload.sheets.iter().find(|sheet| sheet.name == self.sheet))
        else {
            return Vec::new();
        };
        sheet
            .first_rows
            .get(self.header_row.max(1) as usize - 1)
            .map(|row| {
                row.iter()
                    .filter(|cell| !cell.is_empty())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The column that most looks like the phone numbers' (by its name).
    pub fn likely_phone_column(&self) -> Option<String> {
        let columns = self.columns();
        columns
            .iter()
            .find(|name| {
                let name = name.to_lowercase();
                ["phone", "mobile", "number", "whatsapp", "cell", "tel"]
                    .iter()
                    .any(|word| name.contains(word))
            })
            .or(columns.first())
            .cloned()
    }

    /// The column that most looks like the names'.
    pub fn likely_name_column(&self) -> Option<String> {
        self.columns()
            .into_iter()
            .find(|name| name.to_lowercase().contains("name"))
    }
}

/// The number's pacing in words, as campaigns follow it.
pub fn pacing_line(pacing: &chorus_shared::api::PacingSettings) -> String {
    let gap = if pacing.min_gap_seconds == pacing.max_gap_seconds {
        format!("{} s between recipients", pacing.min_gap_seconds)
    } else {
        format!(
            "{}-{} s between recipients",
            pacing.min_gap_seconds, pacing.max_gap_seconds
        )
    };
    format!(
        "Pacing: {gap}, a {} s pause every {}, at most {} an hour and {} a day.",
        pacing.burst_pause_seconds, pacing.burst_size, pacing.hourly_cap, pacing.daily_cap
    )
}

/// The message with a merge field added at its end.
pub fn with_field(text: &str, field: &str) -> String {
    let spacer = if text.is_empty() || text.ends_with(char::is_whitespace) {
        ""
    } else {
        " "
    };
    format!("{text}{spacer}{{{{{field}}}}}")
}

/// What a draft will do, against the balance.
pub fn draft_summary(draft: &CampaignView, balance: i64) -> String {
    let counts = &draft.counts;
    let sending = counts.total - counts.skipped;
    let mut line = format!(
        "Will send to {sending} of {} · {} skipped · needs {} credits, balance {balance}",
        counts.total, counts.skipped, draft.credits_needed
    );
    if draft.credits_needed > balance {
        line.push_str(" — not enough credits to start");
    }
    line
}

/// One recipient of a preview: who, and the message or why it is skipped.
pub fn recipient_line(recipient: &RecipientView) -> (String, String) {
    let who = match (&recipient.name, &recipient.phone) {
        (Some(name), Some(phone)) => format!("{name} ({phone})"),
        (None, Some(phone)) => phone.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => format!("row {}", recipient.row.unwrap_or(recipient.position)),
    };
    let what = match recipient.status {
        RecipientStatus::Skipped | RecipientStatus::Failed => {
            format!(
                "skipped: {}",
                recipient.reason.as_deref().unwrap_or("no reason given")
            )
        }
        _ => recipient
            .text
            .clone()
            .unwrap_or_else(|| "(the file only)".into()),
    };
    (who, what)
}

/// How far a campaign is, as a whole percentage of its recipients.
pub fn percent_done(campaign: &CampaignView) -> u32 {
    let counts = &campaign.counts;
    if counts.total == 0 {
        return 100;
    }
    counts.done() * 100 / counts.total
}

/// A campaign's state word.
pub fn state_word(state: CampaignState) -> &'static str {
    match state {
        CampaignState::Draft => "draft",
        CampaignState::Scheduled => "scheduled",
        CampaignState::Running => "running",
        CampaignState::Paused => "paused",
        CampaignState::Finished => "finished",
        CampaignState::Cancelled => "cancelled",
    }
}

/// A campaign's progress in words: counts, then when the next message goes
/// and when the last should, or why it stopped.
pub fn progress_line(
    campaign: &CampaignView,
    now: DateTime<Utc>,
    clock: impl Fn(DateTime<Utc>) -> String,
) -> String {
    let counts = &campaign.counts;
    let mut parts = vec![format!(
        "{} of {} sent",
        counts.sent,
        counts.total - counts.skipped
    )];
    for (count, word) in [
        (counts.delivered, "delivered"),
        (counts.read, "read"),
        (counts.replied, "replied"),
        (counts.failed, "failed"),
        (counts.skipped, "skipped"),
        (counts.cancelled, "cancelled"),
    ] {
        if count > 0 {
            parts.push(format!("{count} {word}"));
        }
    }
    match campaign.state {
        CampaignState::Running | CampaignState::Scheduled => {
            if let Some(next) = campaign.next_send_at {
                if next > now {
                    parts.push(format!("next at {}", clock(next)));
                } else {
                    parts.push("sending now".into());
                }
            }
            if let Some(done) = campaign.estimated_finish_at {
                parts.push(format!("done by about {}", clock(done)));
            }
        }
        CampaignState::Paused => {
            if let Some(reason) = &campaign.paused_reason {
                parts.push(reason.clone());
            }
        }
        _ => {}
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_shared::campaign::{CampaignCounts, SheetSummary};
    use chorus_shared::message::MessageKind;
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn upload() -> SpreadsheetView {
        SpreadsheetView {
            id: Uuid::nil(),
            name: "clients.xlsx".into(),
            size: 100,
            sheets: vec![
                SheetSummary {
                    name: "Cover".into(),
                    rows: 0,
                    columns: 0,
                    first_rows: vec![],
                },
                SheetSummary {
                    name: "March".into(),
                    rows: 3,
                    columns: 3,
                    first_rows: vec![
                        vec!["Customers".into()],
                        vec!["Full name".into(), "".into(), "Mobile No".into()],
                        vec!["Asha".into(), "".into(), "919876543210".into()],
                    ],
                },
            ],
            created_at: now(),
        }
    }

    #[test]
    fn the_first_filled_sheet_and_its_columns_are_offered() {
        let mut flow = CampaignFlow::uploaded(upload());
        assert_eq!(flow.sheet, "March");
        assert_eq!(flow.columns(), vec!["Customers"]);
        flow.header_row = 2;
        assert_eq!(flow.columns(), vec!["Full name", "Mobile No"]);
        assert_eq!(flow.likely_phone_column().as_deref(), Some("Mobile No"));
        assert_eq!(flow.likely_name_column().as_deref(), Some("Full name"));
    }

    #[test]
    fn pacing_is_said_in_words() {
        assert_eq!(
            pacing_line(&chorus_shared::api::PacingSettings::default()),
            "Pacing: 30-60 s between recipients, a 210 s pause every 40, at most 60 an hour and 600 a day."
        );
    }

    #[test]
    fn merge_fields_are_added_at_the_end() {
        assert_eq!(with_field("", "Name"), "{{Name}}");
        assert_eq!(with_field("Hi", "Name"), "Hi {{Name}}");
        assert_eq!(with_field("Hi ", "Name"), "Hi {{Name}}");
    }

    fn campaign(state: CampaignState, counts: CampaignCounts) -> CampaignView {
        CampaignView {
            id: Uuid::nil(),
            organization_id: None,
            name: "March".into(),
            state,
            paused_reason: None,
            text: Some("Hi".into()),
            kind: MessageKind::Text,
            attachment_id: None,
            source: "clients.xlsx, sheet March".into(),
            created_by: Uuid::nil(),
            counts,
            credits_needed: 8,
            created_at: now(),
            starts_at: None,
            finished_at: None,
            next_send_at: None,
            estimated_finish_at: None,
        }
    }

    #[test]
    fn progress_counts_what_is_done() {
        let counts = CampaignCounts {
            total: 10,
            skipped: 2,
            sent: 4,
            delivered: 3,
            failed: 1,
            queued: 3,
            ..Default::default()
        };
        let running = campaign(CampaignState::Running, counts);
        assert_eq!(percent_done(&running), 70);
        let now = now();
        let mut shown = running.clone();
        shown.next_send_at = Some(now + chrono::Duration::minutes(1));
        shown.estimated_finish_at = Some(now + chrono::Duration::minutes(9));
        assert_eq!(
            progress_line(&shown, now, |_| "12:00".into()),
            "4 of 8 sent · 3 delivered · 1 failed · 2 skipped · next at 12:00 · done by about 12:00"
        );
        let mut paused = campaign(CampaignState::Paused, counts);
        paused.paused_reason = Some("Out of credits".into());
        assert!(progress_line(&paused, now, |_| String::new()).ends_with("Out of credits"));
    }

    #[test]
    fn a_draft_says_what_it_costs_against_the_balance() {
        let counts = CampaignCounts {
            total: 10,
            skipped: 2,
            queued: 8,
            ..Default::default()
        };
        let draft = campaign(CampaignState::Draft, counts);
        assert_eq!(
            draft_summary(&draft, 20),
            "Will send to 8 of 10 · 2 skipped · needs 8 credits, balance 20"
        );
        assert!(draft_summary(&draft, 5).ends_with("not enough credits to start"));
    }
}
