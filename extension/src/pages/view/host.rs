//! The Host tab: whether this browser's WhatsApp Web sends for a number,
//! and how that is going, live.

use leptos::prelude::*;

use super::{dispatch, Action};
use crate::driver::capture::CAPTURE_IDLE_MS;
use crate::ui::present::{
    host_line, hosting_choices, hosting_value, parse_hosting, CAPTURE_IDLE_CHOICES,
};
use crate::ui::Model;

pub fn tab(shown: RwSignal<Model>) -> impl IntoView {
    let choices = Memo::new(move |_| shown.with(|m| hosting_choices(&m.profiles)));
    let chosen = Memo::new(move |_| shown.with(|m| hosting_value(m.settings.hosting)));
    let hosting = Memo::new(move |_| shown.with(|m| m.host.hosting.is_some()));
    let line = Memo::new(move |_| shown.with(|m| host_line(&m.host, m.queue)));
    let problem = Memo::new(move |_| shown.with(|m| m.host.problem.clone()));
    view! {
        <h2>"Host a number here"</h2>
        <p class="muted">"The WhatsApp Web open in this browser sends what your team queues for this number."</p>
        <label for="hosting">"Host"</label>
        <select id="hosting" on:change=move |ev| dispatch(Action::Host(parse_hosting(&event_target_value(&ev))))>
            <For
                each=move || choices.get()
                key=|choice| choice.clone()
                children=move |(value, label)| {
                    let this = value.clone();
                    view! { <option value=value selected=move || chosen.get() == this>{label}</option> }
                }
            />
        </select>
        <label class="check">
            <input id="capture" type="checkbox"
                prop:checked=move || shown.with(|m| m.settings.capture)
                on:change=move |ev| dispatch(Action::Capture(event_target_checked(&ev)))/>
            "Capture incoming messages"
        </label>
        <label class="check">
            <input id="dedicated-host" type="checkbox"
                prop:checked=move || shown.with(|m| m.settings.dedicated_host)
                on:change=move |ev| dispatch(Action::DedicatedHost(event_target_checked(&ev)))/>
            "Nobody uses this WhatsApp Web: capture at once"
        </label>
        <label for="capture-idle">"Capture other chats after nobody has used WhatsApp Web for"</label>
        <select id="capture-idle"
            on:change=move |ev| {
                if let Ok(seconds) = event_target_value(&ev).parse() {
                    dispatch(Action::CaptureIdle(seconds));
                }
            }>
            {CAPTURE_IDLE_CHOICES.iter().map(|(seconds, label)| {
                let seconds = *seconds;
                let selected = move || shown.with(|m| {
                    m.settings.capture_idle_seconds.unwrap_or((CAPTURE_IDLE_MS / 1_000) as u32) == seconds
                });
                view! { <option value=seconds.to_string() selected=selected>{*label}</option> }
            }).collect_view()}
        </select>
        {move || hosting.get().then(|| view! {
            <div id="host-status" role="status">
                <b>{move || line.get().0}</b>{move || line.get().1}
            </div>
            {move || problem.get().map(|problem| view! {
                <div class="error" id="host-problem">{problem}</div>
            })}
        })}
    }
}
