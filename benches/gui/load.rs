//! Benchmark 5, the page under load, on one account whose #firehose holds
//! 100k messages, all paged into the backend:
//!
//! - switching to #firehose, from a click on it in the channel list to
//!   the frame after its newest message is in the page, beside the same
//!   switch to a channel of 20 messages;
//! - the longest gap in the page's event loop (a chain of zero-delay
//!   timers; WebKitGTK has no long-task observer) while a second client
//!   floods #firehose, beside the same probe with no flood.
//!
//! The home is in `/dev/shm` when there is one: the embedded server
//! commits every message with a sync, and the disk is not what this
//! measures.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{ensure, Context, Result};
use chatpi_client::{Connection, ConnectionConfig, Credentials};
use serde_json::json;

use crate::{driver::App, seed, Report, Row, Setup};

const ACCOUNT: &str = "local-alice";
const ROUNDS: usize = 5;

/// Clicks a channel and answers, in ms, when the frame after `needle`
/// reached the message list has run.
const SWITCH: &str = r#"
const [id, needle, done] = arguments;
const list = document.querySelector('#messages');
const item = document.querySelector(`#channel-list li[data-channel-id="${id}"]`);
const t0 = performance.now();
item.click();
const check = () => {
  if (list.textContent.includes(needle)) setTimeout(() => done(performance.now() - t0), 0);
  else requestAnimationFrame(check);
};
requestAnimationFrame(check);
"#;

/// Starts the event-loop probe.
const PROBE_START: &str = r#"
const g = { max: 0, last: performance.now(), ticks: 0, on: true };
window.__gapProbe = g;
const tick = () => {
  const now = performance.now();
  g.max = Math.max(g.max, now - g.last);
  g.last = now;
  g.ticks += 1;
  if (g.on) setTimeout(tick, 0);
};
setTimeout(tick, 0);
"#;

const PROBE_STOP: &str = r#"
const g = window.__gapProbe;
g.on = false;
return { max: g.max, ticks: g.ticks };
"#;

/// Pages older history in until there is none, at most `arguments[2]`
/// pages; answers the last reply.
const LOAD: &str = r#"
const [account, channel, pages, done] = arguments;
(async () => {
  let reply = null;
  for (let i = 0; i < pages; i += 1) {
    reply = await window.__TAURI__.core.invoke('load_older', { account, channel });
    if (!reply.hasOlder) break;
  }
  done(reply);
})().catch((e) => done({ error: String(e?.message ?? e) }));
"#;

