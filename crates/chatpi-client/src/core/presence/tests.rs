//! Unit tests of presence parsing, merging and tracking.

use super::*;
use serde_json::json;

fn refs(entry: &PresenceEntry) -> Vec<&str> {
    entry
        .metas
        .iter()
        .map(|meta| meta.phx_ref.as_str())
        .collect()
}

fn listed(presence: &Presence) -> Vec<(&str, Vec<&str>)> {
    (presence.list().into_iter())
        .map(|(key, metas)| {
            (
                key,
                metas.iter().map(|meta| meta.phx_ref.as_str()).collect(),
            )
        })
        .collect()
}

fn synced(update: PresenceUpdate) -> Vec<Changes> {
    match update {
        PresenceUpdate::Synced(changes) => changes,
        PresenceUpdate::Held => panic!("expected a sync, the payload was held"),
    }
}

fn synced_presence(state: Value) -> Presence {
    let mut presence = Presence::new();
    presence.on_state(&state).unwrap();
    presence
}

#[test]
fn a_state_lists_every_key_and_meta_in_key_order() {
    let presence = synced_presence(json!({
        "user:b": {"metas": [{"phx_ref": "b1", "is_typing": false}]},
        "user:a": {"metas": [
            {"phx_ref": "a1", "is_typing": false},
            {"phx_ref": "a2", "is_typing": true},
        ]},
    }));
    assert_eq!(
        listed(&presence),
        [("user:a", vec!["a1", "a2"]), ("user:b", vec!["b1"])]
    );
    assert!(presence.is_typing("user:a"));
    assert!(!presence.is_typing("user:b"));
    assert!(!presence.is_typing("user:nobody"));
}

#[test]
fn the_first_state_reports_every_key_as_joined() {
    let mut presence = Presence::new();
    let state = json!({"user:a": {"metas": [{"phx_ref": "a1", "is_typing": false}]}});
    let changes = synced(presence.on_state(&state).unwrap());
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].joins.len(), 1);
    assert_eq!(changes[0].joins[0].key, "user:a");
    assert_eq!(changes[0].joins[0].current, None);
    assert_eq!(refs(&changes[0].joins[0].joined), ["a1"]);
    assert!(changes[0].leaves.is_empty());
}

#[test]
fn a_second_connection_joins_the_same_key() {
    let mut presence = synced_presence(json!({"user:a": {"metas": [{"phx_ref": "a1"}]}}));
    let diff = json!({"joins": {"user:a": {"metas": [{"phx_ref": "a2"}]}}, "leaves": {}});
    let changes = synced(presence.on_diff(&diff).unwrap());

    assert_eq!(listed(&presence), [("user:a", vec!["a1", "a2"])]);
    let join = &changes[0].joins[0];
    assert_eq!(join.current.as_ref().map(refs), Some(vec!["a1"]));
    assert_eq!(refs(&join.joined), ["a2"]);
}

#[test]
fn a_key_stays_until_its_last_meta_leaves() {
    let mut presence = synced_presence(json!({
        "user:a": {"metas": [{"phx_ref": "a1"}, {"phx_ref": "a2"}]},
    }));

    let diff = json!({"joins": {}, "leaves": {"user:a": {"metas": [{"phx_ref": "a1"}]}}});
    let changes = synced(presence.on_diff(&diff).unwrap());
    assert_eq!(listed(&presence), [("user:a", vec!["a2"])]);
    assert_eq!(refs(&changes[0].leaves[0].current), ["a2"]);
    assert_eq!(refs(&changes[0].leaves[0].left), ["a1"]);

    let diff = json!({"joins": {}, "leaves": {"user:a": {"metas": [{"phx_ref": "a2"}]}}});
    let changes = synced(presence.on_diff(&diff).unwrap());
    assert!(presence.list().is_empty());
    assert!(changes[0].leaves[0].current.metas.is_empty());
}

#[test]
fn a_meta_update_is_a_leave_and_a_join_with_phx_ref_prev() {
    let mut presence = synced_presence(json!({
        "user:a": {"metas": [{"phx_ref": "a1", "is_typing": false}]},
    }));
    let updated = json!({"phx_ref": "a2", "phx_ref_prev": "a1", "is_typing": true});
    let diff = json!({
        "joins": {"user:a": {"metas": [updated]}},
        "leaves": {"user:a": {"metas": [{"phx_ref": "a1", "is_typing": false}]}},
    });
    let changes = synced(presence.on_diff(&diff).unwrap());

    assert_eq!(listed(&presence), [("user:a", vec!["a2"])]);
    assert!(presence.is_typing("user:a"));
    let meta = &presence.get("user:a").unwrap().metas[0];
    assert_eq!(meta.phx_ref_prev.as_deref(), Some("a1"));
    assert_eq!(refs(&changes[0].joins[0].joined), ["a2"]);
    assert_eq!(refs(&changes[0].leaves[0].current), ["a2"]);
}

