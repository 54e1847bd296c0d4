import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncEngine } from '../renderer/lib/sync.js';
import { Store } from '../renderer/lib/store.js';
import { Outbox, MemoryOutboxStorage } from '../renderer/lib/outbox.js';
import { ApiError } from '../renderer/lib/api.js';
import { FakeClock, flush } from './fakes.js';

const ME = { id: 1, username: 'anna' };
const BOB = 2;

function msg(id, { chat = 10, sender = BOB, text = `m${id}`, client_id = `c${id}` } = {}) {
  return { id, chat_id: chat, sender_id: sender, client_id, text, reply_to_id: null, attachments: [], created_at: new Date(1_700_000_000_000 + id * 1000).toISOString(), edited_at: null, deleted: false };
}

function chat(id = 10, extra = {}) {
  return {
    id,
    kind: 'direct',
    title: null,
    created_by: 1,
    created_at: new Date(1_700_000_000_000).toISOString(),
    last_activity_at: new Date(1_700_000_000_000).toISOString(),
    last_message_id: null,
    members: [
      { user_id: 1, role: 'member', read_message_id: 0, delivered_message_id: 0, user: { id: 1, username: 'anna', display_name: 'Anna' } },
      { user_id: BOB, role: 'member', read_message_id: 0, delivered_message_id: 0, user: { id: BOB, username: 'bob', display_name: 'Bob' } },
    ],
    last_message: null,
    unread_count: 0,
    ...extra,
  };
}

const feed = (cursor, type, data) => ({ type, data, cursor });

/** An API whose /sync serves from a list of feed events; it can be told to fail. */
function fakeApi({ events = [], chats = [chat()], head = null } = {}) {
  const api = {
    events,
    chats_: chats,
    calls: [],
    failSync: null,
    async sync(since, limit = 2) {
      api.calls.push(['sync', since]);
      if (api.failSync) throw api.failSync;
      const last = api.events.length ? api.events.at(-1).cursor : 0;
      if (since === undefined) return { cursor: head ?? last };
      const page = api.events.filter((e) => e.cursor > since).slice(0, limit);
      const cursor = page.length ? page.at(-1).cursor : since;
      return { events: page, cursor, has_more: page.length === limit && cursor < last };
    },
    async chats() {
      api.calls.push(['chats']);
      return { items: api.chats_ };
    },
    async chat(id) {
      return chat(id);
    },
    async markRead(chatId, messageId) {
      api.calls.push(['markRead', chatId, messageId]);
    },
  };
  return api;
}

function fakeRealtime() {
  return {
    online: false,
    sent: [],
    send(type, data) {
      if (!this.online) return false;
      this.sent.push({ type, data });
      return true;
    },
  };
}

async function setup(opts = {}) {
  const clock = new FakeClock();
  const api = fakeApi(opts);
  const realtime = fakeRealtime();
  const store = new Store();
  store.setMe(ME);
  const storage = opts.storage || new MemoryOutboxStorage();
  const outbox = new Outbox({ storage, userId: ME.id });
  await outbox.load();
  const events = [];
  const engine = new SyncEngine({
    api,
    realtime,
    store,
    outbox,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: () => clock.now,
    random: () => 0.5,
    onEvent: (f) => events.push(f.type),
    ...opts.engine,
  });
  return { clock, api, realtime, store, outbox, engine, events, storage };
}

test('bootstrap takes the cursor before the snapshot', async () => {
  const { engine, api, store } = await setup({ head: 42 });
  await engine.bootstrap();
  assert.deepEqual(api.calls, [['sync', undefined], ['chats']]);
  assert.equal(engine.cursor, 42);
  assert.equal(store.chats.size, 1);
});

test('catch-up pages /sync from the last cursor and holds back pushes meanwhile', async () => {
  const { engine, api, store, realtime, clock } = await setup();
  await engine.bootstrap(); // cursor 0
  store.addHistory(10, [], false);
  api.events.push(feed(1, 'new_message', { message: msg(1) }), feed(2, 'new_message', { message: msg(2) }), feed(3, 'new_message', { message: msg(3) }));
  realtime.online = true;
  const done = engine.onReady();
  // pushes that arrive while syncing: 3 is also in the sync pages, 4 is new
  engine.handleFrame(feed(3, 'new_message', { message: msg(3) }));
  engine.handleFrame(feed(4, 'new_message', { message: msg(4) }));
  await done;
  assert.deepEqual(api.calls.filter((c) => c[0] === 'sync').map((c) => c[1]), [undefined, 0, 2]);
  assert.deepEqual(store.history(10).map((m) => m.id), [1, 2, 3, 4]);
  assert.equal(engine.cursor, 4);
  assert.equal(store.chats.get(10).unread_count, 4, 'each message counted once');
  clock.advance(300);
  assert.deepEqual(realtime.sent, [{ type: 'ack', data: { cursor: 4 } }], 'delivered watermark acked');
});

