//! The error every command returns: a stable `{ kind, message }` the UI
//! branches on by `kind`, never by text.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new("not_found", format!("no such {what}"))
    }
}

impl From<chatpi_client::Error> for CommandError {
    fn from(e: chatpi_client::Error) -> Self {
        use chatpi_client::Error as E;
        let kind = match &e {
            E::Timeout { .. } => "timeout",
            E::Closed | E::NotConnected { .. } | E::LinkLost { .. } => "offline",
            E::Refused { .. } => "refused",
            E::JoinRefused { .. } => "unauthorized",
            E::NotJoined { .. } => "not_joined",
            E::ChannelCrashed { .. } => "crashed",
            E::Connect(c) if c.is_auth() => "expired",
            E::Connect(_) | E::Request { .. } => "unreachable",
            E::HttpStatus {
                status: 401 | 403, ..
            } => "expired",
            _ => "error",
        };
        Self::new(kind, e.to_string())
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
