//! The messages of one channel, held in the backend so the webview only
//! ever receives the window it shows. Positions are stable for appends; a
//! page of older history prepends and shifts every position by its length,
//! which the frontend learns from `load_older`'s answer.

use std::collections::{HashMap, HashSet, VecDeque};

use chatpi_client::{Message, Reaction};

#[derive(Debug, Default)]
pub struct ChannelStore {
    /// Absolute sequence number of `messages[0]`; prepends lower it.
    first: i64,
    messages: VecDeque<Message>,
    by_id: HashMap<String, i64>,
    reactions: HashMap<String, Vec<Reaction>>,
    seen_reactions: HashSet<(String, String, String)>,
    /// Whether the server may hold messages older than the oldest here.
    pub has_older: bool,
}

impl ChannelStore {
    pub fn new() -> Self {
        Self {
            has_older: true,
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Appends a message unless its id is known; returns its position.
    pub fn push(&mut self, message: Message) -> Option<usize> {
        if self.contains(&message.id) {
            return None;
        }
        let seq = self.first + self.messages.len() as i64;
        self.by_id.insert(message.id.clone(), seq);
        self.messages.push_back(message);
        Some(self.messages.len() - 1)
    }

    /// Prepends older messages (given oldest first), skipping known ids.
    /// Returns how many were added.
    pub fn prepend(&mut self, older: Vec<Message>) -> usize {
        let mut added = 0;
        for message in older.into_iter().rev() {
            if self.contains(&message.id) {
                continue;
            }
            self.first -= 1;
            self.by_id.insert(message.id.clone(), self.first);
            self.messages.push_front(message);
            added += 1;
        }
        added
    }

    pub fn get(&self, position: usize) -> Option<&Message> {
        self.messages.get(position)
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|seq| (seq - self.first) as usize)
    }

    pub fn by_id(&self, id: &str) -> Option<&Message> {
        self.position(id).and_then(|p| self.messages.get(p))
    }

    pub fn oldest(&self) -> Option<&Message> {
        self.messages.front()
    }

    pub fn newest(&self) -> Option<&Message> {
        self.messages.back()
    }

    /// Positions `start..start + count`, clamped to what is held.
    pub fn window(&self, start: usize, count: usize) -> impl Iterator<Item = (usize, &Message)> {
        let end = start.saturating_add(count).min(self.messages.len());
        let start = start.min(end);
        self.messages
            .range(start..end)
            .enumerate()
            .map(move |(i, m)| (start + i, m))
    }

    /// Records a reaction once; returns false when it was already known.
    pub fn add_reaction(&mut self, reaction: Reaction) -> bool {
        let key = (
            reaction.reaction_target_id.clone(),
            reaction.classifier.to_uppercase(),
            reaction.user_auth_key.clone(),
        );
        if !self.seen_reactions.insert(key) {
            return false;
        }
        self.reactions
            .entry(reaction.reaction_target_id.clone())
            .or_default()
            .push(reaction);
        true
    }

    pub fn reactions(&self, message_id: &str) -> &[Reaction] {
        self.reactions
            .get(message_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": id, "text": id, "user_auth_key": "a", "inserted_at": "2026-01-01T00:00:00"
        }))
        .unwrap()
    }

    #[test]
    fn appends_once_and_prepends_shift_positions() {
        let mut s = ChannelStore::new();
        assert_eq!(s.push(msg("c")), Some(0));
        assert_eq!(s.push(msg("d")), Some(1));
        assert_eq!(s.push(msg("c")), None);
        assert_eq!(s.prepend(vec![msg("a"), msg("b"), msg("c")]), 2);
        let ids: Vec<&str> = s.window(0, 10).map(|(_, m)| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert_eq!(s.position("d"), Some(3));
        assert_eq!(s.position("a"), Some(0));
        assert_eq!(s.window(3, 10).count(), 1);
        assert_eq!(s.window(9, 10).count(), 0);
    }

    #[test]
    fn reactions_are_counted_once() {
        let mut s = ChannelStore::new();
        let r = Reaction {
            reaction_target_id: "m".into(),
            classifier: "LOVE".into(),
            user_auth_key: "a".into(),
        };
        assert!(s.add_reaction(r.clone()));
        assert!(!s.add_reaction(Reaction {
            classifier: "love".into(),
            ..r
        }));
        assert_eq!(s.reactions("m").len(), 1);
    }
}
