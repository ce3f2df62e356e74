//! The Files tab: the profile's library, to upload to, send from and tidy.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::{dispatch, Action};
use crate::ui::Model;

pub fn tab(shown: RwSignal<Model>) -> impl IntoView {
    view! {
        <label for="upload">"Upload (images, documents, videos; up to 5 MB)"</label>
        <input id="upload" type="file" on:change=|ev| {
            let Some(input) = ev
                .target()
                .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                input.set_value("");
                dispatch(Action::Upload(file));
            }
        }/>
        {move || shown.with(|m| m.files.is_empty()).then(|| view! {
            <p class="empty">"No files yet: upload a price list or a photo to send it to anyone."</p>
        })}
        <ul id="files" class="list">
            <For
                each=move || shown.with(|m| m.files.clone())
                key=|file| file.id
                children=|file| {
                    let id = file.id;
                    view! {
                        <li data-file-id=id.to_string()>
                            <div class="grow">
                                <b>{file.name.clone()}</b> " "
                                <span class="muted">{file.kind.as_str()} " · " {(file.size + 1023) / 1024} " KB"</span>
                            </div>
                            <button type="button" class="link" aria-label=format!("Send {}", file.name)
                                on:click=move |_| dispatch(Action::UseFile(id))>"Send"</button>
                            <button type="button" class="link" aria-label=format!("Delete {}", file.name)
                                on:click=move |_| dispatch(Action::DeleteFile(id))>"Delete"</button>
                        </li>
                    }
                }
            />
        </ul>
    }
}
