//! The outbox through the window: messages written while the server is
//! down show as sending, survive a restart of the app, and are stored
//! exactly once, in order, when the server comes back; a discarded one
//! never is.

use std::{net::TcpListener, path::Path, time::Duration};

use chatpi_server::{demo, Server, ServerConfig};
use serde_json::{json, Value};

use crate::driver::App;

const OFFLINE: [&str; 3] = [
    "written offline 1",
    "written offline 2",
    "written offline 3",
];
const DISCARDED: &str = "never to be sent";
const ACCOUNT: &str = "remote-outbox";

async fn start_server(dir: &Path, port: u16) -> Server {
    let config = ServerConfig {
        addr: ([127, 0, 0, 1], port).into(),
        ..ServerConfig::new(dir.join("chatpi.db"))
    };
    // The port may take a moment to be free again after a shutdown.
    for _ in 0..50 {
        match Server::start(config.clone()).await {
            Ok(server) => return server,
            Err(error) => {
                eprintln!("server not started yet: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("cannot start the server on port {port}");
}

/// The app's account list: one remote account on `port` whose token comes
/// from a command (`cat` of a file), so no keychain is involved.
fn write_account(home: &Path, port: u16, token: &str) {
    let token_file = home.join("token");
    std::fs::write(&token_file, token).unwrap();
    let config = home.join("config/dev.chatpi.desktop");
    std::fs::create_dir_all(&config).unwrap();
    let accounts = json!({ "accounts": [{
        "id": ACCOUNT,
        "label": "Outbox",
        "source": {
            "kind": "remote",
            "url": format!("ws://127.0.0.1:{port}"),
            "apiKey": "local",
            "userKey": "alice",
            "tokenCommand": format!("cat {}", token_file.display()),
        },
    }]});
    std::fs::write(
        config.join("accounts.json"),
        serde_json::to_vec_pretty(&accounts).unwrap(),
    )
    .unwrap();
}

async fn status(app: &App) -> String {
    let state = app.invoke("app_state", json!({})).await;
    let accounts = state["accounts"].as_array().cloned().unwrap_or_default();
    accounts
        .iter()
        .find(|a| a["id"] == ACCOUNT)
        .and_then(|a| a["status"]["state"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn wait_status(app: &App, ok: impl Fn(&str) -> bool, what: &str) {
    for _ in 0..150 {
        if ok(&status(app).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the account never became {what}: {}", status(app).await);
}

async fn open_lobby(app: &App) {
    let lobby = "#channel-list li[data-channel-id=\"lobby\"]";
    app.wait_for(lobby).await;
    app.click(lobby).await;
    app.wait_for("#composer textarea:not([disabled])").await;
}

fn lobby_texts(server: &Server) -> Vec<String> {
    server
        .store()
        .all_messages("lobby")
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_written_offline_survive_a_restart_and_are_stored_once() {
    let home = tempfile::tempdir().unwrap();
    let server_dir = home.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = start_server(&server_dir, port).await;
    demo::seed(server.store()).unwrap();
    let before = lobby_texts(&server);
    write_account(
        home.path(),
        port,
        &server.mint_token("alice", Duration::from_secs(3600)),
    );

    let app = App::launch(home.path()).await;
    wait_status(&app, |s| s == "connected", "connected").await;
    open_lobby(&app).await;

    // The server goes away; what is written now waits, shown as sending.
    server.shutdown().await;
    wait_status(&app, |s| s != "connected", "disconnected").await;
    for text in OFFLINE.iter().chain([&DISCARDED]) {
        app.type_into("#composer textarea", &format!("{text}\n"))
            .await;
    }
    let unsent = app
        .wait_texts("#messages .message.unsent .text", |t| t.len() == 4)
        .await;
    assert_eq!(unsent[..3], OFFLINE, "in the order written");
    let status_line = app.text("#messages .message.unsent .send-status").await;
    assert!(status_line.contains("Sending"), "{status_line:?}");
    app.click("#messages .message.unsent:last-child .discard-btn")
        .await;
    app.wait_texts("#messages .message.unsent .text", |t| t.len() == 3)
        .await;

    // The app is closed and started again, the server still down: the
    // messages are still there, still waiting.
    app.close().await;
    let app = App::launch(home.path()).await;
    open_lobby(&app).await;
    let unsent = app
        .wait_texts("#messages .message.unsent .text", |t| t.len() == 3)
        .await;
    assert_eq!(unsent, OFFLINE, "kept across the restart, in order");

    // The server is back: each is stored once, in order, and shows as an
    // ordinary message.
    let server = start_server(&server_dir, port).await;
    app.wait_gone("#messages .message.unsent").await;
    let shown = app
        .wait_texts("#messages .message:not(.unsent) .text", |t| {
            OFFLINE.iter().all(|o| t.iter().any(|s| s == o))
        })
        .await;
    for text in OFFLINE {
        assert_eq!(
            shown.iter().filter(|s| s.as_str() == text).count(),
            1,
            "{text:?} shown once in {shown:?}"
        );
    }
    // Give a duplicate a chance to arrive before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stored = lobby_texts(&server);
    assert_eq!(&stored[..before.len()], before.as_slice());
    assert_eq!(
        stored[before.len()..],
        OFFLINE,
        "stored once each, in order"
    );
    let outbox: Value = app
        .invoke(
            "open_channel",
            json!({ "account": ACCOUNT, "channel": "lobby" }),
        )
        .await;
    assert_eq!(outbox["pending"], json!([]), "nothing left queued");
    app.close().await;
    server.shutdown().await;
}
