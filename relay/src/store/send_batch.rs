//! Queuing a batch of sends in a fixed number of statements.
//!
//! A send used to cost a dozen statements of its own; under load the single
//! SQLite writer (or an account's row lock on PostgreSQL) made every agent
//! wait for all of them. Now each backend reads, in a few set-wise queries,
//! everything a batch depends on ([`BatchFacts`]), this module decides every
//! send's fate in memory ([`plan`]), and the backend writes the outcome in
//! bulk ([`BatchWrites`]): one statement per table, whatever the batch size.
//! Each send is still all-or-nothing: a refused send writes nothing.

use std::collections::{BTreeSet, HashMap};

use chorus_shared::message::{Direction, MessageStatus};
use chorus_shared::queue::{FileView, MessageView};
use chorus_shared::team::{CommentKind, CommentView};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::queue::{plan_draw, AccountRef, ChatRef, ChatTarget, NewOutgoing, Queued, SendOutcome};
use super::rows::{millis, time};
use super::{Conflict, StoreError, StoreResult};

/// An idempotency key as the unique index sees it: account, author, key.
pub(crate) type KeyOf = (Uuid, Uuid, String);

/// What the database says about a batch, read inside its transaction after
/// the accounts' feed positions were taken (which serialises their writes).
#[derive(Default)]
pub(crate) struct BatchFacts {
    /// The first feed position reserved for each account's sends.
    pub seq_start: HashMap<Uuid, i64>,
    /// Messages queued earlier under the batch's idempotency keys.
    pub earlier: HashMap<KeyOf, MessageView>,
    /// Sends that became comments earlier under the batch's idempotency keys.
    pub earlier_comments: HashMap<KeyOf, CommentView>,
    /// Chats the batch names, by id: their account, WhatsApp id and assignee.
    pub chats: HashMap<Uuid, (Uuid, String, Option<Uuid>)>,
    /// Existing chats of the batch's targets, by account and WhatsApp id.
    pub chats_by_wa_id: HashMap<(Uuid, String), Uuid>,
    /// Files the batch attaches, with their account.
    pub files: HashMap<Uuid, (Uuid, FileView)>,
    /// Each account's unexpired grants with credits left, soonest expiry first.
    pub grants: HashMap<Uuid, Vec<(Uuid, i64)>>,
    /// For accounts offered a lease: messages under lease now, and whether
    /// any message is queued (then new ones wait behind it).
    pub hosts: HashMap<Uuid, (i64, bool)>,
}

/// The distinct things a batch refers to, for the backends' reads.
pub(crate) struct BatchNeeds {
    /// Accounts with how many sends each, sorted by id (the lock order).
    pub accounts: Vec<(AccountRef, i64)>,
    /// Idempotency keys.
    pub keys: Vec<KeyOf>,
    /// Chats named by id.
    pub chat_ids: Vec<Uuid>,
    /// Chats named by WhatsApp id, per account.
    pub targets: Vec<(Uuid, String)>,
    /// Attached files.
    pub file_ids: Vec<Uuid>,
    /// Accounts whose host is online and may take messages at once.
    pub hosted: Vec<Uuid>,
}

/// What a batch refers to.
pub(crate) fn needs(batch: &[NewOutgoing]) -> BatchNeeds {
    let mut accounts: HashMap<AccountRef, i64> = HashMap::new();
    let mut chat_ids = BTreeSet::new();
    let mut file_ids = BTreeSet::new();
    let mut hosted = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for new in batch {
        *accounts.entry(new.account).or_default() += 1;
        match &new.chat {
            ChatRef::Id(id) => {
                chat_ids.insert(*id);
            }
            ChatRef::Target(target) => {
                targets.insert((new.account.id(), target.wa_id.clone()));
            }
        }
        file_ids.extend(new.attachment_id);
        if new.lease.is_some() {
            hosted.insert(new.account.id());
        }
    }
    let mut accounts: Vec<_> = accounts.into_iter().collect();
    accounts.sort_by_key(|(account, _)| account.id());
    BatchNeeds {
        accounts,
        keys: batch.iter().map(key_of).collect(),
        chat_ids: chat_ids.into_iter().collect(),
        targets: targets.into_iter().collect(),
        file_ids: file_ids.into_iter().collect(),
        hosted: hosted.into_iter().collect(),
    }
}

