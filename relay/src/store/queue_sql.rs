//! [`QueueStore`] (the queue, credits and files) for every [`Backend`],
//! written once. Within one account, writes are serialised
//! ([`Backend::lock_account`]: a row lock on PostgreSQL, taken first in
//! every write transaction; SQLite's single writer), so change-feed
//! positions commit in order and balances cannot race. Batches of sends and
//! host reports are [`super::send_batch`] and [`super::report_batch`].
//!
//! Over 500 lines because it is one trait's implementation, one method per
//! operation, with the credit and lease helpers its methods share above it.

use async_trait::async_trait;
use chorus_shared::message::MessageStatus;
use chorus_shared::protocol::IncomingMessage;
use chorus_shared::queue::{CreditGrant, CreditPlan, Credits, FileView, LedgerKind, MessageView};
use chrono::{DateTime, Utc};
use sqlx::Transaction;
use uuid::Uuid;

use crate::store::backend::{Args as _, Backend, Fetch as _, SqlStore};
use crate::store::queue::{
    plan_draw, Applied, ChatTarget, MediaAttached, NewFile, NewOutgoing, QueueStore, Queued, Report,
};
use crate::store::rows::{millis, FileRow, GrantRow, LedgerRow, MessageRow, MESSAGE_SELECT};
use crate::store::{AccountRef, Conflict, StoreError, StoreResult};

type Tx<B> = Transaction<'static, B>;

