//! The Chorus browser extension: the WhatsApp Web sidebar, the background
//! service worker and the WhatsApp Web driver, compiled to WebAssembly.
//!
//! Built so far: the parts that decide, which are plain Rust and tested
//! natively. The WebAssembly entry points, the sidebar and the page bridge
//! come next.
//!
//! # Layout
//! - [`driver`]: all knowledge of WhatsApp Web's page (selectors with
//!   fallbacks, message rows and ticks, the layout self-check).
//! - [`pacing`]: how a host spaces the sends it performs.

pub mod driver;
pub mod pacing;

pub use chorus_shared as shared;
