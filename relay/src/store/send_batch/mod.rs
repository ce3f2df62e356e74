//! Queuing a batch of sends in a fixed number of statements.
//!
//! A send used to cost a dozen statements of its own; under load the single
//! SQLite writer (or an account's row lock on PostgreSQL) made every agent
//! wait for all of them. Now each backend reads, in a few set-wise queries,
//! everything a batch depends on ([`BatchFacts`]), this module decides every
//! send's fate in memory ([`plan`]), and the backend writes the outcome in
//! bulk ([`BatchWrites`]): one statement per table, whatever the batch size.
//! Each send is still all-or-nothing: a refused send writes nothing.

mod sql;
pub(crate) use sql::queue_batch;

use std::collections::{BTreeSet, HashMap};

use chorus_shared::message::{Direction, MessageStatus};
use chorus_shared::queue::{FileView, MessageView};
use chorus_shared::team::{CommentKind, CommentView};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::queue::{plan_draw, ChatRef, ChatTarget, NewOutgoing, Queued, SendOutcome};
use super::rows::{millis, time};
use super::AccountRef;
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
                    outcome: SendOutcome::Message(message),
                    created: false,
                }),
                Outcome::EarlierComment(comment) => Ok(Queued {
                    outcome: SendOutcome::Comment(*comment),
                    created: false,
                }),
                Outcome::New(index) => Ok(Queued {
                    outcome: SendOutcome::Message(Box::new(rows[index].view.clone())),
                    created: true,
                }),
                Outcome::SameAs(index) => Ok(Queued {
                    outcome: SendOutcome::Message(Box::new(rows[index].view.clone())),
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
        // A campaign is the profile's broadcast, not a member's reply: it
        // reaches assigned chats too.
        let assignee = assignee.filter(|_| new.campaign_id.is_none());
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
                sender: None,
                media: None,
                wa_time: None,
                campaign_id: new.campaign_id,
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
