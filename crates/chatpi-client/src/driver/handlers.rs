//! What the socket task does with each input: commands from handles, frames
//! from the server, timers, and the link going up or down.

use serde_json::{json, Value};
use tokio::{sync::oneshot, time::Instant};

use super::{
    faults::{fault, frame_fault, topic_hint},
    now, ChannelEvent, ChannelState, Command, ConnectionState, Driver, Event, Link, PendingSend,
    Presence, PresenceUpdate, PushOutcome, Slot, Waiter, WsStream,
};
use crate::{
    core::{Channel, Frame, HeartbeatAction, Timeline},
    ConnectError, Error, Message, Reaction, Result,
};

/// How a waiter failed, given the topic and event it was for.
type FailWith = fn(String, String) -> Error;

fn timeout_error(timeout: std::time::Duration) -> impl Fn(String, String) -> Error {
    move |topic, event| Error::Timeout {
        topic,
        event,
        timeout,
    }
}

impl Driver {
    pub(super) fn on_command(&mut self, cmd: Command) {
        match cmd {
            Command::Join {
                channel,
                payload,
                done,
            } => self.join(channel, payload, done),
            Command::Leave { channel, done } => self.leave(&channel, done),
            Command::Push {
                channel,
                event,
                payload,
                done,
            } => {
                let waiter = Waiter::Reply {
                    event: event.clone(),
                    done,
                };
                self.push(&channel, event, payload, waiter);
            }
            Command::Cast {
                channel,
                event,
                payload,
            } => self.cast(&channel, &event, payload),
            Command::Send {
                channel,
                client_id,
                payload,
                done,
            } => {
                let topic = self.topic(&channel);
                let pending = PendingSend {
                    topic,
                    done,
                    acked: false,
                    echo: None,
                    echo_deadline: None,
                };
                self.sends.insert(client_id.clone(), pending);
                self.push(
                    &channel,
                    "message:new".into(),
                    payload,
                    Waiter::Message { client_id },
                );
            }
            Command::Typing { channel, typing } => self.typing(&channel, typing),
            Command::Watch { channel, on } => {
                if on {
                    self.watched.insert(channel);
                } else {
                    self.watched.remove(&channel);
                }
            }
            Command::Queue { entry } => self.on_queue(entry),
            Command::Retry { client_id, done } => {
                let _ = done.send(self.retry_queued(&client_id));
            }
            Command::Discard { client_id, done } => {
                let _ = done.send(self.discard_queued(&client_id));
            }
            Command::Disconnect => {}
        }
    }

    fn join(&mut self, channel: String, payload: Value, done: oneshot::Sender<Result<Value>>) {
        let topic = self.topic(&channel);
        let link = self.link;
        let timeout = self.settings.push_timeout;
        let slot = self.slots.entry(topic.clone()).or_insert_with(|| Slot {
            id: channel,
            channel: Channel::new(topic.clone(), json!({}), link).with_timeout(timeout),
            presence: Presence::new(),
            join_waiters: Vec::new(),
            leave_waiter: None,
            typing_until: None,
            timeline: Timeline::new(),
            joined_once: false,
            generation: 0,
            syncing: false,
            held: Vec::new(),
            backfill_after: None,
        });
        if *slot.channel.state() == ChannelState::Joined {
            let _ = done.send(Ok(json!({})));
            return;
        }
        // A channel already rejoining keeps its backfill query.
        if !slot.joined_once {
            slot.channel.set_join_payload(payload);
        }
        slot.join_waiters.push(done);
        // Already joining: the waiter is settled by that join.
        if let Ok(frame) = slot.channel.join(&mut self.refs, now()) {
            // A queued join reports itself; one waiting for the socket not.
            let waiting = frame.is_none();
            self.queue(&topic, frame);
            if waiting {
                self.emit_status(&topic);
            }
        }
    }

