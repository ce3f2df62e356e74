//! Rows as both databases return them, and their conversion to API types.
//!
//! `sqlx::FromRow` derives are generic over the row type, so each struct here
//! decodes SQLite and PostgreSQL rows alike.

use chorus_shared::account::{AccountType, InviteState, Role};
use chorus_shared::api::{Invite, Member, Membership, Organization, ReceivedInvite, User};
use chorus_shared::message::{Direction, MessageKind, MessageStatus};
use chorus_shared::queue::{
    CreditGrant, CreditPlan, FileView, LedgerKind, LedgerLine, MediaSeen, MessageView, Sender,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Times are stored as Unix milliseconds in both databases.
pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn time(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// Columns: `id, email, account_type, phone, created_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    account_type: Option<String>,
    phone: Option<String>,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            email: row.email,
            account_type: row.account_type.as_deref().and_then(AccountType::parse),
            phone: row.phone,
            created_at: time(row.created_at),
        }
    }
}

/// [`UserRow`]'s columns plus `password_hash`.
#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    #[sqlx(flatten)]
    pub(crate) user: UserRow,
    pub(crate) password_hash: String,
}

/// Columns: `id, name, default_country, phone`, the [`PacingRow`] columns,
/// `created_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationRow {
    id: Uuid,
    name: String,
    default_country: String,
    phone: Option<String>,
    #[sqlx(flatten)]
    pacing: PacingRow,
    created_at: i64,
}

/// Columns: `pacing_min_seconds, pacing_max_seconds, burst_size,
/// burst_pause_seconds, hourly_cap, daily_cap` (of an organization or a user).
#[derive(sqlx::FromRow)]
pub(crate) struct PacingRow {
    pacing_min_seconds: i64,
    pacing_max_seconds: i64,
    burst_size: i64,
    burst_pause_seconds: i64,
    hourly_cap: i64,
    daily_cap: i64,
}

impl From<PacingRow> for chorus_shared::api::PacingSettings {
    fn from(row: PacingRow) -> Self {
        chorus_shared::api::PacingSettings {
            min_gap_seconds: row.pacing_min_seconds,
            max_gap_seconds: row.pacing_max_seconds,
            burst_size: row.burst_size,
            burst_pause_seconds: row.burst_pause_seconds,
            hourly_cap: row.hourly_cap,
            daily_cap: row.daily_cap,
        }
    }
}

impl From<OrganizationRow> for Organization {
    fn from(row: OrganizationRow) -> Self {
        Organization {
            id: row.id,
            name: row.name,
            default_country: row.default_country,
            phone: row.phone,
            pacing: row.pacing.into(),
            created_at: time(row.created_at),
        }
    }
}

/// [`OrganizationRow`]'s columns plus `role, joined_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    #[sqlx(flatten)]
    organization: OrganizationRow,
    role: String,
    joined_at: i64,
}

impl From<MembershipRow> for Membership {
    fn from(row: MembershipRow) -> Self {
        Membership {
            organization: row.organization.into(),
            role: Role::parse(&row.role).unwrap_or(Role::Agent),
            joined_at: time(row.joined_at),
        }
    }
}

/// Columns: `user_id, email, role, joined_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    user_id: Uuid,
    email: String,
    role: String,
    joined_at: i64,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        Member {
            user_id: row.user_id,
            email: row.email,
            role: Role::parse(&row.role).unwrap_or(Role::Agent),
            joined_at: time(row.joined_at),
        }
    }
}

/// Columns: `id, organization_id, email, state, invited_by, created_at, closed_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    id: Uuid,
    organization_id: Uuid,
    email: String,
    state: String,
    invited_by: Uuid,
    created_at: i64,
    closed_at: Option<i64>,
}

impl From<InviteRow> for Invite {
    fn from(row: InviteRow) -> Self {
        Invite {
            id: row.id,
            organization_id: row.organization_id,
            email: row.email,
            state: InviteState::parse(&row.state).unwrap_or(InviteState::Revoked),
            invited_by: row.invited_by,
            created_at: time(row.created_at),
            closed_at: row.closed_at.map(time),
            code: None,
        }
    }
}

/// Columns: `id, organization_id, organization_name, invited_by_email, created_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct ReceivedInviteRow {
    id: Uuid,
    organization_id: Uuid,
    organization_name: String,
    invited_by_email: String,
    created_at: i64,
}

