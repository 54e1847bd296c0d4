// Long histories (issue 17): the message list holds a bounded window of rows however far
// the reader scrolls, with every message once, in order, and nothing on screen jumping as
// pages come and go at either end; a chat with many unread messages opens at the first of
// them under a divider; the "↓" button counts what arrived while the reader was scrolled
// up; a picture's box is reserved before it loads, so the reader stays at the bottom.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, chatItem, eventually, logIn, newUserPage, pngFile, rest, settled, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
// The store keeps HISTORY_LIMIT (200) messages and a little slack; the list draws them.
const MAX_ROWS = 240;

async function users(server, ...names) {
  return Promise.all(names.map(([username, display_name]) => rest(server, null, 'POST', '/auth/register', { username: `${username}_${stamp}`, password: PASSWORD, display_name })));
}

/** Posts `count` messages, a few at a time; returns their ids ascending. */
async function postMany(server, from, chatId, count, tag) {
  const ids = [];
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, (_, j) =>
        rest(server, (typeof from === 'function' ? from(i + j) : from).access_token, 'POST', `/chats/${chatId}/messages`, { client_id: `${tag}-${stamp}-${i + j}`, text: (i + j) % 6 === 0 ? `${tag} ${i + j}\nвторая строка` : `${tag} ${i + j}` }),
      ),
    );
    ids.push(...batch.map((m) => m.id));
  }
  return ids.sort((a, b) => a - b);
}

const shownIds = (page) => page.evaluate(() => [...document.querySelectorAll('#message-list .msg[data-id]')].map((el) => Number(el.dataset.id)));

/** Asserts the rows shown are a run of `all` with nothing missing or repeated. */
function assertContiguous(shown, all, when) {
  const start = all.indexOf(shown[0]);
  assert.ok(start >= 0, `${when}: the first row is a message of the chat`);
  assert.deepEqual(shown, all.slice(start, start + shown.length), `${when}: rows contiguous, ascending, none repeated`);
}

/** Where a row is relative to the scroller's top (px). */
const rowTop = (page, id) =>
  page.evaluate((id) => {
    const el = document.querySelector(`.msg[data-id="${id}"]`);
    return el ? el.getBoundingClientRect().top - document.querySelector('#messages').getBoundingClientRect().top : null;
  }, id);

const bottomGap = (page) =>
  page.evaluate(() => {
    const box = document.querySelector('#messages');
    return box.scrollHeight - box.scrollTop - box.clientHeight;
  });

