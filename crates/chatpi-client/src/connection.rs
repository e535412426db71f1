//! `Connection`: one Chatpi account's socket and channels, the Rust way of
//! the JS client's `Connection`. Cheap to clone; every clone talks to the
//! same socket task. Dropping the last clone (or [`Connection::disconnect`])
//! closes the socket.

use std::{
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use serde_json::{json, Value};
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use crate::{
    core::{OutboxEntry, OutboxState},
    core::{
        PresenceState, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_MAX_FRAME_BYTES, DEFAULT_PUSH_TIMEOUT,
    },
    driver::{Command, Driver, Parts, Settings, Snapshot, AUTH_RETRY},
    endpoint::Endpoint,
    event::{ChannelStatus, ConnectionState, Events},
    history,
    model::HistoryQuery,
    outbox::{MemoryOutbox, OutboxEvent, OutboxEvents, OutboxStore},
    rest::{HistoryPage, Rest},
    token::TokenProvider,
    ChatList, Error, Message, OutgoingMessage, Reaction, Result,
};

/// How to reach a server and what to join.
#[derive(Clone)]
pub struct ConnectionConfig {
    /// `ws://` or `wss://`; `host`, `.../socket` or `.../socket/websocket`.
    pub url: String,
    /// The first segment of every topic, `chat:{api_key}:{channel}`.
    pub api_key: String,
    /// Channels joined at connect.
    pub channel_ids: Vec<String>,
    /// Asked for credentials before every connect.
    pub tokens: Arc<dyn TokenProvider>,
    /// The history window the initial joins ask for.
    pub history: Option<HistoryQuery>,
    /// Typing stops by itself this long after the last `start_typing`.
    pub typing_timeout: Duration,
    /// A heartbeat unanswered when the next is due drops the link, so a
    /// silent link is noticed within two intervals.
    pub heartbeat_interval: Duration,
    pub push_timeout: Duration,
    /// Larger frames from the server are dropped (and logged).
    pub max_frame_bytes: usize,
    /// After the server refuses the token, the next attempt waits this long
    /// (10 s by default: at most 6 attempts a minute).
    pub auth_retry_interval: Duration,
    /// Where [`Connection::queue_message`] keeps messages until the server
    /// has them; in memory when `None`.
    pub outbox: Option<Arc<dyn OutboxStore>>,
}

impl ConnectionConfig {
    pub fn new(
        url: impl Into<String>,
        api_key: impl Into<String>,
        tokens: impl TokenProvider,
    ) -> Self {
        Self {
            url: url.into(),
            api_key: api_key.into(),
            channel_ids: Vec::new(),
            tokens: Arc::new(tokens),
            history: None,
            typing_timeout: Duration::from_secs(5),
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            push_timeout: DEFAULT_PUSH_TIMEOUT,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            auth_retry_interval: AUTH_RETRY,
            outbox: None,
        }
    }

    pub fn channels<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.channel_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    pub fn history(mut self, query: HistoryQuery) -> Self {
        self.history = Some(query);
        self
    }

    pub fn typing_timeout(mut self, timeout: Duration) -> Self {
        self.typing_timeout = timeout;
        self
    }

    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    pub fn push_timeout(mut self, timeout: Duration) -> Self {
        self.push_timeout = timeout;
        self
    }

    pub fn max_frame_bytes(mut self, max: usize) -> Self {
        self.max_frame_bytes = max;
        self
    }

    pub fn auth_retry_interval(mut self, interval: Duration) -> Self {
        self.auth_retry_interval = interval;
        self
    }

    /// Keeps queued messages in `store`: they survive a restart and are
    /// sent by the next connection made with the same store.
    pub fn outbox(mut self, store: impl OutboxStore) -> Self {
        self.outbox = Some(Arc::new(store));
        self
    }
}

/// A channel's state and presence, as last seen.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelInfo {
    pub id: String,
    pub topic: String,
    pub status: ChannelStatus,
}

/// What a successful join returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinReply {
    /// The history the join's query asked for, oldest first.
    pub messages: Vec<Message>,
    pub reactions: Vec<Reaction>,
}

