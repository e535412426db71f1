//! The app's own benchmarks, each beside a baseline measured in the same
//! run: memory and start-up beside a blank Tauri window built with the
//! same toolchain and settings (`examples/blank-window.rs`), and the page
//! under load beside the same page at rest.
//!
//! 3. Memory: total PSS of the app's processes after 30 s idle with 3
//!    accounts, 30 channels and 10k messages loaded.
//! 4. Start-up: process start to the first channel's messages painted,
//!    beside the blank window's `DOMContentLoaded`, interleaved runs.
//! 5. The UI under load: switching to a channel of 100k messages, and
//!    the page's longest event-loop gap during a flood of messages.
//!
//! `scripts/bench` builds the blank window and runs this under Xvfb and a
//! private D-Bus session; the rows go to a JSON file that `chatpi-bench`
//! prints in its table.

// The e2e suite's WebDriver helpers; the benchmarks use a few of them.
#[allow(dead_code)]
#[path = "../../tests/e2e/driver.rs"]
mod driver;
mod load;
mod memory;
mod procs;
mod seed;
mod startup;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use serde::Serialize;

/// Benchmarks of the desktop app.
#[derive(Debug, Parser)]
pub struct Args {
    /// Writes the rows here as JSON, for `chatpi-bench --gui-rows`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The blank Tauri window (`cargo build --release --example blank-window`).
    #[arg(long)]
    blank: Option<PathBuf>,
    /// Runs of each binary in the start-up benchmark (the median is shown).
    #[arg(long, default_value_t = 10)]
    startup_runs: usize,
    /// Seconds idle before memory is read.
    #[arg(long, default_value_t = 30)]
    idle_secs: u64,
    /// Messages in the big channel of the load benchmark.
    #[arg(long, default_value_t = 100_000)]
    big_channel: usize,
    /// Messages per second in the flood.
    #[arg(long, default_value_t = 5000)]
    flood_rate: usize,
    /// Seconds the flood lasts.
    #[arg(long, default_value_t = 10)]
    flood_secs: u64,
    /// Runs only this benchmark.
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    Memory,
    Startup,
    Load,
}

/// One line of the results table, as `chatpi-bench` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub bench: String,
    pub ours: String,
    pub baseline: String,
    /// Ours ÷ baseline.
    pub ratio: f64,
    pub goal: String,
    pub met: Option<bool>,
}

/// What a run produced: rows and notes on how they were measured.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

/// The app under test, the baseline, and the run's settings.
pub struct Setup {
    pub app: PathBuf,
    pub blank: PathBuf,
    pub args: Args,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let app = PathBuf::from(env!("CARGO_BIN_EXE_chatpi-desktop"));
    let blank = match &args.blank {
        Some(path) => path.clone(),
        None => app
            .parent()
            .context("the app binary has no folder")?
            .join("examples/blank-window"),
    };
    anyhow::ensure!(
        blank.exists(),
        "no blank window at {} (cargo build --release --example blank-window)",
        blank.display()
    );
    anyhow::ensure!(
        std::env::var_os("DISPLAY").is_some(),
        "no display: run under xvfb-run and dbus-run-session (scripts/bench does)"
    );
    let setup = Setup { app, blank, args };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    let mut report = Report::default();
    let only = setup.args.only;
    if only.is_none() || only == Some(Only::Memory) {
        rt.block_on(memory::run(&setup, &mut report))?;
    }
    if only.is_none() || only == Some(Only::Startup) {
        startup::run(&setup, &mut report)?;
    }
    if only.is_none() || only == Some(Only::Load) {
        rt.block_on(load::run(&setup, &mut report))?;
    }

    for row in &report.rows {
        println!(
            "{}: {} (baseline {}, {:.2}x, goal {})",
            row.bench, row.ours, row.baseline, row.ratio, row.goal
        );
    }
    for note in &report.notes {
        println!("{note}");
    }
    if let Some(out) = &setup.args.out {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
