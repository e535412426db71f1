// The quick switcher (Ctrl+K): every channel of every account as an
// "Account / #channel" entry, matched against what was typed and ranked.
// Pure: no DOM.
//
// A query is split on whitespace; every word must match the entry's text
// (case-insensitive) either as a substring, or as a subsequence whose first
// letter starts a word ("rt" finds "#release-train", "ra" does not find
// "Source"). A word scores more when its letters are consecutive and start
// words ("gen" in "#general", "ac" in "Acme").

const SEP = ' / #';
const GAP = 0.03; // per character skipped between two matched letters
const CONSECUTIVE = 1;
const MAX_RESULTS = 50;

export function entryText(accountLabel, channelName) {
  return `${accountLabel}${SEP}${channelName}`;
}

// accounts in rail order; channelsByAccount: { [accountId]: [channel] }.
export function buildEntries(accounts, channelsByAccount) {
  const out = [];
  (accounts ?? []).forEach((a, accountIndex) => {
    const label = a.label || a.id;
    for (const c of channelsByAccount?.[a.id] ?? []) {
      out.push({
        accountId: a.id,
        channelId: c.id,
        accountLabel: label,
        channelName: c.name,
        unread: Math.max(0, Number(c.unread) || 0),
        muted: Boolean(c.muted),
        accountMuted: Boolean(a.muted),
        accountIndex,
        text: entryText(label, c.name),
        channelStart: label.length + SEP.length,
      });
    }
  });
  return out;
}

// Bonus for matching at position j of `text`: starts of words, and most
// of all the start of the channel name (after "#").
function bonusAt(text, j) {
  if (j === 0) return 0.9;
  const prev = text[j - 1];
  if (prev === '#') return 1;
  if (' /-_.:'.includes(prev)) return 0.8;
  const c = text[j];
  if (prev === prev.toLowerCase() && c !== c.toLowerCase() && c === c.toUpperCase()) return 0.6;
  return 0;
}

// The best way to find `word` in `text`: { score, positions } or null
// when it is not there.
export function matchWord(word, text) {
  const anchored = subsequence(word, text, true);
  if (anchored) return anchored;
  const q = String(word ?? '').toLowerCase();
  const at = String(text ?? '').toLowerCase().indexOf(q);
  if (at < 0) return null;
  const positions = Array.from(q, (_, k) => at + k);
  const score = positions.reduce((n, j) => n + 1 + bonusAt(String(text), j), 0)
    + CONSECUTIVE * (q.length - 1) - GAP * at * 0.5;
  return { score, positions };
}

// The best subsequence match; with `anchored`, its first letter must
// start a word.
function subsequence(word, text, anchored) {
  const q = String(word ?? '').toLowerCase();
  const raw = String(text ?? '');
  const t = raw.toLowerCase();
  const n = q.length;
  const m = t.length;
  if (n === 0) return { score: 0, positions: [] };
  if (n > m) return null;

  const charScore = (j) => 1 + bonusAt(raw, j);
  const from = [];
  let prev = new Array(m).fill(-Infinity);
  for (let i = 0; i < n; i += 1) {
    const cur = new Array(m).fill(-Infinity);
    const back = new Array(m).fill(-1);
    let run = -Infinity; // max over k <= j-2 of prev[k] + GAP * k
    let runK = -1;
    for (let j = 0; j < m; j += 1) {
      if (i > 0 && j >= 2 && prev[j - 2] + GAP * (j - 2) > run) {
        run = prev[j - 2] + GAP * (j - 2);
        runK = j - 2;
      }
      if (t[j] !== q[i]) continue;
      if (i === 0) {
        if (!anchored || bonusAt(raw, j) > 0) cur[j] = charScore(j) - GAP * j * 0.5;
        continue;
      }
      let best = -Infinity;
      let bk = -1;
      if (run > -Infinity) {
        best = run - GAP * (j - 1) + charScore(j);
        bk = runK;
      }
      if (j >= 1 && prev[j - 1] > -Infinity) {
        const c = prev[j - 1] + charScore(j) + CONSECUTIVE;
        if (c >= best) {
          best = c;
          bk = j - 1;
        }
      }
      cur[j] = best;
      back[j] = bk;
    }
    from.push(back);
    prev = cur;
  }

  let end = -1;
  for (let j = 0; j < m; j += 1) {
    if (prev[j] > -Infinity && (end < 0 || prev[j] > prev[end])) end = j;
  }
  if (end < 0) return null;
  const positions = new Array(n);
  for (let i = n - 1, j = end; i >= 0; i -= 1) {
    positions[i] = j;
    j = from[i][j];
  }
  return { score: prev[end], positions };
}

// Scores an entry for a query: { score, positions } or null.
export function matchEntry(query, entry) {
  const words = String(query ?? '').trim().split(/\s+/u).filter(Boolean);
  if (words.length === 0) return { score: 0, positions: [] };
  let score = 0;
  const hits = new Set();
  for (const w of words) {
    // A word with a "#" aims at the channel name.
    const bare = w.replace(/^#+/u, '');
    if (bare === '') continue;
    const r = w.startsWith('#')
      ? shift(matchWord(bare, entry.channelName), entry.channelStart)
      : matchWord(bare, entry.text);
    if (!r) return null;
    score += r.score;
    for (const p of r.positions) hits.add(p);
  }
  const q = words.join(' ').replace(/^#+/u, '').toLowerCase();
  const name = entry.channelName.toLowerCase();
  if (name === q) score += 4;
  else if (name.startsWith(q)) score += 2;
  return { score, positions: [...hits].sort((a, b) => a - b) };
}

function shift(r, by) {
  return r && { score: r.score + 1, positions: r.positions.map((p) => p + by) };
}

// Ranked entries for the list: [{ ...entry, positions }]. `current` is
// { accountId, channelId } on screen: it goes last. An empty query lists
// channels with unread messages first, then the current account's, then
// the rest in rail order.
export function rankEntries(entries, query, { current = null, limit = MAX_RESULTS } = {}) {
  const isCurrent = (e) => current
    && e.accountId === current.accountId && e.channelId === current.channelId;
  const loud = (e) => (e.unread > 0 && !e.muted && !e.accountMuted ? 1 : 0);
  const scored = [];
  const empty = String(query ?? '').trim() === '';
  entries.forEach((e, i) => {
    const r = matchEntry(query, e);
    if (!r) return;
    let score = r.score;
    if (empty) {
      score = loud(e) * 100 + Math.min(e.unread, 99) * (loud(e) ? 0.5 : 0)
        + (current && e.accountId === current.accountId ? 10 : 0);
    } else {
      score += loud(e) * 0.25 - (e.muted ? 0.25 : 0);
    }
    if (isCurrent(e)) score -= 1000;
    scored.push({ e, score, i, positions: r.positions });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, limit).map(({ e, positions }) => ({ ...e, positions }));
}

// Splits `str` (which starts at `offset` in the entry text) into runs of
// matched and unmatched characters, for highlighting.
export function segments(str, positions, offset = 0) {
  const s = String(str ?? '');
  const hit = new Set((positions ?? []).map((p) => p - offset));
  const out = [];
  for (let i = 0; i < s.length; i += 1) {
    const h = hit.has(i);
    if (out.length && out[out.length - 1].hit === h) out[out.length - 1].text += s[i];
    else out.push({ text: s[i], hit: h });
  }
  return out;
}

// The next selected index after an arrow key, wrapping around.
export function moveSelection(index, delta, count) {
  if (count <= 0) return -1;
  if (index < 0) return delta > 0 ? 0 : count - 1;
  return (((index + delta) % count) + count) % count;
}
