//! Bulk contact changes: one request deleting (or tagging) 10,000 contacts,
//! for SQLite and PostgreSQL, printed beside a baseline measured in the same
//! run: the same number of rows updated by id in one transaction of a plain
//! table of the same database kind.
//!
//! `cargo bench -p chorus-relay --bench contacts` (or `cargo xtask bench`).
//! `CHORUS_BENCH_DATABASES` picks one database, as for the queue benchmark.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus_relay::blobs::DiskBlobs;
use chorus_relay::store::AccountRef;
use chorus_relay::{AppState, Settings};
use serde_json::{json, Value};

mod support;
use support::{backends, drop_schema, fresh_schema, ms, open, percentile, sign_up, Backend};

/// Contacts per bulk request.
const CONTACTS: usize = 10_000;
/// Rounds of each measurement (the median is printed).
const ROUNDS: usize = 3;

#[tokio::main]
async fn main() {
    println!("bulk changes of {CONTACTS} contacts in one request; median of {ROUNDS} rounds\n");
    for backend in backends() {
        let baseline = raw_bulk_update(backend).await;
        let (delete, tag) = relay_bulk(backend).await;
        let base = percentile(&baseline, 0.5);
        let delete = percentile(&delete, 0.5);
        let tag = percentile(&tag, 0.5);
        println!("{backend:?}");
        println!(
            "  baseline: {CONTACTS} rows updated by id, one transaction   {}",
            ms(base)
        );
        println!(
            "  relay:    POST /contacts/bulk-delete                   {}   ratio {:.1}",
            ms(delete),
            delete.as_secs_f64() / base.as_secs_f64()
        );
        println!(
            "  relay:    POST /contacts/bulk-tag (add one tag)        {}   ratio {:.1}\n",
            ms(tag),
            tag.as_secs_f64() / base.as_secs_f64()
        );
    }
}

