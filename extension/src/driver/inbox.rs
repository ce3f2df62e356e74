//! The chat list as the host reads it: which chats have messages that are
//! not captured yet, the "new message" signal agents see at once, and the
//! tick of each chat's last outgoing message.
//!
//! WhatsApp Web shows every chat's last message and an unread badge in the
//! chat list (`#pane-side`), but a chat's messages only once it is open. So
//! the list tells *that* a customer wrote (reported at once as a
//! [`ChatActivity`]), and the capture opens the chat to read *what* they
//! wrote. A chat waits here from the moment its badge grows (or its preview
//! changes to someone else's words) until it is opened, by the capture or by
//! a person; then [`Inbox::opened`] says how many new rows it holds at least.

use std::collections::{BTreeMap, HashMap};

use chorus_shared::protocol::ChatActivity;
use serde::{Deserialize, Serialize};

use super::rows::Tick;
use super::watch::{header_number, OpenChat};

/// One chat of the chat list as the bridge saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenChat {
    /// Its name (contact, group, or the number for unsaved contacts).
    #[serde(default)]
    pub title: Option<String>,
    /// Its last message, as the list shows it.
    #[serde(default)]
    pub preview: Option<String>,
    /// The unread badge's text and label, when it shows one.
    #[serde(default)]
    pub badge: Option<String>,
    /// Icons in the row (the last outgoing message's tick).
    #[serde(default)]
    pub icons: Vec<String>,
    /// Those icons' accessible labels.
    #[serde(default)]
    pub labels: Vec<String>,
}

impl SeenChat {
    /// How many unread messages its badge counts: the first number in the
    /// badge, 1 for a badge without one (a chat marked unread), else 0.
    pub fn unread(&self) -> u32 {
        let Some(badge) = self.badge.as_deref() else {
            return 0;
        };
        let digits: String = badge
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap_or(1).max(1)
    }

    /// The tick of its last message, when that message is outgoing.
    pub fn tick(&self) -> Option<Tick> {
        Tick::furthest(&self.icons, &self.labels)
    }
}

/// What the chat list says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEvent {
    /// A chat shows messages not captured yet.
    Activity(ChatActivity),
    /// A chat's last outgoing message reached a tick.
    LastTick {
        /// The chat's jid.
        chat: String,
        /// The tick its row shows.
        tick: Tick,
    },
}

/// What the host knows of the chat list.
#[derive(Debug, Default)]
pub struct Inbox {
    /// Each chat as last seen, by title.
    listed: HashMap<String, SeenChat>,
    /// Chats with news not captured yet: title → at least that many rows.
    waiting: BTreeMap<String, u32>,
    /// Titles whose chat was seen open, with its jid.
    jids: HashMap<String, String>,
}

impl Inbox {
    /// Takes a new reading of the chat list, with the chat open beside it.
    pub fn update(&mut self, chats: &[SeenChat], open: Option<&OpenChat>) -> Vec<ListEvent> {
        if let Some(OpenChat {
            wa_id: Some(jid),
            title,
            ..
        }) = open
        {
            self.jids.insert(title.clone(), jid.clone());
        }
        let open_title = open.map(|chat| chat.title.as_str());
        let mut events = Vec::new();
        for chat in chats {
            let Some(title) = chat
                .title
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
            else {
                continue;
            };
            let before = self.listed.get(title);
            let unread = chat.unread();
            let news = open_title != Some(title)
                && match before {
                    // First sight: at start, or scrolled into view.
                    None => unread > 0,
                    Some(before) => {
                        unread > before.unread()
                            || (chat.preview != before.preview
                                && chat.preview.is_some()
                                && chat.tick().is_none())
                    }
                };
            let jid = self
                .jids
                .get(title)
                .cloned()
                .or_else(|| header_number(title).map(|digits| format!("{digits}@c.us")));
            if news {
                let at_least = self.waiting.entry(title.to_owned()).or_insert(0);
                *at_least = (*at_least).max(unread.max(1));
                events.push(ListEvent::Activity(ChatActivity {
                    title: title.to_owned(),
                    chat_wa_id: jid.clone(),
                    preview: chat.preview.clone(),
                    unread: *at_least,
                }));
            }
            if let (Some(tick), Some(chat)) = (chat.tick(), jid) {
                if before.and_then(SeenChat::tick) != Some(tick) {
                    events.push(ListEvent::LastTick { chat, tick });
                }
            }
            self.listed.insert(title.to_owned(), chat.clone());
        }
        events
    }

    /// Chats waiting to be captured, by title.
    pub fn waiting(&self) -> Vec<String> {
        self.waiting.keys().cloned().collect()
    }

    /// The chat titled `title` is open: how many new rows it holds at least
    /// (0 when the list showed nothing new for it).
    pub fn opened(&mut self, title: &str) -> u32 {
        self.waiting.remove(title.trim()).unwrap_or(0)
    }
}

/// Where the new incoming rows of a chat that just opened begin, among its
/// incoming rows (oldest first): after the last one captured before, when
/// it is on screen; otherwise the last `at_least` (the list's count), so
/// history is never taken for news.
pub fn first_new(incoming: &[&str], last_captured: Option<&str>, at_least: u32) -> usize {
    match last_captured.and_then(|last| incoming.iter().position(|id| *id == last)) {
        Some(at) => at + 1,
        None => incoming.len().saturating_sub(at_least as usize),
    }
}

/// The last incoming message captured in each chat, kept by the worker in
/// `chrome.storage` so a restarted host knows where it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureMemory {
    /// Chat jid → (WhatsApp id of the last captured row, when: a counter).
    last: HashMap<String, (String, u64)>,
    /// Bumped on every capture; the oldest entries go first.
    clock: u64,
}

