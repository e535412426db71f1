//! The whole `Connection` against a real `chatpi-server` over real sockets
//! on port 0.

use std::time::Duration;

use std::collections::HashSet;

use chatpi_client::{
    ChannelStatus, ConnectError, Connection, ConnectionConfig, ConnectionState, Credentials, Error,
    Event, Events, HistoryQuery, MemoryOutbox, Message, OutboxEvent, OutboxEvents, OutgoingMessage,
};
use chatpi_server::{NewMessage, Server, ServerConfig, Store};

const WAIT: Duration = Duration::from_secs(10);

struct Fixture {
    server: Option<Server>,
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(ServerConfig::new(dir.path().join("chat.db")))
            .await
            .unwrap();
        for (key, name) in [("alice", "Alice"), ("bob", "Bob"), ("eve", "Eve")] {
            server.store().upsert_user(key, name).unwrap();
        }
        Self {
            server: Some(server),
            dir,
        }
    }

    fn chat(&self, members: &[&str]) -> String {
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        self.srv().store().create_chat("team", &members).unwrap().id
    }

    fn config(&self, user: &str) -> ConnectionConfig {
        let token = self.srv().mint_token(user, Duration::from_secs(3600));
        ConnectionConfig::new(self.srv().ws_url(), "test-key", Credentials::new(token))
    }

    fn connect(&self, user: &str, channels: &[&str]) -> (Connection, Events) {
        Connection::connect(self.config(user).channels(channels.iter().copied())).unwrap()
    }

    /// Stops the server and starts it again on the same port and database.
    async fn restart(&mut self) {
        let addr = self.stop().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.start_at(addr).await;
    }

    /// Stops the server; returns where it listened.
    async fn stop(&mut self) -> std::net::SocketAddr {
        let server = self.server.take().expect("running");
        let addr = server.local_addr();
        server.shutdown().await;
        addr
    }

    async fn start_at(&mut self, addr: std::net::SocketAddr) {
        let config = ServerConfig {
            addr,
            ..ServerConfig::new(self.db())
        };
        self.server = Some(Server::start(config).await.unwrap());
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("chat.db")
    }

    fn srv(&self) -> &Server {
        self.server.as_ref().expect("running")
    }
}

/// Waits for the first event that `pick` maps to something.
async fn until<T>(events: &mut Events, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events.recv().await.expect("event stream ended");
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    })
    .await
    .expect("timed out waiting for an event")
}

