//! Accounts, sessions, organizations and invites on SQLite.

crate::store::account_sql::define_account_store!(
    super::SqliteStore,
    sqlx::Sqlite,
    write,
    read,
    crate::store::queue_sql::question_marks
);

/// Nothing to take: the single writer connection already serialises each
/// read-then-write of memberships.
async fn lock_organization(
    _tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    _org_id: Uuid,
) -> StoreResult<()> {
    Ok(())
}
