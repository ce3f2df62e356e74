//! [`AccountStore`] (users, sessions, organizations, members, invites and
//! the audit log) for every [`Backend`]: its SQL is written once, as
//! ordinary functions, and reads the same on SQLite and PostgreSQL.
//!
//! Over 500 lines because it is one trait's implementation, one method per
//! operation in the trait's order; each method is a few statements long.

use async_trait::async_trait;
use chorus_shared::account::{AccountType, InviteState, Role};
use chorus_shared::api::{
    AuditEvent, Invite, Member, Membership, Organization, ReceivedInvite, UpdateOrganization, User,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::{Args as _, Backend, Fetch as _, SqlStore};
use super::rows::{
    millis, time, CredentialsRow, InviteRow, MemberRow, MembershipRow, OrganizationRow,
    ReceivedInviteRow, UserRow,
};
use super::{
    unique_means, AccountStore, Conflict, MemberChange, NewOrganizationRecord, StoreError,
    StoreResult, StoredCredentials,
};

const USER_COLUMNS: &str = "id, email, account_type, phone, created_at";
const INVITE_COLUMNS: &str = "id, organization_id, email, state, invited_by, created_at, closed_at";
const ORGANIZATION_COLUMNS: &str =
    "id, name, default_country, phone, pacing_min_seconds, pacing_max_seconds, burst_size, \
     burst_pause_seconds, hourly_cap, daily_cap, created_at";

async fn user_in<B: Backend>(conn: &mut B::Connection, id: Uuid) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row: Option<UserRow> = sqlx::query::<B>(&sql).arg(id).one_or_none(conn).await?;
    Ok(row.map(User::from))
}

