//! Queue benchmark: durable sends per second and send-to-host latency, for
//! SQLite and PostgreSQL, each printed beside baselines measured in the same
//! run on the same machine: a bare WebSocket round trip on loopback, and
//! single-row durable inserts into the same kind of database.
//!
//! `cargo bench -p chorus-relay --bench queue` (or `cargo xtask bench`).
//! Set `CHORUS_BENCH_POSTGRES` to another server than the local one,
//! `CHORUS_BENCH_AGENTS` to change the number of agents (8), and
//! `CHORUS_BENCH_DATABASES` to `sqlite` or `postgres` to measure only one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as AxumMessage, WebSocketUpgrade};
use chorus_relay::blobs::DiskBlobs;
use chorus_relay::store::AccountRef;
use chorus_relay::{AppState, Settings};
use chorus_shared::protocol::{
    Ack, ClientFrame, ClientRole, DeliveryReport, Outcome, Request, ServerFrame, PROTOCOL_VERSION,
};
use chorus_shared::queue::CreditPlan;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

mod support;
use support::{
    backends, drop_schema, fresh_schema, ms, open, percentile, sign_up, Backend, Database,
};

/// Concurrent agents (`CHORUS_BENCH_AGENTS` overrides).
fn agent_count() -> usize {
    std::env::var("CHORUS_BENCH_AGENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
}
const SENDS_PER_AGENT: usize = 150;
const LATENCY_SENDS_PER_AGENT: usize = 60;
const BASELINE_ROUNDS: usize = 1000;

struct Figures {
    sends_per_second: f64,
    send_to_host: Vec<Duration>,
    send_to_host_wide: Vec<Duration>,
    inserts_per_second: f64,
    insert_commit: Vec<Duration>,
}

#[tokio::main]
async fn main() {
    let rtt = websocket_round_trips().await;
    println!(
        "baseline: bare WebSocket round trip on loopback, {BASELINE_ROUNDS} rounds: p50 {} p99 {}",
        ms(percentile(&rtt, 0.5)),
        ms(percentile(&rtt, 0.99))
    );
    let agents = agent_count();
    println!("throughput: {agents} agents x {SENDS_PER_AGENT} sends as fast as accepted; latency: {agents} agents x {LATENCY_SENDS_PER_AGENT} sends, each after the host got the previous one; one simulated host reports each message sent at once\n");
    for backend in backends() {
        let figures = run(backend).await;
        let commit = percentile(&figures.insert_commit, 0.5);
        let p50 = percentile(&figures.send_to_host, 0.5);
        let p99 = percentile(&figures.send_to_host, 0.99);
        let budget = percentile(&rtt, 0.5) + commit;
        println!("{backend:?}");
        println!(
            "  baseline: single-row durable inserts      {:>9.0} /s   (one commit p50 {})",
            figures.inserts_per_second,
            ms(commit)
        );
        println!(
            "  relay:    durable sends accepted          {:>9.0} /s   ratio to inserts {:.2}",
            figures.sends_per_second,
            figures.sends_per_second / figures.inserts_per_second
        );
        let wide50 = percentile(&figures.send_to_host_wide, 0.5);
        let wide99 = percentile(&figures.send_to_host_wide, 0.99);
        let ratio = |p: Duration| p.as_secs_f64() / budget.as_secs_f64();
        println!(
            "  relay:    send -> host, window 1          p50 {}  p99 {}   p99 / (round trip + commit) {:.1}",
            ms(p50),
            ms(p99),
            ratio(p99)
        );
        println!(
            "  relay:    send -> host, window {agents}          p50 {}  p99 {}   p99 / (round trip + commit) {:.1}",
            ms(wide50),
            ms(wide99),
            ratio(wide99)
        );
        println!(
            "  aims:     sends/s >= inserts/s; p99 <= 5 x (round trip + commit) = {}\n",
            ms(budget * 5)
        );
    }
}

/// Round trips of a small text frame to an echo server on loopback.
async fn websocket_round_trips() -> Vec<Duration> {
    let app = axum::Router::new().route(
        "/echo",
        axum::routing::get(|upgrade: WebSocketUpgrade| async {
            upgrade.on_upgrade(|mut socket| async move {
                while let Some(Ok(message)) = socket.recv().await {
                    if let AxumMessage::Text(text) = message {
                        if socket.send(AxumMessage::Text(text)).await.is_err() {
                            break;
                        }
                    }
                }
            })
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(format!("ws://{address}/echo"), None, true)
            .await
            .expect("connect");
    let mut times = Vec::with_capacity(BASELINE_ROUNDS);
    let frame = json!({"id": 1, "type": "ping"}).to_string();
    for _ in 0..BASELINE_ROUNDS {
        let start = Instant::now();
        socket
            .send(Message::Text(frame.clone().into()))
            .await
            .expect("send");
        loop {
            if let Some(Ok(Message::Text(_))) = socket.next().await {
                break;
            }
        }
        times.push(start.elapsed());
    }
    times.sort();
    times
}

/// Single-row inserts, each its own durable transaction, in a table of the
/// same database kind with the store's durability settings.
async fn raw_inserts(backend: Backend) -> (f64, Vec<Duration>) {
    let mut times = Vec::with_capacity(BASELINE_ROUNDS);
    let started;
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
            sqlx::query(
                "CREATE TABLE raw (id BLOB PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)",
            )
            .execute(&pool)
            .await
            .expect("table");
            started = Instant::now();
            for n in 0..BASELINE_ROUNDS {
                let start = Instant::now();
                sqlx::query("INSERT INTO raw (id, body, at) VALUES (?, ?, ?)")
                    .bind(uuid::Uuid::now_v7())
                    .bind(format!("row {n}"))
                    .bind(n as i64)
                    .execute(&pool)
                    .await
                    .expect("insert");
                times.push(start.elapsed());
            }
        }
        Backend::Postgres => {
            let (admin, schema) = fresh_schema().await;
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_with(admin.clone().options([("search_path", schema.as_str())]))
                .await
                .expect("open");
            sqlx::query(
                "CREATE TABLE raw (id UUID PRIMARY KEY, body TEXT NOT NULL, at BIGINT NOT NULL)",
            )
            .execute(&pool)
            .await
            .expect("table");
            started = Instant::now();
            for n in 0..BASELINE_ROUNDS {
                let start = Instant::now();
                sqlx::query("INSERT INTO raw (id, body, at) VALUES ($1, $2, $3)")
                    .bind(uuid::Uuid::now_v7())
                    .bind(format!("row {n}"))
                    .bind(n as i64)
                    .execute(&pool)
                    .await
                    .expect("insert");
                times.push(start.elapsed());
            }
            pool.close().await;
            drop_schema(&admin, &schema).await;
        }
    }
    let rate = BASELINE_ROUNDS as f64 / started.elapsed().as_secs_f64();
    times.sort();
    (rate, times)
}

/// A relay with an organization, its agents and a simulated host.
struct Bench {
    base: String,
    http: reqwest::Client,
    org: uuid::Uuid,
    agents: Vec<String>,
    received: Arc<Mutex<HashMap<String, Arrival>>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    host: tokio::task::JoinHandle<()>,
    database: Database,
}

/// Whether the host got a message, or who waits to hear when it does.
enum Arrival {
    Waiting(tokio::sync::oneshot::Sender<Instant>),
    Arrived,
}

async fn start(backend: Backend, dispatch_window: i64) -> Bench {
    let database = open(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let blobs = Arc::new(DiskBlobs::new(database._dir.path().join("files")));
    let settings = Settings {
        dispatch_window,
        ..Settings::default()
    };
    let state = AppState::new(Arc::clone(&database.store), blobs, settings);
    let server = tokio::spawn(chorus_relay::serve(listener, state, std::future::pending()));
    let http = reqwest::Client::new();

    let admin = sign_up(&http, &base, "admin@bench.test").await;
    let setup: serde_json::Value = http.put(format!("{base}/api/v1/me/account-type")).bearer_auth(&admin)
        .json(&json!({"account_type": "organization", "organization": {"name": "Bench", "default_country": "GB"}}))
        .send().await.expect("setup").json().await.expect("json");
    let org: uuid::Uuid = setup["organization"]["id"]
        .as_str()
        .expect("org")
        .parse()
        .expect("uuid");
    let now = chrono::Utc::now();
    database
        .store
        .grant_credits(
            AccountRef::Organization(org),
            uuid::Uuid::now_v7(),
            CreditPlan::Volume,
            10_000_000,
            now,
            now + chrono::Duration::days(90),
        )
        .await
        .expect("grant");
    let mut agents = Vec::new();
    for n in 0..agent_count() {
        let email = format!("agent{n}@bench.test");
        let token = sign_up(&http, &base, &email).await;
        let invite: serde_json::Value = http
            .post(format!("{base}/api/v1/orgs/{org}/invites"))
            .bearer_auth(&admin)
            .json(&json!({"email": email}))
            .send()
            .await
            .expect("invite")
            .json()
            .await
            .expect("json");
        let accepted = http
            .post(format!(
                "{base}/api/v1/invites/{}/accept",
                invite["id"].as_str().expect("id")
            ))
            .bearer_auth(&token)
            .json(&json!({"confirm": true, "code": invite["code"]}))
            .send()
            .await
            .expect("accept");
        assert!(accepted.status().is_success());
        agents.push(token);
    }
    let received: Arc<Mutex<HashMap<String, Arrival>>> = Arc::default();
    let host = tokio::spawn(simulated_host(
        base.replacen("http", "ws", 1),
        admin,
        org,
        Arc::clone(&received),
    ));
    Bench {
        base,
        http,
        org,
        agents,
        received,
        server,
        host,
        database,
    }
}

impl Bench {
    async fn send(&self, agent: usize, text: &str) {
        let response = self.http.post(format!("{}/api/v1/messages", self.base)).bearer_auth(&self.agents[agent])
            .json(&json!({"organization_id": self.org, "phone": "+44 7400 123456", "text": text, "idempotency_key": text}))
            .send().await.expect("send");
        assert_eq!(
            response.status(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    /// Every agent sends as fast as its sends are accepted; returns accepted sends per second.
    async fn saturate(self: &Arc<Self>) -> f64 {
        let started = Instant::now();
        let senders: Vec<_> = (0..agent_count())
            .map(|agent| {
                let bench = Arc::clone(self);
                tokio::spawn(async move {
                    for i in 0..SENDS_PER_AGENT {
                        bench.send(agent, &format!("load {agent}-{i}")).await;
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.await.expect("sender");
        }
        let rate = (agent_count() * SENDS_PER_AGENT) as f64 / started.elapsed().as_secs_f64();
        // Let the host drain the backlog before the next phase.
        let deadline = Instant::now() + Duration::from_secs(600);
        while self.received.lock().expect("lock").len() < agent_count() * SENDS_PER_AGENT
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        rate
    }

    /// Every agent sends its next message once the host has its previous one;
    /// returns each message's send-to-host time.
    async fn closed_loop(self: &Arc<Self>) -> Vec<Duration> {
        let senders: Vec<_> = (0..agent_count())
            .map(|agent| {
                let bench = Arc::clone(self);
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    for i in 0..LATENCY_SENDS_PER_AGENT {
                        let text = format!("latency {agent}-{i}");
                        let (arrived, arrival) = tokio::sync::oneshot::channel();
                        bench
                            .received
                            .lock()
                            .expect("lock")
                            .insert(text.clone(), Arrival::Waiting(arrived));
                        let sent = Instant::now();
                        bench.send(agent, &text).await;
                        let at = tokio::time::timeout(Duration::from_secs(60), arrival)
                            .await
                            .expect("host got it")
                            .expect("arrival");
                        times.push(at.saturating_duration_since(sent));
                    }
                    times
                })
            })
            .collect();
        let mut all = Vec::new();
        for sender in senders {
            all.extend(sender.await.expect("sender"));
        }
        all.sort();
        all
    }

    async fn stop(self) {
        self.host.abort();
        self.server.abort();
        if let Some((admin, schema)) = &self.database.cleanup {
            drop_schema(admin, schema).await;
        }
    }
}

async fn run(backend: Backend) -> Figures {
    let (inserts_per_second, insert_commit) = raw_inserts(backend).await;
    let bench = Arc::new(start(backend, 1).await);
    let sends_per_second = bench.saturate().await;
    let send_to_host = bench.closed_loop().await;
    if let Ok(bench) = Arc::try_unwrap(bench) {
        bench.stop().await;
    }
    let wide = Arc::new(start(backend, agent_count() as i64).await);
    let send_to_host_wide = wide.closed_loop().await;
    if let Ok(wide) = Arc::try_unwrap(wide) {
        wide.stop().await;
    }
    Figures {
        sends_per_second,
        send_to_host,
        send_to_host_wide,
        inserts_per_second,
        insert_commit,
    }
}

/// Receives dispatches and reports each sent at once.
async fn simulated_host(
    ws: String,
    token: String,
    org: uuid::Uuid,
    received: Arc<Mutex<HashMap<String, Arrival>>>,
) {
    // Browsers send WebSocket frames without Nagle's delay; so does this host.
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(format!("{ws}/api/v1/ws"), None, true)
            .await
            .expect("connect");
    let hello = ClientFrame {
        id: 1,
        request: Request::Hello {
            version: PROTOCOL_VERSION,
            token,
            role: ClientRole::Host {
                organization_id: Some(org),
                take_over: false,
            },
        },
    };
    socket
        .send(Message::Text(
            serde_json::to_string(&hello).expect("json").into(),
        ))
        .await
        .expect("hello");
    let mut next_id = 1;
    while let Some(frame) = socket.next().await {
        let Ok(Message::Text(text)) = frame else {
            continue;
        };
        match serde_json::from_str::<ServerFrame>(&text).expect("frame") {
            ServerFrame::Dispatch { message } => {
                let now = Instant::now();
                let key = message.text.clone().unwrap_or_default();
                let previous = received.lock().expect("lock").insert(key, Arrival::Arrived);
                if let Some(Arrival::Waiting(waiter)) = previous {
                    let _ = waiter.send(now);
                }
                next_id += 1;
                let report = ClientFrame {
                    id: next_id,
                    request: Request::Report {
                        message_id: message.message_id,
                        report: DeliveryReport::Sent { wa_id: None },
                    },
                };
                socket
                    .send(Message::Text(
                        serde_json::to_string(&report).expect("json").into(),
                    ))
                    .await
                    .expect("report");
            }
            ServerFrame::Reply {
                outcome: Outcome::Error(error),
                ..
            } => panic!("host request failed: {error:?}"),
            ServerFrame::Reply {
                outcome: Outcome::Ok(ack),
                ..
            } => {
                let _: Box<Ack> = ack;
            }
            _ => {}
        }
    }
}
