//! Operations that take no body: reads of a user's account, a profile's
//! data and chats, and signing out.

use uuid::Uuid;

use super::{profile, query, Endpoint, Method};
use crate::api::{InviteList, MemberList, MyOrganizations, Organization, ProfileList, User};
use crate::queue::{Credits, MessagePage, QueueSummary};
use crate::team::{
    ChangePage, ChatPage, ChatStatus, ChatView, ContactPage, FileList, GroupView, Timeline,
};

/// Declares an operation with a fixed path and no body.
macro_rules! fixed {
    ($(#[$doc:meta])* $name:ident, $method:ident, $template:literal, $reply:ty) => {
        $(#[$doc])*
        pub struct $name;

        impl Endpoint for $name {
            const METHOD: Method = Method::$method;
            const TEMPLATE: &'static str = $template;
            type Body = ();
            type Reply = $reply;
            fn path(&self) -> String {
                Self::TEMPLATE.to_owned()
            }
        }
    };
}

/// Declares a read of one profile's data (`?organization_id=`, or "You").
macro_rules! of_profile {
    ($(#[$doc:meta])* $name:ident, $template:literal, $reply:ty) => {
        $(#[$doc])*
        pub struct $name {
            /// The organization profile; `None` for "You".
            pub organization_id: Option<Uuid>,
        }

        impl Endpoint for $name {
            const METHOD: Method = Method::Get;
            const TEMPLATE: &'static str = $template;
            type Body = ();
            type Reply = $reply;
            fn path(&self) -> String {
                format!("{}{}", Self::TEMPLATE, query(&[profile(self.organization_id)]))
            }
        }
    };
}

fixed!(
    /// `GET /me`: the signed-in user.
    Me, Get, "/me", User
);
fixed!(
    /// `GET /profiles`: "You" and each organization.
    Profiles, Get, "/profiles", ProfileList
);
fixed!(
    /// `GET /orgs`: organizations joined and invites waiting.
    MyOrgs, Get, "/orgs", MyOrganizations
);
fixed!(
    /// `POST /auth/signout`: ends the session (204, no body).
    SignOut, Post, "/auth/signout", serde_json::Value
);
of_profile!(
    /// `GET /files`: a profile's library.
    Files, "/files", FileList
);
of_profile!(
    /// `GET /credits`: a profile's balance.
    Balance, "/credits", Credits
);
of_profile!(
    /// `GET /queue`: what waits for a profile's host.
    Queue, "/queue", QueueSummary
);
of_profile!(
    /// `GET /groups`: groups the host has seen, and whether each is added.
    Groups, "/groups", Vec<GroupView>
);

/// `GET /orgs/{org_id}/members`.
pub struct Members {
    /// The organization.
    pub org_id: Uuid,
}

impl Endpoint for Members {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/orgs/{org_id}/members";
    type Body = ();
    type Reply = MemberList;
    fn path(&self) -> String {
        format!("/orgs/{}/members", self.org_id)
    }
}

/// `GET /contacts`: a profile's contacts, filtered.
pub struct Contacts {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// Name or digits to look for.
    pub q: Option<String>,
    /// Only contacts with this tag.
    pub tag: Option<String>,
    /// Page size.
    pub limit: u32,
}

impl Endpoint for Contacts {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/contacts";
    type Body = ();
    type Reply = ContactPage;
    fn path(&self) -> String {
        let pairs = [
            profile(self.organization_id),
            ("q", self.q.clone()),
            ("tag", self.tag.clone()),
            ("limit", Some(self.limit.to_string())),
        ];
        format!("{}{}", Self::TEMPLATE, query(&pairs))
    }
}

/// `GET /chats`: a profile's chats, newest activity first.
pub struct Chats {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// `mine`, `unassigned`, or `None` for anyone's.
    pub assignee: Option<String>,
    /// Only open or only resolved chats.
    pub status: Option<ChatStatus>,
    /// Name or digits to look for.
    pub q: Option<String>,
    /// Page size.
    pub limit: u32,
}

impl Endpoint for Chats {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/chats";
    type Body = ();
    type Reply = ChatPage;
    fn path(&self) -> String {
        let pairs = [
            profile(self.organization_id),
            ("assignee", self.assignee.clone()),
            (
                "status",
                self.status.map(|status| status.as_str().to_owned()),
            ),
            ("q", self.q.clone()),
            ("limit", Some(self.limit.to_string())),
        ];
        format!("{}{}", Self::TEMPLATE, query(&pairs))
    }
}

of_chat!(
    /// `GET /chats/{chat_id}/timeline`: messages and comments of a chat.
    ChatTimeline, Get, "/chats/{chat_id}/timeline", "/timeline", Timeline
);
of_chat!(
    /// `GET /chats/{chat_id}`: one chat of a profile.
    Chat, Get, "/chats/{chat_id}", "", ChatView
);

/// `GET /changes`: chats, comments, contacts and files changed after a
/// cursor (`<seq>` or `<seq>:<id>`).
pub struct Changes {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The cursor of the previous page.
    pub after: String,
    /// Most changes of each kind.
    pub limit: u32,
}

impl Endpoint for Changes {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/changes";
    type Body = ();
    type Reply = ChangePage;
    fn path(&self) -> String {
        let pairs = [
            profile(self.organization_id),
            ("after", Some(self.after.clone())),
            ("limit", Some(self.limit.to_string())),
        ];
        format!("{}{}", Self::TEMPLATE, query(&pairs))
    }
}

/// `GET /messages`: a profile's messages after a feed position.
pub struct MessageFeed {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// Feed position to start after.
    pub after: i64,
    /// Page size.
    pub limit: u32,
}

impl Endpoint for MessageFeed {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/messages";
    type Body = ();
    type Reply = MessagePage;
    fn path(&self) -> String {
        let pairs = [
            profile(self.organization_id),
            ("after", Some(self.after.to_string())),
            ("limit", Some(self.limit.to_string())),
        ];
        format!("{}{}", Self::TEMPLATE, query(&pairs))
    }
}

/// `GET /orgs/{org_id}/invites`: every invite of an organization (admins).
pub struct Invites {
    /// The organization.
    pub org_id: Uuid,
}

impl Endpoint for Invites {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/orgs/{org_id}/invites";
    type Body = ();
    type Reply = InviteList;
    fn path(&self) -> String {
        format!("/orgs/{}/invites", self.org_id)
    }
}

/// `GET /orgs/{org_id}`: an organization, with its pacing (members).
pub struct OrganizationDetails {
    /// The organization.
    pub org_id: Uuid,
}

impl Endpoint for OrganizationDetails {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/orgs/{org_id}";
    type Body = ();
    type Reply = Organization;
    fn path(&self) -> String {
        format!("/orgs/{}", self.org_id)
    }
}

/// `GET /files/{file_id}/content`: a file's bytes (a library file, or one a
/// customer sent).
pub struct FileContent {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The file.
    pub file_id: Uuid,
}

impl Endpoint for FileContent {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/files/{file_id}/content";
    type Body = ();
    type Reply = ();
    fn path(&self) -> String {
        format!(
            "/files/{}/content{}",
            self.file_id,
            query(&[profile(self.organization_id)])
        )
    }
}
