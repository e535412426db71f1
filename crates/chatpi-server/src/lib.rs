//! A single-node Chatpi-compatible server.
//!
//! It speaks the wire contract of a real Chatpi deployment (Phoenix Channels,
//! serializer 2.0.0, JWT auth, presence, REST) on top of SQLite, so the desktop
//! app runs on a fresh machine with no account, and every test has an honest
//! peer. It is not a scaled service: production stays on real Chatpi.
//!
//! Start it in-process with [`Server::start`]; seed data through [`Store`];
//! mint tokens with [`Secret::mint`].

mod auth;
mod channel;
pub mod demo;
mod error;
mod frame;
mod hub;
mod rest;
mod server;
mod socket;
mod store;
mod timestamp;

pub use auth::{Claims, Secret};
pub use error::{Error, Result};
pub use server::{Server, ServerConfig};
pub use store::{Chat, ChatDetail, Message, NewMessage, Reaction, Store, User, HISTORY_PAGE};
pub use timestamp::{format_naive, now_naive, parse_naive};
