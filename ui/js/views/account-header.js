// The sidebar's header (the account on screen, its server, a menu) and
// its footer (who I am there, and the connection dot).

import { state, on } from '../store.js';
import { avatar, icon } from './dom.js';
import { openAccountMenu } from './menus.js';

function hostOf(account) {
  if (account.kind === 'local') return 'Local server';
  try {
    return new URL(account.url).host;
  } catch {
    return account.url ?? '';
  }
}

export function mountAccountHeader(root) {
  const header = root.querySelector('#account-button');
  const name = header.querySelector('.workspace-name');
  const host = header.querySelector('.workspace-host');
  header.querySelector('.workspace-chevron')?.replaceChildren(icon('chevron'));
  const me = root.querySelector('#me');

  function draw() {
    const account = state.account;
    header.disabled = !account;
    name.textContent = account ? account.label || account.id : 'Chatpi';
    host.textContent = account ? hostOf(account) : 'No account';
    header.title = account ? `${account.label} settings` : '';
    me.hidden = !account;
    if (!account) return;
    me.querySelector('.me-avatar').replaceChildren(avatar(account.userKey, account.userName));
    me.querySelector('.me-name').textContent = account.userName || account.userKey;
    me.querySelector('.me-label').textContent = account.userKey ? `@${account.userKey}` : '';
  }

  header.addEventListener('click', () => {
    if (!state.account) return;
    openAccountMenu(state.account.id, { element: header, placement: 'below' });
  });

  on('account', draw);
  draw();
}
