//! What the benchmarks share: the databases they run on (a SQLite file, or
//! a fresh PostgreSQL schema dropped afterwards), figures, and signing up.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chorus_relay::store::{PgStore, SqliteStore, Store};
use serde_json::json;
use sqlx::ConnectOptions;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Which databases to measure (`CHORUS_BENCH_DATABASES=sqlite` or
/// `postgres` for one; both by default).
pub fn backends() -> Vec<Backend> {
    let chosen = std::env::var("CHORUS_BENCH_DATABASES").unwrap_or_default();
    [Backend::Sqlite, Backend::Postgres]
        .into_iter()
        .filter(|backend| {
            chosen.is_empty()
                || chosen
                    .to_lowercase()
                    .contains(&format!("{backend:?}").to_lowercase())
        })
        .collect()
}
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

pub struct Database {
    pub store: Arc<dyn Store>,
    pub _dir: tempfile::TempDir,
    pub cleanup: Option<(sqlx::postgres::PgConnectOptions, String)>,
}

pub async fn open(backend: Backend) -> Database {
    let dir = tempfile::tempdir().expect("temporary directory");
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            Database {
                store: Arc::new(SqliteStore::open(&url).await.expect("open")),
                _dir: dir,
                cleanup: None,
            }
        }
        Backend::Postgres => {
            let (admin, schema) = fresh_schema().await;
            let store =
                PgStore::connect_with(admin.clone().options([("search_path", schema.as_str())]))
                    .await
                    .expect("open");
            Database {
                store: Arc::new(store),
                _dir: dir,
                cleanup: Some((admin, schema)),
            }
        }
    }
}

pub async fn fresh_schema() -> (sqlx::postgres::PgConnectOptions, String) {
    let url = std::env::var("CHORUS_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = sqlx::postgres::PgConnectOptions::from_str(&url)
        .expect("postgres URL")
        .disable_statement_logging();
    let schema = format!("chorus_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = admin.connect().await.expect("PostgreSQL reachable");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("schema");
    (admin, schema)
}

pub async fn drop_schema(admin: &sqlx::postgres::PgConnectOptions, schema: &str) {
    if let Ok(mut conn) = admin.connect().await {
        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut conn)
            .await;
    }
}

pub async fn sign_up(http: &reqwest::Client, base: &str, email: &str) -> String {
    let session: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": "benchmark password"}))
        .send()
        .await
        .expect("signup")
        .json()
        .await
        .expect("json");
    session["token"].as_str().expect("token").to_owned()
}
