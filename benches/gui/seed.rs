//! Homes for the app under test: an isolated data and config folder with
//! an embedded-server database seeded in bulk and an account list of
//! local accounts, laid out as `driver::App` expects.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chatpi_server::{demo, format_naive, now_naive, Secret, Store};
use serde_json::json;

/// The folder the app keeps its data in, under a home.
pub fn data_dir(home: &Path) -> PathBuf {
    home.join("data/dev.chatpi.desktop")
}

fn config_dir(home: &Path) -> PathBuf {
    home.join("config/dev.chatpi.desktop")
}

/// A chat to seed: its name, members (auth keys) and how many messages.
pub struct ChatSpec {
    pub name: String,
    pub members: Vec<String>,
    pub messages: usize,
}

/// Writes the account list: one local account per user key.
pub fn accounts(home: &Path, users: &[&str]) -> Result<()> {
    let accounts: Vec<_> = users
        .iter()
        .map(|user| {
            json!({
                "id": format!("local-{user}"),
                "label": format!("Bench · {user}"),
                "source": { "kind": "local", "userKey": user },
            })
        })
        .collect();
    let dir = config_dir(home);
    std::fs::create_dir_all(&dir)?;
    let text = serde_json::to_vec_pretty(&json!({ "accounts": accounts }))?;
    std::fs::write(dir.join("accounts.json"), text)?;
    Ok(())
}

/// Seeds the embedded server's database: the demo's users (so the app
/// seeds nothing more), then each chat, its messages one second apart
/// and ending an hour ago, all in one transaction. Returns the chat ids
/// in the order given, and the server's signing key.
pub fn chats(home: &Path, chats: &[ChatSpec]) -> Result<(Vec<String>, Secret)> {
    let data = data_dir(home);
    std::fs::create_dir_all(&data)?;
    let db = data.join("chatpi.db");
    let store = Store::open(&db)?;
    for (key, name) in demo::USERS {
        store.upsert_user(key, name)?;
    }
    let mut ids = Vec::new();
    for chat in chats {
        ids.push(store.create_chat(&chat.name, &chat.members)?.id);
    }
    drop(store);

    let mut conn = rusqlite::Connection::open(&db)?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO messages (id, chat_id, user_auth_key, text, inserted_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let end = now_naive() - time::Duration::hours(1);
        for (chat, id) in chats.iter().zip(&ids) {
            for i in 0..chat.messages {
                let at = end - time::Duration::seconds((chat.messages - i) as i64);
                let author = &chat.members[i % chat.members.len()];
                insert.execute(rusqlite::params![
                    uuid::Uuid::new_v4().to_string(),
                    id,
                    author,
                    format!(
                        "{} message {i}: the quick brown fox jumps over the lazy dog",
                        chat.name
                    ),
                    format_naive(at),
                ])?;
            }
        }
    }
    tx.commit()?;
    let secret = Secret::load_or_create(&data.join("chatpi.key")).context("signing key")?;
    Ok((ids, secret))
}
