//! End to end: the real app window, driven through `tauri-driver` and
//! `WebKitWebDriver` as a person would use it, against its embedded server,
//! with a second user on a `chatpi-client` connection.
//!
//! Needs a display and a D-Bus session: `scripts/test` runs it under
//! `xvfb-run` and `dbus-run-session`. Build the app first
//! (`cargo build -p chatpi-desktop`).

mod driver;
mod installed;
mod keychain;
mod notifications;
mod outbox;

use std::time::Duration;

use chatpi_client::{Connection, ConnectionConfig, Credentials, Event, OutgoingMessage};
use chatpi_server::{demo, NewMessage, Secret, Store};
use driver::App;

const OLDER: usize = 200;

/// Seeds the app's data folder before its first start: the demo, plus
/// old history in #general that only scrolling back can reach.
fn seed(data: &std::path::Path) -> Secret {
    std::fs::create_dir_all(data).unwrap();
    let store = Store::open(&data.join("chatpi.db")).unwrap();
    let seeded = demo::seed(&store).unwrap();
    let general = seeded.chats.iter().find(|c| c.name == "general").unwrap();
    for i in 0..OLDER {
        let at = format!("2025-06-01T{:02}:{:02}:00", i / 60, i % 60);
        let new = NewMessage {
            text: format!("archived note {i}"),
            ..Default::default()
        };
        store
            .insert_message_at(&general.id, "dave", new, &at)
            .unwrap();
    }
    Secret::load_or_create(&data.join("chatpi.key")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_chats_with_a_second_client() {
    let home = tempfile::tempdir().unwrap();
    let secret = seed(&home.path().join("data/dev.chatpi.desktop"));
    let app = App::launch(home.path()).await;

    // The app opens on the embedded default and lists the seeded channels.
    let names = app
        .wait_texts("#channel-list li[data-channel-id]", |t| t.len() >= 4)
        .await;
    for name in ["lobby", "general", "random", "design"] {
        assert!(
            names.iter().any(|n| n.contains(name)),
            "channel {name} missing from {names:?}"
        );
    }
    let general = app.channel_id("general").await.expect("#general is listed");
    app.click(&format!("#channel-list li[data-channel-id=\"{general}\"]"))
        .await;
    app.wait_text("#messages", |t| t.contains("Count me in, 12:30?"))
        .await;

    // A second user on a real client connection. (Alice and Bob are both
    // signed in by the app itself, as its two first-run accounts.)
    let token = secret.mint("carol", Duration::from_secs(600));
    // The same API key as the app: it is part of the topic, so of who hears whom.
    let config = ConnectionConfig::new(app.server_url(), "local", Credentials::new(token));
    let (carol, mut carol_events) = Connection::connect(config).unwrap();

    // No Carol in the presence bar until she joins; then her avatar shows.
    assert!(!app.exists("#presence .avatar[data-user=\"carol\"]").await);
    carol.join_channel(&general, None).await.unwrap();
    app.wait_for("#presence .avatar[data-user=\"carol\"]").await;

    // Typed in the composer, received by Carol.
    app.type_into("#composer textarea", "Hello from the window\n")
        .await;
    let got = next_message(&mut carol_events).await;
    assert_eq!(got.text, "Hello from the window");
    assert_eq!(got.user_auth_key, "alice");

    // Sent by Carol, shown in the window.
    let from_carol = carol
        .send_message(&general, OutgoingMessage::text("Hi Alice, Carol here"))
        .await
        .unwrap();
    app.wait_text("#messages", |t| t.contains("Hi Alice, Carol here"))
        .await;

    // Carol's typing shows.
    carol.start_typing(&general).unwrap();
    app.wait_for("#presence .avatar[data-user=\"carol\"].typing")
        .await;
    app.wait_text("#typing", |t| t.contains("Carol")).await;
    carol.stop_typing(&general).unwrap();

    // A reply and a reaction from the window.
    let row = format!("#messages .message[data-message-id=\"{}\"]", from_carol.id);
    app.hover(&row).await;
    app.click(&format!("{row} button.reply-btn")).await;
    app.type_into("#composer textarea", "Replying in the window\n")
        .await;
    let reply = next_message(&mut carol_events).await;
    assert_eq!(
        reply.reply_target_id.as_deref(),
        Some(from_carol.id.as_str())
    );
    app.wait_text(
        &format!(
            "#messages .message[data-message-id=\"{}\"] .reply-quote",
            reply.id
        ),
        |t| t.contains("Carol here"),
    )
    .await;
    app.hover(&row).await;
    app.click(&format!("{row} button.react-btn")).await;
    app.click("button.react-choice[data-classifier=\"LOVE\"]")
        .await;
    app.wait_for(&format!("{row} .reaction[data-classifier=\"LOVE\"]"))
        .await;
    let reaction = next_reaction(&mut carol_events).await;
    assert_eq!(
        (reaction.0.as_str(), reaction.1.as_str()),
        (from_carol.id.as_str(), "LOVE")
    );

    // A reaction from Carol shows too.
    carol
        .send_reaction(&general, &reply.id, "LAUGH")
        .await
        .unwrap();
    let reply_row = format!("#messages .message[data-message-id=\"{}\"]", reply.id);
    app.wait_for(&format!("{reply_row} .reaction[data-classifier=\"LAUGH\"]"))
        .await;

    // `scripts/screenshot` asks for the picture in the README here: a
    // channel with messages, a reply, reactions and two people present.
    if let Ok(path) = std::env::var("CHATPI_SCREENSHOT") {
        carol.start_typing(&general).unwrap();
        app.wait_for("#presence .avatar[data-user=\"carol\"].typing")
            .await;
        app.save_screenshot(std::path::Path::new(&path)).await;
        carol.stop_typing(&general).unwrap();
    }

    // Markup in a message is text.
    let xss = "<img src=x onerror=alert(1)>";
    let sent = carol
        .send_message(&general, OutgoingMessage::text(xss))
        .await
        .unwrap();
    let text_sel = format!("#messages .message[data-message-id=\"{}\"] .text", sent.id);
    app.wait_text(&text_sel, |t| t == xss).await;
    assert!(
        !app.exists("#messages img").await,
        "markup from a message became an element"
    );

    // Scrolling up loads older history on demand.
    assert!(!app.text("#messages").await.contains("archived note 150"));
    app.scroll_until("#messages", "archived note 150").await;

    // Carol leaves: her avatar goes.
    carol.leave_channel(&general).await.unwrap();
    app.wait_gone("#presence .avatar[data-user=\"carol\"]")
        .await;

    carol.disconnect().await;
    app.close().await;
}

async fn next_message(events: &mut chatpi_client::Events) -> chatpi_client::Message {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Some(Event::Message { message, .. }) = events.recv().await {
                if message.user_auth_key == "alice" {
                    return message;
                }
            }
        }
    })
    .await
    .expect("no message from the window reached the second client")
}

async fn next_reaction(events: &mut chatpi_client::Events) -> (String, String) {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Some(Event::Reaction { reaction, .. }) = events.recv().await {
                if reaction.user_auth_key == "alice" {
                    return (
                        reaction.reaction_target_id,
                        reaction.classifier.to_uppercase(),
                    );
                }
            }
        }
    })
    .await
    .expect("no reaction from the window reached the second client")
}
