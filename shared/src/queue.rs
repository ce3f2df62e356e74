//! Sending through a number: the send request, the message record as members
//! see it, uploaded files, and credits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::message::{Direction, MessageKind, MessageStatus};

/// `POST /messages` (or the WebSocket `send` request): queue a message.
///
/// `organization_id` picks the profile: absent for "You" (the user's own
/// number), else the organization whose number sends it. Give either `phone`
/// or `chat_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The organization profile to send through; `None` for "You".
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// Recipient's number (with country code, or national in the profile's country).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 32))]
    pub phone: Option<String>,
    /// An existing chat of the profile.
    #[serde(default)]
    pub chat_id: Option<Uuid>,
    /// Text, or the caption of an attachment.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096))]
    pub text: Option<String>,
    /// A file uploaded to the same profile.
    #[serde(default)]
    pub attachment_id: Option<Uuid>,
    /// Optional check: refused if it does not match the attachment's kind.
    #[serde(default)]
    pub kind: Option<MessageKind>,
    /// Chosen by the client; repeating it returns the first message, never a second one.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub idempotency_key: String,
}

/// What `POST /messages` did, told apart by the response's status.
#[derive(Debug, Clone)]
pub enum SendAnswer {
    /// 201: queued now.
    Queued(MessageView),
    /// 200: the idempotency key was used before; the message it made.
    AlreadyQueued(MessageView),
    /// 202: the chat is assigned to someone else; kept as a comment.
    KeptAsComment(crate::team::AddedAsComment),
}

impl SendAnswer {
    /// The HTTP status the relay answers with.
    pub fn status(&self) -> u16 {
        match self {
            SendAnswer::Queued(_) => 201,
            SendAnswer::AlreadyQueued(_) => 200,
            SendAnswer::KeptAsComment(_) => 202,
        }
    }
}

impl crate::endpoints::Answer for SendAnswer {
    fn read(status: u16, body: &str) -> Result<Self, serde_json::Error> {
        Ok(match status {
            202 => SendAnswer::KeptAsComment(serde_json::from_str(body)?),
            200 => SendAnswer::AlreadyQueued(serde_json::from_str(body)?),
            _ => SendAnswer::Queued(serde_json::from_str(body)?),
        })
    }
}

/// A message as members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    /// Stable id.
    pub id: Uuid,
    /// The organization profile, `None` for a personal number.
    pub organization_id: Option<Uuid>,
    /// The chat it belongs to.
    pub chat_id: Uuid,
    /// WhatsApp's chat id (`<digits>@c.us` for people).
    pub chat_wa_id: String,
    /// Outgoing or incoming.
    pub direction: Direction,
    /// Text or media kind.
    pub kind: MessageKind,
    /// Text or caption.
    pub text: Option<String>,
    /// The attached file, if any.
    pub attachment: Option<FileView>,
    /// Where it is now.
    pub status: MessageStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// WhatsApp's message id, once known.
    pub wa_id: Option<String>,
    /// The member who queued it (outgoing only).
    pub author_id: Option<Uuid>,
    /// Who wrote it, in a group (incoming only). Boxed, as most messages
    /// have none, to keep the view small.
    #[serde(default)]
    pub sender: Option<Box<Sender>>,
    /// What an incoming photo, video or document is, as the host saw it
    /// (its bytes stay on the host's phone).
    #[serde(default)]
    pub media: Option<Box<MediaSeen>>,
    /// WhatsApp's own time of an incoming message (to the minute, as the
    /// host's row showed it): it may be long before it was captured.
    #[serde(default)]
    pub wa_time: Option<DateTime<Utc>>,
    /// The campaign that sent it (such messages are paced by the relay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Uuid>,
    /// Credits it costs.
    pub cost: i64,
    /// Position in the profile's change feed; fetch later changes with `after`.
    pub seq: i64,
    /// When it was queued or received.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A group member who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sender {
    /// Their WhatsApp id (`<digits>@c.us`, or `<id>@lid`).
    pub wa_id: String,
    /// Their name as WhatsApp Web shows it, when it does.
    #[serde(default)]
    pub name: Option<String>,
}

