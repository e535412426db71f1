//! The Chatpi `Connection`: a Phoenix Channels client for Chatpi servers.
//!
//! [`core`] is the protocol with no I/O (frames, refs, replies, the channel
//! state machine, heartbeats, backoff, presence). Around it, one tokio task
//! per connection owns the WebSocket; [`Connection`] is the handle to it and
//! [`Events`] the typed stream of what happens.
//!
//! ```no_run
//! use chatpi_client::{Connection, ConnectionConfig, Credentials, Event, OutgoingMessage};
//!
//! # async fn demo() -> chatpi_client::Result<()> {
//! let config = ConnectionConfig::new("ws://127.0.0.1:4000", "my-api-key", Credentials::new("JWT"))
//!     .channels(["lobby"]);
//! let (conn, mut events) = Connection::connect(config)?;
//! conn.watch_presence("lobby")?;
//! let sent = conn.send_message("lobby", OutgoingMessage::text("hello")).await?;
//! println!("stored as {} at {}", sent.id, sent.inserted_at);
//! while let Some(event) = events.recv().await {
//!     if let Event::Message { channel, message } = event {
//!         println!("#{channel} {}: {}", message.user_auth_key, message.text);
//!     }
//! }
//! # Ok(()) }
//! ```

mod connection;
pub mod core;
mod driver;
mod endpoint;
mod error;
mod event;
pub mod history;
mod model;
mod rest;
mod token;
mod transport;

pub use connection::{ChannelInfo, Connection, ConnectionConfig, JoinReply};
pub use core::{Meta, PresenceEntry, PresenceJoin, PresenceLeave, PresenceState};
pub use endpoint::Endpoint;
pub use error::{ConnectError, Error, Result};
pub use event::{ChannelStatus, ConnectionState, Event, Events};
pub use model::{
    Chat, ChatDetail, ChatList, HistoryQuery, Message, OutgoingMessage, Reaction, User,
    CLIENT_ID_KEY,
};
pub use rest::HistoryPage;
pub use token::{Credentials, CredentialsFuture, TokenError, TokenProvider};
