//! The background service worker: it keeps the relay connections (live
//! events for sidebars; the host connection when this browser hosts a
//! number), pairs each WhatsApp Web tab's bridge with its sidebar, and runs
//! the host's sends.
//!
//! Chrome may stop the worker at any time. Everything it needs to carry on
//! is in `chrome.storage` (settings, the host's record of sends), and the
//! bridges and sidebars reconnect their ports, which starts it again.
//!
//! # Layout
//! - this file: ports, settings, and the host loop.
//! - [`link`]: one relay WebSocket with hello, keep-alive and reconnection.
//! - [`tab`]: one WhatsApp Web tab, through its bridge.
//! - [`host`]: performing one dispatched send and reporting it.

mod host;
mod link;
mod tab;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use chorus_shared::endpoints::{self, AttachReceivedMedia};
use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{Ack, ClientRole, Request, ServerFrame};
use chorus_shared::queue::MessageView;
use chorus_shared::team::SeenGroup;
use wasm_bindgen::prelude::*;

use crate::alerts::Alerts;
use crate::browser::relay::Relay;
use crate::browser::{load, load_settings, log, sleep, store, Port, Shared};
use crate::channel::{
    HostStatus, Settings, SidebarRequest, WorkerEvent, BRIDGE_PORT, CAPTURE_KEY, SENT_KEY,
    SIDEBAR_PORT,
};
use crate::driver::capture::{capture, capture_turn, CaptureOutcome};
use crate::driver::inbox::{CaptureMemory, ListEvent};
use crate::driver::layout::{PageState, HOSTING_NEEDS};
use crate::driver::page::Page as _;
use crate::driver::send::Phase;
use crate::driver::watch::{members_in_subtitle, OpenChat, RowEvent};
use crate::pacing::Pacing;

use host::Host;
use link::Link;
use tab::{FromTab, Tab, COLLAPSED_WIDTH, SIDEBAR_WIDTH};

/// The worker, as the JavaScript loader holds it.
#[wasm_bindgen]
pub struct WorkerHandle {
    worker: Shared<Worker>,
}

#[wasm_bindgen]
impl WorkerHandle {
    /// Takes a port that a bridge or a sidebar opened.
    pub fn accept(&self, port: Port) {
        accept(&self.worker, port);
    }
}

/// Starts the worker: loads the settings and connects.
#[wasm_bindgen]
pub fn start_worker() -> WorkerHandle {
    let worker = Rc::new(RefCell::new(Worker::default()));
    wasm_bindgen_futures::spawn_local(reload(worker.clone()));
    WorkerHandle { worker }
}

#[derive(Default)]
struct Worker {
    settings: Settings,
    sidebars: HashMap<String, Port>,
    tabs: HashMap<String, Rc<Tab>>,
    open_chats: HashMap<String, Option<OpenChat>>,
    /// Why a tab could not be set up (an outdated bridge), by tab.
    tab_problems: HashMap<String, String>,
    /// Whether each tab's WhatsApp Web shows its dark theme.
    themes: HashMap<String, bool>,
    live: Option<Link>,
    connection: (bool, Option<String>),
    host: Option<Shared<Host>>,
    host_status: HostStatus,
    /// The count on the toolbar button and the notifications shown.
    alerts: Alerts,
    /// Bumped on every reload, so loops of the previous settings end.
    generation: u64,
}

impl Worker {
    fn broadcast(&self, event: &WorkerEvent) {
        for port in self.sidebars.values() {
            port.send(event);
        }
    }

    fn relay(&self) -> Option<Relay> {
        Some(Relay {
            base: self.settings.relay()?,
            token: Some(self.settings.session.as_ref()?.token.clone()),
        })
    }

    fn any_tab(&self) -> Option<Rc<Tab>> {
        self.tabs.values().next().cloned()
    }
}

fn accept(worker: &Shared<Worker>, port: Port) {
    let name = port.port_name();
    if let Some(nonce) = name.strip_prefix(BRIDGE_PORT) {
        accept_tab(worker, nonce.to_owned(), port);
    } else if let Some(nonce) = name.strip_prefix(SIDEBAR_PORT) {
        accept_sidebar(worker, nonce.to_owned(), port);
    } else {
        port.close();
    }
}

