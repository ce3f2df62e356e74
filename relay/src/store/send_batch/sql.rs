//! The SQL of a send batch, the same on both databases: the reads that
//! fill [`super::BatchFacts`] and the writes of [`super::BatchWrites`].

/// Defines `queue_batch(tx, batch, now)` for one backend: the reads that
/// fill [`super::BatchFacts`], the [`super::plan`], and the bulk writes. The SQL is the same
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
                    let kind = if $crate::whatsapp::is_group(&target.wa_id) { "group" } else { "person" };
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
