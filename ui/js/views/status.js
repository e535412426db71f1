// The connection status line at the top of the main pane: hidden while
// connected (after a brief "Connected" when coming back), a countdown
// while reconnecting, and a plain statement when offline or expired.
// An expired session offers a small inline form for a new token
// (#token-form -> set_token); an unavailable keychain or a failed token
// command, a Retry (reconnect).
// Also shows short-lived notices (failed commands).

import { state, on } from '../store.js';
import * as accounts from '../accounts.js';
import { el, button } from './dom.js';

const NOTICE_MS = 6000;
const BACK_ONLINE_MS = 2000;

export function describe(status, now = Date.now()) {
  switch (status.state) {
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'reconnecting': {
      if (status.deadline == null) return 'Reconnecting…';
      const s = Math.ceil((status.deadline - now) / 1000);
      return s > 0 ? `Reconnecting in ${s} s…` : 'Reconnecting…';
    }
    case 'offline':
      return status.message ? `Offline: ${status.message}` : 'Offline';
    case 'expired':
      return 'Session expired — paste a new token';
    case 'keychain':
      return status.message
        ? `The keychain is unavailable: ${status.message}`
        : 'The keychain is unavailable.';
    case 'token_command':
      return status.message
        ? `The token command failed: ${status.message}`
        : 'The token command failed.';
    default:
      return '';
  }
}

// The button a state offers, if any.
const ACTIONS = {
  expired: 'Paste token',
  keychain: 'Retry',
  token_command: 'Retry',
  offline: 'Reconnect',
};

export function mountStatus(root) {
  const bar = root.querySelector('#status');
  const text = bar.querySelector('.status-text');
  const dot = root.querySelector('#me-status');

  const action = button('status-action', '');
  action.hidden = true;
  const form = el('form', 'token-form');
  form.id = 'token-form';
  form.hidden = true;
  form.autocomplete = 'off';
  const input = el('input', 'token-input');
  input.type = 'password';
  input.placeholder = 'New authorization token';
  input.setAttribute('aria-label', 'New authorization token');
  input.autocomplete = 'off';
  const save = el('button', 'status-action primary', 'Save');
  save.type = 'submit';
  const cancel = button('status-action', 'Cancel');
  const formError = el('span', 'token-error');
  formError.setAttribute('role', 'alert');
  form.append(input, save, cancel, formError);
  bar.append(action, form);

  let current = { state: 'unknown' };
  let ticker = 0;
  let hideTimer = 0;
  let notice = null;
  let noticeTimer = 0;
  let formOpen = false;
  let saving = false;

  function draw() {
    clearInterval(ticker);
    ticker = 0;
    const showForm = formOpen && current.state === 'expired';
    bar.dataset.state = current.state;
    bar.classList.toggle('has-form', showForm);
    form.hidden = !showForm;
    if (notice && !showForm) {
      bar.classList.add('notice');
      bar.classList.remove('collapsed');
      text.textContent = notice.text;
      action.hidden = true;
      return;
    }
    bar.classList.remove('notice');
    text.textContent = showForm ? 'Session expired:' : describe(current);
    const label = ACTIONS[current.state];
    action.hidden = !label || showForm;
    action.textContent = label ?? '';
    if (dot) {
      dot.dataset.state = current.state;
      dot.title = describe(current) || 'Status unknown';
    }
    const quiet = current.state === 'unknown'
      || (current.state === 'connected' && !current.justBack);
    bar.classList.toggle('collapsed', quiet);
    if (current.state === 'reconnecting' && current.deadline != null) {
      ticker = setInterval(() => {
        text.textContent = describe(current);
      }, 250);
    }
  }

  function closeForm() {
    formOpen = false;
    input.value = '';
    formError.textContent = '';
    draw();
  }

  action.addEventListener('click', () => {
    const id = state.account?.id;
    if (!id) return;
    if (current.state === 'expired') {
      formOpen = true;
      formError.textContent = '';
      draw();
      input.focus();
    } else {
      accounts.reconnect(id);
    }
  });
  cancel.addEventListener('click', closeForm);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeForm();
      action.focus();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = state.account?.id;
    const token = input.value.trim();
    if (!id || saving) return;
    if (!token) {
      formError.textContent = 'Paste the token first.';
      input.focus();
      return;
    }
    saving = true;
    save.disabled = true;
    formError.textContent = '';
    try {
      await accounts.setToken(id, token);
      if (state.account?.id === id) closeForm();
    } catch (error) {
      formError.textContent = error.kind === 'token_refused'
        ? 'The server refused this token (403).'
        : error.message;
      input.select();
    } finally {
      saving = false;
      save.disabled = false;
    }
  });

  on('status', (status, detail) => {
    const previous = current.state;
    clearTimeout(hideTimer);
    current = {
      ...status,
      deadline: status.retryInMs != null ? Date.now() + status.retryInMs : null,
      justBack: !detail?.switched && status.state === 'connected' && previous !== 'unknown'
        && previous !== 'connected' && previous !== 'connecting',
    };
    if (current.state !== 'expired' || detail?.switched) {
      formOpen = false;
      input.value = '';
      formError.textContent = '';
    }
    if (current.justBack) {
      hideTimer = setTimeout(() => {
        current = { ...current, justBack: false };
        draw();
      }, BACK_ONLINE_MS);
    }
    draw();
  });

  on('notice', (n) => {
    clearTimeout(noticeTimer);
    notice = n;
    draw();
    noticeTimer = setTimeout(() => {
      notice = null;
      draw();
    }, NOTICE_MS);
  });

  draw();
}
