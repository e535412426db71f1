//! The wire codec for Phoenix serializer 2.0.0: one text frame is the JSON array
//! `[join_ref, ref, topic, event, payload]`.
//!
//! This module only checks the envelope. The payload is any JSON value; the layer
//! that handles an event checks its shape. Callers decode every text frame with
//! [`decode`] (or [`decode_with_limit`]) and treat an error as a protocol fault of
//! that one frame, not of the socket.
//!
//! [`decode_raw`] is the same decoder with the payload left as JSON text and the
//! strings borrowed from the frame: a caller that reads a payload into its own
//! type (a chat message) skips building a generic tree first.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{value::RawValue, Value};
use thiserror::Error;

/// The largest text frame [`decode`] accepts. Chatpi messages are small; a frame
/// past this is a broken or hostile peer.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1024 * 1024;

/// The topic of socket-level traffic (heartbeats).
pub const PHOENIX_TOPIC: &str = "phoenix";
/// Joins a channel; its ref becomes the channel's join ref.
pub const PHX_JOIN: &str = "phx_join";
/// Leaves a channel.
pub const PHX_LEAVE: &str = "phx_leave";
/// A reply to a push, matched by ref.
pub const PHX_REPLY: &str = "phx_reply";
/// The channel process crashed on the server.
pub const PHX_ERROR: &str = "phx_error";
/// The channel process ended on the server.
pub const PHX_CLOSE: &str = "phx_close";
/// The keep-alive push on [`PHOENIX_TOPIC`].
pub const HEARTBEAT: &str = "heartbeat";

/// One serializer 2.0.0 message, in either direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The ref of the join this message belongs to; `None` on broadcasts and
    /// heartbeats.
    pub join_ref: Option<String>,
    /// The ref of a push, echoed by its reply; `None` on broadcasts.
    pub reference: Option<String>,
    pub topic: String,
    pub event: String,
    pub payload: Value,
}

impl Frame {
    pub fn new(
        join_ref: Option<String>,
        reference: Option<String>,
        topic: impl Into<String>,
        event: impl Into<String>,
        payload: Value,
    ) -> Self {
        Self {
            join_ref,
            reference,
            topic: topic.into(),
            event: event.into(),
            payload,
        }
    }
}

/// Why a text frame was refused. Each names the fault, never the frame's content.
#[derive(Debug, Error)]
pub enum FrameError {
    #[error("frame of {len} bytes is larger than the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("frame is not valid json: {0}")]
    InvalidJson(#[source] serde_json::Error),
    #[error("frame is not a json array")]
    NotAnArray,
    #[error("frame has {0} elements, expected 5")]
    WrongArity(usize),
    #[error("frame field `{field}` has the wrong type, expected {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
}

/// A decoded frame that borrows from its text, its payload not yet parsed.
#[derive(Debug)]
pub struct RawFrame<'a> {
    pub join_ref: Option<Cow<'a, str>>,
    pub reference: Option<Cow<'a, str>>,
    pub topic: Cow<'a, str>,
    pub event: Cow<'a, str>,
    /// Valid JSON, as it stood in the frame.
    pub payload: &'a RawValue,
}

impl RawFrame<'_> {
    /// The owned frame, its payload parsed into a [`Value`].
    pub fn into_frame(self) -> Result<Frame, FrameError> {
        let payload = serde_json::from_str(self.payload.get()).map_err(FrameError::InvalidJson)?;
        Ok(Frame {
            join_ref: self.join_ref.map(Cow::into_owned),
            reference: self.reference.map(Cow::into_owned),
            topic: self.topic.into_owned(),
            event: self.event.into_owned(),
            payload,
        })
    }
}

/// The frame as serde reads it: a fixed five-element array, decoded in one pass.
#[derive(Deserialize)]
struct WireFrame<'a>(
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] &'a RawValue,
);

/// The frame as serde writes it, borrowing from the [`Frame`].
#[derive(Serialize)]
struct WireFrameRef<'a>(
    &'a Option<String>,
    &'a Option<String>,
    &'a str,
    &'a str,
    &'a Value,
);

