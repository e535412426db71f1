//! Two accounts in one window, and the notifications a new message raises,
//! read off the session bus with `dbus-monitor` as the notification daemon
//! receives them.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use chatpi_client::{Connection, ConnectionConfig, Credentials, OutgoingMessage};
use chatpi_server::{demo, Secret, Store};
use serde_json::json;

use crate::driver::App;

/// Records every `Notify` call on the session bus to a file.
struct Monitor {
    child: Child,
    path: std::path::PathBuf,
}

impl Monitor {
    fn start(dir: &Path) -> Self {
        let path = dir.join("notifications.log");
        let file = std::fs::File::create(&path).unwrap();
        let child = Command::new("dbus-monitor")
            .arg("--session")
            .arg("type='method_call',interface='org.freedesktop.Notifications',member='Notify'")
            .stdout(Stdio::from(file))
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start dbus-monitor (run under dbus-run-session)");
        Self { child, path }
    }

    /// The `Notify` calls seen so far, each as its lines of arguments.
    fn calls(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        text.split("method call")
            .filter(|c| c.contains("member=Notify"))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Seeded {
    secret: Secret,
    bob_only: String,
    alice_only: String,
}

fn seed(data: &Path) -> Seeded {
    std::fs::create_dir_all(data).unwrap();
    let store = Store::open(&data.join("chatpi.db")).unwrap();
    demo::seed(&store).unwrap();
    let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let bob_only = store
        .create_chat("bob-and-carol", &keys(&["bob", "carol"]))
        .unwrap()
        .id;
    let alice_only = store
        .create_chat("alice-and-carol", &keys(&["alice", "carol"]))
        .unwrap()
        .id;
    let secret = Secret::load_or_create(&data.join("chatpi.key")).unwrap();
    Seeded {
        secret,
        bob_only,
        alice_only,
    }
}

async fn settle() {
    // Long enough for a message to travel and a notification to be sent.
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_the_other_account_notifies_once() {
    let home = tempfile::tempdir().unwrap();
    let seeded = seed(&home.path().join("data/dev.chatpi.desktop"));
    let monitor = Monitor::start(home.path());
    let app = App::launch(home.path()).await;

    // First run: two demo accounts, Alice's on screen.
    app.wait_texts("#account-rail .account[data-account-id]", |t| t.len() == 2)
        .await;
    app.wait_for("#account-rail .account[data-account-id=\"local-alice\"].active")
        .await;
    let alice_only = format!(
        "#channel-list li[data-channel-id=\"{}\"]",
        seeded.alice_only
    );
    app.click(&alice_only).await;
    app.wait_for(&format!("{alice_only}.active")).await;

    let token = seeded.secret.mint("carol", Duration::from_secs(600));
    let config = ConnectionConfig::new(app.server_url(), "local", Credentials::new(token));
    let (carol, _events) = Connection::connect(config).unwrap();
    carol.join_channel(&seeded.bob_only, None).await.unwrap();
    carol.join_channel(&seeded.alice_only, None).await.unwrap();

    // A message to Bob's account while Alice's is on screen: one
    // notification naming channel and author, and a badge on Bob.
    let badge = "#account-rail .account[data-account-id=\"local-bob\"] .badge";
    let before: u64 = app.text(badge).await.trim().parse().unwrap_or(0);
    carol
        .send_message(
            &seeded.bob_only,
            OutgoingMessage::text("Bob, lunch at noon?"),
        )
        .await
        .unwrap();
    app.wait_text(badge, |t| {
        t.trim().parse::<u64>().unwrap_or(0) == before + 1
    })
    .await;
    settle().await;
    let calls = monitor.calls();
    assert_eq!(calls.len(), 1, "expected one notification, got {calls:#?}");
    assert!(
        calls[0].contains("#bob-and-carol · Carol Jensen"),
        "summary: {}",
        calls[0]
    );
    assert!(
        calls[0].contains("Bob, lunch at noon?"),
        "body: {}",
        calls[0]
    );

    // The channel on screen, focused: no notification.
    carol
        .send_message(
            &seeded.alice_only,
            OutgoingMessage::text("Seen this, Alice?"),
        )
        .await
        .unwrap();
    app.wait_text("#messages", |t| t.contains("Seen this, Alice?"))
        .await;
    // One's own message: none either, whether written here or on another
    // device into a channel that is not on screen.
    app.type_into("#composer textarea", "Yes, thanks\n").await;
    app.wait_text("#messages", |t| t.contains("Yes, thanks"))
        .await;
    let token = seeded.secret.mint("bob", Duration::from_secs(600));
    let config = ConnectionConfig::new(app.server_url(), "local", Credentials::new(token));
    let (bob_elsewhere, _bob_events) = Connection::connect(config).unwrap();
    bob_elsewhere
        .join_channel(&seeded.bob_only, None)
        .await
        .unwrap();
    let before: u64 = app.text(badge).await.trim().parse().unwrap_or(0);
    bob_elsewhere
        .send_message(
            &seeded.bob_only,
            OutgoingMessage::text("Sent from my phone"),
        )
        .await
        .unwrap();
    // Carol's next message shows the window has taken Bob's in: both are
    // in Bob's channel, in order, and only Carol's counts as unread.
    carol
        .send_message(&seeded.bob_only, OutgoingMessage::text("Got it, Bob"))
        .await
        .unwrap();
    app.wait_text(badge, |t| {
        t.trim().parse::<u64>().unwrap_or(0) == before + 1
    })
    .await;
    settle().await;
    let calls = monitor.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert!(calls[1].contains("Got it, Bob"), "{}", calls[1]);
    assert!(
        !calls.iter().any(|c| c.contains("Sent from my phone")),
        "{calls:#?}"
    );
    bob_elsewhere.disconnect().await;
    // A muted channel: none.
    app.invoke(
        "set_muted",
        json!({ "account": "local-bob", "channel": seeded.bob_only, "muted": true }),
    )
    .await;
    carol
        .send_message(&seeded.bob_only, OutgoingMessage::text("Muted, quiet"))
        .await
        .unwrap();
    settle().await;
    assert_eq!(monitor.calls().len(), 2, "{:#?}", monitor.calls());

    // Ctrl+2 shows Bob's account and its channels.
    app.click("#composer textarea").await;
    app.chord("\u{E009}2\u{E000}").await;
    app.wait_for("#account-rail .account[data-account-id=\"local-bob\"].active")
        .await;
    app.wait_for(&format!(
        "#channel-list li[data-channel-id=\"{}\"]",
        seeded.bob_only
    ))
    .await;
    assert!(
        !app.exists(&alice_only).await,
        "Alice's channels still listed"
    );

    carol.disconnect().await;
    app.close().await;
}
