//! A simulated WhatsApp Web for native tests of the driver: chats with
//! per-chat drafts, the invalid-number popup, the attach menu and media
//! preview, rows that appear after WhatsApp's delays, a person at the
//! keyboard, and a clock that moves only when the driver pauses.
//!
//! It answers at the level of [`Element`]s: which selector matches is the
//! bridge's business and is tested in the browser against each DOM
//! generation.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use super::bridge::FileToAttach;
use super::page::Page;
use super::selectors::Element;
use super::watch::{SeenRow, Snapshot};

/// A message as WhatsApp sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The chat's jid.
    pub chat: String,
    /// The text, or the caption.
    pub text: String,
    /// The attached file's name.
    pub file: Option<String>,
    /// Who pressed send: the driver or the person.
    pub by_person: bool,
}

/// The simulated page's state; tests set it up and read it back.
#[derive(Debug)]
pub struct FakeWhatsApp {
    /// The clock.
    pub now: i64,
    /// The QR code is shown.
    pub logged_out: bool,
    /// Elements no selector finds (an unrecognised layout).
    pub missing: HashSet<Element>,
    /// Numbers (digits) that are not on WhatsApp.
    pub not_on_whatsapp: HashSet<String>,
    /// Saved names, by jid, shown in the header instead of the number.
    pub names: HashMap<String, String>,
    /// The open chat's jid.
    pub open: Option<String>,
    /// How long a chat takes to open after its link is followed; `None`
    /// never opens it.
    pub open_delay: Option<i64>,
    /// Drafts, by chat.
    pub drafts: HashMap<String, String>,
    /// Rows, by chat.
    pub rows: HashMap<String, Vec<SeenRow>>,
    /// How long a sent row takes to appear; `None` never shows it.
    pub row_delay: Option<i64>,
    /// Extra delay for a message with a link (its preview loads first).
    pub link_preview_delay: i64,
    /// How long the media preview takes to open; `None` never opens it.
    pub preview_delay: Option<i64>,
    /// The send button vanishes when clicked (the page redrew under us).
    pub send_button_vanishes: bool,
    /// The person at the keyboard types in the open chat until then, and
    /// then sends what they typed.
    pub person_typing_until: Option<i64>,
    /// What WhatsApp sent, in order.
    pub delivered: Vec<Delivered>,
    /// Links followed, in order.
    pub links: Vec<String>,
    /// A visible popup's text.
    pub popup: Option<String>,
    /// The tab is hidden.
    pub hidden: bool,
    /// The person starts typing then (and goes on).
    pub person_typing_from: Option<i64>,
    /// Chats opened by clicking their chat list row, by title, in order.
    pub opened_from_list: Vec<String>,
    /// Chats the list has not rendered (scrolled far down): only a search
    /// shows them.
    pub scrolled_out: HashSet<String>,
    /// What the search box holds; the list shows only matching chats.
    pub search: String,
    /// Every search typed, in order.
    pub searches: Vec<String>,
    /// Keep each snapshot as the clock moves (what the worker would see).
    pub record_snapshots: bool,
    /// The snapshots kept.
    pub snapshots: Vec<Snapshot>,
    attach_menu: bool,
    preview: Option<Preview>,
    opening: Option<(String, i64)>,
    scheduled: Vec<(i64, String, SeenRow)>,
    last_input: i64,
    next_row: u32,
}

#[derive(Debug)]
struct Preview {
    file: String,
    caption: String,
    shown_at: i64,
}

impl Default for FakeWhatsApp {
    fn default() -> Self {
        FakeWhatsApp {
            now: 1_000_000,
            logged_out: false,
            missing: HashSet::new(),
            not_on_whatsapp: HashSet::new(),
            names: HashMap::new(),
            open: None,
            open_delay: Some(600),
            drafts: HashMap::new(),
            rows: HashMap::new(),
            row_delay: Some(400),
            link_preview_delay: 0,
            preview_delay: Some(300),
            send_button_vanishes: false,
            person_typing_until: None,
            delivered: Vec::new(),
            links: Vec::new(),
            popup: None,
            hidden: false,
            person_typing_from: None,
            opened_from_list: Vec::new(),
            scrolled_out: HashSet::new(),
            search: String::new(),
            searches: Vec::new(),
            record_snapshots: false,
            snapshots: Vec::new(),
            attach_menu: false,
            preview: None,
            opening: None,
            scheduled: Vec::new(),
            last_input: 0,
            next_row: 1,
        }
    }
}

/// The page the driver is given.
#[derive(Debug, Default)]
pub struct FakePage {
    /// Its state.
    pub state: RefCell<FakeWhatsApp>,
}

