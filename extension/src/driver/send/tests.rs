//! Every branch of a send, against the simulated WhatsApp Web.

use chorus_shared::message::MessageKind;
use futures_util::FutureExt as _;

use super::*;
use crate::driver::fake_page::{jid, Delivered, FakePage};

const ANA: &str = "447400000001";
const BEN: &str = "447400000002";

/// What the host heard from a send.
#[derive(Debug, Default)]
struct Heard {
    phases: Vec<Phase>,
    waits: u32,
    /// How many messages WhatsApp had delivered when the host was told
    /// send was about to be pressed.
    pressing: Option<usize>,
    rows: Vec<String>,
}

struct Log<'a> {
    heard: Heard,
    page: &'a FakePage,
}

impl SendLog for Log<'_> {
    fn phase(&mut self, phase: Phase) {
        if self.heard.phases.last() != Some(&phase) {
            self.heard.phases.push(phase);
        }
    }
    async fn still_waiting(&mut self) {
        self.heard.waits += 1;
    }
    async fn pressing(&mut self) {
        self.heard.pressing = Some(self.page.state.borrow().delivered.len());
    }
    async fn row_seen(&mut self, wa_id: &str) {
        self.heard.rows.push(wa_id.to_owned());
    }
}

fn text_to(digits: &str, text: &str) -> SendJob {
    SendJob {
        to: Recipient::Person(format!("+{digits}")),
        text: Some(text.into()),
        attachment: None,
    }
}

fn file(kind: MessageKind, name: &str, caption: Option<&str>) -> SendJob {
    SendJob {
        to: Recipient::Person(format!("+{ANA}")),
        text: caption.map(str::to_owned),
        attachment: Some((
            kind,
            FileToAttach {
                name: name.into(),
                mime: "application/octet-stream".into(),
                base64: "AAEC".into(),
            },
        )),
    }
}

fn run(page: &FakePage, job: &SendJob) -> (Outcome, Heard) {
    let mut log = Log {
        heard: Heard::default(),
        page,
    };
    let outcome = send(page, job, &mut log)
        .now_or_never()
        .expect("the simulated page never blocks");
    (outcome, log.heard)
}

fn sent_by_driver(page: &FakePage) -> Vec<Delivered> {
    page.state
        .borrow()
        .delivered
        .iter()
        .filter(|d| !d.by_person)
        .cloned()
        .collect()
}

#[test]
fn a_text_goes_to_its_chat_and_the_persons_chat_is_reopened() {
    let page = FakePage::default();
    page.state.borrow_mut().open = Some(jid(BEN));
    let (outcome, heard) = run(&page, &text_to(ANA, "Hello\nsecond line"));
    let wa_id = format!("true_{}_M1", jid(ANA));
    assert_eq!(
        outcome,
        Outcome::Sent {
            wa_id: Some(wa_id.clone())
        }
    );
    assert_eq!(
        sent_by_driver(&page),
        vec![Delivered {
            chat: jid(ANA),
            text: "Hello\nsecond line".into(),
            file: None,
            by_person: false
        }]
    );
    assert_eq!(heard.pressing, Some(0), "told before the press, not after");
    assert_eq!(heard.rows, vec![wa_id]);
    assert_eq!(
        heard.phases,
        vec![
            Phase::CheckingPage,
            Phase::OpeningChat,
            Phase::Composing,
            Phase::Pressing,
            Phase::ConfirmingRow,
            Phase::RestoringView
        ]
    );
    let links = page.state.borrow().links.clone();
    assert_eq!(
        links,
        vec![
            format!("https://wa.me/{ANA}"),
            format!("https://wa.me/{BEN}")
        ]
    );
}

#[test]
fn a_chat_already_open_is_used_as_it_is() {
    let page = FakePage::default();
    page.state.borrow_mut().open = Some(jid(ANA));
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    assert!(matches!(outcome, Outcome::Sent { wa_id: Some(_) }));
    assert!(page.state.borrow().links.is_empty(), "no link, no restore");
    assert!(!heard.phases.contains(&Phase::RestoringView));
}

