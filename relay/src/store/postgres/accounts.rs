//! Accounts, sessions, organizations and invites on PostgreSQL.

crate::store::account_sql::define_account_store!(
    super::PgStore,
    sqlx::Postgres,
    pool,
    pool,
    crate::store::queue_sql::numbered
);

/// Serialises membership changes of this organization across connections
/// and relays, until the transaction ends.
async fn lock_organization(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    org_id: Uuid,
) -> StoreResult<()> {
    sqlx::query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
