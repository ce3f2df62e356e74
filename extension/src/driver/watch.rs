//! Watching the open conversation and the chat list: what the bridge reports
//! of their rows, and what that means (which chat is open, which incoming
//! messages are new, which ticks moved).
//!
//! The bridge sends a [`Snapshot`] whenever the page changes. When a chat
//! opens, its new rows are those after the last one captured there before,
//! or as many as the chat list counted unread ([`super::inbox`]); the rest is
//! history. Rows that appear below them while it stays open are arrivals.
//! Each is reported once.

use std::collections::{HashMap, HashSet};

use chorus_shared::message::MessageKind;
use chorus_shared::protocol::IncomingMessage;
use chorus_shared::queue::{MediaSeen, Sender};
use serde::{Deserialize, Serialize};

use chrono::{NaiveDateTime, Timelike};

use super::inbox::{first_new, CaptureMemory, Inbox, SeenChat};
use super::meta::{sender_in_meta, time_in_meta, LocalClock};
use super::rows::{RowId, Tick};
use super::selectors::{Element, ICON_ATTRIBUTE, MEDIA_PROBES, META_ATTRIBUTE, ROW_ID_ATTRIBUTE};

/// What the bridge is asked to watch (sent as the `watch` operation).
#[derive(Debug, Clone, Serialize)]
pub struct WatchConfig {
    /// Message rows of the open chat.
    pub rows: &'static [&'static str],
    /// The attribute that holds a row's WhatsApp id.
    pub id_attribute: &'static str,
    /// The attribute inside a row that holds its time and sender.
    pub meta_attribute: &'static str,
    /// A file message's name and size, inside its row.
    pub media_name: &'static [&'static str],
    /// See `media_name`.
    pub media_size: &'static [&'static str],
    /// A file's downloaded bytes (its `src` or `href` is the URL).
    pub media_url: &'static [&'static str],
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
    /// The chat list.
    pub list: ListConfig,
}

/// How the bridge reads the chat list (selectors inside each row).
#[derive(Debug, Clone, Serialize)]
pub struct ListConfig {
    /// The list's rows.
    pub rows: &'static [&'static str],
    /// A row's name.
    pub title: &'static [&'static str],
    /// A row's last message.
    pub preview: &'static [&'static str],
    /// A row's unread badge.
    pub badge: &'static [&'static str],
}

