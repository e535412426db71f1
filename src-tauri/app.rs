//! The app's shared state: every account's session in the user's order,
//! what is on screen, the account list file, the embedded server, and how
//! notifications reach the desktop.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, RwLock,
    },
};

use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Emitter};

use crate::{
    accounts::{AccountRecord, AccountsFile, Source},
    embedded::Embedded,
    error::{CommandError, CommandResult},
    events::Batcher,
    notify,
    outbox::OutboxDb,
    session::{Mutes, Session},
};

/// A notification to show.
#[derive(Debug, Clone)]
pub struct Notice {
    pub account: String,
    pub channel: String,
    pub summary: String,
    pub body: String,
}

/// What is on screen, owned.
#[derive(Debug, Clone, Default)]
pub struct ScreenState {
    pub account: Option<String>,
    pub channel: Option<String>,
    pub focused: bool,
}

impl ScreenState {
    pub fn as_ref(&self) -> notify::Screen<'_> {
        notify::Screen {
            account: self.account.as_deref(),
            channel: self.channel.as_deref(),
            focused: self.focused,
        }
    }
}

/// An account as the UI lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountState {
    pub id: String,
    pub label: String,
    pub user_key: String,
    pub user_name: String,
    pub kind: &'static str,
    pub url: String,
    /// Not secret: shown again in the edit form.
    pub api_key: String,
    pub token_command: Option<String>,
    pub status: serde_json::Value,
    pub unread: u64,
    pub muted: bool,
}

pub struct Ctx {
    pub batcher: Arc<Batcher>,
    pub handle: AppHandle,
    pub sessions: RwLock<Vec<Arc<Session>>>,
    screen: Mutex<ScreenState>,
    pub records: Mutex<AccountsFile>,
    pub accounts_path: PathBuf,
    pub embedded: Mutex<Option<Arc<Embedded>>>,
    /// Every account's queued messages, opened at start-up.
    pub outbox: Mutex<Option<OutboxDb>>,
    /// Set while a `chat://accounts` is due, so a flood sends one.
    accounts_dirty: AtomicBool,
    /// The tray, the badge and the user's desktop preferences.
    pub desktop: crate::desktop::Desktop,
}

impl Ctx {
    pub fn new(
        handle: AppHandle,
        batcher: Arc<Batcher>,
        accounts_path: PathBuf,
        desktop: crate::desktop::Desktop,
    ) -> Arc<Self> {
        Arc::new(Self {
            batcher,
            handle,
            sessions: RwLock::new(Vec::new()),
            screen: Mutex::new(ScreenState {
                focused: true,
                ..ScreenState::default()
            }),
            records: Mutex::new(AccountsFile::default()),
            accounts_path,
            embedded: Mutex::new(None),
            outbox: Mutex::new(None),
            accounts_dirty: AtomicBool::new(false),
            desktop,
        })
    }

    pub fn notifications_paused(&self) -> bool {
        self.desktop.notifications_paused()
    }

    pub fn screen(&self) -> ScreenState {
        self.screen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set_screen(&self, f: impl FnOnce(&mut ScreenState)) {
        if let Ok(mut screen) = self.screen.lock() {
            f(&mut screen);
        }
    }

    pub fn sessions(&self) -> Vec<Arc<Session>> {
        self.sessions.read().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn session(&self, id: &str) -> CommandResult<Arc<Session>> {
        self.sessions()
            .into_iter()
            .find(|s| s.account.id == id)
            .ok_or_else(|| CommandError::not_found("account"))
    }

    pub fn account_count(&self) -> usize {
        self.sessions.read().map(|s| s.len()).unwrap_or(0)
    }

    pub fn records(&self) -> Vec<AccountRecord> {
        self.records
            .lock()
            .map(|r| r.accounts.clone())
            .unwrap_or_default()
    }

    /// Changes the account list and writes it.
    pub fn update_records(&self, f: impl FnOnce(&mut AccountsFile)) -> CommandResult<()> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut records);
        records
            .save(&self.accounts_path)
            .map_err(|e| CommandError::new("io", e.to_string()))
    }

    /// Keeps a session's mutes in the account list.
    pub fn save_mutes(&self, session: &Session) -> CommandResult<()> {
        let mutes = session.mutes();
        self.update_records(|file| {
            if let Some(r) = file
                .accounts
                .iter_mut()
                .find(|r| r.id == session.account.id)
            {
                r.muted = mutes.account;
                r.muted_channels = mutes.channels.clone();
                r.muted_channels.sort();
            }
        })
    }

