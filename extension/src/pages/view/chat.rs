//! The Chat tab: a chat (chosen from the list, or else the one open in
//! WhatsApp Web) with who handles it, its state, its messages and the
//! team's comments, and a box to write through Chorus; below, the profile's
//! chats, which in an organization is the team's inbox (filtered by whose,
//! open or resolved, and a search).

use leptos::html;
use leptos::prelude::*;

use chorus_shared::message::{Direction, MessageKind};
use chorus_shared::queue::FileView;
use chorus_shared::team::{ChatStatus, TimelineItem};

use super::{dispatch, message_form, status, value, Action};
use crate::browser::local_clock;
use crate::ui::inbox::{
    menu_values, parse_state, parse_whose, ChatFilter, STATE_CHOICES, WHOSE_CHOICES,
};
use crate::ui::present::{
    arrow, chat_title, clock_label, comment_line, file_label, initials, last_line, member_name,
    message_text, participants, received_file, sender_label, status_label,
};
use crate::ui::Model;

pub fn tab(shown: RwSignal<Model>) -> impl IntoView {
    let open = Memo::new(move |_| shown.with(|m| m.open_chat.clone()));
    let chosen = Memo::new(move |_| shown.with(|m| m.chosen_chat));
    let in_organization = Memo::new(move |_| shown.with(|m| m.settings.profile.is_some()));
    view! {
        {move || match (chosen.get(), open.get()) {
            (Some(_), _) => chosen_chat(shown).into_any(),
            (None, None) => view! {
                <p class="empty">
                    {move || if in_organization.get() {
                        "Choose a chat below, or open one in WhatsApp Web, to see it here with your team's notes."
                    } else {
                        "Open a chat in WhatsApp Web to see it here, with your team's notes."
                    }}
                </p>
            }
            .into_any(),
            (None, Some(open)) => {
                let number = open
                    .wa_id
                    .as_deref()
                    .and_then(|id| id.strip_suffix("@c.us"))
                    .map(|digits| format!("+{digits}"))
                    .unwrap_or_default();
                view! {
                    <div class="chat-head">
                        <span class="avatar" aria-hidden="true">{initials(&open.title)}</span>
                        <div>
                            <h2 id="chat-name">{open.title.clone()}</h2>
                            <div class="muted" id="chat-number">{number}</div>
                        </div>
                    </div>
                    {add_group(shown)}
                    {panel(shown)}
                    {write_box()}
                }
                .into_any()
            }
        }}
        <h2>"Chats"</h2>
        {move || in_organization.get().then(|| filters(shown))}
        <ul id="chats" class="list">
            <For
                each=move || shown.with(|m| m.chats.clone())
                key=|chat| (chat.id, chat.seq, chat.unread, chat.assignee_id, chat.last_activity_at, chat.waiting.as_ref().map(|w| (w.count, w.preview.clone())), chat.participants.clone())
                children=move |chat| {
                    let title = chat_title(&chat);
                    let assignee = chat.assignee_id;
                    let id = chat.id;
                    let chosen_here = move || shown.with(|m| m.chosen_chat == Some(id));
                    view! {
                        <li data-chat-id=chat.id.to_string() class:chosen=chosen_here>
                            <span class="avatar" aria-hidden="true">{initials(&title)}</span>
                            <div class="grow">
                                <div class="row">
                                    <button type="button" class="link chat-open"
                                        on:click=move |_| dispatch(Action::ChooseChat(Some(id)))>
                                        <b>{title}</b>
                                    </button>
                                    {(chat.unread > 0).then(|| view! {
                                        <span class="badge" title="unread">{chat.unread}</span>
                                    })}
                                </div>
                                // Only an organization's chats are assigned.
                                {move || shown.with(|m| m.settings.profile.is_some().then(|| {
                                    let name = member_name(&m.members, assignee);
                                    view! { <div class="muted">"Assigned to " {name}</div> }
                                }))}
                                {(!chat.participants.is_empty()).then(|| view! {
                                    <div class="muted members">{chat.participants.join(", ")}</div>
                                })}
                                <div class="last">{last_line(&chat)}</div>
                            </div>
                        </li>
                    }
                }
            />
        </ul>
    }
}

/// A chat opened from the list: it lives at the organization's host, not
/// in this browser's WhatsApp Web.
fn chosen_chat(shown: RwSignal<Model>) -> impl IntoView {
    let head = Memo::new(move |_| {
        shown.with(|m| {
            m.panel
                .chat
                .as_ref()
                .map(|chat| (chat_title(chat), chat.phone.clone().unwrap_or_default()))
        })
    });
    view! {
        <button type="button" class="link" id="chat-back"
            on:click=move |_| dispatch(Action::ChooseChat(None))>"← All chats"</button>
        {move || head.get().map(|(title, number)| view! {
            <div class="chat-head">
                <span class="avatar" aria-hidden="true">{initials(&title)}</span>
                <div>
                    <h2 id="chat-name">{title}</h2>
                    <div class="muted" id="chat-number">{number}</div>
                </div>
            </div>
        })}
        {panel(shown)}
        {write_box()}
    }
}