impl WatchConfig {
    /// The conversation as the driver reads it.
    pub fn conversation() -> WatchConfig {
        WatchConfig {
            rows: Element::MessageRow.selectors(),
            id_attribute: ROW_ID_ATTRIBUTE,
            meta_attribute: META_ATTRIBUTE,
            media_name: Element::MediaFileName.selectors(),
            media_size: Element::MediaFileSize.selectors(),
            media_url: Element::MediaBlob.selectors(),
            text: Element::MessageText.selectors(),
            probes: MEDIA_PROBES
                .iter()
                .map(|(kind, selectors)| (kind.as_str(), *selectors))
                .collect(),
            icon_attribute: ICON_ATTRIBUTE,
            header: Element::ConversationHeader.selectors(),
            dark: Element::DarkTheme.selectors(),
            list: ListConfig {
                rows: Element::ChatListRow.selectors(),
                title: Element::ChatListTitle.selectors(),
                preview: Element::ChatListPreview.selectors(),
                badge: Element::UnreadBadge.selectors(),
            },
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
    /// Its time and sender (`[HH:MM, DD/MM/YYYY] Name: `).
    #[serde(default)]
    pub meta: Option<String>,
    /// A file's name, as the row shows it.
    #[serde(default)]
    pub media_name: Option<String>,
    /// A file's size, as the row shows it.
    #[serde(default)]
    pub media_size: Option<String>,
    /// Where the page keeps a file's bytes it has downloaded (a `blob:`
    /// URL in the row), when it has.
    #[serde(default)]
    pub media_url: Option<String>,
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

    /// What the row shows of a file it carries.
    pub fn media(&self) -> Option<MediaSeen> {
        let shown = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        let media = MediaSeen {
            name: shown(&self.media_name),
            size: shown(&self.media_size),
        };
        (self.kind() != MessageKind::Text && (media.name.is_some() || media.size.is_some()))
            .then_some(media)
    }

    /// The furthest tick its icons or their labels show.
    pub fn tick(&self) -> Option<Tick> {
        Tick::furthest(&self.icons, &self.labels)
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
    /// The chat list's rows, top to bottom.
    #[serde(default)]
    pub chats: Vec<SeenChat>,
}

/// The chat open in WhatsApp Web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenChat {
    /// Its WhatsApp id, when the page shows it (a row, or a number header).
    pub wa_id: Option<String>,
    /// What its header says.
    pub title: String,
    /// The header's second line: a group's members, or a person's
    /// presence ("online", "typing…").
    #[serde(default)]
    pub subtitle: Option<String>,
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
                subtitle: title
                    .lines()
                    .skip(1)
                    .map(str::trim)
                    .find(|line| !line.is_empty())
                    .map(str::to_owned),
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

/// A group's members as its header lists them ("Ana, Bo, +44 7400 000009,
/// You"), without the host's own "You"; none when the line says something
/// else (WhatsApp Web shows "click here for group info" until it has them,
/// and who is typing while someone is).
pub fn members_in_subtitle(subtitle: &str) -> Vec<String> {
    let subtitle = subtitle.trim();
    let lower = subtitle.to_lowercase();
    if !subtitle.contains(',')
        || lower.contains("group info")
        || lower.contains("typing")
        || lower.contains("recording")
    {
        return Vec::new();
    }
    subtitle
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.eq_ignore_ascii_case("you"))
        .map(str::to_owned)
        .collect()
}

/// What changed since the last snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowEvent {
    /// A message arrived in the open chat.
    Incoming {
        /// What the relay is told (boxed: it is much larger than a tick).
        message: Box<IncomingMessage>,
        /// Where the page holds its file's bytes, to upload once the relay
        /// has the message.
        media_url: Option<String>,
    },
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
    /// The open chat, once its rows are on screen.
    chat: Option<String>,
    /// Rows of that chat already seen.
    seen: HashSet<String>,
    ticks: HashMap<String, Tick>,
    /// When this host started watching (local time, to the minute): rows
    /// WhatsApp stamped since then are news in a chat opened for the first
    /// time, even before the chat list showed them.
    since: Option<NaiveDateTime>,
    /// The last incoming row the relay took in each chat (the worker notes
    /// each once the relay has it, so one it never got is taken again).
    pub memory: CaptureMemory,
}

impl RowTracker {
    /// Takes a new snapshot; returns arrivals and tick changes. `inbox`
    /// says how many new rows a chat that just opened holds at least;
    /// `clock` reads WhatsApp's times of the rows.
    pub fn update(
        &mut self,
        snapshot: &Snapshot,
        inbox: &mut Inbox,
        clock: LocalClock,
    ) -> Vec<RowEvent> {
        let local_now = clock.local_now();
        let since = *self.since.get_or_insert_with(|| {
            local_now
                .with_second(0)
                .and_then(|at| at.with_nanosecond(0))
                .unwrap_or(local_now)
        });
        let stamped = |row: &SeenRow| {
            row.meta
                .as_deref()
                .and_then(|meta| time_in_meta(meta, local_now))
        };
        let chat = snapshot.open_chat();
        let rows: Vec<(RowId, &SeenRow)> = snapshot
            .rows
            .iter()
            .filter_map(|row| Some((RowId::parse(row.id.as_deref()?)?, row)))
            .collect();
        // A chat counts as entered once its rows show (they may render
        // after its header).
        let chat_id = chat
            .as_ref()
            .and_then(|chat| chat.wa_id.clone())
            .filter(|_| !rows.is_empty());
        let mut events = Vec::new();
        for (id, row) in &rows {
            if !id.outgoing {
                continue;
            }
            let Some(tick) = row.tick() else { continue };
            if self.ticks.get(&id.wa_id) != Some(&tick) {
                self.ticks.insert(id.wa_id.clone(), tick);
                events.push(RowEvent::Tick {
                    wa_id: id.wa_id.clone(),
                    tick,
                });
            }
        }
        let incoming: Vec<&(RowId, &SeenRow)> =
            rows.iter().filter(|(id, _)| !id.outgoing).collect();
        let fresh: Vec<&(RowId, &SeenRow)> = if chat_id != self.chat {
            self.chat = chat_id.clone();
            self.seen.clear();
            let Some(jid) = &chat_id else {
                return events;
            };
            let at_least = chat.as_ref().map_or(0, |chat| inbox.opened(&chat.title));
            let ids: Vec<&str> = incoming.iter().map(|(id, _)| id.wa_id.as_str()).collect();
            let last = self.memory.last(jid);
            let mut from = first_new(&ids, last, at_least);
            if !last.is_some_and(|last| ids.contains(&last)) {
                // Nothing captured here is on screen: whatever WhatsApp
                // stamped since this host started is news too.
                let recent = incoming
                    .iter()
                    .position(|(_, row)| stamped(row).is_some_and(|at| at >= since));
                from = from.min(recent.unwrap_or(from));
            }
            incoming[from..].to_vec()
        } else {
            // Only rows below what was seen are arrivals: rows above are
            // history loaded by scrolling up.
            let below = incoming
                .iter()
                .rposition(|(id, _)| self.seen.contains(&id.wa_id))
                .map_or(0, |at| at + 1);
            incoming[below..]
                .iter()
                .copied()
                .filter(|(id, _)| !self.seen.contains(&id.wa_id))
                .collect()
        };
        self.seen
            .extend(rows.iter().map(|(id, _)| id.wa_id.clone()));
        for (id, row) in fresh {
            let message = IncomingMessage {
                wa_id: id.wa_id.clone(),
                chat_wa_id: id.chat.clone(),
                kind: row.kind(),
                text: row.text.clone().filter(|text| !text.is_empty()),
                chat_name: chat
                    .as_ref()
                    .map(|chat| chat.title.clone())
                    .filter(|title| !title.is_empty() && header_number(title).is_none()),
                sender: id.participant.clone().map(|wa_id| Sender {
                    wa_id,
                    name: row.meta.as_deref().and_then(sender_in_meta),
                }),
                media: row.media(),
                wa_time: stamped(row).map(|at| clock.to_utc(at)),
            };
            events.push(RowEvent::Incoming {
                message: Box::new(message),
                media_url: row.media_url.clone().filter(|url| url.starts_with("blob:")),
            });
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
            ..SeenRow::default()
        }
    }

