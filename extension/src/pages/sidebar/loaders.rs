//! Loading what the sidebar shows from the relay: the account, the chosen
//! profile, the tab's data, the chat list and panel, and the catch-up after
//! a reconnection.

use std::rc::Rc;

use chorus_shared::endpoints;
use chorus_shared::team::TimelineItem;

use crate::browser::relay::Failure;
use crate::ui::{ChatPanel, Tab, Team};

use super::App;

impl App {
    /// Loads the user, then their profiles and the chosen profile's data.
    pub async fn load_account(self: &Rc<Self>) {
        if self.model.borrow().settings.session.is_none() {
            return;
        }
        let outcome = async {
            let user = self.relay().call_endpoint(&endpoints::Me).await?;
            let ready = user.account_type.is_some() && user.phone.is_some();
            self.model.borrow_mut().user = Some(user);
            if ready {
                self.load_profile().await?;
            }
            Ok::<(), Failure>(())
        }
        .await;
        if let Err(failure) = outcome {
            self.fail(failure).await;
        }
        self.render();
    }

    /// Loads what the chosen profile shows: credits, chats, members, tab.
    pub async fn load_profile(self: &Rc<Self>) -> Result<(), Failure> {
        let relay = self.relay();
        let profiles = relay.call_endpoint(&endpoints::Profiles).await?;
        {
            let mut model = self.model.borrow_mut();
            let chosen = model.settings.profile;
            if !profiles
                .profiles
                .iter()
                .any(|p| p.organization_id == chosen)
            {
                model.settings.profile = None;
            }
            model.profiles = profiles.profiles;
        }
        let organization = self.profile();
        let credits = relay
            .call_endpoint(&endpoints::Balance {
                organization_id: organization,
            })
            .await?;
        let feed = relay
            .call_endpoint(&endpoints::MessageFeed {
                organization_id: organization,
                after: 0,
                limit: 1,
            })
            .await?;
        let chats = relay.call_endpoint(&self.chat_list()).await?;
        let members = match organization {
            Some(org_id) => {
                relay
                    .call_endpoint(&endpoints::Members { org_id })
                    .await?
                    .members
            }
            None => Vec::new(),
        };
        let files = relay
            .call_endpoint(&endpoints::Files {
                organization_id: organization,
            })
            .await?;
        {
            let mut model = self.model.borrow_mut();
            model
                .credits
                .insert(organization, (credits.available, credits.reserved));
            model.host_online.insert(organization, feed.host_online);
            // Read before the rest: what changes after it is caught up on.
            model.cursor = Some(feed.head);
            model.chats = chats.chats;
            model.members = members;
            model.files = files.files;
        }
        self.load_panel().await?;
        self.load_tab().await
    }

    /// Loads the data of the tab shown.
    pub async fn load_tab(self: &Rc<Self>) -> Result<(), Failure> {
        let relay = self.relay();
        let tab = self.model.borrow().tab;
        match tab {
            Tab::Files | Tab::Send => {
                let files = relay
                    .call_endpoint(&endpoints::Files {
                        organization_id: self.profile(),
                    })
                    .await?;
                self.model.borrow_mut().files = files.files;
            }
            Tab::Contacts => self.load_contacts().await?,
            Tab::Campaigns => {
                self.load_campaigns().await?;
                let pacing = relay
                    .call_endpoint(&endpoints::Pacing {
                        organization_id: self.profile(),
                    })
                    .await?;
                self.model.borrow_mut().pacing = Some(pacing);
                let files = relay
                    .call_endpoint(&endpoints::Files {
                        organization_id: self.profile(),
                    })
                    .await?;
                self.model.borrow_mut().files = files.files;
            }
            Tab::Team => {
                let organizations = relay.call_endpoint(&endpoints::MyOrgs).await?;
                let mut teams = std::collections::HashMap::new();
                for membership in &organizations.organizations {
                    if membership.role != chorus_shared::account::Role::Admin {
                        continue;
                    }
                    let id = membership.organization.id;
                    let members = relay
                        .call_endpoint(&endpoints::Members { org_id: id })
                        .await?;
                    let invites = relay
                        .call_endpoint(&endpoints::Invites { org_id: id })
                        .await?;
                    teams.insert(
                        id,
                        Team {
                            members: members.members,
                            invites: invites.invites,
                        },
                    );
                }
                let mut model = self.model.borrow_mut();
                model.organizations = organizations;
                model.teams = teams;
            }
            Tab::Host => {
                let hosting = self.model.borrow().settings.hosting;
                let queue = match hosting {
                    Some(hosting) => Some(
                        relay
                            .call_endpoint(&endpoints::Queue {
                                organization_id: hosting.organization_id,
                            })
                            .await?,
                    ),
                    None => None,
                };
                self.model.borrow_mut().queue = queue;
            }
            Tab::Chat => {}
        }
        Ok(())
    }

