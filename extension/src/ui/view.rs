//! The sidebar's screens: sign-in, first-use set-up, and the main view with
//! its profile switch, credits and tabs.

use std::fmt::Write as _;

use chorus_shared::account::{InviteState, Role};
use chorus_shared::message::Direction;
use chorus_shared::team::{CommentKind, TimelineItem};

use super::html::{button, escape, form, input, select};
use super::{status_label, Model, Tab};

/// The whole sidebar.
pub fn page(model: &Model) -> String {
    if model.collapsed {
        return format!(
            "<div class=\"collapsed\">{}</div>",
            button("expand", "", "◀", "plain")
        );
    }
    let mut out = String::from("<h1>Chorus</h1>");
    if let Some(problem) = &model.tab_problem {
        let _ = write!(
            out,
            "<div class=\"error\" id=\"tab-problem\" role=\"alert\">{}</div>",
            escape(problem)
        );
    }
    if let Some(error) = &model.error {
        let _ = write!(
            out,
            "<div class=\"error\" id=\"error\">{}</div>",
            escape(error)
        );
    }
    if let Some(notice) = &model.notice {
        let _ = write!(
            out,
            "<div class=\"notice\" id=\"notice\">{}</div>",
            escape(notice)
        );
    }
    let Some(relay) = model.settings.relay() else {
        out.push_str("<p>Set the address of your Chorus relay first.</p>");
        out.push_str(&button("options", "", "Open options", ""));
        return out;
    };
    let Some(user) = &model.user else {
        if model.settings.session.is_some() {
            out.push_str("<p class=\"muted\">Loading…</p>");
            return out;
        }
        return out + &sign_in(&relay);
    };
    if user.account_type.is_none() || user.phone.is_none() {
        return out + &set_up(user.phone.as_deref());
    }
    out.push_str(&header(model));
    out.push_str("<div class=\"tabs\">");
    for tab in Tab::ALL {
        let class = if tab == model.tab { "on" } else { "" };
        out.push_str(&button("tab", tab.name(), tab.name(), class));
    }
    out.push_str("</div>");
    out.push_str(&match model.tab {
        Tab::Chat => chat_tab(model),
        Tab::Send => send_tab(model),
        Tab::Contacts => contacts_tab(model),
        Tab::Files => files_tab(model),
        Tab::Team => team_tab(model),
        Tab::Host => host_tab(model),
    });
    out
}

fn sign_in(relay: &str) -> String {
    let body = input(
        "email",
        "Email",
        "email",
        "autocomplete=\"username\" required",
    ) + &input(
        "password",
        "Password",
        "password",
        "autocomplete=\"current-password\" required",
    ) + "<div class=\"row\"><button type=\"submit\">Sign in</button>"
        + &button("sign-up", "", "Create account", "plain")
        + "</div>";
    format!(
        "<p class=\"muted\">Relay: {} · {}</p>{}",
        escape(relay),
        button("options", "", "change", "plain"),
        form("sign-in", &body)
    )
}

fn set_up(phone: Option<&str>) -> String {
    let types = [
        ("agent".to_owned(), "Agent: I use my own number".to_owned()),
        (
            "organization".to_owned(),
            "Organization: my team shares this number".to_owned(),
        ),
    ];
    let body = format!(
        "<p>Welcome! Tell Chorus how you will use it.</p>{}{}{}<div id=\"org-fields\">{}{}</div><button type=\"submit\">Continue</button>",
        input(
            "phone",
            "Your WhatsApp number, with country code",
            "tel",
            &format!("value=\"{}\" placeholder=\"+44 7400 000000\"", escape(phone.unwrap_or_default()))
        ),
        select("account-type", "", &types, "agent"),
        input("country", "Country (if the number has no +code)", "text", "maxlength=\"2\" placeholder=\"GB\""),
        input("org-name", "Organization name (Organization only)", "text", ""),
        input("org-country", "Organization's default country", "text", "maxlength=\"2\" placeholder=\"GB\""),
    );
    form("set-up", &body)
}

