//! The relay's REST operations, declared once: method, path, body and
//! answer. The extension calls the relay only through these, and a relay
//! test checks each against the OpenAPI document the routes produce, so a
//! renamed path or field breaks a build or a test rather than a user's click.
//!
//! Paths are relative to `/api/v1`; [`Endpoint::TEMPLATE`] is written as the
//! OpenAPI document writes it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::api::{
    AcceptInvite, AccountSetup, ChooseAccountType, CreateInvite, Credentials, Invite, InviteList,
    MemberList, MyOrganizations, ProfileList, Session, SetPhone, User,
};
use crate::queue::{Credits, FileView, MessagePage, QueueSummary};
use crate::team::{
    AssignChat, BulkContacts, BulkResult, ChatPage, ChatView, CommentView, ContactPage,
    ContactView, FileList, NewContact, Timeline, UpdateChat, WriteComment,
};

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Creates or acts.
    Post,
    /// Replaces.
    Put,
    /// Changes some fields.
    Patch,
    /// Removes.
    Delete,
}

impl Method {
    /// As HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// One operation of the API.
pub trait Endpoint {
    /// Its method.
    const METHOD: Method;
    /// Its path under `/api/v1`, with `{name}` for path parameters.
    const TEMPLATE: &'static str;
    /// The JSON body (`()` for none).
    type Body: Serialize;
    /// The answer's body.
    type Reply: DeserializeOwned;
    /// The path with its parameters and query string filled in.
    fn path(&self) -> String;
    /// The body to send, if the operation takes one.
    fn body(&self) -> Option<&Self::Body> {
        None
    }
}

/// Every declared operation, for the relay's check against its document.
pub const ALL: &[(Method, &str)] = &[
    (Me::METHOD, Me::TEMPLATE),
    (Profiles::METHOD, Profiles::TEMPLATE),
    (MyOrgs::METHOD, MyOrgs::TEMPLATE),
    (Members::METHOD, Members::TEMPLATE),
    (Files::METHOD, Files::TEMPLATE),
    (Contacts::METHOD, Contacts::TEMPLATE),
    (Chats::METHOD, Chats::TEMPLATE),
    (ChatTimeline::METHOD, ChatTimeline::TEMPLATE),
    (Balance::METHOD, Balance::TEMPLATE),
    (MessageFeed::METHOD, MessageFeed::TEMPLATE),
    (Invites::METHOD, Invites::TEMPLATE),
    (Queue::METHOD, Queue::TEMPLATE),
    (SignUp::METHOD, SignUp::TEMPLATE),
    (SignIn::METHOD, SignIn::TEMPLATE),
    (SignOut::METHOD, SignOut::TEMPLATE),
    (RegisterPhone::METHOD, RegisterPhone::TEMPLATE),
    (SetAccountType::METHOD, SetAccountType::TEMPLATE),
    (SendInvitation::METHOD, SendInvitation::TEMPLATE),
    (AcceptInvitation::METHOD, AcceptInvitation::TEMPLATE),
    (DeclineInvitation::METHOD, DeclineInvitation::TEMPLATE),
    (CreateContact::METHOD, CreateContact::TEMPLATE),
    (DeleteContacts::METHOD, DeleteContacts::TEMPLATE),
    (DeleteFile::METHOD, DeleteFile::TEMPLATE),
    (AddComment::METHOD, AddComment::TEMPLATE),
    (AssignTo::METHOD, AssignTo::TEMPLATE),
    (ChangeChat::METHOD, ChangeChat::TEMPLATE),
];

/// A query string built from pairs, leaving out those without a value.
fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={}", encode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn profile(organization_id: Option<Uuid>) -> (&'static str, Option<String>) {
    ("organization_id", organization_id.map(|id| id.to_string()))
}

/// `GET /me`: the signed-in user.
pub struct Me;

impl Endpoint for Me {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/me";
    type Body = ();
    type Reply = User;
    fn path(&self) -> String {
        Self::TEMPLATE.to_owned()
    }
}

/// `GET /profiles`: "You" and each organization.
pub struct Profiles;

impl Endpoint for Profiles {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/profiles";
    type Body = ();
    type Reply = ProfileList;
    fn path(&self) -> String {
        Self::TEMPLATE.to_owned()
    }
}

