//! Delivery made whole on the client: every rejoin backfills what the link
//! lost, every message is shown once, and the outbox sends each queued
//! message until the server has it exactly once.
//!
//! The rules live in `core::backfill` and `core::outbox`; this is the I/O
//! around them: join queries, REST reads in background tasks, store writes,
//! events. A channel holds its live messages from the moment it is not
//! joined until its backfill is merged, so nothing already shown is ever
//! reordered, and sends nothing from the outbox until then either.

use std::time::Duration;

use serde_json::{json, Value};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{now, ChannelState, Driver, Event, FetchKind, Fetched, Link, Waiter};
use crate::{
    core::{older_window, splice, OutboxEntry, RetryError},
    history,
    outbox::{OutboxError, OutboxEvent},
    ConnectError, Error, HistoryQuery, Message, Reaction, Result,
};

/// Outbox pushes in flight per channel: enough to hide the round trip;
/// the server handles one socket's frames in order.
const SEND_WINDOW: usize = 8;
/// The most a backfill reads; past it, the oldest part of the gap is lost
/// (and said so).
const BACKFILL_LIMIT: usize = 10_000;
/// Waits before each retry of a failed history read; then it gives up.
const FETCH_RETRIES: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(10),
];

/// What to do with the messages of a history read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Merge {
    /// A rejoin's backfill: every message not shown yet is shown.
    Show,
    /// A first join's outbox check: only the user's own queued messages are
    /// shown (the rest is history nobody asked for).
    Check,
}

impl Driver {
    /// The server's clock now, from its `Date` at the socket's upgrade, or
    /// this machine's clock when it sent none.
    fn server_now(&self) -> PrimitiveDateTime {
        match self.server_clock {
            Some((date, at)) => {
                let elapsed = i64::try_from(at.elapsed().as_secs()).unwrap_or(0);
                date + time::Duration::seconds(elapsed)
            }
            None => {
                let now = OffsetDateTime::now_utc();
                PrimitiveDateTime::new(now.date(), now.time())
            }
        }
    }

