//! Storage: users, chats, members, messages and reactions in SQLite (WAL,
//! `synchronous = FULL`, so a write that returned is on disk). Calls are
//! synchronous; async callers go through [`Store::call`], which runs them on
//! the blocking pool. Schema changes are numbered migrations tracked in
//! `PRAGMA user_version`.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{timestamp, Error, Result};

/// The newest 50 messages of a window are returned, as a real server does.
pub const HISTORY_PAGE: usize = 50;

const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE users (
        auth_key    TEXT PRIMARY KEY,
        username    TEXT NOT NULL,
        inserted_at TEXT NOT NULL
    );
    CREATE TABLE chats (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        inserted_at TEXT NOT NULL
    );
    CREATE TABLE members (
        chat_id         TEXT NOT NULL REFERENCES chats(id),
        auth_key        TEXT NOT NULL REFERENCES users(auth_key),
        message_seen_id TEXT,
        PRIMARY KEY (chat_id, auth_key)
    );
    CREATE TABLE messages (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        id              TEXT NOT NULL UNIQUE,
        chat_id         TEXT NOT NULL,
        user_auth_key   TEXT NOT NULL,
        text            TEXT NOT NULL,
        reply_target_id TEXT,
        custom_details  TEXT,
        inserted_at     TEXT NOT NULL
    );
    CREATE INDEX messages_by_chat_time ON messages (chat_id, inserted_at, seq);
    CREATE TABLE reactions (
        seq                INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id            TEXT NOT NULL,
        reaction_target_id TEXT NOT NULL,
        classifier         TEXT NOT NULL,
        user_auth_key      TEXT NOT NULL,
        inserted_at        TEXT NOT NULL
    );
    CREATE INDEX reactions_by_target ON reactions (reaction_target_id);
"#];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub auth_key: String,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    pub name: String,
    pub members: Vec<User>,
    pub inserted_at: String,
}

/// A stored message, serialized exactly as the wire carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub text: String,
    pub user_auth_key: String,
    pub inserted_at: String,
    pub reply_target_id: Option<String>,
    pub custom_details: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    pub reaction_target_id: String,
    pub classifier: String,
    pub user_auth_key: String,
}

/// A new message before it is stored.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub text: String,
    pub reply_target_id: Option<String>,
    pub custom_details: Option<Value>,
}

