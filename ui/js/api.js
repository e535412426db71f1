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

// Every rejection becomes { kind, message }, whatever the backend threw.
function asError(raw) {
  if (raw && typeof raw === 'object' && 'kind' in raw) {
    return { kind: String(raw.kind), message: String(raw.message ?? raw.kind) };
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

export const api = {
  appState: () => invoke('app_state'),
  listChannels: (account) => invoke('list_channels', { account }),
  openChannel: (account, channel) => invoke('open_channel', { account, channel }),
  fetchWindow: (account, channel, start, count) =>
    invoke('fetch_window', { account, channel, start, count }),
  loadOlder: (account, channel) => invoke('load_older', { account, channel }),
  sendMessage: (account, channel, text, replyTo) =>
    invoke('send_message', { account, channel, text, replyTo: replyTo ?? null }),
  react: (account, channel, messageId, classifier) =>
    invoke('react', { account, channel, messageId, classifier }),
  setTyping: (account, channel, typing) => invoke('set_typing', { account, channel, typing }),
  markRead: (account, channel) => invoke('mark_read', { account, channel }),
  presence: (account, channel) => invoke('presence', { account, channel }),
};

export const events = {
  onMessage: (fn) => listen('chat://message', fn),
  onReaction: (fn) => listen('chat://reaction', fn),
  onPresence: (fn) => listen('chat://presence', fn),
  onStatus: (fn) => listen('chat://status', fn),
  onChannels: (fn) => listen('chat://channels', fn),
};
