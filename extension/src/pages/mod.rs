//! The extension pages at run time: the sidebar (a frame in WhatsApp Web)
//! and the options page, each a tree of Leptos components mounted in the
//! page's `#root`.
//!
//! # Layout
//! - this file: entry points and mounting.
//! - [`sidebar`]: the sidebar's state, worker events and loading.
//! - [`actions`]: what each button, form and switch does, as typed actions.
//! - [`view`]: the sidebar's components.
//! - [`options`]: the options page (relay address).

mod actions;
mod options;
mod sidebar;
mod view;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// Starts the sidebar in `sidebar.html`.
#[wasm_bindgen]
pub fn start_sidebar() {
    sidebar::start();
}

/// Starts the options page in `options.html`.
#[wasm_bindgen]
pub fn start_options() {
    options::start();
}

/// Mounts `view` in `#root` for the life of the page.
fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) {
    let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("root"))
        .and_then(|root| root.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    // "Loading…" until now.
    root.set_text_content(None);
    leptos::mount::mount_to(root, view).forget();
}
