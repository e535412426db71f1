// The accounts: loading them, switching the whole view from one to
// another, folding account-level events into the store, and the user's
// account intents (add, edit, remove, reorder, mute, token, reconnect).
// Like channel.js, only store state is written here; every await that
// could land after another switch checks a generation.

import { api } from './api.js';
import {
  state, set, notify, setChannels, accountById,
} from './store.js';
import * as channel from './channel.js';
import {
  normalizeStatus, pickChannel, moveInOrder, withChannelMuted,
} from './lib/accounts.js';

let switching = 0;

const withStatus = (a) => ({ ...a, status: normalizeStatus(a.status) });
const statusOnly = ({ account, ...status }) => normalizeStatus(status);
const sameStatus = (a, b) => a.state === b.state && (a.message ?? '') === (b.message ?? '');

// Replaces the account list (app_state, chat://accounts, or a local
// change), keeping the account on screen in step with it.
export function setAccounts(list) {
  const accounts = (list ?? []).map(withStatus);
  set('accounts', accounts);
  const id = state.account?.id;
  if (!id) return;
  const current = accounts.find((a) => a.id === id);
  if (!current) {
    // Removed elsewhere: show another one.
    const next = accounts[0];
    if (next) switchTo(next.id);
    else leaveAll();
    return;
  }
  set('account', current);
  if (!sameStatus(current.status, state.status)) set('status', current.status);
}

function updateAccount(id, patch) {
  const accounts = state.accounts.map((a) => (a.id === id ? { ...a, ...patch } : a));
  set('accounts', accounts);
  if (state.account?.id === id) set('account', accounts.find((a) => a.id === id));
}

function upsertAccount(account) {
  const a = withStatus(account);
  const exists = state.accounts.some((x) => x.id === a.id);
  setAccounts(exists
    ? state.accounts.map((x) => (x.id === a.id ? { ...x, ...a } : x))
    : [...state.accounts, a]);
  return a;
}

// Nothing to show: no account left.
function leaveAll() {
  ++switching;
  channel.closeChannel();
  set('account', null);
  set('channels', []);
  set('status', { state: 'unknown' }, { switched: true });
}

async function loadChannels(id) {
  const channels = await api.listChannels(id);
  setChannels(id, channels ?? []);
  return channels ?? [];
}

// Every account's channels, for the rail's unread counts and the quick
// switcher. An account that cannot answer keeps the backend's total.
export function loadAllChannels() {
  return Promise.all(state.accounts.map((a) => loadChannels(a.id).catch(() => null)));
}

// Shows `accountId`, opening `channelId` there, or the channel last open
// in that account, or its first channel that is not the lobby.
export async function switchTo(accountId, channelId = null) {
  const acc = accountById(accountId);
  if (!acc) return;
  if (acc.id === state.account?.id) {
    if (channelId && channelId !== state.active) await channel.openChannel(channelId);
    return;
  }
  const gen = ++switching;
  channel.closeChannel();
  set('account', acc);
  set('status', acc.status, { switched: true });
  let channels = state.channelsByAccount[acc.id];
  set('channels', channels ?? []);
  if (!channels) {
    try {
      channels = await api.listChannels(acc.id);
    } catch (error) {
      if (gen === switching) notify(`Couldn't list the channels of ${acc.label}: ${error.message}`);
      return;
    }
    if (gen !== switching) return;
    setChannels(acc.id, channels ?? []);
  }
  const target = pickChannel(channels, {
    requested: channelId,
    remembered: channel.rememberedChannel(acc.id),
  });
  if (target) await channel.openChannel(target);
  else api.setActive(acc.id, null).catch(() => {});
}

// Resolves to false when there is no account yet.
export async function boot() {
  const app = await api.appState();
  setAccounts(app?.accounts ?? []);
  const first = accountById(app?.activeAccount) ?? state.accounts[0];
  const others = state.accounts.filter((a) => a !== first);
  if (!first) return false;
  await switchTo(first.id);
  // The rest in the background: they only feed the rail and the switcher.
  await Promise.all(others.map((a) => loadChannels(a.id).catch(() => null)));
  return true;
}

