import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../renderer/lib/store.js';

const ME = { id: 1, username: 'anna', display_name: 'Anna' };
const BOB = { id: 2, username: 'bob', display_name: 'Bob Brown' };
const CAROL = { id: 3, username: 'carol', display_name: 'Carol' };

function msg(id, { chat = 10, sender = BOB.id } = {}) {
  return { id, chat_id: chat, sender_id: sender, client_id: `c${id}`, text: `m${id}`, reply_to_id: null, attachments: [], created_at: new Date(1_700_000_000_000 + id * 1000).toISOString(), edited_at: null, deleted: false };
}

function member(user, extra = {}) {
  return { user_id: user.id, role: 'member', read_message_id: 0, delivered_message_id: 0, user, ...extra };
}

function dialog(id = 10, extra = {}) {
  return { id, kind: 'direct', title: null, created_at: new Date(1_700_000_000_000).toISOString(), members: [member(ME), member(BOB)], last_message: null, unread_count: 0, ...extra };
}

function storeWith({ chats = [dialog()], history = [] } = {}) {
  const store = new Store();
  store.setMe(ME);
  store.setChats(chats);
  if (history.length) store.addHistory(history[0].chat_id, history, false);
  const changes = [];
  store.subscribe((c) => changes.push(c));
  return { store, changes };
}

const frame = (type, data) => ({ type, data });

// --- names ----------------------------------------------------------------------------------

test('a contact is called by my local name, everyone else by their display name', () => {
  const { store } = storeWith({ chats: [dialog(10, { members: [member(ME), member(BOB), member(CAROL)] })] });
  store.setContacts([{ ...BOB, local_name: 'Bobby (work)' }]);
  assert.equal(store.nameOf(BOB.id), 'Bobby (work)');
  assert.equal(store.nameOf(CAROL.id), 'Carol');
  assert.equal(store.nameOf(ME.id), 'Anna', 'my own name is never a local name');
});

test('a contact without a local name, or one whose local name was cleared, keeps their display name', () => {
  const { store } = storeWith();
  store.setContacts([{ ...BOB, local_name: null }]);
  assert.equal(store.nameOf(BOB.id), 'Bob Brown');
  store.setContact(BOB.id, { user_id: BOB.id, local_name: 'B' });
  assert.equal(store.nameOf(BOB.id), 'B');
  store.setContact(BOB.id, { user_id: BOB.id, local_name: null });
  assert.equal(store.nameOf(BOB.id), 'Bob Brown');
});

test('a name falls back to the username, then to the label for someone unknown', () => {
  const { store } = storeWith();
  store.rememberUsers([{ id: 7, username: 'zed', display_name: '' }]);
  assert.equal(store.nameOf(7), 'zed');
  assert.equal(store.nameOf(99, { unknown: 'User' }), 'User');
});

test('a deleted account is "Deleted account" whatever I called it', () => {
  const { store } = storeWith();
  store.setContacts([{ ...BOB, local_name: 'Bobby' }]);
  store.apply(frame('profile_updated', { user: { ...BOB, display_name: '', deleted: true } }));
  assert.equal(store.nameOf(BOB.id, { deleted: 'Удалённый аккаунт' }), 'Удалённый аккаунт');
});

test('GET /contacts may give profiles or {user_id, local_name, user}', () => {
  const { store } = storeWith();
  store.setContacts([{ user_id: CAROL.id, local_name: 'Caz', user: CAROL }]);
  assert.equal(store.nameOf(CAROL.id), 'Caz');
  assert.equal(store.users.get(CAROL.id).display_name, 'Carol');
});

test('viewer-relative fields of a REST read go to contacts and blocks, not into the profile', () => {
  const { store } = storeWith();
  store.rememberUsers([{ ...CAROL, is_contact: true, local_name: 'C.', blocked: true }]);
  assert.equal(store.nameOf(CAROL.id), 'C.');
  assert.ok(store.isBlocked(CAROL.id));
  assert.equal('local_name' in store.users.get(CAROL.id), false);
  assert.equal('blocked' in store.users.get(CAROL.id), false);
  store.rememberUsers([{ ...CAROL, is_contact: false, local_name: null, blocked: false }]);
  assert.equal(store.isContact(CAROL.id), false);
  assert.equal(store.isBlocked(CAROL.id), false);
  assert.equal(store.nameOf(CAROL.id), 'Carol');
});

test('a profile frame without viewer-relative fields leaves my contact as it is', () => {
  const { store } = storeWith();
  store.setContacts([{ ...BOB, local_name: 'Bobby' }]);
  store.apply(frame('profile_updated', { user: { ...BOB, display_name: 'Robert' } }));
  assert.equal(store.nameOf(BOB.id), 'Bobby');
  assert.equal(store.users.get(BOB.id).display_name, 'Robert');
});

// --- frames ---------------------------------------------------------------------------------

