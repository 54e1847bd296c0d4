// Desktop notifications in the browser (issue 17), against a real server. Headless
// Chromium shows no real notifications, so the page's Notification API is replaced by a
// recorder before the app loads (and document.hasFocus by a switch, and the chime's
// oscillators are counted). Checked: a message from someone else in a chat that is not
// open notifies with sender, chat and text; the preview setting hides the text; a muted
// chat stays silent but a mention of me there notifies; clicking a notification opens its
// chat; the open chat notifies only while the window is not focused; the sound can be
// turned off; the title shows the unread count, without muted chats; what a catch-up
// after a reconnect brings is one summary.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { newUserPage, logIn, eventually, rest, serverAndBrowser, chatItem, bubbles, PASSWORD } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);

function recordNotifications() {
  window.__notes = [];
  window.__chimes = 0;
  window.__focused = true;
  class RecordedNotification {
    static get permission() {
      return localStorage.getItem('test.permission') || 'default';
    }
    static async requestPermission() {
      localStorage.setItem('test.permission', 'granted');
      return 'granted';
    }
    constructor(title, options = {}) {
      Object.assign(this, { title, body: options.body, tag: options.tag, silent: options.silent, closed: false });
      window.__notes.push(this);
    }
    close() {
      this.closed = true;
      this.onclose?.();
    }
  }
  window.Notification = RecordedNotification;
  Document.prototype.hasFocus = () => window.__focused;
  const Audio = window.AudioContext;
  if (Audio) {
    window.AudioContext = class extends Audio {
      createOscillator() {
        window.__chimes += 1;
        return super.createOscillator();
      }
    };
  }
}

const notes = (page) => page.evaluate(() => window.__notes.map(({ title, body, tag, closed }) => ({ title, body, tag, closed })));
const chimes = (page) => page.evaluate(() => window.__chimes);

async function waitForNotes(page, count, message) {
  await eventually(async () => (await notes(page)).length === count, { message: `${message} (${count} notifications; have ${JSON.stringify(await notes(page))})` });
  return (await notes(page)).at(-1);
}

async function setting(page, id, checked) {
  await page.click('#btn-settings');
  const box = page.locator(`#${id}`);
  await box.waitFor();
  if ((await box.isChecked()) !== checked) await box.click();
  await eventually(async () => (await page.locator(`#${id}`).isChecked()) === checked, { message: `${id} ${checked ? 'on' : 'off'}` });
  await page.keyboard.press('Escape');
  await page.locator('#modal-root').waitFor({ state: 'hidden' });
}

