//! The outbox's bookkeeping: which queued messages may go out, which wait
//! for a check against the server's history, which failed. No I/O: the
//! caller persists every change it is told about and does the pushing.
//!
//! A real server has no idempotency key, so a message whose push got no
//! answer (the link dropped, the channel crashed, the push timed out) is
//! *in doubt*: it may be stored. Nothing more goes out on that channel until
//! the caller has read the history after [`OutboxQueue::check_after`] and
//! passed it through [`OutboxQueue::confirm`] and [`OutboxQueue::settle`]:
//! what the server has is sent, the rest is sent again, in order.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::OutgoingMessage;

/// A channel crash on an in-doubt message this many times, with the message
/// never found stored, fails it (a payload the server cannot take).
pub const MAX_CRASHES: u32 = 3;

/// One queued message, as a store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Queue order: entries go out by ascending `seq` within a channel.
    pub seq: u64,
    /// Sent as `custom_details.client_id`; the entry's key.
    pub client_id: String,
    pub channel: String,
    pub message: OutgoingMessage,
    pub state: OutboxState,
    /// Set (and stored) before the first push: if the message was stored,
    /// it is in the channel's history strictly after this timestamp.
    #[serde(default)]
    pub check_after: Option<String>,
}

/// What a store keeps of an entry's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OutboxState {
    /// Not known to be stored yet; will be sent (again) when possible.
    Pending,
    /// The server refused it; sent again only on request.
    Failed { reason: String },
}

/// Where a queued message stands in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// To be pushed when its channel is joined and checked.
    Waiting,
    /// Pushed on the current join; no reply yet.
    InFlight,
    /// The server acked it; its broadcast (the stored message) is awaited.
    Acked,
    /// Pushed, and the answer lost: it may be stored.
    InDoubt,
    Failed,
}

#[derive(Debug, Clone)]
struct Item {
    entry: OutboxEntry,
    phase: Phase,
    crashes: u32,
}

/// Every queued message of one connection, in queue order.
#[derive(Debug, Default)]
pub struct OutboxQueue {
    items: BTreeMap<u64, Item>,
    by_id: HashMap<String, u64>,
}

impl OutboxQueue {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The next `seq` to hand out.
    pub fn next_seq(&self) -> u64 {
        self.items.keys().next_back().map_or(1, |seq| seq + 1)
    }

    /// Adds an entry: a new one, or one loaded from a store. A pending entry
    /// pushed before (`check_after` set) is in doubt until checked.
    pub fn insert(&mut self, entry: OutboxEntry) {
        let phase = match (&entry.state, &entry.check_after) {
            (OutboxState::Failed { .. }, _) => Phase::Failed,
            (OutboxState::Pending, Some(_)) => Phase::InDoubt,
            (OutboxState::Pending, None) => Phase::Waiting,
        };
        if let Some(old) = self.by_id.insert(entry.client_id.clone(), entry.seq) {
            self.items.remove(&old);
        }
        let item = Item {
            entry,
            phase,
            crashes: 0,
        };
        self.items.insert(item.entry.seq, item);
    }

    pub fn get(&self, client_id: &str) -> Option<&OutboxEntry> {
        self.item(client_id).map(|item| &item.entry)
    }

    pub fn phase(&self, client_id: &str) -> Option<&Phase> {
        self.item(client_id).map(|item| &item.phase)
    }

    /// Every entry, in queue order.
    pub fn entries(&self) -> impl Iterator<Item = &OutboxEntry> {
        self.items.values().map(|item| &item.entry)
    }

    /// Whether `channel` has messages that must be looked for in its
    /// history before anything more is sent on it.
    pub fn needs_check(&self, channel: &str) -> bool {
        self.of(channel).any(|item| item.phase == Phase::InDoubt)
    }

    /// The earliest bound after which an in-doubt message of `channel` may
    /// be stored.
    pub fn check_after(&self, channel: &str) -> Option<String> {
        self.of(channel)
            .filter(|item| item.phase == Phase::InDoubt)
            .filter_map(|item| item.entry.check_after.clone())
            .min()
    }

    /// The messages of `channel` to push now, in order, at most `window` in
    /// flight at once; they become in flight. Nothing while one is in doubt.
    pub fn take_sendable(&mut self, channel: &str, window: usize) -> Vec<OutboxEntry> {
        if self.needs_check(channel) {
            return Vec::new();
        }
        let in_flight = self.of(channel).filter(|i| i.phase == Phase::InFlight);
        let room = window.saturating_sub(in_flight.count());
        let mut out = Vec::new();
        for item in self.items.values_mut() {
            if out.len() >= room {
                break;
            }
            if item.entry.channel == channel && item.phase == Phase::Waiting {
                item.phase = Phase::InFlight;
                out.push(item.entry.clone());
            }
        }
        out
    }

    /// Sets where to look for the message if its answer is lost; true when
    /// this changed the entry (the caller stores it before pushing).
    pub fn set_check_after(&mut self, client_id: &str, after: &str) -> bool {
        let Some(item) = self.item_mut(client_id) else {
            return false;
        };
        if item.entry.check_after.is_some() {
            return false;
        }
        item.entry.check_after = Some(after.to_owned());
        true
    }

