//! The `chorus-relay` binary: parses the command line and runs the relay.

use anyhow::Context;
use std::sync::Arc;

use chorus_relay::blobs::DiskBlobs;
use chorus_relay::config::{Cli, Command, CreditsCommand, DatabaseArgs, GrantArgs, ServeArgs};
use chorus_relay::{serve, store, AppState, Settings};
use chorus_shared::queue::{CreditPlan, GrantCredits};
use clap::Parser;
use sha2::{Digest, Sha256};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(args) => run(args).await,
        Command::Credits(CreditsCommand::Grant(args)) => grant(args).await,
    }
}

async fn open_store(database: &DatabaseArgs) -> anyhow::Result<Arc<dyn store::Store>> {
    std::fs::create_dir_all(&database.data_dir).with_context(|| {
        format!(
            "cannot create data directory {}",
            database.data_dir.display()
        )
    })?;
    let url = database.database_url();
    store::open(&url)
        .await
        .with_context(|| format!("cannot open database {}", redact(&url)))
}

async fn grant(args: GrantArgs) -> anyhow::Result<()> {
    let store = open_store(&args.database).await?;
    let request = GrantCredits {
        organization_id: args.organization,
        user_email: args.user,
        amount: args.amount,
        plan: CreditPlan::parse(&args.plan).context("plan is monthly or volume")?,
    };
    let (_, grant) = chorus_relay::http::credits::grant_to(store.as_ref(), &request)
        .await
        .map_err(|error| anyhow::anyhow!(error.into_detail().message))?;
    println!(
        "granted {} credits ({} plan), valid until {}",
        grant.amount,
        grant.plan.as_str(),
        grant.expires_at.to_rfc3339()
    );
    Ok(())
}

async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let url = args.database.database_url();
    let store = open_store(&args.database).await?;
    let blobs = Arc::new(DiskBlobs::new(args.database.data_dir.join("files")));
    let settings = Settings {
        admin_token_hash: args
            .admin_token
            .as_deref()
            .filter(|token| !token.is_empty())
            .map(|token| Sha256::digest(token.as_bytes()).to_vec()),
        trusted_proxies: args.trusted_proxies.clone(),
        storage_quota_bytes: i64::from(args.storage_quota_mb) * 1024 * 1024,
        ..Settings::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let shutdown = shutdown_signal();
    tracing::info!(
        listen = %listener.local_addr()?,
        database = %redact(&url),
        "Chorus relay ready; API at /api/v1, OpenAPI at /api/v1/openapi.json"
    );
    serve(listener, AppState::new(store, blobs, settings), shutdown).await?;
    tracing::info!("relay stopped");
    Ok(())
}

/// Hides a password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Resolves on Ctrl-C or SIGTERM. SIGTERM is listened for from the moment
/// this is called, not from the future's first poll, so a service manager's
/// stop sent as soon as the relay says it is ready still shuts it down
/// gracefully.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .inspect_err(|error| tracing::error!(%error, "cannot listen for SIGTERM"))
        .ok();
    let interrupt = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        let interrupt = async move {
            if let Err(error) = interrupt.await {
                tracing::error!(%error, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = interrupt => {},
            () = terminate => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}
