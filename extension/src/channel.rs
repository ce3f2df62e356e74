//! What the extension's parts say to each other inside the browser: the
//! settings they share through `chrome.storage`, and the messages between a
//! sidebar and the service worker over a `chrome.runtime` port.
//!
//! A WhatsApp Web tab holds a bridge (content script) and a sidebar (frame);
//! both name their port after the same random nonce, which is how the worker
//! pairs a sidebar with the page it sits in.

use chorus_shared::protocol::ServerFrame;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::driver::watch::OpenChat;

/// The `chrome.storage.local` key of [`Settings`].
pub const SETTINGS_KEY: &str = "chorus.settings";
/// The `chrome.storage.local` key of the host's record of what it sent.
pub const SENT_KEY: &str = "chorus.sent";
/// The storage key of the last incoming row captured in each chat.
pub const CAPTURE_KEY: &str = "chorus.captured";
/// Port names: `bridge:<nonce>` from a page, `sidebar:<nonce>` from its frame.
pub const BRIDGE_PORT: &str = "bridge:";
/// See [`BRIDGE_PORT`].
pub const SIDEBAR_PORT: &str = "sidebar:";

/// What the extension remembers between browser sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The relay's address, set in the options page.
    pub relay_url: String,
    /// The signed-in session, if any.
    pub session: Option<StoredSession>,
    /// The profile the sidebar acts for: an organization, or `None` for "You".
    pub profile: Option<Uuid>,
    /// The number this browser hosts, if hosting is switched on.
    pub hosting: Option<Hosting>,
    /// Whether incoming messages seen here are captured to the relay.
    pub capture: bool,
    /// Nobody uses this browser's WhatsApp Web: the capture opens chats
    /// without waiting for the page to be idle.
    pub dedicated_host: bool,
    /// How long the page must be left alone before the capture opens chats
    /// (`None`: the default, 10 s).
    pub capture_idle_seconds: Option<u32>,
    /// Show a desktop notification when a customer writes into a chat of
    /// the user's (assigned to them or to nobody); chosen in the options.
    pub notify: bool,
}

impl Settings {
    /// The relay address without a trailing slash, or `None` when unset or
    /// not allowed (plain `http://` to another machine, saved by an older
    /// version): then the sidebar asks for the address again.
    pub fn relay(&self) -> Option<String> {
        let url = self.relay_url.trim().trim_end_matches('/');
        (!url.is_empty() && chorus_shared::limits::check_relay_url(url).is_ok())
            .then(|| url.to_owned())
    }

    /// When the capture may take the page.
    pub fn capture_rules(&self) -> crate::driver::capture::CaptureRules {
        let defaults = crate::driver::capture::CaptureRules::default();
        crate::driver::capture::CaptureRules {
            idle_ms: self
                .capture_idle_seconds
                .map_or(defaults.idle_ms, |seconds| u64::from(seconds) * 1_000),
            dedicated: self.dedicated_host,
        }
    }
}

/// A session token and whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    /// Bearer token.
    pub token: String,
    /// The user.
    pub user_id: Uuid,
    /// Their email, shown in the sidebar.
    pub email: String,
}

/// Which number this browser hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hosting {
    /// The organization; `None` hosts the user's own number.
    pub organization_id: Option<Uuid>,
}

/// From a sidebar to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SidebarRequest {
    /// The settings changed (sign-in, sign-out, hosting, capture): reload.
    SettingsChanged,
    /// Narrow or widen the sidebar in its page.
    Collapse {
        /// Collapsed to a thin strip.
        collapsed: bool,
    },
    /// The person typed or clicked in the sidebar: a hosted send must not
    /// take the keyboard from them (the page's own bridge cannot see
    /// input inside the sidebar's frame).
    PersonActive,
    /// Open a chat with this number in the sidebar's WhatsApp Web tab.
    OpenChat {
        /// Digits with country code.
        phone: String,
    },
}

/// From the worker to sidebars.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// A live event from the relay.
    Relay {
        /// The frame as the relay sent it.
        frame: Box<ServerFrame>,
    },
    /// The worker's connection to the relay.
    Connection {
        /// Connected and authenticated.
        online: bool,
        /// What is wrong, when offline.
        problem: Option<String>,
    },
    /// The chat open in this sidebar's page changed.
    OpenChat {
        /// The chat, or `None` when no chat is open.
        chat: Option<OpenChat>,
    },
    /// This sidebar's WhatsApp Web tab cannot be driven (its bridge refused
    /// the driver, say after an update), or can again (`None`).
    TabProblem {
        /// What is wrong, in words.
        problem: Option<String>,
    },
    /// This sidebar's WhatsApp Web shows its dark theme (or its light one).
    Theme {
        /// Dark.
        dark: bool,
    },
    /// How hosting is going in this browser.
    Host {
        /// The status.
        status: HostStatus,
    },
}

/// Hosting as the sidebar shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStatus {
    /// The hosted profile, when hosting is on.
    pub hosting: Option<Hosting>,
    /// Connected to the relay as the host.
    pub connected: bool,
    /// What stops hosting, in words ("WhatsApp Web is not logged in…").
    pub problem: Option<String>,
    /// Messages this browser has sent since hosting started.
    pub sent_here: u64,
    /// The last send: "+44… at 12:03: sent" or its failure.
    pub last_send: Option<String>,
    /// Whether a message is being sent right now.
    pub busy: bool,
    /// Where that send has got to ("opening the chat").
    #[serde(default)]
    pub step: Option<String>,
    /// Chats with messages not captured yet (someone is using the page).
    #[serde(default)]
    pub waiting_chats: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_what_older_versions_stored() {
        let settings: Settings =
            serde_json::from_str(r#"{"relay_url":"https://relay:8080/"}"#).expect("parses");
        assert_eq!(settings.relay().as_deref(), Some("https://relay:8080"));
        assert_eq!(settings.session, None);
        assert_eq!(Settings::default().relay(), None);
        let insecure: Settings =
            serde_json::from_str(r#"{"relay_url":"http://relay:8080/"}"#).expect("parses");
        assert_eq!(insecure.relay(), None, "plain http to another machine");
    }

    #[test]
    fn sidebar_requests_are_tagged() {
        let text = serde_json::to_string(&SidebarRequest::Collapse { collapsed: true }).unwrap();
        assert_eq!(text, r#"{"op":"collapse","collapsed":true}"#);
    }
}
