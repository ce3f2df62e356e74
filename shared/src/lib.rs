//! The protocol and domain rules that the Chorus relay and extension share.
//!
//! Nothing here does I/O, so the crate compiles for native targets and for
//! `wasm32-unknown-unknown` alike; both sides therefore agree byte for byte on
//! what travels between them and on which input is acceptable.
//!
//! # Layout
//! - [`account`]: account types, organization roles and invite states.
//! - [`api`]: request and response bodies of the relay's REST API.
//! - [`campaign`]: campaigns, their recipients and progress, and the spreadsheets they are read from.
//! - [`merge`]: merge fields (`{{Column|default}}`) in a campaign's message.
//! - [`endpoints`]: the REST operations (method, path, body, answer), declared
//!   once for the relay and the extension.
//! - [`error`]: the one error body every failing request answers with, and its codes.
//! - [`limits`]: size and length limits, and the checks that apply them.
//! - [`message`]: message kinds, their credit costs, and message states.
//! - [`queue`]: the send request, the message record, files and credits.
//! - [`text`]: which characters text may hold, and cleaning names.
//! - [`team`]: chats, assignment, comments, contacts, groups, the file library and their change feed.
//! - [`protocol`]: the WebSocket frames between the relay and extensions.

pub mod account;
pub mod api;
pub mod campaign;
pub mod endpoints;
pub mod error;
pub mod limits;
pub mod merge;
pub mod message;
pub mod protocol;
pub mod queue;
pub mod team;
pub mod text;
