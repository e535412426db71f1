// Development only: a fake window.__TAURI__ implementing the backend API
// with made-up data, so the UI can be previewed in a plain browser
// (dev/preview.html). Three accounts: "Acme Corp" (acc-demo, six
// channels, one of 100k messages), "Open Source Guild" (acc-oss, muted)
// and "Home Lab" (acc-home, its session expired). Query parameters:
//   live=0            no simulated traffic (stable screenshots)
//   status=STATE      emit this chat://status state for acc-demo at start
//   latency=MS        command latency (default 60)
//   connect=MS        how long add/edit_account take to "connect" (1200)
//   channel=ID        channel to open first in acc-demo
//   account=ID        account on screen at start
//   accounts=N        keep only the first N accounts (0: a first run)
//
// add_account / edit_account fail on purpose, to show each error:
//   a host with "nowhere" (unreachable), "badcert" (tls); the token
//   "refused" (token_refused); a label with "empty" (no_chats) or
//   "keychain" (keychain, once: Retry works); a command with "fail"
//   (token_command); an http(s) URL (invalid, field url).
(function installMockTauri() {
  'use strict';

  const params = new URLSearchParams(location.search);
  const LIVE = params.get('live') !== '0';
  const LATENCY = Number(params.get('latency') ?? 60);
  const CONNECT_MS = Number(params.get('connect') ?? 1200);
  const ACCOUNT = 'acc-demo';
  const ME = 'sam';
  try {
    localStorage.setItem(`chatpi.lastChannel.${ACCOUNT}`, params.get('channel') ?? 'general');
    for (const id of ['acc-oss', 'acc-home']) localStorage.removeItem(`chatpi.lastChannel.${id}`);
  } catch {
    // file:// pages may have no storage; the app then opens the first channel.
  }

  const USERS = {
    sam: 'Sam Rivera',
    alice: 'Alice Moreau',
    bob: 'bob',
    carol: 'Carol Nguyen',
    dmitri: 'Dmitri Volkov',
    emma: 'Emma Schulz',
    farid: 'Farid Haddad',
    grace: 'Grace Okafor',
    hiro: 'Hiro Tanaka',
  };
  const OTHERS = Object.keys(USERS).filter((k) => k !== ME);

  const SENTENCES = [
    'Morning! Coffee is on in the kitchen.',
    'Did anyone look at the flaky test on CI?',
    'I pushed a fix for the reconnect loop, can someone review?',
    'Ship it 🚀',
    'The staging deploy is green again.',
    'Lunch at 12:30?',
    'Heads-up: the VPN is being restarted at 18:00.',
    'Here are the numbers from yesterday:\n- p50 42 ms\n- p95 180 ms\n- p99 410 ms',
    'I think we should batch the events per frame instead of per message, otherwise the webview drowns under a flood and the UI stutters badly.',
    'Agreed.',
    'Can we move the sync to Thursday?',
    '+1',
    'That makes sense to me. Let me write it down in the design doc so we do not forget why.',
    'Looks good, one small comment on the error mapping.',
    'haha',
    'Who owns the release notes this week?',
    'Reminder: retro in 10 minutes.',
    'The new icons look great in dark mode.',
    'fn main() {\n    println!("hello");\n}',
    'Thanks!',
  ];

  // Small deterministic PRNG so every load looks the same.
  function rng(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const naive = (ms) => new Date(ms).toISOString().slice(0, 19);
  const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

  // A channel: `all` is the server's history (oldest first); the backend
  // holds the newest `held` of it. Backend index k is all[all.length -
  // held + k]. `lazy` channels generate messages by position instead.
  function makeChannel(id, name, {
    count, held, seed, unread = 0, lazy = false, muted = false, prefix = '',
  }) {
    const ch = {
      id, name, unread, muted, held: Math.min(held, count), count, lazy, all: [], extra: new Map(),
    };
    if (!lazy) {
      const r = rng(seed);
      let t = Date.now() - 2 * 60_000;
      let author = OTHERS[0];
      const list = [];
      for (let i = 0; i < count; i += 1) {
        if (r() > 0.45) author = r() < 0.12 ? ME : OTHERS[Math.floor(r() * OTHERS.length)];
        list.push({
          id: `${prefix}${id}-${count - i}`,
          userKey: author,
          text: SENTENCES[Math.floor(r() * SENTENCES.length)],
          time: t,
          replyToId: null,
          reactions: {},
        });
        const gap = r() < 0.08 ? 3 * 3600_000 * r() : r() < 0.5 ? 60_000 * r() * 4 : 60_000 * (4 + r() * 30);
        t -= gap;
      }
      ch.all = list.reverse();
    }
    return ch;
  }

  function account(id, fields, channels) {
    return {
      id, kind: 'remote', userKey: ME, userName: USERS[ME], muted: false,
      status: { state: 'connected' }, openId: null, presence: {}, ...fields, channels,
    };
  }

  const accounts = [
    account(ACCOUNT, { label: 'Acme Corp', url: 'wss://chat.acme.example/socket' }, [
      makeChannel('lobby', 'lobby', { count: 24, held: 24, seed: 1 }),
      makeChannel('general', 'general', { count: 520, held: 300, seed: 7 }),
      makeChannel('random', 'random', { count: 60, held: 60, seed: 3, unread: 3 }),
      makeChannel('design', 'design', { count: 140, held: 140, seed: 11, unread: 12 }),
      makeChannel('release-train', 'release-train', {
        count: 8, held: 8, seed: 5, unread: 4, muted: true,
      }),
      makeChannel('firehose', 'firehose', { count: 100_000, held: 100_000, seed: 0, lazy: true }),
    ]),
    account('acc-oss', { label: 'Open Source Guild', url: 'wss://chat.osguild.org/socket', muted: true }, [
      makeChannel('lobby', 'lobby', { count: 30, held: 30, seed: 21, prefix: 'oss-' }),
      makeChannel('announcements', 'announcements', { count: 12, held: 12, seed: 22, unread: 2, prefix: 'oss-' }),
      makeChannel('help', 'help', { count: 90, held: 90, seed: 23, unread: 5, prefix: 'oss-' }),
      makeChannel('rust', 'rust', { count: 200, held: 200, seed: 24, prefix: 'oss-' }),
      makeChannel('off-topic', 'off-topic', {
        count: 70, held: 70, seed: 25, unread: 9, muted: true, prefix: 'oss-',
      }),
    ]),
    account('acc-home', {
      label: 'Home Lab',
      url: 'ws://homelab.lan:4000/socket',
      status: {
        state: 'expired', retryInMs: 30000, message: 'session expired: the server refused the token',
      },
    }, [
      makeChannel('lobby', 'lobby', { count: 10, held: 10, seed: 31, prefix: 'home-' }),
      makeChannel('garden', 'garden', { count: 40, held: 40, seed: 32, unread: 1, prefix: 'home-' }),
      makeChannel('3d-printing', '3d-printing', { count: 25, held: 25, seed: 33, prefix: 'home-' }),
    ]),
  ];
  let activeAccount = accounts.some((a) => a.id === params.get('account'))
    ? params.get('account') : (accounts[0]?.id ?? null);
  let title = '';

  function accountOf(id) {
    const a = accounts.find((x) => x.id === id);
    if (!a) throw { kind: 'not_found', message: `no account ${id}` };
    return a;
  }
  const byId = (id, acc = ACCOUNT) => accounts.find((a) => a.id === acc)?.channels.find((c) => c.id === id);
  const channelOf = (acc, id) => {
    const ch = accountOf(acc).channels.find((c) => c.id === id);
    if (!ch) throw { kind: 'not_found', message: `no channel ${id}` };
    return ch;
  };

  // The firehose: 100k messages that exist only when asked for.
  function lazyAt(ch, pos) {
    const key = `firehose-${pos}`;
    if (ch.extra.has(key)) return ch.extra.get(key);
    const author = OTHERS[(pos * 7 + Math.floor(pos / 3)) % OTHERS.length];
    const m = {
      id: key,
      userKey: author,
      text: `Load test message #${pos + 1}. ${SENTENCES[pos % SENTENCES.length]}`,
      time: Date.now() - (ch.count - pos) * 45_000,
      replyToId: null,
      reactions: {},
    };
    ch.extra.set(key, m);
    if (ch.extra.size > 5000) ch.extra.delete(ch.extra.keys().next().value);
    return m;
  }

  const firstHeld = (ch) => ch.count - ch.held;
  function at(ch, index) {
    const pos = firstHeld(ch) + index;
    return ch.lazy ? lazyAt(ch, pos) : ch.all[pos];
  }
  function findMessage(ch, id) {
    if (ch.lazy) return ch.extra.get(id) ?? null;
    return ch.all.find((m) => m.id === id) ?? null;
  }
  function isHeld(ch, id) {
    if (ch.lazy) return ch.extra.has(id);
    const i = ch.all.findIndex((m) => m.id === id);
    return i >= firstHeld(ch);
  }

  function reactionsOf(m) {
    return Object.entries(m.reactions)
      .filter(([, who]) => who.length > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([classifier, who]) => ({ classifier, count: who.length, mine: who.includes(ME) }));
  }

  function view(ch, m) {
    let replyTo = null;
    if (m.replyToId) {
      const t = isHeld(ch, m.replyToId) ? findMessage(ch, m.replyToId) : null;
      replyTo = t ? { id: t.id, userName: USERS[t.userKey] ?? t.userKey, text: t.text.slice(0, 200) }
        : { id: m.replyToId, missing: true };
    }
    return {
      id: m.id,
      text: m.text,
      userKey: m.userKey,
      userName: USERS[m.userKey] ?? m.userKey,
      insertedAt: naive(m.time),
      mine: m.userKey === ME,
      replyTo,
      reactions: reactionsOf(m),
      ...(m.clientId ? { clientId: m.clientId } : {}),
    };
  }

  // Decorate #general's newest messages: replies, reactions, an XSS probe.
  (function decorate() {
    const g = byId('general');
    const n = g.all.length;
    const m = (k) => g.all[n - k];
    m(2).text = '<img src=x onerror=alert(1)> should show literally, and so should <script>alert("x")</script> & &amp;';
    m(2).userKey = 'farid';
    m(3).replyToId = m(9).id;
    m(3).text = 'Yes, that is exactly the plan. I will open the PR after lunch.';
    m(3).userKey = 'alice';
    m(6).replyToId = g.all[10].id; // not held by the backend: missing
    m(6).text = 'Replying to something from way back: this still holds.';
    m(6).userKey = 'carol';
    m(9).text = 'Should we batch UI events per animation frame?\nIt would keep the webview responsive during floods.';
    m(9).userKey = 'dmitri';
    m(1).text = 'Sounds good 👍';
    m(1).userKey = ME;
    m(1).time = Date.now() - 60_000;
    m(2).time = Date.now() - 3 * 60_000;
    m(3).reactions = { LAUGH: ['bob', 'carol'], LOVE: [ME] };
    m(9).reactions = { SMILE: ['alice', ME, 'emma'], WOW: ['bob'] };
    m(5).reactions = { UNHAPPY: ['hiro'] };
  })();

  const presence = {
    general: [
      { userKey: ME, name: USERS[ME], online: true, typing: false },
      { userKey: 'alice', name: USERS.alice, online: true, typing: true },
      { userKey: 'bob', name: USERS.bob, online: true, typing: false },
      { userKey: 'carol', name: USERS.carol, online: true, typing: false },
      { userKey: 'dmitri', name: USERS.dmitri, online: false, typing: false },
      { userKey: 'emma', name: USERS.emma, online: true, typing: false },
      { userKey: 'farid', name: USERS.farid, online: false, typing: false },
      { userKey: 'grace', name: USERS.grace, online: false, typing: false },
      { userKey: 'hiro', name: USERS.hiro, online: false, typing: false },
    ],
  };
  accounts[0].presence = presence;
  const demoAccount = accounts[0];
  if (params.has('accounts')) {
    accounts.splice(Number(params.get('accounts')));
    if (!accounts.some((a) => a.id === activeAccount)) activeAccount = accounts[0]?.id ?? null;
  }
  const presenceOf = (acc, id) => acc.presence[id]
    ?? OTHERS.slice(0, 4).map((k, i) => ({ userKey: k, name: USERS[k], online: i < 2, typing: false }));

  const listeners = new Map();
  function emit(name, payload) {
    for (const handler of [...(listeners.get(name) ?? [])]) {
      handler({ event: name, id: 0, payload: clone(payload) });
    }
  }

  const channelList = (acc) => acc.channels.map((c) => ({
    id: c.id, name: c.name, unread: c.unread, muted: c.muted,
  }));
  const unreadOf = (acc) => acc.channels.reduce((n, c) => n + (c.muted ? 0 : c.unread), 0);
  const accountView = (a) => ({
    id: a.id,
    label: a.label,
    userKey: a.userKey,
    userName: a.userName,
    kind: a.kind,
    url: a.url,
    status: { ...a.status },
    unread: unreadOf(a),
    muted: a.muted,
  });
  const emitAccounts = () => emit('chat://accounts', { accounts: accounts.map(accountView) });
  const emitChannels = (acc) => emit('chat://channels', { account: acc.id, channels: channelList(acc) });
  const onScreen = (acc, ch) => activeAccount === acc.id && acc.openId === ch.id;

  function setStatus(acc, status) {
    acc.status = status;
    emit('chat://status', { account: acc.id, ...status });
    emitAccounts();
  }

  function post(ch, userKey, text, replyToId = null, acc = demoAccount, clientId = null) {
    const last = ch.lazy ? null : ch.all[ch.all.length - 1];
    const m = {
      id: `${ch.id}-live-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
      clientId,
      userKey,
      text,
      time: Math.max(Date.now(), last ? last.time + 1000 : 0),
      replyToId,
      reactions: {},
    };
    if (ch.lazy) {
      ch.extra.set(m.id, m);
    } else {
      ch.all.push(m);
    }
    ch.count += 1;
    ch.held += 1;
    const index = ch.held - 1;
    if (ch.lazy) ch.extra.set(`firehose-${ch.count - 1}`, m);
    if (!onScreen(acc, ch) && userKey !== ME) {
      ch.unread += 1;
      emitChannels(acc);
      emitAccounts();
    }
    setTimeout(() => emit('chat://message', {
      account: acc.id, items: [{ channel: ch.id, message: view(ch, m), index }],
    }), 20);
    return view(ch, m);
  }

  const outbox = new Map(); // clientId -> { acc, ch, pending }
  function deliver(clientId, ms) {
    setTimeout(() => {
      const item = outbox.get(clientId);
      if (!item || item.acc.status?.state !== 'connected') return;
      const { acc, ch, pending } = item;
      if (/refuse/.test(pending.text)) {
        item.pending = { ...pending, state: 'failed', reason: 'the server refused the message' };
        emit('chat://outbox', { account: acc.id, items: [{ channel: ch.id, clientId, state: 'failed', reason: item.pending.reason }] });
        return;
      }
      outbox.delete(clientId);
      post(ch, ME, pending.text, pending.replyTo?.id ?? null, acc, clientId);
      setTimeout(() => emit('chat://outbox', { account: acc.id, items: [{ channel: ch.id, clientId, state: 'sent' }] }), 25);
    }, ms);
  }

  // add_account / edit_account: what a real backend would find when
  // connecting with this spec.
  const keychainTries = new Map();
  function check(spec) {
    const url = String(spec?.url ?? '');
    let host = '';
    try {
      host = new URL(url).host;
    } catch {
      // reported below
    }
    if (!/^wss?:\/\//.test(url) || !host) {
      throw { kind: 'invalid', field: 'url', message: 'The URL must start with wss:// or ws://.' };
    }
    const label = String(spec.label ?? '');
    if (host.includes('nowhere')) {
      throw { kind: 'unreachable', message: `${host}: connection refused (os error 111)` };
    }
    if (host.includes('badcert')) {
      throw { kind: 'tls', message: 'invalid peer certificate: UnknownIssuer' };
    }
    if (spec.tokenCommand && spec.tokenCommand.includes('fail')) {
      throw {
        kind: 'token_command',
        message: `\`${spec.tokenCommand}\` exited with status 1: Error: chatpi/work is not in the password store.`,
      };
    }
    if (spec.authorizationToken === 'refused') {
      throw { kind: 'token_refused', message: 'HTTP 403 Forbidden' };
    }
    if (/empty/i.test(label)) throw { kind: 'no_chats', message: 'the token sees no chats' };
    if (/keychain/i.test(label)) {
      const n = (keychainTries.get(label) ?? 0) + 1;
      keychainTries.set(label, n);
      if (n === 1) {
        throw {
          kind: 'keychain',
          message: 'The name org.freedesktop.secrets was not provided by any .service files',
        };
      }
    }
    return host;
  }

  const delay = (ms) => new Promise((r) => setTimeout(r, ms));
  let nextAccount = 1;

  const commands = {
    app_state: () => ({ accounts: accounts.map(accountView), activeAccount }),
    list_channels: ({ account: id }) => channelList(accountOf(id)),
    open_channel({ account: id, channel }) {
      const acc = accountOf(id);
      const ch = channelOf(id, channel);
      acc.openId = channel;
      activeAccount = id;
      ch.unread = 0;
      setTimeout(() => {
        emitChannels(acc);
        emitAccounts();
      }, 10);
      const n = Math.min(100, ch.held);
      const messages = [];
      for (let k = ch.held - n; k < ch.held; k += 1) messages.push(view(ch, at(ch, k)));
      const pending = [...outbox.values()]
        .filter((o) => o.acc.id === id && o.ch.id === channel).map((o) => o.pending);
      return { total: ch.held, messages, hasOlder: ch.held < ch.count, pending };
    },
    fetch_window({ account: id, channel, start, count }) {
      const ch = channelOf(id, channel);
      const s = Math.max(0, Math.min(start, ch.held));
      const e = Math.max(s, Math.min(ch.held, start + count));
      const messages = [];
      for (let k = s; k < e; k += 1) messages.push(view(ch, at(ch, k)));
      return { total: ch.held, start: s, messages };
    },
    load_older({ account: id, channel }) {
      const ch = channelOf(id, channel);
      const added = Math.min(100, ch.count - ch.held);
      ch.held += added;
      return { added, total: ch.held, hasOlder: ch.held < ch.count };
    },
    // Queued at once; stored a moment later when the account is
    // connected, refused when the text says "refuse", else left pending.
    send_message({ account: id, channel, text, replyTo }) {
      const acc = accountOf(id);
      const ch = channelOf(id, channel);
      const clientId = `cid-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
      const quoted = replyTo ? view(ch, { id: '', text: '', userKey: ME, time: 0, reactions: {}, replyToId: replyTo }).replyTo : null;
      const pending = { clientId, channel, text, replyTo: quoted, state: 'pending' };
      outbox.set(clientId, { acc, ch, pending });
      deliver(clientId, 300);
      return pending;
    },
    retry_message({ clientId }) {
      const item = outbox.get(clientId);
      if (!item) throw { kind: 'error', message: `no queued message with client id ${clientId}` };
      item.pending = { ...item.pending, state: 'pending', reason: undefined, text: item.pending.text.replace(/refuse/g, 'accept') };
      emit('chat://outbox', { account: item.acc.id, items: [{ channel: item.ch.id, clientId, state: 'pending', pending: item.pending }] });
      deliver(clientId, 300);
      return null;
    },
    discard_message({ clientId }) {
      const item = outbox.get(clientId);
      if (!item) return null;
      outbox.delete(clientId);
      setTimeout(() => emit('chat://outbox', { account: item.acc.id, items: [{ channel: item.ch.id, clientId, state: 'discarded' }] }), 10);
      return null;
    },
    react({ account: id, channel, messageId, classifier }) {
      const ch = channelOf(id, channel);
      const m = findMessage(ch, messageId);
      if (!m) throw { kind: 'not_found', message: 'no such message' };
      const kind = String(classifier).toUpperCase();
      const who = m.reactions[kind] ?? [];
      m.reactions[kind] = who.includes(ME) ? who.filter((k) => k !== ME) : [...who, ME];
      setTimeout(() => emit('chat://reaction', {
        account: id, items: [{ channel, messageId, reactions: reactionsOf(m) }],
      }), 20);
      return null;
    },
    set_typing: () => null,
    mark_read({ account: id, channel }) {
      channelOf(id, channel).unread = 0;
      setTimeout(emitAccounts, 10);
      return null;
    },
    presence: ({ account: id, channel }) => presenceOf(accountOf(id), channel),

    async add_account({ spec }) {
      await delay(CONNECT_MS);
      const host = check(spec);
      const id = `acc-new-${nextAccount}`;
      nextAccount += 1;
      const p = `${id}-`;
      const acc = account(id, {
        label: spec.label, url: spec.url, kind: /^(127\.|localhost)/.test(host) ? 'local' : 'remote',
      }, [
        makeChannel('lobby', 'lobby', { count: 6, held: 6, seed: 40 + nextAccount, prefix: p }),
        makeChannel('general', 'general', { count: 30, held: 30, seed: 50 + nextAccount, prefix: p }),
        makeChannel('random', 'random', { count: 12, held: 12, seed: 60 + nextAccount, unread: 2, prefix: p }),
      ]);
      accounts.push(acc);
      setTimeout(emitAccounts, 10);
      return accountView(acc);
    },
    async edit_account({ account: id, spec }) {
      const acc = accountOf(id);
      await delay(CONNECT_MS);
      check({ ...spec, authorizationToken: spec.authorizationToken ?? 'kept' });
      acc.label = spec.label;
      acc.url = spec.url;
      if (spec.authorizationToken || spec.tokenCommand) acc.status = { state: 'connected' };
      setTimeout(() => {
        emit('chat://status', { account: id, ...acc.status });
        emitAccounts();
      }, 10);
      return accountView(acc);
    },
    remove_account({ account: id }) {
      const i = accounts.findIndex((a) => a.id === id);
      if (i < 0) throw { kind: 'not_found', message: `no account ${id}` };
      accounts.splice(i, 1);
      if (activeAccount === id) activeAccount = accounts[0]?.id ?? null;
      setTimeout(emitAccounts, 10);
      return null;
    },
    reorder_accounts({ order }) {
      accounts.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
      setTimeout(emitAccounts, 10);
      return null;
    },
    async set_token({ account: id, authorizationToken }) {
      const acc = accountOf(id);
      await delay(300);
      if (authorizationToken === 'refused') {
        throw { kind: 'token_refused', message: 'HTTP 403 Forbidden' };
      }
      setStatus(acc, { state: 'connecting' });
      setTimeout(() => setStatus(acc, { state: 'connected' }), 700);
      return null;
    },
    reconnect({ account: id }) {
      const acc = accountOf(id);
      const was = acc.status.state;
      setStatus(acc, { state: 'connecting' });
      // An expired token stays expired; anything else comes back.
      const next = was === 'expired'
        ? { state: 'expired', message: 'session expired: the server refused the token' }
        : { state: 'connected' };
      setTimeout(() => setStatus(acc, next), 700);
      return null;
    },
    set_muted({ account: id, channel, muted }) {
      const acc = accountOf(id);
      if (channel == null) acc.muted = Boolean(muted);
      else channelOf(id, channel).muted = Boolean(muted);
      setTimeout(() => {
        if (channel != null) emitChannels(acc);
        emitAccounts();
      }, 10);
      return null;
    },
    set_active({ account: id, channel }) {
      const acc = accountOf(id);
      activeAccount = id;
      acc.openId = channel ?? null;
      return null;
    },
    set_title({ title: t }) {
      title = String(t);
      return null;
    },
  };

  const core = {
    async invoke(cmd, args = {}) {
      await new Promise((r) => setTimeout(r, LATENCY * (0.5 + Math.random())));
      const fn = commands[cmd];
      if (!fn) throw { kind: 'unknown_command', message: `unknown command ${cmd}` };
      return clone(await fn(args));
    },
  };

  const event = {
    async listen(name, handler) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name).add(handler);
      return () => listeners.get(name)?.delete(handler);
    },
  };

  window.__TAURI__ = { core, event };
  window.__MOCK__ = {
    emit,
    post: (c, u, t, acc = ACCOUNT) => post(byId(c, acc), u, t, null, accountOf(acc)),
    byId,
    presence,
    accounts,
    get title() { return title; },
    get activeAccount() { return activeAccount; },
    navigate: (acc, channel) => emit('chat://navigate', { account: acc, channel }),
    setStatus: (acc, status) => setStatus(accountOf(acc), status),
  };

  // Connection status, then (optionally) some traffic.
  setTimeout(() => {
    const state = params.get('status');
    const demo = accounts.find((a) => a.id === ACCOUNT);
    if (!demo) return;
    if (state) {
      setStatus(demo, {
        state,
        retryInMs: state === 'reconnecting' ? 5000 : undefined,
        message: state === 'expired' ? 'the server rejected the token'
          : state === 'keychain' ? 'no secret service is running' : undefined,
      });
    } else {
      emit('chat://status', { account: ACCOUNT, state: 'connected' });
    }
  }, 400);

  if (!LIVE) return;
  const r = rng(42);
  const say = () => SENTENCES[Math.floor(r() * SENTENCES.length)];
  const someone = () => OTHERS[Math.floor(r() * OTHERS.length)];
  const demoHas = (id) => accounts.includes(demoAccount) && byId(id);
  setInterval(() => demoHas('general') && post(byId('general'), someone(), say()), 6000);
  setInterval(() => {
    const target = r() < 0.5 ? 'random' : 'design';
    if (demoHas(target)) post(byId(target), someone(), say());
  }, 9000);
  setInterval(() => {
    const oss = accounts.find((a) => a.id === 'acc-oss');
    if (oss) post(oss.channels[r() < 0.5 ? 2 : 4], someone(), say(), null, oss);
  }, 11000);
  setInterval(() => {
    const g = presence.general;
    for (const m of g) if (m.userKey !== ME) m.typing = m.online && r() < 0.2;
    emit('chat://presence', { account: ACCOUNT, channel: 'general', members: g });
  }, 4000);
})();
