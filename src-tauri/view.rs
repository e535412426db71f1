//! What the webview receives: camelCase views of messages, channels and
//! presence, cut from the backend's state.

use std::collections::{BTreeMap, HashMap};

use chatpi_client::{Message, OutboxEntry, OutboxState, PresenceState};
use serde::Serialize;

use crate::store::ChannelStore;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: String,
    pub text: String,
    pub user_key: String,
    pub user_name: String,
    pub inserted_at: String,
    pub mine: bool,
    pub reply_to: Option<ReplyView>,
    pub reactions: Vec<ReactionView>,
    /// The id it was queued with, when sent from an outbox: the page
    /// drops its pending row when the stored message arrives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// A message of one's own not yet stored: queued (offline, or waiting for
/// the server's answer) or refused.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PendingView {
    pub client_id: String,
    pub channel: String,
    pub text: String,
    pub reply_to: Option<ReplyView>,
    /// `pending` or `failed`.
    pub state: &'static str,
    /// Why the server refused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged, rename_all = "camelCase")]
pub enum ReplyView {
    #[serde(rename_all = "camelCase")]
    Loaded {
        id: String,
        user_name: String,
        text: String,
    },
    /// The target is not loaded (a real server cannot fetch one by id).
    Missing { id: String, missing: bool },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReactionView {
    pub classifier: String,
    pub count: usize,
    pub mine: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChannelView {
    pub id: String,
    pub name: String,
    pub unread: u64,
    pub muted: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_key: String,
    pub name: String,
    pub online: bool,
    pub typing: bool,
}

/// Display names by auth key.
pub type Names = HashMap<String, String>;

pub fn name_of(names: &Names, key: &str) -> String {
    names.get(key).cloned().unwrap_or_else(|| key.to_owned())
}

pub fn message(store: &ChannelStore, m: &Message, me: &str, names: &Names) -> MessageView {
    MessageView {
        id: m.id.clone(),
        text: m.text.clone(),
        user_key: m.user_auth_key.clone(),
        user_name: name_of(names, &m.user_auth_key),
        inserted_at: m.inserted_at.clone(),
        mine: m.user_auth_key == me,
        reply_to: m
            .reply_target_id
            .as_ref()
            .map(|target| reply(store, target, names)),
        reactions: reactions(store, &m.id, me),
        client_id: m.client_id().map(str::to_owned),
    }
}

/// The quoted target of a reply, or a placeholder when it is not loaded
/// (a real server cannot fetch one by id).
fn reply(store: &ChannelStore, target: &str, names: &Names) -> ReplyView {
    match store.by_id(target) {
        Some(t) => ReplyView::Loaded {
            id: t.id.clone(),
            user_name: name_of(names, &t.user_auth_key),
            text: t.text.chars().take(200).collect(),
        },
        None => ReplyView::Missing {
            id: target.to_owned(),
            missing: true,
        },
    }
}

/// A queued message as the page shows it; `store` is its channel's, when
/// loaded, for the quoted target.
pub fn pending(store: Option<&ChannelStore>, entry: &OutboxEntry, names: &Names) -> PendingView {
    let (state, reason) = match &entry.state {
        OutboxState::Pending => ("pending", None),
        OutboxState::Failed { reason } => ("failed", Some(reason.clone())),
    };
    PendingView {
        client_id: entry.client_id.clone(),
        channel: entry.channel.clone(),
        text: entry.message.text.clone(),
        reply_to: entry
            .message
            .reply_target_id
            .as_ref()
            .map(|target| match store {
                Some(store) => reply(store, target, names),
                None => ReplyView::Missing {
                    id: target.clone(),
                    missing: true,
                },
            }),
        state,
        reason,
    }
}

pub fn reactions(store: &ChannelStore, message_id: &str, me: &str) -> Vec<ReactionView> {
    // Classifiers arrive in varying case; count them as one.
    let mut by_kind: BTreeMap<String, ReactionView> = BTreeMap::new();
    for r in store.reactions(message_id) {
        let kind = r.classifier.to_uppercase();
        let entry = by_kind.entry(kind.clone()).or_insert(ReactionView {
            classifier: kind,
            count: 0,
            mine: false,
        });
        entry.count += 1;
        entry.mine |= r.user_auth_key == me;
    }
    by_kind.into_values().collect()
}

/// Whoever is present, in key order: the presence bar shows who is here.
pub fn members(presence: &PresenceState, names: &Names) -> Vec<MemberView> {
    presence
        .iter()
        .map(|(key, entry)| {
            let user_key = key.strip_prefix("user:").unwrap_or(key).to_owned();
            MemberView {
                name: name_of(names, &user_key),
                user_key,
                online: true,
                typing: entry.metas.iter().any(|m| m.is_typing),
            }
        })
        .collect()
}
