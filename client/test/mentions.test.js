import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Store } from '../renderer/lib/store.js';

const ME = { id: 1, username: 'me', display_name: 'Me' };
const CHAT = 10;

function msg(id, { sender = 2, mentions = [], deleted = false } = {}) {
  return { id, chat_id: CHAT, sender_id: sender, client_id: `c${id}`, text: deleted ? '' : `m${id}`, attachments: [], created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(), edited_at: null, deleted, mentions };
}

function storeWith(unreadMentions = 0) {
  const store = new Store();
  store.setMe(ME);
  store.setChats([
    {
      id: CHAT,
      kind: 'group',
      members: [{ user_id: 1, role: 'member', read_message_id: 5 }, { user_id: 2, role: 'owner', read_message_id: 0 }],
      last_message: msg(5),
      last_message_id: 5,
      unread_count: 0,
      unread_mentions: unreadMentions,
    },
  ]);
  return store;
}

const unreadMentions = (store) => store.chats.get(CHAT).unread_mentions;

test('a new message mentioning me from someone else counts once, however often it arrives', () => {
  const store = storeWith();
  store.apply({ type: 'new_message', data: { message: msg(6, { mentions: [1] }) } });
  store.apply({ type: 'new_message', data: { message: msg(6, { mentions: [1] }) } });
  store.apply({ type: 'new_message', data: { message: msg(7, { mentions: [3] }) } });
  store.apply({ type: 'new_message', data: { message: msg(8, { sender: 1, mentions: [1] }) } });
  assert.equal(unreadMentions(store), 1);
});

test('editing the mention away, deleting or hiding the message lowers the count', () => {
  const store = storeWith();
  store.addHistory(CHAT, [msg(5)], false);
  for (const id of [6, 7, 8]) store.apply({ type: 'new_message', data: { message: msg(id, { mentions: [1] }) } });
  assert.equal(unreadMentions(store), 3);
  store.apply({ type: 'message_updated', data: { message: msg(6) } });
  assert.equal(unreadMentions(store), 2);
  store.apply({ type: 'message_deleted', data: { message: msg(7, { deleted: true }) } });
  assert.equal(unreadMentions(store), 1);
  store.apply({ type: 'message_hidden', data: { chat_id: CHAT, message_id: 8 } });
  assert.equal(unreadMentions(store), 0);
});

test("an edit of the chat list's last message is known even without its history", () => {
  const store = storeWith();
  store.apply({ type: 'new_message', data: { message: msg(6, { mentions: [1] }) } });
  store.apply({ type: 'message_updated', data: { message: msg(6) } });
  assert.equal(unreadMentions(store), 0);
});

test('reading up to the newest message clears the count, reading part of it recounts', () => {
  const store = storeWith();
  store.addHistory(CHAT, [msg(5), msg(6, { mentions: [1] }), msg(7), msg(8, { mentions: [1] })], false);
  store.apply({ type: 'new_message', data: { message: msg(9, { mentions: [1] }) } });
  const before = unreadMentions(store);
  store.markReadLocally(CHAT, 7);
  assert.equal(unreadMentions(store), Math.min(before, 2));
  store.markReadLocally(CHAT, 9);
  assert.equal(unreadMentions(store), 0);
});

test('the server count stays when the loaded history cannot recount it', () => {
  const store = storeWith(4);
  store.markReadLocally(CHAT, 4);
  assert.equal(unreadMentions(store), 4);
});
