//! Queuing messages (one, or one per ticked contact), uploads, and changes
//! to the open chat.

use std::rc::Rc;

use chorus_shared::endpoints::{self, Endpoint as _};
use chorus_shared::limits::ATTACHMENT_MAX_BYTES;
use chorus_shared::queue::{FileView, SendAnswer, SendMessage};
use chorus_shared::team::{CommentView, UpdateChat};
use uuid::Uuid;

use super::{problem, Outcome};
use crate::browser::random_id;
use crate::browser::relay::Failure;
use crate::pages::sidebar::App;
use crate::ui::Model;

/// Fetches a file a customer sent and keeps it as a `blob:` URL of this
/// page, which the timeline shows (pictures, voice notes, videos) or offers
/// to save.
pub(super) async fn show_received(app: &Rc<App>, file: FileView) -> Outcome {
    let endpoint = endpoints::FileContent {
        organization_id: app.profile(),
        file_id: file.id,
    };
    let bytes = app.relay().bytes(&endpoint.path()).await?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&file.mime);
    let url = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob))
        .map_err(|_| problem("This browser could not hold the file; try again."))?;
    app.model.borrow_mut().received_files.insert(file.id, url);
    app.render();
    Ok(())
}

/// The open chat's id, once the relay knows the chat.
pub(super) fn known_chat(app: &App) -> Result<Uuid, Failure> {
    let chat_id = app.model.borrow().panel.chat.as_ref().map(|c| c.id);
    chat_id.ok_or_else(|| problem("This chat has no Chorus history yet: send a message first."))
}

/// Renames, resolves or reopens the open chat.
pub(super) async fn update_chat(app: &Rc<App>, change: UpdateChat) -> Outcome {
    let chat_id = known_chat(app)?;
    let chat = app
        .relay()
        .call_endpoint(&endpoints::ChangeChat {
            organization_id: app.profile(),
            chat_id,
            body: change,
        })
        .await?;
    app.model.borrow_mut().chat_changed(&chat);
    app.load_panel().await
}

/// Queues one message through the chosen profile.
pub(super) async fn queue(
    app: &Rc<App>,
    phone: Option<String>,
    chat_id: Option<Uuid>,
    text: &str,
    attachment_id: Option<Uuid>,
) -> Outcome {
    if text.is_empty() && attachment_id.is_none() {
        return Err(problem("Write a message or choose a file to send."));
    }
    let message = SendMessage {
        organization_id: app.model.borrow().settings.profile,
        phone,
        chat_id,
        text: Some(text.to_owned()).filter(|t| !t.is_empty()),
        attachment_id,
        kind: None,
        idempotency_key: random_id(),
    };
    let message = match app
        .relay()
        .call_endpoint(&endpoints::QueueMessage(message))
        .await?
    {
        SendAnswer::KeptAsComment(added) => {
            let mut model = app.model.borrow_mut();
            model.notice = Some(added.detail.clone());
            add_to_timeline(&mut model, added.comment);
            return Ok(());
        }
        SendAnswer::Queued(message) | SendAnswer::AlreadyQueued(message) => message,
    };
    let mut model = app.model.borrow_mut();
    model.sent.retain(|m| m.id != message.id);
    model.sent.insert(0, message);
    Ok(())
}

pub(super) fn add_to_timeline(model: &mut Model, comment: CommentView) {
    use chorus_shared::team::TimelineItem;
    let here = model
        .panel
        .chat
        .as_ref()
        .is_some_and(|chat| chat.id == comment.chat_id);
    let known = model
        .panel
        .timeline
        .iter()
        .any(|item| matches!(item, TimelineItem::Comment { comment: c } if c.id == comment.id));
    if here && !known {
        model.panel.timeline.push(TimelineItem::Comment { comment });
    }
}

/// Uploads a chosen file, refusing files over the limit before sending a
/// byte.
pub(super) async fn upload(app: &Rc<App>, file: web_sys::File) -> Outcome {
    let size = file.size();
    if size > ATTACHMENT_MAX_BYTES as f64 {
        return Err(problem(format!(
            "{} is {:.1} MB; Chorus sends files up to {} MB. Choose a smaller file.",
            file.name(),
            size / 1_048_576.0,
            ATTACHMENT_MAX_BYTES / 1_048_576
        )));
    }
    let upload = endpoints::UploadFile {
        organization_id: app.profile(),
        name: file.name(),
    };
    let uploaded = app.relay().upload(&upload, &file).await?;
    let mut model = app.model.borrow_mut();
    model.notice = Some(format!("Uploaded {}.", uploaded.name));
    model.files.retain(|f| f.id != uploaded.id);
    model.files.insert(0, uploaded);
    Ok(())
}
