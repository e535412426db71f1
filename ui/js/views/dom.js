// Small DOM helpers shared by the views. Text goes in through
// textContent only; nothing here parses HTML.

import { colorFor, hueFor, initials } from '../lib/format.js';

// el('div', 'a b', 'text') -> <div class="a b">text</div>
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function button(className, text, label) {
  const b = el('button', className, text);
  b.type = 'button';
  if (label) {
    b.title = label;
    b.setAttribute('aria-label', label);
  }
  return b;
}

// A round avatar: initials on the user's colour. --hue lets the
// stylesheet derive theme-specific tints (author names in dark mode).
export function avatar(userKey, name, className = '') {
  const a = el('span', `avatar ${className}`.trim(), initials(name || userKey));
  a.dataset.user = userKey;
  a.style.backgroundColor = colorFor(userKey);
  a.style.setProperty('--hue', String(hueFor(userKey)));
  a.setAttribute('aria-hidden', 'true');
  return a;
}

// Puts `nodes` in `parent` in order, moving only what is out of place,
// so hovered or focused rows are not detached needlessly.
export function reconcile(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
    } else {
      parent.insertBefore(node, cursor);
    }
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}
