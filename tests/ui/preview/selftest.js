// Development only: drives the preview like a user and prints PASS/FAIL
// lines into <pre id="selftest"> (read it with chromium --dump-dom).
import { state } from '../../../ui/js/store.js';

const results = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const $ = (s, root = document) => root.querySelector(s);
const $$ = (s, root = document) => [...root.querySelectorAll(s)];
const check = (name, ok, info = '') => results.push(`${ok ? 'PASS' : 'FAIL'} ${name}${info !== '' ? ` (${String(info).trim()})` : ''}`);
const list = $('#messages');
const calls = [];
const realInvoke = window.__TAURI__.core.invoke;
window.__TAURI__.core.invoke = (cmd, args) => {
  calls.push(`${cmd} ${JSON.stringify(args ?? {})}`);
  return realInvoke(cmd, args);
};
const errors = [];
window.addEventListener('error', (e) => errors.push(String(e.error?.stack ?? e.message)));
window.addEventListener('unhandledrejection', (e) => errors.push(`rejection ${JSON.stringify(e.reason)}`));
const distance = () => list.scrollHeight - list.scrollTop - list.clientHeight;

async function until(cond, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return false;
}

function topRow() {
  const r = list.getBoundingClientRect();
  const el = document.elementFromPoint(r.left + r.width / 2, r.top + 30)?.closest('.message');
  return el ? { id: el.dataset.messageId, top: el.getBoundingClientRect().top } : null;
}

function press(target, key, opts = {}) {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...opts }));
}

