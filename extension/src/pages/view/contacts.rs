//! The Contacts tab: search, tick, send to the ticked, delete, add.

use leptos::html;
use leptos::prelude::*;

use super::{dispatch, file_choices, value, Action};
use crate::ui::present::initials;
use crate::ui::Model;

pub fn tab(shown: RwSignal<Model>) -> impl IntoView {
    let (q, tag) = shown.with_untracked(|m| m.contacts_filter.clone());
    let search = NodeRef::<html::Input>::new();
    let tag_box = NodeRef::<html::Input>::new();
    let bulk_text = NodeRef::<html::Textarea>::new();
    let bulk_file = NodeRef::<html::Select>::new();
    let phone = NodeRef::<html::Input>::new();
    let name = NodeRef::<html::Input>::new();
    let tags = NodeRef::<html::Input>::new();
    view! {
        <form data-form="contacts-filter" on:submit=move |ev| {
            ev.prevent_default();
            dispatch(Action::FilterContacts(value(search), value(tag_box)));
        }>
            <label for="contacts-q">"Search"</label>
            <input id="contacts-q" type="search" value=q node_ref=search/>
            <label for="contacts-tag">"Tag"</label>
            <input id="contacts-tag" value=tag node_ref=tag_box/>
            <button type="submit">"Filter"</button>
        </form>
        <div class="row">
            <span id="contacts-total">
                {move || shown.with(|m| format!("{} contacts · {} selected", m.contacts_total, m.selected.len()))}
            </span>
            <button type="button" class="link" on:click=|_| dispatch(Action::SelectAll)>"Select all"</button>
        </div>
        {move || shown.with(|m| m.contacts.is_empty()).then(|| view! {
            <p class="empty">"No contacts here yet: add one below."</p>
        })}
        <ul id="contacts" class="list">
            <For
                each=move || shown.with(|m| m.contacts.clone())
                key=|contact| (contact.id, contact.seq)
                children=move |contact| {
                    let id = contact.id;
                    let shown_name = contact.name.clone().unwrap_or_default();
                    view! {
                        <li>
                            <span class="avatar" aria-hidden="true">{initials(&shown_name)}</span>
                            <label class="grow">
                                <input type="checkbox"
                                    prop:checked=move || shown.with(|m| m.selected.contains(&id))
                                    on:change=move |ev| dispatch(Action::Select(id, event_target_checked(&ev)))/>
                                {shown_name} " " <span class="muted">{contact.phone.clone()}</span>
                            </label>
                            <span class="muted">{contact.tags.join(", ")}</span>
                        </li>
                    }
                }
            />
        </ul>
        <form data-form="bulk-send" on:submit=move |ev| {
            ev.prevent_default();
            dispatch(Action::SendToSelected { text: value(bulk_text), file: value(bulk_file).parse().ok() });
        }>
            <label for="bulk-text">"Message to the selection"</label>
            <textarea id="bulk-text" rows="2" node_ref=bulk_text></textarea>
            <label for="bulk-file">"File"</label>
            <select id="bulk-file" node_ref=bulk_file>{file_choices(shown)}</select>
            <div class="row">
                <button type="submit">"Send to selected"</button>
                <button type="button" class="danger" on:click=|_| dispatch(Action::DeleteSelected)>
                    "Delete selected"
                </button>
            </div>
        </form>
        <h2>"Add a contact"</h2>
        <form data-form="add-contact" on:submit=move |ev| {
            ev.prevent_default();
            dispatch(Action::AddContact { phone: value(phone), name: value(name), tags: value(tags) });
        }>
            <label for="contact-phone">"Number"</label>
            <input id="contact-phone" type="tel" required node_ref=phone/>
            <label for="contact-name">"Name"</label>
            <input id="contact-name" node_ref=name/>
            <label for="contact-tags">"Tags (comma separated)"</label>
            <input id="contact-tags" node_ref=tags/>
            <button type="submit">"Add contact"</button>
        </form>
    }
}
