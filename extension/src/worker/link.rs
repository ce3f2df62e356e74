//! One WebSocket to the relay that stays up: hello with the session token,
//! a keep-alive every [`KEEPALIVE_SECONDS`] (which also keeps Chrome from
//! stopping the service worker), and reconnection with exponential backoff
//! and jitter when it drops. Requests wait for their reply by id.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use chorus_shared::error::{ErrorCode, ErrorDetail};
use chorus_shared::protocol::{
    Ack, ClientFrame, ClientRole, Outcome, Request, ServerFrame, KEEPALIVE_SECONDS,
    PROTOCOL_VERSION,
};
use futures_channel::oneshot;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, WebSocket};

use crate::browser::relay::Relay;
use crate::browser::{random, sleep};

/// Longest wait between reconnection attempts.
const MAX_BACKOFF_MS: u32 = 30_000;
/// How long a request waits for its reply.
const REPLY_TIMEOUT_MS: u32 = 20_000;

/// Called with each event frame (replies are routed to their request).
pub type OnFrame = Rc<dyn Fn(ServerFrame)>;
/// Called when the link goes up (`None`) or down (with what is wrong).
pub type OnState = Rc<dyn Fn(bool, Option<String>)>;

/// A live connection to the relay in one role.
#[derive(Clone)]
pub struct Link {
    inner: Rc<Inner>,
}

struct Inner {
    relay: Relay,
    role: ClientRole,
    on_frame: OnFrame,
    on_state: OnState,
    socket: RefCell<Option<WebSocket>>,
    welcomed: Cell<bool>,
    stopped: Cell<bool>,
    next_id: Cell<u64>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Outcome>>>,
}

impl Link {
    /// Connects and keeps reconnecting until [`Link::stop`].
    pub fn start(relay: Relay, role: ClientRole, on_frame: OnFrame, on_state: OnState) -> Link {
        let link = Link {
            inner: Rc::new(Inner {
                relay,
                role,
                on_frame,
                on_state,
                socket: RefCell::new(None),
                welcomed: Cell::new(false),
                stopped: Cell::new(false),
                next_id: Cell::new(1),
                pending: RefCell::new(HashMap::new()),
            }),
        };
        wasm_bindgen_futures::spawn_local(link.clone().run());
        wasm_bindgen_futures::spawn_local(link.clone().keep_alive());
        link
    }

    /// Closes the connection for good.
    pub fn stop(&self) {
        self.inner.stopped.set(true);
        if let Some(socket) = self.inner.socket.borrow_mut().take() {
            let _ = socket.close();
        }
    }

    /// Whether the relay has accepted this connection.
    pub fn online(&self) -> bool {
        self.inner.welcomed.get()
    }

    /// Sends a request and waits for its reply.
    pub async fn request(&self, request: Request) -> Result<Ack, ErrorDetail> {
        let id = self.inner.next_id.get();
        self.inner.next_id.set(id + 1);
        let (sender, receiver) = oneshot::channel();
        self.inner.pending.borrow_mut().insert(id, sender);
        let text = serde_json::to_string(&ClientFrame { id, request }).unwrap_or_default();
        let sent = self
            .inner
            .socket
            .borrow()
            .as_ref()
            .is_some_and(|socket| socket.send_with_str(&text).is_ok());
        if !sent {
            self.inner.pending.borrow_mut().remove(&id);
            return Err(offline("Not connected to the relay."));
        }
        let timeout = Box::pin(sleep(REPLY_TIMEOUT_MS));
        match futures_util::future::select(receiver, timeout).await {
            futures_util::future::Either::Left((Ok(Outcome::Ok(ack)), _)) => Ok(*ack),
            futures_util::future::Either::Left((Ok(Outcome::Error(error)), _)) => Err(error),
            futures_util::future::Either::Left((Err(_), _)) => {
                Err(offline("The connection to the relay dropped."))
            }
            futures_util::future::Either::Right(_) => {
                self.inner.pending.borrow_mut().remove(&id);
                Err(offline("The relay did not answer in time."))
            }
        }
    }

    async fn run(self) {
        let mut backoff_ms = 1_000u32;
        let mut first = true;
        while !self.inner.stopped.get() {
            match self.connect_once(first).await {
                Ended::Refused(problem) => {
                    (self.inner.on_state)(false, Some(problem));
                    self.stop();
                    return;
                }
                Ended::Dropped { was_up, problem } => {
                    if was_up {
                        backoff_ms = 1_000;
                    }
                    (self.inner.on_state)(false, Some(problem));
                }
            }
            first = false;
            if self.inner.stopped.get() {
                return;
            }
            // Jitter spreads reconnections when a relay restart drops everyone.
            let wait = backoff_ms / 2 + (random() * f64::from(backoff_ms / 2)) as u32;
            sleep(wait).await;
            backoff_ms = (backoff_ms * 2).min(MAX_BACKOFF_MS);
        }
    }

