//! Campaigns: one message, with merge fields, sent to many recipients from a
//! spreadsheet or the contacts list, paced through the number's host; and
//! the spreadsheets they are read from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::message::MessageKind;

/// An uploaded spreadsheet: its sheets, for choosing where recipients are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpreadsheetView {
    /// Stable id, for previews and campaigns.
    pub id: Uuid,
    /// The file's name as uploaded.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Its sheets, in workbook order (a CSV file has one, "CSV").
    pub sheets: Vec<SheetSummary>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// One sheet of an uploaded spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetSummary {
    /// Its name in the workbook.
    pub name: String,
    /// Rows up to the last filled one.
    pub rows: u32,
    /// Columns up to the widest row's last filled cell.
    pub columns: u32,
    /// Its first rows as read, to find the header row.
    pub first_rows: Vec<Vec<String>>,
}

/// Where recipients are in a spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SheetChoice {
    /// The sheet's name (see the upload's `sheets`).
    pub sheet: String,
    /// The row holding the column names, from 1; the rows below are recipients.
    #[serde(default = "first_row")]
    pub header_row: u32,
    /// The column holding phone numbers, by its header.
    pub phone_column: String,
    /// The column holding names, by its header, if any.
    #[serde(default)]
    pub name_column: Option<String>,
}

fn first_row() -> u32 {
    1
}

/// `POST /spreadsheets/{id}/preview`: the first rows read as a campaign
/// would read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetPreview {
    /// The header row's column names (merge fields), in order.
    pub columns: Vec<String>,
    /// Rows below the header.
    pub rows: u32,
    /// Rows that would be sent to.
    pub valid: u32,
    /// Rows that would be skipped (see `rows_shown` for reasons).
    pub skipped: u32,
    /// The first rows below the header, as read.
    pub rows_shown: Vec<RowRead>,
}

/// One row as a campaign reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowRead {
    /// The row's number in the sheet, from 1.
    pub row: u32,
    /// The number in E.164, if it is one.
    pub phone: Option<String>,
    /// The name, if a name column was chosen and has one.
    pub name: Option<String>,
    /// The row's cells, by the header's columns.
    pub cells: Vec<String>,
    /// Why it would be skipped, if it would.
    pub problem: Option<String>,
}

/// Who a campaign goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RecipientSource {
    /// The rows of an uploaded spreadsheet.
    Spreadsheet {
        /// The upload.
        spreadsheet_id: Uuid,
        /// Where in it.
        #[serde(flatten)]
        choice: SheetChoice,
    },
    /// Chosen contacts of the profile (merge fields: `name`, `phone`, their
    /// attributes).
    Contacts {
        /// The contacts, in sending order.
        contact_ids: Vec<Uuid>,
    },
    /// Every contact of the profile with this tag.
    Tag {
        /// The tag.
        tag: String,
    },
}

/// `POST /campaigns`: a draft campaign, read and checked but not started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    /// The organization profile; leave out for "You".
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// Unique among the profile's campaigns (ignoring case).
    pub name: String,
    /// Who it goes to.
    pub recipients: RecipientSource,
    /// The message, with `{{Column}}` merge fields (`{{Column|default}}`).
    #[serde(default)]
    pub text: Option<String>,
    /// A file of the profile's library to send with it.
    #[serde(default)]
    pub attachment_id: Option<Uuid>,
    /// When to start once started (later than now), if not at once.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
}

/// Where a campaign is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Created and checked; nothing sent until started.
    Draft,
    /// Started, waiting for its start time.
    Scheduled,
    /// Sending, paced.
    Running,
    /// Stopped for now; resumes where it was.
    Paused,
    /// Every recipient was sent to, failed or skipped.
    Finished,
    /// Stopped for good; recipients not yet sent to never will be.
    Cancelled,
}

