//! Gap-free rejoins under a real server's limits: no sequence numbers,
//! one-second timestamps, random ids (`PROTOCOL.md`, "Known limits").
//!
//! A [`Timeline`] remembers what one channel has shown: a bounded set of ids
//! and the newest timestamp. A rejoin asks for history after the newest
//! second seen minus one ([`Timeline::rejoin_after`]); the answer is merged
//! back with [`Timeline::merge`], which keeps only what was never shown, in
//! the server's order. When the join's page comes back full, the caller reads
//! the rest of the window over REST ([`older_window`]) and joins the two with
//! [`splice`] before merging. Nothing here does I/O.

use std::{
    collections::{HashSet, VecDeque},
    sync::Arc,
};

use time::{Duration, PrimitiveDateTime};

use crate::{
    history::{format_timestamp, parse_timestamp, PAGE_SIZE},
    HistoryQuery, Message,
};

/// Ids remembered per channel. A backfill only reaches back a second past
/// the newest message seen, so this only has to outlast one busy second.
pub const SEEN_CAPACITY: usize = 10_000;

/// The ids a channel has shown, oldest forgotten first.
///
/// A forgotten id can no longer be told apart from a new one, so everything
/// at or before the newest forgotten timestamp (the horizon) counts as seen.
#[derive(Debug, Clone)]
pub struct SeenSet {
    // Each id is allocated once and shared by the set and the order.
    ids: HashSet<Arc<str>>,
    order: VecDeque<(Arc<str>, Option<PrimitiveDateTime>)>,
    capacity: usize,
    horizon: Option<PrimitiveDateTime>,
}

impl Default for SeenSet {
    fn default() -> Self {
        Self::with_capacity(SEEN_CAPACITY)
    }
}

impl SeenSet {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            ids: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            horizon: None,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether a message with this id and timestamp was seen (or may have
    /// been, being older than what was forgotten).
    pub fn knows(&self, id: &str, at: Option<PrimitiveDateTime>) -> bool {
        self.ids.contains(id) || at.zip(self.horizon).is_some_and(|(at, h)| at <= h)
    }

    /// Records an id; false when it was known already.
    pub fn insert(&mut self, id: &str, at: Option<PrimitiveDateTime>) -> bool {
        if self.knows(id, at) {
            return false;
        }
        let id: Arc<str> = Arc::from(id);
        self.ids.insert(id.clone());
        self.order.push_back((id, at));
        while self.order.len() > self.capacity {
            let Some((old, old_at)) = self.order.pop_front() else {
                break;
            };
            self.ids.remove(&old);
            self.horizon = self.horizon.max(old_at);
        }
        true
    }
}

/// What one channel has shown, and where a rejoin must read from.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    seen: SeenSet,
    newest: Option<PrimitiveDateTime>,
    /// The server's time when the channel first joined: where a rejoin reads
    /// from while no message has been seen at all.
    anchor: Option<PrimitiveDateTime>,
}

impl Timeline {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            seen: SeenSet::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// Sets the server time of the first join, once.
    pub fn set_anchor(&mut self, at: PrimitiveDateTime) {
        self.anchor.get_or_insert(at);
    }

    pub fn newest(&self) -> Option<PrimitiveDateTime> {
        self.newest
    }

    pub fn knows(&self, message: &Message) -> bool {
        self.seen.knows(&message.id, stamp(message))
    }

    /// Records a message shown; false when it was shown already.
    pub fn observe(&mut self, message: &Message) -> bool {
        let at = stamp(message);
        if !self.seen.insert(&message.id, at) {
            return false;
        }
        self.newest = self.newest.max(at);
        true
    }

    /// The `after` bound of a rejoin's query: one second before the newest
    /// message seen (messages within a second have no order, so that whole
    /// second is read again), or before the anchor when nothing was seen,
    /// and never later than `floor` (where an unconfirmed send may be).
    /// `None` before the first join.
    pub fn rejoin_after(&self, floor: Option<&str>) -> Option<String> {
        let from = self.newest.or(self.anchor)?;
        let after = format_timestamp(from - Duration::SECOND);
        Some(match floor {
            Some(floor) if floor < after.as_str() => floor.to_owned(),
            _ => after,
        })
    }

    /// The query of a rejoin; see [`Timeline::rejoin_after`].
    pub fn rejoin_query(&self, floor: Option<&str>) -> Option<HistoryQuery> {
        self.rejoin_after(floor).map(|after| HistoryQuery {
            after: Some(after),
            before: None,
        })
    }

    /// Keeps the messages of `backfill` never shown, in its order (the
    /// server's: oldest first), and records them as shown.
    pub fn merge(&mut self, backfill: Vec<Message>) -> Vec<Message> {
        backfill.into_iter().filter(|m| self.observe(m)).collect()
    }
}

fn stamp(message: &Message) -> Option<PrimitiveDateTime> {
    parse_timestamp(&message.inserted_at).ok()
}

/// The rest of a rejoin's window when its page came back full (the page is
/// only the newest [`PAGE_SIZE`]): strictly after `after` and up to the
/// page's oldest second, inclusive, since that second may hold more.
pub fn older_window(page: &[Message], after: &str) -> Option<HistoryQuery> {
    if page.len() < PAGE_SIZE {
        return None;
    }
    let oldest = parse_timestamp(&page.first()?.inserted_at).ok()?;
    Some(HistoryQuery {
        after: Some(after.to_owned()),
        before: Some(format_timestamp(oldest + Duration::SECOND)),
    })
}