fn header(model: &Model) -> String {
    let options: Vec<(String, String)> = model
        .profiles
        .iter()
        .map(|profile| {
            (
                profile
                    .organization_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
                profile.label.clone(),
            )
        })
        .collect();
    let chosen = model
        .settings
        .profile
        .map(|id| id.to_string())
        .unwrap_or_default();
    let (available, reserved) = model
        .credits
        .get(&model.settings.profile)
        .copied()
        .unwrap_or_default();
    let host = match model.host_online.get(&model.settings.profile) {
        Some(true) => "<span id=\"host-state\" class=\"muted\">host online</span>",
        Some(false) => "<span id=\"host-state\" class=\"error\">host offline: messages wait</span>",
        None => "",
    };
    let connection = if model.connection.0 {
        String::new()
    } else {
        format!(
            "<div class=\"notice\" id=\"connection\">{}</div>",
            escape(
                model
                    .connection
                    .1
                    .as_deref()
                    .unwrap_or("Connecting to the relay…")
            )
        )
    };
    format!(
        "<div class=\"bar\">{}{}{}</div><div class=\"row\"><span>Credits: <b id=\"credits\">{available}</b>{}</span>{host}</div>{connection}",
        select("profile", "profile", &options, &chosen),
        button("collapse", "", "▶", "plain"),
        button("sign-out", "", "Sign out", "plain"),
        if reserved > 0 {
            format!(" <span class=\"muted\">({reserved} held)</span>")
        } else {
            String::new()
        },
    )
}

fn member_name(model: &Model, id: Option<uuid::Uuid>) -> String {
    match id {
        None => "nobody".into(),
        Some(id) => model
            .members
            .iter()
            .find(|member| member.user_id == id)
            .map(|member| member.email.clone())
            .unwrap_or_else(|| "a member".into()),
    }
}

fn chat_tab(model: &Model) -> String {
    let mut out = String::new();
    match &model.open_chat {
        None => out.push_str("<p class=\"muted\">Open a chat in WhatsApp Web to see it here.</p>"),
        Some(open) => {
            let number = open
                .wa_id
                .as_deref()
                .and_then(|id| id.strip_suffix("@c.us"))
                .map(|digits| format!("+{digits}"))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<h2 id=\"chat-name\">{}</h2><div class=\"muted\" id=\"chat-number\">{}</div>",
                escape(&open.title),
                escape(&number)
            );
            if let Some(chat) = &model.panel.chat {
                if model.settings.profile.is_some() {
                    let mut options = vec![(String::new(), "Unassigned".to_owned())];
                    options.extend(
                        model
                            .members
                            .iter()
                            .map(|m| (m.user_id.to_string(), m.email.clone())),
                    );
                    let chosen = chat
                        .assignee_id
                        .map(|id| id.to_string())
                        .unwrap_or_default();
                    let _ = write!(
                        out,
                        "<label>Assigned to {}</label>",
                        select("assignee", "assign", &options, &chosen)
                    );
                }
                let resolved = chat.status == chorus_shared::team::ChatStatus::Resolved;
                let _ = write!(
                    out,
                    "<div class=\"row\">{}{}</div>",
                    form(
                        "rename",
                        &format!(
                            "<input id=\"chat-rename\" name=\"chat-rename\" placeholder=\"Name\" value=\"{}\"><button type=\"submit\">Rename</button>",
                            escape(chat.name.as_deref().unwrap_or_default())
                        )
                    ),
                    if resolved {
                        button("chat-status", "open", "Reopen", "plain")
                    } else {
                        button("chat-status", "resolved", "Resolve", "plain")
                    }
                );
                out.push_str("<ul id=\"timeline\">");
                for item in &model.panel.timeline {
                    out.push_str(&timeline_item(model, item));
                }
                out.push_str("</ul>");
                out.push_str(&form(
                    "comment",
                    "<textarea id=\"comment-text\" name=\"comment-text\" rows=\"2\" placeholder=\"Comment for the team\"></textarea><button type=\"submit\">Add comment</button>",
                ));
            }
            out.push_str(&form(
                "chat-send",
                "<textarea id=\"chat-text\" name=\"chat-text\" rows=\"2\" placeholder=\"Message through Chorus\"></textarea><button type=\"submit\">Send</button>",
            ));
        }
    }
    out.push_str("<h2>Chats</h2><ul id=\"chats\">");
    for chat in &model.chats {
        let name = chat
            .name
            .clone()
            .or_else(|| chat.phone.clone())
            .unwrap_or_else(|| chat.wa_id.clone());
        let last = chat
            .last_message
            .as_ref()
            .map(|m| {
                let arrow = if m.direction == Direction::Incoming {
                    "←"
                } else {
                    "→"
                };
                format!(
                    "{arrow} {}",
                    m.text.clone().unwrap_or_else(|| m.kind.as_str().into())
                )
            })
            .unwrap_or_default();
        let unread = if chat.unread > 0 {
            format!(" <b>({})</b>", chat.unread)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<li data-chat-id=\"{}\"><b>{}</b>{unread} <span class=\"muted\">{}</span><div class=\"last\">{}</div></li>",
            chat.id,
            escape(&name),
            escape(&member_name(model, chat.assignee_id)),
            escape(&last)
        );
    }
    out.push_str("</ul>");
    out
}

