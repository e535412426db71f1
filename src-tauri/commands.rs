//! The commands the webview invokes: parse, call the session, map the error.

use std::sync::Arc;

use serde::Serialize;
use tauri::State;

use crate::{
    error::{CommandError, CommandResult},
    session::{status_payload, AccountView, OlderReply, OpenReply, Session, WindowReply},
    view::{ChannelView, MemberView, MessageView},
    AppState,
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStateView {
    accounts: Vec<AccountState>,
    active_account: Option<String>,
}

/// An account with its connection status now: a `chat://status` sent
/// before the page listened is not lost.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountState {
    #[serde(flatten)]
    account: AccountView,
    status: serde_json::Value,
}

async fn session(state: &AppState, account: &str) -> CommandResult<Arc<Session>> {
    state
        .sessions()
        .await?
        .into_iter()
        .find(|s| s.account.id == account)
        .ok_or_else(|| CommandError::not_found("account"))
}

#[tauri::command]
pub async fn app_state(state: State<'_, AppState>) -> CommandResult<AppStateView> {
    let sessions = state.sessions().await?;
    let accounts: Vec<AccountState> = sessions
        .iter()
        .map(|s| AccountState {
            account: s.account.clone(),
            status: status_payload(&s.account.id, &s.conn.state()),
        })
        .collect();
    let active_account = accounts.first().map(|a| a.account.id.clone());
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
    Ok(session(&state, &account).await?.channels())
}

#[tauri::command]
pub async fn open_channel(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<OpenReply> {
    session(&state, &account).await?.open_channel(&channel)
}

#[tauri::command]
pub async fn fetch_window(
    state: State<'_, AppState>,
    account: String,
    channel: String,
    start: usize,
    count: usize,
) -> CommandResult<WindowReply> {
    session(&state, &account)
        .await?
        .window(&channel, start, count)
}

#[tauri::command]
pub async fn load_older(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<OlderReply> {
    session(&state, &account).await?.load_older(&channel).await
}

#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    account: String,
    channel: String,
    text: String,
    reply_to: Option<String>,
) -> CommandResult<MessageView> {
    session(&state, &account)
        .await?
        .send(&channel, text, reply_to)
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
    session(&state, &account)
        .await?
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
    session(&state, &account)
        .await?
        .set_typing(&channel, typing)
}

#[tauri::command]
pub async fn mark_read(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<()> {
    session(&state, &account).await?.mark_read(&channel);
    Ok(())
}

#[tauri::command]
pub async fn presence(
    state: State<'_, AppState>,
    account: String,
    channel: String,
) -> CommandResult<Vec<MemberView>> {
    Ok(session(&state, &account).await?.presence(&channel))
}
