//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection, so write transactions
//! queue in the relay instead of failing with `SQLITE_BUSY` when two of them
//! try to upgrade their locks at once; reads use a separate pool and run
//! concurrently thanks to WAL.

mod accounts;
mod queue;

use std::str::FromStr;
use std::time::Duration;

use chorus_shared::api::User;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;
use uuid::Uuid;

use super::rows::UserRow;
use super::StoreResult;

pub(super) const USER_COLUMNS: &str = "id, email, account_type, phone, created_at";
pub(super) const INVITE_COLUMNS: &str =
    "id, organization_id, email, state, invited_by, created_at, closed_at";

/// [`Store`](super::Store) on a SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pub(super) read: SqlitePool,
    pub(super) write: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { read, write })
    }

    pub(super) async fn user_in<'e, E>(executor: E, id: Uuid) -> StoreResult<Option<User>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
    {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
                .bind(id)
                .fetch_optional(executor)
                .await?;
        Ok(row.map(User::from))
    }
}

crate::store::team_sql::define_team_store!(super::SqliteStore, sqlx::Sqlite, write, read);
