// The announcer of new messages (views/announcer.js, issue 17): what a screen reader is told
// when a message arrives live, and what it is spared.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { installDom } from './fake-dom.js';
import { Store } from '../renderer/lib/store.js';
import { createAnnouncer } from '../renderer/views/announcer.js';

const ME = { id: 1, username: 'anna', display_name: 'Анна' };
const BORIS = { id: 2, username: 'boris', display_name: 'Борис' };
const STRINGS = { 'profile.deleted_account': 'Удалённый аккаунт', 'common.unknown_user': 'Неизвестный', 'a11y.new_message': 'Новое сообщение. {name}: {text}', 'a11y.new_attachment': 'Новое сообщение. {name}: файл' };

function fakeApp() {
  const store = new Store();
  store.setMe(ME);
  store.rememberUsers([BORIS]);
  store.openChatId = 10;
  const t = (key, params = {}) => STRINGS[key].replace(/\{(\w+)\}/g, (_, k) => params[k] ?? key);
  return { store, t };
}

const newMessage = (id, { chat = 10, sender = BORIS.id, text = `текст ${id}` } = {}) => ({ type: 'new_message', data: { message: { id, chat_id: chat, sender_id: sender, text } } });
const spoken = () => document.querySelector('#announcer').textContent;
const nextTask = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => installDom(['announcer']));

test("a message from someone else in the open chat is read out with the sender's name", async () => {
  const announcer = createAnnouncer(fakeApp());
  announcer.onFrame(newMessage(1, { text: 'Встречаемся в семь' }));
  await nextTask();
  assert.equal(spoken(), 'Новое сообщение. Борис: Встречаемся в семь');
});

test('my own messages, other chats and other frames are not read out', async () => {
  const announcer = createAnnouncer(fakeApp());
  announcer.onFrame(newMessage(1, { sender: ME.id }));
  announcer.onFrame(newMessage(2, { chat: 11 }));
  announcer.onFrame({ type: 'message_edited', data: { message: { id: 3, chat_id: 10, sender_id: BORIS.id, text: 'x' } } });
  await nextTask();
  assert.equal(spoken(), '');
});

test('several at once (a catch-up) are told as the last one; a file without text says so', async () => {
  const announcer = createAnnouncer(fakeApp());
  for (let i = 1; i <= 30; i += 1) announcer.onFrame(newMessage(i));
  await nextTask();
  assert.equal(spoken(), 'Новое сообщение. Борис: текст 30');
  announcer.onFrame(newMessage(31, { text: '' }));
  await nextTask();
  assert.equal(spoken(), 'Новое сообщение. Борис: файл');
});

test('a long message is cut, and signing out forgets what was said', async () => {
  const announcer = createAnnouncer(fakeApp());
  announcer.onFrame(newMessage(1, { text: 'а'.repeat(500) }));
  await nextTask();
  assert.equal(spoken(), `Новое сообщение. Борис: ${'а'.repeat(200)}…`);
  announcer.clear();
  assert.equal(spoken(), '');
});
