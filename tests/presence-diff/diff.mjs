// Differential test of chatpi-client's presence merge against the `phoenix`
// npm client's own Presence (the version pinned in package.json).
//
// Generates seeded random sequences of presence payloads (states, proper
// diffs with several metas per key, meta updates with phx_ref_prev, diffs
// before the first state, rejoins), feeds each to a phoenix Presence over a
// fake channel and, in one run, to the Rust example `presence_replay`, then
// compares after every op: held or synced, the joins and leaves of each sync
// (phoenix's onJoin/onLeave), and the presence list.
//
// Usage: node diff.mjs <path-to-presence_replay> [sequences] [seed]
// Typing-quirk payloads are left out: phoenix's Presence throws on them.

import { spawnSync } from "node:child_process";
import { Presence } from "phoenix";

const [binary, countArg = "500", seedArg = "1"] = process.argv.slice(2);
if (!binary) {
  console.error("usage: node diff.mjs <path-to-presence_replay> [sequences] [seed]");
  process.exit(2);
}
const COUNT = Number(countArg);
const SEED = Number(seedArg);

// Keys: a few users to collide on, plus names that are Object.prototype
// properties and an integer-like key (JS orders those first).
const KEYS = ["user:alice", "user:bob", "user:carol", "user:dave", "constructor", "toString", "42"];

// mulberry32: a small seeded PRNG, so a failing sequence can be replayed.
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

const clone = (value) => JSON.parse(JSON.stringify(value));

// Objects keyed by presence key must have no prototype: `obj.constructor`
// would otherwise be found on Object.prototype.
const dict = () => Object.create(null);

function generateSequence(rng) {
  let refCount = 0;
  const newMeta = (prev) => {
    const meta = { phx_ref: `F${++refCount}${rng.chance(0.3) ? "x" + rng.int(1000) : ""}` };
    if (prev) meta.phx_ref_prev = prev;
    meta.is_typing = rng.chance(0.3);
    if (rng.chance(0.3)) meta.online_at = rng.int(1e9);
    if (rng.chance(0.1)) meta.device = rng.pick(["web", "desktop", "phone"]);
    return meta;
  };

  // What the server holds: key -> metas. Ops are drawn against it.
  let truth = new Map();
  const history = [];
  const live = () => [...truth.entries()].filter(([, metas]) => metas.length > 0);
  const addTo = (side, key, meta) => {
    side[key] ??= { metas: [] };
    side[key].metas.push(clone(meta));
  };

  const diffOp = () => {
    const joins = dict();
    const leaves = dict();
    const changes = 1 + rng.int(3);
    for (let i = 0; i < changes; i++) {
      const present = live();
      const roll = rng.next();
      if (roll < 0.35 || present.length === 0) {
        // A new connection, of a new key or a present one.
        const key = rng.pick(KEYS);
        const meta = newMeta();
        addTo(joins, key, meta);
        truth.set(key, [...(truth.get(key) ?? []), meta]);
      } else if (roll < 0.6) {
        // A connection leaves.
        const [key, metas] = rng.pick(present);
        const meta = rng.pick(metas);
        addTo(leaves, key, meta);
        truth.set(key, metas.filter((m) => m !== meta));
      } else if (roll < 0.85) {
        // A meta update: leave the old meta, join the new with phx_ref_prev.
        const [key, metas] = rng.pick(present);
        const old = rng.pick(metas);
        const updated = newMeta(old.phx_ref);
        updated.is_typing = !old.is_typing;
        addTo(leaves, key, old);
        addTo(joins, key, updated);
        truth.set(key, [...metas.filter((m) => m !== old), updated]);
      } else if (roll < 0.92) {
        // Noise: a leave of a meta nobody holds.
        addTo(leaves, rng.pick(KEYS), { phx_ref: `ghost${rng.int(100)}`, is_typing: false });
      } else {
        // Noise: a known ref joins again with other fields.
        const [key, metas] = rng.pick(present);
        const old = rng.pick(metas);
        const again = { ...clone(old), is_typing: !old.is_typing };
        addTo(joins, key, again);
        truth.set(key, [...metas.filter((m) => m !== old), again]);
      }
    }
    history.push(clone([...truth.entries()]));
    return { diff: { joins, leaves } };
  };

  const stateOp = () => {
    // The state may predate the last diffs sent (the join race), and may
    // disagree with what we hold on a known ref's fields.
    const back = Math.min(rng.int(3), history.length);
    const entries = back === 0 ? clone([...truth.entries()]) : history[history.length - back];
    const state = dict();
    for (const [key, metas] of entries) {
      if (metas.length === 0) continue;
      state[key] = { metas: clone(metas) };
      if (rng.chance(0.15)) {
        const meta = rng.pick(state[key].metas);
        meta.is_typing = !meta.is_typing;
      }
    }
    truth = new Map(Object.entries(clone(state)).map(([key, entry]) => [key, entry.metas]));
    return { state };
  };

  const ops = [];
  const length = 1 + rng.int(10);
  let awaitingState = true;
  let diffsBeforeState = rng.int(4);
  for (let i = 0; i < length; i++) {
    if (awaitingState && diffsBeforeState === 0) {
      ops.push(stateOp());
      awaitingState = false;
    } else if (awaitingState) {
      ops.push(diffOp());
      diffsBeforeState--;
    } else if (rng.chance(0.1)) {
      ops.push(stateOp());
    } else if (rng.chance(0.08)) {
      // A rejoin only while nothing is held: with held diffs, phoenix keeps
      // them across the rejoin and chatpi-client drops them, on purpose.
      ops.push({ rejoin: true });
      awaitingState = true;
      diffsBeforeState = rng.int(3);
    } else {
      ops.push(diffOp());
    }
  }
  return ops;
}