// chat:// events, for any account.

export function onStatus(payload) {
  if (!payload?.account) {
    if (!state.account) set('status', normalizeStatus(payload));
    return;
  }
  const status = statusOnly(payload);
  const acc = accountById(payload.account);
  if (acc) updateAccount(acc.id, { status });
  if (payload.account === state.account?.id) set('status', payload);
}

export function onChannels(payload) {
  if (!payload?.account || !accountById(payload.account)) return;
  setChannels(payload.account, payload.channels ?? []);
}

export function onAccounts(payload) {
  setAccounts(payload?.accounts ?? []);
  // A new account (added elsewhere) needs its channels.
  for (const a of state.accounts) {
    if (!state.channelsByAccount[a.id]) loadChannels(a.id).catch(() => null);
  }
}

export function onNavigate(payload) {
  if (!payload?.account) return;
  switchTo(payload.account, payload.channel ?? null);
}

// Intents. Adding and editing reject with { kind, message } for the
// dialog to show; the others report failures as notices.

// The caller switches to the new account (the dialog may have been
// cancelled while the backend was connecting).
export async function addAccount(spec) {
  const account = upsertAccount(await api.addAccount(spec));
  await loadChannels(account.id).catch(() => null);
  return account;
}

export async function editAccount(id, spec) {
  const account = upsertAccount(await api.editAccount(id, spec));
  // The server or user may have changed: the channels with them.
  await loadChannels(account.id).catch(() => null);
  if (state.account?.id === account.id && !state.active) await switchTo(account.id);
  return account;
}

export async function removeAccount(id) {
  await api.removeAccount(id);
  const rest = { ...state.channelsByAccount };
  delete rest[id];
  state.channelsByAccount = rest;
  const wasActive = state.account?.id === id;
  const remaining = state.accounts.filter((a) => a.id !== id);
  set('accounts', remaining);
  if (wasActive) {
    if (remaining[0]) await switchTo(remaining[0].id);
    else leaveAll();
  }
}

export async function moveAccount(id, delta) {
  const before = state.accounts;
  const order = moveInOrder(before.map((a) => a.id), id, delta);
  set('accounts', order.map((x) => before.find((a) => a.id === x)));
  try {
    await api.reorderAccounts(order);
  } catch (error) {
    set('accounts', before);
    notify(`Couldn't move the account: ${error.message}`);
  }
}

export async function muteAccount(id, muted) {
  updateAccount(id, { muted });
  try {
    await api.setMuted(id, null, muted);
  } catch (error) {
    updateAccount(id, { muted: !muted });
    notify(`Couldn't ${muted ? 'mute' : 'unmute'} the account: ${error.message}`);
  }
}

export async function muteChannel(accountId, channelId, muted) {
  setChannels(accountId, withChannelMuted(state.channelsByAccount[accountId], channelId, muted));
  try {
    await api.setMuted(accountId, channelId, muted);
  } catch (error) {
    setChannels(accountId, withChannelMuted(state.channelsByAccount[accountId], channelId, !muted));
    notify(`Couldn't ${muted ? 'mute' : 'unmute'} the channel: ${error.message}`);
  }
}

export async function markChannelRead(accountId, channelId) {
  const before = state.channelsByAccount[accountId] ?? [];
  setChannels(accountId, before.map((c) => (c.id === channelId ? { ...c, unread: 0 } : c)));
  try {
    await api.markRead(accountId, channelId);
  } catch (error) {
    notify(`Couldn't mark the channel read: ${error.message}`);
  }
}

// Rejects with { kind, message } for the token form to show.
export async function setToken(id, token) {
  await api.setToken(id, token);
  updateAccount(id, { status: { state: 'connecting' } });
  if (state.account?.id === id) set('status', { state: 'connecting' });
}

export async function reconnect(id) {
  try {
    await api.reconnect(id);
  } catch (error) {
    notify(`Couldn't reconnect: ${error.message}`);
  }
}
