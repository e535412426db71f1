// The quick switcher (#quick-switcher), opened with Ctrl+K: a search box
// over "Account / #channel" for every account, ↑/↓ to pick, Enter to
// go, Escape to close. Matching and ranking live in lib/switcher.js.

import { state, on } from '../store.js';
import * as accounts from '../accounts.js';
import {
  buildEntries, rankEntries, segments, moveSelection,
} from '../lib/switcher.js';
import { colorFor, initials } from '../lib/format.js';
import { el, icon } from './dom.js';
import { openModal, isTakingKeys, closeMenu } from './modal.js';

let current = null; // { close, refresh }

function isShortcut(e) {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey
    && (e.code === 'KeyK' || e.key === 'k' || e.key === 'K');
}

function highlight(parent, text, positions, offset) {
  for (const run of segments(text, positions, offset)) {
    parent.append(run.hit ? el('mark', 'hit', run.text) : document.createTextNode(run.text));
  }
}

export function openSwitcher() {
  if (current) return current;
  closeMenu();
  const box = el('div', 'switcher');
  box.id = 'quick-switcher';
  box.setAttribute('aria-label', 'Switch to a channel');

  const row = el('div', 'switcher-search');
  const input = el('input', 'switcher-input');
  input.type = 'text';
  input.placeholder = 'Jump to a channel…';
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'true');
  input.setAttribute('aria-controls', 'switcher-list');
  input.setAttribute('aria-label', 'Channel or account');
  row.append(icon('search', 'switcher-icon'), input, el('kbd', 'switcher-esc', 'Esc'));

  const list = el('ul', 'switcher-list');
  list.id = 'switcher-list';
  list.setAttribute('role', 'listbox');
  const empty = el('div', 'switcher-empty', 'No channel matches.');
  empty.hidden = true;

  const foot = el('div', 'switcher-foot');
  for (const [k, what] of [['↑↓', 'to move'], ['↵', 'to open'], ['Esc', 'to close']]) {
    const hint = el('span', 'switcher-hint');
    hint.append(el('kbd', '', k), ` ${what}`);
    foot.append(hint);
  }
  box.append(row, list, empty, foot);

  let results = [];
  let selected = 0;
  let pointerMoved = false;

  function select(i, scroll = true) {
    selected = i;
    const items = list.children;
    for (let k = 0; k < items.length; k += 1) {
      const yes = k === i;
      items[k].classList.toggle('selected', yes);
      items[k].setAttribute('aria-selected', yes ? 'true' : 'false');
    }
    const node = items[i];
    if (node) {
      input.setAttribute('aria-activedescendant', node.id);
      if (scroll) node.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  const keyOf = (r) => (r ? `${r.accountId}\n${r.channelId}` : null);

  // keep: a live update (unread counts) leaves the selection where it was.
  function draw(keep = false) {
    const before = keep ? keyOf(results[selected]) : null;
    const entries = buildEntries(state.accounts, state.channelsByAccount);
    const here = state.account ? { accountId: state.account.id, channelId: state.active } : null;
    results = rankEntries(entries, input.value, { current: here });
    const many = state.accounts.length > 1;
    const nodes = results.map((r, i) => {
      const li = el('li', 'switcher-item');
      li.id = `switcher-option-${i}`;
      li.setAttribute('role', 'option');
      li.dataset.accountId = r.accountId;
      li.dataset.channelId = r.channelId;
      li.classList.toggle('muted', r.muted);
      const face = el('span', 'switcher-face', initials(r.accountLabel));
      face.style.backgroundColor = colorFor(r.accountId);
      face.setAttribute('aria-hidden', 'true');
      const name = el('span', 'switcher-channel');
      name.append(el('span', 'hash', '#'));
      highlight(name, r.channelName, r.positions, r.channelStart);
      const acc = el('span', 'switcher-account');
      highlight(acc, r.accountLabel, r.positions.filter((p) => p < r.channelStart), 0);
      const text = el('span', 'switcher-text');
      text.append(name, acc);
      li.append(face, text);
      if (r.muted) li.append(icon('bell-off', 'switcher-muted'));
      if (r.unread > 0) {
        const badge = el('span', `unread${r.muted || r.accountMuted ? ' quiet' : ''}`,
          r.unread > 999 ? '999+' : r.unread);
        badge.setAttribute('aria-label', `${r.unread} unread`);
        li.append(badge);
      }
      if (r.accountId === here?.accountId && r.channelId === here?.channelId) {
        li.append(el('span', 'switcher-here', 'current'));
      }
      li.title = `${r.accountLabel} / #${r.channelName}`;
      return li;
    });
    list.replaceChildren(...nodes);
    list.classList.toggle('single-account', !many);
    empty.hidden = results.length > 0;
    const again = before ? results.findIndex((r) => keyOf(r) === before) : -1;
    select(again >= 0 ? again : (results.length ? 0 : -1), !keep);
  }

  function choose(i) {
    const r = results[i];
    if (!r) return;
    modal.close();
    accounts.switchTo(r.accountId, r.channelId);
  }

  input.addEventListener('input', () => draw());
  input.addEventListener('keydown', (e) => {
    const emacs = e.ctrlKey && (e.key === 'n' || e.key === 'p');
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || emacs) {
      e.preventDefault();
      const d = e.key === 'ArrowDown' || e.key === 'n' ? 1 : -1;
      select(moveSelection(selected, d, results.length));
    } else if (e.key === 'PageDown' || e.key === 'PageUp') {
      e.preventDefault();
      const d = e.key === 'PageDown' ? 8 : -8;
      select(Math.max(0, Math.min(results.length - 1, selected + d)));
    } else if (e.key === 'Enter' && !e.isComposing) {
      e.preventDefault();
      choose(selected);
    }
  });
  list.addEventListener('mousemove', (e) => {
    // A list drawn under a resting pointer must not steal the selection.
    if (!pointerMoved) {
      pointerMoved = true;
      return;
    }
    const li = e.target.closest('.switcher-item');
    if (li) {
      const i = [...list.children].indexOf(li);
      if (i !== selected) select(i, false);
    }
  });
  list.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the input
  list.addEventListener('click', (e) => {
    const li = e.target.closest('.switcher-item');
    if (li) choose([...list.children].indexOf(li));
  });

  const offAccounts = on('accounts', () => draw(true));
  const offChannels = on('accountChannels', () => draw(true));
  const modal = openModal(box, {
    name: 'quick-switcher',
    initialFocus: input,
    onClose: () => {
      offAccounts();
      offChannels();
      current = null;
    },
  });
  draw();
  current = { close: modal.close, refresh: draw };
  return current;
}

export function mountSwitcher() {
  // Capture: the shortcut works from any field, before its own handling.
  document.addEventListener('keydown', (e) => {
    if (!isShortcut(e)) return;
    if (current) {
      e.preventDefault();
      current.close();
      return;
    }
    if (isTakingKeys() && !state.modal) closeMenu();
    else if (isTakingKeys()) return;
    e.preventDefault();
    openSwitcher();
  }, true);
}
