//! Operations on spreadsheets and campaigns.

use uuid::Uuid;

use super::{profile, query, Endpoint, Method};
use crate::campaign::{
    CampaignList, CampaignView, CreateCampaign, RecipientPage, SheetChoice, SheetPreview,
    SpreadsheetView,
};

/// `POST /spreadsheets`: uploads a spreadsheet; its bytes are the body.
pub struct UploadSpreadsheet {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The file's name.
    pub name: String,
}

impl Endpoint for UploadSpreadsheet {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/spreadsheets";
    type Body = ();
    type Reply = SpreadsheetView;
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

/// `POST /spreadsheets/{spreadsheet_id}/preview`: a sheet read as a
/// campaign would read it.
pub struct PreviewSheet {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The upload.
    pub spreadsheet_id: Uuid,
    /// Where the recipients are.
    pub choice: SheetChoice,
}

impl Endpoint for PreviewSheet {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/spreadsheets/{spreadsheet_id}/preview";
    type Body = SheetChoice;
    type Reply = SheetPreview;
    fn path(&self) -> String {
        format!(
            "/spreadsheets/{}/preview{}",
            self.spreadsheet_id,
            query(&[profile(self.organization_id)])
        )
    }
    fn body(&self) -> Option<&SheetChoice> {
        Some(&self.choice)
    }
}

/// `POST /campaigns`: a draft, every recipient read and checked.
pub struct DraftCampaign(pub CreateCampaign);

impl Endpoint for DraftCampaign {
    const METHOD: Method = Method::Post;
    const TEMPLATE: &'static str = "/campaigns";
    type Body = CreateCampaign;
    type Reply = CampaignView;
    fn path(&self) -> String {
        Self::TEMPLATE.to_owned()
    }
    fn body(&self) -> Option<&CreateCampaign> {
        Some(&self.0)
    }
}

/// `GET /campaigns`: the profile's campaigns with their progress.
pub struct Campaigns {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
}

impl Endpoint for Campaigns {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/campaigns";
    type Body = ();
    type Reply = CampaignList;
    fn path(&self) -> String {
        format!("/campaigns{}", query(&[profile(self.organization_id)]))
    }
}

/// `GET /campaigns/{campaign_id}/recipients`: a page in sending order.
pub struct CampaignRecipients {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The campaign.
    pub campaign_id: Uuid,
    /// After this position.
    pub after: u32,
    /// Page size.
    pub limit: u32,
}

impl Endpoint for CampaignRecipients {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/campaigns/{campaign_id}/recipients";
    type Body = ();
    type Reply = RecipientPage;
    fn path(&self) -> String {
        format!(
            "/campaigns/{}/recipients{}",
            self.campaign_id,
            query(&[
                profile(self.organization_id),
                ("after", Some(self.after.to_string())),
                ("limit", Some(self.limit.to_string())),
            ])
        )
    }
}

/// Declares a bodiless action on one campaign
/// (`POST /campaigns/{campaign_id}/<action>?organization_id=`).
macro_rules! on_campaign {
    ($(#[$doc:meta])* $name:ident, $template:literal, $suffix:literal) => {
        $(#[$doc])*
        pub struct $name {
            /// The organization profile; `None` for "You".
            pub organization_id: Option<Uuid>,
            /// The campaign.
            pub campaign_id: Uuid,
        }

        impl Endpoint for $name {
            const METHOD: Method = Method::Post;
            const TEMPLATE: &'static str = $template;
            type Body = ();
            type Reply = CampaignView;
            fn path(&self) -> String {
                format!(
                    "/campaigns/{}{}{}",
                    self.campaign_id,
                    $suffix,
                    query(&[profile(self.organization_id)])
                )
            }
        }
    };
}

on_campaign!(
    /// Starts a draft (refused without the credits).
    StartCampaign, "/campaigns/{campaign_id}/start", "/start"
);
on_campaign!(
    /// Pauses a running campaign.
    PauseCampaign, "/campaigns/{campaign_id}/pause", "/pause"
);
on_campaign!(
    /// Resumes a paused campaign.
    ResumeCampaign, "/campaigns/{campaign_id}/resume", "/resume"
);
on_campaign!(
    /// Cancels a campaign for good.
    CancelCampaign, "/campaigns/{campaign_id}/cancel", "/cancel"
);

/// `DELETE /campaigns/{campaign_id}`: a draft taken back (its name is free
/// again); started campaigns are cancelled instead.
pub struct DeleteDraftCampaign {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
    /// The draft.
    pub campaign_id: Uuid,
}

impl Endpoint for DeleteDraftCampaign {
    const METHOD: Method = Method::Delete;
    const TEMPLATE: &'static str = "/campaigns/{campaign_id}";
    type Body = ();
    type Reply = ();
    fn path(&self) -> String {
        format!(
            "/campaigns/{}{}",
            self.campaign_id,
            query(&[profile(self.organization_id)])
        )
    }
}

/// `GET /pacing`: how the profile's number spaces its sends and campaigns.
pub struct Pacing {
    /// The organization profile; `None` for "You".
    pub organization_id: Option<Uuid>,
}

impl Endpoint for Pacing {
    const METHOD: Method = Method::Get;
    const TEMPLATE: &'static str = "/pacing";
    type Body = ();
    type Reply = crate::api::PacingSettings;
    fn path(&self) -> String {
        format!("/pacing{}", query(&[profile(self.organization_id)]))
    }
}
