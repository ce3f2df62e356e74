//! The browser as the extension's Rust code sees it: the `chrome.*` APIs it
//! uses, timers, and JSON across the JavaScript boundary. Shared by the
//! service worker and the extension pages (sidebar, options).
//!
//! # Layout
//! - this file: `chrome.runtime` ports, `chrome.storage`, timers, JSON.
//! - [`relay`]: the relay's HTTP API, with its errors in words for people.

pub mod relay;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::channel::{Settings, SETTINGS_KEY};

#[wasm_bindgen]
extern "C" {
    /// A `chrome.runtime.Port`.
    #[derive(Clone)]
    pub type Port;
    #[wasm_bindgen(method, getter)]
    fn name(this: &Port) -> String;
    #[wasm_bindgen(method, js_name = postMessage, catch)]
    fn post_message(this: &Port, message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter, js_name = onMessage)]
    fn on_message(this: &Port) -> ChromeEvent;
    #[wasm_bindgen(method, getter, js_name = onDisconnect)]
    fn on_disconnect(this: &Port) -> ChromeEvent;
    #[wasm_bindgen(method)]
    fn disconnect(this: &Port);

    /// A `chrome.events.Event`.
    pub type ChromeEvent;
    #[wasm_bindgen(method, js_name = addListener)]
    fn add_listener(this: &ChromeEvent, listener: &Function);

    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = connect)]
    fn runtime_connect(info: &JsValue) -> Port;
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = openOptionsPage)]
    fn runtime_open_options_page() -> Promise;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get)]
    fn storage_get(key: &str) -> Promise;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set)]
    fn storage_set(items: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeText, catch)]
    fn action_set_badge_text(details: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "notifications"], js_name = create, catch)]
    fn notifications_create(id: &str, options: &JsValue) -> Result<Promise, JsValue>;

}

impl Port {
    /// Opens a port to the extension's other parts.
    pub fn connect(name: &str) -> Port {
        let info = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&info, &"name".into(), &name.into());
        runtime_connect(&info)
    }

    /// The name it was opened with.
    pub fn port_name(&self) -> String {
        self.name()
    }

    /// Sends a value as a plain object; false when the other side is gone.
    pub fn send<T: Serialize>(&self, message: &T) -> bool {
        to_js(message)
            .and_then(|value| self.post_message(&value).ok())
            .is_some()
    }

    /// Calls `handler` with each message (as JSON text) until the port closes.
    pub fn on_each_message(&self, handler: impl FnMut(String) + 'static) {
        let mut handler = handler;
        let listener = Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
            if let Some(text) = js_sys::JSON::stringify(&value)
                .ok()
                .and_then(|text| text.as_string())
            {
                handler(text);
            }
        });
        self.on_message()
            .add_listener(listener.as_ref().unchecked_ref());
        listener.forget();
    }

    /// Calls `handler` once when the other side goes away.
    pub fn on_close(&self, handler: impl FnOnce() + 'static) {
        let listener = Closure::once_into_js(handler);
        self.on_disconnect().add_listener(listener.unchecked_ref());
    }

    /// Closes the port.
    pub fn close(&self) {
        self.disconnect();
    }
}

/// Serialises through JSON into a JavaScript value.
pub fn to_js<T: Serialize>(value: &T) -> Option<JsValue> {
    let text = serde_json::to_string(value).ok()?;
    js_sys::JSON::parse(&text).ok()
}

/// Waits `ms` milliseconds (window or worker alike).
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms.min(i32::MAX as u32)).await;
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// This browser's clock and time zone (WhatsApp Web stamps rows in local
/// time).
pub fn local_clock() -> crate::driver::meta::LocalClock {
    let now = js_sys::Date::new_0();
    crate::driver::meta::LocalClock {
        now_ms: now.get_time() as i64,
        utc_minus_local_minutes: now.get_timezone_offset() as i32,
    }
}

/// A number in [0, 1).
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// A fresh random id (idempotency keys, request ids).
pub fn random_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Reads a JSON value stored under `key`.
pub async fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    let items = JsFuture::from(storage_get(key)).await.ok()?;
    let value = js_sys::Reflect::get(&items, &key.into()).ok()?;
    let text = value.as_string()?;
    serde_json::from_str(&text).ok()
}

/// Stores `value` as JSON under `key`.
pub async fn store<T: Serialize>(key: &str, value: &T) {
    let Ok(text) = serde_json::to_string(value) else {
        return;
    };
    let items = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&items, &key.into(), &text.into());
    let _ = JsFuture::from(storage_set(&items)).await;
}

/// The shared settings (defaults when nothing is stored yet).
pub async fn load_settings() -> Settings {
    load(SETTINGS_KEY).await.unwrap_or_default()
}

/// Saves the shared settings.
pub async fn save_settings(settings: &Settings) {
    store(SETTINGS_KEY, settings).await;
}

/// Shows `text` on the extension's toolbar button (empty clears it).
pub fn set_badge(text: &str) {
    #[derive(Serialize)]
    struct Badge<'a> {
        text: &'a str,
    }
    if let Some(details) = to_js(&Badge { text }) {
        let _ = action_set_badge_text(&details);
    }
}

/// Shows a desktop notification; one with the same `id` replaces it.
pub fn notify(id: &str, title: &str, message: &str) {
    #[derive(Serialize)]
    struct Options<'a> {
        r#type: &'a str,
        #[serde(rename = "iconUrl")]
        icon_url: &'a str,
        title: &'a str,
        message: &'a str,
    }
    let options = Options {
        r#type: "basic",
        icon_url: "icons/128.png",
        title,
        message,
    };
    if let Some(options) = to_js(&options) {
        // Without the permission (or in a browser that has no such API) the
        // call throws; the badge still counts.
        let _ = notifications_create(id, &options);
    }
}

/// Opens the extension's options page.
pub fn open_options() {
    let _ = runtime_open_options_page();
}

/// Logs to the console of whichever context runs this.
pub fn log(message: &str) {
    web_sys::console::log_1(&message.into());
}

/// A value shared between the callbacks of one single-threaded context.
pub type Shared<T> = Rc<RefCell<T>>;
