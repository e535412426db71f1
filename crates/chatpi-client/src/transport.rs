//! Opening the WebSocket: `ws://`, or `wss://` through rustls with the
//! system's certificate store; connect failures classified so the caller
//! can tell an unreachable host from a TLS problem from a refused token.

use std::sync::{Arc, OnceLock};

use time::{format_description::FormatItem, macros::format_description, PrimitiveDateTime};
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

/// An open socket and the server's clock at the upgrade (its `Date`
/// header), if it sent one.
pub(crate) struct Opened {
    pub ws: WsStream,
    pub server_date: Option<PrimitiveDateTime>,
}

/// Connects and completes the upgrade.
pub(crate) async fn connect(
    endpoint: &Endpoint,
    credentials: &Credentials,
    max_frame_bytes: usize,
) -> Result<Opened, ConnectError> {
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
        Ok((ws, response)) => {
            let server_date = response
                .headers()
                .get("date")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date);
            Ok(Opened { ws, server_date })
        }
        Err(e) => Err(classify(e)),
    }
}

const HTTP_DATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Reads an HTTP `Date` (IMF-fixdate, always UTC) as a naive UTC time.
pub(crate) fn parse_http_date(text: &str) -> Option<PrimitiveDateTime> {
    PrimitiveDateTime::parse(text.trim(), HTTP_DATE).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_http_date() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(crate::history::format_timestamp(t), "1994-11-06T08:49:37");
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