/// The relay: an organization with 10,000 imported contacts per round,
/// deleted in one request; then 10,000 more, tagged in one request.
async fn relay_bulk(backend: Backend) -> (Vec<Duration>, Vec<Duration>) {
    let database = open(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let blobs = Arc::new(DiskBlobs::new(database._dir.path().join("files")));
    let state = AppState::new(Arc::clone(&database.store), blobs, Settings::default());
    let server = tokio::spawn(chorus_relay::serve(listener, state, std::future::pending()));
    let http = reqwest::Client::new();
    let admin = sign_up(&http, &base, "admin@bench.test").await;
    let setup: Value = http
        .put(format!("{base}/api/v1/me/account-type"))
        .bearer_auth(&admin)
        .json(&json!({"account_type": "organization", "organization": {"name": "Bench", "default_country": "GB"}}))
        .send()
        .await
        .expect("setup")
        .json()
        .await
        .expect("json");
    let org = setup["organization"]["id"]
        .as_str()
        .expect("org")
        .to_owned();
    let account = AccountRef::Organization(org.parse().expect("uuid"));

    let mut deletes = Vec::new();
    let mut tags = Vec::new();
    for round in 0..ROUNDS * 2 {
        let contacts: Vec<(String, Option<String>)> = (0..CONTACTS)
            .map(|n| {
                (
                    format!("+4474{round:02}{n:06}"),
                    Some(format!("Contact {n}")),
                )
            })
            .collect();
        let added = database
            .store
            .import_contacts(account, &contacts, chrono::Utc::now())
            .await
            .expect("import");
        assert_eq!(added as usize, CONTACTS);
        let mut ids = Vec::with_capacity(CONTACTS);
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{base}/api/v1/contacts?organization_id={org}&limit=500");
            if let Some(next) = &cursor {
                url.push_str(&format!("&cursor={}", urlencode(next)));
            }
            let page: Value = http
                .get(url)
                .bearer_auth(&admin)
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("json");
            ids.extend(
                page["contacts"]
                    .as_array()
                    .expect("contacts")
                    .iter()
                    .map(|c| c["id"].clone()),
            );
            match page["next"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(ids.len(), CONTACTS, "the live contacts of this round");
        let deleting = round % 2 == 0;
        let (path, body) = if deleting {
            ("bulk-delete", json!({"organization_id": org, "ids": ids}))
        } else {
            (
                "bulk-tag",
                json!({"organization_id": org, "ids": ids, "add_tags": [format!("round-{round}")]}),
            )
        };
        let started = Instant::now();
        let answer: Value = http
            .post(format!("{base}/api/v1/contacts/{path}"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("bulk")
            .json()
            .await
            .expect("json");
        let took = started.elapsed();
        assert_eq!(
            answer["affected"].as_u64(),
            Some(CONTACTS as u64),
            "{answer}"
        );
        if deleting {
            deletes.push(took);
        } else {
            // Tagged contacts stay; delete them so the next round lists only its own.
            http.post(format!("{base}/api/v1/contacts/bulk-delete"))
                .bearer_auth(&admin)
                .json(&json!({"organization_id": org, "ids": body["ids"]}))
                .send()
                .await
                .expect("cleanup");
            tags.push(took);
        }
    }
    server.abort();
    if let Some((admin, schema)) = &database.cleanup {
        drop_schema(admin, schema).await;
    }
    deletes.sort();
    tags.sort();
    (deletes, tags)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A plain table of 10,000 rows; one transaction updating all of them by id
/// (in statements of 10,000 ids at most, as the store does).
async fn raw_bulk_update(backend: Backend) -> Vec<Duration> {
    let ids: Vec<uuid::Uuid> = (0..CONTACTS).map(|_| uuid::Uuid::now_v7()).collect();
    let mut times = Vec::new();
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("dir");
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.path().join("raw.db"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .expect("open");
            sqlx::query("CREATE TABLE raw (id BLOB PRIMARY KEY, deleted_at INTEGER)")
                .execute(&pool)
                .await
                .expect("table");
            for _ in 0..ROUNDS {
                sqlx::query("DELETE FROM raw")
                    .execute(&pool)
                    .await
                    .expect("clear");
                for chunk in ids.chunks(1000) {
                    let mut query =
                        sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO raw (id) ");
                    query.push_values(chunk, |mut row, id| {
                        row.push_bind(*id);
                    });
                    query.build().execute(&pool).await.expect("insert");
                }
                let started = Instant::now();
                let mut tx = pool.begin().await.expect("begin");
                let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "UPDATE raw SET deleted_at = 1 WHERE id IN (",
                );
                let mut list = query.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                query.push(")");
                query.build().execute(&mut *tx).await.expect("update");
                tx.commit().await.expect("commit");
                times.push(started.elapsed());
            }
        }
        Backend::Postgres => {
            let (admin, schema) = fresh_schema().await;
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_with(admin.clone().options([("search_path", schema.as_str())]))
                .await
                .expect("open");
            sqlx::query("CREATE TABLE raw (id UUID PRIMARY KEY, deleted_at BIGINT)")
                .execute(&pool)
                .await
                .expect("table");
            for _ in 0..ROUNDS {
                sqlx::query("DELETE FROM raw")
                    .execute(&pool)
                    .await
                    .expect("clear");
                for chunk in ids.chunks(1000) {
                    let mut query =
                        sqlx::QueryBuilder::<sqlx::Postgres>::new("INSERT INTO raw (id) ");
                    query.push_values(chunk, |mut row, id| {
                        row.push_bind(*id);
                    });
                    query.build().execute(&pool).await.expect("insert");
                }
                let started = Instant::now();
                let mut tx = pool.begin().await.expect("begin");
                let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new(
                    "UPDATE raw SET deleted_at = 1 WHERE id IN (",
                );
                let mut list = query.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                query.push(")");
                query.build().execute(&mut *tx).await.expect("update");
                tx.commit().await.expect("commit");
                times.push(started.elapsed());
            }
            pool.close().await;
            drop_schema(&admin, &schema).await;
        }
    }
    times.sort();
    times
}
