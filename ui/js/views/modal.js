// Modal overlays (dialogs, the quick switcher) and popup menus. A modal
// makes the app behind it inert, keeps Tab inside itself, closes on
// Escape, and gives focus back to where it was. While one is open,
// state.modal names it and the global shortcuts stand back.

import { state, set } from '../store.js';
import { el, button, focusables } from './dom.js';

const stack = [];

function syncInert() {
  const app = document.querySelector('.app');
  if (app) app.inert = stack.length > 0;
  stack.forEach((m, i) => {
    m.backdrop.inert = i < stack.length - 1;
  });
  set('modal', stack.length ? stack[stack.length - 1].name : null);
}

// content: the dialog element (its id, role and label set by the caller).
// options: name, onClose(), canDismiss() (Escape / backdrop allowed),
// closeOnBackdrop, initialFocus (element).
export function openModal(content, {
  name, onClose, canDismiss = () => true, closeOnBackdrop = true, initialFocus = null,
} = {}) {
  closeMenu();
  const backdrop = el('div', 'modal-backdrop');
  content.classList.add('modal');
  content.setAttribute('aria-modal', 'true');
  if (!content.getAttribute('role')) content.setAttribute('role', 'dialog');
  backdrop.append(content);
  const restore = document.activeElement;
  const entry = { name, backdrop };
  let closed = false;

  function close() {
    if (closed) return;
    closed = true;
    const i = stack.indexOf(entry);
    if (i >= 0) stack.splice(i, 1);
    backdrop.remove();
    syncInert();
    if (restore && restore.isConnected && typeof restore.focus === 'function') {
      restore.focus({ preventScroll: true });
    }
    onClose?.();
  }

  backdrop.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      if (canDismiss()) close();
    } else if (e.key === 'Tab') {
      const items = focusables(content);
      if (items.length === 0) {
        e.preventDefault();
        return;
      }
      const first = items[0];
      const last = items[items.length - 1];
      const inside = content.contains(document.activeElement);
      if (e.shiftKey && (document.activeElement === first || !inside)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
        e.preventDefault();
        first.focus();
      }
    }
  });
  backdrop.addEventListener('mousedown', (e) => {
    if (e.target === backdrop && closeOnBackdrop && canDismiss()) close();
  });
  // Focus that escapes (a click on the backdrop) comes back.
  backdrop.addEventListener('focusout', (e) => {
    if (!closed && e.relatedTarget === null) {
      setTimeout(() => {
        if (!closed && !content.contains(document.activeElement)) {
          (focusables(content)[0] ?? content).focus({ preventScroll: true });
        }
      }, 0);
    }
  });

  document.body.append(backdrop);
  stack.push(entry);
  syncInert();
  if (!content.hasAttribute('tabindex')) content.tabIndex = -1;
  (initialFocus ?? focusables(content)[0] ?? content).focus({ preventScroll: true });
  return { close, element: content };
}

export const modalOpen = () => stack.length > 0;

// A yes/no question. Resolves to true when confirmed.
export function confirmDialog({
  title, text, confirmLabel = 'OK', danger = false, id = 'confirm-dialog',
}) {
  return new Promise((resolve) => {
    const box = el('div', 'confirm-dialog');
    box.id = id;
    box.setAttribute('role', 'alertdialog');
    const heading = el('h2', 'modal-title', title);
    heading.id = `${id}-title`;
    box.setAttribute('aria-labelledby', heading.id);
    const body = el('p', 'modal-text', text);
    body.id = `${id}-text`;
    box.setAttribute('aria-describedby', body.id);
    const actions = el('div', 'modal-actions');
    const cancel = button('btn', 'Cancel');
    const ok = button(`btn ${danger ? 'btn-danger' : 'btn-primary'} confirm-ok`, confirmLabel);
    actions.append(cancel, ok);
    box.append(heading, body, actions);
    let answer = false;
    const modal = openModal(box, {
      name: id,
      initialFocus: cancel,
      onClose: () => resolve(answer),
    });
    cancel.addEventListener('click', () => modal.close());
    ok.addEventListener('click', () => {
      answer = true;
      modal.close();
    });
  });
}

