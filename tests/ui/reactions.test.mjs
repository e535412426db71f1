import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLASSIFIERS, emojiFor, reactionLabel, reactionTitle, normalizeClassifier,
} from '../../ui/js/lib/reactions.js';

test('the five classifiers map to emoji', () => {
  assert.deepEqual(CLASSIFIERS, ['LAUGH', 'CRY', 'SMILE', 'LOVE', 'UNHAPPY']);
  assert.deepEqual(CLASSIFIERS.map(emojiFor), ['😂', '😢', '😊', '❤️', '😞']);
});

test('classifiers are case-insensitive', () => {
  assert.equal(emojiFor('laugh'), '😂');
  assert.equal(emojiFor(' Love '), '❤️');
  assert.equal(normalizeClassifier('unHappy'), 'UNHAPPY');
});

test('unknown classifiers show as text', () => {
  assert.equal(emojiFor('WOW'), null);
  assert.equal(reactionLabel('wow'), 'wow');
  assert.equal(reactionLabel('smile'), '😊');
  assert.equal(reactionLabel(undefined), '');
});

test('titles say who reacted', () => {
  assert.equal(reactionTitle('LAUGH', 1, true), 'You reacted with laugh');
  assert.equal(reactionTitle('LAUGH', 2, true), 'You and 1 other reacted with laugh');
  assert.equal(reactionTitle('LAUGH', 3, true), 'You and 2 others reacted with laugh');
  assert.equal(reactionTitle('CRY', 1, false), '1 person reacted with cry');
  assert.equal(reactionTitle('CRY', 4, false), '4 people reacted with cry');
});
