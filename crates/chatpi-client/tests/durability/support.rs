//! The real `chatpi-server` binary in its own process, a TCP proxy that can
//! cut a link without closing it, and an outbox store in a JSON file.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use chatpi_client::{
    Connection, ConnectionConfig, Credentials, OutboxEntry, OutboxError, OutboxStore,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    process::{Child, Command},
    sync::watch,
    task::JoinSet,
};

/// The server binary next to this test's own binary (`target/debug`).
pub fn server_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/debug/deps");
    let bin = debug.join(format!("chatpi-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build -p chatpi-server` \
         (`cargo build --workspace --all-targets` builds it too)",
        bin.display()
    );
    bin
}

/// A database with two users and one chat, and the server process on it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub chat: String,
    pub port: u16,
    server: Option<Child>,
}

impl Env {
    /// Seeds `alice` and `bob` and a chat of both, with the binary's CLI.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let env = Self {
            dir,
            chat: String::new(),
            port: free_port(),
            server: None,
        };
        for user in ["alice", "bob"] {
            env.cli(&["create-user", "--auth-key", user, "--username", user]);
        }
        let chat = env.cli(&[
            "create-chat",
            "--name",
            "t",
            "--member",
            "alice",
            "--member",
            "bob",
        ]);
        Self { chat, ..env }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("chat.db")
    }

    /// Runs a CLI command on the database; its trimmed stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let (command, rest) = args.split_first().unwrap();
        let out = std::process::Command::new(server_bin())
            .arg(command)
            .arg("--db")
            .arg(self.db())
            .args(rest)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), "chatpi-server {args:?} failed");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    pub fn token(&self, user: &str) -> String {
        self.cli(&["mint-token", "--auth-key", user, "--ttl", "1h"])
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn url(&self) -> String {
        format!("ws://{}", self.addr())
    }

    /// Starts `chatpi-server serve` and waits until it listens.
    pub async fn serve(&mut self) {
        assert!(self.server.is_none(), "already serving");
        let mut child = Command::new(server_bin())
            .arg("serve")
            .arg("--db")
            .arg(self.db())
            .arg("--addr")
            .arg(self.addr().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("listening on") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "chatpi-server did not start");
        self.server = Some(child);
    }

    /// Kills the server with SIGKILL: no shutdown, no close frames.
    pub async fn kill(&mut self) {
        let mut child = self.server.take().expect("serving");
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }

    /// Every message of the chat as the server stored them, in order.
    ///
    /// Read from the database: REST cannot page through a second holding
    /// more than 50 messages (its windows have one-second bounds), and a
    /// stream as fast as acks allow puts hundreds in one second.
    pub fn stored(&self) -> Vec<chatpi_server::Message> {
        let store = chatpi_server::Store::open(&self.db()).unwrap();
        store.all_messages(&self.chat).unwrap()
    }

    pub fn config(&self, url: &str, user: &str) -> ConnectionConfig {
        ConnectionConfig::new(url, "test", Credentials::new(self.token(user)))
            .channels([self.chat.as_str()])
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `done` every 10 ms until it holds, or fails after `limit`.
pub async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn wait_joined(conn: &Connection, channel: &str) {
    wait_for("the channel to join", Duration::from_secs(10), || {
        conn.channel(channel)
            .is_some_and(|c| c.status == chatpi_client::ChannelStatus::Joined)
    })
    .await;
}

/// Which way a cut link stops forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    Both,
    ServerToClient,
}

/// A TCP proxy to a server. It counts connections, and can cut the links
/// open now: they stop forwarding (both ways, or only towards the client)
/// but stay open, as a dead network path does. Later links work.
pub struct Proxy {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    cut: watch::Sender<(u64, Cut)>,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (cut, cuts) = watch::channel((0u64, Cut::Both));
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let (count, links) = (accepted.clone(), tasks.clone());
        tasks.lock().unwrap().spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let generation = cuts.borrow().0;
                let Ok(outbound) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (in_read, in_write) = inbound.into_split();
                let (out_read, out_write) = outbound.into_split();
                let mut links = links.lock().unwrap();
                links.spawn(pipe(in_read, out_write, cuts.clone(), generation, false));
                links.spawn(pipe(out_read, in_write, cuts.clone(), generation, true));
            }
        });
        Self {
            addr,
            accepted,
            cut,
            tasks,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Cuts every link open now.
    pub fn cut(&self, how: Cut) {
        self.cut.send_modify(|(generation, cut)| {
            *generation += 1;
            *cut = how;
        });
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.abort_all();
        }
    }
}

/// Copies one direction until the link is cut (then holds it open, silent).
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut cuts: watch::Receiver<(u64, Cut)>,
    born: u64,
    to_client: bool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = from.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if to.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
            changed = cuts.changed() => {
                if changed.is_err() {
                    return;
                }
                let (generation, how) = *cuts.borrow();
                if generation > born && (how == Cut::Both || to_client) {
                    // Keep both halves open and say nothing, forever.
                    let _held = (from, to);
                    std::future::pending::<()>().await;
                    return;
                }
            }
        }
    }
}

/// An outbox store in a JSON file, rewritten whole on each change: enough
/// for a test to prove that queued messages survive a restart.
#[derive(Clone)]
pub struct FileOutbox {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl FileOutbox {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Arc::new(Mutex::new(())),
        }
    }

    fn read(&self) -> Result<Vec<OutboxEntry>, OutboxError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| OutboxError::Corrupt(e.to_string()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(OutboxError::Store(e.to_string())),
        }
    }

    fn write(&self, entries: &[OutboxEntry]) -> Result<(), OutboxError> {
        let tmp = self.path.with_extension("tmp");
        let bytes = serde_json::to_vec(entries).map_err(|e| OutboxError::Store(e.to_string()))?;
        std::fs::write(&tmp, bytes).map_err(|e| OutboxError::Store(e.to_string()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| OutboxError::Store(e.to_string()))
    }
}

impl OutboxStore for FileOutbox {
    fn load(&self) -> Result<Vec<OutboxEntry>, OutboxError> {
        let _guard = self.lock.lock().unwrap();
        let mut entries = self.read()?;
        entries.sort_by_key(|e| e.seq);
        Ok(entries)
    }

    fn put(&self, entry: &OutboxEntry) -> Result<(), OutboxError> {
        let _guard = self.lock.lock().unwrap();
        let mut entries = self.read()?;
        entries.retain(|e| e.client_id != entry.client_id);
        entries.push(entry.clone());
        self.write(&entries)
    }

    fn remove(&self, client_id: &str) -> Result<(), OutboxError> {
        let _guard = self.lock.lock().unwrap();
        let mut entries = self.read()?;
        entries.retain(|e| e.client_id != client_id);
        self.write(&entries)
    }
}
