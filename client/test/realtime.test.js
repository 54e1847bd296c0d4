import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealtimeClient, Status } from '../renderer/lib/realtime.js';
import { FakeClock, fakeWebSocketClass, flush } from './fakes.js';

function setup(overrides = {}) {
  const clock = new FakeClock();
  const { FakeWebSocket, sockets } = fakeWebSocketClass();
  const frames = [];
  const statuses = [];
  const readies = [];
  let token = 'tok-1';
  const refreshes = [];
  const rt = new RealtimeClient({
    url: 'ws://server/api/v1/ws',
    getToken: async () => token,
    refreshToken: async () => {
      refreshes.push(token);
      token = 'tok-2';
    },
    WebSocket: FakeWebSocket,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    random: () => 0.5,
    backoff: { base: 1000, max: 8000 },
    pingInterval: 20000,
    idleTimeout: 45000,
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s),
    onReady: (d) => readies.push(d),
    ...overrides,
  });
  return { rt, clock, sockets, frames, statuses, readies, refreshes };
}

test('the first frame authenticates, and ready makes the client online', async () => {
  const { rt, sockets, statuses, readies } = setup();
  rt.start();
  await flush();
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0].url, 'ws://server/api/v1/ws');
  sockets[0].open();
  assert.deepEqual(sockets[0].sent[0], { type: 'auth', data: { token: 'tok-1' } });
  assert.equal(rt.online, false);
  assert.equal(rt.send('typing', { chat_id: 1 }), false, 'nothing is sent before ready');
  sockets[0].receive({ type: 'ready', data: { cursor: 7, user: { id: 1 } } });
  assert.equal(rt.status, Status.ONLINE);
  assert.deepEqual(readies, [{ cursor: 7, user: { id: 1 } }]);
  assert.deepEqual(statuses, ['connecting', 'online']);
  assert.equal(rt.send('typing', { chat_id: 1 }), true);
  assert.deepEqual(sockets[0].sent.at(-1), { type: 'typing', data: { chat_id: 1 } });
});

test('other frames go to onFrame; pongs and garbage do not', async () => {
  const { rt, sockets, frames } = setup();
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].receive({ type: 'ready', data: { cursor: 0 } });
  sockets[0].receive({ type: 'pong', data: {} });
  sockets[0].onmessage({ data: 'not json' });
  sockets[0].receive({ type: 'new_message', data: { message: { id: 1 } }, cursor: 1 });
  assert.deepEqual(frames.map((f) => f.type), ['new_message']);
});

test('a lost connection is retried with exponential backoff, reset after ready', async () => {
  const { rt, clock, sockets } = setup();
  rt.start();
  await flush();
  const delays = [];
  for (let i = 0; i < 5; i += 1) {
    sockets.at(-1).drop(1006);
    assert.equal(rt.status, Status.OFFLINE);
    const [delay] = clock.pending();
    delays.push(delay);
    const before = sockets.length;
    clock.advance(delay - 1);
    await flush();
    assert.equal(sockets.length, before, 'no reconnect before the delay');
    clock.advance(1);
    await flush();
    assert.equal(sockets.length, before + 1);
  }
  // random = 0.5: delay = step/2 + step/4 with steps 1s, 2s, 4s, 8s, 8s (cap)
  assert.deepEqual(delays, [750, 1500, 3000, 6000, 6000]);
  sockets.at(-1).open();
  sockets.at(-1).receive({ type: 'ready', data: { cursor: 0 } });
  sockets.at(-1).drop(1012);
  assert.deepEqual(clock.pending().filter((d) => d < 20000), [750], 'backoff restarts after a good connection');
});

test('close 1008 refreshes the token before the next attempt', async () => {
  const { rt, clock, sockets, refreshes } = setup();
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].drop(1008);
  clock.advance(clock.pending()[0]);
  await flush();
  assert.deepEqual(refreshes, ['tok-1']);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent[0], { type: 'auth', data: { token: 'tok-2' } });
});

