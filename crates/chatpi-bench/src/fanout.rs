//! Benchmark 2, fan-out latency through the local server: receivers and one
//! sender, every one a `chatpi_client::Connection` joined to one chat on a
//! `chatpi_server::Server` running in this process on loopback.
//!
//! The sender pushes a message every `interval` without waiting for the
//! previous one (an open loop, as people in a busy chat do), each carrying
//! its sequence number. A message's latency at one receiver is from the
//! instant just before the sender hands it to its `Connection` to the
//! instant the receiver's event loop gets it as `Event::Message`: the
//! client's encoding, the server's decode, insert (SQLite, in a temporary
//! directory) and broadcast, and the receiver's decode and delivery. The
//! first `warmup` messages are sent but not counted.

use std::{
    collections::HashMap,
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use chatpi_client::{Connection, ConnectionConfig, Credentials, Event, Events, OutgoingMessage};
use chatpi_server::{Server, ServerConfig};
use tokio::{sync::watch, task::JoinSet};

const API_KEY: &str = "bench";
const TEXT_PREFIX: &str = "fanout ";
/// How long receivers wait for stragglers after the last send.
pub const DRAIN: Duration = Duration::from_secs(10);

/// How to run the fan-out.
#[derive(Debug, Clone)]
pub struct Plan {
    pub receivers: usize,
    pub messages: usize,
    pub warmup: usize,
    pub interval: Duration,
    /// Where the temporary database goes; the system's temp dir when `None`.
    pub db_dir: Option<PathBuf>,
}

/// Every counted send-to-receipt latency, sorted, and what never arrived.
#[derive(Debug, Clone)]
pub struct Fanout {
    pub latencies: Vec<Duration>,
    pub lost: usize,
    /// Where the server's database was, if there was one.
    pub db_dir: Option<PathBuf>,
}

pub async fn run(plan: &Plan) -> Result<Fanout> {
    let dir = match &plan.db_dir {
        Some(dir) => tempfile::tempdir_in(dir)?,
        None => tempfile::tempdir()?,
    };
    let server = Server::start(ServerConfig::new(dir.path().join("fanout.db"))).await?;

    // One chat holding every receiver and the sender.
    let receivers: Vec<String> = (0..plan.receivers)
        .map(|i| format!("reader{i:03}"))
        .collect();
    let sender_key = "writer".to_owned();
    let mut members = receivers.clone();
    members.push(sender_key.clone());
    let store = server.store().clone();
    let chat = store
        .call(move |s| {
            for key in &members {
                s.upsert_user(key, key)?;
            }
            s.create_chat("fanout", &members)
        })
        .await?;

    let connect = |key: &str| -> Result<(Connection, Events)> {
        let token = server.mint_token(key, Duration::from_secs(3600));
        let config = ConnectionConfig::new(server.ws_url(), API_KEY, Credentials::new(token))
            .channels([chat.id.clone()]);
        Ok(Connection::connect(config)?)
    };
    let mut joined = Vec::new();
    for key in &receivers {
        joined.push(connect(key)?);
    }
    let (sender, sender_events) = connect(&sender_key)?;
    joined.push((sender.clone(), sender_events));

    // Wait until everyone has joined, then let the presence diffs of 101
    // joins settle before the first send.
    let mut streams = Vec::new();
    for (conn, mut events) in joined {
        wait_joined(&mut events).await?;
        streams.push((conn, events));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let Some((_, sender_events)) = streams.pop() else {
        bail!("no sender connection");
    };
    // The sender's own stream is drained so it does not grow.
    let (stop, stopped) = watch::channel(false);
    let mut drains = JoinSet::new();
    drains.spawn(drain(sender_events, stopped.clone()));

    let total = plan.warmup + plan.messages;
    let mut readers = JoinSet::new();
    for (conn, events) in streams {
        readers.spawn(receive(conn, events, total, stopped.clone()));
    }

    // The open-loop sender.
    let mut sent_at = vec![None; total];
    let mut sends = JoinSet::new();
    let mut tick = tokio::time::interval(plan.interval);
    for (seq, slot) in sent_at.iter_mut().enumerate() {
        tick.tick().await;
        let text = text(seq);
        let (conn, chat_id) = (sender.clone(), chat.id.clone());
        *slot = Some(Instant::now());
        sends.spawn(async move {
            conn.send_message(&chat_id, OutgoingMessage::text(text))
                .await
        });
    }
    while let Some(sent) = sends.join_next().await {
        sent?.context("a fan-out send failed")?;
    }

    // Give stragglers a moment, then stop whoever still waits.
    let deadline = tokio::time::sleep(DRAIN);
    tokio::pin!(deadline);
    let mut received = Vec::new();
    loop {
        tokio::select! {
            next = readers.join_next() => match next {
                Some(got) => received.push(got??),
                None => break,
            },
            () = &mut deadline, if !*stop.borrow() => {
                let _ = stop.send(true);
            }
        }
    }
    let _ = stop.send(true);
    while drains.join_next().await.is_some() {}

    let (latencies, lost) = tally(&received, &sent_at, plan.warmup);

    sender.disconnect().await;
    server.shutdown().await;
    Ok(Fanout {
        latencies,
        lost,
        db_dir: dir.path().parent().map(PathBuf::from),
    })
}

/// Every counted latency (sorted) and how many receipts are missing, from
/// each receiver's arrival times and the send times, by sequence number.
pub fn tally(
    received: &[HashMap<usize, Instant>],
    sent_at: &[Option<Instant>],
    warmup: usize,
) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::with_capacity(received.len() * sent_at.len());
    let mut lost = 0;
    for got in received {
        for (seq, sent) in sent_at.iter().enumerate().skip(warmup) {
            match (got.get(&seq), sent) {
                (Some(at), Some(sent)) => latencies.push(at.saturating_duration_since(*sent)),
                _ => lost += 1,
            }
        }
    }
    latencies.sort_unstable();
    (latencies, lost)
}

/// The sequence number in a fan-out text.
pub fn sequence(text: &str) -> Option<usize> {
    text.strip_prefix(TEXT_PREFIX)?.parse().ok()
}

/// A fan-out text carrying `seq`.
pub fn text(seq: usize) -> String {
    format!("{TEXT_PREFIX}{seq}")
}

async fn wait_joined(events: &mut Events) -> Result<()> {
    let wait = async {
        while let Some(event) = events.recv().await {
            match event {
                Event::Joined { .. } => return Ok(()),
                Event::Channel { status, .. }
                    if matches!(status, chatpi_client::ChannelStatus::Rejected { .. }) =>
                {
                    bail!("a fan-out client was refused its join: {status:?}")
                }
                _ => {}
            }
        }
        bail!("a fan-out connection closed before joining")
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .context("a fan-out client did not join within 30 s")?
}

/// Records when each sequence number arrived, until all have or `stop`.
async fn receive(
    conn: Connection,
    mut events: Events,
    total: usize,
    mut stop: watch::Receiver<bool>,
) -> Result<HashMap<usize, Instant>> {
    let mut got = HashMap::with_capacity(total);
    while got.len() < total {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                let now = Instant::now();
                if let Event::Message { message, .. } = event {
                    if let Some(seq) = sequence(&message.text) {
                        got.entry(seq).or_insert(now);
                    }
                }
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    conn.disconnect().await;
    Ok(got)
}

async fn drain(mut events: Events, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            event = events.recv() => if event.is_none() { break },
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_skips_the_warmup_and_counts_what_never_came() {
        let t0 = Instant::now();
        let sent = [Some(t0), Some(t0), Some(t0)];
        let at = |ms| t0 + Duration::from_millis(ms);
        let a = HashMap::from([(0, at(9)), (1, at(2)), (2, at(1))]);
        let b = HashMap::from([(1, at(3))]);
        let (latencies, lost) = tally(&[a, b], &sent, 1);
        let ms: Vec<u128> = latencies.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [1, 2, 3]);
        assert_eq!(lost, 1);
    }

    #[test]
    fn texts_carry_their_sequence() {
        assert_eq!(sequence(&text(42)), Some(42));
        assert_eq!(sequence("hello"), None);
    }
}
