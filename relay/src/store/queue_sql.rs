//! [`super::QueueStore`] (the queue, credits and files) in SQL that reads
//! the same on SQLite and PostgreSQL but for placeholders: it is written once
//! with `?` and instantiated per backend by [`define_queue_store`], which
//! numbers the placeholders for PostgreSQL.

use std::borrow::Cow;

/// SQLite's placeholders are `?`, as written.
pub(crate) fn question_marks(sql: &str) -> Cow<'_, str> {
    Cow::Borrowed(sql)
}

/// PostgreSQL's placeholders are `$1`, `$2`, ...; the SQL here has no `?`
/// anywhere else (no string literals or operators with one).
pub(crate) fn numbered(sql: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Implements [`super::QueueStore`] for `$store` on `$db`, writing through
/// `self.$write`, reading through `self.$read`, with `$q` turning the SQL's
/// `?` into the backend's placeholders. The backend module defines
/// `lock_account(tx, account)`, which serialises an account's writes where
/// the database does not already.
macro_rules! define_queue_store {
    ($store:ty, $db:ty, $write:ident, $read:ident, $q:path) => {
        use async_trait::async_trait;
        use chorus_shared::message::MessageStatus;
        use chorus_shared::protocol::IncomingMessage;
        use chorus_shared::queue::{
            CreditGrant, CreditPlan, Credits, FileView, LedgerKind, MessageView,
        };
        use chrono::{DateTime, Utc};
        use sqlx::Transaction;
        use uuid::Uuid;

        use $crate::store::queue::{
            plan_draw, Applied, ChatTarget, MediaAttached, NewFile, NewOutgoing, QueueStore, Queued,
            Report,
        };
        use $crate::store::rows::{
            millis, FileRow, GrantRow, LedgerRow, MessageRow, MESSAGE_SELECT,
        };
        use $crate::store::{AccountRef, Conflict, StoreError, StoreResult};

        type Tx = Transaction<'static, $db>;

        async fn ensure_account(tx: &mut Tx, account: AccountRef) -> StoreResult<()> {
            sqlx::query(&$q("INSERT INTO accounts (id, kind) VALUES (?, ?) ON CONFLICT DO NOTHING"))
                .bind(account.id())
                .bind(account.kind())
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// The account's next change-feed position, creating
        /// the account on first use, in one statement.
        async fn next_seq(tx: &mut Tx, account: AccountRef) -> StoreResult<i64> {
            let seq = sqlx::query_scalar(
                &$q("INSERT INTO accounts (id, kind, change_seq) VALUES (?, ?, 1) \
                 ON CONFLICT (id) DO UPDATE SET change_seq = accounts.change_seq + 1 RETURNING change_seq")
            )
            .bind(account.id())
            .bind(account.kind())
            .fetch_one(&mut **tx)
            .await?;
            Ok(seq)
        }

        /// Records a file's row; `origin` is `library` or `incoming`.
        async fn insert_file(
            tx: &mut Tx,
            file: &NewFile,
            origin: &str,
            seq: i64,
            now: DateTime<Utc>,
        ) -> StoreResult<FileRow> {
            let row = sqlx::query_as(&$q(
                "INSERT INTO files (id, account_id, name, mime, kind, size, sha256, uploaded_by, \
                 created_at, seq, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 RETURNING id, name, mime, kind, size, created_at",
            ))
            .bind(file.id)
            .bind(file.account.id())
            .bind(&file.name)
            .bind(&file.mime)
            .bind(file.kind.as_str())
            .bind(file.size)
            .bind(&file.sha256)
            .bind(file.uploaded_by)
            .bind(millis(now))
            .bind(seq)
            .bind(origin)
            .fetch_one(&mut **tx)
            .await?;
            Ok(row)
        }

        async fn message_in(
            tx: &mut Tx,
            account: AccountRef,
            id: Uuid,
        ) -> StoreResult<Option<MessageView>> {
            let row: Option<MessageRow> = sqlx::query_as(&$q(&format!(
                "{MESSAGE_SELECT} WHERE m.account_id = ? AND m.id = ?"
            )))
            .bind(account.id())
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(row.map(MessageView::from))
        }

        /// Takes `amount` from unexpired grants, soonest expiry first; `Err(available)`
        /// (and nothing taken) when they hold less.
        async fn draw(
            tx: &mut Tx,
            account: AccountRef,
            amount: i64,
            now: DateTime<Utc>,
        ) -> StoreResult<Result<Vec<(Uuid, i64)>, i64>> {
            let grants: Vec<(Uuid, i64)> = sqlx::query_as(
                &$q("SELECT id, remaining FROM credit_grants \
                 WHERE account_id = ? AND remaining > 0 AND expires_at > ? ORDER BY expires_at, id")
            )
            .bind(account.id())
            .bind(millis(now))
            .fetch_all(&mut **tx)
            .await?;
            let Some(takes) = plan_draw(&grants, amount) else {
                return Ok(Err(grants.iter().map(|(_, remaining)| remaining).sum()));
            };
            for (grant, take) in &takes {
                sqlx::query(&$q("UPDATE credit_grants SET remaining = remaining - ? WHERE id = ?"))
                    .bind(take)
                    .bind(grant)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(Ok(takes))
        }

        async fn write_ledger(
            tx: &mut Tx,
            account: AccountRef,
            kind: LedgerKind,
            delta: i64,
            message_id: Option<Uuid>,
            grant_id: Option<Uuid>,
            now: DateTime<Utc>,
        ) -> StoreResult<()> {
            sqlx::query(
                &$q("INSERT INTO ledger (account_id, kind, delta, message_id, grant_id, at) \
                 VALUES (?, ?, ?, ?, ?, ?)")
            )
            .bind(account.id())
            .bind(kind.as_str())
            .bind(delta)
            .bind(message_id)
            .bind(grant_id)
            .bind(millis(now))
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// Returns a reservation to the grants it was drawn from.
        async fn release_hold(
            tx: &mut Tx,
            account: AccountRef,
            message: &MessageView,
            now: DateTime<Utc>,
        ) -> StoreResult<()> {
            let holds: Vec<(Uuid, i64)> =
                sqlx::query_as(&$q("SELECT grant_id, amount FROM credit_holds WHERE message_id = ?"))
                    .bind(message.id)
                    .fetch_all(&mut **tx)
                    .await?;
            for (grant, amount) in &holds {
                sqlx::query(&$q("UPDATE credit_grants SET remaining = remaining + ? WHERE id = ?"))
                    .bind(amount)
                    .bind(grant)
                    .execute(&mut **tx)
                    .await?;
            }
            sqlx::query(&$q("DELETE FROM credit_holds WHERE message_id = ?"))
                .bind(message.id)
                .execute(&mut **tx)
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
        async fn requeue(
            tx: &mut Tx,
            leased: Vec<(Uuid, Uuid, String)>,
            now: DateTime<Utc>,
        ) -> StoreResult<Vec<(AccountRef, MessageView)>> {
            let mut requeued = Vec::new();
            for (id, account_id, kind) in leased {
                let account = account_ref(account_id, &kind);
                let seq = next_seq(tx, account).await?;
                let moved = sqlx::query(
                    &$q("UPDATE messages SET status = 'queued', lease_owner = NULL, lease_until = NULL, \
                     seq = ?, updated_at = ? WHERE id = ? AND status = 'sending'")
                )
                .bind(seq)
                .bind(millis(now))
                .bind(id)
                .execute(&mut **tx)
                .await?
                .rows_affected();
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

        fn account_ref(id: Uuid, kind: &str) -> AccountRef {
            if kind == "organization" {
                AccountRef::Organization(id)
            } else {
                AccountRef::Personal(id)
            }
        }



        #[async_trait]
        impl QueueStore for $store {
            async fn queue_messages(
                &self,
                batch: Vec<NewOutgoing>,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<StoreResult<Queued>>> {
                let mut tx = self.$write.begin().await?;
                let results =
                    $crate::store::send_batch::queue_batch::<$db>(&mut tx, batch, now).await?;
                tx.commit().await?;
                Ok(results)
            }

            async fn message(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<MessageView>> {
                let row: Option<MessageRow> = sqlx::query_as(&$q(&format!(
                    "{MESSAGE_SELECT} WHERE m.account_id = ? AND m.id = ?"
                )))
                .bind(account.id())
                .bind(id)
                .fetch_optional(&self.$read)
                .await?;
                Ok(row.map(MessageView::from))
            }

            async fn changes_after(
                &self,
                account: AccountRef,
                after: i64,
                limit: i64,
            ) -> StoreResult<Vec<MessageView>> {
                let rows: Vec<MessageRow> = sqlx::query_as(&$q(&format!(
                    "{MESSAGE_SELECT} WHERE m.account_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?"
                )))
                .bind(account.id())
                .bind(after)
                .bind(limit)
                .fetch_all(&self.$read)
                .await?;
                Ok(rows.into_iter().map(MessageView::from).collect())
            }

            async fn feed_head(&self, account: AccountRef) -> StoreResult<i64> {
                let head: Option<i64> =
                    sqlx::query_scalar(&$q("SELECT change_seq FROM accounts WHERE id = ?"))
                        .bind(account.id())
                        .fetch_optional(&self.$read)
                        .await?;
                Ok(head.unwrap_or(0))
            }

            async fn cancel_message(
                &self,
                account: AccountRef,
                id: Uuid,
                now: DateTime<Utc>,
            ) -> StoreResult<MessageView> {
                let mut tx = self.$write.begin().await?;
                let seq = next_seq(&mut tx, account).await?;
                let message = message_in(&mut tx, account, id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                if message.status != MessageStatus::Queued {
                    return Err(StoreError::Conflict(Conflict::NotCancellable));
                }
                sqlx::query(
                    &$q("UPDATE messages SET status = 'cancelled', credits = 'released', seq = ?, updated_at = ? \
                     WHERE id = ?")
                )
                .bind(seq)
                .bind(millis(now))
                .bind(id)
                .execute(&mut *tx)
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
                let mut tx = self.$write.begin().await?;
                lock_account(&mut tx, account).await?;
                let leased = $crate::store::report_batch::lease_next_in::<$db>(
                    &mut tx, account, owner, now, lease_until, window,
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
                let mut tx = self.$write.begin().await?;
                let results = $crate::store::report_batch::apply_report_batch::<$db>(
                    &mut tx, reports, now, lease_until,
                )
                .await?;
                tx.commit().await?;
                Ok(results)
            }

            async fn release_leases(
                &self,
                owner: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<(AccountRef, MessageView)>> {
                let mut tx = self.$write.begin().await?;
                let leased: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
                    &$q("SELECT m.id, m.account_id, a.kind FROM messages m JOIN accounts a ON a.id = m.account_id \
                     WHERE m.lease_owner = ? ORDER BY m.account_id")
                )
                .bind(owner)
                .fetch_all(&mut *tx)
                .await?;
                let requeued = requeue(&mut tx, leased, now).await?;
                tx.commit().await?;
                Ok(requeued)
            }

            async fn expire_leases(
                &self,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<(AccountRef, MessageView)>> {
                let mut tx = self.$write.begin().await?;
                let leased: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
                    &$q("SELECT m.id, m.account_id, a.kind FROM messages m JOIN accounts a ON a.id = m.account_id \
                     WHERE m.lease_until IS NOT NULL AND m.lease_until < ? ORDER BY m.account_id")
                )
                .bind(millis(now))
                .fetch_all(&mut *tx)
                .await?;
                let requeued = requeue(&mut tx, leased, now).await?;
                tx.commit().await?;
                Ok(requeued)
            }

            async fn queue_counts(&self, account: AccountRef) -> StoreResult<(i64, i64)> {
                let rows: Vec<(String, i64)> = sqlx::query_as(&$q(
                    "SELECT status, COUNT(*) FROM messages \
                     WHERE account_id = ? AND status IN ('queued', 'sending') GROUP BY status",
                ))
                .bind(account.id())
                .fetch_all(&self.$read)
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
                let mut tx = self.$write.begin().await?;
                let seq = next_seq(&mut tx, account).await?;
                let stored: Option<Uuid> =
                    sqlx::query_scalar(&$q("SELECT id FROM messages WHERE account_id = ? AND wa_id = ?"))
                        .bind(account.id())
                        .bind(&incoming.wa_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(existing) = stored {
                    let message = message_in(&mut tx, account, existing)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    return Ok((message, true));
                }
                let chat =
                    $crate::store::chats::upsert_incoming_chat::<$db>(&mut tx, account, &chat, seq, now)
                        .await?;
                let cost = incoming.kind.cost();
                let paid = draw(&mut tx, account, cost, now).await?.is_ok();
                sqlx::query(
                    &$q("INSERT INTO messages (id, account_id, chat_id, direction, kind, text, status, wa_id, \
                     sender_wa_id, sender_name, media_name, media_size, wa_time, \
                     cost, credits, queue_pos, seq, created_at, updated_at) \
                     VALUES (?, ?, ?, 'incoming', ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                )
                .bind(id)
                .bind(account.id())
                .bind(chat)
                .bind(incoming.kind.as_str())
                .bind(&incoming.text)
                .bind(&incoming.wa_id)
                .bind(incoming.sender.as_ref().map(|sender| sender.wa_id.clone()))
                .bind(incoming.sender.as_ref().and_then(|sender| sender.name.clone()))
                .bind(incoming.media.as_ref().and_then(|media| media.name.clone()))
                .bind(incoming.media.as_ref().and_then(|media| media.size.clone()))
                .bind(incoming.wa_time.map(millis))
                .bind(cost)
                .bind(if paid { "charged" } else { "unpaid" })
                .bind(seq)
                .bind(seq)
                .bind(millis(now))
                .bind(millis(now))
                .execute(&mut *tx)
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
                let mut tx = self.$write.begin().await?;
                ensure_account(&mut tx, account).await?;
                let row: GrantRow = sqlx::query_as(
                    &$q("INSERT INTO credit_grants (id, account_id, plan, amount, remaining, created_at, expires_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, plan, amount, remaining, created_at, expires_at")
                )
                .bind(id)
                .bind(account.id())
                .bind(plan.as_str())
                .bind(amount)
                .bind(amount)
                .bind(millis(now))
                .bind(millis(expires_at))
                .fetch_one(&mut *tx)
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
                let grants: Vec<GrantRow> = sqlx::query_as(
                    &$q("SELECT id, plan, amount, remaining, created_at, expires_at FROM credit_grants \
                     WHERE account_id = ? AND expires_at > ? AND remaining > 0 ORDER BY expires_at, id")
                )
                .bind(account.id())
                .bind(millis(now))
                .fetch_all(&self.$read)
                .await?;
                let reserved: i64 = sqlx::query_scalar(
                    &$q("SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) FROM messages WHERE account_id = ? AND credits = 'reserved'")
                )
                .bind(account.id())
                .fetch_one(&self.$read)
                .await?;
                // The live balance pushes ask for no lines: skip the query.
                let ledger: Vec<LedgerRow> = if ledger_lines > 0 {
                    sqlx::query_as(
                        &$q("SELECT seq, kind, delta, message_id, at FROM ledger WHERE account_id = ? \
                         ORDER BY seq DESC LIMIT ?")
                    )
                    .bind(account.id())
                    .bind(ledger_lines)
                    .fetch_all(&self.$read)
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
                let mut tx = self.$write.begin().await?;
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
                let mut tx = self.$write.begin().await?;
                let found: Option<(String, String, Option<Uuid>)> = sqlx::query_as(&$q(
                    "SELECT direction, kind, attachment_id FROM messages WHERE account_id = ? AND id = ?",
                ))
                .bind(account.id())
                .bind(message_id)
                .fetch_optional(&mut *tx)
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
                sqlx::query(&$q(
                    "UPDATE messages SET attachment_id = ?, seq = ?, updated_at = ? WHERE id = ?",
                ))
                .bind(file.id)
                .bind(seq)
                .bind(millis(now))
                .bind(message_id)
                .execute(&mut *tx)
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
                let row: Option<FileRow> = sqlx::query_as(&$q(&format!(
                    "SELECT id, name, mime, kind, size, created_at FROM files \
                     WHERE id = ? AND account_id = ?{only_library}"
                )))
                .bind(id)
                .bind(account.id())
                .fetch_optional(&self.$read)
                .await?;
                Ok(row.map(FileView::from))
            }
        }
    };
}
pub(crate) use define_queue_store;

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered("UPDATE t SET a = ?, b = ? WHERE id = ?"),
            "UPDATE t SET a = $1, b = $2 WHERE id = $3"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
    }
}
