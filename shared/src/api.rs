//! Request and response bodies of the relay's REST API (`/api/v1`).
//!
//! Requests reject unknown fields so a typo is an error, not a silent no-op.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::account::{AccountType, InviteState, Role};

/// `POST /auth/signup` and `POST /auth/signin`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Case and surrounding spaces are ignored.
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    /// At least [`crate::limits::PASSWORD_MIN_CHARS`] characters at sign-up.
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub password: String,
}

/// A new session: send `token` as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// Opaque secret; the relay keeps only its hash.
    pub token: String,
    /// After this instant the token is refused and the user signs in again.
    pub expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: User,
}

/// A Chorus user as they see themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Stable id.
    pub id: Uuid,
    /// Normalised (lower-case) email.
    pub email: String,
    /// `None` until chosen after sign-up.
    pub account_type: Option<AccountType>,
    /// Their own WhatsApp number in E.164, `None` until registered.
    pub phone: Option<String>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// `PUT /me/account-type`: chosen once after sign-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChooseAccountType {
    /// `agent` or `organization`.
    pub account_type: AccountType,
    /// Required for `organization`: the organization the account will own.
    #[serde(default)]
    pub organization: Option<NewOrganization>,
}

/// The organization an Organization account creates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    /// Shown to members and invitees.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// ISO 3166 alpha-2 code (e.g. `IN`, `GB`) for numbers written without a country code.
    #[cfg_attr(feature = "openapi", schema(min_length = 2, max_length = 2))]
    pub default_country: String,
}

/// `PUT /me/phone`: the user's own WhatsApp number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPhone {
    /// With its country code (`+44 7911 123456`), or national if `country` is given.
    #[cfg_attr(feature = "openapi", schema(max_length = 32))]
    pub phone: String,
    /// ISO 3166 alpha-2 code used when `phone` has no `+` country code.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 2, max_length = 2))]
    pub country: Option<String>,
}

/// An organization whose number its members share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organization {
    /// Stable id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// ISO 3166 alpha-2 code applied to numbers entered without a country code.
    pub default_country: String,
    /// The number the admin hosts, in E.164; `None` until set.
    pub phone: Option<String>,
    /// How the host spaces its sends.
    pub pacing: PacingSettings,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// How an organization's host spaces its sends to different people: a
/// random gap between the two bounds. Replies to a customer who just wrote
/// go out at once regardless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PacingSettings {
    /// Shortest gap, in seconds.
    pub min_gap_seconds: i64,
    /// Longest gap, in seconds.
    pub max_gap_seconds: i64,
    /// Campaign messages sent in a row before a longer pause.
    #[serde(default = "default_burst_size")]
    pub burst_size: i64,
    /// That pause, in seconds.
    #[serde(default = "default_burst_pause")]
    pub burst_pause_seconds: i64,
    /// Most campaign messages the number sends in any hour.
    #[serde(default = "default_hourly_cap")]
    pub hourly_cap: i64,
    /// Most campaign messages the number sends in any 24 hours.
    #[serde(default = "default_daily_cap")]
    pub daily_cap: i64,
}

fn default_burst_size() -> i64 {
    crate::limits::PACING_DEFAULT_BURST_SIZE
}

fn default_burst_pause() -> i64 {
    crate::limits::PACING_DEFAULT_BURST_PAUSE_SECONDS
}

fn default_hourly_cap() -> i64 {
    crate::limits::PACING_DEFAULT_HOURLY_CAP
}

fn default_daily_cap() -> i64 {
    crate::limits::PACING_DEFAULT_DAILY_CAP
}

impl Default for PacingSettings {
    fn default() -> Self {
        PacingSettings {
            min_gap_seconds: crate::limits::PACING_DEFAULT_MIN_SECONDS,
            max_gap_seconds: crate::limits::PACING_DEFAULT_MAX_SECONDS,
            burst_size: default_burst_size(),
            burst_pause_seconds: default_burst_pause(),
            hourly_cap: default_hourly_cap(),
            daily_cap: default_daily_cap(),
        }
    }
}

/// `DELETE /orgs/{org_id}` (admin): the organization's name, typed again,
/// confirms that this one is meant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteOrganization {
    /// The organization's name exactly as it is shown (case aside).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
}

