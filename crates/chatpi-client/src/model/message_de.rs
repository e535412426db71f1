//! `Deserialize` for [`Message`], by hand: the known fields are read in one
//! pass, straight from the text, and any other field lands in `extra`. It
//! accepts what the derived form with `#[serde(flatten)] extra` accepted:
//! `text` may be missing, the optional fields may be missing or null. A
//! field given twice keeps its last value, as a `serde_json::Value` does,
//! so a message reads the same from a frame's text and from its tree.

use std::fmt;

use serde::{
    de::{self, MapAccess, Visitor},
    Deserialize, Deserializer,
};
use serde_json::{Map, Value};

use super::Message;

/// A key of a message object; known ones are matched without allocating.
enum Field {
    Id,
    Text,
    UserAuthKey,
    InsertedAt,
    ReplyTargetId,
    CustomDetails,
    Files,
    Other(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl Visitor<'_> for FieldVisitor {
            type Value = Field;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "id" => Field::Id,
                    "text" => Field::Text,
                    "user_auth_key" => Field::UserAuthKey,
                    "inserted_at" => Field::InsertedAt,
                    "reply_target_id" => Field::ReplyTargetId,
                    "custom_details" => Field::CustomDetails,
                    "files" => Field::Files,
                    other => Field::Other(other.to_owned()),
                })
            }
        }

        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Message;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a chat message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
        let mut id = None;
        let mut text = None;
        let mut user_auth_key = None;
        let mut inserted_at = None;
        // The optional fields: missing and null are both `None`.
        let mut reply_target_id: Option<String> = None;
        let mut custom_details: Option<Value> = None;
        let mut files: Option<Value> = None;
        let mut extra = Map::new();

        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Id => id = Some(map.next_value()?),
                Field::Text => text = Some(map.next_value()?),
                Field::UserAuthKey => user_auth_key = Some(map.next_value()?),
                Field::InsertedAt => inserted_at = Some(map.next_value()?),
                Field::ReplyTargetId => reply_target_id = map.next_value()?,
                Field::CustomDetails => custom_details = map.next_value()?,
                Field::Files => files = map.next_value()?,
                Field::Other(name) => {
                    let value = map.next_value()?;
                    extra.insert(name, value);
                }
            }
        }

        Ok(Message {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            text: text.unwrap_or_default(),
            user_auth_key: user_auth_key
                .ok_or_else(|| de::Error::missing_field("user_auth_key"))?,
            inserted_at: inserted_at.ok_or_else(|| de::Error::missing_field("inserted_at"))?,
            reply_target_id,
            custom_details,
            files,
            extra,
        })
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MessageVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> serde_json::Result<Message> {
        // Both ways in: from text (the socket) and from a value (REST, tests).
        let from_text = serde_json::from_str::<Message>(&value.to_string());
        let from_value = serde_json::from_value::<Message>(value);
        match (&from_text, &from_value) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            _ => panic!("text and value disagree: {from_text:?} / {from_value:?}"),
        }
        from_value
    }

    #[test]
    fn reads_every_known_field_and_keeps_the_rest() {
        let m = parse(json!({
            "id": "m1", "text": "hi", "user_auth_key": "alice",
            "inserted_at": "2026-12-03T14:56:01", "reply_target_id": "m0",
            "custom_details": {"client_id": "c1"}, "files": [{"name": "a.png"}],
            "chat_id": "general", "edited": true
        }))
        .unwrap();
        assert_eq!(m.id, "m1");
        assert_eq!(m.text, "hi");
        assert_eq!(m.user_auth_key, "alice");
        assert_eq!(m.inserted_at, "2026-12-03T14:56:01");
        assert_eq!(m.reply_target_id.as_deref(), Some("m0"));
        assert_eq!(m.client_id(), Some("c1"));
        assert_eq!(m.files, Some(json!([{"name": "a.png"}])));
        assert_eq!(m.extra.len(), 2);
        assert_eq!(m.extra["chat_id"], "general");
        assert_eq!(m.extra["edited"], true);
    }

    #[test]
    fn optional_fields_may_be_missing_or_null() {
        let m = parse(json!({
            "id": "m1", "user_auth_key": "a", "inserted_at": "2026-12-03T14:56:01",
            "reply_target_id": null, "custom_details": null
        }))
        .unwrap();
        assert_eq!(m.text, "");
        assert_eq!(m.reply_target_id, None);
        assert_eq!(m.custom_details, None);
        assert_eq!(m.files, None);
        assert!(m.extra.is_empty());
    }

    #[test]
    fn refuses_missing_required_fields_and_wrong_types() {
        let missing = parse(json!({"id": "m1", "user_auth_key": "a"})).unwrap_err();
        assert!(missing.to_string().contains("inserted_at"), "{missing}");
        let wrong = parse(json!({
            "id": 7, "user_auth_key": "a", "inserted_at": "2026-12-03T14:56:01"
        }));
        assert!(wrong.is_err());
        assert!(parse(json!(["m1", "a"])).is_err());
        let twice = serde_json::from_str::<Message>(
            r#"{"id":"a","id":"b","user_auth_key":"u","inserted_at":"2026-12-03T14:56:01"}"#,
        )
        .unwrap();
        assert_eq!(twice.id, "b", "the last of a field given twice");
    }

    #[test]
    fn survives_a_round_trip() {
        let m = parse(json!({
            "id": "m1", "text": "hi", "user_auth_key": "a",
            "inserted_at": "2026-12-03T14:56:01", "reply_target_id": null,
            "custom_details": {"client_id": "c1"}, "chat_id": "general"
        }))
        .unwrap();
        let back: Message = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
