// Application state and a tiny pub/sub. Views read `state` and subscribe
// to the topics they draw; controllers change state through `set` so
// every change is announced. Topics: accounts, account, channels,
// accountChannels, active, timeline, outbox, presence, status, reply,
// notice, modal.

import { empty } from './lib/timeline.js';

export const state = {
  accounts: [], // [Account] in rail order, see api.js
  account: null, // the account on screen: { id, label, userKey, userName, ... }
  channels: [], // the account on screen's: [{ id, name, unread, muted }]
  channelsByAccount: {}, // accountId -> [{ id, name, unread, muted }], when known
  lastChannel: {}, // accountId -> channel id last open there
  active: null, // channel id on screen
  timeline: empty(), // see lib/timeline.js, plus loading flags below
  outbox: [], // the channel on screen's unsent messages, see lib/outbox.js
  loadingOlder: false,
  loadingNewer: false,
  presence: [], // [{ userKey, name, online, typing }]
  status: { state: 'unknown' }, // chat://status payload
  reply: null, // { id, userName, text } being replied to
  notice: null, // { text, kind } shown briefly
  modal: null, // name of the open dialog or menu, which takes the keyboard
  // Written by the message list, read by the controller.
  view: { atBottom: true },
};

const listeners = new Map();

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic)?.delete(fn);
}

export function emit(topic, detail) {
  for (const fn of [...(listeners.get(topic) ?? [])]) {
    try {
      fn(state[topic], detail);
    } catch (error) {
      console.error(`listener for ${topic} failed`, error);
    }
  }
}

// `detail` tells subscribers what kind of change it was.
export function set(topic, value, detail) {
  state[topic] = value;
  emit(topic, detail);
}

// A channel list for any account; the one on screen also becomes
// `channels`. Subscribers of accountChannels get the account id.
export function setChannels(accountId, channels) {
  state.channelsByAccount = { ...state.channelsByAccount, [accountId]: channels };
  if (accountId === state.account?.id) set('channels', channels);
  emit('accountChannels', accountId);
}

export function accountById(id) {
  return state.accounts.find((a) => a.id === id) ?? null;
}

export function activeChannel() {
  return state.channels.find((c) => c.id === state.active) ?? null;
}

export function notify(text, kind = 'error') {
  set('notice', { text, kind, at: Date.now() });
}
