//! One WhatsApp Web tab, as the worker drives it: requests to the tab's
//! bridge (typed operations of [`crate::driver::bridge`], every selector
//! chosen by the driver) and its reports of the open conversation.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use base64::Engine as _;
use futures_channel::oneshot;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::browser::{now_ms, sleep, Port};
use crate::driver::bridge::{
    BlobReply, BridgeOp, BridgeRequest, FileToAttach, FromBridge, IdleReply, ReadReply,
    BRIDGE_PROTOCOL,
};
use crate::driver::inbox::{CaptureMemory, Inbox, ListEvent};
use crate::driver::page::Page;
use crate::driver::selectors::Element;
use crate::driver::watch::{OpenChat, RowEvent, RowTracker, Snapshot, WatchConfig};

/// How long one bridge operation may take.
const CALL_TIMEOUT_MS: u32 = 15_000;
/// The sidebar's width in the page.
pub const SIDEBAR_WIDTH: u32 = 360;
/// Its width when collapsed to a strip.
pub const COLLAPSED_WIDTH: u32 = 36;

/// One tab's bridge.
pub struct Tab {
    port: Port,
    next_id: Cell<u64>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Result<Value, String>>>>,
    tracker: RefCell<RowTracker>,
    inbox: RefCell<Inbox>,
    snapshot: RefCell<Snapshot>,
    hidden: Cell<bool>,
    /// When the person last typed or clicked in this tab's sidebar.
    sidebar_input_ms: Cell<i64>,
}

/// What a bridge message meant to the worker.
pub enum FromTab {
    /// A reply (already routed) or something to ignore.
    Nothing,
    /// The conversation changed.
    Changed {
        /// Arrivals and tick changes.
        events: Vec<RowEvent>,
        /// What the chat list showed.
        listed: Vec<ListEvent>,
        /// The chat open now.
        open_chat: Option<OpenChat>,
        /// Whether the page shows its dark theme.
        dark: bool,
    },
}

impl Tab {
    /// Wraps a bridge's port.
    pub fn new(port: Port) -> Tab {
        Tab {
            port,
            next_id: Cell::new(1),
            pending: RefCell::new(HashMap::new()),
            tracker: RefCell::new(RowTracker::default()),
            inbox: RefCell::new(Inbox::default()),
            snapshot: RefCell::new(Snapshot::default()),
            hidden: Cell::new(false),
            sidebar_input_ms: Cell::new(0),
        }
    }

    /// The person typed or clicked in this tab's sidebar at `at_ms`.
    pub fn person_active(&self, at_ms: i64) {
        self.sidebar_input_ms.set(at_ms);
    }

    /// Handles a message from the bridge.
    pub fn receive(&self, text: &str) -> FromTab {
        match FromBridge::parse(text) {
            FromBridge::Reply { id, result } => {
                if let Some(sender) = self.pending.borrow_mut().remove(&id) {
                    let _ = sender.send(result);
                }
                FromTab::Nothing
            }
            FromBridge::Rows(snapshot) => self.take_snapshot(snapshot),
            FromBridge::Unknown => FromTab::Nothing,
        }
    }

    fn take_snapshot(&self, snapshot: Snapshot) -> FromTab {
        let open_chat = snapshot.open_chat();
        let listed = self
            .inbox
            .borrow_mut()
            .update(&snapshot.chats, open_chat.as_ref());
        let events = self.tracker.borrow_mut().update(
            &snapshot,
            &mut self.inbox.borrow_mut(),
            crate::browser::local_clock(),
        );
        let dark = snapshot.dark;
        *self.snapshot.borrow_mut() = snapshot;
        FromTab::Changed {
            events,
            listed,
            open_chat,
            dark,
        }
    }

    /// Where the capture stopped before (read from `chrome.storage`).
    pub fn remember(&self, memory: CaptureMemory) {
        self.tracker.borrow_mut().memory = memory;
    }

    /// The relay took the incoming row `wa_id` of `chat`; what to store.
    pub fn captured(&self, chat: &str, wa_id: &str) -> CaptureMemory {
        let mut tracker = self.tracker.borrow_mut();
        tracker.memory.captured(chat, wa_id);
        tracker.memory.clone()
    }

    /// Chats whose messages wait to be captured, by title.
    pub fn waiting(&self) -> Vec<String> {
        self.inbox.borrow().waiting()
    }

    /// Stops waiting for chats the capture could not open.
    pub fn give_up(&self, titles: &[String]) {
        let mut inbox = self.inbox.borrow_mut();
        for title in titles {
            inbox.opened(title);
        }
    }

