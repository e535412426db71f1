// One's own messages in the open channel that the server has not stored
// yet: queued (offline, or waiting for the answer) or refused. They show
// below the newest message until the stored message arrives. Pure
// functions over a list of PendingView:
//   { clientId, channel, text, replyTo, state: 'pending' | 'failed', reason? }

// Folds `chat://outbox` items ({ clientId, state, pending?, reason? }) into
// the list. Returns the same list when nothing changed.
export function applyOutbox(list, items) {
  let out = list;
  let changed = false;
  for (const item of items) {
    const at = out.findIndex((p) => p.clientId === item.clientId);
    let next = out;
    if (item.state === 'sent' || item.state === 'discarded') {
      if (at >= 0) next = out.filter((_, i) => i !== at);
    } else if (item.state === 'pending') {
      if (at < 0 && item.pending) {
        next = [...out, { ...item.pending, state: 'pending' }];
      } else if (at >= 0 && (out[at].state !== 'pending' || out[at].reason)) {
        next = replace(out, at, { ...out[at], state: 'pending', reason: undefined });
      }
    } else if (item.state === 'failed' && at >= 0) {
      if (out[at].state !== 'failed' || out[at].reason !== item.reason) {
        next = replace(out, at, { ...out[at], state: 'failed', reason: item.reason });
      }
    }
    if (next !== out) {
      out = next;
      changed = true;
    }
  }
  return changed ? out : list;
}

// Adds the pending message `send_message` returned, unless its own
// `chat://outbox` item already did (or it was stored meanwhile: `stored`
// holds client ids already seen as messages).
export function addSent(list, pending, stored = new Set()) {
  if (!pending?.clientId || stored.has(pending.clientId)) return list;
  if (list.some((p) => p.clientId === pending.clientId)) return list;
  return [...list, pending];
}

// Drops the entries whose stored message arrived (`chat://message` items
// carry the client id they were queued with).
export function dropDelivered(list, messages) {
  const ids = new Set();
  for (const m of messages) if (m?.clientId) ids.add(m.clientId);
  if (ids.size === 0) return list;
  const out = list.filter((p) => !ids.has(p.clientId));
  return out.length === list.length ? list : out;
}

// What the row says under the text.
export function statusText(p) {
  if (p.state === 'failed') return p.reason ? `Not sent: ${p.reason}` : 'Not sent';
  return 'Sending…';
}

function replace(list, at, value) {
  const out = list.slice();
  out[at] = value;
  return out;
}
