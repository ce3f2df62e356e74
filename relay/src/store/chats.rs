//! [`ChatStore`] (chats, comments, the timeline, groups, the teamwork change
//! feed) for every [`Backend`], written once; and the chat an incoming
//! message lands in ([`upsert_incoming_chat`]), which the queue's SQL uses.
//!
//! Over 500 lines because it is one trait's implementation, one method per
//! operation; the helpers at the top are what several of them share.

use async_trait::async_trait;
use chorus_shared::queue::MessageView;
use chorus_shared::team::{
    ChangePage, ChatStatus, ChatView, CommentKind, CommentView, ContactView, FeedCursor,
    FileChange, GroupView, SeenGroup, TimelineItem,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::{Args as _, Backend, Fetch as _, SqlStore};
use super::contacts::{name_contact, with_details};
use super::feed::take_seqs;
use super::rows::{millis, MessageRow, MESSAGE_SELECT};
use super::statement::Statement;
use super::team_rows::{
    ChatRow, CommentRow, ContactRow, FileChangeRow, CHAT_SELECT, COMMENT_COLUMNS, CONTACT_COLUMNS,
};
use super::team_sql::{cut_feed, digits_pattern, like_pattern, participant_lines};
use super::{
    AccountRef, AssignRule, AssigneeSelect, Assignment, ChatQuery, ChatStore, ChatTarget, Conflict,
    NewComment, SeenArrival, StoreError, StoreResult,
};

async fn chat_by_id<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    id: Uuid,
) -> StoreResult<Option<ChatView>> {
    let sql = format!("{CHAT_SELECT} WHERE c.account_id = $1 AND c.id = $2");
    let row: Option<ChatRow> = sqlx::query::<B>(&sql)
        .arg(account.id())
        .arg(id)
        .one_or_none(conn)
        .await?;
    Ok(row.map(ChatView::from))
}

async fn chat_or_not_found<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    id: Uuid,
) -> StoreResult<ChatView> {
    chat_by_id::<B>(conn, account, id)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn comment_by_id<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    id: Uuid,
) -> StoreResult<Option<CommentView>> {
    let sql = format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE account_id = $1 AND id = $2");
    let row: Option<CommentRow> = sqlx::query::<B>(&sql)
        .arg(account.id())
        .arg(id)
        .one_or_none(conn)
        .await?;
    Ok(row.map(CommentView::from))
}

async fn insert_comment<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    comment: &NewComment,
    assignee: Option<Uuid>,
    seq: i64,
    now: DateTime<Utc>,
) -> StoreResult<CommentView> {
    let sql = format!(
        "INSERT INTO comments (id, account_id, chat_id, author_id, kind, body, assignee_id, \
         created_at, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {COMMENT_COLUMNS}"
    );
    let row: CommentRow = sqlx::query::<B>(&sql)
        .arg(comment.id)
        .arg(account.id())
        .arg(comment.chat_id)
        .arg(comment.author_id)
        .arg(comment.kind.as_str())
        .arg(comment.body.as_str())
        .arg(assignee)
        .arg(millis(now))
        .arg(seq)
        .one(conn)
        .await?;
    Ok(row.into())
}

