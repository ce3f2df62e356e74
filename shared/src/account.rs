//! Who a user is to Chorus: the account type chosen after sign-up, the role held
//! in each organization, and the life of an invitation.

use serde::{Deserialize, Serialize};

/// Chosen once, right after sign-up, as in the product's set-up flow.
///
/// An `Organization` account owns an organization (and is its admin); an
/// `Agent` account joins organizations by accepting invites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// Uses their own number and joins organizations they are invited to.
    Agent,
    /// Owns an organization whose shared number its admin hosts.
    Organization,
}

impl AccountType {
    /// The stable name stored in the database and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Organization => "organization",
        }
    }

    /// Parses [`AccountType::as_str`]'s output.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "agent" => Some(Self::Agent),
            "organization" => Some(Self::Organization),
            _ => None,
        }
    }
}

/// What a member may do inside one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Invites and removes members, hosts the number, grants credits.
    Admin,
    /// Sends and works chats through the organization's number.
    Agent,
}

impl Role {
    /// The stable name stored in the database and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Agent => "agent",
        }
    }

    /// Parses [`Role::as_str`]'s output.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "admin" => Some(Self::Admin),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }
}

/// An invitation starts as `InviteSent` and ends in exactly one of the other states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    /// Waiting for the invited email's answer (that email may not have an account yet).
    InviteSent,
    /// The invited user joined the organization.
    Accepted,
    /// The invited user said no.
    Declined,
    /// An admin withdrew the invite before it was answered.
    Revoked,
}

impl InviteState {
    /// The stable name stored in the database and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InviteSent => "invite_sent",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Revoked => "revoked",
        }
    }

    /// Parses [`InviteState::as_str`]'s output.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "invite_sent" => Some(Self::InviteSent),
            "accepted" => Some(Self::Accepted),
            "declined" => Some(Self::Declined),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_match_the_wire_names() {
        for state in [
            InviteState::InviteSent,
            InviteState::Accepted,
            InviteState::Declined,
            InviteState::Revoked,
        ] {
            assert_eq!(InviteState::parse(state.as_str()), Some(state));
            let wire = serde_json::to_string(&state).expect("serialises");
            assert_eq!(wire, format!("\"{}\"", state.as_str()));
        }
        for role in [Role::Admin, Role::Agent] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let wire = serde_json::to_string(&role).expect("serialises");
            assert_eq!(wire, format!("\"{}\"", role.as_str()));
        }
        for kind in [AccountType::Agent, AccountType::Organization] {
            assert_eq!(AccountType::parse(kind.as_str()), Some(kind));
            let wire = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(wire, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(InviteState::parse("pending"), None);
    }
}
