//! [`CampaignStore`]: spreadsheets, campaigns and their recipients, and what
//! the relay's feeder needs to pace them into the queue.

use async_trait::async_trait;
use chorus_shared::api::PacingSettings;
use chorus_shared::campaign::{CampaignCounts, RecipientView};
use chorus_shared::message::MessageKind;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AccountRef, StoreResult};
use crate::campaigns::recipients::Recipient;

/// An uploaded spreadsheet as kept (its bytes are a blob under its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpreadsheetRecord {
    /// Its id.
    pub id: Uuid,
    /// The file's name.
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// A campaign to create, its recipients read and checked.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// Fresh id.
    pub id: Uuid,
    /// Whose number sends it.
    pub account: AccountRef,
    /// Its name.
    pub name: String,
    /// The message as written.
    pub template: Option<String>,
    /// Each message's kind.
    pub kind: MessageKind,
    /// The library file sent with each message.
    pub attachment_id: Option<Uuid>,
    /// Where the recipients came from, in words.
    pub source: String,
    /// Who created it.
    pub created_by: Uuid,
    /// When to start, if later than when started.
    pub starts_at: Option<DateTime<Utc>>,
    /// In sending order.
    pub recipients: Vec<Recipient>,
}

/// A campaign as stored, with its recipients counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRecord {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// As stored: draft, running, paused, finished, cancelled.
    pub state: String,
    /// Why the relay paused it.
    pub paused_reason: Option<String>,
    /// The message as written.
    pub template: Option<String>,
    /// Each message's kind.
    pub kind: MessageKind,
    /// The library file sent with each message.
    pub attachment_id: Option<Uuid>,
    /// Where the recipients came from.
    pub source: String,
    /// Who created it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it starts.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it finished or was cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// Recipients by state.
    pub counts: CampaignCounts,
    /// Recipients not yet fed into the queue.
    pub ready: u32,
}

/// The next recipient to feed into the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    /// Its campaign.
    pub campaign_id: Uuid,
    /// Its place.
    pub position: u32,
    /// Its number (E.164).
    pub phone: String,
    /// Its message.
    pub text: Option<String>,
    /// The campaign's message kind.
    pub kind: MessageKind,
    /// The campaign's file.
    pub attachment_id: Option<Uuid>,
    /// Who created the campaign (the messages' author).
    pub created_by: Uuid,
}

/// What the number's campaign sends so far mean for the next one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedHistory {
    /// The most recent campaign message: its id, whether it is still
    /// queued or sending, and when it last changed (Unix ms).
    pub last: Option<(Uuid, bool, i64)>,
    /// Campaign messages the number has been fed, ever.
    pub fed_total: i64,
    /// When the hourly cap frees a place again, if it is reached (Unix ms).
    pub hour_release: Option<i64>,
    /// When the daily cap frees a place again, if it is reached (Unix ms).
    pub day_release: Option<i64>,
}

/// Campaigns and their recipients.
#[async_trait]
pub trait CampaignStore: Send + Sync + 'static {
    /// Keeps an uploaded spreadsheet's description.
    async fn create_spreadsheet(
        &self,
        account: AccountRef,
        record: &SpreadsheetRecord,
        uploaded_by: Uuid,
    ) -> StoreResult<()>;

    /// An uploaded spreadsheet of the account.
    async fn spreadsheet(
        &self,
        account: AccountRef,
        id: Uuid,
    ) -> StoreResult<Option<SpreadsheetRecord>>;

    /// Creates a draft campaign with its recipients, all or nothing.
    /// `Conflict::CampaignNameTaken` when the account has one so named.
    async fn create_campaign(&self, campaign: NewCampaign, now: DateTime<Utc>) -> StoreResult<()>;

    /// A campaign of the account, counted.
    async fn campaign(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<CampaignRecord>>;

    /// The account's campaigns, newest first, counted.
    async fn campaigns(&self, account: AccountRef) -> StoreResult<Vec<CampaignRecord>>;

    /// Moves a campaign from one of `from` to `to` (with the reason for a
    /// pause, the start time for a start); false when it was in no state
    /// of `from`. Cancelling also cancels its recipients not yet fed;
    /// finishing and cancelling stamp `finished_at`.
    async fn move_campaign(
        &self,
        account: AccountRef,
        id: Uuid,
        from: &[&str],
        to: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The campaign's messages still waiting in the queue (not yet handed
    /// to the host).
    async fn campaign_queued_messages(
        &self,
        account: AccountRef,
        id: Uuid,
    ) -> StoreResult<Vec<Uuid>>;

    /// Deletes a draft with its recipients; false when there is no draft
    /// of that id (started campaigns are kept).
    async fn delete_draft(&self, account: AccountRef, id: Uuid) -> StoreResult<bool>;

    /// Sets when a starting campaign begins (now, or its chosen time).
    async fn set_campaign_start(
        &self,
        account: AccountRef,
        id: Uuid,
        starts_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// A page of a campaign's recipients in sending order, after `after`.
    async fn campaign_recipients(
        &self,
        account: AccountRef,
        id: Uuid,
        after: u32,
        limit: u32,
    ) -> StoreResult<Vec<RecipientView>>;

    /// Accounts with a campaign running and due.
    async fn accounts_with_running_campaigns(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AccountRef>>;

    /// The next recipient to feed, from the due running campaign fed least
    /// recently (so campaigns on one number take turns).
    async fn next_feed(
        &self,
        account: AccountRef,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<FeedItem>>;

    /// The recipient's message is in the queue.
    async fn mark_fed(
        &self,
        campaign_id: Uuid,
        position: u32,
        message_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The recipient cannot be sent to after all (its chat refused it).
    async fn skip_recipient(
        &self,
        campaign_id: Uuid,
        position: u32,
        reason: &str,
    ) -> StoreResult<()>;

    /// Running campaigns of the account with nothing left to feed or in
    /// flight become finished; returns them.
    async fn finish_done_campaigns(
        &self,
        account: AccountRef,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>>;

    /// The account's campaign sends so far, read against its pacing.
    async fn feed_history(
        &self,
        account: AccountRef,
        pacing: &PacingSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<FeedHistory>;

    /// The pacing of the account's number.
    async fn pacing(&self, account: AccountRef) -> StoreResult<PacingSettings>;

    /// Sets the pacing of the account's number.
    async fn set_pacing(&self, account: AccountRef, pacing: &PacingSettings) -> StoreResult<()>;
}
