//! [`crate::store::ChatStore`]'s SQL: chats, comments, the timeline, groups and
//! the change feed.

/// Implements it for `$store` on `$db`, inside [`super::define_team_store`]'s
/// module (whose helpers it calls).
macro_rules! impl_chat_store {
    ($store:ty, $db:ty, $write:ident, $read:ident) => {
        #[async_trait]
        impl ChatStore for $store {
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

            async fn chat(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<ChatView>> {
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
                let chat = chat_or_not_found(&mut tx, account, id).await?;
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
                            $crate::store::contacts::name_contact::<$db>(
                                &mut tx,
                                account,
                                phone,
                                name,
                                seq + 1,
                                now,
                            )
                            .await?;
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
                let chat = chat_or_not_found(&mut tx, account, id).await?;
                tx.commit().await?;
                Ok((chat, line))
            }

            async fn note_waiting(
                &self,
                account: AccountRef,
                arrival: &SeenArrival,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<ChatView>> {
                let at = $crate::store::rows::millis(now);
                let mut tx = self.$write.begin().await?;
                let seq = take_seqs(&mut tx, account, 1).await?;
                let found: Option<(Uuid,)> = match &arrival.chat {
                    Some(target) => {
                        if $crate::whatsapp::is_person(&target.wa_id) {
                            let mut insert = QueryBuilder::<$db>::new(
                                "INSERT INTO chats (id, account_id, wa_id, phone, name, kind, \
                                 created_at, last_activity_at, unread, seq) ",
                            );
                            insert.push_values([target], |mut row, target| {
                                row.push_bind(Uuid::now_v7())
                                    .push_bind(account.id())
                                    .push_bind(target.wa_id.clone())
                                    .push_bind(target.phone.clone())
                                    .push_bind(target.name.clone())
                                    .push_bind("person")
                                    .push_bind(at)
                                    .push_bind(at)
                                    .push_bind(0_i64)
                                    .push_bind(seq);
                            });
                            insert.push(" ON CONFLICT (account_id, wa_id) DO NOTHING");
                            insert.build().execute(&mut *tx).await?;
                        }
                        let mut query =
                            QueryBuilder::<$db>::new("SELECT id FROM chats WHERE account_id = ");
                        query
                            .push_bind(account.id())
                            .push(" AND wa_id = ")
                            .push_bind(target.wa_id.clone());
                        query.build_query_as().fetch_optional(&mut *tx).await?
                    }
                    None => {
                        let mut query = QueryBuilder::<$db>::new(
                            "SELECT c.id FROM chats c LEFT JOIN contacts ct \
                             ON ct.account_id = c.account_id AND ct.phone = c.phone \
                             AND ct.deleted_at IS NULL WHERE c.account_id = ",
                        );
                        query
                            .push_bind(account.id())
                            .push(" AND COALESCE(ct.name, c.name) = ")
                            .push_bind(arrival.title.clone())
                            .push(" ORDER BY c.last_activity_at DESC LIMIT 1");
                        query.build_query_as().fetch_optional(&mut *tx).await?
                    }
                };
                let Some((id,)) = found else {
                    return Ok(None);
                };
                let mut update = QueryBuilder::<$db>::new("UPDATE chats SET waiting_count = ");
                update
                    .push_bind(arrival.count)
                    .push(", waiting_preview = ")
                    .push_bind(arrival.preview.clone())
                    .push(", waiting_since = COALESCE(waiting_since, ")
                    .push_bind(at)
                    .push("), last_activity_at = ")
                    .push_bind(at)
                    .push(", status = 'open', seq = ")
                    .push_bind(seq)
                    .push(" WHERE id = ")
                    .push_bind(id);
                update.build().execute(&mut *tx).await?;
                let chat = chat_or_not_found(&mut tx, account, id).await?;
                tx.commit().await?;
                Ok(Some(chat))
            }

            async fn mark_chat_read(
                &self,
                account: AccountRef,
                id: Uuid,
            ) -> StoreResult<(ChatView, bool)> {
                let mut tx = self.$write.begin().await?;
                let seq = take_seqs(&mut tx, account, 1).await?;
                let chat = chat_or_not_found(&mut tx, account, id).await?;
                if chat.unread == 0 {
                    return Ok((chat, false));
                }
                let mut query = QueryBuilder::<$db>::new("UPDATE chats SET unread = 0, seq = ");
                query.push_bind(seq).push(" WHERE id = ").push_bind(id);
                query.build().execute(&mut *tx).await?;
                let chat = chat_or_not_found(&mut tx, account, id).await?;
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
                let mut tx = self.$write.begin().await?;
                let seq = take_seqs(&mut tx, account, 2).await?;
                let chat = chat_or_not_found(&mut tx, account, id).await?;
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
                let chat = chat_or_not_found(&mut tx, account, id).await?;
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
                chat_or_not_found(&mut tx, account, comment.chat_id).await?;
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
                        query
                            .push("body = '', deleted_at = ")
                            .push_bind(millis(now));
                    }
                }
                query
                    .push(", seq = ")
                    .push_bind(seq)
                    .push(" WHERE id = ")
                    .push_bind(id);
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

            async fn see_groups(
                &self,
                account: AccountRef,
                groups: &[SeenGroup],
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<Uuid>> {
                if groups.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.$write.begin().await?;
                take_seqs(&mut tx, account, 0).await?;
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT id, wa_id, participants, added_at FROM chats WHERE account_id = ",
                );
                query.push_bind(account.id()).push(" AND wa_id IN (");
                let mut ids = query.separated(", ");
                for group in groups {
                    ids.push_bind(group.wa_id.clone());
                }
                query.push(")");
                let known: Vec<(Uuid, String, Option<String>, Option<i64>)> =
                    query.build_query_as().fetch_all(&mut *tx).await?;
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO chats (id, account_id, wa_id, name, kind, participants, \
                     created_at, last_activity_at) ",
                );
                query.push_values(groups, |mut row, group| {
                    row.push_bind(Uuid::now_v7())
                        .push_bind(account.id())
                        .push_bind(group.wa_id.clone())
                        .push_bind(group.name.clone())
                        .push_bind("group")
                        .push_bind(participant_lines(&group.participants))
                        .push_bind(millis(now))
                        .push_bind(millis(now));
                });
                query.push(
                    " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
                 name = COALESCE(chats.name, excluded.name), \
                 participants = COALESCE(excluded.participants, chats.participants)",
                );
                query.build().execute(&mut *tx).await?;
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
                    let seq = take_seqs(&mut tx, account, 1).await?;
                    let mut query = QueryBuilder::<$db>::new("UPDATE chats SET seq = ");
                    query.push_bind(seq).push(" WHERE id IN (");
                    let mut ids = query.separated(", ");
                    for id in &changed {
                        ids.push_bind(*id);
                    }
                    query.push(")");
                    query.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(changed)
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
                let chat = chat_or_not_found(&mut tx, account, id).await?;
                tx.commit().await?;
                Ok(chat)
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
                let mut query =
                    QueryBuilder::<$db>::new(format!("SELECT {COMMENT_COLUMNS} FROM comments"));
                after_clause(&mut query, "comments");
                let comments: Vec<CommentRow> =
                    query.build_query_as().fetch_all(&mut *conn).await?;
                let mut query =
                    QueryBuilder::<$db>::new(format!("SELECT {CONTACT_COLUMNS} FROM contacts"));
                after_clause(&mut query, "contacts");
                let contacts: Vec<ContactRow> =
                    query.build_query_as().fetch_all(&mut *conn).await?;
                let contacts = $crate::store::contacts::with_details::<$db>(
                    &mut conn,
                    contacts.into_iter().map(ContactView::from).collect(),
                )
                .await?;
                let mut query = QueryBuilder::<$db>::new(
                    // Files customers sent are never library changes.
                    "SELECT id, name, mime, kind, size, created_at, deleted_at, seq \
                     FROM (SELECT * FROM files WHERE origin = 'library') AS files",
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
    };
}
pub(crate) use impl_chat_store;
