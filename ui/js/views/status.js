// The connection status line at the top of the main pane: hidden while
// connected (after a brief "Connected" when coming back), a countdown
// while reconnecting, and a plain statement when offline or expired.
// Also shows short-lived notices (failed commands).

import { state, on } from '../store.js';

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
      return status.message
        ? `Session expired: ${status.message}`
        : 'Session expired. Sign in again.';
    default:
      return '';
  }
}

export function mountStatus(root) {
  const bar = root.querySelector('#status');
  const text = bar.querySelector('.status-text');
  const dot = root.querySelector('#me-status');
  let current = { state: 'unknown' };
  let ticker = 0;
  let hideTimer = 0;
  let notice = null;
  let noticeTimer = 0;

  function draw() {
    clearInterval(ticker);
    ticker = 0;
    if (notice) {
      bar.dataset.state = current.state;
      bar.classList.add('notice');
      bar.classList.remove('collapsed');
      text.textContent = notice.text;
      return;
    }
    bar.classList.remove('notice');
    bar.dataset.state = current.state;
    text.textContent = describe(current);
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

  on('status', (status) => {
    const previous = current.state;
    clearTimeout(hideTimer);
    current = {
      ...status,
      deadline: status.retryInMs != null ? Date.now() + status.retryInMs : null,
      justBack: status.state === 'connected' && previous !== 'unknown'
        && previous !== 'connected' && previous !== 'connecting',
    };
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
