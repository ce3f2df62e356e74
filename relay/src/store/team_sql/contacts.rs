//! [`crate::store::ContactStore`]'s SQL: contacts one by one and in bulk.

/// Implements it for `$store` on `$db`, inside [`super::define_team_store`]'s
/// module (whose helpers it calls).
macro_rules! impl_contact_store {
    ($store:ty, $db:ty, $write:ident, $read:ident) => {
        #[async_trait]
        impl ContactStore for $store {
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
                    Some((_, None)) => return Err(StoreError::Conflict(Conflict::ContactExists)),
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
                let rows: Vec<ContactRow> = query.build_query_as().fetch_all(&mut *conn).await?;
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
                    let mut query = QueryBuilder::<$db>::new("UPDATE contacts SET deleted_at = ");
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
        }
    };
}
pub(crate) use impl_contact_store;
