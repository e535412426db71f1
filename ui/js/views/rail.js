// The account rail at the far left: one rounded-square avatar per account
// (the one on screen marked), an unread badge (a dot when the account is
// muted), a status dot when it is not connected, a tooltip; "+" adds an
// account. Click switches, right-click opens the account menu, and
// Ctrl+1…9 switch to the Nth account.

import { state, on } from '../store.js';
import * as accounts from '../accounts.js';
import {
  accountUnread, badgeFor, needsStatusDot, accountTooltip, accountAt, statusLabel,
} from '../lib/accounts.js';
import { colorFor, initials } from '../lib/format.js';
import { el, icon, reconcile } from './dom.js';
import { openAccountMenu, menuPoint } from './menus.js';
import { openAccountDialog } from './account-dialog.js';
import { isTakingKeys } from './modal.js';

// Ctrl+digit by the key's position, so layouts where the digit row needs
// Shift (AZERTY) work too.
function digitOf(e) {
  const m = /^(?:Digit|Numpad)([1-9])$/u.exec(e.code ?? '');
  if (m) return Number(m[1]);
  return /^[1-9]$/u.test(e.key) ? Number(e.key) : null;
}

export function mountRail(root) {
  const rail = root.querySelector('#account-rail');
  const list = rail.querySelector('.account-list');
  const add = rail.querySelector('#add-account');
  add.replaceChildren(icon('plus'));

  const tip = el('div', 'rail-tooltip');
  tip.id = 'rail-tooltip';
  tip.setAttribute('role', 'tooltip');
  tip.hidden = true;
  document.body.append(tip);
  let tipFor = null; // the element the tooltip describes

  function unreadOf(a) {
    const open = a.id === state.account?.id ? state.active : null;
    return accountUnread(a, state.channelsByAccount[a.id], open);
  }

  // Items are kept per account and updated in place: the rail redraws on
  // every unread change, and a click must not land on a replaced node.
  const items = new Map(); // account id -> { li, b }

  function item(a, index) {
    let node = items.get(a.id);
    if (!node) {
      const li = el('li', 'account-item');
      const b = el('button', 'account');
      b.type = 'button';
      b.dataset.accountId = a.id;
      li.append(b);
      node = { li, b };
      items.set(a.id, node);
    }
    const { li, b } = node;
    const active = a.id === state.account?.id;
    li.classList.toggle('active', active);
    b.classList.toggle('active', active);
    b.classList.toggle('muted', Boolean(a.muted));
    if (active) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');

    const face = el('span', 'account-face', initials(a.label || a.id));
    face.style.backgroundColor = colorFor(a.id);
    face.setAttribute('aria-hidden', 'true');
    const parts = [face];

    const unread = unreadOf(a);
    const badge = badgeFor(unread, a.muted);
    if (badge.show) {
      const s = el('span', `badge${badge.dot ? ' dot' : ''}`, badge.text);
      s.setAttribute('aria-hidden', 'true');
      parts.push(s);
    }
    if (needsStatusDot(a.status)) {
      const dot = el('span', 'account-status');
      dot.dataset.state = a.status.state;
      dot.setAttribute('aria-hidden', 'true');
      parts.push(dot);
    }
    b.replaceChildren(...parts);

    const lines = accountTooltip(a);
    const spoken = [...lines];
    if (unread) spoken.push(`${unread} unread`);
    b.setAttribute('aria-label', spoken.join(', '));
    b.dataset.tip = JSON.stringify({
      lines, shortcut: index < 9 ? `Ctrl+${index + 1}` : '', state: a.status.state,
    });
    return li;
  }

  function draw() {
    const nodes = state.accounts.map(item);
    for (const id of items.keys()) {
      if (!state.accounts.some((a) => a.id === id)) items.delete(id);
    }
    reconcile(list, nodes);
    rail.classList.toggle('empty', state.accounts.length === 0);
    if (tipFor) {
      const still = tipFor.matches(':hover') || tipFor === document.activeElement;
      if (tipFor.isConnected && still) showTip(tipFor);
      else hideTip();
    }
  }

  function showTip(b) {
    const data = JSON.parse(b.dataset.tip ?? '{}');
    const [label, ...rest] = data.lines ?? [];
    tip.replaceChildren();
    const head = el('div', 'tip-head');
    head.append(el('strong', 'tip-label', label ?? ''));
    if (data.shortcut) head.append(el('kbd', 'tip-key', data.shortcut));
    tip.append(head);
    for (const line of rest) {
      const row = el('div', 'tip-line', line);
      if (line === statusLabel(data.state)) row.dataset.state = data.state;
      tip.append(row);
    }
    tip.hidden = false;
    const r = b.getBoundingClientRect();
    const y = r.top + r.height / 2 - tip.offsetHeight / 2;
    tip.style.left = `${r.right + 12}px`;
    tip.style.top = `${Math.max(6, Math.min(y, window.innerHeight - tip.offsetHeight - 6))}px`;
    tipFor = b;
  }

  function hideTip() {
    tip.hidden = true;
    tipFor = null;
  }

  list.addEventListener('click', (e) => {
    const b = e.target.closest('.account[data-account-id]');
    if (!b) return;
    hideTip();
    accounts.switchTo(b.dataset.accountId);
  });
  list.addEventListener('contextmenu', (e) => {
    const b = e.target.closest('.account[data-account-id]');
    if (!b) return;
    e.preventDefault();
    hideTip();
    openAccountMenu(b.dataset.accountId, menuPoint(e, b));
  });
  list.addEventListener('mouseover', (e) => {
    const b = e.target.closest('.account[data-account-id]');
    if (b && b !== tipFor) showTip(b);
  });
  list.addEventListener('mouseleave', hideTip);
  list.addEventListener('focusin', (e) => {
    const b = e.target.closest('.account[data-account-id]');
    if (b && b.matches(':focus-visible')) showTip(b);
  });
  list.addEventListener('focusout', hideTip);
  list.addEventListener('scroll', hideTip, { passive: true });
  add.addEventListener('click', () => openAccountDialog());

  document.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || isTakingKeys()) return;
    const n = digitOf(e);
    if (n === null) return;
    const acc = accountAt(state.accounts, n);
    if (!acc) return;
    e.preventDefault();
    accounts.switchTo(acc.id);
  });

  on('accounts', draw);
  on('account', draw);
  on('accountChannels', draw);
  on('active', draw);
  draw();
}
