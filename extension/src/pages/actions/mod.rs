//! What the sidebar's buttons, forms and switches do. Each is an
//! [`Action`], a typed value built by the component that was used, so a
//! missing case is a compile error rather than a click that does nothing.
//!
//! # Layout
//! - this file: the actions and what each does.
//! - [`account`]: signing in and out, and first-use set-up.
//! - [`messages`]: queuing messages, uploads, and the open chat's changes.
//! - [`campaigns`]: the "Excel file" flow and campaign controls.

mod account;
mod campaigns;
mod messages;

pub use account::forget_session;
use account::{remember_session, set_up};
use messages::{add_to_timeline, known_chat, queue, show_received, update_chat, upload};

use std::rc::Rc;

use chorus_shared::account::AccountType;
use chorus_shared::api::{AcceptInvite, CreateInvite, Credentials};
use chorus_shared::endpoints;
use chorus_shared::queue::FileView;
use chorus_shared::team::{
    AddGroup, AssignChat, BulkContacts, ChatStatus, NewContact, UpdateChat, WriteComment,
};
use uuid::Uuid;

use crate::browser::relay::Failure;
use crate::browser::{open_options, save_settings};
use crate::channel::{Hosting, SidebarRequest};
use crate::ui::Tab;

use super::sidebar::App;

type Outcome = Result<(), Failure>;

fn problem(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: None,
    }
}

/// What the user asked for.
pub enum Action {
    /// Open the options page.
    OpenOptions,
    /// Create an account.
    SignUp(Credentials),
    /// Sign in.
    SignIn(Credentials),
    /// Sign out here.
    SignOut,
    /// First use: the user's number and how they use Chorus.
    SetUp {
        /// Their WhatsApp number.
        phone: String,
        /// The country for a number without `+`.
        country: String,
        /// Agent or organization.
        account_type: AccountType,
        /// The organization's name and default country (organizations).
        organization: (String, String),
    },
    /// Show a tab.
    ShowTab(Tab),
    /// Fold the sidebar to a strip, or unfold it.
    Collapse(bool),
    /// Switch profile ("You" is `None`).
    ChooseProfile(Option<Uuid>),
    /// Send a message to a number.
    Send {
        /// The number.
        phone: String,
        /// The text or caption.
        text: String,
        /// A file from the library.
        file: Option<Uuid>,
    },
    /// Open a chat of the list in the sidebar (`None`: back to the list and
    /// the chat open in WhatsApp Web).
    ChooseChat(Option<Uuid>),
    /// Add the group open in WhatsApp Web to the organization's chats.
    AddGroup,
    /// List the chats this filter admits.
    FilterChats(crate::ui::inbox::ChatFilter),
    /// Send into the chat shown (chosen, or open in WhatsApp Web).
    SendInChat(String),
    /// Rename the open chat.
    RenameChat(String),
    /// Resolve or reopen the open chat.
    SetChatStatus(ChatStatus),
    /// Assign the open chat (`None`: unassign).
    Assign(Option<Uuid>),
    /// Comment on the open chat for the team.
    Comment(String),
    /// Filter contacts by search text and tag.
    FilterContacts(String, String),
    /// Tick or untick a contact.
    Select(Uuid, bool),
    /// Tick every contact shown.
    SelectAll,
    /// Send to the ticked contacts.
    SendToSelected {
        /// The text or caption.
        text: String,
        /// A file from the library.
        file: Option<Uuid>,
    },
    /// Delete the ticked contacts.
    DeleteSelected,
    /// Upload a spreadsheet for a campaign.
    UploadSheet(web_sys::File),
    /// Choose the sheet and header row of the uploaded spreadsheet.
    ChooseSheet {
        /// The sheet's name.
        sheet: String,
        /// The header row, from 1.
        header_row: u32,
    },
    /// Create a draft campaign from the form and preview it.
    DraftCampaign {
        /// Its name.
        name: String,
        /// The phone column.
        phone_column: String,
        /// The name column ("" for none).
        name_column: String,
        /// The message with merge fields.
        text: String,
        /// A file from the library.
        file: Option<Uuid>,
        /// A `datetime-local` start ("" to start at once).
        starts_at: String,
    },
    /// Take the draft back to change it.
    DiscardDraft,
    /// Start (or schedule) a draft campaign.
    StartCampaign(Uuid),
    /// Pause a running campaign.
    PauseCampaign(Uuid),
    /// Resume a paused campaign.
    ResumeCampaign(Uuid),
    /// Cancel a campaign.
    CancelCampaign(Uuid),
    /// Add a contact.
    AddContact {
        /// Their number.
        phone: String,
        /// Their name.
        name: String,
        /// Comma-separated tags.
        tags: String,
    },
    /// Fetch a file a customer sent, to show or save it here.
    ShowReceived(FileView),
    /// Upload a file to the library.
    Upload(web_sys::File),
    /// Use a library file in the Send tab.
    UseFile(Uuid),
    /// Delete a library file.
    DeleteFile(Uuid),
    /// Invite someone to an organization.
    Invite {
        /// The organization.
        org_id: Uuid,
        /// Their email.
        email: String,
    },
    /// Accept an invite with its code.
    AcceptInvite(Uuid, String),
    /// Decline an invite.
    DeclineInvite(Uuid),
    /// Host a number in this browser (`None`: stop).
    Host(Option<Hosting>),
    /// Capture incoming messages while hosting.
    Capture(bool),
    /// Nobody uses this browser's WhatsApp Web: capture without waiting.
    DedicatedHost(bool),
    /// How long the page must be left alone before the capture opens chats.
    CaptureIdle(u32),
}

