//! The socket task: one tokio task owns the WebSocket and every channel on
//! it. It feeds frames, commands and timers to the pure core and does what
//! the core asks: write frames, settle waiters, emit events, reconnect.
//!
//! Handles talk to it through an unbounded command queue and read what it
//! publishes in [`Snapshot`]; it ends on `Disconnect` or when every handle
//! is gone, failing whatever still waits.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    pin::Pin,
    sync::{Arc, RwLock},
    time::Duration,
};

use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use time::PrimitiveDateTime;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinSet,
    time::Instant,
};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{
    core::{
        encode, Backoff, Channel, ChannelEvent, ChannelState, Frame, Heartbeat, Link, OutboxEntry,
        OutboxQueue, Presence, PresenceState, PresenceUpdate, PushOutcome, Refs, Schedule,
        Timeline,
    },
    endpoint::Endpoint,
    event::{ChannelStatus, ConnectionState, Event},
    outbox::{OutboxEvent, OutboxStore},
    rest::Rest,
    token::TokenProvider,
    transport::{self, Opened, WsStream},
    ConnectError, Message, Result,
};

/// A refused token is retried no more often than this (6 a minute).
pub(crate) const AUTH_RETRY: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames read off the socket per turn of the task's loop, at most.
const READ_BATCH: usize = 64;

/// The driver's tunables.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub api_key: String,
    pub heartbeat_interval: Duration,
    pub push_timeout: Duration,
    pub typing_timeout: Duration,
    pub max_frame_bytes: usize,
    /// How long a refused token waits before the next attempt.
    pub auth_retry: Duration,
}

pub(crate) enum Command {
    Join {
        channel: String,
        payload: Value,
        done: oneshot::Sender<Result<Value>>,
    },
    Leave {
        channel: String,
        done: oneshot::Sender<Result<()>>,
    },
    Push {
        channel: String,
        event: String,
        payload: Value,
        done: oneshot::Sender<Result<Value>>,
    },
    /// An event the server never answers (`user:typing`, `read_message`).
    Cast {
        channel: String,
        event: String,
        payload: Value,
    },
    Send {
        channel: String,
        client_id: String,
        payload: Value,
        done: oneshot::Sender<Result<Message>>,
    },
    Typing {
        channel: String,
        typing: bool,
    },
    Watch {
        channel: String,
        on: bool,
    },
    /// A message recorded in the outbox store, to be sent.
    Queue {
        entry: OutboxEntry,
    },
    Retry {
        client_id: String,
        done: oneshot::Sender<Result<()>>,
    },
    Discard {
        client_id: String,
        done: oneshot::Sender<Result<()>>,
    },
    Disconnect,
}

/// What the handles can read without asking the task.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub state: Option<ConnectionState>,
    pub channels: HashMap<String, ChannelView>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChannelView {
    pub status: ChannelStatus,
    pub presence: PresenceState,
}

/// Who waits for a push's reply.
enum Waiter {
    Reply {
        event: String,
        done: oneshot::Sender<Result<Value>>,
    },
    Message {
        client_id: String,
    },
    /// A push of an outbox message.
    Outbox {
        client_id: String,
    },
}

struct Slot {
    id: String,
    channel: Channel<Waiter>,
    presence: Presence,
    join_waiters: Vec<oneshot::Sender<Result<Value>>>,
    leave_waiter: Option<oneshot::Sender<Result<()>>>,
    typing_until: Option<Instant>,
    /// What this channel has shown; rejoins backfill from it.
    timeline: Timeline,
    /// Whether a join ever succeeded: later joins are rejoins.
    joined_once: bool,
    /// Counts joins, so a backfill of an earlier one is ignored.
    generation: u64,
    /// A backfill or outbox check is being read: live messages wait.
    syncing: bool,
    /// Live messages that came while the channel was not joined or syncing.
    held: Vec<Message>,
    /// The `after` the current rejoin's query asked for.
    backfill_after: Option<String>,
}

/// What a backfill read is for.
pub(crate) enum FetchKind {
    /// A rejoin's page came back full: the REST read is the older part of
    /// the window, and `page` the join's answer.
    Backfill { page: Vec<Message> },
    /// The first join of a channel with unconfirmed sends: look for them.
    Check,
}

/// A history read done by a background task, for one join of one channel.
pub(crate) struct Fetched {
    topic: String,
    generation: u64,
    kind: FetchKind,
    tries: u32,
    query: crate::HistoryQuery,
    result: Result<Vec<Message>>,
}

/// A `message:new` waiting for its ack and its own echo.
struct PendingSend {
    topic: String,
    done: oneshot::Sender<Result<Message>>,
    acked: bool,
    echo: Option<Message>,
    echo_deadline: Option<Instant>,
}

