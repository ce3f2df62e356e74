//! PostgreSQL, for deployments that outgrow one machine: several relays can
//! share one database.
//!
//! Read-then-write rules (the last admin of an organization) take a row lock
//! on the organization so that concurrent relays cannot both pass the check.

mod accounts;
mod queue;

use std::str::FromStr;

use chorus_shared::api::User;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

use super::rows::UserRow;
use super::StoreResult;

pub(super) const USER_COLUMNS: &str = "id, email, account_type, phone, created_at";
pub(super) const INVITE_COLUMNS: &str =
    "id, organization_id, email, state, invited_by, created_at, closed_at";

/// [`Store`](super::Store) on a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
}

impl PgStore {
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
        Ok(Self { pool })
    }

    pub(super) async fn user_in<'e, E>(executor: E, id: Uuid) -> StoreResult<Option<User>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Postgres>,
    {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(executor)
                .await?;
        Ok(row.map(User::from))
    }
}

crate::store::team_sql::define_team_store!(super::PgStore, sqlx::Postgres, pool, pool);
