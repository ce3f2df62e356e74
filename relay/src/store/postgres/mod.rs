//! PostgreSQL, for deployments that outgrow one machine: several relays can
//! share one database.
//!
//! Read-then-write rules (the last admin of an organization) take a row lock
//! on the organization so that concurrent relays cannot both pass the check.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::backend::SqlStore;
use super::StoreResult;

/// [`Store`](super::Store) on a PostgreSQL database: one pool serves reads
/// and writes.
pub type PgStore = SqlStore<sqlx::Postgres>;

impl SqlStore<sqlx::Postgres> {
    /// Connects to the database the URL names and runs the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects with explicit options (tests use them to pick a schema).
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            read: pool.clone(),
            write: pool,
        })
    }
}
