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
//! Plain Rust, built and unit-tested natively as well:
//! - [`driver`]: all knowledge of WhatsApp Web's page (selectors with
//!   fallbacks, rows and ticks, the layout self-check, the watch of the open
//!   conversation), the typed bridge protocol, and a whole send as phases
//!   over an abstract page.
//! - [`pacing`]: how a host spaces the sends it performs.
//! - [`alerts`]: the unread count on the extension's button and the desktop
//!   notifications for a member's chats.
//! - [`channel`]: settings, and the messages between worker and sidebars.
//! - [`ui`]: the sidebar's state and views.
//!
//! WebAssembly only (browser glue):
//! - `browser`: `chrome.*` ports and storage, timers, the typed relay client.
//! - `worker`: the service worker: relay links, tabs, hosting.
//! - `pages`: the sidebar and options pages at run time.
//!
//! Beside this crate, `extension/web/` holds what the browser loads as is:
//! the JavaScript loaders, the page bridge, HTML, CSS and icons.

pub mod alerts;
pub mod channel;
pub mod driver;
pub mod pacing;
pub mod ui;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod worker;

pub use chorus_shared as shared;
