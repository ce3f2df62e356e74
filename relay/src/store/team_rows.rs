//! Rows of chats, comments and contacts as both databases return them.

use chorus_shared::message::{Direction, MessageKind, MessageStatus};
use chorus_shared::team::{
    ChatKind, ChatStatus, ChatView, CommentKind, CommentView, ContactSource, ContactView,
    MessagePreview, WaitingMessages,
};
use uuid::Uuid;

use super::rows::time;

/// How much of the newest message's text the chat list shows.
const PREVIEW_CHARS: usize = 100;

/// A chat with the name of its contact (if any) and its newest message.
pub(crate) const CHAT_SELECT: &str =
    "SELECT c.id, a.kind AS account_kind, c.account_id, c.wa_id, c.kind, \
     COALESCE(ct.name, c.name) AS name, c.phone, ct.id AS contact_id, c.status, c.assignee_id, \
     c.unread, c.waiting_count, c.waiting_preview, c.waiting_since, \
     c.last_activity_at, c.seq, c.participants, lm.id AS last_id, lm.direction AS last_direction, \
     lm.kind AS last_kind, lm.text AS last_text, lm.status AS last_status, lm.created_at AS last_at \
     FROM chats c JOIN accounts a ON a.id = c.account_id \
     LEFT JOIN contacts ct ON ct.account_id = c.account_id AND ct.phone = c.phone \
     AND ct.deleted_at IS NULL \
     LEFT JOIN messages lm ON lm.id = \
     (SELECT m.id FROM messages m WHERE m.chat_id = c.id ORDER BY m.id DESC LIMIT 1)";

/// Columns of [`CHAT_SELECT`].
#[derive(sqlx::FromRow)]
pub(crate) struct ChatRow {
    id: Uuid,
    account_kind: String,
    account_id: Uuid,
    wa_id: String,
    kind: String,
    name: Option<String>,
    phone: Option<String>,
    contact_id: Option<Uuid>,
    status: String,
    assignee_id: Option<Uuid>,
    unread: i64,
    waiting_count: i64,
    waiting_preview: Option<String>,
    waiting_since: Option<i64>,
    last_activity_at: i64,
    seq: i64,
    participants: Option<String>,
    last_id: Option<Uuid>,
    last_direction: Option<String>,
    last_kind: Option<String>,
    last_text: Option<String>,
    last_status: Option<String>,
    last_at: Option<i64>,
}

impl From<ChatRow> for ChatView {
    fn from(row: ChatRow) -> Self {
        let last_message = row.last_id.map(|id| MessagePreview {
            id,
            direction: if row.last_direction.as_deref() == Some("incoming") {
                Direction::Incoming
            } else {
                Direction::Outgoing
            },
            kind: row
                .last_kind
                .as_deref()
                .and_then(MessageKind::parse)
                .unwrap_or(MessageKind::Text),
            text: row
                .last_text
                .map(|text| text.chars().take(PREVIEW_CHARS).collect()),
            status: row
                .last_status
                .as_deref()
                .and_then(MessageStatus::parse)
                .unwrap_or(MessageStatus::Queued),
            at: time(row.last_at.unwrap_or_default()),
        });
        ChatView {
            id: row.id,
            organization_id: (row.account_kind == "organization").then_some(row.account_id),
            wa_id: row.wa_id,
            kind: if row.kind == "group" {
                ChatKind::Group
            } else {
                ChatKind::Person
            },
            name: row.name,
            phone: row.phone,
            contact_id: row.contact_id,
            status: ChatStatus::parse(&row.status).unwrap_or(ChatStatus::Open),
            assignee_id: row.assignee_id,
            unread: row.unread,
            last_message,
            participants: row
                .participants
                .map(|names| names.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            waiting: row.waiting_since.map(|since| WaitingMessages {
                count: row.waiting_count,
                preview: row.waiting_preview,
                since: time(since),
            }),
            last_activity_at: time(row.last_activity_at),
            seq: row.seq,
        }
    }
}

/// Columns of a comment.
pub(crate) const COMMENT_COLUMNS: &str =
    "id, chat_id, author_id, kind, body, assignee_id, created_at, edited_at, deleted_at, seq";

/// A comment row ([`COMMENT_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(crate) struct CommentRow {
    id: Uuid,
    chat_id: Uuid,
    pub(crate) author_id: Option<Uuid>,
    kind: String,
    body: String,
    assignee_id: Option<Uuid>,
    created_at: i64,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    seq: i64,
}

impl From<CommentRow> for CommentView {
    fn from(row: CommentRow) -> Self {
        CommentView {
            id: row.id,
            chat_id: row.chat_id,
            author_id: row.author_id,
            kind: CommentKind::parse(&row.kind).unwrap_or(CommentKind::Note),
            body: row.body,
            assignee_id: row.assignee_id,
            created_at: time(row.created_at),
            edited_at: row.edited_at.map(time),
            deleted_at: row.deleted_at.map(time),
            seq: row.seq,
        }
    }
}

/// Columns of a contact, without its tags and attributes.
pub(crate) const CONTACT_COLUMNS: &str =
    "id, phone, name, source, created_at, last_active_at, deleted_at, seq";

/// A contact row ([`CONTACT_COLUMNS`]); tags and attributes come apart.
#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    pub(crate) id: Uuid,
    phone: String,
    name: Option<String>,
    source: String,
    created_at: i64,
    last_active_at: Option<i64>,
    deleted_at: Option<i64>,
    seq: i64,
}

impl From<ContactRow> for ContactView {
    fn from(row: ContactRow) -> Self {
        ContactView {
            id: row.id,
            phone: row.phone,
            name: row.name,
            tags: Vec::new(),
            attributes: Default::default(),
            source: ContactSource::parse(&row.source).unwrap_or(ContactSource::Manual),
            created_at: time(row.created_at),
            last_active_at: row.last_active_at.map(time),
            deleted_at: row.deleted_at.map(time),
            seq: row.seq,
        }
    }
}

/// A file of the teamwork change feed: the file, whether it was deleted,
/// and its feed position.
#[derive(sqlx::FromRow)]
pub(crate) struct FileChangeRow {
    #[sqlx(flatten)]
    pub(crate) file: super::rows::FileRow,
    pub(crate) deleted_at: Option<i64>,
    pub(crate) seq: i64,
}

/// [`COMMENT_COLUMNS`] plus `account_id, idempotency_key`, for finding
/// retries of sends that became comments.
#[derive(sqlx::FromRow)]
pub(crate) struct KeyedCommentRow {
    #[sqlx(flatten)]
    pub(crate) comment: CommentRow,
    pub(crate) account_id: Uuid,
    pub(crate) idempotency_key: String,
}

impl KeyedCommentRow {
    /// The key as the unique index sees it: account, author, key.
    pub(crate) fn key(&self) -> (Uuid, Uuid, String) {
        (
            self.account_id,
            self.comment.author_id.unwrap_or_default(),
            self.idempotency_key.clone(),
        )
    }
}
