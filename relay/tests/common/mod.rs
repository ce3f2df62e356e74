//! Test support: real relays on port 0 over real databases.
//!
//! Every scenario runs once per backend: SQLite on a file in a temporary
//! directory, and PostgreSQL in a fresh schema that is dropped afterwards.
//! PostgreSQL is found at `CHORUS_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`).

#![allow(dead_code)]

pub mod ws;

use std::str::FromStr;
use std::sync::Arc;

use chorus_relay::blobs::DiskBlobs;
use chorus_relay::store::{PgStore, SqliteStore, Store};
use chorus_relay::{AppState, Settings};
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;
use tokio::sync::oneshot;

/// Generates `mod NAME { sqlite, postgres }` tests calling `NAME(Backend)`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )*};
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens a test database's store.
pub enum Opener {
    Sqlite(String),
    Postgres(Box<PgConnectOptions>),
}

impl Opener {
    pub async fn open(self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(url) => Arc::new(SqliteStore::open(&url).await.expect("open SQLite")),
            Self::Postgres(options) => Arc::new(
                PgStore::connect_with(*options)
                    .await
                    .expect("open PostgreSQL"),
            ),
        }
    }
}

/// A database for one test; dropped with the test.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    location: Location,
}

enum Location {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin: Box<PgConnectOptions>,
        schema: String,
    },
}

