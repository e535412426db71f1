//! Secrets in the OS keychain (Secret Service on Linux, through `keyring`
//! with its backend chosen explicitly in Cargo.toml). Every call runs off
//! the async runtime and is bounded in time: a keychain that is missing,
//! locked or waiting on a prompt gives a clear error, never a hang, and
//! never a fallback to a file or to memory.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

/// The keychain service every entry of this app lives under.
pub const SERVICE: &str = "dev.chatpi.desktop";
/// How long one keychain call may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    #[error("it has not answered in {0:?}; it may be locked, waiting on an unlock prompt")]
    Timeout(Duration),
    #[error("it is locked; unlock your login keyring, then press Retry")]
    Locked,
    #[error("no keychain is available: {0}")]
    Unavailable(String),
    #[error("the keychain refused access: {0}")]
    Refused(String),
    #[error("no secret is stored for this account")]
    Missing,
}

/// Which secret of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    AuthorizationToken,
    UserToken,
}

fn entry_name(account: &str, secret: Secret) -> String {
    match secret {
        Secret::AuthorizationToken => format!("{account}:authorization-token"),
        Secret::UserToken => format!("{account}:user-token"),
    }
}

fn map_err(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoEntry => KeychainError::Missing,
        keyring::Error::NoStorageAccess(inner) if is_locked(inner.as_ref()) => {
            KeychainError::Locked
        }
        keyring::Error::NoStorageAccess(inner) => KeychainError::Refused(inner.to_string()),
        keyring::Error::PlatformFailure(inner) => KeychainError::Unavailable(inner.to_string()),
        other => KeychainError::Unavailable(other.to_string()),
    }
}

/// Whether the Secret Service refused because the collection is locked and
/// its unlock prompt could not be shown or was dismissed.
fn is_locked(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    matches!(
        inner.downcast_ref::<dbus_secret_service::Error>(),
        Some(dbus_secret_service::Error::Locked | dbus_secret_service::Error::Prompt)
    )
}

/// One lock per entry, held by the call running on it.
static ENTRIES: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>> = Mutex::new(BTreeMap::new());

fn entry_lock(name: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut entries = ENTRIES.lock().unwrap_or_else(|p| p.into_inner());
    entries.entry(name.to_owned()).or_default().clone()
}

/// Runs `f` on entry `name` on a blocking thread, answering within
/// [`TIMEOUT`].
async fn bounded<T: Send + 'static>(
    name: String,
    f: impl FnOnce(&str) -> Result<T, KeychainError> + Send + 'static,
) -> Result<T, KeychainError> {
    // A call stuck on a locked collection (its unlock prompt up, or never
    // answered) keeps its thread, and its entry's lock, for as long as that
    // lasts. Calls on one entry take turns, so a retry waits for the stuck
    // one instead of stranding a thread of its own; the caller gets its
    // answer on time all the same.
    let lock = entry_lock(&name);
    let call = async move {
        let held = lock.lock_owned().await;
        tokio::task::spawn_blocking(move || {
            let _held = held;
            f(&name)
        })
        .await
    };
    match tokio::time::timeout(TIMEOUT, call).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(KeychainError::Unavailable(join.to_string())),
        Err(_) => Err(KeychainError::Timeout(TIMEOUT)),
    }
}

pub async fn get(account: &str, secret: Secret) -> Result<String, KeychainError> {
    bounded(entry_name(account, secret), |name| {
        let entry = keyring::Entry::new(SERVICE, name).map_err(map_err)?;
        entry.get_password().map_err(map_err)
    })
    .await
}

pub async fn set(account: &str, secret: Secret, value: &str) -> Result<(), KeychainError> {
    let value = value.to_owned();
    bounded(entry_name(account, secret), move |name| {
        let entry = keyring::Entry::new(SERVICE, name).map_err(map_err)?;
        entry.set_password(&value).map_err(map_err)
    })
    .await
}

/// Deletes a secret; one that is not there counts as deleted.
pub async fn delete(account: &str, secret: Secret) -> Result<(), KeychainError> {
    bounded(entry_name(account, secret), |name| {
        let entry = keyring::Entry::new(SERVICE, name).map_err(map_err)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_on_one_entry_take_turns_instead_of_failing() {
        let order = Arc::new(Mutex::new(Vec::new()));
        let slow = {
            let order = order.clone();
            bounded("turns".into(), move |_| {
                std::thread::sleep(Duration::from_millis(300));
                order.lock().unwrap().push("slow");
                Ok(1)
            })
        };
        let fast = {
            let order = order.clone();
            async move {
                // Asked while the slow call runs.
                tokio::time::sleep(Duration::from_millis(50)).await;
                bounded("turns".into(), move |_| {
                    order.lock().unwrap().push("fast");
                    Ok(2)
                })
                .await
            }
        };
        let (a, b) = tokio::join!(slow, fast);
        assert_eq!((a, b), (Ok(1), Ok(2)));
        assert_eq!(*order.lock().unwrap(), ["slow", "fast"]);
    }

    #[tokio::test]
    async fn no_secret_service_is_a_clear_error_within_the_bound() {
        // No bus at this address, so no Secret Service: the answer must be
        // an error that says so, on time, and never a secret from elsewhere.
        std::env::set_var(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/chatpi-no-bus",
        );
        let started = std::time::Instant::now();
        let err = get("nobody", Secret::AuthorizationToken).await.unwrap_err();
        assert!(
            started.elapsed() <= TIMEOUT + Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(
                err,
                KeychainError::Unavailable(_) | KeychainError::Refused(_)
            ),
            "unexpected: {err:?}"
        );
        let err = set("nobody", Secret::AuthorizationToken, "x")
            .await
            .unwrap_err();
        assert!(!matches!(err, KeychainError::Missing), "{err:?}");
    }
}
