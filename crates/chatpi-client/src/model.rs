//! The Chatpi data the wire carries: messages, reactions, users and chats.
//! Unknown fields are kept in `extra` (never fatal), so a newer server's
//! additions survive a round trip through this client.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The key under `custom_details` that carries the client's own message id.
/// A real server has no idempotency key; this id is how a client recognises
/// its own echo and checks, before resending, whether a send was stored.
pub const CLIENT_ID_KEY: &str = "client_id";

/// A stored chat message.
///
/// Its `Deserialize` is written out in `model/message_de.rs`: every live
/// message passes through it, and the derive's `flatten` buffers each field
/// before reading it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: String,
    #[serde(default)]
    pub text: String,
    pub user_auth_key: String,
    /// Naive ISO-8601 UTC, one-second precision on a real server.
    pub inserted_at: String,
    #[serde(default)]
    pub reply_target_id: Option<String>,
    #[serde(default)]
    pub custom_details: Option<Value>,
    /// Files are broadcast but never stored by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    /// The client id this message was sent with, if any.
    pub fn client_id(&self) -> Option<&str> {
        self.custom_details.as_ref()?.get(CLIENT_ID_KEY)?.as_str()
    }
}

/// A reaction to a message, as broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub reaction_target_id: String,
    pub classifier: String,
    #[serde(default)]
    pub user_auth_key: String,
}

/// A user as REST returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub auth_key: String,
    #[serde(default)]
    pub username: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A chat the user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub members: Vec<User>,
    #[serde(default)]
    pub inserted_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Server-side read state of one chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatDetail {
    #[serde(default)]
    pub chat_id: Option<String>,
    #[serde(default)]
    pub message_seen_id: Option<String>,
    #[serde(default)]
    pub unread_messages: u64,
}

/// `GET /api/v1/chats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatList {
    pub chats: Vec<Chat>,
    #[serde(default)]
    pub detail: Vec<ChatDetail>,
}

/// A message to send. It serializes, so an outbox store can keep it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_target_id: Option<String>,
    /// Extra details; the client id is added under [`CLIENT_ID_KEY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_details: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Value>,
}

impl OutgoingMessage {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn reply_to(mut self, target: impl Into<String>) -> Self {
        self.reply_target_id = Some(target.into());
        self
    }

    /// The `message:new` payload, carrying `client_id`.
    pub(crate) fn payload(&self, client_id: &str) -> Value {
        let mut details = self.custom_details.clone().unwrap_or_default();
        details.insert(CLIENT_ID_KEY.into(), Value::String(client_id.to_owned()));
        let mut body = Map::new();
        body.insert("text".into(), Value::String(self.text.clone()));
        if let Some(target) = &self.reply_target_id {
            body.insert("reply_target_id".into(), Value::String(target.clone()));
        }
        body.insert("custom_details".into(), Value::Object(details));
        if let Some(files) = &self.files {
            body.insert("files".into(), files.clone());
        }
        Value::Object(body)
    }
}

/// A history window: strictly between the bounds, naive UTC timestamps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl HistoryQuery {
    /// The bounds as a server must receive them: naive UTC, whole seconds.
    /// A malformed bound is an error here rather than a crashed join there.
    pub fn normalized(&self) -> crate::Result<Self> {
        let norm = |t: &Option<String>| -> crate::Result<Option<String>> {
            t.as_deref()
                .map(|t| crate::history::parse_timestamp(t).map(crate::history::format_timestamp))
                .transpose()
        };
        Ok(Self {
            before: norm(&self.before)?,
            after: norm(&self.after)?,
        })
    }
}

mod message_de;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bounds_are_normalized_or_refused() {
        let q = HistoryQuery {
            before: Some("2026-12-03T14:56:01.250Z".into()),
            after: None,
        };
        assert_eq!(
            q.normalized().unwrap().before.as_deref(),
            Some("2026-12-03T14:56:01")
        );
        let bad = HistoryQuery {
            before: Some("yesterday".into()),
            after: None,
        };
        assert!(matches!(bad.normalized(), Err(crate::Error::Timestamp(_))));
    }

    #[test]
    fn unknown_fields_are_kept_and_missing_optionals_are_fine() {
        let m: Message = serde_json::from_value(json!({
            "id": "1", "text": "hi", "user_auth_key": "a", "inserted_at": "2026-01-01T00:00:00",
            "chat_id": "c", "custom_details": {"client_id": "x"}
        }))
        .unwrap();
        assert_eq!(m.extra["chat_id"], "c");
        assert_eq!(m.client_id(), Some("x"));
        assert_eq!(m.reply_target_id, None);
        let back = serde_json::to_value(&m).unwrap();
        assert_eq!(back["chat_id"], "c");
    }

    #[test]
    fn outgoing_payload_carries_the_client_id() {
        let p = OutgoingMessage::text("yo").reply_to("m1").payload("cid");
        assert_eq!(
            p,
            json!({"text": "yo", "reply_target_id": "m1", "custom_details": {"client_id": "cid"}})
        );
    }
}
