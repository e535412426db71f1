// Development only: a fake window.__TAURI__ implementing the backend API
// with made-up data, so the UI can be previewed in a plain browser
// (dev/preview.html). Query parameters:
//   live=0            no simulated traffic (stable screenshots)
//   status=STATE      emit this chat://status state at start
//   latency=MS        command latency (default 60)
//   channel=ID        channel to open first
(function installMockTauri() {
  'use strict';

  const params = new URLSearchParams(location.search);
  const LIVE = params.get('live') !== '0';
  const LATENCY = Number(params.get('latency') ?? 60);
  const ACCOUNT = 'acc-demo';
  const ME = 'sam';
  try {
    localStorage.setItem(`chatpi.lastChannel.${ACCOUNT}`, params.get('channel') ?? 'general');
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
  function makeChannel(id, name, { count, held, seed, unread = 0, lazy = false }) {
    const ch = { id, name, unread, held: Math.min(held, count), count, lazy, all: [], extra: new Map() };
    if (!lazy) {
      const r = rng(seed);
      let t = Date.now() - 2 * 60_000;
      let author = OTHERS[0];
      const list = [];
      for (let i = 0; i < count; i += 1) {
        if (r() > 0.45) author = r() < 0.12 ? ME : OTHERS[Math.floor(r() * OTHERS.length)];
        list.push({
          id: `${id}-${count - i}`,
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

  const channels = [
    makeChannel('lobby', 'lobby', { count: 24, held: 24, seed: 1 }),
    makeChannel('general', 'general', { count: 520, held: 300, seed: 7 }),
    makeChannel('random', 'random', { count: 60, held: 60, seed: 3, unread: 3 }),
    makeChannel('design', 'design', { count: 140, held: 140, seed: 11, unread: 12 }),
    makeChannel('release-train', 'release-train', { count: 8, held: 8, seed: 5 }),
    makeChannel('firehose', 'firehose', { count: 100_000, held: 100_000, seed: 0, lazy: true }),
  ];
  const byId = (id) => channels.find((c) => c.id === id);

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
  const presenceOf = (id) => presence[id]
    ?? OTHERS.slice(0, 4).map((k, i) => ({ userKey: k, name: USERS[k], online: i < 2, typing: false }));

  const listeners = new Map();
  function emit(name, payload) {
    for (const handler of [...(listeners.get(name) ?? [])]) {
      handler({ event: name, id: 0, payload: clone(payload) });
    }
  }

  let openId = null;
  const channelList = () => channels.map((c) => ({ id: c.id, name: c.name, unread: c.unread }));

  function post(ch, userKey, text, replyToId = null) {
    const last = ch.lazy ? null : ch.all[ch.all.length - 1];
    const m = {
      id: `${ch.id}-live-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
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
    if (openId !== ch.id && userKey !== ME) {
      ch.unread += 1;
      emit('chat://channels', { account: ACCOUNT, channels: channelList() });
    }
    setTimeout(() => emit('chat://message', {
      account: ACCOUNT, items: [{ channel: ch.id, message: view(ch, m), index }],
    }), 20);
    return view(ch, m);
  }

  const commands = {
    app_state: () => ({
      accounts: [{ id: ACCOUNT, label: 'Demo server · 127.0.0.1', userKey: ME, userName: USERS[ME] }],
      activeAccount: ACCOUNT,
    }),
    list_channels: () => channelList(),
    open_channel({ channel }) {
      const ch = byId(channel);
      if (!ch) throw { kind: 'not_found', message: `no channel ${channel}` };
      openId = channel;
      ch.unread = 0;
      setTimeout(() => emit('chat://channels', { account: ACCOUNT, channels: channelList() }), 10);
      const n = Math.min(100, ch.held);
      const messages = [];
      for (let k = ch.held - n; k < ch.held; k += 1) messages.push(view(ch, at(ch, k)));
      return { total: ch.held, messages, hasOlder: ch.held < ch.count };
    },
    fetch_window({ channel, start, count }) {
      const ch = byId(channel);
      const s = Math.max(0, Math.min(start, ch.held));
      const e = Math.max(s, Math.min(ch.held, start + count));
      const messages = [];
      for (let k = s; k < e; k += 1) messages.push(view(ch, at(ch, k)));
      return { total: ch.held, start: s, messages };
    },
    load_older({ channel }) {
      const ch = byId(channel);
      const added = Math.min(100, ch.count - ch.held);
      ch.held += added;
      return { added, total: ch.held, hasOlder: ch.held < ch.count };
    },
    send_message({ channel, text, replyTo }) {
      return post(byId(channel), ME, text, replyTo ?? null);
    },
    react({ channel, messageId, classifier }) {
      const ch = byId(channel);
      const m = findMessage(ch, messageId);
      if (!m) throw { kind: 'not_found', message: 'no such message' };
      const kind = String(classifier).toUpperCase();
      const who = m.reactions[kind] ?? [];
      m.reactions[kind] = who.includes(ME) ? who.filter((k) => k !== ME) : [...who, ME];
      setTimeout(() => emit('chat://reaction', {
        account: ACCOUNT, items: [{ channel, messageId, reactions: reactionsOf(m) }],
      }), 20);
      return null;
    },
    set_typing: () => null,
    mark_read({ channel }) {
      byId(channel).unread = 0;
      return null;
    },
    presence: ({ channel }) => presenceOf(channel),
  };

  const core = {
    async invoke(cmd, args = {}) {
      await new Promise((r) => setTimeout(r, LATENCY * (0.5 + Math.random())));
      const fn = commands[cmd];
      if (!fn) throw { kind: 'unknown_command', message: `unknown command ${cmd}` };
      return clone(fn(args));
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
  window.__MOCK__ = { emit, post: (c, u, t) => post(byId(c), u, t), byId, presence };

  // Connection status, then (optionally) some traffic.
  setTimeout(() => {
    const state = params.get('status');
    if (state) {
      emit('chat://status', {
        account: ACCOUNT, state, retryInMs: state === 'reconnecting' ? 5000 : undefined,
        message: state === 'expired' ? 'the server rejected the token' : undefined,
      });
    } else {
      emit('chat://status', { account: ACCOUNT, state: 'connected' });
    }
  }, 400);

  if (!LIVE) return;
  const r = rng(42);
  setInterval(() => {
    const who = OTHERS[Math.floor(r() * OTHERS.length)];
    post(byId('general'), who, SENTENCES[Math.floor(r() * SENTENCES.length)]);
  }, 6000);
  setInterval(() => {
    const target = r() < 0.5 ? 'random' : 'design';
    post(byId(target), OTHERS[Math.floor(r() * OTHERS.length)], SENTENCES[Math.floor(r() * SENTENCES.length)]);
  }, 9000);
  setInterval(() => {
    const g = presence.general;
    for (const m of g) if (m.userKey !== ME) m.typing = m.online && r() < 0.2;
    emit('chat://presence', { account: ACCOUNT, channel: 'general', members: g });
  }, 4000);
})();
