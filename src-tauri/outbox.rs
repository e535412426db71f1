//! Where queued messages wait: one SQLite database in the app's data
//! folder holds every account's outbox, so a message written while offline
//! survives a crash or a restart and is sent by the next connection.
//!
//! The rules of the outbox (what is sent when, what a lost answer means)
//! are the client crate's; this is only its [`OutboxStore`]. Each write is
//! committed with `synchronous = FULL` before the client goes on, so an
//! entry the UI shows as pending is on disk.

use std::{
    path::Path,
    sync::{Arc, Mutex, MutexGuard},
};

use chatpi_client::{OutboxEntry, OutboxError, OutboxStore};
use rusqlite::{params, Connection};

/// The schema, one step per version (`PRAGMA user_version`).
const MIGRATIONS: &[&str] = &["CREATE TABLE outbox (
        account   TEXT NOT NULL,
        client_id TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        entry     TEXT NOT NULL,
        PRIMARY KEY (account, client_id)
    );
    CREATE INDEX outbox_order ON outbox (account, seq);"];

/// The outbox database, shared by every account.
#[derive(Clone)]
pub struct OutboxDb {
    conn: Arc<Mutex<Connection>>,
}

impl OutboxDb {
    /// Opens (or creates) the database at `path` and brings its schema up
    /// to date.
    pub fn open(path: &Path) -> Result<Self, OutboxError> {
        let conn = Connection::open(path).map_err(store_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(store_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(store_error)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(store_error)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(store_error)?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(OutboxError::Store(format!(
                "{} was written by a newer Chatpi Desktop (schema {version}, this one knows {known})",
                path.display()
            )));
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let next = i as i64 + 1;
            conn.execute_batch(&format!(
                "BEGIN; {step}; PRAGMA user_version = {next}; COMMIT;"
            ))
            .map_err(store_error)?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, OutboxError> {
        self.conn
            .lock()
            .map_err(|_| OutboxError::Store("the outbox database lock is poisoned".into()))
    }

    /// The outbox of one account.
    pub fn account(&self, account: &str) -> AccountOutbox {
        AccountOutbox {
            db: self.clone(),
            account: account.to_owned(),
        }
    }

    /// Forgets every queued message of an account (it was removed).
    pub fn remove_account(&self, account: &str) -> Result<usize, OutboxError> {
        self.lock()?
            .execute("DELETE FROM outbox WHERE account = ?1", params![account])
            .map_err(store_error)
    }
}

/// One account's view of the outbox database.
#[derive(Clone)]
pub struct AccountOutbox {
    db: OutboxDb,
    account: String,
}

impl OutboxStore for AccountOutbox {
    fn load(&self) -> Result<Vec<OutboxEntry>, OutboxError> {
        let conn = self.db.lock()?;
        let mut stmt = conn
            .prepare("SELECT client_id, entry FROM outbox WHERE account = ?1 ORDER BY seq")
            .map_err(store_error)?;
        let rows = stmt
            .query_map(params![self.account], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(store_error)?;
        let mut entries = Vec::new();
        for row in rows {
            let (client_id, text) = row.map_err(store_error)?;
            match serde_json::from_str::<OutboxEntry>(&text) {
                Ok(entry) => entries.push(entry),
                // One unreadable row must not keep the others (or the
                // account) from working; it stays in the file for a person
                // to look at.
                Err(error) => tracing::error!(
                    account = %self.account, %client_id, %error,
                    "skipping an unreadable queued message"
                ),
            }
        }
        Ok(entries)
    }

    fn put(&self, entry: &OutboxEntry) -> Result<(), OutboxError> {
        let text = serde_json::to_string(entry).map_err(|e| OutboxError::Store(e.to_string()))?;
        let seq = i64::try_from(entry.seq)
            .map_err(|_| OutboxError::Store(format!("sequence {} out of range", entry.seq)))?;
        self.db
            .lock()?
            .execute(
                "INSERT INTO outbox (account, client_id, seq, entry) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account, client_id) DO UPDATE SET seq = ?3, entry = ?4",
                params![self.account, entry.client_id, seq, text],
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn remove(&self, client_id: &str) -> Result<(), OutboxError> {
        self.db
            .lock()?
            .execute(
                "DELETE FROM outbox WHERE account = ?1 AND client_id = ?2",
                params![self.account, client_id],
            )
            .map_err(store_error)?;
        Ok(())
    }
}

impl AccountOutbox {
    /// Whether an entry with this client id is kept (for tests and checks).
    #[cfg(test)]
    fn contains(&self, client_id: &str) -> bool {
        use rusqlite::OptionalExtension;
        self.db
            .lock()
            .ok()
            .and_then(|conn| {
                conn.query_row(
                    "SELECT 1 FROM outbox WHERE account = ?1 AND client_id = ?2",
                    params![self.account, client_id],
                    |_| Ok(()),
                )
                .optional()
                .ok()
                .flatten()
            })
            .is_some()
    }
}

fn store_error(error: rusqlite::Error) -> OutboxError {
    OutboxError::Store(error.to_string())
}

#[cfg(test)]
mod tests {
    use chatpi_client::{OutboxState, OutgoingMessage};

    use super::*;

    fn entry(seq: u64, id: &str, channel: &str) -> OutboxEntry {
        OutboxEntry {
            seq,
            client_id: id.into(),
            channel: channel.into(),
            message: OutgoingMessage::text(format!("text of {id}")),
            state: OutboxState::Pending,
            check_after: None,
        }
    }

    #[test]
    fn entries_survive_reopening_in_queue_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.db");
        {
            let db = OutboxDb::open(&path).unwrap();
            let alice = db.account("alice");
            alice.put(&entry(3, "c", "general")).unwrap();
            alice.put(&entry(1, "a", "lobby")).unwrap();
            alice.put(&entry(2, "b", "general")).unwrap();
            let mut failed = entry(2, "b", "general");
            failed.state = OutboxState::Failed {
                reason: "too long".into(),
            };
            failed.check_after = Some("2026-12-03T10:00:00".into());
            alice.put(&failed).unwrap();
        }
        let db = OutboxDb::open(&path).unwrap();
        let loaded = db.account("alice").load().unwrap();
        let ids: Vec<&str> = loaded.iter().map(|e| e.client_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(
            loaded[1].state,
            OutboxState::Failed {
                reason: "too long".into()
            }
        );
        assert_eq!(
            loaded[1].check_after.as_deref(),
            Some("2026-12-03T10:00:00")
        );
    }

    #[test]
    fn accounts_are_kept_apart_and_removed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let db = OutboxDb::open(&dir.path().join("outbox.db")).unwrap();
        let (alice, bob) = (db.account("alice"), db.account("bob"));
        alice.put(&entry(1, "same-id", "lobby")).unwrap();
        bob.put(&entry(1, "same-id", "lobby")).unwrap();
        bob.put(&entry(2, "other", "lobby")).unwrap();
        alice.remove("same-id").unwrap();
        alice.remove("never-queued").unwrap();
        assert!(!alice.contains("same-id"));
        assert!(bob.contains("same-id"));
        assert_eq!(db.remove_account("bob").unwrap(), 2);
        assert!(bob.load().unwrap().is_empty());
    }

    #[test]
    fn an_unreadable_row_is_skipped_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let db = OutboxDb::open(&dir.path().join("outbox.db")).unwrap();
        let alice = db.account("alice");
        alice.put(&entry(1, "good", "lobby")).unwrap();
        db.lock()
            .unwrap()
            .execute(
                "INSERT INTO outbox VALUES ('alice', 'bad', 2, '{not json')",
                [],
            )
            .unwrap();
        alice.put(&entry(3, "also-good", "lobby")).unwrap();
        let ids: Vec<String> = alice
            .load()
            .unwrap()
            .into_iter()
            .map(|e| e.client_id)
            .collect();
        assert_eq!(ids, ["good", "also-good"]);
        assert!(alice.contains("bad"), "kept for a person to look at");
    }

    #[test]
    fn a_newer_schema_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.db");
        OutboxDb::open(&path).unwrap();
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let Err(error) = OutboxDb::open(&path) else {
            panic!("a newer schema opened")
        };
        assert!(
            error.to_string().contains("newer Chatpi Desktop"),
            "{error}"
        );
    }
}
