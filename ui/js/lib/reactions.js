// Reaction classifiers and their emoji. The server stores a free-form
// classifier; the five known ones get an emoji, others show as text.

export const CLASSIFIERS = ['LAUGH', 'CRY', 'SMILE', 'LOVE', 'UNHAPPY'];

const EMOJI = {
  LAUGH: '😂',
  CRY: '😢',
  SMILE: '😊',
  LOVE: '❤️',
  UNHAPPY: '😞',
};

export function normalizeClassifier(classifier) {
  return String(classifier ?? '').trim().toUpperCase();
}

export function emojiFor(classifier) {
  return EMOJI[normalizeClassifier(classifier)] ?? null;
}

// What a reaction chip shows before its count.
export function reactionLabel(classifier) {
  return emojiFor(classifier) ?? String(classifier ?? '');
}

export function reactionTitle(classifier, count, mine) {
  const name = normalizeClassifier(classifier).toLowerCase();
  const who = mine
    ? (count > 1 ? `You and ${count - 1} other${count > 2 ? 's' : ''}` : 'You')
    : `${count} ${count === 1 ? 'person' : 'people'}`;
  return `${who} reacted with ${name}`;
}
