// Which rows of a long list belong in the DOM. The list is a column of
// rows with known or estimated heights; the caller renders rows
// [start, end) between a top and a bottom spacer. Pure: heights in,
// numbers out. Offsets are relative to the first row.

// offsets[i] is the top of row i; offsets[n] is the total height.
export function prefixOffsets(heights) {
  const offsets = new Float64Array(heights.length + 1);
  for (let i = 0; i < heights.length; i += 1) {
    const h = heights[i];
    offsets[i + 1] = offsets[i] + (Number.isFinite(h) && h > 0 ? h : 0);
  }
  return offsets;
}

// The row containing y (clamped into the list); -1 for an empty list.
export function indexAt(offsets, y) {
  const n = offsets.length - 1;
  if (n <= 0) return -1;
  if (y <= 0) return 0;
  if (y >= offsets[n]) return n - 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (offsets[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Rows intersecting [scrollTop, scrollTop + viewportHeight) plus
// `overscan` rows on each side, and the spacer heights around them.
export function visibleRange({ offsets, scrollTop, viewportHeight, overscan = 6 }) {
  const n = offsets.length - 1;
  const totalHeight = n > 0 ? offsets[n] : 0;
  if (n <= 0) {
    return { start: 0, end: 0, topPad: 0, bottomPad: 0, totalHeight };
  }
  const view = Math.max(0, viewportHeight || 0);
  const top = Math.min(Math.max(0, scrollTop || 0), Math.max(0, totalHeight - view));
  const first = indexAt(offsets, top);
  // The last row whose top is above the viewport's bottom edge.
  let last = first;
  const bottom = top + view;
  while (last + 1 < n && offsets[last + 1] < bottom) last += 1;
  const over = Math.max(0, Math.floor(overscan));
  const start = Math.max(0, first - over);
  const end = Math.min(n, last + 1 + over);
  return {
    start,
    end,
    topPad: offsets[start],
    bottomPad: totalHeight - offsets[end],
    totalHeight,
  };
}

// Where y falls as (row, distance into it): what must stay put on screen
// when rows above change.
export function anchorAt(offsets, y) {
  const index = indexAt(offsets, y);
  if (index < 0) return null;
  return { index, delta: y - offsets[index] };
}

// The inverse of anchorAt against new offsets. Not clamped: a negative
// result is a position above the first row (the list's header).
export function offsetFor(offsets, { index, delta }) {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  const i = Math.min(Math.max(0, index), n - 1);
  return offsets[i] + delta;
}

// A first guess at a row's height before it has been measured. `metrics`
// comes from the stylesheet; `row` describes the message.
export function estimateRowHeight(row, metrics) {
  const {
    lineHeight = 22, charsPerLine = 80, headerHeight = 24, padding = 8,
    groupedPadding = 4, replyHeight = 30, reactionsHeight = 32,
    dayHeight = 44,
  } = metrics;
  const perLine = Math.max(8, Math.floor(charsPerLine));
  let lines = 0;
  for (const part of String(row.text ?? '').split('\n')) {
    lines += Math.max(1, Math.ceil(part.length / perLine));
  }
  let h = lines * lineHeight;
  h += row.grouped ? groupedPadding : padding + headerHeight;
  if (row.reply) h += replyHeight;
  if (row.reactions) h += reactionsHeight;
  if (row.dayBreak) h += dayHeight;
  return h;
}