    fn leave(&mut self, channel: &str, done: oneshot::Sender<Result<()>>) {
        let topic = self.topic(channel);
        let Some(slot) = self.slots.get_mut(&topic) else {
            let _ = done.send(Ok(()));
            return;
        };
        let leave = slot.channel.leave(&mut self.refs, now());
        slot.typing_until = None;
        for waiter in std::mem::take(&mut slot.join_waiters) {
            let _ = waiter.send(Err(Error::NotJoined {
                topic: topic.clone(),
            }));
        }
        let closed = leave.frame.is_none();
        self.fail_all(&topic, leave.failed, |topic, _| Error::NotJoined { topic });
        if closed {
            let _ = done.send(Ok(()));
            self.remove_slot(&topic);
        } else {
            if let Some(slot) = self.slots.get_mut(&topic) {
                slot.leave_waiter = Some(done);
            }
            self.queue(&topic, leave.frame);
            self.emit_status(&topic);
        }
    }

    fn remove_slot(&mut self, topic: &str) {
        if let Some(slot) = self.slots.remove(topic) {
            if let Ok(mut snap) = self.snapshot.write() {
                snap.channels.remove(&slot.id);
            }
            let status = crate::event::ChannelStatus::Closed;
            self.emit(Event::Channel {
                channel: slot.id,
                status,
            });
        }
    }

    pub(super) fn push(&mut self, channel: &str, event: String, payload: Value, waiter: Waiter) {
        let topic = self.topic(channel);
        let timeout = self.settings.push_timeout;
        let Some(slot) = self.slots.get_mut(&topic) else {
            self.fail(&topic, &event, waiter, |topic, _| Error::NotJoined {
                topic,
            });
            return;
        };
        match slot
            .channel
            .push(event, payload, waiter, &mut self.refs, now(), timeout)
        {
            Ok(PushOutcome::Send(frame)) => self.out.push(frame),
            Ok(PushOutcome::Buffered) => {}
            Err(refused) => {
                let event = match &refused.error {
                    crate::core::ChannelError::NotJoined { event, .. } => event.clone(),
                    crate::core::ChannelError::AlreadyJoined { .. } => String::new(),
                };
                self.fail(&topic, &event, refused.token, |topic, _| Error::NotJoined {
                    topic,
                });
            }
        }
    }

    fn cast(&mut self, channel: &str, event: &str, payload: Value) {
        let topic = self.topic(channel);
        let Some(slot) = self.slots.get(&topic) else {
            return;
        };
        if self.link == Link::Down || *slot.channel.state() != ChannelState::Joined {
            tracing::debug!(%topic, event, "not joined; event dropped");
            return;
        }
        let reference = self.refs.next_ref();
        let join_ref = slot.channel.join_ref().map(str::to_owned);
        self.out
            .push(Frame::new(join_ref, Some(reference), topic, event, payload));
    }

    fn typing(&mut self, channel: &str, typing: bool) {
        let topic = self.topic(channel);
        let until = Instant::now() + self.settings.typing_timeout;
        let Some(slot) = self.slots.get_mut(&topic) else {
            return;
        };
        let was = slot.typing_until.is_some();
        slot.typing_until = typing.then_some(until);
        if was != typing {
            self.cast(channel, "user:typing", json!({ "is_typing": typing }));
        }
    }

    pub(super) fn on_open(&mut self, server_date: Option<time::PrimitiveDateTime>) {
        self.link = Link::Up;
        self.backoff.reset();
        self.heartbeat.reset(now());
        self.server_clock = server_date.map(|date| (date, Instant::now()));
        self.set_state(ConnectionState::Connected);
        let topics: Vec<String> = self.slots.keys().cloned().collect();
        for topic in topics {
            self.prepare_rejoin(&topic);
            let Some(slot) = self.slots.get_mut(&topic) else {
                continue;
            };
            let frame = slot.channel.on_socket_open(&mut self.refs, now());
            self.queue(&topic, frame);
        }
    }

