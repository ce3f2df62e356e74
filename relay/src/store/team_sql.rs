//! [`super::TeamStore`] in SQL that reads the same on SQLite and PostgreSQL
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

/// Bulk statements bind at most this many ids each (SQLite allows 32,766
/// parameters per statement).
pub(crate) const IDS_PER_STATEMENT: usize = 10_000;

/// Implements [`super::TeamStore`] for `$store` on `$db`, writing through
/// `self.$write` and reading through `self.$read`.
macro_rules! define_team_store {
    ($store:ty, $db:ty, $write:ident, $read:ident) => {
        mod team_impl {
            use std::collections::{BTreeMap, HashMap};

            use async_trait::async_trait;
            use chorus_shared::queue::{FileView, MessageView};
            use chorus_shared::team::{
                ChangePage, ChatStatus, ChatView, CommentKind, CommentView, ContactView,
                FeedCursor, FileChange, GroupView, SeenGroup, TimelineItem,
            };
            use chrono::{DateTime, Utc};
            use sqlx::{QueryBuilder, Transaction};
            use uuid::Uuid;

            use $crate::store::rows::{millis, FileRow, MessageRow, MESSAGE_SELECT};
            use $crate::store::team::{
                AssignRule, AssigneeSelect, Assignment, ChatQuery, ContactChange, ContactQuery,
                ContactRecord, NewComment, TeamStore,
            };
            use $crate::store::team_rows::{
                ChatRow, CommentRow, ContactRow, CHAT_SELECT, COMMENT_COLUMNS, CONTACT_COLUMNS,
            };
            use $crate::store::team_sql::{
                cut_feed, digits_pattern, like_pattern, IDS_PER_STATEMENT,
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

            /// Fills in the tags and attributes of `contacts`.
            async fn with_details(
                conn: &mut Conn,
                mut contacts: Vec<ContactView>,
            ) -> StoreResult<Vec<ContactView>> {
                if contacts.is_empty() {
                    return Ok(contacts);
                }
                let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
                let mut attributes: HashMap<Uuid, BTreeMap<String, String>> = HashMap::new();
                for chunk in contacts.chunks(IDS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<$db>::new(
                        "SELECT contact_id, tag FROM contact_tags WHERE contact_id IN (",
                    );
                    let mut ids = query.separated(", ");
                    for contact in chunk {
                        ids.push_bind(contact.id);
                    }
                    query.push(") ORDER BY tag");
                    let rows: Vec<(Uuid, String)> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    for (id, tag) in rows {
                        tags.entry(id).or_default().push(tag);
                    }
                    let mut query = QueryBuilder::<$db>::new(
                        "SELECT contact_id, key, value FROM contact_attributes WHERE contact_id IN (",
                    );
                    let mut ids = query.separated(", ");
                    for contact in chunk {
                        ids.push_bind(contact.id);
                    }
                    query.push(")");
                    let rows: Vec<(Uuid, String, String)> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    for (id, key, value) in rows {
                        attributes.entry(id).or_default().insert(key, value);
                    }
                }
                for contact in &mut contacts {
                    contact.tags = tags.remove(&contact.id).unwrap_or_default();
                    contact.attributes = attributes.remove(&contact.id).unwrap_or_default();
                }
                Ok(contacts)
            }

            async fn contact_by_id(
                conn: &mut Conn,
                account: AccountRef,
                id: Uuid,
            ) -> StoreResult<Option<ContactView>> {
                let mut query =
                    QueryBuilder::<$db>::new(format!("SELECT {CONTACT_COLUMNS} FROM contacts"));
                query
                    .push(" WHERE deleted_at IS NULL AND account_id = ")
                    .push_bind(account.id())
                    .push(" AND id = ")
                    .push_bind(id);
                let row: Option<ContactRow> =
                    query.build_query_as().fetch_optional(&mut *conn).await?;
                let Some(row) = row else { return Ok(None) };
                Ok(with_details(conn, vec![row.into()]).await?.pop())
            }

            async fn replace_tags(tx: &mut Tx, id: Uuid, tags: &[String]) -> StoreResult<()> {
                let mut query =
                    QueryBuilder::<$db>::new("DELETE FROM contact_tags WHERE contact_id = ");
                query.push_bind(id);
                query.build().execute(&mut **tx).await?;
                if !tags.is_empty() {
                    let mut query =
                        QueryBuilder::<$db>::new("INSERT INTO contact_tags (contact_id, tag) ");
                    query.push_values(tags, |mut row, tag| {
                        row.push_bind(id).push_bind(tag.clone());
                    });
                    query.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            async fn replace_attributes(
                tx: &mut Tx,
                id: Uuid,
                attributes: &BTreeMap<String, String>,
            ) -> StoreResult<()> {
                let mut query =
                    QueryBuilder::<$db>::new("DELETE FROM contact_attributes WHERE contact_id = ");
                query.push_bind(id);
                query.build().execute(&mut **tx).await?;
                if !attributes.is_empty() {
                    let mut query = QueryBuilder::<$db>::new(
                        "INSERT INTO contact_attributes (contact_id, key, value) ",
                    );
                    query.push_values(attributes, |mut row, (key, value)| {
                        row.push_bind(id).push_bind(key.clone()).push_bind(value.clone());
                    });
                    query.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Names a person's contact, creating it (or bringing it back).
            async fn name_contact(
                tx: &mut Tx,
                account: AccountRef,
                phone: &str,
                name: Option<String>,
                seq: i64,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO contacts (id, account_id, phone, name, source, created_at, seq) ",
                );
                query.push_values([()], |mut row, _| {
                    row.push_bind(Uuid::now_v7())
                        .push_bind(account.id())
                        .push_bind(phone.to_owned())
                        .push_bind(name.clone())
                        .push_bind("manual")
                        .push_bind(millis(now))
                        .push_bind(seq);
                });
                query.push(
                    " ON CONFLICT (account_id, phone) DO UPDATE SET name = excluded.name, \
                     deleted_at = NULL, seq = excluded.seq",
                );
                query.build().execute(&mut **tx).await?;
                Ok(())
            }

            fn push_contact_filters(
                query: &mut QueryBuilder<'static, $db>,
                account: AccountRef,
                filter: &ContactQuery,
            ) {
                query
                    .push(" WHERE ct.deleted_at IS NULL AND ct.account_id = ")
                    .push_bind(account.id());
                if let Some(tag) = &filter.tag {
                    query
                        .push(
                            " AND EXISTS (SELECT 1 FROM contact_tags t \
                             WHERE t.contact_id = ct.id AND t.tag = ",
                        )
                        .push_bind(tag.clone())
                        .push(")");
                }
                if let Some((key, value)) = &filter.attribute {
                    query
                        .push(
                            " AND EXISTS (SELECT 1 FROM contact_attributes x \
                             WHERE x.contact_id = ct.id AND x.key = ",
                        )
                        .push_bind(key.clone())
                        .push(" AND x.value = ")
                        .push_bind(value.clone())
                        .push(")");
                }
                if let Some(search) = &filter.search {
                    query
                        .push(" AND (LOWER(COALESCE(ct.name, '')) LIKE ")
                        .push_bind(like_pattern(search))
                        .push(" ESCAPE '\\'");
                    if let Some(digits) = digits_pattern(search) {
                        query.push(" OR ct.phone LIKE ").push_bind(digits);
                    }
                    query.push(")");
                }
            }

            const CONTACT_ORDER_KEY: &str = "LOWER(COALESCE(ct.name, ct.phone))";

            async fn chat_targets_exist(
                tx: &mut Tx,
                account: AccountRef,
                id: Uuid,
            ) -> StoreResult<ChatView> {
                chat_by_id(&mut **tx, account, id)
                    .await?
                    .ok_or(StoreError::NotFound)
            }

            #[async_trait]
            impl TeamStore for $store {
                async fn chats(
                    &self,
                    account: AccountRef,
                    filter: ChatQuery,
                ) -> StoreResult<Vec<ChatView>> {
                    let mut query = QueryBuilder::<$db>::new(CHAT_SELECT);
                    query
                        .push(
                            " WHERE (c.kind = 'person' OR c.added_at IS NOT NULL) \
                             AND c.account_id = ",
                        )
                        .push_bind(account.id());
                    match filter.assignee {
                        AssigneeSelect::Anyone => {}
                        AssigneeSelect::Unassigned => {
                            query.push(" AND c.assignee_id IS NULL");
                        }
                        AssigneeSelect::User(user) => {
                            query.push(" AND c.assignee_id = ").push_bind(user);
                        }
                    }
                    if let Some(status) = filter.status {
                        query.push(" AND c.status = ").push_bind(status.as_str());
                    }
                    if let Some(tag) = &filter.tag {
                        query
                            .push(
                                " AND EXISTS (SELECT 1 FROM contact_tags t \
                                 WHERE t.contact_id = ct.id AND t.tag = ",
                            )
                            .push_bind(tag.clone())
                            .push(")");
                    }
                    if let Some(search) = &filter.search {
                        query
                            .push(" AND (LOWER(COALESCE(ct.name, c.name, '')) LIKE ")
                            .push_bind(like_pattern(search))
                            .push(" ESCAPE '\\'");
                        if let Some(digits) = digits_pattern(search) {
                            query.push(" OR c.phone LIKE ").push_bind(digits);
                        }
                        query.push(")");
                    }
                    if let Some((at, id)) = filter.after {
                        query
                            .push(" AND (c.last_activity_at < ")
                            .push_bind(at)
                            .push(" OR (c.last_activity_at = ")
                            .push_bind(at)
                            .push(" AND c.id < ")
                            .push_bind(id)
                            .push("))");
                    }
                    query
                        .push(" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ")
                        .push_bind(filter.limit);
                    let rows: Vec<ChatRow> = query.build_query_as().fetch_all(&self.$read).await?;
                    Ok(rows.into_iter().map(ChatView::from).collect())
                }

                async fn chat(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                ) -> StoreResult<Option<ChatView>> {
                    let mut conn = self.$read.acquire().await?;
                    chat_by_id(&mut conn, account, id).await
                }

                async fn update_chat(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                    actor: Uuid,
                    status: Option<(ChatStatus, String)>,
                    name: Option<Option<String>>,
                    now: DateTime<Utc>,
                ) -> StoreResult<(ChatView, Option<CommentView>)> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 3).await?;
                    let chat = chat_targets_exist(&mut tx, account, id).await?;
                    let mut line = None;
                    if let Some((status, body)) = status.filter(|(s, _)| *s != chat.status) {
                        let mut query = QueryBuilder::<$db>::new("UPDATE chats SET status = ");
                        query
                            .push_bind(status.as_str())
                            .push(", seq = ")
                            .push_bind(seq + 2)
                            .push(" WHERE id = ")
                            .push_bind(id);
                        query.build().execute(&mut *tx).await?;
                        let comment = NewComment {
                            id: Uuid::now_v7(),
                            chat_id: id,
                            author_id: actor,
                            kind: CommentKind::Status,
                            body,
                        };
                        line = Some(insert_comment(&mut tx, account, &comment, None, seq, now).await?);
                    }
                    if let Some(name) = name {
                        match &chat.phone {
                            Some(phone) if chat.kind == chorus_shared::team::ChatKind::Person => {
                                name_contact(&mut tx, account, phone, name, seq + 1, now).await?;
                            }
                            _ => {
                                let mut query = QueryBuilder::<$db>::new("UPDATE chats SET name = ");
                                query.push_bind(name).push(" WHERE id = ").push_bind(id);
                                query.build().execute(&mut *tx).await?;
                            }
                        }
                        let mut query = QueryBuilder::<$db>::new("UPDATE chats SET seq = ");
                        query.push_bind(seq + 2).push(" WHERE id = ").push_bind(id);
                        query.build().execute(&mut *tx).await?;
                    }
                    let chat = chat_targets_exist(&mut tx, account, id).await?;
                    tx.commit().await?;
                    Ok((chat, line))
                }

                async fn mark_chat_read(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                    _now: DateTime<Utc>,
                ) -> StoreResult<ChatView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let chat = chat_targets_exist(&mut tx, account, id).await?;
                    if chat.unread == 0 {
                        return Ok(chat);
                    }
                    let mut query = QueryBuilder::<$db>::new("UPDATE chats SET unread = 0, seq = ");
                    query.push_bind(seq).push(" WHERE id = ").push_bind(id);
                    query.build().execute(&mut *tx).await?;
                    let chat = chat_targets_exist(&mut tx, account, id).await?;
                    tx.commit().await?;
                    Ok(chat)
                }

                async fn assign_chat(
                    &self,
                    account: AccountRef,
                    assignment: Assignment,
                    now: DateTime<Utc>,
                ) -> StoreResult<(ChatView, CommentView)> {
                    let Assignment {
                        chat_id: id,
                        actor,
                        assignee,
                        rule,
                        line,
                    } = assignment;
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 2).await?;
                    let chat = chat_targets_exist(&mut tx, account, id).await?;
                    if rule == AssignRule::TakeUnassigned && chat.assignee_id.is_some() {
                        return Err(StoreError::Conflict(Conflict::AlreadyAssigned));
                    }
                    let mut query = QueryBuilder::<$db>::new("UPDATE chats SET assignee_id = ");
                    query
                        .push_bind(assignee)
                        .push(", seq = ")
                        .push_bind(seq + 1)
                        .push(" WHERE id = ")
                        .push_bind(id);
                    query.build().execute(&mut *tx).await?;
                    let comment = NewComment {
                        id: Uuid::now_v7(),
                        chat_id: id,
                        author_id: actor,
                        kind: CommentKind::Assignment,
                        body: line,
                    };
                    let line = insert_comment(&mut tx, account, &comment, assignee, seq, now).await?;
                    let chat = chat_targets_exist(&mut tx, account, id).await?;
                    tx.commit().await?;
                    Ok((chat, line))
                }

                async fn add_comment(
                    &self,
                    account: AccountRef,
                    comment: NewComment,
                    now: DateTime<Utc>,
                ) -> StoreResult<CommentView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    chat_targets_exist(&mut tx, account, comment.chat_id).await?;
                    let comment = insert_comment(&mut tx, account, &comment, None, seq, now).await?;
                    tx.commit().await?;
                    Ok(comment)
                }

                async fn change_comment(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                    author: Uuid,
                    body: Option<String>,
                    now: DateTime<Utc>,
                ) -> StoreResult<CommentView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let comment = comment_by_id(&mut tx, account, id)
                        .await?
                        .filter(|comment| comment.deleted_at.is_none())
                        .ok_or(StoreError::NotFound)?;
                    if comment.author_id != Some(author) || comment.kind != CommentKind::Note {
                        return Err(StoreError::Conflict(Conflict::NotAuthor));
                    }
                    let mut query = QueryBuilder::<$db>::new("UPDATE comments SET ");
                    match body {
                        Some(body) => {
                            query
                                .push("body = ")
                                .push_bind(body)
                                .push(", edited_at = ")
                                .push_bind(millis(now));
                        }
                        None => {
                            query.push("body = '', deleted_at = ").push_bind(millis(now));
                        }
                    }
                    query.push(", seq = ").push_bind(seq).push(" WHERE id = ").push_bind(id);
                    query.build().execute(&mut *tx).await?;
                    let comment = comment_by_id(&mut tx, account, id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(comment)
                }

                async fn timeline(
                    &self,
                    account: AccountRef,
                    chat_id: Uuid,
                    before: Option<Uuid>,
                    limit: i64,
                ) -> StoreResult<Vec<TimelineItem>> {
                    let mut conn = self.$read.acquire().await?;
                    let mut query = QueryBuilder::<$db>::new(MESSAGE_SELECT);
                    query
                        .push(" WHERE m.account_id = ")
                        .push_bind(account.id())
                        .push(" AND m.chat_id = ")
                        .push_bind(chat_id);
                    if let Some(before) = before {
                        query.push(" AND m.id < ").push_bind(before);
                    }
                    query.push(" ORDER BY m.id DESC LIMIT ").push_bind(limit);
                    let messages: Vec<MessageRow> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    let mut query =
                        QueryBuilder::<$db>::new(format!("SELECT {COMMENT_COLUMNS} FROM comments"));
                    query
                        .push(" WHERE account_id = ")
                        .push_bind(account.id())
                        .push(" AND chat_id = ")
                        .push_bind(chat_id);
                    if let Some(before) = before {
                        query.push(" AND id < ").push_bind(before);
                    }
                    query.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
                    let comments: Vec<CommentRow> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    let mut items: Vec<(Uuid, TimelineItem)> = messages
                        .into_iter()
                        .map(|row| {
                            let message = MessageView::from(row);
                            (message.id, TimelineItem::Message { message })
                        })
                        .chain(comments.into_iter().map(|row| {
                            let comment = CommentView::from(row);
                            (comment.id, TimelineItem::Comment { comment })
                        }))
                        .collect();
                    items.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
                    items.truncate(limit.max(0) as usize);
                    items.reverse();
                    Ok(items.into_iter().map(|(_, item)| item).collect())
                }

                async fn add_contact(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                    record: ContactRecord,
                    now: DateTime<Utc>,
                ) -> StoreResult<ContactView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut query = QueryBuilder::<$db>::new(
                        "SELECT id, deleted_at FROM contacts WHERE account_id = ",
                    );
                    query
                        .push_bind(account.id())
                        .push(" AND phone = ")
                        .push_bind(record.phone.clone());
                    let existing: Option<(Uuid, Option<i64>)> =
                        query.build_query_as().fetch_optional(&mut *tx).await?;
                    let id = match existing {
                        Some((_, None)) => {
                            return Err(StoreError::Conflict(Conflict::ContactExists))
                        }
                        Some((old, Some(_))) => {
                            let mut query = QueryBuilder::<$db>::new("UPDATE contacts SET name = ");
                            query
                                .push_bind(record.name.clone())
                                .push(", source = ")
                                .push_bind(record.source.as_str())
                                .push(", deleted_at = NULL, created_at = ")
                                .push_bind(millis(now))
                                .push(", seq = ")
                                .push_bind(seq)
                                .push(" WHERE id = ")
                                .push_bind(old);
                            query.build().execute(&mut *tx).await?;
                            old
                        }
                        None => {
                            let mut query = QueryBuilder::<$db>::new(
                                "INSERT INTO contacts (id, account_id, phone, name, source, \
                                 created_at, seq) ",
                            );
                            query.push_values([&record], |mut row, record| {
                                row.push_bind(id)
                                    .push_bind(account.id())
                                    .push_bind(record.phone.clone())
                                    .push_bind(record.name.clone())
                                    .push_bind(record.source.as_str())
                                    .push_bind(millis(now))
                                    .push_bind(seq);
                            });
                            query.build().execute(&mut *tx).await?;
                            id
                        }
                    };
                    replace_tags(&mut tx, id, &record.tags).await?;
                    replace_attributes(&mut tx, id, &record.attributes).await?;
                    let contact = contact_by_id(&mut tx, account, id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(contact)
                }

                async fn update_contact(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                    change: ContactChange,
                    _now: DateTime<Utc>,
                ) -> StoreResult<ContactView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 2).await?;
                    let contact = contact_by_id(&mut tx, account, id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let mut query = QueryBuilder::<$db>::new("UPDATE contacts SET seq = ");
                    query.push_bind(seq);
                    if let Some(name) = &change.name {
                        query.push(", name = ").push_bind(name.clone());
                    }
                    query.push(" WHERE id = ").push_bind(id);
                    query.build().execute(&mut *tx).await?;
                    if change.name.is_some() {
                        // The chat list shows the contact's name.
                        let mut query = QueryBuilder::<$db>::new("UPDATE chats SET seq = ");
                        query
                            .push_bind(seq + 1)
                            .push(" WHERE account_id = ")
                            .push_bind(account.id())
                            .push(" AND phone = ")
                            .push_bind(contact.phone.clone());
                        query.build().execute(&mut *tx).await?;
                    }
                    if let Some(tags) = &change.tags {
                        replace_tags(&mut tx, id, tags).await?;
                    }
                    if let Some(attributes) = &change.attributes {
                        replace_attributes(&mut tx, id, attributes).await?;
                    }
                    let contact = contact_by_id(&mut tx, account, id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(contact)
                }

                async fn contact(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                ) -> StoreResult<Option<ContactView>> {
                    let mut conn = self.$read.acquire().await?;
                    contact_by_id(&mut conn, account, id).await
                }

                async fn contacts(
                    &self,
                    account: AccountRef,
                    filter: ContactQuery,
                ) -> StoreResult<(Vec<ContactView>, i64)> {
                    let mut conn = self.$read.acquire().await?;
                    let mut query = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM contacts ct");
                    push_contact_filters(&mut query, account, &filter);
                    let (total,): (i64,) = query.build_query_as().fetch_one(&mut *conn).await?;
                    let mut query = QueryBuilder::<$db>::new(format!(
                        "SELECT {} FROM contacts ct",
                        CONTACT_COLUMNS
                            .split(", ")
                            .map(|column| format!("ct.{column}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    push_contact_filters(&mut query, account, &filter);
                    if let Some((key, phone)) = &filter.after {
                        query
                            .push(format!(" AND ({CONTACT_ORDER_KEY} > "))
                            .push_bind(key.clone())
                            .push(format!(" OR ({CONTACT_ORDER_KEY} = "))
                            .push_bind(key.clone())
                            .push(" AND ct.phone > ")
                            .push_bind(phone.clone())
                            .push("))");
                    }
                    query
                        .push(format!(" ORDER BY {CONTACT_ORDER_KEY}, ct.phone LIMIT "))
                        .push_bind(filter.limit);
                    let rows: Vec<ContactRow> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    let contacts = rows.into_iter().map(ContactView::from).collect();
                    Ok((with_details(&mut conn, contacts).await?, total))
                }

                async fn import_contacts(
                    &self,
                    account: AccountRef,
                    contacts: &[(String, Option<String>)],
                    now: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut added = 0;
                    for chunk in contacts.chunks(IDS_PER_STATEMENT / 10) {
                        let mut query = QueryBuilder::<$db>::new(
                            "INSERT INTO contacts (id, account_id, phone, name, source, \
                             created_at, seq) ",
                        );
                        query.push_values(chunk, |mut row, (phone, name)| {
                            row.push_bind(Uuid::now_v7())
                                .push_bind(account.id())
                                .push_bind(phone.clone())
                                .push_bind(name.clone())
                                .push_bind("import")
                                .push_bind(millis(now))
                                .push_bind(seq);
                        });
                        query.push(" ON CONFLICT (account_id, phone) DO NOTHING");
                        added += query.build().execute(&mut *tx).await?.rows_affected();
                    }
                    tx.commit().await?;
                    Ok(added)
                }

                async fn delete_contacts(
                    &self,
                    account: AccountRef,
                    ids: &[Uuid],
                    now: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut deleted = 0;
                    for chunk in ids.chunks(IDS_PER_STATEMENT) {
                        let mut query =
                            QueryBuilder::<$db>::new("UPDATE contacts SET deleted_at = ");
                        query
                            .push_bind(millis(now))
                            .push(", seq = ")
                            .push_bind(seq)
                            .push(" WHERE deleted_at IS NULL AND account_id = ")
                            .push_bind(account.id())
                            .push(" AND id IN (");
                        let mut list = query.separated(", ");
                        for id in chunk {
                            list.push_bind(*id);
                        }
                        query.push(")");
                        deleted += query.build().execute(&mut *tx).await?.rows_affected();
                    }
                    tx.commit().await?;
                    Ok(deleted)
                }

                async fn tag_contacts(
                    &self,
                    account: AccountRef,
                    ids: &[Uuid],
                    add: &[String],
                    remove: &[String],
                    _now: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut changed = 0;
                    for chunk in ids.chunks(IDS_PER_STATEMENT) {
                        let push_ids = |query: &mut QueryBuilder<'static, $db>| {
                            query
                                .push(" FROM contacts WHERE deleted_at IS NULL AND account_id = ")
                                .push_bind(account.id())
                                .push(" AND id IN (");
                            let mut list = query.separated(", ");
                            for id in chunk {
                                list.push_bind(*id);
                            }
                            query.push(")");
                        };
                        for tag in add {
                            let mut query = QueryBuilder::<$db>::new(
                                "INSERT INTO contact_tags (contact_id, tag) SELECT id, ",
                            );
                            query.push_bind(tag.clone());
                            push_ids(&mut query);
                            query.push(" ON CONFLICT DO NOTHING");
                            query.build().execute(&mut *tx).await?;
                        }
                        if !remove.is_empty() {
                            let mut query =
                                QueryBuilder::<$db>::new("DELETE FROM contact_tags WHERE tag IN (");
                            let mut list = query.separated(", ");
                            for tag in remove {
                                list.push_bind(tag.clone());
                            }
                            query.push(") AND contact_id IN (SELECT id");
                            push_ids(&mut query);
                            query.push(")");
                            query.build().execute(&mut *tx).await?;
                        }
                        let mut query = QueryBuilder::<$db>::new("UPDATE contacts SET seq = ");
                        query.push_bind(seq).push(" WHERE id IN (SELECT id");
                        push_ids(&mut query);
                        query.push(")");
                        changed += query.build().execute(&mut *tx).await?.rows_affected();
                    }
                    tx.commit().await?;
                    Ok(changed)
                }

                async fn see_groups(
                    &self,
                    account: AccountRef,
                    groups: &[SeenGroup],
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    if groups.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.$write.begin().await?;
                    take_seqs(&mut tx, account, 0).await?;
                    let mut query = QueryBuilder::<$db>::new(
                        "INSERT INTO chats (id, account_id, wa_id, name, kind, created_at, \
                         last_activity_at) ",
                    );
                    query.push_values(groups, |mut row, group| {
                        row.push_bind(Uuid::now_v7())
                            .push_bind(account.id())
                            .push_bind(group.wa_id.clone())
                            .push_bind(group.name.clone())
                            .push_bind("group")
                            .push_bind(millis(now))
                            .push_bind(millis(now));
                    });
                    query.push(
                        " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
                         name = COALESCE(chats.name, excluded.name)",
                    );
                    query.build().execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn groups(&self, account: AccountRef) -> StoreResult<Vec<GroupView>> {
                    let mut query = QueryBuilder::<$db>::new(
                        "SELECT id, wa_id, name, added_at FROM chats \
                         WHERE kind = 'group' AND account_id = ",
                    );
                    query.push_bind(account.id()).push(" ORDER BY name, wa_id");
                    let rows: Vec<(Uuid, String, Option<String>, Option<i64>)> =
                        query.build_query_as().fetch_all(&self.$read).await?;
                    Ok(rows
                        .into_iter()
                        .map(|(chat_id, wa_id, name, added_at)| GroupView {
                            chat_id,
                            wa_id,
                            name,
                            added: added_at.is_some(),
                        })
                        .collect())
                }

                async fn add_group(
                    &self,
                    account: AccountRef,
                    wa_id: &str,
                    name: Option<String>,
                    now: DateTime<Utc>,
                ) -> StoreResult<ChatView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut query = QueryBuilder::<$db>::new(
                        "INSERT INTO chats (id, account_id, wa_id, name, kind, created_at, \
                         last_activity_at, added_at, seq) ",
                    );
                    query.push_values([()], |mut row, _| {
                        row.push_bind(Uuid::now_v7())
                            .push_bind(account.id())
                            .push_bind(wa_id.to_owned())
                            .push_bind(name.clone())
                            .push_bind("group")
                            .push_bind(millis(now))
                            .push_bind(millis(now))
                            .push_bind(millis(now))
                            .push_bind(seq);
                    });
                    query.push(
                        " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
                         added_at = COALESCE(chats.added_at, excluded.added_at), \
                         name = COALESCE(excluded.name, chats.name), seq = excluded.seq \
                         RETURNING id",
                    );
                    let (id,): (Uuid,) = query.build_query_as().fetch_one(&mut *tx).await?;
                    let chat = chat_targets_exist(&mut tx, account, id).await?;
                    tx.commit().await?;
                    Ok(chat)
                }

                async fn files(&self, account: AccountRef) -> StoreResult<Vec<FileView>> {
                    let mut query = QueryBuilder::<$db>::new(
                        "SELECT id, name, mime, kind, size, created_at FROM files \
                         WHERE deleted_at IS NULL AND account_id = ",
                    );
                    query
                        .push_bind(account.id())
                        .push(" ORDER BY created_at DESC, id DESC");
                    let rows: Vec<FileRow> = query.build_query_as().fetch_all(&self.$read).await?;
                    Ok(rows.into_iter().map(FileView::from).collect())
                }

                async fn rename_file(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                    name: &str,
                    _now: DateTime<Utc>,
                ) -> StoreResult<FileView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut query = QueryBuilder::<$db>::new("UPDATE files SET name = ");
                    query
                        .push_bind(name.to_owned())
                        .push(", seq = ")
                        .push_bind(seq)
                        .push(" WHERE deleted_at IS NULL AND account_id = ")
                        .push_bind(account.id())
                        .push(" AND id = ")
                        .push_bind(id)
                        .push(" RETURNING id, name, mime, kind, size, created_at");
                    let row: Option<FileRow> =
                        query.build_query_as().fetch_optional(&mut *tx).await?;
                    let file = row.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(file.into())
                }

                async fn delete_file(
                    &self,
                    account: AccountRef,
                    id: Uuid,
                    now: DateTime<Utc>,
                ) -> StoreResult<FileView> {
                    let mut tx = self.$write.begin().await?;
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut query = QueryBuilder::<$db>::new("UPDATE files SET deleted_at = ");
                    query
                        .push_bind(millis(now))
                        .push(", seq = ")
                        .push_bind(seq)
                        .push(" WHERE deleted_at IS NULL AND account_id = ")
                        .push_bind(account.id())
                        .push(" AND id = ")
                        .push_bind(id)
                        .push(" RETURNING id, name, mime, kind, size, created_at");
                    let row: Option<FileRow> =
                        query.build_query_as().fetch_optional(&mut *tx).await?;
                    let file = row.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(file.into())
                }

                async fn team_changes(
                    &self,
                    account: AccountRef,
                    after: FeedCursor,
                    limit: i64,
                ) -> StoreResult<ChangePage> {
                    let mut conn = self.$read.acquire().await?;
                    let after_clause = |query: &mut QueryBuilder<'static, $db>, table: &str| {
                        query
                            .push(format!(" WHERE {table}.account_id = "))
                            .push_bind(account.id())
                            .push(format!(" AND ({table}.seq > "))
                            .push_bind(after.seq)
                            .push(format!(" OR ({table}.seq = "))
                            .push_bind(after.seq)
                            .push(format!(" AND {table}.id > "))
                            .push_bind(after.id)
                            .push(format!(")) ORDER BY {table}.seq, {table}.id LIMIT "))
                            .push_bind(limit + 1);
                    };
                    let mut query = QueryBuilder::<$db>::new(CHAT_SELECT);
                    after_clause(&mut query, "c");
                    let chats: Vec<ChatRow> = query.build_query_as().fetch_all(&mut *conn).await?;
                    let mut query = QueryBuilder::<$db>::new(format!(
                        "SELECT {COMMENT_COLUMNS} FROM comments"
                    ));
                    after_clause(&mut query, "comments");
                    let comments: Vec<CommentRow> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    let mut query = QueryBuilder::<$db>::new(format!(
                        "SELECT {CONTACT_COLUMNS} FROM contacts"
                    ));
                    after_clause(&mut query, "contacts");
                    let contacts: Vec<ContactRow> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    let contacts = with_details(
                        &mut conn,
                        contacts.into_iter().map(ContactView::from).collect(),
                    )
                    .await?;
                    let mut query = QueryBuilder::<$db>::new(
                        "SELECT id, name, mime, kind, size, created_at, deleted_at, seq FROM files",
                    );
                    after_clause(&mut query, "files");
                    let files: Vec<FileChangeRow> =
                        query.build_query_as().fetch_all(&mut *conn).await?;
                    let page = ChangePage {
                        chats: chats.into_iter().map(ChatView::from).collect(),
                        comments: comments.into_iter().map(CommentView::from).collect(),
                        contacts,
                        files: files
                            .into_iter()
                            .map(|row| FileChange {
                                deleted: row.deleted_at.is_some(),
                                seq: row.seq,
                                file: row.file.into(),
                            })
                            .collect(),
                        cursor: String::new(),
                        more: false,
                    };
                    Ok(cut_feed(page, after, limit))
                }
            }

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
            let kind = if target.wa_id.ends_with("@g.us") {
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
