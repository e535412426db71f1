// Accounts: unread totals, badges, the window title, the channel to open
// on a switch, rail order. Pure: no DOM, no store.

// app_state and chat://status give a status either as an object
// ({ state, retryInMs?, message? }) or, from older backends, a bare string.
export function normalizeStatus(status) {
  if (!status) return { state: 'unknown' };
  if (typeof status === 'string') return { state: status };
  return { ...status, state: String(status.state ?? 'unknown') };
}

// States that get a dot on the rail (anything but "fine" or "not known").
export function needsStatusDot(status) {
  const { state } = normalizeStatus(status);
  return state !== 'connected' && state !== 'unknown';
}

const STATE_LABELS = {
  connecting: 'Connecting',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
  expired: 'Session expired',
  keychain: 'Keychain unavailable',
  token_command: 'Token command failed',
};

export function statusLabel(status) {
  const { state } = normalizeStatus(status);
  return STATE_LABELS[state] ?? '';
}

// Unread messages of one account. With its channel list known, the sum of
// its channels that are not muted (the open channel counts as read);
// otherwise the backend's total.
export function accountUnread(account, channels, openChannel = null) {
  if (!Array.isArray(channels)) return Math.max(0, Number(account?.unread) || 0);
  let n = 0;
  for (const c of channels) {
    if (c.muted || c.id === openChannel) continue;
    n += Math.max(0, Number(c.unread) || 0);
  }
  return n;
}

// The total for the window title: every account that is not muted.
// `active` is { account, channel } on screen.
export function totalUnread(accounts, channelsByAccount, active = {}) {
  let n = 0;
  for (const a of accounts ?? []) {
    if (a.muted) continue;
    const open = a.id === active.account ? active.channel : null;
    n += accountUnread(a, channelsByAccount?.[a.id], open);
  }
  return n;
}

// The rail badge: hidden at 0, a dot for a muted account, else the count.
export function badgeFor(unread, muted = false) {
  const n = Math.max(0, Number(unread) || 0);
  if (n === 0) return { show: false, dot: false, text: '' };
  if (muted) return { show: true, dot: true, text: '' };
  return { show: true, dot: false, text: n > 99 ? '99+' : String(n) };
}

// "(3) #general · Work · Chatpi"; parts that are unknown are left out.
export function windowTitle({ unread = 0, channelName = '', accountLabel = '' } = {}) {
  const parts = [];
  if (channelName) parts.push(`#${channelName}`);
  if (accountLabel) parts.push(accountLabel);
  parts.push('Chatpi');
  const title = parts.join(' · ');
  return unread > 0 ? `(${unread}) ${title}` : title;
}

const isLobby = (c) => c.id === 'lobby' || c.name === 'lobby';

// The channel to open in an account: the one asked for, else the one last
// open there, else the first that is not the lobby, else the lobby.
export function pickChannel(channels, { requested = null, remembered = null } = {}) {
  const list = channels ?? [];
  const has = (id) => id != null && list.some((c) => c.id === id);
  if (has(requested)) return requested;
  if (has(remembered)) return remembered;
  const first = list.find((c) => !isLobby(c)) ?? list[0];
  return first ? first.id : null;
}

// The rail order after moving `id` by `delta` places (clamped).
export function moveInOrder(ids, id, delta) {
  const order = [...ids];
  const from = order.indexOf(id);
  if (from < 0) return order;
  const to = Math.max(0, Math.min(order.length - 1, from + delta));
  if (to === from) return order;
  order.splice(from, 1);
  order.splice(to, 0, id);
  return order;
}

// The account for Ctrl+N (1-based), or null.
export function accountAt(accounts, n) {
  const i = Number(n) - 1;
  if (!Number.isInteger(i) || i < 0) return null;
  return accounts?.[i] ?? null;
}

// Replaces the channel list of an account after a mute change, without
// touching the others.
export function withChannelMuted(channels, channelId, muted) {
  return (channels ?? []).map((c) => (c.id === channelId ? { ...c, muted } : c));
}

// The rail tooltip: the label, then who is signed in and the status when
// it is not fine.
export function accountTooltip(account) {
  const lines = [account.label || account.id];
  const who = account.userName || account.userKey;
  if (who) lines.push(who);
  if (needsStatusDot(account.status)) lines.push(statusLabel(account.status));
  if (account.muted) lines.push('Notifications muted');
  return lines;
}
