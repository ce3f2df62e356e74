//! Everything the extension knows about WhatsApp Web's page, in one place:
//! when WhatsApp changes its page, this module is the one to fix.
//!
//! The driver does not touch the DOM itself. It decides *what* to look for
//! and *what it means*; a thin bridge in the page performs primitive DOM
//! operations on its behalf (see the architecture notes). That keeps every
//! WhatsApp-specific selector and decision in Rust, and testable natively.
//!
//! # Layout
//! - [`bridge`]: the typed, versioned protocol spoken with the page bridge.
//! - [`capture`]: opening the chats with uncaptured messages while nobody
//!   uses the page, and putting the person's view back.
//! - [`inbox`]: the chat list: which chats hold news, and the tick of each
//!   chat's last outgoing message.
//! - [`meta`]: a message row's sender and WhatsApp's time of it, in any
//!   locale's format, and the host's clock that turns it into UTC.
//! - [`page`]: the page as the driver's decisions see it (a trait the
//!   worker implements over the bridge, and native tests over a simulated
//!   WhatsApp Web).
//! - [`send`]: one send, start to finish, phase by phase.
//! - [`receipts`]: what a host remembers of its sends (pressed ids, its own
//!   rows and their ticks).
//! - [`selectors`]: each element the driver uses, found through an ordered
//!   list of selectors (newest layout first, older variants as fallbacks).
//! - [`rows`]: message rows: their `data-id` (direction, chat, message id),
//!   their delivery ticks, and what the host reports for them.
//! - [`layout`]: the self-check that tells the user which part of the page
//!   was not recognised, instead of failing silently.
//! - [`watch`]: what the bridge watches in the open conversation, and what
//!   its snapshots mean (open chat, arrivals, ticks).

pub mod bridge;
pub mod capture;
#[cfg(test)]
mod fake_page;
pub mod inbox;
pub mod layout;
pub mod meta;
pub mod page;
pub mod receipts;
pub mod rows;
pub mod selectors;
pub mod send;
pub mod watch;
