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
}

/// Options of `chorus-relay serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "CHORUS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory for the relay's files (the SQLite database by default); created if missing.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database to use: sqlite://PATH or postgres://USER@HOST/DB.
    /// Defaults to sqlite://<data-dir>/chorus.db.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

impl ServeArgs {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("chorus.db").display()))
    }
}