    /// Points a rejoin that is about to be sent at the gap to fill. A first
    /// join keeps the query its caller gave.
    pub(super) fn prepare_rejoin(&mut self, topic: &str) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        let unsent = match slot.channel.state() {
            ChannelState::Errored => true,
            ChannelState::Joining => slot.channel.join_ref().is_none(),
            _ => false,
        };
        if slot.joined_once && unsent {
            self.set_rejoin_query(topic);
        }
    }

    fn set_rejoin_query(&mut self, topic: &str) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        self.outbox.doubt_acked(&slot.id);
        let floor = self.outbox.check_after(&slot.id);
        let after = slot.timeline.rejoin_after(floor.as_deref());
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        let payload = match &after {
            Some(after) => json!({ "query": { "after": after } }),
            None => json!({}),
        };
        slot.channel.set_join_payload(payload);
        slot.backfill_after = after;
    }

    /// Joins a joined channel again, so that its backfill tells whether an
    /// unanswered outbox push was stored.
    pub(super) fn resync_channel(&mut self, topic: &str) {
        let joined = self
            .slots
            .get(topic)
            .is_some_and(|s| *s.channel.state() == ChannelState::Joined);
        if self.link != Link::Up || !joined {
            return;
        }
        self.set_rejoin_query(topic);
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        let (frame, failed) = slot.channel.rejoin(&mut self.refs, now());
        if frame.is_none() {
            return;
        }
        tracing::debug!(topic, "an outbox push went unanswered; rejoining to check");
        self.queue(topic, frame);
        self.fail_all(topic, failed, |topic, event| Error::LinkLost {
            topic,
            event,
        });
    }

    /// A join succeeded: a first join shows its own history; a rejoin
    /// merges its backfill, reading the rest over REST if the page is full.
    pub(super) fn on_joined(
        &mut self,
        topic: &str,
        messages: Vec<Message>,
        reactions: Vec<Reaction>,
    ) {
        let anchor = self.server_now();
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        slot.generation += 1;
        let channel = slot.id.clone();
        let first = !slot.joined_once;
        slot.joined_once = true;

        if first {
            self.outbox.doubt_acked(&channel);
            slot.timeline.set_anchor(anchor);
            for message in &messages {
                slot.timeline.observe(message);
            }
            for message in &messages {
                self.confirm_queued(&channel, message);
            }
            self.emit(Event::Joined {
                channel: channel.clone(),
                messages,
                reactions,
            });
            match self.outbox.check_after(&channel) {
                Some(after) => {
                    let query = HistoryQuery {
                        after: Some(after),
                        before: None,
                    };
                    self.start_fetch(topic, FetchKind::Check, query);
                }
                None => self.merge(topic, Vec::new(), Merge::Check),
            }
            return;
        }

        // A full page reaching back into what was shown covers the gap; a
        // REST read is needed only when it does not, or when an unconfirmed
        // send may be older than the page.
        let covered = messages.first().is_some_and(|m| slot.timeline.knows(m))
            && self.outbox.check_after(&channel).is_none();
        let older = slot
            .backfill_after
            .as_deref()
            .filter(|_| !covered)
            .and_then(|after| older_window(&messages, after));
        // The backfill is shown as ordinary messages, so a rejoin's own
        // history is empty.
        self.emit(Event::Joined {
            channel,
            messages: Vec::new(),
            reactions,
        });
        match older {
            Some(query) => self.start_fetch(topic, FetchKind::Backfill { page: messages }, query),
            None => self.merge(topic, messages, Merge::Show),
        }
    }

    fn start_fetch(&mut self, topic: &str, kind: FetchKind, query: HistoryQuery) {
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        slot.syncing = true;
        let generation = slot.generation;
        self.spawn_fetch(topic, generation, kind, query, 0);
    }

    fn spawn_fetch(
        &mut self,
        topic: &str,
        generation: u64,
        kind: FetchKind,
        query: HistoryQuery,
        tries: u32,
    ) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        let chat = slot.id.clone();
        let topic = topic.to_owned();
        let rest = self.rest.clone();
        let tokens = self.tokens.clone();
        let delay = tries
            .checked_sub(1)
            .and_then(|i| FETCH_RETRIES.get(i as usize).copied())
            .unwrap_or_default();
        tracing::debug!(%topic, ?query, tries, "reading history to fill a gap");
        self.fetches.spawn(async move {
            tokio::time::sleep(delay).await;
            let read = async {
                let credentials = tokens
                    .credentials()
                    .await
                    .map_err(|e| Error::Connect(ConnectError::NoToken(e.to_string())))?;
                let token = credentials.authorization_token;
                let (rest, chat) = (&rest, &chat);
                history::read_window(query.clone(), BACKFILL_LIMIT, |q| {
                    let token = token.clone();
                    async move { rest.messages(&token, chat, &q).await.map(|p| p.messages) }
                })
                .await
            };
            let result = read.await;
            Fetched {
                topic,
                generation,
                kind,
                tries: tries + 1,
                query,
                result,
            }
        });
    }

    /// A history read ended. One for an earlier join of the channel is
    /// dropped: that join's rejoin reads again.
    pub(super) fn on_fetched(&mut self, fetched: Fetched) {
        let Fetched {
            topic,
            generation,
            kind,
            tries,
            query,
            result,
        } = fetched;
        let Some(slot) = self.slots.get(&topic) else {
            return;
        };
        if slot.generation != generation || !slot.syncing {
            return;
        }
        match (result, kind) {
            (Ok(older), FetchKind::Backfill { page }) => {
                if older.len() >= BACKFILL_LIMIT {
                    tracing::warn!(%topic, "backfill cut at {BACKFILL_LIMIT} messages: older ones are missing");
                }
                self.merge(&topic, splice(older, page), Merge::Show);
            }
            (Ok(found), FetchKind::Check) => self.merge(&topic, found, Merge::Check),
            (Err(error), kind) if (tries as usize) <= FETCH_RETRIES.len() => {
                tracing::debug!(%topic, %error, tries, "history read failed; retrying");
                self.spawn_fetch(&topic, generation, kind, query, tries);
            }
            (Err(error), kind) => {
                tracing::warn!(%topic, %error, "history read failed for good: messages may be missing");
                match kind {
                    FetchKind::Backfill { page } => self.merge(&topic, page, Merge::Show),
                    FetchKind::Check => self.merge(&topic, Vec::new(), Merge::Check),
                }
            }
        }
    }

    /// Ends a channel's sync: confirms what the server has, shows what is
    /// new, releases the live messages held meanwhile and resumes sending.
    fn merge(&mut self, topic: &str, messages: Vec<Message>, how: Merge) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        let channel = slot.id.clone();
        let held: std::collections::HashSet<String> =
            slot.held.iter().map(|m| m.id.clone()).collect();
        for message in messages {
            let own = self.confirm_queued(&channel, &message);
            match how {
                Merge::Show => self.deliver(topic, message),
                Merge::Check if own => self.deliver(topic, message),
                // Held live messages are shown below, in arrival order.
                Merge::Check if held.contains(&message.id) => {}
                Merge::Check => {
                    if let Some(slot) = self.slots.get_mut(topic) {
                        slot.timeline.observe(&message);
                    }
                }
            }
        }
        for entry in self.outbox.settle(&channel) {
            self.queued_failed(entry);
        }
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        slot.syncing = false;
        for message in std::mem::take(&mut slot.held) {
            self.deliver(topic, message);
        }
        self.pump(topic);
    }

    /// A `message:new` broadcast: shown now if the channel is in sync,
    /// else held until it is.
    pub(super) fn on_live_message(&mut self, topic: &str, message: Message) {
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        if *slot.channel.state() != ChannelState::Joined || slot.syncing {
            slot.held.push(message);
            return;
        }
        self.deliver(topic, message);
        self.pump(topic);
    }

    /// Shows a message unless it was shown already, and settles whoever
    /// waits for it (a `send_message`, an outbox entry).
    fn deliver(&mut self, topic: &str, message: Message) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        let channel = slot.id.clone();
        if let Some(client_id) = message.client_id() {
            if let Some(pending) = self.sends.get_mut(client_id) {
                if pending.acked {
                    if let Some(p) = self.sends.remove(client_id) {
                        let _ = p.done.send(Ok(message.clone()));
                    }
                } else {
                    pending.echo = Some(message.clone());
                }
            }
        }
        self.confirm_queued(&channel, &message);
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        if slot.timeline.observe(&message) {
            self.emit(Event::Message { channel, message });
        }
    }

    /// If `message` is a queued one of `channel`, it is stored: done.
    fn confirm_queued(&mut self, channel: &str, message: &Message) -> bool {
        let Some(client_id) = message.client_id() else {
            return false;
        };
        if self
            .outbox
            .get(client_id)
            .is_none_or(|e| e.channel != channel)
        {
            return false;
        }
        let Some(entry) = self.outbox.confirm(client_id) else {
            return false;
        };
        if let Err(error) = self.store.remove(&entry.client_id) {
            tracing::error!(client_id = %entry.client_id, %error, "outbox store: remove failed");
        }
        self.emit_outbox(OutboxEvent::Sent {
            channel: entry.channel,
            client_id: entry.client_id,
            message: message.clone(),
        });
        true
    }

    /// Pushes what the outbox has for a channel that is joined and in sync.
    fn pump(&mut self, topic: &str) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        if self.link != Link::Up || *slot.channel.state() != ChannelState::Joined || slot.syncing {
            return;
        }
        // Called for every live message: an empty outbox costs nothing more.
        let entries = self.outbox.take_sendable(&slot.id, SEND_WINDOW);
        if entries.is_empty() {
            return;
        }
        let channel = slot.id.clone();
        let bound = slot.timeline.rejoin_after(None);
        for entry in entries {
            let client_id = entry.client_id.clone();
            // Where to look for it if its answer is lost, stored before
            // the push: a restart must know too.
            if let Some(bound) = &bound {
                if self.outbox.set_check_after(&client_id, bound) {
                    if let Some(entry) = self.outbox.get(&client_id).cloned() {
                        self.persist(&entry);
                    }
                }
            }
            let payload = entry.message.payload(&client_id);
            self.push(
                &channel,
                "message:new".into(),
                payload,
                Waiter::Outbox { client_id },
            );
        }
    }

    fn persist(&self, entry: &OutboxEntry) {
        if let Err(error) = self.store.put(entry) {
            tracing::error!(client_id = %entry.client_id, %error, "outbox store: write failed");
        }
    }

    fn queued_failed(&mut self, entry: OutboxEntry) {
        self.persist(&entry);
        let reason = match &entry.state {
            crate::core::OutboxState::Failed { reason } => reason.clone(),
            crate::core::OutboxState::Pending => String::new(),
        };
        self.emit_outbox(OutboxEvent::Failed {
            channel: entry.channel,
            client_id: entry.client_id,
            reason,
        });
    }

    /// Entries the store held at connect: shown, and sent after each
    /// channel's first join (and check, for those pushed before).
    pub(super) fn load_outbox(&mut self, entries: Vec<OutboxEntry>) {
        for entry in entries {
            let event = match &entry.state {
                crate::core::OutboxState::Pending => OutboxEvent::Pending {
                    channel: entry.channel.clone(),
                    client_id: entry.client_id.clone(),
                    message: entry.message.clone(),
                },
                crate::core::OutboxState::Failed { reason } => OutboxEvent::Failed {
                    channel: entry.channel.clone(),
                    client_id: entry.client_id.clone(),
                    reason: reason.clone(),
                },
            };
            self.emit_outbox(event);
            self.outbox.insert(entry);
        }
    }

    /// A message just recorded in the store by `Connection::queue_message`.
    pub(super) fn on_queue(&mut self, entry: OutboxEntry) {
        self.emit_outbox(OutboxEvent::Pending {
            channel: entry.channel.clone(),
            client_id: entry.client_id.clone(),
            message: entry.message.clone(),
        });
        let topic = self.topic(&entry.channel);
        self.outbox.insert(entry);
        self.pump(&topic);
    }

    pub(super) fn retry_queued(&mut self, client_id: &str) -> Result<()> {
        let entry = self.outbox.retry(client_id).map_err(|e| match e {
            RetryError::Unknown => OutboxError::Unknown(client_id.to_owned()),
            RetryError::NotFailed => OutboxError::NotFailed(client_id.to_owned()),
        })?;
        self.store.put(&entry)?;
        self.emit_outbox(OutboxEvent::Pending {
            channel: entry.channel.clone(),
            client_id: entry.client_id.clone(),
            message: entry.message.clone(),
        });
        let topic = self.topic(&entry.channel);
        self.pump(&topic);
        Ok(())
    }

    pub(super) fn discard_queued(&mut self, client_id: &str) -> Result<()> {
        let entry = self
            .outbox
            .discard(client_id)
            .ok_or_else(|| OutboxError::Unknown(client_id.to_owned()))?;
        self.store.remove(client_id)?;
        self.emit_outbox(OutboxEvent::Discarded {
            channel: entry.channel,
            client_id: entry.client_id,
        });
        Ok(())
    }

    /// The channel refused the join for good: its queued messages fail.
    pub(super) fn fail_queued(&mut self, topic: &str, reason: &str) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        let reason = format!("the channel refused the join: {reason}");
        let channel = slot.id.clone();
        for entry in self.outbox.fail_channel(&channel, &reason) {
            self.queued_failed(entry);
        }
    }

    /// The reply to an outbox push.
    pub(super) fn on_queued_reply(&mut self, topic: &str, client_id: &str, outcome: Result<Value>) {
        match outcome {
            Ok(_) => self.outbox.on_ack(client_id),
            Err(Error::Refused { reason, .. }) => {
                tracing::debug!(topic, client_id, %reason, "the server refused a queued message");
                if let Some(entry) = self.outbox.on_refused(client_id, &reason) {
                    self.queued_failed(entry);
                }
            }
            Err(error) => {
                let error = Error::Malformed {
                    what: "reply",
                    reason: error.to_string(),
                };
                self.on_queued_lost(topic, client_id, &error);
            }
        }
        self.pump(topic);
    }

    /// An outbox push will get no answer: it is in doubt. A link or channel
    /// that went down rejoins (and checks) by itself; an unanswered push on
    /// a live one makes its channel rejoin to check.
    pub(super) fn on_queued_lost(&mut self, topic: &str, client_id: &str, error: &Error) {
        let crashed = matches!(error, Error::ChannelCrashed { .. });
        if !self.outbox.on_lost(client_id, crashed) {
            return;
        }
        tracing::debug!(topic, client_id, %error, "a queued message is in doubt");
        let live = self.link == Link::Up
            && self
                .slots
                .get(topic)
                .is_some_and(|s| *s.channel.state() == ChannelState::Joined);
        if live {
            self.resync.insert(topic.to_owned());
        }
    }
}
