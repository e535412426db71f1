import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typingNames, typingText } from '../../ui/js/lib/typing.js';

test('typing text for none, one, two and many', () => {
  assert.equal(typingText([]), '');
  assert.equal(typingText(undefined), '');
  assert.equal(typingText(['Alice']), 'Alice is typing…');
  assert.equal(typingText(['Alice', 'Bob']), 'Alice and Bob are typing…');
  assert.equal(typingText(['Alice', 'Bob', 'Carol']), '3 people are typing…');
  assert.equal(typingText(['a', 'b', 'c', 'd', 'e']), '5 people are typing…');
});

test('typing names skip me, idle members and duplicates', () => {
  const members = [
    { userKey: 'me', name: 'Me', online: true, typing: true },
    { userKey: 'alice', name: 'Alice', online: true, typing: true },
    { userKey: 'bob', name: 'Bob', online: true, typing: false },
    { userKey: 'alice', name: 'Alice', online: true, typing: true },
    { userKey: 'carol', name: '', online: true, typing: true },
  ];
  assert.deepEqual(typingNames(members, 'me'), ['Alice', 'carol']);
  assert.deepEqual(typingNames(null, 'me'), []);
});
