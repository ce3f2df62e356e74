//! The Chorus browser extension: the WhatsApp Web sidebar, the background
//! service worker and the WhatsApp Web driver, compiled to WebAssembly.
//!
//! Only the crate exists so far; it links the shared protocol so that the
//! workspace proves `chorus-shared` builds for the extension's side.

pub use chorus_shared as shared;