test('a feed event is applied at most once, however often it arrives', async () => {
  const { engine, store } = await setup();
  await engine.bootstrap();
  store.addHistory(10, [], false);
  const ev = feed(1, 'new_message', { message: msg(1) });
  engine.handleFrame(ev);
  engine.handleFrame(ev);
  engine.handleFrame({ ...ev });
  assert.equal(store.history(10).length, 1);
  assert.equal(store.chats.get(10).unread_count, 1);
});

test('a message already in the snapshot does not count as unread again', async () => {
  const m = msg(5);
  const { engine, store } = await setup({ chats: [chat(10, { last_message: m, last_message_id: 5, unread_count: 1 })] });
  await engine.bootstrap();
  engine.cursor = 0; // the snapshot was taken after the cursor
  engine.handleFrame(feed(1, 'new_message', { message: m }));
  assert.equal(store.chats.get(10).unread_count, 1);
});

test('outbox: sent after ready, removed on ack, and resent after a reconnect without ack', async () => {
  const { engine, realtime, outbox, store } = await setup();
  await engine.bootstrap();
  store.addHistory(10, [], false);
  const item = await engine.send({ chat_id: 10, text: 'hello' });
  assert.deepEqual(realtime.sent, [], 'offline: kept in the outbox');
  assert.equal(outbox.list(10).length, 1);

  realtime.online = true;
  await engine.onReady();
  assert.deepEqual(realtime.sent.map((f) => f.type), ['send_message']);
  assert.deepEqual(realtime.sent[0].data, { chat_id: 10, client_id: item.client_id, text: 'hello' });

  // the connection drops before the ack: the same client_id goes again after ready
  realtime.online = false;
  engine.onDisconnected();
  realtime.online = true;
  realtime.sent = [];
  await engine.onReady();
  assert.deepEqual(realtime.sent.map((f) => [f.type, f.data.client_id]), [['send_message', item.client_id]]);

  const stored = msg(7, { sender: ME.id, client_id: item.client_id, text: 'hello' });
  engine.handleFrame({ type: 'message_sent', data: { client_id: item.client_id, message: stored } });
  await flush();
  assert.equal(outbox.list().length, 0);
  // the same message also arrives as a feed event: still one message
  engine.handleFrame(feed(1, 'new_message', { message: stored }));
  assert.deepEqual(store.history(10).map((m) => m.text), ['hello']);
  assert.equal(store.chats.get(10).unread_count, 0, 'own messages are never unread');
});

test('a file without a caption is sent with empty text and its attachment ids', async () => {
  const { engine, realtime } = await setup();
  await engine.bootstrap();
  realtime.online = true;
  const photo = { id: 'f1', name: 'photo.png', content_type: 'image/png', size: 8, url: '/api/v1/files/f1' };
  const item = await engine.send({ chat_id: 10, text: '', attachments: [photo] });
  assert.deepEqual(realtime.sent, [{ type: 'send_message', data: { chat_id: 10, client_id: item.client_id, text: '', attachment_ids: ['f1'] } }]);
});

test('a message of ours seen in the feed clears its outbox entry (ack lost)', async () => {
  const { engine, outbox } = await setup();
  await engine.bootstrap();
  const item = await engine.send({ chat_id: 10, text: 'x' });
  engine.handleFrame(feed(1, 'new_message', { message: msg(3, { sender: ME.id, client_id: item.client_id }) }));
  await flush();
  assert.equal(outbox.has(item.client_id), false);
});

test('the outbox is not flushed while catching up, only after', async () => {
  const { engine, realtime, api } = await setup();
  await engine.bootstrap();
  await engine.send({ chat_id: 10, text: 'queued' });
  api.events.push(feed(1, 'new_message', { message: msg(1) }));
  realtime.online = true;
  let sentDuringSync = null;
  const origSync = api.sync;
  api.sync = async (...args) => {
    sentDuringSync ??= realtime.sent.length;
    return origSync(...args);
  };
  await engine.onReady();
  assert.equal(sentDuringSync, 0);
  assert.equal(realtime.sent.filter((f) => f.type === 'send_message').length, 1);
});

