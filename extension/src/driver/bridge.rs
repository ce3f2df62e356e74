//! The protocol between the driver and the page bridge
//! (`extension/web/bridge.js`): every operation the bridge performs, typed,
//! and the messages it sends back.
//!
//! Requests carry [`BRIDGE_PROTOCOL`]. A bridge of another version (a tab
//! left open across an extension update) or one that does not know an
//! operation refuses it with an error instead of doing something else, and
//! the sidebar of that tab shows the error.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::selectors::Element;
use super::watch::{Snapshot, WatchConfig};

/// The version of this protocol; the bridge refuses requests of another.
pub const BRIDGE_PROTOCOL: u32 = 4;

/// A file handed to a file input, as choosing it in a dialog would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileToAttach {
    /// Its name, as the recipient will see it.
    pub name: String,
    /// Its MIME type.
    pub mime: String,
    /// Its bytes, base64 (the port carries JSON).
    pub base64: String,
}

/// One primitive operation on the page. Selectors come from
/// [`Element::selectors`]: the bridge tries them in order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "op", content = "args", rename_all = "snake_case")]
pub enum BridgeOp {
    /// Which of these selector lists match something.
    Probe {
        /// One list per element asked about.
        lists: Vec<&'static [&'static str]>,
    },
    /// The text of the first match.
    Read {
        /// The element's selectors.
        selectors: &'static [&'static str],
    },
    /// Clicks the first match (or its nearest ancestor matching `closest`).
    Click {
        /// The element's selectors.
        selectors: &'static [&'static str],
        /// The clickable ancestor to prefer, for icons inside buttons.
        closest: Option<&'static str>,
    },
    /// Pastes text into an editor, the way the clipboard does.
    Paste {
        /// The editor's selectors.
        selectors: &'static [&'static str],
        /// What to paste.
        text: String,
    },
    /// Gives a file input a file.
    Attach {
        /// The input's selectors.
        selectors: &'static [&'static str],
        /// The file, flattened into the arguments.
        #[serde(flatten)]
        file: FileToAttach,
    },
    /// Clicks a link to `href` placed in the page (opens a chat without a
    /// reload).
    FollowLink {
        /// The link.
        href: String,
    },
    /// Clicks the row of a list whose name is `name` (a chat of the chat
    /// list), matching the name's text or its `title` attribute.
    ClickNamed {
        /// The list's rows.
        rows: &'static [&'static str],
        /// The name inside a row.
        name_selectors: &'static [&'static str],
        /// The name to find.
        name: String,
    },
    /// Empties an editor (the search box), the way selecting all and
    /// deleting does.
    ClearText {
        /// The editor's selectors.
        selectors: &'static [&'static str],
    },
    /// The bytes the page holds at a `blob:` URL (a file it downloaded),
    /// unless there are more than `max_bytes`.
    ReadBlob {
        /// The URL, from a message row.
        url: String,
        /// The most to carry back.
        max_bytes: usize,
    },
    /// How long since the person at this browser typed or clicked, and
    /// whether the tab is hidden.
    Idle,
    /// Starts reporting snapshots of the open conversation.
    Watch(WatchConfig),
    /// Places the sidebar frame and narrows the app beside it.
    Layout {
        /// The app root's selectors.
        selectors: &'static [&'static str],
        /// The sidebar's width in CSS pixels.
        sidebar_width: u32,
        /// Make the root the containing block of fixed-position wrappers
        /// inside it, so they narrow with it whatever their positioning.
        contain: bool,
    },
}

impl BridgeOp {
    /// Probes for `elements`.
    pub fn probe(elements: &[Element]) -> BridgeOp {
        BridgeOp::Probe {
            lists: elements.iter().map(|e| e.selectors()).collect(),
        }
    }

    /// Clicks `element`, or the button it sits in.
    pub fn click(element: Element) -> BridgeOp {
        BridgeOp::Click {
            selectors: element.selectors(),
            closest: element.clickable_ancestor(),
        }
    }
}

/// A request as it crosses the port.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeRequest {
    /// [`BRIDGE_PROTOCOL`].
    pub version: u32,
    /// Echoed in the reply.
    pub id: u64,
    /// What to do.
    #[serde(flatten)]
    pub op: BridgeOp,
}

/// What the bridge sends.
#[derive(Debug, Clone, PartialEq)]
pub enum FromBridge {
    /// The answer to request `id`: its value or the bridge's error.
    Reply {
        /// The request's id.
        id: u64,
        /// The value, or what went wrong.
        result: Result<Value, String>,
    },
    /// The open conversation changed.
    Rows(Snapshot),
    /// Something this driver does not understand (a newer bridge).
    Unknown,
}

#[derive(Deserialize)]
struct RawMessage {
    reply: Option<u64>,
    #[serde(default)]
    ok: Value,
    error: Option<String>,
    event: Option<String>,
}

impl FromBridge {
    /// Reads one message from the port (as JSON text).
    pub fn parse(text: &str) -> FromBridge {
        let Ok(raw) = serde_json::from_str::<RawMessage>(text) else {
            return FromBridge::Unknown;
        };
        if let Some(id) = raw.reply {
            let result = match raw.error {
                Some(error) => Err(error),
                None => Ok(raw.ok),
            };
            return FromBridge::Reply { id, result };
        }
        match raw.event.as_deref() {
            Some("rows") => serde_json::from_str(text)
                .map(FromBridge::Rows)
                .unwrap_or(FromBridge::Unknown),
            _ => FromBridge::Unknown,
        }
    }
}

