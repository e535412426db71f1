// The "X is typing…" line from the presence list.

// Names of members typing, without me, each once, in list order.
export function typingNames(members, myKey) {
  const seen = new Set();
  const names = [];
  for (const m of members ?? []) {
    if (!m || !m.typing || m.userKey === myKey || seen.has(m.userKey)) continue;
    seen.add(m.userKey);
    names.push(m.name || m.userKey);
  }
  return names;
}

export function typingText(names) {
  const list = names ?? [];
  if (list.length === 0) return '';
  if (list.length === 1) return `${list[0]} is typing…`;
  if (list.length === 2) return `${list[0]} and ${list[1]} are typing…`;
  return `${list.length} people are typing…`;
}
