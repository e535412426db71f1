// The add/edit account form: checking what was typed, building the spec
// for add_account / edit_account, and the words for the backend's errors.
// Pure: no DOM.

export const FIELDS = ['label', 'url', 'apiKey', 'authorizationToken', 'userToken', 'tokenCommand'];

export function isSocketUrl(text) {
  let url;
  try {
    url = new URL(String(text ?? '').trim());
  } catch {
    return false;
  }
  return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '';
}

const clean = (v) => String(v ?? '').trim();

// values: { label, url, apiKey, source: "paste" | "command",
// authorizationToken, userToken, tokenCommand }. The optional secrets are
// left out of the spec when empty; when editing, that keeps the stored
// ones. The API key is not a secret and is always sent. A local account
// (the built-in server) only has a name: its address stays as it was.
// Returns { ok, spec, errors: { field: text } }.
export function validateSpec(values, { editing = false, local = false, url: keptUrl = '' } = {}) {
  const v = values ?? {};
  const errors = {};
  const label = clean(v.label);
  const url = clean(v.url);
  const source = v.source === 'command' ? 'command' : 'paste';

  if (label === '') errors.label = 'Give the account a name.';
  else if (Array.from(label).length > 60) errors.label = 'Keep the name under 60 characters.';
  if (local) {
    return {
      ok: Object.keys(errors).length === 0, spec: { label, url: keptUrl, apiKey: '' }, errors,
    };
  }

  if (url === '') errors.url = 'Enter the server address.';
  else if (!/^wss?:\/\//iu.test(url)) errors.url = 'The address starts with wss:// or ws://.';
  else if (!isSocketUrl(url)) errors.url = 'This is not a valid address.';

  if (clean(v.apiKey) === '') errors.apiKey = 'Enter the API key.';

  const spec = { label, url, apiKey: clean(v.apiKey) };
  const put = (name) => {
    if (clean(v[name]) !== '') spec[name] = clean(v[name]);
  };
  if (source === 'paste') {
    if (!editing && clean(v.authorizationToken) === '') {
      errors.authorizationToken = 'Paste the authorization token.';
    }
    put('authorizationToken');
    put('userToken');
  } else {
    if (!editing && clean(v.tokenCommand) === '') {
      errors.tokenCommand = 'Enter the command that prints the token.';
    }
    put('tokenCommand');
  }
  return { ok: Object.keys(errors).length === 0, spec, errors };
}

const camel = (s) => String(s).replace(/_([a-z])/gu, (_, c) => c.toUpperCase());

// The field an `invalid` error is about: its `field`, else a guess from
// the message.
export function fieldOf(error) {
  if (error?.field) {
    const f = camel(error.field);
    if (FIELDS.includes(f)) return f;
    if (f === 'token') return 'authorizationToken';
  }
  const m = String(error?.message ?? '').toLowerCase();
  if (/\burl\b|address|scheme/u.test(m)) return 'url';
  if (/\blabel\b|\bname\b/u.test(m)) return 'label';
  if (/api[ _-]?key/u.test(m)) return 'apiKey';
  if (/command/u.test(m)) return 'tokenCommand';
  if (/user[ _-]?token/u.test(m)) return 'userToken';
  if (/token/u.test(m)) return 'authorizationToken';
  return null;
}

// "Host unreachable: " + "host unreachable: x" would say it twice.
function prefixed(prefix, message) {
  const msg = String(message ?? '').trim();
  if (msg === '') return prefix.replace(/: $/u, '.');
  if (msg.toLowerCase().startsWith(prefix.toLowerCase())) {
    return prefix + msg.slice(prefix.length);
  }
  return prefix + msg;
}

// { kind, message } from add_account / edit_account -> what the form
// shows: { text, field (for `invalid`), retry (keychain) }.
export function describeError(error) {
  const kind = String(error?.kind ?? 'internal');
  const message = error?.message;
  switch (kind) {
    case 'unreachable':
      return { text: prefixed('Host unreachable: ', message), field: null, retry: false };
    case 'tls':
      return { text: prefixed('TLS error: ', message), field: null, retry: false };
    case 'token_refused':
      return { text: 'The server refused this token (403).', field: null, retry: false };
    case 'no_chats':
      return { text: 'Connected, but this account sees no chats.', field: null, retry: false };
    case 'token_command':
      return { text: prefixed('The token command failed: ', message), field: null, retry: false };
    case 'keychain':
      return { text: prefixed('The keychain is unavailable: ', message), field: null, retry: true };
    case 'invalid':
      return { text: String(message ?? 'Check the fields.'), field: fieldOf(error), retry: false };
    default:
      return { text: String(message ?? kind), field: null, retry: false };
  }
}