impl From<ReceivedInviteRow> for ReceivedInvite {
    fn from(row: ReceivedInviteRow) -> Self {
        ReceivedInvite {
            id: row.id,
            organization_id: row.organization_id,
            organization_name: row.organization_name,
            invited_by_email: row.invited_by_email,
            created_at: time(row.created_at),
        }
    }
}

/// Selects a message with its chat, account kind and attachment; both
/// backends append their own `WHERE`.
pub(crate) const MESSAGE_SELECT: &str =
    "SELECT m.id, a.kind AS account_kind, m.account_id, m.chat_id, \
     c.wa_id AS chat_wa_id, m.direction, m.kind, m.text, m.attachment_id, \
     f.name AS file_name, f.mime AS file_mime, f.kind AS file_kind, f.size AS file_size, \
     f.created_at AS file_created_at, m.status, m.failure_reason, m.wa_id, m.author_id, \
     m.sender_wa_id, m.sender_name, m.media_name, m.media_size, m.wa_time, m.campaign_id, m.cost, \
     m.seq, m.created_at, m.updated_at \
     FROM messages m JOIN accounts a ON a.id = m.account_id JOIN chats c ON c.id = m.chat_id \
     LEFT JOIN files f ON f.id = m.attachment_id";

/// Columns of [`MESSAGE_SELECT`].
#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: Uuid,
    account_kind: String,
    pub(crate) account_id: Uuid,
    chat_id: Uuid,
    chat_wa_id: String,
    direction: String,
    kind: String,
    text: Option<String>,
    attachment_id: Option<Uuid>,
    file_name: Option<String>,
    file_mime: Option<String>,
    file_kind: Option<String>,
    file_size: Option<i64>,
    file_created_at: Option<i64>,
    status: String,
    failure_reason: Option<String>,
    wa_id: Option<String>,
    author_id: Option<Uuid>,
    sender_wa_id: Option<String>,
    sender_name: Option<String>,
    media_name: Option<String>,
    media_size: Option<String>,
    wa_time: Option<i64>,
    campaign_id: Option<Uuid>,
    cost: i64,
    seq: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<MessageRow> for MessageView {
    fn from(row: MessageRow) -> Self {
        let attachment = match (row.attachment_id, row.file_name, row.file_mime) {
            (Some(id), Some(name), Some(mime)) => Some(FileView {
                id,
                name,
                mime,
                kind: row
                    .file_kind
                    .as_deref()
                    .and_then(MessageKind::parse)
                    .unwrap_or(MessageKind::Document),
                size: row.file_size.unwrap_or_default(),
                created_at: time(row.file_created_at.unwrap_or_default()),
            }),
            _ => None,
        };
        MessageView {
            id: row.id,
            organization_id: (row.account_kind == "organization").then_some(row.account_id),
            chat_id: row.chat_id,
            chat_wa_id: row.chat_wa_id,
            direction: if row.direction == "incoming" {
                Direction::Incoming
            } else {
                Direction::Outgoing
            },
            kind: MessageKind::parse(&row.kind).unwrap_or(MessageKind::Text),
            text: row.text,
            attachment,
            status: MessageStatus::parse(&row.status).unwrap_or(MessageStatus::Failed),
            failure_reason: row.failure_reason,
            wa_id: row.wa_id,
            author_id: row.author_id,
            sender: row.sender_wa_id.map(|wa_id| {
                Box::new(Sender {
                    wa_id,
                    name: row.sender_name,
                })
            }),
            media: (row.media_name.is_some() || row.media_size.is_some()).then(|| {
                Box::new(MediaSeen {
                    name: row.media_name,
                    size: row.media_size,
                })
            }),
            wa_time: row.wa_time.map(time),
            campaign_id: row.campaign_id,
            cost: row.cost,
            seq: row.seq,
            created_at: time(row.created_at),
            updated_at: time(row.updated_at),
        }
    }
}

/// [`MESSAGE_SELECT`]'s columns plus `m.idempotency_key`, for finding retries.
#[derive(sqlx::FromRow)]
pub(crate) struct KeyedMessageRow {
    #[sqlx(flatten)]
    pub(crate) message: MessageRow,
    pub(crate) idempotency_key: String,
}

