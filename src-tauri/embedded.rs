//! The embedded default: with no account configured, the app runs a local
//! Chatpi-compatible server in-process on a free loopback port, with its
//! database and signing key (mode 0600) in the app's data folder, seeds a
//! demo once, and signs the user in with a token minted at each connect.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use chatpi_client::{Credentials, TokenError};
use chatpi_server::{demo, Secret, Server, ServerConfig};

use crate::session::AccountSpec;

/// Set to `127.0.0.1:PORT` to pin the embedded server's address (tests).
pub const ADDR_VAR: &str = "CHATPI_EMBEDDED_ADDR";
/// The API key of local accounts; it is part of every topic.
pub const API_KEY: &str = "local";
const TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

pub struct Embedded {
    pub server: Server,
    secret: Secret,
    names: std::collections::HashMap<String, String>,
}

impl Embedded {
    /// The spec for a local account signing in as `user_key`.
    pub fn spec(&self, id: &str, label: &str, user_key: &str) -> AccountSpec {
        let secret = self.secret.clone();
        let user = user_key.to_owned();
        let tokens = move || {
            let token = secret.mint(&user, TOKEN_TTL);
            async move { Ok::<_, TokenError>(Credentials::new(token)) }
        };
        AccountSpec {
            id: id.into(),
            label: label.into(),
            url: self.server.ws_url(),
            api_key: API_KEY.into(),
            user_key: user_key.into(),
            user_name: self
                .names
                .get(user_key)
                .cloned()
                .unwrap_or_else(|| user_key.to_owned()),
            tokens: Arc::new(tokens),
            token_error: Default::default(),
        }
    }
}

pub async fn start(data_dir: &Path) -> anyhow::Result<Embedded> {
    create_private_dir(data_dir)?;
    let addr: SocketAddr = match std::env::var(ADDR_VAR) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("{ADDR_VAR}={text} is not an address"))?,
        Err(_) => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let config = ServerConfig {
        addr,
        key_path: Some(data_dir.join("chatpi.key")),
        ..ServerConfig::new(data_dir.join("chatpi.db"))
    };
    let server = Server::start(config)
        .await
        .context("cannot start the local server")?;
    let seeded = demo::seed(server.store()).context("cannot seed the demo")?;
    let names = seeded
        .users
        .iter()
        .map(|u| (u.auth_key.clone(), u.username.clone()))
        .collect();
    let secret: Secret = server.secret().clone();
    tracing::info!(addr = %server.local_addr(), "embedded server started");
    Ok(Embedded {
        server,
        secret,
        names,
    })
}
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    Ok(())
}