// Popup menus: one at a time, anchored at a point or beside an element.

let menu = null; // { el, restore, cleanup }

export function closeMenu({ restoreFocus = false } = {}) {
  if (!menu) return;
  const { el: node, restore, cleanup } = menu;
  menu = null;
  cleanup();
  node.remove();
  if (restoreFocus && restore?.isConnected) restore.focus({ preventScroll: true });
}

export const menuOpen = () => menu !== null;

// items: [{ label, action, danger?, disabled?, id? } | 'separator'].
// at: { x, y } or { element, placement: 'right' | 'below' }. heading:
// an optional line above the items ({ title, detail }).
export function openMenu({
  id, label, items, at, heading = null,
}) {
  closeMenu();
  const node = el('div', 'popup-menu');
  node.id = id;
  node.setAttribute('role', 'menu');
  if (label) node.setAttribute('aria-label', label);
  if (heading) {
    const head = el('div', 'menu-heading');
    head.setAttribute('aria-hidden', 'true');
    head.append(el('div', 'menu-title', heading.title));
    if (heading.detail) head.append(el('div', 'menu-detail', heading.detail));
    node.append(head);
  }
  for (const item of items) {
    if (item === 'separator') {
      const sep = el('div', 'menu-sep');
      sep.setAttribute('role', 'separator');
      node.append(sep);
      continue;
    }
    const b = button(`menu-item${item.danger ? ' danger' : ''}`, item.label);
    b.setAttribute('role', 'menuitem');
    b.tabIndex = -1;
    if (item.id) b.dataset.action = item.id;
    if (item.disabled) {
      b.disabled = true;
      b.setAttribute('aria-disabled', 'true');
    }
    b.addEventListener('click', () => {
      closeMenu({ restoreFocus: true });
      item.action?.();
    });
    node.append(b);
  }
  document.body.append(node);
  place(node, at);

  const enabled = () => [...node.querySelectorAll('.menu-item:not([disabled])')];
  function onKey(e) {
    const list = enabled();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const d = e.key === 'ArrowDown' ? 1 : -1;
      list[(i + d + list.length) % list.length]?.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      (e.key === 'Home' ? list[0] : list[list.length - 1])?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      closeMenu({ restoreFocus: true });
    } else if (e.key === 'Tab') {
      e.preventDefault();
      closeMenu({ restoreFocus: true });
    }
  }
  const onPointer = (e) => {
    if (!node.contains(e.target)) closeMenu();
  };
  const onAway = () => closeMenu();
  node.addEventListener('keydown', onKey);
  document.addEventListener('mousedown', onPointer, true);
  window.addEventListener('blur', onAway);
  window.addEventListener('resize', onAway);
  menu = {
    el: node,
    restore: document.activeElement,
    cleanup() {
      document.removeEventListener('mousedown', onPointer, true);
      window.removeEventListener('blur', onAway);
      window.removeEventListener('resize', onAway);
    },
  };
  enabled()[0]?.focus({ preventScroll: true });
  return node;
}

// Keeps the menu inside the window.
function place(node, at) {
  const pad = 8;
  const w = node.offsetWidth;
  const h = node.offsetHeight;
  let x;
  let y;
  if (at?.element) {
    const r = at.element.getBoundingClientRect();
    if (at.placement === 'below') {
      x = r.left;
      y = r.bottom + 6;
    } else {
      x = r.right + 8;
      y = r.top;
    }
  } else {
    x = at?.x ?? pad;
    y = at?.y ?? pad;
  }
  x = Math.max(pad, Math.min(x, window.innerWidth - w - pad));
  y = Math.max(pad, Math.min(y, window.innerHeight - h - pad));
  node.style.left = `${x}px`;
  node.style.top = `${y}px`;
}

// The Escape listeners of the composer and message list look at
// defaultPrevented; a menu or modal handles its own first.
export function isTakingKeys() {
  return Boolean(state.modal) || menu !== null;
}
