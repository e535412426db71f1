//! The `Connection` against a scripted WebSocket server in the test, for
//! what a well-behaved server never does: bad frames, error replies to a
//! message, pushes left unanswered.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use chatpi_client::{
    Connection, ConnectionConfig, ConnectionState, Credentials, Event, Events, OutboxEvent,
    OutboxEvents, OutgoingMessage,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::{tungstenite::Message as WsMessage, WebSocketStream};

const WAIT: Duration = Duration::from_secs(10);
const TOPIC: &str = "chat:k:lobby";

/// A server that hands each accepted socket to the test.
struct Fake {
    listener: TcpListener,
}

impl Fake {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self { listener }
    }

    fn url(&self) -> String {
        format!("ws://{}", self.listener.local_addr().unwrap())
    }

    async fn accept(&self) -> Peer {
        let (tcp, _) = tokio::time::timeout(WAIT, self.listener.accept())
            .await
            .expect("the client connects")
            .unwrap();
        let ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        Peer { ws }
    }
}

/// One client socket, driven frame by frame.
struct Peer {
    ws: WebSocketStream<TcpStream>,
}

impl Peer {
    /// The next frame from the client, heartbeats answered on the way.
    async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the client sends a frame")
                .expect("the socket is open")
                .unwrap();
            let WsMessage::Text(text) = msg else {
                continue;
            };
            let frame: Value = serde_json::from_str(text.as_str()).unwrap();
            if frame[3] == "heartbeat" {
                self.reply(&frame, json!({})).await;
                continue;
            }
            return frame;
        }
    }

    /// Asserts the client sends nothing but heartbeats for `quiet`.
    async fn silent_for(&mut self, quiet: Duration) {
        if let Ok(frame) = tokio::time::timeout(quiet, self.recv()).await {
            panic!("the client sent {frame}");
        }
    }

    async fn send(&mut self, text: impl Into<String>) {
        self.ws.send(WsMessage::text(text.into())).await.unwrap();
    }

    async fn send_frame(&mut self, frame: Value) {
        self.send(frame.to_string()).await;
    }

    async fn reply(&mut self, to: &Value, response: Value) {
        let payload = json!({"status": "ok", "response": response});
        self.send_frame(json!([to[0], to[1], to[2], "phx_reply", payload]))
            .await;
    }

    async fn reply_error(&mut self, to: &Value, reason: &str) {
        let payload = json!({"status": "error", "response": {"reason": reason}});
        self.send_frame(json!([to[0], to[1], to[2], "phx_reply", payload]))
            .await;
    }

    async fn broadcast(&mut self, message: &Value) {
        self.send_frame(json!([null, null, TOPIC, "message:new", message]))
            .await;
    }

    /// Takes the client's join and accepts it with `messages`.
    async fn accept_join(&mut self, messages: Vec<Value>) -> Value {
        let join = self.recv().await;
        assert_eq!(join[3], "phx_join", "{join}");
        self.reply(&join, json!({ "messages": messages })).await;
        join
    }
}

/// The stored form of a pushed `message:new`.
fn stored(push: &Value, id: &str) -> Value {
    let p = &push[4];
    json!({
        "id": id, "text": p["text"], "user_auth_key": "alice",
        "inserted_at": "2026-01-01T10:00:00", "reply_target_id": null,
        "custom_details": p["custom_details"],
    })
}

fn connect(
    fake: &Fake,
    config: impl FnOnce(ConnectionConfig) -> ConnectionConfig,
) -> (Connection, Events) {
    let base = ConnectionConfig::new(fake.url(), "k", Credentials::new("t")).channels(["lobby"]);
    Connection::connect(config(base)).unwrap()
}

async fn until<T>(events: &mut Events, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events.recv().await.expect("event stream ended");
            assert!(
                !matches!(
                    event,
                    Event::Connection(ConnectionState::Reconnecting { .. })
                ),
                "the connection dropped: {event:?}"
            );
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    })
    .await
    .expect("timed out waiting for an event")
}

async fn outbox_event(outbox: &mut OutboxEvents) -> OutboxEvent {
    tokio::time::timeout(WAIT, outbox.recv())
        .await
        .expect("timed out waiting for an outbox event")
        .expect("outbox events ended")
}

