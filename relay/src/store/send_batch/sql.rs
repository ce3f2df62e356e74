//! The SQL of a send batch, the same on both databases: the reads that fill
//! [`super::BatchFacts`], the [`super::plan`], and the bulk writes of
//! [`super::BatchWrites`], in a fixed number of statements however many sends
//! the batch holds. The feed-position upsert comes first and, on PostgreSQL,
//! takes the accounts' row locks in id order.

use std::collections::HashMap;

use chorus_shared::queue::{FileView, LedgerKind, MessageView};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{needs, plan, BatchFacts};
use crate::store::backend::{Args as _, Backend, Fetch as _};
use crate::store::rows::{millis, KeyedMessageRow, OwnedFileRow, MESSAGE_SELECT};
use crate::store::statement::Statement;
use crate::store::team_rows::{KeyedCommentRow, COMMENT_COLUMNS};
use crate::store::{NewOutgoing, Queued, StoreResult};

/// `(a = $1 AND b = $2 AND key = $3) OR (...)`: rows matching any of the
/// (account, author, idempotency key) triples, with column `prefix`.
fn push_keys<B: Backend>(
    statement: &mut Statement<B>,
    prefix: &str,
    keys: &[(Uuid, Uuid, String)],
) {
    for (i, (account, author, key)) in keys.iter().enumerate() {
        if i > 0 {
            statement.push(" OR ");
        }
        statement
            .push(&format!("({prefix}account_id = "))
            .arg(*account)
            .push(&format!(" AND {prefix}author_id = "))
            .arg(*author)
            .push(&format!(" AND {prefix}idempotency_key = "))
            .arg(key.as_str())
            .push(")");
    }
}

