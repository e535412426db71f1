// Which messages share a header: the same author within five minutes on
// the same day continues the previous row; a new day gets a separator.

import { sameDay } from './format.js';

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

// prev/cur: { userKey, time: Date | null }; prev may be null.
export function rowFlags(prev, cur) {
  if (!prev) return { grouped: false, dayBreak: true };
  const dayBreak = !prev.time || !cur.time || !sameDay(prev.time, cur.time);
  if (dayBreak) return { grouped: false, dayBreak: true };
  const gap = cur.time - prev.time;
  const grouped = prev.userKey === cur.userKey && gap >= 0 && gap <= GROUP_WINDOW_MS;
  return { grouped, dayBreak: false };
}