fn key_of(new: &NewOutgoing) -> KeyOf {
    (new.account.id(), new.author_id, new.idempotency_key.clone())
}

/// A message to insert.
pub(crate) struct NewRow {
    /// The message as it will read back, but for its chat id when the chat
    /// is found or created by the write.
    pub view: MessageView,
    /// Whose number.
    pub account: AccountRef,
    /// The client's retry key.
    pub idempotency_key: String,
    /// The chat to find or create, when not named by id.
    pub target: Option<ChatTarget>,
    /// The host connection it is leased to, and until when.
    pub lease: Option<(String, DateTime<Utc>)>,
    /// Which grants pay for it, and how much each.
    pub holds: Vec<(Uuid, i64)>,
}

enum Outcome {
    Refused(StoreError),
    Earlier(Box<MessageView>),
    EarlierComment(Box<CommentView>),
    New(usize),
    SameAs(usize),
    Commented(usize),
    SameComment(usize),
}

/// A send kept as a comment because its chat is assigned to someone else.
pub(crate) struct RedirectRow {
    /// The comment (its `assignee_id` is the chat's assignee).
    pub view: CommentView,
    /// Whose number.
    pub account: AccountRef,
    /// The send's key, so a retry finds this comment.
    pub idempotency_key: String,
}

/// What the backend writes, and how each send turns out.
pub(crate) struct BatchWrites {
    outcomes: Vec<Outcome>,
    /// Messages to insert, in batch order.
    pub rows: Vec<NewRow>,
    /// Sends kept as comments.
    pub redirects: Vec<RedirectRow>,
    /// Credits to take from each grant.
    pub grant_takes: Vec<(Uuid, i64)>,
}

impl BatchWrites {
    /// Chats to find or create, one per account and WhatsApp id, with the
    /// feed position a new one takes.
    pub fn chat_targets(&self) -> Vec<(AccountRef, ChatTarget, i64)> {
        let mut targets: HashMap<(Uuid, &str), (AccountRef, ChatTarget, i64)> = HashMap::new();
        for row in &self.rows {
            if let Some(target) = &row.target {
                let entry = targets
                    .entry((row.account.id(), target.wa_id.as_str()))
                    .or_insert_with(|| (row.account, target.clone(), row.view.seq));
                if target.name.is_some() {
                    entry.1.name.clone_from(&target.name);
                }
            }
        }
        let mut targets: Vec<_> = targets.into_values().collect();
        targets.sort_by(|a, b| (a.0.id(), &a.1.wa_id).cmp(&(b.0.id(), &b.1.wa_id)));
        targets
    }

    /// Existing chats that get new activity.
    pub fn touched_chats(&self) -> Vec<Uuid> {
        let ids: BTreeSet<Uuid> = self
            .rows
            .iter()
            .filter(|row| row.target.is_none())
            .map(|row| row.view.chat_id)
            .collect();
        ids.into_iter().collect()
    }

    /// Fills in the chat ids the chat upsert returned, keyed by account and
    /// WhatsApp id. Call before inserting the rows.
    pub fn set_chat_ids(&mut self, ids: &HashMap<(Uuid, String), Uuid>) -> StoreResult<()> {
        for row in &mut self.rows {
            if let Some(target) = &row.target {
                let key = (row.account.id(), target.wa_id.clone());
                row.view.chat_id = *ids.get(&key).ok_or(StoreError::NotFound)?;
            }
        }
        Ok(())
    }

