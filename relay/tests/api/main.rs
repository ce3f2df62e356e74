//! HTTP-level tests of the relay, each run against SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod bad_input;
mod cors;
mod isolation;
mod openapi;
mod orgs;
