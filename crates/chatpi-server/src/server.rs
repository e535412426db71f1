//! Starting and stopping the server: the listener, the router, and the state
//! every connection shares.

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::{Query, State, WebSocketUpgrade},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Deserialize;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{auth::Secret, hub::Hub, rest, socket, Error, Result, Store};

/// How the server listens, where it stores, and its limits.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Loopback by default; port 0 picks a free port.
    pub addr: SocketAddr,
    pub db_path: PathBuf,
    /// The signing key file; `<db>.key` when not given.
    pub key_path: Option<PathBuf>,
    /// A socket that sends nothing for this long is closed (Chatpi: 45 s).
    pub idle_timeout: Duration,
    /// Larger text frames are dropped with a warning.
    pub max_frame_bytes: usize,
}

impl ServerConfig {
    pub fn new(db_path: impl Into<PathBuf>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db_path: db_path.into(),
            key_path: None,
            idle_timeout: Duration::from_secs(45),
            max_frame_bytes: 1 << 20,
        }
    }
}

/// What every connection and request handler shares.
pub struct Shared {
    pub store: Store,
    pub secret: Secret,
    pub hub: Hub,
    pub config: ServerConfig,
    pub shutdown: watch::Receiver<bool>,
    next_conn: AtomicU64,
}

/// A running server. Dropping it stops it; [`Server::shutdown`] also waits.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Opens the database, loads or creates the signing key, binds and
    /// starts serving in the background.
    pub async fn start(config: ServerConfig) -> Result<Self> {
        let store = Store::open(&config.db_path)?;
        let key_path = config
            .key_path
            .clone()
            .unwrap_or_else(|| Secret::default_path(&config.db_path));
        let secret = Secret::load_or_create(&key_path)?;
        let listener = TcpListener::bind(config.addr).await.map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                Error::AddressInUse { addr: config.addr }
            } else {
                Error::Bind {
                    addr: config.addr,
                    source,
                }
            }
        })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.addr,
            source,
        })?;
        let (stop, shutdown) = watch::channel(false);
        let shared = Arc::new(Shared {
            store,
            secret,
            hub: Hub::default(),
            config,
            shutdown: shutdown.clone(),
            next_conn: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/socket/websocket", get(upgrade))
            .nest("/api/v1", rest::routes())
            .with_state(shared.clone());
        let mut until = shutdown;
        let task = tokio::spawn(async move {
            let stopped = async move {
                let _ = until.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(error = %e, "server stopped with an error");
            }
        });
        tracing::info!(%addr, "chatpi-server listening");
        Ok(Self {
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://{addr}/socket/websocket`
    pub fn ws_url(&self) -> String {
        format!("ws://{}/socket/websocket", self.addr)
    }

    /// `http://{addr}`
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    pub fn secret(&self) -> &Secret {
        &self.shared.secret
    }

    /// Mints a token for `auth_key`, valid for `ttl`.
    pub fn mint_token(&self, auth_key: &str, ttl: Duration) -> String {
        self.shared.secret.mint(auth_key, ttl)
    }

    /// Closes every socket, stops listening and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the process is interrupted (Ctrl+C or SIGTERM).
    pub async fn run_until_signal(self) {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = ctrl_c => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        self.shutdown().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[derive(Deserialize)]
struct ConnectParams {
    token: Option<String>,
    vsn: Option<String>,
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<ConnectParams>,
    ws: WebSocketUpgrade,
) -> Response {
    if params.vsn.as_deref().is_some_and(|v| !v.starts_with("2.")) {
        return (
            StatusCode::BAD_REQUEST,
            "only serializer 2.0.0 is supported",
        )
            .into_response();
    }
    let Some(token) = params.token else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let auth_key = match shared.secret.verify(&token) {
        Ok(key) => key,
        Err(e) => {
            tracing::debug!(error = %e, "connect refused");
            return StatusCode::FORBIDDEN.into_response();
        }
    };
    let key = auth_key.clone();
    if let Err(e) = shared.store.call(move |s| s.ensure_user(&key)).await {
        tracing::error!(error = %e, "cannot record user");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
    // The transport limit sits well above ours so an oversized frame is
    // dropped with a warning instead of closing the socket.
    let limit = shared.config.max_frame_bytes.saturating_mul(4);
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| socket::run(socket, shared, auth_key, id))
}
