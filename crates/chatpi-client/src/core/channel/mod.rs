//! The state machine of one channel (one topic on one socket): its join and
//! join ref, the pushes it holds until it is joined, the pushes waiting for a
//! reply, leaving, and rejoining after a failure.
//!
//! It does no I/O and reads no clock. The caller routes every frame of the
//! channel's topic to [`Channel::on_frame`], tells it when the socket opens and
//! closes, calls [`Channel::on_timeout`] when [`Channel::next_deadline`] passes,
//! writes every [`Frame`] it returns in order, and settles every token it hands
//! back. `T` is the caller's token for a push (a waiter to wake, an id).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::backoff::{Backoff, Schedule};
use super::frame::{Frame, PHX_CLOSE, PHX_ERROR, PHX_JOIN, PHX_LEAVE, PHX_REPLY};
use super::push::{PushTable, Reply, ReplyError, DEFAULT_PUSH_TIMEOUT};
use super::refs::Refs;

mod outcome;

pub use outcome::{ChannelError, ChannelEvent, Leave, PushOutcome, Refused, Tick};

/// The join error reasons that no retry will change: the channel is rejected
/// for good instead of rejoined (the `phoenix` JS client retries forever).
pub const FINAL_JOIN_REASONS: &[&str] = &["unauthorized"];

/// Where a channel stands. Every change is worth showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelState {
    /// Not joined and not trying to be: new, left, or closed by the server.
    Closed,
    /// A join is sent and unanswered, or waits for the socket to open.
    Joining,
    Joined,
    /// A leave is sent and unanswered.
    Leaving,
    /// The join failed or the channel crashed; a rejoin is scheduled, or will
    /// be sent as soon as the socket is back.
    Errored,
    /// The server refused the join for good ([`FINAL_JOIN_REASONS`]). Final:
    /// never rejoined, though the user may [`Channel::join`] again.
    Rejected {
        reason: String,
    },
}

/// Whether the channel's socket is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Up,
    Down,
}

#[derive(Debug)]
struct Held<T> {
    event: String,
    payload: Value,
    deadline: Instant,
    token: T,
}

#[derive(Debug)]
pub struct Channel<T> {
    topic: String,
    join_payload: Value,
    timeout: Duration,
    state: ChannelState,
    link: Link,
    /// The ref of the current join: set from the moment a join is sent until
    /// the channel errors or closes. Messages of any other join are stale.
    join_ref: Option<String>,
    /// When the sent join or leave times out.
    deadline: Option<Instant>,
    leave_ref: Option<String>,
    held: VecDeque<Held<T>>,
    in_flight: PushTable<T>,
    rejoin: Backoff,
    rejoin_at: Option<Instant>,
}

impl<T> Channel<T> {
    /// A closed channel on a socket whose link is `link`.
    pub fn new(topic: impl Into<String>, join_payload: Value, link: Link) -> Self {
        Self {
            topic: topic.into(),
            join_payload,
            timeout: DEFAULT_PUSH_TIMEOUT,
            state: ChannelState::Closed,
            link,
            join_ref: None,
            deadline: None,
            leave_ref: None,
            held: VecDeque::new(),
            in_flight: PushTable::new(),
            rejoin: Backoff::new(Schedule::Rejoin),
            rejoin_at: None,
        }
    }

