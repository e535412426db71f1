//! The bodies of the fuzz targets, shared by `fuzz/` (`cargo fuzz`, nightly
//! flags) and the stable replay tests (`tests/fuzz_replay.rs`). Each takes
//! any bytes and panics only on a broken invariant. Not a stable API.

use serde_json::{json, Map, Value};

use super::{
    decode, decode_raw, decode_with_limit, encode, parse_diff, Channel, DiffPayload, Link,
    Presence, PresenceState, PresenceUpdate, Refs, Reply,
};

/// The frame decoder on untrusted text: it never panics; whatever it
/// accepts encodes and decodes back to the same frame; and a decoded frame
/// fed to a joined channel, the reply parser and presence panics nothing.
pub fn frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limit = 256;
    let limited = decode_with_limit(text, limit);
    let decoded = decode(text);
    if text.len() <= limit {
        assert_eq!(
            limited.is_ok(),
            decoded.is_ok(),
            "the limit changed the verdict"
        );
    } else {
        assert!(limited.is_err(), "a frame over the limit was accepted");
    }
    let frame = match decoded {
        Ok(frame) => frame,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };

    // The direct path reads a chat broadcast's payload from the frame's
    // text into its type; from the text or from the tree, the verdict and
    // the message are the same.
    let raw = decode_raw(text, limit.max(text.len())).expect("decode accepted it");
    let from_text = serde_json::from_str::<crate::Message>(raw.payload.get());
    let from_tree = serde_json::from_value::<crate::Message>(frame.payload.clone());
    match (&from_text, &from_tree) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "a message read two ways differs"),
        (Err(_), Err(_)) => {}
        _ => panic!("a message read two ways: {from_text:?} / {from_tree:?}"),
    }

    let again = decode_with_limit(&encode(&frame), usize::MAX).expect("an encoded frame decodes");
    assert_eq!(again.join_ref, frame.join_ref);
    assert_eq!(again.reference, frame.reference);
    assert_eq!(again.topic, frame.topic);
    assert_eq!(again.event, frame.event);
    assert!(
        same_json(&again.payload, &frame.payload),
        "the payload changed in a round trip"
    );

    let _ = Reply::from_payload(frame.payload.clone());
    let mut presence = Presence::new();
    let _ = presence.on_diff(&frame.payload);
    let _ = presence.on_state(&frame.payload);
    let _ = presence.on_diff(&frame.payload);

    // A channel joined on this topic (join ref "1"), with one push ("2")
    // waiting, takes the frame.
    let now = std::time::Instant::now();
    let mut refs = Refs::new();
    let mut channel: Channel<u8> = Channel::new(frame.topic.clone(), json!({}), Link::Up);
    let join = channel
        .join(&mut refs, now)
        .expect("a new channel joins")
        .expect("the link is up");
    let ok = json!({"status": "ok", "response": {}});
    let reply = super::Frame::new(
        join.join_ref.clone(),
        join.reference,
        &frame.topic,
        "phx_reply",
        ok,
    );
    channel.on_frame(reply, &mut refs, now);
    let _ = channel.push(
        "message:new",
        json!({}),
        1,
        &mut refs,
        now,
        std::time::Duration::from_secs(1),
    );
    let _ = channel.on_frame(frame, &mut refs, now);
    let _ = channel.on_timeout(&mut refs, now + std::time::Duration::from_secs(60));
}

/// Numbers compare by value (a float's text may round on the way back);
/// everything else exactly.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x == y => true,
            (Some(x), Some(y)) => {
                (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()).max(1.0) * 4.0
            }
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// One step fed to a [`Presence`].
#[derive(Debug, Clone)]
enum Op {
    State(Value),
    Diff(Value),
    Rejoin,
}

/// The presence merge on untrusted payloads: it never panics; a refused
/// payload leaves the state as it was; a state applied with no diff held
/// becomes the state (by key and `phx_ref`); after a diff no left ref
/// remains and every joined ref that did not also leave is there; a leave
/// reports what is left of its key.
///
/// `data` is either a JSON array of ops (`{"state": payload}`,
/// `{"diff": payload}`, `{"rejoin": true}`, as `examples/presence_replay`
/// reads them) or any other bytes, read as a compact script of ops over a
/// few keys and refs.
pub fn presence(data: &[u8]) {
    let ops = json_ops(data).unwrap_or_else(|| byte_ops(data));
    let mut presence = Presence::new();
    let mut held = 0usize;
    for op in ops {
        let before = presence.state().clone();
        let (result, payload, is_state) = match &op {
            Op::Rejoin => {
                presence.reset();
                held = 0;
                continue;
            }
            Op::State(p) => (presence.on_state(p), p, true),
            Op::Diff(p) => (presence.on_diff(p), p, false),
        };
        let update = match result {
            Ok(update) => update,
            Err(_) => {
                assert_eq!(
                    presence.state(),
                    &before,
                    "a refused payload changed the state"
                );
                continue;
            }
        };
        let syncs = match update {
            PresenceUpdate::Held => {
                held += 1;
                continue;
            }
            PresenceUpdate::Synced(syncs) => syncs,
        };
        for changes in &syncs {
            for leave in &changes.leaves {
                let left: Vec<&str> = leave
                    .left
                    .metas
                    .iter()
                    .map(|m| m.phx_ref.as_str())
                    .collect();
                assert!(
                    !leave
                        .current
                        .metas
                        .iter()
                        .any(|m| left.contains(&m.phx_ref.as_str())),
                    "a leave reports a left meta as still there"
                );
            }
        }
        let whole = match (is_state, parse_diff(payload)) {
            (true, _) => super::parse_state(payload).ok(),
            (false, Ok(DiffPayload::WholeState(state))) => Some(state),
            (false, Ok(DiffPayload::Diff(diff))) => {
                check_diff(presence.state(), &diff.joins, &diff.leaves);
                None
            }
            (false, Err(e)) => panic!("a diff was applied and is refused on reading: {e}"),
        };
        if let Some(state) = whole {
            if held == 0 {
                assert_eq!(
                    refs_of(presence.state()),
                    refs_of(&state),
                    "a state was not applied"
                );
            }
            held = 0;
        }
    }
}

