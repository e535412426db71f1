// The sidebar's channel list: "# name" entries with an unread pill, the
// open one highlighted. Clicking opens the channel.

import { state, on } from '../store.js';
import * as channel from '../channel.js';
import { el } from './dom.js';

export function mountChannels(root) {
  const list = root.querySelector('#channel-list');
  const title = root.querySelector('#channel-title');

  function draw() {
    const nodes = state.channels.map((c) => {
      const li = el('li', 'channel');
      li.dataset.channelId = c.id;
      const active = c.id === state.active;
      li.classList.toggle('active', active);
      li.classList.toggle('has-unread', c.unread > 0 && !active);
      const link = el('button', 'channel-link');
      link.type = 'button';
      if (active) link.setAttribute('aria-current', 'page');
      link.append(el('span', 'hash', '#'), el('span', 'channel-name', c.name));
      if (c.unread > 0 && !active) {
        const badge = el('span', 'unread', c.unread > 999 ? '999+' : c.unread);
        badge.setAttribute('aria-label', `${c.unread} unread`);
        link.append(badge);
      }
      li.append(link);
      return li;
    });
    list.replaceChildren(...nodes);

    const current = state.channels.find((c) => c.id === state.active);
    title.textContent = current ? current.name : '';
    const unread = state.channels
      .filter((c) => c.id !== state.active)
      .reduce((n, c) => n + (c.unread || 0), 0);
    const name = current ? `#${current.name} · Chatpi` : 'Chatpi';
    document.title = unread ? `(${unread}) ${name}` : name;
  }

  list.addEventListener('click', (e) => {
    const li = e.target.closest('li[data-channel-id]');
    if (!li || li.dataset.channelId === state.active) return;
    channel.openChannel(li.dataset.channelId);
  });

  on('channels', draw);
  on('active', draw);
  draw();
}