type Connecting = Pin<Box<dyn Future<Output = Result<Opened, ConnectError>> + Send>>;

pub(crate) struct Driver {
    endpoint: Endpoint,
    tokens: Arc<dyn TokenProvider>,
    settings: Settings,
    cmds: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    snapshot: Arc<RwLock<Snapshot>>,
    refs: Refs,
    heartbeat: Heartbeat,
    backoff: Backoff,
    slots: HashMap<String, Slot>,
    watched: HashSet<String>,
    sends: HashMap<String, PendingSend>,
    out: Vec<Frame>,
    link: Link,
    rest: Rest,
    outbox: OutboxQueue,
    store: Arc<dyn OutboxStore>,
    outbox_events: mpsc::UnboundedSender<OutboxEvent>,
    /// History reads in flight; dropped (aborted) with the driver.
    fetches: JoinSet<Fetched>,
    /// Channels whose outbox push went unanswered on a live link.
    resync: HashSet<String>,
    /// The server's clock when the socket opened, and when that was here.
    server_clock: Option<(PrimitiveDateTime, Instant)>,
    faults: faults::Faults,
}

/// What the driver is given besides its tunables.
pub(crate) struct Parts {
    pub endpoint: Endpoint,
    pub tokens: Arc<dyn TokenProvider>,
    pub rest: Rest,
    pub cmds: mpsc::UnboundedReceiver<Command>,
    pub events: mpsc::UnboundedSender<Event>,
    pub outbox_events: mpsc::UnboundedSender<OutboxEvent>,
    pub snapshot: Arc<RwLock<Snapshot>>,
    pub store: Arc<dyn OutboxStore>,
    /// What the store held at connect, in order.
    pub loaded: Vec<OutboxEntry>,
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

impl Driver {
    pub(crate) fn new(parts: Parts, settings: Settings) -> Self {
        let heartbeat = Heartbeat::new(settings.heartbeat_interval, now());
        let mut driver = Self {
            endpoint: parts.endpoint,
            tokens: parts.tokens,
            settings,
            cmds: parts.cmds,
            events: parts.events,
            snapshot: parts.snapshot,
            refs: Refs::new(),
            heartbeat,
            backoff: Backoff::new(Schedule::Reconnect),
            slots: HashMap::new(),
            watched: HashSet::new(),
            sends: HashMap::new(),
            out: Vec::new(),
            link: Link::Down,
            rest: parts.rest,
            outbox: OutboxQueue::new(),
            store: parts.store,
            outbox_events: parts.outbox_events,
            fetches: JoinSet::new(),
            resync: HashSet::new(),
            server_clock: None,
            faults: faults::Faults::default(),
        };
        driver.load_outbox(parts.loaded);
        driver
    }

    pub(crate) async fn run(mut self) {
        let mut ws: Option<WsStream> = None;
        let mut connecting: Option<Connecting> = None;
        let mut reconnect_at: Option<Instant> = Some(Instant::now());
        loop {
            if ws.is_none()
                && connecting.is_none()
                && reconnect_at.is_some_and(|t| t <= Instant::now())
            {
                reconnect_at = None;
                self.set_state(ConnectionState::Connecting);
                connecting = Some(self.connect());
            }
            let deadline = [self.next_deadline(), reconnect_at]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or_else(far_future);
            let mut lost: Option<String> = None;
            let mut burst = false;
            tokio::select! {
                cmd = self.cmds.recv() => match cmd {
                    None | Some(Command::Disconnect) => break,
                    Some(cmd) => self.on_command(cmd),
                },
                result = async { connecting.as_mut().expect("guarded").await }, if connecting.is_some() => {
                    connecting = None;
                    match result {
                        Ok(opened) => {
                            ws = Some(opened.ws);
                            self.on_open(opened.server_date);
                        }
                        Err(error) => reconnect_at = Some(self.on_connect_failed(error)),
                    }
                }
                Some(done) = self.fetches.join_next(), if !self.fetches.is_empty() => match done {
                    Ok(fetched) => self.on_fetched(fetched),
                    Err(error) => tracing::error!(%error, "a history read panicked"),
                },
                msg = async { ws.as_mut().expect("guarded").next().await }, if ws.is_some() => {
                    lost = self.on_socket(msg);
                    // Frames that are already in hand are read in one go,
                    // so a burst costs one turn of this loop per batch.
                    let mut budget = READ_BATCH;
                    while lost.is_none() && budget > 0 {
                        let Some(msg) = ws.as_mut().and_then(|ws| ws.next().now_or_never()) else {
                            break;
                        };
                        lost = self.on_socket(msg);
                        budget -= 1;
                    }
                    burst = budget == 0;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    if self.on_tick() {
                        lost = Some("no heartbeat reply: the link is dead".into());
                    }
                }
            }
            for topic in std::mem::take(&mut self.resync) {
                self.resync_channel(&topic);
            }
            if let Some(stream) = ws.as_mut() {
                if lost.is_none() && !self.out.is_empty() {
                    if let Err(e) = self.flush(stream).await {
                        lost = Some(e);
                    }
                }
            } else {
                // Nothing is written while down: every channel rejoins and
                // every held push is re-sent after the next open.
                self.out.clear();
            }
            if let Some(reason) = lost {
                // A dead link gets no close handshake: drop it at once.
                ws = None;
                reconnect_at = Some(self.on_link_lost(reason));
            }
            if burst {
                // In a flood, let the event stream's reader run between
                // batches (it may share this thread), so events are read
                // while they are fresh instead of piling up in memory.
                tokio::task::yield_now().await;
            }
        }
        self.shut_down(ws).await;
    }

