//! The teamwork stores ([`super::ChatStore`], [`super::ContactStore`],
//! [`super::LibraryStore`]) in SQL that reads the same on SQLite and PostgreSQL
//! (`QueryBuilder` writes each one's placeholders), so it is written once and
//! instantiated per backend by [`define_team_store`].

use chorus_shared::team::{ChangePage, FeedCursor};

/// Cuts four feeds at one cursor that misses nothing: a kind that returned
/// more than `limit` rows limits the cursor to its `limit`-th row; rows past
/// the cursor are left for the next page.
pub(crate) fn cut_feed(mut page: ChangePage, after: FeedCursor, limit: i64) -> ChangePage {
    let limit = limit.max(1) as usize;
    let chats: Vec<FeedCursor> = page.chats.iter().map(|c| key(c.seq, c.id)).collect();
    let comments: Vec<FeedCursor> = page.comments.iter().map(|c| key(c.seq, c.id)).collect();
    let contacts: Vec<FeedCursor> = page.contacts.iter().map(|c| key(c.seq, c.id)).collect();
    let files: Vec<FeedCursor> = page.files.iter().map(|f| key(f.seq, f.file.id)).collect();
    let kinds = [&chats, &comments, &contacts, &files];
    let more = kinds.iter().any(|keys| keys.len() > limit);
    let cursor = if more {
        kinds
            .iter()
            .filter(|keys| keys.len() > limit)
            .map(|keys| keys[limit - 1])
            .min()
            .unwrap_or(after)
    } else {
        kinds
            .iter()
            .filter_map(|keys| keys.last().copied())
            .max()
            .unwrap_or(after)
    };
    page.chats.retain(|c| key(c.seq, c.id) <= cursor);
    page.comments.retain(|c| key(c.seq, c.id) <= cursor);
    page.contacts.retain(|c| key(c.seq, c.id) <= cursor);
    page.files.retain(|f| key(f.seq, f.file.id) <= cursor);
    page.cursor = cursor.to_string();
    page.more = more;
    page
}

fn key(seq: i64, id: uuid::Uuid) -> FeedCursor {
    FeedCursor { seq, id }
}

/// `%text%` for `LIKE … ESCAPE '\'`, lower-cased.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The digits of a search, for matching numbers written any way.
pub(crate) fn digits_pattern(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("%{digits}%"))
}

/// A group's member names as stored (one a line); `None` when the host saw
/// none, so what was stored before stays.
pub(crate) fn participant_lines(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| names.join("\n"))
}

/// Bulk statements bind at most this many ids each (SQLite allows 32,766
/// parameters per statement).
pub(crate) const IDS_PER_STATEMENT: usize = 10_000;

/// Implements the three teamwork stores for `$store` on `$db`, writing through
/// `self.$write` and reading through `self.$read`.
macro_rules! define_team_store {
    ($store:ty, $db:ty, $write:ident, $read:ident) => {
        mod team_impl {
            use async_trait::async_trait;
            use chorus_shared::queue::MessageView;
            use chorus_shared::team::{
                ChangePage, ChatStatus, ChatView, CommentKind, CommentView, ContactView,
                FeedCursor, FileChange, GroupView, SeenGroup, TimelineItem,
            };
            use chrono::{DateTime, Utc};
            use sqlx::{QueryBuilder, Transaction};
            use uuid::Uuid;

            use $crate::store::rows::{millis, FileRow, MessageRow, MESSAGE_SELECT};
            use $crate::store::team::{
                AssignRule, AssigneeSelect, Assignment, ChatQuery, ChatStore, NewComment,
                SeenArrival,
            };
            use $crate::store::team_rows::{
                ChatRow, CommentRow, ContactRow, CHAT_SELECT, COMMENT_COLUMNS, CONTACT_COLUMNS,
            };
            use $crate::store::team_sql::{
                cut_feed, digits_pattern, like_pattern, participant_lines,
            };
            use $crate::store::{AccountRef, Conflict, StoreError, StoreResult};

            type Tx = Transaction<'static, $db>;
            type Conn = <$db as sqlx::Database>::Connection;

            /// Takes `n` feed positions (and, on PostgreSQL, the account's
            /// row lock); returns the first.
            async fn take_seqs(tx: &mut Tx, account: AccountRef, n: i64) -> StoreResult<i64> {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO accounts (id, kind, change_seq) VALUES (",
                );
                query
                    .push_bind(account.id())
                    .push(", ")
                    .push_bind(account.kind())
                    .push(", ")
                    .push_bind(n)
                    .push(
                        ") ON CONFLICT (id) DO UPDATE SET \
                         change_seq = accounts.change_seq + excluded.change_seq \
                         RETURNING change_seq",
                    );
                let (end,): (i64,) = query.build_query_as().fetch_one(&mut **tx).await?;
                Ok(end - n + 1)
            }

            async fn chat_by_id(
                conn: &mut Conn,
                account: AccountRef,
                id: Uuid,
            ) -> StoreResult<Option<ChatView>> {
                let mut query = QueryBuilder::<$db>::new(CHAT_SELECT);
                query
                    .push(" WHERE c.account_id = ")
                    .push_bind(account.id())
                    .push(" AND c.id = ")
                    .push_bind(id);
                let row: Option<ChatRow> =
                    query.build_query_as().fetch_optional(&mut *conn).await?;
                Ok(row.map(ChatView::from))
            }

            async fn comment_by_id(
                conn: &mut Conn,
                account: AccountRef,
                id: Uuid,
            ) -> StoreResult<Option<CommentView>> {
                let mut query =
                    QueryBuilder::<$db>::new(format!("SELECT {COMMENT_COLUMNS} FROM comments"));
                query
                    .push(" WHERE account_id = ")
                    .push_bind(account.id())
                    .push(" AND id = ")
                    .push_bind(id);
                let row: Option<CommentRow> =
                    query.build_query_as().fetch_optional(&mut *conn).await?;
                Ok(row.map(CommentView::from))
            }

            async fn insert_comment(
                tx: &mut Tx,
                account: AccountRef,
                comment: &NewComment,
                assignee: Option<Uuid>,
                seq: i64,
                now: DateTime<Utc>,
            ) -> StoreResult<CommentView> {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO comments (id, account_id, chat_id, author_id, kind, body, \
                     assignee_id, created_at, seq) ",
                );
                query.push_values([comment], |mut row, comment| {
                    row.push_bind(comment.id)
                        .push_bind(account.id())
                        .push_bind(comment.chat_id)
                        .push_bind(comment.author_id)
                        .push_bind(comment.kind.as_str())
                        .push_bind(comment.body.clone())
                        .push_bind(assignee)
                        .push_bind(millis(now))
                        .push_bind(seq);
                });
                query.push(format!(" RETURNING {COMMENT_COLUMNS}"));
                let row: CommentRow = query.build_query_as().fetch_one(&mut **tx).await?;
                Ok(row.into())
            }

            async fn chat_or_not_found(
                tx: &mut Tx,
                account: AccountRef,
                id: Uuid,
            ) -> StoreResult<ChatView> {
                chat_by_id(&mut **tx, account, id)
                    .await?
                    .ok_or(StoreError::NotFound)
            }

            $crate::store::team_sql::chats::impl_chat_store!($store, $db, $write, $read);

            #[derive(sqlx::FromRow)]
            struct FileChangeRow {
                #[sqlx(flatten)]
                file: FileRow,
                deleted_at: Option<i64>,
                seq: i64,
            }
        }
    };
}
pub(crate) use define_team_store;

