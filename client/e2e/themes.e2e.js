// Themes in the browser: a theme made in the editor shows in its live preview before it is
// saved, becomes the active theme, is still applied after a reload, and reaches another
// signed-in browser of the same user at once (settings_updated); so does the language.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, register, eventually, rest, shot, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const VERA = { username: `vera_${stamp}`, display_name: 'Вера' };
const NIGHT = { background: '#101820', surface: '#1b2733', text: '#f2f2f2', accent: '#ff8800', bubble_out: '#335577' };

/** A custom property of the page's root as the page computes it. */
function rootProperty(page, name) {
  return page.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);
}

function computed(page, selector, property) {
  return page.$eval(selector, (el, p) => getComputedStyle(el)[p], property);
}

async function logIn(page, username) {
  await page.fill('input[name="login"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('#auth-submit');
  await page.waitForSelector('#main-screen:not([hidden])');
}

describe('themes in the browser', { timeout: 120000 }, () => {
  const ctx = serverAndBrowser();

  test('a theme made with a live preview becomes active, survives a reload and reaches the other device', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url);
    await register(page, VERA);
    await page.waitForSelector('#main-screen:not([hidden])');
    // The same user in another browser (another device).
    const other = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(other, VERA.username);
    const before = await rootProperty(other, '--accent');

    await page.click('#btn-settings');
    await page.click('#btn-theme-editor');
    await page.waitForSelector('#theme-list');
    assert.equal(await page.locator('#theme-list .theme-item').count(), 3, 'the built-in themes');
    assert.ok(await page.locator('#theme-list .theme-item.active[data-theme-id="system"]').count(), 'system is active');
    await page.click('#theme-new');
    await page.fill('#theme-name', 'Ночное море');
    for (const [token, color] of Object.entries(NIGHT)) await page.fill(`#theme-color-${token}`, color);
    await page.selectOption('#theme-background-kind', 'color');
    await page.fill('#theme-background-color', '#0a0f14');

    // The preview shows the draft; the page itself is unchanged until the theme is used.
    await eventually(async () => (await computed(page, '#theme-preview .tp-out', 'backgroundColor')) === 'rgb(51, 85, 119)', {
      message: 'the preview shows the outgoing bubble colour',
    });
    assert.equal(await computed(page, '#theme-preview .tp-send', 'backgroundColor'), 'rgb(255, 136, 0)');
    assert.equal(await computed(page, '#theme-preview .tp-chat', 'backgroundColor'), 'rgb(10, 15, 20)');
    assert.equal(await computed(page, '#theme-preview .tp-head', 'backgroundColor'), 'rgb(27, 39, 51)');
    assert.notEqual(await rootProperty(page, '--accent'), '#ff8800');
    await shot(page, 'ru-30-theme-editor');

    await page.click('#theme-save-apply');
    await page.waitForSelector('#theme-list .theme-item.active >> text=Ночное море');
    await eventually(async () => (await rootProperty(page, '--accent')) === '#ff8800', { message: 'the theme applied here' });
    assert.equal(await computed(page, 'body', 'backgroundColor'), 'rgb(16, 24, 32)');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'a dark theme draws over the dark palette');
    await shot(page, 'ru-31-theme-list');
    await page.keyboard.press('Escape');
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('messenger.session')).access_token);
    const { theme_id: active } = await rest(ctx.server, token, 'GET', '/users/me/settings');
    const { items } = await rest(ctx.server, token, 'GET', '/users/me/themes');
    assert.deepEqual(
      items.map((x) => [x.id, x.name, x.colors.accent, x.background]),
      [[active, 'Ночное море', '#ff8800', '#0a0f14']],
    );

    // The other device got settings_updated and shows the theme without a reload.
    await eventually(async () => (await rootProperty(other, '--accent')) === '#ff8800', { message: 'the theme on the other device' });
    assert.notEqual(before, '#ff8800');
    assert.equal(await computed(other, '.chat-pane', 'backgroundColor'), 'rgb(10, 15, 20)');
    await shot(other, 'ru-32-theme-other-device');

    // After a reload the colours apply (from the first paint, then from the server).
    await page.reload();
    assert.equal(await rootProperty(page, '--accent'), '#ff8800', 'applied before the session is back');
    await page.waitForSelector('#main-screen:not([hidden])');
    await eventually(async () => (await rootProperty(page, '--bubble-out')) === '#335577', { message: 'applied after reload' });

    // Back to a built-in theme on the other device: this one follows, nothing of the theme left.
    await other.click('#btn-settings');
    await other.selectOption('#setting-theme', 'light');
    await eventually(async () => (await page.getAttribute('html', 'data-theme')) === 'light' && (await rootProperty(page, '--accent')) === '#364bf8', {
      message: 'the light theme from the other device',
    });

    // The language, chosen on one device, follows to the other at once.
    await other.selectOption('#setting-language', 'en');
    await eventually(async () => (await page.getAttribute('html', 'lang')) === 'en', { message: 'English on the first device' });
    assert.equal(await page.getAttribute('#search', 'placeholder'), 'Search chats, people and messages');
    assert.deepEqual(await rest(ctx.server, token, 'GET', '/users/me/settings'), { theme_id: 'light', language: 'en' });

    assert.deepEqual(page.errors, []);
    assert.deepEqual(other.errors, []);
  });
});
