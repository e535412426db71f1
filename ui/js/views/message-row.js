// Builds one message row. Layout: an optional day separator, then a line
// with a gutter (avatar, or the time on hover for a grouped row) and a
// body (header, reply quote, text, reactions), and the hover actions.

import {
  formatTime, formatClock, formatFull, formatDay, hueFor, shorten,
} from '../lib/format.js';
import {
  reactionLabel, reactionTitle, normalizeClassifier, CLASSIFIERS, emojiFor,
} from '../lib/reactions.js';
import { statusText } from '../lib/outbox.js';
import { el, button, avatar } from './dom.js';

export function buildRow(msg, { grouped, dayBreak, time, now }) {
  const row = el('article', 'message');
  row.dataset.messageId = msg.id;
  if (grouped) row.classList.add('grouped');
  if (msg.mine) row.classList.add('mine');
  row.style.setProperty('--hue', String(hueFor(msg.userKey)));

  if (dayBreak && time) {
    const sep = el('div', 'day-separator');
    sep.setAttribute('role', 'separator');
    sep.append(el('span', 'day-label', formatDay(time, now)));
    row.append(sep);
  }

  const line = el('div', 'msg-line');
  const gutter = el('div', 'msg-gutter');
  const body = el('div', 'msg-body');

  if (grouped) {
    gutter.append(timeEl(time, formatClock, 'time gutter-time'));
  } else {
    gutter.append(avatar(msg.userKey, msg.userName, 'msg-avatar'));
    const header = el('div', 'msg-header');
    header.append(el('span', 'author', msg.userName || msg.userKey));
    header.append(timeEl(time, (d) => formatTime(d, now), 'time'));
    body.append(header);
  }

  if (msg.replyTo) body.append(replyQuote(msg.replyTo));
  body.append(el('div', 'text', msg.text));
  if (msg.reactions?.length) body.append(reactions(msg.reactions));

  line.append(gutter, body, actions());
  row.append(line);
  return row;
}

// One of one's own messages the server has not stored yet: its text,
// dimmed, and a line saying so, with Retry (when refused) and Discard.
// After another of one's own rows it is grouped under that one's header.
export function buildPendingRow(p, me, grouped = false) {
  const row = el('article', `message mine unsent ${p.state === 'failed' ? 'failed' : 'pending'}`);
  if (grouped) row.classList.add('grouped');
  row.dataset.clientId = p.clientId;
  row.style.setProperty('--hue', String(hueFor(me.userKey)));
  const line = el('div', 'msg-line');
  const gutter = el('div', 'msg-gutter');
  const body = el('div', 'msg-body');
  if (!grouped) {
    gutter.append(avatar(me.userKey, me.userName, 'msg-avatar'));
    const header = el('div', 'msg-header');
    header.append(el('span', 'author', me.userName || me.userKey));
    body.append(header);
  }
  if (p.replyTo) body.append(replyQuote(p.replyTo));
  body.append(el('div', 'text', p.text));
  const status = el('div', 'send-status');
  status.setAttribute('role', 'status');
  status.append(el('span', 'send-status-text', statusText(p)));
  if (p.state === 'failed') status.append(button('retry-btn link-btn', 'Retry', 'Send again'));
  status.append(button('discard-btn link-btn', 'Discard',
    p.state === 'failed' ? 'Discard this message' : 'Stop sending this message'));
  body.append(status);
  line.append(gutter, body);
  row.append(line);
  return row;
}

function timeEl(time, fmt, className) {
  const t = el('time', className, time ? fmt(time) : '');
  if (time) {
    t.dateTime = time.toISOString();
    t.title = formatFull(time);
  }
  return t;
}

function replyQuote(reply) {
  const q = el('div', 'reply-quote');
  q.dataset.target = reply.id ?? '';
  if (reply.missing) {
    q.classList.add('missing');
    q.append(el('span', 'reply-text', 'Original message not loaded'));
    return q;
  }
  q.title = 'Show the original message';
  q.append(el('span', 'reply-author', reply.userName ?? ''));
  q.append(el('span', 'reply-text', shorten(reply.text, 120)));
  return q;
}

function reactions(list) {
  const box = el('div', 'reactions');
  for (const r of list) {
    const chip = button(`reaction${r.mine ? ' mine' : ''}`, undefined,
      reactionTitle(r.classifier, r.count, r.mine));
    chip.dataset.classifier = normalizeClassifier(r.classifier);
    chip.dataset.raw = r.classifier;
    chip.setAttribute('aria-pressed', r.mine ? 'true' : 'false');
    const known = emojiFor(r.classifier) !== null;
    const label = reactionLabel(r.classifier);
    chip.append(el('span', known ? 'reaction-emoji' : 'reaction-word', label));
    chip.append(document.createTextNode(' '));
    chip.append(el('span', 'count', r.count));
    box.append(chip);
  }
  return box;
}

function actions() {
  const bar = el('div', 'msg-actions');
  bar.append(button('reply-btn', '↩', 'Reply'));
  bar.append(button('react-btn', '☺', 'Add reaction'));
  return bar;
}

// The classifier picker, opened from a row's react button.
export function buildPicker() {
  const picker = el('div', 'react-picker');
  picker.setAttribute('role', 'menu');
  for (const c of CLASSIFIERS) {
    const b = button('react-choice', emojiFor(c), c.toLowerCase());
    b.dataset.classifier = c;
    b.setAttribute('role', 'menuitem');
    picker.append(b);
  }
  return picker;
}
