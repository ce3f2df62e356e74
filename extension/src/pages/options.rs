//! The options page: the relay's address, checked before it is saved.

use std::rc::Rc;

use crate::browser::relay::Relay;
use crate::browser::{load_settings, save_settings, Port};
use crate::channel::SidebarRequest;
use crate::ui::html::{escape, form, input};

use super::{listen, redraw, UiEvent};

pub fn start() {
    let message = Rc::new(std::cell::RefCell::new(None::<(bool, String)>));
    {
        let message = message.clone();
        listen(move |event| {
            let UiEvent::Submit(_, fields) = event else {
                return;
            };
            let message = message.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let url = fields
                    .get("relay-url")
                    .map(|u| u.trim().trim_end_matches('/').to_owned())
                    .unwrap_or_default();
                let outcome = check(&url).await;
                if outcome.0 {
                    let mut settings = load_settings().await;
                    if settings.relay_url != url {
                        // Another relay knows nothing of this session.
                        settings.session = None;
                        settings.profile = None;
                        settings.hosting = None;
                    }
                    settings.relay_url = url;
                    save_settings(&settings).await;
                    let port = Port::connect("sidebar:options");
                    port.send(&SidebarRequest::SettingsChanged);
                    port.close();
                }
                *message.borrow_mut() = Some(outcome.clone());
                draw(&Some(outcome)).await;
            });
        });
    }
    wasm_bindgen_futures::spawn_local(async move { draw(&None).await });
}

async fn check(url: &str) -> (bool, String) {
    if let Err(problem) = chorus_shared::limits::check_relay_url(url) {
        return (false, problem);
    }
    let relay = Relay {
        base: url.to_owned(),
        token: None,
    };
    match relay.health().await {
        Ok(_) => (true, format!("Saved: Chorus uses the relay at {url}.")),
        Err(failure) => (false, failure.message),
    }
}

async fn draw(message: &Option<(bool, String)>) {
    let settings = load_settings().await;
    let status = match message {
        Some((true, text)) => format!("<div class=\"notice\" id=\"saved\">{}</div>", escape(text)),
        Some((false, text)) => format!("<div class=\"error\" id=\"error\">{}</div>", escape(text)),
        None => String::new(),
    };
    let body = input(
        "relay-url",
        "Relay address",
        "url",
        &format!(
            "value=\"{}\" placeholder=\"http://localhost:8080\" required",
            escape(&settings.relay_url)
        ),
    ) + "<button type=\"submit\">Save</button>";
    redraw(
        &format!("<h1>Chorus options</h1>{status}{}", form("relay", &body)),
        &[],
    );
}
