//! `chatpi-bench`: runs the benchmarks and prints one table, each figure
//! beside its baseline measured in the same run.
//!
//! 1. Client ingest with no server in the loop (see [`ingest`]).
//! 2. Fan-out latency through the local server on loopback (see [`fanout`]).
//!
//! The app's own benchmarks (memory, start-up, the page under load) run
//! in the app package (`benches/gui`); `--gui-rows` adds their rows.

mod cpu;
mod fanout;
mod feeder;
mod ingest;
mod relay;
mod stats;
mod table;

use std::{path::PathBuf, time::Duration};

use anyhow::Result;
use clap::Parser;

use crate::{
    fanout::Plan,
    feeder::Feed,
    ingest::{Ingest, NodeSetup},
    table::Table,
};

/// Benchmarks for the Chatpi client and local server.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Broadcasts per ingest run.
    #[arg(long, default_value_t = 200_000)]
    messages: usize,
    /// Ingest runs per consumer; the table shows the median.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The Node.js binary for the `phoenix` baseline.
    #[arg(long, default_value = "node")]
    node: PathBuf,
    /// The baseline script (its `node_modules` installed with `npm ci`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/node/ingest.mjs"))]
    node_script: PathBuf,
    /// Skips the Node baseline.
    #[arg(long)]
    no_node: bool,
    /// Receiving clients in the fan-out chat (plus one sender).
    #[arg(long, default_value_t = 100)]
    receivers: usize,
    /// Counted fan-out messages.
    #[arg(long, default_value_t = 1000)]
    fanout_messages: usize,
    /// Fan-out messages sent first and not counted.
    #[arg(long, default_value_t = 100)]
    fanout_warmup: usize,
    /// Milliseconds between fan-out sends.
    #[arg(long, default_value_t = 20.0)]
    interval_ms: f64,
    /// Where the fan-out server's temporary database goes.
    #[arg(long)]
    db_dir: Option<PathBuf>,
    /// Runs only this benchmark.
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Rows of the app's benchmarks (memory, start-up, the page under
    /// load), as `cargo bench --bench gui -- --out PATH` wrote them.
    #[arg(long)]
    gui_rows: Option<PathBuf>,
    /// Skips the app's benchmarks (read by `scripts/bench`).
    #[arg(long)]
    no_gui: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Only {
    Ingest,
    Fanout,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut table = Table::default();
    let mut notes = Vec::new();

    if args.only != Some(Only::Fanout) {
        run_ingest(&args, &mut table, &mut notes)?;
    }
    if args.only != Some(Only::Ingest) {
        run_fanout(&args, &mut table, &mut notes)?;
    }
    if let Some(path) = &args.gui_rows {
        gui_rows(path, &mut table, &mut notes)?;
    }

    println!();
    table.print();
    for note in notes {
        println!("{note}");
    }
    Ok(())
}

/// The median rate and CPU per message over a consumer's runs.
struct Summary {
    per_second: f64,
    cpu_micros: f64,
}

fn summarize(runs: &[Ingest]) -> Option<Summary> {
    let rates: Vec<f64> = runs.iter().map(Ingest::per_second).collect();
    let cpus: Vec<f64> = runs.iter().map(Ingest::cpu_micros_per_message).collect();
    Some(Summary {
        per_second: stats::median(&rates)?,
        cpu_micros: stats::median(&cpus)?,
    })
}

fn run_ingest(args: &Args, table: &mut Table, notes: &mut Vec<String>) -> Result<()> {
    let rounds = args.rounds.max(1);
    eprintln!("ingest: encoding {} broadcasts", args.messages);
    let feed = Feed::new(args.messages.max(1));
    let node = NodeSetup {
        node: args.node.clone(),
        script: args.node_script.clone(),
    };

    let (mut ours, mut raw, mut node_runs) = (Vec::new(), Vec::new(), Vec::new());
    let mut node_error = args.no_node.then(|| "skipped (--no-node)".to_owned());
    for round in 1..=rounds {
        eprintln!("ingest: round {round} of {rounds}");
        raw.push(report("raw loop", ingest::raw(&feed)?));
        ours.push(report("Connection", ingest::ours(&feed)?));
        if node_error.is_none() {
            match ingest::node(&feed, &node) {
                Ok(run) => node_runs.push(report("phoenix (Node)", run)),
                Err(e) => node_error = Some(format!("{e:#}")),
            }
        }
    }

    let (Some(ours), Some(raw)) = (summarize(&ours), summarize(&raw)) else {
        anyhow::bail!("no ingest run finished");
    };
    let node = summarize(&node_runs);
    let rate = |s: &Summary| format!("{} msg/s", thousands(s.per_second));
    let cpu = |s: &Summary| format!("{:.2} µs/msg", s.cpu_micros);

    match &node {
        Some(node) => {
            let ratio = ours.per_second / node.per_second;
            table.row(
                "1. ingest rate vs phoenix (Node)",
                rate(&ours),
                rate(node),
                ratio,
                ">= 10x",
                Some(ratio >= 10.0),
            );
            table.row(
                "1. ingest CPU vs phoenix (Node)",
                cpu(&ours),
                cpu(node),
                ours.cpu_micros / node.cpu_micros,
                "",
                None,
            );
        }
        None => notes.push(format!(
            "The Node baseline did not run: {}",
            node_error.as_deref().unwrap_or("no run finished")
        )),
    }
    let ratio = ours.per_second / raw.per_second;
    table.row(
        "1. ingest rate vs raw loop",
        rate(&ours),
        rate(&raw),
        ratio,
        ">= 0.5x",
        Some(ratio >= 0.5),
    );
    table.row(
        "1. ingest CPU vs raw loop",
        cpu(&ours),
        cpu(&raw),
        ours.cpu_micros / raw.cpu_micros,
        "",
        None,
    );
    notes.push(format!(
        "Ingest: {} broadcasts ({:.1} MB on the wire) per run, median of {rounds} runs.",
        thousands(args.messages as f64),
        feed.wire_bytes() as f64 / 1e6,
    ));
    Ok(())
}