/// `GET /orgs`: organizations joined and invites waiting.
pub struct MyOrgs;

impl Endpoint for MyOrgs {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/orgs";
    type Body = ();
    type Reply = MyOrganizations;
    fn path(&self) -> String {
        Self::TEMPLATE.to_owned()
    }
}

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

/// `GET /files`: a profile's library.
pub struct Files {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
}

impl Endpoint for Files {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/files";
    type Body = ();
    type Reply = FileList;
    fn path(&self) -> String {
        format!(
            "{}{}",
            Self::TEMPLATE,
            query(&[profile(self.organization_id)])
        )
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
            ("q", self.q.clone()),
            ("limit", Some(self.limit.to_string())),
        ];
        format!("{}{}", Self::TEMPLATE, query(&pairs))
    }
}

/// `GET /chats/{chat_id}/timeline`: messages and comments of a chat.
pub struct ChatTimeline {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The chat.
    pub chat_id: Uuid,
}

impl Endpoint for ChatTimeline {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/chats/{chat_id}/timeline";
    type Body = ();
    type Reply = Timeline;
    fn path(&self) -> String {
        format!(
            "/chats/{}/timeline{}",
            self.chat_id,
            query(&[profile(self.organization_id)])
        )
    }
}

/// `GET /credits`: a profile's balance.
pub struct Balance {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
}

