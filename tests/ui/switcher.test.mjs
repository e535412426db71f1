import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildEntries, matchWord, matchEntry, rankEntries, segments, moveSelection, entryText,
} from '../../ui/js/lib/switcher.js';

const accounts = [
  { id: 'w', label: 'Acme Corp' },
  { id: 'o', label: 'Open Source Guild', muted: true },
  { id: 'h', label: 'Home Lab' },
];
const channels = {
  w: [
    { id: 'lobby', name: 'lobby', unread: 0 },
    { id: 'general', name: 'general', unread: 0 },
    { id: 'random', name: 'random', unread: 3 },
    { id: 'design', name: 'design', unread: 12 },
    { id: 'release-train', name: 'release-train', unread: 0 },
  ],
  o: [
    { id: 'general', name: 'general', unread: 4 },
    { id: 'rust', name: 'rust', unread: 0 },
    { id: 'off-topic', name: 'off-topic', unread: 7, muted: true },
  ],
  h: [{ id: 'garden', name: 'garden', unread: 2 }],
};
const entries = buildEntries(accounts, channels);
const top = (q, opts) => rankEntries(entries, q, opts).map((e) => `${e.accountId}/${e.channelId}`);

test('entries cover every channel of every account, in rail order', () => {
  assert.equal(entries.length, 9);
  assert.equal(entries[0].text, 'Acme Corp / #lobby');
  assert.equal(entries[5].text, entryText('Open Source Guild', 'general'));
  assert.equal(entries[5].text.slice(entries[5].channelStart), 'general');
  assert.equal(entries[7].muted, true);
  assert.equal(entries[7].accountMuted, true);
  assert.deepEqual(buildEntries([{ id: 'x', label: '' }], { x: [{ id: 'a', name: 'a' }] })[0].text, 'x / #a');
  assert.deepEqual(buildEntries(undefined, undefined), []);
});

test('a word matches as a case-insensitive subsequence', () => {
  assert.deepEqual(matchWord('gen', 'Acme Corp / #general').positions, [13, 14, 15]);
  assert.ok(matchWord('ACG', 'Acme Corp / #general'));
  assert.equal(matchWord('xyz', 'Acme Corp / #general'), null);
  assert.equal(matchWord('toolongforthis', 'short'), null);
  assert.deepEqual(matchWord('', 'abc'), { score: 0, positions: [] });
});

test('a scattered match must start at a word; a substring may be anywhere', () => {
  assert.equal(matchWord('ra', 'Open Source Guild / #announcements'), null);
  assert.deepEqual(matchWord('ra', 'Acme Corp / #general').positions, [17, 18]);
  assert.deepEqual(matchWord('era', 'general').positions, [3, 4, 5]);
  assert.ok(matchWord('gnrl', 'Acme Corp / #general'));
  assert.equal(matchWord('nrl', 'Acme Corp / #general'), null);
  assert.deepEqual(top('ra'), ['w/random', 'w/general', 'w/release-train', 'o/general']);
});

test('consecutive letters and word starts score higher', () => {
  const tight = matchWord('ran', 'random').score;
  const loose = matchWord('ran', 'release-train').score;
  assert.ok(tight > loose, `${tight} > ${loose}`);
  // "rt" picks the word starts of release-train, not r…t inside "release".
  assert.deepEqual(matchWord('rt', 'release-train').positions, [0, 8]);
});

test('ranking: the channel name wins, then fuzzy matches', () => {
  assert.deepEqual(top('design').slice(0, 1), ['w/design']);
  assert.deepEqual(top('rel')[0], 'w/release-train');
  assert.deepEqual(top('rlstrn'), ['w/release-train']);
  assert.equal(top('ran')[0], 'w/random');
  assert.deepEqual(top('nothing-like-this'), []);
});

test('several words narrow across account and channel', () => {
  assert.deepEqual(top('open gen'), ['o/general']);
  assert.deepEqual(top('guild rust'), ['o/rust']);
  assert.equal(top('acme gen')[0], 'w/general');
  assert.equal(top('home')[0], 'h/garden');
  assert.deepEqual(top('#gar'), ['h/garden']);
  // A "#" word looks at the channel name only: "Guild" does not count.
  assert.ok(!top('#guild').length);
});

test('the channel on screen goes last', () => {
  const current = { accountId: 'w', channelId: 'general' };
  assert.deepEqual(top('general', { current }), ['o/general', 'w/general']);
});

test('an empty query lists loud unread channels first, muted ones not', () => {
  const current = { accountId: 'w', channelId: 'general' };
  const list = top('', { current });
  assert.deepEqual(list.slice(0, 3), ['w/design', 'w/random', 'h/garden']);
  // o/general has unread but its account is muted; o/off-topic is muted.
  assert.ok(list.indexOf('o/general') > list.indexOf('w/lobby'));
  assert.equal(list.at(-1), 'w/general');
  assert.equal(rankEntries(entries, '', { limit: 2 }).length, 2);
});

test('positions come along for highlighting', () => {
  const [first] = rankEntries(entries, 'acme gen');
  assert.equal(first.text, 'Acme Corp / #general');
  const name = segments(first.channelName, first.positions, first.channelStart);
  assert.deepEqual(name, [{ text: 'gen', hit: true }, { text: 'eral', hit: false }]);
  const label = segments(first.accountLabel, first.positions.filter((p) => p < first.channelStart));
  assert.deepEqual(label[0], { text: 'Acme', hit: true });
  assert.deepEqual(segments('', [1]), []);
});

test('matchEntry ignores blank queries', () => {
  assert.deepEqual(matchEntry('   ', entries[0]), { score: 0, positions: [] });
});

test('arrow keys wrap around', () => {
  assert.equal(moveSelection(0, 1, 3), 1);
  assert.equal(moveSelection(2, 1, 3), 0);
  assert.equal(moveSelection(0, -1, 3), 2);
  assert.equal(moveSelection(-1, 1, 3), 0);
  assert.equal(moveSelection(-1, -1, 3), 2);
  assert.equal(moveSelection(0, 1, 0), -1);
});