    /// Schedules the next attempt; returns when it is due.
    pub(super) fn on_connect_failed(&mut self, error: ConnectError) -> Instant {
        let delay = self.backoff.next_delay();
        tracing::debug!(%error, ?delay, "connect failed");
        if error.is_auth() {
            let retry_in = delay.max(self.settings.auth_retry);
            self.set_state(ConnectionState::AuthRejected { retry_in });
            Instant::now() + retry_in
        } else {
            self.set_state(ConnectionState::Reconnecting {
                retry_in: delay,
                error,
            });
            Instant::now() + delay
        }
    }

    /// The socket is gone: fail what it carried, schedule a reconnect.
    pub(super) fn on_link_lost(&mut self, reason: String) -> Instant {
        tracing::warn!(%reason, url = %self.endpoint.socket_base(), "connection lost");
        self.link = Link::Down;
        self.drop_channels(|topic, event| Error::LinkLost { topic, event });
        let delay = self.backoff.next_delay();
        let error = ConnectError::Dropped(reason);
        self.set_state(ConnectionState::Reconnecting {
            retry_in: delay,
            error,
        });
        Instant::now() + delay
    }

    fn drop_channels(&mut self, why: FailWith) {
        let topics: Vec<String> = self.slots.keys().cloned().collect();
        for topic in topics {
            let Some(slot) = self.slots.get_mut(&topic) else {
                continue;
            };
            slot.typing_until = None;
            let failed = slot.channel.on_socket_close();
            let closed = *slot.channel.state() == ChannelState::Closed;
            if closed {
                if let Some(done) = slot.leave_waiter.take() {
                    let _ = done.send(Ok(()));
                }
            }
            self.fail_all(&topic, failed, why);
            if closed {
                self.remove_slot(&topic);
            } else {
                self.emit_status(&topic);
            }
        }
    }

    /// Handles every timer due now. Returns true when the link is dead.
    pub(super) fn on_tick(&mut self) -> bool {
        let at = now();
        if self.link == Link::Up {
            match self.heartbeat.on_tick(at, &mut self.refs) {
                HeartbeatAction::Send(frame) => self.out.push(frame),
                HeartbeatAction::Dead => return true,
                HeartbeatAction::NotDue => {}
            }
        }
        let timeout = self.settings.push_timeout;
        let topics: Vec<String> = self.slots.keys().cloned().collect();
        for topic in topics {
            self.prepare_rejoin(&topic);
            let Some(slot) = self.slots.get_mut(&topic) else {
                continue;
            };
            let stop_typing = slot.typing_until.is_some_and(|t| t.into_std() <= at);
            let tick = slot.channel.on_timeout(&mut self.refs, at);
            let closed = *slot.channel.state() == ChannelState::Closed;
            let id = slot.id.clone();
            if stop_typing {
                self.typing(&id, false);
            }
            self.queue(&topic, tick.frames);
            self.fail_all(&topic, tick.timed_out, timeout_error(timeout));
            if closed {
                if let Some(done) = self
                    .slots
                    .get_mut(&topic)
                    .and_then(|s| s.leave_waiter.take())
                {
                    let _ = done.send(Ok(()));
                }
                self.remove_slot(&topic);
            }
        }
        let expired: Vec<String> = self
            .sends
            .iter()
            .filter(|(_, p)| p.echo_deadline.is_some_and(|d| d.into_std() <= at))
            .map(|(id, _)| id.clone())
            .collect();
        for client_id in expired {
            if let Some(p) = self.sends.remove(&client_id) {
                let error = Error::Timeout {
                    topic: p.topic,
                    event: "message:new echo".into(),
                    timeout,
                };
                let _ = p.done.send(Err(error));
            }
        }
        false
    }

