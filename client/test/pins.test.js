// A chat's pins as the client keeps them (lib/pins.js, folded in by Store.apply): newest
// first, each frame applied once whatever how often it comes, and nothing of what I cleared
// or hid, nor a deleted message, stays pinned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../renderer/lib/store.js';
import { mayPin, pinsOf, setPins } from '../renderer/lib/pins.js';

const ME = { id: 1, username: 'anna' };

function msg(id, { chat = 10, sender = 2, text = `m${id}` } = {}) {
  return { id, chat_id: chat, sender_id: sender, client_id: `c${id}`, text, reply_to_id: null, attachments: [], created_at: new Date(1_700_000_000_000 + id * 1000).toISOString(), edited_at: null, deleted: false };
}

function pinned(id, second) {
  const at = new Date(1_700_000_000_000 + second * 1000).toISOString();
  return { type: 'message_pinned', data: { chat_id: 10, message_id: id, pinned_by: 2, pinned_at: at, message: msg(id) } };
}

function storeWithChat(kind = 'group', role = 'member') {
  const store = new Store();
  store.setMe(ME);
  const members = [{ user_id: 1, role }, { user_id: 2, role: 'owner' }];
  store.setChats([{ id: 10, kind, members, last_message: msg(100), last_message_id: 100, unread_count: 0 }]);
  return store;
}

const ids = (store) => pinsOf(store, 10).map((p) => p.message_id);

test('pins come newest first and a frame applied twice changes nothing', () => {
  const store = storeWithChat();
  const kinds = [];
  store.subscribe((what) => kinds.push(what.kind));

  store.apply(pinned(5, 1));
  store.apply(pinned(7, 2));
  store.apply(pinned(5, 1));

  assert.deepEqual(ids(store), [7, 5]);
  assert.ok(kinds.includes('pins'));
  store.apply({ type: 'message_unpinned', data: { chat_id: 10, message_id: 7, pinned_by: 2, unpinned_by: 2 } });
  store.apply({ type: 'message_unpinned', data: { chat_id: 10, message_id: 7, pinned_by: 2, unpinned_by: 2 } });
  assert.deepEqual(ids(store), [5]);
});

test('a deleted, hidden or cleared message drops its pin; an edit shows in the bar', () => {
  const store = storeWithChat();
  for (const [id, second] of [[3, 1], [5, 2], [7, 3], [9, 4]]) store.apply(pinned(id, second));

  store.apply({ type: 'message_updated', data: { message: { ...msg(9), text: 'edited' } } });
  store.apply({ type: 'message_deleted', data: { message: { ...msg(7), text: '', deleted: true } } });
  store.apply({ type: 'message_hidden', data: { chat_id: 10, message_id: 5 } });
  store.apply({ type: 'chat_cleared', data: { chat_id: 10, up_to_message_id: 3 } });

  assert.deepEqual(ids(store), [9]);
  assert.equal(pinsOf(store, 10)[0].message.text, 'edited');
});

test('a REST read replaces the pins, without what I hid', () => {
  const store = storeWithChat();
  store.apply(pinned(5, 1));
  store.hideMessage(10, 8);

  setPins(store, 10, [pinned(8, 3).data, pinned(6, 2).data]);

  assert.deepEqual(ids(store), [6]);
});

test('both users of a dialog may pin, in a group only its owner and admins', () => {
  const dialog = storeWithChat('direct');
  assert.equal(mayPin(dialog, dialog.chats.get(10)), true);
  const member = storeWithChat('group', 'member');
  const admin = storeWithChat('group', 'admin');
  assert.equal(mayPin(member, member.chats.get(10)), false);
  assert.equal(mayPin(admin, admin.chats.get(10)), true);
});
