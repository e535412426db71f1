// Boot: mount the views, subscribe to backend events, then load the
// account, its channels and the channel to show. Events are folded into
// the store at most once per frame.

import { api, events } from './api.js';
import { state, set, notify } from './store.js';
import * as channel from './channel.js';
import { createBatcher } from './lib/batch.js';
import { mountChannels } from './views/channels.js';
import { mountMessages } from './views/messages.js';
import { mountComposer } from './views/composer.js';
import { mountPresence } from './views/presence.js';
import { mountStatus } from './views/status.js';
import { avatar } from './views/dom.js';

// requestAnimationFrame stops in a hidden window; a timer keeps events
// flowing into the store there.
const nextFrame = (fn) => (document.hidden ? setTimeout(fn, 250) : requestAnimationFrame(fn));

const mine = (payload) => payload && payload.account === state.account?.id;

async function subscribe() {
  const messages = createBatcher(channel.applyMessages, nextFrame);
  const reactions = createBatcher(channel.applyReactions, nextFrame);
  await Promise.all([
    events.onMessage((p) => mine(p) && messages.pushAll(p.items)),
    events.onReaction((p) => mine(p) && reactions.pushAll(p.items)),
    events.onPresence((p) => {
      if (mine(p) && p.channel === state.active) set('presence', p.members ?? []);
    }),
    events.onChannels((p) => mine(p) && set('channels', p.channels ?? [])),
    events.onStatus((p) => {
      if (!state.account || mine(p)) set('status', p);
    }),
  ]);
}

function drawMe(account) {
  const me = document.querySelector('#me');
  const slot = me.querySelector('.me-avatar');
  slot.replaceChildren(avatar(account.userKey, account.userName));
  me.querySelector('.me-name').textContent = account.userName || account.userKey;
  me.querySelector('.me-label').textContent = account.label || '';
}

async function boot() {
  const root = document.body;
  mountStatus(root);
  mountChannels(root);
  mountPresence(root);
  mountMessages(root);
  mountComposer(root);

  try {
    await subscribe();
    const app = await api.appState();
    const account = app.accounts.find((a) => a.id === app.activeAccount) ?? app.accounts[0];
    if (!account) {
      notify('No account is configured.');
      return;
    }
    set('account', account);
    drawMe(account);
    // A status emitted before we subscribed is lost; take it from the
    // account when the backend provides it there.
    if (account.status && state.status.state === 'unknown') {
      const { status } = account;
      set('status', typeof status === 'string' ? { state: status } : status);
    }
    const channels = await api.listChannels(account.id);
    set('channels', channels);
    const remembered = channel.rememberedChannel();
    const first = channels.find((c) => c.id === remembered) ?? channels[0];
    if (first) await channel.openChannel(first.id);
  } catch (error) {
    notify(`Couldn't start: ${error.message ?? error}`);
  }
}

boot();
