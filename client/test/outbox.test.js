import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, MemoryOutboxStorage } from '../renderer/lib/outbox.js';
import { newClientId } from '../renderer/lib/ids.js';

test('client ids are random v4 UUIDs', () => {
  const a = newClientId();
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, newClientId());
});

test('queued messages survive a restart (a new Outbox on the same storage)', async () => {
  const storage = new MemoryOutboxStorage();
  const first = new Outbox({ storage, userId: 1 });
  const a = await first.add({ chat_id: 5, text: 'one' });
  const b = await first.add({ chat_id: 6, text: 'two', reply_to_id: 3 });
  const second = new Outbox({ storage, userId: 1 });
  const loaded = await second.load();
  assert.deepEqual(loaded.map((x) => [x.client_id, x.text]), [[a.client_id, 'one'], [b.client_id, 'two']]);
  assert.equal(second.list(6)[0].reply_to_id, 3);
  const c = await second.add({ chat_id: 5, text: 'three' });
  assert.deepEqual(second.list().map((x) => x.text), ['one', 'two', 'three'], 'order kept after reload');
  assert.notEqual(c.client_id, a.client_id);
});

test('each user sees only their own outbox', async () => {
  const storage = new MemoryOutboxStorage();
  await new Outbox({ storage, userId: 1 }).add({ chat_id: 5, text: 'mine' });
  const other = new Outbox({ storage, userId: 2 });
  assert.deepEqual(await other.load(), []);
});

test('acknowledged items are removed; failed ones stay but are not resent', async () => {
  const storage = new MemoryOutboxStorage();
  const box = new Outbox({ storage, userId: 1 });
  const a = await box.add({ chat_id: 5, text: 'a' });
  const b = await box.add({ chat_id: 5, text: 'b' });
  assert.equal(await box.remove(a.client_id), true);
  assert.equal(await box.remove(a.client_id), false, 'a second ack is harmless');
  await box.markFailed(b.client_id, 'message_too_long');
  assert.deepEqual(box.sendable(), []);
  const reloaded = new Outbox({ storage, userId: 1 });
  await reloaded.load();
  assert.equal(reloaded.get(b.client_id).failed, 'message_too_long');
  await reloaded.retry(b.client_id);
  assert.deepEqual(reloaded.sendable().map((x) => x.text), ['b']);
});
