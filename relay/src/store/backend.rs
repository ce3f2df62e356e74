//! What the store's SQL needs of a database, stated once: [`Backend`].
//!
//! The SQL reads the same on SQLite and PostgreSQL, placeholders included
//! (`$1`, `$2`, ...: PostgreSQL's own, and sqlx binds them by number on
//! SQLite too). So each query is an ordinary generic function over
//! `B: Backend`, written once; [`SqlStore`] gives every store trait that is
//! written this way to both backends. What truly differs (connecting,
//! migrations, how writes are serialised) stays in the backend modules, and
//! the one difference queries need is [`Backend::lock_organization`].
//!
//! sqlx states its requirements as bounds on other types (`Uuid: Encode<DB>`,
//! `&mut DB::Connection: Executor`), which Rust does not carry from a trait to
//! its users. The small traits below turn each into a bound on the database
//! itself ([`Bind`], [`Decode`], [`Run`]), which `Backend` names once as
//! supertraits, so a query function needs only `B: Backend`.

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use sqlx::query::Query;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, Type};
use uuid::Uuid;

use super::rows::{
    CampaignRow, GrantRow, KeyedMessageRow, LedgerRow, MessageRow, OwnedFileRow, PacingRow,
    RecipientRow, StateRow,
};
use super::rows::{
    CredentialsRow, FileRow, InviteRow, MemberRow, MembershipRow, OrganizationRow,
    ReceivedInviteRow, UserRow,
};
use super::team_rows::{ChatRow, CommentRow, ContactRow, FileChangeRow, KeyedCommentRow};
use super::{AccountRef, StoreResult};

/// A query under construction.
pub(crate) type Sql<'q, B> = Query<'q, B, <B as Database>::Arguments<'q>>;

/// The database binds values of type `T`.
pub(crate) trait Bind<'q, T: 'q>: Database {
    /// `query` with `value` bound to its next placeholder.
    fn bind_to(query: Sql<'q, Self>, value: T) -> Sql<'q, Self>;
}

impl<'q, DB: Database, T: 'q + Encode<'q, DB> + Type<DB> + Send> Bind<'q, T> for DB {
    fn bind_to(query: Sql<'q, Self>, value: T) -> Sql<'q, Self> {
        query.bind(value)
    }
}

/// The database's rows decode as `R`.
pub(crate) trait Decode<R>: Database {
    /// One row as `R`.
    fn decode(row: &Self::Row) -> Result<R, sqlx::Error>;
}

impl<DB: Database, R: for<'r> FromRow<'r, DB::Row>> Decode<R> for DB {
    fn decode(row: &Self::Row) -> Result<R, sqlx::Error> {
        R::from_row(row)
    }
}

/// How many rows a statement changed, whatever the database.
pub(crate) trait Affected {
    /// Rows inserted, updated or deleted.
    fn affected(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// The database runs queries on one of its connections.
pub(crate) trait Run: Database {
    /// Runs a statement; how many rows it changed.
    fn execute<'q: 'c, 'c>(
        query: Sql<'q, Self>,
        conn: &'c mut Self::Connection,
    ) -> BoxFuture<'c, Result<u64, sqlx::Error>>;
    /// The first row, if any.
    fn fetch_optional<'q: 'c, 'c>(
        query: Sql<'q, Self>,
        conn: &'c mut Self::Connection,
    ) -> BoxFuture<'c, Result<Option<Self::Row>, sqlx::Error>>;
    /// Every row.
    fn fetch_all<'q: 'c, 'c>(
        query: Sql<'q, Self>,
        conn: &'c mut Self::Connection,
    ) -> BoxFuture<'c, Result<Vec<Self::Row>, sqlx::Error>>;
}

impl<DB> Run for DB
where
    DB: Database<QueryResult: Affected>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    fn execute<'q: 'c, 'c>(
        query: Sql<'q, Self>,
        conn: &'c mut Self::Connection,
    ) -> BoxFuture<'c, Result<u64, sqlx::Error>> {
        Box::pin(async move { Ok(query.execute(conn).await?.affected()) })
    }

    fn fetch_optional<'q: 'c, 'c>(
        query: Sql<'q, Self>,
        conn: &'c mut Self::Connection,
    ) -> BoxFuture<'c, Result<Option<Self::Row>, sqlx::Error>> {
        Box::pin(query.fetch_optional(conn))
    }

    fn fetch_all<'q: 'c, 'c>(
        query: Sql<'q, Self>,
        conn: &'c mut Self::Connection,
    ) -> BoxFuture<'c, Result<Vec<Self::Row>, sqlx::Error>> {
        Box::pin(query.fetch_all(conn))
    }
}