    /// The server acked the push: stored, broadcast on its way.
    pub fn on_ack(&mut self, client_id: &str) {
        if let Some(item) = self.item_mut(client_id) {
            if item.phase == Phase::InFlight {
                item.phase = Phase::Acked;
            }
        }
    }

    /// The server answered with an error: failed, the entry to store.
    pub fn on_refused(&mut self, client_id: &str, reason: &str) -> Option<OutboxEntry> {
        let item = self.item_mut(client_id)?;
        if item.phase != Phase::InFlight {
            return None;
        }
        item.phase = Phase::Failed;
        item.entry.state = OutboxState::Failed {
            reason: reason.to_owned(),
        };
        Some(item.entry.clone())
    }

    /// The push's answer is lost; `crashed` when the server's channel
    /// crashed on it. Returns true when the message is now in doubt.
    pub fn on_lost(&mut self, client_id: &str, crashed: bool) -> bool {
        let Some(item) = self.item_mut(client_id) else {
            return false;
        };
        if !matches!(item.phase, Phase::InFlight | Phase::Acked) {
            return false;
        }
        item.phase = Phase::InDoubt;
        item.crashes += u32::from(crashed);
        true
    }

    /// The channel is about to (re)join: an acked message whose broadcast
    /// has not come may have been lost with the old join, so it is looked
    /// for like one in doubt.
    pub fn doubt_acked(&mut self, channel: &str) {
        for item in self.items.values_mut() {
            if item.entry.channel == channel && item.phase == Phase::Acked {
                item.phase = Phase::InDoubt;
            }
        }
    }

    /// The stored message with this client id was seen: the entry is done.
    pub fn confirm(&mut self, client_id: &str) -> Option<OutboxEntry> {
        let seq = self.by_id.remove(client_id)?;
        self.items.remove(&seq).map(|item| item.entry)
    }

    /// The history of `channel` after its check bound has been read and
    /// confirmed: what is still in doubt was not stored, and goes out again
    /// (or fails, after [`MAX_CRASHES`]). Returns the entries that failed.
    pub fn settle(&mut self, channel: &str) -> Vec<OutboxEntry> {
        let mut failed = Vec::new();
        for item in self.items.values_mut() {
            if item.entry.channel != channel || item.phase != Phase::InDoubt {
                continue;
            }
            if item.crashes >= MAX_CRASHES {
                item.phase = Phase::Failed;
                item.entry.state = OutboxState::Failed {
                    reason: format!("the server's channel crashed on it {} times", item.crashes),
                };
                failed.push(item.entry.clone());
            } else {
                item.phase = Phase::Waiting;
            }
        }
        failed
    }

    /// Every unfinished message of `channel` fails (the join was refused
    /// for good). Returns them.
    pub fn fail_channel(&mut self, channel: &str, reason: &str) -> Vec<OutboxEntry> {
        let mut failed = Vec::new();
        for item in self.items.values_mut() {
            if item.entry.channel != channel || item.phase == Phase::Failed {
                continue;
            }
            item.phase = Phase::Failed;
            item.entry.state = OutboxState::Failed {
                reason: reason.to_owned(),
            };
            failed.push(item.entry.clone());
        }
        failed
    }

    /// A failed message goes out again. Returns the entry to store.
    pub fn retry(&mut self, client_id: &str) -> Result<OutboxEntry, RetryError> {
        let item = self.item_mut(client_id).ok_or(RetryError::Unknown)?;
        if item.phase != Phase::Failed {
            return Err(RetryError::NotFailed);
        }
        item.phase = Phase::Waiting;
        item.crashes = 0;
        item.entry.state = OutboxState::Pending;
        Ok(item.entry.clone())
    }

    /// Drops a message, whatever its phase. A push already made may still
    /// be stored; its broadcast is then an ordinary message.
    pub fn discard(&mut self, client_id: &str) -> Option<OutboxEntry> {
        self.confirm(client_id)
    }

    fn item(&self, client_id: &str) -> Option<&Item> {
        self.items.get(self.by_id.get(client_id)?)
    }

    fn item_mut(&mut self, client_id: &str) -> Option<&mut Item> {
        self.items.get_mut(self.by_id.get(client_id)?)
    }

    fn of<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.items
            .values()
            .filter(move |item| item.entry.channel == channel)
    }
}

