//! Benchmark 4, start-up: from just before the process is spawned to the
//! first channel's messages painted (the app logs it when its page says
//! so), beside a blank Tauri window's `DOMContentLoaded` (printed by its
//! backend). Runs alternate between the two so both see the same
//! machine; the first run of each is a warm-up and is not counted.

use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use crate::{driver::App, procs, seed, Report, Row, Setup};

const LIMIT: Duration = Duration::from_secs(60);

pub fn run(setup: &Setup, report: &mut Report) -> Result<()> {
    let runs = setup.args.startup_runs.max(1);
    let ours_home = tempfile::tempdir()?;
    let blank_home = tempfile::tempdir()?;
    for home in [ours_home.path(), blank_home.path()] {
        prepare(home)?;
    }

    // The warm-up run of the app is also its first run: it seeds the demo.
    eprintln!("start-up: {runs} runs of each, after a warm-up");
    let (mut ours, mut blank) = (Vec::new(), Vec::new());
    for i in 0..=runs {
        let a = time_to_line(
            &setup.app,
            ours_home.path(),
            Pipe::Stderr,
            "first messages painted",
        )?;
        let b = time_to_line(
            &setup.blank,
            blank_home.path(),
            Pipe::Stdout,
            "dom-content-loaded",
        )?;
        eprintln!(
            "  run {i}: app {:.0} ms, blank window {:.0} ms{}",
            ms(a),
            ms(b),
            if i == 0 { " (warm-up)" } else { "" }
        );
        if i > 0 {
            ours.push(a);
            blank.push(b);
        }
    }
    let (ours, blank) = (median(&mut ours), median(&mut blank));
    let ratio = ms(ours) / ms(blank);
    report.rows.push(Row {
        bench: "4. start-up vs blank window".into(),
        ours: format!("{:.0} ms", ms(ours)),
        baseline: format!("{:.0} ms", ms(blank)),
        ratio,
        goal: "<= 1.3x".into(),
        met: Some(ratio <= 1.3),
    });
    report.notes.push(format!(
        "Start-up: median of {runs} interleaved runs each, release builds, process spawn to \
         the first channel's messages painted (embedded server started, two demo accounts \
         signed in) beside the blank window's DOMContentLoaded."
    ));
    Ok(())
}

/// The folders `App::app_env` points at, and a fixed embedded-server port.
fn prepare(home: &Path) -> Result<()> {
    let runtime = home.join("runtime");
    std::fs::create_dir_all(&runtime)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    std::fs::write(home.join("server-port"), port.to_string())?;
    std::fs::create_dir_all(seed::data_dir(home))?;
    Ok(())
}

#[derive(Clone, Copy)]
enum Pipe {
    Stdout,
    Stderr,
}

/// Spawns `binary` with `home`'s folders and times it until it writes a
/// line containing `needle`; then stops it and waits for its processes.
fn time_to_line(binary: &Path, home: &Path, pipe: Pipe, needle: &str) -> Result<Duration> {
    let mut command = Command::new(binary);
    command
        .envs(App::app_env(home))
        .env("RUST_LOG", "chatpi_desktop=info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match pipe {
        Pipe::Stdout => command.stdout(Stdio::piped()),
        Pipe::Stderr => command.stderr(Stdio::piped()),
    };
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let stream: Box<dyn Read + Send> = match pipe {
        Pipe::Stdout => Box::new(child.stdout.take().context("no stdout")?),
        Pipe::Stderr => Box::new(child.stderr.take().context("no stderr")?),
    };
    let (tx, rx) = mpsc::channel();
    let wanted = needle.to_owned();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if line.contains(&wanted) {
                let _ = tx.send(Instant::now());
            }
        }
    });
    let seen = rx.recv_timeout(LIMIT);
    let family = procs::tree(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    // WebKit's helpers leave when their parent is gone; wait for them so
    // the next run starts on a quiet machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    while family
        .iter()
        .any(|pid| Path::new(&format!("/proc/{pid}")).exists())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    match seen {
        Ok(at) => Ok(at - started),
        Err(_) => bail!(
            "{} wrote no line like {needle:?} within {} s",
            binary.display(),
            LIMIT.as_secs()
        ),
    }
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
