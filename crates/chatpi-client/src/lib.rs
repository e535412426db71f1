#![doc = include_str!("../README.md")]
//!
//! [`core`] is the protocol with no I/O (frames, refs, replies, the channel
//! state machine, heartbeats, backoff, presence, and the backfill and outbox
//! rules). Around it, one tokio task per connection owns the WebSocket;
//! [`Connection`] is the handle to it, [`Events`] the typed stream of what
//! happens and [`OutboxEvents`] that of queued messages.

mod connection;
pub mod core;
mod driver;
mod endpoint;
mod error;
mod event;
pub mod history;
mod model;
pub mod outbox;
mod rest;
mod token;
mod transport;

pub use connection::{ChannelInfo, Connection, ConnectionConfig, JoinReply};
pub use core::{
    Meta, OutboxEntry, OutboxState, PresenceEntry, PresenceJoin, PresenceLeave, PresenceState,
};
pub use endpoint::Endpoint;
pub use error::{ConnectError, Error, Result};
pub use event::{ChannelStatus, ConnectionState, Event, Events};
pub use model::{
    Chat, ChatDetail, ChatList, HistoryQuery, Message, OutgoingMessage, Reaction, User,
    CLIENT_ID_KEY,
};
pub use outbox::{MemoryOutbox, OutboxError, OutboxEvent, OutboxEvents, OutboxStore};
pub use rest::HistoryPage;
pub use token::{Credentials, CredentialsFuture, TokenError, TokenProvider};
