//! The commands the webview invokes: parse, call the session or the
//! account list, map the error.

use std::{sync::Arc, time::Duration};

use chatpi_client::{
    ConnectError, Connection, ConnectionConfig, ConnectionState, Credentials, Endpoint, Event,
};
use serde::{Deserialize, Serialize};
use tauri::{Manager, State};

use crate::{
    accounts::{token_subject, AccountRecord, Source},
    app::{AccountState, Ctx},
    error::{CommandError, CommandResult},
    keychain::{self, Secret},
    session::{OlderReply, OpenReply, WindowReply},
    token_command,
    view::{ChannelView, MemberView, PendingView},
    AppState,
};

/// How long the add form waits for the server to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStateView {
    accounts: Vec<AccountState>,
    active_account: Option<String>,
}

#[tauri::command]
pub async fn app_state(state: State<'_, AppState>) -> CommandResult<AppStateView> {
    let ctx = state.ctx().await?;
    let accounts = ctx.account_states();
    let active_account = ctx
        .screen()
        .account
        .or_else(|| accounts.first().map(|a| a.id.clone()));
    Ok(AppStateView {
        accounts,
        active_account,
    })
}

#[tauri::command]
pub async fn list_channels(
    state: State<'_, AppState>,
    account: String,
) -> CommandResult<Vec<ChannelView>> {
    Ok(state.ctx().await?.session(&account)?.channels())
}