pub async fn run(setup: &Setup, report: &mut Report) -> Result<()> {
    let big = setup.args.big_channel;
    let shm = Path::new("/dev/shm");
    let home = if shm.is_dir() {
        tempfile::tempdir_in(shm)?
    } else {
        tempfile::tempdir()?
    };
    let members = || vec!["alice".to_owned(), "carol".to_owned(), "dave".to_owned()];
    let specs = [
        seed::ChatSpec {
            name: "general".into(),
            members: members(),
            messages: 20,
        },
        seed::ChatSpec {
            name: "firehose".into(),
            members: members(),
            messages: big,
        },
    ];
    eprintln!("load: seeding #firehose with {big} messages");
    let (ids, secret) = seed::chats(home.path(), &specs)?;
    let (general, firehose) = (ids[0].clone(), ids[1].clone());
    seed::accounts(home.path(), &["alice"])?;
    let app = App::launch_binary(home.path(), &setup.app, &[]).await;
    app.wait_for(&format!("#channel-list li[data-channel-id=\"{firehose}\"]"))
        .await;

    // The whole of #firehose into the backend.
    let newest = format!("firehose message {}:", big - 1);
    switch(&app, &firehose, &newest).await?;
    let started = Instant::now();
    let held = loop {
        let reply = app
            .execute_async(LOAD, vec![json!(ACCOUNT), json!(firehose), json!(200)])
            .await?;
        ensure!(reply.get("error").is_none(), "load_older failed: {reply}");
        if reply["hasOlder"] != json!(true) {
            break reply["total"].as_u64().unwrap_or_default() as usize;
        }
    };
    ensure!(held >= big, "the app holds {held} of {big} messages");
    eprintln!(
        "load: {held} messages paged in in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Switching, alternately to the small channel and to the big one.
    let small_newest = "general message 19:";
    let (mut to_big, mut to_small) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        to_small.push(switch(&app, &general, small_newest).await?);
        to_big.push(switch(&app, &firehose, &newest).await?);
    }
    let (big_ms, small_ms) = (median(&mut to_big), median(&mut to_small));
    report.rows.push(Row {
        bench: format!("5. switch to {}k-message channel", big / 1000),
        ours: format!("{big_ms:.1} ms"),
        baseline: format!("{small_ms:.1} ms"),
        ratio: big_ms / small_ms,
        goal: "< 50 ms".into(),
        met: Some(big_ms < 50.0),
    });

    // The probe at rest, then during the flood.
    let flood = Duration::from_secs(setup.args.flood_secs);
    app.execute(PROBE_START, vec![]).await?;
    tokio::time::sleep(flood).await;
    let rest = app.execute(PROBE_STOP, vec![]).await?;
    let token = secret.mint("carol", Duration::from_secs(3600));
    let config = ConnectionConfig::new(app.server_url(), "local", Credentials::new(token));
    let (carol, mut events) = Connection::connect(config)?;
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    carol
        .join_channel(&firehose, None)
        .await
        .context("the flooding client's join")?;
    eprintln!(
        "load: flooding #firehose with {} messages a second for {} s",
        setup.args.flood_rate,
        flood.as_secs()
    );
    app.execute(PROBE_START, vec![]).await?;
    let sent = send_flood(&carol, &firehose, setup.args.flood_rate, flood).await;
    let last = format!("flood {}", sent.total - 1);
    let caught_up = Instant::now();
    app.wait_text("#messages", |t| t.contains(&last)).await;
    let lag = caught_up.elapsed();
    let during = app.execute(PROBE_STOP, vec![]).await?;
    carol.disconnect().await;
    drain.abort();
    app.close().await;

    let gap = |v: &serde_json::Value| v["max"].as_f64().unwrap_or(f64::NAN);
    let (flood_gap, rest_gap) = (gap(&during), gap(&rest));
    report.rows.push(Row {
        bench: format!(
            "5. longest event-loop gap, {}/s flood",
            setup.args.flood_rate
        ),
        ours: format!("{flood_gap:.1} ms"),
        baseline: format!("{rest_gap:.1} ms"),
        ratio: flood_gap / rest_gap,
        goal: "< 50 ms".into(),
        met: Some(flood_gap < 50.0),
    });
    report.notes.push(format!(
        "UI load: #firehose of {held} messages in the backend, median of {ROUNDS} switches \
         (baseline: to a 20-message channel). Flood: {} of {} messages stored in {:.1} s \
         ({:.0}/s), the window showing the last {:.1} s after the flood ended; baseline: \
         the probe for {} s with no flood. Home in {}.",
        sent.ok,
        sent.total,
        sent.elapsed.as_secs_f64(),
        sent.ok as f64 / sent.elapsed.as_secs_f64(),
        lag.as_secs_f64(),
        flood.as_secs(),
        home.path().display(),
    ));
    Ok(())
}

async fn switch(app: &App, channel: &str, needle: &str) -> Result<f64> {
    let ms = app
        .execute_async(SWITCH, vec![json!(channel), json!(needle)])
        .await?;
    ms.as_f64().context("the switch probe answered no time")
}

struct Flood {
    total: usize,
    ok: usize,
    elapsed: Duration,
}

/// Sends `rate` messages a second for `length`, in bursts every 10 ms,
/// without waiting for replies; then waits for every reply.
async fn send_flood(conn: &Connection, channel: &str, rate: usize, length: Duration) -> Flood {
    const TICK: Duration = Duration::from_millis(10);
    let ticks = (length.as_millis() / TICK.as_millis()) as usize;
    let per_tick = (rate / 100).max(1);
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut pushes = tokio::task::JoinSet::new();
    let started = Instant::now();
    let mut n = 0;
    for _ in 0..ticks {
        interval.tick().await;
        for _ in 0..per_tick {
            let (conn, channel) = (conn.clone(), channel.to_owned());
            let text = format!("flood {n}");
            pushes.spawn(async move {
                conn.push(&channel, "message:new", json!({ "text": text }))
                    .await
                    .is_ok()
            });
            n += 1;
        }
    }
    let mut ok = 0;
    while let Some(done) = pushes.join_next().await {
        ok += usize::from(matches!(done, Ok(true)));
    }
    Flood {
        total: n,
        ok,
        elapsed: started.elapsed(),
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