    /// New contacts for the people the batch writes to (an existing one
    /// becomes active again): account, E.164 number, feed position.
    pub fn contacts(&self) -> Vec<(AccountRef, String, i64)> {
        let mut contacts: HashMap<(Uuid, String), (AccountRef, String, i64)> = HashMap::new();
        for row in &self.rows {
            if let Some(phone) = row.target.as_ref().and_then(|target| target.phone.clone()) {
                contacts
                    .entry((row.account.id(), phone.clone()))
                    .or_insert((row.account, phone, row.view.seq));
            }
        }
        let mut contacts: Vec<_> = contacts.into_values().collect();
        contacts.sort_by(|a, b| (a.0.id(), &a.1).cmp(&(b.0.id(), &b.1)));
        contacts
    }

    /// Each send's result, in batch order, once the writes committed.
    pub fn results(self) -> Vec<StoreResult<Queued>> {
        let rows = self.rows;
        let redirects = self.redirects;
        self.outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Refused(error) => Err(error),
                Outcome::Earlier(message) => Ok(Queued {
                    outcome: SendOutcome::Message(*message),
                    created: false,
                }),
                Outcome::EarlierComment(comment) => Ok(Queued {
                    outcome: SendOutcome::Comment(*comment),
                    created: false,
                }),
                Outcome::New(index) => Ok(Queued {
                    outcome: SendOutcome::Message(rows[index].view.clone()),
                    created: true,
                }),
                Outcome::SameAs(index) => Ok(Queued {
                    outcome: SendOutcome::Message(rows[index].view.clone()),
                    created: false,
                }),
                Outcome::Commented(index) => Ok(Queued {
                    outcome: SendOutcome::Comment(redirects[index].view.clone()),
                    created: true,
                }),
                Outcome::SameComment(index) => Ok(Queued {
                    outcome: SendOutcome::Comment(redirects[index].view.clone()),
                    created: false,
                }),
            })
            .collect()
    }
}