test('contacts_updated adds, renames and removes a contact, and says so', () => {
  const { store, changes } = storeWith();
  store.apply(frame('contacts_updated', { user_id: BOB.id, contact: { user_id: BOB.id, local_name: 'Bobby' } }));
  assert.ok(store.isContact(BOB.id));
  assert.equal(store.nameOf(BOB.id), 'Bobby');
  store.apply(frame('contacts_updated', { user_id: BOB.id, contact: { user_id: BOB.id, local_name: 'Rob' } }));
  assert.equal(store.nameOf(BOB.id), 'Rob');
  store.apply(frame('contacts_updated', { user_id: BOB.id, contact: null }));
  assert.equal(store.isContact(BOB.id), false);
  assert.equal(store.nameOf(BOB.id), 'Bob Brown');
  assert.deepEqual(
    changes.map((c) => c.kind),
    ['contacts', 'contacts', 'contacts'],
  );
});

test('profile_updated replaces the user everywhere, me included', () => {
  const { store, changes } = storeWith();
  const avatar = { small: '/api/v1/users/2/avatar?size=96&v=3', large: '/api/v1/users/2/avatar?size=512&v=3' };
  store.apply(frame('profile_updated', { user: { ...BOB, display_name: 'Bob B.', avatar, avatar_frame: 'gold' } }));
  assert.equal(store.peer(store.chats.get(10)).display_name, 'Bob B.');
  assert.deepEqual(store.users.get(BOB.id).avatar, avatar);
  assert.deepEqual(changes.at(-1), { kind: 'users', userId: BOB.id });

  store.apply(frame('profile_updated', { user: { ...ME, display_name: 'Anna K.', bio: 'hi' } }));
  assert.equal(store.me.display_name, 'Anna K.');
  assert.equal(store.me.bio, 'hi');
  assert.ok(changes.some((c) => c.kind === 'me'));
});

test('blocks_updated blocks and unblocks', () => {
  const { store, changes } = storeWith();
  store.apply(frame('blocks_updated', { user_id: BOB.id, blocked: true }));
  assert.ok(store.isBlocked(BOB.id));
  store.apply(frame('blocks_updated', { user_id: BOB.id, blocked: false }));
  assert.equal(store.isBlocked(BOB.id), false);
  assert.deepEqual(changes.map((c) => c.kind), ['blocks', 'blocks']);
});

test('typing shows who types but does not make them online: someone may hide that from me', () => {
  const { store, changes } = storeWith();
  store.apply(frame('typing', { chat_id: 10, user_id: BOB.id }));
  assert.deepEqual(store.typingIn(10), [BOB.id]);
  assert.equal(store.online.get(BOB.id), undefined);
  assert.deepEqual(changes.map((c) => c.kind), ['typing']);
  store.apply(frame('presence', { user_id: BOB.id, online: true, last_seen_at: null }));
  assert.equal(store.online.get(BOB.id), true, 'a presence frame does');
});

test('privacy_updated replaces my privacy settings', () => {
  const { store, changes } = storeWith();
  const privacy = { last_seen: 'contacts', online: 'everybody', avatar: 'everybody', bio: 'nobody', birthdate: 'contacts', email: 'nobody', groups_add: 'contacts', read_receipts: false };
  store.apply(frame('privacy_updated', { privacy }));
  assert.deepEqual(store.privacy, privacy);
  assert.deepEqual(changes, [{ kind: 'privacy' }]);
});

test('chat_cleared drops the history up to the mark, the last message and the unread count', () => {
  const history = [msg(1), msg(2), msg(3)];
  const { store } = storeWith({ chats: [dialog(10, { last_message: msg(3), last_message_id: 3, unread_count: 2 })], history });
  store.apply(frame('chat_cleared', { chat_id: 10, up_to_message_id: 3 }));
  assert.deepEqual(store.history(10), []);
  assert.equal(store.chats.get(10).last_message, null);
  assert.equal(store.chats.get(10).unread_count, 0);
  assert.ok(store.historyLoaded(10), 'the chat is still loaded, only empty');
});

test('chat_cleared keeps what came after the mark, and a late copy of a cleared message stays out', () => {
  const { store } = storeWith({ chats: [dialog(10, { last_message: msg(5), last_message_id: 5, unread_count: 1 })], history: [msg(3), msg(4), msg(5)] });
  store.apply(frame('chat_cleared', { chat_id: 10, up_to_message_id: 4 }));
  assert.deepEqual(store.history(10).map((m) => m.id), [5]);
  assert.equal(store.chats.get(10).last_message.id, 5);
  assert.equal(store.chats.get(10).unread_count, 1);
  // A push held during a catch-up, or an older page, may bring a cleared message again.
  const result = store.putMessage(msg(4));
  assert.equal(result.isNew, false);
  store.addHistory(10, [msg(2)], false, { older: true });
  assert.deepEqual(store.history(10).map((m) => m.id), [5]);
  assert.equal(store.chats.get(10).unread_count, 1);
});

