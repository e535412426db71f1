// Text the UI shows for times, names and user colours. Pure: no DOM, and
// every function that depends on "now" takes it as an argument, so tests
// pin it. Times are shown in the viewer's local zone.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun',
  'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday',
  'Friday', 'Saturday'];
const DAY_MS = 86_400_000;

const STAMP = new RegExp(
  '^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d+))?)?'
  + '(Z|[+-]\\d{2}:?\\d{2})?$',
);

// The backend sends naive UTC ("2026-12-03T14:56:01", sometimes with
// microseconds), which Date.parse would read as local time.
export function parseTimestamp(value) {
  if (typeof value !== 'string') return null;
  const m = STAMP.exec(value.trim());
  if (!m) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  let t = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return new Date(t);
}

const pad = (n) => String(n).padStart(2, '0');

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

// Calendar days from `date` to `now` (1 = yesterday); rounding absorbs
// the 23- and 25-hour days around DST changes.
export function daysBetween(date, now) {
  return Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);
}

export function sameDay(a, b) {
  return daysBetween(a, b) === 0;
}

export function formatClock(date) {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// "14:05" today, "Yesterday 14:05", "3 Dec 14:05", "3 Dec 2025 14:05".
export function formatTime(date, now = new Date()) {
  if (!date) return '';
  const clock = formatClock(date);
  const days = daysBetween(date, now);
  if (days === 0) return clock;
  if (days === 1) return `Yesterday ${clock}`;
  const year = date.getFullYear() === now.getFullYear()
    ? '' : ` ${date.getFullYear()}`;
  return `${date.getDate()} ${MONTHS[date.getMonth()]}${year} ${clock}`;
}

// Day separators: "Today", "Yesterday", "Wednesday 3 December",
// "3 December 2025" for other years.
export function formatDay(date, now = new Date()) {
  const days = daysBetween(date, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const dm = `${date.getDate()} ${MONTHS_LONG[date.getMonth()]}`;
  if (date.getFullYear() !== now.getFullYear()) {
    return `${dm} ${date.getFullYear()}`;
  }
  return `${WEEKDAYS[date.getDay()]} ${dm}`;
}

// Tooltip text: the full local date and time.
export function formatFull(date) {
  if (!date) return '';
  return `${WEEKDAYS[date.getDay()]} ${date.getDate()} `
    + `${MONTHS_LONG[date.getMonth()]} ${date.getFullYear()}, `
    + `${formatClock(date)}:${pad(date.getSeconds())}`;
}

// "Alice Moreau" -> "AM", "bob" -> "B", "Mary Ann Smith" -> "MS".
export function initials(name) {
  const words = String(name ?? '').trim().split(/[\s._-]+/u).filter(Boolean);
  if (words.length === 0) return '?';
  const first = (w) => Array.from(w)[0].toLocaleUpperCase();
  if (words.length === 1) return first(words[0]);
  return first(words[0]) + first(words[words.length - 1]);
}

// FNV-1a over UTF-16 units, then a murmur3 finaliser: nearby keys
// ("user1", "user2") land on unrelated hues.
export function hashKey(key) {
  let h = 0x811c9dc5;
  const s = String(key ?? '');
  for (let i = 0; i < s.length; i += 1) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hueFor(key) {
  return hashKey(key) % 360;
}

// Saturation and lightness are fixed so white initials stay legible on
// every hue, on light and dark backgrounds alike.
export const AVATAR_SATURATION = 55;
export const AVATAR_LIGHTNESS = 40;

export function colorFor(key) {
  return `hsl(${hueFor(key)}, ${AVATAR_SATURATION}%, ${AVATAR_LIGHTNESS}%)`;
}

// One line of at most `max` characters for quotes and banners.
export function shorten(text, max = 90) {
  const flat = String(text ?? '').replace(/\s+/gu, ' ').trim();
  const chars = Array.from(flat);
  if (chars.length <= max) return flat;
  return `${chars.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
}
