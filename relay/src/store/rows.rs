//! Rows as both databases return them, and their conversion to API types.
//!
//! `sqlx::FromRow` derives are generic over the row type, so each struct here
//! decodes SQLite and PostgreSQL rows alike.

use chorus_shared::account::{AccountType, InviteState, Role};
use chorus_shared::api::{Invite, Member, Membership, Organization, ReceivedInvite, User};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Times are stored as Unix milliseconds in both databases.
pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn time(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// Columns: `id, email, account_type, phone, created_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    account_type: Option<String>,
    phone: Option<String>,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            email: row.email,
            account_type: row.account_type.as_deref().and_then(AccountType::parse),
            phone: row.phone,
            created_at: time(row.created_at),
        }
    }
}

/// [`UserRow`]'s columns plus `password_hash`.
#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    #[sqlx(flatten)]
    pub(crate) user: UserRow,
    pub(crate) password_hash: String,
}

/// Columns: `id, name, default_country, phone, created_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationRow {
    id: Uuid,
    name: String,
    default_country: String,
    phone: Option<String>,
    created_at: i64,
}

impl From<OrganizationRow> for Organization {
    fn from(row: OrganizationRow) -> Self {
        Organization {
            id: row.id,
            name: row.name,
            default_country: row.default_country,
            phone: row.phone,
            created_at: time(row.created_at),
        }
    }
}

/// [`OrganizationRow`]'s columns plus `role, joined_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    #[sqlx(flatten)]
    organization: OrganizationRow,
    role: String,
    joined_at: i64,
}

impl From<MembershipRow> for Membership {
    fn from(row: MembershipRow) -> Self {
        Membership {
            organization: row.organization.into(),
            role: Role::parse(&row.role).unwrap_or(Role::Agent),
            joined_at: time(row.joined_at),
        }
    }
}

/// Columns: `user_id, email, role, joined_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    user_id: Uuid,
    email: String,
    role: String,
    joined_at: i64,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        Member {
            user_id: row.user_id,
            email: row.email,
            role: Role::parse(&row.role).unwrap_or(Role::Agent),
            joined_at: time(row.joined_at),
        }
    }
}

/// Columns: `id, organization_id, email, state, invited_by, created_at, closed_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    id: Uuid,
    organization_id: Uuid,
    email: String,
    state: String,
    invited_by: Uuid,
    created_at: i64,
    closed_at: Option<i64>,
}

impl From<InviteRow> for Invite {
    fn from(row: InviteRow) -> Self {
        Invite {
            id: row.id,
            organization_id: row.organization_id,
            email: row.email,
            state: InviteState::parse(&row.state).unwrap_or(InviteState::Revoked),
            invited_by: row.invited_by,
            created_at: time(row.created_at),
            closed_at: row.closed_at.map(time),
        }
    }
}

/// Columns: `id, organization_id, organization_name, invited_by_email, created_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct ReceivedInviteRow {
    id: Uuid,
    organization_id: Uuid,
    organization_name: String,
    invited_by_email: String,
    created_at: i64,
}

impl From<ReceivedInviteRow> for ReceivedInvite {
    fn from(row: ReceivedInviteRow) -> Self {
        ReceivedInvite {
            id: row.id,
            organization_id: row.organization_id,
            organization_name: row.organization_name,
            invited_by_email: row.invited_by_email,
            created_at: time(row.created_at),
        }
    }
}
