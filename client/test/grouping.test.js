import { test } from 'node:test';
import assert from 'node:assert/strict';

import { GROUP_GAP_MS, groupPosition, joins } from '../renderer/lib/grouping.js';

// Local noon, so that a few minutes either way stay on the same local day.
const noon = new Date(2026, 11, 7, 12, 0, 0).getTime();
const msg = (sender_id, minutes) => ({ sender_id, created_at: new Date(noon + minutes * 60000).toISOString() });

test('messages of one sender a few minutes apart join, of another sender do not', () => {
  assert.equal(joins(msg(1, 0), msg(1, 4)), true);
  assert.equal(joins(msg(1, 0), msg(1, 5)), true);
  assert.equal(joins(msg(1, 0), msg(1, 5.01)), false);
  assert.equal(joins(msg(1, 0), msg(2, 1)), false);
  assert.equal(joins(null, msg(1, 0)), false);
  assert.equal(joins(msg(1, 0), null), false);
});

test('a gap over the limit or a new day starts a new group', () => {
  const late = { sender_id: 1, created_at: new Date(2026, 11, 7, 23, 58).toISOString() };
  const afterMidnight = { sender_id: 1, created_at: new Date(2026, 11, 8, 0, 1).toISOString() };
  assert.equal(joins(late, afterMidnight), false, 'three minutes apart but across midnight');
  assert.equal(joins(msg(1, 0), msg(1, 0), GROUP_GAP_MS), true);
  assert.equal(joins(msg(1, 10), msg(1, 0)), false, 'out of order never joins');
  assert.equal(joins({ sender_id: 1, created_at: 'nonsense' }, msg(1, 0)), false);
});

test('the position in a group follows both neighbours', () => {
  const a = msg(1, 0);
  const b = msg(1, 1);
  const c = msg(1, 2);
  const other = msg(2, 3);
  assert.equal(groupPosition(null, a, b), 'first');
  assert.equal(groupPosition(a, b, c), 'middle');
  assert.equal(groupPosition(b, c, other), 'last');
  assert.equal(groupPosition(c, other, null), 'single');
  assert.equal(groupPosition(null, a, null), 'single');
});
