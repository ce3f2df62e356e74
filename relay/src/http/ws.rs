//! The WebSocket endpoint (`/api/v1/ws`): one connection per sidebar or host.
//!
//! A connection must say hello (with its session token) first; then each
//! request gets exactly one reply with its id. A writer task drains the
//! connection's outbox; a keep-alive ping goes out every
//! `Settings::keepalive` (20 s by default, within Chrome's 30 s service
//! worker limit), and the session is re-checked each time, so a signed-out or
//! expired session loses its connection too.
//!
//! A little over 500 lines because it is one connection's life: the upgrade,
//! hello and roles, the request dispatch (each request calls a service), and
//! the goodbye; the work itself is in `messaging`, `dispatch` and `live`.

use std::collections::HashSet;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use chorus_shared::api::User;
use chorus_shared::error::{ErrorCode, ErrorDetail};
use chorus_shared::protocol::{
    Ack, ClientFrame, ClientRole, Outcome, Request, ServerFrame, PROTOCOL_VERSION,
};
use chorus_shared::queue::SendAnswer;
use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::caller::InProfile;
use crate::hub::{HostRefused, Outbound, Outbox};
use crate::live;
use crate::session::token_hash;
use crate::store::{AccountRef, MemberChange};
use crate::AppState;
use crate::{dispatch, messaging};

/// The WebSocket route under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upgrade))
}

/// Open the live connection (see the `chorus_shared::protocol` frames).
#[utoipa::path(get, path = "/ws", tag = "live",
    responses(
        (status = 101, description = "switching to the WebSocket protocol"),
        (status = 400, description = "not a WebSocket upgrade request", body = chorus_shared::error::ErrorBody),
    ))]
async fn upgrade(
    State(state): State<AppState>,
    socket: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let socket = socket.map_err(|rejection| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::UnknownRequest,
            format!(
                "Open this address as a WebSocket ({}).",
                rejection.body_text()
            ),
        )
    })?;
    // Frames are small JSON; attachments travel over HTTP. A larger frame
    // ends the connection instead of being buffered.
    Ok(socket
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| connection(socket, state)))
}

/// Largest WebSocket message the relay reads.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;

/// What the connection is, once it said hello.
#[derive(Clone)]
enum Role {
    Sidebar,
    Host(AccountRef),
}

struct Peer {
    id: Uuid,
    user: User,
    token_hash: Vec<u8>,
    role: Role,
}

fn error_detail(error: ApiError) -> ErrorDetail {
    error.into_detail()
}

fn reply(id: u64, outcome: Result<Ack, ApiError>) -> ServerFrame {
    ServerFrame::Reply {
        id,
        outcome: match outcome {
            Ok(ack) => Outcome::Ok(Box::new(ack)),
            Err(error) => Outcome::Error(error_detail(error)),
        },
    }
}

fn text_of(message: Message) -> Option<String> {
    match message {
        Message::Text(text) => Some(text.to_string()),
        Message::Binary(bytes) => String::from_utf8(bytes.to_vec()).ok(),
        _ => None,
    }
}

async fn next_frame(
    stream: &mut SplitStream<WebSocket>,
) -> Option<Result<ClientFrame, (u64, ApiError)>> {
    loop {
        let message = stream.next().await?.ok()?;
        if matches!(message, Message::Close(_)) {
            return None;
        }
        let Some(text) = text_of(message) else {
            continue;
        };
        return Some(parse_frame(&text));
    }
}

/// Parses a request; on failure keeps the id if one was readable, so the
/// error still answers the request it belongs to.
fn parse_frame(text: &str) -> Result<ClientFrame, (u64, ApiError)> {
    let id_of = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|value| value.get("id").and_then(serde_json::Value::as_u64))
            .unwrap_or(0)
    };
    if let Some((field, c)) = crate::http::extract::forbidden_in_json(text) {
        let problem = chorus_shared::text::forbidden_problem(c);
        return Err((id_of(text), ApiError::invalid_field(&field, problem)));
    }
    serde_json::from_str::<ClientFrame>(text).map_err(|error| {
        (
            id_of(text),
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                ErrorCode::UnknownRequest,
                format!("This request was not understood ({error}). Check the protocol version and the request's fields."),
            ),
        )
    })
}

