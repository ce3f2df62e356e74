//! The queue half of the store: messages, chats, files and credits.
//!
//! Every method is scoped by an [`AccountRef`], the owner of a number and its
//! credits. Within one account, writes are serialised (PostgreSQL: a row lock
//! on the account, taken first in every write transaction; SQLite: its single
//! writer), so change-feed positions commit in order and balances cannot race.

use async_trait::async_trait;
use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{DeliveryReport, IncomingMessage};
use chorus_shared::queue::{CreditGrant, CreditPlan, Credits, FileView, MessageView};
use chorus_shared::team::CommentView;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AccountRef, StoreResult};

/// The chat a message goes to or came from.
#[derive(Debug, Clone)]
pub struct ChatTarget {
    /// WhatsApp's chat id (`<digits>@c.us`, `<id>@g.us`).
    pub wa_id: String,
    /// E.164 number, for people.
    pub phone: Option<String>,
    /// Display name, if known.
    pub name: Option<String>,
}

/// A validated outgoing message to queue.
#[derive(Debug, Clone)]
pub struct NewOutgoing {
    /// Fresh id (ignored when the idempotency key was seen before).
    pub id: Uuid,
    /// Whose number sends it.
    pub account: AccountRef,
    /// The member queuing it.
    pub author_id: Uuid,
    /// Where it goes: an existing chat id, or a chat to find or create.
    pub chat: ChatRef,
    /// Text or media kind.
    pub kind: MessageKind,
    /// Text or caption.
    pub text: Option<String>,
    /// A file of the same account.
    pub attachment_id: Option<Uuid>,
    /// The client's retry key.
    pub idempotency_key: String,
    /// Lease it to the number's host in the same transaction, if the host
    /// has room and nothing older is waiting (saves a commit before dispatch).
    pub lease: Option<LeaseOffer>,
    /// The campaign feeding it, if any.
    pub campaign_id: Option<Uuid>,
}

/// A host ready to take messages.
#[derive(Debug, Clone)]
pub struct LeaseOffer {
    /// The host connection's lease owner name.
    pub owner: String,
    /// When the lease lapses.
    pub until: DateTime<Utc>,
    /// How many messages the host may hold at once.
    pub window: i64,
}

/// A chat named by id, or by WhatsApp id (created if new).
#[derive(Debug, Clone)]
pub enum ChatRef {
    /// An existing chat of the account.
    Id(Uuid),
    /// Found or created.
    Target(ChatTarget),
}

/// A validated upload to record.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Fresh id; the bytes are already stored under it.
    pub id: Uuid,
    /// Owner.
    pub account: AccountRef,
    /// Sanitised name.
    pub name: String,
    /// Detected media type.
    pub mime: String,
    /// Detected message kind (not text).
    pub kind: MessageKind,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the bytes.
    pub sha256: Vec<u8>,
    /// The uploading member.
    pub uploaded_by: Uuid,
}

/// What became of a host's upload of a received file.
#[derive(Debug, Clone)]
pub enum MediaAttached {
    /// No such message in the account.
    NoMessage,
    /// The message is not a file a customer sent.
    NotAFile,
    /// It had its bytes already; the upload was not kept.
    Already(MessageView),
    /// Attached now.
    Attached(MessageView),
}

/// A host's report about one message of its account.
#[derive(Debug, Clone)]
pub struct Report {
    /// The hosted account.
    pub account: AccountRef,
    /// The message.
    pub message_id: Uuid,
    /// What happened.
    pub report: DeliveryReport,
    /// The reporting host, offered the account's next queued messages in
    /// the same transaction when this report frees a place in its window.
    pub lease: Option<LeaseOffer>,
}

/// A report's effect: the message after it, and whether the report changed
/// its status or WhatsApp id (repeated and late reports change nothing).
#[derive(Debug, Clone)]
pub struct Applied {
    /// The message now.
    pub message: MessageView,
    /// False when the report was already known or came too late to matter.
    pub changed: bool,
    /// Messages leased to the reporting host in the same transaction (given
    /// with the account's last report of the batch).
    pub leased: Vec<MessageView>,
}

/// Result of queuing: the message (or the comment it became), and whether
/// this call created it (false when the idempotency key matched an earlier
/// send).
#[derive(Debug, Clone)]
pub struct Queued {
    /// What the send became.
    pub outcome: SendOutcome,
    /// False for a retry of an earlier send.
    pub created: bool,
}

/// What a send became.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// Queued for the host (boxed: much the larger variant).
    Message(Box<MessageView>),
    /// Kept as a comment, because the chat is assigned to someone else
    /// (the comment's `assignee_id` says who).
    Comment(CommentView),
}

impl Queued {
    /// The queued message, unless the send became a comment.
    pub fn message(&self) -> Option<&MessageView> {
        match &self.outcome {
            SendOutcome::Message(message) => Some(message.as_ref()),
            SendOutcome::Comment(_) => None,
        }
    }
}