fn accept_tab(worker: &Shared<Worker>, nonce: String, port: Port) {
    let tab = Rc::new(Tab::new(port.clone()));
    worker.borrow_mut().tabs.insert(nonce.clone(), tab.clone());
    {
        let worker = worker.clone();
        let tab = tab.clone();
        let nonce = nonce.clone();
        port.on_each_message(move |text| {
            tab_changed(&worker, &nonce, &tab, tab.receive(&text));
        });
    }
    {
        let worker = worker.clone();
        let nonce = nonce.clone();
        port.on_close(move || {
            let mut state = worker.borrow_mut();
            state.tabs.remove(&nonce);
            state.open_chats.remove(&nonce);
            state.tab_problems.remove(&nonce);
            state.themes.remove(&nonce);
        });
    }
    let worker = worker.clone();
    wasm_bindgen_futures::spawn_local(async move {
        // Where the capture stopped, before the first look at the page.
        tab.remember(load::<CaptureMemory>(CAPTURE_KEY).await.unwrap_or_default());
        let problem = match tab.set_up(SIDEBAR_WIDTH).await {
            Ok(first) => {
                tab_changed(&worker, &nonce, &tab, first);
                None
            }
            Err(problem) => {
                log(&format!(
                    "Chorus: could not set up the WhatsApp Web tab: {problem}"
                ));
                Some(format!(
                    "Chorus cannot work in this WhatsApp Web tab: {problem}"
                ))
            }
        };
        tab_problem(&worker, &nonce, problem);
    });
}

/// What a tab's bridge reported.
fn tab_changed(worker: &Shared<Worker>, nonce: &str, tab: &Rc<Tab>, change: FromTab) {
    if let FromTab::Changed {
        events,
        listed,
        open_chat,
        dark,
    } = change
    {
        tab_theme(worker, nonce, dark);
        page_changed(worker, nonce, tab, events, listed, open_chat);
    }
}

/// Remembers a tab's theme and tells its sidebar when it changes.
fn tab_theme(worker: &Shared<Worker>, nonce: &str, dark: bool) {
    let mut state = worker.borrow_mut();
    if state.themes.insert(nonce.to_owned(), dark) == Some(dark) {
        return;
    }
    if let Some(sidebar) = state.sidebars.get(nonce) {
        sidebar.send(&WorkerEvent::Theme { dark });
    }
}

/// Remembers what is wrong with a tab and tells its sidebar.
fn tab_problem(worker: &Shared<Worker>, nonce: &str, problem: Option<String>) {
    let mut state = worker.borrow_mut();
    match &problem {
        Some(problem) => state.tab_problems.insert(nonce.to_owned(), problem.clone()),
        None => state.tab_problems.remove(nonce),
    };
    if let Some(sidebar) = state.sidebars.get(nonce) {
        sidebar.send(&WorkerEvent::TabProblem { problem });
    }
}

fn page_changed(
    worker: &Shared<Worker>,
    nonce: &str,
    tab: &Rc<Tab>,
    events: Vec<RowEvent>,
    listed: Vec<ListEvent>,
    open_chat: Option<OpenChat>,
) {
    let group = open_chat.as_ref().and_then(|chat| {
        let wa_id = chat.wa_id.clone().filter(|id| id.ends_with("@g.us"))?;
        Some(SeenGroup {
            wa_id,
            name: chat.title.clone(),
            participants: chat
                .subtitle
                .as_deref()
                .map(members_in_subtitle)
                .unwrap_or_default(),
        })
    });
    let mut state = worker.borrow_mut();
    if state.open_chats.get(nonce) != Some(&open_chat) {
        state.open_chats.insert(nonce.to_owned(), open_chat.clone());
        if let Some(sidebar) = state.sidebars.get(nonce) {
            sidebar.send(&WorkerEvent::OpenChat { chat: open_chat });
        }
    }
    let Some(host) = state.host.clone() else {
        return;
    };
    let capture = state.settings.capture;
    drop(state);
    let link = host.borrow().link.clone();
    // A group shows its id only while open: that is when the relay learns
    // of it, so an admin can add it.
    if let Some(group) = group.filter(|group| host.borrow_mut().first_sight(group)) {
        tell_relay(
            &link,
            Request::Groups {
                groups: vec![group],
            },
        );
    }
    let mut activity = Vec::new();
    for event in listed {
        match event {
            ListEvent::Activity(chat) => activity.push(chat),
            ListEvent::LastTick { chat, tick } => {
                let Some((message_id, report)) = host.borrow_mut().last_tick_moved(&chat, tick)
                else {
                    continue;
                };
                tell_relay(&link, Request::Report { message_id, report });
            }
        }
    }
    if capture && !activity.is_empty() {
        tell_relay(&link, Request::Activity { chats: activity });
    }
    for event in events {
        match event {
            RowEvent::Incoming { message, media_url } => {
                host.borrow_mut().heard_from(&message);
                if !capture {
                    continue;
                }
                let link = link.clone();
                let relay = host.borrow().relay.clone();
                let tab = tab.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let (chat, wa_id) = (message.chat_wa_id.clone(), message.wa_id.clone());
                    let name = message.media.as_ref().and_then(|media| media.name.clone());
                    match link.request(Request::Incoming { message: *message }).await {
                        // Noted only once the relay has it: a row it never
                        // got is taken again when its chat next opens.
                        Ok(ack) => {
                            store(CAPTURE_KEY, &tab.captured(&chat, &wa_id)).await;
                            if let (
                                Ack::Incoming {
                                    message: stored, ..
                                },
                                Some(url),
                            ) = (ack, media_url)
                            {
                                upload_received(&tab, &relay, &stored, &url, name).await;
                            }
                        }
                        Err(error) => log(&format!(
                            "Chorus: the relay did not take an incoming message: {}",
                            error.message
                        )),
                    }
                });
            }
            RowEvent::Tick { wa_id, tick } => {
                let Some((message_id, report)) = host.borrow_mut().tick_moved(&wa_id, tick) else {
                    continue;
                };
                tell_relay(&link, Request::Report { message_id, report });
            }
        }
    }
}

