//! The queue, credits and files on SQLite. Every write runs on the single
//! writer connection, which also serialises each account's changes.

crate::store::queue_sql::define_queue_store!(
    super::SqliteStore,
    sqlx::Sqlite,
    write,
    read,
    crate::store::queue_sql::question_marks
);

/// Nothing to take: the single writer connection already serialises every
/// write, so an account's changes cannot interleave.
async fn lock_account(_tx: &mut Tx, _account: AccountRef) -> StoreResult<()> {
    Ok(())
}