/// The chat an incoming message lands in, found or created, with one more
/// unread message and reopened if it was resolved; and, for a person, their
/// contact (created, or brought back, as an incoming one).
pub(crate) async fn upsert_incoming_chat<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    target: &ChatTarget,
    seq: i64,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let at = millis(now);
    let kind = if crate::whatsapp::is_group(&target.wa_id) {
        "group"
    } else {
        "person"
    };
    let (id,): (Uuid,) = sqlx::query::<B>(
        "INSERT INTO chats (id, account_id, wa_id, phone, name, kind, created_at, \
         last_activity_at, unread, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1, $8) \
         ON CONFLICT (account_id, wa_id) DO UPDATE SET \
         last_activity_at = excluded.last_activity_at, \
         name = COALESCE(excluded.name, chats.name), unread = chats.unread + 1, \
         waiting_count = 0, waiting_preview = NULL, waiting_since = NULL, \
         seq = CASE WHEN chats.status = 'resolved' THEN excluded.seq ELSE chats.seq END, \
         status = 'open' RETURNING id",
    )
    .arg(Uuid::now_v7())
    .arg(account.id())
    .arg(target.wa_id.as_str())
    .arg(target.phone.as_deref())
    .arg(target.name.as_deref())
    .arg(kind)
    .arg(at)
    .arg(seq)
    .one(&mut *conn)
    .await?;
    if let (Some(phone), "person") = (&target.phone, kind) {
        sqlx::query::<B>(
            "INSERT INTO contacts (id, account_id, phone, name, source, created_at, \
             last_active_at, seq) VALUES ($1, $2, $3, $4, 'incoming', $5, $5, $6) \
             ON CONFLICT (account_id, phone) DO UPDATE SET \
             last_active_at = excluded.last_active_at, \
             name = COALESCE(contacts.name, excluded.name), \
             seq = CASE WHEN contacts.deleted_at IS NULL THEN contacts.seq ELSE excluded.seq END, \
             deleted_at = NULL",
        )
        .arg(Uuid::now_v7())
        .arg(account.id())
        .arg(phone.as_str())
        .arg(target.name.as_deref())
        .arg(at)
        .arg(seq)
        .run(conn)
        .await?;
    }
    Ok(id)
}

#[async_trait]
impl<B: Backend> ChatStore for SqlStore<B> {
    async fn chats(&self, account: AccountRef, filter: ChatQuery) -> StoreResult<Vec<ChatView>> {
        let mut query = Statement::<B>::new(CHAT_SELECT);
        query
            .push(
                " WHERE (c.kind = 'person' OR c.added_at IS NOT NULL) \
             AND c.account_id = ",
            )
            .arg(account.id());
        match filter.assignee {
            AssigneeSelect::Anyone => {}
            AssigneeSelect::Unassigned => {
                query.push(" AND c.assignee_id IS NULL");
            }
            AssigneeSelect::User(user) => {
                query.push(" AND c.assignee_id = ").arg(user);
            }
        }
        if let Some(status) = filter.status {
            query.push(" AND c.status = ").arg(status.as_str());
        }
        if let Some(tag) = &filter.tag {
            query
                .push(
                    " AND EXISTS (SELECT 1 FROM contact_tags t \
                 WHERE t.contact_id = ct.id AND t.tag = ",
                )
                .arg(tag.clone())
                .push(")");
        }
        if let Some(search) = &filter.search {
            query
                .push(" AND (LOWER(COALESCE(ct.name, c.name, '')) LIKE ")
                .arg(like_pattern(search))
                .push(" ESCAPE '\\'");
            if let Some(digits) = digits_pattern(search) {
                query.push(" OR c.phone LIKE ").arg(digits);
            }
            query.push(")");
        }
        if let Some((at, id)) = filter.after {
            query
                .push(" AND (c.last_activity_at < ")
                .arg(at)
                .push(" OR (c.last_activity_at = ")
                .arg(at)
                .push(" AND c.id < ")
                .arg(id)
                .push("))");
        }
        query
            .push(" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ")
            .arg(filter.limit);
        let rows: Vec<ChatRow> = query.query().all(&mut *self.read.acquire().await?).await?;
        Ok(rows.into_iter().map(ChatView::from).collect())
    }

