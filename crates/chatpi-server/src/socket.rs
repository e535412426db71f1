//! One WebSocket connection: a reader loop that dispatches frames, a writer
//! task that drains the connection's outbox, and cleanup in one place when
//! either ends (presence leaves, subscriptions dropped).

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::{
    sync::{mpsc, watch, Notify},
    time::Instant,
};

use crate::{channel, frame, hub::Subscriber, server::Shared};

/// Frames queued for one socket before it counts as too slow.
const OUTBOX_FRAMES: usize = 8192;

/// A connected, authenticated client.
pub struct Conn {
    pub id: u64,
    pub auth_key: String,
    pub shared: Arc<Shared>,
    pub sub: Subscriber,
    /// Joined topics and their join refs.
    pub joined: HashMap<String, Joined>,
}

pub struct Joined {
    pub join_ref: String,
    pub chat_id: String,
}

impl Conn {
    /// Queues a pre-encoded frame for this socket only.
    pub fn send(&self, text: String) {
        self.sub.send(Utf8Bytes::from(text));
    }
}

pub async fn run(ws: WebSocket, shared: Arc<Shared>, auth_key: String, id: u64) {
    let (outbox, mut rx) = mpsc::channel::<Utf8Bytes>(OUTBOX_FRAMES);
    let kick = Arc::new(Notify::new());
    let (mut sink, mut stream) = ws.split();
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(WsMessage::Text(text)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });

    let mut shutdown: watch::Receiver<bool> = shared.shutdown.clone();
    let idle = shared.config.idle_timeout;
    let mut conn = Conn {
        id,
        auth_key,
        sub: Subscriber {
            conn: id,
            outbox,
            kick: kick.clone(),
        },
        shared,
        joined: HashMap::new(),
    };
    tracing::debug!(conn = id, user = %conn.auth_key, "socket connected");

    let mut deadline = Instant::now() + idle;
    let reason = loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(WsMessage::Text(text))) => {
                    deadline = Instant::now() + idle;
                    handle_text(&mut conn, text.as_str()).await;
                }
                Some(Ok(WsMessage::Binary(_))) => {
                    deadline = Instant::now() + idle;
                    tracing::warn!(conn = id, "binary frame dropped: serializer 2.0.0 is text");
                }
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {
                    deadline = Instant::now() + idle;
                }
                Some(Ok(WsMessage::Close(_))) | None => break "closed by client",
                Some(Err(_)) => break "transport error",
            },
            _ = tokio::time::sleep_until(deadline) => break "silent for too long",
            _ = kick.notified() => break "too slow to keep up",
            _ = shutdown.changed() => break "server shutting down",
        }
    };
    tracing::debug!(conn = id, reason, "socket closing");

    for topic in conn.joined.keys() {
        conn.shared.hub.leave(topic, id);
    }
    // Dropping the last sender ends the writer once the outbox is flushed;
    // a writer stuck on a dead peer is bounded by the flush timeout.
    drop(conn);
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(2), writer)
        .await
        .is_err()
    {
        abort.abort();
    }
}

async fn handle_text(conn: &mut Conn, text: &str) {
    let max = conn.shared.config.max_frame_bytes;
    let frame = match frame::decode(text, max) {
        Ok(frame) => frame,
        Err(e) => {
            tracing::warn!(conn = conn.id, error = %e, "dropping bad frame");
            return;
        }
    };
    if !frame.payload.is_object() {
        tracing::warn!(conn = conn.id, topic = %frame.topic, "payload is not an object");
        conn.send(frame::error_reply(&frame, "invalid payload"));
        return;
    }
    match (frame.topic.as_str(), frame.event.as_str()) {
        ("phoenix", "heartbeat") => conn.send(frame::reply(&frame, true, json!({}))),
        (_, "phx_join") => channel::join(conn, frame).await,
        (topic, _) if !conn.joined.contains_key(topic) => {
            tracing::warn!(conn = conn.id, topic, event = %frame.event, "push to an unjoined topic");
            conn.send(frame::error_reply(&frame, "unmatched topic"));
        }
        (_, "phx_leave") => channel::leave(conn, &frame),
        _ => channel::handle_in(conn, frame).await,
    }
}