/// `PATCH /orgs/{org_id}` (admin): only the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New default country (ISO 3166 alpha-2).
    #[serde(default)]
    pub default_country: Option<String>,
    /// New hosted number; without a `+` it is read in the default country.
    #[serde(default)]
    pub phone: Option<String>,
    /// New pacing of hosted sends.
    #[serde(default)]
    pub pacing: Option<PacingSettings>,
}

/// `GET /orgs`: the "My Organizations" view.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyOrganizations {
    /// Organizations joined, with the caller's role in each.
    pub organizations: Vec<Membership>,
    /// Invites addressed to the caller's email that wait for an answer.
    pub invites: Vec<ReceivedInvite>,
}

/// One organization the caller belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    /// The organization.
    pub organization: Organization,
    /// The caller's role in it.
    pub role: Role,
    /// When the caller joined.
    pub joined_at: DateTime<Utc>,
}

/// An invite as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceivedInvite {
    /// Use with `/invites/{id}/accept` or `/decline`.
    pub id: Uuid,
    /// The inviting organization.
    pub organization_id: Uuid,
    /// Its name, so the invitee knows what they join.
    pub organization_name: String,
    /// Who sent it.
    pub invited_by_email: String,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
}

/// `POST /orgs/{org_id}/invites` (admin).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    /// The agent's Chorus email; they may sign up after the invite is sent.
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
}

/// An invite as the organization's admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invite {
    /// Stable id.
    pub id: Uuid,
    /// The organization it invites to.
    pub organization_id: Uuid,
    /// The invited (normalised) email.
    pub email: String,
    /// Where the invite is in its life.
    pub state: InviteState,
    /// The admin who sent it.
    pub invited_by: Uuid,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When it was accepted, declined or revoked.
    pub closed_at: Option<DateTime<Utc>>,
    /// The one-time code the invited person enters to join; only in the
    /// answer to creating the invite (the relay keeps it hashed). Share it
    /// with them yourself: it proves the invite reached the right person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `GET /orgs/{org_id}/invites`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteList {
    /// Every invite of the organization, newest first.
    pub invites: Vec<Invite>,
}

/// One entry of an organization's audit trail: a destructive or
/// governing change and who made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// Stable id.
    pub id: Uuid,
    /// The member who made the change.
    pub actor_id: Uuid,
    /// What kind of change: `contacts_deleted`, `file_deleted`,
    /// `member_removed`, `role_changed`.
    pub action: String,
    /// What it touched, for people.
    pub detail: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `GET /orgs/{org_id}/audit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditTrail {
    /// The latest events, newest first.
    pub events: Vec<AuditEvent>,
}

/// `POST /invites/{invite_id}/accept`: acceptance is explicit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// Must be `true`: the user confirmed that they join.
    pub confirm: bool,
    /// The invite code the admin shared (`XXXX-XXXX-XXXX`; case, spaces
    /// and dashes do not matter).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub code: Option<String>,
}

/// A member of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// The member's user id.
    pub user_id: Uuid,
    /// Their email.
    pub email: String,
    /// Their role here.
    pub role: Role,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

/// `PATCH /orgs/{org_id}/members/{user_id}` (admin): a member's new role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    /// `admin` or `agent`.
    pub role: Role,
}

/// `GET /orgs/{org_id}/members`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberList {
    /// Members, earliest first.
    pub members: Vec<Member>,
}

/// Whose number a send goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// "You": the user's own number, hosted in their own browser.
    Personal,
    /// An organization's shared number, hosted in its admin's browser.
    Organization,
}

/// One entry of the sidebar's profile switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// Personal or organization.
    pub kind: ProfileKind,
    /// "You", or the organization's name.
    pub label: String,
    /// The organization, for organization profiles.
    pub organization_id: Option<Uuid>,
    /// The number sends go through, in E.164; `None` until registered.
    pub phone: Option<String>,
    /// The caller's role, for organization profiles.
    pub role: Option<Role>,
}

/// `GET /profiles`: "You" first, then each organization joined.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileList {
    /// The profiles.
    pub profiles: Vec<Profile>,
}

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// Answer to `PUT /me/account-type`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSetup {
    /// The user, now with an account type.
    pub user: User,
    /// The organization created for an Organization account.
    pub organization: Option<Organization>,
}
