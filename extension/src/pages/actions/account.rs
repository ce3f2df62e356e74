//! Signing in and out, and first-use set-up.

use std::rc::Rc;

use chorus_shared::account::AccountType;
use chorus_shared::api::{ChooseAccountType, NewOrganization, Session, SetPhone};
use chorus_shared::endpoints;

use super::Outcome;
use crate::browser::save_settings;
use crate::channel::{SidebarRequest, StoredSession};
use crate::pages::sidebar::App;
use crate::ui::Model;

/// Registers the user's number and, the first time, their account type.
pub(super) async fn set_up(
    app: &Rc<App>,
    phone: String,
    country: String,
    account_type: AccountType,
    (org_name, org_country): (String, String),
) -> Outcome {
    let country = Some(country.trim().to_owned()).filter(|c| !c.is_empty());
    app.relay()
        .call_endpoint(&endpoints::RegisterPhone(SetPhone {
            phone: phone.trim().to_owned(),
            country,
        }))
        .await?;
    let already = app
        .model
        .borrow()
        .user
        .as_ref()
        .and_then(|u| u.account_type)
        .is_some();
    if !already {
        let organization = (account_type == AccountType::Organization).then(|| NewOrganization {
            name: org_name.trim().to_owned(),
            default_country: org_country.trim().to_owned(),
        });
        app.relay()
            .call_endpoint(&endpoints::SetAccountType(ChooseAccountType {
                account_type,
                organization,
            }))
            .await?;
    }
    app.load_account().await;
    Ok(())
}

pub(super) async fn remember_session(app: &Rc<App>, session: Session) {
    let settings = {
        let mut model = app.model.borrow_mut();
        model.settings.session = Some(StoredSession {
            token: session.token,
            user_id: session.user.id,
            email: session.user.email.clone(),
        });
        model.settings.profile = None;
        model.user = Some(session.user);
        model.settings.clone()
    };
    save_settings(&settings).await;
    app.tell_worker(&SidebarRequest::SettingsChanged);
    app.load_account().await;
}

/// Drops the session here and in the worker.
pub async fn forget_session(app: &App) {
    let settings = {
        let mut model = app.model.borrow_mut();
        let relay_url = model.settings.relay_url.clone();
        *model = Model::default();
        model.settings.relay_url = relay_url;
        model.settings.clone()
    };
    save_settings(&settings).await;
    app.tell_worker(&SidebarRequest::SettingsChanged);
}
