//! The ingest feeder: a WebSocket server on loopback that plays just enough
//! of a Chatpi server for one client to join a chat channel, then writes a
//! run of pre-encoded `message:new` broadcasts as fast as the socket takes
//! them.
//!
//! Every broadcast is encoded down to its WebSocket frame bytes before the
//! client connects, and the run is written with plain socket writes, so the
//! feeder costs next to nothing while the consumer is measured. It runs on a
//! thread and runtime of its own. The consumer starts the run by pushing
//! `bench:go` on its channel once it has joined and read its clocks.

use std::{net::SocketAddr, sync::Arc, thread::JoinHandle};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use time::{macros::datetime, Duration as TimeDelta};
use tokio::{io::AsyncWriteExt, net::TcpListener};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The API key every ingest client uses.
pub const API_KEY: &str = "bench";
/// The chat every ingest client joins.
pub const CHAT: &str = "room";
/// The event a consumer pushes to start the run.
pub const GO_EVENT: &str = "bench:go";

/// Broadcasts per second of `inserted_at`. A real server stamps whole
/// seconds; the client remembers the newest 10,000 ids and counts anything
/// at or before the oldest second it forgot as seen, so a feed must not put
/// 10,000 messages in one second.
const MESSAGES_PER_SECOND: usize = 100;

/// The topic of the ingest chat.
pub fn topic() -> String {
    format!("chat:{API_KEY}:{CHAT}")
}

/// A run of broadcasts, framed and ready to write.
#[derive(Clone)]
pub struct Feed {
    pub count: usize,
    bytes: Arc<Vec<u8>>,
}

impl Feed {
    /// Encodes `count` distinct `message:new` broadcasts on [`topic`].
    pub fn new(count: usize) -> Self {
        let topic = topic();
        let start = datetime!(2026-12-03 09:00:00);
        let mut bytes = Vec::with_capacity(count * 300);
        for i in 0..count {
            let seconds = i64::try_from(i / MESSAGES_PER_SECOND).unwrap_or(i64::MAX);
            let at = chatpi_server::format_naive(start + TimeDelta::seconds(seconds));
            let message = json!({
                "id": format!("00000000-0000-4000-8000-{i:012x}"),
                "text": format!("Message {i}: the build is green again, shipping after lunch."),
                "user_auth_key": if i % 2 == 0 { "alice" } else { "bob" },
                "inserted_at": at,
                "reply_target_id": null,
                "custom_details": null,
            });
            let frame = json!([null, null, topic, "message:new", message]).to_string();
            push_text_frame(&mut bytes, frame.as_bytes());
        }
        Self {
            count,
            bytes: Arc::new(bytes),
        }
    }

    /// The bytes on the wire, framing included.
    pub fn wire_bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// Appends one unmasked (server to client) WebSocket text frame.
fn push_text_frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.push(0x81);
    let len = payload.len();
    if len < 126 {
        out.push(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// A feeder serving one client, on its own thread.
pub struct Feeder {
    pub addr: SocketAddr,
    thread: JoinHandle<Result<()>>,
}

impl Feeder {
    /// Binds 127.0.0.1:0 and waits for one client in the background.
    pub fn start(feed: Feed) -> Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let thread = std::thread::Builder::new()
            .name("feeder".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener)?;
                    serve(listener, feed).await
                })
            })?;
        Ok(Self { addr, thread })
    }

    /// Waits for the client to go away and reports how the feeder ended.
    pub fn finish(self) -> Result<()> {
        self.thread
            .join()
            .map_err(|_| anyhow!("the feeder thread panicked"))?
    }
}

async fn serve(listener: TcpListener, feed: Feed) -> Result<()> {
    let (tcp, _) = listener.accept().await?;
    tcp.set_nodelay(true)?;
    let mut ws = tokio_tungstenite::accept_async(tcp)
        .await
        .context("websocket handshake with the consumer")?;
    while let Some(msg) = ws.next().await {
        let text = match msg {
            Ok(WsMessage::Text(text)) => text,
            Ok(WsMessage::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let frame: Value =
            serde_json::from_str(text.as_str()).context("a frame from the client")?;
        let Some([join_ref, msg_ref, topic, event, _payload]) = frame.as_array().map(Vec::as_slice)
        else {
            bail!("the client sent a frame that is not a 5-element array");
        };
        // Every push the client makes gets an ok: joins, leaves, heartbeats
        // (topic `phoenix`) and the go signal.
        let reply =
            json!([join_ref, msg_ref, topic, "phx_reply", {"status": "ok", "response": {}}]);
        // A client that went away ends the feeder; the consumer reports
        // whether that was early.
        if ws.send(WsMessage::text(reply.to_string())).await.is_err() {
            break;
        }
        if event.as_str() == Some(GO_EVENT) {
            // The reply above is flushed; the run follows it on the wire.
            let raw = ws.get_mut();
            if raw.write_all(&feed.bytes).await.is_err() || raw.flush().await.is_err() {
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_their_length_in_the_shortest_form() {
        let mut out = Vec::new();
        push_text_frame(&mut out, b"hi");
        assert_eq!(out, [0x81, 2, b'h', b'i']);

        let mut out = Vec::new();
        push_text_frame(&mut out, &[b'x'; 300]);
        assert_eq!(&out[..4], &[0x81, 126, 1, 44]);
        assert_eq!(out.len(), 4 + 300);
    }
}