impl CampaignState {
    /// As stored and written in the API (`scheduled` is `running` with a
    /// start time ahead and is never stored).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Finished => "finished",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a stored state.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Running,
            Self::Paused,
            Self::Finished,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// How many recipients are where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignCounts {
    /// Recipients read (sent to or skipped).
    pub total: u32,
    /// Not sent to: no valid number, a duplicate, a merge field without value.
    pub skipped: u32,
    /// Waiting their turn (not yet in the number's queue, or in it).
    pub queued: u32,
    /// Being sent by the host now.
    pub sending: u32,
    /// Sent (delivered and read included).
    pub sent: u32,
    /// Delivered (read included).
    pub delivered: u32,
    /// Read.
    pub read: u32,
    /// Failed to send (see each recipient's reason).
    pub failed: u32,
    /// Never sent because the campaign was cancelled.
    pub cancelled: u32,
    /// Recipients who wrote back after their message.
    pub replied: u32,
}

impl CampaignCounts {
    /// Recipients the campaign is done with (sent, failed, cancelled, skipped).
    pub fn done(&self) -> u32 {
        self.skipped + self.sent + self.failed + self.cancelled
    }
}

/// A campaign, with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignView {
    /// Stable id.
    pub id: Uuid,
    /// The organization it belongs to; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Where it is.
    pub state: CampaignState,
    /// Why it was paused, when the relay paused it (credits ran out).
    pub paused_reason: Option<String>,
    /// The message as written, merge fields and all.
    pub text: Option<String>,
    /// The kind of each message (its attachment's, or text).
    pub kind: MessageKind,
    /// The library file sent with each message.
    pub attachment_id: Option<Uuid>,
    /// Where the recipients came from, in words ("clients.xlsx, sheet March").
    pub source: String,
    /// Who created it.
    pub created_by: Uuid,
    /// Recipients by state.
    pub counts: CampaignCounts,
    /// Credits the messages not yet queued will cost.
    pub credits_needed: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it starts (or started).
    pub starts_at: Option<DateTime<Utc>>,
    /// When it finished or was cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the next message may go, by the number's pacing (while running).
    pub next_send_at: Option<DateTime<Utc>>,
    /// When the last message should have gone, by the pacing (while running).
    pub estimated_finish_at: Option<DateTime<Utc>>,
}

/// `GET /campaigns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignList {
    /// Newest first.
    pub campaigns: Vec<CampaignView>,
}

/// Where one recipient is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecipientStatus {
    /// Not sent to (see the reason).
    Skipped,
    /// Waiting its turn.
    Queued,
    /// Being sent.
    Sending,
    /// Sent.
    Sent,
    /// Delivered.
    Delivered,
    /// Read.
    Read,
    /// Failed (see the reason).
    Failed,
    /// The campaign was cancelled first.
    Cancelled,
}

/// One recipient of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientView {
    /// Its place in the sending order, from 1.
    pub position: u32,
    /// The spreadsheet row it was read from, from 1.
    pub row: Option<u32>,
    /// The number, in E.164 when it is one; as written otherwise.
    pub phone: Option<String>,
    /// The name, if known.
    pub name: Option<String>,
    /// The message exactly as it is (or was) sent to this recipient.
    pub text: Option<String>,
    /// Where it is.
    pub status: RecipientStatus,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Its message in the queue, once queued.
    pub message_id: Option<Uuid>,
    /// Whether the recipient wrote back after it.
    pub replied: bool,
}

/// `GET /campaigns/{id}/recipients`: a page, in sending order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientPage {
    /// The recipients.
    pub recipients: Vec<RecipientView>,
    /// Pass as `after` for the next page; `None` at the end.
    pub next_after: Option<u32>,
}

/// Answer when a campaign cannot start for want of credits.
pub fn credits_short_message(needed: i64, balance: i64) -> String {
    format!(
        "This campaign needs {needed} credits and the balance is {balance}. Add {} credits, or send to fewer recipients.",
        needed - balance
    )
}
