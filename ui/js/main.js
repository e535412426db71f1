// Boot: mount the views, subscribe to backend events, then load the
// accounts, their channels and the channel to show. Message and reaction
// events are folded into the store at most once per frame; events of
// accounts not on screen only update their unread counts and status.

import { events, startup } from './api.js';
import { state, set, notify } from './store.js';
import * as channel from './channel.js';
import * as accounts from './accounts.js';
import { createBatcher } from './lib/batch.js';
import { mountRail } from './views/rail.js';
import { mountAccountHeader } from './views/account-header.js';
import { mountChannels } from './views/channels.js';
import { mountMessages } from './views/messages.js';
import { mountComposer } from './views/composer.js';
import { mountPresence } from './views/presence.js';
import { mountStatus } from './views/status.js';
import { mountSwitcher } from './views/switcher.js';
import { mountTitle } from './views/title.js';
import { openAccountDialog } from './views/account-dialog.js';

// requestAnimationFrame stops in a hidden window; a timer keeps events
// flowing into the store there.
const nextFrame = (fn) => (document.hidden ? setTimeout(fn, 250) : requestAnimationFrame(fn));

const mine = (payload) => payload && payload.account === state.account?.id;

// Items keep their account: a batch may be flushed after a switch.
const tagged = (p) => (p.items ?? []).map((it) => ({ ...it, account: p.account }));

async function subscribe() {
  const messages = createBatcher(channel.applyMessages, nextFrame);
  const reactions = createBatcher(channel.applyReactions, nextFrame);
  const outbox = createBatcher(channel.applyOutbox, nextFrame);
  await Promise.all([
    events.onMessage((p) => mine(p) && messages.pushAll(tagged(p))),
    events.onReaction((p) => mine(p) && reactions.pushAll(tagged(p))),
    events.onOutbox((p) => mine(p) && outbox.pushAll(tagged(p))),
    events.onPresence((p) => {
      if (mine(p) && p.channel === state.active) set('presence', p.members ?? []);
    }),
    events.onChannels(accounts.onChannels),
    events.onStatus(accounts.onStatus),
    events.onAccounts(accounts.onAccounts),
    events.onNavigate(accounts.onNavigate),
  ]);
}

startup.modules = Math.round(performance.now());
document.addEventListener('DOMContentLoaded', () => {
  startup.domContentLoaded = Math.round(performance.now());
});

async function boot() {
  const root = document.body;
  mountStatus(root);
  mountRail(root);
  mountAccountHeader(root);
  mountChannels(root);
  mountPresence(root);
  mountMessages(root);
  mountComposer(root);
  mountSwitcher(root);
  mountTitle();

  try {
    await subscribe();
    startup.subscribed = Math.round(performance.now());
    const any = await accounts.boot();
    startup.accountsLoaded = Math.round(performance.now());
    if (!any) openAccountDialog();
  } catch (error) {
    notify(`Couldn't start: ${error.message ?? error}`);
  }
}

boot();
