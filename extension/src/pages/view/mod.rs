//! The sidebar's components. They read the shown [`Model`] through one
//! signal, but each part listens only to what it shows (memos and keyed
//! lists), so a live update changes the text or row that changed and leaves
//! every box the person is typing in, its caret and every list's scroll as
//! they were. Every value is inserted as text, never as markup.
//!
//! Components do not act: they build an [`Action`] and hand it to
//! [`dispatch`].
//!
//! # Layout
//! - this file: the screens, banners and form helpers.
//! - [`header`]: the profile switch, credits, host and connection state, tabs.
//! - [`chat`]: the open chat (assignment, status, timeline, comments) and the
//!   chat list.
//! - [`send`]: sending to a number, and the messages sent from here.
//! - [`campaigns`]: the "Excel file" flow and every campaign's progress.
//! - [`contacts`], [`files`], [`team`], [`host`]: the other tabs.

mod campaigns;
mod chat;
mod contacts;
mod files;
mod header;
mod host;
mod send;
mod team;

use leptos::html;
use leptos::prelude::*;
use leptos::tachys::html::element::ElementType;
use wasm_bindgen::JsCast;

use chorus_shared::account::AccountType;
use chorus_shared::api::Credentials;

use super::actions::Action;
use super::sidebar::dispatch;
use crate::ui::present::{Mark, Screen};
use crate::ui::{Model, Tab};

/// The whole sidebar.
pub fn sidebar(shown: RwSignal<Model>) -> impl IntoView {
    let screen = Memo::new(move |_| shown.with(Screen::of));
    let tab = Memo::new(move |_| shown.with(|model| model.tab));
    move || match screen.get() {
        Screen::Collapsed => view! {
            <div class="collapsed">
                <button type="button" class="icon" aria-label="Expand the sidebar" title="Expand"
                    on:click=|_| dispatch(Action::Collapse(false))>"◀"</button>
            </div>
        }
        .into_any(),
        Screen::NeedsRelay => view! {
            <h1>"Chorus"</h1>
            {banners(shown)}
            <p class="empty">"Set the address of your Chorus relay first."</p>
            <button type="button" on:click=|_| dispatch(Action::OpenOptions)>"Open options"</button>
        }
        .into_any(),
        Screen::Loading => view! {
            <h1>"Chorus"</h1>
            {banners(shown)}
            <p class="muted">"Loading…"</p>
        }
        .into_any(),
        Screen::SignIn { relay } => view! {
            <h1>"Chorus"</h1>
            {banners(shown)}
            {sign_in(relay)}
        }
        .into_any(),
        Screen::SetUp { phone } => view! {
            <h1>"Chorus"</h1>
            {banners(shown)}
            {set_up(phone)}
        }
        .into_any(),
        Screen::Main => view! {
            {header::header(shown)}
            {banners(shown)}
            {header::tabs(tab)}
            <div class="panel" role="tabpanel" aria-labelledby=move || header::tab_id(tab.get())>
                {move || match tab.get() {
                    Tab::Chat => chat::tab(shown).into_any(),
                    Tab::Send => send::tab(shown).into_any(),
                    Tab::Contacts => contacts::tab(shown).into_any(),
                    Tab::Campaigns => campaigns::tab(shown).into_any(),
                    Tab::Files => files::tab(shown).into_any(),
                    Tab::Team => team::tab(shown).into_any(),
                    Tab::Host => host::tab(shown).into_any(),
                }}
            </div>
        }
        .into_any(),
    }
}

/// Errors and confirmations, announced to screen readers as they come.
fn banners(shown: RwSignal<Model>) -> impl IntoView {
    let tab_problem = Memo::new(move |_| shown.with(|m| m.tab_problem.clone()));
    let error = Memo::new(move |_| shown.with(|m| m.error.clone()));
    let notice = Memo::new(move |_| shown.with(|m| m.notice.clone()));
    view! {
        <div class="banners" aria-live="polite">
            {move || tab_problem.get().map(|problem| view! {
                <div class="error" id="tab-problem" role="alert">{problem}</div>
            })}
            {move || error.get().map(|error| view! {
                <div class="error" id="error" role="alert">{error}</div>
            })}
            {move || notice.get().map(|notice| view! {
                <div class="notice" id="notice">{notice}</div>
            })}
        </div>
    }
}

fn sign_in(relay: String) -> impl IntoView {
    let email = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    let credentials = move || Credentials {
        email: value(email).trim().to_owned(),
        password: value(password),
    };
    view! {
        <p class="muted">"Relay: " {relay} " · "
            <button type="button" class="link" on:click=|_| dispatch(Action::OpenOptions)>"change"</button>
        </p>
        <form data-form="sign-in" on:submit=move |ev| {
            ev.prevent_default();
            dispatch(Action::SignIn(credentials()));
        }>
            <label for="email">"Email"</label>
            <input id="email" name="email" type="email" autocomplete="username" required node_ref=email/>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required
                node_ref=password/>
            <div class="row">
                <button type="submit">"Sign in"</button>
                <button type="button" class="link" on:click=move |_| dispatch(Action::SignUp(credentials()))>
                    "Create account"
                </button>
            </div>
        </form>
    }
}

