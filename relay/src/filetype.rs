//! What an uploaded file is, judged from its bytes (never its name), and
//! whether WhatsApp can carry it as an image, document or video.

use chorus_shared::message::MessageKind;

/// A file type Chorus can send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// Media type.
    pub mime: String,
    /// The message kind it makes.
    pub kind: MessageKind,
    /// Usual extension, for unnamed uploads.
    pub extension: &'static str,
}

/// What is accepted, for error messages.
pub const ACCEPTED: &str = "images (JPEG, PNG, GIF, WebP), videos (MP4, 3GP, MOV, WebM) and \
                            documents (PDF, Word, Excel, PowerPoint, OpenDocument, plain text)";

/// Detects the type of `bytes`; `None` for anything Chorus does not send.
pub fn detect(bytes: &[u8]) -> Option<Detected> {
    let found = |mime: &str, kind, extension| {
        Some(Detected {
            mime: mime.to_owned(),
            kind,
            extension,
        })
    };
    match infer::get(bytes) {
        Some(kind) => match kind.mime_type() {
            "image/jpeg" => found("image/jpeg", MessageKind::Image, "jpg"),
            "image/png" => found("image/png", MessageKind::Image, "png"),
            "image/gif" => found("image/gif", MessageKind::Image, "gif"),
            "image/webp" => found("image/webp", MessageKind::Image, "webp"),
            "video/mp4" => found("video/mp4", MessageKind::Video, "mp4"),
            "video/3gpp" => found("video/3gpp", MessageKind::Video, "3gp"),
            "video/quicktime" => found("video/quicktime", MessageKind::Video, "mov"),
            "video/webm" => found("video/webm", MessageKind::Video, "webm"),
            mime @ ("application/pdf"
            | "application/msword"
            | "application/vnd.ms-excel"
            | "application/vnd.ms-powerpoint"
            | "application/rtf"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            | "application/vnd.oasis.opendocument.text"
            | "application/vnd.oasis.opendocument.spreadsheet"
            | "application/vnd.oasis.opendocument.presentation") => {
                found(mime, MessageKind::Document, kind.extension())
            }
            _ => None,
        },
        None if is_plain_text(bytes) => found("text/plain", MessageKind::Document, "txt"),
        None => None,
    }
}

/// What a file a customer sent is: whatever Chorus sends, audio (voice
/// notes), and anything else as an opaque document. It is only ever
/// downloaded, never shown inline, so its type need not be one we send.
pub fn detect_received(bytes: &[u8]) -> Detected {
    if let Some(known) = detect(bytes) {
        return known;
    }
    match infer::get(bytes) {
        Some(kind) if kind.matcher_type() == infer::MatcherType::Audio => Detected {
            mime: kind.mime_type().to_owned(),
            kind: MessageKind::Document,
            extension: kind.extension(),
        },
        _ => Detected {
            mime: "application/octet-stream".to_owned(),
            kind: MessageKind::Document,
            extension: "bin",
        },
    }
}

fn is_plain_text(bytes: &[u8]) -> bool {
    !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// A file name safe to store and show: no directories or control characters,
/// bounded length; `fallback` when nothing usable is left.
pub fn clean_name(name: Option<&str>, fallback: &str) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = chorus_shared::text::clean_name(base)
        .chars()
        .take(chorus_shared::limits::FILE_NAME_MAX_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];

    #[test]
    fn kinds_come_from_the_bytes() {
        assert_eq!(detect(PDF).map(|d| d.kind), Some(MessageKind::Document));
        assert_eq!(
            detect(PNG).map(|d| (d.kind, d.mime)),
            Some((MessageKind::Image, "image/png".into()))
        );
        assert_eq!(
            detect(b"hello, world\n").map(|d| d.mime),
            Some("text/plain".into())
        );
    }

    #[test]
    fn unsupported_bytes_are_refused() {
        assert_eq!(
            detect(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
            None,
            "a Windows executable"
        );
        assert_eq!(detect(&[0xff, 0xfe, 0x00, 0x01, 0x02]), None, "binary junk");
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name(Some("../../etc/passwd"), "f"), "passwd");
        assert_eq!(
            clean_name(Some("C:\\Users\\a\\report.pdf"), "f"),
            "report.pdf"
        );
        assert_eq!(clean_name(Some("a\u{0}b\nc.txt"), "f"), "abc.txt");
        assert_eq!(clean_name(Some(".."), "file.pdf"), "file.pdf");
        assert_eq!(clean_name(None, "file.pdf"), "file.pdf");
    }
}