    /// Handles what the socket gave; the reason when the link is gone.
    fn on_socket(
        &mut self,
        msg: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> Option<String> {
        match msg {
            Some(Ok(WsMessage::Text(text))) => self.on_text(text.as_str()),
            Some(Ok(WsMessage::Binary(_))) => faults::fault!(self.faults, "?", "binary frame"),
            Some(Ok(WsMessage::Close(_))) | None => return Some("closed by the server".into()),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Some(e.to_string()),
        }
        None
    }

    fn connect(&self) -> Connecting {
        let endpoint = self.endpoint.clone();
        let tokens = self.tokens.clone();
        let max = self.settings.max_frame_bytes;
        Box::pin(async move {
            let credentials = tokens
                .credentials()
                .await
                .map_err(|e| ConnectError::NoToken(e.to_string()))?;
            tokio::time::timeout(
                CONNECT_TIMEOUT,
                transport::connect(&endpoint, &credentials, max),
            )
            .await
            .map_err(|_| ConnectError::Unreachable("connect timed out".into()))?
        })
    }

    async fn flush(&mut self, ws: &mut WsStream) -> Result<(), String> {
        let frames = std::mem::take(&mut self.out);
        let write = async {
            for frame in &frames {
                ws.feed(WsMessage::text(encode(frame))).await?;
            }
            ws.flush().await
        };
        // A write that blocks this long is a dead link too.
        let limit = WRITE_TIMEOUT.min(self.settings.heartbeat_interval);
        match tokio::time::timeout(limit, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("write timed out".into()),
        }
    }

    fn topic(&self, channel: &str) -> String {
        format!("chat:{}:{}", self.settings.api_key, channel)
    }

    fn emit(&self, event: Event) {
        // A dropped event stream means nobody listens; that is fine.
        let _ = self.events.send(event);
    }

    fn set_state(&self, state: ConnectionState) {
        if let Ok(mut snap) = self.snapshot.write() {
            snap.state = Some(state.clone());
        }
        self.emit(Event::Connection(state));
    }

    fn publish_channel(&self, topic: &str) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        let view = ChannelView {
            status: ChannelStatus::from(slot.channel.state()),
            presence: slot.presence.state().clone(),
        };
        if let Ok(mut snap) = self.snapshot.write() {
            snap.channels.insert(slot.id.clone(), view);
        }
    }

    fn emit_status(&self, topic: &str) {
        let Some(slot) = self.slots.get(topic) else {
            return;
        };
        self.publish_channel(topic);
        let status = ChannelStatus::from(slot.channel.state());
        self.emit(Event::Channel {
            channel: slot.id.clone(),
            status,
        });
    }

    /// Queues frames of one channel; a (re)join resets its presence sync.
    fn queue(&mut self, topic: &str, frames: impl IntoIterator<Item = Frame>) {
        let mut joined = false;
        for frame in frames {
            joined |= frame.event == crate::core::frame::PHX_JOIN;
            self.out.push(frame);
        }
        if joined {
            if let Some(slot) = self.slots.get_mut(topic) {
                slot.presence.reset();
            }
            self.emit_status(topic);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let heartbeat =
            (self.link == Link::Up).then(|| Instant::from_std(self.heartbeat.next_due()));
        let channels = self
            .slots
            .values()
            .filter_map(|s| s.channel.next_deadline())
            .map(Instant::from_std);
        let typing = self.slots.values().filter_map(|s| s.typing_until);
        let echoes = self.sends.values().filter_map(|p| p.echo_deadline);
        heartbeat
            .into_iter()
            .chain(channels)
            .chain(typing)
            .chain(echoes)
            .min()
    }

    fn emit_outbox(&self, event: OutboxEvent) {
        let _ = self.outbox_events.send(event);
    }
}

mod durable;
mod faults;
mod handlers;
