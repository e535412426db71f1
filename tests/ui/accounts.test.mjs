import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeStatus, needsStatusDot, statusLabel, accountUnread, totalUnread, badgeFor,
  windowTitle, pickChannel, moveInOrder, accountAt, withChannelMuted, accountTooltip,
} from '../../ui/js/lib/accounts.js';

test('statuses come as objects or bare strings', () => {
  assert.deepEqual(normalizeStatus(null), { state: 'unknown' });
  assert.deepEqual(normalizeStatus('expired'), { state: 'expired' });
  assert.deepEqual(normalizeStatus({ state: 'reconnecting', retryInMs: 5 }),
    { state: 'reconnecting', retryInMs: 5 });
  assert.equal(needsStatusDot({ state: 'connected' }), false);
  assert.equal(needsStatusDot(undefined), false);
  for (const s of ['reconnecting', 'offline', 'expired', 'keychain', 'connecting']) {
    assert.equal(needsStatusDot({ state: s }), true, s);
  }
  assert.equal(statusLabel('expired'), 'Session expired');
  assert.equal(statusLabel({ state: 'keychain' }), 'Keychain unavailable');
  assert.equal(statusLabel({ state: 'token_command' }), 'Token command failed');
  assert.equal(statusLabel({ state: 'weird' }), '');
});

test('account unread: channels not muted, the open one counted as read', () => {
  const channels = [
    { id: 'a', unread: 3 }, { id: 'b', unread: 4, muted: true }, { id: 'c', unread: 5 },
  ];
  assert.equal(accountUnread({ unread: 99 }, channels), 8);
  assert.equal(accountUnread({ unread: 99 }, channels, 'c'), 3);
  assert.equal(accountUnread({ unread: 7 }, undefined), 7);
  assert.equal(accountUnread({}, undefined), 0);
  assert.equal(accountUnread({ unread: -2 }, null), 0);
});

test('the title total leaves out muted accounts', () => {
  const accounts = [{ id: 'w', unread: 1 }, { id: 'o', unread: 9, muted: true }, { id: 'h', unread: 2 }];
  const byAccount = { w: [{ id: 'g', unread: 4 }, { id: 'r', unread: 1 }] };
  assert.equal(totalUnread(accounts, byAccount), 7);
  assert.equal(totalUnread(accounts, byAccount, { account: 'w', channel: 'g' }), 3);
  assert.equal(totalUnread([], {}), 0);
  assert.equal(totalUnread(undefined, undefined), 0);
});

test('badges: hidden at zero, a dot when muted, capped', () => {
  assert.deepEqual(badgeFor(0), { show: false, dot: false, text: '' });
  assert.deepEqual(badgeFor(5), { show: true, dot: false, text: '5' });
  assert.deepEqual(badgeFor(5, true), { show: true, dot: true, text: '' });
  assert.equal(badgeFor(100).text, '99+');
  assert.equal(badgeFor(undefined).show, false);
});

test('window title', () => {
  assert.equal(windowTitle({ unread: 3, channelName: 'general', accountLabel: 'Work' }),
    '(3) #general · Work · Chatpi');
  assert.equal(windowTitle({ unread: 0, channelName: 'general', accountLabel: 'Work' }),
    '#general · Work · Chatpi');
  assert.equal(windowTitle({ accountLabel: 'Work' }), 'Work · Chatpi');
  assert.equal(windowTitle(), 'Chatpi');
  assert.equal(windowTitle({ unread: 2 }), '(2) Chatpi');
});

test('the channel to open: asked, remembered, first not lobby, lobby', () => {
  const channels = [{ id: 'l', name: 'lobby' }, { id: 'g', name: 'general' }, { id: 'r', name: 'random' }];
  assert.equal(pickChannel(channels, { requested: 'r', remembered: 'g' }), 'r');
  assert.equal(pickChannel(channels, { requested: 'gone', remembered: 'g' }), 'g');
  assert.equal(pickChannel(channels, { remembered: 'gone' }), 'g');
  assert.equal(pickChannel(channels), 'g');
  assert.equal(pickChannel([{ id: 'lobby', name: 'lobby' }]), 'lobby');
  assert.equal(pickChannel([{ id: 'x', name: 'lobby' }, { id: 'lobby', name: 'Lobby' }]), 'x');
  assert.equal(pickChannel([]), null);
  assert.equal(pickChannel(undefined), null);
});

test('moving an account in the rail', () => {
  assert.deepEqual(moveInOrder(['a', 'b', 'c'], 'b', -1), ['b', 'a', 'c']);
  assert.deepEqual(moveInOrder(['a', 'b', 'c'], 'b', 1), ['a', 'c', 'b']);
  assert.deepEqual(moveInOrder(['a', 'b', 'c'], 'a', -1), ['a', 'b', 'c']);
  assert.deepEqual(moveInOrder(['a', 'b', 'c'], 'c', 5), ['a', 'b', 'c']);
  assert.deepEqual(moveInOrder(['a', 'b', 'c'], 'z', 1), ['a', 'b', 'c']);
});

test('Ctrl+N picks the Nth account', () => {
  const accounts = [{ id: 'a' }, { id: 'b' }];
  assert.equal(accountAt(accounts, 1).id, 'a');
  assert.equal(accountAt(accounts, '2').id, 'b');
  assert.equal(accountAt(accounts, 3), null);
  assert.equal(accountAt(accounts, 0), null);
  assert.equal(accountAt(accounts, 'x'), null);
});

test('muting one channel leaves the others alone', () => {
  const before = [{ id: 'a', muted: false }, { id: 'b' }];
  const after = withChannelMuted(before, 'a', true);
  assert.deepEqual(after, [{ id: 'a', muted: true }, { id: 'b' }]);
  assert.equal(after[1], before[1]);
  assert.deepEqual(withChannelMuted(undefined, 'a', true), []);
});

test('tooltip lines', () => {
  assert.deepEqual(accountTooltip({ id: 'w', label: 'Work', userName: 'Sam', status: { state: 'connected' } }),
    ['Work', 'Sam']);
  assert.deepEqual(accountTooltip({ id: 'w', label: '', userKey: 'sam', status: 'expired', muted: true }),
    ['w', 'sam', 'Session expired', 'Notifications muted']);
});