/// Gives the relay the bytes of a file a customer sent, when the page has
/// downloaded them and the relay has none yet, so agents can open it. A
/// file over the limit, or one the relay refuses, stays described only
/// ("on the host's phone").
async fn upload_received(
    tab: &Tab,
    relay: &Relay,
    stored: &MessageView,
    url: &str,
    name: Option<String>,
) {
    if stored.kind == MessageKind::Text || stored.attachment.is_some() {
        return;
    }
    let bytes = match tab.read_blob(url).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return,
        Err(problem) => {
            log(&format!(
                "Chorus: could not read a received file: {problem}"
            ));
            return;
        }
    };
    let endpoint = AttachReceivedMedia {
        organization_id: stored.organization_id,
        message_id: stored.id,
        name,
    };
    if let Err(failure) = relay.upload_bytes(&endpoint, &bytes).await {
        log(&format!(
            "Chorus: the relay did not take a received file: {}",
            failure.message
        ));
    }
}

/// Sends a host report; a refusal is logged (the relay keeps what it has).
fn tell_relay(link: &Link, request: Request) {
    let link = link.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = link.request(request).await {
            log(&format!(
                "Chorus: the relay refused a host report: {}",
                error.message
            ));
        }
    });
}

fn accept_sidebar(worker: &Shared<Worker>, nonce: String, port: Port) {
    {
        let mut state = worker.borrow_mut();
        state.sidebars.insert(nonce.clone(), port.clone());
        port.send(&WorkerEvent::Connection {
            online: state.connection.0,
            problem: state.connection.1.clone(),
        });
        port.send(&WorkerEvent::Host {
            status: state.host_status.clone(),
        });
        let chat = state.open_chats.get(&nonce).cloned().flatten();
        port.send(&WorkerEvent::OpenChat { chat });
        if let Some(&dark) = state.themes.get(&nonce) {
            port.send(&WorkerEvent::Theme { dark });
        }
        if let Some(problem) = state.tab_problems.get(&nonce) {
            port.send(&WorkerEvent::TabProblem {
                problem: Some(problem.clone()),
            });
        }
    }
    {
        let worker = worker.clone();
        let nonce = nonce.clone();
        port.on_each_message(move |text| {
            let Ok(request) = serde_json::from_str::<SidebarRequest>(&text) else {
                return;
            };
            sidebar_asked(&worker, &nonce, request);
        });
    }
    let worker = worker.clone();
    port.on_close(move || {
        worker.borrow_mut().sidebars.remove(&nonce);
    });
}

