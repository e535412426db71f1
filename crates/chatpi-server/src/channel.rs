//! The chat channel, `chat:{apiKey}:{chatId}`: join with membership check and
//! history query, messages, reactions, typing, read markers, ping, leave.
//!
//! Pushes with a payload of the wrong shape get an error reply (a real
//! server crashes the channel instead); nothing is acked before it is stored.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{
    frame::{self, Inbound},
    socket::{Conn, Joined},
    store::NewMessage,
    timestamp, Reaction,
};

/// The lobby is open to every authenticated user.
const LOBBY: &str = "lobby";

/// The chat id of a topic: its last segment, under the `chat:` prefix.
fn chat_id(topic: &str) -> Option<&str> {
    let rest = topic.strip_prefix("chat:")?;
    let id = rest.rsplit(':').next()?;
    (!id.is_empty()).then_some(id)
}

#[derive(Deserialize, Default)]
struct JoinPayload {
    query: Option<HistoryQuery>,
}

#[derive(Deserialize, Default)]
pub struct HistoryQuery {
    pub before: Option<String>,
    pub after: Option<String>,
}

impl HistoryQuery {
    /// The stored-form bounds, or the malformed timestamp.
    pub fn bounds(&self) -> Result<(Option<String>, Option<String>), String> {
        let parse = |t: &Option<String>, f: fn(_) -> String| match t.as_deref() {
            None | Some("") => Ok(None),
            Some(text) => timestamp::parse_naive(text)
                .map(|t| Some(f(t)))
                .map_err(|_| text.to_owned()),
        };
        Ok((
            parse(&self.after, timestamp::after_bound)?,
            parse(&self.before, timestamp::before_bound)?,
        ))
    }
}

pub async fn join(conn: &mut Conn, frame: Inbound) {
    let topic = frame.topic.clone();
    let Some(chat_id) = chat_id(&topic).map(str::to_owned) else {
        tracing::warn!(conn = conn.id, %topic, "join of an unknown topic");
        conn.send(frame::error_reply(&frame, "unmatched topic"));
        return;
    };
    let Some(join_ref) = frame.join_ref.clone().or_else(|| frame.reference.clone()) else {
        conn.send(frame::error_reply(&frame, "missing join ref"));
        return;
    };
    let Ok(payload) = serde_json::from_value::<JoinPayload>(frame.payload.clone()) else {
        conn.send(frame::error_reply(&frame, "invalid payload"));
        return;
    };

    // A second join of a joined topic replaces the first, as in Phoenix.
    if conn.joined.remove(&topic).is_some() {
        conn.shared.hub.leave(&topic, conn.id);
    }

    if chat_id != LOBBY {
        let store = conn.shared.store.clone();
        let (chat, key) = (chat_id.clone(), conn.auth_key.clone());
        match store.call(move |s| s.is_member(&chat, &key)).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(conn = conn.id, %topic, "join refused: not a member");
                conn.send(frame::error_reply(&frame, "unauthorized"));
                return;
            }
            Err(e) => {
                tracing::error!(conn = conn.id, %topic, error = %e, "membership check failed");
                conn.send(frame::error_reply(&frame, "internal error"));
                return;
            }
        }
    }

    // Subscribe before reading history so nothing falls between the two; a
    // message in both is told apart by its id.
    conn.shared.hub.subscribe(&topic, conn.sub.clone());
    let response = match payload.query {
        None => json!({}),
        Some(query) => match history(conn, &chat_id, &query).await {
            Ok(value) => value,
            Err(reason) => {
                conn.shared.hub.leave(&topic, conn.id);
                conn.send(frame::error_reply(&frame, &reason));
                return;
            }
        },
    };
    conn.send(frame::reply(&frame, true, response));
    conn.joined.insert(
        topic.clone(),
        Joined {
            join_ref: join_ref.clone(),
            chat_id,
        },
    );
    let key = format!("user:{}", conn.auth_key);
    conn.shared.hub.track(&topic, &conn.sub, &join_ref, &key);
}

async fn history(conn: &Conn, chat_id: &str, query: &HistoryQuery) -> Result<Value, String> {
    let (after, before) = query.bounds().map_err(|bad| {
        tracing::warn!(conn = conn.id, chat_id, timestamp = %bad, "malformed history bound");
        "invalid query".to_owned()
    })?;
    let chat = chat_id.to_owned();
    let result = conn
        .shared
        .store
        .call(move |s| s.history(&chat, after.as_deref(), before.as_deref()))
        .await;
    match result {
        Ok((messages, reactions)) => Ok(json!({ "messages": messages, "reactions": reactions })),
        Err(e) => {
            tracing::error!(conn = conn.id, chat_id, error = %e, "history query failed");
            Err("internal error".to_owned())
        }
    }
}

pub fn leave(conn: &mut Conn, frame: &Inbound) {
    let Some(joined) = conn.joined.remove(&frame.topic) else {
        return;
    };
    conn.shared.hub.leave(&frame.topic, conn.id);
    conn.send(frame::reply(frame, true, json!({})));
    let jr = Some(joined.join_ref.as_str());
    conn.send(frame::encode(jr, jr, &frame.topic, "phx_close", &json!({})));
}

