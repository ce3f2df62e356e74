//! Applying a batch of host reports in a fixed number of statements, the
//! same way [`super::send_batch`] queues sends: read the messages the batch
//! is about, decide every report in memory (in order, so `sending` then
//! `sent` for one message in one batch works), and write each changed
//! message's new state in one statement.

use std::collections::{BTreeSet, HashMap, HashSet};

use chorus_shared::message::MessageStatus;
use chorus_shared::protocol::DeliveryReport;
use chorus_shared::queue::MessageView;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::queue::{Applied, LeaseOffer, Report};
use super::rows::{millis, time};
use super::AccountRef;
use super::{StoreError, StoreResult};

/// A message's stored state: what sidebars see, plus its lease and what
/// happened to its credits.
#[derive(Clone)]
pub(crate) struct MessageState {
    /// As sidebars see it.
    pub view: MessageView,
    /// The host connection holding it.
    pub lease_owner: Option<String>,
    /// When that lease lapses (Unix ms).
    pub lease_until: Option<i64>,
    /// `reserved`, `committed`, `released`, `charged` or `unpaid`.
    pub credits: String,
}

/// What the database says about a batch of reports.
#[derive(Default)]
pub(crate) struct ReportFacts {
    /// The first feed position reserved for each account's reports.
    pub seq_start: HashMap<Uuid, i64>,
    /// The messages reported on, with their account.
    pub messages: HashMap<Uuid, (Uuid, MessageState)>,
    /// WhatsApp ids the batch reports that some message already has.
    pub taken_wa_ids: HashSet<(Uuid, String)>,
}

/// The distinct things a batch of reports refers to.
pub(crate) struct ReportNeeds {
    /// Accounts with how many reports each, sorted by id (the lock order).
    pub accounts: Vec<(AccountRef, i64)>,
    /// Messages reported on.
    pub message_ids: Vec<Uuid>,
    /// WhatsApp ids reported with `sent`.
    pub wa_ids: Vec<String>,
}

/// The hosts to offer more messages after a batch: per account whose
/// reports freed a place (a message sent or failed), the last offer made,
/// and the index of its last report (which carries what gets leased).
pub(crate) fn offers(
    reports: &[Report],
    writes: &ReportWrites,
) -> Vec<(AccountRef, LeaseOffer, usize)> {
    let freed: HashSet<Uuid> = writes
        .committed
        .iter()
        .copied()
        .chain(writes.released.iter().map(|(_, id)| *id))
        .collect();
    let mut offers: Vec<(AccountRef, LeaseOffer, usize)> = Vec::new();
    for (index, report) in reports.iter().enumerate() {
        let Some(offer) = &report.lease else { continue };
        if writes
            .results
            .get(index)
            .is_none_or(|result| result.is_err())
        {
            continue;
        }
        match offers
            .iter_mut()
            .find(|(account, _, _)| *account == report.account)
        {
            Some(entry) => *entry = (report.account, offer.clone(), index),
            None => offers.push((report.account, offer.clone(), index)),
        }
    }
    offers.retain(|(account, _, _)| {
        reports
            .iter()
            .any(|report| report.account == *account && freed.contains(&report.message_id))
    });
    offers.sort_by_key(|(account, _, _)| account.id());
    offers
}

/// What a batch of reports refers to.
pub(crate) fn needs(reports: &[Report]) -> ReportNeeds {
    let mut accounts: HashMap<AccountRef, i64> = HashMap::new();
    let mut message_ids = BTreeSet::new();
    let mut wa_ids = BTreeSet::new();
    for report in reports {
        *accounts.entry(report.account).or_default() += 1;
        message_ids.insert(report.message_id);
        if let DeliveryReport::Sent { wa_id: Some(wa_id) } = &report.report {
            wa_ids.insert(wa_id.clone());
        }
    }
    let mut accounts: Vec<_> = accounts.into_iter().collect();
    accounts.sort_by_key(|(account, _)| account.id());
    ReportNeeds {
        accounts,
        message_ids: message_ids.into_iter().collect(),
        wa_ids: wa_ids.into_iter().collect(),
    }
}

/// What the backend writes, and each report's result.
pub(crate) struct ReportWrites {
    /// One per report, in order.
    pub results: Vec<StoreResult<Applied>>,
    /// The new state of every message that changed.
    pub states: Vec<MessageState>,
    /// Messages whose reservation is settled: `sent` commits it.
    pub committed: Vec<Uuid>,
    /// Messages whose reservation goes back to its grants: `failed`.
    pub released: Vec<(AccountRef, Uuid)>,
}

