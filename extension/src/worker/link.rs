//! One WebSocket to the relay that stays up (gloo-net's socket as a stream
//! and a sink): hello with the session token,
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
use futures_channel::{mpsc, oneshot};
use futures_util::future::Either;
use futures_util::stream::SplitStream;
use futures_util::{SinkExt as _, StreamExt as _};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::Message;

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
    /// Frames for the open socket, if one is open.
    outbox: RefCell<Option<mpsc::UnboundedSender<String>>>,
    /// Dropped to stop reading the open socket (which closes it).
    hangup: RefCell<Option<oneshot::Sender<()>>>,
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
                outbox: RefCell::new(None),
                hangup: RefCell::new(None),
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
        self.inner.outbox.borrow_mut().take();
        self.inner.hangup.borrow_mut().take();
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
            .outbox
            .borrow()
            .as_ref()
            .is_some_and(|outbox| outbox.unbounded_send(text).is_ok());
        if !sent {
            self.inner.pending.borrow_mut().remove(&id);
            return Err(offline("Not connected to the relay."));
        }
        let timeout = Box::pin(sleep(REPLY_TIMEOUT_MS));
        match futures_util::future::select(receiver, timeout).await {
            Either::Left((Ok(Outcome::Ok(ack)), _)) => Ok(*ack),
            Either::Left((Ok(Outcome::Error(error)), _)) => Err(error),
            Either::Left((Err(_), _)) => Err(offline("The connection to the relay dropped.")),
            Either::Right(_) => {
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
        let Ok(socket) = WebSocket::open(&url) else {
            return Ended::Refused(format!(
                "\"{}\" is not a relay address. Set it in Chorus options.",
                self.inner.relay.base
            ));
        };
        let (mut sink, stream) = socket.split();
        let (outbox, mut queued) = mpsc::unbounded::<String>();
        *self.inner.outbox.borrow_mut() = Some(outbox);
        // Frames go out in order until the outbox is dropped (a stop, or the
        // end of this connection).
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(text) = queued.next().await {
                if sink.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
        });
        // The socket closes when both of its halves are dropped: the writer
        // ends with the outbox, the reader on a hang-up (or when the relay
        // closes it).
        let (hangup, hung_up) = oneshot::channel::<()>();
        *self.inner.hangup.borrow_mut() = Some(hangup);
        let reading = futures_util::future::select(Box::pin(self.clone().read(stream)), hung_up);
        let hello = Box::pin(self.hello(first));
        let (answer, reading) = match futures_util::future::select(hello, reading).await {
            Either::Left((answer, reading)) => (answer, reading),
            Either::Right(_) => {
                // Closed before the relay answered hello: nobody there.
                self.detach();
                return Ended::Dropped {
                    was_up: false,
                    problem: format!(
                        "Cannot reach the relay at {}. Retrying…",
                        self.inner.relay.base
                    ),
                };
            }
        };
        if let Err(error) = answer {
            self.detach();
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
        // Whichever ends first, the other half is dropped here.
        let _ = reading.await;
        self.inner.welcomed.set(false);
        self.detach();
        Ended::Dropped {
            was_up: true,
            problem: "The connection to the relay dropped. Reconnecting…".into(),
        }
    }

    /// Says hello in this link's role.
    async fn hello(&self, first: bool) -> Result<Ack, ErrorDetail> {
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
        self.request(Request::Hello {
            version: PROTOCOL_VERSION,
            token: self.inner.relay.token.clone().unwrap_or_default(),
            role,
        })
        .await
    }

    /// Hands each frame to [`Link::receive`] until the socket closes.
    async fn read(self, mut stream: SplitStream<WebSocket>) {
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Text(text) = message {
                self.receive(&text);
            }
        }
    }

    /// Ends this connection's outbox (closing the socket) and fails the
    /// requests that waited on it.
    fn detach(&self) {
        self.inner.outbox.borrow_mut().take();
        self.inner.hangup.borrow_mut().take();
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
