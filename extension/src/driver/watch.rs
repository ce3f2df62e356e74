//! Watching the open conversation: what the bridge reports of its rows, and
//! what that means (which chat is open, which incoming messages are new,
//! which ticks moved).
//!
//! The bridge sends a [`Snapshot`] whenever the page changes. Rows already
//! on screen when a chat opens are history, not news: only rows that appear
//! later in the same chat count as arrivals, and each is reported once.

use std::collections::{HashMap, HashSet};

use chorus_shared::message::MessageKind;
use chorus_shared::protocol::IncomingMessage;
use serde::{Deserialize, Serialize};

use super::rows::{RowId, Tick};
use super::selectors::{Element, ICON_ATTRIBUTE, MEDIA_PROBES, ROW_ID_ATTRIBUTE};

/// What the bridge is asked to watch (sent as the `watch` operation).
#[derive(Debug, Clone, Serialize)]
pub struct WatchConfig {
    /// Message rows of the open chat.
    pub rows: &'static [&'static str],
    /// The attribute that holds a row's WhatsApp id.
    pub id_attribute: &'static str,
    /// A row's text.
    pub text: &'static [&'static str],
    /// Named probes the bridge runs inside each row (the media kinds).
    pub probes: HashMap<&'static str, &'static [&'static str]>,
    /// The attribute that names icons (ticks).
    pub icon_attribute: &'static str,
    /// The open conversation's header.
    pub header: &'static [&'static str],
    /// Matches when the page shows its dark theme.
    pub dark: &'static [&'static str],
}

impl WatchConfig {
    /// The conversation as the driver reads it.
    pub fn conversation() -> WatchConfig {
        WatchConfig {
            rows: Element::MessageRow.selectors(),
            id_attribute: ROW_ID_ATTRIBUTE,
            text: Element::MessageText.selectors(),
            probes: MEDIA_PROBES
                .iter()
                .map(|(kind, selectors)| (kind.as_str(), *selectors))
                .collect(),
            icon_attribute: ICON_ATTRIBUTE,
            header: Element::ConversationHeader.selectors(),
            dark: Element::DarkTheme.selectors(),
        }
    }
}

/// One message row as the bridge saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenRow {
    /// Its `data-id`.
    pub id: Option<String>,
    /// Its text, if any.
    #[serde(default)]
    pub text: Option<String>,
    /// Which probes matched inside it.
    #[serde(default)]
    pub probes: Vec<String>,
    /// The icons inside it.
    #[serde(default)]
    pub icons: Vec<String>,
    /// The accessible labels of those icons (or of their wrappers).
    #[serde(default)]
    pub labels: Vec<String>,
}

impl SeenRow {
    /// The message kind its content shows.
    pub fn kind(&self) -> MessageKind {
        MEDIA_PROBES
            .iter()
            .map(|(kind, _)| *kind)
            .find(|kind| self.probes.iter().any(|probe| probe == kind.as_str()))
            .unwrap_or(MessageKind::Text)
    }

    /// The furthest tick its icons or their labels show.
    pub fn tick(&self) -> Option<Tick> {
        let by_icon = self.icons.iter().filter_map(|icon| Tick::from_icon(icon));
        let by_label = self
            .labels
            .iter()
            .filter_map(|label| Tick::from_label(label));
        by_icon.chain(by_label).max()
    }
}

/// The open conversation as the bridge saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Its rows, top to bottom.
    #[serde(default)]
    pub rows: Vec<SeenRow>,
    /// The header's text (the chat's name or number).
    #[serde(default)]
    pub header: Option<String>,
    /// Whether WhatsApp Web shows its dark theme.
    #[serde(default)]
    pub dark: bool,
}

/// The chat open in WhatsApp Web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenChat {
    /// Its WhatsApp id, when the page shows it (a row, or a number header).
    pub wa_id: Option<String>,
    /// What its header says.
    pub title: String,
}

impl Snapshot {
    /// Which chat is open, if any.
    pub fn open_chat(&self) -> Option<OpenChat> {
        let title = self.header.as_deref().map(str::trim).unwrap_or_default();
        let from_rows = self
            .rows
            .iter()
            .rev()
            .filter_map(|row| RowId::parse(row.id.as_deref()?))
            .map(|row| row.chat)
            .next();
        let from_header = header_number(title).map(|digits| format!("{digits}@c.us"));
        match (from_rows.or(from_header), title.is_empty()) {
            (None, true) => None,
            (wa_id, _) => Some(OpenChat {
                wa_id,
                title: title.lines().next().unwrap_or_default().to_owned(),
            }),
        }
    }
}

/// The digits of a header that shows a phone number rather than a name
/// ("+44 7400 000001"), as WhatsApp Web does for numbers not in contacts.
pub fn header_number(title: &str) -> Option<String> {
    let first_line = title.lines().next()?.trim();
    let rest = first_line.strip_prefix('+')?;
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 7).then_some(digits)
}

/// What changed since the last snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowEvent {
    /// A message arrived in the open chat.
    Incoming(IncomingMessage),
    /// An outgoing row reached a new tick.
    Tick {
        /// The row's WhatsApp id.
        wa_id: String,
        /// The tick it shows now.
        tick: Tick,
    },
}

/// Remembers what the driver has seen of the open conversation.
#[derive(Debug, Default)]
pub struct RowTracker {
    chat: Option<String>,
    seen: HashSet<String>,
    ticks: HashMap<String, Tick>,
}