/// Decides every send of the batch, in order, as if queued one by one:
/// a known key returns its message; an unknown chat or file is not found;
/// too few credits is refused; the rest are queued, paid for from the
/// soonest-expiring grants, and leased to the host while it has room and
/// nothing older waits.
pub(crate) fn plan(
    batch: Vec<NewOutgoing>,
    mut facts: BatchFacts,
    now: DateTime<Utc>,
) -> BatchWrites {
    let now = time(millis(now));
    let mut next_seq = facts.seq_start.clone();
    let mut taken: HashMap<Uuid, i64> = HashMap::new();
    let mut grant_order: Vec<Uuid> = Vec::new();
    let mut created: HashMap<KeyOf, usize> = HashMap::new();
    let mut commented: HashMap<KeyOf, usize> = HashMap::new();
    let mut rows: Vec<NewRow> = Vec::new();
    let mut redirects: Vec<RedirectRow> = Vec::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for new in batch {
        let account = new.account;
        let seq = next_seq.entry(account.id()).or_insert(1);
        let this_seq = *seq;
        *seq += 1;
        let key = key_of(&new);
        if let Some(message) = facts.earlier.get(&key) {
            outcomes.push(Outcome::Earlier(Box::new(message.clone())));
            continue;
        }
        if let Some(comment) = facts.earlier_comments.get(&key) {
            outcomes.push(Outcome::EarlierComment(Box::new(comment.clone())));
            continue;
        }
        if let Some(&index) = created.get(&key) {
            outcomes.push(Outcome::SameAs(index));
            continue;
        }
        if let Some(&index) = commented.get(&key) {
            outcomes.push(Outcome::SameComment(index));
            continue;
        }
        let (chat_id, chat_wa_id, target) = match new.chat {
            ChatRef::Id(id) => match facts.chats.get(&id) {
                Some((owner, wa_id, _)) if *owner == account.id() => (id, wa_id.clone(), None),
                _ => {
                    outcomes.push(Outcome::Refused(StoreError::NotFound));
                    continue;
                }
            },
            ChatRef::Target(target) => {
                let known = facts
                    .chats_by_wa_id
                    .get(&(account.id(), target.wa_id.clone()))
                    .copied();
                (
                    known.unwrap_or(Uuid::nil()),
                    target.wa_id.clone(),
                    Some(target),
                )
            }
        };
        let assignee = facts
            .chats
            .get(&chat_id)
            .and_then(|(_, _, assignee)| *assignee);
        let attachment = match new.attachment_id {
            None => None,
            Some(id) => match facts.files.get(&id) {
                Some((owner, file)) if *owner == account.id() => Some(file.clone()),
                _ => {
                    outcomes.push(Outcome::Refused(StoreError::NotFound));
                    continue;
                }
            },
        };
        if let Some(assignee) = assignee.filter(|assignee| *assignee != new.author_id) {
            let body = new.text.clone().unwrap_or_else(|| {
                attachment
                    .as_ref()
                    .map_or_else(String::new, |file| format!("[{}]", file.name))
            });
            commented.insert(key, redirects.len());
            outcomes.push(Outcome::Commented(redirects.len()));
            redirects.push(RedirectRow {
                view: CommentView {
                    id: new.id,
                    chat_id,
                    author_id: Some(new.author_id),
                    kind: CommentKind::Redirected,
                    body,
                    assignee_id: Some(assignee),
                    created_at: now,
                    edited_at: None,
                    deleted_at: None,
                    seq: this_seq,
                },
                account,
                idempotency_key: new.idempotency_key,
            });
            continue;
        }
        let cost = new.kind.cost();
        let grants = facts.grants.entry(account.id()).or_default();
        let Some(holds) = plan_draw(grants, cost) else {
            let available = grants.iter().map(|(_, remaining)| remaining).sum();
            outcomes.push(Outcome::Refused(StoreError::Conflict(
                Conflict::InsufficientCredits {
                    needed: cost,
                    available,
                },
            )));
            continue;
        };
        for (grant, take) in &holds {
            if let Some(entry) = grants.iter_mut().find(|(id, _)| id == grant) {
                entry.1 -= take;
            }
            if !taken.contains_key(grant) {
                grant_order.push(*grant);
            }
            *taken.entry(*grant).or_default() += take;
        }
        let lease = new.lease.as_ref().and_then(|offer| {
            let (in_flight, queued_before) = facts.hosts.entry(account.id()).or_insert((0, false));
            if !*queued_before && *in_flight < offer.window {
                *in_flight += 1;
                Some((offer.owner.clone(), offer.until))
            } else {
                *queued_before = true;
                None
            }
        });
        if new.lease.is_none() {
            // Not leased now, so later sends of this batch queue behind it.
            facts.hosts.entry(account.id()).or_insert((0, true)).1 = true;
        }
        let status = if lease.is_some() {
            MessageStatus::Sending
        } else {
            MessageStatus::Queued
        };
        created.insert(key, rows.len());
        outcomes.push(Outcome::New(rows.len()));
        rows.push(NewRow {
            view: MessageView {
                id: new.id,
                organization_id: account.organization_id(),
                chat_id,
                chat_wa_id,
                direction: Direction::Outgoing,
                kind: new.kind,
                text: new.text,
                attachment,
                status,
                failure_reason: None,
                wa_id: None,
                author_id: Some(new.author_id),
                cost,
                seq: this_seq,
                created_at: now,
                updated_at: now,
            },
            account,
            idempotency_key: new.idempotency_key,
            target,
            lease,
            holds,
        });
    }
    BatchWrites {
        outcomes,
        rows,
        redirects,
        grant_takes: grant_order
            .into_iter()
            .map(|grant| (grant, taken[&grant]))
            .collect(),
    }
}

