//! Whose number it is: every store method that touches messages, chats,
//! contacts, files or credits is scoped by an [`AccountRef`].

use uuid::Uuid;

/// Whose number and credits: a user's own, or an organization's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountRef {
    /// The user's own number ("You"); the id is the user's.
    Personal(Uuid),
    /// An organization's number; the id is the organization's.
    Organization(Uuid),
}

impl AccountRef {
    /// The account's id (the user's or the organization's).
    pub fn id(self) -> Uuid {
        match self {
            Self::Personal(id) | Self::Organization(id) => id,
        }
    }

    /// The account of a stored id and kind.
    pub fn from_kind(id: Uuid, kind: &str) -> AccountRef {
        if kind == "organization" {
            AccountRef::Organization(id)
        } else {
            AccountRef::Personal(id)
        }
    }

    /// The stored kind.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Personal(_) => "personal",
            Self::Organization(_) => "organization",
        }
    }

    /// The organization, for organization accounts.
    pub fn organization_id(self) -> Option<Uuid> {
        match self {
            Self::Personal(_) => None,
            Self::Organization(id) => Some(id),
        }
    }
}
