//! [`crate::store::LibraryStore`]'s SQL: the file library.

/// Implements it for `$store` on `$db`, inside [`super::define_team_store`]'s
/// module (whose helpers it calls).
macro_rules! impl_library_store {
    ($store:ty, $db:ty, $write:ident, $read:ident) => {
        #[async_trait]
        impl LibraryStore for $store {
            async fn files(&self, account: AccountRef) -> StoreResult<Vec<FileView>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT id, name, mime, kind, size, created_at FROM files \
                 WHERE deleted_at IS NULL AND origin = 'library' AND account_id = ",
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
                    .push(" WHERE deleted_at IS NULL AND origin = 'library' AND account_id = ")
                    .push_bind(account.id())
                    .push(" AND id = ")
                    .push_bind(id)
                    .push(" RETURNING id, name, mime, kind, size, created_at");
                let row: Option<FileRow> = query.build_query_as().fetch_optional(&mut *tx).await?;
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
                    .push(" WHERE deleted_at IS NULL AND origin = 'library' AND account_id = ")
                    .push_bind(account.id())
                    .push(" AND id = ")
                    .push_bind(id)
                    .push(" RETURNING id, name, mime, kind, size, created_at");
                let row: Option<FileRow> = query.build_query_as().fetch_optional(&mut *tx).await?;
                let file = row.ok_or(StoreError::NotFound)?;
                tx.commit().await?;
                Ok(file.into())
            }

            async fn file_uploader(
                &self,
                account: AccountRef,
                id: Uuid,
            ) -> StoreResult<Option<Uuid>> {
                let mut query =
                    QueryBuilder::<$db>::new("SELECT uploaded_by FROM files WHERE account_id = ");
                query
                    .push_bind(account.id())
                    .push(" AND id = ")
                    .push_bind(id);
                let row: Option<(Uuid,)> =
                    query.build_query_as().fetch_optional(&self.$read).await?;
                Ok(row.map(|(uploader,)| uploader))
            }

            async fn library_bytes(&self, account: AccountRef) -> StoreResult<i64> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
                     WHERE deleted_at IS NULL AND account_id = ",
                );
                query.push_bind(account.id());
                let (bytes,): (i64,) = query.build_query_as().fetch_one(&self.$read).await?;
                Ok(bytes)
            }

            async fn file_awaited(&self, account: AccountRef, id: Uuid) -> StoreResult<bool> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT COUNT(*) FROM messages WHERE status IN ('queued', 'sending') \
                     AND account_id = ",
                );
                query
                    .push_bind(account.id())
                    .push(" AND attachment_id = ")
                    .push_bind(id);
                let (count,): (i64,) = query.build_query_as().fetch_one(&self.$read).await?;
                Ok(count > 0)
            }

            async fn purgeable_files(&self, limit: i64) -> StoreResult<Vec<Uuid>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT f.id FROM files f \
                     WHERE f.deleted_at IS NOT NULL AND f.purged_at IS NULL \
                     AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = f.id \
                                     AND m.status IN ('queued', 'sending')) \
                     ORDER BY f.deleted_at LIMIT ",
                );
                query.push_bind(limit);
                let rows: Vec<(Uuid,)> = query.build_query_as().fetch_all(&self.$read).await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn mark_purged(&self, ids: &[Uuid], now: DateTime<Utc>) -> StoreResult<()> {
                if ids.is_empty() {
                    return Ok(());
                }
                let mut query = QueryBuilder::<$db>::new("UPDATE files SET purged_at = ");
                query.push_bind(millis(now)).push(" WHERE id IN (");
                let mut list = query.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                query.push(")");
                query.build().execute(&self.$write).await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_library_store;
