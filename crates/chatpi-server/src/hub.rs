//! Topics: who is subscribed to each, and who is present there.
//!
//! One lock guards both, so a joiner's `presence_state` and the diffs that
//! everyone sees are cut from the same history. Sends never block: a
//! subscriber whose outbox is full is kicked (its socket closes), the way a
//! Phoenix transport drops a client that cannot keep up.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use axum::extract::ws::Utf8Bytes;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, Notify};

use crate::frame;

/// The frames waiting to be written to one socket.
pub type Outbox = mpsc::Sender<Utf8Bytes>;

/// What the hub needs to reach one connection.
#[derive(Clone)]
pub struct Subscriber {
    pub conn: u64,
    pub outbox: Outbox,
    pub kick: Arc<Notify>,
}

impl Subscriber {
    /// Queues a frame; a full or closed outbox kicks the connection.
    pub fn send(&self, text: Utf8Bytes) {
        if self.outbox.try_send(text).is_err() {
            tracing::warn!(
                conn = self.conn,
                "outbox full or closed; dropping the connection"
            );
            self.kick.notify_one();
        }
    }
}

struct Meta {
    conn: u64,
    phx_ref: String,
    is_typing: bool,
}

impl Meta {
    fn to_json(&self, prev: Option<&str>) -> Value {
        let mut m = Map::new();
        m.insert("is_typing".into(), Value::Bool(self.is_typing));
        m.insert("phx_ref".into(), Value::String(self.phx_ref.clone()));
        if let Some(prev) = prev {
            m.insert("phx_ref_prev".into(), Value::String(prev.to_owned()));
        }
        Value::Object(m)
    }
}

#[derive(Default)]
struct Topic {
    subscribers: HashMap<u64, Subscriber>,
    presence: BTreeMap<String, Vec<Meta>>,
}

impl Topic {
    fn broadcast(&self, name: &str, event: &str, payload: &Value) {
        let text = Utf8Bytes::from(frame::encode(None, None, name, event, payload));
        for sub in self.subscribers.values() {
            sub.send(text.clone());
        }
    }

    fn state(&self) -> Value {
        let map: Map<String, Value> = self
            .presence
            .iter()
            .map(|(key, metas)| {
                let metas: Vec<Value> = metas.iter().map(|m| m.to_json(None)).collect();
                (key.clone(), json!({ "metas": metas }))
            })
            .collect();
        Value::Object(map)
    }
}

#[derive(Default)]
pub struct Hub {
    topics: Mutex<HashMap<String, Topic>>,
    next_ref: AtomicU64,
}

fn diff(joins: Option<(&str, Value)>, leaves: Option<(&str, Value)>) -> Value {
    let side = |entry: Option<(&str, Value)>| {
        let mut map = Map::new();
        if let Some((key, meta)) = entry {
            map.insert(key.to_owned(), json!({ "metas": [meta] }));
        }
        Value::Object(map)
    };
    json!({ "joins": side(joins), "leaves": side(leaves) })
}

impl Hub {
    fn topics(&self) -> std::sync::MutexGuard<'_, HashMap<String, Topic>> {
        // Every critical section leaves the maps consistent.
        self.topics.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn new_phx_ref(&self) -> String {
        // Phoenix refs are opaque base64 strings; uniqueness is what matters.
        format!("F{:x}", self.next_ref.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Starts delivering broadcasts on `topic` to `sub`.
    pub fn subscribe(&self, topic: &str, sub: Subscriber) {
        self.topics()
            .entry(topic.to_owned())
            .or_default()
            .subscribers
            .insert(sub.conn, sub);
    }

    /// Tracks `sub` under `key`: pushes `presence_state` to it (with its
    /// `join_ref`) and broadcasts the join diff to the topic. The two go out
    /// in either order, as on a real server, so clients cannot depend on one.
    pub fn track(&self, topic: &str, sub: &Subscriber, join_ref: &str, key: &str) {
        let phx_ref = self.new_phx_ref();
        let state_first = uuid::Uuid::new_v4().as_bytes()[0] & 1 == 0;
        let mut topics = self.topics();
        let entry = topics.entry(topic.to_owned()).or_default();
        let meta = Meta {
            conn: sub.conn,
            phx_ref,
            is_typing: false,
        };
        let joined = meta.to_json(None);
        entry.presence.entry(key.to_owned()).or_default().push(meta);
        let state = frame::encode(
            Some(join_ref),
            None,
            topic,
            "presence_state",
            &entry.state(),
        );
        let push_state = || sub.send(Utf8Bytes::from(state.clone()));
        if state_first {
            push_state();
        }
        entry.broadcast(topic, "presence_diff", &diff(Some((key, joined)), None));
        if !state_first {
            push_state();
        }
    }

    /// Replaces the meta of `conn` under `key`: the old one leaves, the new
    /// one (with a fresh `phx_ref` and `phx_ref_prev`) joins.
    pub fn update_typing(&self, topic: &str, conn: u64, key: &str, is_typing: bool) {
        let phx_ref = self.new_phx_ref();
        let mut topics = self.topics();
        let Some(entry) = topics.get_mut(topic) else {
            return;
        };
        let Some(meta) = entry
            .presence
            .get_mut(key)
            .and_then(|metas| metas.iter_mut().find(|m| m.conn == conn))
        else {
            return;
        };
        let left = meta.to_json(None);
        let prev = std::mem::replace(&mut meta.phx_ref, phx_ref);
        meta.is_typing = is_typing;
        let joined = meta.to_json(Some(&prev));
        entry.broadcast(
            topic,
            "presence_diff",
            &diff(Some((key, joined)), Some((key, left))),
        );
    }

    /// Removes `conn` from `topic`: unsubscribes it and broadcasts the leave
    /// of its metas to those who remain.
    pub fn leave(&self, topic: &str, conn: u64) {
        let mut topics = self.topics();
        let Some(entry) = topics.get_mut(topic) else {
            return;
        };
        entry.subscribers.remove(&conn);
        let mut left = Vec::new();
        entry.presence.retain(|key, metas| {
            metas.retain(|m| {
                if m.conn == conn {
                    left.push((key.clone(), m.to_json(None)));
                    false
                } else {
                    true
                }
            });
            !metas.is_empty()
        });
        for (key, meta) in left {
            entry.broadcast(topic, "presence_diff", &diff(None, Some((&key, meta))));
        }
        if entry.subscribers.is_empty() && entry.presence.is_empty() {
            topics.remove(topic);
        }
    }

    /// Sends `event` with `payload` to every subscriber of `topic`.
    pub fn broadcast(&self, topic: &str, event: &str, payload: &Value) {
        if let Some(entry) = self.topics().get(topic) {
            entry.broadcast(topic, event, payload);
        }
    }
}
