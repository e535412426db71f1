// The slice of a channel the page holds: `items` are the messages with
// backend indices base .. base + items.length - 1, out of `total` the
// backend holds. Pure functions return a new timeline and say what
// changed; the caller decides how to scroll. Messages are deduplicated by
// id everywhere, since a message can come back more than once (a live
// event and a page of history).

export function fromOpen({ total, messages, hasOlder }) {
  const items = messages ?? [];
  return {
    total: Math.max(total ?? 0, items.length),
    base: Math.max(0, (total ?? 0) - items.length),
    items,
    hasOlder: Boolean(hasOlder),
  };
}

export function empty() {
  return { total: 0, base: 0, items: [], hasOlder: false };
}

export const endOf = (tl) => tl.base + tl.items.length;

// True when the slice reaches the newest message the backend holds.
export const isLive = (tl) => endOf(tl) >= tl.total;

// True when nothing older exists, here or on the server.
export const atBeginning = (tl) => tl.base === 0 && !tl.hasOlder;

export function positionOf(tl, id) {
  return tl.items.findIndex((m) => m.id === id);
}

// Live messages from `chat://message` ([{ message, index }]). A message
// right after the slice is appended; a known id is updated in place; one
// beyond the slice only grows `total` (gap). An unknown id inside the
// slice, or a known id at another index, means indices moved under us
// (resync). With trimTop false (the reader is scrolled up) the slice
// stops growing at maxItems instead of dropping its top.
export function applyIncoming(tl, entries, { maxItems = Infinity, trimTop = true } = {}) {
  const items = tl.items.slice();
  const pos = new Map(items.map((m, i) => [m.id, i]));
  let { base, total } = tl;
  let appended = 0;
  let updated = 0;
  let gap = false;
  let resync = false;

  const sorted = [...entries].sort((a, b) => a.index - b.index);
  for (const { message, index } of sorted) {
    total = Math.max(total, index + 1);
    const at = pos.get(message.id);
    if (at !== undefined) {
      items[at] = message;
      updated += 1;
      if (base + at !== index) resync = true;
      continue;
    }
    const end = base + items.length;
    if (index === end && (trimTop || items.length < maxItems)) {
      pos.set(message.id, items.length);
      items.push(message);
      appended += 1;
    } else if (index >= end) {
      gap = true;
    } else {
      resync = true;
    }
  }

  let dropped = 0;
  if (trimTop && items.length > maxItems) {
    dropped = items.length - maxItems;
    items.splice(0, dropped);
    base += dropped;
  }
  return {
    timeline: { ...tl, items, base, total },
    appended, updated, dropped, gap, resync,
  };
}

// Older messages from fetch_window at `start`, ending at or after `base`.
export function prependOlder(tl, start, messages, maxItems = Infinity) {
  const count = Math.min(messages.length, tl.base - start);
  if (start > tl.base || start + messages.length < tl.base || count <= 0) {
    return { timeline: tl, added: 0, dropped: 0 };
  }
  const known = new Set(tl.items.map((m) => m.id));
  const fresh = messages.slice(0, count).filter((m) => !known.has(m.id));
  if (fresh.length !== count) {
    // An id already held would make two copies; the slice is unusable.
    return { timeline: tl, added: 0, dropped: 0, resync: true };
  }
  let items = [...fresh, ...tl.items];
  let dropped = 0;
  if (items.length > maxItems) {
    dropped = items.length - maxItems;
    items = items.slice(0, maxItems);
  }
  return { timeline: { ...tl, items, base: start }, added: count, dropped };
}

// Newer messages from fetch_window at `start`, beginning at or before
// the slice's end. Drops from the top past maxItems.
export function appendNewer(tl, start, messages, total, maxItems = Infinity) {
  const end = endOf(tl);
  if (start > end) return { timeline: tl, added: 0, dropped: 0 };
  const known = new Set(tl.items.map((m) => m.id));
  const fresh = messages.slice(end - start).filter((m) => !known.has(m.id));
  let items = [...tl.items, ...fresh];
  let base = tl.base;
  let dropped = 0;
  if (items.length > maxItems) {
    dropped = items.length - maxItems;
    items = items.slice(dropped);
    base += dropped;
  }
  return {
    timeline: { ...tl, items, base, total: Math.max(total ?? 0, base + items.length) },
    added: fresh.length,
    dropped,
  };
}

// load_older prepended `added` messages in the backend: every index
// shifts, and what we hold now starts further down.
export function afterLoadOlder(tl, { added, total, hasOlder }) {
  return {
    ...tl,
    base: tl.base + (added ?? 0),
    total: total ?? tl.total + (added ?? 0),
    hasOlder: Boolean(hasOlder),
  };
}

// `chat://reaction` items: [{ messageId, reactions }].
export function applyReactions(tl, updates) {
  const byId = new Map(updates.map((u) => [u.messageId, u.reactions]));
  let changed = 0;
  const items = tl.items.map((m) => {
    if (!byId.has(m.id)) return m;
    changed += 1;
    return { ...m, reactions: byId.get(m.id) ?? [] };
  });
  return { timeline: changed ? { ...tl, items } : tl, changed };
}

// Drops rows beyond maxItems from the bottom (after reading upwards).
export function trimBottom(tl, maxItems) {
  if (tl.items.length <= maxItems) return tl;
  return { ...tl, items: tl.items.slice(0, maxItems) };
}
