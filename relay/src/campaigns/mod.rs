//! Campaigns: one message with merge fields to many recipients, read from a
//! spreadsheet or the contacts list, checked before anything is sent, and
//! fed into the number's queue one at a time at the number's pace.
//!
//! - [`recipients`]: a sheet's rows as recipients (numbers, duplicates,
//!   merge fields), pure.
//! - [`pacing`]: when the next campaign message may go, pure.
//! - [`feeder`]: the relay's duty that feeds the queue.
//! - [`service`]: what the routes do (create, start, pause, resume, cancel, describe).
//! - [`export`]: per-recipient results as CSV that spreadsheets never run.

pub mod export;
pub mod feeder;
pub mod pacing;
pub mod recipients;
pub mod service;
