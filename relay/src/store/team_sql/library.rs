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
                    .push(" WHERE deleted_at IS NULL AND account_id = ")
                    .push_bind(account.id())
                    .push(" AND id = ")
                    .push_bind(id)
                    .push(" RETURNING id, name, mime, kind, size, created_at");
                let row: Option<FileRow> = query.build_query_as().fetch_optional(&mut *tx).await?;
                let file = row.ok_or(StoreError::NotFound)?;
                tx.commit().await?;
                Ok(file.into())
            }
        }
    };
}
pub(crate) use impl_library_store;
