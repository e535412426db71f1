//! The fan-out baseline: the same clients, chat size and sending schedule
//! over the bare transport. A tokio-tungstenite relay forwards every text
//! frame it reads to every socket, and raw tokio-tungstenite clients read
//! them: no JSON, no Phoenix protocol, no database. What it measures is the
//! floor that loopback WebSockets and tokio scheduling set on this machine,
//! in the same runtime the server and clients use.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::{net::TcpListener, sync::mpsc, task::JoinSet};
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};

use crate::fanout::{self, Fanout, Plan};

type Peers = Arc<Mutex<Vec<mpsc::UnboundedSender<Utf8Bytes>>>>;

pub async fn run(plan: &Plan) -> Result<Fanout> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}", listener.local_addr()?);
    let peers: Peers = Arc::default();
    let mut relay = JoinSet::new();
    {
        let peers = peers.clone();
        relay.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                conns.spawn(serve(tcp, peers.clone()));
            }
        });
    }

    let total = plan.warmup + plan.messages;
    let mut readers = JoinSet::new();
    for _ in 0..plan.receivers {
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
        readers.spawn(receive(ws, total));
    }
    let (mut sender, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
    // Every socket is registered once the relay has accepted it.
    let expected = plan.receivers + 1;
    let ready = async {
        while peers
            .lock()
            .map_err(|_| anyhow!("relay lock poisoned"))?
            .len()
            < expected
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok::<_, anyhow::Error>(())
    };
    tokio::time::timeout(Duration::from_secs(30), ready).await??;

    let mut sent_at = vec![None; total];
    let mut tick = tokio::time::interval(plan.interval);
    for (seq, slot) in sent_at.iter_mut().enumerate() {
        tick.tick().await;
        *slot = Some(Instant::now());
        sender.send(WsMessage::text(fanout::text(seq))).await?;
    }

    // A reader still waiting after the drain counts as having lost all.
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + fanout::DRAIN;
    while let Ok(Some(got)) = tokio::time::timeout_at(deadline, readers.join_next()).await {
        received.push(got?);
    }
    readers.abort_all();
    let _ = sender.close(None).await;
    relay.abort_all();
    let (latencies, mut lost) = fanout::tally(&received, &sent_at, plan.warmup);
    lost += (plan.receivers - received.len()) * plan.messages;
    Ok(Fanout {
        latencies,
        lost,
        db_dir: None,
    })
}

/// One relay connection: what it reads goes to every peer.
async fn serve(tcp: tokio::net::TcpStream, peers: Peers) -> Result<()> {
    tcp.set_nodelay(true)?;
    let ws = tokio_tungstenite::accept_async(tcp).await?;
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Utf8Bytes>();
    peers
        .lock()
        .map_err(|_| anyhow!("relay lock poisoned"))?
        .push(tx);
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(WsMessage::Text(text)).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(msg)) = stream.next().await {
        let WsMessage::Text(text) = msg else { continue };
        let Ok(all) = peers.lock() else {
            bail!("relay lock poisoned");
        };
        for peer in all.iter() {
            let _ = peer.send(text.clone());
        }
    }
    writer.abort();
    Ok(())
}

/// Records when each sequence number arrived, until all have or the socket
/// ends.
async fn receive(
    mut ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    total: usize,
) -> HashMap<usize, Instant> {
    let mut got = HashMap::with_capacity(total);
    while got.len() < total {
        let Some(Ok(msg)) = ws.next().await else {
            break;
        };
        let now = Instant::now();
        if let Some(seq) = msg.to_text().ok().and_then(fanout::sequence) {
            got.entry(seq).or_insert(now);
        }
    }
    got
}
