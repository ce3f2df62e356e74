//! The Chorus browser extension: the WhatsApp Web sidebar, the background
//! service worker and the WhatsApp Web driver, compiled to WebAssembly.
//!
//! The Rust code runs in extension pages only (the sidebar frame, the options
//! page, the service worker), where WebAssembly runs whatever WhatsApp Web's
//! Content-Security-Policy says. In the page itself a small JavaScript bridge
//! performs DOM operations this code asks for (`extension/web/bridge.js`);
//! see `docs/architecture.md`.
//!
//! # Layout
//! - [`driver`]: all knowledge of WhatsApp Web's page (selectors with
//!   fallbacks, message rows and ticks, the layout self-check, watching the
//!   open conversation).
//! - [`pacing`]: how a host spaces the sends it performs.
//! - [`channel`]: settings and messages shared by the worker and sidebars.
//! - [`sidebar`]: the sidebar's views (plain functions of its state).
//! - `web` (WebAssembly only): `chrome.*`, timers, the relay's HTTP API.
//! - `worker` (WebAssembly only): the service worker and hosting.
//! - `app` (WebAssembly only): the sidebar and options pages at run time.

pub mod channel;
pub mod driver;
pub mod pacing;
pub mod sidebar;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
mod worker;

pub use chorus_shared as shared;