fn timeline_item(model: &Model, item: &TimelineItem) -> String {
    match item {
        TimelineItem::Message { message } => {
            let arrow = if message.direction == Direction::Incoming {
                "←"
            } else {
                "→"
            };
            let text = message
                .text
                .clone()
                .unwrap_or_else(|| message.kind.as_str().into());
            format!(
                "<li class=\"message\" data-message-id=\"{}\">{arrow} {} <span class=\"status {}\">{}</span></li>",
                message.id,
                escape(&text),
                escape(message.status.as_str()),
                escape(&status_label(message))
            )
        }
        TimelineItem::Comment { comment } => {
            let class = match comment.kind {
                CommentKind::Note | CommentKind::Redirected => "comment",
                CommentKind::Assignment | CommentKind::Status => "line",
            };
            let body = if comment.deleted_at.is_some() {
                "(comment deleted)".to_owned()
            } else {
                comment.body.clone()
            };
            let author = if matches!(comment.kind, CommentKind::Note | CommentKind::Redirected) {
                format!("{}: ", member_name(model, comment.author_id))
            } else {
                String::new()
            };
            format!(
                "<li class=\"{class}\" data-comment-id=\"{}\">{}{}</li>",
                comment.id,
                escape(&author),
                escape(&body)
            )
        }
    }
}

fn file_options(model: &Model) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "No file".to_owned())];
    options.extend(
        model
            .files
            .iter()
            .map(|file| (file.id.to_string(), file.name.clone())),
    );
    options
}

fn send_tab(model: &Model) -> String {
    let body = input(
        "send-phone",
        "Number, with country code",
        "tel",
        "placeholder=\"+44 7400 000000\" required",
    ) + "<label>Message<textarea id=\"send-text\" name=\"send-text\" rows=\"3\"></textarea></label>"
        + "<label>File from the library"
        + &select("send-file", "", &file_options(model), "")
        + "</label><button type=\"submit\">Send</button>";
    let mut out = format!("<h2>Send message to number</h2>{}", form("send", &body));
    out.push_str("<h2>Your messages</h2><ul id=\"sent\">");
    for message in &model.sent {
        let to = message
            .chat_wa_id
            .strip_suffix("@c.us")
            .map(|d| format!("+{d}"))
            .unwrap_or_else(|| message.chat_wa_id.clone());
        let what = message
            .attachment
            .as_ref()
            .map(|file| file.name.clone())
            .or_else(|| message.text.clone())
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li data-message-id=\"{}\">{} <span class=\"muted\">{}</span> <span class=\"status {}\">{}</span></li>",
            message.id,
            escape(&to),
            escape(&what),
            escape(message.status.as_str()),
            escape(&status_label(message))
        );
    }
    out.push_str("</ul>");
    out
}