/// How many chats the memory keeps.
pub const CAPTURE_MEMORY_MAX: usize = 5_000;

impl CaptureMemory {
    /// The last row captured in `chat`.
    pub fn last(&self, chat: &str) -> Option<&str> {
        self.last.get(chat).map(|(wa_id, _)| wa_id.as_str())
    }

    /// `wa_id` was captured in `chat`.
    pub fn captured(&mut self, chat: &str, wa_id: &str) {
        self.clock += 1;
        self.last
            .insert(chat.to_owned(), (wa_id.to_owned(), self.clock));
        if self.last.len() > CAPTURE_MEMORY_MAX {
            if let Some(oldest) = self
                .last
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(chat, _)| chat.clone())
            {
                self.last.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(title: &str, preview: &str, badge: Option<&str>) -> SeenChat {
        SeenChat {
            title: Some(title.into()),
            preview: Some(preview.into()),
            badge: badge.map(Into::into),
            icons: vec![],
            labels: vec![],
        }
    }

    fn open(title: &str, jid: &str) -> OpenChat {
        OpenChat {
            wa_id: Some(jid.into()),
            title: title.into(),
            subtitle: None,
        }
    }

    #[test]
    fn badges_count_unread_messages() {
        assert_eq!(listed("A", "x", None).unread(), 0);
        assert_eq!(listed("A", "x", Some("3 unread messages 3")).unread(), 3);
        assert_eq!(listed("A", "x", Some("12")).unread(), 12);
        assert_eq!(listed("A", "x", Some("Marked as unread")).unread(), 1);
    }

    #[test]
    fn unread_chats_at_start_wait_and_signal() {
        let mut inbox = Inbox::default();
        let events = inbox.update(
            &[
                listed(
                    "+44 7400 000002",
                    "Are you open?",
                    Some("2 unread messages"),
                ),
                listed("Bo", "old news", None),
            ],
            None,
        );
        assert_eq!(
            events,
            vec![ListEvent::Activity(ChatActivity {
                title: "+44 7400 000002".into(),
                chat_wa_id: Some("447400000002@c.us".into()),
                preview: Some("Are you open?".into()),
                unread: 2,
            })]
        );
        assert_eq!(inbox.waiting(), vec!["+44 7400 000002".to_owned()]);
        assert_eq!(inbox.opened("+44 7400 000002"), 2);
        assert!(inbox.waiting().is_empty());
        assert_eq!(inbox.opened("Bo"), 0);
    }

    #[test]
    fn a_growing_badge_or_a_new_preview_is_news_but_not_in_the_open_chat() {
        let mut inbox = Inbox::default();
        let ana = open("Ana", "447400000001@c.us");
        inbox.update(
            &[listed("Ana", "hi", None), listed("Bo", "hey", None)],
            Some(&ana),
        );
        // The open chat's rows are read directly; its list row is no news.
        assert!(inbox
            .update(
                &[listed("Ana", "new", None), listed("Bo", "hey", None)],
                Some(&ana)
            )
            .is_empty());
        let events = inbox.update(
            &[
                listed("Ana", "new", None),
                listed("Bo", "there?", Some("1")),
            ],
            Some(&ana),
        );
        assert!(
            matches!(&events[..], [ListEvent::Activity(a)] if a.title == "Bo" && a.unread == 1 && a.chat_wa_id.is_none())
        );
        // Read on the phone: the preview changed, the badge did not come.
        let events = inbox.update(
            &[listed("Ana", "new", None), listed("Bo", "again", None)],
            Some(&ana),
        );
        assert_eq!(events.len(), 1);
        assert_eq!(inbox.opened("Bo"), 1);
    }

    #[test]
    fn the_last_outgoing_tick_is_followed_once_the_chat_is_known() {
        let mut inbox = Inbox::default();
        let mut row = listed("Ana", "Your order shipped", None);
        row.icons = vec!["msg-dblcheck".into()];
        // Unknown chat: nothing to report the tick against, and our own
        // words in the preview are no news.
        assert!(inbox.update(&[row.clone()], None).is_empty());
        inbox.update(&[], Some(&open("Ana", "447400000001@c.us")));
        row.labels = vec![" Read ".into()];
        assert_eq!(
            inbox.update(&[row.clone()], None),
            vec![ListEvent::LastTick {
                chat: "447400000001@c.us".into(),
                tick: Tick::Read
            }]
        );
        assert!(inbox.update(&[row], None).is_empty(), "once");
    }

    #[test]
    fn new_rows_start_after_the_last_captured_or_by_the_count() {
        let rows = ["a", "b", "c", "d"];
        assert_eq!(first_new(&rows, Some("b"), 0), 2);
        assert_eq!(first_new(&rows, Some("d"), 5), 4, "nothing new");
        assert_eq!(first_new(&rows, None, 2), 2, "the last two");
        assert_eq!(first_new(&rows, Some("gone"), 1), 3);
        assert_eq!(first_new(&rows, None, 0), 4, "history is not news");
        assert_eq!(first_new(&rows, None, 9), 0);
    }

    #[test]
    fn the_memory_keeps_the_newest_chats() {
        let mut memory = CaptureMemory::default();
        for i in 0..=CAPTURE_MEMORY_MAX {
            memory.captured(&format!("{i}@c.us"), "x");
        }
        assert_eq!(memory.last("0@c.us"), None, "the oldest went");
        assert_eq!(
            memory.last(&format!("{CAPTURE_MEMORY_MAX}@c.us")),
            Some("x")
        );
        let text = serde_json::to_string(&memory).unwrap();
        assert_eq!(
            serde_json::from_str::<CaptureMemory>(&text).unwrap(),
            memory
        );
    }
}
