//! The single shape of every error the relay answers with.
//!
//! Clients branch on [`ErrorCode`] (stable, machine-readable), show
//! `message` to people (it says what to do), and use `fields` to mark
//! the inputs that were wrong.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Stable error codes; renaming one is a breaking protocol change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body was not valid JSON.
    MalformedJson,
    /// The body was JSON but not of the expected shape (unknown field, wrong type).
    InvalidBody,
    /// The request needs `Content-Type: application/json`.
    UnsupportedMediaType,
    /// One or more fields failed validation; see `fields`.
    ValidationFailed,
    /// A phone number that cannot be a real phone number.
    InvalidPhoneNumber,
    /// The body was larger than the relay accepts.
    PayloadTooLarge,
    /// No valid session: missing, unknown, expired or signed-out token.
    Unauthenticated,
    /// Wrong email or password (deliberately the same for both).
    InvalidCredentials,
    /// Signed in, but the caller's role does not allow this.
    Forbidden,
    /// Nothing the caller may see exists at that address.
    NotFound,
    /// The HTTP method is not supported on that path.
    MethodNotAllowed,
    /// An account with that email already exists.
    EmailTaken,
    /// The account type was already chosen; it is chosen once.
    AccountTypeAlreadyChosen,
    /// The action needs an account type to be chosen first.
    AccountTypeRequired,
    /// The invited email already belongs to a member.
    AlreadyMember,
    /// An invite for that email is already waiting for an answer.
    InvitePending,
    /// The invite was already answered or revoked.
    InviteClosed,
    /// Accepting an invite must be confirmed explicitly.
    ConfirmationRequired,
    /// The invite code is missing or wrong.
    InvalidInviteCode,
    /// The organization would be left without an admin.
    LastAdmin,
    /// Too many attempts; retry after `retry_after_seconds`.
    RateLimited,
    /// The profile's balance cannot pay for the message.
    InsufficientCredits,
    /// The uploaded bytes are not an image, document or video we can send.
    UnsupportedFileType,
    /// The message's declared kind does not match its attachment.
    AttachmentKindMismatch,
    /// The message is no longer queued, so it cannot be cancelled.
    NotCancellable,
    /// The chat is assigned to someone else.
    AlreadyAssigned,
    /// Only the author may change that comment.
    NotAuthor,
    /// A contact with that number exists.
    ContactExists,
    /// The person named is not a member of the organization.
    NotAMember,
    /// Another browser already hosts this number.
    HostAlreadyConnected,
    /// The request needs a host connection (or a sidebar one).
    WrongRole,
    /// The WebSocket request was not understood.
    UnknownRequest,
    /// The client speaks another protocol version.
    UnsupportedProtocolVersion,
    /// The profile's file library is full; delete files to make room.
    StorageQuotaExceeded,
    /// The file is not a spreadsheet the relay reads, or cannot be read.
    InvalidSpreadsheet,
    /// The profile has a campaign of that name.
    CampaignNameTaken,
    /// The campaign is not in a state that allows the action.
    CampaignState,
    /// The relay's database cannot be reached.
    Unavailable,
    /// A fault on the relay; the message carries a reference for its logs.
    Internal,
}

/// The JSON body of every non-2xx response: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// A sentence for people saying what was wrong and what to do.
    pub message: String,
    /// Per-field problems, keyed by the field's name in the request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// For `rate_limited`: seconds until a new attempt can succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}
