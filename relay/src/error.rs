//! One error type for every handler, answered as the shared [`ErrorBody`].
//!
//! Handlers return `Result<_, ApiError>`; store errors convert with `?`. Faults
//! on our side are logged with a reference that the response repeats, so a
//! user's report can be matched to the log line without leaking internals.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chorus_shared::error::{ErrorBody, ErrorCode, ErrorDetail};

use crate::store::{Conflict, StoreError};

/// A failed request: status, stable code, and a message that says what to do.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    fields: BTreeMap<String, String>,
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    /// An error with no field details.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after_seconds: None,
        }
    }

    /// One invalid field: 422 with the problem under the field's name.
    pub fn invalid_field(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            format!("{field}: {problem}"),
        )
        .with_field(field, problem)
    }

    /// Adds a per-field problem.
    pub fn with_field(mut self, field: &str, problem: impl Into<String>) -> Self {
        self.fields.insert(field.to_owned(), problem.into());
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// Uses a different code (keeping status and fields).
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    /// Nothing the caller may see is there. Used for other tenants' ids too,
    /// so that a response never confirms that something exists.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("No {what} with that id is visible to you. Check the id, or ask an admin for access."),
        )
    }

    /// Missing, unknown, expired or signed-out session.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "Your session is missing, expired or signed out. Sign in again.",
        )
    }

    /// A member whose role does not allow the action.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// Too many attempts.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("Too many attempts. Wait {retry_after_seconds} seconds and try again."),
        );
        error.retry_after_seconds = Some(retry_after_seconds);
        error
    }

    /// A fault on the relay: logged with a reference the user can quote.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        let reference = uuid::Uuid::new_v4();
        tracing::error!(%reference, %error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            format!("The relay failed to handle this request. Try again; if it keeps failing, give the relay's operator this reference: {reference}."),
        )
    }

    /// The body this error is answered with (also sent over the WebSocket).
    pub fn into_detail(self) -> ErrorDetail {
        ErrorDetail {
            code: self.code,
            message: self.message,
            fields: self.fields,
            retry_after_seconds: self.retry_after_seconds,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let conflict = |code, message: &str| Self::new(StatusCode::CONFLICT, code, message);
        match error {
            StoreError::NotFound => Self::not_found("record"),
            StoreError::Conflict(Conflict::EmailTaken) => conflict(
                ErrorCode::EmailTaken,
                "An account with this email already exists. Sign in instead, or use another email.",
            )
            .with_field("email", "already registered"),
            StoreError::Conflict(Conflict::AccountTypeAlreadyChosen) => conflict(
                ErrorCode::AccountTypeAlreadyChosen,
                "Your account type is already chosen; it cannot be changed.",
            ),
            StoreError::Conflict(Conflict::InvitePending) => conflict(
                ErrorCode::InvitePending,
                "An invite to this email is already waiting for an answer. Revoke it first to send a new one.",
            )
            .with_field("email", "already invited"),
            StoreError::Conflict(Conflict::AlreadyMember) => conflict(
                ErrorCode::AlreadyMember,
                "This email belongs to a member of the organization already.",
            )
            .with_field("email", "already a member"),
            StoreError::Conflict(Conflict::InviteClosed) => conflict(
                ErrorCode::InviteClosed,
                "This invite was already accepted, declined or revoked. Ask the admin for a new one.",
            ),
            StoreError::Conflict(Conflict::WrongInviteCode) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidInviteCode,
                "That invite code is not this invite's. Check it with the admin who invited you.",
            )
            .with_field("code", "does not match the invite"),
            StoreError::Conflict(Conflict::LastAdmin) => conflict(
                ErrorCode::LastAdmin,
                "The organization needs at least one admin; the last admin cannot leave or be removed.",
            ),
            StoreError::Conflict(Conflict::InsufficientCredits { needed, available }) => Self::new(
                StatusCode::PAYMENT_REQUIRED,
                ErrorCode::InsufficientCredits,
                format!("This message needs {needed} credits, {available} available. Ask the relay's operator for more credits, or send a cheaper message."),
            ),
            StoreError::Conflict(Conflict::NotCancellable) => conflict(
                ErrorCode::NotCancellable,
                "This message was already handed to the host (or finished), so it can no longer be cancelled.",
            ),
            StoreError::Conflict(Conflict::AlreadyAssigned) => conflict(
                ErrorCode::AlreadyAssigned,
                "Someone already handles this chat. Ask an admin to reassign it.",
            ),
            StoreError::Conflict(Conflict::NotAuthor) => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotAuthor,
                "Only the author can edit or delete a note; assignment and status lines stay as they are.",
            ),
            StoreError::Conflict(Conflict::ContactExists) => conflict(
                ErrorCode::ContactExists,
                "A contact with this number exists already; edit that one.",
            ),
            StoreError::Conflict(Conflict::CampaignNameTaken) => conflict(
                ErrorCode::CampaignNameTaken,
                "This profile has a campaign of that name already; choose another name.",
            )
            .with_field("name", "taken"),
            StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "The relay cannot reach its database right now. Try again in a moment.",
            ),
            other => Self::internal(&other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after_seconds;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                fields: self.fields,
                retry_after_seconds: retry_after,
            },
        };
        let status = self.status;
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The unread rest of the body makes this connection unusable;
            // say so, or a client would reuse it and fail its next request.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
