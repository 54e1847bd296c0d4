import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../renderer/lib/backoff.js';

test('delays grow exponentially up to the cap', () => {
  const top = (n) => backoffDelay(n, { base: 500, max: 15000, random: () => 1 });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map(top), [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
});

test('jitter keeps at least half of each step', () => {
  const low = (n) => backoffDelay(n, { base: 500, max: 15000, random: () => 0 });
  assert.deepEqual([0, 1, 2, 6].map(low), [250, 500, 1000, 7500]);
  for (let i = 0; i < 200; i += 1) {
    const d = backoffDelay(3, { base: 500, max: 15000 });
    assert.ok(d >= 2000 && d <= 4000, `delay ${d}`);
  }
});

test('random jitter spreads clients apart', () => {
  const seen = new Set();
  for (let i = 0; i < 50; i += 1) seen.add(backoffDelay(4));
  assert.ok(seen.size > 10);
});