/// The whole window, oldest first: what REST read before the page, then the
/// page, each message once.
pub fn splice(older: Vec<Message>, page: Vec<Message>) -> Vec<Message> {
    let mut ids = HashSet::new();
    older
        .into_iter()
        .chain(page)
        .filter(|m| ids.insert(m.id.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn msg(id: &str, at: &str) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": id, "text": id, "user_auth_key": "a", "inserted_at": at,
        }))
        .unwrap()
    }

    fn at(text: &str) -> PrimitiveDateTime {
        parse_timestamp(text).unwrap()
    }

    fn ids(messages: &[Message]) -> Vec<&str> {
        messages.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn a_rejoin_reads_from_one_second_before_the_newest_seen() {
        let mut t = Timeline::new();
        assert_eq!(t.rejoin_after(None), None, "never joined");
        t.set_anchor(at("2026-01-01T09:00:00"));
        assert_eq!(
            t.rejoin_after(None).as_deref(),
            Some("2026-01-01T08:59:59"),
            "nothing seen: from the first join"
        );
        t.observe(&msg("a", "2026-01-01T10:00:05"));
        t.observe(&msg("b", "2026-01-01T10:00:03"));
        assert_eq!(t.newest(), Some(at("2026-01-01T10:00:05")));
        let q = t.rejoin_query(None).unwrap();
        assert_eq!(q.after.as_deref(), Some("2026-01-01T10:00:04"));
        assert_eq!(q.before, None);
    }

    #[test]
    fn an_unconfirmed_send_pulls_the_bound_back() {
        let mut t = Timeline::new();
        t.observe(&msg("a", "2026-01-01T10:00:05"));
        let floor = Some("2026-01-01T09:00:00");
        assert_eq!(t.rejoin_after(floor).as_deref(), floor);
        let later = Some("2026-01-01T11:00:00");
        assert_eq!(
            t.rejoin_after(later).as_deref(),
            Some("2026-01-01T10:00:04")
        );
    }

    #[test]
    fn merge_keeps_only_unseen_messages_in_server_order() {
        let mut t = Timeline::new();
        t.observe(&msg("a", "2026-01-01T10:00:00"));
        t.observe(&msg("b", "2026-01-01T10:00:01"));
        let backfill = vec![
            msg("b", "2026-01-01T10:00:01"),
            msg("c", "2026-01-01T10:00:01"),
            msg("d", "2026-01-01T10:00:02"),
            msg("c", "2026-01-01T10:00:01"),
        ];
        let fresh = t.merge(backfill.clone());
        assert_eq!(ids(&fresh), ["c", "d"]);
        assert!(t.merge(backfill).is_empty(), "a second merge adds nothing");
        assert_eq!(t.newest(), Some(at("2026-01-01T10:00:02")));
    }

    #[test]
    fn the_seen_set_is_bounded_and_forgets_oldest_first() {
        let mut seen = SeenSet::with_capacity(2);
        let t = |s| Some(at(s));
        assert!(seen.insert("a", t("2026-01-01T10:00:00")));
        assert!(seen.insert("b", t("2026-01-01T10:00:01")));
        assert!(seen.insert("c", t("2026-01-01T10:00:02")));
        assert_eq!(seen.len(), 2);
        // "a" is forgotten, but its second is behind the horizon.
        assert!(seen.knows("a", t("2026-01-01T10:00:00")));
        assert!(!seen.insert("x", t("2026-01-01T09:59:59")));
        assert!(seen.insert("y", t("2026-01-01T10:00:03")));
        assert!(!seen.insert("c", t("2026-01-01T10:00:02")));
    }

    #[test]
    fn a_full_page_asks_for_the_rest_of_the_window() {
        let page: Vec<Message> = (0..PAGE_SIZE)
            .map(|i| msg(&format!("m{i}"), "2026-01-01T10:00:07"))
            .collect();
        let q = older_window(&page, "2026-01-01T10:00:00").unwrap();
        assert_eq!(q.after.as_deref(), Some("2026-01-01T10:00:00"));
        assert_eq!(q.before.as_deref(), Some("2026-01-01T10:00:08"));
        assert_eq!(older_window(&page[1..], "2026-01-01T10:00:00"), None);
    }

    #[test]
    fn splice_puts_older_first_and_drops_the_overlap() {
        let older = vec![
            msg("a", "2026-01-01T10:00:00"),
            msg("b", "2026-01-01T10:00:01"),
        ];
        let page = vec![
            msg("b", "2026-01-01T10:00:01"),
            msg("c", "2026-01-01T10:00:02"),
        ];
        assert_eq!(ids(&splice(older, page)), ["a", "b", "c"]);
    }

    proptest! {
        /// Whatever the server returns in whatever overlapping windows, each
        /// message is shown once, and in the order first returned.
        #[test]
        fn merges_never_show_a_message_twice(
            windows in prop::collection::vec(prop::collection::vec(0u8..40, 0..60), 1..8),
        ) {
            let mut t = Timeline::with_capacity(16);
            let mut shown = Vec::new();
            for window in windows {
                let page: Vec<Message> = window
                    .iter()
                    .map(|i| msg(&format!("m{i}"), &format!("2026-01-01T10:00:{:02}", i)))
                    .collect();
                shown.extend(t.merge(page));
            }
            let mut unique: Vec<&str> = ids(&shown);
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), shown.len());
        }
    }
}