#[test]
fn a_number_not_on_whatsapp_fails_and_its_popup_is_closed() {
    let page = FakePage::default();
    page.state.borrow_mut().not_on_whatsapp.insert(ANA.into());
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    assert_eq!(
        outcome,
        Outcome::Failed(format!("+{ANA} is not on WhatsApp."))
    );
    assert_eq!(page.state.borrow().popup, None);
    assert!(sent_by_driver(&page).is_empty());
    assert_eq!(heard.pressing, None);
}

#[test]
fn a_chat_that_never_opens_fails_after_the_step_timeout() {
    let page = FakePage::default();
    page.state.borrow_mut().open_delay = None;
    let start = page.now_ms();
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    assert_eq!(
        outcome,
        Outcome::Failed(format!(
            "WhatsApp Web did not open the chat with +{ANA} within 20 seconds."
        ))
    );
    assert!(page.now_ms() - start >= STEP_TIMEOUT_MS);
    assert_eq!(heard.pressing, None);
}

#[test]
fn a_person_typing_is_waited_for_and_their_words_stay_theirs() {
    let page = FakePage::default();
    {
        let mut state = page.state.borrow_mut();
        state.open = Some(jid(BEN));
        state.drafts.insert(jid(BEN), "Half a".into());
        state.person_typing_until = Some(state.now + 5_000);
    }
    let (outcome, heard) = run(&page, &text_to(ANA, "From the team"));
    assert!(matches!(outcome, Outcome::Sent { .. }));
    assert!(heard.waits >= 5, "waited while they typed: {}", heard.waits);
    assert_eq!(heard.phases[1], Phase::WaitingForPerson);
    let delivered = page.state.borrow().delivered.clone();
    assert_eq!(delivered.len(), 2);
    assert!(delivered[0].by_person && delivered[0].chat == jid(BEN));
    assert!(delivered[0].text.starts_with("Half a"));
    assert_eq!(
        delivered[1].text, "From the team",
        "nothing of theirs mixed in"
    );
    assert_eq!(delivered[1].chat, jid(ANA));
}

#[test]
fn a_draft_left_in_the_open_chat_does_not_hold_sends_to_others() {
    let page = FakePage::default();
    {
        let mut state = page.state.borrow_mut();
        state.open = Some(jid(BEN));
        state.drafts.insert(jid(BEN), "note to self".into());
    }
    let (outcome, heard) = run(&page, &text_to(ANA, "From the team"));
    assert!(
        matches!(outcome, Outcome::Sent { wa_id: Some(_) }),
        "{outcome:?}"
    );
    assert_eq!(heard.waits, 0, "nobody was typing");
    assert_eq!(sent_by_driver(&page)[0].text, "From the team");
    page.pause(1_000).now_or_never();
    let state = page.state.borrow();
    assert_eq!(
        state.open.as_deref(),
        Some(jid(BEN).as_str()),
        "back on their chat"
    );
    assert_eq!(state.drafts[&jid(BEN)], "note to self", "with their draft");
}

#[test]
fn a_draft_left_in_the_recipients_chat_holds_the_send() {
    let page = FakePage::default();
    {
        let mut state = page.state.borrow_mut();
        state.open = Some(jid(BEN));
        state.drafts.insert(jid(ANA), "my own note".into());
    }
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    let Outcome::NotNow(problem) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(problem.contains("unsent draft"), "{problem}");
    assert!(sent_by_driver(&page).is_empty());
    assert_eq!(heard.pressing, None);
    assert_eq!(page.state.borrow().drafts[&jid(ANA)], "my own note");
    assert_eq!(
        page.state.borrow().links.last(),
        Some(&format!("https://wa.me/{BEN}")),
        "the person's chat is reopened"
    );
}

#[test]
fn a_logged_out_or_unrecognised_page_keeps_the_message_queued() {
    let page = FakePage::default();
    page.state.borrow_mut().logged_out = true;
    let (outcome, _) = run(&page, &text_to(ANA, "Hi"));
    assert!(
        matches!(&outcome, Outcome::NotNow(p) if p.contains("not logged in")),
        "{outcome:?}"
    );

    let page = FakePage::default();
    page.state.borrow_mut().missing.insert(Element::ChatList);
    let (outcome, _) = run(&page, &text_to(ANA, "Hi"));
    assert!(
        matches!(&outcome, Outcome::NotNow(p) if p.contains("the chat list")),
        "{outcome:?}"
    );
    assert!(page.state.borrow().links.is_empty());
}

