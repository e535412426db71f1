//! Benchmark 1, client ingest: one consumer joins the feeder's channel and
//! reads its run of broadcasts. Three consumers read the same run:
//!
//! - ours: a `chatpi_client::Connection`, each broadcast decoded and
//!   delivered as an `Event::Message` to a loop that counts them;
//! - Node: the official `phoenix` client under Node (`node/ingest.mjs`),
//!   counting `message:new` through `channel.on`;
//! - raw: a tokio-tungstenite read loop that counts text frames, the
//!   ceiling for any client on this socket stack.
//!
//! Each consumer reads its clocks after it has joined, just before it asks
//! for the run, and again at its last message. The Rust consumers run on a
//! current-thread runtime on a thread of their own and count that thread's
//! CPU time; Node counts its whole process (`process.cpuUsage`).

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};
use chatpi_client::{ChannelStatus, Connection, ConnectionConfig, Credentials, Event};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{
    cpu::thread_cpu_time,
    feeder::{self, Feed, Feeder, API_KEY, CHAT, GO_EVENT},
};

/// A run not read whole within this long has lost messages. One timer for
/// the whole run, so the counting loops pay for no timer per message.
const LIMIT: Duration = Duration::from_secs(120);

/// What one consumer measured over one run.
#[derive(Debug, Clone, Copy)]
pub struct Ingest {
    pub messages: usize,
    pub elapsed: Duration,
    pub cpu: Duration,
}

impl Ingest {
    pub fn per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }

    pub fn cpu_micros_per_message(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.messages as f64
    }
}

/// Where to find Node and the baseline script.
#[derive(Debug, Clone)]
pub struct NodeSetup {
    pub node: PathBuf,
    pub script: PathBuf,
}

/// Runs `consume` on a thread of its own, against a fresh feeder.
fn on_own_thread<F, Fut>(feed: &Feed, consume: F) -> Result<Ingest>
where
    F: FnOnce(String, usize) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Ingest>>,
{
    let feeder = Feeder::start(feed.clone())?;
    let url = format!("ws://{}", feeder.addr);
    let count = feed.count;
    let consumer =
        std::thread::Builder::new()
            .name("consumer".into())
            .spawn(move || -> Result<Ingest> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(consume(url, count))
            })?;
    let result = consumer
        .join()
        .map_err(|_| anyhow!("the consumer thread panicked"))?;
    feeder.finish().context("feeder")?;
    result
}

/// Ours: a `Connection` and its event stream.
pub fn ours(feed: &Feed) -> Result<Ingest> {
    on_own_thread(feed, |url, count| async move {
        let config =
            ConnectionConfig::new(url, API_KEY, Credentials::new("bench")).channels([CHAT]);
        let (conn, mut events) = Connection::connect(config)?;
        let joined = async {
            while let Some(event) = events.recv().await {
                match event {
                    Event::Joined { .. } => return Ok(()),
                    Event::Channel {
                        status: status @ ChannelStatus::Rejected { .. },
                        ..
                    } => bail!("the ingest channel did not join: {status:?}"),
                    _ => {}
                }
            }
            bail!("the connection closed before joining")
        };
        tokio::time::timeout(LIMIT, joined)
            .await
            .context("joining")??;

        let cpu0 = thread_cpu_time()?;
        let t0 = Instant::now();
        let go = conn.clone();
        let asked = tokio::spawn(async move { go.push(CHAT, GO_EVENT, json!({})).await });
        let mut seen = 0;
        let read = async {
            while seen < count {
                match events.recv().await {
                    Some(Event::Message { .. }) => seen += 1,
                    Some(_) => {}
                    None => break,
                }
            }
        };
        let timed_out = tokio::time::timeout(LIMIT, read).await.is_err();
        if timed_out || seen < count {
            bail!("the Connection delivered {seen} of {count} messages");
        }
        let elapsed = t0.elapsed();
        let cpu = thread_cpu_time()? - cpu0;

        asked.await?.context("the go push")?;
        conn.disconnect().await;
        Ok(Ingest {
            messages: count,
            elapsed,
            cpu,
        })
    })
}

/// The ceiling: a raw tokio-tungstenite loop that counts frames.
pub fn raw(feed: &Feed) -> Result<Ingest> {
    on_own_thread(feed, |url, count| async move {
        let url = format!("{url}/socket/websocket?vsn=2.0.0");
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
        let topic = feeder::topic();
        let join = json!(["1", "1", topic, "phx_join", {}]).to_string();
        ws.send(WsMessage::text(join)).await?;
        match ws.next().await {
            Some(Ok(WsMessage::Text(_))) => {}
            other => bail!("no join reply from the feeder: {other:?}"),
        }

        let cpu0 = thread_cpu_time()?;
        let t0 = Instant::now();
        let go = json!(["1", "2", topic, GO_EVENT, {}]).to_string();
        ws.send(WsMessage::text(go)).await?;
        // The go reply, then the run.
        let mut frames = 0;
        let read = async {
            while frames < count + 1 {
                match ws.next().await {
                    Some(Ok(WsMessage::Text(_))) => frames += 1,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                    None => break,
                }
            }
            Ok(())
        };
        let timed_out = match tokio::time::timeout(LIMIT, read).await {
            Ok(read) => {
                read?;
                false
            }
            Err(_) => true,
        };
        if timed_out || frames < count + 1 {
            bail!("the raw loop read {frames} of {} frames", count + 1);
        }
        let elapsed = t0.elapsed();
        let cpu = thread_cpu_time()? - cpu0;

        ws.close(None).await.ok();
        Ok(Ingest {
            messages: count,
            elapsed,
            cpu,
        })
    })
}

/// What `node/ingest.mjs` prints on its last line.
#[derive(Debug, Deserialize)]
struct NodeReport {
    count: usize,
    elapsed_ns: u64,
    cpu_user_us: u64,
    cpu_system_us: u64,
}

/// The baseline: the official `phoenix` client under Node, as a child
/// process.
pub fn node(feed: &Feed, setup: &NodeSetup) -> Result<Ingest> {
    let feeder = Feeder::start(feed.clone())?;
    let url = format!("ws://{}/socket", feeder.addr);
    let output = Command::new(&setup.node)
        .arg(&setup.script)
        .arg(&url)
        .arg(feeder::topic())
        .arg(feed.count.to_string())
        .output()
        .with_context(|| format!("running {}", setup.node.display()))?;
    feeder.finish().context("feeder")?;
    if !output.status.success() {
        bail!(
            "{} exited with {}: {}",
            setup.script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let report: NodeReport = serde_json::from_str(last)
        .with_context(|| format!("reading the Node client's report {last:?}"))?;
    if report.count != feed.count {
        bail!("the Node client counted {} of {}", report.count, feed.count);
    }
    Ok(Ingest {
        messages: report.count,
        elapsed: Duration::from_nanos(report.elapsed_ns),
        cpu: Duration::from_micros(report.cpu_user_us + report.cpu_system_us),
    })
}
