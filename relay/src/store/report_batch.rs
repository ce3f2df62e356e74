//! Applying a batch of host reports in a fixed number of statements, the
//! same way [`super::send_batch`] queues sends: read the messages the batch
//! is about, decide every report in memory (in order, so `sending` then
//! `sent` for one message in one batch works), and write each changed
//! message's new state in one statement.

use std::collections::{BTreeSet, HashMap, HashSet};

use chorus_shared::message::MessageStatus;
use chorus_shared::protocol::DeliveryReport;
use chorus_shared::queue::{LedgerKind, MessageView};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::{Args as _, Backend, Fetch as _};
use super::queue::{Applied, LeaseOffer, Report};
use super::rows::{millis, time, MessageRow, StateRow, MESSAGE_SELECT};
use super::statement::{Arg, Statement};
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

/// Writes the given states, one statement for them all.
async fn write_states<B: Backend>(
    conn: &mut B::Connection,
    states: &[MessageState],
) -> StoreResult<()> {
    if states.is_empty() {
        return Ok(());
    }
    type Column = fn(&MessageState) -> Arg;
    let columns: [(&str, Column); 8] = [
        ("status", |s| s.view.status.as_str().into()),
        ("wa_id", |s| s.view.wa_id.clone().into()),
        ("failure_reason", |s| s.view.failure_reason.clone().into()),
        ("lease_owner", |s| s.lease_owner.clone().into()),
        ("lease_until", |s| s.lease_until.into()),
        ("credits", |s| s.credits.as_str().into()),
        ("seq", |s| s.view.seq.into()),
        ("updated_at", |s| millis(s.view.updated_at).into()),
    ];
    let mut statement = Statement::<B>::new("UPDATE messages SET ");
    for (index, (column, value)) in columns.iter().enumerate() {
        if index > 0 {
            statement.push(", ");
        }
        statement.push(column).push(" = CASE id");
        for state in states {
            statement
                .push(" WHEN ")
                .arg(state.view.id)
                .push(" THEN ")
                .arg(value(state));
        }
        statement.push(" END");
    }
    statement
        .push(" WHERE id IN (")
        .list(states.iter().map(|state| state.view.id))
        .push(")");
    statement.query().run(conn).await?;
    Ok(())
}