    /// Sets how long a join or leave waits for its reply.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn state(&self) -> &ChannelState {
        &self.state
    }

    pub fn join_ref(&self) -> Option<&str> {
        self.join_ref.as_deref()
    }

    pub fn join_payload(&self) -> &Value {
        &self.join_payload
    }

    /// Replaces the payload of the next join and rejoin (say, a history query
    /// that now starts at the newest message seen).
    pub fn set_join_payload(&mut self, payload: Value) {
        self.join_payload = payload;
    }

    /// Starts joining. The frame is `None` while the socket is down: the join
    /// goes out when it opens.
    pub fn join(&mut self, refs: &mut Refs, now: Instant) -> Result<Option<Frame>, ChannelError> {
        if matches!(self.state, ChannelState::Joining | ChannelState::Joined) {
            return Err(ChannelError::AlreadyJoined {
                topic: self.topic.clone(),
            });
        }
        self.rejoin.reset();
        self.leave_ref = None;
        Ok(self.send_join(refs, now))
    }

    /// Pushes an event, or holds it until the channel is joined. `timeout`
    /// counts from now, held or not.
    pub fn push(
        &mut self,
        event: impl Into<String>,
        payload: Value,
        token: T,
        refs: &mut Refs,
        now: Instant,
        timeout: Duration,
    ) -> Result<PushOutcome, Refused<T>> {
        let event = event.into();
        let deadline = now + timeout;
        match self.state {
            ChannelState::Joined => Ok(PushOutcome::Send(
                self.send_push(event, payload, token, refs, deadline),
            )),
            ChannelState::Joining | ChannelState::Errored => {
                self.held.push_back(Held {
                    event,
                    payload,
                    deadline,
                    token,
                });
                Ok(PushOutcome::Buffered)
            }
            ChannelState::Closed | ChannelState::Leaving | ChannelState::Rejected { .. } => {
                let error = ChannelError::NotJoined {
                    topic: self.topic.clone(),
                    event,
                };
                Err(Refused { token, error })
            }
        }
    }

    /// Leaves the channel. Held pushes fail at once; pushes already sent may
    /// still get their replies before the leave's.
    pub fn leave(&mut self, refs: &mut Refs, now: Instant) -> Leave<T> {
        let mut failed = self.take_held();
        self.rejoin_at = None;

        let sent_join = matches!(self.state, ChannelState::Joining | ChannelState::Joined)
            && self.join_ref.is_some()
            && self.link == Link::Up;
        if !sent_join {
            // No server-side channel to leave (or no socket to say it on).
            if self.state != ChannelState::Leaving {
                failed.extend(self.close());
            }
            return Leave {
                frame: None,
                failed,
            };
        }

        let reference = refs.next_ref();
        let frame = Frame::new(
            self.join_ref.clone(),
            Some(reference.clone()),
            &self.topic,
            PHX_LEAVE,
            json!({}),
        );
        self.state = ChannelState::Leaving;
        self.leave_ref = Some(reference);
        self.deadline = Some(now + self.timeout);
        tracing::debug!(topic = %self.topic, "leaving channel");
        Leave {
            frame: Some(frame),
            failed,
        }
    }

    /// Joins again at once on a joined channel with the socket up, as a
    /// barrier: a server handles a socket's frames in order, so once this
    /// join is answered every push made before it has been handled. Returns
    /// the join (none when not joined) and the pushes still waiting for a
    /// reply, which now never comes (their join is gone).
    pub fn rejoin(&mut self, refs: &mut Refs, now: Instant) -> (Option<Frame>, Vec<T>) {
        if self.state != ChannelState::Joined || self.link == Link::Down {
            return (None, Vec::new());
        }
        tracing::debug!(topic = %self.topic, "rejoining a joined channel");
        let failed = self.in_flight.drain();
        (self.send_join(refs, now), failed)
    }

    /// The socket opened: a channel that wants to be joined (re)joins now.
    pub fn on_socket_open(&mut self, refs: &mut Refs, now: Instant) -> Option<Frame> {
        self.link = Link::Up;
        self.rejoin.reset();
        match self.state {
            ChannelState::Joining | ChannelState::Errored => self.send_join(refs, now),
            _ => None,
        }
    }

    /// The socket closed: nothing sent on it will be answered. A joined
    /// channel errors and rejoins when the socket is back; held pushes stay
    /// held. Returns the pushes that failed.
    pub fn on_socket_close(&mut self) -> Vec<T> {
        self.link = Link::Down;
        self.rejoin_at = None;
        match self.state {
            ChannelState::Joining | ChannelState::Joined => {
                self.state = ChannelState::Errored;
                self.join_ref = None;
                self.deadline = None;
                self.in_flight.drain()
            }
            ChannelState::Leaving => {
                let mut failed = self.take_held();
                failed.extend(self.close());
                failed
            }
            _ => Vec::new(),
        }
    }

    /// Whether a broadcast (a frame with no join ref) of an event other than
    /// `phx_reply`, `phx_error` and `phx_close` would come out of
    /// [`Channel::on_frame`] as a [`ChannelEvent::Message`]: a caller that
    /// reads such payloads itself asks this instead.
    pub fn takes_broadcasts(&self) -> bool {
        !matches!(
            self.state,
            ChannelState::Closed | ChannelState::Rejected { .. }
        )
    }

    /// Handles one frame of this channel's topic.
    pub fn on_frame(&mut self, frame: Frame, refs: &mut Refs, now: Instant) -> ChannelEvent<T> {
        if !self.takes_broadcasts() {
            return ChannelEvent::Ignored;
        }
        // A message of an earlier join (its reply, its crash) must not touch
        // this one. Broadcasts carry no join ref and always pass.
        if frame.join_ref.is_some() && frame.join_ref != self.join_ref {
            tracing::debug!(topic = %self.topic, event = %frame.event, "dropping stale message");
            return ChannelEvent::Stale;
        }

        match frame.event.as_str() {
            PHX_REPLY => self.on_reply(frame, refs, now),
            PHX_ERROR => self.on_error(now),
            PHX_CLOSE => {
                tracing::debug!(topic = %self.topic, "channel closed by the server");
                let mut failed = self.take_held();
                failed.extend(self.close());
                ChannelEvent::Closed { failed }
            }
            _ => ChannelEvent::Message {
                event: frame.event,
                payload: frame.payload,
            },
        }
    }

    /// Handles every deadline at or before `now`.
    pub fn on_timeout(&mut self, refs: &mut Refs, now: Instant) -> Tick<T> {
        let mut tick = Tick {
            frames: Vec::new(),
            timed_out: Vec::new(),
        };
        tick.timed_out.extend(
            self.in_flight
                .expire(now)
                .into_iter()
                .map(|(_, token)| token),
        );
        let (expired, kept): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|held| held.deadline <= now);
        self.held = kept;
        tick.timed_out
            .extend(expired.into_iter().map(|held| held.token));

        let due = self.deadline.is_some_and(|deadline| deadline <= now);
        match self.state {
            ChannelState::Joining if due => {
                // Like phoenix: tell the server to drop the half-made join,
                // whose ref is about to go stale, then retry.
                tracing::debug!(topic = %self.topic, "join timed out");
                let reference = refs.next_ref();
                let join_ref = self.join_ref.clone();
                tick.frames.push(Frame::new(
                    join_ref,
                    Some(reference),
                    &self.topic,
                    PHX_LEAVE,
                    json!({}),
                ));
                self.fail_join(now);
            }
            ChannelState::Leaving if due => {
                tracing::debug!(topic = %self.topic, "leave timed out; closing anyway");
                tick.timed_out.extend(self.close());
            }
            ChannelState::Errored if self.rejoin_at.is_some_and(|at| at <= now) => {
                tick.frames.extend(self.send_join(refs, now));
            }
            _ => {}
        }
        tick
    }

    /// The earliest moment [`Channel::on_timeout`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let state_deadline = match self.state {
            ChannelState::Joining | ChannelState::Leaving => self.deadline,
            ChannelState::Errored => self.rejoin_at,
            _ => None,
        };
        let held = self.held.iter().map(|held| held.deadline).min();
        [state_deadline, held, self.in_flight.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    fn on_reply(&mut self, frame: Frame, refs: &mut Refs, now: Instant) -> ChannelEvent<T> {
        let Some(reference) = frame.reference.as_deref() else {
            return ChannelEvent::Ignored;
        };
        if self.state == ChannelState::Joining && self.join_ref.as_deref() == Some(reference) {
            return self.on_join_reply(Reply::from_payload(frame.payload), refs, now);
        }
        if self.leave_ref.as_deref() == Some(reference) {
            return ChannelEvent::Closed {
                failed: self.close(),
            };
        }
        match self.in_flight.resolve(reference) {
            Some(token) => ChannelEvent::Reply {
                token,
                reply: Reply::from_payload(frame.payload),
            },
            None => ChannelEvent::Ignored,
        }
    }

    fn on_join_reply(
        &mut self,
        reply: Result<Reply, ReplyError>,
        refs: &mut Refs,
        now: Instant,
    ) -> ChannelEvent<T> {
        let reply = match reply {
            Ok(reply) => reply,
            Err(err) => {
                tracing::warn!(topic = %self.topic, error = %err, "malformed join reply");
                let rejoin_at = self.fail_join(now);
                return ChannelEvent::JoinFailed {
                    response: Value::Null,
                    rejoin_at,
                };
            }
        };

        if reply.is_ok() {
            tracing::debug!(topic = %self.topic, "joined");
            self.state = ChannelState::Joined;
            self.deadline = None;
            self.rejoin.reset();
            let (mut released, mut expired) = (Vec::new(), Vec::new());
            for held in std::mem::take(&mut self.held) {
                if held.deadline <= now {
                    expired.push(held.token);
                    continue;
                }
                released.push(self.send_push(
                    held.event,
                    held.payload,
                    held.token,
                    refs,
                    held.deadline,
                ));
            }
            return ChannelEvent::Joined {
                response: reply.response,
                released,
                expired,
            };
        }

        if let Some(reason) = reply
            .reason()
            .filter(|reason| FINAL_JOIN_REASONS.contains(reason))
        {
            tracing::debug!(topic = %self.topic, reason, "join refused for good");
            let reason = reason.to_owned();
            let mut failed = self.take_held();
            failed.extend(self.close());
            self.state = ChannelState::Rejected {
                reason: reason.clone(),
            };
            return ChannelEvent::Rejected { reason, failed };
        }

        tracing::debug!(topic = %self.topic, "join refused; will rejoin");
        let rejoin_at = self.fail_join(now);
        ChannelEvent::JoinFailed {
            response: reply.response,
            rejoin_at,
        }
    }

    fn on_error(&mut self, now: Instant) -> ChannelEvent<T> {
        if self.state == ChannelState::Leaving {
            // The channel we were leaving is gone either way.
            let mut failed = self.take_held();
            failed.extend(self.close());
            return ChannelEvent::Closed { failed };
        }
        tracing::debug!(topic = %self.topic, "channel crashed on the server");
        let failed = self.in_flight.drain();
        let rejoin_at = self.fail_join(now);
        ChannelEvent::Errored { failed, rejoin_at }
    }

    fn send_join(&mut self, refs: &mut Refs, now: Instant) -> Option<Frame> {
        self.state = ChannelState::Joining;
        self.rejoin_at = None;
        if self.link == Link::Down {
            self.join_ref = None;
            self.deadline = None;
            return None;
        }
        let reference = refs.next_ref();
        self.join_ref = Some(reference.clone());
        self.deadline = Some(now + self.timeout);
        let payload = self.join_payload.clone();
        Some(Frame::new(
            Some(reference.clone()),
            Some(reference),
            &self.topic,
            PHX_JOIN,
            payload,
        ))
    }

    fn send_push(
        &mut self,
        event: String,
        payload: Value,
        token: T,
        refs: &mut Refs,
        deadline: Instant,
    ) -> Frame {
        let reference = refs.next_ref();
        self.in_flight
            .insert(reference.clone(), &self.topic, deadline, token);
        Frame::new(
            self.join_ref.clone(),
            Some(reference),
            &self.topic,
            event,
            payload,
        )
    }

    /// Errors the channel and schedules a rejoin when the socket is up.
    /// Returns when the rejoin is due.
    fn fail_join(&mut self, now: Instant) -> Option<Instant> {
        self.state = ChannelState::Errored;
        self.join_ref = None;
        self.deadline = None;
        self.rejoin_at = match self.link {
            Link::Up => Some(now + self.rejoin.next_delay()),
            Link::Down => None,
        };
        self.rejoin_at
    }

    /// Closes the channel; returns the pushes still waiting for a reply.
    fn close(&mut self) -> Vec<T> {
        self.state = ChannelState::Closed;
        self.join_ref = None;
        self.leave_ref = None;
        self.deadline = None;
        self.rejoin_at = None;
        self.in_flight.drain()
    }

    fn take_held(&mut self) -> Vec<T> {
        self.held.drain(..).map(|held| held.token).collect()
    }
}

#[cfg(test)]
mod tests;