/// Does what `action` asks.
pub async fn perform(app: &Rc<App>, action: Action) -> Outcome {
    match action {
        Action::OpenOptions => open_options(),
        Action::SignUp(credentials) => {
            let session = app
                .relay()
                .call_endpoint(&endpoints::SignUp(credentials))
                .await?;
            remember_session(app, session).await;
        }
        Action::SignIn(credentials) => {
            let session = app
                .relay()
                .call_endpoint(&endpoints::SignIn(credentials))
                .await?;
            remember_session(app, session).await;
        }
        Action::SignOut => {
            let _ = app.relay().call_endpoint(&endpoints::SignOut).await;
            forget_session(app).await;
        }
        Action::SetUp {
            phone,
            country,
            account_type,
            organization,
        } => set_up(app, phone, country, account_type, organization).await?,
        Action::ShowTab(tab) => {
            app.model.borrow_mut().tab = tab;
            app.render();
            app.load_tab().await?;
        }
        Action::Collapse(collapsed) => {
            app.model.borrow_mut().collapsed = collapsed;
            app.tell_worker(&SidebarRequest::Collapse { collapsed });
        }
        Action::ChooseProfile(profile) => {
            let settings = {
                let mut model = app.model.borrow_mut();
                model.settings.profile = profile;
                model.sent.clear();
                model.selected.clear();
                model.chosen_chat = None;
                model.panel = Default::default();
                model.settings.clone()
            };
            save_settings(&settings).await;
            app.load_profile().await?;
        }
        Action::Send { phone, text, file } => {
            let phone = phone.trim().to_owned();
            if phone.is_empty() {
                return Err(problem(
                    "Enter the number to send to, with its country code.",
                ));
            }
            queue(app, Some(phone), None, text.trim(), file).await?;
            app.set_value("send-text", "");
        }
        Action::ChooseChat(chat_id) => {
            {
                let mut model = app.model.borrow_mut();
                model.chosen_chat = chat_id;
                model.panel = Default::default();
            }
            app.render();
            app.load_panel().await?;
            let unread = app
                .model
                .borrow()
                .panel
                .chat
                .clone()
                .filter(|c| c.unread > 0);
            if let Some(chat) = unread {
                // Opening it is reading it, for the whole team.
                let read = app
                    .relay()
                    .call_endpoint(&endpoints::MarkChatRead {
                        organization_id: chat.organization_id,
                        chat_id: chat.id,
                    })
                    .await?;
                app.model.borrow_mut().chat_changed(&read);
            }
        }
        Action::AddGroup => {
            let (organization, group) = {
                let model = app.model.borrow();
                (model.settings.profile, model.group_to_add.clone())
            };
            let Some(group) = group else {
                return Err(problem("Open the group in WhatsApp Web first."));
            };
            let chat = app
                .relay()
                .call_endpoint(&endpoints::AddGroupChat(AddGroup {
                    organization_id: organization,
                    wa_id: group.wa_id,
                    name: group.name,
                }))
                .await?;
            {
                let mut model = app.model.borrow_mut();
                let name = chat.name.clone().unwrap_or_else(|| "The group".into());
                model.notice = Some(if organization.is_some() {
                    format!("{name} is in Chorus now: every member sees it.")
                } else {
                    format!("{name} is in your Chorus chats now.")
                });
                model.chat_changed(&chat);
            }
            app.load_panel().await?;
        }
        Action::FilterChats(filter) => {
            app.model.borrow_mut().chat_filter = filter;
            app.load_chats().await?;
        }
        Action::SendInChat(text) => {
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
            queue(app, phone, chat_id, text.trim(), None).await?;
            app.set_value("chat-text", "");
            app.load_panel().await?;
        }
        Action::RenameChat(name) => {
            let change = UpdateChat {
                status: None,
                name: Some(name.trim().to_owned()),
            };
            update_chat(app, change).await?;
        }
        Action::SetChatStatus(status) => {
            let change = UpdateChat {
                status: Some(status),
                name: None,
            };
            update_chat(app, change).await?;
        }
        Action::Assign(assignee_id) => {
            let chat_id = app.model.borrow().panel.chat.as_ref().map(|c| c.id);
            if let Some(chat_id) = chat_id {
                app.relay()
                    .call_endpoint(&endpoints::AssignTo {
                        organization_id: app.profile(),
                        chat_id,
                        body: AssignChat { assignee_id },
                    })
                    .await?;
                app.load_panel().await?;
            }
        }
        Action::Comment(body) => {
            let chat_id = known_chat(app)?;
            let comment = app
                .relay()
                .call_endpoint(&endpoints::AddComment {
                    organization_id: app.profile(),
                    chat_id,
                    body: WriteComment {
                        body: body.trim().to_owned(),
                    },
                })
                .await?;
            add_to_timeline(&mut app.model.borrow_mut(), comment);
            app.set_value("comment-text", "");
        }
        Action::FilterContacts(q, tag) => {
            app.model.borrow_mut().contacts_filter = (q.trim().to_owned(), tag.trim().to_owned());
            app.load_contacts().await?;
        }
        Action::Select(id, on) => {
            let mut model = app.model.borrow_mut();
            if on {
                model.selected.insert(id);
            } else {
                model.selected.remove(&id);
            }
        }
        Action::SelectAll => {
            let mut model = app.model.borrow_mut();
            let all: Vec<Uuid> = model.contacts.iter().map(|c| c.id).collect();
            model.selected.extend(all);
        }
        Action::SendToSelected { text, file } => {
            campaigns::draft_for_selection(app, text.trim(), file).await?
        }
        Action::DeleteSelected => {
            let ids: Vec<Uuid> = app.model.borrow().selected.iter().copied().collect();
            if ids.is_empty() {
                return Err(problem("Select the contacts to delete first."));
            }
            let organization_id = app.profile();
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
            app.load_contacts().await?;
        }
        Action::AddContact { phone, name, tags } => {
            let tags: Vec<String> = tags
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            let contact = NewContact {
                organization_id: app.profile(),
                phone: phone.trim().to_owned(),
                name: Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
                tags,
                attributes: Default::default(),
            };
            app.relay()
                .call_endpoint(&endpoints::CreateContact(contact))
                .await?;
            for id in ["contact-phone", "contact-name", "contact-tags"] {
                app.set_value(id, "");
            }
            app.model.borrow_mut().contacts_filter = Default::default();
            app.set_value("contacts-q", "");
            app.set_value("contacts-tag", "");
            app.load_contacts().await?;
        }
        Action::ShowReceived(file) => show_received(app, file).await?,
        Action::UploadSheet(file) => campaigns::upload_sheet(app, file).await?,
        Action::ChooseSheet { sheet, header_row } => {
            campaigns::choose_sheet(app, sheet, header_row)
        }
        Action::DraftCampaign {
            name,
            phone_column,
            name_column,
            text,
            file,
            starts_at,
        } => {
            let form = campaigns::Form {
                name,
                phone_column,
                name_column,
                text,
                file,
                starts_at,
            };
            campaigns::draft(app, form).await?
        }
        Action::DiscardDraft => campaigns::discard(app).await?,
        Action::StartCampaign(id) => campaigns::start(app, id).await?,
        Action::PauseCampaign(id) => campaigns::control(app, id, campaigns::Control::Pause).await?,
        Action::ResumeCampaign(id) => {
            campaigns::control(app, id, campaigns::Control::Resume).await?
        }
        Action::CancelCampaign(id) => {
            campaigns::control(app, id, campaigns::Control::Cancel).await?
        }
        Action::Upload(file) => upload(app, file).await?,
        Action::UseFile(file_id) => {
            app.model.borrow_mut().tab = Tab::Send;
            app.set_value("send-file", &file_id.to_string());
        }
        Action::DeleteFile(file_id) => {
            app.relay()
                .call_endpoint(&endpoints::DeleteFile {
                    organization_id: app.profile(),
                    file_id,
                })
                .await?;
            app.model
                .borrow_mut()
                .files
                .retain(|file| file.id != file_id);
        }
        Action::Invite { org_id, email } => {
            let invite = app
                .relay()
                .call_endpoint(&endpoints::SendInvitation {
                    org_id,
                    invite: CreateInvite {
                        email: email.trim().to_owned(),
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
        Action::AcceptInvite(invite_id, typed) => {
            // Checked here too, so a typo is said before any request.
            let code = chorus_shared::limits::format_invite_code(
                &chorus_shared::limits::normalise_invite_code(&typed).map_err(problem)?,
            );
            app.relay()
                .call_endpoint(&endpoints::AcceptInvitation {
                    invite_id,
                    answer: AcceptInvite {
                        confirm: true,
                        code: Some(code),
                    },
                })
                .await?;
            app.model.borrow_mut().notice =
                Some("You joined the organization: switch to it above.".into());
            // The live connection must now listen to the new organization too.
            app.tell_worker(&SidebarRequest::SettingsChanged);
            app.load_profile().await?;
        }
        Action::DeclineInvite(invite_id) => {
            app.relay()
                .call_endpoint(&endpoints::DeclineInvitation { invite_id })
                .await?;
            app.model.borrow_mut().notice = Some("Invite declined.".into());
            app.load_profile().await?;
        }
        Action::Host(hosting) => {
            change_settings(app, |settings| settings.hosting = hosting).await;
            app.load_tab().await?;
        }
        Action::Capture(capture) => {
            change_settings(app, |settings| settings.capture = capture).await;
        }
        Action::DedicatedHost(dedicated) => {
            change_settings(app, |settings| settings.dedicated_host = dedicated).await;
        }
        Action::CaptureIdle(seconds) => {
            change_settings(app, |settings| {
                settings.capture_idle_seconds = Some(seconds);
            })
            .await;
        }
    }
    Ok(())
}

/// Changes the shared settings, saves them and has the worker reload them.
async fn change_settings(app: &App, change: impl FnOnce(&mut crate::channel::Settings)) {
    let settings = {
        let mut model = app.model.borrow_mut();
        change(&mut model.settings);
        model.settings.clone()
    };
    save_settings(&settings).await;
    app.tell_worker(&SidebarRequest::SettingsChanged);
}
