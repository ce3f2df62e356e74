//! A WhatsApp Web tab as the worker drives it: requests to the tab's bridge
//! (primitive DOM operations, every selector chosen by [`crate::driver`]),
//! and what its snapshots of the open conversation mean.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use futures_channel::oneshot;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::driver::layout::PageState;
use crate::driver::selectors::Element;
use crate::driver::watch::{OpenChat, RowEvent, RowTracker, Snapshot, WatchConfig};
use crate::web::{sleep, Port};

/// How long one bridge operation may take.
const CALL_TIMEOUT_MS: u32 = 15_000;
/// The sidebar's width in the page.
pub const SIDEBAR_WIDTH: u32 = 360;
/// Its width when collapsed to a strip.
pub const COLLAPSED_WIDTH: u32 = 36;

/// One tab's bridge.
pub struct Page {
    port: Port,
    next_id: Cell<u64>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Result<Value, String>>>>,
    tracker: RefCell<RowTracker>,
    snapshot: RefCell<Snapshot>,
}

#[derive(Deserialize)]
struct BridgeMessage {
    reply: Option<u64>,
    ok: Option<Value>,
    error: Option<String>,
    event: Option<String>,
}

/// What a bridge message meant to the worker.
pub enum FromPage {
    /// A reply, already routed.
    Nothing,
    /// The conversation changed.
    Changed {
        /// Arrivals and tick changes.
        events: Vec<RowEvent>,
        /// The chat open now.
        open_chat: Option<OpenChat>,
    },
}

impl Page {
    /// Wraps a bridge's port.
    pub fn new(port: Port) -> Page {
        Page {
            port,
            next_id: Cell::new(1),
            pending: RefCell::new(HashMap::new()),
            tracker: RefCell::new(RowTracker::default()),
            snapshot: RefCell::new(Snapshot::default()),
        }
    }

    /// Handles a message from the bridge.
    pub fn receive(&self, text: &str) -> FromPage {
        let Ok(message) = serde_json::from_str::<BridgeMessage>(text) else {
            return FromPage::Nothing;
        };
        if let Some(id) = message.reply {
            if let Some(sender) = self.pending.borrow_mut().remove(&id) {
                let _ = sender.send(match message.error {
                    Some(error) => Err(error),
                    None => Ok(message.ok.unwrap_or(Value::Null)),
                });
            }
            return FromPage::Nothing;
        }
        if message.event.as_deref() == Some("rows") {
            if let Ok(snapshot) = serde_json::from_str::<Snapshot>(text) {
                return self.take_snapshot(snapshot);
            }
        }
        FromPage::Nothing
    }

    fn take_snapshot(&self, snapshot: Snapshot) -> FromPage {
        let events = self.tracker.borrow_mut().update(&snapshot);
        let open_chat = snapshot.open_chat();
        *self.snapshot.borrow_mut() = snapshot;
        FromPage::Changed { events, open_chat }
    }

    /// The conversation as last seen.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    /// Asks the bridge to do `op`.
    pub async fn call(&self, op: &str, args: Value) -> Result<Value, String> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let (sender, receiver) = oneshot::channel();
        self.pending.borrow_mut().insert(id, sender);
        if !self.port.send(&json!({ "id": id, "op": op, "args": args })) {
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

    /// Starts the conversation watch and places the sidebar.
    pub async fn set_up(&self, sidebar_width: u32) -> Result<(), String> {
        self.call(
            "layout",
            json!({ "selectors": Element::AppRoot.selectors(), "sidebar_width": sidebar_width }),
        )
        .await?;
        let first = self
            .call(
                "watch",
                serde_json::to_value(WatchConfig::conversation()).unwrap_or_default(),
            )
            .await?;
        if let Ok(snapshot) = serde_json::from_value::<Snapshot>(first) {
            // What is on screen when the driver arrives is history.
            let _ = self.take_snapshot(snapshot);
        }
        Ok(())
    }

    /// Which of `elements` the page shows.
    pub async fn probe(&self, elements: &[Element]) -> Result<Vec<bool>, String> {
        let lists: Vec<&[&str]> = elements.iter().map(|e| e.selectors()).collect();
        let found = self.call("probe", json!({ "lists": lists })).await?;
        Ok(serde_json::from_value(found).unwrap_or_default())
    }

    /// The page's state for a task that needs `needed`.
    pub async fn check(&self, needed: &[Element]) -> Result<PageState, String> {
        let mut asked = vec![Element::LoginQrCode];
        asked.extend_from_slice(needed);
        let found = self.probe(&asked).await?;
        Ok(PageState::check(needed, |element| {
            asked
                .iter()
                .position(|e| *e == element)
                .and_then(|i| found.get(i).copied())
                .unwrap_or(false)
        }))
    }

    /// The text of `element`, or `None` when it is not on the page.
    pub async fn read(&self, element: Element) -> Result<Option<String>, String> {
        let found = self
            .call("read", json!({ "selectors": element.selectors() }))
            .await?;
        Ok(found.get("text").and_then(Value::as_str).map(str::to_owned))
    }

    /// Clicks `element` (or its nearest ancestor matching `closest`).
    pub async fn click(&self, element: Element, closest: Option<&str>) -> Result<bool, String> {
        let done = self
            .call(
                "click",
                json!({ "selectors": element.selectors(), "closest": closest }),
            )
            .await?;
        Ok(done.as_bool().unwrap_or(false))
    }

    /// Puts `text` into `element` the way a paste does, so the editor
    /// registers it (new lines and emoji intact).
    pub async fn paste(&self, element: Element, text: &str) -> Result<bool, String> {
        let done = self
            .call(
                "paste",
                json!({ "selectors": element.selectors(), "text": text }),
            )
            .await?;
        Ok(done.as_bool().unwrap_or(false))
    }

    /// Gives the file input `element` a file, as choosing one would.
    pub async fn attach(
        &self,
        element: Element,
        name: &str,
        mime: &str,
        base64: &str,
    ) -> Result<bool, String> {
        let done = self
            .call(
                "attach",
                json!({ "selectors": element.selectors(), "name": name, "mime": mime, "base64": base64 }),
            )
            .await?;
        Ok(done.as_bool().unwrap_or(false))
    }

    /// Clicks a link to `href` placed in the page.
    pub async fn follow_link(&self, href: &str) -> Result<(), String> {
        self.call("follow_link", json!({ "href": href }))
            .await
            .map(|_| ())
    }

    /// Milliseconds since the person at this browser last typed or clicked.
    pub async fn idle_ms(&self) -> Result<u64, String> {
        let idle = self.call("idle", json!({})).await?;
        Ok(idle.get("ms").and_then(Value::as_f64).unwrap_or(f64::MAX) as u64)
    }
}
