//! The queue, credits and files on PostgreSQL. Every write transaction locks
//! the account's row first, which serialises that account's changes across
//! connections and relays.

crate::store::queue_sql::define_queue_store!(
    super::PgStore,
    sqlx::Postgres,
    write,
    read,
    crate::store::queue_sql::numbered
);

/// Holds the account's row lock until the transaction ends.
async fn lock_account(tx: &mut Tx, account: AccountRef) -> StoreResult<()> {
    ensure_account(tx, account).await?;
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(account.id())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
