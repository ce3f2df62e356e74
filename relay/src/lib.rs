//! The Chorus relay: the server every Chorus extension talks to.
//!
//! It keeps accounts, organizations and invites (and, as Chorus grows, the
//! message queue, credits, chats and files), and serves them as a JSON API
//! under `/api/v1`, described by an OpenAPI document at
//! `/api/v1/openapi.json`. SQLite is the embedded default; the same code runs
//! on PostgreSQL.
//!
//! # Layout
//! - [`serve`]: runs the relay on a bound listener until a shutdown future
//!   completes; tests call it on port 0.
//! - [`app`]: the router, assembled from one router per module:
//!   [`accounts`], [`profiles`], [`orgs`], [`invites`], [`health`].
//! - [`store`]: the [`store::Store`] trait and its SQLite and PostgreSQL
//!   implementations, each with embedded migrations.
//! - [`error`]: [`error::ApiError`], the one error type, answered as the
//!   shared error body; [`extract`] makes malformed requests answer with it too.
//! - [`session`], [`password`], [`rate_limit`]: authentication.
//! - [`phone`]: phone number normalisation to E.164.
//! - [`config`]: the command line of the `chorus-relay` binary.

pub mod accounts;
pub mod config;
pub mod error;
pub mod extract;
pub mod health;
pub mod invites;
pub mod orgs;
pub mod password;
pub mod phone;
pub mod profiles;
pub mod rate_limit;
pub mod session;
pub mod store;

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
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::rate_limit::{AuthLimits, Limit};
use crate::store::Store;

/// Tunables that tests and operators may change.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a session token stays valid.
    pub session_ttl: chrono::Duration,
    /// Sign-up and sign-in attempts allowed from one IP address.
    pub attempts_per_address: Limit,
    /// Failed sign-ins allowed for one account.
    pub failures_per_account: Limit,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: chrono::Duration::days(30),
            attempts_per_address: Limit {
                max: 30,
                window: Duration::from_secs(5 * 60),
            },
            failures_per_account: Limit {
                max: 5,
                window: Duration::from_secs(15 * 60),
            },
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
}

impl AppState {
    /// State over a store with the given settings.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        let limits = AuthLimits::new(settings.attempts_per_address, settings.failures_per_account);
        Self {
            store,
            settings: Arc::new(settings),
            limits: Arc::new(limits),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Chorus relay API", description = "Accounts, organizations and invites of a Chorus relay."),
    modifiers(&BearerAuth),
    components(schemas(chorus_shared::error::ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document and the router it describes.
pub fn app(state: AppState) -> Router {
    let api = OpenApiRouter::new()
        .merge(accounts::router())
        .merge(profiles::router())
        .merge(orgs::router())
        .merge(invites::router());
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(health::router())
        .split_for_parts();
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
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the relay on `listener` until `shutdown` completes, then finishes
/// in-flight requests and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
