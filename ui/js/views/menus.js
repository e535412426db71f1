// The account menu (#account-menu: from the rail's right-click or the
// sidebar header) and the channel menu (#channel-menu: right-click on a
// channel in the list).

import { state, accountById, notify } from '../store.js';
import * as accounts from '../accounts.js';
import { needsStatusDot, statusLabel } from '../lib/accounts.js';
import { openMenu, confirmDialog } from './modal.js';
import { openAccountDialog } from './account-dialog.js';

export function openAccountMenu(accountId, at) {
  const acc = accountById(accountId);
  if (!acc) return;
  const i = state.accounts.findIndex((a) => a.id === accountId);
  const items = [
    { id: 'edit', label: 'Edit…', action: () => openAccountDialog(accountById(accountId)) },
    {
      id: 'mute',
      label: acc.muted ? 'Unmute notifications' : 'Mute notifications',
      action: () => accounts.muteAccount(accountId, !acc.muted),
    },
  ];
  if (needsStatusDot(acc.status) && acc.status.state !== 'connecting') {
    items.push({
      id: 'reconnect', label: 'Reconnect now', action: () => accounts.reconnect(accountId),
    });
  }
  items.push(
    'separator',
    {
      id: 'up', label: 'Move up', disabled: i <= 0, action: () => accounts.moveAccount(accountId, -1),
    },
    {
      id: 'down',
      label: 'Move down',
      disabled: i < 0 || i >= state.accounts.length - 1,
      action: () => accounts.moveAccount(accountId, 1),
    },
    'separator',
    { id: 'remove', label: 'Remove…', danger: true, action: () => removeWithConfirm(accountId) },
  );
  openMenu({
    id: 'account-menu',
    label: `${acc.label} settings`,
    heading: {
      title: acc.label,
      detail: [acc.userName || acc.userKey, statusLabel(acc.status)].filter(Boolean).join(' · '),
    },
    items,
    at,
  });
}

async function removeWithConfirm(accountId) {
  const acc = accountById(accountId);
  if (!acc) return;
  const ok = await confirmDialog({
    id: 'confirm-remove',
    title: `Remove ${acc.label}?`,
    text: 'Its channels leave this window and its saved token is deleted. '
      + 'Messages stay on the server; you can add the account again later.',
    confirmLabel: 'Remove',
    danger: true,
  });
  if (!ok) return;
  try {
    await accounts.removeAccount(accountId);
  } catch (error) {
    notify(`Couldn't remove ${acc.label}: ${error.message}`);
  }
}

export function openChannelMenu(accountId, channelId, at) {
  const ch = (state.channelsByAccount[accountId] ?? []).find((c) => c.id === channelId);
  if (!ch) return;
  const items = [{
    id: 'mute',
    label: ch.muted ? `Unmute #${ch.name}` : `Mute #${ch.name}`,
    action: () => accounts.muteChannel(accountId, channelId, !ch.muted),
  }];
  if (ch.unread > 0) {
    items.push({
      id: 'read', label: 'Mark as read', action: () => accounts.markChannelRead(accountId, channelId),
    });
  }
  openMenu({
    id: 'channel-menu', label: `#${ch.name}`, at, items,
  });
}

// Where a context menu opens: at the pointer, or beside the element when
// the keyboard (Shift+F10, the menu key) asked.
export function menuPoint(event, element) {
  if (event && (event.clientX || event.clientY)) return { x: event.clientX, y: event.clientY };
  return { element, placement: 'right' };
}