    pub(super) fn on_text(&mut self, text: &str) {
        let raw = match crate::core::decode_raw(text, self.settings.max_frame_bytes) {
            Ok(raw) => raw,
            Err(error) => return self.bad_frame(text, &error),
        };
        // Chat broadcasts, the bulk of the traffic, are read straight into
        // their types; the rest goes through the channel's state machine as
        // a whole frame.
        let direct = raw.join_ref.is_none()
            && matches!(&*raw.event, "message:new" | "reaction:new")
            && self
                .slots
                .get(&*raw.topic)
                .is_some_and(|slot| slot.channel.takes_broadcasts());
        if direct {
            let payload = Payload::Text(raw.payload.get());
            return self.on_broadcast(&raw.topic, &raw.event, payload);
        }
        let frame = match raw.into_frame() {
            Ok(frame) => frame,
            Err(error) => return self.bad_frame(text, &error),
        };
        if frame.topic == crate::core::frame::PHOENIX_TOPIC {
            if let Some(reference) = &frame.reference {
                self.heartbeat.on_reply(reference);
            }
            return;
        }
        let topic = frame.topic.clone();
        let Some(slot) = self.slots.get_mut(&topic) else {
            tracing::debug!(%topic, event = %frame.event, "frame for a channel not joined");
            return;
        };
        let event = slot.channel.on_frame(frame, &mut self.refs, now());
        self.on_channel_event(&topic, event);
    }

    fn bad_frame(&mut self, text: &str, error: &crate::core::FrameError) {
        let topic = topic_hint(text, self.settings.max_frame_bytes);
        fault!(self.faults, &topic, frame_fault(error), %error);
    }

    fn on_channel_event(&mut self, topic: &str, event: ChannelEvent<Waiter>) {
        match event {
            ChannelEvent::Message { event, payload } => {
                self.on_broadcast(topic, &event, Payload::Tree(payload))
            }
            ChannelEvent::Reply { token, reply } => self.on_reply(topic, token, reply),
            ChannelEvent::Joined {
                response,
                released,
                expired,
            } => {
                self.out.extend(released);
                let timeout = self.settings.push_timeout;
                self.fail_all(topic, expired, timeout_error(timeout));
                self.emit_status(topic);
                let Some(slot) = self.slots.get_mut(topic) else {
                    return;
                };
                for waiter in std::mem::take(&mut slot.join_waiters) {
                    let _ = waiter.send(Ok(response.clone()));
                }
                let messages = self.parse_list::<Message>(&response, "messages", topic);
                let reactions = self.parse_list::<Reaction>(&response, "reactions", topic);
                self.on_joined(topic, messages, reactions);
            }
            ChannelEvent::JoinFailed { response, .. } => {
                let reason = reason_of(&response);
                tracing::debug!(topic, %reason, "join failed; rejoining");
                self.settle_joins(topic, |topic| Error::JoinRefused {
                    topic,
                    reason: reason.clone(),
                });
                self.emit_status(topic);
            }
            ChannelEvent::Rejected { reason, failed } => {
                tracing::warn!(topic, %reason, "join refused for good");
                self.settle_joins(topic, |topic| Error::JoinRefused {
                    topic,
                    reason: reason.clone(),
                });
                self.fail_all(topic, failed, |topic, _| Error::NotJoined { topic });
                self.fail_queued(topic, &reason);
                self.emit_status(topic);
            }
            ChannelEvent::Errored { failed, .. } => {
                tracing::warn!(topic, "the server's channel crashed; rejoining");
                self.fail_all(topic, failed, |topic, event| Error::ChannelCrashed {
                    topic,
                    event,
                });
                if let Some(slot) = self.slots.get_mut(topic) {
                    slot.typing_until = None;
                }
                self.emit_status(topic);
            }
            ChannelEvent::Closed { failed } => {
                self.fail_all(topic, failed, |topic, _| Error::NotJoined { topic });
                self.settle_joins(topic, |topic| Error::NotJoined { topic });
                if let Some(done) = self
                    .slots
                    .get_mut(topic)
                    .and_then(|s| s.leave_waiter.take())
                {
                    let _ = done.send(Ok(()));
                }
                self.remove_slot(topic);
            }
            ChannelEvent::Stale | ChannelEvent::Ignored => {}
        }
    }

