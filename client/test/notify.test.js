// When a new message becomes a desktop notification, what it says, and how many pop up at
// once (lib/notify.js), and this device's notification settings (lib/notify-prefs.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Store } from '../renderer/lib/store.js';
import { HOUR_MS, NotificationGate, notificationContent, silencedBecause, titleWithUnread } from '../renderer/lib/notify.js';
import { DEFAULT_PREFS, loadPrefs, savePrefs } from '../renderer/lib/notify-prefs.js';

const ME = { id: 1, username: 'me', display_name: 'Me' };
const NOW = Date.parse('2026-12-07T12:00:00Z');
const GROUP = 10;
const MUTED = 11;
const DIRECT = 12;

function msg(id, { chat = GROUP, sender = 2, mentions = [], deleted = false, text = `m${id}` } = {}) {
  return { id, chat_id: chat, sender_id: sender, client_id: `c${id}`, text, attachments: [], created_at: new Date(NOW).toISOString(), edited_at: null, deleted, mentions };
}

function chat(id, extra = {}) {
  return { id, kind: 'group', title: `G${id}`, members: [{ user_id: 1 }, { user_id: 2 }, { user_id: 3 }], last_message: null, unread_count: 0, ...extra };
}

function store() {
  const s = new Store({ now: () => NOW });
  s.setMe(ME);
  s.setChats([chat(GROUP), chat(MUTED, { muted_until: 'forever' }), chat(DIRECT, { kind: 'direct', title: null })]);
  return s;
}

const away = { focused: false, openChatId: null, now: NOW, mutedUntil: 0 };

test('a message from someone else notifies while the window is in the background', () => {
  assert.equal(silencedBecause(store(), msg(1), away), null);
});

test('a message in the open chat notifies only while the window is not focused', () => {
  const s = store();
  assert.equal(silencedBecause(s, msg(1), { ...away, focused: true, openChatId: GROUP }), 'on_screen');
  assert.equal(silencedBecause(s, msg(1), { ...away, focused: false, openChatId: GROUP }), null);
  assert.equal(silencedBecause(s, msg(1), { ...away, focused: true, openChatId: DIRECT }), null, 'another chat is open');
});

test('no notification for my own, deleted, hidden or blocked messages', () => {
  const s = store();
  assert.equal(silencedBecause(s, msg(1, { sender: 1 }), away), 'mine');
  assert.equal(silencedBecause(s, msg(2, { deleted: true }), away), 'deleted');
  s.hideMessage(GROUP, 3);
  assert.equal(silencedBecause(s, msg(3), away), 'hidden');
  s.clearChat(GROUP, 4);
  assert.equal(silencedBecause(s, msg(4), away), 'hidden', 'below my clear mark');
  s.setBlocked(3, true);
  assert.equal(silencedBecause(s, msg(5, { sender: 3 }), away), 'blocked');
  assert.equal(silencedBecause(s, msg(6, { sender: 2 }), away), null);
});

test('a muted chat is silent, except for a mention of me', () => {
  const s = store();
  assert.equal(silencedBecause(s, msg(1, { chat: MUTED }), away), 'chat_muted');
  assert.equal(silencedBecause(s, msg(2, { chat: MUTED, mentions: [1] }), away), null);
  assert.equal(silencedBecause(s, msg(3, { chat: MUTED, mentions: [3] }), away), 'chat_muted', 'someone else was mentioned');
  // Muted until a time that has passed: not muted any more.
  s.chats.set(MUTED, { ...s.chats.get(MUTED), muted_until: new Date(NOW - 1000).toISOString() });
  assert.equal(silencedBecause(s, msg(4, { chat: MUTED }), away), null);
});

test('"mute all for an hour" silences everything, mentions too, until it ends', () => {
  const s = store();
  const muted = { ...away, mutedUntil: NOW + HOUR_MS };
  assert.equal(silencedBecause(s, msg(1), muted), 'all_muted');
  assert.equal(silencedBecause(s, msg(2, { mentions: [1] }), muted), 'all_muted');
  assert.equal(silencedBecause(s, msg(3), { ...muted, now: NOW + HOUR_MS }), null);
});