describe('long histories in the message list', { timeout: 300000 }, () => {
  const ctx = serverAndBrowser();

  test('scrolling 600 messages up and back down keeps the DOM bounded, every message once, and nothing jumps', async () => {
    const [reader, writer] = await users(ctx.server, ['lr', 'Читатель'], ['lw', 'Писатель']);
    const chat = await rest(ctx.server, writer.access_token, 'POST', '/chats', { kind: 'direct', user_id: reader.user.id });
    const ids = await postMany(ctx.server, (i) => (i % 5 === 0 ? reader : writer), chat.id, 600, 'Сообщение');
    await rest(ctx.server, reader.access_token, 'POST', `/chats/${chat.id}/read`, { message_id: ids.at(-1) });

    const page = await newUserPage(ctx.browser, ctx.server.url, { height: 700 });
    await logIn(page, reader.user.username);
    await chatItem(page, 'Писатель').click();
    await page.waitForSelector(`.msg[data-id="${ids.at(-1)}"]`);
    await page.evaluate(() => {
      const list = document.querySelector('#message-list');
      window.e2eMaxRows = 0;
      new MutationObserver(() => {
        window.e2eMaxRows = Math.max(window.e2eMaxRows, list.querySelectorAll(':scope > .msg').length);
      }).observe(list, { childList: true });
    });

    // Up: at the top, each older page goes above the row that was first, which stays put.
    const seen = new Set(await shownIds(page));
    for (let pages = 0; !seen.has(ids[0]); pages += 1) {
      assert.ok(pages < 40, 'reached the first message');
      const before = await shownIds(page);
      const first = before[0];
      await page.evaluate(() => {
        document.querySelector('#messages').scrollTop = 0;
      });
      await settled(page);
      const topBefore = await rowTop(page, first);
      await eventually(async () => (await shownIds(page))[0] !== first, { timeout: 20000, message: `the page above ${first}` });
      await settled(page);
      const shown = await shownIds(page);
      assertContiguous(shown, ids, `paging up from ${first}`);
      const topAfter = await rowTop(page, first);
      assert.ok(Math.abs(topAfter - topBefore) <= 1, `the row ${first} stayed where it was (${topBefore} → ${topAfter})`);
      for (const id of shown) seen.add(id);
    }
    await page.waitForSelector('#history-loader', { state: 'hidden' });
    assert.equal(seen.size, ids.length, 'every message was shown on the way up');
    assert.ok(await page.locator('#to-latest').isVisible(), 'the way back to the newest is offered');
    assert.equal(await page.locator(`.msg[data-id="${ids.at(-1)}"]`).count(), 0, 'the newest pages were dropped');

    // Down again: each newer page goes below the row that was last, which stays put.
    for (let pages = 0; !(await shownIds(page)).includes(ids.at(-1)); pages += 1) {
      assert.ok(pages < 40, 'reached the newest message');
      const before = await shownIds(page);
      const last = before.at(-1);
      await page.evaluate(() => {
        const box = document.querySelector('#messages');
        box.scrollTop = box.scrollHeight;
      });
      await settled(page);
      const topBefore = await rowTop(page, last);
      await eventually(async () => (await shownIds(page)).at(-1) !== last, { timeout: 20000, message: `the page below ${last}` });
      await settled(page);
      assertContiguous(await shownIds(page), ids, `paging down from ${last}`);
      const topAfter = await rowTop(page, last);
      assert.ok(Math.abs(topAfter - topBefore) <= 1, `the row ${last} stayed where it was (${topBefore} → ${topAfter})`);
    }
    // The last page went below the reader, who was not moved: at the bottom, the button goes.
    await eventually(
      async () => {
        await page.evaluate(() => {
          const box = document.querySelector('#messages');
          box.scrollTop = box.scrollHeight;
        });
        return page.locator('#to-latest').isHidden();
      },
      { message: 'back at the newest, the button goes' },
    );
    const maxRows = await page.evaluate(() => window.e2eMaxRows);
    assert.ok(maxRows <= MAX_ROWS, `at most ${MAX_ROWS} rows in the DOM (saw ${maxRows})`);
    assert.ok(maxRows >= 160, `the window is a real one (${maxRows} rows)`);
    assert.ok((await page.evaluate((chatId) => window.messengerApp.store.history(chatId).length, chat.id)) <= MAX_ROWS, 'the loaded history is bounded too');

    // A new message now lands at the bottom, as ever.
    const live = await rest(ctx.server, writer.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `live-${stamp}`, text: 'Снова здесь' });
    await page.waitForSelector(`.msg[data-id="${live.id}"]`);
    await eventually(async () => (await bottomGap(page)) < 2, { message: 'pinned to the bottom' });
    assertContiguous(await shownIds(page), [...ids, live.id], 'after the new message');
    assert.deepEqual(page.errors, []);
  });

  test('a chat with 150 unread opens at the first of them under the divider, and ↓ counts new messages', async () => {
    const [reader, writer] = await users(ctx.server, ['ur', 'Читательница'], ['uw', 'Болтун']);
    const chat = await rest(ctx.server, writer.access_token, 'POST', '/chats', { kind: 'direct', user_id: reader.user.id });
    const readIds = await postMany(ctx.server, writer, chat.id, 100, 'Прочитано');
    await rest(ctx.server, reader.access_token, 'POST', `/chats/${chat.id}/read`, { message_id: readIds.at(-1) });
    const unreadIds = await postMany(ctx.server, writer, chat.id, 150, 'Новое');

    const page = await newUserPage(ctx.browser, ctx.server.url, { height: 700 });
    await logIn(page, reader.user.username);
    await chatItem(page, 'Болтун').click();
    const first = page.locator(`.msg[data-id="${unreadIds[0]}"]`);
    await first.waitFor();
    await page.locator('#message-list .unread-sep').waitFor();
    await settled(page);
    assert.equal(await page.locator('#message-list .unread-sep').textContent(), 'Непрочитанные сообщения');
    // The divider sits right above the first unread message, at the top of the view.
    assert.equal(await page.evaluate(() => document.querySelector('#message-list .unread-sep').nextElementSibling.dataset.id), String(unreadIds[0]));
    const top = await rowTop(page, unreadIds[0]);
    assert.ok(top >= 0 && top < 120, `the first unread near the top of the view (${top}px)`);
    assert.equal(await page.locator(`.msg[data-id="${readIds.at(-1)}"]`).count(), 1, 'what was read is just above');
    assert.equal(await page.locator(`.msg[data-id="${unreadIds.at(-1)}"]`).count(), 0, 'the newest are not loaded: a window');
    assert.ok(await page.locator('#to-latest').isVisible());
    assert.equal(await page.locator('#to-latest .to-latest-count').textContent(), '150');
    assert.equal(await page.locator('#to-latest').getAttribute('aria-label'), 'К последним сообщениям: 150 новых', 'the count is in the button\'s name');

    // A message arriving meanwhile adds to the count.
    await rest(ctx.server, writer.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `more-${stamp}`, text: 'И ещё' });
    await eventually(async () => (await page.locator('#to-latest .to-latest-count').textContent()) === '151', { message: 'the count grows' });

    // The button takes the reader to the newest, reads the chat, and goes.
    await page.locator('#to-latest').click();
    await eventually(async () => (await page.locator('.msg .msg-text', { hasText: 'И ещё' }).count()) === 1, { message: 'the newest shown' });
    await eventually(async () => (await bottomGap(page)) < 2, { message: 'at the bottom' });
    await eventually(() => page.locator('#to-latest').isHidden(), { message: 'the button gone at the bottom' });
    const newest = await page.evaluate((chatId) => window.messengerApp.store.newestId(chatId), chat.id);
    await eventually(
      async () => (await rest(ctx.server, reader.access_token, 'GET', `/chats/${chat.id}`)).members.find((m) => m.user_id === reader.user.id).read_message_id === newest,
      { message: 'the chat read up to the newest' },
    );

    // Scrolled up in a chat at its newest, new messages bring the button with their count.
    await page.evaluate(() => {
      document.querySelector('#messages').scrollTop -= 1500;
    });
    await eventually(() => page.locator('#to-latest').isVisible(), { message: 'the button when scrolled up' });
    assert.ok(await page.locator('#to-latest .to-latest-count').isHidden(), 'no count before anything new');
    for (let i = 0; i < 3; i += 1) await rest(ctx.server, writer.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `up-${stamp}-${i}`, text: `Пока вы читали ${i}` });
    await eventually(async () => (await page.locator('#to-latest .to-latest-count').textContent()) === '3', { message: 'three new counted' });
    await page.locator('#to-latest').click();
    await eventually(async () => (await bottomGap(page)) < 2, { message: 'back at the bottom' });
    await eventually(() => page.locator('#to-latest').isHidden(), { message: 'the button gone again' });
    assert.deepEqual(page.errors, []);
  });

  test('a picture arriving at the bottom has its box before it loads, and the reader stays at the bottom', async () => {
    const [reader, writer] = await users(ctx.server, ['ir', 'Зритель'], ['iw', 'Фотограф']);
    const chat = await rest(ctx.server, writer.access_token, 'POST', '/chats', { kind: 'direct', user_id: reader.user.id });
    const ids = await postMany(ctx.server, writer, chat.id, 60, 'Подпись');
    await rest(ctx.server, reader.access_token, 'POST', `/chats/${chat.id}/read`, { message_id: ids.at(-1) });

    const page = await newUserPage(ctx.browser, ctx.server.url, { height: 700 });
    // Pictures are held back until the test lets them through.
    let release;
    const gate = new Promise((r) => {
      release = r;
    });
    await page.route(/\/api\/v1\/files\/[\w-]+/, async (route) => {
      await gate;
      await route.continue();
    });
    await logIn(page, reader.user.username);
    await chatItem(page, 'Фотограф').click();
    await page.waitForSelector(`.msg[data-id="${ids.at(-1)}"]`);
    await eventually(async () => (await bottomGap(page)) < 2, { message: 'at the bottom' });

    const png = await pngFile(page, 'закат.png', 800, 600);
    const form = new FormData();
    form.append('file', new Blob([png.buffer], { type: 'image/png' }), png.name);
    const upload = await fetch(`${ctx.server.url}/api/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${writer.access_token}` }, body: form });
    assert.ok(upload.ok, `upload: ${upload.status}`);
    const file = await upload.json();
    assert.equal(file.width, 800, 'the server decoded the picture');
    const message = await rest(ctx.server, writer.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `pic-${stamp}`, text: '', attachment_ids: [file.id] });

    const img = page.locator(`.msg[data-id="${message.id}"] img.attachment-image`);
    await img.waitFor();
    await settled(page);
    const reserved = await img.evaluate((el) => ({ loaded: el.complete && el.naturalWidth > 0, ...el.getBoundingClientRect().toJSON() }));
    assert.equal(reserved.loaded, false, 'the picture is still on its way');
    assert.ok(reserved.height > 150, `its box is reserved (${reserved.height}px high)`);
    assert.ok(Math.abs(reserved.width / reserved.height - 800 / 600) < 0.02, 'with the picture\'s proportions');
    assert.ok((await bottomGap(page)) < 2, 'the reader is at the bottom');

    release();
    await eventually(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), { message: 'the picture loaded' });
    await settled(page);
    const loaded = await img.evaluate((el) => el.getBoundingClientRect().height);
    assert.ok(Math.abs(loaded - reserved.height) <= 1, `the box did not change as it loaded (${reserved.height} → ${loaded})`);
    assert.ok((await bottomGap(page)) < 2, 'still at the bottom');
    assert.deepEqual(page.errors, []);
  });
});