// Wraps Presence.syncDiff to see where each sync starts: syncState and the
// replay of held diffs both go through it.
let syncs = null;
const originalSyncDiff = Presence.syncDiff;
Presence.syncDiff = function (...args) {
  syncs?.push({ joins: [], leaves: [] });
  return originalSyncDiff.apply(this, args);
};

const metasOf = (presence) => clone(presence.metas);
const byKey = (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function listOf(presence) {
  const keys = Object.getOwnPropertyNames(presence.state).sort();
  return keys.map((key) => [key, clone(presence.state[key].metas)]);
}

function runPhoenix(ops) {
  let joinRef = 1;
  const bindings = {};
  const channel = {
    on: (event, callback) => {
      bindings[event] = callback;
    },
    joinRef: () => String(joinRef),
  };
  const presence = new Presence(channel);
  let synced = false;
  presence.onJoin((key, current, joined) => {
    const entry = { key, current: current ? metasOf(current) : null, new: metasOf(joined) };
    syncs.at(-1).joins.push(entry);
  });
  presence.onLeave((key, current, left) => {
    syncs.at(-1).leaves.push({ key, current: metasOf(current), left: metasOf(left) });
  });
  presence.onSync(() => {
    synced = true;
  });

  return ops.map((op) => {
    if (op.rejoin) {
      joinRef++;
      return { rejoin: true, list: listOf(presence) };
    }
    syncs = [];
    synced = false;
    const [event, payload] = op.state ? ["presence_state", op.state] : ["presence_diff", op.diff];
    bindings[event](clone(payload));
    const result = { held: !synced, syncs, list: listOf(presence) };
    syncs = null;
    for (const sync of result.syncs) {
      sync.joins.sort(byKey);
      sync.leaves.sort(byKey);
    }
    return result;
  });
}

// JSON with object keys sorted, so field order does not count.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const rng = prng(SEED);
const sequences = Array.from({ length: COUNT }, () => generateSequence(rng));
const input = sequences.map((ops) => JSON.stringify(ops)).join("\n") + "\n";
const run = spawnSync(binary, [], { input, encoding: "utf8", maxBuffer: 1 << 30 });
if (run.error || run.status !== 0) {
  console.error(`running ${binary} failed:`, run.error ?? run.stderr);
  process.exit(2);
}
const rustLines = run.stdout.split("\n").filter((line) => line.length > 0);
if (rustLines.length !== COUNT) {
  console.error(`expected ${COUNT} result lines from ${binary}, got ${rustLines.length}`);
  process.exit(2);
}

let passed = 0;
let failed = 0;
sequences.forEach((ops, index) => {
  const want = runPhoenix(clone(ops));
  const got = JSON.parse(rustLines[index]);
  const opIndex = ops.findIndex((_, i) => canonical(want[i]) !== canonical(got[i]));
  if (opIndex < 0 && want.length === got.length) {
    passed++;
    return;
  }
  failed++;
  if (failed === 1) {
    console.log(`sequence ${index} (seed ${SEED}) differs at op ${opIndex}`);
    console.log("ops:", JSON.stringify(ops, null, 1));
    console.log("phoenix:", JSON.stringify(want[opIndex], null, 1));
    console.log("chatpi-client:", JSON.stringify(got[opIndex], null, 1));
  }
});
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
