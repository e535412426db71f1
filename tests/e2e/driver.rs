//! The app under WebDriver: starts `tauri-driver` with an isolated home,
//! opens a session on the built app, and offers waits that fail with what
//! they were waiting for.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{
    actions::{InputSource, MouseActions, PointerAction},
    elements::Element,
    Client, ClientBuilder, Locator,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

pub struct App {
    client: Client,
    driver: Child,
    server: String,
}

/// The app's own log (its standard error, through tauri-driver).
pub fn app_log_path(home: &Path) -> std::path::PathBuf {
    home.join("app.log")
}

fn app_log(home: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(app_log_path(home))
        .unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl App {
    /// Launches the app with its data, config and cache under `home`.
    pub async fn launch(home: &Path) -> Self {
        Self::launch_with(home, &[]).await
    }

    /// As [`App::launch`], with extra environment for the app.
    pub async fn launch_with(home: &Path, env: &[(&str, String)]) -> Self {
        Self::launch_binary(home, Path::new(env!("CARGO_BIN_EXE_chatpi-desktop")), env).await
    }

    /// The environment an app under `home` runs with (also for launching
    /// a second copy by hand).
    pub fn app_env(home: &Path) -> Vec<(&'static str, String)> {
        let port = std::fs::read_to_string(home.join("server-port")).unwrap_or_default();
        vec![
            ("XDG_DATA_HOME", home.join("data").display().to_string()),
            ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
            ("XDG_CACHE_HOME", home.join("cache").display().to_string()),
            (
                "XDG_RUNTIME_DIR",
                home.join("runtime").display().to_string(),
            ),
            ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into()),
            ("CHATPI_EMBEDDED_ADDR", format!("127.0.0.1:{}", port.trim())),
        ]
    }

    /// As [`App::launch_with`], for the app binary at `app` (an installed
    /// package, say).
    pub async fn launch_binary(home: &Path, app: &Path, env: &[(&str, String)]) -> Self {
        let runtime = home.join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        // A relaunch on the same home keeps the embedded server's port.
        let port_file = home.join("server-port");
        let server_port = match std::fs::read_to_string(&port_file) {
            Ok(port) => port.trim().parse().unwrap(),
            Err(_) => {
                let port = free_port();
                std::fs::write(&port_file, port.to_string()).unwrap();
                port
            }
        };
        let driver_port = free_port();
        let tauri_driver = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
        let driver = Command::new(&tauri_driver)
            // Each app gets its own WebKitWebDriver: a shared default port
            // would hand a new test the session of an earlier one.
            .args(["--port", &driver_port.to_string()])
            .args(["--native-port", &free_port().to_string()])
            .envs(Self::app_env(home))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::from(app_log(home)))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {tauri_driver}: {e} (cargo install tauri-driver)")
            });

        let url = format!("http://127.0.0.1:{driver_port}");
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", driver_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {driver_port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app.display().to_string() }),
        );
        // tauri-driver may accept before WebKitWebDriver is up: retry.
        let mut attempt = 0;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if attempt < 10 => {
                    attempt += 1;
                    eprintln!("WebDriver session not ready ({e}); retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!("cannot open a WebDriver session on the app: {e:?}"),
            }
        };
        Self {
            client,
            driver,
            server: format!("ws://127.0.0.1:{server_port}"),
        }
    }

    /// The embedded server's socket URL.
    pub fn server_url(&self) -> String {
        self.server.clone()
    }

    async fn poll<T>(&self, what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            if Instant::now() > deadline {
                self.screenshot("timeout").await;
                panic!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn find(&self, css: &str) -> Option<Element> {
        self.client.find(Locator::Css(css)).await.ok()
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|all| !all.is_empty())
    }

    pub async fn wait_for(&self, css: &str) -> Element {
        self.poll(css, async || self.find(css).await).await
    }

    pub async fn wait_gone(&self, css: &str) {
        self.poll(&format!("{css} to go"), async || {
            (!self.exists(css).await).then_some(())
        })
        .await
    }

    /// The text content of the first match (empty when none). Read through
    /// the DOM rather than WebDriver's rendered-text rules, which drop text
    /// inside flex rows that ellipsize.
    pub async fn text(&self, css: &str) -> String {
        self.texts(css).await.into_iter().next().unwrap_or_default()
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let script =
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent);";
        match self.client.execute(script, vec![json!(css)]).await {
            Ok(value) => serde_json::from_value(value).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        self.poll(&format!("text of {css}"), async || {
            let text = self.text(css).await;
            ok(&text).then_some(text)
        })
        .await
    }

    pub async fn wait_texts(&self, css: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
        self.poll(&format!("texts of {css}"), async || {
            let texts = self.texts(css).await;
            ok(&texts).then_some(texts)
        })
        .await
    }

    /// The id of the channel listed under `name`.
    pub async fn channel_id(&self, name: &str) -> Option<String> {
        let script =
            "return Array.from(document.querySelectorAll('#channel-list li[data-channel-id]')) \
                      .find(li => li.querySelector('.channel-name')?.textContent === arguments[0]) \
                      ?.dataset.channelId ?? null;";
        let value = self.client.execute(script, vec![json!(name)]).await.ok()?;
        value.as_str().map(str::to_owned)
    }

    pub async fn click(&self, css: &str) {
        let el = self.wait_for(css).await;
        if let Err(e) = el.click().await {
            self.screenshot("click").await;
            panic!("cannot click {css}: {e:?}");
        }
    }

    /// Saves what the window shows to `target/e2e-{name}.png` (on failure).
    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let path = format!("{}/target/e2e-{name}.png", env!("CARGO_MANIFEST_DIR"));
            if std::fs::write(&path, png).is_ok() {
                eprintln!("screenshot: {path}");
            }
        }
    }

    /// Saves what the window shows to `path`.
    pub async fn save_screenshot(&self, path: &Path) {
        let png = self
            .client
            .screenshot()
            .await
            .expect("cannot take a screenshot");
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("screenshot: {}", path.display());
    }

    pub async fn hover(&self, css: &str) {
        let el = self.wait_for(css).await;
        let moves = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: el,
            duration: Some(Duration::from_millis(50)),
            x: 0.0,
            y: 0.0,
        });
        self.client
            .perform_actions(moves)
            .await
            .unwrap_or_else(|e| panic!("cannot hover {css}: {e}"));
    }

    /// Presses a key chord on the focused element: `keys` are WebDriver key
    /// codes, e.g. `"\u{E009}2"` for Ctrl+2.
    pub async fn chord(&self, keys: &str) {
        let active = self
            .client
            .active_element()
            .await
            .expect("no focused element");
        active
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("cannot press {keys:?}: {e}"));
    }

    /// Calls a backend command the way the page does.
    pub async fn invoke(&self, command: &str, args: serde_json::Value) -> serde_json::Value {
        let script = "const [cmd, args, done] = arguments; \
                      window.__TAURI__.core.invoke(cmd, args).then(v => done({ ok: v ?? null }), e => done({ err: e }));";
        let value = self
            .client
            .execute_async(script, vec![json!(command), args])
            .await
            .unwrap_or_else(|e| panic!("cannot invoke {command}: {e}"));
        if let Some(err) = value.get("err") {
            panic!("{command} failed: {err}");
        }
        value.get("ok").cloned().unwrap_or_default()
    }

    /// Runs a script in the page and returns what it returns.
    #[allow(dead_code, reason = "for the GUI benchmarks")]
    pub async fn execute(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<serde_json::Value, fantoccini::error::CmdError> {
        self.client.execute(script, args).await
    }

    /// Runs a script in the page that answers through its last argument.
    #[allow(dead_code, reason = "for the GUI benchmarks")]
    pub async fn execute_async(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<serde_json::Value, fantoccini::error::CmdError> {
        self.client.execute_async(script, args).await
    }

    /// Replaces an input's value by typing into it.
    pub async fn set_value(&self, css: &str, value: &str) {
        let el = self.wait_for(css).await;
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear {css}: {e}"));
        el.send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Types like a person; `\n` presses Enter.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        let keys = text.replace('\n', "\u{E007}");
        el.send_keys(&keys)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Scrolls `css` to its top until `needle` shows up in it.
    pub async fn scroll_until(&self, css: &str, needle: &str) {
        // Half a screen at a time, as a wheel would: a jump to the top would
        // land on a page boundary every time older history is prepended.
        let script = "const el = document.querySelector(arguments[0]); \
                      el.scrollTop = Math.max(0, el.scrollTop - el.clientHeight / 2); \
                      return el.scrollTop;";
        self.poll(
            &format!("{needle:?} after scrolling {css} up"),
            async || {
                self.client.execute(script, vec![json!(css)]).await.ok()?;
                tokio::time::sleep(Duration::from_millis(250)).await;
                self.text(css).await.contains(needle).then_some(())
            },
        )
        .await
    }

    /// How many windows the app has open.
    pub async fn window_count(&self) -> usize {
        self.client
            .windows()
            .await
            .map(|w| w.len())
            .unwrap_or_default()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
