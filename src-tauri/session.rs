//! One signed-in account: its `Connection`, its channels with their unread
//! counts and message stores, and the task that turns the connection's
//! events into state and UI events.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard, Weak},
};

use chatpi_client::{
    ChatList, Connection, ConnectionConfig, ConnectionState, Credentials, Event, Events,
    HistoryPage, HistoryQuery, Message, OutboxEvent, OutboxEvents, OutgoingMessage, TokenProvider,
};
use serde::Serialize;
use serde_json::json;

use crate::{
    app::Ctx,
    error::{CommandError, CommandResult},
    notify,
    outbox::AccountOutbox,
    store::ChannelStore,
    view::{self, ChannelView, MemberView, MessageView, Names, PendingView},
};

/// The lobby is open to every user of a server.
pub const LOBBY: &str = "lobby";
/// How many of the newest messages `open_channel` sends.
const OPEN_WINDOW: usize = 100;
/// Every (re)join asks for the newest page of the whole history.
const FROM: &str = "1970-01-01T00:00:00";
const UNTIL: &str = "9999-12-31T23:59:59";

/// How to reach and sign in to an account.
#[derive(Clone)]
pub struct AccountSpec {
    pub id: String,
    pub label: String,
    pub url: String,
    pub api_key: String,
    pub user_key: String,
    pub user_name: String,
    pub tokens: Arc<dyn TokenProvider>,
    /// Set by `tokens` when it fails: `("keychain" | "token_command", why)`.
    pub token_error: Arc<Mutex<Option<(&'static str, String)>>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: String,
    pub label: String,
    pub user_key: String,
    pub user_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenReply {
    pub total: usize,
    pub messages: Vec<MessageView>,
    pub has_older: bool,
    /// One's own messages not stored yet, in the order they were written;
    /// they show below the newest message.
    pub pending: Vec<PendingView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowReply {
    pub total: usize,
    pub start: usize,
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OlderReply {
    pub added: usize,
    pub total: usize,
    pub has_older: bool,
}

struct ChannelMeta {
    id: String,
    name: String,
    unread: u64,
}

#[derive(Default)]
struct State {
    channels: Vec<ChannelMeta>,
    stores: HashMap<String, ChannelStore>,
    names: Names,
    active: Option<String>,
    muted: bool,
    muted_channels: HashSet<String>,
}

/// Whether notifications are muted, for the account and per channel.
#[derive(Debug, Clone, Default)]
pub struct Mutes {
    pub account: bool,
    pub channels: Vec<String>,
}

pub struct Session {
    pub account: AccountView,
    pub conn: Connection,
    state: Mutex<State>,
    ctx: Weak<Ctx>,
    /// Why the last token could not be had, if it could not.
    token_error: Arc<Mutex<Option<(&'static str, String)>>>,
}

impl Session {
    /// Connects and joins the lobby at once; reads the chat list and joins
    /// every chat in the background (a server that cannot be reached yet
    /// still gives a session: the connection keeps retrying). Messages
    /// queued in `outbox` by an earlier run are sent once their channels
    /// have joined.
    pub fn start(
        spec: AccountSpec,
        ctx: &Arc<Ctx>,
        mutes: Mutes,
        outbox: AccountOutbox,
    ) -> CommandResult<Arc<Self>> {
        let history = HistoryQuery {
            after: Some(FROM.into()),
            before: Some(UNTIL.into()),
        };
        let mut config = ConnectionConfig::new(&spec.url, &spec.api_key, Credentials::new(""))
            .history(history.clone())
            .channels([LOBBY])
            .outbox(outbox);
        config.tokens = spec.tokens.clone();
        let (conn, events) = Connection::connect(config)?;
        conn.watch_presence(LOBBY)?;
        let outbox_events = conn.outbox_events();

        let mut state = State {
            muted: mutes.account,
            ..State::default()
        };
        state.muted_channels = mutes.channels.into_iter().collect();
        state
            .names
            .insert(spec.user_key.clone(), spec.user_name.clone());
        state.channels.push(ChannelMeta {
            id: LOBBY.into(),
            name: LOBBY.into(),
            unread: 0,
        });
        state.stores.insert(LOBBY.into(), ChannelStore::new());
        let session = Arc::new(Self {
            account: AccountView {
                id: spec.id,
                label: spec.label,
                user_key: spec.user_key,
                user_name: spec.user_name,
            },
            conn,
            state: Mutex::new(state),
            ctx: Arc::downgrade(ctx),
            token_error: spec.token_error.clone(),
        });
        tauri::async_runtime::spawn(session.clone().pump(events));
        if let Some(outbox_events) = outbox_events {
            tauri::async_runtime::spawn(session.clone().pump_outbox(outbox_events));
        }
        tauri::async_runtime::spawn(session.clone().load_chats(history));
        Ok(session)
    }

    /// Reads the chat list (retrying while the server cannot be reached)
    /// and joins every chat.
    async fn load_chats(self: Arc<Self>, history: HistoryQuery) {
        let mut delay = std::time::Duration::from_secs(1);
        let list = loop {
            match self.conn.chats().await {
                Ok(list) => break list,
                Err(chatpi_client::Error::Closed) => return,
                Err(error) => {
                    tracing::warn!(account = %self.account.id, %error, "cannot read the chat list yet");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(30));
                    if self.conn.state() == ConnectionState::Closed {
                        return;
                    }
                }
            }
        };
        self.add_chats(list);
        let ids: Vec<String> = self.state().channels.iter().map(|c| c.id.clone()).collect();
        for id in ids.into_iter().filter(|id| id != LOBBY) {
            let _ = self.conn.watch_presence(&id);
            // Joins retry on their own; their outcome shows as channel state.
            let (conn, query) = (self.conn.clone(), history.clone());
            tauri::async_runtime::spawn(async move {
                if let Err(error) = conn.join_channel(&id, Some(query)).await {
                    tracing::warn!(channel = %id, %error, "join failed");
                }
            });
        }
    }

    fn add_chats(&self, list: ChatList) {
        let mut guard = self.state();
        let state = &mut *guard;
        for (i, chat) in list.chats.iter().enumerate() {
            for user in &chat.members {
                if !user.username.is_empty() {
                    state
                        .names
                        .insert(user.auth_key.clone(), user.username.clone());
                }
            }
            if state.stores.contains_key(&chat.id) {
                continue;
            }
            let unread = list.detail.get(i).map(|d| d.unread_messages).unwrap_or(0);
            state.channels.push(ChannelMeta {
                id: chat.id.clone(),
                name: chat.name.clone(),
                unread,
            });
            state.stores.insert(chat.id.clone(), ChannelStore::new());
        }
        self.channels_changed(state);
    }

    fn channels_changed(&self, state: &State) {
        let Some(ctx) = self.ctx.upgrade() else {
            return;
        };
        ctx.batcher
            .channels(&self.account.id, json!(channel_views(state)));
        ctx.accounts_changed();
    }

    /// Unread messages over the channels not muted.
    pub fn unread(&self) -> u64 {
        let state = self.state();
        state
            .channels
            .iter()
            .filter(|c| !state.muted_channels.contains(&c.id))
            .map(|c| c.unread)
            .sum()
    }

    pub fn muted(&self) -> bool {
        self.state().muted
    }

    pub fn mutes(&self) -> Mutes {
        let state = self.state();
        Mutes {
            account: state.muted,
            channels: state.muted_channels.iter().cloned().collect(),
        }
    }

    pub fn set_muted(&self, channel: Option<&str>, muted: bool) {
        let mut state = self.state();
        match channel {
            None => state.muted = muted,
            Some(id) if muted => {
                state.muted_channels.insert(id.to_owned());
            }
            Some(id) => {
                state.muted_channels.remove(id);
            }
        }
        self.channels_changed(&state);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn channels(&self) -> Vec<ChannelView> {
        channel_views(&self.state())
    }

    fn store_of<'a>(state: &'a State, channel: &str) -> CommandResult<&'a ChannelStore> {
        state
            .stores
            .get(channel)
            .ok_or_else(|| CommandError::not_found("channel"))
    }

    /// Puts `channel` on screen: its unread count clears and the newest
    /// window comes back.
    pub fn open_channel(&self, channel: &str) -> CommandResult<OpenReply> {
        let mut state = self.state();
        Self::store_of(&state, channel)?;
        state.active = Some(channel.to_owned());
        self.clear_unread(&mut state, channel);
        let store = Self::store_of(&state, channel)?;
        let start = store.len().saturating_sub(OPEN_WINDOW);
        let messages = store
            .window(start, OPEN_WINDOW)
            .map(|(_, m)| view::message(store, m, &self.account.user_key, &state.names))
            .collect();
        let pending = self.pending_views(&state, channel);
        Ok(OpenReply {
            total: store.len(),
            messages,
            has_older: store.has_older,
            pending,
        })
    }

    /// The queued messages of a channel, as the outbox store has them (an
    /// unreadable store shows none rather than failing the channel).
    fn pending_views(&self, state: &State, channel: &str) -> Vec<PendingView> {
        let entries = match self.conn.queued_messages() {
            Ok(entries) => entries,
            Err(error) => {
                tracing::error!(account = %self.account.id, %error, "cannot read the outbox");
                return Vec::new();
            }
        };
        let store = state.stores.get(channel);
        entries
            .iter()
            .filter(|e| e.channel == channel)
            .map(|e| view::pending(store, e, &state.names))
            .collect()
    }

    fn clear_unread(&self, state: &mut State, channel: &str) {
        let Some(meta) = state.channels.iter_mut().find(|c| c.id == channel) else {
            return;
        };
        if meta.unread > 0 {
            meta.unread = 0;
            self.channels_changed(state);
        }
        if let Some(newest) = state.stores.get(channel).and_then(ChannelStore::newest) {
            let _ = self.conn.mark_read(channel, &newest.id);
        }
    }

    pub fn mark_read(&self, channel: &str) {
        let mut state = self.state();
        self.clear_unread(&mut state, channel);
    }

    pub fn window(&self, channel: &str, start: usize, count: usize) -> CommandResult<WindowReply> {
        let state = self.state();
        let store = Self::store_of(&state, channel)?;
        let messages = store
            .window(start, count.min(1000))
            .map(|(_, m)| view::message(store, m, &self.account.user_key, &state.names))
            .collect();
        Ok(WindowReply {
            total: store.len(),
            start: start.min(store.len()),
            messages,
        })
    }

    /// Pages one window of older history in from the server.
    pub async fn load_older(&self, channel: &str) -> CommandResult<OlderReply> {
        let oldest = {
            let state = self.state();
            let store = Self::store_of(&state, channel)?;
            if !store.has_older {
                return Ok(OlderReply {
                    added: 0,
                    total: store.len(),
                    has_older: false,
                });
            }
            store.oldest().map(|m| m.inserted_at.clone())
        };
        // One second more than the oldest held, so messages sharing its
        // second are not skipped; known ids are dropped on prepend.
        let before = match &oldest {
            Some(t) => chatpi_client::history::shift_timestamp(t, 1)?,
            None => UNTIL.to_owned(),
        };
        let query = HistoryQuery {
            before: Some(before),
            after: None,
        };
        let page = self.conn.history_page(channel, &query).await?;
        let full = page.messages.len() >= chatpi_client::history::PAGE_SIZE;
        let mut added = self.prepend(channel, page)?;
        if let (0, true, Some(t)) = (added, full, oldest) {
            // A page's worth in one second: step past it.
            let query = HistoryQuery {
                before: Some(t),
                after: None,
            };
            let page = self.conn.history_page(channel, &query).await?;
            added = self.prepend(channel, page)?;
        }
        let mut state = self.state();
        let store = state
            .stores
            .get_mut(channel)
            .ok_or_else(|| CommandError::not_found("channel"))?;
        store.has_older = full && added > 0;
        Ok(OlderReply {
            added,
            total: store.len(),
            has_older: store.has_older,
        })
    }

    fn prepend(&self, channel: &str, page: HistoryPage) -> CommandResult<usize> {
        let mut state = self.state();
        let store = state
            .stores
            .get_mut(channel)
            .ok_or_else(|| CommandError::not_found("channel"))?;
        for r in page.reactions {
            store.add_reaction(r);
        }
        Ok(store.prepend(page.messages))
    }

    /// Queues a message in the account's outbox and returns it as pending
    /// at once: it is on disk before this returns, and is sent (now, or
    /// when the server can be reached) exactly once. Its progress arrives
    /// as `chat://outbox` items.
    pub fn send(
        &self,
        channel: &str,
        text: String,
        reply_to: Option<String>,
    ) -> CommandResult<PendingView> {
        let text = text.trim_end().to_owned();
        if text.trim().is_empty() {
            return Err(CommandError::new("invalid", "a message needs some text"));
        }
        Self::store_of(&self.state(), channel)?;
        let outgoing = OutgoingMessage {
            text,
            reply_target_id: reply_to,
            ..OutgoingMessage::default()
        };
        let _ = self.conn.stop_typing(channel);
        let client_id = self.conn.queue_message(channel, outgoing.clone())?;
        let entry = chatpi_client::OutboxEntry {
            seq: 0,
            client_id,
            channel: channel.to_owned(),
            message: outgoing,
            state: chatpi_client::OutboxState::Pending,
            check_after: None,
        };
        let state = self.state();
        Ok(view::pending(
            state.stores.get(channel),
            &entry,
            &state.names,
        ))
    }

    /// Sends a refused message again.
    pub async fn retry(&self, client_id: &str) -> CommandResult<()> {
        Ok(self.conn.retry_message(client_id).await?)
    }

    /// Drops a queued message.
    pub async fn discard(&self, client_id: &str) -> CommandResult<()> {
        Ok(self.conn.discard_message(client_id).await?)
    }

    pub async fn react(
        &self,
        channel: &str,
        message_id: &str,
        classifier: &str,
    ) -> CommandResult<()> {
        Ok(self
            .conn
            .send_reaction(channel, message_id, classifier)
            .await?)
    }

    pub fn set_typing(&self, channel: &str, typing: bool) -> CommandResult<()> {
        if typing {
            self.conn.start_typing(channel)?;
        } else {
            self.conn.stop_typing(channel)?;
        }
        Ok(())
    }

    pub fn presence(&self, channel: &str) -> Vec<MemberView> {
        let presence = self.conn.presence(channel).unwrap_or_default();
        view::members(&presence, &self.state().names)
    }

    /// Stores a message once and tells the UI. A live one (not history)
    /// counts unread when it is someone else's and not on screen, and may
    /// raise a notification.
    fn add_message(&self, channel: &str, message: Message, live: bool) {
        let Some(ctx) = self.ctx.upgrade() else {
            return;
        };
        let mut guard = self.state();
        let state = &mut *guard;
        let mine = message.user_auth_key == self.account.user_key;
        let Some(store) = state.stores.get_mut(channel) else {
            return;
        };
        let Some(index) = store.push(message) else {
            return;
        };
        let Some(m) = store.get(index) else { return };
        let view = view::message(store, m, &self.account.user_key, &state.names);
        if live && !mine {
            let screen = ctx.screen();
            let incoming = notify::Incoming {
                account: &self.account.id,
                channel,
                author: &view.user_key,
                me: &self.account.user_key,
                channel_muted: state.muted_channels.contains(channel),
                account_muted: state.muted,
                paused: ctx.notifications_paused(),
            };
            if notify::should_notify(&incoming, &screen.as_ref()) {
                let name = state
                    .channels
                    .iter()
                    .find(|c| c.id == channel)
                    .map(|c| c.name.as_str());
                let label = (ctx.account_count() > 1).then_some(self.account.label.as_str());
                ctx.notify(crate::app::Notice {
                    account: self.account.id.clone(),
                    channel: channel.to_owned(),
                    summary: notify::summary(name.unwrap_or(channel), &view.user_name, label),
                    body: notify::body(&view.text),
                });
            }
        }
        let item = json!({ "channel": channel, "message": view, "index": index });
        ctx.batcher.message(&self.account.id, item);
        if live && !mine && state.active.as_deref() != Some(channel) {
            if let Some(meta) = state.channels.iter_mut().find(|c| c.id == channel) {
                meta.unread += 1;
                self.channels_changed(state);
            }
        }
    }

    /// Turns outbox events into `chat://outbox` items. A stored message is
    /// added to its channel first (the same frame's `chat://message` then
    /// carries it), so the page never shows it twice nor loses it for a
    /// frame; its later echo is recognised by id.
    async fn pump_outbox(self: Arc<Self>, mut events: OutboxEvents) {
        while let Some(event) = events.recv().await {
            let (account, item) = match event {
                OutboxEvent::Pending {
                    channel,
                    client_id,
                    message,
                } => {
                    let entry = chatpi_client::OutboxEntry {
                        seq: 0,
                        client_id: client_id.clone(),
                        channel: channel.clone(),
                        message,
                        state: chatpi_client::OutboxState::Pending,
                        check_after: None,
                    };
                    let state = self.state();
                    let view = view::pending(state.stores.get(&channel), &entry, &state.names);
                    (
                        &self.account.id,
                        json!({ "channel": channel, "clientId": client_id, "state": "pending", "pending": view }),
                    )
                }
                OutboxEvent::Sent {
                    channel,
                    client_id,
                    message,
                } => {
                    self.add_message(&channel, message, true);
                    (
                        &self.account.id,
                        json!({ "channel": channel, "clientId": client_id, "state": "sent" }),
                    )
                }
                OutboxEvent::Failed {
                    channel,
                    client_id,
                    reason,
                } => {
                    tracing::warn!(account = %self.account.id, %channel, %client_id, %reason, "a queued message was refused");
                    (
                        &self.account.id,
                        json!({ "channel": channel, "clientId": client_id, "state": "failed", "reason": reason }),
                    )
                }
                OutboxEvent::Discarded { channel, client_id } => (
                    &self.account.id,
                    json!({ "channel": channel, "clientId": client_id, "state": "discarded" }),
                ),
            };
            if let Some(ctx) = self.ctx.upgrade() {
                ctx.batcher.outbox(account, item);
            }
        }
    }

    async fn pump(self: Arc<Self>, mut events: Events) {
        while let Some(event) = events.recv().await {
            match event {
                Event::Connection(state) => {
                    if let Some(ctx) = self.ctx.upgrade() {
                        ctx.batcher
                            .now("chat://status", self.status_payload(&state));
                        ctx.accounts_changed();
                    }
                }
                Event::Joined {
                    channel,
                    messages,
                    reactions,
                } => {
                    let mut state = self.state();
                    let Some(store) = state.stores.get_mut(&channel) else {
                        continue;
                    };
                    let first_fill = store.len() == 0;
                    for r in reactions {
                        store.add_reaction(r);
                    }
                    if first_fill && messages.len() < chatpi_client::history::PAGE_SIZE {
                        store.has_older = false;
                    }
                    drop(state);
                    for m in messages {
                        self.add_message(&channel, m, false);
                    }
                }
                Event::Message { channel, message } => self.add_message(&channel, message, true),
                Event::Reaction { channel, reaction } => {
                    let mut state = self.state();
                    let Some(store) = state.stores.get_mut(&channel) else {
                        continue;
                    };
                    let target = reaction.reaction_target_id.clone();
                    if store.add_reaction(reaction) {
                        let reactions = view::reactions(store, &target, &self.account.user_key);
                        let item = json!({ "channel": channel, "messageId": target, "reactions": reactions });
                        if let Some(ctx) = self.ctx.upgrade() {
                            ctx.batcher.reaction(&self.account.id, item);
                        }
                    }
                }
                Event::Presence { channel, .. } => {
                    let members = self.presence(&channel);
                    tracing::debug!(account = %self.account.id, %channel, members = members.len(), "presence changed");
                    let payload = json!({ "account": self.account.id, "channel": channel, "members": members });
                    if let Some(ctx) = self.ctx.upgrade() {
                        ctx.batcher.now("chat://presence", payload);
                    }
                }
                Event::Channel { channel, status } => {
                    tracing::debug!(account = %self.account.id, %channel, ?status, "channel status");
                }
            }
        }
    }
}

fn channel_views(state: &State) -> Vec<ChannelView> {
    state
        .channels
        .iter()
        .map(|c| ChannelView {
            id: c.id.clone(),
            name: c.name.clone(),
            unread: c.unread,
            muted: state.muted_channels.contains(&c.id),
        })
        .collect()
}

impl Session {
    /// The `chat://status` payload for `state`. A token that could not be
    /// had (a locked keychain, a failing token command) is named as such,
    /// not as an expired session.
    pub fn status_payload(&self, state: &ConnectionState) -> serde_json::Value {
        let account = self.account.id.as_str();
        match state {
            // Asking again for a token that could not be had: the reason
            // stays on screen until one is.
            ConnectionState::Connecting => match self.token_error() {
                Some((kind, message)) => {
                    json!({ "account": account, "state": kind, "message": message })
                }
                None => json!({ "account": account, "state": "connecting" }),
            },
            ConnectionState::Connected => json!({ "account": account, "state": "connected" }),
            ConnectionState::Reconnecting { retry_in, error } => json!({
                "account": account, "state": "reconnecting",
                "retryInMs": retry_in.as_millis() as u64, "message": error.to_string(),
            }),
            ConnectionState::AuthRejected { retry_in } => match self.token_error() {
                Some((kind, message)) => json!({
                    "account": account, "state": kind, "retryInMs": retry_in.as_millis() as u64,
                    "message": message,
                }),
                None => json!({
                    "account": account, "state": "expired", "retryInMs": retry_in.as_millis() as u64,
                    "message": "session expired: the server refused the token",
                }),
            },
            ConnectionState::Closed => json!({ "account": account, "state": "offline" }),
        }
    }

    fn token_error(&self) -> Option<(&'static str, String)> {
        self.token_error.lock().ok()?.clone()
    }
}
