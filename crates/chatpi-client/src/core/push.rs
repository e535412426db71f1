//! Reply matching: the pushes still waiting for their `phx_reply`, and the
//! parsing of a reply's payload.
//!
//! The caller inserts a push under its ref with a deadline and a token of its
//! own (a waiter to wake, an id), resolves it when the reply with that ref
//! arrives, and calls [`PushTable::expire`] when [`PushTable::next_deadline`]
//! passes. A push whose channel crashed (`phx_error`) or whose socket closed gets
//! no reply ever: the caller fails it with [`PushTable::fail_topic`] or
//! [`PushTable::drain`].

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::Value;
use thiserror::Error;

/// How long a push waits for its reply, as in the `phoenix` JS client.
pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct InFlight<T> {
    topic: String,
    deadline: Instant,
    seq: u64,
    token: T,
}

/// The pushes waiting for a reply, keyed by ref, with their deadlines.
#[derive(Debug)]
pub struct PushTable<T> {
    by_ref: HashMap<String, InFlight<T>>,
    // Deadline order, with an insertion counter to keep equal deadlines apart
    // and to hand expired pushes back in the order they were made.
    by_deadline: BTreeMap<(Instant, u64), String>,
    seq: u64,
}

impl<T> Default for PushTable<T> {
    fn default() -> Self {
        Self {
            by_ref: HashMap::new(),
            by_deadline: BTreeMap::new(),
            seq: 0,
        }
    }
}

impl<T> PushTable<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.by_ref.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_ref.is_empty()
    }

    /// Waits for the reply to `reference`. A ref is unique per socket; a second
    /// insert under the same ref replaces the first, whose token is returned.
    pub fn insert(
        &mut self,
        reference: String,
        topic: impl Into<String>,
        deadline: Instant,
        token: T,
    ) -> Option<T> {
        let replaced = self.remove(&reference);
        self.seq += 1;
        self.by_deadline
            .insert((deadline, self.seq), reference.clone());
        let entry = InFlight {
            topic: topic.into(),
            deadline,
            seq: self.seq,
            token,
        };
        self.by_ref.insert(reference, entry);
        replaced
    }

    /// Takes the push a reply with `reference` answers, if it is still waiting.
    pub fn resolve(&mut self, reference: &str) -> Option<T> {
        self.remove(reference)
    }

    /// Takes every push whose deadline is at or before `now`, oldest deadline first.
    pub fn expire(&mut self, now: Instant) -> Vec<(String, T)> {
        let mut expired = Vec::new();
        while let Some(entry) = self.by_deadline.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let reference = entry.remove();
            if let Some(push) = self.by_ref.remove(&reference) {
                expired.push((reference, push.token));
            }
        }
        expired
    }

    /// Takes every push made on `topic`, in the order they were made.
    pub fn fail_topic(&mut self, topic: &str) -> Vec<T> {
        let mut refs: Vec<(u64, String)> = self
            .by_ref
            .iter()
            .filter(|(_, push)| push.topic == topic)
            .map(|(reference, push)| (push.seq, reference.clone()))
            .collect();
        refs.sort_unstable();
        refs.into_iter()
            .filter_map(|(_, reference)| self.remove(&reference))
            .collect()
    }

    /// Takes every push, in the order they were made (the socket closed).
    pub fn drain(&mut self) -> Vec<T> {
        self.by_deadline.clear();
        let mut pushes: Vec<InFlight<T>> = self.by_ref.drain().map(|(_, push)| push).collect();
        pushes.sort_unstable_by_key(|push| push.seq);
        pushes.into_iter().map(|push| push.token).collect()
    }

    /// The earliest deadline of a waiting push.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.by_deadline
            .keys()
            .next()
            .map(|(deadline, _)| *deadline)
    }

    fn remove(&mut self, reference: &str) -> Option<T> {
        let push = self.by_ref.remove(reference)?;
        self.by_deadline.remove(&(push.deadline, push.seq));
        Some(push.token)
    }
}

/// The status of a `phx_reply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    Ok,
    Error,
}

/// A parsed `phx_reply` payload: `{"status": "ok"|"error", "response": {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: ReplyStatus,
    pub response: Value,
}

/// Why a `phx_reply` payload could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReplyError {
    #[error("reply payload is not a json object")]
    NotAnObject,
    #[error("reply payload has no string `status`")]
    MissingStatus,
    #[error("reply status `{0}` is neither ok nor error")]
    UnknownStatus(String),
    #[error("reply payload has no `response`")]
    MissingResponse,
}