impl KeyedMessageRow {
    /// The key as the unique index sees it: account, author, key.
    pub(crate) fn key(&self) -> (Uuid, Uuid, String) {
        (
            self.message.account_id,
            self.message.author_id.unwrap_or_default(),
            self.idempotency_key.clone(),
        )
    }
}

/// [`MESSAGE_SELECT`]'s columns plus `m.lease_owner, m.lease_until, m.credits`.
#[derive(sqlx::FromRow)]
pub(crate) struct StateRow {
    #[sqlx(flatten)]
    pub(crate) message: MessageRow,
    pub(crate) lease_owner: Option<String>,
    pub(crate) lease_until: Option<i64>,
    pub(crate) credits: String,
}

/// [`FileRow`]'s columns plus `account_id`.
#[derive(sqlx::FromRow)]
pub(crate) struct OwnedFileRow {
    #[sqlx(flatten)]
    pub(crate) file: FileRow,
    pub(crate) account_id: Uuid,
}

/// Columns: `id, name, mime, kind, size, created_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct FileRow {
    id: Uuid,
    name: String,
    mime: String,
    kind: String,
    size: i64,
    created_at: i64,
}

impl From<FileRow> for FileView {
    fn from(row: FileRow) -> Self {
        FileView {
            id: row.id,
            name: row.name,
            mime: row.mime,
            kind: MessageKind::parse(&row.kind).unwrap_or(MessageKind::Document),
            size: row.size,
            created_at: time(row.created_at),
        }
    }
}

/// Columns: `id, plan, amount, remaining, created_at, expires_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    id: Uuid,
    plan: String,
    amount: i64,
    remaining: i64,
    created_at: i64,
    expires_at: i64,
}

impl From<GrantRow> for CreditGrant {
    fn from(row: GrantRow) -> Self {
        CreditGrant {
            id: row.id,
            plan: CreditPlan::parse(&row.plan).unwrap_or(CreditPlan::Monthly),
            amount: row.amount,
            remaining: row.remaining,
            created_at: time(row.created_at),
            expires_at: time(row.expires_at),
        }
    }
}

/// Columns: `seq, kind, delta, message_id, at`.
#[derive(sqlx::FromRow)]
pub(crate) struct LedgerRow {
    seq: i64,
    kind: String,
    delta: i64,
    message_id: Option<Uuid>,
    at: i64,
}

impl From<LedgerRow> for LedgerLine {
    fn from(row: LedgerRow) -> Self {
        LedgerLine {
            seq: row.seq,
            kind: LedgerKind::parse(&row.kind).unwrap_or(LedgerKind::Charge),
            delta: row.delta,
            message_id: row.message_id,
            at: time(row.at),
        }
    }
}

/// Columns of a campaign (see `campaigns_sql::CAMPAIGN_COLUMNS`).
#[derive(sqlx::FromRow)]
pub(crate) struct CampaignRow {
    pub(crate) id: Uuid,
    name: String,
    state: String,
    paused_reason: Option<String>,
    template: Option<String>,
    kind: String,
    attachment_id: Option<Uuid>,
    source: String,
    created_by: Uuid,
    created_at: i64,
    starts_at: Option<i64>,
    finished_at: Option<i64>,
}

impl CampaignRow {
    /// The record, with its recipients counted.
    pub(crate) fn into_record(
        self,
        counts: chorus_shared::campaign::CampaignCounts,
        ready: u32,
    ) -> crate::store::CampaignRecord {
        crate::store::CampaignRecord {
            id: self.id,
            name: self.name,
            state: self.state,
            paused_reason: self.paused_reason,
            template: self.template,
            kind: MessageKind::parse(&self.kind).unwrap_or(MessageKind::Text),
            attachment_id: self.attachment_id,
            source: self.source,
            created_by: self.created_by,
            created_at: time(self.created_at),
            starts_at: self.starts_at.map(time),
            finished_at: self.finished_at.map(time),
            counts,
            ready,
        }
    }
}

/// A campaign recipient with its message's state.
#[derive(sqlx::FromRow)]
pub(crate) struct RecipientRow {
    pub(crate) position: i64,
    pub(crate) row_number: Option<i64>,
    pub(crate) phone: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
    pub(crate) message_id: Option<Uuid>,
    pub(crate) message_status: Option<String>,
    pub(crate) failure_reason: Option<String>,
    pub(crate) replied: i64,
}