test('what the notification says: sender, chat and text, or "New message"', () => {
  const labels = { newMessage: 'New message' };
  const group = notificationContent(msg(7, { text: 'See  you\nat 5' }), { sender: 'Bob', chat: 'Team', preview: 'See you at 5' }, { showText: true, labels });
  assert.deepEqual(group, { chatId: GROUP, messageId: 7, tag: `chat-${GROUP}`, title: 'Team', body: 'Bob: See you at 5' });
  const direct = notificationContent(msg(8, { chat: DIRECT }), { sender: 'Bob', chat: null, preview: 'hi' }, { showText: true, labels });
  assert.deepEqual([direct.title, direct.body, direct.tag], ['Bob', 'hi', `chat-${DIRECT}`]);
  const hidden = notificationContent(msg(9), { sender: 'Bob', chat: 'Team', preview: 'the secret' }, { showText: false, labels });
  assert.equal(hidden.body, 'Bob: New message');
  assert.doesNotMatch(JSON.stringify(hidden), /secret/);
  const long = notificationContent(msg(10, { chat: DIRECT }), { sender: 'Bob', chat: null, preview: 'x'.repeat(500) }, { showText: true, labels });
  assert.equal(long.body.length, 140);
  assert.ok(long.body.endsWith('…'));
  const empty = notificationContent(msg(11, { chat: DIRECT }), { sender: 'Bob', chat: null, preview: '' }, { showText: true, labels });
  assert.equal(empty.body, 'New message');
});

test('live messages pop up at once, up to a burst; the rest and a catch-up become one summary', () => {
  let now = 0;
  const gate = new NotificationGate({ now: () => now, burst: 3, windowMs: 10000 });
  const note = (chatId, id) => ({ chatId, messageId: id });
  assert.deepEqual([1, 2, 3].map((i) => gate.offer(note(GROUP, i))), ['show', 'show', 'show']);
  assert.equal(gate.offer(note(DIRECT, 4)), 'hold', 'a fourth within ten seconds');
  assert.equal(gate.offer(note(GROUP, 5)), 'hold');
  assert.deepEqual(gate.release(), { summary: { count: 2, chatIds: [GROUP, DIRECT] } });
  now = 20000;
  assert.equal(gate.offer(note(GROUP, 6)), 'show', 'the burst is over');

  // A catch-up: two hundred messages, held whatever the pace, then said once.
  for (let i = 0; i < 200; i += 1) assert.equal(gate.offer(note(i % 2 ? GROUP : DIRECT, 100 + i), { backlog: true }), 'hold');
  assert.equal(gate.offer(note(GROUP, 400)), 'hold', 'a live one joins what is held');
  assert.deepEqual(gate.release(), { summary: { count: 201, chatIds: [GROUP, DIRECT] } });
  assert.equal(gate.release(), null);
});

test('a single held message is shown as itself; what was read meanwhile is dropped', () => {
  const gate = new NotificationGate({ now: () => 0 });
  const a = { chatId: GROUP, messageId: 1 };
  const b = { chatId: DIRECT, messageId: 2 };
  gate.offer(a, { backlog: true });
  assert.deepEqual(gate.release(), { note: a });
  gate.offer(a, { backlog: true });
  gate.offer(b, { backlog: true });
  assert.deepEqual(gate.release((n) => n.chatId !== GROUP), { note: b });
  gate.offer(a, { backlog: true });
  assert.equal(gate.release(() => false), null);
});

test('the title carries the unread count', () => {
  const format = ({ count, name }) => `(${count}) ${name}`;
  assert.equal(titleWithUnread('Messenger', 0, format), 'Messenger');
  assert.equal(titleWithUnread('Messenger', 3, format), '(3) Messenger');
});

test('muted chats do not count in the unread total (title and badge)', () => {
  const s = store();
  s.chats.set(GROUP, { ...s.chats.get(GROUP), unread_count: 2 });
  s.chats.set(MUTED, { ...s.chats.get(MUTED), unread_count: 5 });
  assert.equal(s.totalUnread(), 2);
});

test('notification settings: defaults, kept per device, broken values ignored', () => {
  const data = new Map();
  const storage = { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, v) };
  assert.deepEqual(loadPrefs(storage), DEFAULT_PREFS);
  savePrefs(storage, { ...DEFAULT_PREFS, preview: false, sound: false, mutedUntil: NOW });
  assert.deepEqual(loadPrefs(storage), { enabled: true, preview: false, sound: false, mutedUntil: NOW });
  data.set('messenger.notifications', '{"enabled":"yes","preview":null,"mutedUntil":"soon"}');
  assert.deepEqual(loadPrefs(storage), DEFAULT_PREFS);
  data.set('messenger.notifications', '{not json');
  assert.deepEqual(loadPrefs(storage), DEFAULT_PREFS);
  assert.deepEqual(loadPrefs(null), DEFAULT_PREFS);
  savePrefs({ setItem: () => { throw new Error('quota'); } }, DEFAULT_PREFS);
});