/// Per-chat read state for `GET /api/v1/chats`.
#[derive(Debug, Clone, Serialize)]
pub struct ChatDetail {
    pub chat_id: String,
    pub message_seen_id: Option<String>,
    pub unread_messages: u64,
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self> {
        let open_err = |source| Error::OpenDatabase {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        let store = Self {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path.to_owned()),
        };
        store.with(|c| {
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "FULL")?;
            c.pragma_update(None, "foreign_keys", "ON")?;
            Ok(())
        })?;
        store.migrate()?;
        Ok(store)
    }

    /// Runs `f` on the blocking pool with the connection.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store)).await?
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        // A panic while holding the lock leaves SQLite consistent (every
        // statement is atomic), so a poisoned lock is safe to reuse.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|e| self.map_err(e))
    }

    fn map_err(&self, e: rusqlite::Error) -> Error {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Error::DatabaseLocked {
                    path: self.path.as_ref().clone(),
                }
            }
            _ => Error::Database(e),
        }
    }

    fn migrate(&self) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        let found: i64 = self.with(|c| c.pragma_query_value(None, "user_version", |r| r.get(0)))?;
        if found > known {
            return Err(Error::SchemaTooNew {
                path: self.path.as_ref().clone(),
                found,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            self.with(|c| {
                let tx = c.transaction()?;
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", i as i64 + 1)?;
                tx.commit()
            })?;
        }
        Ok(())
    }

    /// Creates the user, or renames it if it exists.
    pub fn upsert_user(&self, auth_key: &str, username: &str) -> Result<User> {
        let now = timestamp::format_naive(timestamp::now_naive());
        self.with(|c| {
            c.execute(
                "INSERT INTO users (auth_key, username, inserted_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (auth_key) DO UPDATE SET username = excluded.username",
                params![auth_key, username, now],
            )
        })?;
        Ok(User {
            auth_key: auth_key.to_owned(),
            username: username.to_owned(),
        })
    }

    /// Makes sure a user row exists for a verified auth key.
    pub fn ensure_user(&self, auth_key: &str) -> Result<()> {
        let now = timestamp::format_naive(timestamp::now_naive());
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO users (auth_key, username, inserted_at) VALUES (?1, ?1, ?2)",
                params![auth_key, now],
            )
        })?;
        Ok(())
    }

    pub fn user(&self, auth_key: &str) -> Result<Option<User>> {
        self.with(|c| {
            c.query_row(
                "SELECT auth_key, username FROM users WHERE auth_key = ?1",
                [auth_key],
                |r| {
                    Ok(User {
                        auth_key: r.get(0)?,
                        username: r.get(1)?,
                    })
                },
            )
            .optional()
        })
    }

    pub fn user_count(&self) -> Result<u64> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0)))
    }

    /// Creates a chat with these members (each must exist); returns it.
    pub fn create_chat(&self, name: &str, members: &[String]) -> Result<Chat> {
        for key in members {
            if self.user(key)?.is_none() {
                return Err(Error::NoSuchUser(key.clone()));
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = timestamp::format_naive(timestamp::now_naive());
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO chats (id, name, inserted_at) VALUES (?1, ?2, ?3)",
                params![id, name, now],
            )?;
            for key in members {
                tx.execute(
                    "INSERT OR IGNORE INTO members (chat_id, auth_key) VALUES (?1, ?2)",
                    params![id, key],
                )?;
            }
            tx.commit()
        })?;
        self.chat(&id)?
            .ok_or_else(|| Error::Database(rusqlite::Error::QueryReturnedNoRows))
    }

    pub fn chat(&self, id: &str) -> Result<Option<Chat>> {
        let Some((name, inserted_at)) = self.with(|c| {
            c.query_row(
                "SELECT name, inserted_at FROM chats WHERE id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
        })?
        else {
            return Ok(None);
        };
        let members = self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT u.auth_key, u.username FROM members m
                 JOIN users u ON u.auth_key = m.auth_key WHERE m.chat_id = ?1 ORDER BY u.username",
            )?;
            let rows = stmt.query_map([id], |r| {
                Ok(User {
                    auth_key: r.get(0)?,
                    username: r.get(1)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(Some(Chat {
            id: id.to_owned(),
            name,
            members,
            inserted_at,
        }))
    }

    pub fn is_member(&self, chat_id: &str, auth_key: &str) -> Result<bool> {
        self.with(|c| {
            c.query_row(
                "SELECT 1 FROM members WHERE chat_id = ?1 AND auth_key = ?2",
                [chat_id, auth_key],
                |_| Ok(()),
            )
            .optional()
        })
        .map(|row| row.is_some())
    }

    /// The chats `auth_key` belongs to, oldest first, with read state.
    pub fn chats_of(&self, auth_key: &str) -> Result<(Vec<Chat>, Vec<ChatDetail>)> {
        let rows = self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT m.chat_id, m.message_seen_id,
                   (SELECT COUNT(*) FROM messages x WHERE x.chat_id = m.chat_id
                      AND x.user_auth_key != m.auth_key
                      AND x.seq > COALESCE((SELECT s.seq FROM messages s
                                             WHERE s.id = m.message_seen_id), 0))
                 FROM members m JOIN chats ch ON ch.id = m.chat_id
                 WHERE m.auth_key = ?1 ORDER BY ch.inserted_at, ch.name",
            )?;
            let rows = stmt.query_map([auth_key], |r| {
                Ok(ChatDetail {
                    chat_id: r.get(0)?,
                    message_seen_id: r.get(1)?,
                    unread_messages: r.get(2)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        let mut chats = Vec::with_capacity(rows.len());
        for detail in &rows {
            if let Some(chat) = self.chat(&detail.chat_id)? {
                chats.push(chat);
            }
        }
        Ok((chats, rows))
    }

    /// Stores a message and returns it as the wire carries it. The row is
    /// committed (and synced) before this returns.
    pub fn insert_message(
        &self,
        chat_id: &str,
        auth_key: &str,
        new: NewMessage,
    ) -> Result<Message> {
        let at = timestamp::format_naive(timestamp::now_naive());
        self.insert_message_at(chat_id, auth_key, new, &at)
    }

    /// As [`Store::insert_message`], with an explicit timestamp (seeding).
    pub fn insert_message_at(
        &self,
        chat_id: &str,
        auth_key: &str,
        new: NewMessage,
        inserted_at: &str,
    ) -> Result<Message> {
        let id = uuid::Uuid::new_v4().to_string();
        let details = new.custom_details.as_ref().map(Value::to_string);
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO messages
                   (id, chat_id, user_auth_key, text, reply_target_id, custom_details, inserted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                chat_id,
                auth_key,
                new.text,
                new.reply_target_id,
                details,
                inserted_at
            ])
        })?;
        Ok(Message {
            id,
            text: new.text,
            user_auth_key: auth_key.to_owned(),
            inserted_at: inserted_at.to_owned(),
            reply_target_id: new.reply_target_id,
            custom_details: new.custom_details,
        })
    }

    pub fn insert_reaction(&self, chat_id: &str, reaction: &Reaction) -> Result<()> {
        let now = timestamp::format_naive(timestamp::now_naive());
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO reactions
                   (chat_id, reaction_target_id, classifier, user_auth_key, inserted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                chat_id,
                reaction.reaction_target_id,
                reaction.classifier,
                reaction.user_auth_key,
                now
            ])
        })?;
        Ok(())
    }

    /// The newest [`HISTORY_PAGE`] messages strictly between the bounds
    /// (stored-form strings, see `timestamp`), oldest first, with the stored
    /// reactions to them.
    pub fn history(
        &self,
        chat_id: &str,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<(Vec<Message>, Vec<Reaction>)> {
        let mut messages = self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, text, user_auth_key, inserted_at, reply_target_id, custom_details
                 FROM messages
                 WHERE chat_id = ?1
                   AND (?2 IS NULL OR inserted_at > ?2)
                   AND (?3 IS NULL OR inserted_at < ?3)
                 ORDER BY inserted_at DESC, seq DESC LIMIT ?4",
            )?;
            let rows =
                stmt.query_map(params![chat_id, after, before, HISTORY_PAGE as i64], |r| {
                    let details: Option<String> = r.get(5)?;
                    Ok(Message {
                        id: r.get(0)?,
                        text: r.get(1)?,
                        user_auth_key: r.get(2)?,
                        inserted_at: r.get(3)?,
                        reply_target_id: r.get(4)?,
                        custom_details: details.and_then(|d| serde_json::from_str(&d).ok()),
                    })
                })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        messages.reverse();
        let reactions = self.reactions_to(&messages)?;
        Ok((messages, reactions))
    }

    fn reactions_to(&self, messages: &[Message]) -> Result<Vec<Reaction>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT reaction_target_id, classifier, user_auth_key FROM reactions
                 WHERE reaction_target_id = ?1 ORDER BY seq",
            )?;
            let mut out = Vec::new();
            for m in messages {
                let rows = stmt.query_map([&m.id], |r| {
                    Ok(Reaction {
                        reaction_target_id: r.get(0)?,
                        classifier: r.get(1)?,
                        user_auth_key: r.get(2)?,
                    })
                })?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        })
    }

    /// Records the newest message `auth_key` has seen in `chat_id`.
    pub fn mark_seen(&self, chat_id: &str, auth_key: &str, message_id: &str) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE members SET message_seen_id = ?3 WHERE chat_id = ?1 AND auth_key = ?2
                   AND EXISTS (SELECT 1 FROM messages WHERE id = ?3 AND chat_id = ?1)",
                params![chat_id, auth_key, message_id],
            )
        })?;
        Ok(())
    }

    /// Every message of a chat in stored order (tests and tools).
    pub fn all_messages(&self, chat_id: &str) -> Result<Vec<Message>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, text, user_auth_key, inserted_at, reply_target_id, custom_details
                 FROM messages WHERE chat_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map([chat_id], |r| {
                let details: Option<String> = r.get(5)?;
                Ok(Message {
                    id: r.get(0)?,
                    text: r.get(1)?,
                    user_auth_key: r.get(2)?,
                    inserted_at: r.get(3)?,
                    reply_target_id: r.get(4)?,
                    custom_details: details.and_then(|d| serde_json::from_str(&d).ok()),
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
    }
}
