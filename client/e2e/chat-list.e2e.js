// A chat list longer than one page of GET /chats: the client follows `next_cursor`, so the
// oldest chats (on the last page) are listed too, each once, and the newest stays on top.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, eventually, rest, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);

// More than the client's page of 100 chats.
const TOTAL = 130;

describe('a long chat list', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('every chat of a list longer than one page is shown once, newest first', async () => {
    const alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `ann_${stamp}`, password: PASSWORD, display_name: 'Анна' });
    const bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `ben_${stamp}`, password: PASSWORD, display_name: 'Бен' });
    for (let i = 1; i <= TOTAL; i += 1) {
      await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'group', title: `Группа ${i}`, member_ids: [alice.user.id] });
    }
    const first = await rest(ctx.server, alice.access_token, 'GET', '/chats');
    assert.equal(first.items.length, 50, 'the server answers a page, not the whole list');
    assert.equal(first.has_more, true);

    const page = await newUserPage(ctx.browser, ctx.server.url);
    await page.fill('input[name="login"]', alice.user.username);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('#auth-submit');
    await page.waitForSelector('#main-screen:not([hidden])');

    await eventually(async () => (await page.locator('#chat-list .chat-item').count()) === TOTAL, {
      message: `${TOTAL} chats listed`,
    });
    // The oldest group was on the last page; exact titles, so "Группа 1" is not "Группа 10".
    const titles = await page.locator('#chat-list .chat-item .chat-item-title').allTextContents();
    assert.equal(new Set(titles).size, TOTAL, 'each chat once');
    assert.equal(titles[0], `Группа ${TOTAL}`, 'the most recently active on top');
    assert.equal(titles.at(-1), 'Группа 1', 'the oldest, from the last page, at the bottom');
    assert.deepEqual(page.errors, []);
  });
});
