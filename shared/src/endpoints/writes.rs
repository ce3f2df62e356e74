//! Operations that change something: accounts, invites, contacts, files
//! and chats.

use uuid::Uuid;

use super::{profile, query, Endpoint, Method};
use crate::api::{
    AcceptInvite, AccountSetup, ChooseAccountType, CreateInvite, Credentials, Invite, Session,
    SetPhone, User,
};
use crate::queue::{FileView, MessageView, SendAnswer, SendMessage};
use crate::team::{
    AddGroup, AssignChat, BulkContacts, BulkResult, ChatView, CommentView, ContactView, NewContact,
    UpdateChat, WriteComment,
};

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
    /// `POST /groups`: an admin adds a group the host has seen to the chats.
    AddGroupChat, Post, "/groups", AddGroup, ChatView
);
with_body!(
    /// `POST /contacts`.
    CreateContact, Post, "/contacts", NewContact, ContactView
);
with_body!(
    /// `POST /contacts/bulk-delete` (admins, in an organization).
    DeleteContacts, Post, "/contacts/bulk-delete", BulkContacts, BulkResult
);

with_body!(
    /// `POST /messages`: queues a message (or keeps it as a comment when the
    /// chat is someone else's); the answer depends on the status.
    QueueMessage, Post, "/messages", SendMessage, SendAnswer
);

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

of_chat!(
    /// `POST /chats/{chat_id}/read`: its incoming messages are read (for
    /// every member).
    MarkChatRead, Post, "/chats/{chat_id}/read", "/read", ChatView
);

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

/// `POST /files`: uploads a file; its bytes are the body (so the client
/// sends them itself, not as JSON).
pub struct UploadFile {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The name the recipient will see.
    pub name: String,
}

impl Endpoint for UploadFile {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/files";
    type Body = ();
    type Reply = FileView;
    fn path(&self) -> String {
        format!(
            "{}{}",
            Self::TEMPLATE,
            query(&[
                profile(self.organization_id),
                ("name", Some(self.name.clone()))
            ])
        )
    }
}

/// `PUT /messages/{message_id}/media`: the host uploads the bytes of a file
/// a customer sent (the body is the bytes).
pub struct AttachReceivedMedia {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The incoming message.
    pub message_id: Uuid,
    /// The file's name as WhatsApp Web showed it.
    pub name: Option<String>,
}

impl Endpoint for AttachReceivedMedia {
    const METHOD: Method = Method::Put;
    const TEMPLATE: &'static str = "/messages/{message_id}/media";
    type Body = ();
    type Reply = MessageView;
    fn path(&self) -> String {
        format!(
            "/messages/{}/media{}",
            self.message_id,
            query(&[profile(self.organization_id), ("name", self.name.clone())])
        )
    }
}