    async fn chat(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<ChatView>> {
        let mut conn = self.read.acquire().await?;
        chat_by_id::<B>(&mut conn, account, id).await
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
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 3).await?;
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        let mut line = None;
        if let Some((status, body)) = status.filter(|(s, _)| *s != chat.status) {
            let mut query = Statement::<B>::new("UPDATE chats SET status = ");
            query
                .arg(status.as_str())
                .push(", seq = ")
                .arg(seq + 2)
                .push(" WHERE id = ")
                .arg(id);
            query.query().run(&mut tx).await?;
            let comment = NewComment {
                id: Uuid::now_v7(),
                chat_id: id,
                author_id: actor,
                kind: CommentKind::Status,
                body,
            };
            line = Some(insert_comment::<B>(&mut tx, account, &comment, None, seq, now).await?);
        }
        if let Some(name) = name {
            match &chat.phone {
                Some(phone) if chat.kind == chorus_shared::team::ChatKind::Person => {
                    name_contact::<B>(&mut tx, account, phone, name, seq + 1, now).await?;
                }
                _ => {
                    let mut query = Statement::<B>::new("UPDATE chats SET name = ");
                    query.arg(name).push(" WHERE id = ").arg(id);
                    query.query().run(&mut tx).await?;
                }
            }
            let mut query = Statement::<B>::new("UPDATE chats SET seq = ");
            query.arg(seq + 2).push(" WHERE id = ").arg(id);
            query.query().run(&mut tx).await?;
        }
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok((chat, line))
    }

    async fn note_waiting(
        &self,
        account: AccountRef,
        arrival: &SeenArrival,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ChatView>> {
        let at = millis(now);
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let found: Option<(Uuid,)> = match &arrival.chat {
            Some(target) => {
                if crate::whatsapp::is_person(&target.wa_id) {
                    sqlx::query::<B>(
                        "INSERT INTO chats (id, account_id, wa_id, phone, name, kind, \
                         created_at, last_activity_at, unread, seq) \
                         VALUES ($1, $2, $3, $4, $5, 'person', $6, $6, 0, $7) \
                         ON CONFLICT (account_id, wa_id) DO NOTHING",
                    )
                    .arg(Uuid::now_v7())
                    .arg(account.id())
                    .arg(target.wa_id.as_str())
                    .arg(target.phone.as_deref())
                    .arg(target.name.as_deref())
                    .arg(at)
                    .arg(seq)
                    .run(&mut tx)
                    .await?;
                }
                let mut query = Statement::<B>::new("SELECT id FROM chats WHERE account_id = ");
                query
                    .arg(account.id())
                    .push(" AND wa_id = ")
                    .arg(target.wa_id.clone());
                query.query().one_or_none(&mut tx).await?
            }
            None => {
                let mut query = Statement::<B>::new(
                    "SELECT c.id FROM chats c LEFT JOIN contacts ct \
                     ON ct.account_id = c.account_id AND ct.phone = c.phone \
                     AND ct.deleted_at IS NULL WHERE c.account_id = ",
                );
                query
                    .arg(account.id())
                    .push(" AND COALESCE(ct.name, c.name) = ")
                    .arg(arrival.title.clone())
                    .push(" ORDER BY c.last_activity_at DESC LIMIT 1");
                query.query().one_or_none(&mut tx).await?
            }
        };
        let Some((id,)) = found else {
            return Ok(None);
        };
        let mut update = Statement::<B>::new("UPDATE chats SET waiting_count = ");
        update
            .arg(arrival.count)
            .push(", waiting_preview = ")
            .arg(arrival.preview.clone())
            .push(", waiting_since = COALESCE(waiting_since, ")
            .arg(at)
            .push("), last_activity_at = ")
            .arg(at)
            .push(", status = 'open', seq = ")
            .arg(seq)
            .push(" WHERE id = ")
            .arg(id);
        update.query().run(&mut tx).await?;
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(Some(chat))
    }

    async fn mark_chat_read(&self, account: AccountRef, id: Uuid) -> StoreResult<(ChatView, bool)> {
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        if chat.unread == 0 {
            return Ok((chat, false));
        }
        let mut query = Statement::<B>::new("UPDATE chats SET unread = 0, seq = ");
        query.arg(seq).push(" WHERE id = ").arg(id);
        query.query().run(&mut tx).await?;
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok((chat, true))
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
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 2).await?;
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        if rule == AssignRule::TakeUnassigned && chat.assignee_id.is_some() {
            return Err(StoreError::Conflict(Conflict::AlreadyAssigned));
        }
        let mut query = Statement::<B>::new("UPDATE chats SET assignee_id = ");
        query
            .arg(assignee)
            .push(", seq = ")
            .arg(seq + 1)
            .push(" WHERE id = ")
            .arg(id);
        query.query().run(&mut tx).await?;
        let comment = NewComment {
            id: Uuid::now_v7(),
            chat_id: id,
            author_id: actor,
            kind: CommentKind::Assignment,
            body: line,
        };
        let line = insert_comment::<B>(&mut tx, account, &comment, assignee, seq, now).await?;
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok((chat, line))
    }