/// A writer for `tracing` output that a test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// One thread, so the subscriber set here sees the connection's task too.
#[tokio::test(flavor = "current_thread")]
async fn bad_frames_are_logged_once_and_dropped_and_the_connection_stays_up() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = Fake::start().await;
    let (conn, mut events) = connect(&fake, |c| c.max_frame_bytes(4096));
    let mut peer = fake.accept().await;
    peer.accept_join(vec![]).await;

    let good = |id: &str| json!({"id": id, "text": id, "user_auth_key": "bob", "inserted_at": "2026-01-01T10:00:00"});
    peer.broadcast(&good("first")).await;
    for _ in 0..5 {
        peer.send("this is not json").await;
    }
    let bad: Vec<String> = vec![
        r#"[null,null,"chat:k:lobby","message:new"]"#.into(),
        r#"[null,null,"chat:k:lobby","message:new",{},{}]"#.into(),
        r#"{"topic":"chat:k:lobby","event":"message:new","payload":{},"ref":null}"#.into(),
        r#"[1,null,"chat:k:lobby","message:new",{}]"#.into(),
        r#"[null,null,"chat:k:lobby","weird:event",{}]"#.into(),
        r#"[null,null,"chat:k:lobby","weird:event",{}]"#.into(),
        format!(
            r#"[null,null,"chat:k:lobby","message:new",{{"text":"{}"}}]"#,
            "x".repeat(5000)
        ),
        r#"[null,null,"chat:k:lobby","message:new","just a string"]"#.into(),
        r#"[null,null,"chat:k:lobby","message:new",{"id":5,"text":[]}]"#.into(),
        r#"[null,null,"chat:k:lobby","reaction:new",[1,2]]"#.into(),
        r#"[null,null,"chat:k:lobby","presence_diff",[]]"#.into(),
        r#"[null,null,"chat:k:lobby","presence_state",{"user:x":5}]"#.into(),
        r#"[null,"999","chat:k:lobby","phx_reply",{"status":"ok","response":{}}]"#.into(),
        r#"[null,null,"chat:k:elsewhere","message:new",{}]"#.into(),
        r#"[null,null,"phoenix","phx_reply",7]"#.into(),
    ];
    for text in bad {
        peer.send(text).await;
    }
    peer.ws
        .send(WsMessage::binary(vec![0u8, 1, 2]))
        .await
        .unwrap();
    peer.broadcast(&good("second")).await;

    let mut shown = Vec::new();
    while shown.len() < 2 {
        let id = until(&mut events, |e| match e {
            Event::Message { message, .. } => Some(message.id.clone()),
            _ => None,
        })
        .await;
        shown.push(id);
    }
    assert_eq!(shown, ["first", "second"]);

    // Still up: a push is answered.
    let ping = tokio::spawn({
        let conn = conn.clone();
        async move { conn.push("lobby", "ping", json!({})).await }
    });
    let push = peer.recv().await;
    assert_eq!(push[3], "ping");
    peer.reply(&push, json!({"status": "ok"})).await;
    ping.await.unwrap().unwrap();
    assert_eq!(conn.state(), ConnectionState::Connected);

    let logs = logs.text();
    let lines = |kind: &str| logs.lines().filter(|l| l.contains(kind)).count();
    assert_eq!(
        lines("kind=\"invalid json\""),
        1,
        "five alike, logged once:\n{logs}"
    );
    assert_eq!(lines("kind=\"unknown event\""), 1, "{logs}");
    assert_eq!(lines("kind=\"oversized frame\""), 1, "{logs}");
    assert_eq!(lines("kind=\"wrong frame arity\""), 1, "{logs}");
    assert_eq!(lines("kind=\"malformed message:new\""), 1, "{logs}");
    assert!(lines("kind=\"malformed presence\"") >= 1, "{logs}");
    assert!(lines("kind=\"binary frame\"") == 1, "{logs}");
    assert!(
        logs.lines()
            .any(|l| l.contains("topic=\"chat:k:lobby\"") && l.contains("unknown event")),
        "faults name their topic:\n{logs}"
    );
    assert!(!logs.contains("xxxxxxxxxx"), "no frame content in the log");
}