fn delivery_rank(status: MessageStatus) -> u8 {
    match status {
        MessageStatus::Sent => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
        _ => 0,
    }
}

/// Decides each report in order. Reports are idempotent: a repeated or late
/// one changes nothing; `sent` is accepted after the lease lapsed or the
/// message went back to the queue (the host did send it), and its WhatsApp
/// id is kept only if no other message has it.
pub(crate) fn plan(
    reports: &[Report],
    mut facts: ReportFacts,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> ReportWrites {
    let now = time(millis(now));
    let mut next_seq = facts.seq_start.clone();
    let mut changed: Vec<Uuid> = Vec::new();
    let mut committed = Vec::new();
    let mut released = Vec::new();
    let mut results = Vec::with_capacity(reports.len());
    for report in reports {
        let account = report.account;
        let seq = next_seq.entry(account.id()).or_insert(1);
        let this_seq = *seq;
        *seq += 1;
        let Some((owner, state)) = facts.messages.get_mut(&report.message_id) else {
            results.push(Err(StoreError::NotFound));
            continue;
        };
        if *owner != account.id() {
            results.push(Err(StoreError::NotFound));
            continue;
        }
        let before = (state.view.status, state.view.wa_id.clone());
        let status = state.view.status;
        let pending = matches!(status, MessageStatus::Queued | MessageStatus::Sending);
        let mut touched = true;
        match &report.report {
            DeliveryReport::Sending if status == MessageStatus::Sending => {
                state.lease_until = Some(millis(lease_until));
            }
            DeliveryReport::Sent { wa_id } if pending || status.is_sent() => {
                if let (Some(wa_id), None) = (wa_id, &state.view.wa_id) {
                    if facts.taken_wa_ids.insert((account.id(), wa_id.clone())) {
                        state.view.wa_id = Some(wa_id.clone());
                    }
                }
                if pending {
                    state.view.status = MessageStatus::Sent;
                    committed.push(report.message_id);
                }
                state.lease_owner = None;
                state.lease_until = None;
                state.credits = "committed".into();
                state.view.seq = this_seq;
                state.view.updated_at = now;
            }
            DeliveryReport::Delivered | DeliveryReport::Read => {
                let reported = if matches!(report.report, DeliveryReport::Read) {
                    MessageStatus::Read
                } else {
                    MessageStatus::Delivered
                };
                if status.is_sent() && delivery_rank(reported) > delivery_rank(status) {
                    state.view.status = reported;
                    state.view.seq = this_seq;
                    state.view.updated_at = now;
                } else {
                    touched = false;
                }
            }
            DeliveryReport::Failed { reason } if pending => {
                state.view.status = MessageStatus::Failed;
                state.view.failure_reason = Some(reason.clone());
                state.lease_owner = None;
                state.lease_until = None;
                state.credits = "released".into();
                state.view.seq = this_seq;
                state.view.updated_at = now;
                released.push((account, report.message_id));
            }
            _ => touched = false,
        }
        if touched && !changed.contains(&report.message_id) {
            changed.push(report.message_id);
        }
        let differs = (state.view.status, state.view.wa_id.clone()) != before;
        results.push(Ok(Applied {
            message: state.view.clone(),
            changed: differs,
            leased: Vec::new(),
        }));
    }
    let states = changed
        .iter()
        .filter_map(|id| facts.messages.get(id).map(|(_, state)| state.clone()))
        .collect();
    ReportWrites {
        results,
        states,
        committed,
        released,
    }
}

/// Defines, for one backend, `write_states(tx, states)` (every changed
/// message's new state in one `UPDATE`), `apply_report_batch(tx, reports,
/// now, lease_until)` (the reads, the [`plan`], and the writes) and
/// `lease_next_in(tx, ...)` (the account's next queued messages leased in
/// four statements, however many). The caller holds the account's lock.
macro_rules! define_apply_reports {
    ($db:ty) => {
        /// Writes the given states, one statement for them all.
        async fn write_states(
            tx: &mut sqlx::Transaction<'static, $db>,
            states: &[$crate::store::report_batch::MessageState],
        ) -> $crate::store::StoreResult<()> {
            use sqlx::QueryBuilder;
            if states.is_empty() {
                return Ok(());
            }
            let mut query = QueryBuilder::<$db>::new("UPDATE messages SET ");
            let columns: [(&str, fn(&$crate::store::report_batch::MessageState, &mut QueryBuilder<'static, $db>)); 8] = [
                ("status", |s, q| { q.push_bind(s.view.status.as_str()); }),
                ("wa_id", |s, q| { q.push_bind(s.view.wa_id.clone()); }),
                ("failure_reason", |s, q| { q.push_bind(s.view.failure_reason.clone()); }),
                ("lease_owner", |s, q| { q.push_bind(s.lease_owner.clone()); }),
                ("lease_until", |s, q| { q.push_bind(s.lease_until); }),
                ("credits", |s, q| { q.push_bind(s.credits.clone()); }),
                ("seq", |s, q| { q.push_bind(s.view.seq); }),
                ("updated_at", |s, q| { q.push_bind($crate::store::rows::millis(s.view.updated_at)); }),
            ];
            for (index, (column, bind)) in columns.iter().enumerate() {
                if index > 0 {
                    query.push(", ");
                }
                query.push(*column).push(" = CASE id");
                for state in states {
                    query.push(" WHEN ").push_bind(state.view.id).push(" THEN ");
                    bind(state, &mut query);
                }
                query.push(" END");
            }
            query.push(" WHERE id IN (");
            let mut ids = query.separated(", ");
            for state in states {
                ids.push_bind(state.view.id);
            }
            query.push(")");
            query.build().execute(&mut **tx).await?;
            Ok(())
        }

        /// Applies a batch of reports in one transaction, in a fixed number
        /// of statements.
        async fn apply_report_batch(
            tx: &mut sqlx::Transaction<'static, $db>,
            reports: Vec<$crate::store::Report>,
            now: chrono::DateTime<chrono::Utc>,
            lease_until: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::StoreResult<Vec<$crate::store::StoreResult<$crate::store::Applied>>> {
            use std::collections::HashMap;

            use chorus_shared::queue::{LedgerKind, MessageView};
            use sqlx::QueryBuilder;
            use uuid::Uuid;

            use $crate::store::report_batch::{needs, offers, plan, MessageState, ReportFacts};
            use $crate::store::rows::{millis, StateRow, MESSAGE_SELECT};

            if reports.is_empty() {
                return Ok(Vec::new());
            }
            let needs = needs(&reports);
            let mut facts = ReportFacts::default();
            let at = millis(now);

            let mut query = QueryBuilder::<$db>::new("INSERT INTO accounts (id, kind, change_seq) ");
            query.push_values(&needs.accounts, |mut row, (account, reports)| {
                row.push_bind(account.id())
                    .push_bind(account.kind())
                    .push_bind(*reports);
            });
            query.push(
                " ON CONFLICT (id) DO UPDATE SET change_seq = accounts.change_seq + excluded.change_seq \
                 RETURNING id, change_seq",
            );
            let ends: Vec<(Uuid, i64)> = query.build_query_as().fetch_all(&mut **tx).await?;
            for (id, end) in ends {
                let count = needs
                    .accounts
                    .iter()
                    .find(|(account, _)| account.id() == id)
                    .map_or(0, |(_, count)| *count);
                facts.seq_start.insert(id, end - count + 1);
            }

            let mut query = QueryBuilder::<$db>::new(MESSAGE_SELECT.replacen(
                " FROM messages m",
                ", m.lease_owner, m.lease_until, m.credits FROM messages m",
                1,
            ));
            query.push(" WHERE m.id IN (");
            let mut ids = query.separated(", ");
            for id in &needs.message_ids {
                ids.push_bind(*id);
            }
            query.push(")");
            let rows: Vec<StateRow> = query.build_query_as().fetch_all(&mut **tx).await?;
            for row in rows {
                let account = row.message.account_id;
                let state = MessageState {
                    lease_owner: row.lease_owner,
                    lease_until: row.lease_until,
                    credits: row.credits,
                    view: MessageView::from(row.message),
                };
                facts.messages.insert(state.view.id, (account, state));
            }

            if !needs.wa_ids.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT account_id, wa_id FROM messages WHERE wa_id IN (",
                );
                let mut ids = query.separated(", ");
                for wa_id in &needs.wa_ids {
                    ids.push_bind(wa_id.clone());
                }
                query.push(")");
                let taken: Vec<(Uuid, String)> = query.build_query_as().fetch_all(&mut **tx).await?;
                facts.taken_wa_ids.extend(taken);
            }

            let mut writes = plan(&reports, facts, now, lease_until);
            write_states(tx, &writes.states).await?;

            let settled: Vec<Uuid> = writes
                .committed
                .iter()
                .copied()
                .chain(writes.released.iter().map(|(_, id)| *id))
                .collect();
            if !writes.released.is_empty() {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT message_id, grant_id, amount FROM credit_holds WHERE message_id IN (",
                );
                let mut ids = query.separated(", ");
                for (_, id) in &writes.released {
                    ids.push_bind(*id);
                }
                query.push(")");
                let holds: Vec<(Uuid, Uuid, i64)> =
                    query.build_query_as().fetch_all(&mut **tx).await?;
                let mut returned: HashMap<Uuid, i64> = HashMap::new();
                let mut per_message: HashMap<Uuid, i64> = HashMap::new();
                for (message, grant, amount) in &holds {
                    *returned.entry(*grant).or_default() += amount;
                    *per_message.entry(*message).or_default() += amount;
                }
                for (grant, amount) in returned {
                    let mut query = QueryBuilder::<$db>::new(
                        "UPDATE credit_grants SET remaining = remaining + ",
                    );
                    query.push_bind(amount).push(" WHERE id = ").push_bind(grant);
                    query.build().execute(&mut **tx).await?;
                }
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO ledger (account_id, kind, delta, message_id, grant_id, at) ",
                );
                query.push_values(&writes.released, |mut row, (account, message)| {
                    row.push_bind(account.id())
                        .push_bind(LedgerKind::Release.as_str())
                        .push_bind(per_message.get(message).copied().unwrap_or(0))
                        .push_bind(*message)
                        .push_bind(None::<Uuid>)
                        .push_bind(at);
                });
                query.build().execute(&mut **tx).await?;
            }
            if !settled.is_empty() {
                let mut query =
                    QueryBuilder::<$db>::new("DELETE FROM credit_holds WHERE message_id IN (");
                let mut ids = query.separated(", ");
                for id in settled {
                    ids.push_bind(id);
                }
                query.push(")");
                query.build().execute(&mut **tx).await?;
            }
            for (account, offer, index) in offers(&reports, &writes) {
                let leased =
                    lease_next_in(tx, account, &offer.owner, now, offer.until, offer.window).await?;
                if let Some(Ok(applied)) = writes.results.get_mut(index) {
                    applied.leased = leased;
                }
            }
            Ok(writes.results)
        }

        /// Leases the account's next queued messages to `owner`, in queue
        /// order, so that at most `window` are under lease.
        async fn lease_next_in(
            tx: &mut sqlx::Transaction<'static, $db>,
            account: $crate::store::AccountRef,
            owner: &str,
            now: chrono::DateTime<chrono::Utc>,
            lease_until: chrono::DateTime<chrono::Utc>,
            window: i64,
        ) -> $crate::store::StoreResult<Vec<chorus_shared::queue::MessageView>> {
            use chorus_shared::message::MessageStatus;
            use chorus_shared::queue::MessageView;
            use sqlx::QueryBuilder;

            use $crate::store::report_batch::MessageState;
            use $crate::store::rows::{millis, time, MessageRow, MESSAGE_SELECT};

            let mut query = QueryBuilder::<$db>::new(
                "SELECT COUNT(*) FROM messages WHERE status = 'sending' AND account_id = ",
            );
            query.push_bind(account.id());
            let (in_flight,): (i64,) = query.build_query_as().fetch_one(&mut **tx).await?;
            let room = window - in_flight;
            if room <= 0 {
                return Ok(Vec::new());
            }
            let mut query = QueryBuilder::<$db>::new(MESSAGE_SELECT);
            query
                .push(" WHERE m.status = 'queued' AND m.account_id = ")
                .push_bind(account.id())
                .push(" ORDER BY m.queue_pos LIMIT ")
                .push_bind(room);
            let next: Vec<MessageRow> = query.build_query_as().fetch_all(&mut **tx).await?;
            if next.is_empty() {
                return Ok(Vec::new());
            }
            let mut query = QueryBuilder::<$db>::new("UPDATE accounts SET change_seq = change_seq + ");
            query
                .push_bind(next.len() as i64)
                .push(" WHERE id = ")
                .push_bind(account.id())
                .push(" RETURNING change_seq");
            let (end,): (i64,) = query.build_query_as().fetch_one(&mut **tx).await?;
            let first = end - next.len() as i64 + 1;
            let updated_at = time(millis(now));
            let states: Vec<MessageState> = next
                .into_iter()
                .zip(first..)
                .map(|(row, seq)| {
                    let mut view = MessageView::from(row);
                    view.status = MessageStatus::Sending;
                    view.seq = seq;
                    view.updated_at = updated_at;
                    MessageState {
                        view,
                        lease_owner: Some(owner.to_owned()),
                        lease_until: Some(millis(lease_until)),
                        credits: "reserved".into(),
                    }
                })
                .collect();
            write_states(tx, &states).await?;
            Ok(states.into_iter().map(|state| state.view).collect())
        }
    };
}
pub(crate) use define_apply_reports;