#[test]
fn a_chat_without_a_recognised_message_box_names_it() {
    let page = FakePage::default();
    page.state.borrow_mut().missing.insert(Element::ComposeBox);
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    assert!(
        matches!(&outcome, Outcome::Failed(p) if p.contains("the message box not found")),
        "{outcome:?}"
    );
    assert_eq!(heard.pressing, None);
}

#[test]
fn a_send_button_that_never_shows_fails_before_anything_is_pressed() {
    let page = FakePage::default();
    page.state.borrow_mut().missing.insert(Element::SendButton);
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    assert!(
        matches!(&outcome, Outcome::Failed(p) if p.contains("the send button")),
        "{outcome:?}"
    );
    assert_eq!(heard.pressing, None);
    assert!(sent_by_driver(&page).is_empty());
}

#[test]
fn a_send_button_that_vanishes_under_the_click_is_a_failure() {
    let page = FakePage::default();
    page.state.borrow_mut().send_button_vanishes = true;
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    assert_eq!(
        outcome,
        Outcome::Failed("The send button disappeared before Chorus could press it.".into())
    );
    assert_eq!(heard.pressing, Some(0), "recorded anyway: it may have gone");
}

#[test]
fn a_row_that_never_appears_still_counts_as_sent_without_an_id() {
    let page = FakePage::default();
    page.state.borrow_mut().row_delay = None;
    let (outcome, heard) = run(&page, &text_to(ANA, "Hi"));
    assert_eq!(outcome, Outcome::Sent { wa_id: None });
    assert!(heard.rows.is_empty());
    assert_eq!(sent_by_driver(&page).len(), 1, "pressed once, never again");
}

#[test]
fn a_link_preview_gets_longer_to_show_the_row() {
    let slow = |text: &str| {
        let page = FakePage::default();
        {
            let mut state = page.state.borrow_mut();
            state.row_delay = Some(STEP_TIMEOUT_MS + 5_000);
            state.link_preview_delay = 0;
        }
        run(&page, &text_to(ANA, text)).0
    };
    assert!(matches!(
        slow("see https://example.org"),
        Outcome::Sent { wa_id: Some(_) }
    ));
    assert_eq!(slow("no link here"), Outcome::Sent { wa_id: None });
}

#[test]
fn a_photo_goes_through_the_media_picker_with_its_caption() {
    let page = FakePage::default();
    page.state
        .borrow_mut()
        .missing
        .insert(Element::DocumentFileInput);
    let (outcome, heard) = run(
        &page,
        &file(MessageKind::Image, "shop.jpg", Some("Our shop")),
    );
    assert!(
        matches!(outcome, Outcome::Sent { wa_id: Some(_) }),
        "{outcome:?}"
    );
    assert_eq!(
        sent_by_driver(&page),
        vec![Delivered {
            chat: jid(ANA),
            text: "Our shop".into(),
            file: Some("shop.jpg".into()),
            by_person: false
        }]
    );
    assert_eq!(heard.pressing, Some(0));
}

#[test]
fn a_document_goes_through_the_document_picker() {
    let page = FakePage::default();
    page.state
        .borrow_mut()
        .missing
        .insert(Element::MediaFileInput);
    let (outcome, _) = run(&page, &file(MessageKind::Document, "terms.pdf", None));
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
    assert_eq!(sent_by_driver(&page)[0].file.as_deref(), Some("terms.pdf"));
}

#[test]
fn a_media_preview_that_never_opens_fails_before_anything_is_pressed() {
    let page = FakePage::default();
    page.state.borrow_mut().preview_delay = None;
    let (outcome, heard) = run(&page, &file(MessageKind::Video, "tour.mp4", None));
    assert!(
        matches!(&outcome, Outcome::Failed(p) if p.contains("the media send button")),
        "{outcome:?}"
    );
    assert_eq!(heard.pressing, None);
}