/// A person's chat id from digits.
pub fn jid(digits: &str) -> String {
    format!("{digits}@c.us")
}

impl FakeWhatsApp {
    fn shows(&self, element: Element) -> bool {
        if element == Element::LoginQrCode {
            return self.logged_out;
        }
        if self.logged_out || self.missing.contains(&element) {
            return false;
        }
        let chat_open = self.open.is_some();
        let preview = self
            .preview
            .as_ref()
            .is_some_and(|preview| self.now >= preview.shown_at);
        match element {
            Element::LoginQrCode => self.logged_out,
            Element::ChatList | Element::SearchBox | Element::AppRoot => true,
            Element::MessageRow | Element::MessageText => chat_open,
            Element::Conversation
            | Element::ConversationHeader
            | Element::ComposeBox
            | Element::AttachButton => chat_open,
            Element::SendButton => !self.draft().is_empty(),
            Element::MediaFileInput | Element::DocumentFileInput => self.attach_menu,
            Element::CaptionBox | Element::MediaSendButton => preview,
            Element::InvalidNumberPopup | Element::PopupButton => self.popup.is_some(),
            Element::DarkTheme => false,
            Element::ChatListRow
            | Element::ChatListTitle
            | Element::ChatListPreview
            | Element::UnreadBadge => !self.listed().is_empty(),
            Element::MediaFileName | Element::MediaFileSize | Element::MediaBlob => chat_open,
        }
    }

    fn draft(&self) -> String {
        self.open
            .as_ref()
            .and_then(|chat| self.drafts.get(chat))
            .cloned()
            .unwrap_or_default()
    }

    /// Sends a message in the open chat; its row shows after the delays.
    fn deliver(&mut self, text: String, file: Option<String>, by_person: bool) {
        let Some(chat) = self.open.clone() else {
            return;
        };
        let id = format!("true_{chat}_M{}", self.next_row);
        self.next_row += 1;
        let delay = self.row_delay.map(|delay| {
            let link = text.contains("http://") || text.contains("https://");
            delay + if link { self.link_preview_delay } else { 0 }
        });
        if let Some(delay) = delay {
            let row = SeenRow {
                id: Some(id),
                text: Some(text.clone()),
                probes: vec![],
                icons: vec!["msg-check".into()],
                ..SeenRow::default()
            };
            self.scheduled.push((self.now + delay, chat.clone(), row));
        }
        self.delivered.push(Delivered {
            chat,
            text,
            file,
            by_person,
        });
    }

    /// The title a chat shows in the header and the chat list.
    fn title(&self, chat: &str) -> String {
        self.names
            .get(chat)
            .cloned()
            .unwrap_or_else(|| format!("+{}", chat.trim_end_matches("@c.us")))
    }

    /// The chats the list shows: those rendered, or those a search finds.
    fn listed(&self) -> Vec<String> {
        let mut chats: Vec<String> = self.rows.keys().chain(self.names.keys()).cloned().collect();
        chats.sort();
        chats.dedup();
        let search = self.search.to_lowercase();
        chats.retain(|chat| {
            if search.is_empty() {
                !self.scrolled_out.contains(chat)
            } else {
                self.title(chat).to_lowercase().contains(&search)
            }
        });
        chats
    }

    /// Moves the clock on and lets the page do what it does meanwhile.
    fn advance(&mut self, ms: i64) {
        self.now += ms;
        if self.person_typing_from.is_some_and(|from| self.now >= from) {
            self.last_input = self.now;
        }
        if let Some(until) = self.person_typing_until {
            if self.now < until {
                self.last_input = self.now;
                if let Some(chat) = self.open.clone() {
                    self.drafts.entry(chat).or_default().push('x');
                }
            } else {
                self.person_typing_until = None;
                self.last_input = until;
                let draft = self.draft();
                if let Some(chat) = self.open.clone() {
                    self.drafts.remove(&chat);
                }
                self.deliver(draft, None, true);
            }
        }
        if let Some((chat, at)) = self.opening.clone() {
            if self.now >= at {
                self.open = Some(chat);
                self.opening = None;
            }
        }
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) =
            self.scheduled.drain(..).partition(|(at, _, _)| *at <= now);
        self.scheduled = later;
        for (_, chat, row) in due {
            self.rows.entry(chat).or_default().push(row);
        }
    }
}

impl Page for FakePage {
    async fn probe(&self, elements: &[Element]) -> Result<Vec<bool>, String> {
        let state = self.state.borrow();
        Ok(elements.iter().map(|e| state.shows(*e)).collect())
    }

