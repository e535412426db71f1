// The message list: a scroller holding only the rows on screen plus an
// overscan, between two spacers sized from measured or estimated row
// heights (lib/windowing.js). It keeps the reader's place when rows come
// and go above it, follows new messages only when already at the bottom,
// and asks the channel controller for more history near either end.
// One's own unsent messages (state.outbox) follow the newest message
// while the slice is live.

import { state, on, activeChannel } from '../store.js';
import * as channel from '../channel.js';
import * as T from '../lib/timeline.js';
import {
  prefixOffsets, visibleRange, anchorAt, offsetFor, estimateRowHeight,
} from '../lib/windowing.js';
import { rowFlags } from '../lib/grouping.js';
import { parseTimestamp } from '../lib/format.js';
import { buildRow, buildPicker, buildPendingRow } from './message-row.js';
import { el, reconcile } from './dom.js';
import { api, startup } from '../api.js';

const OVERSCAN = 6;
const NEAR_EDGE_PX = 700; // fetch more when this close to an end
const BOTTOM_SLACK_PX = 40; // "at the bottom" tolerance
const METRICS = {
  lineHeight: 22, headerHeight: 22, padding: 10, groupedPadding: 4,
  replyHeight: 34, reactionsHeight: 34, dayHeight: 46,
};
const AVG_CHAR_PX = 7.4;

