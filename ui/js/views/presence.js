// The presence bar in the channel header (round avatars, online ones in
// full colour with a dot, typing ones pulsing) and the "X is typing…"
// line above the composer.

import { state, on } from '../store.js';
import { typingNames, typingText } from '../lib/typing.js';
import { el, avatar } from './dom.js';

const MAX_AVATARS = 8;

function order(members) {
  // Typing, then online, then by name; stable for equal ones.
  const rank = (m) => (m.typing ? 0 : m.online ? 1 : 2);
  return [...members].sort((a, b) => rank(a) - rank(b)
    || String(a.name).localeCompare(String(b.name)));
}

export function mountPresence(root) {
  const bar = root.querySelector('#presence');
  const typing = root.querySelector('#typing');

  function draw(members) {
    const list = order(members ?? []);
    const online = list.filter((m) => m.online).length;
    const nodes = list.slice(0, MAX_AVATARS).map((m) => {
      const a = avatar(m.userKey, m.name, m.online ? 'online' : 'offline');
      a.removeAttribute('aria-hidden');
      a.setAttribute('role', 'img');
      const status = m.typing ? 'typing' : m.online ? 'online' : 'offline';
      a.title = `${m.name || m.userKey} · ${status}`;
      a.setAttribute('aria-label', a.title);
      if (m.typing) {
        a.classList.add('typing');
        a.append(el('span', 'typing-dots', '…'));
      }
      a.append(el('span', 'presence-dot'));
      return a;
    });
    if (list.length > MAX_AVATARS) {
      nodes.push(el('span', 'avatar more', `+${list.length - MAX_AVATARS}`));
    }
    bar.replaceChildren(...nodes);
    if (list.length) {
      bar.append(el('span', 'presence-count', `${online} online`));
    }
    bar.title = `${online} of ${list.length} members online`;

    const text = typingText(typingNames(members, state.account?.userKey));
    typing.textContent = text;
    typing.classList.toggle('active', text !== '');
  }

  on('presence', draw);
  on('account', () => draw(state.presence));
  draw(state.presence);
}