/// Applies a batch of reports in one transaction, in a fixed number of
/// statements. The caller holds the transaction; it commits.
pub(crate) async fn apply_report_batch<B: Backend>(
    conn: &mut B::Connection,
    reports: Vec<Report>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> StoreResult<Vec<StoreResult<Applied>>> {
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let needs = needs(&reports);
    let mut facts = ReportFacts::default();
    let at = millis(now);

    let mut statement = Statement::<B>::new("INSERT INTO accounts (id, kind, change_seq) VALUES ");
    statement.rows(&needs.accounts, |(account, reports)| {
        vec![
            account.id().into(),
            account.kind().into(),
            (*reports).into(),
        ]
    });
    statement.push(
        " ON CONFLICT (id) DO UPDATE SET change_seq = accounts.change_seq + excluded.change_seq \
         RETURNING id, change_seq",
    );
    let ends: Vec<(Uuid, i64)> = statement.query().all(&mut *conn).await?;
    for (id, end) in ends {
        let count = needs
            .accounts
            .iter()
            .find(|(account, _)| account.id() == id)
            .map_or(0, |(_, count)| *count);
        facts.seq_start.insert(id, end - count + 1);
    }

    let mut statement = Statement::<B>::new(MESSAGE_SELECT.replacen(
        " FROM messages m",
        ", m.lease_owner, m.lease_until, m.credits FROM messages m",
        1,
    ));
    statement
        .push(" WHERE m.id IN (")
        .list(needs.message_ids.iter().copied())
        .push(")");
    let rows: Vec<StateRow> = statement.query().all(&mut *conn).await?;
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
        let mut statement =
            Statement::<B>::new("SELECT account_id, wa_id FROM messages WHERE wa_id IN (");
        statement
            .list(needs.wa_ids.iter().map(String::as_str))
            .push(")");
        let taken: Vec<(Uuid, String)> = statement.query().all(&mut *conn).await?;
        facts.taken_wa_ids.extend(taken);
    }

    let mut writes = plan(&reports, facts, now, lease_until);
    write_states::<B>(&mut *conn, &writes.states).await?;

    let settled: Vec<Uuid> = writes
        .committed
        .iter()
        .copied()
        .chain(writes.released.iter().map(|(_, id)| *id))
        .collect();
    if !writes.released.is_empty() {
        let mut statement = Statement::<B>::new(
            "SELECT message_id, grant_id, amount FROM credit_holds WHERE message_id IN (",
        );
        statement
            .list(writes.released.iter().map(|(_, id)| *id))
            .push(")");
        let holds: Vec<(Uuid, Uuid, i64)> = statement.query().all(&mut *conn).await?;
        let mut returned: HashMap<Uuid, i64> = HashMap::new();
        let mut per_message: HashMap<Uuid, i64> = HashMap::new();
        for (message, grant, amount) in &holds {
            *returned.entry(*grant).or_default() += amount;
            *per_message.entry(*message).or_default() += amount;
        }
        for (grant, amount) in returned {
            sqlx::query::<B>("UPDATE credit_grants SET remaining = remaining + $1 WHERE id = $2")
                .arg(amount)
                .arg(grant)
                .run(&mut *conn)
                .await?;
        }
        let mut statement = Statement::<B>::new(
            "INSERT INTO ledger (account_id, kind, delta, message_id, grant_id, at) VALUES ",
        );
        statement.rows(&writes.released, |(account, message)| {
            vec![
                account.id().into(),
                LedgerKind::Release.as_str().into(),
                per_message.get(message).copied().unwrap_or(0).into(),
                (*message).into(),
                None::<Uuid>.into(),
                at.into(),
            ]
        });
        statement.query().run(&mut *conn).await?;
    }
    if !settled.is_empty() {
        let mut statement = Statement::<B>::new("DELETE FROM credit_holds WHERE message_id IN (");
        statement.list(settled).push(")");
        statement.query().run(&mut *conn).await?;
    }
    for (account, offer, index) in offers(&reports, &writes) {
        let leased = lease_next_in::<B>(
            &mut *conn,
            account,
            &offer.owner,
            now,
            offer.until,
            offer.window,
        )
        .await?;
        if let Some(Ok(applied)) = writes.results.get_mut(index) {
            applied.leased = leased;
        }
    }
    Ok(writes.results)
}

/// Leases the account's next queued messages to `owner`, in queue order, so
/// that at most `window` are under lease: four statements, however many.
/// The caller holds the account's lock.
pub(crate) async fn lease_next_in<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    window: i64,
) -> StoreResult<Vec<MessageView>> {
    let (in_flight,): (i64,) = sqlx::query::<B>(
        "SELECT COUNT(*) FROM messages WHERE status = 'sending' AND account_id = $1",
    )
    .arg(account.id())
    .one(&mut *conn)
    .await?;
    let room = window - in_flight;
    if room <= 0 {
        return Ok(Vec::new());
    }
    let sql =
        format!("{MESSAGE_SELECT} WHERE m.status = 'queued' AND m.account_id = $1 ORDER BY m.queue_pos LIMIT $2");
    let next: Vec<MessageRow> = sqlx::query::<B>(&sql)
        .arg(account.id())
        .arg(room)
        .all(&mut *conn)
        .await?;
    if next.is_empty() {
        return Ok(Vec::new());
    }
    let (end,): (i64,) = sqlx::query::<B>(
        "UPDATE accounts SET change_seq = change_seq + $1 WHERE id = $2 RETURNING change_seq",
    )
    .arg(next.len() as i64)
    .arg(account.id())
    .one(&mut *conn)
    .await?;
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
    write_states::<B>(conn, &states).await?;
    Ok(states.into_iter().map(|state| state.view).collect())
}