async fn connection(socket: WebSocket, state: AppState) {
    let (mut sink, mut stream) = socket.split();
    let hello = tokio::time::timeout(state.settings.hello_timeout, next_frame(&mut stream)).await;
    let (outbox, mut outbound, stuck) = Outbox::new();
    let peer = match hello {
        Ok(Some(Ok(frame))) => match greet(&state, frame.request, &outbox).await {
            Ok(peer) => {
                let welcome = Ack::Welcome {
                    user_id: peer.user.id,
                    protocol_version: PROTOCOL_VERSION,
                    keepalive_seconds: state.settings.keepalive.as_secs().max(1),
                };
                outbox.frame(reply(frame.id, Ok(welcome)));
                peer
            }
            Err(error) => {
                return refuse(&mut sink, frame.id, error).await;
            }
        },
        Ok(Some(Err((id, error)))) => return refuse(&mut sink, id, error).await,
        Ok(None) => return,
        Err(_) => {
            let error = ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "Say hello with your session token first.",
            );
            return refuse(&mut sink, 0, error).await;
        }
    };
    after_hello(&state, &peer).await;

    let writer = tokio::spawn(async move {
        while let Some(outbound) = outbound.recv().await {
            match outbound {
                Outbound::Frame(frame) => {
                    let text = serde_json::to_string(&frame).unwrap_or_default();
                    if sink
                        .send(Message::Text(Utf8Bytes::from(text)))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Outbound::Close(reason) => {
                    let frame = ServerFrame::Closing {
                        reason: reason.clone(),
                    };
                    let text = serde_json::to_string(&frame).unwrap_or_default();
                    let _ = sink.send(Message::Text(Utf8Bytes::from(text))).await;
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code: 4000,
                            reason: Utf8Bytes::from(
                                reason.message.chars().take(100).collect::<String>(),
                            ),
                        })))
                        .await;
                    break;
                }
            }
        }
    });

    let mut keepalive = tokio::time::interval(state.settings.keepalive);
    keepalive.tick().await;
    loop {
        tokio::select! {
            frame = next_frame(&mut stream) => match frame {
                Some(Ok(frame)) => {
                    let answer = handle(&state, &peer, frame.request).await;
                    outbox.frame(reply(frame.id, answer));
                }
                Some(Err((id, error))) => outbox.frame(reply(id, Err(error))),
                None => break,
            },
            _ = keepalive.tick() => {
                if let Some(why) = access_ended(&state, &peer).await {
                    outbox.send(Outbound::Close(error_detail(why)));
                    break;
                }
                outbox.frame(ServerFrame::Ping);
            }
            () = stuck.notified() => break,
            _ = outbox_closed(&outbox) => break,
        }
    }
    drop(outbox);
    goodbye(&state, &peer).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
}

/// Resolves when the writer has gone (the socket failed).
async fn outbox_closed(outbox: &Outbox) {
    outbox.closed().await;
}

async fn refuse(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    id: u64,
    error: ApiError,
) {
    let detail = error_detail(error);
    let frame = ServerFrame::Reply {
        id,
        outcome: Outcome::Error(detail.clone()),
    };
    if let Ok(text) = serde_json::to_string(&frame) {
        let _ = sink.send(Message::Text(Utf8Bytes::from(text))).await;
    }
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: 4001,
            reason: Utf8Bytes::from(detail.message.chars().take(100).collect::<String>()),
        })))
        .await;
}

