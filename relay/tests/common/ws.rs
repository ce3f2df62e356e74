//! A protocol client over a real WebSocket, for sidebars and simulated hosts.

use std::collections::VecDeque;
use std::time::Duration;

use chorus_shared::error::ErrorDetail;
use chorus_shared::protocol::{
    Ack, ClientFrame, ClientRole, DeliveryReport, Dispatch, Outcome, Request, ServerFrame,
    PROTOCOL_VERSION,
};
use chorus_shared::queue::MessageView;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for a frame before failing.
const WAIT: Duration = Duration::from_secs(15);

pub struct WsClient {
    socket: Socket,
    next_id: u64,
    events: VecDeque<ServerFrame>,
}

impl WsClient {
    /// Connects and says hello; the relay's refusal comes back as `Err`.
    pub async fn connect(url: &str, token: &str, role: ClientRole) -> Result<Self, ErrorDetail> {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket connects");
        let mut client = Self {
            socket,
            next_id: 0,
            events: VecDeque::new(),
        };
        client
            .request(Request::Hello {
                version: PROTOCOL_VERSION,
                token: token.to_owned(),
                role,
            })
            .await?;
        Ok(client)
    }

    pub async fn sidebar(url: &str, token: &str) -> Self {
        Self::connect(url, token, ClientRole::Sidebar)
            .await
            .expect("sidebar connects")
    }

    pub async fn host(url: &str, token: &str, organization_id: Option<Uuid>) -> Self {
        Self::connect(
            url,
            token,
            ClientRole::Host {
                organization_id,
                take_over: false,
            },
        )
        .await
        .expect("host connects")
    }

    /// Sends raw text (for malformed-input tests).
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// Sends raw text that the relay may refuse while it is still being
    /// written (an oversized frame): the relay may close the connection
    /// before the last bytes arrive, which the sender sees as a broken pipe.
    pub async fn send_text_unchecked(&mut self, text: &str) {
        let _ = self.socket.send(Message::Text(text.into())).await;
    }

    /// Sends a request and waits for its reply, keeping events for later.
    pub async fn request(&mut self, request: Request) -> Result<Ack, ErrorDetail> {
        self.next_id += 1;
        let id = self.next_id;
        let text = serde_json::to_string(&ClientFrame { id, request }).expect("serialise");
        self.send_text(&text).await;
        self.reply(id).await
    }

    /// Waits for the reply with this id.
    pub async fn reply(&mut self, id: u64) -> Result<Ack, ErrorDetail> {
        loop {
            match self.read().await {
                ServerFrame::Reply { id: got, outcome } if got == id => {
                    return match outcome {
                        Outcome::Ok(ack) => Ok(*ack),
                        Outcome::Error(error) => Err(error),
                    }
                }
                other => self.events.push_back(other),
            }
        }
    }

    async fn read(&mut self) -> ServerFrame {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame arrives in time")
                .expect("connection open")
                .expect("frame");
            match message {
                Message::Text(text) => {
                    return serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("bad frame {text}: {e}"))
                }
                Message::Close(_) => panic!("connection closed while waiting"),
                _ => continue,
            }
        }
    }

    /// The first event for which `pick` returns something; that event is
    /// taken, the others stay buffered for later waits.
    pub async fn wait_for<T>(&mut self, mut pick: impl FnMut(&ServerFrame) -> Option<T>) -> T {
        for index in 0..self.events.len() {
            if let Some(found) = pick(&self.events[index]) {
                self.events.remove(index);
                return found;
            }
        }
        loop {
            let frame = self.read().await;
            match pick(&frame) {
                Some(found) => return found,
                None => self.events.push_back(frame),
            }
        }
    }

    /// The next dispatch (for hosts).
    pub async fn next_dispatch(&mut self) -> Dispatch {
        self.wait_for(|frame| match frame {
            ServerFrame::Dispatch { message } => Some(message.clone()),
            _ => None,
        })
        .await
    }

    /// Waits until a message event shows this message in `status`.
    pub async fn message_status(&mut self, id: Uuid, status: &str) -> MessageView {
        self.wait_for(|frame| match frame {
            ServerFrame::Message { message }
                if message.id == id && message.status.as_str() == status =>
            {
                Some(message.clone())
            }
            _ => None,
        })
        .await
    }

    /// Reports on a dispatched message (for hosts).
    pub async fn report(&mut self, message_id: Uuid, report: DeliveryReport) {
        let ack = self.request(Request::Report { message_id, report }).await;
        assert!(matches!(ack, Ok(Ack::Done)), "report accepted: {ack:?}");
    }

    /// Whether any frame arrives within `within` (events already buffered count).
    pub async fn quiet_for(
        &mut self,
        within: Duration,
        mut relevant: impl FnMut(&ServerFrame) -> bool,
    ) -> bool {
        if self.events.iter().any(&mut relevant) {
            return false;
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await {
                Err(_) => return true,
                Ok(Some(Ok(Message::Text(text)))) => {
                    let frame: ServerFrame = serde_json::from_str(&text).expect("frame");
                    if relevant(&frame) {
                        return false;
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(_) => return true,
            }
        }
    }

    /// Drops the TCP connection without a closing handshake (a killed browser).
    pub fn kill(self) {
        drop(self);
    }

    /// Reads until the relay closes the connection; returns the `closing` reason if sent.
    pub async fn closed(mut self) -> Option<ErrorDetail> {
        let mut reason = None;
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if let Ok(ServerFrame::Closing { reason: why }) = serde_json::from_str(&text) {
                        reason = Some(why);
                    }
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return reason,
                Ok(Some(Ok(_))) => {}
                Err(_) => panic!("the relay did not close the connection"),
            }
        }
    }
}
