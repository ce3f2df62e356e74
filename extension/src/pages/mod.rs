//! The extension pages at run time: the sidebar (a frame in WhatsApp Web)
//! and the options page. Both draw with plain functions of their state
//! ([`crate::ui::view`]) and route events by `data-action`,
//! `data-form` and `data-change` attributes from one listener each, so no
//! callback is created per element.
//!
//! # Layout
//! - this file: entry points and DOM plumbing (events, redraw keeping what
//!   the user typed).
//! - [`sidebar`]: the sidebar's state, worker events and loading.
//! - [`actions`]: what each button and form does.
//! - [`options`]: the options page (relay address).

mod actions;
mod options;
mod sidebar;

use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlElement, HtmlInputElement};

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

fn document() -> Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect("extension pages have a document")
}

fn root() -> Element {
    document()
        .get_element_by_id("root")
        .expect("the page has #root")
}

/// What the user did, as the views name it.
pub enum UiEvent {
    /// A `data-action` button: its action and argument.
    Click(String, String),
    /// A `data-form` form: its name and fields.
    Submit(String, HashMap<String, String>),
    /// A `data-change` control: its name, argument and value (checkboxes:
    /// "true" or "false"; file inputs: the element, to read its file).
    Change(String, String, String, Element),
}

/// Routes clicks, submissions and changes inside `#root` to `handler`.
pub fn listen(handler: impl Fn(UiEvent) + 'static) {
    let handler = std::rc::Rc::new(handler);
    let root = root();
    let on_click = {
        let handler = handler.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let Some(target) = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("[data-action]").ok().flatten())
            else {
                return;
            };
            event.prevent_default();
            handler(UiEvent::Click(
                target.get_attribute("data-action").unwrap_or_default(),
                target.get_attribute("data-arg").unwrap_or_default(),
            ));
        })
    };
    let on_submit = {
        let handler = handler.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            event.prevent_default();
            let Some(form) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let name = form.get_attribute("data-form").unwrap_or_default();
            handler(UiEvent::Submit(name, fields(&form)));
        })
    };
    let on_change = {
        let handler = handler.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let Some(name) = target
                .get_attribute("data-change")
                .filter(|n| !n.is_empty())
            else {
                return;
            };
            let arg = target.get_attribute("data-arg").unwrap_or_default();
            let value = match target.dyn_ref::<HtmlInputElement>() {
                Some(input) if input.type_() == "checkbox" => input.checked().to_string(),
                Some(input) => input.value(),
                None => js_sys::Reflect::get(&target, &"value".into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default(),
            };
            handler(UiEvent::Change(name, arg, value, target));
        })
    };
    let _ = root.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    let _ = root.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
    let _ = root.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    on_click.forget();
    on_submit.forget();
    on_change.forget();
}

/// The named fields of a form, read as text.
fn fields(form: &Element) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Ok(controls) = form.query_selector_all("input[name], textarea[name], select[name]") else {
        return out;
    };
    for i in 0..controls.length() {
        let Some(control) = controls.item(i) else {
            continue;
        };
        let name = js_sys::Reflect::get(&control, &"name".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let value = js_sys::Reflect::get(&control, &"value".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        out.insert(name, value);
    }
    out
}

/// Replaces `#root`'s content, keeping what the user typed or chose in
/// fields that are still there (by id), file inputs themselves, and which
/// one had the focus; `set`
/// then fills fields the action asked for. Switches that act at once
/// (`data-change`) show the state instead.
pub fn redraw(html: &str, set: &[(String, String)]) {
    let root = root();
    let document = document();
    let focused = document
        .active_element()
        .map(|element| element.id())
        .filter(|id| !id.is_empty());
    let mut kept = Vec::new();
    if let Ok(controls) =
        root.query_selector_all("input[id], textarea[id], select[id]:not([data-change])")
    {
        for i in 0..controls.length() {
            let Some(control) = controls.item(i) else {
                continue;
            };
            let element: &Element = control.unchecked_ref();
            let kind = element.get_attribute("type").unwrap_or_default();
            if matches!(kind.as_str(), "checkbox" | "file" | "hidden") {
                continue;
            }
            let value = js_sys::Reflect::get(&control, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            kept.push((element.id(), value));
        }
    }
    // A file input cannot be given a value, and a new one would miss the
    // change event of a choice the user is making (the picker may be open
    // while a live update redraws): the very same element is put back.
    let file_inputs: Vec<Element> = root
        .query_selector_all("input[type=file][id]")
        .map(|found| {
            (0..found.length())
                .filter_map(|i| found.item(i))
                .map(|node| node.unchecked_into::<Element>())
                .collect()
        })
        .unwrap_or_default();
    root.set_inner_html(html);
    for old in file_inputs {
        if let Some(new) = document.get_element_by_id(&old.id()) {
            let _ = new.replace_with_with_node_1(&old);
        }
    }
    for (id, value) in kept.iter().chain(set.iter()) {
        if let Some(element) = document.get_element_by_id(id) {
            let _ = js_sys::Reflect::set(&element, &"value".into(), &value.into());
        }
    }
    if let Some(element) = focused
        .and_then(|id| document.get_element_by_id(&id))
        .and_then(|element| element.dyn_into::<HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}