/// The offer to add the group open in WhatsApp Web, which the profile does
/// not have yet: anyone adds to their own chats, admins to an
/// organization's.
fn add_group(shown: RwSignal<Model>) -> impl IntoView {
    let offer = Memo::new(move |_| {
        shown.with(|m| {
            m.group_to_add
                .is_some()
                .then(|| m.settings.profile.is_none() || m.is_admin_here())
        })
    });
    move || {
        offer.get().map(|admin| {
            if admin {
                view! {
                    <p class="muted">"This group is not in Chorus yet."</p>
                    <button type="button" id="add-group" on:click=move |_| dispatch(Action::AddGroup)>
                        "Add group to Chorus"
                    </button>
                }
                .into_any()
            } else {
                view! { <p class="muted">"This group is not in Chorus yet; an admin can add it."</p> }.into_any()
            }
        })
    }
}

/// Which chats the list shows: whose, open or resolved, and a search.
fn filters(shown: RwSignal<Model>) -> impl IntoView {
    let values = Memo::new(move |_| shown.with(|m| menu_values(&m.chat_filter)));
    let change = move |edit: &dyn Fn(&mut ChatFilter)| {
        let mut filter = shown.with_untracked(|m| m.chat_filter.clone());
        edit(&mut filter);
        dispatch(Action::FilterChats(filter));
    };
    let search = NodeRef::<html::Input>::new();
    view! {
        <form class="row filters" data-form="chat-filter" on:submit=move |ev| {
            ev.prevent_default();
            let text = value_of(search);
            change(&|filter| filter.search = text.clone());
        }>
            <label class="hidden" for="chat-whose">"Whose chats"</label>
            <select id="chat-whose" on:change=move |ev| {
                let whose = parse_whose(&event_target_value(&ev));
                change(&|filter| filter.assignee = whose);
            }>
                {WHOSE_CHOICES.iter().map(|(value, label)| {
                    let value = *value;
                    view! { <option value=value selected=move || values.get().0 == value>{*label}</option> }
                }).collect_view()}
            </select>
            <label class="hidden" for="chat-state">"Open or resolved"</label>
            <select id="chat-state" on:change=move |ev| {
                let state = parse_state(&event_target_value(&ev));
                change(&|filter| filter.status = state);
            }>
                {STATE_CHOICES.iter().map(|(value, label)| {
                    let value = *value;
                    view! { <option value=value selected=move || values.get().1 == value>{*label}</option> }
                }).collect_view()}
            </select>
            <label class="hidden" for="chat-search">"Search chats"</label>
            <input id="chat-search" type="search" placeholder="Search name or number" node_ref=search/>
        </form>
    }
}

fn value_of(input: NodeRef<html::Input>) -> String {
    input.get().map(|input| input.value()).unwrap_or_default()
}

/// What the team knows of the open chat, once the relay knows it.
fn panel(shown: RwSignal<Model>) -> impl IntoView {
    let chat_id = Memo::new(move |_| shown.with(|m| m.panel.chat.as_ref().map(|c| c.id)));
    move || {
        chat_id.get().map(|_| {
            let in_organization = Memo::new(move |_| shown.with(|m| m.settings.profile.is_some()));
            let assignee = Memo::new(move |_| {
                shown.with(|m| m.panel.chat.as_ref().and_then(|c| c.assignee_id))
            });
            let resolved = Memo::new(move |_| {
                shown.with(|m| {
                    m.panel.chat.as_ref().map(|c| c.status) == Some(ChatStatus::Resolved)
                })
            });
            let name = shown.with_untracked(|m| {
                m.panel.chat.as_ref().and_then(|c| c.name.clone()).unwrap_or_default()
            });
            let rename = NodeRef::<html::Input>::new();
            let comment = NodeRef::<html::Textarea>::new();
            let add_comment = move || dispatch(Action::Comment(value(comment)));
            view! {
                {move || in_organization.get().then(|| view! {
                    <label for="assignee">"Assigned to"</label>
                    <select id="assignee" on:change=move |ev| {
                        dispatch(Action::Assign(event_target_value(&ev).parse().ok()))
                    }>
                        <option value="" selected=move || assignee.get().is_none()>"Unassigned"</option>
                        <For
                            each=move || shown.with(|m| m.members.iter().map(|m| (m.user_id, m.email.clone())).collect::<Vec<_>>())
                            key=|member| member.clone()
                            children=move |(id, email)| view! {
                                <option value=id.to_string() selected=move || assignee.get() == Some(id)>{email}</option>
                            }
                        />
                    </select>
                })}
                <div class="row">
                    <form data-form="rename" class="row grow" on:submit=move |ev| {
                        ev.prevent_default();
                        dispatch(Action::RenameChat(value(rename)));
                    }>
                        <label class="hidden" for="chat-rename">"Chat name"</label>
                        <input id="chat-rename" placeholder="Name" value=name node_ref=rename/>
                        <button type="submit">"Rename"</button>
                    </form>
                    <button type="button" class="link" on:click=move |_| {
                        let next = if resolved.get_untracked() { ChatStatus::Open } else { ChatStatus::Resolved };
                        dispatch(Action::SetChatStatus(next));
                    }>{move || if resolved.get() { "Reopen" } else { "Resolve" }}</button>
                </div>
                {move || {
                    // The members the host saw listed, else those who wrote.
                    let (label, who) = shown.with(|m| {
                        let listed = m.panel.chat.as_ref().map(|c| c.participants.clone()).unwrap_or_default();
                        if listed.is_empty() {
                            ("Group members who wrote: ", participants(&m.panel.timeline))
                        } else {
                            ("Members: ", listed)
                        }
                    });
                    (!who.is_empty()).then(|| view! {
                        <div class="muted" id="participants">{label} {who.join(", ")}</div>
                    })
                }}
                <ul id="timeline" class="timeline">
                    <For
                        each=move || shown.with(|m| m.panel.timeline.clone())
                        key=|item| match item {
                            TimelineItem::Message { message } => (message.id, message.seq),
                            TimelineItem::Comment { comment } => (comment.id, comment.seq),
                        }
                        children=move |item| timeline_item(shown, item)
                    />
                </ul>
                {message_form("comment", "comment-text", "Note for the team (not sent)",
                    "Add comment", comment, add_comment)}
            }
        })
    }
}

