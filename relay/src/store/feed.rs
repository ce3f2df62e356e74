//! Helpers every store's SQL shares: positions in an account's change feed,
//! and placeholder lists for `IN (...)`.

use uuid::Uuid;

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

/// `$first, $first+1, ...`: `count` placeholders for a list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binds each id of a list, in order.
pub(crate) fn bind_ids<'q, B: Backend>(
    query: super::backend::Sql<'q, B>,
    ids: &[Uuid],
) -> super::backend::Sql<'q, B> {
    ids.iter().fold(query, |query, id| query.arg(*id))
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_count_on_from_the_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 0), "");
    }
}
