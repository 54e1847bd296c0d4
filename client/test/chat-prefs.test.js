// My chat settings and drafts in the store (issue 15): the list's order, the archive and
// how a new message leaves it, the frames of my other devices, unread totals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../renderer/lib/store.js';
import { isMuted, movePinned, orderChats } from '../renderer/lib/chat-prefs.js';

const ME = { id: 1, username: 'anna', display_name: 'Anna' };
const T0 = 1_700_000_000_000;

function group(id, { at = id, ...extra } = {}) {
  return {
    id,
    kind: 'group',
    title: `G${id}`,
    created_at: new Date(T0).toISOString(),
    last_activity_at: new Date(T0 + at * 1000).toISOString(),
    members: [{ user_id: ME.id, role: 'member', read_message_id: 0, delivered_message_id: 0 }],
    last_message: null,
    unread_count: 0,
    muted_until: null,
    muted: false,
    pinned: false,
    archived: false,
    draft: null,
    ...extra,
  };
}

function message(id, chat, at) {
  return { id, chat_id: chat, sender_id: 2, client_id: `c${id}`, text: 'hi', reply_to_id: null, attachments: [], created_at: new Date(T0 + at * 1000).toISOString(), edited_at: null, deleted: false };
}

function storeWith(chats) {
  const store = new Store({ now: () => T0 + 50_000 });
  store.setMe(ME);
  store.setChats(chats);
  return store;
}

const ids = (chats) => chats.map((c) => c.id);

test('pinned chats come first in the order the server gave, then the rest by activity', () => {
  const store = storeWith([group(3, { pinned: true }), group(1, { pinned: true }), group(2), group(4), group(5, { archived: true })]);
  assert.deepEqual(store.pinnedChatIds, [3, 1]);
  assert.deepEqual(ids(store.chatList()), [3, 1, 4, 2]);
  assert.deepEqual(ids(store.chatList({ archived: true })), [5]);
});

test('chat_settings_updated from another device pins, reorders and archives', () => {
  const store = storeWith([group(1), group(2), group(3)]);
  store.apply({ type: 'chat_settings_updated', data: { chat_id: 1, muted_until: null, muted: false, pinned: true, archived: false, pinned_chat_ids: [1] } });
  assert.deepEqual(ids(store.chatList()), [1, 3, 2]);
  store.apply({ type: 'chat_settings_updated', data: { chat_id: 2, muted_until: null, muted: false, pinned: true, archived: false, pinned_chat_ids: [1, 2] } });
  assert.deepEqual(ids(store.chatList()), [1, 2, 3]);
  store.apply({ type: 'chat_settings_updated', data: { chat_id: 1, muted_until: null, muted: false, pinned: false, archived: true, pinned_chat_ids: [2] } });
  assert.deepEqual(ids(store.chatList()), [2, 3]);
  assert.deepEqual(ids(store.chatList({ archived: true })), [1]);
});

test('a new message takes a chat out of the archive unless it is muted', () => {
  const store = storeWith([group(1, { archived: true }), group(2, { archived: true, muted_until: 'forever', muted: true })]);
  store.apply({ type: 'new_message', data: { message: message(10, 1, 60) } });
  store.apply({ type: 'new_message', data: { message: message(11, 2, 61) } });
  assert.deepEqual(ids(store.chatList()), [1]);
  assert.deepEqual(ids(store.chatList({ archived: true })), [2]);
  assert.equal(store.chats.get(2).unread_count, 1, 'a muted chat still counts');
});

test('a message that came while a timed mute lasted keeps the archive', () => {
  const until = new Date(T0 + 100_000).toISOString();
  const store = storeWith([group(1, { archived: true, muted_until: until, muted: true })]);
  store.apply({ type: 'new_message', data: { message: message(10, 1, 60) } });
  assert.equal(store.chats.get(1).archived, true);
  store.apply({ type: 'new_message', data: { message: message(11, 1, 200) } });
  assert.equal(store.chats.get(1).archived, false);
});

test('muted chats stay out of the unread total', () => {
  const store = storeWith([group(1, { unread_count: 2 }), group(2, { unread_count: 5, muted_until: 'forever', muted: true })]);
  assert.equal(store.totalUnread(), 2);
});

test('draft_updated sets and clears the draft of a chat', () => {
  const store = storeWith([group(1)]);
  const draft = { text: 'later', reply_to_id: null, updated_at: new Date(T0).toISOString() };
  store.apply({ type: 'draft_updated', data: { chat_id: 1, draft } });
  assert.deepEqual(store.chats.get(1).draft, draft);
  store.apply({ type: 'draft_updated', data: { chat_id: 1, draft: null } });
  assert.equal(store.chats.get(1).draft, null);
});

test('a mute ends by itself, and moving a pin stops at the ends', () => {
  assert.equal(isMuted({ muted_until: new Date(T0 + 1).toISOString() }, T0), true);
  assert.equal(isMuted({ muted_until: new Date(T0 - 1).toISOString() }, T0), false);
  assert.equal(isMuted({ muted_until: 'forever' }, T0), true);
  assert.deepEqual(movePinned([1, 2, 3], 3, -1), [1, 3, 2]);
  assert.deepEqual(movePinned([1, 2, 3], 1, -1), [1, 2, 3]);
  assert.deepEqual(ids(orderChats([group(1), group(2, { pinned: true })], [2])), [2, 1]);
});
