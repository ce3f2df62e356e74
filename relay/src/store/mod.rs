//! Durable state behind one trait, implemented once for both databases.
//!
//! [`Store`] is what the rest of the relay sees; [`SqliteStore`] (the embedded
//! default) and [`PgStore`] (for larger deployments) are the two instances of
//! one struct, `SqlStore<B>`, each with its own embedded migrations. Every
//! query is an ordinary function over `backend::Backend`, one file per
//! store: `accounts`, `queue_sql` (with `send_batch` and `report_batch`),
//! `chats`, `contacts`, `library`. Row types and their conversion to API
//! types live in `rows` and `team_rows` and serve both backends. The store
//! holds no permission logic: callers check roles first, and every method
//! that reaches into an organization takes that organization's id so queries
//! stay scoped.

mod account_ref;
mod accounts;
pub(crate) mod backend;
mod campaign;
mod campaigns_sql;
pub(crate) mod chats;
pub(crate) mod contacts;
mod feed;
mod library;
mod postgres;
mod queue;
pub(crate) mod queue_sql;
pub(crate) mod report_batch;
pub(crate) mod rows;
pub(crate) mod send_batch;
mod sqlite;
mod statement;
pub(crate) mod team;
pub(crate) mod team_rows;
pub(crate) mod team_sql;

use async_trait::async_trait;
use chorus_shared::account::{AccountType, Role};
use chorus_shared::api::{
    AuditEvent, Invite, Member, Membership, Organization, ReceivedInvite, UpdateOrganization, User,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use account_ref::AccountRef;
pub use campaign::*;
pub use postgres::PgStore;
pub use queue::*;
pub use sqlite::SqliteStore;
pub use team::*;

/// What can go wrong in the store, in terms callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row addressed does not exist (or is outside the given scope).
    #[error("not found")]
    NotFound,
    /// The change would break a rule the database enforces.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The database failed or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration could not be applied.
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// The rule a refused change would have broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Another account has that email.
    EmailTaken,
    /// The account type is already set.
    AccountTypeAlreadyChosen,
    /// An open invite for that email exists in the organization.
    InvitePending,
    /// The email belongs to a member already.
    AlreadyMember,
    /// The invite is no longer open.
    InviteClosed,
    /// The change would leave the organization without an admin.
    LastAdmin,
    /// The invite code does not match.
    WrongInviteCode,
    /// The balance cannot pay for the message.
    InsufficientCredits {
        /// The message's cost.
        needed: i64,
        /// What the balance holds.
        available: i64,
    },
    /// The message is no longer queued.
    NotCancellable,
    /// Someone handles the chat already (an agent may only take unassigned ones).
    AlreadyAssigned,
    /// Only a note's author may change it; activity lines stay as they are.
    NotAuthor,
    /// A contact with that number exists.
    ContactExists,
    /// The profile has a campaign of that name.
    CampaignNameTaken,
}

