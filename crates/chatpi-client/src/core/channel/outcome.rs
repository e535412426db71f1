//! What the channel state machine hands back to its caller: the outcome of
//! each call, and the refusals. Every token in here is the caller's to settle.

use std::time::Instant;

use serde_json::Value;
use thiserror::Error;

use crate::core::frame::Frame;
use crate::core::push::{Reply, ReplyError};

/// Why the channel refused a call.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ChannelError {
    #[error("channel `{topic}` is already joined or joining")]
    AlreadyJoined { topic: String },
    #[error("channel `{topic}` is not joined, so `{event}` cannot be pushed")]
    NotJoined { topic: String, event: String },
}

/// A push the channel refused, with the caller's token handed back.
#[derive(Debug)]
pub struct Refused<T> {
    pub token: T,
    pub error: ChannelError,
}

/// What became of a push.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    /// Write this frame; its reply will come back as [`ChannelEvent::Reply`].
    Send(Frame),
    /// Held until the channel is joined, or failed at its deadline.
    Buffered,
}

/// What a leave asks of the caller.
#[derive(Debug)]
pub struct Leave<T> {
    /// The `phx_leave` to write, when there is a server-side channel to leave.
    pub frame: Option<Frame>,
    /// Pushes that will now never be sent or answered.
    pub failed: Vec<T>,
}

/// What a timeout asks of the caller.
#[derive(Debug)]
pub struct Tick<T> {
    /// Frames to write, in order (a leave after a timed-out join, a rejoin).
    pub frames: Vec<Frame>,
    /// Pushes whose deadline passed, sent or not.
    pub timed_out: Vec<T>,
}

/// What an incoming frame meant for the channel.
#[derive(Debug)]
pub enum ChannelEvent<T> {
    /// An event for the layer above (a broadcast or a server push).
    Message { event: String, payload: Value },
    /// The reply to a push. An error status is the server's answer, not a fault.
    Reply {
        token: T,
        reply: Result<Reply, ReplyError>,
    },
    /// The join succeeded. Write `released` (the pushes held while joining);
    /// `expired` are held pushes whose deadline passed: never sent, failed.
    Joined {
        response: Value,
        released: Vec<Frame>,
        expired: Vec<T>,
    },
    /// The join failed; a rejoin is due at `rejoin_at` (`None`: on socket open).
    JoinFailed {
        response: Value,
        rejoin_at: Option<Instant>,
    },
    /// The join was refused for good; `failed` are the held pushes.
    Rejected { reason: String, failed: Vec<T> },
    /// The channel crashed on the server: the pushes waiting for a reply have
    /// failed, and a rejoin is due at `rejoin_at`.
    Errored {
        failed: Vec<T>,
        rejoin_at: Option<Instant>,
    },
    /// The channel closed (left, or closed by the server).
    Closed { failed: Vec<T> },
    /// From an earlier join of this topic: dropped.
    Stale,
    /// Nothing to do (say, the reply to a push that already timed out).
    Ignored,
}
