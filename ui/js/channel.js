// The open channel: opening it, paging history in both directions,
// folding live events into the slice, and the user's intents (send,
// react, reply, retry or discard an unsent message). Views call these;
// only store state is written here.
// Every await is followed by a generation check, so an answer for a
// channel the user already left is dropped.

import { api } from './api.js';
import { state, set, notify, setChannels } from './store.js';
import * as T from './lib/timeline.js';
import * as O from './lib/outbox.js';

// The slice never grows past this many messages; the DOM holds far fewer.
export const MAX_ITEMS = 300;
const PAGE = 100;
// After an older-page request that brought nothing, wait before asking
// again, so a server that keeps saying hasOlder cannot spin us.
const OLDER_COOLDOWN_MS = 3000;

let generation = 0;
let opening = false;
let buffered = []; // live entries that came while open_channel ran
let bufferedOutbox = []; // outbox items that came meanwhile
// Client ids seen on stored messages, so a send's late answer cannot
// bring back a row whose message already arrived.
let delivered = new Set();
let olderBlockedUntil = 0;
let lastMarked = null;

const account = () => state.account?.id;

const lastChannelKey = (acc) => `chatpi.lastChannel.${acc}`;

// The channel last open in an account: this session's, else the one
// stored by an earlier run.
export function rememberedChannel(acc = account()) {
  if (state.lastChannel[acc]) return state.lastChannel[acc];
  try {
    return localStorage.getItem(lastChannelKey(acc));
  } catch {
    return null;
  }
}

function remember(acc, channel) {
  state.lastChannel = { ...state.lastChannel, [acc]: channel };
  try {
    localStorage.setItem(lastChannelKey(acc), channel);
  } catch {
    // Storage can be unavailable; remembering is a nicety.
  }
}

function resetView() {
  ++generation;
  buffered = [];
  bufferedOutbox = [];
  delivered = new Set();
  olderBlockedUntil = 0;
  lastMarked = null;
  state.loadingOlder = false;
  set('outbox', []);
  state.loadingNewer = false;
  set('reply', null);
  set('presence', []);
  set('timeline', T.empty(), { kind: 'reset', opening: true });
}

// Nothing open (switching accounts, or an account without channels).
// Answers still on their way for the previous channel are dropped.
export function closeChannel() {
  resetView();
  opening = false;
  set('active', null);
}

export async function openChannel(channel) {
  if (!channel) return;
  resetView();
  const gen = generation;
  opening = true;
  set('active', channel);
  clearUnread(channel);
  const acc = account();
  remember(acc, channel);
  // The backend's notification policy follows what is on screen.
  api.setActive(acc, channel).catch(() => {});

  try {
    const presence = api.presence(acc, channel).catch(() => []);
    const opened = await api.openChannel(acc, channel);
    if (gen !== generation) return;
    opening = false;
    let tl = T.fromOpen(opened);
    const early = buffered;
    buffered = [];
    if (early.length) tl = T.applyIncoming(tl, early, { maxItems: MAX_ITEMS }).timeline;
    let outbox = O.applyOutbox(opened.pending ?? [], bufferedOutbox);
    bufferedOutbox = [];
    outbox = O.dropDelivered(outbox, tl.items);
    set('timeline', tl, { kind: 'reset' });
    set('outbox', outbox);
    const members = await presence;
    if (gen === generation) set('presence', members ?? []);
  } catch (error) {
    if (gen !== generation) return;
    opening = false;
    set('timeline', T.empty(), { kind: 'reset', failed: true });
    notify(`Couldn't open the channel: ${error.message}`);
  }
}

export const isOpening = () => opening;

function clearUnread(channel) {
  if (!state.channels.some((c) => c.id === channel && c.unread)) return;
  const channels = state.channels.map((c) => (c.id === channel && c.unread
    ? { ...c, unread: 0 } : c));
  setChannels(account(), channels);
}

// Scroll-back: pages from the backend's slice first, then asks the
// server for history (load_older), which shifts every index.
export async function loadOlder() {
  const tl0 = state.timeline;
  if (opening || state.loadingOlder || T.atBeginning(tl0)) return;
  if (Date.now() < olderBlockedUntil) return;
  const gen = generation;
  const acc = account();
  const channel = state.active;
  set('loadingOlder', true);
  try {
    if (state.timeline.base === 0) {
      const r = await api.loadOlder(acc, channel);
      if (gen !== generation) return;
      set('timeline', T.afterLoadOlder(state.timeline, r), { kind: 'shift' });
      if (!r.added) {
        olderBlockedUntil = Date.now() + OLDER_COOLDOWN_MS;
        return;
      }
    }
    const { base } = state.timeline;
    const start = Math.max(0, base - PAGE);
    const w = await api.fetchWindow(acc, channel, start, base - start);
    if (gen !== generation) return;
    const r = T.prependOlder(state.timeline, w.start, w.messages ?? [], MAX_ITEMS);
    if (r.resync) {
      await refreshSlice(gen);
      return;
    }
    if (!r.added) olderBlockedUntil = Date.now() + OLDER_COOLDOWN_MS;
    set('timeline', r.timeline, { kind: 'prepend', added: r.added });
  } catch (error) {
    if (gen !== generation) return;
    olderBlockedUntil = Date.now() + OLDER_COOLDOWN_MS;
    notify(`Couldn't load older messages: ${error.message}`);
  } finally {
    if (gen === generation) set('loadingOlder', false);
  }
}