struct Inner {
    cmds: mpsc::UnboundedSender<Command>,
    snapshot: Arc<RwLock<Snapshot>>,
    rest: Rest,
    tokens: Arc<dyn TokenProvider>,
    api_key: String,
    push_timeout: Duration,
    store: Arc<dyn OutboxStore>,
    /// The next outbox `seq`; locked across the store write and the
    /// command, so queue order is store order.
    next_seq: Mutex<u64>,
    outbox_events: Mutex<Option<mpsc::UnboundedReceiver<OutboxEvent>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.cmds.send(Command::Disconnect);
    }
}

/// A connection to one Chatpi server as one user.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("api_key", &self.inner.api_key)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts connecting in the background (on the current tokio runtime)
    /// and joins `config.channel_ids`. Fails only on a malformed URL or an
    /// outbox store that cannot be read; every later fault is an event, and
    /// the connection keeps retrying. Messages pending in the outbox store
    /// are sent once their channels have joined.
    pub fn connect(config: ConnectionConfig) -> Result<(Self, Events)> {
        let endpoint = Endpoint::parse(&config.url)?;
        let rest = Rest::new(endpoint.clone())?;
        let store = config
            .outbox
            .clone()
            .unwrap_or_else(|| Arc::new(MemoryOutbox::new()));
        let loaded = store.load()?;
        let next_seq = loaded.iter().map(|e| e.seq + 1).max().unwrap_or(1);
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let (outbox_tx, outbox_rx) = mpsc::unbounded_channel();
        let snapshot = Arc::new(RwLock::new(Snapshot::default()));
        let settings = Settings {
            api_key: config.api_key.clone(),
            heartbeat_interval: config.heartbeat_interval,
            push_timeout: config.push_timeout,
            typing_timeout: config.typing_timeout,
            max_frame_bytes: config.max_frame_bytes,
            auth_retry: config.auth_retry_interval,
        };
        let parts = Parts {
            endpoint,
            tokens: config.tokens.clone(),
            rest: rest.clone(),
            cmds: cmd_rx,
            events: event_tx,
            outbox_events: outbox_tx,
            snapshot: snapshot.clone(),
            store: store.clone(),
            loaded,
        };
        let driver = Driver::new(parts, settings);
        let task = tokio::spawn(driver.run());
        let connection = Self {
            inner: Arc::new(Inner {
                cmds: cmd_tx,
                snapshot,
                rest,
                tokens: config.tokens,
                api_key: config.api_key,
                push_timeout: config.push_timeout,
                store,
                next_seq: Mutex::new(next_seq),
                outbox_events: Mutex::new(Some(outbox_rx)),
                task: Mutex::new(Some(task)),
            }),
        };
        let history = config.history.map(|q| q.normalized()).transpose()?;
        let payload = join_payload(history.as_ref());
        for id in config.channel_ids {
            let (done, _ignored) = oneshot::channel();
            connection.command(Command::Join {
                channel: id,
                payload: payload.clone(),
                done,
            })?;
        }
        Ok((connection, Events { rx: event_rx }))
    }

    fn command(&self, cmd: Command) -> Result<()> {
        self.inner.cmds.send(cmd).map_err(|_| Error::Closed)
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T>>) -> Command) -> Result<T> {
        let (done, rx) = oneshot::channel();
        self.command(make(done))?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Joins a channel (rejoined after every reconnect until left) and
    /// waits for the server's answer, with `query`'s history. An
    /// `unauthorized` refusal is final for that channel.
    pub async fn join_channel(
        &self,
        channel: &str,
        query: Option<HistoryQuery>,
    ) -> Result<JoinReply> {
        let payload = join_payload(query.map(|q| q.normalized()).transpose()?.as_ref());
        let channel = channel.to_owned();
        let topic = self.topic(&channel);
        // The join keeps trying in the background after this gives up.
        let wait = self.inner.push_timeout;
        let response = tokio::time::timeout(
            wait,
            self.ask(|done| Command::Join {
                channel,
                payload,
                done,
            }),
        )
        .await
        .map_err(|_| Error::Timeout {
            topic,
            event: "phx_join".into(),
            timeout: wait,
        })??;
        let page: HistoryPage = serde_json::from_value(response).unwrap_or_default();
        Ok(JoinReply {
            messages: page.messages,
            reactions: page.reactions,
        })
    }

    /// Leaves a channel; it is not rejoined.
    pub async fn leave_channel(&self, channel: &str) -> Result<()> {
        let channel = channel.to_owned();
        self.ask(|done| Command::Leave { channel, done }).await
    }

    /// Sends a message with a fresh client id; see [`Connection::send_message_as`].
    pub async fn send_message(&self, channel: &str, message: OutgoingMessage) -> Result<Message> {
        let client_id = uuid::Uuid::new_v4().to_string();
        self.send_message_as(channel, message, &client_id).await
    }

    /// Sends a message carrying `client_id` in `custom_details` and resolves
    /// with the stored message (the server's own broadcast of it, matched by
    /// that id) once the server has acked. Fails on an error reply, a crash
    /// of the server's channel, a lost connection or a timeout; in the last
    /// two cases the message may still have been stored.
    pub async fn send_message_as(
        &self,
        channel: &str,
        message: OutgoingMessage,
        client_id: &str,
    ) -> Result<Message> {
        let channel = channel.to_owned();
        let payload = message.payload(client_id);
        let client_id = client_id.to_owned();
        self.ask(|done| Command::Send {
            channel,
            client_id,
            payload,
            done,
        })
        .await
    }

    /// Queues a message in the outbox and returns its client id at once.
    /// It is recorded in the outbox store before anything is pushed, sent
    /// when the channel is joined (held while offline, across reconnects
    /// and, with a persistent store, restarts), and stored by the server
    /// exactly once: an unanswered push is looked for in the channel's
    /// history before it is sent again. Its progress arrives on
    /// [`Connection::outbox_events`]; the stored message also arrives, once,
    /// as an [`crate::Event::Message`].
    pub fn queue_message(&self, channel: &str, message: OutgoingMessage) -> Result<String> {
        if self.inner.cmds.is_closed() {
            return Err(Error::Closed);
        }
        let client_id = uuid::Uuid::new_v4().to_string();
        let mut next_seq = self.inner.next_seq.lock().map_err(|_| Error::Closed)?;
        let entry = OutboxEntry {
            seq: *next_seq,
            client_id: client_id.clone(),
            channel: channel.to_owned(),
            message,
            state: OutboxState::Pending,
            check_after: None,
        };
        self.inner.store.put(&entry)?;
        *next_seq += 1;
        // Once stored, the entry is sent by this connection or the next
        // one made with the same store.
        self.command(Command::Queue { entry })?;
        Ok(client_id)
    }

    /// Sends a failed queued message again.
    pub async fn retry_message(&self, client_id: &str) -> Result<()> {
        let client_id = client_id.to_owned();
        self.ask(|done| Command::Retry { client_id, done }).await
    }

    /// Drops a queued message, whatever its state. One already pushed may
    /// still be stored; it then arrives as an ordinary message.
    pub async fn discard_message(&self, client_id: &str) -> Result<()> {
        let client_id = client_id.to_owned();
        self.ask(|done| Command::Discard { client_id, done }).await
    }

    /// The queued messages not yet stored (pending or failed), in order, as
    /// the outbox store has them.
    pub fn queued_messages(&self) -> Result<Vec<OutboxEntry>> {
        Ok(self.inner.store.load()?)
    }

    /// The stream of outbox events. It can be taken once; later calls
    /// return `None`. Events queue from connect on, so none is missed.
    pub fn outbox_events(&self) -> Option<OutboxEvents> {
        let rx = self.inner.outbox_events.lock().ok()?.take()?;
        Some(OutboxEvents { rx })
    }

    /// Reacts to a message (`LAUGH`, `CRY`, `SMILE`, `LOVE`, `UNHAPPY`, ...).
    pub async fn send_reaction(
        &self,
        channel: &str,
        target_id: &str,
        classifier: &str,
    ) -> Result<()> {
        let payload = json!({
            "reaction_target_id": target_id,
            "reaction": { "classifier": classifier },
        });
        self.push(channel, "reaction:new", payload).await.map(drop)
    }

    /// Pushes any event and waits for its reply's response.
    pub async fn push(&self, channel: &str, event: &str, payload: Value) -> Result<Value> {
        let (channel, event) = (channel.to_owned(), event.to_owned());
        self.ask(|done| Command::Push {
            channel,
            event,
            payload,
            done,
        })
        .await
    }

    /// Says the user is typing; it stops by itself after the typing timeout
    /// unless called again.
    pub fn start_typing(&self, channel: &str) -> Result<()> {
        self.command(Command::Typing {
            channel: channel.to_owned(),
            typing: true,
        })
    }

    pub fn stop_typing(&self, channel: &str) -> Result<()> {
        self.command(Command::Typing {
            channel: channel.to_owned(),
            typing: false,
        })
    }

    /// Tells the server the newest message the user has seen.
    pub fn mark_read(&self, channel: &str, message_id: &str) -> Result<()> {
        let payload = json!({ "message_seen_id": message_id });
        let (channel, event) = (channel.to_owned(), "read_message".to_owned());
        self.command(Command::Cast {
            channel,
            event,
            payload,
        })
    }

    /// Emits [`crate::Event::Presence`] for this channel from now on.
    pub fn watch_presence(&self, channel: &str) -> Result<()> {
        self.command(Command::Watch {
            channel: channel.to_owned(),
            on: true,
        })
    }

    pub fn remove_presence_watcher(&self, channel: &str) -> Result<()> {
        self.command(Command::Watch {
            channel: channel.to_owned(),
            on: false,
        })
    }

    /// The channel's presence: keys (`user:{authKey}`) and their metas.
    pub fn presence(&self, channel: &str) -> Option<PresenceState> {
        let snap = self.inner.snapshot.read().ok()?;
        snap.channels.get(channel).map(|view| view.presence.clone())
    }

    pub fn channel(&self, channel: &str) -> Option<ChannelInfo> {
        let snap = self.inner.snapshot.read().ok()?;
        snap.channels.get(channel).map(|view| ChannelInfo {
            id: channel.to_owned(),
            topic: self.topic(channel),
            status: view.status.clone(),
        })
    }

    pub fn state(&self) -> ConnectionState {
        self.inner
            .snapshot
            .read()
            .ok()
            .and_then(|snap| snap.state.clone())
            .unwrap_or(ConnectionState::Connecting)
    }

    pub fn topic(&self, channel: &str) -> String {
        format!("chat:{}:{}", self.inner.api_key, channel)
    }

    async fn token(&self) -> Result<String> {
        let creds = self
            .inner
            .tokens
            .credentials()
            .await
            .map_err(|e| Error::Connect(crate::ConnectError::NoToken(e.to_string())))?;
        Ok(creds.authorization_token)
    }

    /// `GET /api/v1/chats`: the chats the user belongs to, with read state.
    pub async fn chats(&self) -> Result<ChatList> {
        self.inner.rest.chats(&self.token().await?).await
    }

    /// One history page over REST: the newest 50 strictly inside `query`.
    pub async fn history_page(&self, channel: &str, query: &HistoryQuery) -> Result<HistoryPage> {
        self.inner
            .rest
            .messages(&self.token().await?, channel, query)
            .await
    }

    /// Every message strictly inside `query`, oldest first, paging
    /// backwards over REST; at most `limit` (the newest ones).
    pub async fn history(
        &self,
        channel: &str,
        query: HistoryQuery,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let query = query.normalized()?;
        let token = self.token().await?;
        let rest = &self.inner.rest;
        history::read_window(query, limit, |q| {
            let token = token.clone();
            async move {
                rest.messages(&token, channel, &q)
                    .await
                    .map(|page| page.messages)
            }
        })
        .await
    }

    /// Leaves every channel, closes the socket and waits for the task.
    pub async fn disconnect(&self) {
        let _ = self.command(Command::Disconnect);
        let task = self.inner.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

fn join_payload(query: Option<&HistoryQuery>) -> Value {
    match query {
        Some(q) => json!({ "query": q }),
        None => json!({}),
    }
}