    fn settle_joins(&mut self, topic: &str, error: impl Fn(String) -> Error) {
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        for waiter in std::mem::take(&mut slot.join_waiters) {
            let _ = waiter.send(Err(error(topic.to_owned())));
        }
    }

    fn on_broadcast(&mut self, topic: &str, event: &str, payload: Payload) {
        let Some(slot) = self.slots.get_mut(topic) else {
            return;
        };
        match event {
            "message:new" => match payload.read::<Message>() {
                Ok(message) => self.on_live_message(topic, message),
                Err(error) => fault!(self.faults, topic, "malformed message:new", %error),
            },
            "reaction:new" => match payload.read::<Reaction>() {
                Ok(reaction) => {
                    let channel = slot.id.clone();
                    self.emit(Event::Reaction { channel, reaction })
                }
                Err(error) => fault!(self.faults, topic, "malformed reaction:new", %error),
            },
            "presence_state" | "presence_diff" => {
                let channel = slot.id.clone();
                let payload = match payload.into_tree() {
                    Ok(payload) => payload,
                    Err(error) => {
                        fault!(self.faults, topic, "malformed presence", event, %error);
                        return;
                    }
                };
                let result = if event == "presence_state" {
                    slot.presence.on_state(&payload)
                } else {
                    slot.presence.on_diff(&payload)
                };
                match result {
                    Ok(PresenceUpdate::Held) => {}
                    Ok(PresenceUpdate::Synced(all)) => {
                        self.publish_channel(topic);
                        if self.watched.contains(&channel) {
                            let mut joins = Vec::new();
                            let mut leaves = Vec::new();
                            for changes in all {
                                joins.extend(changes.joins);
                                leaves.extend(changes.leaves);
                            }
                            self.emit(Event::Presence {
                                channel,
                                joins,
                                leaves,
                            });
                        }
                    }
                    Err(error) => fault!(self.faults, topic, "malformed presence", event, %error),
                }
            }
            other => fault!(self.faults, topic, "unknown event", event = other),
        }
    }

    fn on_reply(
        &mut self,
        topic: &str,
        waiter: Waiter,
        reply: std::result::Result<crate::core::Reply, crate::core::ReplyError>,
    ) {
        let outcome: Result<Value> = match reply {
            Ok(reply) if reply.is_ok() => Ok(reply.response),
            Ok(reply) => Err(Error::Refused {
                topic: topic.to_owned(),
                event: String::new(),
                reason: reason_of(&reply.response),
            }),
            Err(error) => Err(Error::Malformed {
                what: "reply",
                reason: error.to_string(),
            }),
        };
        match waiter {
            Waiter::Reply { event, done } => {
                let _ = done.send(outcome.map_err(|e| with_event(e, &event)));
            }
            Waiter::Outbox { client_id } => self.on_queued_reply(topic, &client_id, outcome),
            Waiter::Message { client_id } => match outcome {
                Ok(_) => {
                    let Some(pending) = self.sends.get_mut(&client_id) else {
                        return;
                    };
                    pending.acked = true;
                    if pending.echo.is_some() {
                        if let Some(p) = self.sends.remove(&client_id) {
                            let echo = p.echo.expect("checked above");
                            let _ = p.done.send(Ok(echo));
                        }
                    } else {
                        let wait = self.settings.push_timeout;
                        pending.echo_deadline = Some(Instant::now() + wait);
                    }
                }
                Err(error) => {
                    if let Some(p) = self.sends.remove(&client_id) {
                        let _ = p.done.send(Err(with_event(error, "message:new")));
                    }
                }
            },
        }
    }