#[derive(Deserialize)]
struct NewMessagePayload {
    text: String,
    #[serde(default)]
    reply_target_id: Option<String>,
    #[serde(default)]
    custom_details: Option<Value>,
    #[serde(default)]
    files: Option<Value>,
}

#[derive(Deserialize)]
struct ReactionPayload {
    reaction_target_id: String,
    reaction: ReactionBody,
}

#[derive(Deserialize)]
struct ReactionBody {
    classifier: String,
}

#[derive(Deserialize)]
struct TypingPayload {
    is_typing: bool,
}

#[derive(Deserialize)]
struct ReadPayload {
    message_seen_id: String,
}

pub async fn handle_in(conn: &mut Conn, frame: Inbound) {
    let Some(chat_id) = conn.joined.get(&frame.topic).map(|j| j.chat_id.clone()) else {
        return;
    };
    match frame.event.as_str() {
        "message:new" => new_message(conn, frame, chat_id).await,
        "reaction:new" => new_reaction(conn, frame, chat_id).await,
        "user:typing" => match serde_json::from_value::<TypingPayload>(frame.payload) {
            Ok(p) => {
                let key = format!("user:{}", conn.auth_key);
                conn.shared
                    .hub
                    .update_typing(&frame.topic, conn.id, &key, p.is_typing);
            }
            Err(e) => {
                tracing::warn!(conn = conn.id, topic = %frame.topic, error = %e, "bad user:typing")
            }
        },
        "read_message" => match serde_json::from_value::<ReadPayload>(frame.payload) {
            Ok(p) => {
                let key = conn.auth_key.clone();
                let done = conn
                    .shared
                    .store
                    .call(move |s| s.mark_seen(&chat_id, &key, &p.message_seen_id))
                    .await;
                if let Err(e) = done {
                    tracing::error!(conn = conn.id, error = %e, "storing read marker failed");
                }
            }
            Err(e) => {
                tracing::warn!(conn = conn.id, topic = %frame.topic, error = %e, "bad read_message")
            }
        },
        "ping" => conn.send(frame::reply(&frame, true, json!({ "status": "ok" }))),
        other => {
            tracing::warn!(conn = conn.id, topic = %frame.topic, event = other, "unknown event");
            conn.send(frame::error_reply(&frame, "unknown event"));
        }
    }
}

async fn new_message(conn: &mut Conn, frame: Inbound, chat_id: String) {
    let payload = match serde_json::from_value::<NewMessagePayload>(frame.payload.clone()) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(conn = conn.id, topic = %frame.topic, error = %e, "bad message:new");
            conn.send(frame::error_reply(&frame, "invalid payload"));
            return;
        }
    };
    let new = NewMessage {
        text: payload.text,
        reply_target_id: payload.reply_target_id,
        custom_details: payload.custom_details,
    };
    let key = conn.auth_key.clone();
    let stored = conn
        .shared
        .store
        .call(move |s| s.insert_message(&chat_id, &key, new))
        .await;
    let message = match stored {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(conn = conn.id, topic = %frame.topic, error = %e, "storing message failed");
            conn.send(frame::error_reply(&frame, "not stored"));
            return;
        }
    };
    let mut body = match serde_json::to_value(&message) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(files) = payload.files {
        body.insert("files".into(), files);
    }
    conn.shared
        .hub
        .broadcast(&frame.topic, "message:new", &Value::Object(body));
    conn.send(frame::reply(&frame, true, json!({})));
}

async fn new_reaction(conn: &mut Conn, frame: Inbound, chat_id: String) {
    let payload = match serde_json::from_value::<ReactionPayload>(frame.payload.clone()) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(conn = conn.id, topic = %frame.topic, error = %e, "bad reaction:new");
            conn.send(frame::error_reply(&frame, "invalid payload"));
            return;
        }
    };
    let reaction = Reaction {
        reaction_target_id: payload.reaction_target_id,
        classifier: payload.reaction.classifier,
        user_auth_key: conn.auth_key.clone(),
    };
    let stored = reaction.clone();
    if let Err(e) = conn
        .shared
        .store
        .call(move |s| s.insert_reaction(&chat_id, &stored))
        .await
    {
        tracing::error!(conn = conn.id, topic = %frame.topic, error = %e, "storing reaction failed");
        conn.send(frame::error_reply(&frame, "not stored"));
        return;
    }
    let body = serde_json::to_value(&reaction).unwrap_or_else(|_| json!({}));
    conn.shared
        .hub
        .broadcast(&frame.topic, "reaction:new", &body);
    conn.send(frame::reply(&frame, true, json!({})));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_their_chat_by_the_last_segment() {
        assert_eq!(chat_id("chat:key:lobby"), Some("lobby"));
        assert_eq!(chat_id("chat:key:abc-123"), Some("abc-123"));
        assert_eq!(chat_id("chat:abc"), Some("abc"));
        assert_eq!(chat_id("room:key:abc"), None);
        assert_eq!(chat_id("chat:key:"), None);
    }
}