    async fn read(&self, element: Element) -> Result<Option<String>, String> {
        let state = self.state.borrow();
        if !state.shows(element) {
            return Ok(None);
        }
        Ok(match element {
            Element::ComposeBox => Some(state.draft()),
            Element::InvalidNumberPopup => state.popup.clone(),
            _ => Some(String::new()),
        })
    }

    async fn click(&self, element: Element) -> Result<bool, String> {
        let mut state = self.state.borrow_mut();
        if !state.shows(element) {
            return Ok(false);
        }
        match element {
            Element::SendButton if state.send_button_vanishes => return Ok(false),
            Element::SendButton => {
                let text = state.draft();
                if let Some(chat) = state.open.clone() {
                    state.drafts.remove(&chat);
                }
                state.deliver(text, None, false);
            }
            Element::MediaSendButton => {
                if let Some(preview) = state.preview.take() {
                    state.deliver(preview.caption, Some(preview.file), false);
                }
            }
            Element::AttachButton => state.attach_menu = true,
            Element::PopupButton => state.popup = None,
            _ => {}
        }
        Ok(true)
    }

    async fn paste(&self, element: Element, text: &str) -> Result<bool, String> {
        let mut state = self.state.borrow_mut();
        if !state.shows(element) {
            return Ok(false);
        }
        match element {
            Element::ComposeBox => {
                if let Some(chat) = state.open.clone() {
                    state.drafts.entry(chat).or_default().push_str(text);
                }
            }
            Element::CaptionBox => {
                if let Some(preview) = state.preview.as_mut() {
                    preview.caption.push_str(text);
                }
            }
            Element::SearchBox => {
                state.search.push_str(text);
                let search = state.search.clone();
                state.searches.push(search);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    async fn clear(&self, element: Element) -> Result<bool, String> {
        let mut state = self.state.borrow_mut();
        if !state.shows(element) {
            return Ok(false);
        }
        match element {
            Element::SearchBox => state.search.clear(),
            Element::ComposeBox => {
                if let Some(chat) = state.open.clone() {
                    state.drafts.remove(&chat);
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    async fn attach(&self, element: Element, file: &FileToAttach) -> Result<bool, String> {
        let mut state = self.state.borrow_mut();
        if !state.shows(element) {
            return Ok(false);
        }
        state.attach_menu = false;
        if let Some(delay) = state.preview_delay {
            state.preview = Some(Preview {
                file: file.name.clone(),
                caption: String::new(),
                shown_at: state.now + delay,
            });
        }
        Ok(true)
    }

    async fn follow_link(&self, href: &str) -> Result<(), String> {
        let mut state = self.state.borrow_mut();
        state.links.push(href.to_owned());
        let digits = href.trim_start_matches("https://wa.me/").to_owned();
        if state.not_on_whatsapp.contains(&digits) {
            state.popup = Some("Phone number shared via url is invalid.".into());
        } else if let Some(delay) = state.open_delay {
            let at = state.now + delay;
            state.opening = Some((jid(&digits), at));
        }
        Ok(())
    }

    async fn open_listed(&self, title: &str) -> Result<bool, String> {
        let mut state = self.state.borrow_mut();
        let Some(chat) = state
            .listed()
            .into_iter()
            .find(|chat| state.title(chat) == title)
        else {
            return Ok(false);
        };
        state.opened_from_list.push(title.to_owned());
        if let Some(delay) = state.open_delay {
            let at = state.now + delay;
            state.opening = Some((chat, at));
        }
        Ok(true)
    }

    fn hidden(&self) -> bool {
        self.state.borrow().hidden
    }

    async fn idle_ms(&self) -> Result<u64, String> {
        let state = self.state.borrow();
        if state
            .person_typing_until
            .is_some_and(|until| state.now < until)
        {
            return Ok(0);
        }
        Ok((state.now - state.last_input).max(0) as u64)
    }

    fn snapshot(&self) -> Snapshot {
        let state = self.state.borrow();
        let Some(chat) = &state.open else {
            return Snapshot::default();
        };
        Snapshot {
            rows: state.rows.get(chat).cloned().unwrap_or_default(),
            header: Some(state.title(chat)),
            dark: false,
            chats: vec![],
        }
    }

    fn now_ms(&self) -> i64 {
        self.state.borrow().now
    }

    async fn pause(&self, ms: u32) {
        self.state.borrow_mut().advance(i64::from(ms));
        if self.state.borrow().record_snapshots {
            let snapshot = self.snapshot();
            self.state.borrow_mut().snapshots.push(snapshot);
        }
    }
}
