#!/usr/bin/env node
// Interop tests: chatpi-server against the official `phoenix` JS client (and
// raw `ws` frames where the client library hides the wire).
//
// Usage: node run.mjs /path/to/chatpi-server
//
// Prints one line per test and a closing `N passed, N failed`; exits 0 only
// when every test passes. The wire contract is /work/shared/PROTOCOL.md.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { Presence, Socket } from 'phoenix';
import WebSocket from 'ws';

// ---------------------------------------------------------------------------
// Small utilities

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const show = (v) => {
  const s = JSON.stringify(v);
  return s && s.length > 600 ? `${s.slice(0, 600)}...` : s;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAIVE_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const FAR_PAST = '2000-01-01T00:00:00';
const FAR_FUTURE = '2999-01-01T00:00:00';
const MESSAGE_KEYS = ['custom_details', 'id', 'inserted_at', 'reply_target_id', 'text', 'user_auth_key'];

/** Polls `cond` until true, or throws `what()` after `ms`. */
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(20);
  }
}

/** Resolves `p`, or rejects with `what` after `ms`. */
function within(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** An HS256 JWT signed with `secret` (a Buffer). */
function jwt(secret, claims) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(sig)}`;
}

const nowSecs = () => Math.floor(Date.now() / 1000);

/** Window rule of the join query: newest 50 strictly between the bounds, oldest first. */
function windowOf(all, after, before) {
  return all
    .filter((m) => (after == null || m.inserted_at > after) && (before == null || m.inserted_at < before))
    .slice(-50);
}

// ---------------------------------------------------------------------------
// The server under test

const BIN = process.argv[2];
if (!BIN) {
  console.error('usage: node run.mjs /path/to/chatpi-server');
  process.exit(2);
}
if (!fs.existsSync(BIN)) {
  console.error(`no such file: ${BIN}`);
  process.exit(2);
}

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'chatpi-interop-'));
const children = new Set();

function cli(...args) {
  try {
    return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    throw new Error(`chatpi-server ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

