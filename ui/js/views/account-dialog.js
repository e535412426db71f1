// The add/edit account dialog (#account-dialog). The backend connects
// before it saves, so submitting shows "Connecting…" until it answers,
// then either closes or says what went wrong. Saved secrets are never
// shown: when editing, the token fields start empty and empty keeps them.

import { state } from '../store.js';
import * as accounts from '../accounts.js';
import { validateSpec, describeError, FIELDS } from '../lib/account-form.js';
import { el, button } from './dom.js';
import { openModal } from './modal.js';

let open = null; // the dialog showing, if any

let uid = 0;

function field(name, labelText, {
  type = 'text', placeholder = '', hint = '', optional = false,
} = {}) {
  const id = `account-${name}-${(uid += 1)}`;
  const wrap = el('div', 'field');
  wrap.dataset.field = name;
  const label = el('label', 'field-label', labelText);
  label.htmlFor = id;
  if (optional) label.append(el('span', 'optional', 'optional'));
  const input = el('input', `input${type === 'password' ? ' secret' : ''}`);
  input.id = id;
  input.name = name;
  input.type = type;
  input.placeholder = placeholder;
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.setAttribute('autocapitalize', 'off');
  const error = el('div', 'field-error');
  error.id = `${id}-error`;
  wrap.append(label, input);
  if (hint) {
    const h = el('div', 'field-hint', hint);
    h.id = `${id}-hint`;
    input.setAttribute('aria-describedby', h.id);
    wrap.append(h);
  }
  wrap.append(error);
  return { wrap, input, error };
}

function radio(name, value, text, checked) {
  const label = el('label', 'segment');
  const input = el('input');
  input.type = 'radio';
  input.name = name;
  input.value = value;
  input.checked = checked;
  label.append(input, el('span', 'segment-text', text));
  return { label, input };
}

