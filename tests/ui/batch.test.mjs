import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatcher } from '../../ui/js/lib/batch.js';

function manualScheduler() {
  const frames = [];
  const schedule = (fn) => frames.push(fn);
  const tick = () => frames.splice(0).forEach((fn) => fn());
  return { schedule, tick, frames };
}

test('items pushed in one frame are flushed together, once', () => {
  const s = manualScheduler();
  const flushed = [];
  const b = createBatcher((items) => flushed.push(items), s.schedule);
  b.push(1);
  b.push(2);
  b.pushAll([3, 4]);
  assert.equal(s.frames.length, 1, 'one frame requested');
  assert.equal(flushed.length, 0, 'nothing before the frame');
  assert.equal(b.pending, 4);
  s.tick();
  assert.deepEqual(flushed, [[1, 2, 3, 4]]);
  assert.equal(b.pending, 0);
});

test('the next frame gets only what came after', () => {
  const s = manualScheduler();
  const flushed = [];
  const b = createBatcher((items) => flushed.push(items), s.schedule);
  b.push('a');
  s.tick();
  b.push('b');
  s.tick();
  s.tick();
  assert.deepEqual(flushed, [['a'], ['b']]);
});

test('no items, no frame', () => {
  const s = manualScheduler();
  const b = createBatcher(() => assert.fail('flushed'), s.schedule);
  b.pushAll([]);
  b.pushAll(undefined);
  assert.equal(s.frames.length, 0);
});

test('flushNow delivers at once and the pending frame is harmless', () => {
  const s = manualScheduler();
  const flushed = [];
  const b = createBatcher((items) => flushed.push(items), s.schedule);
  b.push(1);
  b.flushNow();
  s.tick();
  assert.deepEqual(flushed, [[1]]);
  b.push(2);
  assert.equal(s.frames.length, 1, 'a new frame after the flush');
  s.tick();
  assert.deepEqual(flushed, [[1], [2]]);
});

test('items pushed while flushing wait for the next frame', () => {
  const s = manualScheduler();
  const flushed = [];
  const b = createBatcher((items) => {
    flushed.push(items);
    if (items[0] === 1) b.push(2);
  }, s.schedule);
  b.push(1);
  s.tick();
  assert.deepEqual(flushed, [[1]]);
  s.tick();
  assert.deepEqual(flushed, [[1], [2]]);
});

test('a flood of 100k items costs one flush', () => {
  const s = manualScheduler();
  let calls = 0;
  let size = 0;
  const b = createBatcher((items) => { calls += 1; size = items.length; }, s.schedule);
  b.pushAll(Array.from({ length: 100000 }, (_, i) => i));
  s.tick();
  assert.equal(calls, 1);
  assert.equal(size, 100000);
});
