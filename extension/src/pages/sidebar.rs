//! The sidebar at run time: its state, the port to the service worker (live
//! relay events, the open chat, hosting status); [`loaders`] reads what each
//! view shows from the relay, and catches up after a reconnection.

use std::cell::RefCell;
use std::rc::Rc;

use chorus_shared::protocol::ServerFrame;
use leptos::prelude::*;

use crate::browser::relay::{Failure, Relay};
use crate::browser::{load_settings, sleep, Port};
use crate::channel::{SidebarRequest, WorkerEvent, SIDEBAR_PORT};
use crate::ui::{Model, Tab};

use super::actions::{perform, Action};

mod loaders;

/// What a live event makes the sidebar load again.
#[derive(PartialEq)]
enum FollowUp {
    Nothing,
    Panel,
    Tab,
    /// A campaign's message moved: its progress is read again.
    Campaigns,
}

thread_local! {
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

/// The sidebar's state and its line to the worker.
pub struct App {
    /// The state, changed by actions, loads and live events.
    pub model: RefCell<Model>,
    /// What the components show: the state as of the last [`App::render`].
    shown: RwSignal<Model>,
    /// The port to the worker (replaced when the worker restarts).
    port: RefCell<Option<Port>>,
    /// Pairs this frame with its page's bridge.
    nonce: String,
    /// Field values to set once the components have caught up (clearing a
    /// sent message, choosing a file to send).
    pending_values: RefCell<Vec<(String, String)>>,
    /// Campaign progress reloads: one runs at a time, and events during it
    /// cause exactly one more (a campaign's messages move several times a
    /// second).
    campaign_reload: std::cell::Cell<Reload>,
}

/// Where a coalesced reload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Reload {
    #[default]
    Idle,
    Running,
    RunningAndAgain,
}

pub fn start() {
    let nonce = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|hash| hash.trim_start_matches('#').to_owned())
        .unwrap_or_default();
    let shown = RwSignal::new(Model::default());
    let app = Rc::new(App {
        model: RefCell::new(Model::default()),
        shown,
        port: RefCell::new(None),
        nonce,
        pending_values: RefCell::new(Vec::new()),
        campaign_reload: std::cell::Cell::new(Reload::Idle),
    });
    APP.with(|cell| *cell.borrow_mut() = Some(app.clone()));
    super::mount(move || super::view::sidebar(shown));
    connect_worker(&app);
    report_activity(&app);
    wasm_bindgen_futures::spawn_local(async move {
        app.model.borrow_mut().settings = load_settings().await;
        app.render();
        app.load_account().await;
    });
}

/// Carries out what a component asked for, then shows the outcome.
pub fn dispatch(action: Action) {
    let Some(app) = APP.with(|cell| cell.borrow().clone()) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        {
            let mut model = app.model.borrow_mut();
            model.error = None;
            model.notice = None;
        }
        if let Err(failure) = perform(&app, action).await {
            app.fail(failure).await;
        }
        app.render();
    });
}

/// Tells the worker, at most twice a second, that the person is typing or
/// clicking here, so a hosted send waits as it does for the page.
fn report_activity(app: &Rc<App>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let last = Rc::new(std::cell::Cell::new(0.0));
    for kind in ["keydown", "mousedown"] {
        let app = app.clone();
        let last = last.clone();
        gloo_events::EventListener::new(&document, kind, move |_| {
            let now = js_sys::Date::now();
            if now - last.get() >= 500.0 {
                last.set(now);
                app.tell_worker(&SidebarRequest::PersonActive);
            }
        })
        .forget();
    }
}

fn connect_worker(app: &Rc<App>) {
    let port = Port::connect(&format!("{SIDEBAR_PORT}{}", app.nonce));
    {
        let app = app.clone();
        port.on_each_message(move |text| {
            if let Ok(event) = serde_json::from_str::<WorkerEvent>(&text) {
                app.worker_event(event);
            }
        });
    }
    {
        let app = app.clone();
        port.on_close(move || {
            // The worker was stopped; opening a port starts it again.
            app.port.borrow_mut().take();
            wasm_bindgen_futures::spawn_local(async move {
                sleep(500).await;
                connect_worker(&app);
            });
        });
    }
    *app.port.borrow_mut() = Some(port);
}