test('pings keep the socket alive; silence past the idle timeout reconnects', async () => {
  const { rt, clock, sockets } = setup();
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].receive({ type: 'ready', data: { cursor: 0 } });
  clock.advance(20000);
  assert.deepEqual(sockets[0].sent.at(-1), { type: 'ping', data: {} });
  sockets[0].receive({ type: 'pong', data: {} });
  clock.advance(44000);
  assert.equal(rt.status, Status.ONLINE, 'the pong counted as life');
  clock.advance(1001);
  assert.equal(sockets[0].closed, 4000);
  assert.equal(rt.status, Status.OFFLINE);
  clock.advance(750);
  await flush();
  assert.equal(sockets.length, 2, 'and connects again');
});

test('stop() closes the socket and cancels reconnects', async () => {
  const { rt, clock, sockets } = setup();
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].drop(1006);
  rt.stop();
  clock.advance(60000);
  await flush();
  assert.equal(sockets.length, 1);
  assert.equal(rt.status, Status.STOPPED);
});

test('reconnectNow skips the backoff wait', async () => {
  const { rt, sockets } = setup();
  rt.start();
  await flush();
  sockets[0].drop(1006);
  rt.reconnectNow();
  await flush();
  assert.equal(sockets.length, 2);
});

test('close 4002 (token expired) refreshes the token before reconnecting', async () => {
  const { rt, clock, sockets, refreshes } = setup();
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].receive({ type: 'ready', data: { cursor: 0 } });
  sockets[0].drop(4002);
  assert.equal(rt.status, Status.OFFLINE);
  clock.advance(clock.pending()[0]);
  await flush();
  assert.deepEqual(refreshes, ['tok-1']);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent[0], { type: 'auth', data: { token: 'tok-2' } });
});

test('close 4001 (session revoked) stops for good and says so', async () => {
  let ended = 0;
  const { rt, clock, sockets } = setup({ onSessionEnded: () => (ended += 1) });
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].receive({ type: 'ready', data: { cursor: 0 } });
  sockets[0].drop(4001);
  assert.equal(ended, 1);
  assert.equal(rt.status, Status.STOPPED);
  clock.advance(60000);
  await flush();
  assert.equal(sockets.length, 1, 'no reconnect with revoked tokens');
});

test('before the token expires the socket authenticates again in place', async () => {
  let expiresAt = 900000;
  let fresh = 0;
  const { rt, clock, sockets, frames } = setup({
    idleTimeout: 1e9,
    pingInterval: 1e9,
    now: () => clock.now,
    tokenExpiresAt: () => expiresAt,
    renewToken: async () => {
      fresh += 1;
      expiresAt = clock.now + 900000;
      return `fresh-${fresh}`;
    },
  });
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].receive({ type: 'ready', data: { cursor: 0 } });
  clock.advance(839999);
  assert.equal(fresh, 0, 'not before a minute ahead of expiry');
  clock.advance(1);
  await flush();
  assert.deepEqual(sockets[0].sent.at(-1), { type: 'auth', data: { token: 'fresh-1' } });
  sockets[0].receive({ type: 'auth_ok', data: { expires_at: '2026-12-07T10:00:00Z' } });
  assert.deepEqual(frames, [], 'auth_ok is the client’s own business');
  clock.advance(840000);
  await flush();
  assert.deepEqual(sockets[0].sent.at(-1), { type: 'auth', data: { token: 'fresh-2' } });
  assert.equal(sockets.length, 1, 'never reconnected');
  assert.equal(rt.status, Status.ONLINE);
});

test('a renewal that fails is retried while the socket stays open', async () => {
  let attempts = 0;
  const { rt, clock, sockets } = setup({
    idleTimeout: 1e9,
    pingInterval: 1e9,
    now: () => clock.now,
    tokenExpiresAt: () => 100000,
    renewToken: async () => {
      attempts += 1;
      if (attempts < 3) throw new Error('offline');
      return 'fresh';
    },
  });
  rt.start();
  await flush();
  sockets[0].open();
  sockets[0].receive({ type: 'ready', data: { cursor: 0 } });
  clock.advance(75000);
  await flush();
  assert.equal(attempts, 1);
  clock.advance(5000);
  await flush();
  clock.advance(5000);
  await flush();
  assert.equal(attempts, 3);
  assert.deepEqual(sockets[0].sent.at(-1), { type: 'auth', data: { token: 'fresh' } });
});
