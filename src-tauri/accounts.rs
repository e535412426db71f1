//! The account list: a JSON file in the app's config folder holding no
//! secret (tokens live only in the keychain, or come from a command), and
//! what it takes to sign an account in.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use chatpi_client::{Credentials, TokenError};
use serde::{Deserialize, Serialize};

use crate::{keychain, session::AccountSpec, token_command};

/// How an account signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Source {
    /// A user of the embedded local server; tokens are minted at connect.
    #[serde(rename_all = "camelCase")]
    Local { user_key: String },
    /// A Chatpi server; the token is in the keychain or from a command.
    #[serde(rename_all = "camelCase")]
    Remote {
        url: String,
        api_key: String,
        #[serde(default)]
        user_key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_command: Option<String>,
        #[serde(default)]
        has_user_token: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    pub id: String,
    pub label: String,
    pub source: Source,
    #[serde(default)]
    pub muted: bool,
    #[serde(default)]
    pub muted_channels: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsFile {
    pub accounts: Vec<AccountRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid account list: {source}")]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl AccountsFile {
    pub fn path(config_dir: &Path) -> PathBuf {
        config_dir.join("accounts.json")
    }

    /// The list, or `None` on first run (no file yet).
    pub fn load(path: &Path) -> Result<Option<Self>, AccountsError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|source| {
                AccountsError::Malformed {
                    path: path.to_owned(),
                    source,
                }
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(AccountsError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Writes the list atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), AccountsError> {
        let io = |source| AccountsError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The first-run list: two users of the embedded server, so switching
    /// accounts can be tried at once.
    pub fn first_run() -> Self {
        let local = |id: &str, label: &str, user: &str| AccountRecord {
            id: id.into(),
            label: label.into(),
            source: Source::Local {
                user_key: user.into(),
            },
            muted: false,
            muted_channels: Vec::new(),
        };
        Self {
            accounts: vec![
                local("local-alice", "Demo · Alice", "alice"),
                local("local-bob", "Demo · Bob", "bob"),
            ],
        }
    }

    pub fn has_local(&self) -> bool {
        self.accounts
            .iter()
            .any(|a| matches!(a.source, Source::Local { .. }))
    }
}

/// The auth key a JWT names in `sub`, read without verifying it (only to
/// tell one's own messages apart; the server verifies).
pub fn token_subject(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// Why the last token could not be had: `("keychain" | "token_command", why)`.
pub type TokenErrorSlot = Arc<Mutex<Option<(&'static str, String)>>>;

/// Where a remote account's token comes from at each connect. A failure is
/// also recorded in `slot`, so the account can say what went wrong.
pub fn remote_tokens(
    account_id: &str,
    token_command: Option<String>,
    has_user_token: bool,
    slot: TokenErrorSlot,
) -> Arc<dyn chatpi_client::TokenProvider> {
    let id = account_id.to_owned();
    Arc::new(move || {
        let (id, command, slot) = (id.clone(), token_command.clone(), slot.clone());
        async move {
            let token = match &command {
                Some(command) => token_command::run(command)
                    .await
                    .map_err(|e| ("token_command", e.to_string())),
                None => keychain::get(&id, keychain::Secret::AuthorizationToken)
                    .await
                    .map_err(|e| ("keychain", e.to_string())),
            };
            let token = match token {
                Ok(token) => token,
                Err((kind, why)) => {
                    if let Ok(mut slot) = slot.lock() {
                        *slot = Some((kind, why.clone()));
                    }
                    return Err(TokenError(why));
                }
            };
            if let Ok(mut slot) = slot.lock() {
                *slot = None;
            }
            let mut credentials = Credentials::new(token);
            if has_user_token {
                if let Ok(user) = keychain::get(&id, keychain::Secret::UserToken).await {
                    credentials = credentials.with_user_token(user);
                }
            }
            Ok::<_, TokenError>(credentials)
        }
    })
}

/// The spec to start a session for a remote record.
pub fn remote_spec(record: &AccountRecord) -> Option<AccountSpec> {
    let Source::Remote {
        url,
        api_key,
        user_key,
        token_command,
        has_user_token,
    } = &record.source
    else {
        return None;
    };
    let slot = TokenErrorSlot::default();
    Some(AccountSpec {
        id: record.id.clone(),
        label: record.label.clone(),
        url: url.clone(),
        api_key: api_key.clone(),
        user_key: user_key.clone(),
        user_name: user_key.clone(),
        tokens: remote_tokens(
            &record.id,
            token_command.clone(),
            *has_user_token,
            slot.clone(),
        ),
        token_error: slot,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_and_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = AccountsFile::path(dir.path());
        assert_eq!(AccountsFile::load(&path).unwrap(), None);
        let mut file = AccountsFile::first_run();
        file.accounts.push(AccountRecord {
            id: "work".into(),
            label: "Work".into(),
            source: Source::Remote {
                url: "wss://chat.example.com".into(),
                api_key: "k".into(),
                user_key: "me".into(),
                token_command: Some("pass show chatpi".into()),
                has_user_token: false,
            },
            muted: true,
            muted_channels: vec!["random".into()],
        });
        file.save(&path).unwrap();
        assert_eq!(AccountsFile::load(&path).unwrap(), Some(file));
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            AccountsFile::load(&path),
            Err(AccountsError::Malformed { .. })
        ));
    }

    #[test]
    fn reads_the_subject_of_a_jwt() {
        let secret = chatpi_server::Secret::generate();
        let token = secret.mint("carol", std::time::Duration::from_secs(60));
        assert_eq!(token_subject(&token).as_deref(), Some("carol"));
        assert_eq!(token_subject("not-a-jwt"), None);
    }
}