#[tauri::command]
pub async fn open_channel(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<OpenReply> {
    let ctx = state.ctx().await?;
    ctx.set_screen(|s| {
        s.account = Some(account.clone());
        s.channel = Some(channel.clone());
    });
    ctx.session(&account)?.open_channel(&channel)
}

#[tauri::command]
pub async fn fetch_window(
    state: State<'_, AppState>,
    account: String,
    channel: String,
    start: usize,
    count: usize,
) -> CommandResult<WindowReply> {
    state
        .ctx()
        .await?
        .session(&account)?
        .window(&channel, start, count)
}

#[tauri::command]
pub async fn load_older(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<OlderReply> {
    state
        .ctx()
        .await?
        .session(&account)?
        .load_older(&channel)
        .await
}

#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    account: String,
    channel: String,
    text: String,
    reply_to: Option<String>,
) -> CommandResult<PendingView> {
    state
        .ctx()
        .await?
        .session(&account)?
        .send(&channel, text, reply_to)
}

/// Sends a refused message again.
#[tauri::command]
pub async fn retry_message(
    state: State<'_, AppState>,
    account: String,
    client_id: String,
) -> CommandResult<()> {
    state
        .ctx()
        .await?
        .session(&account)?
        .retry(&client_id)
        .await
}

/// Drops a queued message, sent or not.
#[tauri::command]
pub async fn discard_message(
    state: State<'_, AppState>,
    account: String,
    client_id: String,
) -> CommandResult<()> {
    state
        .ctx()
        .await?
        .session(&account)?
        .discard(&client_id)
        .await
}

#[tauri::command]
pub async fn react(
    state: State<'_, AppState>,
    account: String,
    channel: String,
    message_id: String,
    classifier: String,
) -> CommandResult<()> {
    state
        .ctx()
        .await?
        .session(&account)?
        .react(&channel, &message_id, &classifier)
        .await
}

#[tauri::command]
pub async fn set_typing(
    state: State<'_, AppState>,
    account: String,
    channel: String,
    typing: bool,
) -> CommandResult<()> {
    state
        .ctx()
        .await?
        .session(&account)?
        .set_typing(&channel, typing)
}

#[tauri::command]
pub async fn mark_read(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<()> {
    state.ctx().await?.session(&account)?.mark_read(&channel);
    Ok(())
}

#[tauri::command]
pub async fn presence(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<Vec<MemberView>> {
    Ok(state.ctx().await?.session(&account)?.presence(&channel))
}

/// What the add and edit forms send. Tokens are never sent back.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInput {
    #[serde(default)]
    label: String,
    url: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    authorization_token: Option<String>,
    #[serde(default)]
    user_token: Option<String>,
    #[serde(default)]
    token_command: Option<String>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn keychain_error(e: keychain::KeychainError) -> CommandError {
    CommandError::new("keychain", e.to_string())
}

/// Connects with these credentials and reads the chat list, naming what
/// failed: host unreachable, TLS error, token refused, no chat visible.
async fn probe(url: &str, api_key: &str, credentials: Credentials) -> CommandResult<()> {
    let (conn, mut events) = Connection::connect(ConnectionConfig::new(url, api_key, credentials))?;
    let opened = tokio::time::timeout(PROBE_TIMEOUT, async {
        while let Some(event) = events.recv().await {
            match event {
                Event::Connection(ConnectionState::Connected) => return Ok(()),
                Event::Connection(ConnectionState::Reconnecting { error, .. }) => {
                    return Err(error)
                }
                Event::Connection(ConnectionState::AuthRejected { .. }) => {
                    return Err(ConnectError::TokenRefused)
                }
                _ => {}
            }
        }
        Err(ConnectError::Unreachable("the connection ended".into()))
    })
    .await
    .unwrap_or_else(|_| Err(ConnectError::Unreachable("no answer within 15 s".into())));
    let result = match opened {
        Ok(()) => match conn.chats().await {
            Ok(list) if list.chats.is_empty() => Err(CommandError::new(
                "no_chats",
                "connected, but this account sees no chats",
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(CommandError::from(e)),
        },
        Err(error) => {
            let kind = match &error {
                ConnectError::Tls(_) => "tls",
                ConnectError::TokenRefused => "token_refused",
                ConnectError::NoToken(_) => "token_command",
                _ => "unreachable",
            };
            Err(CommandError::new(kind, error.to_string()))
        }
    };
    conn.disconnect().await;
    result
}

/// The token the form gives: from its command, or pasted.
async fn token_of(input: &AccountInput) -> CommandResult<Option<String>> {
    if let Some(command) = non_empty(input.token_command.clone()) {
        let token = token_command::run(&command)
            .await
            .map_err(|e| CommandError::new("token_command", e.to_string()))?;
        return Ok(Some(token));
    }
    Ok(non_empty(input.authorization_token.clone()))
}

fn label_of(input: &AccountInput) -> String {
    match non_empty(Some(input.label.clone())) {
        Some(label) => label,
        None => url::Url::parse(&input.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "Chatpi".into()),
    }
}

#[tauri::command]
pub async fn add_account(
    state: State<'_, AppState>,
    spec: AccountInput,
) -> CommandResult<AccountState> {
    let ctx = state.ctx().await?;
    Endpoint::parse(&spec.url).map_err(|e| CommandError::new("invalid", e.to_string()))?;
    let command = non_empty(spec.token_command.clone());
    let token = token_of(&spec)
        .await?
        .ok_or_else(|| CommandError::new("invalid", "paste a token or name a token command"))?;
    let user_token = non_empty(spec.user_token.clone());
    let mut credentials = Credentials::new(token.clone());
    if let Some(user) = &user_token {
        credentials = credentials.with_user_token(user.clone());
    }
    probe(&spec.url, &spec.api_key, credentials).await?;

    let id = format!("acct-{}", uuid::Uuid::new_v4().simple());
    if command.is_none() {
        keychain::set(&id, Secret::AuthorizationToken, &token)
            .await
            .map_err(keychain_error)?;
    }
    if let Some(user) = &user_token {
        keychain::set(&id, Secret::UserToken, user)
            .await
            .map_err(keychain_error)?;
    }
    let record = AccountRecord {
        id: id.clone(),
        label: label_of(&spec),
        source: Source::Remote {
            url: spec.url.trim().to_owned(),
            api_key: spec.api_key.trim().to_owned(),
            user_key: token_subject(&token).unwrap_or_default(),
            token_command: command,
            has_user_token: user_token.is_some(),
        },
        muted: false,
        muted_channels: Vec::new(),
    };
    ctx.update_records(|file| file.accounts.push(record.clone()))?;
    let session = ctx.start_session(&record)?;
    if let Ok(mut sessions) = ctx.sessions.write() {
        sessions.push(session);
    }
    ctx.accounts_changed();
    account_state(&ctx, &id)
}

fn account_state(ctx: &Ctx, id: &str) -> CommandResult<AccountState> {
    ctx.account_states()
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| CommandError::not_found("account"))
}

/// Signs an account in again with its current record and secrets.
async fn restart(ctx: &Arc<Ctx>, id: &str) -> CommandResult<()> {
    let record = ctx
        .records()
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| CommandError::not_found("account"))?;
    let old = ctx.session(id)?;
    old.conn.disconnect().await;
    let new = ctx.start_session(&record)?;
    if let Ok(mut sessions) = ctx.sessions.write() {
        if let Some(slot) = sessions.iter_mut().find(|s| s.account.id == id) {
            *slot = new;
        }
    }
    ctx.accounts_changed();
    Ok(())
}

#[tauri::command]
pub async fn edit_account(
    state: State<'_, AppState>,
    account: String,
    spec: AccountInput,
) -> CommandResult<AccountState> {
    let ctx = state.ctx().await?;
    let record = ctx
        .records()
        .into_iter()
        .find(|r| r.id == account)
        .ok_or_else(|| CommandError::not_found("account"))?;
    let label = label_of(&spec);
    let source = match record.source {
        Source::Local { user_key } => Source::Local { user_key },
        Source::Remote {
            user_key,
            has_user_token,
            ..
        } => {
            Endpoint::parse(&spec.url).map_err(|e| CommandError::new("invalid", e.to_string()))?;
            let command = non_empty(spec.token_command.clone());
            // Empty token fields keep what is stored.
            let new_token = token_of(&spec).await?;
            let new_user = non_empty(spec.user_token.clone());
            let token = match &new_token {
                Some(t) => t.clone(),
                None => keychain::get(&account, Secret::AuthorizationToken)
                    .await
                    .map_err(keychain_error)?,
            };
            probe(&spec.url, &spec.api_key, Credentials::new(token.clone())).await?;
            if command.is_none() {
                if let Some(t) = &new_token {
                    keychain::set(&account, Secret::AuthorizationToken, t)
                        .await
                        .map_err(keychain_error)?;
                }
            }
            if let Some(u) = &new_user {
                keychain::set(&account, Secret::UserToken, u)
                    .await
                    .map_err(keychain_error)?;
            }
            Source::Remote {
                url: spec.url.trim().to_owned(),
                api_key: spec.api_key.trim().to_owned(),
                user_key: token_subject(&token).unwrap_or(user_key),
                token_command: command,
                has_user_token: has_user_token || new_user.is_some(),
            }
        }
    };
    ctx.update_records(|file| {
        if let Some(r) = file.accounts.iter_mut().find(|r| r.id == account) {
            r.label = label;
            r.source = source;
        }
    })?;
    restart(&ctx, &account).await?;
    account_state(&ctx, &account)
}

#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, account: String) -> CommandResult<()> {
    let ctx = state.ctx().await?;
    let session = ctx.session(&account)?;
    // Secrets go first: if the keychain cannot delete them, the account
    // stays listed so removing it can be retried. A local account has
    // none, so it goes even with no keychain.
    let local = ctx.records.lock().is_ok_and(|file| {
        file.accounts
            .iter()
            .any(|r| r.id == account && matches!(r.source, Source::Local { .. }))
    });
    if !local {
        keychain::delete(&account, Secret::AuthorizationToken)
            .await
            .map_err(keychain_error)?;
        keychain::delete(&account, Secret::UserToken)
            .await
            .map_err(keychain_error)?;
    }
    session.conn.disconnect().await;
    if let Ok(mut sessions) = ctx.sessions.write() {
        sessions.retain(|s| s.account.id != account);
    }
    // Its unsent messages go with it: they could never be sent.
    let outbox = ctx.outbox.lock().ok().and_then(|db| db.clone());
    if let Some(db) = outbox {
        if let Err(error) = db.remove_account(&account) {
            tracing::error!(%account, %error, "cannot clear the removed account's outbox");
        }
    }
    ctx.update_records(|file| file.accounts.retain(|r| r.id != account))?;
    ctx.set_screen(|s| {
        if s.account.as_deref() == Some(account.as_str()) {
            s.account = None;
            s.channel = None;
        }
    });
    ctx.accounts_changed();
    Ok(())
}

#[tauri::command]
pub async fn reorder_accounts(state: State<'_, AppState>, order: Vec<String>) -> CommandResult<()> {
    let ctx = state.ctx().await?;
    let rank = |id: &str| order.iter().position(|o| o == id).unwrap_or(usize::MAX);
    if let Ok(mut sessions) = ctx.sessions.write() {
        sessions.sort_by_key(|s| rank(&s.account.id));
    }
    ctx.update_records(|file| file.accounts.sort_by_key(|r| rank(&r.id)))?;
    ctx.accounts_changed();
    Ok(())
}

#[tauri::command]
pub async fn set_token(
    state: State<'_, AppState>,
    account: String,
    authorization_token: String,
) -> CommandResult<()> {
    let ctx = state.ctx().await?;
    let token = authorization_token.trim();
    if token.is_empty() {
        return Err(CommandError::new("invalid", "paste a token"));
    }
    keychain::set(&account, Secret::AuthorizationToken, token)
        .await
        .map_err(keychain_error)?;
    restart(&ctx, &account).await
}

#[tauri::command]
pub async fn reconnect(state: State<'_, AppState>, account: String) -> CommandResult<()> {
    let ctx = state.ctx().await?;
    restart(&ctx, &account).await
}

#[tauri::command]
pub async fn set_muted(
    state: State<'_, AppState>,
    account: String,
    channel: Option<String>,
    muted: bool,
) -> CommandResult<()> {
    let ctx = state.ctx().await?;
    let session = ctx.session(&account)?;
    session.set_muted(channel.as_deref(), muted);
    ctx.save_mutes(&session)?;
    ctx.accounts_changed();
    Ok(())
}

#[tauri::command]
pub async fn set_active(
    state: State<'_, AppState>,
    account: String,
    channel: Option<String>,
) -> CommandResult<()> {
    let ctx = state.ctx().await?;
    ctx.set_screen(|s| {
        s.account = Some(account);
        s.channel = channel;
    });
    Ok(())
}

#[tauri::command]
pub async fn set_title(app: tauri::AppHandle, title: String) -> CommandResult<()> {
    if let Some(window) = app.get_webview_window("main") {
        window
            .set_title(&title)
            .map_err(|e| CommandError::new("error", e.to_string()))?;
    }
    Ok(())
}

/// The page has painted its first channel's messages: logs how long the
/// start took from process start, and the page's own phases (ms since its
/// navigation began), once per run.
#[tauri::command]
pub fn first_paint(phases: Option<serde_json::Map<String, serde_json::Value>>) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let elapsed_ms = crate::started().elapsed().as_secs_f64() * 1e3;
        let phases = serde_json::Value::Object(phases.unwrap_or_default()).to_string();
        tracing::info!(elapsed_ms, %phases, "first messages painted");
    });
}