    fn fail(
        &mut self,
        topic: &str,
        event: &str,
        waiter: Waiter,
        why: impl Fn(String, String) -> Error,
    ) {
        match waiter {
            Waiter::Reply { event, done } => {
                let _ = done.send(Err(why(topic.to_owned(), event)));
            }
            Waiter::Outbox { client_id } => {
                let error = why(topic.to_owned(), "message:new".to_owned());
                self.on_queued_lost(topic, &client_id, &error);
            }
            Waiter::Message { client_id } => {
                if let Some(p) = self.sends.remove(&client_id) {
                    let event = if event.is_empty() {
                        "message:new"
                    } else {
                        event
                    };
                    let _ = p.done.send(Err(why(topic.to_owned(), event.to_owned())));
                }
            }
        }
    }

    pub(super) fn fail_all(
        &mut self,
        topic: &str,
        waiters: Vec<Waiter>,
        why: impl Fn(String, String) -> Error,
    ) {
        for waiter in waiters {
            self.fail(topic, "message:new", waiter, &why);
        }
    }

    pub(super) async fn shut_down(mut self, ws: Option<WsStream>) {
        if let Some(mut ws) = ws {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), ws.close(None)).await;
        }
        self.link = Link::Down;
        self.drop_channels(|_, _| Error::Closed);
        let topics: Vec<String> = self.slots.keys().cloned().collect();
        for topic in topics {
            self.settle_joins(&topic, |_| Error::Closed);
            self.remove_slot(&topic);
        }
        for (_, p) in self.sends.drain() {
            let _ = p.done.send(Err(Error::Closed));
        }
        // Commands that raced the shutdown fail too.
        self.cmds.close();
        while let Ok(cmd) = self.cmds.try_recv() {
            fail_command(cmd);
        }
        self.set_state(ConnectionState::Closed);
    }
}

fn fail_command(cmd: Command) {
    match cmd {
        Command::Join { done, .. } | Command::Push { done, .. } => {
            let _ = done.send(Err(Error::Closed));
        }
        Command::Leave { done, .. } => {
            let _ = done.send(Err(Error::Closed));
        }
        Command::Send { done, .. } => {
            let _ = done.send(Err(Error::Closed));
        }
        Command::Retry { done, .. } | Command::Discard { done, .. } => {
            let _ = done.send(Err(Error::Closed));
        }
        Command::Cast { .. }
        | Command::Typing { .. }
        | Command::Watch { .. }
        | Command::Queue { .. }
        | Command::Disconnect => {}
    }
}

fn with_event(error: Error, event: &str) -> Error {
    match error {
        Error::Refused { topic, reason, .. } => Error::Refused {
            topic,
            event: event.to_owned(),
            reason,
        },
        other => other,
    }
}

fn reason_of(response: &Value) -> String {
    response
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("no reason given")
        .to_owned()
}

impl Driver {
    fn parse_list<T: serde::de::DeserializeOwned>(
        &mut self,
        response: &Value,
        key: &str,
        topic: &str,
    ) -> Vec<T> {
        let Some(items) = response.get(key).and_then(Value::as_array) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match serde_json::from_value(item.clone()) {
                Ok(v) => out.push(v),
                Err(error) => fault!(self.faults, topic, "malformed history entry", key, %error),
            }
        }
        out
    }
}

/// An event's payload: the text of a frame read by [`Driver::on_text`]'s
/// direct path, or the tree the channel's state machine handed on.
enum Payload<'a> {
    Text(&'a str),
    Tree(Value),
}

impl Payload<'_> {
    fn read<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T> {
        match self {
            Payload::Text(text) => serde_json::from_str(text),
            Payload::Tree(value) => serde_json::from_value(value),
        }
    }

    fn into_tree(self) -> serde_json::Result<Value> {
        match self {
            Payload::Text(text) => serde_json::from_str(text),
            Payload::Tree(value) => Ok(value),
        }
    }
}
