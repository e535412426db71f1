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

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::{
    sync::{mpsc, oneshot},
    time::Instant,
};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{
    core::{
        encode, Backoff, Channel, ChannelEvent, ChannelState, Frame, Heartbeat, Link, Presence,
        PresenceState, PresenceUpdate, PushOutcome, Refs, Schedule,
    },
    endpoint::Endpoint,
    event::{ChannelStatus, ConnectionState, Event},
    token::TokenProvider,
    transport::{self, WsStream},
    ConnectError, Message, Result,
};

/// A refused token is retried no more often than this (6 a minute).
pub(crate) const AUTH_RETRY: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The driver's tunables.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub api_key: String,
    pub heartbeat_interval: Duration,
    pub push_timeout: Duration,
    pub typing_timeout: Duration,
    pub max_frame_bytes: usize,
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
}

struct Slot {
    id: String,
    channel: Channel<Waiter>,
    presence: Presence,
    join_waiters: Vec<oneshot::Sender<Result<Value>>>,
    leave_waiter: Option<oneshot::Sender<Result<()>>>,
    typing_until: Option<Instant>,
}

/// A `message:new` waiting for its ack and its own echo.
struct PendingSend {
    topic: String,
    done: oneshot::Sender<Result<Message>>,
    acked: bool,
    echo: Option<Message>,
    echo_deadline: Option<Instant>,
}

type Connecting = Pin<Box<dyn Future<Output = Result<WsStream, ConnectError>> + Send>>;

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
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

impl Driver {
    pub(crate) fn new(
        endpoint: Endpoint,
        tokens: Arc<dyn TokenProvider>,
        settings: Settings,
        cmds: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedSender<Event>,
        snapshot: Arc<RwLock<Snapshot>>,
    ) -> Self {
        let heartbeat = Heartbeat::new(settings.heartbeat_interval, now());
        Self {
            endpoint,
            tokens,
            settings,
            cmds,
            events,
            snapshot,
            refs: Refs::new(),
            heartbeat,
            backoff: Backoff::new(Schedule::Reconnect),
            slots: HashMap::new(),
            watched: HashSet::new(),
            sends: HashMap::new(),
            out: Vec::new(),
            link: Link::Down,
        }
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
            tokio::select! {
                cmd = self.cmds.recv() => match cmd {
                    None | Some(Command::Disconnect) => break,
                    Some(cmd) => self.on_command(cmd),
                },
                result = async { connecting.as_mut().expect("guarded").await }, if connecting.is_some() => {
                    connecting = None;
                    match result {
                        Ok(stream) => {
                            ws = Some(stream);
                            self.on_open();
                        }
                        Err(error) => reconnect_at = Some(self.on_connect_failed(error)),
                    }
                }
                msg = async { ws.as_mut().expect("guarded").next().await }, if ws.is_some() => match msg {
                    Some(Ok(WsMessage::Text(text))) => self.on_text(text.as_str()),
                    Some(Ok(WsMessage::Binary(_))) => {
                        tracing::warn!("binary frame dropped: serializer 2.0.0 is text only");
                    }
                    Some(Ok(WsMessage::Close(_))) | None => lost = Some("closed by the server".into()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => lost = Some(e.to_string()),
                },
                _ = tokio::time::sleep_until(deadline) => {
                    if self.on_tick() {
                        lost = Some("no heartbeat reply: the link is dead".into());
                    }
                }
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
        }
        self.shut_down(ws).await;
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
        match tokio::time::timeout(WRITE_TIMEOUT, write).await {
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
}

mod handlers;
