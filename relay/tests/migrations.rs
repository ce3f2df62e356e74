//! Migrations over data that already exists: a relay upgraded in place
//! keeps every row, and every reference between rows.

use std::borrow::Cow;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::Row;
use uuid::Uuid;

/// SQLite rebuilds `messages` to widen its kinds (0011): queued messages
/// with credit holds that refer to them come through whole, with foreign
/// keys enforced as the relay enforces them.
#[tokio::test]
async fn the_sqlite_messages_rebuild_keeps_messages_and_what_refers_to_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("chorus.db"))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("database");
    let all = sqlx::migrate!("./migrations/sqlite");
    let before_rebuild = all
        .migrations
        .iter()
        .position(|migration| migration.version == 11)
        .expect("migration 0011");
    let mut earlier = sqlx::migrate!("./migrations/sqlite");
    earlier.migrations = Cow::Owned(all.migrations[..before_rebuild].to_vec());
    earlier.run(&pool).await.expect("migrations up to 0010");

    let (account, chat, message, grant) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    for statement in [
        "INSERT INTO accounts (id, kind, change_seq) VALUES (?1, 'personal', 2)",
        "INSERT INTO chats (id, account_id, wa_id, phone, created_at, last_activity_at) \
         VALUES (?2, ?1, '447400000001@c.us', '+447400000001', 0, 0)",
        "INSERT INTO messages (id, account_id, chat_id, direction, kind, text, status, cost, \
         credits, queue_pos, seq, created_at, updated_at, media_name) \
         VALUES (?3, ?1, ?2, 'outgoing', 'text', 'hello', 'queued', 1, 'reserved', 1, 1, 0, 0, 'kept')",
        "INSERT INTO credit_grants (id, account_id, plan, amount, remaining, created_at, expires_at) \
         VALUES (?4, ?1, 'monthly', 10, 9, 0, 9999999999999)",
        "INSERT INTO credit_holds (message_id, grant_id, amount) VALUES (?3, ?4, 1)",
    ] {
        sqlx::query(statement)
            .bind(account)
            .bind(chat)
            .bind(message)
            .bind(grant)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    all.run(&pool).await.expect("the rebuild applies over data");

    let row = sqlx::query("SELECT text, media_name, wa_time FROM messages WHERE id = ?")
        .bind(message)
        .fetch_one(&pool)
        .await
        .expect("the message is still there");
    assert_eq!(row.get::<String, _>("text"), "hello");
    assert_eq!(row.get::<String, _>("media_name"), "kept");
    assert_eq!(row.get::<Option<i64>, _>("wa_time"), None);
    let problems: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .expect("foreign key check");
    assert!(problems.is_empty(), "dangling references: {problems:?}");
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' \
         AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .expect("indexes");
    assert_eq!(indexes.len(), 9, "every index is back: {indexes:?}");
    sqlx::query(
        "INSERT INTO messages (id, account_id, chat_id, direction, kind, status, cost, credits, \
         queue_pos, seq, created_at, updated_at) \
         VALUES (?, ?, ?, 'incoming', 'audio', 'received', 3, 'charged', 2, 2, 0, 0)",
    )
    .bind(Uuid::now_v7())
    .bind(account)
    .bind(chat)
    .execute(&pool)
    .await
    .expect("voice notes fit");
    // A hold on a message that does not exist is still refused.
    let dangling =
        sqlx::query("INSERT INTO credit_holds (message_id, grant_id, amount) VALUES (?, ?, 1)")
            .bind(Uuid::now_v7())
            .bind(grant)
            .execute(&pool)
            .await;
    assert!(dangling.is_err(), "foreign keys still hold");
}