/// Defines `upsert_incoming_chat(tx, account, target, seq, now)` for one
/// backend: the chat an incoming message lands in, found or created, with one
/// more unread message and reopened if it was resolved; and, for a person,
/// their contact (created, or brought back, as an incoming one).
macro_rules! define_incoming_chat {
    ($db:ty) => {
        async fn upsert_incoming_chat(
            tx: &mut sqlx::Transaction<'static, $db>,
            account: $crate::store::AccountRef,
            target: &$crate::store::ChatTarget,
            seq: i64,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::StoreResult<uuid::Uuid> {
            use sqlx::QueryBuilder;
            use uuid::Uuid;
            let at = $crate::store::rows::millis(now);
            let kind = if $crate::whatsapp::is_group(&target.wa_id) {
                "group"
            } else {
                "person"
            };
            let mut query = QueryBuilder::<$db>::new(
                "INSERT INTO chats (id, account_id, wa_id, phone, name, kind, created_at, \
                 last_activity_at, unread, seq) ",
            );
            query.push_values([target], |mut row, target| {
                row.push_bind(Uuid::now_v7())
                    .push_bind(account.id())
                    .push_bind(target.wa_id.clone())
                    .push_bind(target.phone.clone())
                    .push_bind(target.name.clone())
                    .push_bind(kind)
                    .push_bind(at)
                    .push_bind(at)
                    .push_bind(1_i64)
                    .push_bind(seq);
            });
            query.push(
                " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
                 last_activity_at = excluded.last_activity_at, \
                 name = COALESCE(excluded.name, chats.name), unread = chats.unread + 1, \
                 waiting_count = 0, waiting_preview = NULL, waiting_since = NULL, \
                 seq = CASE WHEN chats.status = 'resolved' THEN excluded.seq ELSE chats.seq END, \
                 status = 'open' RETURNING id",
            );
            let (id,): (Uuid,) = query.build_query_as().fetch_one(&mut **tx).await?;
            if let (Some(phone), "person") = (&target.phone, kind) {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO contacts (id, account_id, phone, name, source, created_at, \
                     last_active_at, seq) ",
                );
                query.push_values([target], |mut row, target| {
                    row.push_bind(Uuid::now_v7())
                        .push_bind(account.id())
                        .push_bind(phone.clone())
                        .push_bind(target.name.clone())
                        .push_bind("incoming")
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(seq);
                });
                query.push(
                    " ON CONFLICT (account_id, phone) DO UPDATE SET \
                     last_active_at = excluded.last_active_at, \
                     name = COALESCE(contacts.name, excluded.name), \
                     seq = CASE WHEN contacts.deleted_at IS NULL THEN contacts.seq ELSE excluded.seq END, \
                     deleted_at = NULL",
                );
                query.build().execute(&mut **tx).await?;
            }
            Ok(id)
        }
    };
}
pub(crate) use define_incoming_chat;

pub(crate) mod chats;