/// Everything the store's SQL asks of a database: the values it binds, the
/// rows it decodes, running queries, and the one behaviour that differs.
#[async_trait]
pub(crate) trait Backend:
    Run
    + for<'q> Bind<'q, Uuid>
    + for<'q> Bind<'q, Option<Uuid>>
    + for<'q> Bind<'q, i64>
    + for<'q> Bind<'q, Option<i64>>
    + for<'q> Bind<'q, &'q str>
    + for<'q> Bind<'q, Option<&'q str>>
    + for<'q> Bind<'q, &'q [u8]>
    + Decode<UserRow>
    + Decode<CredentialsRow>
    + Decode<OrganizationRow>
    + Decode<MembershipRow>
    + Decode<MemberRow>
    + Decode<InviteRow>
    + Decode<ReceivedInviteRow>
    + Decode<FileRow>
    + Decode<ContactRow>
    + Decode<ChatRow>
    + Decode<CommentRow>
    + Decode<FileChangeRow>
    + Decode<MessageRow>
    + Decode<(Uuid, String, Option<String>, Option<i64>)>
    + Decode<StateRow>
    + Decode<GrantRow>
    + Decode<LedgerRow>
    + Decode<(String, i64)>
    + Decode<(String, String, Option<Uuid>)>
    + Decode<KeyedMessageRow>
    + Decode<KeyedCommentRow>
    + Decode<OwnedFileRow>
    + Decode<(Uuid, Uuid, String, Option<Uuid>)>
    + Decode<(Uuid, i64, bool)>
    + Decode<(Uuid, Uuid, String)>
    + Decode<(Uuid, i64)>
    + Decode<(Uuid, Uuid, i64)>
    + Decode<(Uuid, Option<i64>)>
    + Decode<(Uuid, String)>
    + Decode<(Uuid, String, String)>
    + Decode<(i64,)>
    + Decode<(Uuid,)>
    + Decode<(String,)>
    + Decode<(String, Option<Vec<u8>>)>
    + Decode<(Uuid, Uuid, String, String, i64)>
    + Decode<CampaignRow>
    + Decode<RecipientRow>
    + Decode<PacingRow>
    + Decode<(Uuid, String, i64, i64)>
    + Decode<(String, Option<String>, i64)>
    + Decode<(Uuid, String, Option<Uuid>, Uuid)>
    + Decode<(i64, Option<String>, Option<String>)>
    + Decode<(Uuid, i64, i64)>
{
    /// The `n`th placeholder (from 1) of a built statement.
    fn placeholder(n: usize) -> String;

    /// Serialises read-then-write changes to an organization's members
    /// (the last admin must stay) where the database does not already.
    async fn lock_organization(conn: &mut Self::Connection, org_id: Uuid) -> StoreResult<()>;

    /// Serialises an account's writes (its queue, balance and feed) where
    /// the database does not already, until the transaction ends.
    async fn lock_account(conn: &mut Self::Connection, account: AccountRef) -> StoreResult<()>;
}

#[async_trait]
impl Backend for sqlx::Sqlite {
    /// `?`, bound in order: SQLite looks each `$N` up among the names
    /// before it, which grows with the square of a bulk statement's values.
    fn placeholder(_n: usize) -> String {
        "?".to_owned()
    }

    /// Nothing to take: the single writer connection already serialises
    /// every write transaction.
    async fn lock_organization(_conn: &mut Self::Connection, _org_id: Uuid) -> StoreResult<()> {
        Ok(())
    }

