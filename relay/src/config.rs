//! The `chorus-relay` command line; every option can also come from the
//! environment, for service managers and containers.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The Chorus relay: the server that Chorus extensions connect to.
#[derive(Debug, Parser)]
#[command(name = "chorus-relay", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands of `chorus-relay`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the relay: apply database migrations, then serve the API.
    Serve(ServeArgs),
    /// Manage credits (there is no payment provider yet).
    #[command(subcommand)]
    Credits(CreditsCommand),
}

/// `chorus-relay credits …`
#[derive(Debug, Subcommand)]
pub enum CreditsCommand {
    /// Grant credits to an organization or to a user's own number.
    Grant(GrantArgs),
}

/// Options of `chorus-relay credits grant`.
#[derive(Debug, Clone, clap::Args)]
pub struct GrantArgs {
    /// Where the database is (as for `serve`).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The organization to credit.
    #[arg(long, conflicts_with = "user", required_unless_present = "user")]
    pub organization: Option<uuid::Uuid>,
    /// The user (by email) whose own number to credit.
    #[arg(long)]
    pub user: Option<String>,
    /// How many credits.
    #[arg(long)]
    pub amount: i64,
    /// `monthly` (valid one month) or `volume` (valid three months).
    #[arg(long, default_value = "volume", value_parser = ["monthly", "volume"])]
    pub plan: String,
}

/// Where the relay's data lives.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Directory for the relay's files (the SQLite database and uploads by default); created if missing.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database to use: sqlite://PATH or postgres://USER@HOST/DB.
    /// Defaults to `sqlite://<data-dir>/chorus.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("chorus.db").display()))
    }
}

/// Options of `chorus-relay serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "CHORUS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the data lives.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Token for the operator's admin API (`/api/v1/admin/…`); the API is off without one.
    #[arg(long, env = "CHORUS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// A reverse proxy (address or network, e.g. 10.0.0.0/8) whose
    /// X-Forwarded-For header names the client; repeat for several. Without
    /// one the header is ignored and the connecting address is the client.
    #[arg(long = "trusted-proxy", env = "CHORUS_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = crate::client::parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Megabytes each profile's file library may hold (its own number's
    /// and each organization's).
    #[arg(long, env = "CHORUS_STORAGE_QUOTA_MB", default_value_t = 1024)]
    pub storage_quota_mb: u32,
}
