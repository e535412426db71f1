//! What a `Connection` tells its owner: a typed stream of events, and the
//! states that every change of the connection and its channels goes through.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::{
    core::{PresenceJoin, PresenceLeave},
    ConnectError, Message, Reaction,
};

/// Where the connection stands. Every change is an [`Event::Connection`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Opening the socket (asking the token provider first).
    Connecting,
    Connected,
    /// The link is down; the next attempt is in `retry_in`.
    Reconnecting {
        retry_in: Duration,
        error: ConnectError,
    },
    /// The server refused the token: the user must give a new one. Attempts
    /// go on slowly (the token provider may refresh it), every `retry_in`.
    AuthRejected {
        retry_in: Duration,
    },
    /// Disconnected on request; final.
    Closed,
}

/// Where a channel stands, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelStatus {
    Closed,
    Joining,
    Joined,
    Leaving,
    /// The join failed or the server's channel crashed; rejoining.
    Errored,
    /// The server refused the join for good (`unauthorized`).
    Rejected {
        reason: String,
    },
}

impl From<&crate::core::ChannelState> for ChannelStatus {
    fn from(state: &crate::core::ChannelState) -> Self {
        use crate::core::ChannelState as S;
        match state {
            S::Closed => Self::Closed,
            S::Joining => Self::Joining,
            S::Joined => Self::Joined,
            S::Leaving => Self::Leaving,
            S::Errored => Self::Errored,
            S::Rejected { reason } => Self::Rejected {
                reason: reason.clone(),
            },
        }
    }
}

/// One thing that happened on a connection. `channel` is the channel id
/// (the last segment of the topic).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Connection(ConnectionState),
    Channel {
        channel: String,
        status: ChannelStatus,
    },
    /// A join or rejoin succeeded; `messages` is the history its query asked
    /// for (oldest first), empty without a query.
    Joined {
        channel: String,
        messages: Vec<Message>,
        reactions: Vec<Reaction>,
    },
    Message {
        channel: String,
        message: Message,
    },
    Reaction {
        channel: String,
        reaction: Reaction,
    },
    /// Presence changed on a watched channel; [`crate::Connection::presence`]
    /// has the whole state.
    Presence {
        channel: String,
        joins: Vec<PresenceJoin>,
        leaves: Vec<PresenceLeave>,
    },
}

/// The event stream of one connection. Events queue without bound, so a
/// slow reader delays nothing and loses nothing.
pub struct Events {
    pub(crate) rx: mpsc::UnboundedReceiver<Event>,
}

impl Events {
    /// The next event; `None` once the connection is gone and drained.
    pub async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// An event if one is queued.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}