test('permanent send errors mark the item failed; throttling retries later', async () => {
  const { engine, realtime, outbox, clock } = await setup();
  await engine.bootstrap();
  realtime.online = true;
  const a = await engine.send({ chat_id: 10, text: 'x'.repeat(10) });
  await engine._error({ code: 'message_too_long', message: 'too long', client_id: a.client_id });
  assert.equal(outbox.get(a.client_id).failed, 'message_too_long');
  const b = await engine.send({ chat_id: 10, text: 'y' });
  realtime.sent = [];
  await engine._error({ code: 'throttled', message: 'slow down', client_id: b.client_id, retry_after: 2 });
  assert.deepEqual(realtime.sent, []);
  clock.advance(2000);
  assert.deepEqual(realtime.sent.map((f) => f.data.client_id), [b.client_id]);
});

test('a message to someone who blocked me or deleted their account fails at once and is not sent again', async () => {
  const { engine, realtime, outbox, clock } = await setup();
  await engine.bootstrap();
  realtime.online = true;
  for (const code of ['blocked', 'user_deleted']) {
    const item = await engine.send({ chat_id: 10, text: code });
    realtime.sent = [];
    await engine._error({ code, message: 'no', client_id: item.client_id });
    assert.equal(outbox.get(item.client_id).failed, code);
    clock.advance(60_000);
    assert.deepEqual(realtime.sent, [], `${code}: not sent again`);
  }
});

test('410 resync_required reloads the snapshot and takes a fresh cursor', async () => {
  const { engine, api, events } = await setup({ head: 100 });
  await engine.bootstrap();
  engine.cursor = 3;
  api.failSync = new ApiError(410, 'resync_required', 'too old');
  const orig = api.sync;
  api.sync = async (since) => {
    if (since !== undefined) return orig(since);
    api.failSync = null;
    return orig(since);
  };
  await engine.onReady();
  assert.equal(engine.cursor, 100);
  assert.ok(events.includes('resynced'));
});

test('typing and presence are applied without a cursor; typing expires', async () => {
  const { engine, store } = await setup();
  await engine.bootstrap();
  let now = 0;
  store.now = () => now;
  engine.handleFrame({ type: 'typing', data: { chat_id: 10, user_id: BOB } });
  assert.deepEqual(store.typingIn(10), [BOB]);
  now = 6000;
  assert.deepEqual(store.typingIn(10), []);
  engine.handleFrame({ type: 'presence', data: { user_id: BOB, online: true, last_seen_at: null } });
  assert.equal(store.online.get(BOB), true);
});

test('read and delivered watermarks give ✓ / ✓✓ states', async () => {
  const { engine, store } = await setup();
  await engine.bootstrap();
  const mine = msg(5, { sender: ME.id });
  const c = () => store.chats.get(10);
  assert.equal(store.receipt(c(), mine), 'sent');
  engine.handleFrame(feed(1, 'messages_delivered', { chat_id: 10, user_id: BOB, message_id: 5 }));
  assert.equal(store.receipt(c(), mine), 'delivered');
  engine.handleFrame(feed(2, 'messages_read', { chat_id: 10, user_id: BOB, message_id: 5 }));
  assert.equal(store.receipt(c(), mine), 'read');
});

test('my own read mark on another device clears the unread badge', async () => {
  const { engine, store } = await setup({ chats: [chat(10, { last_message: msg(9), last_message_id: 9, unread_count: 3 })] });
  await engine.bootstrap();
  engine.handleFrame(feed(1, 'messages_read', { chat_id: 10, user_id: ME.id, message_id: 9 }));
  assert.equal(store.chats.get(10).unread_count, 0);
});

test('membership events add and remove chats', async () => {
  const { engine, store } = await setup({ chats: [] });
  await engine.bootstrap();
  const group = { ...chat(20), kind: 'group', title: 'Team' };
  engine.handleFrame(feed(1, 'member_added', { chat_id: 20, member: group.members[0], members: group.members, chat: group, by_user_id: BOB }));
  assert.equal(store.chats.get(20).title, 'Team');
  engine.handleFrame(feed(2, 'chat_updated', { chat: { ...group, title: 'Renamed', members: [] } }));
  assert.equal(store.chats.get(20).title, 'Renamed');
  assert.equal(store.chats.get(20).members.length, 2, 'members kept on chat_updated');
  engine.handleFrame(feed(3, 'member_removed', { chat_id: 20, user_id: ME.id, by_user_id: BOB }));
  assert.equal(store.chats.has(20), false);
});

