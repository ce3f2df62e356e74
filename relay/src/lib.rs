//! The Chorus relay: the server every Chorus extension talks to.
//!
//! It keeps accounts, organizations and invites, the durable message queue,
//! credits, chats with their assignees and comments, contacts, groups and
//! the file library, and serves them as a JSON API under `/api/v1`
//! (described by an OpenAPI document at `/api/v1/openapi.json`) and a
//! WebSocket at `/api/v1/ws` for hosts and live sidebars. SQLite is the
//! embedded default; the same code runs on PostgreSQL.
//!
//! # Layout
//! - [`serve`]: runs the relay on a bound listener until a shutdown future
//!   completes; tests call it on port 0. [`app`] assembles the router.
//! - [`http`]: the API: one router per resource (accounts, profiles, orgs,
//!   invites, messages, files, received media, credits, chats, contacts,
//!   groups, changes, the WebSocket, health), the extractors every handler
//!   shares (`http::caller::InProfile`, the caller in a profile; bodies and
//!   queries that answer malformed input with the one error body), and the
//!   OpenAPI document.
//! - [`access`]: who may act in which profile (the caller, the account, the
//!   role), below the routers and the services that both use it.
//! - Services the routers and the WebSocket share: [`messaging`] (queuing,
//!   reports, incoming capture), [`arrivals`] (what the host's chat list
//!   shows arrived before it captured it), [`dispatch`] (handing queued
//!   messages to hosts; leases offered in one place), [`batcher`] (one
//!   commit for concurrent writes).
//! - Live: [`hub`] holds the connections; [`live`] publishes every event
//!   sidebars hear.
//! - [`store`]: the [`store::Store`] trait, implemented once for both
//!   databases by `SqlStore<B>` over a small `Backend` trait (every query an
//!   ordinary function; each backend with its own migrations).
//! - Domain rules: [`whatsapp`] (chat ids, built, read and checked only
//!   there), [`phone`] (E.164), [`filetype`] (a file's kind from its bytes),
//!   [`storage`] (quota, upload rate, purge), [`blobs`] (bytes on disk).
//! - [`error`]: [`error::ApiError`], the one error type, answered as the
//!   shared error body.
//! - [`session`], [`password`], [`rate_limit`], [`client`]: authentication,
//!   and who the client is behind a reverse proxy.
//! - [`config`]: the command line of the `chorus-relay` binary.

pub mod access;
pub mod arrivals;
pub mod batcher;
pub mod blobs;
pub mod campaigns;
pub mod client;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod filetype;
pub mod http;
pub mod hub;
pub mod live;
pub mod messaging;
pub mod password;
pub mod phone;
pub mod rate_limit;
pub mod session;
pub mod sheets;
pub mod storage;
pub mod store;
pub mod whatsapp;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use chorus_shared::error::ErrorCode;
use chorus_shared::limits::JSON_BODY_MAX_BYTES;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use uuid::Uuid;

use crate::batcher::Batcher;
use crate::blobs::BlobStore;
use crate::dispatch::Coalescer;
use crate::error::ApiError;
use crate::http::{
    accounts, api_doc, changes, chats, contacts, credits, files, groups, health, invites, media,
    messages, orgs, profiles, spreadsheets, ws,
};
use crate::hub::Hub;
use crate::rate_limit::{AuthLimits, BackoffPolicy, Limit};
use crate::store::Store;
use crate::store::{Applied, NewOutgoing, Queued, Report, StoreError};