fn sidebar_asked(worker: &Shared<Worker>, nonce: &str, request: SidebarRequest) {
    match request {
        SidebarRequest::SettingsChanged => {
            wasm_bindgen_futures::spawn_local(reload(worker.clone()));
        }
        SidebarRequest::Collapse { collapsed } => {
            let tab = worker.borrow().tabs.get(nonce).cloned();
            if let Some(tab) = tab {
                let width = if collapsed {
                    COLLAPSED_WIDTH
                } else {
                    SIDEBAR_WIDTH
                };
                let worker = worker.clone();
                let nonce = nonce.to_owned();
                wasm_bindgen_futures::spawn_local(async move {
                    let problem = match tab.set_up(width).await {
                        Ok(change) => {
                            tab_changed(&worker, &nonce, &tab, change);
                            None
                        }
                        Err(problem) => Some(format!(
                            "Chorus cannot work in this WhatsApp Web tab: {problem}"
                        )),
                    };
                    tab_problem(&worker, &nonce, problem);
                });
            }
        }
        SidebarRequest::PersonActive => {
            if let Some(tab) = worker.borrow().tabs.get(nonce) {
                tab.person_active(crate::browser::now_ms());
            }
        }
        SidebarRequest::OpenChat { phone } => {
            let tab = worker.borrow().tabs.get(nonce).cloned();
            if let Some(tab) = tab {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = tab
                        .follow_link(&crate::driver::selectors::open_chat_link(&phone))
                        .await;
                });
            }
        }
    }
}

/// Reads the settings again and reconnects accordingly.
async fn reload(worker: Shared<Worker>) {
    let settings = load_settings().await;
    let generation = {
        let mut state = worker.borrow_mut();
        state.generation += 1;
        if let Some(link) = state.live.take() {
            link.stop();
        }
        if let Some(host) = state.host.take() {
            host.borrow().link.stop();
        }
        state.settings = settings.clone();
        state.alerts = Alerts::for_user(settings.session.as_ref().map(|s| s.user_id));
        crate::browser::set_badge("");
        state.host_status = HostStatus {
            hosting: settings.hosting,
            ..HostStatus::default()
        };
        state.generation
    };
    let relay = worker.borrow().relay();
    let Some(relay) = relay else {
        let mut state = worker.borrow_mut();
        state.connection = (false, Some("Not signed in.".into()));
        state.broadcast(&WorkerEvent::Connection {
            online: false,
            problem: state.connection.1.clone(),
        });
        return;
    };
    let live = {
        let on_frame = {
            let worker = worker.clone();
            Rc::new(move |frame: ServerFrame| {
                if let ServerFrame::Chat { chat } = &frame {
                    alert(&worker, chat);
                }
                worker.borrow().broadcast(&WorkerEvent::Relay {
                    frame: Box::new(frame),
                });
            })
        };
        let on_state = {
            let worker = worker.clone();
            Rc::new(move |online: bool, problem: Option<String>| {
                let mut state = worker.borrow_mut();
                state.connection = (online, problem.clone());
                state.broadcast(&WorkerEvent::Connection { online, problem });
            })
        };
        Link::start(relay.clone(), ClientRole::Sidebar, on_frame, on_state)
    };
    worker.borrow_mut().live = Some(live);
    if let Some(hosting) = settings.hosting {
        let pacing = match hosting.organization_id {
            Some(org_id) => match relay
                .call_endpoint(&endpoints::OrganizationDetails { org_id })
                .await
            {
                Ok(organization) => Pacing::from(organization.pacing),
                Err(_) => Pacing::default(),
            },
            None => Pacing::default(),
        };
        if worker.borrow().generation != generation {
            return;
        }
        start_hosting(&worker, relay, hosting.organization_id, pacing, generation);
    }
}

/// Counts a chat change on the toolbar button, and notifies when the user
/// asked to be told and it is news for them.
fn alert(worker: &Shared<Worker>, chat: &chorus_shared::team::ChatView) {
    let mut state = worker.borrow_mut();
    let alert = state.alerts.chat_changed(chat);
    crate::browser::set_badge(&state.alerts.badge_text());
    if let Some(alert) = alert.filter(|_| state.settings.notify) {
        crate::browser::notify(&alert.chat_id.to_string(), &alert.title, &alert.body);
    }
}

fn start_hosting(
    worker: &Shared<Worker>,
    relay: Relay,
    organization_id: Option<uuid::Uuid>,
    pacing: Pacing,
    generation: u64,
) {
    let host_cell: Rc<RefCell<Option<Shared<Host>>>> = Rc::new(RefCell::new(None));
    let on_frame = {
        let host_cell = host_cell.clone();
        Rc::new(move |frame: ServerFrame| {
            if let ServerFrame::Dispatch { message } = frame {
                if let Some(host) = host_cell.borrow().as_ref() {
                    host.borrow_mut().take(message);
                }
            }
        })
    };
    let on_state = {
        let worker = worker.clone();
        Rc::new(move |online: bool, problem: Option<String>| {
            let mut state = worker.borrow_mut();
            state.host_status.connected = online;
            state.host_status.problem = problem;
            let status = state.host_status.clone();
            state.broadcast(&WorkerEvent::Host { status });
        })
    };
    let link = Link::start(
        relay.clone(),
        ClientRole::Host {
            organization_id,
            take_over: true,
        },
        on_frame,
        on_state,
    );
    let host = Rc::new(RefCell::new(Host::new(link, relay, pacing)));
    *host_cell.borrow_mut() = Some(host.clone());
    worker.borrow_mut().host = Some(host.clone());
    let worker = worker.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let record = load(SENT_KEY).await.unwrap_or_default();
        host.borrow_mut().remember_sends(&record);
        host_loop(worker, host, generation).await;
    });
}

