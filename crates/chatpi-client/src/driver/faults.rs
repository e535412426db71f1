//! Faults of the server's frames, counted so a repeating one is logged once
//! rather than once per frame: the first time per (topic, kind), then every
//! [`LOG_EVERY`]th time with the count so far.

use std::collections::HashMap;

/// After the first report, a fault is logged again each this many times.
pub(crate) const LOG_EVERY: u64 = 1000;
/// Distinct (topic, kind) pairs tracked; past it, new topics share one.
const MAX_KEYS: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Faults {
    counts: HashMap<(String, &'static str), u64>,
}

impl Faults {
    /// Counts one fault; returns the count when it is worth a log line.
    pub(crate) fn note(&mut self, topic: &str, kind: &'static str) -> Option<u64> {
        let key = (topic.to_owned(), kind);
        let key = if self.counts.len() >= MAX_KEYS && !self.counts.contains_key(&key) {
            ("*".to_owned(), kind)
        } else {
            key
        };
        let count = self.counts.entry(key).or_insert(0);
        *count += 1;
        (*count == 1 || count.is_multiple_of(LOG_EVERY)).then_some(*count)
    }
}

/// Logs a fault of the server's frames at warn, at most as often as
/// [`Faults::note`] allows.
macro_rules! fault {
    ($faults:expr, $topic:expr, $kind:expr $(, $($field:tt)+)?) => {{
        let topic: &str = $topic;
        if let Some(count) = $faults.note(topic, $kind) {
            tracing::warn!(topic, kind = $kind, count, $($($field)+,)? "dropped a bad frame from the server");
        }
    }};
}

pub(crate) use fault;

/// The topic of a frame the decoder refused, if it has one where a topic
/// goes; for the log only.
pub(crate) fn topic_hint(text: &str, max_bytes: usize) -> String {
    if text.len() > max_bytes {
        return "?".into();
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get(2)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "?".into())
}

pub(crate) fn frame_fault(error: &crate::core::FrameError) -> &'static str {
    use crate::core::FrameError as F;
    match error {
        F::TooLarge { .. } => "oversized frame",
        F::InvalidJson(_) => "invalid json",
        F::NotAnArray => "frame not an array",
        F::WrongArity(_) => "wrong frame arity",
        F::WrongType { .. } => "wrong frame field type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeating_fault_is_reported_once_then_rarely() {
        let mut faults = Faults::default();
        assert_eq!(faults.note("t", "invalid json"), Some(1));
        for _ in 2..LOG_EVERY {
            assert_eq!(faults.note("t", "invalid json"), None);
        }
        assert_eq!(faults.note("t", "invalid json"), Some(LOG_EVERY));
        assert_eq!(faults.note("t", "wrong arity"), Some(1), "per kind");
        assert_eq!(faults.note("u", "invalid json"), Some(1), "per topic");
    }

    #[test]
    fn a_refused_frame_is_named_by_its_topic_and_fault() {
        let text = r#"[null,null,"chat:k:1","e"]"#;
        let error = crate::core::decode(text).unwrap_err();
        assert_eq!(frame_fault(&error), "wrong frame arity");
        assert_eq!(topic_hint(text, 1024), "chat:k:1");
        assert_eq!(topic_hint("not json", 1024), "?");
        assert_eq!(topic_hint(text, 4), "?");
    }

    #[test]
    fn the_count_of_topics_is_bounded() {
        let mut faults = Faults::default();
        for i in 0..MAX_KEYS + 10 {
            faults.note(&format!("t{i}"), "k");
        }
        assert!(faults.counts.len() <= MAX_KEYS + 1);
    }
}
