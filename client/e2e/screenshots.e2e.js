// Screenshots of the main screens for a reviewer (issue 17): sign-in, the chat list, a group
// chat with replies and reactions, settings, a profile and the info panel, in the light and
// the dark theme, on a desktop (1440×900) and a phone (390×844). They go to
// client/e2e/screenshots/ (not committed: the suite makes them afresh), named
// <device>-<theme>-<screen>.png.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD, SCREENSHOTS, newUserPage, logIn, eventually, rest, serverAndBrowser, chatItem, settled, shot } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ANNA = { username: `anna_${stamp}`, display_name: 'Анна Смирнова' };
const BORIS = { username: `boris_${stamp}`, display_name: 'Борис Петров' };
const VERA = { username: `vera_${stamp}`, display_name: 'Вера Павлова' };
const GRIGORY = { username: `grig_${stamp}`, display_name: 'Григорий' };
const GROUP = 'Книжный клуб';
const DEVICES = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'mobile', width: 390, height: 844 },
];

/** Waits for the theme and for whatever is fading or moving to come to rest. */
async function still(page) {
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => {}))));
  await settled(page);
}

describe('screenshots of the main screens (light, dark; desktop, phone)', { timeout: 600000 }, () => {
  const ctx = serverAndBrowser();
  const users = {};

  before(async () => {
    for (const u of [ANNA, BORIS, VERA, GRIGORY]) users[u.username] = await rest(ctx.server, null, 'POST', '/auth/register', { ...u, password: PASSWORD, device_name: 'e2e' });
    const token = (u) => users[u.username].access_token;
    const id = (u) => users[u.username].user.id;
    let n = 0;
    const post = (u, chat, text, extra = {}) => rest(ctx.server, token(u), 'POST', `/chats/${chat.id}/messages`, { client_id: `s${(n += 1)}-${stamp}`, text, ...extra });
    const group = await rest(ctx.server, token(ANNA), 'POST', '/chats', { kind: 'group', title: GROUP, member_ids: [id(BORIS), id(VERA), id(GRIGORY)] });
    const question = await post(BORIS, group, 'Кто дочитал «Анну Каренину»? Предлагаю обсудить в субботу в кафе на Лесной.');
    await post(VERA, group, 'Я на середине, не спойлерите!');
    await post(GRIGORY, group, 'Дочитал вчера. Финал тяжёлый, но сильный.');
    await post(ANNA, group, 'Я тоже дочитала, в субботу приду', { reply_to_id: question.id });
    await rest(ctx.server, token(VERA), 'PUT', `/messages/${question.id}/reactions/${encodeURIComponent('👍')}`);
    await rest(ctx.server, token(GRIGORY), 'PUT', `/messages/${question.id}/reactions/${encodeURIComponent('🔥')}`);
    await post(BORIS, group, 'Отлично, тогда в 15:00', { reply_to_id: question.id });
    const dialog = await rest(ctx.server, token(BORIS), 'POST', '/chats', { kind: 'direct', user_id: id(ANNA) });
    await post(BORIS, dialog, 'Привет! Книгу вернёшь в субботу?');
    await post(ANNA, dialog, 'Да, принесу');
    await rest(ctx.server, token(VERA), 'POST', '/chats', { kind: 'direct', user_id: id(ANNA) });
  });

  for (const device of DEVICES) {
    for (const theme of ['light', 'dark']) {
      test(`${device.name}, ${theme}`, async () => {
        const page = await newUserPage(ctx.browser, ctx.server.url, { width: device.width, height: device.height });
        await page.emulateMedia({ colorScheme: theme });
        await eventually(async () => (await page.evaluate(() => document.documentElement.dataset.theme)) === theme, { message: `the ${theme} theme` });
        const names = [];
        const take = async (name) => {
          await still(page);
          const file = `${device.name}-${theme}-${name}`;
          await shot(page, file);
          names.push(file);
        };

        await take('01-login');
        await logIn(page, ANNA.username);
        await chatItem(page, GROUP).waitFor();
        await take('02-chat-list');

        await page.click('#btn-settings');
        await page.waitForSelector('#account-menu');
        await take('03-settings');
        await page.keyboard.press('Escape');
        await page.waitForSelector('#modal-root', { state: 'hidden' });

        await chatItem(page, GROUP).click();
        await page.locator('#message-list .msg-text', { hasText: 'Отлично, тогда в 15:00' }).waitFor();
        await page.locator('#message-list .reaction-chip').first().waitFor();
        await take('04-group-chat');

        await page.click('#btn-info');
        await page.waitForSelector('#info-panel:not([hidden]) .member');
        await take('05-info-panel');
        await page.keyboard.press('Escape');
        await page.waitForSelector('#info-panel', { state: 'hidden' });

        await page.locator('#message-list .msg-author', { hasText: BORIS.display_name }).first().click();
        await page.waitForSelector('#user-profile #profile-name');
        await take('06-profile');
        await page.keyboard.press('Escape');
        await page.waitForSelector('#modal-root', { state: 'hidden' });

        for (const name of names) assert.ok(statSync(join(SCREENSHOTS, `${name}.png`)).size > 10000, `${name}.png was written`);
        assert.deepEqual(page.errors, []);
        await page.context().close();
      });
    }
  }
});