    /// Asks the bridge to do `op`.
    async fn call(&self, op: BridgeOp) -> Result<Value, String> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let (sender, receiver) = oneshot::channel();
        self.pending.borrow_mut().insert(id, sender);
        let request = BridgeRequest {
            version: BRIDGE_PROTOCOL,
            id,
            op,
        };
        if !self.port.send(&request) {
            self.pending.borrow_mut().remove(&id);
            return Err("The WhatsApp Web tab was closed.".into());
        }
        let timeout = Box::pin(sleep(CALL_TIMEOUT_MS));
        match futures_util::future::select(receiver, timeout).await {
            futures_util::future::Either::Left((Ok(result), _)) => result,
            futures_util::future::Either::Left((Err(_), _)) => {
                Err("The WhatsApp Web tab was closed.".into())
            }
            futures_util::future::Either::Right(_) => {
                self.pending.borrow_mut().remove(&id);
                Err("The WhatsApp Web tab stopped answering.".into())
            }
        }
    }

    /// Calls `op` and reads its answer as `T`.
    async fn ask<T: DeserializeOwned>(&self, op: BridgeOp) -> Result<T, String> {
        let value = self.call(op).await?;
        serde_json::from_value(value)
            .map_err(|error| format!("The WhatsApp Web tab answered in an unknown shape: {error}"))
    }

    /// The bytes of a file the page downloaded (a `blob:` URL of a message
    /// row); `Ok(None)` when it is over the attachment limit.
    pub async fn read_blob(&self, url: &str) -> Result<Option<Vec<u8>>, String> {
        let blob: BlobReply = self
            .ask(BridgeOp::ReadBlob {
                url: url.to_owned(),
                max_bytes: chorus_shared::limits::ATTACHMENT_MAX_BYTES,
            })
            .await?;
        let Some(base64) = blob.base64 else {
            return Ok(None);
        };
        base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map(Some)
            .map_err(|error| {
                format!("The WhatsApp Web tab sent a file in an unknown shape: {error}")
            })
    }

    /// Starts the conversation watch and places the sidebar; what the page
    /// showed when the watch began (messages that came while no host
    /// watched are in it).
    pub async fn set_up(&self, sidebar_width: u32) -> Result<FromTab, String> {
        self.call(BridgeOp::Layout {
            selectors: Element::AppRoot.selectors(),
            sidebar_width,
            contain: true,
        })
        .await?;
        let first: Snapshot = self
            .ask(BridgeOp::Watch(WatchConfig::conversation()))
            .await?;
        Ok(self.take_snapshot(first))
    }
}

impl Page for Tab {
    async fn probe(&self, elements: &[Element]) -> Result<Vec<bool>, String> {
        self.ask(BridgeOp::probe(elements)).await
    }

    async fn read(&self, element: Element) -> Result<Option<String>, String> {
        let read: Option<ReadReply> = self
            .ask(BridgeOp::Read {
                selectors: element.selectors(),
            })
            .await?;
        Ok(read.map(|read| read.text))
    }

    async fn click(&self, element: Element) -> Result<bool, String> {
        self.ask(BridgeOp::click(element)).await
    }

    async fn paste(&self, element: Element, text: &str) -> Result<bool, String> {
        self.ask(BridgeOp::Paste {
            selectors: element.selectors(),
            text: text.to_owned(),
        })
        .await
    }

    async fn attach(&self, element: Element, file: &FileToAttach) -> Result<bool, String> {
        self.ask(BridgeOp::Attach {
            selectors: element.selectors(),
            file: file.clone(),
        })
        .await
    }

    async fn clear(&self, element: Element) -> Result<bool, String> {
        self.ask(BridgeOp::ClearText {
            selectors: element.selectors(),
        })
        .await
    }

    async fn follow_link(&self, href: &str) -> Result<(), String> {
        self.call(BridgeOp::FollowLink {
            href: href.to_owned(),
        })
        .await
        .map(|_| ())
    }

    async fn open_listed(&self, title: &str) -> Result<bool, String> {
        self.ask(BridgeOp::ClickNamed {
            rows: Element::ChatListRow.selectors(),
            name_selectors: Element::ChatListTitle.selectors(),
            name: title.to_owned(),
        })
        .await
    }

    fn hidden(&self) -> bool {
        self.hidden.get()
    }

    async fn idle_ms(&self) -> Result<u64, String> {
        let idle: IdleReply = self.ask(BridgeOp::Idle).await?;
        self.hidden.set(idle.hidden);
        // The page's bridge sees the page; the sidebar says for itself.
        let in_sidebar = (now_ms() - self.sidebar_input_ms.get()).max(0) as u64;
        Ok((idle.ms.max(0.0) as u64).min(in_sidebar))
    }

    fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    fn now_ms(&self) -> i64 {
        now_ms()
    }

    async fn pause(&self, ms: u32) {
        sleep(ms).await;
    }
}
