//! The Send tab: a message (and a file from the library) to any number, and
//! the live state of each message sent from this sidebar.

use leptos::html;
use leptos::prelude::*;

use super::{dispatch, file_choices, message_box, status, value, Action};
use crate::ui::present::{sent_line, status_label};
use crate::ui::Model;

pub fn tab(shown: RwSignal<Model>) -> impl IntoView {
    let phone = NodeRef::<html::Input>::new();
    let text = NodeRef::<html::Textarea>::new();
    let file = NodeRef::<html::Select>::new();
    let send = move || {
        dispatch(Action::Send {
            phone: value(phone),
            text: value(text),
            file: value(file).parse().ok(),
        })
    };
    view! {
        <h2>"Send message to number"</h2>
        <form data-form="send" on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            <label for="send-phone">"Number, with country code"</label>
            <input id="send-phone" type="tel" placeholder="+44 7400 000000" required node_ref=phone/>
            <label for="send-text">"Message (Ctrl+Enter sends)"</label>
            {message_box("send-text", 3, text, send)}
            <label for="send-file">"File from the library"</label>
            <select id="send-file" node_ref=file>{file_choices(shown)}</select>
            <button type="submit">"Send"</button>
        </form>
        <h2>"Your messages"</h2>
        {move || shown.with(|m| m.sent.is_empty()).then(|| view! {
            <p class="empty">"Messages you send from here show their progress, tick by tick."</p>
        })}
        <ul id="sent" class="list">
            <For
                each=move || shown.with(|m| m.sent.clone())
                key=|message| (message.id, message.seq)
                children=|message| {
                    let (to, what) = sent_line(&message);
                    view! {
                        <li data-message-id=message.id.to_string()>
                            <div class="grow">
                                <b>{to}</b> " " <span class="muted">{what}</span>
                            </div>
                            {status(message.status, status_label(&message))}
                        </li>
                    }
                }
            />
        </ul>
    }
}
