// The history window of a chat opened at a message (`?around=`): it holds a contiguous
// run of messages short of the newest, so messages arriving meanwhile must wait until
// paging down reaches them rather than sit after it with a gap in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../renderer/lib/store.js';

const ME = { id: 1, username: 'anna' };

function msg(id, { chat = 10, sender = 2, text = `m${id}` } = {}) {
  return { id, chat_id: chat, sender_id: sender, client_id: `c${id}`, text, reply_to_id: null, attachments: [], created_at: new Date(1_700_000_000_000 + id * 1000).toISOString(), edited_at: null, deleted: false };
}

function storeWithChat() {
  const store = new Store();
  store.setMe(ME);
  store.setChats([{ id: 10, kind: 'direct', members: [], last_message: msg(100), last_message_id: 100, unread_count: 0 }]);
  return store;
}

const ids = (store) => store.history(10).map((m) => m.id);

test('a window around a message replaces what was loaded and says what lies beyond it', () => {
  const store = storeWithChat();
  store.addHistory(10, [msg(98), msg(99), msg(100)], true);

  store.setHistoryWindow(10, [msg(40), msg(41), msg(42)], { hasOlder: true, hasNewer: true });

  assert.deepEqual(ids(store), [40, 41, 42]);
  assert.equal(store.hasMore.get(10), true);
  assert.equal(store.isDetached(10), true);
  assert.equal(store.newestId(10), 42);
});

test('a message arriving while the window is short of the newest is not added to it, an edit of a shown one is', () => {
  const store = storeWithChat();
  store.setHistoryWindow(10, [msg(40), msg(41)], { hasOlder: false, hasNewer: true });

  store.apply({ type: 'new_message', data: { message: msg(101) } });
  store.apply({ type: 'message_updated', data: { message: { ...msg(41), text: 'edited' } } });

  assert.deepEqual(ids(store), [40, 41]);
  assert.equal(store.message(10, 41).text, 'edited');
  // The chat list still learns of the new message.
  assert.equal(store.chats.get(10).last_message.id, 101);
});

test('paging down to the newest ends the window, and new messages are added again', () => {
  const store = storeWithChat();
  store.setHistoryWindow(10, [msg(40)], { hasOlder: false, hasNewer: true });

  store.addNewer(10, [msg(41), msg(100)], true);
  assert.equal(store.isDetached(10), true);
  store.addNewer(10, [msg(101)], false);
  store.apply({ type: 'new_message', data: { message: msg(102) } });

  assert.equal(store.isDetached(10), false);
  assert.deepEqual(ids(store), [40, 41, 100, 101, 102]);
});

test('a window that reaches the newest message is no window', () => {
  const store = storeWithChat();
  store.setHistoryWindow(10, [msg(99), msg(100)], { hasOlder: true, hasNewer: false });
  store.apply({ type: 'new_message', data: { message: msg(101) } });

  assert.equal(store.isDetached(10), false);
  assert.deepEqual(ids(store), [99, 100, 101]);
  store.resetHistory(10);
  assert.equal(store.historyLoaded(10), false);
});
