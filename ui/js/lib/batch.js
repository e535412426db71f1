// Coalesces items that arrive in bursts (chat events) into one flush per
// frame. The scheduler is injected: requestAnimationFrame in the app, a
// manual queue in tests.

export function createBatcher(flush, schedule) {
  let queue = [];
  let scheduled = false;

  function run() {
    scheduled = false;
    if (queue.length === 0) return;
    const items = queue;
    queue = [];
    flush(items);
  }

  function arm() {
    if (scheduled) return;
    scheduled = true;
    schedule(run);
  }

  return {
    push(item) {
      queue.push(item);
      arm();
    },
    // A loop rather than push(...items): an event can carry thousands.
    pushAll(items) {
      if (!items || items.length === 0) return;
      for (const item of items) queue.push(item);
      arm();
    },
    // Delivers now what is queued; a frame already scheduled finds
    // nothing left and does nothing.
    flushNow: run,
    get pending() {
      return queue.length;
    },
  };
}