    async fn add_comment(
        &self,
        account: AccountRef,
        comment: NewComment,
        now: DateTime<Utc>,
    ) -> StoreResult<CommentView> {
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        chat_or_not_found::<B>(&mut tx, account, comment.chat_id).await?;
        let comment = insert_comment::<B>(&mut tx, account, &comment, None, seq, now).await?;
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
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let comment = comment_by_id::<B>(&mut tx, account, id)
            .await?
            .filter(|comment| comment.deleted_at.is_none())
            .ok_or(StoreError::NotFound)?;
        if comment.author_id != Some(author) || comment.kind != CommentKind::Note {
            return Err(StoreError::Conflict(Conflict::NotAuthor));
        }
        let mut query = Statement::<B>::new("UPDATE comments SET ");
        match body {
            Some(body) => {
                query
                    .push("body = ")
                    .arg(body)
                    .push(", edited_at = ")
                    .arg(millis(now));
            }
            None => {
                query.push("body = '', deleted_at = ").arg(millis(now));
            }
        }
        query.push(", seq = ").arg(seq).push(" WHERE id = ").arg(id);
        query.query().run(&mut tx).await?;
        let comment = comment_by_id::<B>(&mut tx, account, id)
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
        let mut conn = self.read.acquire().await?;
        let mut query = Statement::<B>::new(MESSAGE_SELECT);
        query
            .push(" WHERE m.account_id = ")
            .arg(account.id())
            .push(" AND m.chat_id = ")
            .arg(chat_id);
        if let Some(before) = before {
            query.push(" AND m.id < ").arg(before);
        }
        query.push(" ORDER BY m.id DESC LIMIT ").arg(limit);
        let messages: Vec<MessageRow> = query.query().all(&mut conn).await?;
        let mut query = Statement::<B>::new(format!("SELECT {COMMENT_COLUMNS} FROM comments"));
        query
            .push(" WHERE account_id = ")
            .arg(account.id())
            .push(" AND chat_id = ")
            .arg(chat_id);
        if let Some(before) = before {
            query.push(" AND id < ").arg(before);
        }
        query.push(" ORDER BY id DESC LIMIT ").arg(limit);
        let comments: Vec<CommentRow> = query.query().all(&mut conn).await?;
        let mut items: Vec<(Uuid, TimelineItem)> = messages
            .into_iter()
            .map(|row| {
                let message = MessageView::from(row);
                (
                    message.id,
                    TimelineItem::Message {
                        message: Box::new(message),
                    },
                )
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

    async fn see_groups(
        &self,
        account: AccountRef,
        groups: &[SeenGroup],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write.begin().await?;
        take_seqs::<B>(&mut tx, account, 0).await?;
        let mut query = Statement::<B>::new(
            "SELECT id, wa_id, participants, added_at FROM chats WHERE account_id = ",
        );
        query
            .arg(account.id())
            .push(" AND wa_id IN (")
            .list(groups.iter().map(|group| group.wa_id.as_str()))
            .push(")");
        let known: Vec<(Uuid, String, Option<String>, Option<i64>)> =
            query.query().all(&mut tx).await?;
        let mut query = Statement::<B>::new(
            "INSERT INTO chats (id, account_id, wa_id, name, kind, participants, \
             created_at, last_activity_at) VALUES ",
        );
        query.rows(groups, |group| {
            vec![
                Uuid::now_v7().into(),
                account.id().into(),
                group.wa_id.as_str().into(),
                group.name.as_str().into(),
                "group".into(),
                participant_lines(&group.participants).into(),
                millis(now).into(),
                millis(now).into(),
            ]
        });
        query.push(
            " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
         name = COALESCE(chats.name, excluded.name), \
         participants = COALESCE(excluded.participants, chats.participants)",
        );
        query.query().run(&mut tx).await?;
        // Sidebars list added groups: a change of members is news.
        let changed: Vec<Uuid> = known
            .into_iter()
            .filter(|(_, wa_id, before, added_at)| {
                added_at.is_some()
                    && groups.iter().any(|group| {
                        &group.wa_id == wa_id
                            && participant_lines(&group.participants)
                                .is_some_and(|now| before.as_deref() != Some(now.as_str()))
                    })
            })
            .map(|(id, ..)| id)
            .collect();
        if !changed.is_empty() {
            let seq = take_seqs::<B>(&mut tx, account, 1).await?;
            let mut query = Statement::<B>::new("UPDATE chats SET seq = ");
            query
                .arg(seq)
                .push(" WHERE id IN (")
                .list(changed.iter().copied())
                .push(")");
            query.query().run(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn groups(&self, account: AccountRef) -> StoreResult<Vec<GroupView>> {
        let mut query = Statement::<B>::new(
            "SELECT id, wa_id, name, added_at FROM chats \
         WHERE kind = 'group' AND account_id = ",
        );
        query.arg(account.id()).push(" ORDER BY name, wa_id");
        let rows: Vec<(Uuid, String, Option<String>, Option<i64>)> =
            query.query().all(&mut *self.read.acquire().await?).await?;
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
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let mut query = Statement::<B>::new(
            "INSERT INTO chats (id, account_id, wa_id, name, kind, created_at, \
         last_activity_at, added_at, seq) VALUES ",
        );
        query.rows([()], |_| {
            vec![
                Uuid::now_v7().into(),
                account.id().into(),
                wa_id.into(),
                name.clone().into(),
                "group".into(),
                millis(now).into(),
                millis(now).into(),
                millis(now).into(),
                seq.into(),
            ]
        });
        query.push(
            " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
         added_at = COALESCE(chats.added_at, excluded.added_at), \
         name = COALESCE(excluded.name, chats.name), seq = excluded.seq \
         RETURNING id",
        );
        let (id,): (Uuid,) = query.query().one(&mut tx).await?;
        let chat = chat_or_not_found::<B>(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(chat)
    }

    async fn team_changes(
        &self,
        account: AccountRef,
        after: FeedCursor,
        limit: i64,
    ) -> StoreResult<ChangePage> {
        let mut conn = self.read.acquire().await?;
        let after_clause = |query: &mut Statement<B>, table: &str| {
            query
                .push(&format!(" WHERE {table}.account_id = "))
                .arg(account.id())
                .push(&format!(" AND ({table}.seq > "))
                .arg(after.seq)
                .push(&format!(" OR ({table}.seq = "))
                .arg(after.seq)
                .push(&format!(" AND {table}.id > "))
                .arg(after.id)
                .push(&format!(")) ORDER BY {table}.seq, {table}.id LIMIT "))
                .arg(limit + 1);
        };
        let mut query = Statement::<B>::new(CHAT_SELECT);
        after_clause(&mut query, "c");
        let chats: Vec<ChatRow> = query.query().all(&mut conn).await?;
        let mut query = Statement::<B>::new(format!("SELECT {COMMENT_COLUMNS} FROM comments"));
        after_clause(&mut query, "comments");
        let comments: Vec<CommentRow> = query.query().all(&mut conn).await?;
        let mut query = Statement::<B>::new(format!("SELECT {CONTACT_COLUMNS} FROM contacts"));
        after_clause(&mut query, "contacts");
        let contacts: Vec<ContactRow> = query.query().all(&mut conn).await?;
        let contacts = with_details::<B>(
            &mut conn,
            contacts.into_iter().map(ContactView::from).collect(),
        )
        .await?;
        let mut query = Statement::<B>::new(
            // Files customers sent are never library changes.
            "SELECT id, name, mime, kind, size, created_at, deleted_at, seq \
             FROM (SELECT * FROM files WHERE origin = 'library') AS files",
        );
        after_clause(&mut query, "files");
        let files: Vec<FileChangeRow> = query.query().all(&mut conn).await?;
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