/// Encodes a frame as the text of one WebSocket message.
pub fn encode(frame: &Frame) -> String {
    let wire = WireFrameRef(
        &frame.join_ref,
        &frame.reference,
        &frame.topic,
        &frame.event,
        &frame.payload,
    );
    // Strings and a `Value` (whose map keys are strings) always serialize.
    serde_json::to_string(&wire).expect("a frame of strings and a json value serializes")
}

/// Decodes one text frame with the [`DEFAULT_MAX_FRAME_BYTES`] limit.
pub fn decode(text: &str) -> Result<Frame, FrameError> {
    decode_with_limit(text, DEFAULT_MAX_FRAME_BYTES)
}

/// Decodes one text frame, refusing texts longer than `max_bytes`.
pub fn decode_with_limit(text: &str, max_bytes: usize) -> Result<Frame, FrameError> {
    decode_raw(text, max_bytes)?.into_frame()
}

/// Decodes one text frame's envelope, refusing texts longer than `max_bytes`;
/// the payload is checked to be JSON but not parsed.
pub fn decode_raw(text: &str, max_bytes: usize) -> Result<RawFrame<'_>, FrameError> {
    if text.len() > max_bytes {
        return Err(FrameError::TooLarge {
            len: text.len(),
            max: max_bytes,
        });
    }

    // The hot path reads straight into typed fields. Only a refused frame pays
    // for a second parse that names what was wrong with it.
    match serde_json::from_str::<WireFrame>(text) {
        Ok(WireFrame(join_ref, reference, topic, event, payload)) => Ok(RawFrame {
            join_ref,
            reference,
            topic,
            event,
            payload,
        }),
        Err(err) => Err(diagnose(text).unwrap_or(FrameError::InvalidJson(err))),
    }
}

