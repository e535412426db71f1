//! The installed package: the binary the `.deb` put on the system starts
//! on the embedded default and lists its channels, and launching it again
//! hands over to the running app instead of opening a second one.
//!
//! `scripts/test` runs this after building and installing the `.deb`, with
//! `CHATPI_APP` naming the installed binary; it is not part of a plain
//! `cargo test`, which has no package to test.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use crate::driver::App;

/// How many processes run `binary` with `home`'s data folder.
fn instances(binary: &Path, home: &Path) -> usize {
    let data = home.join("data").display().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0;
    };
    procs
        .flatten()
        .filter(|p| p.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|p| {
            let exe = std::fs::read_link(p.path().join("exe")).ok();
            let environ = std::fs::read(p.path().join("environ")).unwrap_or_default();
            exe.as_deref() == Some(binary)
                && environ
                    .split(|b| *b == 0)
                    .any(|kv| kv == format!("XDG_DATA_HOME={data}").as_bytes())
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the installed .deb: scripts/test runs it with CHATPI_APP set"]
async fn the_installed_app_lists_channels_and_stays_a_single_instance() {
    let binary = std::env::var("CHATPI_APP")
        .expect("CHATPI_APP must name the installed binary, e.g. /usr/bin/chatpi-desktop");
    let binary = Path::new(&binary);
    let home = tempfile::tempdir().unwrap();
    let app = App::launch_binary(home.path(), binary, &[]).await;

    let names = app
        .wait_texts("#channel-list li[data-channel-id]", |t| t.len() >= 4)
        .await;
    for name in ["lobby", "general", "random", "design"] {
        assert!(
            names.iter().any(|n| n.contains(name)),
            "channel {name} missing from {names:?}"
        );
    }
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/installed-app.png");
    app.save_screenshot(&shot).await;
    assert_eq!(instances(binary, home.path()), 1);

    // A second launch finds the first, brings it forward and exits.
    let started = Instant::now();
    let mut second = Command::new(binary)
        .envs(App::app_env(home.path()))
        .spawn()
        .expect("cannot launch the installed app a second time");
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = second.kill();
            panic!("the second launch is still running after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "the second launch failed: {status}");
    eprintln!(
        "second launch exited in {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(instances(binary, home.path()), 1, "only the first app runs");
    // The first window is still there and still working.
    app.wait_texts("#channel-list li[data-channel-id]", |t| t.len() >= 4)
        .await;
    assert_eq!(app.window_count().await, 1, "one window");
    app.close().await;
}