/// What happens to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    /// They leave or are removed.
    Remove,
    /// They get this role.
    Role(Role),
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user as stored, with the password hash that only sign-in needs.
#[derive(Debug, Clone)]
pub struct StoredCredentials {
    /// The user.
    pub user: User,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// A new organization with its creator as first admin.
#[derive(Debug, Clone)]
pub struct NewOrganizationRecord {
    /// Fresh id.
    pub id: Uuid,
    /// Validated name.
    pub name: String,
    /// Validated ISO 3166 alpha-2 code.
    pub default_country: String,
    /// The owner's own number, if already registered.
    pub phone: Option<String>,
}

/// Everything the relay stores: both halves below, on one database.
pub trait Store:
    AccountStore + QueueStore + ChatStore + ContactStore + LibraryStore + CampaignStore
{
}

impl<T: AccountStore + QueueStore + ChatStore + ContactStore + LibraryStore + CampaignStore> Store
    for T
{
}

/// Accounts, sessions, organizations, members and invites.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a user; [`Conflict::EmailTaken`] if the email is in use.
    async fn create_user(
        &self,
        id: Uuid,
        email: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    /// The user with that (normalised) email and their password hash.
    async fn credentials_by_email(&self, email: &str) -> StoreResult<Option<StoredCredentials>>;
    /// The user with that id.
    async fn user(&self, id: Uuid) -> StoreResult<Option<User>>;
    /// Sets the account type once and, for organization accounts, creates the
    /// organization with the user as admin, all in one transaction.
    async fn choose_account_type(
        &self,
        user_id: Uuid,
        account_type: AccountType,
        organization: Option<NewOrganizationRecord>,
        now: DateTime<Utc>,
    ) -> StoreResult<(User, Option<Organization>)>;
    /// Sets the user's own number; organizations they own that have no number
    /// yet adopt it too, since the admin hosts the organization's number.
    async fn set_user_phone(&self, user_id: Uuid, phone: &str) -> StoreResult<User>;

    /// Stores a session by the hash of its token.
    async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The user of an unexpired session.
    async fn session_user(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>>;
    /// Ends a session; ending an unknown one is not an error.
    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()>;

    /// An organization by id. Callers check membership first.
    async fn organization(&self, org_id: Uuid) -> StoreResult<Option<Organization>>;
    /// Applies the given changes (already validated).
    async fn update_organization(
        &self,
        org_id: Uuid,
        changes: &UpdateOrganization,
    ) -> StoreResult<Organization>;
    /// The user's role in the organization, `None` if not a member.
    async fn role(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<Role>>;
    /// Every organization the user belongs to, oldest membership first.
    async fn memberships(&self, user_id: Uuid) -> StoreResult<Vec<Membership>>;
    /// The organization's members, earliest first.
    async fn members(&self, org_id: Uuid) -> StoreResult<Vec<Member>>;
    /// Removes a member or changes their role; [`Conflict::LastAdmin`] if
    /// that would leave the organization without an admin.
    async fn change_member(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        change: MemberChange,
    ) -> StoreResult<()>;

    /// Deletes an organization: every membership and open invite goes in
    /// one transaction, so none of its data is reachable any more. Returns
    /// who were its members.
    async fn delete_organization(&self, org_id: Uuid, now: DateTime<Utc>)
        -> StoreResult<Vec<Uuid>>;
    /// Opens an invite accepted with the code whose hash is `code_hash`;
    /// refuses one for a member or one already open.
    async fn create_invite(
        &self,
        id: Uuid,
        org_id: Uuid,
        email: &str,
        invited_by: Uuid,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Invite>;
    /// Every invite of the organization, newest first.
    async fn invites(&self, org_id: Uuid) -> StoreResult<Vec<Invite>>;
    /// Revokes an open invite of that organization.
    async fn revoke_invite(
        &self,
        org_id: Uuid,
        invite_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Invite>;
    /// Open invites addressed to that email.
    async fn open_invites_for(&self, email: &str) -> StoreResult<Vec<ReceivedInvite>>;
    /// Adds an entry to the organization's audit trail.
    async fn record_audit(&self, org_id: Uuid, event: &AuditEvent) -> StoreResult<()>;
    /// The organization's audit trail, newest first, at most `limit` entries.
    async fn audit_events(&self, org_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// Accepts (joining as agent, when `code_hash` matches the invite's:
    /// else [`Conflict::WrongInviteCode`]) or declines (`None`) an open
    /// invite addressed to the user's email; any other invite id is
    /// [`StoreError::NotFound`].
    async fn answer_invite(
        &self,
        invite_id: Uuid,
        user: &User,
        accept_with: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> StoreResult<Invite>;
}

/// Opens the store a database URL names (`sqlite://…` or `postgres://…`) and
/// brings its schema up to date.
pub async fn open(database_url: &str) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    if database_url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(database_url).await?))
    } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        Ok(std::sync::Arc::new(PgStore::open(database_url).await?))
    } else {
        anyhow::bail!(
            "unsupported database URL {database_url:?}: use sqlite://PATH or postgres://USER@HOST/DB"
        )
    }
}

/// Maps a unique-constraint violation to the conflict it means.
/// Maps a unique-index violation to `conflict` (for `map_err`).
pub(crate) fn unique_means(conflict: Conflict) -> impl FnOnce(StoreError) -> StoreError {
    move |error| match error {
        StoreError::Database(error) => conflict_on_unique(error, conflict),
        other => other,
    }
}

pub(crate) fn conflict_on_unique(error: sqlx::Error, conflict: Conflict) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(conflict),
        _ => StoreError::Database(error),
    }
}
