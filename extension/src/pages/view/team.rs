//! The Team tab ("My Organizations"): invites received (accepted with the
//! code the admin hands over), memberships, and for admins the members and
//! the invites sent.

use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

use chorus_shared::account::Role;
use chorus_shared::api::ReceivedInvite;

use super::{dispatch, value, Action};
use crate::ui::present::invite_state;
use crate::ui::Model;

pub fn tab(shown: RwSignal<Model>) -> impl IntoView {
    let memberships = Memo::new(move |_| {
        shown.with(|m| {
            m.organizations
                .organizations
                .iter()
                .map(|membership| {
                    (
                        membership.organization.id,
                        membership.organization.name.clone(),
                        membership.role,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <h2>"My Organizations"</h2>
        <ul id="invites-received" class="list">
            <For
                each=move || shown.with(|m| m.organizations.invites.clone())
                key=|invite| invite.id
                children=received_invite
            />
        </ul>
        {move || memberships.with(Vec::is_empty).then(|| view! {
            <p class="empty">"You are not in an organization yet. Ask an admin to invite you, then accept here."</p>
        })}
        <For
            each=move || memberships.get()
            key=|(id, name, role)| (*id, name.clone(), role.as_str())
            children=move |(org_id, name, role)| view! {
                <h2>{name} " " <span class="muted">"(" {role.as_str()} ")"</span></h2>
                {(role == Role::Admin).then(|| administered(shown, org_id))}
            }
        />
    }
}

fn received_invite(invite: ReceivedInvite) -> impl IntoView {
    let id = invite.id;
    let code = NodeRef::<html::Input>::new();
    let code_id = format!("invite-code-{id}");
    view! {
        <li>
            <div>
                {invite.invited_by_email.clone()} " invited you to " <b>{invite.organization_name.clone()}</b>
            </div>
            <label for=code_id.clone()>"Invite code (ask whoever invited you)"</label>
            <input id=code_id autocomplete="off" spellcheck="false" node_ref=code/>
            <div class="row">
                <button type="button" on:click=move |_| dispatch(Action::AcceptInvite(id, value(code)))>"Accept"</button>
                <button type="button" class="link" on:click=move |_| dispatch(Action::DeclineInvite(id))>"Decline"</button>
            </div>
        </li>
    }
}

/// An organization the user administers: invite form, members, invites.
fn administered(shown: RwSignal<Model>, org_id: Uuid) -> impl IntoView {
    let email = NodeRef::<html::Input>::new();
    view! {
        <form data-form="invite" on:submit=move |ev| {
            ev.prevent_default();
            dispatch(Action::Invite { org_id, email: value(email) });
        }>
            <label for="invite-email">"Invite by email"</label>
            <input id="invite-email" type="email" required node_ref=email/>
            <button type="submit">"Invite"</button>
        </form>
        <ul class="members list">
            <For
                each=move || shown.with(|m| m.teams.get(&org_id).map(|t| t.members.clone()).unwrap_or_default())
                key=|member| (member.user_id, member.role.as_str())
                children=|member| view! {
                    <li>{member.email.clone()} " " <span class="muted">{member.role.as_str()}</span></li>
                }
            />
        </ul>
        <ul class="invites list">
            <For
                each=move || shown.with(|m| m.teams.get(&org_id).map(|t| t.invites.clone()).unwrap_or_default())
                key=|invite| (invite.id, invite_state(invite.state))
                children=|invite| view! {
                    <li>{invite.email.clone()} " " <span class="muted">{invite_state(invite.state)}</span></li>
                }
            />
        </ul>
    }
}