fn contacts_tab(model: &Model) -> String {
    let filter = input("contacts-q", "Search", "search", "")
        + &input("contacts-tag", "Tag", "text", "")
        + "<button type=\"submit\">Filter</button>";
    let add = input("contact-phone", "Number", "tel", "required")
        + &input("contact-name", "Name", "text", "")
        + &input("contact-tags", "Tags (comma separated)", "text", "")
        + "<button type=\"submit\">Add contact</button>";
    let mut out = form("contacts-filter", &filter);
    let _ = write!(
        out,
        "<div class=\"row\"><span id=\"contacts-total\">{} contacts · {} selected</span>{}</div><ul id=\"contacts\">",
        model.contacts_total,
        model.selected.len(),
        button("select-all", "", "Select all", "plain")
    );
    for contact in &model.contacts {
        let checked = if model.selected.contains(&contact.id) {
            "checked"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<li><label><input type=\"checkbox\" data-change=\"select\" data-arg=\"{}\" {checked}>{} <span class=\"muted\">{}</span></label> <span class=\"muted\">{}</span></li>",
            contact.id,
            escape(contact.name.as_deref().unwrap_or_default()),
            escape(&contact.phone),
            escape(&contact.tags.join(", "))
        );
    }
    out.push_str("</ul>");
    let bulk = "<label>Message to the selection<textarea id=\"bulk-text\" name=\"bulk-text\" rows=\"2\"></textarea></label><label>File"
        .to_owned()
        + &select("bulk-file", "", &file_options(model), "")
        + "</label><div class=\"row\"><button type=\"submit\">Send to selected</button>"
        + &button("bulk-delete", "", "Delete selected", "danger")
        + "</div>";
    out.push_str(&form("bulk-send", &bulk));
    out.push_str("<h2>Add a contact</h2>");
    out.push_str(&form("add-contact", &add));
    out
}

fn files_tab(model: &Model) -> String {
    let mut out = String::from(
        "<label>Upload (images, documents, videos; up to 5 MB)<input id=\"upload\" type=\"file\" data-change=\"upload\"></label><ul id=\"files\">",
    );
    for file in &model.files {
        let _ = write!(
            out,
            "<li data-file-id=\"{}\">{} <span class=\"muted\">{} · {} KB</span> {}{}</li>",
            file.id,
            escape(&file.name),
            escape(file.kind.as_str()),
            (file.size + 1023) / 1024,
            button("use-file", &file.id.to_string(), "Send", "plain"),
            button("delete-file", &file.id.to_string(), "Delete", "plain"),
        );
    }
    out.push_str("</ul>");
    out
}

fn team_tab(model: &Model) -> String {
    let mut out = String::from("<h2>My Organizations</h2>");
    if !model.organizations.invites.is_empty() {
        out.push_str("<ul id=\"invites-received\">");
        for invite in &model.organizations.invites {
            let id = invite.id.to_string();
            let _ = write!(
                out,
                "<li>{} invited you to <b>{}</b>{}{}{}</li>",
                escape(&invite.invited_by_email),
                escape(&invite.organization_name),
                input(
                    &format!("invite-code-{id}"),
                    "Invite code (ask whoever invited you)",
                    "text",
                    "autocomplete=\"off\" spellcheck=\"false\""
                ),
                button("accept-invite", &id, "Accept", ""),
                button("decline-invite", &id, "Decline", "plain"),
            );
        }
        out.push_str("</ul>");
    }
    if model.organizations.organizations.is_empty() {
        out.push_str("<p class=\"muted\">You are not in an organization yet.</p>");
    }
    for membership in &model.organizations.organizations {
        let org = &membership.organization;
        let _ = write!(
            out,
            "<h2>{} <span class=\"muted\">({})</span></h2>",
            escape(&org.name),
            escape(membership.role.as_str())
        );
        if membership.role != Role::Admin {
            continue;
        }
        let body = format!(
            "<input type=\"hidden\" name=\"org\" value=\"{}\">{}<button type=\"submit\">Invite</button>",
            org.id,
            input("invite-email", "Invite by email", "email", "required")
        );
        out.push_str(&form("invite", &body));
        if let Some(team) = model.teams.get(&org.id) {
            out.push_str("<ul class=\"members\">");
            for member in &team.members {
                let _ = write!(
                    out,
                    "<li>{} <span class=\"muted\">{}</span></li>",
                    escape(&member.email),
                    escape(member.role.as_str())
                );
            }
            out.push_str("</ul><ul class=\"invites\">");
            for invite in &team.invites {
                let state = match invite.state {
                    InviteState::InviteSent => "invite sent",
                    InviteState::Accepted => "accepted",
                    InviteState::Declined => "declined",
                    InviteState::Revoked => "revoked",
                };
                let _ = write!(
                    out,
                    "<li>{} <span class=\"muted\">{state}</span></li>",
                    escape(&invite.email)
                );
            }
            out.push_str("</ul>");
        }
    }
    out
}