#[test]
fn a_joining_meta_with_a_known_ref_replaces_it_and_goes_last() {
    let mut presence = synced_presence(json!({
        "user:a": {"metas": [{"phx_ref": "a1"}, {"phx_ref": "a2"}]},
    }));
    let diff = json!({"joins": {"user:a": {"metas": [{"phx_ref": "a1", "is_typing": true}]}}});
    synced(presence.on_diff(&diff).unwrap());
    assert_eq!(listed(&presence), [("user:a", vec!["a2", "a1"])]);
    assert!(presence.is_typing("user:a"));
}

#[test]
fn a_leave_for_an_unknown_key_changes_nothing() {
    let mut presence = synced_presence(json!({"user:a": {"metas": [{"phx_ref": "a1"}]}}));
    let diff = json!({"leaves": {"user:z": {"metas": [{"phx_ref": "z1"}]}}});
    let changes = synced(presence.on_diff(&diff).unwrap());
    assert_eq!(changes, [Changes::default()]);
    assert_eq!(listed(&presence), [("user:a", vec!["a1"])]);
}

#[test]
fn a_new_state_reports_what_joined_and_left_since_the_last() {
    let mut presence = synced_presence(json!({
        "user:a": {"metas": [{"phx_ref": "a1"}, {"phx_ref": "a2"}]},
        "user:b": {"metas": [{"phx_ref": "b1"}]},
    }));
    let state = json!({
        "user:a": {"metas": [{"phx_ref": "a2"}, {"phx_ref": "a3"}]},
        "user:c": {"metas": [{"phx_ref": "c1"}]},
    });
    let changes = synced(presence.on_state(&state).unwrap());

    assert_eq!(
        listed(&presence),
        [("user:a", vec!["a2", "a3"]), ("user:c", vec!["c1"])]
    );
    let joins: Vec<(&str, Vec<&str>)> = changes[0]
        .joins
        .iter()
        .map(|join| (join.key.as_str(), refs(&join.joined)))
        .collect();
    assert_eq!(joins, [("user:a", vec!["a3"]), ("user:c", vec!["c1"])]);
    let leaves: Vec<(&str, Vec<&str>)> = changes[0]
        .leaves
        .iter()
        .map(|leave| (leave.key.as_str(), refs(&leave.left)))
        .collect();
    assert_eq!(leaves, [("user:a", vec!["a1"]), ("user:b", vec!["b1"])]);
}

#[test]
fn a_new_state_keeps_the_old_fields_of_a_known_ref_like_phoenix() {
    let mut presence = synced_presence(json!({
        "user:a": {"metas": [{"phx_ref": "a1", "is_typing": false}]},
    }));
    let state = json!({"user:a": {"metas": [{"phx_ref": "a1", "is_typing": true}]}});
    let changes = synced(presence.on_state(&state).unwrap());
    assert_eq!(changes, [Changes::default()]);
    assert!(!presence.is_typing("user:a"));
}

#[test]
fn diffs_before_the_first_state_are_held_and_replayed_after_it() {
    let mut presence = Presence::new();
    assert_eq!(presence.status(), SyncStatus::AwaitingState);
    let join_b = json!({"joins": {"user:b": {"metas": [{"phx_ref": "b1"}]}}, "leaves": {}});
    let leave_a = json!({"joins": {}, "leaves": {"user:a": {"metas": [{"phx_ref": "a1"}]}}});
    assert_eq!(presence.on_diff(&join_b).unwrap(), PresenceUpdate::Held);
    assert_eq!(presence.on_diff(&leave_a).unwrap(), PresenceUpdate::Held);
    assert!(presence.list().is_empty());

    let state = json!({
        "user:a": {"metas": [{"phx_ref": "a1"}]},
        "user:c": {"metas": [{"phx_ref": "c1"}]},
    });
    let changes = synced(presence.on_state(&state).unwrap());
    assert_eq!(changes.len(), 3, "the state, then each held diff");
    assert_eq!(
        listed(&presence),
        [("user:b", vec!["b1"]), ("user:c", vec!["c1"])]
    );
    assert_eq!(presence.status(), SyncStatus::Synced);

    // Once synced, diffs apply at once.
    let update = presence.on_diff(&leave_a).unwrap();
    assert_eq!(update, PresenceUpdate::Synced(vec![Changes::default()]));
}