impl App {
    /// Shows the state: the components update what changed.
    pub fn render(&self) {
        self.shown.set(self.model.borrow().clone());
        let values = std::mem::take(&mut *self.pending_values.borrow_mut());
        if values.is_empty() {
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            // After the components' updates, which run as microtasks.
            sleep(0).await;
            let Some(document) = web_sys::window().and_then(|w| w.document()) else {
                return;
            };
            for (id, value) in values {
                if let Some(element) = document.get_element_by_id(&id) {
                    let _ = js_sys::Reflect::set(&element, &"value".into(), &value.into());
                }
            }
        });
    }

    /// Sets `id`'s value once the next render has reached the page.
    pub fn set_value(&self, id: &str, value: &str) {
        self.pending_values
            .borrow_mut()
            .push((id.to_owned(), value.to_owned()));
    }

    /// Tells the worker something.
    pub fn tell_worker(&self, request: &SidebarRequest) {
        if let Some(port) = self.port.borrow().as_ref() {
            port.send(request);
        }
    }

    /// The relay client for the current session.
    pub fn relay(&self) -> Relay {
        let model = self.model.borrow();
        Relay {
            base: model.settings.relay().unwrap_or_default(),
            token: model.settings.session.as_ref().map(|s| s.token.clone()),
        }
    }

    /// The organization the sidebar acts for; `None` for "You".
    pub fn profile(&self) -> Option<uuid::Uuid> {
        self.model.borrow().settings.profile
    }

    /// Shows a failure; an expired session signs the user out.
    pub async fn fail(&self, failure: Failure) {
        if failure.signed_out() {
            super::actions::forget_session(self).await;
            self.model.borrow_mut().error = Some("Your session has ended. Sign in again.".into());
        } else {
            self.model.borrow_mut().error = Some(failure.message);
        }
    }

    fn worker_event(self: &Rc<Self>, event: WorkerEvent) {
        match event {
            WorkerEvent::Relay { frame } => self.relay_event(*frame),
            WorkerEvent::Connection { online, problem } => {
                let was_online = self.model.borrow().connection.0;
                self.model.borrow_mut().connection = (online, problem);
                if online && !was_online && self.model.borrow().user.is_some() {
                    // Catch up on what happened while disconnected.
                    let app = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Err(failure) = app.catch_up().await {
                            app.fail(failure).await;
                        }
                        app.render();
                    });
                }
            }
            WorkerEvent::OpenChat { chat } => {
                self.model.borrow_mut().open_chat = chat;
                let app = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(failure) = app.load_panel().await {
                        app.fail(failure).await;
                    }
                    app.render();
                });
            }
            WorkerEvent::Host { status } => self.model.borrow_mut().host = status,
            WorkerEvent::TabProblem { problem } => self.model.borrow_mut().tab_problem = problem,
            WorkerEvent::Theme { dark } => follow_theme(dark),
        }
        self.render();
    }

    fn relay_event(self: &Rc<Self>, frame: ServerFrame) {
        let follow_up = self.apply(frame);
        if follow_up == FollowUp::Nothing {
            return;
        }
        if follow_up == FollowUp::Campaigns {
            self.reload_campaigns();
            return;
        }
        let app = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = match follow_up {
                FollowUp::Panel => app.load_panel().await,
                _ => app.load_tab().await,
            };
            app.render();
        });
    }

    /// Reads the campaigns' progress again, coalescing bursts of events.
    fn reload_campaigns(self: &Rc<Self>) {
        match self.campaign_reload.get() {
            Reload::Idle => self.campaign_reload.set(Reload::Running),
            _ => {
                self.campaign_reload.set(Reload::RunningAndAgain);
                return;
            }
        }
        let app = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                if let Err(failure) = app.load_campaigns().await {
                    app.fail(failure).await;
                }
                app.render();
                if app.campaign_reload.get() == Reload::RunningAndAgain {
                    app.campaign_reload.set(Reload::Running);
                    continue;
                }
                app.campaign_reload.set(Reload::Idle);
                break;
            }
        });
    }

    /// Applies a live event to the model; says what to load again.
    fn apply(&self, frame: ServerFrame) -> FollowUp {
        let mut model = self.model.borrow_mut();
        if model.tab == Tab::Host && matches!(frame, ServerFrame::Message { .. }) {
            // The queue moved: the host's view shows its length.
            if let ServerFrame::Message { message } = &frame {
                if message.organization_id == model.settings.profile {
                    model.message_changed(message);
                }
            }
            return FollowUp::Tab;
        }
        if model.tab == Tab::Campaigns {
            // A campaign's message moved: its progress is read again.
            if let ServerFrame::Message { message } = &frame {
                if message.campaign_id.is_some()
                    && message.organization_id == model.settings.profile
                {
                    return FollowUp::Campaigns;
                }
            }
        }
        match frame {
            ServerFrame::Credits {
                organization_id,
                available,
                reserved,
            } => {
                model.credits.insert(organization_id, (available, reserved));
            }
            ServerFrame::Host {
                organization_id,
                online,
            } => {
                model.host_online.insert(organization_id, online);
            }
            ServerFrame::Message { message }
                if message.organization_id == model.settings.profile =>
            {
                model.note_seq(message.seq);
                model.message_changed(&message);
            }
            ServerFrame::Chat { chat } => {
                if chat.organization_id == model.settings.profile {
                    model.note_seq(chat.seq);
                }
                model.chat_changed(&chat);
                let opened = model.panel.chat.is_none()
                    && model.chosen_chat.is_none()
                    && chat.organization_id == model.settings.profile
                    && model
                        .open_chat
                        .as_ref()
                        .is_some_and(|open| open.wa_id.as_deref() == Some(chat.wa_id.as_str()));
                if opened {
                    return FollowUp::Panel;
                }
            }
            ServerFrame::Comment { comment } => model.comment_changed(&comment),
            ServerFrame::Contact { contact } => model.contact_changed(&contact),
            ServerFrame::ContactsChanged { .. } | ServerFrame::File { .. } => return FollowUp::Tab,
            _ => {}
        }
        FollowUp::Nothing
    }
}

/// Matches WhatsApp Web's theme: `dark` or `light` on the root element
/// (without either, the stylesheet follows the browser's preference).
fn follow_theme(dark: bool) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let classes = root.class_list();
    let _ = classes.toggle_with_force("dark", dark);
    let _ = classes.toggle_with_force("light", !dark);
}