fn run_fanout(args: &Args, table: &mut Table, notes: &mut Vec<String>) -> Result<()> {
    let plan = Plan {
        receivers: args.receivers.max(1),
        messages: args.fanout_messages.max(1),
        warmup: args.fanout_warmup,
        interval: Duration::from_secs_f64(args.interval_ms.max(0.001) / 1000.0),
        db_dir: args.db_dir.clone(),
    };
    eprintln!(
        "fan-out: {} receivers, {} messages every {} ms",
        plan.receivers, plan.messages, args.interval_ms
    );
    let rt = tokio::runtime::Runtime::new()?;
    let ours = rt.block_on(fanout::run(&plan))?;
    eprintln!("fan-out baseline: the same over a bare WebSocket relay");
    let floor = rt.block_on(relay::run(&plan))?;

    let ms = |f: &fanout::Fanout, p: f64| {
        stats::percentile(&f.latencies, p).map(|d| d.as_secs_f64() * 1e3)
    };
    for (name, p, goal) in [
        ("p50", 50.0, None),
        ("p99", 99.0, Some(5.0)),
        ("max", 100.0, None),
    ] {
        let (Some(v), Some(base)) = (ms(&ours, p), ms(&floor, p)) else {
            anyhow::bail!("no fan-out message arrived");
        };
        table.row(
            &format!("2. fan-out {name} vs bare relay"),
            format!("{v:.2} ms"),
            format!("{base:.2} ms"),
            v / base,
            goal.map(|g| format!("< {g} ms")).as_deref().unwrap_or(""),
            goal.map(|g| v < g),
        );
    }
    notes.push(format!(
        "Fan-out: {} receivers + 1 sender in one chat, {} messages every {} ms after {} \
         warm-up; {} latencies, {} lost (bare relay: {}, {} lost); database in {}.",
        plan.receivers,
        plan.messages,
        args.interval_ms,
        plan.warmup,
        ours.latencies.len(),
        ours.lost,
        floor.latencies.len(),
        floor.lost,
        ours.db_dir
            .as_deref()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
    ));
    Ok(())
}

/// What the app's benchmarks wrote.
#[derive(serde::Deserialize)]
struct GuiReport {
    rows: Vec<GuiRow>,
    notes: Vec<String>,
}

#[derive(serde::Deserialize)]
struct GuiRow {
    bench: String,
    ours: String,
    baseline: String,
    ratio: Option<f64>,
    goal: String,
    met: Option<bool>,
}

fn gui_rows(path: &std::path::Path, table: &mut Table, notes: &mut Vec<String>) -> Result<()> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the app's benchmark rows {}", path.display()))?;
    let report: GuiReport = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a benchmark report", path.display()))?;
    for row in report.rows {
        table.row(
            &row.bench,
            row.ours,
            row.baseline,
            row.ratio.unwrap_or(f64::NAN),
            &row.goal,
            row.met,
        );
    }
    notes.extend(report.notes);
    Ok(())
}

fn report(what: &str, run: Ingest) -> Ingest {
    eprintln!(
        "  {what:<15} {:>12} msg/s  {:>7.2} µs CPU/msg  ({:.2} s)",
        thousands(run.per_second()),
        run.cpu_micros_per_message(),
        run.elapsed.as_secs_f64()
    );
    run
}

/// `1234567.8` as `1,234,568`.
fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.8), "1,234,568");
    }
}
