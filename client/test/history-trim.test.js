// The loaded history of a chat stays bounded (issue 17): scrolling far up drops the newest
// messages (the history becomes a window short of the newest, paged down again later),
// paging down or new messages drop the oldest, and a chat in the background keeps only its
// newest. The sorted history is cached until the history changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, HISTORY_LIMIT, HISTORY_SLACK } from '../renderer/lib/store.js';

const ME = { id: 1, username: 'anna' };

function msg(id, { chat = 10, sender = 2 } = {}) {
  return { id, chat_id: chat, sender_id: sender, client_id: `c${id}`, text: `m${id}`, reply_to_id: null, attachments: [], created_at: new Date(1_700_000_000_000 + id * 1000).toISOString(), edited_at: null, deleted: false };
}

const range = (from, to, opts) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i, opts));

function storeWithChats() {
  const store = new Store();
  store.setMe(ME);
  store.setChats([
    { id: 10, kind: 'direct', members: [], last_message: msg(1000), last_message_id: 1000, unread_count: 0 },
    { id: 20, kind: 'direct', members: [], last_message: msg(5000, { chat: 20 }), last_message_id: 5000, unread_count: 0 },
  ]);
  return store;
}

const ids = (store, chat = 10) => store.history(chat).map((m) => m.id);

test('dropping the newest makes the history a window short of the newest', () => {
  const store = storeWithChats();
  store.addHistory(10, range(961, 1000), true);
  store.addHistory(10, range(921, 960), true, { older: true });

  const dropped = store.trimHistory(10, 50, { drop: 'newer' });

  assert.equal(dropped, 30);
  assert.deepEqual(ids(store), range(921, 970).map((m) => m.id));
  assert.equal(store.isDetached(10), true);
  assert.equal(store.hasMore.get(10), true);
  // A message arriving now is not added after the gap; paging down reaches it.
  store.apply({ type: 'new_message', data: { message: msg(1001) } });
  assert.equal(store.newestId(10), 970);
});

test('dropping the oldest says older messages exist again', () => {
  const store = storeWithChats();
  store.setHistoryWindow(10, range(1, 40), { hasOlder: false, hasNewer: true });
  store.addNewer(10, range(41, 80), true);

  assert.equal(store.trimHistory(10, 50, { drop: 'older' }), 30);

  assert.equal(store.oldestId(10), 31);
  assert.equal(store.newestId(10), 80);
  assert.equal(store.hasMore.get(10), true);
  assert.equal(store.isDetached(10), true);
});

test('trimming a history within the bound changes nothing and tells no one', () => {
  const store = storeWithChats();
  store.addHistory(10, range(961, 1000), true);
  const seen = [];
  store.subscribe((what) => seen.push(what));

  assert.equal(store.trimHistory(10, 40, { drop: 'older' }), 0);

  assert.deepEqual(seen, []);
  assert.equal(ids(store).length, 40);
});

test('a chat in the background keeps only its newest messages as new ones arrive', () => {
  const store = storeWithChats();
  store.openChatId = 10;
  store.addHistory(20, range(4961, 5000, { chat: 20 }), true);
  store.addHistory(10, range(961, 1000), true);
  for (let id = 5001; id <= 5000 + HISTORY_LIMIT + HISTORY_SLACK; id += 1) store.apply({ type: 'new_message', data: { message: msg(id, { chat: 20 }) } });
  for (let id = 1001; id <= 1000 + HISTORY_LIMIT + HISTORY_SLACK; id += 1) store.apply({ type: 'new_message', data: { message: msg(id) } });

  const background = ids(store, 20);
  assert.ok(background.length <= HISTORY_LIMIT + HISTORY_SLACK, `${background.length} kept`);
  assert.equal(background.at(-1), 5000 + HISTORY_LIMIT + HISTORY_SLACK);
  assert.equal(store.hasMore.get(20), true);
  // The open chat is trimmed by its list, which knows where the reader is.
  assert.equal(ids(store).length, 40 + HISTORY_LIMIT + HISTORY_SLACK);
});

test('the sorted history is the same array until the history changes', () => {
  const store = storeWithChats();
  store.addHistory(10, [msg(1000), msg(998), msg(999)], true);
  const first = store.history(10);
  assert.deepEqual(first.map((m) => m.id), [998, 999, 1000]);
  assert.equal(store.history(10), first);
  const version = store.historyVersion.get(10);

  // The same message again (a feed frame repeating a page) changes nothing.
  store.addHistory(10, [first[0]], true, { older: true });
  assert.equal(store.history(10), first);

  store.apply({ type: 'message_updated', data: { message: { ...msg(999), text: 'edited' } } });
  const second = store.history(10);
  assert.notEqual(second, first);
  assert.equal(second[1].text, 'edited');
  assert.ok(store.historyVersion.get(10) > version);

  store.apply({ type: 'message_hidden', data: { chat_id: 10, message_id: 998 } });
  assert.deepEqual(ids(store), [999, 1000]);
  store.apply({ type: 'chat_cleared', data: { chat_id: 10, up_to_message_id: 999 } });
  assert.deepEqual(ids(store), [1000]);
  store.resetHistory(10);
  assert.deepEqual(ids(store), []);
});
