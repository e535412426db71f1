//! UI events, batched: whatever happens on an account between two frames
//! goes to the webview as one `chat://message` (and at most one
//! `chat://reaction`, `chat://outbox` and `chat://channels`), so a flood of
//! messages costs
//! about one IPC message per account per animation frame.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{json, Value};

/// One frame at 60 Hz.
pub const FRAME: Duration = Duration::from_millis(16);

/// Where events go: the app handle in the app, a recorder in tests.
pub trait Emit: Send + Sync + 'static {
    fn emit(&self, event: &str, payload: Value);
}

impl<R: tauri::Runtime> Emit for tauri::AppHandle<R> {
    fn emit(&self, event: &str, payload: Value) {
        if let Err(error) = tauri::Emitter::emit(self, event, payload) {
            tracing::warn!(event, %error, "cannot emit a UI event");
        }
    }
}

#[derive(Default)]
struct Pending {
    messages: Vec<Value>,
    reactions: Vec<Value>,
    outbox: Vec<Value>,
    channels: Option<Value>,
}

/// Collects UI events per account until the next flush.
pub struct Batcher {
    pending: Mutex<HashMap<String, Pending>>,
    /// App-wide events where only the latest matters, by name.
    global: Mutex<HashMap<&'static str, Value>>,
    emitter: Arc<dyn Emit>,
}

impl Batcher {
    pub fn new(emitter: Arc<dyn Emit>) -> Arc<Self> {
        Arc::new(Self {
            pending: Mutex::new(HashMap::new()),
            global: Mutex::new(HashMap::new()),
            emitter,
        })
    }

    fn with(&self, account: &str, f: impl FnOnce(&mut Pending)) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        f(pending.entry(account.to_owned()).or_default());
    }

    pub fn message(&self, account: &str, item: Value) {
        self.with(account, |p| p.messages.push(item));
    }

    pub fn reaction(&self, account: &str, item: Value) {
        self.with(account, |p| p.reactions.push(item));
    }

    /// A queued message changed state. Sent after the frame's messages,
    /// so a stored message is on the page before its pending row goes.
    pub fn outbox(&self, account: &str, item: Value) {
        self.with(account, |p| p.outbox.push(item));
    }

    /// The channel list changed (unread counts); only the latest is sent.
    pub fn channels(&self, account: &str, channels: Value) {
        self.with(account, |p| p.channels = Some(channels));
    }

    /// An app-wide event (the account list); only the latest is sent.
    pub fn global(&self, event: &'static str, payload: Value) {
        let mut global = self.global.lock().unwrap_or_else(|p| p.into_inner());
        global.insert(event, payload);
    }

    /// Sends everything pending, one event per kind and account.
    pub fn flush(&self) {
        let global: Vec<(&'static str, Value)> = {
            let mut global = self.global.lock().unwrap_or_else(|p| p.into_inner());
            global.drain().collect()
        };
        for (event, payload) in global {
            self.emitter.emit(event, payload);
        }
        let drained: Vec<(String, Pending)> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.drain().collect()
        };
        for (account, p) in drained {
            if !p.messages.is_empty() {
                self.emitter.emit(
                    "chat://message",
                    json!({ "account": account, "items": p.messages }),
                );
            }
            if !p.reactions.is_empty() {
                self.emitter.emit(
                    "chat://reaction",
                    json!({ "account": account, "items": p.reactions }),
                );
            }
            if !p.outbox.is_empty() {
                self.emitter.emit(
                    "chat://outbox",
                    json!({ "account": account, "items": p.outbox }),
                );
            }
            if let Some(channels) = p.channels {
                self.emitter.emit(
                    "chat://channels",
                    json!({ "account": account, "channels": channels }),
                );
            }
        }
    }

    /// Emits an event now, unbatched (status and presence changes).
    pub fn now(&self, event: &str, payload: Value) {
        self.emitter.emit(event, payload);
    }

    /// Flushes every frame until `stop` resolves.
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval(FRAME);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, Value)>>);

    impl Emit for Recorder {
        fn emit(&self, event: &str, payload: Value) {
            self.0.lock().unwrap().push((event.to_owned(), payload));
        }
    }

    #[test]
    fn a_flood_becomes_one_event_per_account_and_kind() {
        let rec = Arc::new(Recorder::default());
        let batcher = Batcher::new(rec.clone());
        for i in 0..1000 {
            batcher.message("a", json!(i));
        }
        batcher.message("b", json!("x"));
        batcher.outbox("b", json!({ "state": "sent" }));
        batcher.channels("a", json!([1]));
        batcher.channels("a", json!([2]));
        batcher.flush();
        let events = rec.0.lock().unwrap().clone();
        assert_eq!(events.len(), 4);
        let b: Vec<&str> = events
            .iter()
            .filter(|(_, p)| p["account"] == "b")
            .map(|(e, _)| e.as_str())
            .collect();
        assert_eq!(b, ["chat://message", "chat://outbox"], "messages go first");
        let a = events
            .iter()
            .find(|(e, p)| e == "chat://message" && p["account"] == "a")
            .unwrap();
        assert_eq!(a.1["items"].as_array().unwrap().len(), 1000);
        let ch = events.iter().find(|(e, _)| e == "chat://channels").unwrap();
        assert_eq!(ch.1["channels"], json!([2]));
        batcher.flush();
        assert_eq!(
            rec.0.lock().unwrap().len(),
            4,
            "nothing pending, nothing sent"
        );
    }
}
