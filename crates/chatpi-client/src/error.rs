//! The client's error type: what failed, and with which input.

use std::time::Duration;

/// Why a connect attempt failed, precise enough to tell the user what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("host unreachable: {0}")]
    Unreachable(String),
    #[error("TLS error: {0}")]
    Tls(String),
    /// The server answered the upgrade with HTTP 403: the token was refused.
    #[error("token refused (HTTP 403)")]
    TokenRefused,
    #[error("server answered HTTP {0}")]
    Http(u16),
    #[error("no token: {0}")]
    NoToken(String),
    #[error("WebSocket error: {0}")]
    Protocol(String),
    /// An open connection was lost (closed by the server, dead link, I/O).
    #[error("connection dropped: {0}")]
    Dropped(String),
}

impl ConnectError {
    /// Whether retrying at full speed is pointless (the token must change).
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::TokenRefused | Self::NoToken(_))
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("invalid server URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot connect: {0}")]
    Connect(#[from] ConnectError),
    #[error("the connection is closed")]
    Closed,
    #[error("the connection dropped before {event} on {topic} was answered")]
    LinkLost { topic: String, event: String },
    #[error("not connected; {event} on {topic} was not sent")]
    NotConnected { topic: String, event: String },
    #[error("no reply to {event} on {topic} within {timeout:?}")]
    Timeout {
        topic: String,
        event: String,
        timeout: Duration,
    },
    #[error("{event} on {topic} refused: {reason}")]
    Refused {
        topic: String,
        event: String,
        reason: String,
    },
    #[error("the server's channel {topic} crashed; {event} may not have been handled")]
    ChannelCrashed { topic: String, event: String },
    #[error("channel {topic} refused the join: {reason}")]
    JoinRefused { topic: String, reason: String },
    #[error("channel {topic} is not joined")]
    NotJoined { topic: String },
    #[error("malformed {what} from the server: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("HTTP request to {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error("HTTP {status} from {url}")]
    HttpStatus { url: String, status: u16 },
    #[error("malformed timestamp {0:?}: expected naive ISO-8601 like 2026-12-03T14:56:01")]
    Timestamp(String),
    #[error(transparent)]
    Outbox(#[from] crate::outbox::OutboxError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