    async fn connect_once(&self, first: bool) -> Ended {
        let url = self.inner.relay.ws_url();
        let Ok(socket) = WebSocket::new(&url) else {
            return Ended::Refused(format!(
                "\"{}\" is not a relay address. Set it in Chorus options.",
                self.inner.relay.base
            ));
        };
        let (opened_tx, opened_rx) = oneshot::channel::<bool>();
        let (closed_tx, closed_rx) = oneshot::channel::<()>();
        let opened_tx = Rc::new(RefCell::new(Some(opened_tx)));
        let closed_tx = Rc::new(RefCell::new(Some(closed_tx)));
        let on_open = {
            let opened = opened_tx.clone();
            Closure::<dyn FnMut()>::new(move || {
                if let Some(tx) = opened.borrow_mut().take() {
                    let _ = tx.send(true);
                }
            })
        };
        let on_close = {
            let opened = opened_tx.clone();
            let closed = closed_tx.clone();
            Closure::<dyn FnMut()>::new(move || {
                if let Some(tx) = opened.borrow_mut().take() {
                    let _ = tx.send(false);
                }
                if let Some(tx) = closed.borrow_mut().take() {
                    let _ = tx.send(());
                }
            })
        };
        let on_message = {
            let link = self.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(text) = event.data().as_string() {
                    link.receive(&text);
                }
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *self.inner.socket.borrow_mut() = Some(socket.clone());

        let unreachable = || Ended::Dropped {
            was_up: false,
            problem: format!(
                "Cannot reach the relay at {}. Retrying…",
                self.inner.relay.base
            ),
        };
        if !opened_rx.await.unwrap_or(false) {
            self.detach(&socket);
            return unreachable();
        }
        let role = match (&self.inner.role, first) {
            // Only the first connection after hosting is switched on takes
            // over: a later reconnection must not steal the number back from
            // a browser the admin chose since.
            (
                ClientRole::Host {
                    organization_id, ..
                },
                false,
            ) => ClientRole::Host {
                organization_id: *organization_id,
                take_over: false,
            },
            (role, _) => role.clone(),
        };
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            token: self.inner.relay.token.clone().unwrap_or_default(),
            role,
        };
        let outcome = self.request(hello).await.err();
        if let Some(error) = outcome {
            self.detach(&socket);
            return match error.code {
                ErrorCode::Unauthenticated
                | ErrorCode::Forbidden
                | ErrorCode::HostAlreadyConnected
                | ErrorCode::NotFound => Ended::Refused(error.message),
                _ => Ended::Dropped {
                    was_up: false,
                    problem: error.message,
                },
            };
        }
        self.inner.welcomed.set(true);
        (self.inner.on_state)(true, None);
        let _ = closed_rx.await;
        self.inner.welcomed.set(false);
        self.detach(&socket);
        drop((on_open, on_close, on_message));
        Ended::Dropped {
            was_up: true,
            problem: "The connection to the relay dropped. Reconnecting…".into(),
        }
    }

    fn detach(&self, socket: &WebSocket) {
        socket.set_onopen(None);
        socket.set_onclose(None);
        socket.set_onerror(None);
        socket.set_onmessage(None);
        let _ = socket.close();
        self.inner.socket.borrow_mut().take();
        // Requests in flight will not get their replies on this socket.
        self.inner.pending.borrow_mut().clear();
    }

    fn receive(&self, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text) else {
            crate::browser::log(&format!(
                "Chorus: ignored a frame it does not know: {text:.200}"
            ));
            return;
        };
        match frame {
            ServerFrame::Reply { id, outcome } => {
                if let Some(sender) = self.inner.pending.borrow_mut().remove(&id) {
                    let _ = sender.send(outcome);
                }
            }
            ServerFrame::Ping => {}
            ServerFrame::Closing { reason } => {
                self.stop();
                (self.inner.on_state)(false, Some(reason.message));
            }
            other => (self.inner.on_frame)(other),
        }
    }

    async fn keep_alive(self) {
        while !self.inner.stopped.get() {
            sleep((KEEPALIVE_SECONDS * 1000) as u32).await;
            if self.inner.welcomed.get() {
                let _ = self.request(Request::Ping).await;
            }
        }
    }
}

enum Ended {
    /// The relay said no for a reason retrying cannot fix.
    Refused(String),
    /// The connection failed or dropped; try again.
    Dropped { was_up: bool, problem: String },
}

fn offline(message: &str) -> ErrorDetail {
    ErrorDetail {
        code: ErrorCode::Unavailable,
        message: message.into(),
        fields: Default::default(),
        retry_after_seconds: None,
    }
}