/// Names the envelope fault of a text the typed decoder refused, if it is one.
fn diagnose(text: &str) -> Option<FrameError> {
    let value = match serde_json::from_str::<Value>(text) {
        Ok(value) => value,
        Err(err) => return Some(FrameError::InvalidJson(err)),
    };
    let Value::Array(items) = value else {
        return Some(FrameError::NotAnArray);
    };
    if items.len() != 5 {
        return Some(FrameError::WrongArity(items.len()));
    }

    let nullable = [("join_ref", &items[0]), ("ref", &items[1])];
    for (field, item) in nullable {
        if !(item.is_string() || item.is_null()) {
            return Some(FrameError::WrongType {
                field,
                expected: "a string or null",
            });
        }
    }
    let required = [("topic", &items[2]), ("event", &items[3])];
    for (field, item) in required {
        if !item.is_string() {
            return Some(FrameError::WrongType {
                field,
                expected: "a string",
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn encodes_the_five_element_array() {
        let frame = Frame::new(
            Some("1".into()),
            Some("2".into()),
            "chat:k:lobby",
            PHX_JOIN,
            json!({}),
        );
        assert_eq!(encode(&frame), r#"["1","2","chat:k:lobby","phx_join",{}]"#);
    }

    #[test]
    fn encodes_null_refs() {
        let frame = Frame::new(None, None, "chat:k:1", "message:new", json!({"text": "hi"}));
        assert_eq!(
            encode(&frame),
            r#"[null,null,"chat:k:1","message:new",{"text":"hi"}]"#
        );
    }

    #[test]
    fn decodes_a_reply() {
        let text = r#"["3","7","chat:k:1","phx_reply",{"status":"ok","response":{}}]"#;
        let frame = decode(text).unwrap();
        assert_eq!(frame.join_ref.as_deref(), Some("3"));
        assert_eq!(frame.reference.as_deref(), Some("7"));
        assert_eq!(frame.topic, "chat:k:1");
        assert_eq!(frame.event, PHX_REPLY);
        assert_eq!(frame.payload, json!({"status": "ok", "response": {}}));
    }

    #[test]
    fn decodes_raw_borrowing_plain_strings_and_keeping_the_payload_text() {
        let text = r#"[null,null,"chat:k:1","message:new",{"text":"a\"b"}]"#;
        let raw = decode_raw(text, usize::MAX).unwrap();
        assert!(matches!(raw.topic, Cow::Borrowed("chat:k:1")));
        assert_eq!(raw.event, "message:new");
        assert_eq!(raw.join_ref, None);
        assert_eq!(raw.payload.get(), r#"{"text":"a\"b"}"#);
        let escaped = decode_raw(r#"["1","2","a\u0041","e",{}]"#, usize::MAX).unwrap();
        assert_eq!(escaped.topic, "aA");
        assert_eq!(escaped.reference.as_deref(), Some("2"));
        assert_eq!(
            escaped.into_frame().unwrap(),
            Frame::new(Some("1".into()), Some("2".into()), "aA", "e", json!({}))
        );
    }

    #[test]
    fn decodes_any_payload_value() {
        let frame = decode(r#"[null,null,"t","e",[1,2]]"#).unwrap();
        assert_eq!(frame.payload, json!([1, 2]));
    }

    #[test]
    fn refuses_a_frame_over_the_limit() {
        let text = r#"[null,null,"t","e",{}]"#;
        let err = decode_with_limit(text, 10).unwrap_err();
        assert!(
            matches!(err, FrameError::TooLarge { len: 22, max: 10 }),
            "{err:?}"
        );
        assert!(decode_with_limit(text, text.len()).is_ok());
    }

    #[test]
    fn refuses_invalid_json() {
        let err = decode(r#"[null,null,"t","e",{}"#).unwrap_err();
        assert!(matches!(err, FrameError::InvalidJson(_)), "{err:?}");
    }

    #[test]
    fn refuses_a_non_array() {
        let err = decode(r#"{"topic":"t","event":"e","payload":{},"ref":null}"#).unwrap_err();
        assert!(matches!(err, FrameError::NotAnArray), "{err:?}");
        assert!(matches!(decode("42").unwrap_err(), FrameError::NotAnArray));
    }

    #[test]
    fn refuses_the_wrong_arity() {
        let err = decode(r#"[null,"t","e",{}]"#).unwrap_err();
        assert!(matches!(err, FrameError::WrongArity(4)), "{err:?}");
        let err = decode(r#"[null,null,"t","e",{},{}]"#).unwrap_err();
        assert!(matches!(err, FrameError::WrongArity(6)), "{err:?}");
    }

    #[test]
    fn refuses_numeric_refs() {
        let err = decode(r#"[1,null,"t","e",{}]"#).unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::WrongType {
                    field: "join_ref",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = decode(r#"[null,2,"t","e",{}]"#).unwrap_err();
        assert!(
            matches!(err, FrameError::WrongType { field: "ref", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_a_non_string_topic_or_event() {
        let err = decode(r#"[null,null,null,"e",{}]"#).unwrap_err();
        assert!(
            matches!(err, FrameError::WrongType { field: "topic", .. }),
            "{err:?}"
        );
        let err = decode(r#"[null,null,"t",5,{}]"#).unwrap_err();
        assert!(
            matches!(err, FrameError::WrongType { field: "event", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn error_messages_are_lowercase() {
        let err = decode(r#"[null,null,"t",5,{}]"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "frame field `event` has the wrong type, expected a string"
        );
    }

    /// Texts close to a frame: arrays of refs, strings, numbers and payloads.
    const ARRAY_LIKE: &str = r#"\[(null|"[a-z]*"|[0-9]+|\{\}|\[\]|,){0,8}\]"#;

    fn json_value() -> impl Strategy<Value = Value> {
        // No floats: their text form is not guaranteed to round-trip bit for bit.
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".*", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(
            join_ref in proptest::option::of(".*"),
            reference in proptest::option::of(".*"),
            topic in ".*",
            event in ".*",
            payload in json_value(),
        ) {
            let frame = Frame { join_ref, reference, topic, event, payload };
            let decoded = decode_with_limit(&encode(&frame), usize::MAX).unwrap();
            prop_assert_eq!(decoded, frame);
        }

        #[test]
        fn decode_never_panics_on_any_text(text in ".*") {
            let _ = decode(&text);
        }

        #[test]
        fn decode_never_panics_on_array_like_text(text in ARRAY_LIKE) {
            let _ = decode(&text);
        }
    }
}
