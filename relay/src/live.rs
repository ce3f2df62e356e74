//! Every live event sidebars hear, published from one place: a message's
//! new state, a profile's balance, a chat, a comment, a contact, a file, and
//! a number's host coming or going. Each goes to every sidebar watching the
//! account, through [`crate::hub`]; a sidebar that missed one catches up
//! through the change feeds.

use chorus_shared::message::MessageStatus;
use chorus_shared::protocol::ServerFrame;
use chorus_shared::queue::{FileView, MessageView};
use chorus_shared::team::{ChatView, CommentView, ContactView, FileChange};
use chrono::Utc;

use crate::store::AccountRef;
use crate::AppState;

/// A message as members see it: `queued` reads `waiting_for_host` while
/// nobody hosts the number.
pub fn present(state: &AppState, account: AccountRef, mut message: MessageView) -> MessageView {
    if message.status == MessageStatus::Queued && !state.hub.host_online(account) {
        message.status = MessageStatus::WaitingForHost;
    }
    message
}

/// A message was queued, changed state, or arrived.
pub fn message(state: &AppState, account: AccountRef, message: MessageView) {
    let message = present(state, account, message);
    state
        .hub
        .to_sidebars(account, ServerFrame::Message { message });
}

/// The account's balance changed: sent soon and off the caller's path; a
/// burst of changes sends it a few times, not once each.
pub async fn credits(state: &AppState, account: AccountRef) {
    state.balance_pushes.run(state, account, push_balance);
}

async fn push_balance(state: AppState, account: AccountRef) {
    match state.store.credits(account, Utc::now(), 0).await {
        Ok(credits) => state.hub.to_sidebars(
            account,
            ServerFrame::Credits {
                organization_id: account.organization_id(),
                available: credits.available,
                reserved: credits.reserved,
            },
        ),
        Err(error) => tracing::warn!(%error, "cannot read the balance to publish it"),
    }
}

/// A chat's new state.
pub fn chat(state: &AppState, account: AccountRef, chat: ChatView) {
    state.hub.to_sidebars(account, ServerFrame::Chat { chat });
}

/// A comment written, edited or deleted.
pub fn comment(state: &AppState, account: AccountRef, comment: CommentView) {
    state
        .hub
        .to_sidebars(account, ServerFrame::Comment { comment });
}

/// A contact's new state.
pub fn contact(state: &AppState, account: AccountRef, contact: ContactView) {
    state
        .hub
        .to_sidebars(account, ServerFrame::Contact { contact });
}

/// `count` contacts changed at once (a bulk change): sidebars reload them.
pub fn contacts_changed(state: &AppState, account: AccountRef, count: u64) {
    if count > 0 {
        state.hub.to_sidebars(
            account,
            ServerFrame::ContactsChanged {
                organization_id: account.organization_id(),
                count,
            },
        );
    }
}

/// A library file added, renamed or deleted.
pub fn file(state: &AppState, account: AccountRef, file: &FileView, deleted: bool) {
    state.hub.to_sidebars(
        account,
        ServerFrame::File {
            organization_id: account.organization_id(),
            file: FileChange {
                file: file.clone(),
                deleted,
                seq: 0,
            },
        },
    );
}

/// The number's host came online or went offline.
pub fn host(state: &AppState, account: AccountRef, online: bool) {
    state.hub.to_sidebars(
        account,
        ServerFrame::Host {
            organization_id: account.organization_id(),
            online,
        },
    );
}
