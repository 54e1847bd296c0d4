// A long chat while someone reads it: in a 500-message dialog, the reader has scrolled up
// to the middle and is typing a reply. A message from the other side and an edit of a
// visible message must leave the reader's scroll position, draft and focus alone, and
// must redraw only their own rows (the other rows keep their DOM nodes).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, chatItem, eventually, rest, settled, shot, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const TOTAL = 500;
const text = (i) => (i % 7 === 0 ? `Сообщение ${i}\nвторая строка` : `Сообщение ${i}`);

/** Where the rows of these message ids are, relative to the top of the scroller (px). */
function rowTops(page, ids) {
  return page.evaluate((ids) => {
    const box = document.querySelector('#messages').getBoundingClientRect().top;
    return ids.map((id) => document.querySelector(`.msg[data-id="${id}"]`).getBoundingClientRect().top - box);
  }, ids);
}

/** Tags every message row node now in the list, and counts the tagged ones still shown. */
const tagRows = (page) =>
  page.evaluate(() => {
    const rows = [...document.querySelectorAll('#message-list .msg')];
    for (const el of rows) el.e2eKept = true;
    return rows.length;
  });
const taggedRows = (page) =>
  page.evaluate(() => [...document.querySelectorAll('#message-list .msg')].filter((el) => el.e2eKept).length);

const composerState = (page) =>
  page.evaluate(() => {
    const input = document.querySelector('#composer-input');
    return { value: input.value, focused: document.activeElement === input };
  });

describe('a long chat keeps the reader in place', { timeout: 240000 }, () => {
  const ctx = serverAndBrowser();

  test('scroll position, draft and focus survive a new message and an edit in a 500-message chat', async () => {
    const alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `ann_${stamp}`, password: PASSWORD, display_name: 'Анна' });
    const bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `ben_${stamp}`, password: PASSWORD, display_name: 'Бен' });
    const chat = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: alice.user.id });
    const ids = [];
    for (let i = 1; i <= TOTAL; i += 1) {
      const from = i % 4 === 0 ? alice : bob; // some of the reader's own messages, with receipts
      const m = await rest(ctx.server, from.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `seed-${stamp}-${i}`, text: text(i) });
      ids.push(m.id);
    }

    const page = await newUserPage(ctx.browser, ctx.server.url);
    await page.fill('input[name="login"]', alice.user.username);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('#auth-submit');
    await page.waitForSelector('#main-screen:not([hidden])');
    await chatItem(page, 'Бен').click();
    await page.waitForSelector(`.msg[data-id="${ids.at(-1)}"]`);

    // Scroll up, page after page, until message 330 is loaded: 170 above the newest, within
    // the window of 200 rows the list holds (issue 17), which still reaches the newest...
    const middle = ids[349];
    await eventually(
      async () => {
        // Looked for before scrolling again, so that no page is still on its way after.
        if (await page.locator(`.msg[data-id="${ids[329]}"]`).count()) return true;
        await page.evaluate(() => {
          document.querySelector('#messages').scrollTop = 0;
        });
        return false;
      },
      { timeout: 60000, interval: 400, message: 'older pages down to message 330' },
    );
    await page.waitForSelector('#history-loader', { state: 'hidden' });
    // ...and read there: message 350 in the middle of the screen.
    await page.evaluate((id) => document.querySelector(`.msg[data-id="${id}"]`).scrollIntoView({ block: 'center' }), middle);
    await settled(page);
    const scrollTop = await page.evaluate(() => document.querySelector('#messages').scrollTop);
    assert.ok(scrollTop > 1000, `scrolled into the middle (scrollTop ${scrollTop})`);

    const draft = 'Отвечу на триста пятидесятое';
    await page.click('#composer-input');
    await page.keyboard.type(draft);
    const watched = [ids[347], ids[348], middle];
    const before = await rowTops(page, watched);
    const shown = await tagRows(page);
    assert.ok(shown >= 150, `${shown} rows loaded`);

    // The other side writes.
    const incoming = await rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `live-${stamp}`, text: 'Новое сообщение' });
    await page.waitForSelector(`.msg[data-id="${incoming.id}"]`, { state: 'attached' });
    await settled(page);
    assert.deepEqual(await rowTops(page, watched), before, 'the rows on screen did not move');
    assert.deepEqual(await composerState(page), { value: draft, focused: true }, 'draft and focus kept');
    assert.equal(await taggedRows(page), shown, 'every earlier row is the same DOM node');

    // The other side edits the message in the middle of the screen.
    await rest(ctx.server, bob.access_token, 'PATCH', `/messages/${middle}`, { text: 'Сообщение 350 (исправлено)' });
    const edited = page.locator(`.msg[data-id="${middle}"]`);
    await eventually(async () => (await edited.locator('.msg-text').textContent()) === 'Сообщение 350 (исправлено)', { message: 'the edit shown' });
    assert.equal(await edited.locator('.edited').count(), 1);
    await settled(page);
    assert.deepEqual(await rowTops(page, watched), before, 'the rows on screen did not move');
    assert.deepEqual(await composerState(page), { value: draft, focused: true }, 'draft and focus kept');
    assert.equal(await taggedRows(page), shown - 1, 'only the edited row was redrawn');
    await shot(page, 'ru-18-long-chat-middle');
    assert.deepEqual(page.errors, []);
  });
});