#[test]
fn the_typing_quirk_diff_is_a_whole_state() {
    let mut presence = synced_presence(json!({
        "user:a": {"metas": [{"phx_ref": "a1", "is_typing": false}]},
        "user:b": {"metas": [{"phx_ref": "b1", "is_typing": false}]},
    }));
    let quirk = json!({"user:a": {"metas": [{"phx_ref": "a2", "is_typing": true}]}});
    let changes = synced(presence.on_diff(&quirk).unwrap());
    assert_eq!(listed(&presence), [("user:a", vec!["a2"])]);
    assert!(presence.is_typing("user:a"));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].leaves.len(), 2);
}

#[test]
fn the_typing_quirk_before_the_first_state_counts_as_that_state() {
    let mut presence = Presence::new();
    let join_b = json!({"joins": {"user:b": {"metas": [{"phx_ref": "b1"}]}}, "leaves": {}});
    assert_eq!(presence.on_diff(&join_b).unwrap(), PresenceUpdate::Held);
    let quirk = json!({"user:a": {"metas": [{"phx_ref": "a1", "is_typing": true}]}});
    let changes = synced(presence.on_diff(&quirk).unwrap());
    assert_eq!(changes.len(), 2);
    assert_eq!(
        listed(&presence),
        [("user:a", vec!["a1"]), ("user:b", vec!["b1"])]
    );
}

#[test]
fn parse_diff_tells_the_quirk_from_a_diff() {
    let quirk = json!({"user:a": {"metas": [{"phx_ref": "a1"}]}});
    assert!(matches!(
        parse_diff(&quirk).unwrap(),
        DiffPayload::WholeState(_)
    ));
    let only_leaves = json!({"leaves": {"user:a": {"metas": [{"phx_ref": "a1"}]}}});
    let DiffPayload::Diff(diff) = parse_diff(&only_leaves).unwrap() else {
        panic!("a payload with `leaves` is a diff");
    };
    assert!(diff.joins.is_empty());
    assert_eq!(diff.leaves.len(), 1);
}

#[test]
fn a_reset_holds_diffs_again_and_keeps_the_state() {
    let mut presence = synced_presence(json!({"user:a": {"metas": [{"phx_ref": "a1"}]}}));
    presence.reset();
    let join_b = json!({"joins": {"user:b": {"metas": [{"phx_ref": "b1"}]}}, "leaves": {}});
    assert_eq!(presence.on_diff(&join_b).unwrap(), PresenceUpdate::Held);
    assert_eq!(listed(&presence), [("user:a", vec!["a1"])]);

    // A second rejoin drops what the first held: its state includes it.
    presence.reset();
    let state = json!({"user:a": {"metas": [{"phx_ref": "a1"}]}});
    let changes = synced(presence.on_state(&state).unwrap());
    assert_eq!(changes, [Changes::default()]);
    assert_eq!(listed(&presence), [("user:a", vec!["a1"])]);
}

#[test]
fn unknown_meta_fields_are_kept() {
    let presence = synced_presence(json!({
        "user:a": {"metas": [{"phx_ref": "a1", "is_typing": false, "online_at": 17}]},
    }));
    let meta = &presence.get("user:a").unwrap().metas[0];
    assert_eq!(meta.extra.get("online_at"), Some(&json!(17)));
    assert_eq!(
        serde_json::to_value(meta).unwrap(),
        json!({"phx_ref": "a1", "is_typing": false, "online_at": 17})
    );
}