fn host_tab(model: &Model) -> String {
    let mut options = vec![(String::new(), "Off".to_owned())];
    for profile in &model.profiles {
        let hostable = profile.organization_id.is_none() || profile.role == Some(Role::Admin);
        if hostable {
            options.push((
                profile
                    .organization_id
                    .map(|id| format!("org:{id}"))
                    .unwrap_or_else(|| "you".into()),
                format!(
                    "{} {}",
                    profile.label,
                    profile.phone.as_deref().unwrap_or_default()
                ),
            ));
        }
    }
    let chosen = match model.settings.hosting {
        None => String::new(),
        Some(hosting) => hosting
            .organization_id
            .map(|id| format!("org:{id}"))
            .unwrap_or_else(|| "you".into()),
    };
    let status = &model.host;
    let mut out = format!(
        "<h2>Host a number here</h2><p class=\"muted\">The WhatsApp Web open in this browser sends what your team queues for this number.</p><label>Host {}</label>",
        select("hosting", "hosting", &options, &chosen)
    );
    let capture = if model.settings.capture {
        "checked"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<label><input id=\"capture\" type=\"checkbox\" data-change=\"capture\" {capture}>Capture incoming messages</label>"
    );
    if status.hosting.is_some() {
        let sending;
        let state = if status.busy {
            sending = format!("sending… {}", status.step.as_deref().unwrap_or_default());
            sending.trim_end()
        } else if status.connected {
            "hosting"
        } else {
            "not connected"
        };
        let queue = model.queue.map_or(String::new(), |queue| {
            format!(
                " · queue: {} waiting, {} with the host",
                queue.queued, queue.sending
            )
        });
        let _ = write!(
            out,
            "<div id=\"host-status\"><b>{state}</b>{queue} · sent here: {} · last: {}</div>",
            status.sent_here,
            escape(status.last_send.as_deref().unwrap_or("none yet"))
        );
        if let Some(problem) = &status.problem {
            let _ = write!(
                out,
                "<div class=\"error\" id=\"host-problem\">{}</div>",
                escape(problem)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::StoredSession;
    use chorus_shared::api::{Profile, ProfileKind, User};
    use uuid::Uuid;

    fn signed_in() -> Model {
        let mut model = Model::default();
        model.settings.relay_url = "https://relay".into();
        model.settings.session = Some(StoredSession {
            token: "t".into(),
            user_id: Uuid::nil(),
            email: "a@example.com".into(),
        });
        model.user = Some(User {
            id: Uuid::nil(),
            email: "a@example.com".into(),
            account_type: Some(chorus_shared::account::AccountType::Agent),
            phone: Some("+447400000001".into()),
            created_at: chrono::DateTime::UNIX_EPOCH,
        });
        model.profiles = vec![Profile {
            kind: ProfileKind::Personal,
            label: "You".into(),
            organization_id: None,
            phone: Some("+447400000001".into()),
            role: None,
        }];
        model
    }

    #[test]
    fn asks_for_the_relay_then_a_sign_in() {
        let empty = page(&Model::default());
        assert!(empty.contains("Open options"));
        let mut model = Model::default();
        model.settings.relay_url = "https://relay".into();
        assert!(page(&model).contains("data-form=\"sign-in\""));
    }

    #[test]
    fn shows_credits_of_the_chosen_profile() {
        let mut model = signed_in();
        model.credits.insert(None, (42, 3));
        let html = page(&model);
        assert!(html.contains("<b id=\"credits\">42</b>"), "{html}");
        assert!(html.contains("(3 held)"));
    }

    #[test]
    fn escapes_what_customers_write() {
        let mut model = signed_in();
        model.open_chat = Some(crate::driver::watch::OpenChat {
            wa_id: Some("447400000002@c.us".into()),
            title: "<b>Eve</b>".into(),
        });
        let html = page(&model);
        assert!(html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(!html.contains("<b>Eve</b>"));
    }
}