async fn joined(events: &mut Events, channel: &str) {
    until(events, |e| match e {
        Event::Channel {
            channel: c,
            status: ChannelStatus::Joined,
        } if c == channel => Some(()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn joins_and_reports_states() {
    let fx = Fixture::start().await;
    let (conn, mut events) = fx.connect("alice", &["lobby"]);
    until(&mut events, |e| {
        (*e == Event::Connection(ConnectionState::Connected)).then_some(())
    })
    .await;
    joined(&mut events, "lobby").await;
    assert_eq!(conn.channel("lobby").unwrap().status, ChannelStatus::Joined);
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.leave_channel("lobby").await.unwrap();
    assert!(conn.channel("lobby").is_none());
    conn.disconnect().await;
    assert_eq!(conn.state(), ConnectionState::Closed);
}

#[tokio::test]
async fn history_spans_more_than_one_window() {
    let fx = Fixture::start().await;
    let chat = fx.chat(&["alice"]);
    // 130 messages, 3 per second: page boundaries fall inside a second.
    let mut ids = Vec::new();
    for i in 0..130 {
        let at = format!("2026-01-01T10:{:02}:{:02}", (i / 3) / 60, (i / 3) % 60);
        let new = NewMessage {
            text: format!("m{i}"),
            ..Default::default()
        };
        ids.push(
            fx.srv()
                .store()
                .insert_message_at(&chat, "alice", new, &at)
                .unwrap()
                .id,
        );
    }
    let (conn, _events) = fx.connect("alice", &[]);
    let window = HistoryQuery {
        after: Some("2025-01-01T00:00:00".into()),
        before: Some("2027-01-01T00:00:00".into()),
    };
    let reply = conn
        .join_channel(&chat, Some(window.clone()))
        .await
        .unwrap();
    let got: Vec<&str> = reply.messages.iter().map(|m| m.id.as_str()).collect();
    let want: Vec<&str> = ids[80..].iter().map(String::as_str).collect();
    assert_eq!(
        got, want,
        "the join query returns the newest 50, oldest first"
    );

    let all = conn
        .history(&chat, window.clone(), usize::MAX)
        .await
        .unwrap();
    let all: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
    let want: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(
        all, want,
        "paging backwards reads every message once, in order"
    );

    let newest = conn.history(&chat, window, 60).await.unwrap();
    assert_eq!(newest.len(), 60);
    assert_eq!(newest.last().unwrap().id, ids[129]);
}

#[tokio::test]
async fn a_sent_message_resolves_to_its_broadcast() {
    let fx = Fixture::start().await;
    let chat = fx.chat(&["alice", "bob"]);
    let (alice, mut alice_events) = fx.connect("alice", &[&chat]);
    let (bob, mut bob_events) = fx.connect("bob", &[&chat]);
    joined(&mut alice_events, &chat).await;
    joined(&mut bob_events, &chat).await;

    let sent = alice
        .send_message(&chat, OutgoingMessage::text("hello bob"))
        .await
        .unwrap();
    assert_eq!(sent.text, "hello bob");
    assert_eq!(sent.user_auth_key, "alice");
    assert!(sent.client_id().is_some());
    let echo = until(&mut alice_events, |e| match e {
        Event::Message { message, .. } => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(echo, sent);
    let received = until(&mut bob_events, |e| match e {
        Event::Message { channel, message } if *channel == chat => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(received, sent);

    let reply = bob
        .send_message(&chat, OutgoingMessage::text("hi!").reply_to(&sent.id))
        .await
        .unwrap();
    assert_eq!(reply.reply_target_id.as_deref(), Some(sent.id.as_str()));
    let stored = fx.srv().store().all_messages(&chat).unwrap();
    assert_eq!(stored.len(), 2);
}

#[tokio::test]
async fn reactions_reach_everyone() {
    let fx = Fixture::start().await;
    let chat = fx.chat(&["alice", "bob"]);
    let (alice, mut alice_events) = fx.connect("alice", &[&chat]);
    let (_bob, mut bob_events) = fx.connect("bob", &[&chat]);
    joined(&mut alice_events, &chat).await;
    joined(&mut bob_events, &chat).await;
    let sent = alice
        .send_message(&chat, OutgoingMessage::text("react to me"))
        .await
        .unwrap();
    alice.send_reaction(&chat, &sent.id, "LOVE").await.unwrap();
    let reaction = until(&mut bob_events, |e| match e {
        Event::Reaction { reaction, .. } => Some(reaction.clone()),
        _ => None,
    })
    .await;
    assert_eq!(reaction.reaction_target_id, sent.id);
    assert_eq!(reaction.classifier, "LOVE");
    assert_eq!(reaction.user_auth_key, "alice");
}

#[tokio::test]
async fn presence_counts_connections_and_shows_typing() {
    let fx = Fixture::start().await;
    let chat = fx.chat(&["alice", "bob", "eve"]);
    let (watcher, mut events) = fx.connect("eve", &[&chat]);
    watcher.watch_presence(&chat).unwrap();
    joined(&mut events, &chat).await;

    let mut others = Vec::new();
    for user in ["alice", "alice", "bob", "bob"] {
        let (conn, mut ev) = fx.connect(user, &[&chat]);
        joined(&mut ev, &chat).await;
        others.push((conn, ev));
    }
    let metas = |conn: &Connection, key: &str| {
        conn.presence(&chat)
            .and_then(|p| p.get(key).map(|e| e.metas.len()))
            .unwrap_or(0)
    };
    tokio::time::timeout(WAIT, async {
        while metas(&watcher, "user:alice") != 2 || metas(&watcher, "user:bob") != 2 {
            events.recv().await.expect("events");
        }
    })
    .await
    .expect("two connections per user");

    others[0].0.start_typing(&chat).unwrap();
    until(&mut events, |e| match e {
        Event::Presence { joins, .. } => joins
            .iter()
            .any(|j| j.key == "user:alice" && j.joined.metas.iter().any(|m| m.is_typing))
            .then_some(()),
        _ => None,
    })
    .await;
    others[0].0.stop_typing(&chat).unwrap();
    until(&mut events, |e| match e {
        Event::Presence { .. } => {
            let p = watcher.presence(&chat).unwrap();
            (!p["user:alice"].metas.iter().any(|m| m.is_typing)).then_some(())
        }
        _ => None,
    })
    .await;

    // One of alice's connections leaves: she stays, with one meta.
    let (a1, _) = others.remove(0);
    a1.disconnect().await;
    let left = until(&mut events, |e| match e {
        Event::Presence { leaves, .. } => leaves.iter().find(|l| l.key == "user:alice").cloned(),
        _ => None,
    })
    .await;
    assert_eq!(left.current.metas.len(), 1, "alice is still here once");
    let (a2, _) = others.remove(0);
    a2.disconnect().await;
    until(&mut events, |e| match e {
        Event::Presence { leaves, .. } => leaves
            .iter()
            .any(|l| l.key == "user:alice" && l.current.metas.is_empty())
            .then_some(()),
        _ => None,
    })
    .await;
    assert!(!watcher.presence(&chat).unwrap().contains_key("user:alice"));
    assert_eq!(metas(&watcher, "user:bob"), 2);
}

#[tokio::test]
async fn typing_stops_by_itself() {
    let fx = Fixture::start().await;
    let chat = fx.chat(&["alice", "bob"]);
    let (watcher, mut events) = fx.connect("bob", &[&chat]);
    watcher.watch_presence(&chat).unwrap();
    joined(&mut events, &chat).await;
    let config = fx
        .config("alice")
        .channels([chat.as_str()])
        .typing_timeout(Duration::from_millis(300));
    let (alice, mut alice_events) = Connection::connect(config).unwrap();
    joined(&mut alice_events, &chat).await;
    alice.start_typing(&chat).unwrap();
    let typing = |w: &Connection| {
        w.presence(&chat).is_some_and(|p| {
            p.get("user:alice")
                .is_some_and(|e| e.metas.iter().any(|m| m.is_typing))
        })
    };
    tokio::time::timeout(WAIT, async {
        while !typing(&watcher) {
            events.recv().await.expect("events");
        }
        while typing(&watcher) {
            events.recv().await.expect("events");
        }
    })
    .await
    .expect("typing went on and then off by itself");
}

#[tokio::test]
async fn an_unauthorized_join_is_final() {
    let fx = Fixture::start().await;
    let chat = fx.chat(&["alice"]);
    let (eve, mut events) = fx.connect("eve", &[]);
    let err = eve.join_channel(&chat, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::JoinRefused { reason, .. } if reason == "unauthorized"),
        "{err}"
    );
    assert_eq!(
        eve.channel(&chat).unwrap().status,
        ChannelStatus::Rejected {
            reason: "unauthorized".into()
        }
    );
    let err = eve
        .send_message(&chat, OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotJoined { .. }), "{err}");
    until(&mut events, |e| {
        matches!(
            e,
            Event::Channel {
                status: ChannelStatus::Rejected { .. },
                ..
            }
        )
        .then_some(())
    })
    .await;
    // No rejoin follows: the channel stays rejected.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while let Some(e) = events.try_recv() {
        assert!(
            !matches!(
                e,
                Event::Channel {
                    status: ChannelStatus::Joining,
                    ..
                }
            ),
            "rejoined: {e:?}"
        );
    }
}

#[tokio::test]
async fn a_refused_token_is_an_auth_error_not_a_fast_loop() {
    let fx = Fixture::start().await;
    let bad = ConnectionConfig::new(fx.srv().ws_url(), "k", Credentials::new("not-a-token"));
    let (conn, mut events) = Connection::connect(bad).unwrap();
    let retry = until(&mut events, |e| match e {
        Event::Connection(ConnectionState::AuthRejected { retry_in }) => Some(*retry_in),
        Event::Connection(ConnectionState::Connected) => panic!("a bad token connected"),
        _ => None,
    })
    .await;
    assert!(retry >= Duration::from_secs(10), "retrying after {retry:?}");
    let err = conn.chats().await.unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 401, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_host_is_named() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config =
        ConnectionConfig::new(format!("ws://127.0.0.1:{port}"), "k", Credentials::new("t"));
    let (_conn, mut events) = Connection::connect(config).unwrap();
    let error = until(&mut events, |e| match e {
        Event::Connection(ConnectionState::Reconnecting { error, .. }) => Some(error.clone()),
        _ => None,
    })
    .await;
    assert!(matches!(error, ConnectError::Unreachable(_)), "{error}");
}

#[tokio::test]
async fn a_restarted_server_is_rejoined() {
    let mut fx = Fixture::start().await;
    let chat = fx.chat(&["alice", "bob"]);
    let (alice, mut events) = fx.connect("alice", &[&chat]);
    joined(&mut events, &chat).await;
    fx.restart().await;
    until(&mut events, |e| {
        matches!(e, Event::Connection(ConnectionState::Reconnecting { .. })).then_some(())
    })
    .await;
    joined(&mut events, &chat).await;
    let sent = alice
        .send_message(&chat, OutgoingMessage::text("after restart"))
        .await
        .unwrap();
    assert_eq!(
        fx.srv()
            .store()
            .all_messages(&chat)
            .unwrap()
            .last()
            .unwrap()
            .id,
        sent.id
    );
}

#[tokio::test]
async fn pushes_made_while_offline_are_held_until_the_rejoin() {
    let mut fx = Fixture::start().await;
    let chat = fx.chat(&["alice"]);
    let (alice, mut events) = fx.connect("alice", &[&chat]);
    joined(&mut events, &chat).await;
    fx.restart().await;
    // Sent while the link is down or the channel rejoining: held, then sent.
    let sent = alice
        .send_message(&chat, OutgoingMessage::text("queued"))
        .await
        .unwrap();
    assert_eq!(sent.text, "queued");
    assert_eq!(fx.srv().store().all_messages(&chat).unwrap().len(), 1);
}

#[tokio::test]
async fn the_chat_list_comes_over_rest() {
    let fx = Fixture::start().await;
    let chat = fx.chat(&["alice", "bob"]);
    let (conn, _events) = fx.connect("alice", &[]);
    let list = conn.chats().await.unwrap();
    assert_eq!(list.chats.len(), 1);
    assert_eq!(list.chats[0].id, chat);
    assert_eq!(list.chats[0].members.len(), 2);
    assert_eq!(list.detail[0].unread_messages, 0);
}

/// The next `n` messages of `channel` shown on `events`.
async fn messages(events: &mut Events, channel: &str, n: usize) -> Vec<Message> {
    let mut got = Vec::new();
    while got.len() < n {
        let message = until(events, |e| match e {
            Event::Message {
                channel: c,
                message,
            } if c == channel => Some(message.clone()),
            _ => None,
        })
        .await;
        got.push(message);
    }
    got
}

/// Asserts that no message of `channel` shows up for a while.
async fn no_more_messages(events: &mut Events, channel: &str) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Some(e) = events.try_recv() {
        if let Event::Message {
            channel: c,
            message,
        } = e
        {
            assert_ne!(c, channel, "an extra message was shown: {message:?}");
        }
    }
}

fn ids(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.id.clone()).collect()
}

#[tokio::test]
async fn a_rejoin_backfills_what_was_missed_once_and_in_order() {
    let mut fx = Fixture::start().await;
    let chat = fx.chat(&["alice", "bob"]);
    let (_alice, mut events) = fx.connect("alice", &[&chat]);
    let (bob, mut bob_events) = fx.connect("bob", &[&chat]);
    joined(&mut events, &chat).await;
    joined(&mut bob_events, &chat).await;
    for i in 0..3 {
        let text = OutgoingMessage::text(format!("live {i}"));
        bob.send_message(&chat, text).await.unwrap();
    }
    let live = messages(&mut events, &chat, 3).await;

    // While the server is down, 120 messages are stored (3 a second, more
    // than two pages): alice's rejoin must page back through all of them.
    let addr = fx.stop().await;
    let store = Store::open(&fx.db()).unwrap();
    let base = chatpi_server::now_naive() + time::Duration::SECOND;
    let mut missed = Vec::new();
    for i in 0..120 {
        let at = base + time::Duration::seconds(i / 3);
        let new = NewMessage {
            text: format!("missed {i}"),
            ..Default::default()
        };
        let stored = store
            .insert_message_at(&chat, "bob", new, &chatpi_server::format_naive(at))
            .unwrap();
        missed.push(stored.id);
    }
    fx.start_at(addr).await;

    let backfilled = messages(&mut events, &chat, 120).await;
    assert_eq!(ids(&backfilled), missed, "every missed message, in order");
    let shown: HashSet<String> = ids(&live).into_iter().chain(missed).collect();
    assert_eq!(shown.len(), 123);
    no_more_messages(&mut events, &chat).await;
}

/// The outbox events of `conn` until `n` messages are sent.
async fn sent(outbox: &mut OutboxEvents, n: usize) -> Vec<Message> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while out.len() < n {
            match outbox.recv().await.expect("outbox events ended") {
                OutboxEvent::Sent { message, .. } => out.push(message),
                OutboxEvent::Failed { reason, .. } => panic!("a queued message failed: {reason}"),
                _ => {}
            }
        }
    })
    .await
    .expect("timed out waiting for queued messages to be sent");
    out
}