async fn role_in<B: Backend>(
    conn: &mut B::Connection,
    org_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Role>> {
    let role: Option<(String,)> = sqlx::query::<B>(
        "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
    )
    .arg(org_id)
    .arg(user_id)
    .one_or_none(conn)
    .await?;
    Ok(role.and_then(|(role,)| Role::parse(&role)))
}

#[async_trait]
impl<B: Backend> AccountStore for SqlStore<B> {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query::<B>("SELECT 1")
            .run(&mut *self.read.acquire().await?)
            .await?;
        Ok(())
    }

    async fn create_user(
        &self,
        id: Uuid,
        email: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let sql = format!(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = sqlx::query::<B>(&sql)
            .arg(id)
            .arg(email)
            .arg(password_hash)
            .arg(millis(now))
            .one(&mut *self.write.acquire().await?)
            .await
            .map_err(unique_means(Conflict::EmailTaken))?;
        Ok(row.into())
    }

    async fn credentials_by_email(&self, email: &str) -> StoreResult<Option<StoredCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
        let row: Option<CredentialsRow> = sqlx::query::<B>(&sql)
            .arg(email)
            .one_or_none(&mut *self.read.acquire().await?)
            .await?;
        Ok(row.map(|row| StoredCredentials {
            user: row.user.into(),
            password_hash: row.password_hash,
        }))
    }

    async fn user(&self, id: Uuid) -> StoreResult<Option<User>> {
        user_in::<B>(&mut *self.read.acquire().await?, id).await
    }

    async fn choose_account_type(
        &self,
        user_id: Uuid,
        account_type: AccountType,
        organization: Option<NewOrganizationRecord>,
        now: DateTime<Utc>,
    ) -> StoreResult<(User, Option<Organization>)> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query::<B>(
            "UPDATE users SET account_type = $1 WHERE id = $2 AND account_type IS NULL",
        )
        .arg(account_type.as_str())
        .arg(user_id)
        .run(&mut *tx)
        .await?;
        if updated == 0 {
            return Err(match user_in::<B>(&mut *tx, user_id).await? {
                Some(_) => StoreError::Conflict(Conflict::AccountTypeAlreadyChosen),
                None => StoreError::NotFound,
            });
        }
        let organization = match organization {
            Some(org) => {
                let sql = format!(
                    "INSERT INTO organizations (id, owner_id, name, default_country, phone, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ORGANIZATION_COLUMNS}"
                );
                let row: OrganizationRow = sqlx::query::<B>(&sql)
                    .arg(org.id)
                    .arg(user_id)
                    .arg(org.name.as_str())
                    .arg(org.default_country.as_str())
                    .arg(org.phone.as_deref())
                    .arg(millis(now))
                    .one(&mut *tx)
                    .await?;
                sqlx::query::<B>(
                    "INSERT INTO memberships (organization_id, user_id, role, joined_at) \
                     VALUES ($1, $2, 'admin', $3)",
                )
                .arg(org.id)
                .arg(user_id)
                .arg(millis(now))
                .run(&mut *tx)
                .await?;
                Some(row.into())
            }
            None => None,
        };
        let user = user_in::<B>(&mut *tx, user_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok((user, organization))
    }

    async fn set_user_phone(&self, user_id: Uuid, phone: &str) -> StoreResult<User> {
        let mut tx = self.write.begin().await?;
        sqlx::query::<B>("UPDATE users SET phone = $1 WHERE id = $2")
            .arg(phone)
            .arg(user_id)
            .run(&mut *tx)
            .await?;
        sqlx::query::<B>(
            "UPDATE organizations SET phone = $1 WHERE owner_id = $2 AND phone IS NULL",
        )
        .arg(phone)
        .arg(user_id)
        .run(&mut *tx)
        .await?;
        let user = user_in::<B>(&mut *tx, user_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(user)
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query::<B>(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .arg(token_hash)
        .arg(user_id)
        .arg(millis(now))
        .arg(millis(expires_at))
        .run(&mut *self.write.acquire().await?)
        .await?;
        Ok(())
    }

    async fn session_user(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query::<B>(
            "SELECT u.id, u.email, u.account_type, u.phone, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .arg(token_hash)
        .arg(millis(now))
        .one_or_none(&mut *self.read.acquire().await?)
        .await?;
        Ok(row.map(User::from))
    }

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
        sqlx::query::<B>("DELETE FROM sessions WHERE token_hash = $1")
            .arg(token_hash)
            .run(&mut *self.write.acquire().await?)
            .await?;
        Ok(())
    }

    async fn organization(&self, org_id: Uuid) -> StoreResult<Option<Organization>> {
        let sql = format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1");
        let row: Option<OrganizationRow> = sqlx::query::<B>(&sql)
            .arg(org_id)
            .one_or_none(&mut *self.read.acquire().await?)
            .await?;
        Ok(row.map(Organization::from))
    }

    async fn update_organization(
        &self,
        org_id: Uuid,
        changes: &UpdateOrganization,
    ) -> StoreResult<Organization> {
        let sql = format!(
            "UPDATE organizations SET name = COALESCE($1, name), \
             default_country = COALESCE($2, default_country), phone = COALESCE($3, phone), \
             pacing_min_seconds = COALESCE($4, pacing_min_seconds), \
             pacing_max_seconds = COALESCE($5, pacing_max_seconds), \
             burst_size = COALESCE($6, burst_size), \
             burst_pause_seconds = COALESCE($7, burst_pause_seconds), \
             hourly_cap = COALESCE($8, hourly_cap), daily_cap = COALESCE($9, daily_cap) \
             WHERE id = $10 RETURNING {ORGANIZATION_COLUMNS}"
        );
        let row: Option<OrganizationRow> = sqlx::query::<B>(&sql)
            .arg(changes.name.as_deref())
            .arg(changes.default_country.as_deref())
            .arg(changes.phone.as_deref())
            .arg(changes.pacing.map(|p| p.min_gap_seconds))
            .arg(changes.pacing.map(|p| p.max_gap_seconds))
            .arg(changes.pacing.map(|p| p.burst_size))
            .arg(changes.pacing.map(|p| p.burst_pause_seconds))
            .arg(changes.pacing.map(|p| p.hourly_cap))
            .arg(changes.pacing.map(|p| p.daily_cap))
            .arg(org_id)
            .one_or_none(&mut *self.write.acquire().await?)
            .await?;
        row.map(Organization::from).ok_or(StoreError::NotFound)
    }

    async fn role(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<Role>> {
        role_in::<B>(&mut *self.read.acquire().await?, org_id, user_id).await
    }

    async fn memberships(&self, user_id: Uuid) -> StoreResult<Vec<Membership>> {
        let rows: Vec<MembershipRow> = sqlx::query::<B>(
            "SELECT o.id, o.name, o.default_country, o.phone, o.pacing_min_seconds, \
             o.pacing_max_seconds, o.burst_size, o.burst_pause_seconds, o.hourly_cap, \
             o.daily_cap, o.created_at, m.role, m.joined_at \
             FROM memberships m JOIN organizations o ON o.id = m.organization_id \
             WHERE m.user_id = $1 ORDER BY m.joined_at, o.id",
        )
        .arg(user_id)
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows.into_iter().map(Membership::from).collect())
    }

    async fn members(&self, org_id: Uuid) -> StoreResult<Vec<Member>> {
        let rows: Vec<MemberRow> = sqlx::query::<B>(
            "SELECT m.user_id, u.email, m.role, m.joined_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organization_id = $1 ORDER BY m.joined_at, u.email",
        )
        .arg(org_id)
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows.into_iter().map(Member::from).collect())
    }

    async fn delete_organization(
        &self,
        org_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        let mut tx = self.write.begin().await?;
        B::lock_organization(&mut *tx, org_id).await?;
        let members: Vec<(Uuid,)> =
            sqlx::query::<B>("SELECT user_id FROM memberships WHERE organization_id = $1")
                .arg(org_id)
                .all(&mut *tx)
                .await?;
        if members.is_empty() {
            return Err(StoreError::NotFound);
        }
        sqlx::query::<B>("DELETE FROM memberships WHERE organization_id = $1")
            .arg(org_id)
            .run(&mut *tx)
            .await?;
        sqlx::query::<B>(
            "UPDATE invites SET state = 'revoked', closed_at = $1 \
             WHERE organization_id = $2 AND state = 'invite_sent'",
        )
        .arg(millis(now))
        .arg(org_id)
        .run(&mut *tx)
        .await?;
        sqlx::query::<B>("UPDATE organizations SET deleted_at = $1 WHERE id = $2")
            .arg(millis(now))
            .arg(org_id)
            .run(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(members.into_iter().map(|(id,)| id).collect())
    }

    async fn change_member(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        change: MemberChange,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        B::lock_organization(&mut *tx, org_id).await?;
        match role_in::<B>(&mut *tx, org_id, user_id).await? {
            None => return Err(StoreError::NotFound),
            Some(Role::Admin) if change != MemberChange::Role(Role::Admin) => {
                let (admins,): (i64,) = sqlx::query::<B>(
                    "SELECT COUNT(*) FROM memberships WHERE organization_id = $1 AND role = 'admin'",
                )
                .arg(org_id)
                .one(&mut *tx)
                .await?;
                if admins <= 1 {
                    return Err(StoreError::Conflict(Conflict::LastAdmin));
                }
            }
            Some(_) => {}
        }
        match change {
            MemberChange::Remove => {
                sqlx::query::<B>(
                    "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2",
                )
                .arg(org_id)
                .arg(user_id)
                .run(&mut *tx)
                .await?;
            }
            MemberChange::Role(role) => {
                sqlx::query::<B>(
                    "UPDATE memberships SET role = $1 WHERE organization_id = $2 AND user_id = $3",
                )
                .arg(role.as_str())
                .arg(org_id)
                .arg(user_id)
                .run(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_invite(
        &self,
        id: Uuid,
        org_id: Uuid,
        email: &str,
        invited_by: Uuid,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Invite> {
        let mut tx = self.write.begin().await?;
        let member: Option<(Uuid,)> = sqlx::query::<B>(
            "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organization_id = $1 AND u.email = $2",
        )
        .arg(org_id)
        .arg(email)
        .one_or_none(&mut *tx)
        .await?;
        if member.is_some() {
            return Err(StoreError::Conflict(Conflict::AlreadyMember));
        }
        let sql = format!(
            "INSERT INTO invites (id, organization_id, email, state, invited_by, created_at, code_hash) \
             VALUES ($1, $2, $3, 'invite_sent', $4, $5, $6) RETURNING {INVITE_COLUMNS}"
        );
        let row: InviteRow = sqlx::query::<B>(&sql)
            .arg(id)
            .arg(org_id)
            .arg(email)
            .arg(invited_by)
            .arg(millis(now))
            .arg(code_hash)
            .one(&mut *tx)
            .await
            .map_err(unique_means(Conflict::InvitePending))?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn invites(&self, org_id: Uuid) -> StoreResult<Vec<Invite>> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE organization_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<InviteRow> = sqlx::query::<B>(&sql)
            .arg(org_id)
            .all(&mut *self.read.acquire().await?)
            .await?;
        Ok(rows.into_iter().map(Invite::from).collect())
    }

    async fn record_audit(&self, org_id: Uuid, event: &AuditEvent) -> StoreResult<()> {
        sqlx::query::<B>(
            "INSERT INTO audit_events (id, organization_id, actor_id, action, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .arg(event.id)
        .arg(org_id)
        .arg(event.actor_id)
        .arg(event.action.as_str())
        .arg(event.detail.as_str())
        .arg(millis(event.created_at))
        .run(&mut *self.write.acquire().await?)
        .await?;
        Ok(())
    }

    async fn audit_events(&self, org_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        let rows: Vec<(Uuid, Uuid, String, String, i64)> = sqlx::query::<B>(
            "SELECT id, actor_id, action, detail, created_at FROM audit_events \
             WHERE organization_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .arg(org_id)
        .arg(limit)
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, actor_id, action, detail, created_at)| AuditEvent {
                id,
                actor_id,
                action,
                detail,
                created_at: time(created_at),
            })
            .collect())
    }

    async fn revoke_invite(
        &self,
        org_id: Uuid,
        invite_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Invite> {
        let mut tx = self.write.begin().await?;
        let sql = format!(
            "UPDATE invites SET state = 'revoked', closed_at = $1 \
             WHERE id = $2 AND organization_id = $3 AND state = 'invite_sent' \
             RETURNING {INVITE_COLUMNS}"
        );
        let row: Option<InviteRow> = sqlx::query::<B>(&sql)
            .arg(millis(now))
            .arg(invite_id)
            .arg(org_id)
            .one_or_none(&mut *tx)
            .await?;
        let Some(row) = row else {
            let exists: Option<(Uuid,)> =
                sqlx::query::<B>("SELECT id FROM invites WHERE id = $1 AND organization_id = $2")
                    .arg(invite_id)
                    .arg(org_id)
                    .one_or_none(&mut *tx)
                    .await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict(Conflict::InviteClosed),
                None => StoreError::NotFound,
            });
        };
        tx.commit().await?;
        Ok(row.into())
    }

    async fn open_invites_for(&self, email: &str) -> StoreResult<Vec<ReceivedInvite>> {
        let rows: Vec<ReceivedInviteRow> = sqlx::query::<B>(
            "SELECT i.id, i.organization_id, o.name AS organization_name, \
             u.email AS invited_by_email, i.created_at \
             FROM invites i JOIN organizations o ON o.id = i.organization_id \
             JOIN users u ON u.id = i.invited_by \
             WHERE i.email = $1 AND i.state = 'invite_sent' ORDER BY i.created_at DESC, i.id DESC",
        )
        .arg(email)
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows.into_iter().map(ReceivedInvite::from).collect())
    }

    async fn answer_invite(
        &self,
        invite_id: Uuid,
        user: &User,
        accept_with: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> StoreResult<Invite> {
        let state = if accept_with.is_some() {
            InviteState::Accepted
        } else {
            InviteState::Declined
        };
        let mut tx = self.write.begin().await?;
        let current: Option<(String, Option<Vec<u8>>)> =
            sqlx::query::<B>("SELECT state, code_hash FROM invites WHERE id = $1 AND email = $2")
                .arg(invite_id)
                .arg(user.email.as_str())
                .one_or_none(&mut *tx)
                .await?;
        let Some((current_state, code_hash)) = current else {
            return Err(StoreError::NotFound);
        };
        if current_state != InviteState::InviteSent.as_str() {
            return Err(StoreError::Conflict(Conflict::InviteClosed));
        }
        if let Some(given) = accept_with {
            if code_hash.as_deref() != Some(given) {
                return Err(StoreError::Conflict(Conflict::WrongInviteCode));
            }
        }
        let sql = format!(
            "UPDATE invites SET state = $1, closed_at = $2 \
             WHERE id = $3 AND email = $4 AND state = 'invite_sent' RETURNING {INVITE_COLUMNS}"
        );
        let row: Option<InviteRow> = sqlx::query::<B>(&sql)
            .arg(state.as_str())
            .arg(millis(now))
            .arg(invite_id)
            .arg(user.email.as_str())
            .one_or_none(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict(Conflict::InviteClosed));
        };
        let invite = Invite::from(row);
        if accept_with.is_some() {
            sqlx::query::<B>(
                "INSERT INTO memberships (organization_id, user_id, role, joined_at) \
                 VALUES ($1, $2, 'agent', $3) ON CONFLICT DO NOTHING",
            )
            .arg(invite.organization_id)
            .arg(user.id)
            .arg(millis(now))
            .run(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(invite)
    }
}
