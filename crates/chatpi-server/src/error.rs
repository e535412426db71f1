//! The server's error type: what failed, and with which input.

use std::{net::SocketAddr, path::PathBuf};

/// Everything that can go wrong when starting or using the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open database {path}: {source}")]
    OpenDatabase {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database {path} is locked by another process")]
    DatabaseLocked { path: PathBuf },
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("database {path} has schema version {found}, newer than this server knows ({known})")]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot read or write signing key {path}: {source}")]
    Key {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("signing key {path} is malformed: expected at least 32 bytes of hex")]
    MalformedKey { path: PathBuf },
    #[error("address {addr} is already in use")]
    AddressInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("token rejected: {0}")]
    Token(#[from] jsonwebtoken::errors::Error),
    #[error("no such user: {0}")]
    NoSuchUser(String),
    #[error("malformed timestamp {0:?}: expected naive ISO-8601 like 2026-12-03T14:56:01")]
    Timestamp(String),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