/// Why the connection may no longer stay open, if it may not: its session
/// ended, or (for a host) its user is no longer an admin of the number's
/// organization. Changes made through this relay take effect at once
/// ([`membership_changed`]); this catches those made through another relay
/// sharing the database.
async fn access_ended(state: &AppState, peer: &Peer) -> Option<ApiError> {
    let now = chrono::Utc::now();
    if let Ok(None) = state.store.session_user(&peer.token_hash, now).await {
        return Some(ApiError::unauthenticated());
    }
    if let Role::Host(account) = peer.role {
        if let Err(error) = host_still_allowed(state, peer, account).await {
            return Some(error);
        }
    }
    None
}

/// Refuses a host whose user is no longer an admin of the organization it
/// hosts (a personal number is always its owner's).
async fn host_still_allowed(
    state: &AppState,
    peer: &Peer,
    account: AccountRef,
) -> Result<(), ApiError> {
    let AccountRef::Organization(org) = account else {
        return Ok(());
    };
    match state.store.role(org, peer.user.id).await? {
        Some(chorus_shared::account::Role::Admin) => Ok(()),
        _ => Err(no_longer_host()),
    }
}

fn no_longer_host() -> ApiError {
    ApiError::forbidden(
        "You no longer host this number: only an admin of the organization can. This browser stopped hosting.",
    )
}

/// Applies a membership change to open connections at once: a member who
/// left stops receiving the organization's events, and a host who is no
/// longer an admin stops hosting (its leased messages go back to the queue).
pub async fn membership_changed(state: &AppState, org: Uuid, user: Uuid, change: MemberChange) {
    let account = AccountRef::Organization(org);
    let member = !matches!(change, MemberChange::Remove);
    state.hub.set_watching(user, account, member);
    if matches!(
        change,
        MemberChange::Role(chorus_shared::account::Role::Admin)
    ) {
        return;
    }
    let why = no_longer_host().into_detail().message;
    if let Some(connection) = state.hub.drop_host_of(account, user, &why) {
        tracing::info!(account = %org, %user, "host dropped: no longer an admin");
        release(state, &dispatch::lease_owner(state, connection)).await;
        live::host(state, account, false);
    }
}

/// Authenticates a hello and registers the connection.
async fn greet(state: &AppState, request: Request, outbox: &Outbox) -> Result<Peer, ApiError> {
    let Request::Hello {
        version,
        token,
        role,
    } = request
    else {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::UnknownRequest,
            "The first request on a connection must be hello.",
        ));
    };
    if version != PROTOCOL_VERSION {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::UnsupportedProtocolVersion,
            format!("This relay speaks protocol version {PROTOCOL_VERSION}; update the extension."),
        ));
    }
    let token_hash = token_hash(&token);
    let user = state
        .store
        .session_user(&token_hash, chrono::Utc::now())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let id = Uuid::now_v7();
    let role = match role {
        ClientRole::Sidebar => {
            let mut accounts: HashSet<AccountRef> = [AccountRef::Personal(user.id)].into();
            for membership in state.store.memberships(user.id).await? {
                accounts.insert(AccountRef::Organization(membership.organization.id));
            }
            state.hub.add_sidebar(id, user.id, accounts, outbox.clone());
            Role::Sidebar
        }
        ClientRole::Host {
            organization_id,
            take_over,
        } => {
            let InProfile { account, role, .. } =
                InProfile::resolve(state, &user, organization_id).await?;
            if role == Some(chorus_shared::account::Role::Agent) {
                return Err(ApiError::forbidden(
                    "Only an admin of the organization can host its number.",
                ));
            }
            match state.hub.add_host(account, id, user.id, outbox.clone(), take_over) {
                Ok(Some(previous)) => {
                    release(state, &dispatch::lease_owner(state, previous)).await;
                }
                Ok(None) => {}
                Err(HostRefused::AlreadyHosted) => {
                    return Err(ApiError::new(
                        axum::http::StatusCode::CONFLICT,
                        ErrorCode::HostAlreadyConnected,
                        "Another browser already hosts this number. Close it there, or connect with take_over to host it here.",
                    ))
                }
            }
            Role::Host(account)
        }
    };
    Ok(Peer {
        id,
        user,
        token_hash,
        role,
    })
}