async function run() {
  await sleep(600);
  const texts = $$('#messages .text').map((t) => t.textContent);
  check('xss shown literally', texts.some((t) => t.includes('<img src=x onerror=alert(1)>'))
    && !$('#messages img, #messages script'));
  check('rows in DOM bounded', $$('#messages .message').length < 40, $$('#messages .message').length);
  check('starts at bottom', distance() < 4, distance());
  check('missing reply placeholder', $$('.reply-quote.missing').some((q) => q.textContent === 'Original message not loaded'));
  check('reply quote author', $$('.reply-quote .reply-author').some((a) => a.textContent === 'Dmitri Volkov'));
  const laugh = $('.reaction[data-classifier="LAUGH"]');
  check('reaction chip with count', laugh && laugh.textContent.includes('2'), laugh?.textContent);
  check('my reaction highlighted', $('.reaction[data-classifier="LOVE"]')?.classList.contains('mine'));
  check('unknown classifier as text', $('.reaction[data-classifier="WOW"]')?.textContent.includes('WOW'));
  check('typing avatar', $('#presence .avatar[data-user="alice"]')?.classList.contains('typing'));
  check('typing text', $('#typing').textContent === 'Alice Moreau is typing…', $('#typing').textContent);
  check('unread badge', $('#channel-list li[data-channel-id="random"] .unread')?.textContent === '3');
  check('active channel', $('#channel-list li[data-channel-id="general"]').classList.contains('active'));
  check('no badge on active', !$('#channel-list li[data-channel-id="general"] .unread'));
  check('status connected', $('#status').dataset.state === 'connected');
  check('grouping', $$('.message.grouped').length > 0 && !$('.message.grouped .author'));

  // Live message while at the bottom: follows.
  window.__MOCK__.post('general', 'bob', 'live at bottom');
  await until(() => $$('#messages .text').some((t) => t.textContent === 'live at bottom'));
  await sleep(150);
  check('auto-scroll at bottom', distance() < 4 && $('#new-pill').hidden, distance());

  // Scroll-back keeps the top row in place.
  const baseBefore = state.timeline.base;
  list.scrollTop = 250;
  await sleep(30);
  const before = topRow();
  await until(() => state.timeline.base !== baseBefore && !state.loadingOlder);
  await sleep(200);
  const after = before && $(`.message[data-message-id="${before.id}"]`);
  check('older page prepended', state.timeline.base < baseBefore, `${baseBefore} -> ${state.timeline.base}`);
  check('scroll position stable', after && Math.abs(after.getBoundingClientRect().top - before.top) < 2,
    after ? `${before.top} -> ${after.getBoundingClientRect().top}` : 'row gone');

  // A live message while scrolled up shows the pill instead.
  window.__MOCK__.post('general', 'carol', 'live while reading');
  await sleep(300);
  check('pill when scrolled up', !$('#new-pill').hidden);
  check('no jump when scrolled up', after && Math.abs(after.getBoundingClientRect().top - before.top) < 2);

  // Scroll all the way back to the beginning.
  for (let i = 0; i < 40 && !$('.list-head.beginning'); i += 1) {
    list.scrollTop = 0;
    await sleep(250);
  }
  list.scrollTop = 0;
  await sleep(300);
  check('head visible at the top', list.scrollTop === 0 && $('.list-head').getBoundingClientRect().top >= list.getBoundingClientRect().top - 1, list.scrollTop);
  check('beginning reached', $('.list-head')?.textContent.includes('Beginning of #general'), $('.list-head')?.textContent);
  check('slice capped', state.timeline.items.length <= 300, state.timeline.items.length);
  check('slice at index 0', state.timeline.base === 0);
  check('rows bounded after paging', $$('#messages .message').length < 40, $$('#messages .message').length);
  check('day separator', $$('.day-separator').length > 0);

  // The pill brings back the newest messages.
  $('#new-pill').click();
  await until(() => distance() < 4 && $$('#messages .text').some((t) => t.textContent === 'live while reading'), 4000);
  await sleep(300);
  check('pill jumps to latest', distance() < 4 && $$('#messages .text').some((t) => t.textContent === 'live while reading'), distance());

  // Reply, then send with Enter.
  const target = $$('#messages .message').at(-2);
  target.querySelector('.reply-btn').click();
  await sleep(50);
  const banner = $('.reply-banner');
  check('reply banner', !banner.hidden && banner.textContent.trim().startsWith('Replying to'), banner.textContent);
  const ta = $('#composer textarea');
  press(ta, 'Escape');
  check('escape cancels reply', banner.hidden);
  target.querySelector('.reply-btn').click();
  ta.value = 'first line\nsecond line';
  ta.dispatchEvent(new Event('input'));
  press(ta, 'Enter');
  await until(() => $$('#messages .message.unsent .text').some((t) => t.textContent === 'first line\nsecond line'), 1000);
  check('shown as sending at once', $('#messages .message.unsent .send-status')?.textContent.includes('Sending'));
  await until(() => !$('#messages .message.unsent') && $$('#messages .text').some((t) => t.textContent === 'first line\nsecond line'));
  await sleep(300);
  const mine = $$('#messages .message').find((m) => m.querySelector('.text')?.textContent === 'first line\nsecond line');
  check('sent with reply quote', mine?.querySelector('.reply-quote:not(.missing)'));
  check('sent once (deduped)', $$('#messages .text').filter((t) => t.textContent === 'first line\nsecond line').length === 1);
  check('composer cleared', ta.value === '' && banner.hidden);
  check('at bottom after send', distance() < 4, distance());

  // Shift+Enter does not send.
  ta.value = 'draft';
  press(ta, 'Enter', { shiftKey: true });
  await sleep(200);
  check('shift+enter keeps text', ta.value === 'draft');
  ta.value = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
  ta.dispatchEvent(new Event('input'));
  check('composer grows to 8 lines', ta.clientHeight > 150 && ta.clientHeight < 200, ta.clientHeight);
  ta.value = '';
  ta.dispatchEvent(new Event('input'));

  // React through the picker.
  const last = $$('#messages .message').at(-1);
  last.querySelector('.react-btn').click();
  check('picker open', $$('.react-picker .react-choice').length === 5);
  last.querySelector('.react-choice[data-classifier="LOVE"]').click();
  await until(() => $(`.message[data-message-id="${last.dataset.messageId}"] .reaction[data-classifier="LOVE"]`));
  const chip = $(`.message[data-message-id="${last.dataset.messageId}"] .reaction[data-classifier="LOVE"]`);
  check('reaction added and mine', chip?.classList.contains('mine') && chip.textContent.includes('1'), chip?.textContent);
  check('picker closed', !$('.react-picker'));

  // Status countdown.
  window.__MOCK__.emit('chat://status', { account: 'acc-demo', state: 'reconnecting', retryInMs: 3000 });
  await sleep(50);
  check('reconnecting countdown', $('#status').dataset.state === 'reconnecting'
    && $('#status').textContent.includes('Reconnecting in 3 s…'), $('#status').textContent);
  await sleep(1100);
  check('countdown ticks', $('#status').textContent.includes('Reconnecting in 2 s…'), $('#status').textContent);
  window.__MOCK__.emit('chat://status', { account: 'acc-demo', state: 'expired' });
  await sleep(50);
  check('expired', $('#status').textContent.trim().startsWith('Session expired'), $('#status').textContent);
  window.__MOCK__.emit('chat://status', { account: 'acc-demo', state: 'connected' });

  // A 100k channel: only a window crosses, only a screenful is in the DOM.
  $('#channel-list li[data-channel-id="firehose"] button').click();
  await until(() => state.timeline.total >= 100000 && $$('#messages .message').length > 0);
  await sleep(300);
  check('firehose total', state.timeline.total === 100000, state.timeline.total);
  check('firehose window small', state.timeline.items.length <= 100, state.timeline.items.length);
  for (let i = 0; i < 8; i += 1) {
    list.scrollTop = 0;
    await sleep(250);
  }
  check('firehose slice capped', state.timeline.items.length <= 300, state.timeline.items.length);
  check('firehose DOM bounded', $$('#messages .message').length < 40, $$('#messages .message').length);
  check('firehose paged back', state.timeline.base < 99900, state.timeline.base);
  check('unread cleared on open', !$('#channel-list li[data-channel-id="firehose"] .unread'));

  await accountsTests();

  const pre = document.createElement('pre');
  pre.id = 'selftest';
  pre.textContent = [...results, ...errors.map((e) => `ERROR ${e}`),
    ...calls.map((c) => `CALL ${c}`)].join('\n');
  document.body.append(pre);
  document.title = results.some((r) => r.startsWith('FAIL')) ? 'SELFTEST FAIL' : 'SELFTEST PASS';
}

