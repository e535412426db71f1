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
  await until(() => $$('#messages .text').some((t) => t.textContent === 'first line\nsecond line'));
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

  const pre = document.createElement('pre');
  pre.id = 'selftest';
  pre.textContent = [...results, ...errors.map((e) => `ERROR ${e}`),
    ...calls.map((c) => `CALL ${c}`)].join('\n');
  document.body.append(pre);
  document.title = results.some((r) => r.startsWith('FAIL')) ? 'SELFTEST FAIL' : 'SELFTEST PASS';
}

run().catch((error) => {
  const pre = document.createElement('pre');
  pre.id = 'selftest';
  pre.textContent = `${results.join('\n')}\nERROR ${error?.stack ?? error}`;
  document.body.append(pre);
});
