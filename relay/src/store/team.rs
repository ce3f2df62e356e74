//! The teamwork half of the store: chats (list, status, assignment),
//! comments and the timeline, contacts, groups, the file library, and the
//! change feed of all of them.
//!
//! Like [`super::QueueStore`], every method is scoped by an [`AccountRef`]
//! and every write takes the account's next feed positions first, which
//! serialises the account's writes (a row lock on PostgreSQL).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chorus_shared::queue::FileView;
use chorus_shared::team::{
    ChangePage, ChatStatus, ChatView, CommentKind, CommentView, ContactSource, ContactView,
    FeedCursor, GroupView, SeenGroup, TimelineItem,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::queue::ChatTarget;
use super::AccountRef;
use super::StoreResult;

/// Whose chats to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeSelect {
    /// Any chat.
    Anyone,
    /// Chats nobody handles.
    Unassigned,
    /// Chats this member handles.
    User(Uuid),
}

/// Filters and position of a chat list page.
#[derive(Debug, Clone)]
pub struct ChatQuery {
    /// Whose chats.
    pub assignee: AssigneeSelect,
    /// Only open or only resolved chats.
    pub status: Option<ChatStatus>,
    /// Only chats whose contact has this tag.
    pub tag: Option<String>,
    /// Part of the name or number.
    pub search: Option<String>,
    /// After this (last activity, id) in newest-first order.
    pub after: Option<(i64, Uuid)>,
    /// Page size.
    pub limit: i64,
}

/// Filters and position of a contact list page.
#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    /// Only contacts with this tag.
    pub tag: Option<String>,
    /// Only contacts with this attribute value.
    pub attribute: Option<(String, String)>,
    /// Part of the name or number.
    pub search: Option<String>,
    /// After this (name or "", phone) in list order.
    pub after: Option<(String, String)>,
    /// Page size.
    pub limit: i64,
}

/// A validated contact to add.
#[derive(Debug, Clone)]
pub struct ContactRecord {
    /// E.164.
    pub phone: String,
    /// Display name.
    pub name: Option<String>,
    /// Tags, trimmed and unique.
    pub tags: Vec<String>,
    /// Custom attributes.
    pub attributes: BTreeMap<String, String>,
    /// Where it came from.
    pub source: ContactSource,
}

/// A validated change to a contact; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ContactChange {
    /// New name (`Some(None)` clears it).
    pub name: Option<Option<String>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New attributes.
    pub attributes: Option<BTreeMap<String, String>>,
}

/// Who may make an assignment, checked inside the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignRule {
    /// An admin: any chat, to anyone.
    Admin,
    /// An agent taking a chat nobody handles.
    TakeUnassigned,
}

/// A change of a chat's assignee.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// The chat.
    pub chat_id: Uuid,
    /// Who assigns.
    pub actor: Uuid,
    /// The new assignee, `None` to unassign.
    pub assignee: Option<Uuid>,
    /// What the actor may do.
    pub rule: AssignRule,
    /// The comment line recording it ("Assigned to X by Y").
    pub line: String,
}

/// A comment to write.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// Fresh id.
    pub id: Uuid,
    /// The chat, which must belong to the account.
    pub chat_id: Uuid,
    /// Who wrote it or made the change.
    pub author_id: Uuid,
    /// Note or activity line.
    pub kind: CommentKind,
    /// Its text.
    pub body: String,
}

/// Messages the host's chat list shows in a chat before it has captured
/// them.
#[derive(Debug, Clone)]
pub struct SeenArrival {
    /// The chat, when the host knows its WhatsApp id (a person's chat is
    /// created if new).
    pub chat: Option<ChatTarget>,
    /// Its name in the chat list: the chat or contact of that name, when
    /// the WhatsApp id is not known.
    pub title: String,
    /// The last message as the list shows it.
    pub preview: Option<String>,
    /// How many wait, at least.
    pub count: i64,
}