#[test]
fn a_bad_payload_is_refused_and_changes_nothing() {
    let mut presence = synced_presence(json!({"user:a": {"metas": [{"phx_ref": "a1"}]}}));
    let key = || "user:b".to_owned();
    let cases = [
        (json!([]), PresenceError::NotAnObject { what: "state" }),
        (
            json!({"user:b": 1}),
            PresenceError::EntryNotAnObject { key: key() },
        ),
        (
            json!({"user:b": {}}),
            PresenceError::MissingMetas { key: key() },
        ),
        (
            json!({"user:b": {"metas": {}}}),
            PresenceError::MissingMetas { key: key() },
        ),
        (
            json!({"user:b": {"metas": [1]}}),
            PresenceError::MetaNotAnObject { key: key() },
        ),
        (
            json!({"user:b": {"metas": [{}]}}),
            PresenceError::MissingPhxRef { key: key() },
        ),
        (
            json!({"user:b": {"metas": [{"phx_ref": 1}]}}),
            PresenceError::MissingPhxRef { key: key() },
        ),
        (
            json!({"user:b": {"metas": [{"phx_ref": "b1", "is_typing": "yes"}]}}),
            PresenceError::WrongType {
                key: key(),
                field: "is_typing",
            },
        ),
        (
            json!({"user:b": {"metas": [{"phx_ref": "b1", "phx_ref_prev": 3}]}}),
            PresenceError::WrongType {
                key: key(),
                field: "phx_ref_prev",
            },
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(presence.on_state(&payload).unwrap_err(), want, "{payload}");
    }

    let bad_diffs = [
        (json!("x"), PresenceError::NotAnObject { what: "diff" }),
        (
            json!({"joins": [], "leaves": {}}),
            PresenceError::NotAnObject { what: "joins" },
        ),
        (
            json!({"joins": {}, "leaves": 3}),
            PresenceError::NotAnObject { what: "leaves" },
        ),
        (
            json!({"joins": {"user:b": {"metas": [{"phx_ref": "b1"}]}}, "leaves": {"user:a": {}}}),
            PresenceError::MissingMetas {
                key: "user:a".into(),
            },
        ),
    ];
    for (payload, want) in bad_diffs {
        assert_eq!(presence.on_diff(&payload).unwrap_err(), want, "{payload}");
    }
    assert_eq!(listed(&presence), [("user:a", vec!["a1"])]);
}

#[test]
fn a_null_phx_ref_prev_is_none() {
    let state = json!({"user:a": {"metas": [{"phx_ref": "a1", "phx_ref_prev": null}]}});
    let parsed = parse_state(&state).unwrap();
    assert_eq!(parsed["user:a"].metas[0].phx_ref_prev, None);
}

#[test]
fn too_many_held_diffs_are_refused() {
    let mut presence = Presence::new();
    let diff = json!({"joins": {}, "leaves": {}});
    for _ in 0..MAX_PENDING_DIFFS {
        assert_eq!(presence.on_diff(&diff).unwrap(), PresenceUpdate::Held);
    }
    assert_eq!(
        presence.on_diff(&diff).unwrap_err(),
        PresenceError::TooManyPendingDiffs
    );
    let changes = synced(presence.on_state(&json!({})).unwrap());
    assert_eq!(changes.len(), MAX_PENDING_DIFFS + 1);
}

#[test]
fn error_messages_are_lowercase() {
    let err = PresenceError::MissingPhxRef {
        key: "user:a".into(),
    };
    assert_eq!(
        err.to_string(),
        "a meta of presence entry `user:a` has no string `phx_ref`"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// States over a few keys whose refs are unique, as a server sends them.
    fn presence_state() -> impl Strategy<Value = PresenceState> {
        let key = prop::sample::select(vec!["user:a", "user:b", "user:c", "user:d"]);
        let refs = prop::collection::btree_set(0u8..12, 1..4);
        prop::collection::btree_map(key, (refs, any::<bool>()), 0..4).prop_map(|entries| {
            let entry = |key: &str, refs: BTreeSet<u8>, typing: bool| {
                let metas = (refs.into_iter())
                    .map(|n| Meta {
                        phx_ref: format!("{key}/{n}"),
                        phx_ref_prev: None,
                        is_typing: typing,
                        extra: Map::new(),
                    })
                    .collect();
                PresenceEntry { metas }
            };
            (entries.into_iter())
                .map(|(key, (refs, typing))| (key.to_owned(), entry(key, refs, typing)))
                .collect()
        })
    }

    fn refs_by_key(state: &PresenceState) -> BTreeSet<(String, String)> {
        (state.iter())
            .flat_map(|(key, entry)| {
                entry
                    .metas
                    .iter()
                    .map(|meta| (key.clone(), meta.phx_ref.clone()))
            })
            .collect()
    }

    proptest! {
        #[test]
        fn sync_state_ends_with_the_refs_of_the_new_state(
            old in presence_state(),
            new in presence_state(),
        ) {
            let mut state = old;
            sync_state(&mut state, new.clone());
            prop_assert_eq!(refs_by_key(&state), refs_by_key(&new));
        }

        #[test]
        fn a_state_synced_twice_changes_nothing_the_second_time(
            old in presence_state(),
            new in presence_state(),
        ) {
            let mut state = old;
            sync_state(&mut state, new.clone());
            let again = sync_state(&mut state, new);
            prop_assert_eq!(again, Changes::default());
        }

        #[test]
        fn the_tracker_never_panics_on_any_payload(payload in any_json()) {
            let mut presence = Presence::new();
            let _ = presence.on_diff(&payload);
            let _ = presence.on_state(&payload);
            let _ = presence.on_diff(&payload);
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            prop::sample::select(vec!["phx_ref", "metas", "joins", "leaves", "x"])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 48, 5, |inner| {
            let name = prop::sample::select(vec![
                "joins",
                "leaves",
                "metas",
                "phx_ref",
                "phx_ref_prev",
                "is_typing",
                "user:a",
            ]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(name, inner, 0..4).prop_map(|map| {
                    Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }
}
