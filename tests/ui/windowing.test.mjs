import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  prefixOffsets, indexAt, visibleRange, anchorAt, offsetFor, estimateRowHeight,
} from '../../ui/js/lib/windowing.js';

const uniform = (n, h = 20) => prefixOffsets(new Array(n).fill(h));

test('offsets are running sums; bad heights count as zero', () => {
  assert.deepEqual([...prefixOffsets([10, 20, 30])], [0, 10, 30, 60]);
  assert.deepEqual([...prefixOffsets([10, NaN, -5, 5])], [0, 10, 10, 10, 15]);
  assert.deepEqual([...prefixOffsets([])], [0]);
});

test('indexAt finds the row under y and clamps', () => {
  const o = prefixOffsets([10, 20, 30]);
  assert.equal(indexAt(o, -5), 0);
  assert.equal(indexAt(o, 0), 0);
  assert.equal(indexAt(o, 9.9), 0);
  assert.equal(indexAt(o, 10), 1);
  assert.equal(indexAt(o, 29), 1);
  assert.equal(indexAt(o, 30), 2);
  assert.equal(indexAt(o, 1000), 2);
  assert.equal(indexAt(prefixOffsets([]), 10), -1);
});

test('an empty list renders nothing', () => {
  assert.deepEqual(visibleRange({ offsets: uniform(0), scrollTop: 100, viewportHeight: 500 }),
    { start: 0, end: 0, topPad: 0, bottomPad: 0, totalHeight: 0 });
});

test('only visible rows plus overscan', () => {
  const r = visibleRange({ offsets: uniform(1000), scrollTop: 2000, viewportHeight: 200, overscan: 3 });
  // rows 100..109 are visible
  assert.equal(r.start, 97);
  assert.equal(r.end, 113);
  assert.equal(r.topPad, 97 * 20);
  assert.equal(r.bottomPad, (1000 - 113) * 20);
  assert.equal(r.topPad + (r.end - r.start) * 20 + r.bottomPad, r.totalHeight);
});

test('a partly visible row counts', () => {
  const r = visibleRange({ offsets: uniform(100), scrollTop: 2010, viewportHeight: 15, overscan: 0 });
  assert.deepEqual([r.start, r.end], [100 - 1, 100]);
  const s = visibleRange({ offsets: uniform(100), scrollTop: 15, viewportHeight: 10, overscan: 0 });
  assert.deepEqual([s.start, s.end], [0, 2]);
});

test('overscan is clamped at both ends', () => {
  const top = visibleRange({ offsets: uniform(50), scrollTop: 0, viewportHeight: 100, overscan: 10 });
  assert.equal(top.start, 0);
  assert.equal(top.end, 15);
  assert.equal(top.topPad, 0);
  const bottom = visibleRange({ offsets: uniform(50), scrollTop: 900, viewportHeight: 100, overscan: 10 });
  assert.equal(bottom.end, 50);
  assert.equal(bottom.bottomPad, 0);
  assert.equal(bottom.start, 35);
});

test('scrolling past the end shows the last screenful', () => {
  const r = visibleRange({ offsets: uniform(50), scrollTop: 99999, viewportHeight: 100, overscan: 0 });
  assert.deepEqual([r.start, r.end], [45, 50]);
  const neg = visibleRange({ offsets: uniform(50), scrollTop: -300, viewportHeight: 100, overscan: 0 });
  assert.deepEqual([neg.start, neg.end], [0, 5]);
});

test('a viewport taller than the list renders every row', () => {
  const r = visibleRange({ offsets: uniform(5), scrollTop: 0, viewportHeight: 1000, overscan: 2 });
  assert.deepEqual([r.start, r.end, r.topPad, r.bottomPad], [0, 5, 0, 0]);
});

test('a zero viewport still renders the row at the top', () => {
  const r = visibleRange({ offsets: uniform(10), scrollTop: 40, viewportHeight: 0, overscan: 0 });
  assert.deepEqual([r.start, r.end], [2, 3]);
});

test('one huge row taller than the viewport', () => {
  const o = prefixOffsets([20, 5000, 20]);
  const r = visibleRange({ offsets: o, scrollTop: 1000, viewportHeight: 300, overscan: 0 });
  assert.deepEqual([r.start, r.end], [1, 2]);
});

test('mixed heights', () => {
  const o = prefixOffsets([50, 10, 10, 100, 30]);
  const r = visibleRange({ offsets: o, scrollTop: 65, viewportHeight: 30, overscan: 0 });
  assert.deepEqual([r.start, r.end, r.topPad, r.bottomPad], [2, 4, 60, 30]);
});

test('the DOM holds a bounded number of rows however long the list', () => {
  for (const n of [10, 1000, 100000]) {
    const r = visibleRange({ offsets: uniform(n, 40), scrollTop: n * 20, viewportHeight: 800, overscan: 6 });
    assert.ok(r.end - r.start <= 800 / 40 + 1 + 12);
  }
});

test('an anchor keeps its row on screen after rows are prepended', () => {
  const before = prefixOffsets([30, 40, 50, 60]);
  const anchor = anchorAt(before, 85); // 15px into row 2
  assert.deepEqual(anchor, { index: 2, delta: 15 });
  const after = prefixOffsets([25, 25, 30, 40, 50, 60]); // two rows added
  assert.equal(offsetFor(after, { index: anchor.index + 2, delta: anchor.delta }), 50 + 70 + 15);
  assert.equal(anchorAt(prefixOffsets([]), 10), null);
  assert.equal(offsetFor(prefixOffsets([]), { index: 3, delta: 2 }), 0);
  assert.equal(offsetFor(before, { index: 99, delta: 0 }), 120);
});

test('an anchor above the first row (in the list header) round-trips', () => {
  const o = prefixOffsets([30, 40]);
  const anchor = anchorAt(o, -50);
  assert.deepEqual(anchor, { index: 0, delta: -50 });
  assert.equal(offsetFor(o, anchor), -50);
});

test('estimated heights grow with text, reply, reactions and separators', () => {
  const m = { lineHeight: 20, charsPerLine: 10, headerHeight: 20, padding: 10, groupedPadding: 4,
    replyHeight: 30, reactionsHeight: 30, dayHeight: 40 };
  assert.equal(estimateRowHeight({ text: 'hi' }, m), 50);
  assert.equal(estimateRowHeight({ text: 'hi', grouped: true }, m), 24);
  assert.equal(estimateRowHeight({ text: 'x'.repeat(25) }, m), 90);
  assert.equal(estimateRowHeight({ text: 'a\nb\n\nc' }, m), 110);
  assert.equal(estimateRowHeight({ text: 'a', reply: true, reactions: true, dayBreak: true }, m), 150);
});
