// The window title: "(N) #channel · Account · Chatpi", N the unread
// total over every account. The native title does not follow
// document.title, so the backend is told too (set_title), once per change.

import { state, on, activeChannel } from '../store.js';
import { api } from '../api.js';
import { totalUnread, windowTitle } from '../lib/accounts.js';

export function mountTitle() {
  let last = null;

  function draw() {
    const unread = totalUnread(state.accounts, state.channelsByAccount, {
      account: state.account?.id, channel: state.active,
    });
    const title = windowTitle({
      unread,
      channelName: activeChannel()?.name ?? '',
      accountLabel: state.account?.label ?? '',
    });
    if (title === last) return;
    last = title;
    document.title = title;
    api.setTitle(title).catch(() => {});
  }

  for (const topic of ['accounts', 'account', 'channels', 'accountChannels', 'active']) {
    on(topic, draw);
  }
  draw();
}