impl Reply {
    /// Reads a `phx_reply` payload. Phoenix always sends both fields.
    pub fn from_payload(payload: Value) -> Result<Self, ReplyError> {
        let Value::Object(mut fields) = payload else {
            return Err(ReplyError::NotAnObject);
        };
        let status = match fields.get("status").and_then(Value::as_str) {
            Some("ok") => ReplyStatus::Ok,
            Some("error") => ReplyStatus::Error,
            Some(other) => return Err(ReplyError::UnknownStatus(other.to_owned())),
            None => return Err(ReplyError::MissingStatus),
        };
        let response = fields
            .remove("response")
            .ok_or(ReplyError::MissingResponse)?;
        Ok(Self { status, response })
    }

    pub fn is_ok(&self) -> bool {
        self.status == ReplyStatus::Ok
    }

    /// The `reason` of an error response, as Chatpi sends on a refused join.
    pub fn reason(&self) -> Option<&str> {
        self.response.get("reason").and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn resolves_a_push_by_ref_once() {
        let now = Instant::now();
        let mut table = PushTable::new();
        table.insert("1".into(), "chat:k:1", now + secs(10), "a");
        table.insert("2".into(), "chat:k:1", now + secs(10), "b");
        assert_eq!(table.resolve("2"), Some("b"));
        assert_eq!(table.resolve("2"), None);
        assert_eq!(table.resolve("9"), None);
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn expires_pushes_at_their_deadline_oldest_first() {
        let now = Instant::now();
        let mut table = PushTable::new();
        table.insert("1".into(), "t", now + secs(5), "late");
        table.insert("2".into(), "t", now + secs(3), "early");
        table.insert("3".into(), "t", now + secs(3), "early too");
        assert_eq!(table.next_deadline(), Some(now + secs(3)));

        assert!(table.expire(now + secs(2)).is_empty());
        let expired = table.expire(now + secs(3));
        assert_eq!(
            expired,
            vec![("2".into(), "early"), ("3".into(), "early too")]
        );
        assert_eq!(table.next_deadline(), Some(now + secs(5)));
        assert_eq!(table.expire(now + secs(60)), vec![("1".into(), "late")]);
        assert_eq!(table.next_deadline(), None);
    }

    #[test]
    fn a_resolved_push_never_expires() {
        let now = Instant::now();
        let mut table = PushTable::new();
        table.insert("1".into(), "t", now + secs(1), 1);
        assert_eq!(table.resolve("1"), Some(1));
        assert!(table.expire(now + secs(2)).is_empty());
        assert_eq!(table.next_deadline(), None);
    }

    #[test]
    fn fails_only_the_pushes_of_one_topic() {
        let now = Instant::now();
        let mut table = PushTable::new();
        table.insert("1".into(), "a", now + secs(9), 1);
        table.insert("2".into(), "b", now + secs(1), 2);
        table.insert("3".into(), "a", now + secs(1), 3);
        assert_eq!(table.fail_topic("a"), vec![1, 3]);
        assert_eq!(table.len(), 1);
        assert_eq!(table.next_deadline(), Some(now + secs(1)));
        assert_eq!(table.drain(), vec![2]);
        assert!(table.is_empty());
        assert_eq!(table.next_deadline(), None);
    }

    #[test]
    fn a_reused_ref_replaces_the_older_push() {
        let now = Instant::now();
        let mut table = PushTable::new();
        table.insert("1".into(), "t", now + secs(1), "old");
        assert_eq!(
            table.insert("1".into(), "t", now + secs(5), "new"),
            Some("old")
        );
        assert!(table.expire(now + secs(2)).is_empty());
        assert_eq!(table.resolve("1"), Some("new"));
    }

    #[test]
    fn parses_ok_and_error_replies() {
        let reply = Reply::from_payload(json!({"status": "ok", "response": {"a": 1}})).unwrap();
        assert_eq!(
            reply,
            Reply {
                status: ReplyStatus::Ok,
                response: json!({"a": 1})
            }
        );
        assert!(reply.is_ok());

        let payload = json!({"status": "error", "response": {"reason": "unauthorized"}});
        let reply = Reply::from_payload(payload).unwrap();
        assert_eq!(reply.status, ReplyStatus::Error);
        assert_eq!(reply.reason(), Some("unauthorized"));
    }

    #[test]
    fn refuses_replies_of_the_wrong_shape() {
        let parse = |payload| Reply::from_payload(payload).unwrap_err();
        assert_eq!(parse(json!([])), ReplyError::NotAnObject);
        assert_eq!(parse(json!({"response": {}})), ReplyError::MissingStatus);
        assert_eq!(
            parse(json!({"status": 1, "response": {}})),
            ReplyError::MissingStatus
        );
        assert_eq!(
            parse(json!({"status": "timeout", "response": {}})),
            ReplyError::UnknownStatus("timeout".into())
        );
        assert_eq!(parse(json!({"status": "ok"})), ReplyError::MissingResponse);
    }
}