impl Endpoint for Balance {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/credits";
    type Body = ();
    type Reply = Credits;
    fn path(&self) -> String {
        format!(
            "{}{}",
            Self::TEMPLATE,
            query(&[profile(self.organization_id)])
        )
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

/// `GET /queue`: what waits for a profile's host.
pub struct Queue {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
}

impl Endpoint for Queue {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/queue";
    type Body = ();
    type Reply = QueueSummary;
    fn path(&self) -> String {
        format!(
            "{}{}",
            Self::TEMPLATE,
            query(&[profile(self.organization_id)])
        )
    }
}

/// Declares an operation with a JSON body and a fixed path.
macro_rules! with_body {
    ($(#[$doc:meta])* $name:ident, $method:ident, $template:literal, $body:ty, $reply:ty) => {
        $(#[$doc])*
        pub struct $name(pub $body);

        impl Endpoint for $name {
            const METHOD: Method = Method::$method;
            const TEMPLATE: &'static str = $template;
            type Body = $body;
            type Reply = $reply;
            fn path(&self) -> String {
                Self::TEMPLATE.to_owned()
            }
            fn body(&self) -> Option<&Self::Body> {
                Some(&self.0)
            }
        }
    };
}

with_body!(
    /// `POST /auth/signup`: a new account and its first session.
    SignUp, Post, "/auth/signup", Credentials, Session
);
with_body!(
    /// `POST /auth/signin`.
    SignIn, Post, "/auth/signin", Credentials, Session
);
with_body!(
    /// `PUT /me/phone`: the user's own number.
    RegisterPhone, Put, "/me/phone", SetPhone, User
);
with_body!(
    /// `PUT /me/account-type`, chosen once.
    SetAccountType, Put, "/me/account-type", ChooseAccountType, AccountSetup
);
with_body!(
    /// `POST /contacts`.
    CreateContact, Post, "/contacts", NewContact, ContactView
);
with_body!(
    /// `POST /contacts/bulk-delete` (admins, in an organization).
    DeleteContacts, Post, "/contacts/bulk-delete", BulkContacts, BulkResult
);

/// `POST /auth/signout`: ends the session (204, no body).
pub struct SignOut;

impl Endpoint for SignOut {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/auth/signout";
    type Body = ();
    type Reply = serde_json::Value;
    fn path(&self) -> String {
        Self::TEMPLATE.to_owned()
    }
}

/// `POST /orgs/{org_id}/invites` (admins): the answer carries the code once.
pub struct SendInvitation {
    /// The organization.
    pub org_id: Uuid,
    /// Whom to invite.
    pub invite: CreateInvite,
}

impl Endpoint for SendInvitation {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/orgs/{org_id}/invites";
    type Body = CreateInvite;
    type Reply = Invite;
    fn path(&self) -> String {
        format!("/orgs/{}/invites", self.org_id)
    }
    fn body(&self) -> Option<&Self::Body> {
        Some(&self.invite)
    }
}

/// `POST /invites/{invite_id}/accept`, with the invite's code.
pub struct AcceptInvitation {
    /// The invite.
    pub invite_id: Uuid,
    /// The confirmation and the code.
    pub answer: AcceptInvite,
}

impl Endpoint for AcceptInvitation {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/invites/{invite_id}/accept";
    type Body = AcceptInvite;
    type Reply = Invite;
    fn path(&self) -> String {
        format!("/invites/{}/accept", self.invite_id)
    }
    fn body(&self) -> Option<&Self::Body> {
        Some(&self.answer)
    }
}

/// `POST /invites/{invite_id}/decline`.
pub struct DeclineInvitation {
    /// The invite.
    pub invite_id: Uuid,
}

impl Endpoint for DeclineInvitation {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/invites/{invite_id}/decline";
    type Body = ();
    type Reply = Invite;
    fn path(&self) -> String {
        format!("/invites/{}/decline", self.invite_id)
    }
}

/// `DELETE /files/{file_id}`.
pub struct DeleteFile {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The file.
    pub file_id: Uuid,
}

impl Endpoint for DeleteFile {
    const METHOD: Method = Method::Delete;
    const TEMPLATE: &'static str = "/files/{file_id}";
    type Body = ();
    type Reply = FileView;
    fn path(&self) -> String {
        format!(
            "/files/{}{}",
            self.file_id,
            query(&[profile(self.organization_id)])
        )
    }
}

/// Declares an operation on one chat of a profile, with a JSON body.
macro_rules! on_chat {
    ($(#[$doc:meta])* $name:ident, $method:ident, $template:literal, $suffix:literal, $body:ty, $reply:ty) => {
        $(#[$doc])*
        pub struct $name {
            /// The organization profile; `None` for "You".
            pub organization_id: Option<Uuid>,
            /// The chat.
            pub chat_id: Uuid,
            /// What to send.
            pub body: $body,
        }

        impl Endpoint for $name {
            const METHOD: Method = Method::$method;
            const TEMPLATE: &'static str = $template;
            type Body = $body;
            type Reply = $reply;
            fn path(&self) -> String {
                format!(
                    "/chats/{}{}{}",
                    self.chat_id,
                    $suffix,
                    query(&[profile(self.organization_id)])
                )
            }
            fn body(&self) -> Option<&Self::Body> {
                Some(&self.body)
            }
        }
    };
}

on_chat!(
    /// `POST /chats/{chat_id}/comments`: an internal note.
    AddComment, Post, "/chats/{chat_id}/comments", "/comments", WriteComment, CommentView
);
on_chat!(
    /// `PUT /chats/{chat_id}/assignee`.
    AssignTo, Put, "/chats/{chat_id}/assignee", "/assignee", AssignChat, ChatView
);
on_chat!(
    /// `PATCH /chats/{chat_id}`: status or name.
    ChangeChat, Patch, "/chats/{chat_id}", "", UpdateChat, ChatView
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_parameters_and_encode_queries() {
        let org = Uuid::nil();
        assert_eq!(
            Contacts {
                organization_id: Some(org),
                q: Some("Ana & Bo".into()),
                tag: None,
                limit: 200
            }
            .path(),
            format!("/contacts?organization_id={org}&q=Ana%20%26%20Bo&limit=200")
        );
        assert_eq!(
            Files {
                organization_id: None
            }
            .path(),
            "/files"
        );
        assert_eq!(
            ChatTimeline {
                organization_id: None,
                chat_id: org
            }
            .path(),
            format!("/chats/{org}/timeline")
        );
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn every_template_fills_to_a_path_of_its_shape() {
        let id = Uuid::nil();
        let filled = [
            Members { org_id: id }.path(),
            ChatTimeline {
                organization_id: None,
                chat_id: id,
            }
            .path(),
        ];
        for (path, template) in filled
            .iter()
            .zip([Members::TEMPLATE, ChatTimeline::TEMPLATE])
        {
            let shape: Vec<bool> = template
                .split('/')
                .map(|part| part.starts_with('{'))
                .collect();
            assert_eq!(path.split('/').count(), shape.len(), "{path} vs {template}");
        }
    }
}
