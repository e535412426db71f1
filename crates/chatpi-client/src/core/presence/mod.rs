//! Presence of one channel, with the semantics of the `phoenix` JS client's
//! `Presence` (`syncState`, `syncDiff`, pending diffs), pinned to phoenix 1.8.16
//! and checked against it by `tests/presence-diff`.
//!
//! A key (`user:{authKey}`) holds one meta per connection, told apart by
//! `phx_ref`; a key is gone only when its last meta leaves. The caller feeds a
//! [`Presence`] every `presence_state` and `presence_diff` payload of the
//! channel and calls [`Presence::reset`] whenever the channel (re)joins: diffs
//! that arrive before the join's first state are held and replayed after it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;

/// Diffs held while waiting for a state. A real server sends the state right
/// after the join; this bounds what a broken one can make us hold.
pub const MAX_PENDING_DIFFS: usize = 10_000;

/// One connection of a key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    pub phx_ref: String,
    /// On a meta update, the `phx_ref` of the meta this one replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phx_ref_prev: Option<String>,
    /// Chatpi's typing flag; false when the server left it out.
    pub is_typing: bool,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The metas of one key, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PresenceEntry {
    pub metas: Vec<Meta>,
}

/// Presence by key, in key order.
pub type PresenceState = BTreeMap<String, PresenceEntry>;

/// A `presence_diff`: what joined and what left, by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PresenceDiff {
    pub joins: PresenceState,
    pub leaves: PresenceState,
}

/// What a `presence_diff` payload turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffPayload {
    Diff(PresenceDiff),
    /// The typing quirk: a real Chatpi server pushes the typer a
    /// `presence_diff` holding the whole presence map, with neither `joins`
    /// nor `leaves`. It is a state.
    WholeState(PresenceState),
}

/// A key joined, as `phoenix`'s `onJoin(key, current, newPres)` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresenceJoin {
    pub key: String,
    /// The key's entry before the join; `None` for a key new to the state.
    pub current: Option<PresenceEntry>,
    /// The metas that joined.
    pub joined: PresenceEntry,
}

/// Metas left a key, as `phoenix`'s `onLeave(key, current, leftPres)` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresenceLeave {
    pub key: String,
    /// The key's entry after the leave; no metas means the key is gone.
    pub current: PresenceEntry,
    /// The metas that left, as the server named them.
    pub left: PresenceEntry,
}

/// The changes one sync made, joins and leaves each in key order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes {
    pub joins: Vec<PresenceJoin>,
    pub leaves: Vec<PresenceLeave>,
}

/// What feeding a payload to a [`Presence`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum PresenceUpdate {
    /// A diff came before the join's first state and is held for it.
    Held,
    /// The state changed: one [`Changes`] per sync applied, in order (a state,
    /// then each held diff replayed over it). Like `phoenix`'s `onSync`.
    Synced(Vec<Changes>),
}

/// Whether the tracker has the current join's state yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    AwaitingState,
    Synced,
}