export function mountMessages(root) {
  const scroller = root.querySelector('#messages');
  const pill = root.querySelector('#new-pill');
  const head = el('div', 'list-head');
  const topSpacer = el('div', 'spacer');
  const rowsEl = el('div', 'rows');
  const bottomSpacer = el('div', 'spacer');
  const pendingEl = el('div', 'unsent-rows');
  const foot = el('div', 'list-foot');
  scroller.replaceChildren(
    el('div', 'filler'), head, topSpacer, rowsEl, bottomSpacer, pendingEl, foot,
  );

  const times = new WeakMap(); // message -> Date
  const measured = new Map(); // id -> { msg, flags, h }
  const rows = new Map(); // id -> { el, msg, flags, day }
  let layout = { ids: [], offsets: prefixOffsets([]), listTop: 0 };
  let stick = true;
  let forcedAnchor = null;
  let frame = 0;
  let unseen = false;
  let picker = null; // { id, el }
  let painted = false;

  function timeOf(msg) {
    if (!times.has(msg)) times.set(msg, parseTimestamp(msg.insertedAt));
    return times.get(msg);
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  function metas(items) {
    const out = new Array(items.length);
    let prev = null;
    for (let i = 0; i < items.length; i += 1) {
      const m = items[i];
      const cur = { userKey: m.userKey, time: timeOf(m) };
      const f = rowFlags(prev, cur);
      const flags = `${f.grouped ? 'g' : ''}${f.dayBreak ? 'd' : ''}`;
      out[i] = { msg: m, time: cur.time, flags, ...f };
      prev = cur;
    }
    return out;
  }

  function heightOf(meta, charsPerLine) {
    const known = measured.get(meta.msg.id);
    if (known && known.msg === meta.msg && known.flags === meta.flags) return known.h;
    return estimateRowHeight({
      text: meta.msg.text,
      grouped: meta.grouped,
      dayBreak: meta.dayBreak,
      reply: Boolean(meta.msg.replyTo),
      reactions: meta.msg.reactions?.length > 0,
    }, { ...METRICS, charsPerLine });
  }

  function rowFor(meta, now, day) {
    const cached = rows.get(meta.msg.id);
    if (cached && cached.msg === meta.msg && cached.flags === meta.flags && cached.day === day) {
      return cached.el;
    }
    const { grouped, dayBreak, time } = meta;
    const node = buildRow(meta.msg, { grouped, dayBreak, time, now });
    rows.set(meta.msg.id, { el: node, msg: meta.msg, flags: meta.flags, day });
    if (picker?.id === meta.msg.id) closePicker();
    return node;
  }

  // The list's ends change rarely; redrawing them on every scroll frame
  // would restart the spinner, so they are keyed.
  let endsKey = '';
  function drawEnds(tl) {
    const name = activeChannel()?.name ?? '';
    const beginning = T.atBeginning(tl) && !channel.isOpening();
    const live = T.isLive(tl);
    const none = emptyText();
    const key = `${beginning}|${live}|${name}|${tl.items.length > 0}|${none}`;
    if (key === endsKey) return;
    endsKey = key;
    head.replaceChildren();
    foot.replaceChildren();
    if (none !== null) {
      // No channel on screen: a line saying why, or nothing during a switch.
      head.className = 'list-head nothing';
      if (none) head.append(el('div', 'beginning-text', none));
      foot.classList.remove('loading');
      return;
    }
    head.className = `list-head ${beginning ? 'beginning' : 'loading'}`;
    if (beginning) {
      head.append(el('div', 'beginning-title', `# ${name}`));
      head.append(el('div', 'beginning-text', tl.items.length
        ? `Beginning of #${name}` : `Beginning of #${name}. No messages yet.`));
    } else {
      head.append(el('span', 'spinner'), el('span', 'loading-text', 'Loading…'));
    }
    foot.classList.toggle('loading', !live);
    if (!live) foot.append(el('span', 'spinner'), el('span', 'loading-text', 'Loading…'));
  }

  // null when a channel is open; otherwise what to say ('' for nothing).
  function emptyText() {
    if (state.active) return null;
    if (!state.account) return state.accounts.length ? '' : 'No account yet. Add one with +.';
    const channels = state.channelsByAccount[state.account.id];
    if (channels && channels.length === 0) return 'This account sees no channels yet.';
    return '';
  }

  // Unsent rows are few; they are rebuilt only when the list changes.
  let drawnOutbox = null;
  let drawnLive = null;
  function drawPending(tl) {
    const live = T.isLive(tl);
    if (drawnOutbox === state.outbox && drawnLive === live) return;
    drawnOutbox = state.outbox;
    drawnLive = live;
    const me = state.account ?? { userKey: '', userName: '' };
    const lastMine = tl.items.at(-1)?.mine === true;
    pendingEl.replaceChildren(...(live
      ? state.outbox.map((p, i) => buildPendingRow(p, me, i > 0 || lastMine))
      : []));
  }

  function render() {
    frame = 0;
    const tl = state.timeline;
    const items = tl.items;
    const now = new Date();
    const day = now.toDateString();
    const viewH = scroller.clientHeight;
    const charsPerLine = Math.max(20, (scroller.clientWidth - 100) / AVG_CHAR_PX);

    // Where the reader is, in terms of the previous layout.
    let anchor = forcedAnchor;
    forcedAnchor = null;
    if (!anchor && !stick && layout.ids.length) {
      const a = anchorAt(layout.offsets, scroller.scrollTop - layout.listTop);
      if (a) anchor = { id: layout.ids[a.index], delta: a.delta };
    }

    drawEnds(tl);
    drawPending(tl);
    const ms = metas(items);
    const ids = ms.map((m) => m.msg.id);
    const index = new Map(ids.map((id, i) => [id, i]));
    let hs = ms.map((m) => heightOf(m, charsPerLine));
    let offsets = prefixOffsets(hs);

    // Estimates are replaced by measurements as rows are drawn; when they
    // differ, the window is recomputed (rarely more than twice).
    for (let pass = 0; pass < 3; pass += 1) {
      const listTop = head.offsetTop + head.offsetHeight;
      const total = offsets[offsets.length - 1];
      let top = scroller.scrollTop;
      if (stick) {
        top = listTop + total + pendingEl.offsetHeight + foot.offsetHeight - viewH;
      } else if (anchor && index.has(anchor.id)) {
        const at = { index: index.get(anchor.id), delta: anchor.delta };
        top = listTop + offsetFor(offsets, at);
      }
      const range = visibleRange({
        offsets, scrollTop: top - listTop, viewportHeight: viewH, overscan: OVERSCAN,
      });
      const nodes = [];
      for (let i = range.start; i < range.end; i += 1) nodes.push(rowFor(ms[i], now, day));
      reconcile(rowsEl, nodes);

      let changed = false;
      for (let i = range.start; i < range.end; i += 1) {
        const h = nodes[i - range.start].getBoundingClientRect().height;
        measured.set(ms[i].msg.id, { msg: ms[i].msg, flags: ms[i].flags, h });
        if (Math.abs(h - hs[i]) > 0.5) changed = true;
      }
      if (changed) {
        hs = ms.map((m) => heightOf(m, charsPerLine));
        offsets = prefixOffsets(hs);
      }
      // Spacers from the latest offsets always match the rows drawn.
      topSpacer.style.height = `${offsets[range.start]}px`;
      bottomSpacer.style.height = `${offsets[offsets.length - 1] - offsets[range.end]}px`;
      if (stick) {
        scroller.scrollTop = scroller.scrollHeight;
      } else if (anchor && index.has(anchor.id)) {
        const at = { index: index.get(anchor.id), delta: anchor.delta };
        scroller.scrollTop = listTop + offsetFor(offsets, at);
      }
      layout = { ids, offsets, listTop };
      if (!changed) break;
    }

    prune(index);
    afterRender(tl);
  }

  // Forget rows and heights of messages no longer in the slice.
  function prune(index) {
    for (const id of rows.keys()) if (!index.has(id)) rows.delete(id);
    if (measured.size > index.size * 2 + 200) {
      for (const id of measured.keys()) if (!index.has(id)) measured.delete(id);
    }
  }

  function distanceFromBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  }

  function afterRender(tl) {
    if (!painted && tl.items.length) {
      // Render runs in an animation frame, before the paint; a timer set
      // here fires after it.
      painted = true;
      startup.firstRender = Math.round(performance.now());
      setTimeout(() => {
        startup.painted = Math.round(performance.now());
        api.firstPaint();
      }, 0);
    }
    const atBottom = distanceFromBottom() <= BOTTOM_SLACK_PX;
    if (atBottom && T.isLive(tl)) unseen = false;
    pill.hidden = !unseen;
    state.view.atBottom = stick;

    if (channel.isOpening()) return;
    if (scroller.scrollTop - layout.listTop < NEAR_EDGE_PX && !T.atBeginning(tl)) {
      channel.loadOlder();
    }
    if (distanceFromBottom() < NEAR_EDGE_PX && !T.isLive(tl)) channel.loadNewer();
    if (atBottom && T.isLive(tl) && tl.items.length && !document.hidden) channel.markRead();
  }

  // The picker stays open while scrolling: a click on it may first
  // scroll it into view.
  function onScroll() {
    stick = distanceFromBottom() <= BOTTOM_SLACK_PX && T.isLive(state.timeline);
    state.view.atBottom = stick;
    schedule();
  }

  function onTimeline(tl, detail = {}) {
    if (detail.kind === 'reset') {
      stick = true;
      unseen = false;
      closePicker();
      if (detail.opening) {
        rows.clear();
        rowsEl.replaceChildren();
        layout = { ids: [], offsets: prefixOffsets([]), listTop: 0 };
      }
    }
    if (detail.own) stick = true;
    if (detail.kind === 'live' && (detail.appended || detail.gap) && !stick && !detail.own) {
      unseen = true;
    }
    schedule();
  }

  function onPendingClick(event) {
    const rowEl = event.target.closest('.message.unsent');
    if (!rowEl) return;
    const id = rowEl.dataset.clientId;
    if (event.target.closest('.retry-btn')) channel.retry(id);
    else if (event.target.closest('.discard-btn')) channel.discard(id);
    else if (event.target.closest('.reply-quote:not(.missing)')) {
      scrollToMessage(event.target.closest('.reply-quote').dataset.target);
    }
  }

  // Clicks on rows: actions, picker choices, reaction chips, quotes.
  function onClick(event) {
    const target = event.target;
    const rowEl = target.closest('.message');
    if (!rowEl) return;
    const id = rowEl.dataset.messageId;
    const msg = state.timeline.items.find((m) => m.id === id);
    if (!msg) return;
    if (target.closest('.reply-btn')) {
      channel.setReply(msg);
    } else if (target.closest('.react-btn')) {
      if (picker?.id === id) closePicker();
      // Keyboard activation (detail 0) moves focus into the picker.
      else openPicker(id, rowEl, event.detail === 0);
    } else if (target.closest('.react-choice')) {
      channel.react(id, target.closest('.react-choice').dataset.classifier);
      closePicker();
    } else if (target.closest('.reaction')) {
      channel.react(id, target.closest('.reaction').dataset.raw);
    } else if (target.closest('.reply-quote:not(.missing)')) {
      scrollToMessage(target.closest('.reply-quote').dataset.target);
    }
  }

  function openPicker(id, rowEl, focus) {
    closePicker();
    const node = buildPicker();
    // Near the bottom of the list the picker opens upwards, unclipped.
    const room = scroller.getBoundingClientRect().bottom - rowEl.getBoundingClientRect().top;
    node.classList.toggle('up', room < 110);
    rowEl.querySelector('.msg-actions').append(node);
    rowEl.classList.add('picking');
    picker = { id, el: node, row: rowEl };
    if (focus) node.querySelector('button')?.focus({ preventScroll: true });
  }

  function closePicker() {
    if (!picker) return;
    picker.el.remove();
    picker.row.classList.remove('picking');
    picker = null;
  }

  // Brings a loaded message into view and flashes it.
  function scrollToMessage(id) {
    const i = layout.ids.indexOf(id);
    if (i < 0) return;
    stick = false;
    forcedAnchor = { id, delta: -Math.round(scroller.clientHeight / 3) };
    render();
    const node = rows.get(id)?.el;
    if (node) {
      node.classList.remove('flash');
      void node.offsetWidth;
      node.classList.add('flash');
    }
  }

  pill.addEventListener('click', async () => {
    unseen = false;
    pill.hidden = true;
    if (!T.isLive(state.timeline)) await channel.jumpToLatest();
    stick = true;
    schedule();
  });
  scroller.addEventListener('scroll', onScroll, { passive: true });
  rowsEl.addEventListener('click', onClick);
  pendingEl.addEventListener('click', onPendingClick);
  document.addEventListener('click', (e) => {
    if (picker && !e.target.closest('.react-picker, .react-btn')) closePicker();
  });
  // Escape closes the picker first; the composer sees defaultPrevented.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !picker) return;
    e.preventDefault();
    closePicker();
  });
  document.addEventListener('visibilitychange', schedule);
  new ResizeObserver(schedule).observe(scroller);
  on('timeline', onTimeline);
  on('outbox', (_, detail = {}) => {
    if (detail.own) stick = true;
    schedule();
  });
  on('loadingOlder', schedule);
  on('loadingNewer', schedule);
  on('channels', schedule);
  on('active', schedule);
  on('accounts', schedule);
  // Relative times ("Yesterday") move on at midnight.
  setInterval(schedule, 60_000);
  schedule();
}
