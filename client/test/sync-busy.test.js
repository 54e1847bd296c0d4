// After a server restart every client catches up at once, and the server turns away what it
// cannot serve now with 503 + Retry-After (MESSENGER_SYNC_CONCURRENCY/_QUEUE). Through the
// real ApiClient: the catch-up waits at least Retry-After, spread by jitter, then gets
// everything exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncEngine } from '../renderer/lib/sync.js';
import { ApiClient, TokenStore } from '../renderer/lib/api.js';
import { Store } from '../renderer/lib/store.js';
import { Outbox, MemoryOutboxStorage } from '../renderer/lib/outbox.js';
import { FakeClock, MemoryStorage, fakeFetch, flush } from './fakes.js';

const ME = { id: 1, username: 'anna' };
const BUSY = {
  type: 'about:blank',
  title: 'Service Unavailable',
  status: 503,
  detail: 'Too many clients are catching up at once; try again shortly.',
  code: 'service_unavailable',
};

function message(id) {
  return { id, chat_id: 10, sender_id: 2, client_id: `c${id}`, text: `m${id}`, reply_to_id: null, attachments: [], created_at: new Date(1_700_000_000_000 + id * 1000).toISOString(), edited_at: null, deleted: false };
}

async function busyServer({ refusals, retryAfter, random }) {
  const events = [1, 2, 3].map((c) => ({ type: 'new_message', cursor: c, data: { message: message(c) } }));
  let refused = 0;
  const fetch = fakeFetch({
    'GET /sync': () => {
      if (refused < refusals) {
        refused += 1;
        return [503, BUSY, { 'Retry-After': String(retryAfter) }];
      }
      return [200, { events, cursor: 3, has_more: false }];
    },
  });
  const tokens = new TokenStore(new MemoryStorage());
  tokens.set({ access_token: 'a1', refresh_token: 'r1', expires_in: 900, user: ME }, 1_000_000);
  const api = new ApiClient({ baseUrl: 'http://server/api/v1', tokens, fetch, now: () => 1_000_000 });
  const clock = new FakeClock();
  const store = new Store();
  store.setMe(ME);
  store.addHistory(10, [], false);
  const outbox = new Outbox({ storage: new MemoryOutboxStorage(), userId: ME.id });
  await outbox.load();
  const errors = [];
  const engine = new SyncEngine({
    api,
    realtime: { online: true, send: () => true },
    store,
    outbox,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: () => clock.now,
    random,
    onError: (err) => errors.push(err),
  });
  engine.cursor = 0;
  return { engine, fetch, clock, store, errors };
}

const syncCalls = (fetch) => fetch.calls.filter((c) => c.path === '/api/v1/sync');

test('a catch-up turned away with 503 waits Retry-After plus up to half as much, then gets every event once', async () => {
  for (const [r, expected] of [[0, 4000], [0.5, 5000], [0.999, 5998]]) {
    const { engine, fetch, clock, store, errors } = await busyServer({ refusals: 1, retryAfter: 4, random: () => r });
    const done = engine.onReady();
    await flush();
    assert.equal(syncCalls(fetch).length, 1);
    assert.deepEqual(clock.pending(), [expected], `random ${r}`);
    assert.equal(errors[0].status, 503);
    assert.equal(errors[0].retryAfter, 4);
    clock.advance(expected - 1);
    await flush();
    assert.equal(syncCalls(fetch).length, 1, 'not retried before Retry-After');
    clock.advance(1);
    await flush();
    await done;
    assert.deepEqual(syncCalls(fetch).map((c) => c.query.since), ['0', '0'], 'retried from the same cursor');
    assert.deepEqual(store.history(10).map((m) => m.id), [1, 2, 3]);
    assert.equal(engine.cursor, 3);
    assert.equal(engine.syncing, false);
  }
});

test('clients turned away together come back spread over the Retry-After window', async () => {
  const delays = [];
  for (let i = 0; i < 50; i += 1) {
    let seed = i + 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const { engine, clock } = await busyServer({ refusals: 1, retryAfter: 10, random });
    engine.onReady();
    await flush();
    delays.push(...clock.pending());
    engine.stop();
  }
  assert.ok(delays.every((d) => d >= 10000 && d <= 15000), `within [10 s, 15 s]: ${delays}`);
  const spread = Math.max(...delays) - Math.min(...delays);
  assert.ok(spread > 3000, `spread out, not all at once: ${spread} ms`);
});

test('repeated refusals keep at least Retry-After while the backoff grows past it', async () => {
  const { engine, fetch, clock, store } = await busyServer({ refusals: 6, retryAfter: 1, random: () => 0.5 });
  const done = engine.onReady();
  await flush();
  const waits = [];
  for (let i = 0; i < 6; i += 1) {
    waits.push(...clock.pending());
    clock.advance(Math.max(...clock.pending()));
    await flush();
  }
  await done;
  // max(backoff from 1 s doubling to 15 s, jitter 0.5; Retry-After 1 s + 0.5 * 0.5 s)
  assert.deepEqual(waits, [1250, 1500, 3000, 6000, 11250, 11250]);
  assert.equal(syncCalls(fetch).length, 7);
  assert.deepEqual(store.history(10).map((m) => m.id), [1, 2, 3]);
});