/// Why a presence payload was refused. The tracker is left unchanged.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PresenceError {
    #[error("presence {what} is not a json object")]
    NotAnObject { what: &'static str },
    #[error("presence entry `{key}` is not a json object")]
    EntryNotAnObject { key: String },
    #[error("presence entry `{key}` has no `metas` array")]
    MissingMetas { key: String },
    #[error("a meta of presence entry `{key}` is not a json object")]
    MetaNotAnObject { key: String },
    #[error("a meta of presence entry `{key}` has no string `phx_ref`")]
    MissingPhxRef { key: String },
    #[error("a meta of presence entry `{key}` has a `{field}` of the wrong type")]
    WrongType { key: String, field: &'static str },
    #[error("more than {MAX_PENDING_DIFFS} presence diffs came before a state")]
    TooManyPendingDiffs,
}

/// Reads a `presence_state` payload.
pub fn parse_state(payload: &Value) -> Result<PresenceState, PresenceError> {
    parse_entries(payload, "state")
}

/// Reads a `presence_diff` payload, telling a proper diff from the typing quirk.
/// A diff with only one of `joins` and `leaves` counts the other as empty.
pub fn parse_diff(payload: &Value) -> Result<DiffPayload, PresenceError> {
    let Value::Object(fields) = payload else {
        return Err(PresenceError::NotAnObject { what: "diff" });
    };
    let joins = fields.get("joins");
    let leaves = fields.get("leaves");
    if joins.is_none() && leaves.is_none() {
        return parse_state(payload).map(DiffPayload::WholeState);
    }

    let joins = joins
        .map(|joins| parse_entries(joins, "joins"))
        .transpose()?;
    let leaves = leaves
        .map(|leaves| parse_entries(leaves, "leaves"))
        .transpose()?;
    Ok(DiffPayload::Diff(PresenceDiff {
        joins: joins.unwrap_or_default(),
        leaves: leaves.unwrap_or_default(),
    }))
}

fn parse_entries(value: &Value, what: &'static str) -> Result<PresenceState, PresenceError> {
    let Value::Object(entries) = value else {
        return Err(PresenceError::NotAnObject { what });
    };
    let mut state = PresenceState::new();
    for (key, entry) in entries {
        let Value::Object(entry) = entry else {
            return Err(PresenceError::EntryNotAnObject { key: key.clone() });
        };
        let Some(Value::Array(metas)) = entry.get("metas") else {
            return Err(PresenceError::MissingMetas { key: key.clone() });
        };
        let metas = metas
            .iter()
            .map(|meta| parse_meta(key, meta))
            .collect::<Result<_, _>>()?;
        state.insert(key.clone(), PresenceEntry { metas });
    }
    Ok(state)
}

fn parse_meta(key: &str, value: &Value) -> Result<Meta, PresenceError> {
    let Value::Object(fields) = value else {
        return Err(PresenceError::MetaNotAnObject {
            key: key.to_owned(),
        });
    };
    let wrong = |field| PresenceError::WrongType {
        key: key.to_owned(),
        field,
    };

    let Some(Value::String(phx_ref)) = fields.get("phx_ref") else {
        return Err(PresenceError::MissingPhxRef {
            key: key.to_owned(),
        });
    };
    let phx_ref_prev = match fields.get("phx_ref_prev") {
        None | Some(Value::Null) => None,
        Some(Value::String(prev)) => Some(prev.clone()),
        Some(_) => return Err(wrong("phx_ref_prev")),
    };
    let is_typing = match fields.get("is_typing") {
        None => false,
        Some(Value::Bool(typing)) => *typing,
        Some(_) => return Err(wrong("is_typing")),
    };
    let extra = fields
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "phx_ref" | "phx_ref_prev" | "is_typing"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Ok(Meta {
        phx_ref: phx_ref.clone(),
        phx_ref_prev,
        is_typing,
        extra,
    })
}

fn has_ref(metas: &[Meta], phx_ref: &str) -> bool {
    metas.iter().any(|meta| meta.phx_ref == phx_ref)
}

/// Brings `state` to `new_state` through the diff between them, as
/// `Presence.syncState` does. Like phoenix, a meta whose `phx_ref` is already
/// known keeps its old fields: only new refs join and only missing refs leave.
pub fn sync_state(state: &mut PresenceState, new_state: PresenceState) -> Changes {
    let mut diff = PresenceDiff::default();
    for (key, entry) in state.iter() {
        if !new_state.contains_key(key) {
            diff.leaves.insert(key.clone(), entry.clone());
        }
    }
    for (key, new_entry) in new_state {
        let Some(current) = state.get(&key) else {
            diff.joins.insert(key, new_entry);
            continue;
        };
        let left: Vec<Meta> = (current.metas.iter())
            .filter(|meta| !has_ref(&new_entry.metas, &meta.phx_ref))
            .cloned()
            .collect();
        let joined: Vec<Meta> = (new_entry.metas.into_iter())
            .filter(|meta| !has_ref(&current.metas, &meta.phx_ref))
            .collect();
        if !joined.is_empty() {
            diff.joins
                .insert(key.clone(), PresenceEntry { metas: joined });
        }
        if !left.is_empty() {
            diff.leaves.insert(key, PresenceEntry { metas: left });
        }
    }
    sync_diff(state, diff)
}

/// Applies a diff to `state`, as `Presence.syncDiff` does: all joins first
/// (a joining meta replaces a meta with the same `phx_ref` and goes last),
/// then all leaves (by `phx_ref`; a key with no metas left is removed).
pub fn sync_diff(state: &mut PresenceState, diff: PresenceDiff) -> Changes {
    let mut changes = Changes::default();

    for (key, joined) in diff.joins {
        let current = state.remove(&key);
        let mut merged = joined.clone();
        if let Some(current) = &current {
            let kept = (current.metas.iter())
                .filter(|meta| !has_ref(&joined.metas, &meta.phx_ref))
                .cloned();
            merged.metas.splice(0..0, kept);
        }
        state.insert(key.clone(), merged);
        changes.joins.push(PresenceJoin {
            key,
            current,
            joined,
        });
    }

    for (key, left) in diff.leaves {
        // Like phoenix, a leave for an unknown key is no change at all.
        let Some(entry) = state.get_mut(&key) else {
            continue;
        };
        entry
            .metas
            .retain(|meta| !has_ref(&left.metas, &meta.phx_ref));
        let current = entry.clone();
        if current.metas.is_empty() {
            state.remove(&key);
        }
        changes.leaves.push(PresenceLeave { key, current, left });
    }

    changes
}

/// The presence of one channel across its joins.
#[derive(Debug, Clone)]
pub struct Presence {
    state: PresenceState,
    pending: Vec<PresenceDiff>,
    status: SyncStatus,
}

impl Default for Presence {
    fn default() -> Self {
        Self::new()
    }
}

impl Presence {
    pub fn new() -> Self {
        Self {
            state: PresenceState::new(),
            pending: Vec::new(),
            status: SyncStatus::AwaitingState,
        }
    }

    pub fn state(&self) -> &PresenceState {
        &self.state
    }

    pub fn status(&self) -> SyncStatus {
        self.status
    }

    /// Every key with its metas, in key order.
    pub fn list(&self) -> Vec<(&str, &[Meta])> {
        self.state
            .iter()
            .map(|(key, entry)| (key.as_str(), entry.metas.as_slice()))
            .collect()
    }

    pub fn get(&self, key: &str) -> Option<&PresenceEntry> {
        self.state.get(key)
    }

    /// Whether any connection of `key` is typing.
    pub fn is_typing(&self, key: &str) -> bool {
        self.state
            .get(key)
            .is_some_and(|entry| entry.metas.iter().any(|meta| meta.is_typing))
    }

    /// The channel (re)joined: hold diffs until this join's first state. The
    /// state is kept, so that state reports joins and leaves against what the
    /// user last saw. Unlike phoenix, diffs still held from an earlier join are
    /// dropped: the new join's state already includes them.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.status = SyncStatus::AwaitingState;
    }

    /// Takes a `presence_state` payload.
    pub fn on_state(&mut self, payload: &Value) -> Result<PresenceUpdate, PresenceError> {
        let new_state = parse_state(payload)?;
        Ok(self.apply_state(new_state))
    }

    /// Takes a `presence_diff` payload (or the typing quirk's whole state).
    pub fn on_diff(&mut self, payload: &Value) -> Result<PresenceUpdate, PresenceError> {
        let diff = match parse_diff(payload)? {
            DiffPayload::WholeState(new_state) => return Ok(self.apply_state(new_state)),
            DiffPayload::Diff(diff) => diff,
        };
        match self.status {
            SyncStatus::AwaitingState if self.pending.len() >= MAX_PENDING_DIFFS => {
                Err(PresenceError::TooManyPendingDiffs)
            }
            SyncStatus::AwaitingState => {
                self.pending.push(diff);
                Ok(PresenceUpdate::Held)
            }
            SyncStatus::Synced => Ok(PresenceUpdate::Synced(vec![sync_diff(
                &mut self.state,
                diff,
            )])),
        }
    }

    fn apply_state(&mut self, new_state: PresenceState) -> PresenceUpdate {
        self.status = SyncStatus::Synced;
        let mut synced = vec![sync_state(&mut self.state, new_state)];
        for diff in std::mem::take(&mut self.pending) {
            synced.push(sync_diff(&mut self.state, diff));
        }
        PresenceUpdate::Synced(synced)
    }
}

#[cfg(test)]
mod tests;
