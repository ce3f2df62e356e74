//! Positions in an account's change feed, which every store's writes take.

use super::backend::{Args as _, Backend, Fetch as _};
use super::{AccountRef, StoreResult};

/// Takes `n` positions in the account's change feed (creating its row on
/// first use; on PostgreSQL the update also holds the account's row lock
/// until the transaction ends); returns the first.
pub(crate) async fn take_seqs<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    n: i64,
) -> StoreResult<i64> {
    let (end,): (i64,) = sqlx::query::<B>(
        "INSERT INTO accounts (id, kind, change_seq) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET change_seq = accounts.change_seq + excluded.change_seq \
         RETURNING change_seq",
    )
    .arg(account.id())
    .arg(account.kind())
    .arg(n)
    .one(conn)
    .await?;
    Ok(end - n + 1)
}
