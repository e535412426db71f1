//! Replays presence payloads through `chatpi_client::core::Presence` and prints
//! what it made of them; the Rust side of `tests/presence-diff`.
//!
//! Reads JSON lines from stdin, each a list of ops: `{"state": payload}` (a
//! `presence_state`), `{"diff": payload}` (a `presence_diff`) or
//! `{"rejoin": true}` (the channel rejoined). Writes one JSON line per input
//! line: for each op, whether it was held, the joins and leaves of each sync
//! (as phoenix's `onJoin`/`onLeave` report them, in key order), and the
//! presence list after it; or `{"error": ...}` for an op that was refused.

use std::error::Error;
use std::io::{self, BufRead, BufWriter, Write};

use chatpi_client::core::{Changes, Presence, PresenceEntry, PresenceUpdate};
use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn Error>> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let ops: Value = serde_json::from_str(&line)?;
        let Value::Array(ops) = ops else {
            return Err("each input line must be a json array of ops".into());
        };
        let mut presence = Presence::new();
        let results: Vec<Value> = ops.iter().map(|op| replay(&mut presence, op)).collect();
        serde_json::to_writer(&mut out, &results)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn replay(presence: &mut Presence, op: &Value) -> Value {
    let update = if let Some(state) = op.get("state") {
        presence.on_state(state)
    } else if let Some(diff) = op.get("diff") {
        presence.on_diff(diff)
    } else if op.get("rejoin").is_some() {
        presence.reset();
        return json!({"rejoin": true, "list": list(presence)});
    } else {
        return json!({"error": format!("unknown op {op}")});
    };

    match update {
        Ok(PresenceUpdate::Held) => json!({"held": true, "syncs": [], "list": list(presence)}),
        Ok(PresenceUpdate::Synced(syncs)) => {
            let syncs: Vec<Value> = syncs.iter().map(changes).collect();
            json!({"held": false, "syncs": syncs, "list": list(presence)})
        }
        Err(err) => json!({"error": err.to_string()}),
    }
}

fn changes(changes: &Changes) -> Value {
    let joins: Vec<Value> = (changes.joins.iter())
        .map(|join| {
            let current = join.current.as_ref().map(metas);
            json!({"key": join.key, "current": current, "new": metas(&join.joined)})
        })
        .collect();
    let leaves: Vec<Value> = (changes.leaves.iter())
        .map(|leave| {
            json!({"key": leave.key, "current": metas(&leave.current), "left": metas(&leave.left)})
        })
        .collect();
    json!({"joins": joins, "leaves": leaves})
}

fn metas(entry: &PresenceEntry) -> Value {
    json!(entry.metas)
}

fn list(presence: &Presence) -> Value {
    let entries: Vec<Value> = (presence.list().into_iter())
        .map(|(key, metas)| json!([key, metas]))
        .collect();
    Value::Array(entries)
}
