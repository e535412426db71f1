// The sidebar's channel list: "# name" entries with an unread pill, the
// open one highlighted. Clicking opens the channel; right-click, or the
// bell shown on hover, mutes or unmutes it. A muted channel shows a
// crossed bell and its unread pill in grey.

import { state, on } from '../store.js';
import * as channel from '../channel.js';
import * as accounts from '../accounts.js';
import { el, button, icon } from './dom.js';
import { openChannelMenu, menuPoint } from './menus.js';

export function mountChannels(root) {
  const list = root.querySelector('#channel-list');
  const title = root.querySelector('#channel-title');

  function draw() {
    const nodes = state.channels.map((c) => {
      const li = el('li', 'channel');
      li.dataset.channelId = c.id;
      const active = c.id === state.active;
      const muted = Boolean(c.muted);
      li.classList.toggle('active', active);
      li.classList.toggle('muted', muted);
      li.classList.toggle('has-unread', c.unread > 0 && !active && !muted);
      const link = el('button', 'channel-link');
      link.type = 'button';
      if (active) link.setAttribute('aria-current', 'page');
      link.append(el('span', 'hash', '#'), el('span', 'channel-name', c.name));
      if (muted) {
        const mark = icon('bell-off', 'muted-icon');
        mark.setAttribute('aria-label', 'muted');
        mark.removeAttribute('aria-hidden');
        mark.setAttribute('role', 'img');
        link.append(mark);
      }
      if (c.unread > 0 && !active) {
        const count = c.unread > 999 ? '999+' : c.unread;
        const badge = el('span', `unread${muted ? ' muted' : ''}`, count);
        badge.setAttribute('aria-label', `${c.unread} unread`);
        link.append(badge);
      }
      const bell = button('channel-bell', undefined,
        muted ? `Unmute #${c.name}` : `Mute #${c.name}`);
      bell.append(icon(muted ? 'bell' : 'bell-off'));
      li.append(link, bell);
      return li;
    });
    list.replaceChildren(...nodes);

    const current = state.channels.find((c) => c.id === state.active);
    title.textContent = current ? current.name : '';
    title.parentElement.classList.toggle('empty', !current);
  }

  list.addEventListener('click', (e) => {
    const li = e.target.closest('li[data-channel-id]');
    if (!li || !state.account) return;
    const id = li.dataset.channelId;
    if (e.target.closest('.channel-bell')) {
      const c = state.channels.find((x) => x.id === id);
      if (c) accounts.muteChannel(state.account.id, id, !c.muted);
      return;
    }
    if (id !== state.active) channel.openChannel(id);
  });
  list.addEventListener('contextmenu', (e) => {
    const li = e.target.closest('li[data-channel-id]');
    if (!li || !state.account) return;
    e.preventDefault();
    openChannelMenu(state.account.id, li.dataset.channelId, menuPoint(e, li));
  });

  on('channels', draw);
  on('active', draw);
  draw();
}
