// Development only: puts the preview into states worth a screenshot.
//   act=reply     start a reply to a message and type a draft
//   act=picker    open the reaction picker on a message
//   act=top       scroll to the top of the loaded slice
//   act=selftest  run dev/selftest.js and print PASS/FAIL lines
//   act=switcher  open the quick switcher (Ctrl+K), typing `q` if given
//   act=add       open the add-account dialog; with fill=KIND, fill it in
//                 and submit (ok, unreachable, tls, refused, no_chats,
//                 command, keychain, invalid, busy)
//   act=edit      open the edit dialog of the account on screen
//   act=menu      open the account menu of the second account
//   act=channel-menu  open the channel menu of #random
//   act=remove    ask to remove the account on screen
//   act=tooltip   show the rail tooltip of the third account
//   act=expired   switch to Home Lab (expired) and open the token form
//   act=keychain  the account on screen's keychain is unavailable
const params = new URLSearchParams(location.search);
const act = params.get('act');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ready() {
  for (let i = 0; i < 100 && !document.querySelector('#messages .message'); i += 1) await sleep(50);
  await sleep(200);
}

async function run() {
  if (!act) return;
  await ready();
  if (act === 'selftest') {
    await import('./selftest.js');
    return;
  }
  const rows = [...document.querySelectorAll('#messages .message')];
  if (act === 'reply') {
    const target = rows.find((r) => r.querySelector('.reactions')) ?? rows.at(-1);
    target.querySelector('.reply-btn').click();
    const ta = document.querySelector('#composer textarea');
    ta.value = 'Good point — one more thing:\nthe picker should close on Escape.';
    ta.dispatchEvent(new Event('input'));
  } else if (act === 'picker') {
    const target = rows.at(-3);
    target.querySelector('.react-btn').click();
  } else if (act === 'top') {
    const m = document.querySelector('#messages');
    m.scrollTop = 0;
  } else if (act === 'switcher') {
    key(document.querySelector('#composer textarea'), 'k', { ctrlKey: true, code: 'KeyK' });
    const input = document.querySelector('#quick-switcher input');
    if (params.get('q')) {
      input.value = params.get('q');
      input.dispatchEvent(new Event('input'));
    }
    if (params.get('down')) {
      for (let i = 0; i < Number(params.get('down')); i += 1) key(input, 'ArrowDown');
    }
  } else if (act === 'add') {
    document.querySelector('#add-account').click();
    fill(params.get('fill'));
  } else if (act === 'edit') {
    contextMenu(document.querySelector('#account-rail .account.active'));
    document.querySelector('#account-menu [data-action="edit"]').click();
  } else if (act === 'menu') {
    contextMenu(document.querySelectorAll('#account-rail .account')[1]);
  } else if (act === 'channel-menu') {
    contextMenu(document.querySelector('#channel-list li[data-channel-id="random"]'));
  } else if (act === 'remove') {
    contextMenu(document.querySelector('#account-rail .account.active'));
    document.querySelector('#account-menu [data-action="remove"]').click();
  } else if (act === 'tooltip') {
    const b = document.querySelectorAll('#account-rail .account')[2];
    b.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
  } else if (act === 'expired') {
    document.querySelector('#account-rail .account[data-account-id="acc-home"]').click();
    await sleep(600);
    if (params.get('form') !== '0') document.querySelector('#status .status-action').click();
  } else if (act === 'keychain') {
    window.__MOCK__.setStatus('acc-demo', { state: 'keychain', message: 'no secret service is running' });
  }
}

function key(target, k, opts = {}) {
  target.dispatchEvent(new KeyboardEvent('keydown', {
    key: k, bubbles: true, cancelable: true, ...opts,
  }));
}

function contextMenu(target) {
  const r = target.getBoundingClientRect();
  target.dispatchEvent(new MouseEvent('contextmenu', {
    bubbles: true, cancelable: true, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2,
  }));
}

// The add dialog, filled so the mock answers with one kind of error.
function fill(kind) {
  if (!kind) return;
  const dialog = document.querySelector('#account-dialog');
  const set = (name, value) => {
    const input = dialog.querySelector(`[name="${name}"]`);
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };
  const specs = {
    ok: ['Side Project', 'wss://chat.side.example/socket'],
    busy: ['Side Project', 'wss://chat.side.example/socket'],
    unreachable: ['Side Project', 'wss://nowhere.example/socket'],
    tls: ['Side Project', 'wss://badcert.example/socket'],
    refused: ['Side Project', 'wss://chat.side.example/socket', 'refused'],
    no_chats: ['Empty Team', 'wss://chat.side.example/socket'],
    command: ['Work', 'wss://chat.side.example/socket', '', 'pass show chatpi/fail'],
    keychain: ['Keychain Test', 'wss://chat.side.example/socket'],
    invalid: ['', 'https://chat.side.example', ''],
  };
  const [label, url, token = 'eyJhbGciOiJIUzI1NiJ9.demo', command] = specs[kind] ?? specs.ok;
  set('label', label);
  set('url', url);
  set('apiKey', kind === 'invalid' ? '' : 'demo-key');
  if (command) {
    dialog.querySelector('input[value="command"]').click();
    set('tokenCommand', command);
  } else {
    set('authorizationToken', token);
  }
  dialog.querySelector('.submit-btn').click();
}

run();