/// Tunables that tests and operators may change.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a session token stays valid.
    pub session_ttl: chrono::Duration,
    /// Sign-up and sign-in attempts allowed from one IP address.
    pub attempts_per_address: Limit,
    /// How failed sign-ins to one account from one address slow down.
    pub sign_in_backoff: BackoffPolicy,
    /// Proxies whose `X-Forwarded-For` names the client (see [`client`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a host has to report on a dispatched message before it goes
    /// back to the queue.
    pub lease: chrono::Duration,
    /// SHA-256 of the operator's admin token; `None` turns the admin API off.
    pub admin_token_hash: Option<Vec<u8>>,
    /// How often the relay pings each WebSocket and re-checks its session.
    pub keepalive: Duration,
    /// How long a new WebSocket may take to say hello before it is closed.
    pub hello_timeout: Duration,
    /// Messages a host may hold at once. One keeps every queued message
    /// cancellable until the host is ready for it.
    pub dispatch_window: i64,
    /// Bytes each profile's file library may hold.
    pub storage_quota_bytes: i64,
    /// Uploads allowed per profile.
    pub uploads_per_account: Limit,
    /// How often deleted files' bytes are looked for and removed.
    pub purge_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: chrono::Duration::days(30),
            attempts_per_address: Limit {
                max: 30,
                window: Duration::from_secs(5 * 60),
            },
            sign_in_backoff: BackoffPolicy {
                free: 3,
                first: Duration::from_secs(1),
                ceiling: Duration::from_secs(15 * 60),
            },
            trusted_proxies: Vec::new(),
            lease: chrono::Duration::seconds(120),
            admin_token_hash: None,
            dispatch_window: 1,
            storage_quota_bytes: 1024 * 1024 * 1024,
            uploads_per_account: Limit {
                max: 60,
                window: Duration::from_secs(10 * 60),
            },
            purge_interval: Duration::from_secs(60),
            keepalive: Duration::from_secs(chorus_shared::protocol::KEEPALIVE_SECONDS),
            hello_timeout: Duration::from_secs(chorus_shared::protocol::HELLO_TIMEOUT_SECONDS),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Durable state.
    pub store: Arc<dyn Store>,
    /// Tunables.
    pub settings: Arc<Settings>,
    /// Authentication attempt counters.
    pub limits: Arc<AuthLimits>,
    /// Uploads per profile.
    pub uploads: Arc<rate_limit::RateLimiter>,
    /// Wrong invite codes per user.
    pub code_guesses: Arc<rate_limit::Backoff>,
    /// Live connections.
    pub hub: Arc<Hub>,
    /// Attachment bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// This relay process; names its hosts' leases.
    pub instance: Uuid,
    /// Group commit for sends.
    pub sends: Batcher<NewOutgoing, Result<Queued, StoreError>>,
    /// Group commit for hosts' reports.
    pub reports: Batcher<Report, Result<Applied, StoreError>>,
    /// Coalesced dispatch passes.
    pub pumps: Arc<Coalescer>,
    /// Coalesced balance pushes.
    pub balance_pushes: Arc<Coalescer>,
    /// Coalesced campaign feeding passes.
    pub feeds: Arc<Coalescer>,
}

impl AppState {
    /// State over a store and blob store with the given settings.
    pub fn new(store: Arc<dyn Store>, blobs: Arc<dyn BlobStore>, settings: Settings) -> Self {
        let limits = AuthLimits::new(settings.attempts_per_address, settings.sign_in_backoff);
        let lease = settings.lease;
        let uploads = Arc::new(rate_limit::RateLimiter::new(settings.uploads_per_account));
        let code_guesses = Arc::new(rate_limit::Backoff::new(settings.sign_in_backoff));
        Self {
            settings: Arc::new(settings),
            limits: Arc::new(limits),
            uploads,
            code_guesses,
            hub: Arc::new(Hub::default()),
            blobs,
            instance: Uuid::now_v7(),
            sends: messaging::send_batcher(Arc::clone(&store)),
            reports: messaging::report_batcher(Arc::clone(&store), lease),
            pumps: Arc::default(),
            balance_pushes: Arc::default(),
            feeds: Arc::default(),
            store,
        }
    }
}

/// Every route, with the OpenAPI document the routers' annotations make.
fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::new()
        .merge(accounts::router())
        .merge(profiles::router())
        .merge(orgs::router())
        .merge(invites::router())
        .merge(messages::router())
        .merge(files::router())
        .merge(media::router())
        .merge(chats::router())
        .merge(contacts::router())
        .merge(groups::router())
        .merge(changes::router())
        .merge(credits::router())
        .merge(spreadsheets::router())
        .merge(http::campaigns::router())
        .merge(http::pacing::router())
        .merge(ws::router());
    OpenApiRouter::with_openapi(api_doc::ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(health::router())
        .split_for_parts()
}

/// The OpenAPI document as the relay serves it.
pub fn documented() -> utoipa::openapi::OpenApi {
    let (_, mut document) = routes();
    api_doc::complete(&mut document);
    document
}

/// The router, serving its OpenAPI document at `/api/v1/openapi.json`.
pub fn app(state: AppState) -> Router {
    let (router, mut document) = routes();
    api_doc::complete(&mut document);
    let document = Arc::new(document);
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let document = Arc::clone(&document);
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "No such endpoint. The API is described at /api/v1/openapi.json.",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "This endpoint does not support that HTTP method. See /api/v1/openapi.json.",
            )
        })
        .layer(DefaultBodyLimit::max(JSON_BODY_MAX_BYTES))
        .layer(cors())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The extension calls the relay from `chrome-extension://` pages, whose
/// origin differs per installation. Any origin may call: every request is
/// authorised by its bearer token, never by cookies, so a foreign page gains
/// nothing it could not do with a token of its own.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{header, Method};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(std::time::Duration::from_secs(3600))
}

/// Serves the relay on `listener` until `shutdown` completes, then finishes
/// in-flight requests and returns. Background duties (lease expiry,
/// dispatch sweeps) run alongside and stop with it.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let sweeper = tokio::spawn(dispatch::sweep_forever(state.clone()));
    let purger = tokio::spawn(storage::purge_forever(state.clone()));
    let feeder = tokio::spawn(campaigns::feeder::feed_forever(state.clone()));
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    // Small WebSocket frames go out at once instead of waiting on Nagle's
    // algorithm for the previous frame's acknowledgement (up to 40 ms).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    purger.abort();
    feeder.abort();
    served
}