describe('desktop notifications in the browser', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();
  let alice;
  let bob;
  const chats = {};
  let page;
  let seq = 0;
  const post = (chat, text) => rest(ctx.server, bob.access_token, 'POST', `/chats/${chats[chat].id}/messages`, { client_id: `n-${stamp}-${(seq += 1)}`, text });

  before(async () => {
    alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `nal_${stamp}`, password: PASSWORD, display_name: 'Алиса' });
    bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `nbo_${stamp}`, password: PASSWORD, display_name: 'Боб' });
    for (const title of ['Команда', 'Тихий', 'Открытый']) {
      chats[title] = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'group', title: `${title} ${stamp}`, member_ids: [alice.user.id] });
    }
    await rest(ctx.server, alice.access_token, 'PATCH', `/chats/${chats['Тихий'].id}/settings`, { muted_until: 'forever' });

    page = await newUserPage(ctx.browser, ctx.server.url);
    await page.context().addInitScript(recordNotifications);
    await page.reload();
    await logIn(page, alice.user.username);
    await chatItem(page, `Открытый ${stamp}`).click();
    await page.waitForSelector('#chat-view:not([hidden])');
  });

  test('turning notifications on asks the browser, from the switch; a refusal is shown', async () => {
    await page.evaluate(() => localStorage.setItem('test.permission', 'denied'));
    await page.click('#btn-settings');
    assert.equal(await page.locator('#notify-enabled').isDisabled(), true);
    assert.match(await page.locator('#notify-permission').textContent(), /запрещены/);
    await page.keyboard.press('Escape');
    await page.evaluate(() => localStorage.removeItem('test.permission'));
    assert.equal(await page.evaluate(() => Notification.permission), 'default');
    await page.click('#btn-settings');
    assert.equal(await page.locator('#notify-enabled').isChecked(), false, 'not yet allowed by the browser');
    assert.equal(await page.locator('#notify-login').count(), 0, 'no "start at login" in a browser');
    await page.keyboard.press('Escape');
    await setting(page, 'notify-enabled', true);
    assert.equal(await page.evaluate(() => Notification.permission), 'granted');
  });

  // Before any other notification, so that none of the burst allowance is spent: a broken
  // hold would then show the first messages one by one.
  test('what a catch-up after a reconnect brings is said once, not message by message', async () => {
    await page.evaluate(() => {
      window.__focused = false;
    });
    await page.evaluate(() => messengerApp.realtime.stop());
    for (let i = 0; i < 3; i += 1) {
      await post('Команда', `пока вас не было ${i}`);
      await post('Открытый', `и здесь ${i}`);
    }
    await page.evaluate(() => messengerApp.realtime.start());
    await eventually(async () => (await chatItem(page, `Команда ${stamp}`).locator('.badge').textContent()) === '3', { message: 'the catch-up brought the messages' });
    const summary = await waitForNotes(page, 1, 'one summary');
    assert.deepEqual([summary.title, summary.body, summary.tag], ['Мессенджер', '6 новых сообщений', 'summary']);
    // Read them, and back to where we were.
    await page.evaluate(() => {
      window.__focused = true;
    });
    await chatItem(page, `Команда ${stamp}`).click();
    await bubbles(page, 'пока вас не было 2').waitFor();
    await chatItem(page, `Открытый ${stamp}`).click();
    await eventually(async () => (await page.title()) === 'Мессенджер', { message: 'nothing unread' });
  });

  test('a message in a chat that is not open notifies with sender, chat and text; the title counts it', async () => {
    assert.equal(await page.title(), 'Мессенджер');
    const before = await chimes(page);
    await post('Команда', 'Встречаемся в 5');
    const note = await waitForNotes(page, 2, 'a notification for the message');
    assert.deepEqual(note, { title: `Команда ${stamp}`, body: 'Боб: Встречаемся в 5', tag: `chat-${chats['Команда'].id}`, closed: false });
    await eventually(async () => (await page.title()) === '(1) Мессенджер', { message: 'the unread count in the title' });
    if (await page.evaluate(() => !!window.AudioContext)) assert.equal(await chimes(page), before + 1, 'one chime');
  });

  test('without the preview setting the text is not shown', async () => {
    await setting(page, 'notify-preview', false);
    await post('Команда', 'секретный план');
    const note = await waitForNotes(page, 3, 'a notification without text');
    assert.equal(note.body, 'Боб: Новое сообщение');
    assert.doesNotMatch(JSON.stringify(await notes(page)), /секретный/);
    await setting(page, 'notify-preview', true);
    await eventually(async () => (await page.title()) === '(2) Мессенджер', { message: 'two unread' });
  });

  test('a muted chat stays silent, a mention of me there notifies, and muted chats are not counted', async () => {
    await post('Тихий', 'болтовня');
    await post('Тихий', `@${alice.user.username} глянь сюда`);
    // The server delivers in order: once the mention has notified, the chatter was silent.
    const note = await waitForNotes(page, 4, 'only the mention notifies');
    assert.equal(note.title, `Тихий ${stamp}`);
    assert.equal(note.body, `Боб: @${alice.user.username} глянь сюда`);
    await eventually(async () => (await chatItem(page, `Тихий ${stamp}`).locator('.badge.muted').textContent()) === '2', { message: 'the muted chat has its two unread' });
    assert.equal(await page.title(), '(2) Мессенджер', 'but they are not in the total');
  });

  test('clicking a notification opens its chat', async () => {
    await page.evaluate(() => window.__notes.find((n) => n.body?.startsWith('Боб: Новое')).onclick());
    await eventually(async () => (await page.evaluate(() => messengerApp.store.openChatId)) === chats['Команда'].id, { message: 'the chat opened' });
    await bubbles(page, 'секретный план').waitFor();
    await eventually(async () => (await page.title()) === 'Мессенджер', { message: 'read, so nothing unread is counted' });
    // Its notification has nothing more to say.
    await eventually(async () => (await notes(page)).filter((n) => n.tag === `chat-${chats['Команда'].id}`).every((n) => n.closed), { message: 'the read chat has no open notification' });
  });

  test('the open chat notifies only while the window is in the background, and the sound can be turned off', async () => {
    await post('Команда', 'вижу сразу');
    await bubbles(page, 'вижу сразу').waitFor();
    assert.equal((await notes(page)).length, 4, 'on screen: no notification');

    await setting(page, 'notify-sound', false);
    const quiet = await chimes(page);
    await page.evaluate(() => {
      window.__focused = false;
    });
    await post('Команда', 'а теперь в фоне');
    const note = await waitForNotes(page, 5, 'the window is in the background');
    assert.equal(note.body, 'Боб: а теперь в фоне');
    // Open but not in front: nobody saw it, so the chat is not marked read and the
    // notification stays (a window visible behind another is not focused either).
    const unread = () => page.evaluate((id) => messengerApp.store.chats.get(id).unread_count, chats['Команда'].id);
    await page.waitForTimeout(500);
    assert.equal(await unread(), 1, 'not marked read while the window is not focused');
    assert.equal((await notes(page)).at(-1).closed, false);
    // Back in front: marked read, and its notification closes.
    await page.evaluate(() => {
      window.__focused = true;
      window.dispatchEvent(new Event('focus'));
    });
    await eventually(async () => (await unread()) === 0, { message: 'marked read when the window is focused again' });
    await eventually(async () => (await notes(page)).at(-1).closed, { message: 'its notification closed' });
    await page.evaluate(() => {
      window.__focused = false;
    });
    // A chat that never chimed before (each chat chimes at most once a second).
    await post('Открытый', 'и тихо');
    assert.equal((await waitForNotes(page, 6, 'a notification without sound')).body, 'Боб: и тихо');
    assert.equal(await chimes(page), quiet, 'no sound when it is off');
    assert.deepEqual(page.errors, []);
  });
});
