//! Opening the WebSocket: `ws://`, or `wss://` through rustls with the
//! system's certificate store; connect failures classified so the caller
//! can tell an unreachable host from a TLS problem from a refused token.

use std::sync::{Arc, OnceLock};

use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{self, protocol::WebSocketConfig},
    Connector, MaybeTlsStream, WebSocketStream,
};

use crate::{endpoint::Endpoint, token::Credentials, ConnectError};

pub(crate) type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The rustls configuration shared by the socket and REST: ring for crypto,
/// the platform's roots. Loaded once per process.
pub(crate) fn tls_config() -> Result<Arc<rustls::ClientConfig>, ConnectError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, ConnectError>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::warn!(%error, "skipping unreadable system certificate");
            }
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(ConnectError::Tls(
                    "no usable certificates in the system store".into(),
                ));
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| ConnectError::Tls(e.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

/// Connects and completes the upgrade.
pub(crate) async fn connect(
    endpoint: &Endpoint,
    credentials: &Credentials,
    max_frame_bytes: usize,
) -> Result<WsStream, ConnectError> {
    let url = endpoint.socket_url(
        &credentials.authorization_token,
        credentials.user_token.as_deref(),
    );
    let connector = if endpoint.is_tls() {
        Some(Connector::Rustls(tls_config()?))
    } else {
        None
    };
    // The transport admits frames above our limit so the codec can report
    // an oversized frame and drop it, instead of the socket failing.
    let limit = max_frame_bytes.saturating_mul(4);
    let config = WebSocketConfig::default()
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    match tokio_tungstenite::connect_async_tls_with_config(
        url.as_str(),
        Some(config),
        true,
        connector,
    )
    .await
    {
        Ok((ws, _response)) => Ok(ws),
        Err(e) => Err(classify(e)),
    }
}

fn classify(e: tungstenite::Error) -> ConnectError {
    use tungstenite::Error as E;
    match e {
        E::Http(response) if response.status() == 403 => ConnectError::TokenRefused,
        E::Http(response) => ConnectError::Http(response.status().as_u16()),
        E::Io(io) => ConnectError::Unreachable(io.to_string()),
        E::Tls(tls) => ConnectError::Tls(tls.to_string()),
        // URL errors could echo the query string, which holds the token.
        E::Url(_) => ConnectError::Protocol("invalid socket URL".into()),
        other => ConnectError::Protocol(other.to_string()),
    }
}