    pub fn account_states(&self) -> Vec<AccountState> {
        let records = self.records();
        self.sessions()
            .iter()
            .map(|s| {
                let record = records.iter().find(|r| r.id == s.account.id);
                let (kind, url, api_key, token_command) = match record.map(|r| &r.source) {
                    Some(Source::Remote {
                        url,
                        api_key,
                        token_command,
                        ..
                    }) => (
                        "remote",
                        url.clone(),
                        api_key.clone(),
                        token_command.clone(),
                    ),
                    _ => ("local", String::new(), String::new(), None),
                };
                AccountState {
                    id: s.account.id.clone(),
                    label: s.account.label.clone(),
                    user_key: s.account.user_key.clone(),
                    user_name: s.account.user_name.clone(),
                    kind,
                    url,
                    api_key,
                    token_command,
                    status: s.status_payload(&s.conn.state()),
                    unread: s.unread(),
                    muted: s.muted(),
                }
            })
            .collect()
    }

    /// Tells the UI the account list changed, a frame later and once for
    /// any number of changes. Callers may hold a session's lock: the list
    /// is read afterwards, on another task.
    pub fn accounts_changed(self: &Arc<Self>) {
        if self.accounts_dirty.swap(true, Ordering::AcqRel) {
            return;
        }
        let ctx = self.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(crate::events::FRAME).await;
            ctx.accounts_dirty.store(false, Ordering::Release);
            let accounts = ctx.account_states();
            let total = accounts.iter().filter(|a| !a.muted).map(|a| a.unread).sum();
            ctx.desktop.set_unread(total);
            ctx.batcher
                .global("chat://accounts", json!({ "accounts": accounts }));
        });
    }

    /// Starts the session of one account record.
    pub fn start_session(self: &Arc<Self>, record: &AccountRecord) -> CommandResult<Arc<Session>> {
        let spec = match &record.source {
            Source::Local { user_key } => {
                let embedded = self
                    .embedded
                    .lock()
                    .ok()
                    .and_then(|e| e.clone())
                    .ok_or_else(|| {
                        CommandError::new("startup", "the local server is not running")
                    })?;
                embedded.spec(&record.id, &record.label, user_key)
            }
            Source::Remote { .. } => crate::accounts::remote_spec(record)
                .ok_or_else(|| CommandError::new("invalid", "not a remote account"))?,
        };
        let mutes = Mutes {
            account: record.muted,
            channels: record.muted_channels.clone(),
        };
        let outbox = self
            .outbox
            .lock()
            .ok()
            .and_then(|db| db.as_ref().map(|db| db.account(&record.id)))
            .ok_or_else(|| CommandError::new("startup", "the outbox database is not open"))?;
        Session::start(spec, self, mutes, outbox)
    }

    /// Shows a notification; a click brings the window forward on that
    /// account and channel.
    pub fn notify(&self, notice: Notice) {
        tracing::debug!(account = %notice.account, channel = %notice.channel, "notifying");
        deliver(self.handle.clone(), notice);
    }
}

/// Brings the window forward on `account` and `channel`.
pub fn navigate(handle: &AppHandle, account: &str, channel: &str) {
    crate::desktop::show(handle);
    let _ = handle.emit(
        "chat://navigate",
        json!({ "account": account, "channel": channel }),
    );
}

#[cfg(target_os = "linux")]
fn deliver(handle: AppHandle, notice: Notice) {
    // notify-rust reports the default action (a click on the notification)
    // on Linux, where the notification plugin does not; it waits on its own
    // thread until the notification is clicked or closed.
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Chatpi")
            .summary(&notice.summary)
            .body(&notice.body)
            .icon("chatpi-desktop")
            .action("default", "Open")
            .show();
        match shown {
            Ok(sent) => sent.wait_for_action(|action| {
                if action == "default" {
                    navigate(&handle, &notice.account, &notice.channel);
                }
            }),
            Err(error) => tracing::warn!(%error, "cannot show a notification"),
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn deliver(handle: AppHandle, notice: Notice) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(error) = handle
        .notification()
        .builder()
        .title(&notice.summary)
        .body(&notice.body)
        .show()
    {
        tracing::warn!(%error, "cannot show a notification");
    }
}
