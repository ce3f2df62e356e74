//! Teamwork behind one number: chats with their assignee and status,
//! comments (internal notes and activity lines), contacts, groups, the file
//! library, and the feed of changes a reconnecting sidebar catches up from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::message::{Direction, MessageKind, MessageStatus};
use crate::queue::{FileView, MessageView};

/// Whether a chat still needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    /// Waiting for the team (an incoming message reopens a resolved chat).
    Open,
    /// Done for now.
    Resolved,
}

impl ChatStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// A chat with one person or a WhatsApp group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// One person (`<digits>@c.us`).
    Person,
    /// A group (`<id>@g.us`).
    Group,
}

/// The newest message of a chat, for the chat list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePreview {
    /// The message.
    pub id: Uuid,
    /// Outgoing or incoming.
    pub direction: Direction,
    /// Text or media kind.
    pub kind: MessageKind,
    /// The start of its text or caption.
    pub text: Option<String>,
    /// Where it is now.
    pub status: MessageStatus,
    /// When it was queued or received.
    pub at: DateTime<Utc>,
}

/// Messages that arrived in a chat and wait at the host to be captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingMessages {
    /// How many, at least.
    pub count: i64,
    /// The last one as WhatsApp Web's chat list shows it.
    pub preview: Option<String>,
    /// When the host first saw them.
    pub since: DateTime<Utc>,
}

/// A chat as members see it in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatView {
    /// Stable id.
    pub id: Uuid,
    /// The organization profile, `None` for a personal number.
    pub organization_id: Option<Uuid>,
    /// WhatsApp's chat id.
    pub wa_id: String,
    /// Person or group.
    pub kind: ChatKind,
    /// The contact's or group's name, when known.
    pub name: Option<String>,
    /// E.164 number, for people.
    pub phone: Option<String>,
    /// The contact for this number, if there is one.
    pub contact_id: Option<Uuid>,
    /// Open or resolved.
    pub status: ChatStatus,
    /// The member who handles it; only they send to it.
    pub assignee_id: Option<Uuid>,
    /// Incoming messages since someone last read or answered it.
    pub unread: i64,
    /// The newest message.
    pub last_message: Option<MessagePreview>,
    /// A group's members, as the host last saw them listed.
    #[serde(default)]
    pub participants: Vec<String>,
    /// Messages the host's chat list shows but the host has not captured
    /// yet (it opens the chat when nobody is using its WhatsApp Web).
    #[serde(default)]
    pub waiting: Option<WaitingMessages>,
    /// When something last happened in it.
    pub last_activity_at: DateTime<Utc>,
    /// Position in the profile's change feed.
    pub seq: i64,
}

/// Which chats to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssigneeFilter {
    /// Assigned to the caller.
    Mine,
    /// Assigned to nobody.
    Unassigned,
    /// Any chat.
    Anyone,
}

/// `GET /chats`: a page of chats, newest activity first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatPage {
    /// The chats.
    pub chats: Vec<ChatView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// `PATCH /chats/{id}`: change a chat's status or the name shown for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateChat {
    /// Open or resolved.
    #[serde(default)]
    pub status: Option<ChatStatus>,
    /// The contact's display name (for a person) or the group's name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: Option<String>,
}

/// `PUT /chats/{id}/assignee`: who handles the chat (`null` to unassign).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssignChat {
    /// A member of the organization, or `null`.
    pub assignee_id: Option<Uuid>,
}

/// What a comment line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CommentKind {
    /// A member's internal note.
    Note,
    /// "Assigned to X by Y" (or unassigned).
    Assignment,
    /// The chat was resolved or reopened.
    Status,
    /// A message that was not sent because the chat is assigned to someone else.
    Redirected,
}

impl CommentKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Assignment => "assignment",
            Self::Status => "status",
            Self::Redirected => "redirected",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "note" => Some(Self::Note),
            "assignment" => Some(Self::Assignment),
            "status" => Some(Self::Status),
            "redirected" => Some(Self::Redirected),
            _ => None,
        }
    }
}

/// A comment in a chat: never sent to WhatsApp, seen by every member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentView {
    /// Stable id.
    pub id: Uuid,
    /// The chat.
    pub chat_id: Uuid,
    /// The member who wrote it or made the change.
    pub author_id: Option<Uuid>,
    /// Note or activity line.
    pub kind: CommentKind,
    /// The text; for activity lines, a sentence such as "Assigned to a@x by b@y".
    /// Empty once deleted.
    pub body: String,
    /// For assignment lines: the new assignee (`None` when unassigned).
    pub assignee_id: Option<Uuid>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When its author last edited it.
    pub edited_at: Option<DateTime<Utc>>,
    /// When its author deleted it (the timeline keeps the line).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Position in the profile's change feed.
    pub seq: i64,
}

/// `POST /chats/{id}/comments` and `PATCH /comments/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WriteComment {
    /// The note's text.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4096))]
    pub body: String,
}

/// One line of a chat's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineItem {
    /// A WhatsApp message.
    Message {
        /// The message (boxed: it is much the larger variant).
        message: Box<MessageView>,
    },
    /// A comment or activity line.
    Comment {
        /// The comment.
        comment: CommentView,
    },
}

/// `GET /chats/{id}/timeline`: messages and comments in one order, oldest
/// first, ending at the newest (or at `before`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    /// The chat.
    pub chat: ChatView,
    /// Oldest first.
    pub items: Vec<TimelineItem>,
    /// Pass as `before` for older lines; absent at the beginning.
    pub earlier: Option<Uuid>,
}