async fn ensure_account<B: Backend>(tx: &mut Tx<B>, account: AccountRef) -> StoreResult<()> {
    sqlx::query::<B>("INSERT INTO accounts (id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .arg(account.id())
        .arg(account.kind())
        .run(&mut **tx)
        .await?;
    Ok(())
}

/// The account's next change-feed position, creating
/// the account on first use, in one statement.
async fn next_seq<B: Backend>(tx: &mut Tx<B>, account: AccountRef) -> StoreResult<i64> {
    let (seq,): (i64,) = sqlx::query::<B>(
        "INSERT INTO accounts (id, kind, change_seq) VALUES ($1, $2, 1) \
         ON CONFLICT (id) DO UPDATE SET change_seq = accounts.change_seq + 1 RETURNING change_seq",
    )
    .arg(account.id())
    .arg(account.kind())
    .one(&mut **tx)
    .await?;
    Ok(seq)
}

/// Records a file's row; `origin` is `library` or `incoming`.
async fn insert_file<B: Backend>(
    tx: &mut Tx<B>,
    file: &NewFile,
    origin: &str,
    seq: i64,
    now: DateTime<Utc>,
) -> StoreResult<FileRow> {
    let row = sqlx::query::<B>(
        "INSERT INTO files (id, account_id, name, mime, kind, size, sha256, uploaded_by, \
         created_at, seq, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         RETURNING id, name, mime, kind, size, created_at",
    )
    .arg(file.id)
    .arg(file.account.id())
    .arg(file.name.as_str())
    .arg(file.mime.as_str())
    .arg(file.kind.as_str())
    .arg(file.size)
    .arg(file.sha256.as_slice())
    .arg(file.uploaded_by)
    .arg(millis(now))
    .arg(seq)
    .arg(origin)
    .one(&mut **tx)
    .await?;
    Ok(row)
}

async fn message_in<B: Backend>(
    tx: &mut Tx<B>,
    account: AccountRef,
    id: Uuid,
) -> StoreResult<Option<MessageView>> {
    let row: Option<MessageRow> = sqlx::query::<B>(&format!(
        "{MESSAGE_SELECT} WHERE m.account_id = $1 AND m.id = $2"
    ))
    .arg(account.id())
    .arg(id)
    .one_or_none(&mut **tx)
    .await?;
    Ok(row.map(MessageView::from))
}

/// Takes `amount` from unexpired grants, soonest expiry first; `Err(available)`
/// (and nothing taken) when they hold less.
async fn draw<B: Backend>(
    tx: &mut Tx<B>,
    account: AccountRef,
    amount: i64,
    now: DateTime<Utc>,
) -> StoreResult<Result<Vec<(Uuid, i64)>, i64>> {
    let grants: Vec<(Uuid, i64)> = sqlx::query::<B>(
        "SELECT id, remaining FROM credit_grants \
         WHERE account_id = $1 AND remaining > 0 AND expires_at > $2 ORDER BY expires_at, id",
    )
    .arg(account.id())
    .arg(millis(now))
    .all(&mut **tx)
    .await?;
    let Some(takes) = plan_draw(&grants, amount) else {
        return Ok(Err(grants.iter().map(|(_, remaining)| remaining).sum()));
    };
    for (grant, take) in &takes {
        sqlx::query::<B>("UPDATE credit_grants SET remaining = remaining - $1 WHERE id = $2")
            .arg(*take)
            .arg(*grant)
            .run(&mut **tx)
            .await?;
    }
    Ok(Ok(takes))
}

async fn write_ledger<B: Backend>(
    tx: &mut Tx<B>,
    account: AccountRef,
    kind: LedgerKind,
    delta: i64,
    message_id: Option<Uuid>,
    grant_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query::<B>(
        "INSERT INTO ledger (account_id, kind, delta, message_id, grant_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .arg(account.id())
    .arg(kind.as_str())
    .arg(delta)
    .arg(message_id)
    .arg(grant_id)
    .arg(millis(now))
    .run(&mut **tx)
    .await?;
    Ok(())
}

/// Returns a reservation to the grants it was drawn from.
async fn release_hold<B: Backend>(
    tx: &mut Tx<B>,
    account: AccountRef,
    message: &MessageView,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let holds: Vec<(Uuid, i64)> =
        sqlx::query::<B>("SELECT grant_id, amount FROM credit_holds WHERE message_id = $1")
            .arg(message.id)
            .all(&mut **tx)
            .await?;
    for (grant, amount) in &holds {
        sqlx::query::<B>("UPDATE credit_grants SET remaining = remaining + $1 WHERE id = $2")
            .arg(*amount)
            .arg(*grant)
            .run(&mut **tx)
            .await?;
    }
    sqlx::query::<B>("DELETE FROM credit_holds WHERE message_id = $1")
        .arg(message.id)
        .run(&mut **tx)
        .await?;
    let released: i64 = holds.iter().map(|(_, amount)| amount).sum();
    write_ledger(
        tx,
        account,
        LedgerKind::Release,
        released,
        Some(message.id),
        None,
        now,
    )
    .await
}

/// Moves messages out of a lease back to the queue.
async fn requeue<B: Backend>(
    tx: &mut Tx<B>,
    leased: Vec<(Uuid, Uuid, String)>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<(AccountRef, MessageView)>> {
    let mut requeued = Vec::new();
    for (id, account_id, kind) in leased {
        let account = AccountRef::from_kind(account_id, &kind);
        let seq = next_seq(tx, account).await?;
        let moved = sqlx::query::<B>(
            "UPDATE messages SET status = 'queued', lease_owner = NULL, lease_until = NULL, \
             seq = $1, updated_at = $2 WHERE id = $3 AND status = 'sending'",
        )
        .arg(seq)
        .arg(millis(now))
        .arg(id)
        .run(&mut **tx)
        .await?;
        if moved == 0 {
            // Reported sent or failed since it was selected.
            continue;
        }
        if let Some(message) = message_in(tx, account, id).await? {
            requeued.push((account, message));
        }
    }
    Ok(requeued)
}

#[async_trait]
impl<B: Backend> QueueStore for SqlStore<B> {
    async fn queue_messages(
        &self,
        batch: Vec<NewOutgoing>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<Queued>>> {
        let mut tx = self.write.begin().await?;
        let results = crate::store::send_batch::queue_batch::<B>(&mut tx, batch, now).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn message(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<MessageView>> {
        let row: Option<MessageRow> = sqlx::query::<B>(&format!(
            "{MESSAGE_SELECT} WHERE m.account_id = $1 AND m.id = $2"
        ))
        .arg(account.id())
        .arg(id)
        .one_or_none(&mut *self.read.acquire().await?)
        .await?;
        Ok(row.map(MessageView::from))
    }

    async fn changes_after(
        &self,
        account: AccountRef,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<MessageView>> {
        let rows: Vec<MessageRow> = sqlx::query::<B>(&format!(
            "{MESSAGE_SELECT} WHERE m.account_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
        ))
        .arg(account.id())
        .arg(after)
        .arg(limit)
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows.into_iter().map(MessageView::from).collect())
    }

    async fn feed_head(&self, account: AccountRef) -> StoreResult<i64> {
        let head: Option<(i64,)> =
            sqlx::query::<B>("SELECT change_seq FROM accounts WHERE id = $1")
                .arg(account.id())
                .one_or_none(&mut *self.read.acquire().await?)
                .await?;
        Ok(head.map_or(0, |(seq,)| seq))
    }

    async fn cancel_message(
        &self,
        account: AccountRef,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<MessageView> {
        let mut tx = self.write.begin().await?;
        let seq = next_seq(&mut tx, account).await?;
        let message = message_in(&mut tx, account, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if message.status != MessageStatus::Queued {
            return Err(StoreError::Conflict(Conflict::NotCancellable));
        }
        sqlx::query::<B>(
            "UPDATE messages SET status = 'cancelled', credits = 'released', seq = $1, updated_at = $2 \
             WHERE id = $3"
        )
        .arg(seq)
        .arg(millis(now))
        .arg(id)
        .run(&mut *tx)
        .await?;
        release_hold(&mut tx, account, &message, now).await?;
        let message = message_in(&mut tx, account, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(message)
    }

    async fn lease_next(
        &self,
        account: AccountRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        window: i64,
    ) -> StoreResult<Vec<MessageView>> {
        let mut tx = self.write.begin().await?;
        B::lock_account(&mut tx, account).await?;
        let leased = crate::store::report_batch::lease_next_in::<B>(
            &mut tx,
            account,
            owner,
            now,
            lease_until,
            window,
        )
        .await?;
        tx.commit().await?;
        Ok(leased)
    }

    async fn apply_reports(
        &self,
        reports: Vec<Report>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<Applied>>> {
        let mut tx = self.write.begin().await?;
        let results =
            crate::store::report_batch::apply_report_batch::<B>(&mut tx, reports, now, lease_until)
                .await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn release_leases(
        &self,
        owner: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(AccountRef, MessageView)>> {
        let mut tx = self.write.begin().await?;
        let leased: Vec<(Uuid, Uuid, String)> = sqlx::query::<B>(
            "SELECT m.id, m.account_id, a.kind FROM messages m JOIN accounts a ON a.id = m.account_id \
             WHERE m.lease_owner = $1 ORDER BY m.account_id"
        )
        .arg(owner)
        .all(&mut *tx)
        .await?;
        let requeued = requeue(&mut tx, leased, now).await?;
        tx.commit().await?;
        Ok(requeued)
    }

    async fn expire_leases(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(AccountRef, MessageView)>> {
        let mut tx = self.write.begin().await?;
        let leased: Vec<(Uuid, Uuid, String)> = sqlx::query::<B>(
            "SELECT m.id, m.account_id, a.kind FROM messages m JOIN accounts a ON a.id = m.account_id \
             WHERE m.lease_until IS NOT NULL AND m.lease_until < $1 ORDER BY m.account_id"
        )
        .arg(millis(now))
        .all(&mut *tx)
        .await?;
        let requeued = requeue(&mut tx, leased, now).await?;
        tx.commit().await?;
        Ok(requeued)
    }

    async fn queue_counts(&self, account: AccountRef) -> StoreResult<(i64, i64)> {
        let rows: Vec<(String, i64)> = sqlx::query::<B>(
            "SELECT status, COUNT(*) FROM messages \
             WHERE account_id = $1 AND status IN ('queued', 'sending') GROUP BY status",
        )
        .arg(account.id())
        .all(&mut *self.read.acquire().await?)
        .await?;
        let count = |status: &str| {
            rows.iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n)
        };
        Ok((count("queued"), count("sending")))
    }

    async fn record_incoming(
        &self,
        account: AccountRef,
        id: Uuid,
        incoming: &IncomingMessage,
        chat: ChatTarget,
        now: DateTime<Utc>,
    ) -> StoreResult<(MessageView, bool)> {
        let mut tx = self.write.begin().await?;
        let seq = next_seq(&mut tx, account).await?;
        let stored: Option<(Uuid,)> =
            sqlx::query::<B>("SELECT id FROM messages WHERE account_id = $1 AND wa_id = $2")
                .arg(account.id())
                .arg(incoming.wa_id.as_str())
                .one_or_none(&mut *tx)
                .await?;
        if let Some((existing,)) = stored {
            let message = message_in(&mut tx, account, existing)
                .await?
                .ok_or(StoreError::NotFound)?;
            return Ok((message, true));
        }
        let chat =
            crate::store::chats::upsert_incoming_chat::<B>(&mut tx, account, &chat, seq, now)
                .await?;
        let cost = incoming.kind.cost();
        let paid = draw(&mut tx, account, cost, now).await?.is_ok();
        sqlx::query::<B>(
            "INSERT INTO messages (id, account_id, chat_id, direction, kind, text, status, wa_id, \
             sender_wa_id, sender_name, media_name, media_size, wa_time, \
             cost, credits, queue_pos, seq, created_at, updated_at) \
             VALUES ($1, $2, $3, 'incoming', $4, $5, 'received', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )
        .arg(id)
        .arg(account.id())
        .arg(chat)
        .arg(incoming.kind.as_str())
        .arg(incoming.text.as_deref())
        .arg(incoming.wa_id.as_str())
        .arg(incoming.sender.as_ref().map(|sender| sender.wa_id.as_str()))
        .arg(incoming.sender.as_ref().and_then(|sender| sender.name.as_deref()))
        .arg(incoming.media.as_ref().and_then(|media| media.name.as_deref()))
        .arg(incoming.media.as_ref().and_then(|media| media.size.as_deref()))
        .arg(incoming.wa_time.map(millis))
        .arg(cost)
        .arg(if paid { "charged" } else { "unpaid" })
        .arg(seq)
        .arg(seq)
        .arg(millis(now))
        .arg(millis(now))
        .run(&mut *tx)
        .await?;
        if paid {
            write_ledger(
                &mut tx,
                account,
                LedgerKind::Charge,
                -cost,
                Some(id),
                None,
                now,
            )
            .await?;
        }
        let message = message_in(&mut tx, account, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok((message, false))
    }

    async fn grant_credits(
        &self,
        account: AccountRef,
        id: Uuid,
        plan: CreditPlan,
        amount: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<CreditGrant> {
        let mut tx = self.write.begin().await?;
        ensure_account(&mut tx, account).await?;
        let row: GrantRow = sqlx::query::<B>(
            "INSERT INTO credit_grants (id, account_id, plan, amount, remaining, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, plan, amount, remaining, created_at, expires_at"
        )
        .arg(id)
        .arg(account.id())
        .arg(plan.as_str())
        .arg(amount)
        .arg(amount)
        .arg(millis(now))
        .arg(millis(expires_at))
        .one(&mut *tx)
        .await?;
        write_ledger(
            &mut tx,
            account,
            LedgerKind::Grant,
            amount,
            None,
            Some(id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn credits(
        &self,
        account: AccountRef,
        now: DateTime<Utc>,
        ledger_lines: i64,
    ) -> StoreResult<Credits> {
        let grants: Vec<GrantRow> = sqlx::query::<B>(
            "SELECT id, plan, amount, remaining, created_at, expires_at FROM credit_grants \
             WHERE account_id = $1 AND expires_at > $2 AND remaining > 0 ORDER BY expires_at, id",
        )
        .arg(account.id())
        .arg(millis(now))
        .all(&mut *self.read.acquire().await?)
        .await?;
        let (reserved,): (i64,) = sqlx::query::<B>(
            "SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) FROM messages WHERE account_id = $1 AND credits = 'reserved'"
        )
        .arg(account.id())
        .one(&mut *self.read.acquire().await?)
        .await?;
        // The live balance pushes ask for no lines: skip the query.
        let ledger: Vec<LedgerRow> = if ledger_lines > 0 {
            sqlx::query::<B>(
                "SELECT seq, kind, delta, message_id, at FROM ledger WHERE account_id = $1 \
                 ORDER BY seq DESC LIMIT $2",
            )
            .arg(account.id())
            .arg(ledger_lines)
            .all(&mut *self.read.acquire().await?)
            .await?
        } else {
            Vec::new()
        };
        let grants: Vec<CreditGrant> = grants.into_iter().map(CreditGrant::from).collect();
        Ok(Credits {
            available: grants.iter().map(|g| g.remaining).sum(),
            reserved,
            grants,
            ledger: ledger.into_iter().map(Into::into).collect(),
        })
    }

    async fn create_file(&self, file: NewFile, now: DateTime<Utc>) -> StoreResult<FileView> {
        let mut tx = self.write.begin().await?;
        let seq = next_seq(&mut tx, file.account).await?;
        let row = insert_file(&mut tx, &file, "library", seq, now).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn attach_incoming_media(
        &self,
        file: NewFile,
        message_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<MediaAttached> {
        let account = file.account;
        let mut tx = self.write.begin().await?;
        let found: Option<(String, String, Option<Uuid>)> = sqlx::query::<B>(
            "SELECT direction, kind, attachment_id FROM messages WHERE account_id = $1 AND id = $2",
        )
        .arg(account.id())
        .arg(message_id)
        .one_or_none(&mut *tx)
        .await?;
        match found {
            None => return Ok(MediaAttached::NoMessage),
            Some((direction, kind, _)) if direction != "incoming" || kind == "text" => {
                return Ok(MediaAttached::NotAFile)
            }
            Some((_, _, Some(_))) => {
                let message = message_in(&mut tx, account, message_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                return Ok(MediaAttached::Already(message));
            }
            Some(_) => {}
        }
        let seq = next_seq(&mut tx, account).await?;
        insert_file(&mut tx, &file, "incoming", seq, now).await?;
        sqlx::query::<B>(
            "UPDATE messages SET attachment_id = $1, seq = $2, updated_at = $3 WHERE id = $4",
        )
        .arg(file.id)
        .arg(seq)
        .arg(millis(now))
        .arg(message_id)
        .run(&mut *tx)
        .await?;
        let message = message_in(&mut tx, account, message_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(MediaAttached::Attached(message))
    }

    async fn file(
        &self,
        account: AccountRef,
        id: Uuid,
        in_library: bool,
    ) -> StoreResult<Option<FileView>> {
        let only_library = if in_library {
            " AND deleted_at IS NULL"
        } else {
            ""
        };
        let row: Option<FileRow> = sqlx::query::<B>(&format!(
            "SELECT id, name, mime, kind, size, created_at FROM files \
             WHERE id = $1 AND account_id = $2{only_library}"
        ))
        .arg(id)
        .arg(account.id())
        .one_or_none(&mut *self.read.acquire().await?)
        .await?;
        Ok(row.map(FileView::from))
    }
}