#[tokio::test]
async fn an_error_reply_fails_a_queued_message_until_it_is_retried() {
    let fake = Fake::start().await;
    let (conn, mut events) = connect(&fake, |c| c);
    let mut outbox = conn.outbox_events().unwrap();
    let mut peer = fake.accept().await;
    peer.accept_join(vec![]).await;

    let client_id = conn
        .queue_message("lobby", OutgoingMessage::text("hi"))
        .unwrap();
    assert!(matches!(
        outbox_event(&mut outbox).await,
        OutboxEvent::Pending { .. }
    ));
    let push = peer.recv().await;
    assert_eq!(push[3], "message:new");
    assert_eq!(push[4]["custom_details"]["client_id"], client_id.as_str());
    peer.reply_error(&push, "invalid payload").await;
    let failed = outbox_event(&mut outbox).await;
    assert_eq!(
        failed,
        OutboxEvent::Failed {
            channel: "lobby".into(),
            client_id: client_id.clone(),
            reason: "invalid payload".into(),
        }
    );
    // Not retried by itself.
    peer.silent_for(Duration::from_millis(500)).await;
    let queued = conn.queued_messages().unwrap();
    assert_eq!(queued.len(), 1);
    assert!(matches!(
        queued[0].state,
        chatpi_client::OutboxState::Failed { .. }
    ));

    conn.retry_message(&client_id).await.unwrap();
    assert!(matches!(
        outbox_event(&mut outbox).await,
        OutboxEvent::Pending { .. }
    ));
    let push = peer.recv().await;
    assert_eq!(push[4]["custom_details"]["client_id"], client_id.as_str());
    peer.broadcast(&stored(&push, "m1")).await;
    peer.reply(&push, json!({})).await;
    let OutboxEvent::Sent { message, .. } = outbox_event(&mut outbox).await else {
        panic!("expected Sent");
    };
    assert_eq!(message.id, "m1");
    let shown = until(&mut events, |e| match e {
        Event::Message { message, .. } => Some(message.id.clone()),
        _ => None,
    })
    .await;
    assert_eq!(shown, "m1");
    assert!(conn.queued_messages().unwrap().is_empty());
    let err = conn.retry_message(&client_id).await.unwrap_err();
    assert!(matches!(err, chatpi_client::Error::Outbox(_)), "{err}");

    // A failed one can be discarded too.
    let other = conn
        .queue_message("lobby", OutgoingMessage::text("no"))
        .unwrap();
    let push = peer.recv().await;
    peer.reply_error(&push, "nope").await;
    while !matches!(outbox_event(&mut outbox).await, OutboxEvent::Failed { .. }) {}
    conn.discard_message(&other).await.unwrap();
    assert!(matches!(
        outbox_event(&mut outbox).await,
        OutboxEvent::Discarded { .. }
    ));
    assert!(conn.queued_messages().unwrap().is_empty());
}

#[tokio::test]
async fn an_unanswered_push_is_looked_for_before_it_is_sent_again() {
    let fake = Fake::start().await;
    let (conn, mut events) = connect(&fake, |c| c.push_timeout(Duration::from_millis(400)));
    let mut outbox = conn.outbox_events().unwrap();
    let mut peer = fake.accept().await;
    let first_join = peer.accept_join(vec![]).await;
    assert_eq!(first_join[4], json!({}), "the first join keeps its query");

    // Lost on the way: no reply, not stored. The channel rejoins to check,
    // finds nothing, and sends it again.
    let lost = conn
        .queue_message("lobby", OutgoingMessage::text("lost"))
        .unwrap();
    let push = peer.recv().await;
    assert_eq!(push[4]["custom_details"]["client_id"], lost.as_str());
    let rejoin = peer.accept_join(vec![]).await;
    assert!(
        rejoin[4]["query"]["after"].is_string(),
        "the rejoin asks for what it may have missed: {rejoin}"
    );
    let again = peer.recv().await;
    assert_eq!(again[3], "message:new");
    assert_eq!(again[4]["custom_details"]["client_id"], lost.as_str());
    peer.broadcast(&stored(&again, "m-lost")).await;
    peer.reply(&again, json!({})).await;
    loop {
        if let OutboxEvent::Sent { message, .. } = outbox_event(&mut outbox).await {
            assert_eq!(message.id, "m-lost");
            break;
        }
    }

    // Stored, but the answer lost: the rejoin's backfill has it, so it is
    // sent (and shown) once and never pushed again.
    let kept = conn
        .queue_message("lobby", OutgoingMessage::text("kept"))
        .unwrap();
    let push = peer.recv().await;
    assert_eq!(push[4]["custom_details"]["client_id"], kept.as_str());
    peer.accept_join(vec![stored(&push, "m-kept")]).await;
    loop {
        if let OutboxEvent::Sent { message, .. } = outbox_event(&mut outbox).await {
            assert_eq!(message.id, "m-kept");
            break;
        }
    }
    peer.silent_for(Duration::from_millis(800)).await;
    let mut shown = Vec::new();
    while let Some(event) = events.try_recv() {
        if let Event::Message { message, .. } = event {
            shown.push(message.id);
        }
    }
    assert_eq!(shown, ["m-lost", "m-kept"], "each shown once");
}