#[test]
fn a_caption_that_cannot_be_written_stops_the_file_going_alone() {
    let page = FakePage::default();
    page.state.borrow_mut().missing.insert(Element::CaptionBox);
    let (outcome, heard) = run(
        &page,
        &file(MessageKind::Image, "a.png", Some("Price list")),
    );
    assert!(
        matches!(&outcome, Outcome::Failed(p) if p.contains("the caption box")),
        "{outcome:?}"
    );
    assert_eq!(heard.pressing, None);
    assert!(sent_by_driver(&page).is_empty());
    // Without a caption the same page sends the file.
    let (outcome, _) = run(&page, &file(MessageKind::Image, "a.png", None));
    assert!(matches!(outcome, Outcome::Sent { .. }));
}

#[test]
fn a_group_is_opened_from_the_chat_list_and_the_view_put_back() {
    let page = FakePage::default();
    let group = "120363000000000001@g.us";
    {
        let mut state = page.state.borrow_mut();
        state.names.insert(group.into(), "Suppliers".into());
        state.names.insert(jid(ANA), "Ana".into());
        state.open = Some(jid(ANA));
        state.rows.insert(
            group.into(),
            vec![crate::driver::watch::SeenRow {
                id: Some(format!("false_{group}_A1_447400000009@c.us")),
                ..Default::default()
            }],
        );
    }
    let job = SendJob {
        to: Recipient::Group {
            wa_id: group.into(),
            name: Some("Suppliers".into()),
        },
        text: Some("Order for Monday".into()),
        attachment: None,
    };
    let (outcome, _) = run(&page, &job);
    assert!(
        matches!(outcome, Outcome::Sent { wa_id: Some(_) }),
        "{outcome:?}"
    );
    let state = page.state.borrow();
    assert_eq!(state.delivered[0].chat, group);
    assert_eq!(state.delivered[0].text, "Order for Monday");
    assert!(
        state.links.iter().all(|link| !link.contains("120363")),
        "no link opens a group"
    );
    // Ana's chat, known only by its name, is clicked back in the list.
    assert_eq!(state.opened_from_list, ["Suppliers", "Ana"]);
}

#[test]
fn a_group_the_list_has_not_rendered_is_found_by_searching() {
    let page = FakePage::default();
    let group = "120363000000000003@g.us";
    {
        let mut state = page.state.borrow_mut();
        state.names.insert(group.into(), "Night shift".into());
        state.scrolled_out.insert(group.into());
        state.rows.insert(
            group.into(),
            vec![crate::driver::watch::SeenRow {
                id: Some(format!("false_{group}_A1_447400000009@c.us")),
                ..Default::default()
            }],
        );
    }
    let job = SendJob {
        to: Recipient::Group {
            wa_id: group.into(),
            name: Some("Night shift".into()),
        },
        text: Some("Keys are at the desk".into()),
        attachment: None,
    };
    let (outcome, _) = run(&page, &job);
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
    let state = page.state.borrow();
    assert_eq!(state.searches, ["Night shift"]);
    assert_eq!(state.search, "", "the search box is emptied after");
    assert_eq!(state.delivered[0].chat, group);
}

#[test]
fn a_group_the_list_does_not_show_fails_with_words() {
    let page = FakePage::default();
    let job = SendJob {
        to: Recipient::Group {
            wa_id: "120363000000000002@g.us".into(),
            name: Some("Family".into()),
        },
        text: Some("Hi all".into()),
        attachment: None,
    };
    let (outcome, _) = run(&page, &job);
    assert!(
        matches!(&outcome, Outcome::Failed(p) if p.contains("no group named Family")),
        "{outcome:?}"
    );
    assert_eq!(
        page.state.borrow().search,
        "",
        "a search that found nothing is emptied too"
    );
    let unnamed = SendJob {
        to: Recipient::Group {
            wa_id: "120363000000000002@g.us".into(),
            name: None,
        },
        ..job
    };
    let (outcome, _) = run(&page, &unnamed);
    assert!(
        matches!(&outcome, Outcome::Failed(p) if p.contains("name it in Chorus")),
        "{outcome:?}"
    );
}

#[test]
fn links_are_noticed_wherever_they_are() {
    assert!(has_link(Some("HTTPS://A.B")));
    assert!(has_link(Some("go to www.example.org")));
    assert!(!has_link(Some("no link")));
    assert!(!has_link(None));
}
