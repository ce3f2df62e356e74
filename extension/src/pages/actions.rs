//! What the sidebar's buttons, forms and switches do.

use std::collections::HashMap;
use std::rc::Rc;

use chorus_shared::account::AccountType;
use chorus_shared::api::{
    AcceptInvite, ChooseAccountType, CreateInvite, Credentials, NewOrganization, Session, SetPhone,
};
use chorus_shared::endpoints;
use chorus_shared::limits::ATTACHMENT_MAX_BYTES;
use chorus_shared::queue::{SendAnswer, SendMessage};
use chorus_shared::team::{
    AssignChat, BulkContacts, ChatStatus, CommentView, NewContact, UpdateChat, WriteComment,
};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use crate::browser::relay::Failure;
use crate::browser::{open_options, random_id, save_settings};
use crate::channel::{Hosting, SidebarRequest, StoredSession};
use crate::ui::{Model, Tab};

use super::sidebar::App;

type Outcome = Result<(), Failure>;

fn problem(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: None,
    }
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map(|v| v.trim()).unwrap_or_default()
}

fn value_of(id: &str) -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| js_sys::Reflect::get(&e, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// A `data-action` button.
pub async fn click(app: &Rc<App>, action: &str, arg: &str) -> Outcome {
    match action {
        "options" => open_options(),
        "sign-up" => {
            let credentials = Credentials {
                email: value_of("email").trim().to_owned(),
                password: value_of("password"),
            };
            let session = app
                .relay()
                .call_endpoint(&endpoints::SignUp(credentials))
                .await?;
            remember_session(app, session).await;
        }
        "sign-out" => {
            let _ = app.relay().call_endpoint(&endpoints::SignOut).await;
            forget_session(app).await;
        }
        "tab" => {
            if let Some(tab) = Tab::parse(arg) {
                app.model.borrow_mut().tab = tab;
                app.render();
                app.load_tab().await?;
            }
        }
        "collapse" | "expand" => {
            let collapsed = action == "collapse";
            app.model.borrow_mut().collapsed = collapsed;
            app.tell_worker(&SidebarRequest::Collapse { collapsed });
        }
        "select-all" => {
            let mut model = app.model.borrow_mut();
            let all: Vec<Uuid> = model.contacts.iter().map(|c| c.id).collect();
            model.selected.extend(all);
        }
        "bulk-delete" => {
            let ids: Vec<Uuid> = app.model.borrow().selected.iter().copied().collect();
            if ids.is_empty() {
                return Err(problem("Select the contacts to delete first."));
            }
            let organization_id = app.model.borrow().settings.profile;
            let result = app
                .relay()
                .call_endpoint(&endpoints::DeleteContacts(BulkContacts {
                    organization_id,
                    ids,
                    add_tags: Vec::new(),
                    remove_tags: Vec::new(),
                }))
                .await?;
            app.model.borrow_mut().selected.clear();
            app.model.borrow_mut().notice = Some(format!("Deleted {} contacts.", result.affected));
            app.load_contacts(&value_of("contacts-q"), &value_of("contacts-tag"))
                .await?;
        }
        "use-file" => {
            app.model.borrow_mut().tab = Tab::Send;
            app.set_value("send-file", arg);
        }
        "delete-file" => {
            let file_id = Uuid::parse_str(arg).map_err(|_| problem("No such file."))?;
            app.relay()
                .call_endpoint(&endpoints::DeleteFile {
                    organization_id: app.profile(),
                    file_id,
                })
                .await?;
            app.model
                .borrow_mut()
                .files
                .retain(|file| file.id.to_string() != arg);
        }
        "chat-status" => {
            let status = match arg {
                "resolved" => ChatStatus::Resolved,
                _ => ChatStatus::Open,
            };
            update_chat(
                app,
                UpdateChat {
                    status: Some(status),
                    name: None,
                },
            )
            .await?;
        }
        "accept-invite" | "decline-invite" => {
            let verb = if action == "accept-invite" {
                "accept"
            } else {
                "decline"
            };
            let code = if verb == "accept" {
                // Checked here too, so a typo is said before any request.
                let typed = value_of(&format!("invite-code-{arg}"));
                Some(chorus_shared::limits::format_invite_code(
                    &chorus_shared::limits::normalise_invite_code(&typed).map_err(problem)?,
                ))
            } else {
                None
            };
            let invite_id = Uuid::parse_str(arg).map_err(|_| problem("No such invite."))?;
            let relay = app.relay();
            match code {
                Some(code) => relay
                    .call_endpoint(&endpoints::AcceptInvitation {
                        invite_id,
                        answer: AcceptInvite {
                            confirm: true,
                            code: Some(code),
                        },
                    })
                    .await
                    .map(drop)?,
                None => relay
                    .call_endpoint(&endpoints::DeclineInvitation { invite_id })
                    .await
                    .map(drop)?,
            }
            app.model.borrow_mut().notice = Some(if verb == "accept" {
                "You joined the organization: switch to it above.".into()
            } else {
                "Invite declined.".into()
            });
            // The live connection must now listen to the new organization too.
            app.tell_worker(&SidebarRequest::SettingsChanged);
            app.load_profile().await?;
        }
        _ => {}
    }
    Ok(())
}

/// A `data-form` submission.
pub async fn submit(app: &Rc<App>, form: &str, fields: &HashMap<String, String>) -> Outcome {
    match form {
        "sign-in" => {
            let credentials = Credentials {
                email: field(fields, "email").to_owned(),
                password: fields.get("password").cloned().unwrap_or_default(),
            };
            let session = app
                .relay()
                .call_endpoint(&endpoints::SignIn(credentials))
                .await?;
            remember_session(app, session).await;
        }
        "set-up" => {
            let country = Some(field(fields, "country").to_owned()).filter(|c| !c.is_empty());
            app.relay()
                .call_endpoint(&endpoints::RegisterPhone(SetPhone {
                    phone: field(fields, "phone").to_owned(),
                    country,
                }))
                .await?;
            let account_type =
                AccountType::parse(field(fields, "account-type")).unwrap_or(AccountType::Agent);
            let already = app
                .model
                .borrow()
                .user
                .as_ref()
                .and_then(|u| u.account_type)
                .is_some();
            if !already {
                let organization =
                    (account_type == AccountType::Organization).then(|| NewOrganization {
                        name: field(fields, "org-name").to_owned(),
                        default_country: field(fields, "org-country").to_owned(),
                    });
                app.relay()
                    .call_endpoint(&endpoints::SetAccountType(ChooseAccountType {
                        account_type,
                        organization,
                    }))
                    .await?;
            }
            app.load_account().await;
        }
        "send" => {
            let phone = field(fields, "send-phone").to_owned();
            if phone.is_empty() {
                return Err(problem(
                    "Enter the number to send to, with its country code.",
                ));
            }
            let attachment_id = field(fields, "send-file").parse::<Uuid>().ok();
            queue(
                app,
                Some(phone),
                None,
                field(fields, "send-text"),
                attachment_id,
            )
            .await?;
            app.set_value("send-text", "");
        }
        "chat-send" => {
            let (chat_id, phone) = {
                let model = app.model.borrow();
                let chat_id = model.panel.chat.as_ref().map(|c| c.id);
                let phone = model
                    .open_chat
                    .as_ref()
                    .and_then(|c| c.wa_id.as_deref())
                    .and_then(|id| id.strip_suffix("@c.us"))
                    .map(|digits| format!("+{digits}"));
                (chat_id, phone)
            };
            let phone = if chat_id.is_some() { None } else { phone };
            if chat_id.is_none() && phone.is_none() {
                return Err(problem(
                    "Chorus cannot tell this chat's number; use the Send tab.",
                ));
            }
            queue(app, phone, chat_id, field(fields, "chat-text"), None).await?;
            app.set_value("chat-text", "");
            app.load_panel().await?;
        }
        "rename" => {
            update_chat(
                app,
                UpdateChat {
                    status: None,
                    name: Some(field(fields, "chat-rename").to_owned()),
                },
            )
            .await?;
        }
        "comment" => {
            let chat_id = app.model.borrow().panel.chat.as_ref().map(|c| c.id);
            let Some(chat_id) = chat_id else {
                return Err(problem(
                    "This chat has no Chorus history yet: send a message first.",
                ));
            };
            let comment = app
                .relay()
                .call_endpoint(&endpoints::AddComment {
                    organization_id: app.profile(),
                    chat_id,
                    body: WriteComment {
                        body: field(fields, "comment-text").to_owned(),
                    },
                })
                .await?;
            add_to_timeline(&mut app.model.borrow_mut(), comment);
            app.set_value("comment-text", "");
        }
        "contacts-filter" => {
            app.load_contacts(field(fields, "contacts-q"), field(fields, "contacts-tag"))
                .await?;
        }
        "bulk-send" => {
            let phones: Vec<String> = {
                let model = app.model.borrow();
                model
                    .contacts
                    .iter()
                    .filter(|c| model.selected.contains(&c.id))
                    .map(|c| c.phone.clone())
                    .collect()
            };
            if phones.is_empty() {
                return Err(problem("Select the contacts to send to first."));
            }
            let attachment_id = field(fields, "bulk-file").parse::<Uuid>().ok();
            let text = field(fields, "bulk-text").to_owned();
            let mut queued = 0;
            for phone in phones {
                queue(app, Some(phone), None, &text, attachment_id).await?;
                queued += 1;
            }
            app.model.borrow_mut().notice = Some(format!(
                "Queued {queued} messages: follow them in the Send tab."
            ));
            app.set_value("bulk-text", "");
        }
        "add-contact" => {
            let organization_id = app.model.borrow().settings.profile;
            let tags: Vec<String> = field(fields, "contact-tags")
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            let name = Some(field(fields, "contact-name").to_owned()).filter(|n| !n.is_empty());
            let contact = NewContact {
                organization_id,
                phone: field(fields, "contact-phone").to_owned(),
                name,
                tags,
                attributes: Default::default(),
            };
            app.relay()
                .call_endpoint(&endpoints::CreateContact(contact))
                .await?;
            for id in ["contact-phone", "contact-name", "contact-tags"] {
                app.set_value(id, "");
            }
            app.load_contacts("", "").await?;
        }
        "invite" => {
            let organization = field(fields, "org");
            let org_id =
                Uuid::parse_str(organization).map_err(|_| problem("No such organization."))?;
            let invite = app
                .relay()
                .call_endpoint(&endpoints::SendInvitation {
                    org_id,
                    invite: CreateInvite {
                        email: field(fields, "invite-email").to_owned(),
                    },
                })
                .await?;
            // The relay sends no email: the code is how the invited person
            // proves the invite reached them, and it is shown only now.
            app.model.borrow_mut().notice = Some(format!(
                "Invite sent to {}. Their invite code is {}: give it to them yourself \
                 (it is shown only now); they enter it to join.",
                invite.email,
                invite.code.unwrap_or_default()
            ));
            app.set_value("invite-email", "");
            app.load_tab().await?;
        }
        _ => {}
    }
    Ok(())
}

/// A `data-change` control.
pub async fn change(
    app: &Rc<App>,
    name: &str,
    arg: &str,
    value: &str,
    element: &Element,
) -> Outcome {
    match name {
        "profile" => {
            let profile = value.parse::<Uuid>().ok();
            let settings = {
                let mut model = app.model.borrow_mut();
                model.settings.profile = profile;
                model.sent.clear();
                model.selected.clear();
                model.settings.clone()
            };
            save_settings(&settings).await;
            app.load_profile().await?;
        }
        "assign" => {
            let chat_id = app.model.borrow().panel.chat.as_ref().map(|c| c.id);
            if let Some(chat_id) = chat_id {
                app.relay()
                    .call_endpoint(&endpoints::AssignTo {
                        organization_id: app.profile(),
                        chat_id,
                        body: AssignChat {
                            assignee_id: value.parse::<Uuid>().ok(),
                        },
                    })
                    .await?;
                app.load_panel().await?;
            }
        }
        "select" => {
            if let Ok(id) = arg.parse::<Uuid>() {
                let mut model = app.model.borrow_mut();
                if value == "true" {
                    model.selected.insert(id);
                } else {
                    model.selected.remove(&id);
                }
            }
        }
        "upload" => upload(app, element).await?,
        "hosting" => {
            let hosting = match value {
                "" => None,
                "you" => Some(Hosting {
                    organization_id: None,
                }),
                other => other
                    .strip_prefix("org:")
                    .and_then(|id| id.parse::<Uuid>().ok())
                    .map(|id| Hosting {
                        organization_id: Some(id),
                    }),
            };
            let settings = {
                let mut model = app.model.borrow_mut();
                model.settings.hosting = hosting;
                model.settings.clone()
            };
            save_settings(&settings).await;
            app.tell_worker(&SidebarRequest::SettingsChanged);
            app.load_tab().await?;
        }
        "capture" => {
            let settings = {
                let mut model = app.model.borrow_mut();
                model.settings.capture = value == "true";
                model.settings.clone()
            };
            save_settings(&settings).await;
            app.tell_worker(&SidebarRequest::SettingsChanged);
        }
        _ => {}
    }
    Ok(())
}

/// Renames, resolves or reopens the open chat.
async fn update_chat(app: &Rc<App>, change: UpdateChat) -> Outcome {
    let chat_id = app.model.borrow().panel.chat.as_ref().map(|c| c.id);
    let Some(chat_id) = chat_id else {
        return Err(problem(
            "This chat has no Chorus history yet: send a message first.",
        ));
    };
    let chat = app
        .relay()
        .call_endpoint(&endpoints::ChangeChat {
            organization_id: app.profile(),
            chat_id,
            body: change,
        })
        .await?;
    app.model.borrow_mut().chat_changed(&chat);
    app.load_panel().await
}

/// Queues one message through the chosen profile.
async fn queue(
    app: &Rc<App>,
    phone: Option<String>,
    chat_id: Option<Uuid>,
    text: &str,
    attachment_id: Option<Uuid>,
) -> Outcome {
    if text.is_empty() && attachment_id.is_none() {
        return Err(problem("Write a message or choose a file to send."));
    }
    let message = SendMessage {
        organization_id: app.model.borrow().settings.profile,
        phone,
        chat_id,
        text: Some(text.to_owned()).filter(|t| !t.is_empty()),
        attachment_id,
        kind: None,
        idempotency_key: random_id(),
    };
    let message = match app
        .relay()
        .call_endpoint(&endpoints::QueueMessage(message))
        .await?
    {
        SendAnswer::KeptAsComment(added) => {
            let mut model = app.model.borrow_mut();
            model.notice = Some(added.detail.clone());
            add_to_timeline(&mut model, added.comment);
            return Ok(());
        }
        SendAnswer::Queued(message) | SendAnswer::AlreadyQueued(message) => message,
    };
    let mut model = app.model.borrow_mut();
    model.sent.retain(|m| m.id != message.id);
    model.sent.insert(0, message);
    Ok(())
}

fn add_to_timeline(model: &mut Model, comment: CommentView) {
    use chorus_shared::team::TimelineItem;
    let here = model
        .panel
        .chat
        .as_ref()
        .is_some_and(|chat| chat.id == comment.chat_id);
    let known = model
        .panel
        .timeline
        .iter()
        .any(|item| matches!(item, TimelineItem::Comment { comment: c } if c.id == comment.id));
    if here && !known {
        model.panel.timeline.push(TimelineItem::Comment { comment });
    }
}

/// Uploads the file chosen in `input`, refusing files over the limit before
/// sending a byte.
async fn upload(app: &Rc<App>, element: &Element) -> Outcome {
    let Some(input) = element.dyn_ref::<HtmlInputElement>() else {
        return Ok(());
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return Ok(());
    };
    input.set_value("");
    let size = file.size();
    if size > ATTACHMENT_MAX_BYTES as f64 {
        return Err(problem(format!(
            "{} is {:.1} MB; Chorus sends files up to {} MB. Choose a smaller file.",
            file.name(),
            size / 1_048_576.0,
            ATTACHMENT_MAX_BYTES / 1_048_576
        )));
    }
    let upload = endpoints::UploadFile {
        organization_id: app.profile(),
        name: file.name(),
    };
    let uploaded = app.relay().upload(&upload, &file).await?;
    let mut model = app.model.borrow_mut();
    model.notice = Some(format!("Uploaded {}.", uploaded.name));
    model.files.retain(|f| f.id != uploaded.id);
    model.files.insert(0, uploaded);
    Ok(())
}

async fn remember_session(app: &Rc<App>, session: Session) {
    let settings = {
        let mut model = app.model.borrow_mut();
        model.settings.session = Some(StoredSession {
            token: session.token,
            user_id: session.user.id,
            email: session.user.email.clone(),
        });
        model.settings.profile = None;
        model.user = Some(session.user);
        model.settings.clone()
    };
    save_settings(&settings).await;
    app.tell_worker(&SidebarRequest::SettingsChanged);
    app.load_account().await;
}

/// Drops the session here and in the worker.
pub async fn forget_session(app: &App) {
    let settings = {
        let mut model = app.model.borrow_mut();
        let relay_url = model.settings.relay_url.clone();
        *model = Model::default();
        model.settings.relay_url = relay_url;
        model.settings.clone()
    };
    save_settings(&settings).await;
    app.tell_worker(&SidebarRequest::SettingsChanged);
}