/// An incoming file as WhatsApp Web shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaSeen {
    /// Its file name, when shown (documents).
    #[serde(default)]
    pub name: Option<String>,
    /// Its size as shown ("2 MB"), or a voice note's length ("0:07").
    #[serde(default)]
    pub size: Option<String>,
}

/// `GET /messages`: the changes after a cursor, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage {
    /// Messages whose last change is after the cursor, in change order.
    pub messages: Vec<MessageView>,
    /// Pass as `after` to get what changes next.
    pub cursor: i64,
    /// Whether more changes wait beyond this page.
    pub more: bool,
    /// The profile's newest feed position, read before this page: a client
    /// that loads its state now follows changes (`GET /messages`,
    /// `GET /changes`) from here and misses nothing.
    #[serde(default)]
    pub head: i64,
    /// Whether a browser hosts the number now.
    pub host_online: bool,
}

/// `GET /queue`: how much waits for the profile's host, for the host's
/// own view and for members wondering why nothing moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueSummary {
    /// Messages waiting their turn (or for a host to connect).
    pub queued: i64,
    /// Messages handed to the host and not yet reported sent or failed.
    pub sending: i64,
    /// Whether a browser hosts the number now.
    pub host_online: bool,
}

/// A file uploaded to a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileView {
    /// Stable id.
    pub id: Uuid,
    /// File name as uploaded (for documents, what the recipient sees).
    pub name: String,
    /// Media type detected from the bytes.
    pub mime: String,
    /// Which kind of message it makes.
    pub kind: MessageKind,
    /// Size in bytes.
    pub size: i64,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// What kind of allowance a grant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CreditPlan {
    /// A month's allowance; expires one month after it is granted.
    Monthly,
    /// A volume plan; valid for three months.
    Volume,
}

impl CreditPlan {
    /// Months a grant of this plan stays usable.
    pub fn months_valid(self) -> u32 {
        match self {
            Self::Monthly => 1,
            Self::Volume => 3,
        }
    }

    /// The stable name stored and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Volume => "volume",
        }
    }

    /// Parses [`CreditPlan::as_str`]'s output.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "monthly" => Some(Self::Monthly),
            "volume" => Some(Self::Volume),
            _ => None,
        }
    }
}

/// `POST /admin/credits` (relay operator): grant credits to a user's own
/// number or to an organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantCredits {
    /// The organization to credit…
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// …or the user (by email) whose own number is credited.
    #[serde(default)]
    pub user_email: Option<String>,
    /// Credits to add (positive).
    pub amount: i64,
    /// Monthly allowance or volume plan.
    pub plan: CreditPlan,
}

/// One grant with what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditGrant {
    /// Stable id.
    pub id: Uuid,
    /// Monthly or volume.
    pub plan: CreditPlan,
    /// Credits granted.
    pub amount: i64,
    /// Credits not yet used or reserved.
    pub remaining: i64,
    /// When it was granted.
    pub created_at: DateTime<Utc>,
    /// After this, what remains cannot be used.
    pub expires_at: DateTime<Utc>,
}

/// What a ledger line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// Credits added.
    Grant,
    /// Held for a queued message.
    Reserve,
    /// A held amount returned (failed or cancelled message).
    Release,
    /// Charged for an incoming message.
    Charge,
}

impl LedgerKind {
    /// The stable name stored and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Reserve => "reserve",
            Self::Release => "release",
            Self::Charge => "charge",
        }
    }

    /// Parses [`LedgerKind::as_str`]'s output.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Grant, Self::Reserve, Self::Release, Self::Charge]
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// One line of an account's append-only ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerLine {
    /// Position in the ledger.
    pub seq: i64,
    /// What happened.
    pub kind: LedgerKind,
    /// Change to the available balance (negative for reserve and charge).
    pub delta: i64,
    /// The message concerned, if any.
    pub message_id: Option<Uuid>,
    /// When.
    pub at: DateTime<Utc>,
}

/// `GET /credits`: balance and recent ledger of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credits {
    /// Credits that can be spent now.
    pub available: i64,
    /// Credits held for queued messages (spent when they are sent).
    pub reserved: i64,
    /// Unexpired grants, soonest expiry first.
    pub grants: Vec<CreditGrant>,
    /// The most recent ledger lines, newest first.
    pub ledger: Vec<LedgerLine>,
}