/// What a `read` answers.
#[derive(Debug, Deserialize)]
pub struct ReadReply {
    /// The element's text.
    pub text: String,
}

/// What a `read_blob` answers.
#[derive(Debug, Deserialize)]
pub struct BlobReply {
    /// Its media type, as the page labelled it.
    #[serde(default)]
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
    /// The bytes, base64-encoded; `None` when over the limit.
    #[serde(default)]
    pub base64: Option<String>,
}

/// What an `idle` answers.
#[derive(Debug, Deserialize)]
pub struct IdleReply {
    /// Milliseconds since the last input.
    pub ms: f64,
    /// The tab is hidden (`document.hidden`).
    #[serde(default)]
    pub hidden: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_carry_the_version_an_operation_and_its_arguments() {
        let request = BridgeRequest {
            version: BRIDGE_PROTOCOL,
            id: 7,
            op: BridgeOp::FollowLink {
                href: "https://wa.me/1".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"version": BRIDGE_PROTOCOL, "id": 7, "op": "follow_link", "args": {"href": "https://wa.me/1"}})
        );
        let idle = BridgeRequest {
            version: BRIDGE_PROTOCOL,
            id: 8,
            op: BridgeOp::Idle,
        };
        assert_eq!(
            serde_json::to_value(&idle).unwrap(),
            json!({"version": BRIDGE_PROTOCOL, "id": 8, "op": "idle"})
        );
    }

    #[test]
    fn a_file_travels_flat_beside_its_selectors() {
        let op = BridgeOp::Attach {
            selectors: Element::DocumentFileInput.selectors(),
            file: FileToAttach {
                name: "a.pdf".into(),
                mime: "application/pdf".into(),
                base64: "JVBE".into(),
            },
        };
        let value = serde_json::to_value(&op).unwrap();
        assert_eq!(value["op"], "attach");
        assert_eq!(value["args"]["name"], "a.pdf");
        assert_eq!(value["args"]["base64"], "JVBE");
        assert!(value["args"]["selectors"].is_array());
    }

    #[test]
    fn icons_are_clicked_through_their_button() {
        let BridgeOp::Click { closest, .. } = BridgeOp::click(Element::SendButton) else {
            unreachable!()
        };
        assert!(closest.is_some());
        let BridgeOp::Click { closest, .. } = BridgeOp::click(Element::PopupButton) else {
            unreachable!()
        };
        assert_eq!(closest, None);
    }

    /// The page bridge, which must speak this protocol.
    const BRIDGE_JS: &str = include_str!("../../web/bridge.js");

    #[test]
    fn the_page_bridge_speaks_this_version_and_every_operation() {
        assert!(
            BRIDGE_JS.contains(&format!("const PROTOCOL = {BRIDGE_PROTOCOL};")),
            "bridge.js and BRIDGE_PROTOCOL disagree"
        );
        let file = FileToAttach {
            name: String::new(),
            mime: String::new(),
            base64: String::new(),
        };
        let every_op = [
            BridgeOp::probe(&[]),
            BridgeOp::Read { selectors: &[] },
            BridgeOp::click(Element::SendButton),
            BridgeOp::Paste {
                selectors: &[],
                text: String::new(),
            },
            BridgeOp::Attach {
                selectors: &[],
                file,
            },
            BridgeOp::FollowLink {
                href: String::new(),
            },
            BridgeOp::ClickNamed {
                rows: &[],
                name_selectors: &[],
                name: String::new(),
            },
            BridgeOp::ClearText { selectors: &[] },
            BridgeOp::ReadBlob {
                url: String::new(),
                max_bytes: 0,
            },
            BridgeOp::Idle,
            BridgeOp::Watch(WatchConfig::conversation()),
            BridgeOp::Layout {
                selectors: &[],
                sidebar_width: 0,
                contain: true,
            },
        ];
        for op in every_op {
            let name = serde_json::to_value(&op).unwrap()["op"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(
                BRIDGE_JS.contains(&format!("    {name}: ("))
                    || BRIDGE_JS.contains(&format!("    {name}: async (")),
                "bridge.js has no `{name}` operation"
            );
        }
    }

    #[test]
    fn replies_events_and_refusals_are_told_apart() {
        assert_eq!(
            FromBridge::parse(r#"{"reply":3,"ok":[true,false]}"#),
            FromBridge::Reply {
                id: 3,
                result: Ok(json!([true, false]))
            }
        );
        assert_eq!(
            FromBridge::parse(r#"{"reply":4,"error":"unknown operation: shake"}"#),
            FromBridge::Reply {
                id: 4,
                result: Err("unknown operation: shake".into())
            }
        );
        let FromBridge::Rows(snapshot) =
            FromBridge::parse(r#"{"event":"rows","rows":[],"header":"Ana"}"#)
        else {
            panic!("rows")
        };
        assert_eq!(snapshot.header.as_deref(), Some("Ana"));
        assert!(!snapshot.dark, "a bridge that does not say is light");
        let FromBridge::Rows(snapshot) = FromBridge::parse(r#"{"event":"rows","dark":true}"#)
        else {
            panic!("rows")
        };
        assert!(snapshot.dark);
        assert_eq!(
            FromBridge::parse("{\"event\":\"new\"}"),
            FromBridge::Unknown
        );
        assert_eq!(FromBridge::parse("not json"), FromBridge::Unknown);
    }
}
