// Development only: screenshots of the preview with headless Chromium,
// driven over the DevTools protocol (--remote-debugging-pipe), so the page
// runs in real time at exactly the asked size and colour scheme.
//
//   node tests/ui/preview/shoot.mjs OUT.png [options] [QUERY]
//     --size=900x600     viewport (default 900x600)
//     --dark             prefers-color-scheme: dark
//     --wait=2500        ms before the shot (after loading)
//     --hover=X,Y        move the pointer there first (real :hover)
//     --eval=JS          evaluate JS (awaited) before the shot, print it
//     --bottom           scroll the message list to its end first (the
//                        first older page can leave it short of the end
//                        under headless Chromium)
//   QUERY is preview.html's query string, e.g. "live=0&act=switcher&q=gen".
//
// Reduced motion is on, so dialogs are shot after their entry animation.
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
};
const flag = (name) => args.includes(`--${name}`);
const [out, query = 'live=0'] = args.filter((a) => !a.startsWith('--'));
if (!out) {
  console.error('usage: node shoot.mjs OUT.png [--size=WxH] [--dark] [--wait=MS] [--hover=X,Y] [--eval=JS] [QUERY]');
  process.exit(2);
}
const [width, height] = opt('size', '900x600').split(/[x,]/u).map(Number);
const page = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'preview.html'));
const profile = mkdtempSync(join(tmpdir(), 'chatpi-shoot-'));

const chrome = spawn('chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
  '--allow-file-access-from-files', '--remote-debugging-pipe',
  `--user-data-dir=${profile}`, `--window-size=${width},${height}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });

const pending = new Map();
let nextId = 0;
let buffer = '';
chrome.stdio[4].on('data', (chunk) => {
  buffer += chunk.toString();
  for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
    const msg = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (msg.id && pending.has(msg.id)) {
      const { ok, fail } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) fail(new Error(JSON.stringify(msg.error)));
      else ok(msg.result);
    } else if (msg.method === 'Runtime.exceptionThrown') {
      const d = msg.params.exceptionDetails;
      console.error('page error:', d.exception?.description ?? d.text);
    }
  }
});
const send = (method, params = {}, sessionId = undefined) => new Promise((ok, fail) => {
  nextId += 1;
  pending.set(nextId, { ok, fail });
  chrome.stdio[3].write(`${JSON.stringify({ id: nextId, method, params, sessionId })}\0`);
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  let target = null;
  for (let i = 0; i < 50 && !target; i += 1) {
    const { targetInfos } = await send('Target.getTargets');
    target = targetInfos.find((t) => t.type === 'page');
    if (!target) await sleep(100);
  }
  const { sessionId } = await send('Target.attachToTarget', { targetId: target.targetId, flatten: true });
  const cdp = (method, params) => send(method, params, sessionId);
  await cdp('Runtime.enable');
  await cdp('Emulation.setDeviceMetricsOverride', {
    width, height, deviceScaleFactor: 1, mobile: false,
  });
  await cdp('Emulation.setEmulatedMedia', {
    features: [
      { name: 'prefers-color-scheme', value: flag('dark') ? 'dark' : 'light' },
      { name: 'prefers-reduced-motion', value: 'reduce' },
    ],
  });
  await cdp('Page.navigate', { url: `${page.href}?${query}` });
  await sleep(Number(opt('wait', '2500')));
  if (flag('bottom')) {
    for (let i = 0; i < 6; i += 1) {
      await cdp('Runtime.evaluate', {
        expression: 'document.querySelector("#messages").scrollTop = 1e9',
      });
      await sleep(150);
    }
  }
  const js = opt('eval', '');
  if (js) {
    const r = await cdp('Runtime.evaluate', { expression: js, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) console.error('eval error:', r.exceptionDetails.exception?.description);
    else if (r.result?.value !== undefined) {
      console.log(typeof r.result.value === 'string' ? r.result.value : JSON.stringify(r.result.value));
    }
    await sleep(300);
  }
  const hover = opt('hover', '');
  if (hover) {
    const [x, y] = hover.split(',').map(Number);
    await cdp('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
    await sleep(300);
  }
  const { data } = await cdp('Page.captureScreenshot', { format: 'png' });
  writeFileSync(resolve(out), Buffer.from(data, 'base64'));
  console.log(resolve(out));
} finally {
  const exited = new Promise((r) => chrome.once('exit', r));
  chrome.kill();
  await exited;
  rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
}