fn check_diff(state: &PresenceState, joins: &PresenceState, leaves: &PresenceState) {
    for (key, left) in leaves {
        let Some(entry) = state.get(key) else {
            continue;
        };
        for meta in &left.metas {
            assert!(
                !entry.metas.iter().any(|m| m.phx_ref == meta.phx_ref),
                "a left ref is still there"
            );
        }
    }
    for (key, joined) in joins {
        let left = leaves.get(key);
        for meta in &joined.metas {
            let also_left = left.is_some_and(|l| l.metas.iter().any(|m| m.phx_ref == meta.phx_ref));
            if also_left {
                continue;
            }
            let present = state
                .get(key)
                .is_some_and(|e| e.metas.iter().any(|m| m.phx_ref == meta.phx_ref));
            assert!(present, "a joined ref is missing");
        }
    }
}

/// Keys with metas, and their refs as sets.
fn refs_of(state: &PresenceState) -> Vec<(String, Vec<String>)> {
    state
        .iter()
        .filter(|(_, entry)| !entry.metas.is_empty())
        .map(|(key, entry)| {
            let mut refs: Vec<String> = entry.metas.iter().map(|m| m.phx_ref.clone()).collect();
            refs.sort_unstable();
            refs.dedup();
            (key.clone(), refs)
        })
        .collect()
}

fn json_ops(data: &[u8]) -> Option<Vec<Op>> {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(data) else {
        return None;
    };
    let ops = items
        .into_iter()
        .filter_map(|item| {
            let Value::Object(mut fields) = item else {
                return None;
            };
            if let Some(state) = fields.remove("state") {
                Some(Op::State(state))
            } else if let Some(diff) = fields.remove("diff") {
                Some(Op::Diff(diff))
            } else {
                fields.contains_key("rejoin").then_some(Op::Rejoin)
            }
        })
        .collect();
    Some(ops)
}

const KEYS: [&str; 4] = ["user:a", "user:b", "user:c", "user:d"];
const REFS: [&str; 6] = ["r1", "r2", "r3", "r4", "r5", "r6"];
const MAX_OPS: usize = 24;

/// Reads bytes as a script; a byte past the end reads as 0.
struct Script<'a> {
    data: &'a [u8],
    at: usize,
}

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn meta(&mut self) -> Value {
        let b = self.byte();
        let mut meta = Map::new();
        // One byte in sixteen makes a meta a real server would not send.
        match b % 16 {
            15 => {
                meta.insert("is_typing".into(), json!("yes"));
            }
            14 => {}
            _ => {
                meta.insert("phx_ref".into(), json!(REFS[usize::from(b) % REFS.len()]));
            }
        }
        if b % 16 != 15 {
            meta.insert("is_typing".into(), json!(b & 0x10 != 0));
        }
        if b & 0x20 != 0 {
            let prev = REFS[usize::from(self.byte()) % REFS.len()];
            meta.insert("phx_ref_prev".into(), json!(prev));
        }
        Value::Object(meta)
    }

    fn entries(&mut self) -> Value {
        let mut entries = Map::new();
        for _ in 0..self.byte() % 4 {
            let key = KEYS[usize::from(self.byte()) % KEYS.len()];
            let metas: Vec<Value> = (0..self.byte() % 4).map(|_| self.meta()).collect();
            entries.insert(key.into(), json!({ "metas": metas }));
        }
        Value::Object(entries)
    }
}

fn byte_ops(data: &[u8]) -> Vec<Op> {
    let mut script = Script { data, at: 0 };
    let mut ops = Vec::new();
    while !script.done() && ops.len() < MAX_OPS {
        let op = match script.byte() % 5 {
            0 => Op::State(script.entries()),
            1 | 2 => {
                let (joins, leaves) = (script.entries(), script.entries());
                Op::Diff(json!({ "joins": joins, "leaves": leaves }))
            }
            // The typing quirk: a whole state sent as a diff.
            3 => Op::Diff(script.entries()),
            _ => Op::Rejoin,
        };
        ops.push(op);
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_take_simple_inputs() {
        frame(br#"["1","2","chat:k:1","phx_reply",{"status":"ok","response":{}}]"#);
        frame(br#"[null,null,"t","e",{"a":1.5e300,"b":[0.1,-2]}]"#);
        frame(b"\xff\xfe");
        presence(
            br#"[{"diff":{"joins":{"u":{"metas":[{"phx_ref":"1"}]}},"leaves":{}}},{"state":{}}]"#,
        );
        presence(&[0, 1, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        presence(&[]);
    }
}
