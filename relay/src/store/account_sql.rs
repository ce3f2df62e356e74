//! [`super::AccountStore`] in SQL that reads the same on SQLite and
//! PostgreSQL but for placeholders, written once with `?` and instantiated
//! per backend by [`define_account_store`] (as the queue's SQL is, see
//! [`super::queue_sql`]).

/// Implements [`super::AccountStore`] for `$store` on `$db`, writing
/// through `self.$write`, reading through `self.$read`, with `$q` turning the
/// SQL's `?` into the backend's placeholders. The backend module defines
/// `lock_organization(tx, org_id)`, which serialises membership changes of
/// an organization where the database does not already.
macro_rules! define_account_store {
    ($store:ty, $db:ty, $write:ident, $read:ident, $q:path) => {
        use async_trait::async_trait;
        use chorus_shared::account::{AccountType, InviteState, Role};
        use chorus_shared::api::{
            AuditEvent, Invite, Member, Membership, Organization, ReceivedInvite,
            UpdateOrganization, User,
        };
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use super::{INVITE_COLUMNS, USER_COLUMNS};
        use $crate::store::rows::{
            millis, CredentialsRow, InviteRow, MemberRow, MembershipRow, OrganizationRow,
            ReceivedInviteRow, UserRow,
        };
        use $crate::store::{
            conflict_on_unique, AccountStore, Conflict, MemberChange, NewOrganizationRecord,
            StoreError, StoreResult, StoredCredentials,
        };

        #[async_trait]
        impl AccountStore for $store {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query(&$q("SELECT 1")).execute(&self.$read).await?;
                Ok(())
            }

            async fn create_user(
                &self,
                id: Uuid,
                email: &str,
                password_hash: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<User> {
                let row: UserRow = sqlx::query_as(&$q(&format!(
                    "INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?) \
                     RETURNING {USER_COLUMNS}"
                )))
                .bind(id)
                .bind(email)
                .bind(password_hash)
                .bind(millis(now))
                .fetch_one(&self.$write)
                .await
                .map_err(|e| conflict_on_unique(e, Conflict::EmailTaken))?;
                Ok(row.into())
            }

            async fn credentials_by_email(&self, email: &str) -> StoreResult<Option<StoredCredentials>> {
                let row: Option<CredentialsRow> = sqlx::query_as(&$q(&format!(
                    "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?"
                )))
                .bind(email)
                .fetch_optional(&self.$read)
                .await?;
                Ok(row.map(|row| StoredCredentials {
                    user: row.user.into(),
                    password_hash: row.password_hash,
                }))
            }

            async fn user(&self, id: Uuid) -> StoreResult<Option<User>> {
                <$store>::user_in(&self.$read, id).await
            }

            async fn choose_account_type(
                &self,
                user_id: Uuid,
                account_type: AccountType,
                organization: Option<NewOrganizationRecord>,
                now: DateTime<Utc>,
            ) -> StoreResult<(User, Option<Organization>)> {
                let mut tx = self.$write.begin().await?;
                let updated =
                    sqlx::query(&$q("UPDATE users SET account_type = ? WHERE id = ? AND account_type IS NULL"))
                        .bind(account_type.as_str())
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                if updated.rows_affected() == 0 {
                    return Err(match <$store>::user_in(&mut *tx, user_id).await? {
                        Some(_) => StoreError::Conflict(Conflict::AccountTypeAlreadyChosen),
                        None => StoreError::NotFound,
                    });
                }
                let organization = match organization {
                    Some(org) => {
                        let row: OrganizationRow = sqlx::query_as(
                            &$q("INSERT INTO organizations (id, owner_id, name, default_country, phone, created_at) \
                             VALUES (?, ?, ?, ?, ?, ?) \
                             RETURNING id, name, default_country, phone, pacing_min_seconds, pacing_max_seconds, created_at")
                        )
                        .bind(org.id)
                        .bind(user_id)
                        .bind(&org.name)
                        .bind(&org.default_country)
                        .bind(&org.phone)
                        .bind(millis(now))
                        .fetch_one(&mut *tx)
                        .await?;
                        sqlx::query(
                            &$q("INSERT INTO memberships (organization_id, user_id, role, joined_at) \
                             VALUES (?, ?, 'admin', ?)")
                        )
                        .bind(org.id)
                        .bind(user_id)
                        .bind(millis(now))
                        .execute(&mut *tx)
                        .await?;
                        Some(row.into())
                    }
                    None => None,
                };
                let user = <$store>::user_in(&mut *tx, user_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                tx.commit().await?;
                Ok((user, organization))
            }

            async fn set_user_phone(&self, user_id: Uuid, phone: &str) -> StoreResult<User> {
                let mut tx = self.$write.begin().await?;
                sqlx::query(&$q("UPDATE users SET phone = ? WHERE id = ?"))
                    .bind(phone)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&$q("UPDATE organizations SET phone = ? WHERE owner_id = ? AND phone IS NULL"))
                    .bind(phone)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                let user = <$store>::user_in(&mut *tx, user_id)
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
                sqlx::query(
                    &$q("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(millis(now))
                .bind(millis(expires_at))
                .execute(&self.$write)
                .await?;
                Ok(())
            }

            async fn session_user(
                &self,
                token_hash: &[u8],
                now: DateTime<Utc>,
            ) -> StoreResult<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(
                    &$q("SELECT u.id, u.email, u.account_type, u.phone, u.created_at \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = ? AND s.expires_at > ?")
                )
                .bind(token_hash)
                .bind(millis(now))
                .fetch_optional(&self.$read)
                .await?;
                Ok(row.map(User::from))
            }

            async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
                sqlx::query(&$q("DELETE FROM sessions WHERE token_hash = ?"))
                    .bind(token_hash)
                    .execute(&self.$write)
                    .await?;
                Ok(())
            }

            async fn organization(&self, org_id: Uuid) -> StoreResult<Option<Organization>> {
                let row: Option<OrganizationRow> = sqlx::query_as(
                    &$q("SELECT id, name, default_country, phone, pacing_min_seconds, pacing_max_seconds, created_at FROM organizations WHERE id = ?")
                )
                .bind(org_id)
                .fetch_optional(&self.$read)
                .await?;
                Ok(row.map(Organization::from))
            }

            async fn update_organization(
                &self,
                org_id: Uuid,
                changes: &UpdateOrganization,
            ) -> StoreResult<Organization> {
                let row: Option<OrganizationRow> = sqlx::query_as(
                    &$q("UPDATE organizations SET name = COALESCE(?, name), \
                     default_country = COALESCE(?, default_country), phone = COALESCE(?, phone), \
                     pacing_min_seconds = COALESCE(?, pacing_min_seconds), \
                     pacing_max_seconds = COALESCE(?, pacing_max_seconds) \
                     WHERE id = ? RETURNING id, name, default_country, phone, pacing_min_seconds, pacing_max_seconds, created_at")
                )
                .bind(&changes.name)
                .bind(&changes.default_country)
                .bind(&changes.phone)
                .bind(changes.pacing.map(|p| p.min_gap_seconds))
                .bind(changes.pacing.map(|p| p.max_gap_seconds))
                .bind(org_id)
                .fetch_optional(&self.$write)
                .await?;
                row.map(Organization::from).ok_or(StoreError::NotFound)
            }

            async fn role(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<Role>> {
                let role: Option<String> = sqlx::query_scalar(
                    &$q("SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?")
                )
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(&self.$read)
                .await?;
                Ok(role.as_deref().and_then(Role::parse))
            }

            async fn memberships(&self, user_id: Uuid) -> StoreResult<Vec<Membership>> {
                let rows: Vec<MembershipRow> = sqlx::query_as(
                    &$q("SELECT o.id, o.name, o.default_country, o.phone, o.pacing_min_seconds, \
                     o.pacing_max_seconds, o.created_at, m.role, m.joined_at \
                     FROM memberships m JOIN organizations o ON o.id = m.organization_id \
                     WHERE m.user_id = ? ORDER BY m.joined_at, o.id")
                )
                .bind(user_id)
                .fetch_all(&self.$read)
                .await?;
                Ok(rows.into_iter().map(Membership::from).collect())
            }

            async fn members(&self, org_id: Uuid) -> StoreResult<Vec<Member>> {
                let rows: Vec<MemberRow> = sqlx::query_as(
                    &$q("SELECT m.user_id, u.email, m.role, m.joined_at \
                     FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = ? ORDER BY m.joined_at, u.email")
                )
                .bind(org_id)
                .fetch_all(&self.$read)
                .await?;
                Ok(rows.into_iter().map(Member::from).collect())
            }

            async fn delete_organization(
                &self,
                org_id: Uuid,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<Uuid>> {
                let mut tx = self.$write.begin().await?;
                lock_organization(&mut tx, org_id).await?;
                let members: Vec<Uuid> = sqlx::query_scalar(
                    &$q("SELECT user_id FROM memberships WHERE organization_id = ?")
                )
                .bind(org_id)
                .fetch_all(&mut *tx)
                .await?;
                if members.is_empty() {
                    return Err(StoreError::NotFound);
                }
                sqlx::query(&$q("DELETE FROM memberships WHERE organization_id = ?"))
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&$q(
                    "UPDATE invites SET state = 'revoked', closed_at = ? \
                     WHERE organization_id = ? AND state = 'invite_sent'"
                ))
                .bind(millis(now))
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(&$q("UPDATE organizations SET deleted_at = ? WHERE id = ?"))
                    .bind(millis(now))
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(members)
            }

            async fn change_member(
                &self,
                org_id: Uuid,
                user_id: Uuid,
                change: MemberChange,
            ) -> StoreResult<()> {
                let mut tx = self.$write.begin().await?;
                lock_organization(&mut tx, org_id).await?;
                let role: Option<String> = sqlx::query_scalar(
                    &$q("SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?")
                )
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
                match role.as_deref().and_then(Role::parse) {
                    None => return Err(StoreError::NotFound),
                    Some(Role::Admin) if change != MemberChange::Role(Role::Admin) => {
                        let admins: i64 = sqlx::query_scalar(
                            &$q("SELECT COUNT(*) FROM memberships WHERE organization_id = ? AND role = 'admin'")
                        )
                        .bind(org_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        if admins <= 1 {
                            return Err(StoreError::Conflict(Conflict::LastAdmin));
                        }
                    }
                    Some(_) => {}
                }
                match change {
                    MemberChange::Remove => {
                        sqlx::query(&$q("DELETE FROM memberships WHERE organization_id = ? AND user_id = ?"))
                            .bind(org_id)
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    MemberChange::Role(role) => {
                        sqlx::query(
                            &$q("UPDATE memberships SET role = ? WHERE organization_id = ? AND user_id = ?")
                        )
                        .bind(role.as_str())
                        .bind(org_id)
                        .bind(user_id)
                        .execute(&mut *tx)
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
                let mut tx = self.$write.begin().await?;
                let member: Option<Uuid> = sqlx::query_scalar(
                    &$q("SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = ? AND u.email = ?")
                )
                .bind(org_id)
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?;
                if member.is_some() {
                    return Err(StoreError::Conflict(Conflict::AlreadyMember));
                }
                let row: InviteRow = sqlx::query_as(&$q(&format!(
                    "INSERT INTO invites (id, organization_id, email, state, invited_by, created_at, code_hash) \
                     VALUES (?, ?, ?, 'invite_sent', ?, ?, ?) RETURNING {INVITE_COLUMNS}"
                )))
                .bind(id)
                .bind(org_id)
                .bind(email)
                .bind(invited_by)
                .bind(millis(now))
                .bind(code_hash)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_on_unique(e, Conflict::InvitePending))?;
                tx.commit().await?;
                Ok(row.into())
            }

            async fn invites(&self, org_id: Uuid) -> StoreResult<Vec<Invite>> {
                let rows: Vec<InviteRow> = sqlx::query_as(&$q(&format!(
                    "SELECT {INVITE_COLUMNS} FROM invites WHERE organization_id = ? \
                     ORDER BY created_at DESC, id DESC"
                )))
                .bind(org_id)
                .fetch_all(&self.$read)
                .await?;
                Ok(rows.into_iter().map(Invite::from).collect())
            }

            async fn record_audit(&self, org_id: Uuid, event: &AuditEvent) -> StoreResult<()> {
                sqlx::query(&$q(
                    "INSERT INTO audit_events (id, organization_id, actor_id, action, detail, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                ))
                .bind(event.id)
                .bind(org_id)
                .bind(event.actor_id)
                .bind(&event.action)
                .bind(&event.detail)
                .bind(millis(event.created_at))
                .execute(&self.$write)
                .await?;
                Ok(())
            }

            async fn audit_events(&self, org_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>> {
                let rows: Vec<(Uuid, Uuid, String, String, i64)> = sqlx::query_as(&$q(
                    "SELECT id, actor_id, action, detail, created_at FROM audit_events \
                     WHERE organization_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                ))
                .bind(org_id)
                .bind(limit)
                .fetch_all(&self.$read)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, actor_id, action, detail, created_at)| AuditEvent {
                        id,
                        actor_id,
                        action,
                        detail,
                        created_at: $crate::store::rows::time(created_at),
                    })
                    .collect())
            }

            async fn revoke_invite(
                &self,
                org_id: Uuid,
                invite_id: Uuid,
                now: DateTime<Utc>,
            ) -> StoreResult<Invite> {
                let mut tx = self.$write.begin().await?;
                let row: Option<InviteRow> = sqlx::query_as(&$q(&format!(
                    "UPDATE invites SET state = 'revoked', closed_at = ? \
                     WHERE id = ? AND organization_id = ? AND state = 'invite_sent' \
                     RETURNING {INVITE_COLUMNS}"
                )))
                .bind(millis(now))
                .bind(invite_id)
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    let exists: Option<Uuid> =
                        sqlx::query_scalar(&$q("SELECT id FROM invites WHERE id = ? AND organization_id = ?"))
                            .bind(invite_id)
                            .bind(org_id)
                            .fetch_optional(&mut *tx)
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
                let rows: Vec<ReceivedInviteRow> = sqlx::query_as(
                    &$q("SELECT i.id, i.organization_id, o.name AS organization_name, \
                     u.email AS invited_by_email, i.created_at \
                     FROM invites i JOIN organizations o ON o.id = i.organization_id \
                     JOIN users u ON u.id = i.invited_by \
                     WHERE i.email = ? AND i.state = 'invite_sent' ORDER BY i.created_at DESC, i.id DESC")
                )
                .bind(email)
                .fetch_all(&self.$read)
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
                let accept = accept_with.is_some();
                let state = if accept {
                    InviteState::Accepted
                } else {
                    InviteState::Declined
                };
                let mut tx = self.$write.begin().await?;
                let current: Option<(String, Option<Vec<u8>>)> = sqlx::query_as(&$q(
                    "SELECT state, code_hash FROM invites WHERE id = ? AND email = ?",
                ))
                .bind(invite_id)
                .bind(&user.email)
                .fetch_optional(&mut *tx)
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
                let row: Option<InviteRow> = sqlx::query_as(&$q(&format!(
                    "UPDATE invites SET state = ?, closed_at = ? \
                     WHERE id = ? AND email = ? AND state = 'invite_sent' RETURNING {INVITE_COLUMNS}"
                )))
                .bind(state.as_str())
                .bind(millis(now))
                .bind(invite_id)
                .bind(&user.email)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err(StoreError::Conflict(Conflict::InviteClosed));
                };
                let invite = Invite::from(row);
                if accept {
                    sqlx::query(
                        &$q("INSERT INTO memberships (organization_id, user_id, role, joined_at) \
                         VALUES (?, ?, 'agent', ?) ON CONFLICT DO NOTHING")
                    )
                    .bind(invite.organization_id)
                    .bind(user.id)
                    .bind(millis(now))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(invite)
            }
        }
    };
}
pub(crate) use define_account_store;
