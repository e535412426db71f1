// The composer: an auto-growing textarea (Enter sends, Shift+Enter adds
// a line), the "Replying to …" banner, and typing notifications,
// throttled so the server hears "typing" at most once per 2 s. An
// unsent draft stays with its account and channel.

import { state, on, activeChannel, notify } from '../store.js';
import { api } from '../api.js';
import * as channel from '../channel.js';
import { shorten } from '../lib/format.js';
import { el } from './dom.js';

const TYPING_EVERY_MS = 2000;
const TYPING_IDLE_MS = 5000; // stop after this long without a keystroke
const MAX_LINES = 8;

export function mountComposer(root) {
  const form = root.querySelector('#composer');
  const textarea = form.querySelector('textarea');
  const sendBtn = form.querySelector('.send-btn');
  const banner = form.querySelector('.reply-banner');
  const bannerText = banner.querySelector('.reply-banner-text');
  const cancelBtn = banner.querySelector('.reply-cancel');

  let typingSentAt = 0;
  let typingOn = null; // { account, channel } we told "typing", or null
  let idleTimer = 0;
  const drafts = new Map(); // "account\nchannel" -> text
  let draftKey = null;

  const here = () => (state.account && state.active
    ? { account: state.account.id, channel: state.active } : null);
  const sameAs = (a, b) => a && b && a.account === b.account && a.channel === b.channel;

  function setTyping(typing) {
    const target = typing ? here() : typingOn;
    if (!target) return;
    typingOn = typing ? target : null;
    api.setTyping(target.account, target.channel, typing).catch(() => {});
  }

  function stopTyping() {
    clearTimeout(idleTimer);
    typingSentAt = 0;
    if (typingOn) setTyping(false);
  }

  function onInput() {
    grow();
    sendBtn.disabled = textarea.value.trim() === '';
    if (textarea.value.trim() === '') {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (now - typingSentAt >= TYPING_EVERY_MS || !sameAs(typingOn, here())) {
      typingSentAt = now;
      setTyping(true);
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  // Height follows the content up to MAX_LINES, then it scrolls.
  function grow() {
    const cs = getComputedStyle(textarea);
    const line = parseFloat(cs.lineHeight) || 20;
    const pad = parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom);
    textarea.style.height = 'auto';
    const max = line * MAX_LINES + pad;
    textarea.style.height = `${Math.min(textarea.scrollHeight, max)}px`;
    textarea.style.overflowY = textarea.scrollHeight > max ? 'auto' : 'hidden';
  }

  async function submit() {
    const text = textarea.value;
    if (text.trim() === '' || !state.active) return;
    stopTyping();
    textarea.value = '';
    onInput();
    try {
      await channel.send(text);
    } catch (error) {
      // Give the text back unless the user already typed something new.
      if (textarea.value === '') {
        textarea.value = text;
        onInput();
      }
      notify(`Couldn't send: ${error.message}`);
    }
  }

  function drawReply(reply) {
    banner.hidden = !reply;
    bannerText.replaceChildren();
    if (!reply) return;
    bannerText.append('Replying to ', el('strong', 'reply-banner-author', reply.userName),
      ': ', el('span', 'reply-banner-quote', shorten(reply.text, 100)));
    textarea.focus();
  }

  function drawPlaceholder() {
    const ch = activeChannel();
    textarea.placeholder = ch ? `Message #${ch.name}` : 'Message';
  }

  textarea.addEventListener('input', onInput);
  textarea.addEventListener('blur', stopTyping);
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey) {
      e.preventDefault();
      submit();
    }
  });
  // Escape cancels a reply from anywhere, unless something closer to the
  // user (the reaction picker) took it first.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented || !state.reply) return;
    e.preventDefault();
    channel.setReply(null);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  cancelBtn.addEventListener('click', () => {
    channel.setReply(null);
    textarea.focus();
  });
  on('reply', drawReply);
  // Keeps the draft of the channel left, brings back the one of the
  // channel opened.
  function swapDraft() {
    const at = here();
    const key = at ? `${at.account}\n${at.channel}` : null;
    if (key === draftKey) return;
    if (draftKey !== null) {
      if (textarea.value.trim()) drafts.set(draftKey, textarea.value);
      else drafts.delete(draftKey);
    }
    draftKey = key;
    if (key === null) return;
    textarea.value = drafts.get(key) ?? '';
    drafts.delete(key);
    onInput();
  }

  on('active', () => {
    stopTyping();
    swapDraft();
    drawPlaceholder();
    textarea.disabled = !state.active;
    if (state.active && !state.modal) textarea.focus({ preventScroll: true });
  });
  on('channels', drawPlaceholder);
  window.addEventListener('resize', grow);
  drawReply(null);
  drawPlaceholder();
  onInput();
}