test('message_hidden removes one message for me; the chat list falls back to the one before', () => {
  const { store, changes } = storeWith({ chats: [dialog(10, { last_message: msg(3), last_message_id: 3, unread_count: 1 })], history: [msg(2, { sender: ME.id }), msg(3)] });
  store.apply(frame('message_hidden', { chat_id: 10, message_id: 3 }));
  assert.deepEqual(store.history(10).map((m) => m.id), [2]);
  assert.equal(store.chats.get(10).last_message.id, 2);
  assert.equal(store.chats.get(10).unread_count, 0, 'the hidden message was the unread one');
  assert.ok(changes.some((c) => c.kind === 'messages' && c.hidden));
  store.apply(frame('new_message', { message: msg(3) }));
  assert.deepEqual(store.history(10).map((m) => m.id), [2], 'a replay does not bring it back');
  store.apply(frame('message_updated', { message: { ...msg(3), text: 'edited' } }));
  assert.deepEqual(store.history(10).map((m) => m.id), [2]);
});

test('applying a people frame twice changes nothing more', () => {
  const { store } = storeWith({ chats: [dialog(10, { last_message: msg(3), last_message_id: 3, unread_count: 1 })], history: [msg(2), msg(3)] });
  for (let i = 0; i < 2; i += 1) {
    store.apply(frame('message_hidden', { chat_id: 10, message_id: 3 }));
    store.apply(frame('contacts_updated', { user_id: BOB.id, contact: { user_id: BOB.id, local_name: 'B' } }));
    store.apply(frame('chat_cleared', { chat_id: 10, up_to_message_id: 1 }));
  }
  assert.deepEqual(store.history(10).map((m) => m.id), [2]);
  assert.equal(store.chats.get(10).unread_count, 0);
  assert.equal(store.nameOf(BOB.id), 'B');
});

test('an unknown frame type is ignored', () => {
  const { store, changes } = storeWith();
  assert.deepEqual(store.apply(frame('some_future_frame', { anything: 1 })), {});
  assert.deepEqual(changes, []);
});

test('the same frames coming through /sync after a reconnect are applied once, in feed order', async () => {
  const { SyncEngine } = await import('../renderer/lib/sync.js');
  const { Outbox, MemoryOutboxStorage } = await import('../renderer/lib/outbox.js');
  const { FakeClock } = await import('./fakes.js');
  const clock = new FakeClock();
  const events = [
    { cursor: 1, type: 'new_message', data: { message: msg(1) } },
    { cursor: 2, type: 'new_message', data: { message: msg(2) } },
    { cursor: 3, type: 'contacts_updated', data: { user_id: BOB.id, contact: { user_id: BOB.id, local_name: 'Bobby' } } },
    { cursor: 4, type: 'message_hidden', data: { chat_id: 10, message_id: 2 } },
    { cursor: 5, type: 'blocks_updated', data: { user_id: CAROL.id, blocked: true } },
    { cursor: 6, type: 'privacy_updated', data: { privacy: { last_seen: 'nobody' } } },
    { cursor: 7, type: 'chat_cleared', data: { chat_id: 10, up_to_message_id: 1 } },
    { cursor: 8, type: 'profile_updated', data: { user: { ...BOB, display_name: 'Robert' } } },
  ];
  const api = {
    async sync(since) {
      if (since === undefined) return { cursor: 0 };
      const page = events.filter((e) => e.cursor > since);
      return { events: page, cursor: page.at(-1)?.cursor ?? since, has_more: false };
    },
    async chats() {
      return { items: [dialog()] };
    },
  };
  const realtime = { online: true, send: () => true };
  const store = new Store();
  store.setMe(ME);
  const outbox = new Outbox({ storage: new MemoryOutboxStorage(), userId: ME.id });
  await outbox.load();
  const engine = new SyncEngine({ api, realtime, store, outbox, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: () => clock.now });
  await engine.bootstrap();
  store.addHistory(10, [], false);
  await engine.onReady();
  // A push of an event the sync already applied changes nothing.
  engine.handleFrame(events[2]);
  engine.handleFrame({ cursor: 4, type: 'contacts_updated', data: { user_id: BOB.id, contact: null } });
  assert.deepEqual(store.history(10), []);
  assert.equal(store.nameOf(BOB.id), 'Bobby');
  assert.equal(store.users.get(BOB.id).display_name, 'Robert');
  assert.ok(store.isBlocked(CAROL.id));
  assert.deepEqual(store.privacy, { last_seen: 'nobody' });
  assert.equal(store.chats.get(10).last_message, null, 'message 2 hidden, message 1 cleared');
  assert.equal(engine.cursor, 8);
});
