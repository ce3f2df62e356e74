//! The relay's REST operations, declared once: method, path, body and
//! answer. The extension calls the relay through these (uploads and
//! attachment downloads, which carry bytes, have their own calls), and a
//! relay test checks each against the OpenAPI document the routes produce,
//! so a renamed path or field breaks a build or a test rather than a user's
//! click.
//!
//! Paths are relative to `/api/v1`; [`Endpoint::TEMPLATE`] is written as the
//! OpenAPI document writes it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// Declares a bodiless operation on one chat of a profile
/// (`/chats/{chat_id}<suffix>?organization_id=`).
macro_rules! of_chat {
    ($(#[$doc:meta])* $name:ident, $method:ident, $template:literal, $suffix:literal, $reply:ty) => {
        $(#[$doc])*
        pub struct $name {
            /// The organization profile; `None` for "You".
            pub organization_id: Option<Uuid>,
            /// The chat.
            pub chat_id: Uuid,
        }

        impl Endpoint for $name {
            const METHOD: Method = Method::$method;
            const TEMPLATE: &'static str = $template;
            type Body = ();
            type Reply = $reply;
            fn path(&self) -> String {
                format!(
                    "/chats/{}{}{}",
                    self.chat_id,
                    $suffix,
                    query(&[profile(self.organization_id)])
                )
            }
        }
    };
}

mod campaigns;
mod reads;
mod writes;

pub use campaigns::*;
pub use reads::*;
pub use writes::*;

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
    /// The answer.
    type Reply: Answer;
    /// The path with its parameters and query string filled in.
    fn path(&self) -> String;
    /// The body to send, if the operation takes one.
    fn body(&self) -> Option<&Self::Body> {
        None
    }
}

/// How an answer is read from a successful response: most are one JSON
/// type whatever the status; some mean different things by status.
pub trait Answer: Sized {
    /// Reads the answer from its status (2xx) and body (`null` when empty).
    fn read(status: u16, body: &str) -> Result<Self, serde_json::Error>;
}

impl<T: DeserializeOwned> Answer for T {
    fn read(_status: u16, body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
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
    (MarkChatRead::METHOD, MarkChatRead::TEMPLATE),
    (Groups::METHOD, Groups::TEMPLATE),
    (Chat::METHOD, Chat::TEMPLATE),
    (Changes::METHOD, Changes::TEMPLATE),
    (AddGroupChat::METHOD, AddGroupChat::TEMPLATE),
    (QueueMessage::METHOD, QueueMessage::TEMPLATE),
    (UploadFile::METHOD, UploadFile::TEMPLATE),
    (OrganizationDetails::METHOD, OrganizationDetails::TEMPLATE),
    (AttachReceivedMedia::METHOD, AttachReceivedMedia::TEMPLATE),
    (FileContent::METHOD, FileContent::TEMPLATE),
    (UploadSpreadsheet::METHOD, UploadSpreadsheet::TEMPLATE),
    (PreviewSheet::METHOD, PreviewSheet::TEMPLATE),
    (DraftCampaign::METHOD, DraftCampaign::TEMPLATE),
    (Campaigns::METHOD, Campaigns::TEMPLATE),
    (CampaignRecipients::METHOD, CampaignRecipients::TEMPLATE),
    (StartCampaign::METHOD, StartCampaign::TEMPLATE),
    (PauseCampaign::METHOD, PauseCampaign::TEMPLATE),
    (ResumeCampaign::METHOD, ResumeCampaign::TEMPLATE),
    (CancelCampaign::METHOD, CancelCampaign::TEMPLATE),
    (DeleteDraftCampaign::METHOD, DeleteDraftCampaign::TEMPLATE),
    (Pacing::METHOD, Pacing::TEMPLATE),
];

/// A query string built from pairs, leaving out those without a value.
pub(crate) fn query(pairs: &[(&str, Option<String>)]) -> String {
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

pub(crate) fn profile(organization_id: Option<Uuid>) -> (&'static str, Option<String>) {
    ("organization_id", organization_id.map(|id| id.to_string()))
}

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
            Chat {
                organization_id: None,
                chat_id: id,
            }
            .path(),
            MarkChatRead {
                organization_id: None,
                chat_id: id,
            }
            .path(),
        ];
        let templates = [
            Members::TEMPLATE,
            ChatTimeline::TEMPLATE,
            Chat::TEMPLATE,
            MarkChatRead::TEMPLATE,
        ];
        for (path, template) in filled.iter().zip(templates) {
            let shape: Vec<bool> = template
                .split('/')
                .map(|part| part.starts_with('{'))
                .collect();
            assert_eq!(path.split('/').count(), shape.len(), "{path} vs {template}");
        }
    }

    #[test]
    fn a_send_is_read_by_its_status_not_by_trying_shapes() {
        use crate::queue::SendAnswer;
        use crate::team::{AddedAsComment, CommentKind, CommentView};
        let id = Uuid::nil();
        let added = AddedAsComment {
            detail: "Added as a comment".into(),
            assignee_id: id,
            comment: CommentView {
                id,
                chat_id: id,
                author_id: None,
                kind: CommentKind::Redirected,
                body: "hi".into(),
                assignee_id: None,
                created_at: chrono::DateTime::UNIX_EPOCH,
                edited_at: None,
                deleted_at: None,
                seq: 1,
            },
        };
        let body = serde_json::to_string(&added).unwrap();
        let answer = <SendAnswer as Answer>::read(202, &body);
        assert!(
            matches!(&answer, Ok(SendAnswer::KeptAsComment(added)) if added.detail == "Added as a comment"),
            "{answer:?}"
        );
        assert!(
            <SendAnswer as Answer>::read(201, &body).is_err(),
            "a 201 must carry a message"
        );
        assert!(<crate::api::User as Answer>::read(200, "{").is_err());
    }
}
