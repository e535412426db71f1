import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseTimestamp, formatTime, formatDay, formatFull, initials, hueFor,
  colorFor, hashKey, shorten, daysBetween,
} from '../../ui/js/lib/format.js';

// Local dates, so the tests hold in any TZ.
const now = new Date(2026, 11, 3, 16, 30, 0);

test('naive timestamps are read as UTC', () => {
  assert.equal(parseTimestamp('2026-12-03T14:56:01').toISOString(),
    '2026-12-03T14:56:01.000Z');
  assert.equal(parseTimestamp('2026-12-03T14:56:01.123456').toISOString(),
    '2026-12-03T14:56:01.123Z');
  assert.equal(parseTimestamp('2026-12-03 14:56').toISOString(),
    '2026-12-03T14:56:00.000Z');
});

test('explicit zones are honoured', () => {
  assert.equal(parseTimestamp('2026-12-03T14:56:01Z').toISOString(),
    '2026-12-03T14:56:01.000Z');
  assert.equal(parseTimestamp('2026-12-03T14:56:01+02:00').toISOString(),
    '2026-12-03T12:56:01.000Z');
  assert.equal(parseTimestamp('2026-12-03T14:56:01-0130').toISOString(),
    '2026-12-03T16:26:01.000Z');
});

test('garbage timestamps give null', () => {
  assert.equal(parseTimestamp('not a date'), null);
  assert.equal(parseTimestamp(undefined), null);
  assert.equal(parseTimestamp(42), null);
});

test('today shows only the clock', () => {
  assert.equal(formatTime(new Date(2026, 11, 3, 14, 5), now), '14:05');
  assert.equal(formatTime(new Date(2026, 11, 3, 0, 0), now), '00:00');
});

test('yesterday is named', () => {
  assert.equal(formatTime(new Date(2026, 11, 2, 14, 5), now), 'Yesterday 14:05');
  assert.equal(formatTime(new Date(2026, 11, 2, 23, 59), now), 'Yesterday 23:59');
});

test('older days show day and month, other years the year', () => {
  assert.equal(formatTime(new Date(2026, 11, 1, 9, 7), now), '1 Dec 09:07');
  assert.equal(formatTime(new Date(2026, 0, 15, 14, 5), now), '15 Jan 14:05');
  assert.equal(formatTime(new Date(2025, 11, 3, 14, 5), now), '3 Dec 2025 14:05');
});

test('yesterday across a month and a year boundary', () => {
  const newYear = new Date(2027, 0, 1, 8, 0);
  assert.equal(formatTime(new Date(2026, 11, 31, 22, 10), newYear), 'Yesterday 22:10');
  assert.equal(daysBetween(new Date(2026, 11, 30, 12), newYear), 2);
});

test('future times on another day show the date', () => {
  assert.equal(formatTime(new Date(2026, 11, 4, 9, 0), now), '4 Dec 09:00');
});

test('day separators', () => {
  assert.equal(formatDay(new Date(2026, 11, 3, 1), now), 'Today');
  assert.equal(formatDay(new Date(2026, 11, 2, 1), now), 'Yesterday');
  assert.equal(formatDay(new Date(2026, 11, 1, 1), now), 'Tuesday 1 December');
  assert.equal(formatDay(new Date(2025, 6, 4, 1), now), '4 July 2025');
});

test('full date for tooltips', () => {
  assert.equal(formatFull(new Date(2026, 11, 3, 14, 5, 9)),
    'Thursday 3 December 2026, 14:05:09');
});

test('initials', () => {
  assert.equal(initials('Alice Moreau'), 'AM');
  assert.equal(initials('bob'), 'B');
  assert.equal(initials('  mary ann  smith '), 'MS');
  assert.equal(initials('jean-luc'), 'JL');
  assert.equal(initials('émile zola'), 'ÉZ');
  assert.equal(initials('😀 party'), '😀P');
  assert.equal(initials(''), '?');
  assert.equal(initials(null), '?');
});

test('colour is deterministic per key', () => {
  assert.equal(colorFor('alice'), colorFor('alice'));
  assert.equal(hueFor('alice'), hueFor('alice'));
  assert.match(colorFor('alice'), /^hsl\(\d{1,3}, 55%, 40%\)$/);
  assert.notEqual(hueFor('alice'), hueFor('alicf'));
  assert.equal(hashKey(''), hashKey(undefined));
});

test('hues spread over the circle', () => {
  const buckets = new Array(12).fill(0);
  const hues = new Set();
  for (let i = 0; i < 600; i += 1) {
    const h = hueFor(`user${i}`);
    assert.ok(h >= 0 && h < 360);
    buckets[Math.floor(h / 30)] += 1;
    hues.add(h);
  }
  // 50 per bucket expected; a poor hash piles them up.
  for (const count of buckets) assert.ok(count >= 25 && count <= 80, `${buckets}`);
  assert.ok(hues.size > 250);
});

test('neighbouring keys get distant hues on average', () => {
  let sum = 0;
  for (let i = 0; i < 200; i += 1) {
    const d = Math.abs(hueFor(`u${i}`) - hueFor(`u${i + 1}`));
    sum += Math.min(d, 360 - d);
  }
  assert.ok(sum / 200 > 60);
});

test('shorten flattens and cuts with an ellipsis', () => {
  assert.equal(shorten('a\n\nb   c'), 'a b c');
  assert.equal(shorten('hello world', 20), 'hello world');
  assert.equal(shorten('hello world', 6), 'hello…');
  assert.equal(Array.from(shorten('x'.repeat(500), 90)).length, 90);
  assert.equal(shorten(null), '');
});
