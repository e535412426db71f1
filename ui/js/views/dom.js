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

// Small line icons (24×24, drawn with the current colour), built as SVG
// elements: no markup is parsed.
const SVG = 'http://www.w3.org/2000/svg';
const ICONS = {
  bell: ['M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9', 'M13.73 21a2 2 0 0 1-3.46 0'],
  'bell-off': ['M13.73 21a2 2 0 0 1-3.46 0', 'M18.63 13A17.89 17.89 0 0 1 18 8',
    'M6.26 6.26A5.86 5.86 0 0 0 6 8c0 7-3 9-3 9h14', 'M18 8a6 6 0 0 0-9.33-5', 'M1 1l22 22'],
  plus: ['M12 5v14', 'M5 12h14'],
  chevron: ['M6 9l6 6 6-6'],
  search: ['M11 3a8 8 0 1 0 0 16a8 8 0 1 0 0-16', 'M21 21l-4.35-4.35'],
};

export function icon(name, className = '') {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', `icon icon-${name} ${className}`.trim());
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

// The elements Tab can reach inside `root`, in order.
export function focusables(root) {
  const sel = 'button:not([disabled]), input:not([disabled]):not([type="hidden"]), '
    + 'textarea:not([disabled]), select:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll(sel)].filter((n) => n.getClientRects().length > 0
    && !(n.type === 'radio' && !n.checked && root.querySelector(
      `input[type="radio"][name="${n.name}"]:checked`,
    )));
}