async fn after_hello(state: &AppState, peer: &Peer) {
    if let Role::Host(account) = peer.role {
        tracing::info!(account = %account.id(), user = %peer.user.id, "host online");
        live::host(state, account, true);
        dispatch::pump(state, account);
    }
}

/// Unregisters the connection; a host's leased messages go back to the queue.
async fn goodbye(state: &AppState, peer: &Peer) {
    match peer.role {
        Role::Sidebar => state.hub.remove_sidebar(peer.id),
        Role::Host(account) => {
            let was_host = state.hub.remove_host(account, peer.id);
            release(state, &dispatch::lease_owner(state, peer.id)).await;
            if was_host {
                tracing::info!(account = %account.id(), "host offline");
                live::host(state, account, false);
            }
        }
    }
}

async fn release(state: &AppState, owner: &str) {
    match state.store.release_leases(owner, chrono::Utc::now()).await {
        Ok(requeued) => {
            for (account, message) in requeued {
                live::message(state, account, message);
                dispatch::pump(state, account);
            }
        }
        Err(error) => tracing::error!(%error, "cannot release a host's leases"),
    }
}

async fn handle(state: &AppState, peer: &Peer, request: Request) -> Result<Ack, ApiError> {
    // A host that was replaced or demoted is refused at once, even before
    // its connection has closed.
    let host_account = || match peer.role {
        Role::Host(account) if state.hub.is_host(account, peer.id) => Ok(account),
        Role::Host(_) => Err(ApiError::forbidden(
            "This browser no longer hosts this number: another took over, or your role changed.",
        )),
        Role::Sidebar => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::WrongRole,
            "Only a host connection can do this.",
        )),
    };
    match request {
        Request::Hello { .. } => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::UnknownRequest,
            "This connection already said hello.",
        )),
        Request::Ping => Ok(Ack::Pong),
        Request::Send { message } => {
            let answer = messaging::send(state, &peer.user, message).await?;
            Ok(match answer {
                SendAnswer::Queued(message) | SendAnswer::AlreadyQueued(message) => {
                    Ack::Message { message }
                }
                SendAnswer::KeptAsComment(added) => Ack::Comment { added },
            })
        }
        Request::Cancel { message_id } => {
            // A sidebar cancels in any profile it can see; the store scopes by account.
            let message = cancel_anywhere(state, peer, message_id).await?;
            Ok(Ack::Message { message })
        }
        Request::Report { message_id, report } => {
            messaging::report(state, host_account()?, message_id, &report).await?;
            Ok(Ack::Done)
        }
        // These write into the organization (and incoming messages cost its
        // credits), so the role is read again from the database.
        Request::Incoming { message } => {
            let account = host_account()?;
            host_still_allowed(state, peer, account).await?;
            let (message, duplicate) = messaging::incoming(state, account, &message).await?;
            Ok(Ack::Incoming { message, duplicate })
        }
        Request::Activity { chats } => {
            let account = host_account()?;
            host_still_allowed(state, peer, account).await?;
            crate::arrivals::seen(state, account, &chats).await?;
            Ok(Ack::Done)
        }
        Request::Groups { groups } => {
            let account = host_account()?;
            host_still_allowed(state, peer, account).await?;
            crate::http::groups::seen(state, account, &groups).await?;
            Ok(Ack::Done)
        }
    }
}

async fn cancel_anywhere(
    state: &AppState,
    peer: &Peer,
    message_id: Uuid,
) -> Result<chorus_shared::queue::MessageView, ApiError> {
    let mut organizations: Vec<Option<Uuid>> = vec![None];
    organizations.extend(
        state
            .store
            .memberships(peer.user.id)
            .await?
            .into_iter()
            .map(|m| Some(m.organization.id)),
    );
    for organization_id in organizations {
        let account = InProfile::resolve(state, &peer.user, organization_id)
            .await?
            .account;
        if state.store.message(account, message_id).await?.is_some() {
            return messaging::cancel(state, &peer.user, organization_id, message_id).await;
        }
    }
    Err(ApiError::not_found("message"))
}
