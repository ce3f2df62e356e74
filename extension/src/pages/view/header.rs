//! The compact header: the profile switch, live credits, the host's and the
//! relay connection's state, and the tabs.

use leptos::prelude::*;

use super::{dispatch, Action};
use crate::ui::{Model, Tab};

/// The element id of a tab's button.
pub fn tab_id(tab: Tab) -> String {
    format!("tab-{}", tab.name().to_lowercase())
}

pub fn header(shown: RwSignal<Model>) -> impl IntoView {
    let profiles = Memo::new(move |_| {
        shown.with(|m| {
            m.profiles
                .iter()
                .map(|p| (p.organization_id, p.label.clone()))
                .collect::<Vec<_>>()
        })
    });
    let chosen = Memo::new(move |_| shown.with(|m| m.settings.profile));
    let credits = Memo::new(move |_| {
        shown.with(|m| {
            m.credits
                .get(&m.settings.profile)
                .copied()
                .unwrap_or_default()
        })
    });
    let host = Memo::new(move |_| shown.with(|m| m.host_online.get(&m.settings.profile).copied()));
    let connection = Memo::new(move |_| {
        shown.with(|m| {
            (!m.connection.0).then(|| {
                m.connection
                    .1
                    .clone()
                    .unwrap_or_else(|| "Connecting to the relay…".into())
            })
        })
    });
    view! {
        <header class="bar">
            <h1>"Chorus"</h1>
            <label class="hidden" for="profile">"Profile"</label>
            <select id="profile" title="Profile" on:change=move |ev| {
                dispatch(Action::ChooseProfile(event_target_value(&ev).parse().ok()))
            }>
                <For
                    each=move || profiles.get()
                    key=|profile| profile.clone()
                    children=move |(id, label)| view! {
                        <option value=id.map(|id| id.to_string()).unwrap_or_default()
                            selected=move || chosen.get() == id>{label}</option>
                    }
                />
            </select>
            <button type="button" class="icon" aria-label="Collapse the sidebar" title="Collapse"
                on:click=|_| dispatch(Action::Collapse(true))>"▶"</button>
            <button type="button" class="link" on:click=|_| dispatch(Action::SignOut)>"Sign out"</button>
        </header>
        <div class="row summary">
            <span>"Credits: " <b id="credits">{move || credits.get().0}</b>
                {move || (credits.get().1 > 0)
                    .then(|| view! { " " <span class="muted">"(" {credits.get().1} " held)"</span> })}
            </span>
            {move || match host.get() {
                Some(true) => Some(view! { <span id="host-state" class="online">"host online"</span> }.into_any()),
                Some(false) => Some(view! {
                    <span id="host-state" class="error">"host offline: messages wait"</span>
                }.into_any()),
                None => None,
            }}
        </div>
        {move || connection.get().map(|problem| view! { <div class="notice" id="connection">{problem}</div> })}
    }
}

/// The tabs, as a tab list.
pub fn tabs(tab: Memo<Tab>) -> impl IntoView {
    view! {
        <nav class="tabs" role="tablist" aria-label="Chorus">
            {Tab::ALL
                .into_iter()
                .map(|each| view! {
                    <button type="button" role="tab" id=tab_id(each)
                        aria-selected=move || (tab.get() == each).to_string()
                        class:on=move || tab.get() == each
                        on:click=move |_| dispatch(Action::ShowTab(each))>
                        {each.name()}
                    </button>
                })
                .collect_view()}
        </nav>
    }
}
