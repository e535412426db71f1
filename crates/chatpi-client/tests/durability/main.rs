//! Delivery across what breaks in the field, against the real
//! `chatpi-server` binary in its own process: a server killed with SIGKILL
//! mid-stream, a client process that queued messages offline and ended,
//! then a second one on the same outbox, a network
//! path that goes silent, a refused token.
//!
//! Needs `target/debug/chatpi-server` (`cargo build -p chatpi-server`).

mod support;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use chatpi_client::{
    Connection, ConnectionConfig, ConnectionState, Credentials, Error, Event, Events, Message,
    OutboxEvent, OutboxEvents, OutboxStore, OutgoingMessage,
};
use support::{wait_for, wait_joined, Cut, Env, FileOutbox, Proxy};
use tokio::time::Instant;

/// Keeps every message `events` shows on `channel`, in order.
fn record_messages(mut events: Events, channel: &str) -> Arc<Mutex<Vec<Message>>> {
    let shown = Arc::new(Mutex::new(Vec::new()));
    let (out, channel) = (shown.clone(), channel.to_owned());
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Event::Message {
                channel: c,
                message,
            } = event
            {
                if c == channel {
                    out.lock().unwrap().push(message);
                }
            }
        }
    });
    shown
}

/// Keeps the client ids of the queued messages reported sent, in order.
fn record_sent(mut outbox: OutboxEvents) -> (Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicUsize::new(0));
    let (out, fails) = (sent.clone(), failed.clone());
    tokio::spawn(async move {
        while let Some(event) = outbox.recv().await {
            match event {
                OutboxEvent::Sent { client_id, .. } => out.lock().unwrap().push(client_id),
                OutboxEvent::Failed { .. } => {
                    fails.fetch_add(1, Ordering::SeqCst);
                }
                _ => {}
            }
        }
    });
    (sent, failed)
}

fn client_ids(stored: &[chatpi_server::Message]) -> Vec<String> {
    stored
        .iter()
        .map(|m| {
            let details = m.custom_details.as_ref().expect("sent with custom_details");
            details["client_id"]
                .as_str()
                .expect("a client id")
                .to_owned()
        })
        .collect()
}

