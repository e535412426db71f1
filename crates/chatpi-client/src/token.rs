//! Where connect credentials come from. The driver asks its provider again
//! before every connect, so a refreshed token (short-lived tokens are the
//! norm for real Chatpi deployments) is used without rebuilding anything.

use std::{future::Future, pin::Pin};

/// The connect params a Chatpi server reads: `token` (verified) and
/// `userToken` (sent for compatibility).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub authorization_token: String,
    pub user_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens never reach a log.
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn new(authorization_token: impl Into<String>) -> Self {
        Self {
            authorization_token: authorization_token.into(),
            user_token: None,
        }
    }

    pub fn with_user_token(mut self, user_token: impl Into<String>) -> Self {
        self.user_token = Some(user_token.into());
        self
    }
}

/// A provider that could not produce credentials (a keychain that is
/// locked, a token command that failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, TokenError>> + Send + 'a>>;

/// Supplies credentials at each connect.
pub trait TokenProvider: Send + Sync + 'static {
    fn credentials(&self) -> CredentialsFuture<'_>;
}

impl TokenProvider for Credentials {
    fn credentials(&self) -> CredentialsFuture<'_> {
        let creds = self.clone();
        Box::pin(async move { Ok(creds) })
    }
}

/// Any `Fn() -> impl Future<Output = Result<Credentials, TokenError>>`.
impl<F, Fut> TokenProvider for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Credentials, TokenError>> + Send + 'static,
{
    fn credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self())
    }
}