class ServerProc {
  static async start(name, extra = []) {
    const db = path.join(TMP, `${name}.db`);
    const port = await freePort();
    const addr = `127.0.0.1:${port}`;
    const logPath = path.join(TMP, `${name}.log`);
    const log = fs.openSync(logPath, 'a');
    const child = spawn(BIN, ['serve', '--db', db, '--addr', addr, ...extra], {
      stdio: ['ignore', 'pipe', log],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'chatpi_server=debug' },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    const url = await within(
      new Promise((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const m = out.match(/chatpi-server listening on (ws:\/\/\S+)/);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`server exited with ${code} before listening; see ${logPath}`)));
        child.on('error', reject);
      }),
      10000,
      `server ${name} to print its listening line`,
    );
    assert.equal(url, `ws://${addr}/socket/websocket`, 'listening line names the socket URL');
    return new ServerProc(name, db, port, child, logPath);
  }

  constructor(name, db, port, child, logPath) {
    Object.assign(this, { name, db, port, child, logPath });
    this.socketUrl = `ws://127.0.0.1:${port}/socket`; // phoenix.js appends /websocket
    this.rawUrl = `ws://127.0.0.1:${port}/socket/websocket`;
    this.http = `http://127.0.0.1:${port}`;
  }

  get keyBytes() {
    return Buffer.from(fs.readFileSync(`${this.db}.key`, 'utf8').trim(), 'hex');
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    try {
      await within(exited, 3000, 'server to exit on SIGTERM');
    } catch {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------
// Clients

/** What one test opened, closed when the test ends however it ends. */
class Ctx {
  constructor(srv) {
    this.srv = srv;
    this.sockets = [];
    this.raws = [];
  }

  /** A phoenix Socket (not yet connected). */
  socket(token, opts = {}) {
    const params = token == null ? {} : { token, userToken: token };
    const s = new Socket(opts.url || this.srv.socketUrl, {
      transport: WebSocket,
      params,
      reconnectAfterMs: () => 200,
      rejoinAfterMs: () => 500,
      ...opts,
    });
    this.sockets.push(s);
    return s;
  }

  /** A connected phoenix Socket; rejects on a connect error. */
  async connect(token, opts = {}) {
    const s = this.socket(token, opts);
    await within(
      new Promise((resolve, reject) => {
        s.onOpen(resolve);
        s.onError((e) => reject(new Error(`socket error while connecting: ${e?.message || e?.type || e}`)));
        s.connect();
      }),
      5000,
      'phoenix socket onOpen',
    );
    return s;
  }

  /** A raw `ws` client speaking serializer 2.0.0 frames. */
  async raw(token, url) {
    const r = await Raw.open(url || this.srv.rawUrl, token);
    this.raws.push(r);
    return r;
  }

  cleanup() {
    for (const s of this.sockets) {
      try {
        s.disconnect();
      } catch {
        /* ignore */
      }
    }
    for (const r of this.raws) r.ws.terminate();
  }
}

class Raw {
  static open(base, token) {
    const q = new URLSearchParams({ vsn: '2.0.0' });
    if (token != null) q.set('token', token);
    const ws = new WebSocket(`${base}?${q}`);
    return within(
      new Promise((resolve, reject) => {
        ws.on('open', () => resolve(new Raw(ws)));
        ws.on('unexpected-response', (req, res) => {
          req.destroy();
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
        });
        ws.on('error', reject);
      }),
      5000,
      'raw websocket open',
    );
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.ref = 100;
    this.closed = null;
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? { binary: data } : JSON.parse(data.toString()));
    });
    ws.on('close', (code) => {
      this.closed = { code, at: Date.now() };
    });
    ws.on('error', () => {});
  }

  send(frame) {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  nextRef() {
    this.ref += 1;
    return String(this.ref);
  }

  async waitFrame(pred, ms, what) {
    let found;
    await until(() => (found = this.frames.find(pred)) !== undefined, ms, what);
    return found;
  }

  replyTo(ref, ms = 3000) {
    return this.waitFrame(
      (f) => Array.isArray(f) && f[1] === ref && f[3] === 'phx_reply',
      ms,
      () => `a phx_reply to ref ${ref}; frames so far: ${show(this.frames.slice(-5))}`,
    );
  }

  /** Asserts that no frame matching `pred` arrives within `ms`. */
  async none(pred, ms, what) {
    await sleep(ms);
    const f = this.frames.find(pred);
    assert.equal(f, undefined, `expected no ${what}, got ${show(f)}`);
  }

  async heartbeat(ms = 3000) {
    assert.equal(this.closed, null, `socket closed (${show(this.closed)}) before heartbeat`);
    const ref = this.nextRef();
    this.send([null, ref, 'phoenix', 'heartbeat', {}]);
    const reply = await this.replyTo(ref, ms);
    assert.deepEqual(reply, [null, ref, 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  }
}

/** Joins a phoenix channel: {status: ok|error|timeout, response}. */
function join(ch, ms = 5000) {
  return new Promise((resolve) => {
    ch.join(ms)
      .receive('ok', (response) => resolve({ status: 'ok', response }))
      .receive('error', (response) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout' }));
  });
}

async function joinOk(ch, ms) {
  const r = await join(ch, ms);
  assert.equal(r.status, 'ok', `join ${ch.topic} expected ok, got ${show(r)}`);
  return r.response;
}

/** Pushes on a phoenix channel: {status: ok|error|timeout, response}. */
function push(ch, event, payload, ms = 5000) {
  return new Promise((resolve) => {
    ch.push(event, payload, ms)
      .receive('ok', (response) => resolve({ status: 'ok', response }))
      .receive('error', (response) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout' }));
  });
}

async function pushOk(ch, event, payload, ms) {
  const r = await push(ch, event, payload, ms);
  assert.equal(r.status, 'ok', `push ${event} ${show(payload)} expected ok, got ${show(r)}`);
  return r.response;
}

function leave(ch, ms = 5000) {
  return new Promise((resolve) => {
    ch.leave(ms)
      .receive('ok', (response) => resolve({ status: 'ok', response }))
      .receive('timeout', () => resolve({ status: 'timeout' }));
  });
}

/** Records every `event` payload a channel gets. */
function record(ch, event) {
  const list = [];
  ch.on(event, (p) => list.push(clone(p)));
  return list;
}

/** phoenix Presence over a channel, with its callbacks recorded. */
function presence(ch) {
  const p = new Presence(ch);
  const log = { joins: [], leaves: [], syncs: 0 };
  p.onJoin((key, cur, np) => log.joins.push({ key, cur: clone(cur), np: clone(np) }));
  p.onLeave((key, cur, lp) => log.leaves.push({ key, cur: clone(cur), lp: clone(lp) }));
  p.onSync(() => {
    log.syncs += 1;
  });
  const state = () => Object.fromEntries(p.list((key, { metas }) => [key, clone(metas)]));
  return { p, log, state };
}

async function http(srv, method, urlPath, { token, body, auth } = {}) {
  const headers = {};
  if (auth !== undefined) headers.authorization = auth;
  else if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(srv.http + urlPath, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function assertMessageShape(m, what) {
  assert.deepEqual(Object.keys(m).sort(), MESSAGE_KEYS, `${what}: message keys`);
  assert.match(m.id, UUID, `${what}: id is a UUID`);
  assert.equal(typeof m.text, 'string', `${what}: text`);
  assert.equal(typeof m.user_auth_key, 'string', `${what}: user_auth_key`);
  assert.match(m.inserted_at, NAIVE_SECONDS, `${what}: inserted_at is naive ISO-8601 at one-second precision`);
}

function assertRecentNaive(ts, what) {
  const t = Date.parse(`${ts}Z`);
  assert.ok(Number.isFinite(t), `${what}: ${ts} parses`);
  assert.ok(Math.abs(t - Date.now()) < 10000, `${what}: ${ts} is UTC now (host now ${new Date().toISOString()})`);
}

// ---------------------------------------------------------------------------
// Seed

const srv = await ServerProc.start('main').catch((e) => {
  console.error(`cannot start the server: ${e.message}`);
  process.exit(1);
});
// Seeding while the server runs exercises the shared database and key file.
const USERS = { alice: 'Alice A', bob: 'Bob B', carol: 'Carol C', dave: 'Dave D' };
for (const [k, name] of Object.entries(USERS)) cli('create-user', '--db', srv.db, '--auth-key', k, '--username', name);
const tok = {};
for (const k of Object.keys(USERS)) tok[k] = cli('mint-token', '--db', srv.db, '--auth-key', k, '--ttl', '1h');
const expiredMintedAt = Date.now();
const expiredCliToken = cli('mint-token', '--db', srv.db, '--auth-key', 'alice', '--ttl', '1s');
const chat = {};
for (const name of ['auth', 'hist', 'send', 'react', 'typing', 'leave', 'bad', 'unread']) {
  chat[name] = cli('create-chat', '--db', srv.db, '--name', name, '--member', 'alice', '--member', 'bob');
}
chat.pres = cli('create-chat', '--db', srv.db, '--name', 'pres', '--member', 'alice', '--member', 'bob', '--member', 'carol');
const topic = (name, apiKey = 'interop') => `chat:${apiKey}:${chat[name]}`;

// ---------------------------------------------------------------------------
// Tests

const tests = [];
const test = (name, fn, timeoutMs = 10000) => tests.push({ name, fn, timeoutMs });

test('connect: good token opens; garbage, foreign-key, expired and missing tokens are refused (403)', async (ctx) => {
  const s = await ctx.connect(tok.alice);
  assert.ok(s.isConnected(), 'good token: isConnected()');

  const key = srv.keyBytes;
  const crafted = jwt(key, { sub: 'alice', exp: nowSecs() + 3600, iat: nowSecs() });
  const good = await ctx.raw(crafted); // control: a token we sign with the server key is accepted
  await good.heartbeat();

  await sleep(Math.max(0, expiredMintedAt + 2600 - Date.now())); // let the 1 s CLI token expire
  const bad = {
    garbage: 'not-a-jwt',
    'signed with another key': jwt(crypto.randomBytes(32), { sub: 'alice', exp: nowSecs() + 3600, iat: nowSecs() }),
    'expired (mint-token --ttl 1s)': expiredCliToken,
    'expired (exp 60 s ago)': jwt(key, { sub: 'alice', exp: nowSecs() - 60, iat: nowSecs() - 120 }),
    'alg none': `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: 'alice', exp: nowSecs() + 3600 }))}.`,
    missing: null,
  };
  for (const [what, token] of Object.entries(bad)) {
    // Raw: the upgrade is answered with HTTP 403.
    let err;
    try {
      const r = await Raw.open(srv.rawUrl, token);
      r.ws.terminate();
    } catch (e) {
      err = e;
    }
    assert.ok(err, `${what}: raw websocket opened, expected HTTP 403`);
    assert.equal(err.status, 403, `${what}: expected HTTP 403, got ${err.message}`);

    // phoenix: onError, and never onOpen (through its reconnect attempts).
    const ps = ctx.socket(token);
    let opened = false;
    let errors = 0;
    ps.onOpen(() => {
      opened = true;
    });
    ps.onError(() => {
      errors += 1;
    });
    ps.connect();
    await until(() => errors >= 2 || opened, 5000, `${what}: phoenix onError`);
    await sleep(300);
    ps.disconnect();
    assert.equal(opened, false, `${what}: phoenix socket opened`);
    assert.ok(errors >= 1, `${what}: phoenix onError fired`);
  }
});

test('join: member ok, non-member unauthorized, lobby open to all, unknown topic refused', async (ctx) => {
  const a = await ctx.connect(tok.alice);
  await joinOk(a.channel(topic('auth')));

  const d = await ctx.connect(tok.dave);
  const refused = d.channel(topic('auth'));
  const r = await join(refused);
  assert.deepEqual(r, { status: 'error', response: { reason: 'unauthorized' } }, 'non-member join');
  await leave(refused);

  const nosuch = d.channel('chat:interop:00000000-0000-0000-0000-000000000000');
  assert.deepEqual(await join(nosuch), { status: 'error', response: { reason: 'unauthorized' } }, 'unknown chat id');
  await leave(nosuch);

  // The same socket still joins the lobby, under any API key.
  await joinOk(d.channel('chat:interop:lobby'));
  await joinOk(d.channel('chat:another-key:lobby'));

  // A user that exists only in the token (never created) may join the lobby.
  const ghost = jwt(srv.keyBytes, { sub: 'ghost', exp: nowSecs() + 600, iat: nowSecs() });
  const g = await ctx.connect(ghost);
  await joinOk(g.channel('chat:interop:lobby'));
  const gr = g.channel(topic('auth'));
  assert.deepEqual(await join(gr), { status: 'error', response: { reason: 'unauthorized' } }, 'ghost joins a chat');
  await leave(gr);

  const room = d.channel('room:x');
  assert.deepEqual(await join(room), { status: 'error', response: { reason: 'unmatched topic' } }, 'room:x join');
  await leave(room);

  // A member whose join was refused elsewhere is not affected: bob still joins.
  const b = await ctx.connect(tok.bob);
  await joinOk(b.channel(topic('auth')));
});

test('history: join query returns the newest 50 strictly between the bounds, oldest first; REST agrees', async (ctx) => {
  const a = await ctx.connect(tok.alice);
  const t = topic('hist');
  const ch = a.channel(t);
  const seen = record(ch, 'message:new');
  await joinOk(ch);

  // 120 messages in 3 bursts a bit more than a second apart, so at least
  // three distinct seconds, with many messages sharing each.
  const TOTAL = 120;
  for (let i = 0; i < TOTAL; i += 1) {
    if (i > 0 && i % 40 === 0) await sleep(1100);
    await pushOk(ch, 'message:new', { text: `h-${i}`, custom_details: { n: i } });
  }
  await until(() => seen.length >= TOTAL, 5000, () => `${TOTAL} broadcasts, got ${seen.length}`);
  assert.deepEqual(seen.map((m) => m.text), Array.from({ length: TOTAL }, (_, i) => `h-${i}`), 'broadcast order is send order');
  const all = seen;
  for (let i = 1; i < all.length; i += 1) {
    assert.ok(all[i].inserted_at >= all[i - 1].inserted_at, `inserted_at goes backwards at ${i}`);
  }
  const seconds = [...new Set(all.map((m) => m.inserted_at))];
  assert.ok(seconds.length >= 3, `expected >= 3 distinct seconds, got ${show(seconds)}`);

  const b = await ctx.connect(tok.bob);
  const query = async (q) => {
    const c = b.channel(t, { query: q });
    const r = await join(c);
    await leave(c);
    return r;
  };
  const check = async (q, label) => {
    const r = await query(q);
    assert.equal(r.status, 'ok', `${label}: join ${show(q)} got ${show(r)}`);
    const got = r.response.messages;
    assert.ok(Array.isArray(got), `${label}: response.messages is a list: ${show(r.response)}`);
    for (const m of got) {
      assert.ok(m.inserted_at > q.after && m.inserted_at < q.before, `${label}: ${m.inserted_at} outside (${q.after}, ${q.before})`);
    }
    const want = windowOf(all, q.after, q.before);
    assert.equal(got.length, want.length, `${label}: count for ${show(q)}`);
    assert.deepEqual(got.map((m) => m.text), want.map((m) => m.text), `${label}: the newest ${want.length} in the window, oldest first`);
    assert.deepEqual(got, want, `${label}: messages equal their broadcasts`);
    return r.response;
  };

  // The whole history: more than 50 in the window, so exactly the newest 50.
  const first = await check({ before: FAR_FUTURE, after: FAR_PAST }, 'all');
  assert.equal(first.messages.length, 50);
  assert.deepEqual(first.messages.map((m) => m.text), Array.from({ length: 50 }, (_, i) => `h-${TOTAL - 50 + i}`));
  for (const m of first.messages) assertMessageShape(m, 'history');

  // Page backwards by `before` = oldest received (boundary second excluded).
  let before = first.messages[0].inserted_at;
  let pages = 0;
  for (;;) {
    const page = await check({ before, after: FAR_PAST }, `page ${pages + 1}`);
    pages += 1;
    if (page.messages.length === 0) break;
    assert.ok(pages < 10, 'paging does not end');
    before = page.messages[0].inserted_at;
  }
  assert.ok(pages >= 2, 'at least one non-empty page before the empty one');

  // Other windows.
  await check({ before: FAR_FUTURE, after: all[30].inserted_at }, 'after a mid message');
  await check({ before: seconds[2], after: seconds[0] }, 'one second only');
  await check({ before: seconds[1], after: seconds[1] }, 'empty window');
  await check({ before: `${seconds[1]}.5`, after: FAR_PAST }, 'fractional before');
  await check({ before: FAR_FUTURE, after: `${seconds[0]}.5` }, 'fractional after');

  // A malformed bound is not an ok join.
  const bad = await query({ before: 'yesterday', after: FAR_PAST });
  assert.notEqual(bad.status, 'ok', `malformed bound joined ok: ${show(bad)}`);

  // REST returns the same lists.
  const rest = async (q, token = tok.bob) =>
    http(srv, 'GET', `/api/v1/chats/${chat.hist}/messages?${new URLSearchParams(q)}`, { token });
  for (const q of [
    { before: FAR_FUTURE, after: FAR_PAST },
    { before: first.messages[0].inserted_at, after: FAR_PAST },
    { before: seconds[2], after: seconds[0] },
  ]) {
    const r = await rest(q);
    assert.equal(r.status, 200, `REST ${show(q)}: ${r.status} ${r.text}`);
    assert.deepEqual(r.json.messages, windowOf(all, q.after, q.before), `REST ${show(q)} messages`);
    const j = await query(q);
    assert.deepEqual(r.json.messages, j.response.messages, `REST and join agree for ${show(q)}`);
  }
  const stranger = await rest({ before: FAR_FUTURE, after: FAR_PAST }, tok.dave);
  assert.equal(stranger.status, 200, `REST non-member: ${stranger.status} ${stranger.text}`);
  assert.deepEqual(stranger.json.messages, [], 'REST non-member gets no messages');
  const anon = await rest({ before: FAR_FUTURE, after: FAR_PAST }, null);
  assert.equal(anon.status, 401, 'REST messages without a token');
}, 40000);

test('send/receive: message:new broadcast to sender (before its ok) and to others, fields preserved', async (ctx) => {
  const t = topic('send');
  const a = await ctx.connect(tok.alice);
  const b = await ctx.connect(tok.bob);
  const cha = a.channel(t);
  const chb = b.channel(t);
  const order = [];
  cha.on('message:new', (p) => order.push({ kind: 'broadcast', p: clone(p) }));
  const gotB = record(chb, 'message:new');
  await joinOk(cha);
  await joinOk(chb);

  const cid = crypto.randomUUID();
  const details = { client_id: cid, nested: { list: [1, 'two', null], flag: true } };
  await new Promise((resolve, reject) => {
    cha
      .push('message:new', { text: 'hello bob', custom_details: details })
      .receive('ok', (r) => {
        order.push({ kind: 'ok', p: clone(r) });
        resolve();
      })
      .receive('error', (r) => reject(new Error(`error reply ${show(r)}`)))
      .receive('timeout', () => reject(new Error('no reply')));
  });
  await until(() => gotB.length >= 1, 3000, 'bob to receive message:new');
  await until(() => order.length >= 2, 3000, () => `alice to get her own broadcast; order ${show(order)}`);
  assert.deepEqual(order.map((o) => o.kind), ['broadcast', 'ok'], 'sender sees its broadcast before the ok reply');
  assert.deepEqual(order[1].p, {}, 'ok reply response is empty');
  const m = order[0].p;
  assertMessageShape(m, 'broadcast');
  assertRecentNaive(m.inserted_at, 'inserted_at');
  assert.equal(m.text, 'hello bob');
  assert.equal(m.user_auth_key, 'alice');
  assert.equal(m.reply_target_id, null);
  assert.deepEqual(m.custom_details, details, 'custom_details preserved');
  assert.deepEqual(gotB[0], m, 'bob gets the same message');

  // A reply from bob.
  await pushOk(chb, 'message:new', { text: 'hi alice', reply_target_id: m.id, custom_details: { client_id: 'b1' } });
  await until(() => order.length >= 3, 3000, 'alice to receive the reply');
  const r = order[2].p;
  assertMessageShape(r, 'reply');
  assert.equal(r.reply_target_id, m.id);
  assert.equal(r.user_auth_key, 'bob');
  assert.notEqual(r.id, m.id, 'ids are distinct');
  assert.deepEqual(gotB[1], r);

  // `files` is carried by the broadcast.
  const files = [{ name: 'a.png', url: 'https://example.invalid/a.png' }];
  await pushOk(cha, 'message:new', { text: 'with a file', files });
  await until(() => gotB.length >= 3, 3000, 'bob to receive the file message');
  assert.deepEqual(gotB[2].files, files, 'files broadcast');
  assert.equal(gotB[2].text, 'with a file');

  // History has both, custom_details intact.
  const h = await http(srv, 'GET', `/api/v1/chats/${chat.send}/messages?before=${FAR_FUTURE}&after=${FAR_PAST}`, { token: tok.bob });
  assert.deepEqual(h.json.messages.slice(0, 2), [m, r], 'history holds what was broadcast');
});

test('reactions: nested classifier ok + broadcast, flat payload refused, stored reactions in join query', async (ctx) => {
  const t = topic('react');
  const a = await ctx.connect(tok.alice);
  const b = await ctx.connect(tok.bob);
  const cha = a.channel(t);
  const chb = b.channel(t);
  const msgsA = record(cha, 'message:new');
  const reA = record(cha, 'reaction:new');
  const reB = record(chb, 'reaction:new');
  await joinOk(cha);
  await joinOk(chb);
  await pushOk(cha, 'message:new', { text: 'react to me' });
  await until(() => msgsA.length >= 1, 3000, 'message broadcast');
  const target = msgsA[0].id;

  const ok = await pushOk(cha, 'reaction:new', { reaction_target_id: target, reaction: { classifier: 'LOVE' } });
  assert.deepEqual(ok, {}, 'reaction ok response');
  const want = { reaction_target_id: target, classifier: 'LOVE', user_auth_key: 'alice' };
  await until(() => reA.length >= 1 && reB.length >= 1, 3000, 'reaction broadcast to both');
  assert.deepEqual(reA[0], want, 'sender reaction broadcast');
  assert.deepEqual(reB[0], want, 'other reaction broadcast');

  const flat = await push(cha, 'reaction:new', { reaction_target_id: target, classifier: 'CRY' });
  assert.equal(flat.status, 'error', `flat classifier: expected an error reply, got ${show(flat)}`);
  await sleep(400);
  assert.equal(reB.length, 1, `flat reaction was broadcast: ${show(reB)}`);

  await pushOk(chb, 'reaction:new', { reaction_target_id: target, reaction: { classifier: 'laugh' } });
  await until(() => reA.length >= 2, 3000, 'bob reaction broadcast');
  assert.deepEqual(reA[1], { reaction_target_id: target, classifier: 'laugh', user_auth_key: 'bob' });

  // The channel survived the refused push.
  await pushOk(cha, 'ping', {});

  const c = await ctx.connect(tok.bob);
  const later = await joinOk(c.channel(t, { query: { before: FAR_FUTURE, after: FAR_PAST } }));
  assert.deepEqual(later.messages.map((m) => m.id), [target]);
  assert.ok(Array.isArray(later.reactions), `join query has reactions: ${show(later)}`);
  assert.deepEqual(later.reactions, [want, { reaction_target_id: target, classifier: 'laugh', user_auth_key: 'bob' }], 'stored reactions');
});

test('typing: user:typing updates the meta (leave old + join new with phx_ref_prev), seen via phoenix Presence', async (ctx) => {
  const t = topic('typing');
  const b = await ctx.connect(tok.bob);
  const chb = b.channel(t);
  const pb = presence(chb);
  const diffsB = record(chb, 'presence_diff');
  await joinOk(chb);
  const a = await ctx.connect(tok.alice);
  const cha = a.channel(t);
  const pa = presence(cha);
  await joinOk(cha);

  await until(() => pb.state()['user:alice']?.length === 1 && pa.state()['user:bob']?.length === 1, 3000,
    () => `both present; bob sees ${show(pb.state())}, alice sees ${show(pa.state())}`);
  const before = pb.state()['user:alice'][0];
  assert.equal(before.is_typing, false, 'initial meta is_typing false');
  const r0 = before.phx_ref;
  assert.equal(typeof r0, 'string');
  const diffsSoFar = diffsB.length;
  pb.log.joins.length = 0;
  pb.log.leaves.length = 0;

  cha.push('user:typing', { is_typing: true }); // no reply expected
  await until(() => pb.state()['user:alice']?.[0]?.is_typing === true, 3000, () => `bob to see alice typing: ${show(pb.state())}`);
  const metas = pb.state()['user:alice'];
  assert.equal(metas.length, 1, `one meta for alice after update: ${show(metas)}`);
  const r1 = metas[0].phx_ref;
  assert.notEqual(r1, r0, 'new phx_ref');
  assert.equal(metas[0].phx_ref_prev, r0, 'phx_ref_prev names the old meta');

  const d = diffsB.slice(diffsSoFar).find((x) => x.joins?.['user:alice']);
  assert.ok(d, 'a presence_diff with alice joining');
  assert.deepEqual(d.leaves['user:alice'].metas.map((m) => m.phx_ref), [r0], 'diff leaves the old meta');
  assert.deepEqual(d.joins['user:alice'].metas.map((m) => [m.phx_ref, m.phx_ref_prev, m.is_typing]), [[r1, r0, true]]);
  assert.ok(pb.log.joins.some((j) => j.key === 'user:alice' && j.np.metas[0].is_typing === true), 'Presence onJoin with the new meta');
  assert.ok(pb.log.leaves.some((l) => l.key === 'user:alice' && l.lp.metas[0].phx_ref === r0 && l.cur.metas.length === 1),
    `Presence onLeave with the old meta, key kept: ${show(pb.log.leaves)}`);

  // The typer's own Presence (proper diffs only) agrees.
  await until(() => pa.state()['user:alice']?.[0]?.is_typing === true, 3000, () => `alice to see herself typing: ${show(pa.state())}`);

  cha.push('user:typing', { is_typing: false });
  await until(() => pb.state()['user:alice']?.[0]?.is_typing === false, 3000, () => `typing to stop: ${show(pb.state())}`);
  const after = pb.state()['user:alice'];
  assert.equal(after.length, 1);
  assert.equal(after[0].phx_ref_prev, r1);
  assert.deepEqual(Object.keys(pb.state()).sort(), ['user:alice', 'user:bob']);
});

test('presence: 2 users x 2 connections seen by an observer via phoenix Presence; leave and disconnect', async (ctx) => {
  const t = topic('pres');
  const obs = await ctx.connect(tok.carol);
  const och = obs.channel(t);
  const po = presence(och);
  await joinOk(och);
  await until(() => po.state()['user:carol']?.length === 1, 3000, () => `observer sees itself: ${show(po.state())}`);

  const refsOf = (key) => (po.state()[key] || []).map((m) => m.phx_ref);
  const joiners = [];
  const refs = {};
  for (const [label, user] of [['alice1', 'alice'], ['alice2', 'alice'], ['bob1', 'bob'], ['bob2', 'bob']]) {
    const s = await ctx.connect(tok[user]);
    const ch = s.channel(t);
    const states = record(ch, 'presence_state');
    const p = presence(ch);
    const known = new Set(refsOf(`user:${user}`));
    await joinOk(ch);
    await until(() => refsOf(`user:${user}`).length === known.size + 1, 3000, () => `observer to see ${label}: ${show(po.state())}`);
    refs[label] = refsOf(`user:${user}`).find((r) => !known.has(r));
    joiners.push({ label, s, ch, p, states });
  }

  const st = po.state();
  assert.deepEqual(Object.keys(st).sort(), ['user:alice', 'user:bob', 'user:carol']);
  assert.equal(st['user:alice'].length, 2, 'alice has 2 metas');
  assert.equal(st['user:bob'].length, 2, 'bob has 2 metas');
  const allRefs = Object.values(st).flat().map((m) => m.phx_ref);
  assert.equal(new Set(allRefs).size, 5, `distinct phx_refs: ${show(allRefs)}`);
  for (const m of Object.values(st).flat()) assert.equal(m.is_typing, false);

  // Each joiner got presence_state (a push), and its Presence converges.
  for (const j of joiners) {
    await until(() => j.states.length >= 1, 3000, `${j.label} to get presence_state`);
  }
  const last = joiners[3].states[0];
  assert.deepEqual(Object.keys(last).sort(), ['user:alice', 'user:bob', 'user:carol'], 'last joiner state keys');
  assert.deepEqual(last['user:alice'].metas.map((m) => m.phx_ref).sort(), [refs.alice1, refs.alice2].sort());
  assert.deepEqual(last['user:bob'].metas.map((m) => m.phx_ref).sort(), [refs.bob1, refs.bob2].sort(), 'state includes the joiner itself');
  const sortedRefs = (s) =>
    Object.fromEntries(Object.entries(s).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, ms]) => [k, ms.map((m) => m.phx_ref).sort()]));
  for (const j of joiners) {
    await until(() => show(sortedRefs(j.p.state())) === show(sortedRefs(po.state())), 3000,
      () => `${j.label}'s Presence to match the observer: ${show(j.p.state())} vs ${show(po.state())}`);
  }

  // alice1 leaves its channel: alice stays with one meta.
  po.log.leaves.length = 0;
  const l = await leave(joiners[0].ch);
  assert.equal(l.status, 'ok', 'leave ok');
  await until(() => po.log.leaves.length >= 1, 3000, 'observer onLeave for alice1');
  const ev = po.log.leaves[0];
  assert.equal(ev.key, 'user:alice');
  assert.deepEqual(ev.lp.metas.map((m) => m.phx_ref), [refs.alice1], 'the meta that left');
  assert.deepEqual(ev.cur.metas.map((m) => m.phx_ref), [refs.alice2], 'the meta that stays');
  assert.deepEqual(refsOf('user:alice'), [refs.alice2], 'alice still present with 1 meta');

  // alice2 disconnects its socket: alice is gone.
  joiners[1].s.disconnect();
  await until(() => !('user:alice' in po.state()), 3000, () => `alice to be gone: ${show(po.state())}`);
  const ev2 = po.log.leaves[1];
  assert.equal(ev2.key, 'user:alice');
  assert.deepEqual(ev2.lp.metas.map((m) => m.phx_ref), [refs.alice2]);
  assert.deepEqual(ev2.cur.metas, []);
  assert.deepEqual(Object.keys(po.state()).sort(), ['user:bob', 'user:carol']);
  assert.equal(po.state()['user:bob'].length, 2, 'bob unaffected');
  await sleep(200);
  assert.equal(po.log.leaves.length, 2, `exactly two leaves: ${show(po.log.leaves)}`);
});

test('heartbeat: raw heartbeat answered on its ref; phoenix heartbeats keep the socket alive; ping', async (ctx) => {
  const r = await ctx.raw(tok.alice);
  r.send([null, '1', 'phoenix', 'heartbeat', {}]);
  assert.deepEqual(await r.replyTo('1'), [null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  r.send([null, 'abc', 'phoenix', 'heartbeat', {}]);
  assert.deepEqual(await r.replyTo('abc'), [null, 'abc', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  assert.ok(r.frames.every((f) => typeof f !== 'object' || Array.isArray(f)), 'text frames with arrays only');

  const s = ctx.socket(tok.alice, { heartbeatIntervalMs: 200 });
  const hbRefs = [];
  let closes = 0;
  let errors = 0;
  s.onMessage((msg) => {
    if (msg.topic === 'phoenix' && msg.event === 'phx_reply' && msg.payload.status === 'ok') hbRefs.push(msg.ref);
  });
  s.onClose(() => {
    closes += 1;
  });
  s.onError(() => {
    errors += 1;
  });
  await within(new Promise((res) => { s.onOpen(res); s.connect(); }), 5000, 'socket open');
  await sleep(1300);
  assert.ok(s.isConnected(), 'still connected after 1.3 s of 200 ms heartbeats');
  assert.equal(closes, 0, 'no close');
  assert.equal(errors, 0, 'no error');
  assert.ok(hbRefs.length >= 4, `heartbeat replies: ${hbRefs.length}`);
  const rtt = await within(new Promise((res) => s.ping(res)), 3000, 'socket.ping');
  assert.ok(rtt >= 0);

  const ch = s.channel('chat:interop:lobby');
  await joinOk(ch);
  assert.deepEqual(await pushOk(ch, 'ping', {}), { status: 'ok' }, 'ping reply');
});

test('leave: ok reply, phx_close from the server, no more broadcasts; rejoin works', async (ctx) => {
  const t = topic('leave');
  const a = await ctx.connect(tok.alice);
  const b = await ctx.connect(tok.bob);
  const raw = [];
  a.onMessage((m) => raw.push(clone(m)));
  const cha = a.channel(t);
  const gotA = record(cha, 'message:new');
  let closed = 0;
  cha.onClose(() => {
    closed += 1;
  });
  const chb = b.channel(t);
  const pb = presence(chb);
  const gotB = record(chb, 'message:new');
  await joinOk(cha);
  await joinOk(chb);
  await until(() => 'user:alice' in pb.state(), 3000, 'bob to see alice');

  await pushOk(chb, 'message:new', { text: 'before leave' });
  await until(() => gotA.length === 1, 3000, 'alice gets a broadcast while joined');

  const joinRef = cha.joinRef();
  const l = await leave(cha);
  assert.equal(l.status, 'ok', `leave: ${show(l)}`);
  // phoenix.js resolves leave() locally at once; the server's own reply to
  // the phx_leave push must still arrive, on its ref, with status ok.
  const isLeaveReply = (m) => m.topic === t && m.event === 'phx_reply' && m.join_ref === joinRef && m.ref !== joinRef;
  await until(() => raw.some(isLeaveReply), 3000, () => `the server's phx_leave reply; got ${show(raw.slice(-4))}`);
  const leaveReply = raw.find(isLeaveReply);
  assert.deepEqual(leaveReply.payload, { status: 'ok', response: {} }, 'server leave reply');
  const replyAt = raw.indexOf(leaveReply);
  await until(() => raw.some((m) => m.topic === t && m.event === 'phx_close'), 3000, () => `phx_close; got ${show(raw.slice(-4))}`);
  const close = raw.find((m) => m.topic === t && m.event === 'phx_close');
  assert.equal(close.join_ref, joinRef, 'phx_close carries the join ref');
  assert.ok(raw.indexOf(close) > replyAt, 'phx_close follows the leave reply');
  assert.equal(closed, 1, 'channel onClose');
  await until(() => !('user:alice' in pb.state()), 3000, 'alice leaves presence');

  await pushOk(chb, 'message:new', { text: 'after leave' });
  await until(() => gotB.length === 2, 3000, 'bob gets his broadcast');
  await sleep(400);
  assert.equal(gotA.length, 1, 'left channel got no more message:new');
  assert.ok(!raw.some((m) => m.event === 'message:new' && m.payload.text === 'after leave'), 'no frame for the left topic');

  // Pushing to the left topic is refused.
  const rr = await ctx.raw(tok.alice);
  rr.send([null, '7', t, 'message:new', { text: 'not joined' }]);
  assert.deepEqual((await rr.replyTo('7'))[4], { status: 'error', response: { reason: 'unmatched topic' } });

  // Rejoin on the same socket works.
  const again = a.channel(t);
  const gotAgain = record(again, 'message:new');
  await joinOk(again);
  await pushOk(chb, 'message:new', { text: 'after rejoin' });
  await until(() => gotAgain.length === 1, 3000, 'rejoined channel gets broadcasts');
});

test('bad input over raw ws: socket and server survive, errors replied where a reply is due', async (ctx) => {
  const t = topic('bad');
  const b = await ctx.connect(tok.bob);
  const chb = b.channel(t);
  const gotB = record(chb, 'message:new');
  await joinOk(chb);

  const r = await ctx.raw(tok.alice);
  r.send(['1', '1', t, 'phx_join', {}]);
  assert.equal((await r.replyTo('1'))[4].status, 'ok', 'raw join');
  await r.heartbeat();

  const notOk = async (ref, what) => {
    await sleep(300);
    const f = r.frames.find((x) => Array.isArray(x) && x[1] === ref && x[3] === 'phx_reply');
    assert.ok(!f || f[4].status !== 'ok', `${what}: got an ok reply ${show(f)}`);
  };

  // Invalid JSON.
  r.send('{not json');
  r.send('["1","2",');
  await r.heartbeat();
  // Wrong arity / wrong shape.
  r.send(JSON.stringify(['1', '3', t, 'message:new']));
  r.send(JSON.stringify(['1', '4', t, 'message:new', { text: 'six' }, 'extra']));
  r.send(JSON.stringify({ topic: t, event: 'message:new', payload: { text: 'v1' }, ref: '5' }));
  r.send(JSON.stringify([1, 2, 3, 4, 5]));
  await notOk('3', 'four elements');
  await notOk('4', 'six elements');
  await r.heartbeat();
  // Unknown event on a joined topic.
  r.send(['1', '6', t, 'no:such:event', {}]);
  assert.equal((await r.replyTo('6'))[4].status, 'error', 'unknown event gets an error reply');
  await r.heartbeat();
  // Push to an unjoined topic.
  r.send([null, '7', 'chat:interop:lobby', 'message:new', { text: 'x' }]);
  assert.deepEqual(await r.replyTo('7'), [null, '7', 'chat:interop:lobby', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
  await r.heartbeat();
  // Non-object payloads and wrong field types.
  r.send(['1', '8', t, 'message:new', 'just a string']);
  r.send(['1', '9', t, 'message:new', [1, 2]]);
  r.send(['1', '10', t, 'message:new', null]);
  r.send(['1', '11', t, 'message:new', { text: 123 }]);
  r.send(['1', '12', t, 'message:new', {}]);
  for (const ref of ['8', '9', '10', '11', '12']) await notOk(ref, `bad payload ref ${ref}`);
  assert.equal((await r.replyTo('11'))[4].status, 'error', 'wrong type gets an error reply');
  await r.heartbeat();
  // An oversized frame (> 1 MiB), a valid message otherwise.
  r.send(['1', '13', t, 'message:new', { text: 'x'.repeat(1536 * 1024) }]);
  await notOk('13', 'oversized frame');
  await r.heartbeat(5000);

  await sleep(200);
  assert.deepEqual(gotB, [], `none of the bad pushes was broadcast: ${show(gotB.map((m) => m.text.slice(0, 20)))}`);
  assert.equal(r.closed, null, 'raw socket still open');

  // Still joined, still served; others too.
  r.send(['1', '14', t, 'message:new', { text: 'still here' }]);
  assert.equal((await r.replyTo('14'))[4].status, 'ok');
  await until(() => gotB.length === 1, 3000, 'bob to get the good message');
  assert.equal(gotB[0].text, 'still here');
  await pushOk(chb, 'message:new', { text: 'from bob' });
  await r.waitFrame((f) => f[3] === 'message:new' && f[4].text === 'from bob' && f[0] === null, 3000, 'raw to get bob broadcast');
  const c = await ctx.connect(tok.carol);
  await joinOk(c.channel('chat:interop:lobby'));
}, 20000);

test('idle timeout: a silent socket is closed by the server; heartbeating ones stay open', async (ctx) => {
  const idle = await ServerProc.start('idle', ['--idle-timeout', '1s']);
  try {
    cli('create-user', '--db', idle.db, '--auth-key', 'alice');
    const token = cli('mint-token', '--db', idle.db, '--auth-key', 'alice', '--ttl', '1h');
    const silent = await ctx.raw(token, idle.rawUrl);
    const opened = Date.now();
    const busy = await ctx.raw(token, idle.rawUrl);
    let beats = 0;
    const timer = setInterval(() => {
      busy.send([null, `hb${(beats += 1)}`, 'phoenix', 'heartbeat', {}]);
    }, 300);
    const ps = ctx.socket(token, { url: idle.socketUrl, heartbeatIntervalMs: 300 });
    let psClosed = 0;
    ps.onClose(() => {
      psClosed += 1;
    });
    await within(new Promise((res) => { ps.onOpen(res); ps.connect(); }), 5000, 'phoenix open');
    try {
      await until(() => silent.closed, 3000, 'the server to close the silent socket');
      const after = silent.closed.at - opened;
      assert.ok(after >= 800, `closed after ${after} ms, before the 1 s idle timeout`);
      await sleep(Math.max(0, opened + 3500 - Date.now()));
      assert.equal(busy.closed, null, `heartbeating raw socket closed: ${show(busy.closed)}`);
      const replies = busy.frames.filter((f) => f[3] === 'phx_reply' && f[4].status === 'ok').length;
      assert.ok(replies >= beats - 1 && replies >= 8, `heartbeat replies ${replies} of ${beats}`);
      assert.ok(ps.isConnected(), 'phoenix socket with 300 ms heartbeats still connected');
      assert.equal(psClosed, 0, 'phoenix socket never closed');
    } finally {
      clearInterval(timer);
    }
  } finally {
    ctx.cleanup();
    await idle.stop();
  }
}, 20000);

test('REST: /api/v1/chats auth and shape, unread counts and read_message, POST creates a chat', async (ctx) => {
  const list = (token) => http(srv, 'GET', '/api/v1/chats', { token });
  assert.equal((await http(srv, 'GET', '/api/v1/chats')).status, 401, 'no token');
  assert.equal((await list('garbage')).status, 401, 'garbage token');
  assert.equal((await list(expiredCliToken)).status, 401, 'expired token');
  assert.equal((await list(jwt(crypto.randomBytes(32), { sub: 'alice', exp: nowSecs() + 60 }))).status, 401, 'foreign key');
  assert.equal((await http(srv, 'GET', '/api/v1/chats', { auth: tok.alice })).status, 401, 'token without Bearer');

  const res = await list(tok.alice);
  assert.equal(res.status, 200, res.text);
  const body = res.json;
  assert.ok(Array.isArray(body.chats) && Array.isArray(body.detail), `shape: ${show(body)}`);
  assert.equal(body.detail.length, body.chats.length, 'one detail per chat');
  const aliceChats = Object.values(chat).sort();
  assert.deepEqual(body.chats.map((c) => c.id).sort(), aliceChats, 'exactly alice chats');
  for (const c of body.chats) {
    for (const k of ['id', 'name', 'members', 'inserted_at']) assert.ok(k in c, `chat has ${k}: ${show(c)}`);
    assert.match(c.inserted_at, NAIVE_SECONDS);
    for (const u of c.members) {
      assert.equal(typeof u.auth_key, 'string');
      assert.equal(u.username, USERS[u.auth_key], `username of ${u.auth_key}`);
    }
  }
  const byId = (b, id) => {
    const i = b.chats.findIndex((c) => c.id === id);
    assert.ok(i >= 0, `chat ${id} listed`);
    const d = b.detail[i];
    if ('chat_id' in d) assert.equal(d.chat_id, id, 'detail aligned with chats');
    return { c: b.chats[i], d };
  };
  const u = byId(body, chat.unread);
  assert.equal(u.c.name, 'unread');
  assert.deepEqual(u.c.members.map((m) => m.auth_key).sort(), ['alice', 'bob']);
  assert.ok('message_seen_id' in u.d && 'unread_messages' in u.d, `detail shape: ${show(u.d)}`);
  assert.equal(u.d.unread_messages, 0);
  assert.equal(u.d.message_seen_id, null);
  const none = await list(tok.dave);
  assert.deepEqual(none.json, { chats: [], detail: [] }, 'a user without chats');

  // Unread counts.
  const t = topic('unread');
  const b = await ctx.connect(tok.bob);
  const chb = b.channel(t);
  const sent = record(chb, 'message:new');
  await joinOk(chb);
  for (const text of ['b1', 'b2', 'b3']) await pushOk(chb, 'message:new', { text });
  await until(() => sent.length === 3, 3000, 'bob broadcasts');
  const unread = async () => byId((await list(tok.alice)).json, chat.unread).d;
  assert.equal((await unread()).unread_messages, 3, 'three unread after bob sends three');

  const a = await ctx.connect(tok.alice);
  const cha = a.channel(t);
  await joinOk(cha);
  cha.push('read_message', { message_seen_id: sent[1].id });
  await until(async () => (await unread()).unread_messages === 1, 5000, 'unread to drop to 1');
  assert.equal((await unread()).message_seen_id, sent[1].id, 'message_seen_id recorded');
  cha.push('read_message', { message_seen_id: sent[2].id });
  await until(async () => (await unread()).unread_messages === 0, 5000, 'unread to drop to 0');
  // Bob's own count is unaffected by alice reading.
  assert.equal(byId((await list(tok.bob)).json, chat.unread).d.unread_messages, 0, 'own messages are not unread');

  // POST creates a chat with the caller and the users.
  assert.equal((await http(srv, 'POST', '/api/v1/chats', { body: { name: 'x', users: ['bob'] } })).status, 401, 'POST without token');
  const made = await http(srv, 'POST', '/api/v1/chats', { token: tok.alice, body: { name: 'made over REST', users: ['bob', 'carol'] } });
  assert.ok(made.status === 200 || made.status === 201, `POST: ${made.status} ${made.text}`);
  const id = made.json.id ?? made.json.chat?.id;
  assert.equal(typeof id, 'string', `POST answer names the chat: ${made.text}`);
  const after = (await list(tok.alice)).json;
  const m = byId(after, id);
  assert.equal(m.c.name, 'made over REST');
  assert.deepEqual(m.c.members.map((x) => x.auth_key).sort(), ['alice', 'bob', 'carol']);
  assert.equal(after.chats.length, aliceChats.length + 1);
  byId((await list(tok.carol)).json, id);
  const c = await ctx.connect(tok.carol);
  await joinOk(c.channel(`chat:interop:${id}`));
  const d = await ctx.connect(tok.dave);
  const dch = d.channel(`chat:interop:${id}`);
  assert.deepEqual(await join(dch), { status: 'error', response: { reason: 'unauthorized' } }, 'non-member of the new chat');
  await leave(dch);
}, 20000);

// ---------------------------------------------------------------------------
// Runner

let current = null;
process.on('uncaughtException', (e) => {
  if (current) current.push(e);
  else console.error('uncaught:', e);
});
process.on('unhandledRejection', (e) => {
  if (current) current.push(e);
  else console.error('unhandled rejection:', e);
});

let passed = 0;
let failed = 0;
try {
  for (const [i, t] of tests.entries()) {
    const ctx = new Ctx(srv);
    const stray = [];
    current = stray;
    const started = Date.now();
    let error = null;
    try {
      await within(Promise.resolve().then(() => t.fn(ctx)), t.timeoutMs, `test exceeded its ${t.timeoutMs / 1000} s limit`);
      if (stray.length) throw stray[0];
    } catch (e) {
      error = e;
    } finally {
      ctx.cleanup();
      current = null;
    }
    const ms = Date.now() - started;
    if (srv.child.exitCode !== null || srv.child.signalCode !== null) {
      error = error || new Error(`server exited (${srv.child.exitCode ?? srv.child.signalCode})`);
    }
    if (error) {
      failed += 1;
      const msg = (error && error.message) || String(error);
      console.log(`FAIL ${i + 1} - ${t.name} (${ms} ms)\n     ${msg.split('\n').join('\n     ')}`);
    } else {
      passed += 1;
      console.log(`ok   ${i + 1} - ${t.name} (${ms} ms)`);
    }
    await sleep(50);
  }
} finally {
  await srv.stop();
  killAll();
}
if (failed) {
  console.log(`server logs kept in ${TMP}`);
} else {
  fs.rmSync(TMP, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