/// Sends what the relay dispatched, one message at a time, paced.
async fn host_loop(worker: Shared<Worker>, host: Shared<Host>, generation: u64) {
    let mut since_check = 0;
    let mut captured_since_send = false;
    loop {
        if worker.borrow().generation != generation {
            return;
        }
        let tab = worker.borrow().any_tab();
        let next = host.borrow().next();
        let chats_waiting = worker.borrow().settings.capture
            && tab.as_ref().is_some_and(|tab| !tab.waiting().is_empty());
        let problem = match (&tab, next) {
            (None, _) => {
                Some("Open WhatsApp Web in this browser: the number is hosted from its tab.".into())
            }
            (Some(tab), next)
                if capture_turn(chats_waiting, next.is_some(), captured_since_send) =>
            {
                captured_since_send = true;
                capture_pass(&worker, &host, tab).await;
                if next.is_some() {
                    continue;
                }
                worker.borrow().host_status.problem.clone()
            }
            (Some(tab), None) => {
                // Idle: check now and then that the tab can still send.
                if crate::browser::now_ms() - since_check > 3_000 {
                    since_check = crate::browser::now_ms();
                    match tab.check(&HOSTING_NEEDS).await {
                        Ok(PageState::Ready) => None,
                        Ok(state) => state.problem(),
                        Err(error) => Some(error),
                    }
                } else {
                    worker.borrow().host_status.problem.clone()
                }
            }
            (Some(tab), Some(dispatch)) => {
                let wait = host.borrow().wait_ms(&dispatch);
                if wait > 0 {
                    set_status(&worker, &host, None, None);
                    sleep(wait.min(1_000)).await;
                    continue;
                }
                set_status(&worker, &host, None, Some(Phase::CheckingPage));
                let on_phase = |phase| set_status(&worker, &host, None, Some(phase));
                captured_since_send = false;
                if !host::perform(&host, tab, dispatch, on_phase).await {
                    sleep(2_000).await;
                }
                set_status(&worker, &host, None, None);
                continue;
            }
        };
        let connected = host.borrow().link.online();
        let problem = if connected {
            problem
        } else {
            worker.borrow().host_status.problem.clone()
        };
        set_status(&worker, &host, problem, None);
        sleep(500).await;
    }
}

/// Opens the chats whose messages wait, if nobody is using the page.
async fn capture_pass(worker: &Shared<Worker>, host: &Shared<Host>, tab: &Rc<Tab>) {
    let rules = worker.borrow().settings.capture_rules();
    match capture(tab.as_ref(), &tab.waiting(), rules).await {
        CaptureOutcome::Busy => {}
        CaptureOutcome::NotNow(problem) => {
            set_status(worker, host, Some(problem), None);
            sleep(2_000).await;
        }
        CaptureOutcome::Done { missed, .. } => {
            if !missed.is_empty() {
                log(&format!(
                    "Chorus: could not open these chats to capture them: {}",
                    missed.join(", ")
                ));
                tab.give_up(&missed);
            }
        }
    }
}

/// Tells sidebars how hosting is going; `sending` is the phase of the send
/// in progress, if any.
fn set_status(
    worker: &Shared<Worker>,
    host: &Shared<Host>,
    problem: Option<String>,
    sending: Option<Phase>,
) {
    let busy = sending.is_some();
    let waiting_chats = if worker.borrow().settings.capture {
        worker
            .borrow()
            .any_tab()
            .map_or(0, |tab| tab.waiting().len())
    } else {
        0
    };
    let mut state = worker.borrow_mut();
    let host = host.borrow();
    let status = HostStatus {
        hosting: state.settings.hosting,
        connected: host.link.online(),
        problem: if busy { None } else { problem },
        sent_here: host.sent_count,
        last_send: host.last_send.clone(),
        busy,
        step: sending.map(|phase| phase.describe().to_owned()),
        waiting_chats,
    };
    if status != state.host_status {
        state.host_status = status.clone();
        state.broadcast(&WorkerEvent::Host { status });
    }
}