test('chat list is ordered by last activity', async () => {
  const { engine, store } = await setup({ chats: [chat(10), chat(11), chat(12)] });
  await engine.bootstrap();
  engine.handleFrame(feed(1, 'new_message', { message: msg(1, { chat: 11 }) }));
  engine.handleFrame(feed(2, 'new_message', { message: msg(2, { chat: 12 }) }));
  engine.handleFrame(feed(3, 'new_message', { message: msg(3, { chat: 11 }) }));
  assert.deepEqual(store.chatList().map((c) => c.id), [11, 12, 10]);
});

// --- a failed catch-up -----------------------------------------------------------------

const unavailable = (retryAfter = null) => new ApiError(503, 'service_unavailable', 'The database is unavailable.', { code: 'service_unavailable', retry_after: retryAfter }, retryAfter);

/** Runs the fake clock forward in small steps, letting the engine's promises settle. */
async function elapse(clock, ms, step = 100) {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

/** Records the cursor of every feed event the store is given, and the engine's cursor then. */
function recordApplied(engine, store) {
  const applied = [];
  const apply = store.apply.bind(store);
  store.apply = (frame) => {
    if (frame.cursor !== undefined) applied.push(frame.cursor);
    return apply(frame);
  };
  return applied;
}

test('a failed catch-up /sync is retried, and the cursor never passes an event not applied', async () => {
  const { engine, api, store, realtime, clock } = await setup();
  await engine.bootstrap(); // cursor 0
  store.addHistory(10, [], false);
  const applied = recordApplied(engine, store);
  // 1-3 happened while the socket was down: only /sync has them
  api.events.push(feed(1, 'new_message', { message: msg(1) }), feed(2, 'new_message', { message: msg(2) }), feed(3, 'new_message', { message: msg(3) }));
  api.failSync = unavailable(1);
  realtime.online = true;
  const done = engine.onReady();
  await flush();
  // the new socket pushes 4 and 5 while the database is restarting
  api.events.push(feed(4, 'new_message', { message: msg(4) }), feed(5, 'new_message', { message: msg(5) }));
  engine.handleFrame(feed(4, 'new_message', { message: msg(4) }));
  engine.handleFrame(feed(5, 'new_message', { message: msg(5) }));
  await elapse(clock, 3000);
  assert.equal(engine.cursor, 0, 'the cursor stays before the events it has not fetched');
  assert.deepEqual(applied, [], 'pushes are held while the sync fails');
  assert.ok(api.calls.filter((c) => c[0] === 'sync' && c[1] === 0).length >= 2, 'the sync is retried');

  api.failSync = null;
  await elapse(clock, 20000);
  await done;
  assert.deepEqual(applied, [1, 2, 3, 4, 5], 'every event applied once, in order');
  assert.deepEqual(store.history(10).map((m) => m.id), [1, 2, 3, 4, 5]);
  assert.equal(store.chats.get(10).unread_count, 5);
  assert.equal(engine.cursor, 5);
  assert.equal(engine.syncing, false);
});

test('catch-up retries wait with growing, jittered steps and at least the server\'s Retry-After', async () => {
  const { engine, api, realtime, clock } = await setup();
  await engine.bootstrap();
  realtime.online = true;
  api.failSync = unavailable(null);
  engine.onReady();
  await flush();
  const waits = [];
  for (let i = 0; i < 4; i += 1) {
    waits.push(...clock.pending());
    clock.advance(Math.max(...clock.pending()));
    await flush();
  }
  assert.deepEqual(waits, [750, 1500, 3000, 6000], 'backoff with jitter (random = 0.5)');
  api.failSync = unavailable(20);
  clock.advance(Math.max(...clock.pending()));
  await flush();
  assert.ok(clock.pending().every((ms) => ms >= 20000), `Retry-After respected: ${clock.pending()}`);
});

test('a reconnect during a failing catch-up does not start a second one, but pages again after it', async () => {
  const { engine, api, store, realtime, clock } = await setup();
  await engine.bootstrap();
  store.addHistory(10, [], false);
  let running = 0;
  let most = 0;
  const orig = api.sync;
  api.sync = async (...args) => {
    running += 1;
    most = Math.max(most, running);
    try {
      await flush();
      return await orig(...args);
    } finally {
      running -= 1;
    }
  };
  api.failSync = unavailable(1);
  realtime.online = true;
  const first = engine.onReady();
  await flush();
  // the socket drops and comes back while the sync waits to retry; 1 is only in /sync
  api.events.push(feed(1, 'new_message', { message: msg(1) }));
  engine.onDisconnected();
  const second = engine.onReady();
  await elapse(clock, 500);
  api.failSync = null;
  await elapse(clock, 20000);
  await Promise.all([first, second]);
  assert.equal(most, 1, 'one sync request at a time');
  assert.deepEqual(store.history(10).map((m) => m.id), [1]);
  assert.equal(engine.cursor, 1);
});

test('too many held pushes are dropped and fetched by the sync instead', async () => {
  const { engine, api, store, realtime, clock } = await setup({ engine: { maxHeld: 3 } });
  await engine.bootstrap();
  store.addHistory(10, [], false);
  const applied = recordApplied(engine, store);
  api.failSync = unavailable(1);
  realtime.online = true;
  const done = engine.onReady();
  await flush();
  for (let i = 1; i <= 8; i += 1) {
    api.events.push(feed(i, 'new_message', { message: msg(i) }));
    engine.handleFrame(feed(i, 'new_message', { message: msg(i) }));
  }
  assert.ok(engine.held.length <= 3, `held ${engine.held.length}`);
  api.failSync = null;
  await elapse(clock, 20000);
  await done;
  assert.deepEqual(applied, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(engine.cursor, 8);
});

test('a failed first snapshot is retried; held pushes never stand in for it', async () => {
  const { engine, api, store, realtime, clock } = await setup({ head: 7 });
  realtime.online = true;
  api.failSync = new ApiError(0, 'network_error', 'offline');
  const done = engine.onReady(); // cursor null: the catch-up takes the snapshot
  await flush();
  engine.handleFrame(feed(8, 'new_message', { message: msg(8) }));
  await elapse(clock, 2000);
  assert.equal(engine.cursor, null, 'no cursor without a snapshot');
  api.failSync = null;
  await elapse(clock, 20000);
  await done;
  assert.equal(engine.cursor, 8);
  assert.equal(store.chats.size, 1);
});

test('stop() ends a catch-up that is waiting to retry', async () => {
  const { engine, api, realtime, clock } = await setup();
  await engine.bootstrap();
  realtime.online = true;
  api.failSync = unavailable(1);
  const done = engine.onReady();
  await elapse(clock, 1000);
  const calls = api.calls.length;
  engine.stop();
  await done;
  await elapse(clock, 60000, 1000);
  assert.equal(api.calls.length, calls, 'no request after stop');
  assert.deepEqual(clock.pending(), []);
});

// --- a long outbox and the socket's rate limit -----------------------------------------

/**
 * A socket with the server's rate limit (a token bucket: 20 frames a second, 60 at once):
 * a frame over it is answered with a `throttled` error naming its client_id, the others
 * with `message_sent`. A client_id is stored once, however often it comes.
 */
function throttlingSocket(clock, { rate = 20, burst = 60, spent = 0 } = {}) {
  const socket = {
    online: false,
    engine: null,
    frames: [],
    stored: [], // client_ids in the order the server stored them
    refused: [],
    tokens: burst - spent,
    at: 0,
    send(type, data) {
      if (!this.online) return false;
      this.frames.push({ type, data });
      this.tokens = Math.min(burst, this.tokens + ((clock.now - this.at) * rate) / 1000);
      this.at = clock.now;
      let reply;
      if (this.tokens < 1) {
        this.refused.push(data.client_id);
        reply = { type: 'error', data: { code: 'throttled', message: 'Too many frames; slow down.', client_id: data.client_id, chat_id: data.chat_id, retry_after: (1 - this.tokens) / rate } };
      } else {
        this.tokens -= 1;
        if (type !== 'send_message') return true;
        let id = this.stored.indexOf(data.client_id) + 1;
        if (!id) id = this.stored.push(data.client_id);
        reply = { type: 'message_sent', data: { client_id: data.client_id, message: msg(id, { sender: ME.id, client_id: data.client_id, text: data.text }) } };
      }
      queueMicrotask(() => this.engine.handleFrame(reply));
      return true;
    },
  };
  return socket;
}

async function outboxOf(count, socketOptions = {}) {
  const ctx = await setup();
  const socket = throttlingSocket(ctx.clock, socketOptions);
  ctx.engine.realtime = socket;
  socket.engine = ctx.engine;
  await ctx.engine.bootstrap();
  const items = [];
  for (let i = 0; i < count; i += 1) items.push(await ctx.engine.send({ chat_id: 10, text: `offline ${i}` }));
  assert.equal(socket.frames.length, 0, 'written offline');
  return { ...ctx, socket, ids: items.map((x) => x.client_id) };
}

test('a long outbox after a reconnect drains under the socket\'s rate limit, each message stored once', async () => {
  const { engine, socket, outbox, clock, ids } = await outboxOf(100);
  socket.online = true;
  await engine.onReady();
  await flush();
  assert.equal(socket.frames.length, 50, 'a first burst at once');
  await elapse(clock, 10000);
  assert.deepEqual(socket.refused, [], 'nothing refused');
  assert.deepEqual(socket.stored, ids, 'all stored once, in the order written');
  assert.deepEqual(socket.frames.filter((f) => f.type === 'send_message').map((f) => f.data.client_id), ids, 'each sent once');
  assert.equal(outbox.list().length, 0);
  assert.ok(clock.now >= 3000, 'the rest at about 15 a second');
});

test('sends the server throttles stay pending and go again after its retry_after, stored once', async () => {
  // Other frames (acks, typing, marks) have used most of this socket's budget already.
  const { engine, socket, outbox, clock, ids } = await outboxOf(100, { spent: 40 });
  socket.online = true;
  await engine.onReady();
  await flush();
  assert.equal(socket.refused.length, 30, 'the burst over the limit is refused');
  assert.equal(outbox.list().length, 80, 'refused ones are still pending');
  assert.ok(outbox.list().every((x) => !x.failed), 'and not marked failed');
  await elapse(clock, 15000);
  assert.deepEqual(socket.stored, ids, 'all stored once, in the order written');
  assert.equal(new Set(socket.refused).size, socket.refused.length, 'none refused twice');
  assert.equal(outbox.list().length, 0, 'nothing left stuck');
});

test('a throttled frame of another kind pauses the outbox until its retry_after', async () => {
  const { engine, realtime, clock } = await setup();
  await engine.bootstrap();
  realtime.online = true;
  await engine.onReady();
  engine.handleFrame({ type: 'error', data: { code: 'throttled', message: 'slow down', retry_after: 0.5 } });
  await flush();
  const item = await engine.send({ chat_id: 10, text: 'later' });
  assert.deepEqual(realtime.sent.filter((f) => f.type === 'send_message'), []);
  clock.advance(500);
  assert.deepEqual(realtime.sent.filter((f) => f.type === 'send_message').map((f) => f.data.client_id), [item.client_id]);
});

test('reading a burst of messages as they come costs two read marks, not one per message', async () => {
  const { engine, realtime, store, clock } = await setup();
  await engine.bootstrap();
  realtime.online = true;
  await engine.onReady();
  clock.advance(1000);
  realtime.sent = [];
  for (let id = 1; id <= 30; id += 1) {
    engine.markRead(10, id);
    clock.advance(20);
  }
  const mine = () => store.chats.get(10).members.find((m) => m.user_id === ME.id).read_message_id;
  assert.equal(mine(), 30, 'marked here at once');
  const marks = () => realtime.sent.filter((f) => f.type === 'mark_read').map((f) => f.data.message_id);
  assert.deepEqual(marks(), [1], 'the first mark at once');
  clock.advance(1000);
  assert.deepEqual(marks(), [1, 30], 'then the highest of the rest');
  engine.markRead(10, 31);
  clock.advance(1000);
  assert.deepEqual(marks(), [1, 30, 31]);
});

test('the chat on screen is joined on the socket, left when another opens, and joined again after a reconnect', async () => {
  const { engine, realtime, store } = await setup({ chats: [chat(10), chat(11)] });
  await engine.bootstrap();
  store.openChatId = 10;
  engine.followOpenChat(); // offline: nothing sent
  assert.deepEqual(realtime.sent, []);
  realtime.online = true;
  await engine.onReady();
  store.openChatId = 11;
  engine.followOpenChat();
  engine.followOpenChat(); // unchanged: nothing more
  store.openChatId = null;
  engine.followOpenChat();
  const frames = realtime.sent.filter((f) => f.type === 'join_chat' || f.type === 'leave_chat');
  assert.deepEqual(frames, [
    { type: 'join_chat', data: { chat_id: 10 } },
    { type: 'leave_chat', data: { chat_id: 10 } },
    { type: 'join_chat', data: { chat_id: 11 } },
    { type: 'leave_chat', data: { chat_id: 11 } },
  ]);
  // A reconnect: the new socket is told again.
  store.openChatId = 11;
  engine.followOpenChat();
  realtime.sent = [];
  await engine.onReady();
  assert.deepEqual(realtime.sent.filter((f) => f.type === 'join_chat'), [{ type: 'join_chat', data: { chat_id: 11 } }]);
});

// Feed retention (issue 18): the server prunes its feed after MESSENGER_FEED_RETENTION_DAYS,
// and /sync from a cursor before what it keeps answers 410. The client must then end with
// exactly what a fresh login shows: nothing missing, nothing doubled.
for (const head of [7, 8]) {
  test(`a cursor that fell out of the feed window reloads to exactly what a fresh login shows (head ${head})`, async () => {
    const before = chat(10, { last_message: msg(1), last_message_id: 1, unread_count: 1 });
    const { engine, api, store, realtime, events } = await setup({ events: [feed(1, 'new_message', { message: msg(1) })], chats: [before] });
    // head 7: the snapshot is newer than the cursor read before it (message 8 is in both the
    // snapshot and a held push, and must count once).
    await engine.bootstrap();
    store.openChatId = 10;
    store.addHistory(10, [msg(1)], false);
    assert.equal(engine.cursor, 1);

    // Offline for longer than the window: chat 10 moved on, chat 11 appeared, and the feed
    // was pruned up to 5, past this client's cursor.
    for (let id = 2; id <= 6; id += 1) api.events.push(feed(id, 'new_message', { message: msg(id) }));
    api.events.push(feed(7, 'chat_created', { chat: chat(11) }));
    // The newest message (8) is committed as the client comes back: the socket pushes it
    // while the client reloads, and the snapshot may or may not have it.
    api.events.push(feed(8, 'new_message', { message: msg(8, { chat: 11 }) }));
    const now = [
      chat(10, { last_message: msg(6), last_message_id: 6, unread_count: 6 }),
      chat(11, { last_message: msg(8, { chat: 11 }), last_message_id: 8, unread_count: 1 }),
    ];
    api.chats_ = now;
    const oldest = 5;
    const serve = api.sync;
    api.sync = async (since, limit) => {
      if (since !== undefined && since < oldest) {
        api.calls.push(['sync', since]);
        throw new ApiError(410, 'resync_required', 'The cursor is older than the feed keeps.');
      }
      if (since === undefined && engine.cursor === null) {
        api.calls.push(['sync', since]);
        return { cursor: head };
      }
      return serve(since, limit);
    };

    realtime.online = true;
    const done = engine.onReady();
    engine.handleFrame(feed(7, 'chat_created', { chat: chat(11) }));
    engine.handleFrame(feed(8, 'new_message', { message: msg(8, { chat: 11 }) }));
    await done;

    assert.deepEqual(api.calls.filter((c) => c[0] === 'sync').map((c) => c[1]), [undefined, 1, undefined]);
    assert.ok(events.includes('resynced'), 'the view is told to reload the open chat');
    assert.equal(engine.cursor, 8);
    assert.equal(store.historyLoaded(10), false, 'the stale page is dropped, to be read again');

    // A fresh login at the same moment.
    const fresh = await setup({ events: [...api.events], chats: now, head });
    await fresh.engine.bootstrap();
    fresh.engine.handleFrame(feed(8, 'new_message', { message: msg(8, { chat: 11 }) }));
    const view = (s) => JSON.stringify([...s.chats.entries()].sort((a, b) => a[0] - b[0]));
    assert.equal(view(store), view(fresh.store), 'the chat list equals a fresh login\'s');
    assert.equal(store.chats.get(11).unread_count, fresh.store.chats.get(11).unread_count);
    assert.equal(engine.cursor, fresh.engine.cursor);
    assert.equal(store.chats.get(11).unread_count, 1, 'message 8 counted once');
  });
}