/// The reply to a send into a chat assigned to someone else: the text was
/// kept as a comment, not sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddedAsComment {
    /// What to tell the user, e.g. "Added as a comment: this chat is assigned to a@x".
    pub detail: String,
    /// Who the chat is assigned to.
    pub assignee_id: Uuid,
    /// The comment that holds the text.
    pub comment: CommentView,
}

/// Where a contact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactSource {
    /// Added by a member.
    Manual,
    /// From a spreadsheet import.
    Import,
    /// Wrote to the number first.
    Incoming,
    /// A member sent to a new number.
    Outgoing,
}

impl ContactSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Import => "import",
            Self::Incoming => "incoming",
            Self::Outgoing => "outgoing",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "manual" => Some(Self::Manual),
            "import" => Some(Self::Import),
            "incoming" => Some(Self::Incoming),
            "outgoing" => Some(Self::Outgoing),
            _ => None,
        }
    }
}

/// A contact of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactView {
    /// Stable id.
    pub id: Uuid,
    /// E.164 number, unique within the profile.
    pub phone: String,
    /// Display name.
    pub name: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Custom attributes.
    pub attributes: BTreeMap<String, String>,
    /// Where it came from.
    pub source: ContactSource,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When a message last went to or came from it.
    pub last_active_at: Option<DateTime<Utc>>,
    /// When it was deleted (only in the change feed).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Position in the profile's change feed.
    pub seq: i64,
}

/// `POST /contacts`: add a contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// The organization profile; absent for "You".
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// The number (with country code, or national in the profile's country).
    #[cfg_attr(feature = "openapi", schema(max_length = 32))]
    pub phone: String,
    /// Display name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: Option<String>,
    /// Tags.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub tags: Vec<String>,
    /// Custom attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// `PATCH /contacts/{id}`: fields left out stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    /// Display name (empty to clear).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: Option<String>,
    /// Replaces the tags.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub tags: Option<Vec<String>>,
    /// Replaces the attributes.
    #[serde(default)]
    pub attributes: Option<BTreeMap<String, String>>,
}

/// `GET /contacts`: a page of contacts, by name then number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPage {
    /// The contacts.
    pub contacts: Vec<ContactView>,
    /// How many contacts match the filters in all.
    pub total: i64,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// `POST /contacts/bulk-delete` and `/contacts/bulk-tag`: the selection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkContacts {
    /// The organization profile; absent for "You".
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// The selected contacts (at most 50,000).
    #[cfg_attr(feature = "openapi", schema(max_items = 50000))]
    pub ids: Vec<Uuid>,
    /// For bulk-tag: tags to add.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// For bulk-tag: tags to remove.
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

/// The result of a bulk change.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResult {
    /// Contacts changed (ids that were not the profile's, or already gone, are not counted).
    pub affected: u64,
}

/// `POST /groups`: add a WhatsApp group the host has seen to Chorus.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddGroup {
    /// The organization; `None` adds it to the user's own "You" chats.
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// The group's WhatsApp id (`<id>@g.us`).
    pub wa_id: String,
    /// Its name, if the admin wants another than WhatsApp's.
    #[serde(default)]
    pub name: Option<String>,
}

/// A group the host reports seeing in WhatsApp Web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeenGroup {
    /// `<id>@g.us`.
    pub wa_id: String,
    /// Its name in WhatsApp Web.
    pub name: String,
    /// Its members' names as the group's header lists them (the host's
    /// own "You" left out); empty when the header does not show them.
    #[serde(default)]
    pub participants: Vec<String>,
}

/// `GET /groups`: groups the host has seen, and whether each is added.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupView {
    /// The group's chat.
    pub chat_id: Uuid,
    /// `<id>@g.us`.
    pub wa_id: String,
    /// Its name.
    pub name: Option<String>,
    /// Whether it is in Chorus (listed with the chats).
    pub added: bool,
}

/// `PATCH /files/{id}`: rename a file of the library.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenameFile {
    /// The new name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
}

/// `GET /files`: the profile's library, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileList {
    /// The files.
    pub files: Vec<FileView>,
}

/// `GET /changes`: what changed in chats, comments, contacts and files
/// after a cursor (messages have their own feed, `GET /messages`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePage {
    /// Chats whose assignee, status or name changed.
    pub chats: Vec<ChatView>,
    /// Comments written, edited or deleted.
    pub comments: Vec<CommentView>,
    /// Contacts added, changed or deleted (`deleted_at` set).
    pub contacts: Vec<ContactView>,
    /// Files added, renamed or deleted (only ids of deleted ones).
    pub files: Vec<FileChange>,
    /// Pass as `after` to get what changes next (`<seq>:<id>`).
    pub cursor: String,
    /// Whether more changes wait beyond this page.
    pub more: bool,
}

/// A position in the teamwork change feed: changes are ordered by feed
/// position, then id (a bulk change gives many rows one position).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeedCursor {
    /// Feed position.
    pub seq: i64,
    /// Row id within the position.
    pub id: Uuid,
}

impl FeedCursor {
    /// Reads `<seq>` or `<seq>:<id>`.
    pub fn parse(text: &str) -> Option<Self> {
        let (seq, id) = match text.split_once(':') {
            Some((seq, id)) => (seq, Uuid::parse_str(id).ok()?),
            None => (text, Uuid::nil()),
        };
        let seq = seq.parse().ok().filter(|seq: &i64| *seq >= 0)?;
        Some(Self { seq, id })
    }
}

impl std::fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.id)
    }
}

/// A file of the library as the change feed reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileChange {
    /// The file.
    pub file: FileView,
    /// Whether it was deleted from the library.
    pub deleted: bool,
    /// Position in the profile's change feed.
    pub seq: i64,
}
