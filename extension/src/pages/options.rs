//! The options page: the relay's address, checked before it is saved, and
//! whether to show desktop notifications.

use leptos::html;
use leptos::prelude::*;

use crate::browser::relay::Relay;
use crate::browser::{load_settings, save_settings, Port};
use crate::channel::SidebarRequest;

/// Mounts the options page in `#root`.
pub fn start() {
    let saved_url = RwSignal::new(None::<String>);
    let notify = RwSignal::new(false);
    let outcome = RwSignal::new(None::<(bool, String)>);
    wasm_bindgen_futures::spawn_local(async move {
        let settings = load_settings().await;
        notify.set(settings.notify);
        saved_url.set(Some(settings.relay_url));
    });
    super::mount(move || {
        let url = NodeRef::<html::Input>::new();
        view! {
            <h1>"Chorus options"</h1>
            <div aria-live="polite">
                {move || outcome.get().map(|(ok, text)| if ok {
                    view! { <div class="notice" id="saved">{text}</div> }.into_any()
                } else {
                    view! { <div class="error" id="error" role="alert">{text}</div> }.into_any()
                })}
            </div>
            // Drawn once the stored address is read, so it shows as typed.
            {move || saved_url.get().map(|saved| view! {
                <form data-form="relay" on:submit=move |ev| {
                    ev.prevent_default();
                    let typed = url.get_untracked().map(|input| input.value()).unwrap_or_default();
                    wasm_bindgen_futures::spawn_local(async move {
                        outcome.set(Some(save(typed.trim().trim_end_matches('/')).await));
                    });
                }>
                    <label for="relay-url">"Relay address"</label>
                    <input id="relay-url" type="url" placeholder="http://localhost:8080" required
                        value=saved node_ref=url/>
                    <button type="submit">"Save"</button>
                </form>
                <label class="check">
                    <input id="notify" type="checkbox" prop:checked=move || notify.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            notify.set(on);
                            wasm_bindgen_futures::spawn_local(async move {
                                let mut settings = load_settings().await;
                                settings.notify = on;
                                save_settings(&settings).await;
                                tell_worker();
                                outcome.set(Some((true, if on {
                                    "Saved: Chorus shows a notification when a customer writes into one of your chats.".into()
                                } else {
                                    "Saved: no desktop notifications.".into()
                                })));
                            });
                        }/>
                    "Desktop notifications when a customer writes into a chat of mine or an unassigned one"
                </label>
            })}
        }
    });
}

/// Checks `url` and saves it when a relay answers there.
async fn save(url: &str) -> (bool, String) {
    let checked = check(url).await;
    if checked.0 {
        let mut settings = load_settings().await;
        if settings.relay_url != url {
            // Another relay knows nothing of this session.
            settings.session = None;
            settings.profile = None;
            settings.hosting = None;
        }
        settings.relay_url = url.to_owned();
        save_settings(&settings).await;
        tell_worker();
    }
    checked
}

/// Has the worker read the settings again.
fn tell_worker() {
    let port = Port::connect("sidebar:options");
    port.send(&SidebarRequest::SettingsChanged);
    port.close();
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
