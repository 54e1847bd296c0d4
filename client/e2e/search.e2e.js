// Message search in the browser: the sidebar's field finds messages in all my chats across
// inflections, with the matched words marked (a <mark> around text, markup in a message
// stays text); clicking a result opens the chat at that message, far back in its history,
// highlighted. The search inside the open chat finds by prefix while typing.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, chatItem, eventually, logIn, rest, settled, serverAndBrowser, shot } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const AFTER = 90; // messages posted after the one searched for: it is not in the first page

describe('message search', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('a result found in all chats opens its chat at the message, highlighted', async () => {
    const alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `san_${stamp}`, password: PASSWORD, display_name: 'Саша' });
    const bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `sbo_${stamp}`, password: PASSWORD, display_name: 'Боря' });
    const carol = await rest(ctx.server, null, 'POST', '/auth/register', { username: `sca_${stamp}`, password: PASSWORD, display_name: 'Катя' });
    const chat = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: alice.user.id });
    const secret = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: carol.user.id });
    const post = (c, text, n) => rest(ctx.server, bob.access_token, 'POST', `/chats/${c}/messages`, { client_id: `s-${stamp}-${n}`, text });
    const target = await post(chat.id, 'Завалили сообщениями <b>снова</b> 🎉', 'target');
    await post(secret.id, 'Сообщения не для Саши', 'secret');
    for (let i = 1; i <= AFTER; i += 1) await post(chat.id, `Болтовня ${i}`, i);

    const page = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(page, alice.user.username);
    await chatItem(page, 'Боря').waitFor();

    await page.fill('#search', 'сообщение');
    const hit = page.locator(`#message-search-results .message-hit[data-message-id="${target.id}"]`);
    await hit.waitFor();
    assert.equal(await page.locator('#message-search-results .message-hit').count(), 1, 'only what Саша may see');
    assert.deepEqual(await hit.locator('mark').allTextContents(), ['сообщениями']);
    const text = await hit.locator('.message-hit-text').textContent();
    assert.ok(text.includes('<b>снова</b>'), 'markup in a message stays text');
    assert.equal(await hit.locator('.message-hit-text b').count(), 0);
    await shot(page, 'search-all-chats');

    await hit.click();
    const row = page.locator(`.msg[data-id="${target.id}"]`);
    await row.waitFor();
    await eventually(() => row.evaluate((el) => el.classList.contains('flash')), { message: 'the result highlighted in its chat' });
    await settled(page);
    const box = await page.locator('#messages').boundingBox();
    const at = await row.boundingBox();
    assert.ok(at.y >= box.y && at.y + at.height <= box.y + box.height, 'the message is on screen');

    // Within the open chat, the last word matches while it is being typed.
    await page.click('#btn-chat-search');
    await page.fill('#chat-search-input', 'болтовн');
    await eventually(async () => (await page.locator('#chat-search-results .message-hit').count()) === 20, { message: 'a first page of results' });
    assert.ok(await page.locator('#chat-search-results .message-search-more').isVisible());
    await shot(page, 'search-in-chat');
    const first = page.locator('#chat-search-results .message-hit').first();
    assert.deepEqual(await first.locator('mark').allTextContents(), ['Болтовня']);
    await page.fill('#chat-search-input', 'сообщ');
    await page.locator(`#chat-search-results .message-hit[data-message-id="${target.id}"]`).waitFor();
    await page.keyboard.press('Escape');
    assert.ok(await page.locator('#chat-search').isHidden());
    assert.deepEqual(page.errors, []);
  });
});
