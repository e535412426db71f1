//! Benchmark 3, memory: the total PSS of the app's processes (the main
//! process and every WebKit helper under it) after a spell of idle, with
//! 3 accounts, 30 channels and 10k messages loaded into its stores,
//! beside a blank Tauri window of the same build, idle as long. Both run
//! under WebDriver, so both carry its automation.

use std::time::Duration;

use anyhow::{ensure, Result};
use serde_json::json;

use crate::{driver::App, procs, seed, Report, Row, Setup};

const USERS: [&str; 3] = ["alice", "bob", "carol"];
const CHANNELS: usize = 30;
const MESSAGES: usize = 10_000;

pub async fn run(setup: &Setup, report: &mut Report) -> Result<()> {
    let idle = Duration::from_secs(setup.args.idle_secs);

    // Ours: each account in 10 channels of its own, with dave writing too.
    let home = tempfile::tempdir()?;
    let specs: Vec<seed::ChatSpec> = (0..CHANNELS)
        .map(|i| seed::ChatSpec {
            name: format!("team-{i:02}"),
            members: vec![USERS[i % USERS.len()].to_owned(), "dave".to_owned()],
            messages: MESSAGES / CHANNELS + usize::from(i < MESSAGES % CHANNELS),
        })
        .collect();
    let (ids, _) = seed::chats(home.path(), &specs)?;
    seed::accounts(home.path(), &USERS)?;
    eprintln!("memory: the app with 3 accounts, {CHANNELS} channels, {MESSAGES} messages");
    let app = App::launch_binary(home.path(), &setup.app, &[]).await;
    app.wait_texts("#channel-list li[data-channel-id]", |t| t.len() > 10)
        .await;

    // Every channel's whole history into the backend's stores.
    let mut loaded = 0;
    for (i, id) in ids.iter().enumerate() {
        let account = format!("local-{}", USERS[i % USERS.len()]);
        loaded += load_all(&app, &account, id).await?;
    }
    ensure!(
        loaded >= MESSAGES,
        "the app holds {loaded} of {MESSAGES} messages"
    );
    eprintln!(
        "memory: {loaded} messages loaded; idle for {} s",
        idle.as_secs()
    );
    tokio::time::sleep(idle).await;
    let roots = procs::find(&setup.app, &home.path().join("data"));
    ensure!(roots.len() == 1, "found {} app processes", roots.len());
    let (ours, ours_parts) = procs::total_pss(&roots);
    app.close().await;

    // The blank window, idle as long.
    let blank_home = tempfile::tempdir()?;
    eprintln!("memory: the blank window; idle for {} s", idle.as_secs());
    let blank = App::launch_binary(blank_home.path(), &setup.blank, &[]).await;
    tokio::time::sleep(idle).await;
    let roots = procs::find(&setup.blank, &blank_home.path().join("data"));
    ensure!(
        roots.len() == 1,
        "found {} blank-window processes",
        roots.len()
    );
    let (base, base_parts) = procs::total_pss(&roots);
    blank.close().await;

    let ratio = ours as f64 / base as f64;
    report.rows.push(Row {
        bench: "3. memory (PSS) vs blank window".into(),
        ours: format!("{:.0} MB", ours as f64 / 1024.0),
        baseline: format!("{:.0} MB", base as f64 / 1024.0),
        ratio,
        goal: "<= 1.25x".into(),
        met: Some(ratio <= 1.25),
    });
    report.notes.push(format!(
        "Memory: PSS after {} s idle; the app with 3 accounts, {CHANNELS} channels and \
         {loaded} messages loaded ({}), the blank window ({}).",
        idle.as_secs(),
        ours_parts.join(", "),
        base_parts.join(", "),
    ));
    Ok(())
}

/// Pages a channel's whole history into the app; returns how many
/// messages its store then holds.
async fn load_all(app: &App, account: &str, channel: &str) -> Result<usize> {
    app.invoke(
        "open_channel",
        json!({ "account": account, "channel": channel }),
    )
    .await;
    loop {
        let reply = app
            .invoke(
                "load_older",
                json!({ "account": account, "channel": channel }),
            )
            .await;
        let total = reply["total"].as_u64().unwrap_or_default() as usize;
        if reply["hasOlder"] != json!(true) {
            return Ok(total);
        }
    }
}
