// Opening a chat at one message far back in its history (a search result, a reply's
// original, a pin): the page around it is loaded and the message is shown highlighted; the
// user pages down from there to the newest messages, and nothing that arrived meanwhile is
// lost or shown out of place.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, chatItem, eventually, rest, settled, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const TOTAL = 160;

const shownIds = (page) => page.evaluate(() => [...document.querySelectorAll('#message-list .msg[data-id]')].map((el) => Number(el.dataset.id)));

describe('opening a chat at a message', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('a reply to a message far back jumps there, and paging down reaches what arrived meanwhile', async () => {
    const alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `jan_${stamp}`, password: PASSWORD, display_name: 'Яна' });
    const bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `jbo_${stamp}`, password: PASSWORD, display_name: 'Борис' });
    const chat = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: alice.user.id });
    const ids = [];
    for (let i = 1; i <= TOTAL; i += 1) {
      const m = await rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `seed-${stamp}-${i}`, text: `Сообщение ${i}` });
      ids.push(m.id);
    }
    const reply = await rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `reply-${stamp}`, text: 'Помнишь это?', reply_to_id: ids[4] });

    const page = await newUserPage(ctx.browser, ctx.server.url);
    await page.fill('input[name="login"]', alice.user.username);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('#auth-submit');
    await page.waitForSelector('#main-screen:not([hidden])');
    await chatItem(page, 'Борис').click();
    await page.waitForSelector(`.msg[data-id="${reply.id}"]`);
    assert.equal(await page.locator(`.msg[data-id="${ids[4]}"]`).count(), 0, 'the original is not loaded yet');
    assert.ok(await page.locator('#to-latest').isHidden());

    // The quote jumps to the original: the page around it replaces the newest one.
    await page.locator(`.msg[data-id="${reply.id}"] .quote`).click();
    const original = page.locator(`.msg[data-id="${ids[4]}"]`);
    await original.waitFor();
    await eventually(() => original.evaluate((el) => el.classList.contains('flash')), { message: 'the original highlighted' });
    await settled(page);
    const box = await page.locator('#messages').boundingBox();
    const row = await original.boundingBox();
    assert.ok(row.y >= box.y && row.y + row.height <= box.y + box.height, 'the original is on screen');
    assert.ok(await page.locator('#to-latest').isVisible(), 'the way back to the newest is offered');
    assert.equal(await page.locator(`.msg[data-id="${reply.id}"]`).count(), 0, 'the window holds no stray newest rows');

    // A message arriving now is not appended after the window...
    const live = await rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `live-${stamp}`, text: 'Пока ты листаешь' });
    await eventually(async () => (await chatItem(page, 'Борис').textContent()).includes('Пока ты листаешь'), { message: 'the chat list shows the new message' });
    assert.equal(await page.locator(`.msg[data-id="${live.id}"]`).count(), 0);

    // ...but scrolling down pages through to it, each message once and in order.
    await eventually(
      async () => {
        if (await page.locator(`.msg[data-id="${live.id}"]`).count()) return true;
        await page.evaluate(() => {
          const el = document.querySelector('#messages');
          el.scrollTop = el.scrollHeight;
        });
        return false;
      },
      { timeout: 60000, interval: 300, message: 'paged down to the newest message' },
    );
    const shown = await shownIds(page);
    const all = [...ids, reply.id, live.id];
    assert.deepEqual(shown, all.slice(all.indexOf(shown[0])), 'contiguous, ascending, no duplicates');
    // At the bottom the "↓" button goes only once the window reaches the newest (issue 17:
    // it also shows whenever the reader is scrolled up).
    const atBottomButtonHidden = async () => {
      await page.evaluate(() => {
        const el = document.querySelector('#messages');
        el.scrollTop = el.scrollHeight;
      });
      return page.locator('#to-latest').isHidden();
    };
    await eventually(atBottomButtonHidden, { message: 'the window ended' });

    // Jumping straight from the app (as search and pins do), then back with the button.
    await page.reload();
    await page.waitForSelector('#main-screen:not([hidden])');
    await chatItem(page, 'Борис').click();
    await page.waitForSelector(`.msg[data-id="${live.id}"]`);
    assert.equal(await page.evaluate(([c, m]) => globalThis.messengerApp.app.openChatAt(c, m), [chat.id, ids[100]]), true);
    await page.locator(`.msg[data-id="${ids[100]}"]`).waitFor();
    await page.locator('#to-latest').click();
    await page.locator(`.msg[data-id="${live.id}"]`).waitFor();
    await eventually(() => page.locator('#to-latest').isHidden(), { message: 'back at the newest' });
    assert.deepEqual(page.errors, []);
  });
});