#[tokio::test]
async fn queued_messages_wait_out_a_server_restart_and_are_stored_once() {
    let mut fx = Fixture::start().await;
    let chat = fx.chat(&["alice"]);
    let store = MemoryOutbox::new();
    let config = fx
        .config("alice")
        .channels([chat.as_str()])
        .outbox(store.clone());
    let (alice, mut events) = Connection::connect(config).unwrap();
    let mut outbox = alice.outbox_events().unwrap();
    assert!(alice.outbox_events().is_none(), "taken once");
    joined(&mut events, &chat).await;

    let first = alice
        .queue_message(&chat, OutgoingMessage::text("online"))
        .unwrap();
    let stored = sent(&mut outbox, 1).await;
    assert_eq!(stored[0].client_id(), Some(first.as_str()));

    let addr = fx.stop().await;
    let mut queued = Vec::new();
    for i in 0..20 {
        let text = OutgoingMessage::text(format!("offline {i}"));
        queued.push(alice.queue_message(&chat, text).unwrap());
    }
    assert_eq!(store.load_count(), 20, "recorded before anything is pushed");
    fx.start_at(addr).await;

    let stored = sent(&mut outbox, 20).await;
    let got: Vec<&str> = stored.iter().filter_map(|m| m.client_id()).collect();
    assert_eq!(got, queued, "sent in order");
    assert_eq!(store.load_count(), 0, "the outbox is empty");
    let all = fx.srv().store().all_messages(&chat).unwrap();
    let texts: Vec<String> = all.iter().map(|m| m.text.clone()).collect();
    let mut want = vec!["online".to_owned()];
    want.extend((0..20).map(|i| format!("offline {i}")));
    assert_eq!(texts, want, "each stored once, in order");

    // Each echo is shown once.
    let shown = messages(&mut events, &chat, 21).await;
    let all: Vec<String> = all.into_iter().map(|m| m.id).collect();
    assert_eq!(ids(&shown), all);
    no_more_messages(&mut events, &chat).await;
}