    /// Loads the profile's campaigns with their progress.
    pub async fn load_campaigns(&self) -> Result<(), Failure> {
        let list = self
            .relay()
            .call_endpoint(&endpoints::Campaigns {
                organization_id: self.profile(),
            })
            .await?;
        self.model.borrow_mut().campaigns = list.campaigns;
        Ok(())
    }

    /// Loads the contacts matching the filter in force.
    pub async fn load_contacts(&self) -> Result<(), Failure> {
        let (q, tag) = self.model.borrow().contacts_filter.clone();
        let page = self
            .relay()
            .call_endpoint(&endpoints::Contacts {
                organization_id: self.profile(),
                q: Some(q).filter(|q| !q.is_empty()),
                tag: Some(tag).filter(|tag| !tag.is_empty()),
                limit: 200,
            })
            .await?;
        let mut model = self.model.borrow_mut();
        model.contacts = page.contacts;
        model.contacts_total = page.total;
        let visible: std::collections::BTreeSet<_> = model.contacts.iter().map(|c| c.id).collect();
        model.selected.retain(|id| visible.contains(id));
        Ok(())
    }

    /// After a reconnection: everything that changed since the cursor, from
    /// the message feed and the teamwork feed, page by page, applied as if
    /// it had come live; chats whose messages moved are read again. Without
    /// a cursor (nothing loaded yet), the profile loads afresh.
    pub async fn catch_up(self: &Rc<Self>) -> Result<(), Failure> {
        let (organization, cursor) = {
            let model = self.model.borrow();
            (model.settings.profile, model.cursor)
        };
        let Some(after) = cursor.filter(|_| !self.model.borrow().profiles.is_empty()) else {
            return self.load_profile().await;
        };
        let relay = self.relay();
        let mut moved = std::collections::BTreeSet::new();
        let mut at = after;
        loop {
            let page = relay
                .call_endpoint(&endpoints::MessageFeed {
                    organization_id: organization,
                    after: at,
                    limit: 200,
                })
                .await?;
            let mut model = self.model.borrow_mut();
            model.host_online.insert(organization, page.host_online);
            for message in &page.messages {
                model.note_seq(message.seq);
                model.message_changed(message);
                moved.insert(message.chat_id);
            }
            at = page.cursor;
            if !page.more {
                break;
            }
        }
        let mut files_changed = false;
        let mut cursor = after.to_string();
        loop {
            let page = relay
                .call_endpoint(&endpoints::Changes {
                    organization_id: organization,
                    after: cursor,
                    limit: 200,
                })
                .await?;
            let mut model = self.model.borrow_mut();
            for chat in &page.chats {
                model.note_seq(chat.seq);
                model.chat_changed(chat);
                moved.remove(&chat.id);
            }
            for comment in &page.comments {
                model.comment_changed(comment);
            }
            for contact in &page.contacts {
                model.contact_changed(contact);
            }
            files_changed |= !page.files.is_empty();
            cursor = page.cursor;
            if !page.more {
                break;
            }
        }
        // A message moves its chat in the list (last message, unread).
        for chat_id in moved {
            match relay
                .call_endpoint(&endpoints::Chat {
                    organization_id: organization,
                    chat_id,
                })
                .await
            {
                Ok(chat) => self.model.borrow_mut().chat_changed(&chat),
                // Another tenant's or gone: nothing to show.
                Err(failure) if !failure.signed_out() => {}
                Err(failure) => return Err(failure),
            }
        }
        let credits = relay
            .call_endpoint(&endpoints::Balance {
                organization_id: organization,
            })
            .await?;
        self.model
            .borrow_mut()
            .credits
            .insert(organization, (credits.available, credits.reserved));
        if files_changed {
            self.load_tab().await?;
        }
        Ok(())
    }

