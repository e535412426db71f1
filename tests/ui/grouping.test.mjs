import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowFlags } from '../../ui/js/lib/grouping.js';

const at = (h, m, d = 3) => new Date(2026, 11, d, h, m);

test('the first row starts a day', () => {
  assert.deepEqual(rowFlags(null, { userKey: 'a', time: at(9, 0) }), { grouped: false, dayBreak: true });
});

test('same author within five minutes is grouped', () => {
  const prev = { userKey: 'a', time: at(9, 0) };
  assert.equal(rowFlags(prev, { userKey: 'a', time: at(9, 5) }).grouped, true);
  assert.equal(rowFlags(prev, { userKey: 'a', time: at(9, 6) }).grouped, false);
  assert.equal(rowFlags(prev, { userKey: 'b', time: at(9, 1) }).grouped, false);
});

test('a new day breaks the group', () => {
  const prev = { userKey: 'a', time: at(23, 58, 2) };
  assert.deepEqual(rowFlags(prev, { userKey: 'a', time: at(0, 1) }), { grouped: false, dayBreak: true });
});

test('time going backwards does not group', () => {
  const prev = { userKey: 'a', time: at(9, 5) };
  assert.equal(rowFlags(prev, { userKey: 'a', time: at(9, 0) }).grouped, false);
});
