#!/usr/bin/env node
// Ingest baseline: the official `phoenix` client under Node reads a run of
// `message:new` broadcasts from chatpi-bench's feeder.
//
// Usage: node ingest.mjs WS_URL TOPIC COUNT
//
// Joins TOPIC, reads its clocks, pushes `bench:go` (which starts the run)
// and counts `message:new` until COUNT. Its last line is JSON:
// {"count", "elapsed_ns", "cpu_user_us", "cpu_system_us"}, the CPU being
// the whole process's (process.cpuUsage).

import { Socket } from 'phoenix';
import WebSocket from 'ws';

const [url, topic, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!url || !topic || !Number.isInteger(count) || count <= 0) {
  console.error('usage: node ingest.mjs WS_URL TOPIC COUNT');
  process.exit(2);
}

const fail = (why) => {
  console.error(why);
  process.exit(1);
};
const stall = setTimeout(() => fail(`timed out before ${count} messages`), 120_000);

const socket = new Socket(url, { transport: WebSocket, params: { token: 'bench' } });
socket.onError(() => fail('socket error'));
socket.connect();
const channel = socket.channel(topic, {});

let seen = 0;
let t0 = 0n;
let cpu0 = null;
channel.on('message:new', () => {
  seen += 1;
  if (seen < count) return;
  const elapsed = process.hrtime.bigint() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearTimeout(stall);
  console.log(
    JSON.stringify({
      count: seen,
      elapsed_ns: Number(elapsed),
      cpu_user_us: cpu.user,
      cpu_system_us: cpu.system,
    }),
  );
  socket.disconnect(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});

channel
  .join()
  .receive('ok', () => {
    cpu0 = process.cpuUsage();
    t0 = process.hrtime.bigint();
    channel.push('bench:go', {});
  })
  .receive('error', (e) => fail(`join refused: ${JSON.stringify(e)}`))
  .receive('timeout', () => fail('join timed out'));
