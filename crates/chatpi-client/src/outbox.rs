//! The durable outbox: where queued messages live until the server has them,
//! and what a UI hears about each one.
//!
//! [`crate::Connection::queue_message`] records a message in the
//! [`OutboxStore`] before anything is pushed, so it survives a lost link, a
//! crashed server and a restart of the process; the connection loads the
//! store at connect and sends what is pending once each channel has joined
//! and been checked (`core::outbox` has the rules). The app plugs in a
//! store of its own (SQLite in its data folder); [`MemoryOutbox`] keeps
//! entries for the life of the process.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use tokio::sync::mpsc;

use crate::{core::OutboxEntry, Message, OutgoingMessage};

/// Why the outbox could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    /// The store could not read or write (a full disk, a locked database).
    #[error("outbox store failed: {0}")]
    Store(String),
    /// The store holds something that is not an entry.
    #[error("outbox store holds a corrupt entry: {0}")]
    Corrupt(String),
    #[error("no queued message with client id {0}")]
    Unknown(String),
    #[error("queued message {0} has not failed, so it cannot be retried")]
    NotFailed(String),
}

/// Where queued messages are kept. Calls are synchronous and made from the
/// connection's task, so they should be quick (a local file or database).
pub trait OutboxStore: Send + Sync + 'static {
    /// Every entry kept, pending or failed, in ascending `seq`.
    fn load(&self) -> Result<Vec<OutboxEntry>, OutboxError>;
    /// Inserts an entry, or replaces the one with its `client_id`.
    fn put(&self, entry: &OutboxEntry) -> Result<(), OutboxError>;
    /// Removes the entry with this client id; removing none is no error.
    fn remove(&self, client_id: &str) -> Result<(), OutboxError>;
}

/// An [`OutboxStore`] in memory. Clones share the entries, so a test (or a
/// connection made again in the same process) sees what another left.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutbox {
    entries: Arc<Mutex<BTreeMap<u64, OutboxEntry>>>,
}

impl MemoryOutbox {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<u64, OutboxEntry>>, OutboxError> {
        self.entries
            .lock()
            .map_err(|_| OutboxError::Store("the memory outbox lock is poisoned".into()))
    }
}

impl OutboxStore for MemoryOutbox {
    fn load(&self) -> Result<Vec<OutboxEntry>, OutboxError> {
        Ok(self.lock()?.values().cloned().collect())
    }

    fn put(&self, entry: &OutboxEntry) -> Result<(), OutboxError> {
        let mut entries = self.lock()?;
        entries.retain(|_, e| e.client_id != entry.client_id);
        entries.insert(entry.seq, entry.clone());
        Ok(())
    }

    fn remove(&self, client_id: &str) -> Result<(), OutboxError> {
        self.lock()?.retain(|_, e| e.client_id != client_id);
        Ok(())
    }
}

/// What became of a queued message. Each names its channel and client id
/// (also in the message's `custom_details.client_id`).
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxEvent {
    /// Recorded and waiting to be stored: queued, loaded at connect, or
    /// retried.
    Pending {
        channel: String,
        client_id: String,
        message: OutgoingMessage,
    },
    /// The server stored it; `message` is the stored message. It also
    /// arrives, once, as an [`crate::Event::Message`].
    Sent {
        channel: String,
        client_id: String,
        message: Message,
    },
    /// The server refused it; it stays in the outbox, not retried, until
    /// [`crate::Connection::retry_message`] or
    /// [`crate::Connection::discard_message`].
    Failed {
        channel: String,
        client_id: String,
        reason: String,
    },
    /// Dropped on request.
    Discarded { channel: String, client_id: String },
}

/// The outbox events of one connection; see
/// [`crate::Connection::outbox_events`]. Unbounded, like [`crate::Events`].
pub struct OutboxEvents {
    pub(crate) rx: mpsc::UnboundedReceiver<OutboxEvent>,
}

impl OutboxEvents {
    /// The next event; `None` once the connection is gone and drained.
    pub async fn recv(&mut self) -> Option<OutboxEvent> {
        self.rx.recv().await
    }

    /// An event if one is queued.
    pub fn try_recv(&mut self) -> Option<OutboxEvent> {
        self.rx.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::OutboxState;

    fn entry(seq: u64, id: &str) -> OutboxEntry {
        OutboxEntry {
            seq,
            client_id: id.into(),
            channel: "c".into(),
            message: OutgoingMessage::text(id),
            state: OutboxState::Pending,
            check_after: None,
        }
    }

    #[test]
    fn memory_outbox_keeps_entries_in_order_and_replaces_by_id() {
        let store = MemoryOutbox::new();
        store.put(&entry(2, "b")).unwrap();
        store.put(&entry(1, "a")).unwrap();
        let mut updated = entry(2, "b");
        updated.check_after = Some("2026-01-01T00:00:00".into());
        store.put(&updated).unwrap();
        let shared = store.clone();
        let loaded = shared.load().unwrap();
        assert_eq!(loaded, vec![entry(1, "a"), updated]);
        store.remove("a").unwrap();
        store.remove("missing").unwrap();
        assert_eq!(shared.load().unwrap().len(), 1);
    }
}