/// Checks that each queued message is stored exactly once, and prints the
/// counts under `scenario` (shown with `--nocapture`).
fn assert_each_once(scenario: &str, stored: &[chatpi_server::Message], queued: &[String]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for id in client_ids(stored) {
        *counts.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let lost: Vec<_> = queued
        .iter()
        .filter(|id| !counts.contains_key(*id))
        .collect();
    eprintln!(
        "{scenario}: {} queued, {} stored, {} lost, {} duplicated",
        queued.len(),
        stored.len(),
        lost.len(),
        twice.len()
    );
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    assert!(lost.is_empty(), "never stored: {lost:?}");
    assert_eq!(stored.len(), queued.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_survives_kill_9_of_the_server_with_nothing_lost_or_doubled() {
    let mut env = Env::new();
    env.serve().await;
    let chat = env.chat.clone();

    let (reader, reader_events) = Connection::connect(env.config(&env.url(), "alice")).unwrap();
    let shown = record_messages(reader_events, &chat);
    wait_joined(&reader, &chat).await;
    let (streamer, _streamer_events) = Connection::connect(env.config(&env.url(), "bob")).unwrap();
    let (sent, failed) = record_sent(streamer.outbox_events().unwrap());
    wait_joined(&streamer, &chat).await;

    // Given 1000 messages queued at once, sent as fast as acks allow,
    let queued: Vec<String> = (0..1000)
        .map(|i| {
            let text = OutgoingMessage::text(format!("m{i:04}"));
            streamer.queue_message(&chat, text).unwrap()
        })
        .collect();
    // when the server is killed at a random point of the stream
    let kill_at = 100 + (uuid::Uuid::new_v4().as_u128() % 800) as usize;
    eprintln!("killing the server after {kill_at} messages were sent");
    wait_for(
        "the stream to reach the kill point",
        Duration::from_secs(20),
        || sent.lock().unwrap().len() >= kill_at,
    )
    .await;
    env.kill().await;
    let at_kill = sent.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // and restarted on the same port and database,
    env.serve().await;
    let restarted = Instant::now();

    // then every message is stored once, in order,
    wait_for("all 1000 to be sent", Duration::from_secs(25), || {
        sent.lock().unwrap().len() == 1000
    })
    .await;
    eprintln!(
        "kill -9: the last {} messages were stored {:?} after the restart",
        1000 - at_kill,
        restarted.elapsed()
    );
    assert_eq!(failed.load(Ordering::SeqCst), 0);
    assert!(at_kill < 1000, "the kill came mid-stream");
    let stored = env.stored();
    assert_each_once("kill -9", &stored, &queued);
    assert_eq!(client_ids(&stored), queued, "stored in the order queued");
    assert_eq!(*sent.lock().unwrap(), queued, "reported sent in order");

    // and the reader showed exactly what the server stored.
    let stored_ids: Vec<String> = stored.iter().map(|m| m.id.clone()).collect();
    wait_for("the reader to catch up", Duration::from_secs(10), || {
        shown.lock().unwrap().len() >= stored_ids.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown_ids: Vec<String> = shown.lock().unwrap().iter().map(|m| m.id.clone()).collect();
    eprintln!(
        "kill -9: the reader showed {} of the {} stored",
        shown_ids.len(),
        stored_ids.len()
    );
    assert_eq!(shown_ids.len(), stored_ids.len(), "nothing shown twice");
    assert_eq!(
        shown_ids, stored_ids,
        "the reader's view is the server's history"
    );
}

/// The first client process of the offline-outbox test: given a server
/// that is down, it queues 100 messages in the outbox file, prints their
/// client ids and exits without a goodbye.
const CHILD_VAR: &str = "CHATPI_DURABILITY_OFFLINE_CLIENT";

#[tokio::test]
#[ignore = "a child process of the offline-outbox test, which sets its environment"]
async fn offline_client_process() {
    let spec = std::env::var(CHILD_VAR).unwrap_or_else(|_| {
        panic!("run by messages_queued_offline_survive_a_client_restart_..., with {CHILD_VAR} set")
    });
    let [url, token, chat, file]: [&str; 4] = spec
        .split('\n')
        .collect::<Vec<_>>()
        .try_into()
        .expect("url, token, chat and file, a line each");
    let config = ConnectionConfig::new(url, "test", Credentials::new(token))
        .channels([chat])
        .outbox(FileOutbox::new(file.into()));
    let (conn, _events) = Connection::connect(config).unwrap();
    for i in 0..100 {
        let text = OutgoingMessage::text(format!("offline {i:03}"));
        println!("queued {}", conn.queue_message(chat, text).unwrap());
    }
    // Gone as a closed laptop lid or a killed process is: no goodbye.
    std::process::exit(0);
}

#[tokio::test]
async fn messages_queued_offline_survive_a_client_restart_and_are_stored_once_in_order() {
    let mut env = Env::new();
    env.serve().await;
    let chat = env.chat.clone();
    let file = env.dir.path().join("outbox.json");

    // Given the server is down and a first client process queues 100
    // messages and ends,
    env.kill().await;
    let spec = [
        env.url(),
        env.token("alice"),
        chat.clone(),
        file.display().to_string(),
    ]
    .join("\n");
    let exe = std::env::current_exe().unwrap();
    let child = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "offline_client_process",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_VAR, spec)
        .output()
        .await
        .unwrap();
    assert!(
        child.status.success(),
        "the first client process failed: {}",
        String::from_utf8_lossy(&child.stderr)
    );
    let queued: Vec<String> = String::from_utf8_lossy(&child.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("queued "))
        .map(str::to_owned)
        .collect();
    assert_eq!(queued.len(), 100, "the first process queued 100");
    assert_eq!(FileOutbox::new(file.clone()).load().unwrap().len(), 100);

    // when a second client process starts on the same outbox,
    let config = env
        .config(&env.url(), "alice")
        .outbox(FileOutbox::new(file.clone()));
    let (second, _events) = Connection::connect(config).unwrap();
    let mut outbox = second.outbox_events().unwrap();
    let mut loaded = Vec::new();
    while loaded.len() < 100 {
        match outbox.try_recv() {
            Some(OutboxEvent::Pending { client_id, .. }) => loaded.push(client_id),
            Some(other) => panic!("unexpected {other:?}"),
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    assert_eq!(loaded, queued, "the restarted client shows them pending");
    // and the server comes back,
    env.serve().await;
    let back = Instant::now();

    // then each is stored exactly once, in order.
    let (sent, failed) = record_sent(outbox);
    wait_for("all 100 to be sent", Duration::from_secs(20), || {
        sent.lock().unwrap().len() == 100
    })
    .await;
    eprintln!(
        "offline outbox: all 100 stored {:?} after the server came back",
        back.elapsed()
    );
    assert_eq!(failed.load(Ordering::SeqCst), 0);
    let stored = env.stored();
    assert_each_once("offline outbox", &stored, &queued);
    assert_eq!(client_ids(&stored), queued);
    let texts: Vec<String> = stored.iter().map(|m| m.text.clone()).collect();
    let want: Vec<String> = (0..100).map(|i| format!("offline {i:03}")).collect();
    assert_eq!(texts, want);
    assert!(FileOutbox::new(file).load().unwrap().is_empty());
}

/// Cuts the link and checks the client notices within two heartbeats,
/// reconnects, and stores the message queued meanwhile exactly once.
async fn survive_a_cut(how: Cut) {
    let mut env = Env::new();
    env.serve().await;
    let chat = env.chat.clone();
    let proxy = Proxy::start(env.addr()).await;
    let heartbeat = Duration::from_millis(500);
    let config = env
        .config(&proxy.url(), "alice")
        .heartbeat_interval(heartbeat);
    let (conn, mut events) = Connection::connect(config).unwrap();
    let (sent, _) = record_sent(conn.outbox_events().unwrap());
    wait_joined(&conn, &chat).await;
    while events.try_recv().is_some() {}

    // Given a link that goes silent without closing, at any point between
    // two heartbeats,
    let phase = (uuid::Uuid::new_v4().as_u128() % 500) as u64;
    tokio::time::sleep(Duration::from_millis(phase)).await;
    let cut_at = Instant::now();
    proxy.cut(how);
    // and a message queued right after,
    let client_id = conn
        .queue_message(&chat, OutgoingMessage::text("during the cut"))
        .unwrap();

    // the client drops it within two heartbeat intervals
    let dropped = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await.expect("events") {
                Event::Connection(ConnectionState::Reconnecting { .. }) => return Instant::now(),
                Event::Connection(ConnectionState::Connected) => panic!("still connected"),
                _ => {}
            }
        }
    })
    .await
    .expect("the dead link was never noticed");
    let noticed = dropped - cut_at;
    eprintln!("a silent link ({how:?}) was dropped after {noticed:?}");
    assert!(
        noticed <= heartbeat * 2 + Duration::from_millis(300),
        "noticed after {noticed:?}"
    );
    assert!(noticed >= heartbeat / 2, "dropped too eagerly: {noticed:?}");

    // and reconnects at once,
    let back = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Event::Connection(ConnectionState::Connected) = events.recv().await.unwrap() {
                return Instant::now();
            }
        }
    })
    .await
    .expect("never reconnected");
    eprintln!(
        "a silent link ({how:?}): connected again {:?} after the drop",
        back - dropped
    );
    assert!(
        back - dropped < Duration::from_millis(500),
        "reconnected after {:?}",
        back - dropped
    );

    // and the message is stored once.
    wait_for("the message to be sent", Duration::from_secs(10), || {
        sent.lock().unwrap().len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored = env.stored();
    assert_each_once(&format!("a silent link ({how:?})"), &stored, &[client_id]);
}

#[tokio::test]
async fn a_silent_link_is_dropped_within_two_heartbeats_and_a_message_sent_meanwhile_arrives_once()
{
    survive_a_cut(Cut::Both).await;
}

#[tokio::test]
async fn a_message_stored_while_its_answer_is_cut_off_is_not_sent_twice() {
    // The server gets the push and stores it; only the way back is silent.
    survive_a_cut(Cut::ServerToClient).await;
}

#[tokio::test]
async fn a_refused_token_stops_the_fast_retries_within_the_attempt_budget() {
    let mut env = Env::new();
    env.serve().await;
    let proxy = Proxy::start(env.addr()).await;
    let interval = Duration::from_secs(1);
    let config = ConnectionConfig::new(proxy.url(), "test", Credentials::new("not-a-token"))
        .channels([env.chat.as_str()])
        .auth_retry_interval(interval);
    let started = Instant::now();
    let (conn, mut events) = Connection::connect(config).unwrap();

    let retry_in = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await.expect("events") {
                Event::Connection(ConnectionState::AuthRejected { retry_in }) => return retry_in,
                Event::Connection(ConnectionState::Connected) => panic!("a bad token connected"),
                _ => {}
            }
        }
    })
    .await
    .expect("the refusal was never reported");
    assert_eq!(retry_in, interval);
    assert!(matches!(conn.state(), ConnectionState::AuthRejected { .. }));

    // Over 4.5 s, one attempt a second at most: 0, 1, 2, 3, 4.
    tokio::time::sleep_until(started + Duration::from_millis(4500)).await;
    let attempts = proxy.accepted();
    eprintln!("a refused token: {attempts} connect attempts in 4.5 s at one per {interval:?}");
    assert!((4..=5).contains(&attempts), "{attempts} attempts in 4.5 s");
    while let Some(event) = events.try_recv() {
        assert_ne!(event, Event::Connection(ConnectionState::Connected));
    }
    let err = conn.chats().await.unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 401, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn by_default_a_refused_token_is_tried_at_most_six_times_a_minute() {
    let mut env = Env::new();
    env.serve().await;
    let proxy = Proxy::start(env.addr()).await;
    let config = ConnectionConfig::new(proxy.url(), "test", Credentials::new("not-a-token"));
    assert_eq!(config.auth_retry_interval, Duration::from_secs(10));
    let (conn, _events) = Connection::connect(config).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(proxy.accepted(), 1, "one attempt, then a 10 s wait");
    let ConnectionState::AuthRejected { retry_in } = conn.state() else {
        panic!("state {:?}", conn.state());
    };
    assert!(retry_in >= Duration::from_secs(10));
}
