// Chat and account hygiene in the browser: "delete for me" hides a message only for me,
// "clear history" empties a chat only for me and stays so after a reload, the media panel
// shows a chat's images and files, the devices screen ends another device's session, and a
// deleted account signs out and shows as "Deleted account" to the people it wrote to.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  newUserPage,
  register,
  logIn,
  openDialogWith,
  send,
  bubbles,
  eventually,
  rest,
  shot,
  serverAndBrowser,
  chatItem,
  tokenOf,
  pngFile,
  PASSWORD,
} from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const VERA = { username: `vera_${stamp}`, display_name: 'Вера' };
const GLEB = { username: `gleb_${stamp}`, display_name: 'Глеб' };

/** Texts of the messages a page shows, in order (confirmed ones). */
function texts(page) {
  return page.$$eval('#message-list .msg:not(.pending) .msg-text', (els) => els.map((el) => el.textContent));
}

async function confirm(page) {
  await page.click('#modal-root .modal .btn.danger.primary');
  await page.waitForSelector('#modal-root', { state: 'hidden' });
}

async function openSettingsItem(page, id) {
  await page.click('#btn-settings');
  await page.click(`#${id}`);
}

describe('chat and account hygiene in the browser', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();
  let vera;
  let gleb;

  before(async () => {
    vera = await newUserPage(ctx.browser, ctx.server.url);
    await register(vera, VERA);
    await vera.waitForSelector('#main-screen:not([hidden])');
    gleb = await newUserPage(ctx.browser, ctx.server.url);
    await register(gleb, GLEB);
    await gleb.waitForSelector('#main-screen:not([hidden])');
    await openDialogWith(gleb, VERA.username);
    for (const text of ['первое', 'второе', 'третье']) {
      await send(gleb, text);
      await bubbles(gleb, text).first().waitFor();
    }
    await chatItem(vera, GLEB.display_name).click();
    await vera.waitForSelector('#chat-view:not([hidden])');
    await eventually(async () => (await texts(vera)).length === 3, { message: 'three messages at Vera' });
  });

  test('delete for me hides a message only for me, also after a reload', async () => {
    const second = vera.locator('#message-list .msg').filter({ has: vera.locator('.msg-text', { hasText: /^второе$/ }) });
    await second.hover();
    await second.locator('[data-action="hide"]').click();
    await confirm(vera);
    await eventually(async () => (await texts(vera)).join() === 'первое,третье', { message: 'the message gone at Vera' });
    // Gleb (the author) still has it.
    assert.deepEqual(await texts(gleb), ['первое', 'второе', 'третье']);
    await vera.reload();
    await vera.waitForSelector('#main-screen:not([hidden])');
    await chatItem(vera, GLEB.display_name).click();
    await eventually(async () => (await texts(vera)).join() === 'первое,третье', { message: 'still hidden after a reload' });
    await shot(vera, 'ru-50-deleted-for-me');
  });

  test('the media panel shows an image thumbnail and a file', async () => {
    await gleb.setInputFiles('#file-input', await pngFile(gleb, 'sunset.png', 800, 600));
    await gleb.waitForSelector('.upload .small.muted >> text=/КБ/');
    await send(gleb, 'фото');
    await gleb.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('shopping list\n'.repeat(100)) });
    await gleb.waitForSelector('.upload .small.muted >> text=/КБ/');
    await send(gleb, 'файл');
    await vera.locator('.msg.theirs .attachment-file', { hasText: 'notes.txt' }).waitFor();

    await vera.click('#btn-info');
    const thumb = vera.locator('#media-panel .media-thumb img.media-thumb-img[alt="sunset.png"]');
    await thumb.waitFor();
    await eventually(() => thumb.evaluate((img) => img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0), { message: 'the thumbnail drawn' });
    // The server's thumbnail (within 320 px), not the 800 px picture.
    assert.equal(await thumb.evaluate((img) => img.naturalWidth), 320);
    await shot(vera, 'ru-51-media-images');
    await vera.click('#media-panel .media-tab[data-kind="file"]');
    await vera.locator('#media-panel .media-file', { hasText: 'notes.txt' }).waitFor();
    assert.equal(await vera.locator('#media-panel .media-file').count(), 1, 'only the file, not the image');
    await shot(vera, 'ru-52-media-files');
  });

  test('clear history empties the chat for me only, and it stays empty after a reload', async () => {
    await vera.click('#info-clear-history');
    await confirm(vera);
    await eventually(async () => (await vera.locator('#message-list .msg').count()) === 0, { message: 'an empty chat at Vera' });
    // The chat list draws in its own frame, which may come after the messages' one.
    const preview = chatItem(vera, GLEB.display_name).locator('.chat-item-preview');
    await eventually(async () => (await preview.textContent()) === 'Нет сообщений', { message: 'no last message in the list' });
    assert.equal(await chatItem(vera, GLEB.display_name).locator('.badge').count(), 0, 'nothing unread');
    // The media panel forgets what was cleared.
    await vera.click('#media-panel .media-tab[data-kind="image"]');
    await eventually(async () => (await vera.locator('#media-panel .media-thumb').count()) === 0, { message: 'no media after clearing' });
    assert.deepEqual(await texts(gleb), ['первое', 'второе', 'третье', 'фото', 'файл'], 'Gleb keeps everything');
    await shot(vera, 'ru-53-cleared');

    await vera.reload();
    await vera.waitForSelector('#main-screen:not([hidden])');
    await chatItem(vera, GLEB.display_name).click();
    await vera.waitForSelector('#chat-view:not([hidden])');
    // What comes after the clear shows as usual.
    await send(gleb, 'после очистки');
    await bubbles(vera, 'после очистки').waitFor();
    assert.deepEqual(await texts(vera), ['после очистки']);
    const token = await tokenOf(vera);
    const chatId = (await rest(ctx.server, token, 'GET', '/chats')).items[0].id;
    const page = await rest(ctx.server, token, 'GET', `/chats/${chatId}/messages`);
    assert.deepEqual(page.items.map((m) => m.text), ['после очистки']);
  });

  test('the devices screen lists both devices and ends the other one', async () => {
    const other = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(other, VERA.username);
    await openSettingsItem(vera, 'open-sessions');
    await eventually(async () => (await vera.locator('#sessions-screen .session').count()) === 2, { message: 'two devices' });
    assert.equal(await vera.locator('#sessions-screen .session.current').count(), 1, 'this device marked');
    await shot(vera, 'ru-54-sessions');
    await vera.click('#sessions-screen .session:not(.current) .session-end');
    await eventually(async () => (await vera.locator('#sessions-screen .session').count()) === 1, { message: 'one device left' });
    // The other browser is signed out at once (its socket closed with 4001).
    await other.waitForSelector('#auth-screen:not([hidden])');
    assert.equal(await other.textContent('#auth-error'), 'Сеанс завершён. Войдите снова.');
    await vera.keyboard.press('Escape');
    await other.close();
  });

  test('a deleted account goes back to the sign-in, and the other user sees "Deleted account"', async () => {
    await openSettingsItem(vera, 'open-delete-account');
    await vera.fill('#delete-password', 'not my password');
    await vera.click('#delete-submit');
    await eventually(async () => (await vera.textContent('#delete-error')) === 'Текущий пароль неверен', { message: 'a wrong password said' });
    await vera.fill('#delete-password', PASSWORD);
    await vera.click('#delete-submit');
    await vera.waitForSelector('#auth-screen:not([hidden])');
    await eventually(async () => (await vera.textContent('#auth-error')) === 'Ваш аккаунт удалён.', { message: 'the notice' });
    await shot(vera, 'ru-55-account-deleted');

    await chatItem(gleb, 'Удалённый аккаунт').waitFor();
    await eventually(async () => (await gleb.textContent('#chat-title')) === 'Удалённый аккаунт', { message: 'the header at Gleb' });
    assert.equal(await gleb.locator('#chat-avatar.deleted').count(), 1, 'the neutral avatar');
    assert.deepEqual(await texts(gleb), ['первое', 'второе', 'третье', 'фото', 'файл', 'после очистки'], 'messages stay');
    await shot(gleb, 'ru-56-deleted-account-other-side');
    // The username is free again and the old password no longer signs in.
    await assert.rejects(rest(ctx.server, null, 'POST', '/auth/login', { login: VERA.username, password: PASSWORD }), /401/);

    assert.deepEqual(vera.errors, []);
    assert.deepEqual(gleb.errors, []);
  });
});
