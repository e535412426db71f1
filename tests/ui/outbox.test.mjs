import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyOutbox, addSent, dropDelivered, statusText,
} from '../../ui/js/lib/outbox.js';

const pending = (clientId, text = clientId) => ({
  clientId, channel: 'c', text, replyTo: null, state: 'pending',
});

test('pending items are added once, in arrival order', () => {
  let list = applyOutbox([], [{ clientId: 'a', state: 'pending', pending: pending('a') }]);
  list = applyOutbox(list, [
    { clientId: 'b', state: 'pending', pending: pending('b') },
    { clientId: 'a', state: 'pending', pending: pending('a') },
  ]);
  assert.deepEqual(list.map((p) => p.clientId), ['a', 'b']);
});

test('sent and discarded remove; unknown ids change nothing', () => {
  const list = [pending('a'), pending('b'), pending('c')];
  const out = applyOutbox(list, [
    { clientId: 'b', state: 'sent' },
    { clientId: 'c', state: 'discarded' },
    { clientId: 'zz', state: 'sent' },
  ]);
  assert.deepEqual(out.map((p) => p.clientId), ['a']);
  assert.equal(applyOutbox(list, [{ clientId: 'zz', state: 'failed', reason: 'x' }]), list);
});

test('a refusal marks the row failed with its reason; a retry makes it pending again', () => {
  const failed = applyOutbox([pending('a')], [{ clientId: 'a', state: 'failed', reason: 'too long' }]);
  assert.equal(failed[0].state, 'failed');
  assert.equal(statusText(failed[0]), 'Not sent: too long');
  const again = applyOutbox(failed, [{ clientId: 'a', state: 'pending', pending: pending('a') }]);
  assert.equal(again[0].state, 'pending');
  assert.equal(again[0].reason, undefined);
  assert.equal(statusText(again[0]), 'Sending…');
  assert.equal(again[0].text, 'a', 'the text stays');
});

test('the command result does not double an entry its event already added', () => {
  const list = [pending('a')];
  assert.equal(addSent(list, pending('a')), list);
  assert.deepEqual(addSent(list, pending('b')).map((p) => p.clientId), ['a', 'b']);
  assert.equal(addSent(list, pending('b'), new Set(['b'])), list, 'already stored');
  assert.equal(addSent(list, null), list);
});

test('a stored message drops its pending row by client id', () => {
  const list = [pending('a'), pending('b')];
  const out = dropDelivered(list, [
    { id: 'm1', clientId: 'b' },
    { id: 'm2' },
  ]);
  assert.deepEqual(out.map((p) => p.clientId), ['a']);
  assert.equal(dropDelivered(list, [{ id: 'm3' }]), list, 'no change, same list');
});