/// Chats, their comments and timeline, groups, and the teamwork change feed.
#[async_trait]
pub trait ChatStore: Send + Sync + 'static {
    /// A page of listed chats (people, and groups an admin added), newest
    /// activity first.
    async fn chats(&self, account: AccountRef, query: ChatQuery) -> StoreResult<Vec<ChatView>>;
    /// One chat of the account.
    async fn chat(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<ChatView>>;
    /// Resolves or reopens a chat (recorded as a status line with `status_line`
    /// as its text) and/or renames it (a person's contact, or a group).
    async fn update_chat(
        &self,
        account: AccountRef,
        id: Uuid,
        actor: Uuid,
        status: Option<(ChatStatus, String)>,
        name: Option<Option<String>>,
        now: DateTime<Utc>,
    ) -> StoreResult<(ChatView, Option<CommentView>)>;
    /// Notes messages waiting at the host in a chat (it moves up the list
    /// and reopens); `None` when no chat answers to the arrival.
    async fn note_waiting(
        &self,
        account: AccountRef,
        arrival: &SeenArrival,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ChatView>>;
    /// Marks the chat's incoming messages read; says whether it had any.
    async fn mark_chat_read(&self, account: AccountRef, id: Uuid) -> StoreResult<(ChatView, bool)>;
    /// Sets or clears the assignee and records its line as an assignment
    /// comment, in one transaction. Under [`AssignRule::TakeUnassigned`] a chat
    /// someone handles is [`super::Conflict::AlreadyAssigned`].
    async fn assign_chat(
        &self,
        account: AccountRef,
        assignment: Assignment,
        now: DateTime<Utc>,
    ) -> StoreResult<(ChatView, CommentView)>;
    /// Writes a comment.
    async fn add_comment(
        &self,
        account: AccountRef,
        comment: NewComment,
        now: DateTime<Utc>,
    ) -> StoreResult<CommentView>;
    /// Edits (`Some(body)`) or deletes (`None`) the author's own note;
    /// another member's is [`super::Conflict::NotAuthor`].
    async fn change_comment(
        &self,
        account: AccountRef,
        id: Uuid,
        author: Uuid,
        body: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<CommentView>;
    /// The chat's messages and comments before `before` (ids are
    /// time-ordered), newest `limit` of them, oldest first.
    async fn timeline(
        &self,
        account: AccountRef,
        chat_id: Uuid,
        before: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<TimelineItem>>;
    /// Records groups the host sees (not listed until added), with their
    /// members when shown; returns the added groups whose members changed.
    async fn see_groups(
        &self,
        account: AccountRef,
        groups: &[SeenGroup],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>>;
    /// Groups seen or added.
    async fn groups(&self, account: AccountRef) -> StoreResult<Vec<GroupView>>;
    /// Lists a group with the chats (creating its chat if the host has not
    /// reported it yet).
    async fn add_group(
        &self,
        account: AccountRef,
        wa_id: &str,
        name: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<ChatView>;
    /// Chats, comments, contacts and files changed after `after`, at most
    /// `limit` of each kind, cut at a cursor that misses nothing.
    async fn team_changes(
        &self,
        account: AccountRef,
        after: FeedCursor,
        limit: i64,
    ) -> StoreResult<ChangePage>;
}

/// Contacts: added by hand, made by traffic, changed one by one or in bulk.
#[async_trait]
pub trait ContactStore: Send + Sync + 'static {
    /// Adds a contact, or brings back a deleted one with that number; a
    /// live one with that number is [`super::Conflict::ContactExists`].
    async fn add_contact(
        &self,
        account: AccountRef,
        id: Uuid,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<ContactView>;
    /// Changes a live contact.
    async fn update_contact(
        &self,
        account: AccountRef,
        id: Uuid,
        change: ContactChange,
        now: DateTime<Utc>,
    ) -> StoreResult<ContactView>;
    /// One live contact.
    async fn contact(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<ContactView>>;
    /// A page of live contacts by name then number, and how many match.
    async fn contacts(
        &self,
        account: AccountRef,
        query: ContactQuery,
    ) -> StoreResult<(Vec<ContactView>, i64)>;
    /// Adds many contacts in one transaction (source `import`); numbers that
    /// are contacts already are left as they are. Returns how many were added.
    async fn import_contacts(
        &self,
        account: AccountRef,
        contacts: &[(String, Option<String>)],
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Deletes the account's contacts among `ids` in one transaction (their
    /// chats stay). Returns how many were deleted.
    async fn delete_contacts(
        &self,
        account: AccountRef,
        ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Adds and removes tags on the account's contacts among `ids`.
    async fn tag_contacts(
        &self,
        account: AccountRef,
        ids: &[Uuid],
        add: &[String],
        remove: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// The file library.
#[async_trait]
pub trait LibraryStore: Send + Sync + 'static {
    /// The file library, newest first.
    async fn files(&self, account: AccountRef) -> StoreResult<Vec<FileView>>;
    /// Renames a file of the library.
    async fn rename_file(
        &self,
        account: AccountRef,
        id: Uuid,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<FileView>;
    /// Removes a file from the library (messages that carry it keep it).
    async fn delete_file(
        &self,
        account: AccountRef,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<FileView>;
    /// Who uploaded a file of the account.
    async fn file_uploader(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<Uuid>>;
    /// Bytes the account keeps: its library (deleted files excluded) and
    /// the files customers sent.
    async fn library_bytes(&self, account: AccountRef) -> StoreResult<i64>;
    /// Whether a message of the account still to be sent carries the file.
    async fn file_awaited(&self, account: AccountRef, id: Uuid) -> StoreResult<bool>;
    /// Deleted files whose bytes are still kept though no unsent message
    /// carries them, longest deleted first, at most `limit`.
    async fn purgeable_files(&self, limit: i64) -> StoreResult<Vec<Uuid>>;
    /// Records that the bytes of these deleted files are gone.
    async fn mark_purged(&self, ids: &[Uuid], now: DateTime<Utc>) -> StoreResult<()>;
}