// Several accounts: the rail, switching, the quick switcher, the title,
// menus, the add dialog, the expired session's token form.
async function accountsTests() {
  const mock = window.__MOCK__;
  const rail = () => $$('#account-rail .account[data-account-id]');
  const railItem = (id) => $(`#account-rail .account[data-account-id="${id}"]`);
  const visibleUnread = (acc) => acc.channels
    .filter((c) => !c.muted && !(acc.id === state.account?.id && c.id === state.active))
    .reduce((n, c) => n + c.unread, 0);
  const demo = mock.accounts.find((a) => a.id === 'acc-demo');

  check('rail lists 3 accounts', rail().length === 3, rail().length);
  check('rail marks the active account', railItem('acc-demo').classList.contains('active')
    && $$('#account-rail .account.active').length === 1);
  check('rail badge is the unread total', railItem('acc-demo').querySelector('.badge')?.textContent
    === String(visibleUnread(demo)), railItem('acc-demo').querySelector('.badge')?.textContent);
  check('muted account shows a dot', railItem('acc-oss').querySelector('.badge.dot')
    && railItem('acc-oss').querySelector('.badge').textContent === '');
  check('expired account has a status dot',
    railItem('acc-home').querySelector('.account-status')?.dataset.state === 'expired');
  check('no status dot when connected', !railItem('acc-demo').querySelector('.account-status'));
  const total = mock.accounts.filter((a) => !a.muted).reduce((n, a) => n + visibleUnread(a), 0);
  check('window title', document.title === `(${total}) #firehose · Acme Corp · Chatpi`, document.title);
  await until(() => mock.title === document.title);
  check('set_title follows', mock.title === document.title, mock.title);

  // Ctrl+2: the second account, its first channel that is not the lobby.
  calls.length = 0;
  press(document.body, '2', { ctrlKey: true, code: 'Digit2' });
  await until(() => state.active === 'announcements' && $$('#messages .message').length > 0);
  check('ctrl+2 switches account', railItem('acc-oss').classList.contains('active')
    && state.account.id === 'acc-oss', state.account?.id);
  check('default channel skips the lobby', state.active === 'announcements', state.active);
  check('channel list replaced', $$('#channel-list li[data-channel-id]').length === 5
    && !!$('#channel-list li[data-channel-id="help"]'));
  check('header shows the account', $('.workspace-name').textContent === 'Open Source Guild');
  check('set_active told', calls.some((c) => c.startsWith('set_active') && c.includes('"acc-oss"')
    && c.includes('announcements')));
  check('muted channel marked', $('#channel-list li[data-channel-id="off-topic"]').classList.contains('muted')
    && $('#channel-list li[data-channel-id="off-topic"] .unread.muted'));
  check('status line quiet', $('#status').classList.contains('collapsed'));

  // Another account's traffic: its badge moves, the view does not.
  const before = Number(railItem('acc-demo').querySelector('.badge')?.textContent ?? 0);
  mock.post('design', 'bob', 'elsewhere in acme', 'acc-demo');
  await until(() => Number(railItem('acc-demo').querySelector('.badge')?.textContent) === before + 1);
  check('other account badge grows', Number(railItem('acc-demo').querySelector('.badge')?.textContent) === before + 1);
  check('other account not shown', !$$('#messages .text').some((t) => t.textContent === 'elsewhere in acme'));

  // Back to Acme by click: the channel last open there.
  railItem('acc-demo').click();
  await until(() => state.account?.id === 'acc-demo' && state.active === 'firehose');
  check('channel restored per account', state.active === 'firehose', state.active);

  // Quick switcher.
  press($('#composer textarea'), 'k', { ctrlKey: true, code: 'KeyK' });
  const sw = $('#quick-switcher');
  check('ctrl+k opens the switcher', !!sw && document.activeElement === $('#quick-switcher input'));
  const input = $('#quick-switcher input');
  check('switcher lists all accounts', new Set($$('#quick-switcher li[data-account-id]').map((li) => li.dataset.accountId)).size === 3);
  input.value = 'garden';
  input.dispatchEvent(new Event('input'));
  const first = $('#quick-switcher li[data-account-id][data-channel-id]');
  check('switcher matches', first?.dataset.accountId === 'acc-home' && first?.dataset.channelId === 'garden',
    first && `${first.dataset.accountId}/${first.dataset.channelId}`);
  check('switcher shows unread', first?.querySelector('.unread')?.textContent === '1');
  input.value = 'acme';
  input.dispatchEvent(new Event('input'));
  press(input, 'ArrowDown');
  check('arrow moves selection', $$('#quick-switcher li')[1]?.classList.contains('selected'));
  press(input, 'Escape');
  check('escape closes switcher', !$('#quick-switcher'));
  press(document.body, 'k', { ctrlKey: true, code: 'KeyK' });
  const input2 = $('#quick-switcher input');
  input2.value = 'home gar';
  input2.dispatchEvent(new Event('input'));
  press(input2, 'Enter');
  await until(() => state.account?.id === 'acc-home' && state.active === 'garden' && $$('#messages .message').length);
  check('enter switches account and channel', state.account?.id === 'acc-home' && state.active === 'garden'
    && !$('#quick-switcher'));

  // The expired session: status line, token form, set_token.
  await until(() => $('#status').dataset.state === 'expired');
  check('expired status text', $('#status .status-text').textContent === 'Session expired — paste a new token',
    $('#status .status-text').textContent);
  $('#status .status-action').click();
  const form = $('#token-form');
  check('token form opens', form && !form.hidden && form.querySelector('input[type="password"]'));
  form.querySelector('input').value = 'refused';
  form.querySelector('button[type="submit"]').click();
  await until(() => form.querySelector('.token-error').textContent !== '');
  check('refused token explained', form.querySelector('.token-error').textContent.includes('403'),
    form.querySelector('.token-error').textContent);
  form.querySelector('input').value = 'good-token';
  calls.length = 0;
  form.querySelector('button[type="submit"]').click();
  await until(() => railItem('acc-home') && !railItem('acc-home').querySelector('.account-status'), 4000);
  check('set_token called', calls.some((c) => c.startsWith('set_token') && c.includes('good-token')));
  check('reconnected', !railItem('acc-home').querySelector('.account-status') && form.hidden);

  // Keychain trouble: a Retry that reconnects.
  mock.setStatus('acc-home', { state: 'keychain', message: 'no secret service' });
  await until(() => $('#status').dataset.state === 'keychain');
  check('keychain message', $('#status .status-text').textContent.startsWith('The keychain is unavailable'));
  calls.length = 0;
  $('#status .status-action').click();
  await until(() => calls.some((c) => c.startsWith('reconnect')));
  check('retry reconnects', calls.some((c) => c.startsWith('reconnect') && c.includes('acc-home')));

  // A notification click.
  mock.navigate('acc-oss', 'help');
  await until(() => state.account?.id === 'acc-oss' && state.active === 'help');
  check('chat://navigate switches', state.account?.id === 'acc-oss' && state.active === 'help');

  // Channel mute by the bell, unmute from the menu.
  calls.length = 0;
  $('#channel-list li[data-channel-id="rust"] .channel-bell').click();
  await until(() => $('#channel-list li[data-channel-id="rust"]').classList.contains('muted'));
  check('bell mutes a channel', calls.some((c) => c.startsWith('set_muted') && c.includes('"channel":"rust"')
    && c.includes('"muted":true')));
  $('#channel-list li[data-channel-id="rust"]').dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: 100, clientY: 100 }));
  check('channel menu', $('#channel-menu [data-action="mute"]')?.textContent === 'Unmute #rust');
  $('#channel-menu [data-action="mute"]').click();
  await until(() => !$('#channel-list li[data-channel-id="rust"]').classList.contains('muted'));
  check('menu unmutes', !$('#channel-list li[data-channel-id="rust"]').classList.contains('muted') && !$('#channel-menu'));

  // Account menu: unmute, move down.
  const openAccountMenu = (id) => railItem(id).dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: 30, clientY: 60 }));
  openAccountMenu('acc-oss');
  check('account menu', $('#account-menu [data-action="mute"]')?.textContent === 'Unmute notifications');
  $('#account-menu [data-action="mute"]').click();
  const oss = mock.accounts.find((a) => a.id === 'acc-oss');
  await until(() => !railItem('acc-oss').classList.contains('muted') && !oss.muted);
  const ossBadge = railItem('acc-oss').querySelector('.badge');
  check('unmuted account shows its count', !oss.muted && !railItem('acc-oss').querySelector('.badge.dot')
    && (ossBadge?.textContent ?? '') === (visibleUnread(oss) ? String(visibleUnread(oss)) : ''),
  ossBadge?.textContent ?? 'no badge');
  openAccountMenu('acc-demo');
  check('move up disabled at the top', $('#account-menu [data-action="up"]').disabled);
  press($('#account-menu'), 'Escape');
  check('escape closes the menu', !$('#account-menu'));
  openAccountMenu('acc-demo');
  calls.length = 0;
  $('#account-menu [data-action="down"]').click();
  await until(() => rail()[1]?.dataset.accountId === 'acc-demo');
  check('move down', rail().map((b) => b.dataset.accountId).join() === 'acc-oss,acc-demo,acc-home',
    rail().map((b) => b.dataset.accountId).join());
  check('reorder_accounts called', calls.some((c) => c.startsWith('reorder_accounts')
    && c.includes('["acc-oss","acc-demo","acc-home"]')));

  // The add dialog: field errors, a backend error, keychain retry, success.
  $('#add-account').click();
  const dlg = $('#account-dialog');
  check('add dialog opens', !!dlg && document.activeElement === dlg.querySelector('[name="label"]'));
  check('token fields are passwords', dlg.querySelector('[name="authorizationToken"]').type === 'password'
    && dlg.querySelector('[name="userToken"]').type === 'password');
  dlg.querySelector('.submit-btn').click();
  check('field errors', dlg.querySelectorAll('.field.invalid').length === 4, dlg.querySelectorAll('.field.invalid').length);
  // Focus stays inside: Tab from the last control goes to the first.
  const submitBtn = dlg.querySelector('.submit-btn');
  submitBtn.focus();
  press(submitBtn, 'Tab');
  check('focus trapped', dlg.contains(document.activeElement) && document.activeElement !== submitBtn,
    document.activeElement?.name ?? document.activeElement?.className);
  const fillIn = (name, value) => {
    dlg.querySelector(`[name="${name}"]`).value = value;
  };
  fillIn('label', 'Nowhere');
  fillIn('url', 'wss://nowhere.example/socket');
  fillIn('apiKey', 'k');
  fillIn('authorizationToken', 'secret');
  submitBtn.click();
  check('connecting spinner', !dlg.querySelector('.busy').hidden
    && dlg.querySelector('.busy').textContent.includes('Connecting'));
  await until(() => !dlg.querySelector('.error').hidden, 4000);
  check('unreachable error', dlg.querySelector('.error').textContent.startsWith('Host unreachable: '),
    dlg.querySelector('.error').textContent);
  dlg.querySelector('input[value="command"]').click();
  fillIn('url', 'wss://chat.side.example/socket');
  fillIn('tokenCommand', 'pass show chatpi/fail');
  calls.length = 0;
  submitBtn.click();
  await until(() => !dlg.querySelector('.error').hidden, 4000);
  check('token command error', dlg.querySelector('.error .error-text').textContent.startsWith('The token command failed: '));
  check('command spec has no token', calls.some((c) => c.startsWith('add_account')
    && c.includes('"tokenCommand":"pass show chatpi/fail"') && !c.includes('authorizationToken')));
  fillIn('tokenCommand', 'pass show chatpi/side');
  fillIn('label', 'Keychain Side');
  submitBtn.click();
  await until(() => !dlg.querySelector('.error').hidden, 4000);
  const retry = dlg.querySelector('.retry-btn');
  check('keychain error with retry', dlg.querySelector('.error-text').textContent.startsWith('The keychain is unavailable: ')
    && !retry.hidden);
  retry.click();
  await until(() => !$('#account-dialog'), 4000);
  await until(() => state.account?.label === 'Keychain Side' && state.active === 'general', 3000);
  check('added account shown', rail().length === 4 && state.account?.label === 'Keychain Side'
    && rail().at(-1).classList.contains('active'), state.account?.label);

  // Edit: secrets never come back.
  openAccountMenu(state.account.id);
  $('#account-menu [data-action="edit"]').click();
  const edit = $('#account-dialog');
  check('edit keeps tokens empty', edit.querySelector('[name="label"]').value === 'Keychain Side'
    && edit.querySelector('[name="authorizationToken"]').value === ''
    && edit.querySelector('[name="userToken"]').value === '');
  press(edit.querySelector('[name="label"]'), 'Escape');
  check('escape closes the dialog', !$('#account-dialog'));

  // Remove, with a confirmation.
  const removed = state.account.id;
  openAccountMenu(removed);
  $('#account-menu [data-action="remove"]').click();
  check('remove asks first', !!$('#confirm-remove') && rail().length === 4);
  $('#confirm-remove .confirm-ok').click();
  await until(() => rail().length === 3 && state.account && state.account.id !== removed);
  check('account removed', rail().length === 3 && !railItem(removed) && !!state.active, state.account?.id);
}

run().catch((error) => {
  const pre = document.createElement('pre');
  pre.id = 'selftest';
  pre.textContent = `${results.join('\n')}\nERROR ${error?.stack ?? error}`;
  document.body.append(pre);
});
