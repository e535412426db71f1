//! Serializer 2.0.0 on the server side: `[join_ref, ref, topic, event,
//! payload]` text frames.

use serde_json::{json, Value};

/// A frame as a client sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub join_ref: Option<String>,
    pub reference: Option<String>,
    pub topic: String,
    pub event: String,
    pub payload: Value,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("frame is not a serializer 2.0.0 array: {0}")]
    Malformed(String),
}

pub fn decode(text: &str, max: usize) -> Result<Inbound, FrameError> {
    if text.len() > max {
        return Err(FrameError::TooLarge {
            len: text.len(),
            max,
        });
    }
    let (join_ref, reference, topic, event, payload): (
        Option<String>,
        Option<String>,
        String,
        String,
        Value,
    ) = serde_json::from_str(text).map_err(|e| FrameError::Malformed(e.to_string()))?;
    Ok(Inbound {
        join_ref,
        reference,
        topic,
        event,
        payload,
    })
}

pub fn encode(
    join_ref: Option<&str>,
    reference: Option<&str>,
    topic: &str,
    event: &str,
    payload: &Value,
) -> String {
    // Serializing a tuple of strings and a Value cannot fail.
    serde_json::to_string(&(join_ref, reference, topic, event, payload)).unwrap_or_default()
}

/// A `phx_reply` to `frame`, ok or error, with `response`.
pub fn reply(frame: &Inbound, ok: bool, response: Value) -> String {
    let status = if ok { "ok" } else { "error" };
    encode(
        frame.join_ref.as_deref(),
        frame.reference.as_deref(),
        &frame.topic,
        "phx_reply",
        &json!({ "status": status, "response": response }),
    )
}

/// An error reply with `{"reason": reason}`.
pub fn error_reply(frame: &Inbound, reason: &str) -> String {
    reply(frame, false, json!({ "reason": reason }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_encodes() {
        let f = decode(r#"["1","2","chat:k:lobby","phx_join",{}]"#, 1024).unwrap();
        assert_eq!(f.join_ref.as_deref(), Some("1"));
        assert_eq!(f.topic, "chat:k:lobby");
        let r = reply(&f, true, json!({}));
        assert_eq!(
            r,
            r#"["1","2","chat:k:lobby","phx_reply",{"response":{},"status":"ok"}]"#
        );
    }

    #[test]
    fn rejects_bad_frames() {
        assert!(matches!(
            decode("[1,2]", 1024),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(decode("{}", 1024), Err(FrameError::Malformed(_))));
        assert!(matches!(
            decode("[null,null,\"t\",\"e\",{}]", 4),
            Err(FrameError::TooLarge { .. })
        ));
        assert!(decode("[null,null,\"t\",\"e\",{}]", 1024).is_ok());
    }
}
