// Faults between the client and a real server: a catch-up /sync that fails (a 503 while the
// database restarts) must be retried without skipping anything, and a long outbox after a
// reconnect must drain without the socket's rate limit (20 frames a second, 60 at once)
// refusing any of it. The second test goes on in the first one's page.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MessengerServer, PASSWORD, launchBrowser, newUserPage, chatItem, eventually, rest } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);

/** The texts of the confirmed messages of the open chat, top to bottom. */
const shownTexts = (page) => page.$$eval('#message-list .msg:not(.pending) .msg-text', (els) => els.map((el) => el.textContent));

/** Every message of a chat, oldest first (REST, 100 a page). */
async function history(server, token, chatId) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await rest(server, token, 'GET', `/chats/${chatId}/messages?limit=100&after=${after}`);
    all.push(...page.items);
    if (!page.has_more || !page.items.length) return all;
    after = page.items.at(-1).id;
  }
}

describe('the client under faults', { timeout: 180000 }, () => {
  let server;
  let browser;
  let alice;
  let bob;
  let chat;
  let page;

  before(async () => {
    server = new MessengerServer();
    await server.start();
    browser = await launchBrowser();
    alice = await rest(server, null, 'POST', '/auth/register', { username: `ann_${stamp}`, password: PASSWORD, display_name: 'Анна' });
    bob = await rest(server, null, 'POST', '/auth/register', { username: `ben_${stamp}`, password: PASSWORD, display_name: 'Бен' });
    chat = await rest(server, alice.access_token, 'POST', '/chats', { kind: 'direct', user_id: bob.user.id });
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  test('a catch-up /sync that fails is retried; every message shows once, in order', async () => {
    const texts = [];
    const post = async (label) => {
      const text = `${label} ${texts.length + 1}`;
      texts.push(text);
      await rest(server, alice.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `${stamp}-${texts.length}`, text });
    };
    await post('до');
    await post('до');

    page = await newUserPage(browser, server.url);
    await page.fill('input[name="login"]', bob.user.username);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('#auth-submit');
    await page.waitForSelector('#main-screen:not([hidden])');
    await chatItem(page, 'Анна').click();
    await eventually(async () => (await shownTexts(page)).length === 2, { message: 'the first messages' });

    // The connection drops; Anna writes meanwhile: only /sync has these.
    await page.evaluate(() => messengerApp.realtime.stop());
    for (let i = 0; i < 3; i += 1) await post('без связи');

    // Back online, the first two catch-up requests meet a restarting database, while Anna
    // goes on writing (these are pushed on the new socket, and must wait for the sync).
    let failed = 0;
    await page.route('**/api/v1/sync*', async (route) => {
      if (!new URL(route.request().url()).searchParams.has('since') || failed >= 2) return route.continue();
      failed += 1;
      await post('во время сбоя');
      return route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
        body: JSON.stringify({ status: 503, title: 'Service Unavailable', code: 'service_unavailable', detail: 'The database is unavailable.', retry_after: 1 }),
      });
    });
    const started = Date.now();
    await page.evaluate(() => messengerApp.realtime.start());
    await eventually(() => failed >= 1, { timeout: 15000, message: 'a failed catch-up request' });
    await post('после');
    await post('после');

    const same = async () => JSON.stringify(await shownTexts(page)) === JSON.stringify(texts);
    await eventually(same, { timeout: 20000, message: 'every message once, in order' }).catch(() => {});
    assert.deepEqual(await shownTexts(page), texts, 'every message once, in order');
    assert.equal(failed, 2, 'the failed sync was retried');
    const caughtUp = Date.now() - started;
    // Anything skipped or doubled would not heal by itself: look again a little later.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await shownTexts(page), texts, 'still every message once, in order');
    const head = await rest(server, bob.access_token, 'GET', '/sync');
    assert.equal(await page.evaluate(() => messengerApp.engine.cursor), head.cursor, 'the cursor is the server\'s head');
    assert.ok(caughtUp >= 1000, `the retries waited for Retry-After (${caughtUp} ms)`);
    await page.unroute('**/api/v1/sync*');
    assert.deepEqual(page.errors, []);
  });

  test('a hundred messages written offline all arrive once, in order, after the reconnect', async () => {
    const before = (await history(server, alice.access_token, chat.id)).length;
    await page.evaluate(() => messengerApp.realtime.stop());
    const texts = await page.evaluate(async (chatId) => {
      const out = [];
      for (let i = 1; i <= 100; i += 1) {
        out.push(`пачка ${i}`);
        await messengerApp.engine.send({ chat_id: chatId, text: `пачка ${i}` });
      }
      return out;
    }, chat.id);
    assert.equal(await page.evaluate(() => messengerApp.app.outbox.list().length), 100);
    let throttled = 0;
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (String(payload).includes('"throttled"')) throttled += 1;
      }),
    );
    const started = Date.now();
    await page.evaluate(() => messengerApp.realtime.start());
    await eventually(async () => (await page.evaluate(() => messengerApp.app.outbox.list().length)) === 0, {
      timeout: 30000,
      message: 'the outbox drained',
    });
    const drained = Date.now() - started;
    const stored = (await history(server, alice.access_token, chat.id)).slice(before);
    assert.deepEqual(stored.map((m) => m.text), texts, 'each stored once, in the order written');
    assert.equal(throttled, 0, 'paced below the socket\'s rate limit');
    assert.ok(drained < 20000, `drained in ${drained} ms`);
    assert.deepEqual(page.errors, []);
  });
});