// Scrolling down in a slice that stopped short of the newest message.
export async function loadNewer() {
  const tl0 = state.timeline;
  if (opening || state.loadingNewer || T.isLive(tl0)) return;
  const gen = generation;
  set('loadingNewer', true);
  try {
    const w = await api.fetchWindow(account(), state.active, T.endOf(tl0), PAGE);
    if (gen !== generation) return;
    const r = T.appendNewer(state.timeline, w.start, w.messages ?? [], w.total, MAX_ITEMS);
    set('timeline', r.timeline, { kind: 'append-page', added: r.added, dropped: r.dropped });
  } catch (error) {
    if (gen === generation) notify(`Couldn't load newer messages: ${error.message}`);
  } finally {
    if (gen === generation) set('loadingNewer', false);
  }
}

// Replaces the slice with the newest page ("New messages ↓").
export async function jumpToLatest() {
  if (T.isLive(state.timeline)) return;
  const gen = generation;
  try {
    const { total } = state.timeline;
    const start = Math.max(0, total - PAGE);
    const w = await api.fetchWindow(account(), state.active, start, total - start);
    if (gen !== generation) return;
    const messages = w.messages ?? [];
    set('timeline', {
      ...state.timeline,
      total: Math.max(w.total, w.start + messages.length),
      base: w.start,
      items: messages,
    }, { kind: 'reset' });
  } catch (error) {
    if (gen === generation) notify(`Couldn't load the latest messages: ${error.message}`);
  }
}

// Re-reads the slice's range when indices moved under us.
async function refreshSlice(gen = generation) {
  const tl = state.timeline;
  const count = Math.max(PAGE, tl.items.length + (T.isLive(tl) ? PAGE : 0));
  try {
    const w = await api.fetchWindow(account(), state.active, tl.base, count);
    if (gen !== generation) return;
    const messages = w.messages ?? [];
    set('timeline', {
      ...state.timeline,
      total: Math.max(w.total, w.start + messages.length),
      base: w.start,
      items: messages.slice(-MAX_ITEMS),
    }, { kind: 'replace' });
  } catch (error) {
    if (gen === generation) notify(`Couldn't refresh messages: ${error.message}`);
  }
}

// Items of the account and channel on screen. main.js tags each item with
// its event's account, since a batch may be flushed after a switch.
const onScreen = (it) => it.channel === state.active
  && (it.account === undefined || it.account === account());

// chat://message items, batched per frame.
export function applyMessages(items) {
  const entries = items.filter(onScreen);
  if (entries.length === 0) return;
  if (opening) {
    buffered.push(...entries);
    return;
  }
  const stored = entries.map((e) => e.message);
  for (const m of stored) if (m?.clientId) delivered.add(m.clientId);
  const outbox = O.dropDelivered(state.outbox, stored);
  if (outbox !== state.outbox) set('outbox', outbox);
  const wasLive = T.isLive(state.timeline);
  const r = T.applyIncoming(state.timeline, entries, {
    maxItems: MAX_ITEMS,
    trimTop: state.view.atBottom,
  });
  set('timeline', r.timeline, {
    kind: 'live', appended: r.appended, dropped: r.dropped, gap: r.gap,
  });
  if (r.resync) refreshSlice();
  else if (r.gap && wasLive && state.view.atBottom) loadNewer();
}

export function applyReactions(items) {
  const updates = items.filter(onScreen);
  if (updates.length === 0) return;
  const r = T.applyReactions(state.timeline, updates);
  if (r.changed) set('timeline', r.timeline, { kind: 'update' });
}

// chat://outbox items: queued messages going pending, sent, failed or
// discarded.
export function applyOutbox(items) {
  const mine = items.filter(onScreen);
  if (mine.length === 0) return;
  if (opening) {
    bufferedOutbox.push(...mine);
    return;
  }
  const outbox = O.applyOutbox(state.outbox, mine);
  if (outbox !== state.outbox) set('outbox', outbox);
}

// Queues the message: it shows at once as pending below the newest
// message, and becomes an ordinary message when the server has it.
export async function send(text) {
  const channel = state.active;
  const reply = state.reply;
  const gen = generation;
  set('reply', null);
  try {
    const pending = await api.sendMessage(account(), channel, text, reply?.id ?? null);
    if (gen !== generation || !pending) return;
    set('outbox', O.addSent(state.outbox, pending, delivered), { own: true });
    if (!T.isLive(state.timeline)) await jumpToLatest();
  } catch (error) {
    if (gen === generation && !state.reply) set('reply', reply);
    throw error;
  }
}

export async function retry(clientId) {
  try {
    await api.retryMessage(account(), clientId);
  } catch (error) {
    notify(`Couldn't send again: ${error.message}`);
  }
}

export async function discard(clientId) {
  try {
    await api.discardMessage(account(), clientId);
  } catch (error) {
    notify(`Couldn't discard: ${error.message}`);
  }
}

export async function react(messageId, classifier) {
  try {
    await api.react(account(), state.active, messageId, classifier);
  } catch (error) {
    notify(`Couldn't react: ${error.message}`);
  }
}

export function setReply(message) {
  if (!message) {
    set('reply', null);
    return;
  }
  set('reply', { id: message.id, userName: message.userName, text: message.text });
}

// Called by the message list when the newest message is on screen.
export function markRead() {
  const tl = state.timeline;
  const mark = `${state.active}:${tl.total}`;
  if (opening || lastMarked === mark || !T.isLive(tl)) return;
  lastMarked = mark;
  clearUnread(state.active);
  api.markRead(account(), state.active).catch(() => {
    lastMarked = null;
  });
}
