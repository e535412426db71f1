//! The server over real sockets on port 0, driven by a raw WebSocket client
//! that speaks serializer 2.0.0 by hand.

use std::time::Duration;

use chatpi_server::{Server, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{connect_async, tungstenite::Message, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Fixture {
    server: Server,
    _dir: tempfile::TempDir,
}

async fn start_with(tune: impl FnOnce(&mut ServerConfig)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path().join("chat.db"));
    tune(&mut config);
    let server = Server::start(config).await.unwrap();
    for (key, name) in [("alice", "Alice"), ("bob", "Bob"), ("eve", "Eve")] {
        server.store().upsert_user(key, name).unwrap();
    }
    Fixture { server, _dir: dir }
}

async fn start() -> Fixture {
    start_with(|_| {}).await
}

impl Fixture {
    fn token(&self, key: &str) -> String {
        self.server.mint_token(key, Duration::from_secs(3600))
    }

    async fn connect(&self, key: &str) -> Client {
        let url = format!(
            "{}?vsn=2.0.0&token={}",
            self.server.ws_url(),
            self.token(key)
        );
        let (ws, _) = connect_async(url).await.unwrap();
        Client { ws, next_ref: 0 }
    }

    fn chat(&self, name: &str, members: &[&str]) -> String {
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        self.server.store().create_chat(name, &members).unwrap().id
    }
}

struct Client {
    ws: Ws,
    next_ref: u64,
}

impl Client {
    async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    async fn push(
        &mut self,
        join_ref: Option<&str>,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> String {
        self.next_ref += 1;
        let r = self.next_ref.to_string();
        self.send_raw(json!([join_ref, r, topic, event, payload]).to_string())
            .await;
        r
    }

    /// The next frame, within a few seconds.
    async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("socket ended")
                .expect("socket error");
            if let Message::Text(text) = msg {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    /// Frames until one matches; returns it and what came before.
    async fn recv_until(&mut self, pred: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let frame = self.recv().await;
            if pred(&frame) {
                return (frame, before);
            }
            before.push(frame);
        }
    }

    async fn reply_to(&mut self, r: &str) -> Value {
        let r = r.to_owned();
        self.recv_until(move |f| f[1] == json!(r) && f[3] == "phx_reply")
            .await
            .0[4]
            .clone()
    }

    async fn join(&mut self, topic: &str, payload: Value) -> (String, Value) {
        let r = self.push(None, topic, "phx_join", payload).await;
        // phx_join carries its own ref as the join ref.
        let reply = self.reply_to(&r).await;
        (r, reply)
    }
}

fn topic(chat: &str) -> String {
    format!("chat:key:{chat}")
}

#[tokio::test]
async fn refuses_bad_tokens_with_403() {
    let fx = start().await;
    let other = chatpi_server::Secret::generate().mint("alice", Duration::from_secs(60));
    let expired = fx.server.secret().mint_at("alice", 1_000);
    for token in ["garbage", other.as_str(), expired.as_str()] {
        let url = format!("{}?vsn=2.0.0&token={token}", fx.server.ws_url());
        match connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 403)
            }
            other => panic!("expected a 403, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn heartbeat_is_answered() {
    let fx = start().await;
    let mut c = fx.connect("alice").await;
    let r = c.push(None, "phoenix", "heartbeat", json!({})).await;
    assert_eq!(
        c.reply_to(&r).await,
        json!({"status": "ok", "response": {}})
    );
}

#[tokio::test]
async fn membership_decides_joins() {
    let fx = start().await;
    let chat = fx.chat("secret", &["alice"]);
    let mut eve = fx.connect("eve").await;
    let (_, reply) = eve.join(&topic(&chat), json!({})).await;
    assert_eq!(
        reply,
        json!({"status": "error", "response": {"reason": "unauthorized"}})
    );
    let (_, reply) = eve.join(&topic("lobby"), json!({})).await;
    assert_eq!(reply["status"], "ok");
    let (_, reply) = eve.join("room:lobby", json!({})).await;
    assert_eq!(reply["response"]["reason"], "unmatched topic");
    let mut alice = fx.connect("alice").await;
    let (_, reply) = alice.join(&topic(&chat), json!({})).await;
    assert_eq!(reply["status"], "ok");
}

#[tokio::test]
async fn history_returns_the_newest_fifty_oldest_first() {
    let fx = start().await;
    let chat = fx.chat("busy", &["alice"]);
    let store = fx.server.store();
    // 120 messages over one minute, two per second.
    let mut ids = Vec::new();
    for i in 0..120 {
        let at = format!("2026-01-01T10:00:{:02}", i / 2);
        let new = chatpi_server_new_message(&format!("m{i}"));
        ids.push(
            store
                .insert_message_at(&chat, "alice", new, &at)
                .unwrap()
                .id,
        );
    }
    let mut c = fx.connect("alice").await;
    let query = json!({"query": {"after": "2025-01-01T00:00:00", "before": "2027-01-01T00:00:00"}});
    let (_, reply) = c.join(&topic(&chat), query).await;
    let got: Vec<&str> = reply["response"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = ids[70..].iter().map(String::as_str).collect();
    assert_eq!(got, want);

    // Strict bounds: `after` 10:00:10 excludes the two messages at :10.
    let query = json!({"query": {"after": "2026-01-01T10:00:10", "before": "2026-01-01T10:00:13"}});
    let (_, reply) = c.join(&topic(&chat), query).await;
    let texts: Vec<&str> = reply["response"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m22", "m23", "m24", "m25"]);

    // A malformed bound is refused, not crashed on.
    let (_, reply) = c
        .join(&topic(&chat), json!({"query": {"after": "yesterday"}}))
        .await;
    assert_eq!(reply["response"]["reason"], "invalid query");
}

fn chatpi_server_new_message(text: &str) -> chatpi_server::NewMessage {
    chatpi_server::NewMessage {
        text: text.to_owned(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_message_is_stored_then_broadcast_then_acked() {
    let fx = start().await;
    let chat = fx.chat("pair", &["alice", "bob"]);
    let mut alice = fx.connect("alice").await;
    let mut bob = fx.connect("bob").await;
    let (jr, _) = alice.join(&topic(&chat), json!({})).await;
    bob.join(&topic(&chat), json!({})).await;
    let payload = json!({"text": "hi <b>bob</b>", "custom_details": {"client_id": "c-1"}});
    let r = alice
        .push(Some(&jr), &topic(&chat), "message:new", payload)
        .await;
    let (reply, before) = alice.recv_until(|f| f[3] == "phx_reply").await;
    assert_eq!(reply[1], json!(r));
    assert_eq!(reply[4]["status"], "ok");
    let echo = before
        .iter()
        .find(|f| f[3] == "message:new")
        .expect("own broadcast before the ack");
    assert_eq!(echo[0], Value::Null, "broadcasts carry no join ref");
    let (got, _) = bob.recv_until(|f| f[3] == "message:new").await;
    assert_eq!(got[4], echo[4]);
    let m = &got[4];
    assert_eq!(m["text"], "hi <b>bob</b>");
    assert_eq!(m["user_auth_key"], "alice");
    assert_eq!(m["custom_details"]["client_id"], "c-1");
    assert!(uuid::Uuid::parse_str(m["id"].as_str().unwrap()).is_ok());
    assert!(chatpi_server::parse_naive(m["inserted_at"].as_str().unwrap()).is_ok());
    assert_eq!(
        m["inserted_at"].as_str().unwrap().len(),
        19,
        "one-second precision"
    );
    let stored = fx.server.store().all_messages(&chat).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, m["id"].as_str().unwrap());
}

#[tokio::test]
async fn reactions_are_broadcast_stored_and_shape_checked() {
    let fx = start().await;
    let chat = fx.chat("pair", &["alice", "bob"]);
    let mut alice = fx.connect("alice").await;
    let (jr, _) = alice.join(&topic(&chat), json!({})).await;
    let r = alice
        .push(
            Some(&jr),
            &topic(&chat),
            "message:new",
            json!({"text": "x"}),
        )
        .await;
    let (msg, _) = alice.recv_until(|f| f[3] == "message:new").await;
    alice.reply_to(&r).await;
    let id = msg[4]["id"].as_str().unwrap().to_owned();

    let flat = alice
        .push(
            Some(&jr),
            &topic(&chat),
            "reaction:new",
            json!({"reaction_target_id": id, "classifier": "LOVE"}),
        )
        .await;
    assert_eq!(alice.reply_to(&flat).await["status"], "error");
    let good = json!({"reaction_target_id": id, "reaction": {"classifier": "LOVE"}});
    let r = alice
        .push(Some(&jr), &topic(&chat), "reaction:new", good)
        .await;
    let (broadcast, _) = alice.recv_until(|f| f[3] == "reaction:new").await;
    assert_eq!(
        broadcast[4],
        json!({"reaction_target_id": id, "classifier": "LOVE", "user_auth_key": "alice"})
    );
    assert_eq!(alice.reply_to(&r).await["status"], "ok");

    let mut bob = fx.connect("bob").await;
    let (_, reply) = bob.join(&topic(&chat), json!({"query": {}})).await;
    assert_eq!(reply["response"]["reactions"][0]["classifier"], "LOVE");
}

#[tokio::test]
async fn presence_tracks_each_connection_and_typing() {
    let fx = start().await;
    let chat = fx.chat("team", &["alice", "bob"]);
    let t = topic(&chat);
    let mut bob = fx.connect("bob").await;
    bob.join(&t, json!({})).await;
    let (state, _) = bob.recv_until(|f| f[3] == "presence_state").await;
    assert!(
        state[0].is_string(),
        "presence_state is a push with the join ref"
    );
    assert_eq!(state[4]["user:bob"]["metas"].as_array().unwrap().len(), 1);

    let mut a1 = fx.connect("alice").await;
    let mut a2 = fx.connect("alice").await;
    let (jr1, _) = a1.join(&t, json!({})).await;
    a2.join(&t, json!({})).await;
    let mut refs = Vec::new();
    for _ in 0..2 {
        let (diff, _) = bob
            .recv_until(|f| f[3] == "presence_diff" && f[4]["joins"]["user:alice"].is_object())
            .await;
        refs.push(diff[4]["joins"]["user:alice"]["metas"][0]["phx_ref"].clone());
    }
    assert_ne!(refs[0], refs[1], "one meta per connection");

    a1.push(Some(&jr1), &t, "user:typing", json!({"is_typing": true}))
        .await;
    let (diff, _) = bob.recv_until(|f| f[3] == "presence_diff").await;
    let joined = &diff[4]["joins"]["user:alice"]["metas"][0];
    let left = &diff[4]["leaves"]["user:alice"]["metas"][0];
    assert_eq!(joined["is_typing"], true);
    assert_eq!(joined["phx_ref_prev"], left["phx_ref"]);
    assert_ne!(joined["phx_ref"], left["phx_ref"]);

    drop(a2);
    let (diff, _) = bob.recv_until(|f| f[3] == "presence_diff").await;
    assert!(diff[4]["leaves"]["user:alice"].is_object());
    assert_eq!(diff[4]["joins"], json!({}));
}

#[tokio::test]
async fn bad_frames_leave_the_socket_usable() {
    let fx = start_with(|c| c.max_frame_bytes = 4096).await;
    let mut c = fx.connect("alice").await;
    let (jr, _) = c.join(&topic("lobby"), json!({})).await;
    c.send_raw("not json".into()).await;
    c.send_raw("[1,2,3]".into()).await;
    c.send_raw(json!([null, "9", "phoenix", "heartbeat", {}, "extra"]).to_string())
        .await;
    c.send_raw(json!([null, "x".repeat(5000), "t", "e", {}]).to_string())
        .await;
    let r = c
        .push(Some(&jr), &topic("lobby"), "no:such:event", json!({}))
        .await;
    assert_eq!(c.reply_to(&r).await["response"]["reason"], "unknown event");
    let r = c
        .push(
            None,
            &topic("elsewhere"),
            "message:new",
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(
        c.reply_to(&r).await["response"]["reason"],
        "unmatched topic"
    );
    let r = c
        .push(
            Some(&jr),
            &topic("lobby"),
            "message:new",
            json!({"text": 5}),
        )
        .await;
    assert_eq!(
        c.reply_to(&r).await["response"]["reason"],
        "invalid payload"
    );
    let r = c
        .push(Some(&jr), &topic("lobby"), "message:new", json!([1]))
        .await;
    assert_eq!(
        c.reply_to(&r).await["response"]["reason"],
        "invalid payload"
    );
    let r = c.push(None, "phoenix", "heartbeat", json!({})).await;
    assert_eq!(c.reply_to(&r).await["status"], "ok");
    assert!(fx.server.store().all_messages("lobby").unwrap().is_empty());
}

#[tokio::test]
async fn silent_sockets_are_closed() {
    let fx = start_with(|c| c.idle_timeout = Duration::from_millis(300)).await;
    let mut c = fx.connect("alice").await;
    let end = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match c.ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the server kept a silent socket open");
}

#[tokio::test]
async fn leave_acks_closes_and_stops_delivery() {
    let fx = start().await;
    let mut c = fx.connect("alice").await;
    let t = topic("lobby");
    let (jr, _) = c.join(&t, json!({})).await;
    let r = c.push(Some(&jr), &t, "phx_leave", json!({})).await;
    assert_eq!(c.reply_to(&r).await["status"], "ok");
    let (close, _) = c.recv_until(|f| f[3] == "phx_close").await;
    assert_eq!(close[0], json!(jr));
    let r = c
        .push(Some(&jr), &t, "message:new", json!({"text": "x"}))
        .await;
    assert_eq!(
        c.reply_to(&r).await["response"]["reason"],
        "unmatched topic"
    );
}

#[tokio::test]
async fn rest_lists_chats_with_unread_counts() {
    let fx = start().await;
    let chat = fx.chat("pair", &["alice", "bob"]);
    let store = fx.server.store();
    let mut last = String::new();
    for i in 0..3 {
        last = store
            .insert_message(&chat, "bob", chatpi_server_new_message(&format!("{i}")))
            .unwrap()
            .id;
    }
    store
        .insert_message(&chat, "alice", chatpi_server_new_message("mine"))
        .unwrap();
    let (chats, detail) = store.chats_of("alice").unwrap();
    assert_eq!(chats.len(), 1);
    assert_eq!(chats[0].members.len(), 2);
    assert_eq!(detail[0].unread_messages, 3);
    store.mark_seen(&chat, "alice", &last).unwrap();
    assert_eq!(store.chats_of("alice").unwrap().1[0].unread_messages, 0);
}

#[tokio::test]
async fn a_taken_port_is_named() {
    let fx = start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        addr: fx.server.local_addr(),
        ..ServerConfig::new(dir.path().join("x.db"))
    };
    let err = Server::start(config)
        .await
        .err()
        .expect("second bind must fail");
    assert!(err.to_string().contains("already in use"), "{err}");
}