impl RowTracker {
    /// Takes a new snapshot; returns arrivals and tick changes.
    pub fn update(&mut self, snapshot: &Snapshot) -> Vec<RowEvent> {
        let chat = snapshot.open_chat();
        let chat_id = chat.as_ref().and_then(|chat| chat.wa_id.clone());
        let switched = chat_id != self.chat;
        self.chat = chat_id;
        let mut events = Vec::new();
        for row in &snapshot.rows {
            let Some(id) = row.id.as_deref().and_then(RowId::parse) else {
                continue;
            };
            if id.outgoing {
                let Some(tick) = row.tick() else { continue };
                if self.ticks.get(&id.wa_id) != Some(&tick) {
                    self.ticks.insert(id.wa_id.clone(), tick);
                    events.push(RowEvent::Tick {
                        wa_id: id.wa_id.clone(),
                        tick,
                    });
                }
            } else if self.seen.insert(id.wa_id.clone()) && !switched {
                events.push(RowEvent::Incoming(IncomingMessage {
                    wa_id: id.wa_id.clone(),
                    chat_wa_id: id.chat.clone(),
                    kind: row.kind(),
                    text: row.text.clone().filter(|text| !text.is_empty()),
                    chat_name: chat
                        .as_ref()
                        .map(|chat| chat.title.clone())
                        .filter(|title| !title.is_empty() && header_number(title).is_none()),
                }));
            }
        }
        events
    }

    /// Outgoing rows now on screen for `chat`, so a send can tell its own
    /// new row from those that were there before.
    pub fn outgoing_ids(snapshot: &Snapshot, chat: &str) -> HashSet<String> {
        snapshot
            .rows
            .iter()
            .filter_map(|row| RowId::parse(row.id.as_deref()?))
            .filter(|row| row.outgoing && row.chat == chat)
            .map(|row| row.wa_id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, text: &str, icons: &[&str]) -> SeenRow {
        SeenRow {
            id: Some(id.into()),
            text: Some(text.into()),
            probes: vec![],
            icons: icons.iter().map(|s| s.to_string()).collect(),
            labels: vec![],
        }
    }

    fn snapshot(header: &str, rows: Vec<SeenRow>) -> Snapshot {
        Snapshot {
            rows,
            header: Some(header.into()),
            dark: false,
        }
    }

    #[test]
    fn history_is_not_news_but_later_rows_are() {
        let mut tracker = RowTracker::default();
        let history = vec![row("false_447400000001@c.us_A", "old", &[])];
        assert!(tracker.update(&snapshot("Ana", history.clone())).is_empty());
        let mut later = history;
        later.push(row("false_447400000001@c.us_B", "new 😀\nline", &[]));
        let events = tracker.update(&snapshot("Ana", later.clone()));
        assert_eq!(
            events,
            vec![RowEvent::Incoming(IncomingMessage {
                wa_id: "false_447400000001@c.us_B".into(),
                chat_wa_id: "447400000001@c.us".into(),
                kind: MessageKind::Text,
                text: Some("new 😀\nline".into()),
                chat_name: Some("Ana".into()),
            })]
        );
        assert!(tracker.update(&snapshot("Ana", later)).is_empty(), "once");
    }

    #[test]
    fn switching_chats_takes_the_new_history_silently() {
        let mut tracker = RowTracker::default();
        tracker.update(&snapshot(
            "Ana",
            vec![row("false_1111111@c.us_A", "a", &[])],
        ));
        let other = vec![row("false_2222222@c.us_X", "x", &[])];
        assert!(tracker.update(&snapshot("Bo", other)).is_empty());
    }

    #[test]
    fn ticks_are_reported_when_they_move() {
        let mut tracker = RowTracker::default();
        let id = "true_447400000001@c.us_M1";
        let events = tracker.update(&snapshot("Ana", vec![row(id, "hi", &["msg-check"])]));
        assert_eq!(
            events,
            vec![RowEvent::Tick {
                wa_id: id.into(),
                tick: Tick::Sent
            }]
        );
        assert!(tracker
            .update(&snapshot("Ana", vec![row(id, "hi", &["msg-check"])]))
            .is_empty());
        let events = tracker.update(&snapshot("Ana", vec![row(id, "hi", &["msg-dblcheck"])]));
        assert_eq!(
            events,
            vec![RowEvent::Tick {
                wa_id: id.into(),
                tick: Tick::Delivered
            }]
        );
        // A newer build: the same double check, "Read" only in its label.
        let mut read = row(id, "hi", &["msg-dblcheck"]);
        read.labels = vec![" Read ".into()];
        let events = tracker.update(&snapshot("Ana", vec![read]));
        assert_eq!(
            events,
            vec![RowEvent::Tick {
                wa_id: id.into(),
                tick: Tick::Read
            }]
        );
    }

    #[test]
    fn the_open_chat_comes_from_rows_or_a_number_header() {
        let with_rows = snapshot("Ana", vec![row("true_447400000001@c.us_M", "x", &[])]);
        assert_eq!(
            with_rows.open_chat(),
            Some(OpenChat {
                wa_id: Some("447400000001@c.us".into()),
                title: "Ana".into()
            })
        );
        let new_chat = snapshot("+44 7400 000002", vec![]);
        assert_eq!(
            new_chat.open_chat().and_then(|c| c.wa_id).as_deref(),
            Some("447400000002@c.us")
        );
        assert_eq!(Snapshot::default().open_chat(), None);
    }

    #[test]
    fn media_rows_say_their_kind() {
        let mut video = row("false_1111111@c.us_V", "", &[]);
        video.probes = vec!["image".into(), "video".into()];
        assert_eq!(video.kind(), MessageKind::Video);
        assert_eq!(row("false_1@c.us_T", "t", &[]).kind(), MessageKind::Text);
    }
}