/// Defines `queue_batch(tx, batch, now)` for one backend: the reads that
/// fill [`BatchFacts`], the [`plan`], and the bulk writes. The SQL is the same
/// on both databases (`QueryBuilder` writes each one's placeholders), so it
/// is written once; the feed-position upsert comes first and, on PostgreSQL,
/// takes the accounts' row locks in id order.
macro_rules! define_queue_batch {
    ($db:ty) => {
        /// Queues a batch in one transaction, in a fixed number of statements.
        async fn queue_batch(
            tx: &mut sqlx::Transaction<'static, $db>,
            batch: Vec<$crate::store::NewOutgoing>,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::StoreResult<Vec<$crate::store::StoreResult<$crate::store::Queued>>> {
            use std::collections::HashMap;

            use chorus_shared::queue::{LedgerKind, MessageView};
            use sqlx::QueryBuilder;
            use uuid::Uuid;

            use $crate::store::send_batch::{needs, plan, BatchFacts};
            use $crate::store::rows::{millis, KeyedMessageRow, OwnedFileRow, MESSAGE_SELECT};
            use $crate::store::team_rows::{KeyedCommentRow, COMMENT_COLUMNS};

            if batch.is_empty() {
                return Ok(Vec::new());
            }
            let needs = needs(&batch);
            let mut facts = BatchFacts::default();
            let at = millis(now);

            let mut query = QueryBuilder::<$db>::new("INSERT INTO accounts (id, kind, change_seq) ");
            query.push_values(&needs.accounts, |mut row, (account, sends)| {
                row.push_bind(account.id())
                    .push_bind(account.kind())
                    .push_bind(*sends);
            });
            query.push(
                " ON CONFLICT (id) DO UPDATE SET change_seq = accounts.change_seq + excluded.change_seq \
                 RETURNING id, change_seq",
            );
            let ends: Vec<(Uuid, i64)> = query.build_query_as().fetch_all(&mut **tx).await?;
            for (id, end) in ends {
                let sends = needs
                    .accounts
                    .iter()
                    .find(|(account, _)| account.id() == id)
                    .map_or(0, |(_, sends)| *sends);
                facts.seq_start.insert(id, end - sends + 1);
            }

            let mut query = QueryBuilder::<$db>::new(MESSAGE_SELECT.replacen(
                " FROM messages m",
                ", m.idempotency_key FROM messages m",
                1,
            ));
            query.push(" WHERE m.idempotency_key IS NOT NULL AND (");
            let mut terms = query.separated(" OR ");
            for (account, author, key) in &needs.keys {
                terms.push("(m.account_id = ");
                terms.push_bind_unseparated(*account);
                terms.push_unseparated(" AND m.author_id = ");
                terms.push_bind_unseparated(*author);
                terms.push_unseparated(" AND m.idempotency_key = ");
                terms.push_bind_unseparated(key.clone());
                terms.push_unseparated(")");
            }
            query.push(")");
            let earlier: Vec<KeyedMessageRow> = query.build_query_as().fetch_all(&mut **tx).await?;
            for row in earlier {
                let key = row.key();
                facts.earlier.insert(key, MessageView::from(row.message));
            }

            let mut query = QueryBuilder::<$db>::new(format!(
                "SELECT {COMMENT_COLUMNS}, account_id, idempotency_key FROM comments \
                 WHERE idempotency_key IS NOT NULL AND ("
            ));
            let mut terms = query.separated(" OR ");
            for (account, author, key) in &needs.keys {
                terms.push("(account_id = ");
                terms.push_bind_unseparated(*account);
                terms.push_unseparated(" AND author_id = ");
                terms.push_bind_unseparated(*author);
                terms.push_unseparated(" AND idempotency_key = ");
                terms.push_bind_unseparated(key.clone());
                terms.push_unseparated(")");
            }
            query.push(")");
            let earlier: Vec<KeyedCommentRow> = query.build_query_as().fetch_all(&mut **tx).await?;
            for row in earlier {
                let key = row.key();
                facts.earlier_comments.insert(key, row.comment.into());
            }

            let mut query = QueryBuilder::<$db>::new(
                "SELECT id, account_id, wa_id, assignee_id FROM chats WHERE ",
            );
            let mut terms = query.separated(" OR ");
            for id in &needs.chat_ids {
                terms.push("id = ");
                terms.push_bind_unseparated(*id);
            }
            for (account, wa_id) in &needs.targets {
                terms.push("(account_id = ");
                terms.push_bind_unseparated(*account);
                terms.push_unseparated(" AND wa_id = ");
                terms.push_bind_unseparated(wa_id.clone());
                terms.push_unseparated(")");
            }
            let chats: Vec<(Uuid, Uuid, String, Option<Uuid>)> =
                query.build_query_as().fetch_all(&mut **tx).await?;
            for (id, account, wa_id, assignee) in chats {
                facts.chats_by_wa_id.insert((account, wa_id.clone()), id);
                facts.chats.insert(id, (account, wa_id, assignee));
            }

            if !needs.file_ids.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT id, account_id, name, mime, kind, size, created_at FROM files \
                     WHERE deleted_at IS NULL AND id IN (",
                );
                let mut ids = query.separated(", ");
                for id in &needs.file_ids {
                    ids.push_bind(*id);
                }
                query.push(")");
                let files: Vec<OwnedFileRow> = query.build_query_as().fetch_all(&mut **tx).await?;
                for row in files {
                    let account = row.account_id;
                    let file = chorus_shared::queue::FileView::from(row.file);
                    facts.files.insert(file.id, (account, file));
                }
            }

            let mut query = QueryBuilder::<$db>::new(
                "SELECT account_id, id, remaining FROM credit_grants WHERE remaining > 0 AND expires_at > ",
            );
            query.push_bind(at).push(" AND account_id IN (");
            let mut ids = query.separated(", ");
            for (account, _) in &needs.accounts {
                ids.push_bind(account.id());
            }
            query.push(") ORDER BY expires_at, id");
            let grants: Vec<(Uuid, Uuid, i64)> = query.build_query_as().fetch_all(&mut **tx).await?;
            for (account, grant, remaining) in grants {
                facts.grants.entry(account).or_default().push((grant, remaining));
            }

            if !needs.hosted.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT a.id, \
                     (SELECT COUNT(*) FROM messages m WHERE m.account_id = a.id AND m.status = 'sending'), \
                     EXISTS (SELECT 1 FROM messages m WHERE m.account_id = a.id AND m.status = 'queued') \
                     FROM accounts a WHERE a.id IN (",
                );
                let mut ids = query.separated(", ");
                for id in &needs.hosted {
                    ids.push_bind(*id);
                }
                query.push(")");
                let hosts: Vec<(Uuid, i64, bool)> = query.build_query_as().fetch_all(&mut **tx).await?;
                for (account, in_flight, queued) in hosts {
                    facts.hosts.insert(account, (in_flight, queued));
                }
            }

            let mut writes = plan(batch, facts, now);
            if !writes.redirects.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO comments (id, account_id, chat_id, author_id, kind, body, \
                     assignee_id, created_at, seq, idempotency_key) ",
                );
                query.push_values(&writes.redirects, |mut row, redirect| {
                    let view = &redirect.view;
                    row.push_bind(view.id)
                        .push_bind(redirect.account.id())
                        .push_bind(view.chat_id)
                        .push_bind(view.author_id)
                        .push_bind(view.kind.as_str())
                        .push_bind(view.body.clone())
                        .push_bind(view.assignee_id)
                        .push_bind(at)
                        .push_bind(view.seq)
                        .push_bind(redirect.idempotency_key.clone());
                });
                query.build().execute(&mut **tx).await?;
            }
            if writes.rows.is_empty() {
                return Ok(writes.results());
            }

            let targets = writes.chat_targets();
            if !targets.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO chats (id, account_id, wa_id, phone, name, kind, created_at, \
                     last_activity_at, seq) ",
                );
                query.push_values(targets, |mut row, (account, target, seq)| {
                    let kind = if target.wa_id.ends_with("@g.us") { "group" } else { "person" };
                    row.push_bind(Uuid::now_v7())
                        .push_bind(account.id())
                        .push_bind(target.wa_id)
                        .push_bind(target.phone)
                        .push_bind(target.name)
                        .push_bind(kind)
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(seq);
                });
                query.push(
                    " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
                     last_activity_at = excluded.last_activity_at, unread = 0, \
                     name = COALESCE(excluded.name, chats.name) \
                     RETURNING id, account_id, wa_id",
                );
                let chats: Vec<(Uuid, Uuid, String)> =
                    query.build_query_as().fetch_all(&mut **tx).await?;
                let ids: HashMap<(Uuid, String), Uuid> = chats
                    .into_iter()
                    .map(|(id, account, wa_id)| ((account, wa_id), id))
                    .collect();
                writes.set_chat_ids(&ids)?;
            }
            let touched = writes.touched_chats();
            if !touched.is_empty() {
                let mut query = QueryBuilder::<$db>::new("UPDATE chats SET unread = 0, last_activity_at = ");
                query.push_bind(at).push(" WHERE id IN (");
                let mut ids = query.separated(", ");
                for id in touched {
                    ids.push_bind(id);
                }
                query.push(")");
                query.build().execute(&mut **tx).await?;
            }

            let contacts = writes.contacts();
            if !contacts.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO contacts (id, account_id, phone, source, created_at, \
                     last_active_at, seq) ",
                );
                query.push_values(contacts, |mut row, (account, phone, seq)| {
                    row.push_bind(Uuid::now_v7())
                        .push_bind(account.id())
                        .push_bind(phone)
                        .push_bind("outgoing")
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(seq);
                });
                query.push(
                    " ON CONFLICT (account_id, phone) DO UPDATE SET \
                     last_active_at = excluded.last_active_at, \
                     seq = CASE WHEN contacts.deleted_at IS NULL THEN contacts.seq ELSE excluded.seq END, \
                     deleted_at = NULL",
                );
                query.build().execute(&mut **tx).await?;
            }

            for (grant, take) in &writes.grant_takes {
                let mut query =
                    QueryBuilder::<$db>::new("UPDATE credit_grants SET remaining = remaining - ");
                query.push_bind(*take).push(" WHERE id = ").push_bind(*grant);
                query.build().execute(&mut **tx).await?;
            }

            let mut query = QueryBuilder::<$db>::new(
                "INSERT INTO messages (id, account_id, chat_id, direction, kind, text, attachment_id, \
                 status, author_id, idempotency_key, cost, credits, queue_pos, seq, lease_owner, \
                 lease_until, created_at, updated_at) ",
            );
            query.push_values(&writes.rows, |mut row, new| {
                let view = &new.view;
                row.push_bind(view.id)
                    .push_bind(new.account.id())
                    .push_bind(view.chat_id)
                    .push_bind("outgoing")
                    .push_bind(view.kind.as_str())
                    .push_bind(view.text.clone())
                    .push_bind(view.attachment.as_ref().map(|file| file.id))
                    .push_bind(view.status.as_str())
                    .push_bind(view.author_id)
                    .push_bind(new.idempotency_key.clone())
                    .push_bind(view.cost)
                    .push_bind("reserved")
                    .push_bind(view.seq)
                    .push_bind(view.seq)
                    .push_bind(new.lease.as_ref().map(|(owner, _)| owner.clone()))
                    .push_bind(new.lease.as_ref().map(|(_, until)| millis(*until)))
                    .push_bind(at)
                    .push_bind(at);
            });
            query.build().execute(&mut **tx).await?;

            let holds: Vec<(Uuid, Uuid, i64)> = writes
                .rows
                .iter()
                .flat_map(|row| row.holds.iter().map(|(grant, take)| (row.view.id, *grant, *take)))
                .collect();
            if !holds.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO credit_holds (message_id, grant_id, amount) ",
                );
                query.push_values(holds, |mut row, (message, grant, amount)| {
                    row.push_bind(message).push_bind(grant).push_bind(amount);
                });
                query.build().execute(&mut **tx).await?;
            }

            let mut query = QueryBuilder::<$db>::new(
                "INSERT INTO ledger (account_id, kind, delta, message_id, grant_id, at) ",
            );
            query.push_values(&writes.rows, |mut row, new| {
                row.push_bind(new.account.id())
                    .push_bind(LedgerKind::Reserve.as_str())
                    .push_bind(-new.view.cost)
                    .push_bind(new.view.id)
                    .push_bind(None::<Uuid>)
                    .push_bind(at);
            });
            query.build().execute(&mut **tx).await?;

            Ok(writes.results())
        }
    };
}
pub(crate) use define_queue_batch;