/// Why [`OutboxQueue::retry`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryError {
    Unknown,
    NotFailed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, channel: &str) -> OutboxEntry {
        OutboxEntry {
            seq,
            client_id: format!("c{seq}"),
            channel: channel.into(),
            message: OutgoingMessage::text(format!("m{seq}")),
            state: OutboxState::Pending,
            check_after: None,
        }
    }

    fn ids(entries: &[OutboxEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.client_id.as_str()).collect()
    }

    #[test]
    fn sends_in_order_within_a_window_per_channel() {
        let mut q = OutboxQueue::new();
        for seq in 1..=5 {
            q.insert(entry(seq, "a"));
        }
        q.insert(entry(6, "b"));
        assert_eq!(q.next_seq(), 7);
        assert_eq!(ids(&q.take_sendable("a", 2)), ["c1", "c2"]);
        assert!(q.take_sendable("a", 2).is_empty(), "the window is full");
        q.on_ack("c1");
        assert_eq!(ids(&q.take_sendable("a", 2)), ["c3"]);
        assert_eq!(ids(&q.take_sendable("b", 2)), ["c6"]);
        assert_eq!(q.confirm("c1").unwrap().client_id, "c1");
        assert_eq!(q.len(), 5);
    }

    #[test]
    fn a_lost_answer_holds_the_channel_until_checked() {
        let mut q = OutboxQueue::new();
        for seq in 1..=3 {
            q.insert(entry(seq, "a"));
        }
        let sent = q.take_sendable("a", 8);
        for e in &sent {
            assert!(q.set_check_after(&e.client_id, "2026-01-01T10:00:00"));
        }
        assert!(!q.set_check_after("c1", "2027-01-01T00:00:00"), "set once");
        q.on_ack("c1");
        assert_eq!(q.phase("c1"), Some(&Phase::Acked));
        q.doubt_acked("a");
        assert_eq!(q.phase("c1"), Some(&Phase::InDoubt));
        assert!(!q.on_lost("c1", false), "already in doubt");
        assert!(q.on_lost("c2", false));
        assert!(q.on_lost("c3", false));
        assert!(q.needs_check("a"));
        assert!(q.take_sendable("a", 8).is_empty());
        assert_eq!(q.check_after("a").as_deref(), Some("2026-01-01T10:00:00"));

        // The history held c2: it is done; c1 and c3 go out again, in order.
        assert!(q.confirm("c2").is_some());
        assert!(q.settle("a").is_empty());
        assert!(!q.needs_check("a"));
        assert_eq!(ids(&q.take_sendable("a", 8)), ["c1", "c3"]);
    }

    #[test]
    fn an_error_reply_fails_until_retried() {
        let mut q = OutboxQueue::new();
        q.insert(entry(1, "a"));
        q.insert(entry(2, "a"));
        q.take_sendable("a", 1);
        let failed = q.on_refused("c1", "invalid payload").unwrap();
        assert_eq!(
            failed.state,
            OutboxState::Failed {
                reason: "invalid payload".into()
            }
        );
        assert_eq!(ids(&q.take_sendable("a", 1)), ["c2"], "a failure skips");
        assert_eq!(q.retry("c2"), Err(RetryError::NotFailed));
        assert_eq!(q.retry("zz"), Err(RetryError::Unknown));
        assert_eq!(q.retry("c1").unwrap().state, OutboxState::Pending);
        assert_eq!(q.phase("c1"), Some(&Phase::Waiting));
    }

    #[test]
    fn repeated_crashes_fail_a_message_never_found_stored() {
        let mut q = OutboxQueue::new();
        q.insert(entry(1, "a"));
        for round in 1..=MAX_CRASHES {
            assert_eq!(ids(&q.take_sendable("a", 1)), ["c1"]);
            assert!(q.on_lost("c1", true));
            let failed = q.settle("a");
            assert_eq!(failed.len(), usize::from(round == MAX_CRASHES));
        }
        assert_eq!(q.phase("c1"), Some(&Phase::Failed));
    }

    #[test]
    fn loaded_entries_resume_where_they_stood() {
        let mut q = OutboxQueue::new();
        let mut pushed = entry(1, "a");
        pushed.check_after = Some("2026-01-01T10:00:00".into());
        let mut failed = entry(2, "a");
        failed.state = OutboxState::Failed { reason: "x".into() };
        q.insert(pushed);
        q.insert(failed);
        q.insert(entry(3, "a"));
        assert_eq!(q.phase("c1"), Some(&Phase::InDoubt));
        assert_eq!(q.phase("c2"), Some(&Phase::Failed));
        assert_eq!(q.phase("c3"), Some(&Phase::Waiting));
        assert!(q.take_sendable("a", 8).is_empty(), "checked first");
        q.settle("a");
        assert_eq!(ids(&q.take_sendable("a", 8)), ["c1", "c3"]);
    }

    #[test]
    fn a_refused_channel_fails_everything_on_it() {
        let mut q = OutboxQueue::new();
        q.insert(entry(1, "a"));
        q.insert(entry(2, "b"));
        assert_eq!(ids(&q.fail_channel("a", "unauthorized")), ["c1"]);
        assert_eq!(q.phase("c2"), Some(&Phase::Waiting));
        assert!(q.discard("c1").is_some());
        assert!(q.get("c1").is_none());
    }

    #[test]
    fn entries_round_trip_through_json() {
        let mut e = entry(7, "a");
        e.state = OutboxState::Failed { reason: "r".into() };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<OutboxEntry>(&text).unwrap(), e);
    }
}