    /// Nothing to take: the single writer connection already serialises
    /// every write, so an account's changes cannot interleave.
    async fn lock_account(_conn: &mut Self::Connection, _account: AccountRef) -> StoreResult<()> {
        Ok(())
    }
}

#[async_trait]
impl Backend for sqlx::Postgres {
    fn placeholder(n: usize) -> String {
        format!("${n}")
    }

    /// A row lock on the organization, so concurrent relays cannot both
    /// pass a check on its members.
    async fn lock_organization(conn: &mut Self::Connection, org_id: Uuid) -> StoreResult<()> {
        let query = sqlx::query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE");
        Self::execute(query.arg(org_id), conn).await?;
        Ok(())
    }

    /// The account's row lock (the row created on first use), held across
    /// connections and relays until the transaction ends.
    async fn lock_account(conn: &mut Self::Connection, account: AccountRef) -> StoreResult<()> {
        let ensure =
            sqlx::query("INSERT INTO accounts (id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING");
        Self::execute(ensure.arg(account.id()).arg(account.kind()), &mut *conn).await?;
        let lock = sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE");
        Self::execute(lock.arg(account.id()), conn).await?;
        Ok(())
    }
}

/// Binding in the order of the SQL's placeholders: `query.arg(a).arg(b)`.
pub(crate) trait Args<'q, B: Database> {
    /// Binds `value` to the next placeholder.
    fn arg<T: 'q>(self, value: T) -> Self
    where
        B: Bind<'q, T>;
}

impl<'q, B: Database> Args<'q, B> for Sql<'q, B> {
    fn arg<T: 'q>(self, value: T) -> Self
    where
        B: Bind<'q, T>,
    {
        B::bind_to(self, value)
    }
}

/// Runs a query and decodes its rows, as [`Run`] with [`Decode`].
#[async_trait]
pub(crate) trait Fetch<'q, B: Backend> {
    /// The first row as `R`, if any.
    async fn one_or_none<R>(self, conn: &mut B::Connection) -> StoreResult<Option<R>>
    where
        B: Decode<R>;
    /// The first row as `R`; a missing row is an error.
    async fn one<R>(self, conn: &mut B::Connection) -> StoreResult<R>
    where
        B: Decode<R>;
    /// Every row as `R`.
    async fn all<R>(self, conn: &mut B::Connection) -> StoreResult<Vec<R>>
    where
        B: Decode<R>;
    /// Runs it; how many rows it changed.
    async fn run(self, conn: &mut B::Connection) -> StoreResult<u64>;
}

#[async_trait]
impl<'q, B: Backend> Fetch<'q, B> for Sql<'q, B> {
    async fn one_or_none<R>(self, conn: &mut B::Connection) -> StoreResult<Option<R>>
    where
        B: Decode<R>,
    {
        let row = B::fetch_optional(self, conn).await?;
        Ok(row.as_ref().map(B::decode).transpose()?)
    }

    async fn one<R>(self, conn: &mut B::Connection) -> StoreResult<R>
    where
        B: Decode<R>,
    {
        self.one_or_none(conn)
            .await?
            .ok_or(super::StoreError::Database(sqlx::Error::RowNotFound))
    }

    async fn all<R>(self, conn: &mut B::Connection) -> StoreResult<Vec<R>>
    where
        B: Decode<R>,
    {
        let rows = B::fetch_all(self, conn).await?;
        Ok(rows.iter().map(B::decode).collect::<Result<_, _>>()?)
    }

    async fn run(self, conn: &mut B::Connection) -> StoreResult<u64> {
        Ok(B::execute(self, conn).await?)
    }
}

/// A store on one backend: a pool for writes and one for reads (the same
/// pool on PostgreSQL; on SQLite a single writer and concurrent readers).
pub struct SqlStore<B: Database> {
    pub(super) read: Pool<B>,
    pub(super) write: Pool<B>,
}

impl<B: Database> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        SqlStore {
            read: self.read.clone(),
            write: self.write.clone(),
        }
    }
}
