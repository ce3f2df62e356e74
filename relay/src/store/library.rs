//! [`LibraryStore`] (the file library and the purge of deleted files' bytes)
//! for every [`Backend`], written once.

use async_trait::async_trait;
use chorus_shared::queue::FileView;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::{Args as _, Backend, Fetch as _, SqlStore};
use super::feed::take_seqs;
use super::rows::{millis, FileRow};
use super::statement::{Arg, Statement};
use super::{AccountRef, LibraryStore, StoreError, StoreResult};

const FILE_COLUMNS: &str = "id, name, mime, kind, size, created_at";

#[async_trait]
impl<B: Backend> LibraryStore for SqlStore<B> {
    async fn files(&self, account: AccountRef) -> StoreResult<Vec<FileView>> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files \
             WHERE deleted_at IS NULL AND origin = 'library' AND account_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<FileRow> = sqlx::query::<B>(&sql)
            .arg(account.id())
            .all(&mut *self.read.acquire().await?)
            .await?;
        Ok(rows.into_iter().map(FileView::from).collect())
    }

    async fn rename_file(
        &self,
        account: AccountRef,
        id: Uuid,
        name: &str,
        _now: DateTime<Utc>,
    ) -> StoreResult<FileView> {
        change_file(self, account, id, "name", name.into()).await
    }

    async fn delete_file(
        &self,
        account: AccountRef,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<FileView> {
        change_file(self, account, id, "deleted_at", millis(now).into()).await
    }

    async fn file_uploader(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<Uuid>> {
        let row: Option<(Uuid,)> =
            sqlx::query::<B>("SELECT uploaded_by FROM files WHERE account_id = $1 AND id = $2")
                .arg(account.id())
                .arg(id)
                .one_or_none(&mut *self.read.acquire().await?)
                .await?;
        Ok(row.map(|(uploader,)| uploader))
    }

    async fn library_bytes(&self, account: AccountRef) -> StoreResult<i64> {
        let (bytes,): (i64,) = sqlx::query::<B>(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
             WHERE deleted_at IS NULL AND account_id = $1",
        )
        .arg(account.id())
        .one(&mut *self.read.acquire().await?)
        .await?;
        Ok(bytes)
    }

    async fn file_awaited(&self, account: AccountRef, id: Uuid) -> StoreResult<bool> {
        let (count,): (i64,) = sqlx::query::<B>(
            "SELECT COUNT(*) FROM messages WHERE status IN ('queued', 'sending') \
             AND account_id = $1 AND attachment_id = $2",
        )
        .arg(account.id())
        .arg(id)
        .one(&mut *self.read.acquire().await?)
        .await?;
        Ok(count > 0)
    }

    async fn purgeable_files(&self, limit: i64) -> StoreResult<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> = sqlx::query::<B>(
            "SELECT f.id FROM files f \
             WHERE f.deleted_at IS NOT NULL AND f.purged_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = f.id \
                             AND m.status IN ('queued', 'sending')) \
             ORDER BY f.deleted_at LIMIT $1",
        )
        .arg(limit)
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn mark_purged(&self, ids: &[Uuid], now: DateTime<Utc>) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut statement = Statement::<B>::new("UPDATE files SET purged_at = ");
        statement
            .arg(millis(now))
            .push(" WHERE id IN (")
            .list(ids.iter().copied())
            .push(")");
        statement
            .query()
            .run(&mut *self.write.acquire().await?)
            .await?;
        Ok(())
    }
}

/// Sets `column` of a file still in the library, moving it in the feed.
async fn change_file<B: Backend>(
    store: &SqlStore<B>,
    account: AccountRef,
    id: Uuid,
    column: &str,
    value: Arg,
) -> StoreResult<FileView> {
    let mut tx = store.write.begin().await?;
    let seq = take_seqs::<B>(&mut tx, account, 1).await?;
    let mut statement = Statement::<B>::new(format!("UPDATE files SET {column} = "));
    statement
        .arg(value)
        .push(", seq = ")
        .arg(seq)
        .push(" WHERE deleted_at IS NULL AND origin = 'library' AND account_id = ")
        .arg(account.id())
        .push(" AND id = ")
        .arg(id)
        .push(&format!(" RETURNING {FILE_COLUMNS}"));
    let row: Option<FileRow> = statement.query().one_or_none(&mut tx).await?;
    let file = row.ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(file.into())
}