fn set_up(phone: Option<String>) -> impl IntoView {
    let number = NodeRef::<html::Input>::new();
    let account_type = NodeRef::<html::Select>::new();
    let country = NodeRef::<html::Input>::new();
    let org_name = NodeRef::<html::Input>::new();
    let org_country = NodeRef::<html::Input>::new();
    view! {
        <form data-form="set-up" on:submit=move |ev| {
            ev.prevent_default();
            dispatch(Action::SetUp {
                phone: value(number),
                country: value(country),
                account_type: AccountType::parse(&value(account_type)).unwrap_or(AccountType::Agent),
                organization: (value(org_name), value(org_country)),
            });
        }>
            <p>"Welcome! Tell Chorus how you will use it."</p>
            <label for="phone">"Your WhatsApp number, with country code"</label>
            <input id="phone" type="tel" placeholder="+44 7400 000000" value=phone node_ref=number/>
            <label for="account-type">"How you use Chorus"</label>
            <select id="account-type" node_ref=account_type>
                <option value="agent">"Agent: I use my own number"</option>
                <option value="organization">"Organization: my team shares this number"</option>
            </select>
            <label for="country">"Country (if the number has no +code)"</label>
            <input id="country" maxlength="2" placeholder="GB" node_ref=country/>
            <div id="org-fields">
                <label for="org-name">"Organization name (Organization only)"</label>
                <input id="org-name" node_ref=org_name/>
                <label for="org-country">"Organization's default country"</label>
                <input id="org-country" maxlength="2" placeholder="GB" node_ref=org_country/>
            </div>
            <button type="submit">"Continue"</button>
        </form>
    }
}

/// The value of an input, text area or select.
fn value<E>(node: NodeRef<E>) -> String
where
    E: ElementType,
    E::Output: JsCast + Clone + 'static,
{
    node.get_untracked()
        .and_then(|element| js_sys::Reflect::get(element.as_ref(), &"value".into()).ok())
        .and_then(|value| value.as_string())
        .unwrap_or_default()
}

/// A form of one message box and its button; the button, Enter in the form
/// and Ctrl+Enter in the box all call `send`.
fn message_form(
    form: &'static str,
    id: &'static str,
    label: &'static str,
    button: &'static str,
    node: NodeRef<html::Textarea>,
    send: impl Fn() + Copy + 'static,
) -> impl IntoView {
    view! {
        <form data-form=form on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            <label for=id>{label}</label>
            {message_box(id, 2, node, send)}
            <button type="submit">{button}</button>
        </form>
    }
}

/// A message box where Ctrl+Enter (Cmd+Enter) does what its form's button
/// does.
fn message_box(
    id: &'static str,
    rows: u32,
    node: NodeRef<html::Textarea>,
    send: impl Fn() + Copy + 'static,
) -> impl IntoView {
    view! {
        <textarea id=id rows=rows node_ref=node on:keydown=move |ev| {
            if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                ev.prevent_default();
                send();
            }
        }></textarea>
    }
}

/// A message's state as WhatsApp marks it, then in words.
fn status(message_status: chorus_shared::message::MessageStatus, label: String) -> impl IntoView {
    view! {
        {Mark::of(message_status).map(mark_icon)}
        <span class=format!("status {}", message_status.as_str())>{label}</span>
    }
}

/// WhatsApp's marks, drawn as it draws them: a clock, one tick, two ticks
/// (blue once read), or a warning.
fn mark_icon(mark: Mark) -> impl IntoView {
    let one = "M1.5 6.5l3 3 6-7";
    let two = "M1 6.5l3 3 6-7M6.5 8.5l1 1 6-7";
    let path = match mark {
        Mark::Clock => "M8 2.5a4 4 0 1 0 .01 0M8 4.5v2.5l1.8 1.2",
        Mark::Sent => one,
        Mark::Delivered | Mark::Read => two,
        Mark::Failed => "M8 2v5M8 9.2v.8",
    };
    view! {
        <svg class=mark.class() viewBox="0 0 16 12" width="16" height="12" aria-hidden="true">
            <path d=path fill="none" stroke="currentColor" stroke-width="1.5"
                stroke-linecap="round" stroke-linejoin="round"/>
        </svg>
    }
}

/// A file choice from the library: "No file" and each file.
fn file_choices(shown: RwSignal<Model>) -> impl IntoView {
    view! {
        <option value="">"No file"</option>
        <For
            each=move || shown.with(|m| m.files.iter().map(|f| (f.id, f.name.clone())).collect::<Vec<_>>())
            key=|(id, name)| (*id, name.clone())
            children=|(id, name)| view! { <option value=id.to_string()>{name}</option> }
        />
    }
}
