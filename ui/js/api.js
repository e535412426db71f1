// The only module that talks to Tauri. Commands return promises that
// reject with { kind, message }; events call back with their payload.
// window.__TAURI__ is read on each call so a preview shim can install
// itself at any point before the first call.

function tauri() {
  const t = window.__TAURI__;
  if (!t?.core?.invoke || !t?.event?.listen) {
    throw Object.assign(new Error('Tauri API unavailable'), { kind: 'unavailable' });
  }
  return t;
}

// Every rejection becomes { kind, message }, whatever the backend threw
// (plus `field` when an `invalid` error names one).
function asError(raw) {
  if (raw && typeof raw === 'object' && 'kind' in raw) {
    const error = { kind: String(raw.kind), message: String(raw.message ?? raw.kind) };
    if (raw.field != null) error.field = String(raw.field);
    return error;
  }
  if (raw instanceof Error) {
    return { kind: raw.kind ?? 'internal', message: raw.message };
  }
  return { kind: 'internal', message: String(raw) };
}

async function invoke(cmd, args) {
  try {
    return await tauri().core.invoke(cmd, args);
  } catch (raw) {
    throw asError(raw);
  }
}

// Resolves to an unlisten function.
function listen(name, handler) {
  return tauri().event.listen(name, (event) => handler(event.payload));
}

// Account = { id, label, userKey, userName, kind: "local" | "remote", url,
//   status: { state, retryInMs?, message? }, unread, muted }
// AccountSpec = { label, url, apiKey, authorizationToken?, userToken?,
//   tokenCommand? }; when editing, a null secret keeps the stored one.
// Start-up phases, in ms since the page's navigation began, filled in by
// the modules that reach them; the backend logs them with the first paint.
export const startup = {};

export const api = {
  appState: () => invoke('app_state'),
  addAccount: (spec) => invoke('add_account', { spec }),
  editAccount: (account, spec) => invoke('edit_account', { account, spec }),
  removeAccount: (account) => invoke('remove_account', { account }),
  reorderAccounts: (order) => invoke('reorder_accounts', { order }),
  setToken: (account, authorizationToken) => invoke('set_token', { account, authorizationToken }),
  reconnect: (account) => invoke('reconnect', { account }),
  // channel null mutes or unmutes the whole account.
  setMuted: (account, channel, muted) => invoke('set_muted', { account, channel, muted }),
  setActive: (account, channel) => invoke('set_active', { account, channel }),
  setTitle: (title) => invoke('set_title', { title }),
  // Start-up timing for the logs; nothing depends on its answer.
  firstPaint: () => invoke('first_paint', { phases: startup }).catch(() => {}),
  listChannels: (account) => invoke('list_channels', { account }),
  openChannel: (account, channel) => invoke('open_channel', { account, channel }),
  fetchWindow: (account, channel, start, count) =>
    invoke('fetch_window', { account, channel, start, count }),
  loadOlder: (account, channel) => invoke('load_older', { account, channel }),
  // Resolves to the queued message (PendingView, see lib/outbox.js) as
  // soon as it is on disk; its progress arrives as chat://outbox items.
  sendMessage: (account, channel, text, replyTo) =>
    invoke('send_message', { account, channel, text, replyTo: replyTo ?? null }),
  retryMessage: (account, clientId) => invoke('retry_message', { account, clientId }),
  discardMessage: (account, clientId) => invoke('discard_message', { account, clientId }),
  react: (account, channel, messageId, classifier) =>
    invoke('react', { account, channel, messageId, classifier }),
  setTyping: (account, channel, typing) => invoke('set_typing', { account, channel, typing }),
  markRead: (account, channel) => invoke('mark_read', { account, channel }),
  presence: (account, channel) => invoke('presence', { account, channel }),
};

export const events = {
  onMessage: (fn) => listen('chat://message', fn),
  onReaction: (fn) => listen('chat://reaction', fn),
  onOutbox: (fn) => listen('chat://outbox', fn),
  onPresence: (fn) => listen('chat://presence', fn),
  onStatus: (fn) => listen('chat://status', fn),
  onChannels: (fn) => listen('chat://channels', fn),
  onAccounts: (fn) => listen('chat://accounts', fn),
  onNavigate: (fn) => listen('chat://navigate', fn),
};
