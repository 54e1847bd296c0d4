// Which messages form a group: consecutive messages of one sender, close in time and on one
// day, are drawn as one block (one tail, one author name, one avatar), as Telegram does.

/** How far apart two messages of one sender may be and still be one group. */
export const GROUP_GAP_MS = 5 * 60 * 1000;

function sameLocalDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/**
 * Whether `b`, shown right after `a`, continues a's group: the same sender, the same local
 * day (a day separator would stand between them), at most `gapMs` later.
 */
export function joins(a, b, gapMs = GROUP_GAP_MS) {
  if (!a || !b || a.sender_id !== b.sender_id) return false;
  const ta = new Date(a.created_at);
  const tb = new Date(b.created_at);
  if (Number.isNaN(ta.getTime()) || Number.isNaN(tb.getTime())) return false;
  const gap = tb - ta;
  return gap >= 0 && gap <= gapMs && sameLocalDay(ta, tb);
}

/** A message's place in its group: 'single', 'first', 'middle' or 'last'. */
export function groupPosition(prev, m, next, gapMs = GROUP_GAP_MS) {
  const withPrev = joins(prev, m, gapMs);
  const withNext = joins(m, next, gapMs);
  if (withPrev && withNext) return 'middle';
  if (withPrev) return 'last';
  if (withNext) return 'first';
  return 'single';
}