trait LoadCount {
    fn load_count(&self) -> usize;
}

impl LoadCount for MemoryOutbox {
    fn load_count(&self) -> usize {
        use chatpi_client::OutboxStore;
        self.load().unwrap().len()
    }
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_server_is_retried_on_the_reconnect_schedule() {
    // A loopback port with nothing behind it refuses at once, so the only
    // waits are the driver's own timers, which run on the paused clock.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/socket", closed.local_addr().unwrap());
    drop(closed);
    let config = ConnectionConfig::new(url, "k", Credentials::new("t")).channels(["lobby"]);
    let (conn, mut events) = Connection::connect(config).unwrap();

    let mut attempts = Vec::new();
    let mut promised = Vec::new();
    while attempts.len() < 12 {
        match events.recv().await.expect("events") {
            Event::Connection(ConnectionState::Connecting) => {
                attempts.push(tokio::time::Instant::now())
            }
            Event::Connection(ConnectionState::Reconnecting { retry_in, error }) => {
                assert!(matches!(error, ConnectError::Unreachable(_)), "{error:?}");
                promised.push(retry_in);
            }
            Event::Connection(other) => panic!("unexpected {other:?}"),
            _ => {}
        }
    }
    let gaps: Vec<u64> = attempts
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis() as u64)
        .collect();
    let schedule = [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000];
    assert_eq!(gaps, schedule, "the gaps between attempts");
    let promised: Vec<u64> = promised.iter().map(|d| d.as_millis() as u64).collect();
    assert_eq!(
        promised[..11],
        schedule,
        "the retry_in each failure reported"
    );
    conn.disconnect().await;
}
