import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateSpec, describeError, fieldOf, isSocketUrl,
} from '../../ui/js/lib/account-form.js';

const good = {
  label: ' Work ', url: 'wss://chat.example.com/socket', apiKey: 'k',
  source: 'paste', authorizationToken: ' tok\n', userToken: '', tokenCommand: 'ignored',
};

test('socket addresses', () => {
  assert.ok(isSocketUrl('wss://chat.example.com/socket'));
  assert.ok(isSocketUrl('ws://127.0.0.1:4000/socket'));
  assert.ok(!isSocketUrl('https://chat.example.com'));
  assert.ok(!isSocketUrl('wss://'));
  assert.ok(!isSocketUrl('chat.example.com'));
  assert.ok(!isSocketUrl(undefined));
});

test('a pasted token gives a spec with trimmed values', () => {
  const r = validateSpec(good);
  assert.equal(r.ok, true);
  assert.deepEqual(r.spec, {
    label: 'Work', url: 'wss://chat.example.com/socket', apiKey: 'k', authorizationToken: 'tok',
  });
});

test('a token command leaves the pasted tokens out', () => {
  const r = validateSpec({ ...good, source: 'command', tokenCommand: ' pass show chatpi/work ' });
  assert.equal(r.ok, true);
  assert.equal(r.spec.tokenCommand, 'pass show chatpi/work');
  assert.ok(!('authorizationToken' in r.spec));
  assert.ok(!('userToken' in r.spec));
});

test('missing and wrong fields when adding', () => {
  const r = validateSpec({ source: 'paste' });
  assert.equal(r.ok, false);
  assert.deepEqual(Object.keys(r.errors).sort(), ['apiKey', 'authorizationToken', 'label', 'url']);
  assert.match(validateSpec({ ...good, url: 'https://x.example' }).errors.url, /wss:\/\/ or ws:\/\//);
  assert.match(validateSpec({ ...good, url: 'wss://' }).errors.url, /not a valid/);
  assert.ok(validateSpec({ ...good, label: 'x'.repeat(61) }).errors.label);
  assert.ok(validateSpec({ ...good, source: 'command', tokenCommand: ' ' }).errors.tokenCommand);
});

test('editing: empty secrets are left out, which keeps the stored ones', () => {
  const r = validateSpec({
    label: 'Work', url: 'ws://localhost:4000/socket', apiKey: 'k', source: 'paste',
  }, { editing: true });
  assert.equal(r.ok, true);
  assert.deepEqual(r.spec, { label: 'Work', url: 'ws://localhost:4000/socket', apiKey: 'k' });
  assert.equal(validateSpec({
    label: 'W', url: 'ws://h', apiKey: 'k', source: 'command',
  }, { editing: true }).ok, true);
  assert.equal(validateSpec({ label: '', url: 'ws://h', apiKey: 'k' }, { editing: true }).ok, false);
  // The API key is not a secret: it is always sent, so always needed.
  assert.ok(validateSpec({ label: 'W', url: 'ws://h' }, { editing: true }).errors.apiKey);
  const both = validateSpec({ ...good, userToken: ' u ' }).spec;
  assert.equal(both.userToken, 'u');
});

test('a local account only has a name', () => {
  const r = validateSpec({ label: ' Here ', url: 'garbage' }, { editing: true, local: true, url: '' });
  assert.equal(r.ok, true);
  assert.deepEqual(r.spec, { label: 'Here', url: '', apiKey: '' });
  assert.equal(validateSpec({ label: '' }, { editing: true, local: true }).ok, false);
});

test('backend errors in words', () => {
  assert.deepEqual(describeError({ kind: 'unreachable', message: 'connection refused' }),
    { text: 'Host unreachable: connection refused', field: null, retry: false });
  assert.equal(describeError({ kind: 'unreachable', message: 'host unreachable: dns' }).text,
    'Host unreachable: dns');
  assert.equal(describeError({ kind: 'tls', message: 'bad certificate' }).text, 'TLS error: bad certificate');
  assert.equal(describeError({ kind: 'token_refused', message: '403' }).text,
    'The server refused this token (403).');
  assert.equal(describeError({ kind: 'no_chats' }).text, 'Connected, but this account sees no chats.');
  assert.equal(describeError({ kind: 'token_command', message: 'exit 1' }).text,
    'The token command failed: exit 1');
  const k = describeError({ kind: 'keychain', message: 'no secret service' });
  assert.equal(k.text, 'The keychain is unavailable: no secret service');
  assert.equal(k.retry, true);
  assert.equal(describeError({ kind: 'keychain' }).text, 'The keychain is unavailable.');
  assert.deepEqual(describeError({ kind: 'invalid', message: 'url must use wss', field: 'url' }),
    { text: 'url must use wss', field: 'url', retry: false });
  assert.equal(describeError({ kind: 'internal', message: 'boom' }).text, 'boom');
  assert.equal(describeError(undefined).text, 'internal');
});

test('which field an invalid error is about', () => {
  assert.equal(fieldOf({ field: 'api_key' }), 'apiKey');
  assert.equal(fieldOf({ field: 'authorization_token' }), 'authorizationToken');
  assert.equal(fieldOf({ field: 'token' }), 'authorizationToken');
  assert.equal(fieldOf({ message: 'the URL scheme must be ws or wss' }), 'url');
  assert.equal(fieldOf({ message: 'label is empty' }), 'label');
  assert.equal(fieldOf({ message: 'API key missing' }), 'apiKey');
  assert.equal(fieldOf({ message: 'token command is empty' }), 'tokenCommand');
  assert.equal(fieldOf({ message: 'user token malformed' }), 'userToken');
  assert.equal(fieldOf({ message: 'token is empty' }), 'authorizationToken');
  assert.equal(fieldOf({ message: 'something else' }), null);
});