    /// The list request for the profile's chats under the filter in force.
    fn chat_list(&self) -> endpoints::Chats {
        let model = self.model.borrow();
        let filter = &model.chat_filter;
        endpoints::Chats {
            organization_id: model.settings.profile,
            assignee: filter.assignee_param(),
            status: filter.status,
            q: filter.search_param(),
            limit: 30,
        }
    }

    /// Loads the chat list again (its filter changed).
    pub async fn load_chats(&self) -> Result<(), Failure> {
        let chats = self.relay().call_endpoint(&self.chat_list()).await?;
        self.model.borrow_mut().chats = chats.chats;
        Ok(())
    }

    /// Loads the panel's chat: the one chosen from the list, or else the
    /// one open in WhatsApp Web, found among the profile's chats.
    pub async fn load_panel(&self) -> Result<(), Failure> {
        let chosen = self.model.borrow().chosen_chat;
        if let Some(chat_id) = chosen {
            return self.load_timeline(chat_id).await;
        }
        let wa_id = self
            .model
            .borrow()
            .open_chat
            .as_ref()
            .and_then(|chat| chat.wa_id.clone());
        let Some(wa_id) = wa_id else {
            self.model.borrow_mut().panel = ChatPanel::default();
            return Ok(());
        };
        if self.model.borrow().user.is_none() || self.model.borrow().profiles.is_empty() {
            return Ok(());
        }
        self.model.borrow_mut().group_to_add = None;
        if wa_id.ends_with("@g.us") {
            return self.load_group_panel(&wa_id).await;
        }
        let digits: String = wa_id.chars().take_while(char::is_ascii_digit).collect();
        let organization = self.model.borrow().settings.profile;
        let page = self
            .relay()
            .call_endpoint(&endpoints::Chats {
                organization_id: organization,
                assignee: None,
                status: None,
                q: Some(digits),
                limit: 20,
            })
            .await?;
        let Some(chat) = page.chats.into_iter().find(|chat| chat.wa_id == wa_id) else {
            self.model.borrow_mut().panel = ChatPanel::default();
            return Ok(());
        };
        self.load_timeline(chat.id).await
    }

    /// The panel of a group open in WhatsApp Web: its chat once added, or
    /// the offer to add it.
    async fn load_group_panel(&self, wa_id: &str) -> Result<(), Failure> {
        let organization = self.model.borrow().settings.profile;
        let groups = self
            .relay()
            .call_endpoint(&endpoints::Groups {
                organization_id: organization,
            })
            .await?;
        match groups.into_iter().find(|group| group.wa_id == wa_id) {
            Some(group) if group.added => self.load_timeline(group.chat_id).await,
            found => {
                let mut model = self.model.borrow_mut();
                model.panel = ChatPanel::default();
                // Not seen by the host yet: offer it as the page shows it.
                model.group_to_add =
                    Some(found.unwrap_or_else(|| chorus_shared::team::GroupView {
                        chat_id: uuid::Uuid::nil(),
                        wa_id: wa_id.to_owned(),
                        name: model.open_chat.as_ref().map(|chat| chat.title.clone()),
                        added: false,
                    }));
                Ok(())
            }
        }
    }

    /// Loads a chat of the profile and its timeline into the panel.
    async fn load_timeline(&self, chat_id: uuid::Uuid) -> Result<(), Failure> {
        let organization = self.model.borrow().settings.profile;
        // Members come and go: the assignee list must offer today's.
        if let Some(id) = organization {
            let members = self
                .relay()
                .call_endpoint(&endpoints::Members { org_id: id })
                .await?;
            self.model.borrow_mut().members = members.members;
        }
        let timeline = self
            .relay()
            .call_endpoint(&endpoints::ChatTimeline {
                organization_id: organization,
                chat_id,
            })
            .await?;
        let mut items = timeline.items;
        items.sort_by_key(|item| match item {
            TimelineItem::Message { message } => message.id,
            TimelineItem::Comment { comment } => comment.id,
        });
        self.model.borrow_mut().panel = ChatPanel {
            chat: Some(timeline.chat),
            timeline: items,
        };
        Ok(())
    }
}