// account: null to add one, or the Account to edit.
export function openAccountDialog(account = null) {
  if (open) {
    open.focus();
    return;
  }
  const editing = Boolean(account);
  // The built-in local server: only its name can change.
  const local = editing && account.kind === 'local';
  const keep = editing ? 'Leave empty to keep the saved one.' : '';

  const box = el('div', 'account-dialog');
  box.id = 'account-dialog';
  const form = el('form', 'account-form');
  form.noValidate = true;
  form.autocomplete = 'off';

  const header = el('header', 'modal-header');
  const first = !editing && state.accounts.length === 0;
  let heading = first ? 'Welcome to Chatpi' : 'Add an account';
  if (editing) heading = `Edit ${account.label}`;
  const title = el('h2', 'modal-title', heading);
  title.id = 'account-dialog-title';
  box.setAttribute('aria-labelledby', title.id);
  header.append(title, el('p', 'modal-text', local
    ? 'This account is on the server built into Chatpi.'
    : editing
    ? 'Changes are checked by connecting before they are saved.'
    : `${first ? 'Add an account to start: a' : 'Connect to a'} Chatpi server. `
      + 'Tokens go to the system keychain.'));

  const f = {
    label: field('label', 'Name', { placeholder: 'Work' }),
    url: field('url', 'Server URL', {
      placeholder: 'wss://chat.example.com/socket',
      hint: 'wss://, or ws:// for a server on this machine or network.',
    }),
    apiKey: field('apiKey', 'API key', {
      placeholder: 'my-api-key',
      hint: editing && !account.apiKey ? 'Needed again to save changes.' : '',
    }),
    authorizationToken: field('authorizationToken', 'Authorization token', {
      type: 'password', placeholder: editing ? 'Unchanged' : 'Paste the token', hint: keep,
    }),
    userToken: field('userToken', 'User token', {
      type: 'password', placeholder: editing ? 'Unchanged' : '', optional: true,
    }),
    tokenCommand: field('tokenCommand', 'Token command', {
      placeholder: 'pass show chatpi/work',
      hint: editing ? 'Its output is the token. Leave empty to keep the saved command.'
        : 'Run when connecting; what it prints is the token.',
    }),
  };
  f.tokenCommand.input.classList.add('mono');
  if (editing) {
    f.label.input.value = account.label ?? '';
    f.url.input.value = account.url ?? '';
    // Not secrets, when the backend sends them along.
    if (account.apiKey) f.apiKey.input.value = account.apiKey;
    if (account.tokenCommand) f.tokenCommand.input.value = account.tokenCommand;
  }

  const source = el('fieldset', 'field token-source');
  source.append(el('legend', 'field-label', 'Token source'));
  const segments = el('div', 'segmented');
  const useCommand = Boolean(editing && account.tokenCommand);
  const paste = radio('source', 'paste', 'Paste token', !useCommand);
  const command = radio('source', 'command', 'Token command', useCommand);
  segments.append(paste.label, command.label);
  source.append(segments);

  const pasteBox = el('div', 'source-panel source-paste');
  pasteBox.append(f.authorizationToken.wrap, f.userToken.wrap);
  const commandBox = el('div', 'source-panel source-command');
  commandBox.append(f.tokenCommand.wrap);

  const error = el('div', 'error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const errorText = el('span', 'error-text');
  const retry = button('btn btn-small retry-btn', 'Retry');
  retry.hidden = true;
  error.append(errorText, retry);

  const actions = el('footer', 'modal-actions');
  const busy = el('span', 'busy');
  busy.setAttribute('role', 'status');
  busy.hidden = true;
  busy.append(el('span', 'spinner'), el('span', 'busy-text', 'Connecting…'));
  const cancel = button('btn cancel-btn', 'Cancel');
  const submit = el('button', 'btn btn-primary submit-btn', editing ? 'Save' : 'Add account');
  submit.type = 'submit';
  actions.append(busy, cancel, submit);

  const names = el('div', 'field-row');
  names.append(f.label.wrap, f.apiKey.wrap);
  if (local) {
    form.append(header, f.label.wrap, error, actions);
  } else {
    form.append(header, names, f.url.wrap, source, pasteBox, commandBox, error, actions);
  }
  box.append(form);

  let busyNow = false;
  let closed = false;

  function showSource() {
    const cmd = command.input.checked;
    pasteBox.hidden = cmd;
    commandBox.hidden = !cmd;
  }

  function clearErrors() {
    for (const name of FIELDS) {
      f[name].error.textContent = '';
      f[name].input.removeAttribute('aria-invalid');
      f[name].wrap.classList.remove('invalid');
    }
    error.hidden = true;
    errorText.textContent = '';
    retry.hidden = true;
  }

  function fieldError(name, text) {
    const x = f[name];
    if (!x) return;
    x.wrap.classList.add('invalid');
    x.input.setAttribute('aria-invalid', 'true');
    x.error.textContent = text ?? '';
    const described = [x.input.getAttribute('aria-describedby'), x.error.id].filter(Boolean);
    const ids = new Set(described.join(' ').split(' '));
    x.input.setAttribute('aria-describedby', [...ids].join(' '));
  }

  function setBusy(on) {
    busyNow = on;
    busy.hidden = !on;
    submit.disabled = on;
    retry.disabled = on;
    form.classList.toggle('is-busy', on);
    for (const x of Object.values(f)) x.input.readOnly = on;
    paste.input.disabled = on && !paste.input.checked;
    command.input.disabled = on && !command.input.checked;
  }

  function values() {
    const v = { source: command.input.checked ? 'command' : 'paste' };
    for (const name of FIELDS) v[name] = f[name].input.value;
    return v;
  }

  async function save() {
    if (busyNow) return;
    clearErrors();
    const check = validateSpec(values(), { editing, local, url: account?.url ?? '' });
    if (!check.ok) {
      const wrong = FIELDS.filter((n) => check.errors[n]);
      for (const n of wrong) fieldError(n, check.errors[n]);
      f[wrong[0]].input.focus();
      return;
    }
    setBusy(true);
    try {
      const saved = editing
        ? await accounts.editAccount(account.id, check.spec)
        : await accounts.addAccount(check.spec);
      if (closed) return;
      modal.close();
      if (!editing) accounts.switchTo(saved.id);
    } catch (err) {
      if (closed) return;
      setBusy(false);
      const d = describeError(err);
      errorText.textContent = d.text;
      error.hidden = false;
      retry.hidden = !d.retry;
      if (d.field && f[d.field]) {
        fieldError(d.field, '');
        if (d.field === 'tokenCommand') command.input.checked = true;
        if (d.field === 'authorizationToken' || d.field === 'userToken') paste.input.checked = true;
        showSource();
        f[d.field].input.focus();
      } else if (d.retry) {
        retry.focus();
      }
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    save();
  });
  retry.addEventListener('click', save);
  segments.addEventListener('change', () => {
    showSource();
    clearErrors();
  });
  form.addEventListener('input', (e) => {
    const wrap = e.target.closest('.field');
    if (wrap?.classList.contains('invalid')) {
      wrap.classList.remove('invalid');
      e.target.removeAttribute('aria-invalid');
      wrap.querySelector('.field-error').textContent = '';
    }
  });

  showSource();
  const modal = openModal(box, {
    name: 'account-dialog',
    closeOnBackdrop: false,
    initialFocus: f.label.input,
    onClose: () => {
      closed = true;
      open = null;
    },
  });
  cancel.addEventListener('click', () => modal.close());
  open = box;
  return modal;
}
