//! The HTTP API under `/api/v1`: one router per resource, the extractors
//! every handler shares (the caller in a profile, bodies and queries whose
//! rejections answer with the one error body), and the OpenAPI document
//! assembled from the routes.

pub mod accounts;
pub mod api_doc;
pub mod caller;
pub mod campaigns;
pub mod changes;
pub mod chats;
pub mod contacts;
pub mod credits;
pub mod extract;
pub mod files;
pub mod groups;
pub mod health;
pub mod invites;
pub mod media;
pub mod messages;
pub mod orgs;
pub mod pacing;
pub mod profiles;
pub mod spreadsheets;
pub mod ws;