pub fn postgres_admin_url() -> String {
    std::env::var("CHORUS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("chorus.db").display());
                let store = SqliteStore::open(&url).await.expect("open SQLite store");
                Self {
                    store: Arc::new(store),
                    location: Location::Sqlite { url, _dir: dir },
                }
            }
            Backend::Postgres => {
                let url = postgres_admin_url();
                let admin = PgConnectOptions::from_str(&url)
                    .expect("CHORUS_TEST_POSTGRES is a PostgreSQL URL")
                    .disable_statement_logging();
                let schema = format!("chorus_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = admin.connect().await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is not reachable at {url} ({e}). Start it, or point \
                         CHORUS_TEST_POSTGRES at a server where this user may create schemas."
                    )
                });
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test schema");
                let store = PgStore::connect_with(Self::in_schema(&admin, &schema))
                    .await
                    .expect("open PostgreSQL store");
                Self {
                    store: Arc::new(store),
                    location: Location::Postgres {
                        admin: Box::new(admin),
                        schema,
                    },
                }
            }
        }
    }

    fn in_schema(admin: &PgConnectOptions, schema: &str) -> PgConnectOptions {
        admin.clone().options([("search_path", schema)])
    }

    /// Opens the same database again, as a restarted relay would.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        self.opener().open().await
    }

    /// What it takes to open this database from another runtime.
    pub fn opener(&self) -> Opener {
        match &self.location {
            Location::Sqlite { url, .. } => Opener::Sqlite(url.clone()),
            Location::Postgres { admin, schema } => {
                Opener::Postgres(Box::new(Self::in_schema(admin, schema)))
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Location::Postgres { admin, schema } = &self.location {
            let (admin, schema) = (admin.as_ref().clone(), schema.clone());
            // Drop runs outside async context; use a private runtime.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    if let Ok(mut conn) = admin.connect().await {
                        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// The admin token test relays are started with.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A relay serving on 127.0.0.1:<random port> in a runtime of its own, so
/// that stopping it ends every task it had (open WebSockets included), as
/// the end of a relay process would.
pub struct TestRelay {
    pub base: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub settings: Settings,
    files: tempfile::TempDir,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestRelay {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, Settings::default()).await
    }

    pub async fn start_with(backend: Backend, mut settings: Settings) -> Self {
        use sha2::Digest;
        settings.admin_token_hash = Some(sha2::Sha256::digest(ADMIN_TOKEN.as_bytes()).to_vec());
        let db = TestDb::new(backend).await;
        let files = tempfile::tempdir().expect("files directory");
        let mut relay = Self {
            base: String::new(),
            http: reqwest::Client::new(),
            db,
            settings,
            files,
            runtime: None,
        };
        relay.listen("127.0.0.1:0").await;
        relay
    }

    async fn listen(&mut self, address: &str) {
        let listener = std::net::TcpListener::bind(address).expect("bind the relay's port");
        listener.set_nonblocking(true).expect("non-blocking");
        self.base = format!("http://{}", listener.local_addr().expect("address"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("relay runtime");
        let (opened, store) = oneshot::channel();
        let blobs = Arc::new(DiskBlobs::new(self.files.path()));
        let settings = self.settings.clone();
        let reopen = self.db.opener();
        runtime.spawn(async move {
            let store = reopen.open().await;
            let _ = opened.send(());
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let state = AppState::new(store, blobs, settings);
            let _ = chorus_relay::serve(listener, state, std::future::pending()).await;
        });
        store.await.expect("relay started");
        self.runtime = Some(runtime);
    }

    /// Stops the relay: every task it had ends at once.
    pub async fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Kills the relay and starts a new one on the same port over the same
    /// database, as an operator's restart would.
    pub async fn restart(&mut self) {
        self.halt();
        let address = self.base.trim_start_matches("http://").to_owned();
        // The old runtime's sockets close in the background; retry the bind briefly.
        for attempt in 0.. {
            if std::net::TcpListener::bind(&address).is_ok() || attempt == 50 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.listen(&address).await;
    }

    /// Whether the relay keeps bytes for this file id on disk.
    pub fn has_blob(&self, id: &str) -> bool {
        let name = id.replace('-', "");
        self.files.path().join(&name[..2]).join(&name).exists()
    }

    /// The WebSocket URL.
    pub fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.base.replacen("http", "ws", 1))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and returns status and JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the relay");
        let status = response.status().as_u16();
        let text = response.text().await.expect("response body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("non-JSON answer ({status}): {text:?}: {e}"))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }

    /// Signs up and returns the session token.
    pub async fn sign_up(&self, email: &str) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/signup",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 201, "sign-up of {email}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Signs up an Organization account with its organization; returns
    /// (token, organization id).
    pub async fn organization_admin(&self, email: &str, org_name: &str) -> (String, String) {
        let token = self.sign_up(email).await;
        let (status, body) = self
            .put(
                "/api/v1/me/account-type",
                &token,
                json!({"account_type": "organization",
                       "organization": {"name": org_name, "default_country": "GB"}}),
            )
            .await;
        assert_eq!(status, 200, "organization set-up: {body}");
        let org_id = body["organization"]["id"]
            .as_str()
            .expect("org id")
            .to_owned();
        (token, org_id)
    }

    /// Signs up an Agent account.
    pub async fn agent(&self, email: &str) -> String {
        let token = self.sign_up(email).await;
        let (status, body) = self
            .put(
                "/api/v1/me/account-type",
                &token,
                json!({"account_type": "agent"}),
            )
            .await;
        assert_eq!(status, 200, "agent set-up: {body}");
        token
    }

    /// Invites `email` to the organization and has `agent_token` accept.
    pub async fn join(&self, admin_token: &str, org_id: &str, email: &str, agent_token: &str) {
        let (status, invite) = self
            .post(
                &format!("/api/v1/orgs/{org_id}/invites"),
                admin_token,
                json!({"email": email}),
            )
            .await;
        assert_eq!(status, 201, "invite: {invite}");
        let id = invite["id"].as_str().expect("invite id");
        let code = invite["code"].as_str().expect("invite code");
        let (status, body) = self
            .post(
                &format!("/api/v1/invites/{id}/accept"),
                agent_token,
                json!({"confirm": true, "code": code}),
            )
            .await;
        assert_eq!(status, 200, "accept: {body}");
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        self.halt();
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// Grants credits as the operator; `organization` or else the user's own number.
pub async fn grant(
    relay: &TestRelay,
    organization: Option<&str>,
    user_email: Option<&str>,
    amount: i64,
) {
    let response = relay
        .http
        .post(relay.url("/api/v1/admin/credits"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"organization_id": organization, "user_email": user_email, "amount": amount, "plan": "volume"}))
        .send()
        .await
        .expect("grant request");
    assert_eq!(
        response.status(),
        201,
        "grant: {}",
        response.text().await.unwrap_or_default()
    );
}

/// Asserts the shared error shape and returns its code.
pub fn error_code(body: &Value) -> &str {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error body without a message: {body}"
    );
    error["code"].as_str().expect("error code")
}

/// An organization with an admin, one agent, and credits.
pub struct Team {
    pub admin: String,
    pub agent: String,
    pub agent_email: String,
    pub org: String,
    pub org_id: uuid::Uuid,
}

/// Signs up `admin@<domain>` with an organization named `domain`, and
/// `agent@<domain>` who joins it; grants the organization `credits`.
pub async fn team(relay: &TestRelay, domain: &str, credits: i64) -> Team {
    let admin_email = format!("admin@{domain}");
    let agent_email = format!("agent@{domain}");
    let (admin, org) = relay.organization_admin(&admin_email, domain).await;
    let agent = relay.agent(&agent_email).await;
    relay.join(&admin, &org, &agent_email, &agent).await;
    if credits > 0 {
        grant(relay, Some(&org), None, credits).await;
    }
    Team {
        admin,
        agent,
        agent_email,
        org_id: org.parse().expect("uuid"),
        org,
    }
}

/// `POST /messages` with text through an organization (or "You" with `None`).
pub async fn send_text(
    relay: &TestRelay,
    token: &str,
    org: Option<&str>,
    phone: &str,
    text: &str,
    key: &str,
) -> (u16, Value) {
    relay
        .post(
            "/api/v1/messages",
            token,
            json!({"organization_id": org, "phone": phone, "text": text, "idempotency_key": key}),
        )
        .await
}

/// Uploads bytes as a file named `name` of an organization; returns status
/// and body.
pub async fn upload_named(
    relay: &TestRelay,
    token: &str,
    org: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let response = relay
        .http
        .post(relay.url("/api/v1/files"))
        .query(&[("organization_id", org), ("name", name)])
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}