/// The queue and credits storage interface.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Queues messages and reserves their cost, in one transaction with one
    /// result per message: each message is queued and paid for entirely or
    /// not at all. A repeated idempotency key returns the first message; too
    /// few credits is [`super::Conflict::InsufficientCredits`].
    async fn queue_messages(
        &self,
        batch: Vec<NewOutgoing>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<Queued>>>;

    /// [`QueueStore::queue_messages`] for one message.
    async fn queue_message(&self, new: NewOutgoing, now: DateTime<Utc>) -> StoreResult<Queued> {
        self.queue_messages(vec![new], now)
            .await?
            .pop()
            .unwrap_or(Err(super::StoreError::NotFound))
    }
    /// One message of the account.
    async fn message(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<MessageView>>;
    /// The account's newest feed position (0 before its first change).
    async fn feed_head(&self, account: AccountRef) -> StoreResult<i64>;
    /// Messages whose last change is after `after` in the account's feed, in change order.
    async fn changes_after(
        &self,
        account: AccountRef,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<MessageView>>;
    /// Cancels a queued message no host has taken and releases its credits.
    async fn cancel_message(
        &self,
        account: AccountRef,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<MessageView>;
    /// Leases the account's next queued messages to `owner` (status
    /// `sending`), in queue order, so that at most `window` are under lease.
    async fn lease_next(
        &self,
        account: AccountRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        window: i64,
    ) -> StoreResult<Vec<MessageView>>;
    /// Applies hosts' reports in one transaction, one result per report.
    /// Reports are idempotent, and `sent` is accepted even after the lease
    /// lapsed: the host did send it.
    async fn apply_reports(
        &self,
        reports: Vec<Report>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<Applied>>>;

    /// Puts every message leased to `owner` back in the queue (host gone).
    async fn release_leases(
        &self,
        owner: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(AccountRef, MessageView)>>;
    /// Puts messages whose lease ran out back in the queue.
    async fn expire_leases(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(AccountRef, MessageView)>>;

    /// How many of the account's messages are queued and how many are
    /// with its host: `(queued, sending)`.
    async fn queue_counts(&self, account: AccountRef) -> StoreResult<(i64, i64)>;
    /// Stores an incoming message once per WhatsApp id and charges for it
    /// (as far as the balance allows; the rest is recorded as unpaid).
    /// Returns the message and whether it had been stored before.
    async fn record_incoming(
        &self,
        account: AccountRef,
        id: Uuid,
        incoming: &IncomingMessage,
        chat: ChatTarget,
        now: DateTime<Utc>,
    ) -> StoreResult<(MessageView, bool)>;

    /// Adds credits valid until `expires_at`.
    async fn grant_credits(
        &self,
        account: AccountRef,
        id: Uuid,
        plan: CreditPlan,
        amount: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<CreditGrant>;
    /// Balance, unexpired grants and the newest `ledger_lines` ledger lines.
    async fn credits(
        &self,
        account: AccountRef,
        now: DateTime<Utc>,
        ledger_lines: i64,
    ) -> StoreResult<Credits>;

    /// Records an uploaded file.
    async fn create_file(&self, file: NewFile, now: DateTime<Utc>) -> StoreResult<FileView>;
    /// Records the bytes a host uploaded of a file a customer sent (`file`,
    /// kept apart from the library) as the attachment of incoming message
    /// `message_id`, unless it has one already.
    async fn attach_incoming_media(
        &self,
        file: NewFile,
        message_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<MediaAttached>;
    /// A file of the account; with `in_library`, only if it was not deleted
    /// from the library (messages that carry a deleted file still reach it).
    async fn file(
        &self,
        account: AccountRef,
        id: Uuid,
        in_library: bool,
    ) -> StoreResult<Option<FileView>>;
}

/// How much to take from each grant, soonest expiry first; `None` when the
/// grants hold less than `amount` in all.
pub(crate) fn plan_draw(grants: &[(Uuid, i64)], amount: i64) -> Option<Vec<(Uuid, i64)>> {
    let mut left = amount;
    let mut takes = Vec::new();
    for &(grant, remaining) in grants {
        if left == 0 {
            break;
        }
        let take = remaining.min(left);
        if take > 0 {
            takes.push((grant, take));
            left -= take;
        }
    }
    (left == 0).then_some(takes)
}

#[cfg(test)]
mod tests {
    use super::plan_draw;
    use uuid::Uuid;

    #[test]
    fn draws_from_the_soonest_expiring_grants_first() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let grants = [(a, 2), (b, 0), (c, 10)];
        assert_eq!(plan_draw(&grants, 1), Some(vec![(a, 1)]));
        assert_eq!(plan_draw(&grants, 5), Some(vec![(a, 2), (c, 3)]));
        assert_eq!(plan_draw(&grants, 12), Some(vec![(a, 2), (c, 10)]));
        assert_eq!(plan_draw(&grants, 13), None);
        assert_eq!(plan_draw(&[], 1), None);
    }
}