fn timeline_item(shown: RwSignal<Model>, item: TimelineItem) -> impl IntoView {
    match item {
        TimelineItem::Message { message } => view! {
            <li class=format!("message {}", direction_class(message.direction)) data-message-id=message.id.to_string()>
                <span aria-hidden="true">{arrow(message.direction)} " "</span>
                {sender_label(&message).map(|name| view! { <b class="sender">{name} ": "</b> })}
                <span class="text">{message_text(&message)}</span>
                {received_file(&message).cloned().map(|file| received(shown, message.kind, file))}
                " "
                <time class="at">{clock_label(&message, local_clock())}</time>
                " "
                {status(message.status, status_label(&message))}
            </li>
        }
        .into_any(),
        TimelineItem::Comment { comment } => {
            let (class, _) = comment_line(&[], &comment);
            let id = comment.id.to_string();
            // The author's name follows the member list as it loads.
            let line = move || shown.with(|m| comment_line(&m.members, &comment).1);
            view! { <li class=class data-comment-id=id>{line}</li> }.into_any()
        }
    }
}

/// A file a customer sent, whose bytes the relay holds: a button fetches
/// it, then pictures, voice notes and videos play here and anything can be
/// saved.
fn received(shown: RwSignal<Model>, kind: MessageKind, file: FileView) -> impl IntoView {
    let id = file.id;
    let url = Memo::new(move |_| shown.with(|m| m.received_files.get(&id).cloned()));
    let label = file_label(&file);
    let name = file.name.clone();
    move || {
        match url.get() {
        None => {
            let file = file.clone();
            let verb = match kind {
                MessageKind::Image => "Show ",
                MessageKind::Audio => "Play ",
                MessageKind::Video => "Play ",
                _ => "Open ",
            };
            view! {
                <button type="button" class="link received-file"
                    on:click=move |_| dispatch(Action::ShowReceived(file.clone()))>
                    {verb}{label.clone()}
                </button>
            }
            .into_any()
        }
        Some(url) => view! {
            <div class="received">
                {match kind {
                    MessageKind::Image => view! { <img class="thumb" src=url.clone() alt=name.clone()/> }.into_any(),
                    MessageKind::Audio => view! { <audio controls src=url.clone()></audio> }.into_any(),
                    MessageKind::Video => view! { <video class="thumb" controls src=url.clone()></video> }.into_any(),
                    _ => ().into_any(),
                }}
                <a class="received-save" href=url download=name.clone()>"Save " {label.clone()}</a>
            </div>
        }
        .into_any(),
    }
    }
}

/// The box that sends into the open chat through Chorus (and so through
/// the host, with the team's history).
fn write_box() -> impl IntoView {
    let text = NodeRef::<html::Textarea>::new();
    let send = move || dispatch(Action::SendInChat(value(text)));
    message_form(
        "chat-send",
        "chat-text",
        "Message through Chorus (Ctrl+Enter sends)",
        "Send",
        text,
        send,
    )
}

fn direction_class(direction: Direction) -> &'static str {
    match direction {
        Direction::Incoming => "incoming",
        Direction::Outgoing => "outgoing",
    }
}
