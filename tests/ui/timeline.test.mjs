import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fromOpen, isLive, atBeginning, applyIncoming, prependOlder,
  appendNewer, afterLoadOlder, applyReactions, trimBottom, endOf,
} from '../../ui/js/lib/timeline.js';

const msg = (i) => ({ id: `m${i}`, text: `t${i}`, reactions: [] });
const range = (a, b) => Array.from({ length: b - a }, (_, k) => msg(a + k));
const ids = (tl) => tl.items.map((m) => m.id);

test('open gives the newest window and its indices', () => {
  const tl = fromOpen({ total: 500, messages: range(400, 500), hasOlder: true });
  assert.equal(tl.base, 400);
  assert.equal(endOf(tl), 500);
  assert.ok(isLive(tl));
  assert.ok(!atBeginning(tl));
  const small = fromOpen({ total: 3, messages: range(0, 3), hasOlder: false });
  assert.ok(atBeginning(small));
});

test('a contiguous live message is appended and total grows', () => {
  const tl = fromOpen({ total: 10, messages: range(5, 10), hasOlder: false });
  const r = applyIncoming(tl, [{ message: msg(11), index: 11 }, { message: msg(10), index: 10 }]);
  assert.equal(r.appended, 2);
  assert.deepEqual(ids(r.timeline).slice(-2), ['m10', 'm11']);
  assert.equal(r.timeline.total, 12);
  assert.ok(isLive(r.timeline));
});

test('a message beyond the slice is a gap that only grows total', () => {
  const tl = fromOpen({ total: 10, messages: range(5, 10), hasOlder: false });
  const r = applyIncoming(tl, [{ message: msg(12), index: 12 }]);
  assert.equal(r.appended, 0);
  assert.ok(r.gap);
  assert.equal(r.timeline.total, 13);
  assert.ok(!isLive(r.timeline));
});

test('a known id is updated in place, not duplicated', () => {
  const tl = fromOpen({ total: 10, messages: range(5, 10), hasOlder: false });
  const edited = { ...msg(7), text: 'new' };
  const r = applyIncoming(tl, [{ message: edited, index: 7 }]);
  assert.equal(r.updated, 1);
  assert.equal(r.timeline.items.length, 5);
  assert.equal(r.timeline.items[2].text, 'new');
  assert.ok(!r.resync);
});

test('indices that disagree with the slice ask for a resync', () => {
  const tl = fromOpen({ total: 10, messages: range(5, 10), hasOlder: false });
  assert.ok(applyIncoming(tl, [{ message: msg(7), index: 8 }]).resync);
  assert.ok(applyIncoming(tl, [{ message: msg(99), index: 6 }]).resync);
});

test('the slice is capped: top dropped at the bottom, growth stopped when scrolled up', () => {
  const tl = fromOpen({ total: 10, messages: range(5, 10), hasOlder: false });
  const entries = [10, 11, 12].map((i) => ({ message: msg(i), index: i }));
  const live = applyIncoming(tl, entries, { maxItems: 6, trimTop: true });
  assert.deepEqual(ids(live.timeline), ['m7', 'm8', 'm9', 'm10', 'm11', 'm12']);
  assert.equal(live.timeline.base, 7);
  assert.equal(live.dropped, 2);
  const reading = applyIncoming(tl, entries, { maxItems: 6, trimTop: false });
  assert.deepEqual(ids(reading.timeline), ['m5', 'm6', 'm7', 'm8', 'm9', 'm10']);
  assert.equal(reading.timeline.total, 13);
  assert.ok(!isLive(reading.timeline));
});

test('older pages are prepended and the bottom trimmed past the cap', () => {
  const tl = fromOpen({ total: 300, messages: range(200, 300), hasOlder: true });
  const r = prependOlder(tl, 150, range(150, 200), 120);
  assert.equal(r.added, 50);
  assert.equal(r.timeline.base, 150);
  assert.equal(r.timeline.items.length, 120);
  assert.equal(r.dropped, 30);
  assert.equal(r.timeline.items[0].id, 'm150');
  assert.ok(!isLive(r.timeline));
});

test('overlapping and disjoint older pages', () => {
  const tl = fromOpen({ total: 300, messages: range(200, 300), hasOlder: true });
  const overlap = prependOlder(tl, 180, range(180, 210));
  assert.equal(overlap.added, 20);
  assert.equal(overlap.timeline.items.length, 120);
  const disjoint = prependOlder(tl, 100, range(100, 150));
  assert.equal(disjoint.added, 0);
  assert.equal(disjoint.timeline, tl);
});

test('newer pages are appended and the top trimmed past the cap', () => {
  const tl = { total: 300, base: 100, items: range(100, 200), hasOlder: false };
  const r = appendNewer(tl, 190, range(190, 250), 300, 120);
  assert.equal(r.added, 50);
  assert.equal(r.timeline.items.length, 120);
  assert.equal(r.timeline.base, 130);
  assert.equal(r.timeline.items.at(-1).id, 'm249');
  assert.equal(appendNewer(tl, 260, range(260, 270), 300).added, 0);
});

test('load_older shifts every index by what it added', () => {
  const tl = fromOpen({ total: 100, messages: range(0, 100), hasOlder: true });
  const shifted = afterLoadOlder(tl, { added: 50, total: 150, hasOlder: false });
  assert.equal(shifted.base, 50);
  assert.equal(shifted.total, 150);
  assert.ok(atBeginning({ ...shifted, base: 0 }));
  assert.ok(isLive(shifted));
});

test('reactions replace a message\'s reaction list', () => {
  const tl = fromOpen({ total: 3, messages: range(0, 3), hasOlder: false });
  const r = applyReactions(tl, [{ messageId: 'm1', reactions: [{ classifier: 'LAUGH', count: 2, mine: true }] },
    { messageId: 'nope', reactions: [] }]);
  assert.equal(r.changed, 1);
  assert.equal(r.timeline.items[1].reactions[0].count, 2);
  assert.equal(r.timeline.items[0], tl.items[0], 'others untouched');
  assert.equal(applyReactions(tl, []).timeline, tl);
});

test('trimBottom keeps the top', () => {
  const tl = fromOpen({ total: 10, messages: range(0, 10), hasOlder: false });
  assert.deepEqual(ids(trimBottom(tl, 3)), ['m0', 'm1', 'm2']);
  assert.equal(trimBottom(tl, 30), tl);
});