    fn snapshot(header: &str, rows: Vec<SeenRow>) -> Snapshot {
        Snapshot {
            rows,
            header: Some(header.into()),
            dark: false,
            chats: vec![],
        }
    }

    /// Takes a snapshot with nothing new in the chat list.
    fn see(tracker: &mut RowTracker, snapshot: Snapshot) -> Vec<RowEvent> {
        tracker.update(&snapshot, &mut Inbox::default(), clock())
    }

    /// 22 November 2026, 18:00 UTC, in a browser on UTC.
    fn clock() -> LocalClock {
        LocalClock::utc(1_795_370_400_000)
    }

    fn texts(events: &[RowEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|event| match event {
                RowEvent::Incoming { message, .. } => message.text.clone(),
                RowEvent::Tick { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_chat_opened_takes_as_many_new_rows_as_the_list_counted() {
        let mut tracker = RowTracker::default();
        let mut inbox = Inbox::default();
        let listed = |badge: Option<&str>| SeenChat {
            title: Some("Bo".into()),
            preview: Some("three".into()),
            badge: badge.map(Into::into),
            ..SeenChat::default()
        };
        inbox.update(&[listed(Some("2 unread messages"))], None);
        let rows = vec![
            row("false_2222222@c.us_1", "one", &[]),
            row("true_2222222@c.us_2", "ours", &[]),
            row("false_2222222@c.us_3", "two", &[]),
            row("false_2222222@c.us_4", "three", &[]),
        ];
        let events = tracker.update(&snapshot("Bo", rows.clone()), &mut inbox, clock());
        assert_eq!(texts(&events), ["two", "three"]);
        assert!(inbox.waiting().is_empty());
        // Away and back: after the last one captured, nothing is news.
        tracker
            .memory
            .captured("2222222@c.us", "false_2222222@c.us_4");
        see(
            &mut tracker,
            snapshot("Cy", vec![row("false_3333333@c.us_9", "c", &[])]),
        );
        let mut more = rows;
        more.push(row("false_2222222@c.us_5", "four", &[]));
        let events = see(&mut tracker, snapshot("Bo", more));
        assert_eq!(texts(&events), ["four"], "what came while it was closed");
    }

    fn stamped(id: &str, text: &str, meta: &str) -> SeenRow {
        SeenRow {
            meta: Some(meta.into()),
            ..row(id, text, &[])
        }
    }

    #[test]
    fn a_chat_opened_before_the_list_showed_its_news_takes_what_came_since_the_host_started() {
        let mut tracker = RowTracker::default();
        // The host starts at 18:00 with Cy's chat open.
        see(
            &mut tracker,
            snapshot("Cy", vec![row("false_3333333@c.us_1", "c", &[])]),
        );
        // A person opens Ana's chat a moment after she wrote, before the
        // chat list showed a badge: her row is stamped after the start.
        let rows = vec![
            stamped("false_1111111@c.us_1", "old", "[17:30, 22/11/2026] Ana: "),
            stamped("false_1111111@c.us_2", "new", "[18:01, 22/11/2026] Ana: "),
        ];
        let events = see(&mut tracker, snapshot("Ana", rows.clone()));
        assert_eq!(texts(&events), ["new"]);
        let RowEvent::Incoming { message, .. } = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(
            message.wa_time.map(|at| at.to_rfc3339()).as_deref(),
            Some("2026-11-22T18:01:00+00:00")
        );
        // Once something here was captured, that is where news starts.
        tracker
            .memory
            .captured("1111111@c.us", "false_1111111@c.us_2");
        see(
            &mut tracker,
            snapshot("Cy", vec![row("false_3333333@c.us_1", "c", &[])]),
        );
        assert!(see(&mut tracker, snapshot("Ana", rows)).is_empty());
    }

    #[test]
    fn wa_time_is_read_in_the_hosts_zone() {
        let mut tracker = RowTracker::default();
        // 18:00 UTC is 19:00 in Paris; the row says 19:05 local.
        let paris = LocalClock {
            utc_minus_local_minutes: -60,
            ..clock()
        };
        tracker.update(&snapshot("Cy", vec![]), &mut Inbox::default(), paris);
        let events = tracker.update(
            &snapshot(
                "Ana",
                vec![stamped(
                    "false_1111111@c.us_1",
                    "hi",
                    "[19:05, 22/11/2026] Ana: ",
                )],
            ),
            &mut Inbox::default(),
            paris,
        );
        let [RowEvent::Incoming { message, .. }] = &events[..] else {
            panic!("{events:?}")
        };
        assert_eq!(
            message.wa_time.map(|at| at.to_rfc3339()).as_deref(),
            Some("2026-11-22T18:05:00+00:00")
        );
    }

    #[test]
    fn voice_notes_and_downloaded_files_are_told_to_the_host() {
        let mut tracker = RowTracker::default();
        see(&mut tracker, snapshot("Ana", vec![]));
        let mut voice = row("false_1111111@c.us_V", "", &[]);
        voice.probes = vec!["audio".into(), "image".into()];
        voice.media_size = Some("0:07".into());
        let mut photo = row("false_1111111@c.us_P", "the damage", &[]);
        photo.probes = vec!["image".into()];
        photo.media_url = Some("blob:https://web.whatsapp.com/5f0c".into());
        let mut linked = row("false_1111111@c.us_L", "see", &[]);
        linked.media_url = Some("https://example.org/x.png".into());
        see(
            &mut tracker,
            snapshot("Ana", vec![row("false_1111111@c.us_0", "hi", &[])]),
        );
        let events = see(
            &mut tracker,
            snapshot(
                "Ana",
                vec![row("false_1111111@c.us_0", "hi", &[]), voice, photo, linked],
            ),
        );
        let seen: Vec<(MessageKind, Option<String>, Option<String>)> = events
            .iter()
            .filter_map(|event| match event {
                RowEvent::Incoming { message, media_url } => Some((
                    message.kind,
                    message.media.as_ref().and_then(|m| m.size.clone()),
                    media_url.clone(),
                )),
                RowEvent::Tick { .. } => None,
            })
            .collect();
        assert_eq!(
            seen,
            [
                (MessageKind::Audio, Some("0:07".into()), None),
                (
                    MessageKind::Image,
                    None,
                    Some("blob:https://web.whatsapp.com/5f0c".into())
                ),
                (MessageKind::Text, None, None),
            ],
            "only the page's own downloads are fetched"
        );
    }

    #[test]
    fn rows_loaded_above_by_scrolling_are_history() {
        let mut tracker = RowTracker::default();
        let shown = vec![row("false_1111111@c.us_5", "five", &[])];
        assert!(see(&mut tracker, snapshot("Ana", shown.clone())).is_empty());
        let mut scrolled = vec![row("false_1111111@c.us_4", "four", &[])];
        scrolled.extend(shown);
        assert!(see(&mut tracker, snapshot("Ana", scrolled.clone())).is_empty());
        scrolled.push(row("false_1111111@c.us_6", "six", &[]));
        assert_eq!(
            texts(&see(&mut tracker, snapshot("Ana", scrolled))),
            ["six"]
        );
    }

    #[test]
    fn a_header_before_its_rows_is_not_an_opened_chat_yet() {
        let mut tracker = RowTracker::default();
        let mut inbox = Inbox::default();
        let listed = SeenChat {
            title: Some("Ana".into()),
            badge: Some("1".into()),
            ..SeenChat::default()
        };
        inbox.update(&[listed], None);
        assert!(tracker
            .update(&snapshot("Ana", vec![]), &mut inbox, clock())
            .is_empty());
        assert_eq!(inbox.waiting(), vec!["Ana".to_owned()], "still waiting");
        let rows = vec![
            row("false_1111111@c.us_1", "old", &[]),
            row("false_1111111@c.us_2", "new", &[]),
        ];
        let events = tracker.update(&snapshot("Ana", rows), &mut inbox, clock());
        assert_eq!(texts(&events), ["new"]);
    }

    #[test]
    fn history_is_not_news_but_later_rows_are() {
        let mut tracker = RowTracker::default();
        let history = vec![row("false_447400000001@c.us_A", "old", &[])];
        assert!(see(&mut tracker, snapshot("Ana", history.clone())).is_empty());
        let mut later = history;
        later.push(row("false_447400000001@c.us_B", "new 😀\nline", &[]));
        let events = see(&mut tracker, snapshot("Ana", later.clone()));
        assert_eq!(
            events,
            vec![RowEvent::Incoming {
                message: Box::new(IncomingMessage {
                    wa_id: "false_447400000001@c.us_B".into(),
                    chat_wa_id: "447400000001@c.us".into(),
                    kind: MessageKind::Text,
                    text: Some("new 😀\nline".into()),
                    chat_name: Some("Ana".into()),
                    sender: None,
                    media: None,
                    wa_time: None,
                }),
                media_url: None,
            }]
        );
        assert!(see(&mut tracker, snapshot("Ana", later)).is_empty(), "once");
    }

    #[test]
    fn switching_chats_takes_the_new_history_silently() {
        let mut tracker = RowTracker::default();
        see(
            &mut tracker,
            snapshot("Ana", vec![row("false_1111111@c.us_A", "a", &[])]),
        );
        let other = vec![row("false_2222222@c.us_X", "x", &[])];
        assert!(see(&mut tracker, snapshot("Bo", other)).is_empty());
    }

    #[test]
    fn ticks_are_reported_when_they_move() {
        let mut tracker = RowTracker::default();
        let id = "true_447400000001@c.us_M1";
        let events = see(
            &mut tracker,
            snapshot("Ana", vec![row(id, "hi", &["msg-check"])]),
        );
        assert_eq!(
            events,
            vec![RowEvent::Tick {
                wa_id: id.into(),
                tick: Tick::Sent
            }]
        );
        assert!(see(
            &mut tracker,
            snapshot("Ana", vec![row(id, "hi", &["msg-check"])])
        )
        .is_empty());
        let events = see(
            &mut tracker,
            snapshot("Ana", vec![row(id, "hi", &["msg-dblcheck"])]),
        );
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
        let events = see(&mut tracker, snapshot("Ana", vec![read]));
        assert_eq!(
            events,
            vec![RowEvent::Tick {
                wa_id: id.into(),
                tick: Tick::Read
            }]
        );
    }

    #[test]
    fn a_groups_header_lists_its_members() {
        let group = snapshot(
            "Suppliers\nDora, +44 7400 000009, You",
            vec![row(
                "false_120363000000000001@g.us_A_447400000009@c.us",
                "x",
                &[],
            )],
        );
        let open = group.open_chat().expect("open");
        assert_eq!(open.title, "Suppliers");
        assert_eq!(
            members_in_subtitle(open.subtitle.as_deref().unwrap_or_default()),
            ["Dora", "+44 7400 000009"]
        );
        for other in ["click here for group info", "Dora is typing…", "online", ""] {
            assert!(members_in_subtitle(other).is_empty(), "{other}");
        }
    }

    #[test]
    fn the_open_chat_comes_from_rows_or_a_number_header() {
        let with_rows = snapshot("Ana", vec![row("true_447400000001@c.us_M", "x", &[])]);
        assert_eq!(
            with_rows.open_chat(),
            Some(OpenChat {
                wa_id: Some("447400000001@c.us".into()),
                title: "Ana".into(),
                subtitle: None,
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
    fn group_rows_say_who_wrote_them_and_files_what_they_are() {
        let mut tracker = RowTracker::default();
        let group = "120363000000000001@g.us";
        let first = row(&format!("false_{group}_A_447400000009@c.us"), "old", &[]);
        see(&mut tracker, snapshot("Suppliers", vec![first.clone()]));
        let mut file = row(
            &format!("false_{group}_B_447400000009@c.us"),
            "Monday's list",
            &[],
        );
        file.meta = Some("[12:00, 22/11/2026] Dora: ".into());
        file.probes = vec!["document".into()];
        file.media_name = Some("list.pdf".into());
        file.media_size = Some("12 kB".into());
        let events = see(&mut tracker, snapshot("Suppliers", vec![first, file]));
        let [RowEvent::Incoming { message, .. }] = &events[..] else {
            panic!("{events:?}")
        };
        assert_eq!(message.chat_wa_id, group);
        assert_eq!(
            message.sender,
            Some(Sender {
                wa_id: "447400000009@c.us".into(),
                name: Some("Dora".into())
            })
        );
        assert_eq!(message.kind, MessageKind::Document);
        assert_eq!(
            message.media,
            Some(MediaSeen {
                name: Some("list.pdf".into()),
                size: Some("12 kB".into())
            })
        );
        assert_eq!(
            row("false_1@c.us_T", "t", &[]).media(),
            None,
            "text has no file"
        );
    }

    #[test]
    fn media_rows_say_their_kind() {
        let mut video = row("false_1111111@c.us_V", "", &[]);
        video.probes = vec!["image".into(), "video".into()];
        assert_eq!(video.kind(), MessageKind::Video);
        assert_eq!(row("false_1@c.us_T", "t", &[]).kind(), MessageKind::Text);
    }
}