/// Queues a batch in one transaction, in a fixed number of statements. The
/// caller holds the transaction; it commits.
pub(crate) async fn queue_batch<B: Backend>(
    conn: &mut B::Connection,
    batch: Vec<NewOutgoing>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<StoreResult<Queued>>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let needs = needs(&batch);
    let mut facts = BatchFacts::default();
    let at = millis(now);

    let mut statement = Statement::<B>::new("INSERT INTO accounts (id, kind, change_seq) VALUES ");
    statement.rows(&needs.accounts, |(account, sends)| {
        vec![account.id().into(), account.kind().into(), (*sends).into()]
    });
    statement.push(
        " ON CONFLICT (id) DO UPDATE SET change_seq = accounts.change_seq + excluded.change_seq \
         RETURNING id, change_seq",
    );
    let ends: Vec<(Uuid, i64)> = statement.query().all(&mut *conn).await?;
    for (id, end) in ends {
        let sends = needs
            .accounts
            .iter()
            .find(|(account, _)| account.id() == id)
            .map_or(0, |(_, sends)| *sends);
        facts.seq_start.insert(id, end - sends + 1);
    }

    let mut statement = Statement::<B>::new(MESSAGE_SELECT.replacen(
        " FROM messages m",
        ", m.idempotency_key FROM messages m",
        1,
    ));
    statement.push(" WHERE m.idempotency_key IS NOT NULL AND (");
    push_keys(&mut statement, "m.", &needs.keys);
    statement.push(")");
    let earlier: Vec<KeyedMessageRow> = statement.query().all(&mut *conn).await?;
    for row in earlier {
        let key = row.key();
        facts.earlier.insert(key, MessageView::from(row.message));
    }

    let mut statement = Statement::<B>::new(format!(
        "SELECT {COMMENT_COLUMNS}, account_id, idempotency_key FROM comments \
         WHERE idempotency_key IS NOT NULL AND ("
    ));
    push_keys(&mut statement, "", &needs.keys);
    statement.push(")");
    let earlier: Vec<KeyedCommentRow> = statement.query().all(&mut *conn).await?;
    for row in earlier {
        let key = row.key();
        facts.earlier_comments.insert(key, row.comment.into());
    }

    let mut statement =
        Statement::<B>::new("SELECT id, account_id, wa_id, assignee_id FROM chats WHERE ");
    let mut first = true;
    for id in &needs.chat_ids {
        if !std::mem::take(&mut first) {
            statement.push(" OR ");
        }
        statement.push("id = ").arg(*id);
    }
    for (account, wa_id) in &needs.targets {
        if !std::mem::take(&mut first) {
            statement.push(" OR ");
        }
        statement
            .push("(account_id = ")
            .arg(*account)
            .push(" AND wa_id = ")
            .arg(wa_id.as_str())
            .push(")");
    }
    let chats: Vec<(Uuid, Uuid, String, Option<Uuid>)> = statement.query().all(&mut *conn).await?;
    for (id, account, wa_id, assignee) in chats {
        facts.chats_by_wa_id.insert((account, wa_id.clone()), id);
        facts.chats.insert(id, (account, wa_id, assignee));
    }

    if !needs.file_ids.is_empty() {
        let mut statement = Statement::<B>::new(
            "SELECT id, account_id, name, mime, kind, size, created_at FROM files \
             WHERE deleted_at IS NULL AND id IN (",
        );
        statement.list(needs.file_ids.iter().copied()).push(")");
        let files: Vec<OwnedFileRow> = statement.query().all(&mut *conn).await?;
        for row in files {
            let account = row.account_id;
            let file = FileView::from(row.file);
            facts.files.insert(file.id, (account, file));
        }
    }

    let mut statement = Statement::<B>::new(
        "SELECT account_id, id, remaining FROM credit_grants WHERE remaining > 0 AND expires_at > ",
    );
    statement
        .arg(at)
        .push(" AND account_id IN (")
        .list(needs.accounts.iter().map(|(account, _)| account.id()))
        .push(") ORDER BY expires_at, id");
    let grants: Vec<(Uuid, Uuid, i64)> = statement.query().all(&mut *conn).await?;
    for (account, grant, remaining) in grants {
        facts
            .grants
            .entry(account)
            .or_default()
            .push((grant, remaining));
    }

    if !needs.hosted.is_empty() {
        let mut statement = Statement::<B>::new(
            "SELECT a.id, \
             (SELECT COUNT(*) FROM messages m WHERE m.account_id = a.id AND m.status = 'sending'), \
             EXISTS (SELECT 1 FROM messages m WHERE m.account_id = a.id AND m.status = 'queued') \
             FROM accounts a WHERE a.id IN (",
        );
        statement.list(needs.hosted.iter().copied()).push(")");
        let hosts: Vec<(Uuid, i64, bool)> = statement.query().all(&mut *conn).await?;
        for (account, in_flight, queued) in hosts {
            facts.hosts.insert(account, (in_flight, queued));
        }
    }

    let mut writes = plan(batch, facts, now);
    if !writes.redirects.is_empty() {
        let mut statement = Statement::<B>::new(
            "INSERT INTO comments (id, account_id, chat_id, author_id, kind, body, \
             assignee_id, created_at, seq, idempotency_key) VALUES ",
        );
        statement.rows(&writes.redirects, |redirect| {
            let view = &redirect.view;
            vec![
                view.id.into(),
                redirect.account.id().into(),
                view.chat_id.into(),
                view.author_id.into(),
                view.kind.as_str().into(),
                view.body.clone().into(),
                view.assignee_id.into(),
                at.into(),
                view.seq.into(),
                redirect.idempotency_key.clone().into(),
            ]
        });
        statement.query().run(&mut *conn).await?;
    }
    if writes.rows.is_empty() {
        return Ok(writes.results());
    }

    let targets = writes.chat_targets();
    if !targets.is_empty() {
        let mut statement = Statement::<B>::new(
            "INSERT INTO chats (id, account_id, wa_id, phone, name, kind, created_at, \
             last_activity_at, seq) VALUES ",
        );
        statement.rows(targets, |(account, target, seq)| {
            let kind = if crate::whatsapp::is_group(&target.wa_id) {
                "group"
            } else {
                "person"
            };
            vec![
                Uuid::now_v7().into(),
                account.id().into(),
                target.wa_id.into(),
                target.phone.into(),
                target.name.into(),
                kind.into(),
                at.into(),
                at.into(),
                seq.into(),
            ]
        });
        statement.push(
            " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
             last_activity_at = excluded.last_activity_at, unread = 0, \
             name = COALESCE(excluded.name, chats.name) \
             RETURNING id, account_id, wa_id",
        );
        let chats: Vec<(Uuid, Uuid, String)> = statement.query().all(&mut *conn).await?;
        let ids: HashMap<(Uuid, String), Uuid> = chats
            .into_iter()
            .map(|(id, account, wa_id)| ((account, wa_id), id))
            .collect();
        writes.set_chat_ids(&ids)?;
    }
    let touched = writes.touched_chats();
    if !touched.is_empty() {
        let mut statement = Statement::<B>::new("UPDATE chats SET unread = 0, last_activity_at = ");
        statement
            .arg(at)
            .push(" WHERE id IN (")
            .list(touched)
            .push(")");
        statement.query().run(&mut *conn).await?;
    }

    let contacts = writes.contacts();
    if !contacts.is_empty() {
        let mut statement = Statement::<B>::new(
            "INSERT INTO contacts (id, account_id, phone, source, created_at, \
             last_active_at, seq) VALUES ",
        );
        statement.rows(contacts, |(account, phone, seq)| {
            vec![
                Uuid::now_v7().into(),
                account.id().into(),
                phone.into(),
                "outgoing".into(),
                at.into(),
                at.into(),
                seq.into(),
            ]
        });
        statement.push(
            " ON CONFLICT (account_id, phone) DO UPDATE SET \
             last_active_at = excluded.last_active_at, \
             seq = CASE WHEN contacts.deleted_at IS NULL THEN contacts.seq ELSE excluded.seq END, \
             deleted_at = NULL",
        );
        statement.query().run(&mut *conn).await?;
    }

    for (grant, take) in &writes.grant_takes {
        sqlx::query::<B>("UPDATE credit_grants SET remaining = remaining - $1 WHERE id = $2")
            .arg(*take)
            .arg(*grant)
            .run(&mut *conn)
            .await?;
    }

    let mut statement = Statement::<B>::new(
        "INSERT INTO messages (id, account_id, chat_id, direction, kind, text, attachment_id, \
         status, author_id, idempotency_key, cost, credits, queue_pos, seq, lease_owner, \
         lease_until, created_at, updated_at, campaign_id) VALUES ",
    );
    statement.rows(&writes.rows, |new| {
        let view = &new.view;
        vec![
            view.id.into(),
            new.account.id().into(),
            view.chat_id.into(),
            "outgoing".into(),
            view.kind.as_str().into(),
            view.text.clone().into(),
            view.attachment.as_ref().map(|file| file.id).into(),
            view.status.as_str().into(),
            view.author_id.into(),
            new.idempotency_key.clone().into(),
            view.cost.into(),
            "reserved".into(),
            view.seq.into(),
            view.seq.into(),
            new.lease.as_ref().map(|(owner, _)| owner.clone()).into(),
            new.lease.as_ref().map(|(_, until)| millis(*until)).into(),
            at.into(),
            at.into(),
            view.campaign_id.into(),
        ]
    });
    statement.query().run(&mut *conn).await?;

    let holds: Vec<(Uuid, Uuid, i64)> = writes
        .rows
        .iter()
        .flat_map(|row| {
            row.holds
                .iter()
                .map(|(grant, take)| (row.view.id, *grant, *take))
        })
        .collect();
    if !holds.is_empty() {
        let mut statement =
            Statement::<B>::new("INSERT INTO credit_holds (message_id, grant_id, amount) VALUES ");
        statement.rows(holds, |(message, grant, amount)| {
            vec![message.into(), grant.into(), amount.into()]
        });
        statement.query().run(&mut *conn).await?;
    }

    let mut statement = Statement::<B>::new(
        "INSERT INTO ledger (account_id, kind, delta, message_id, grant_id, at) VALUES ",
    );
    statement.rows(&writes.rows, |new| {
        vec![
            new.account.id().into(),
            LedgerKind::Reserve.as_str().into(),
            (-new.view.cost).into(),
            new.view.id.into(),
            None::<Uuid>.into(),
            at.into(),
        ]
    });
    statement.query().run(&mut *conn).await?;

    Ok(writes.results())
}
