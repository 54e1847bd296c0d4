// Replies, forwarding and pins in the browser: a reply's quote shows its original from the
// server's preview and jumps to it when it is not loaded; "Forward" sends a message to
// another chat, which says whom it came from; a pin appears live in the other side's
// pinned bar and unpinning removes it there.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, chatItem, eventually, rest, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);

async function signIn(ctx, username) {
  const page = await newUserPage(ctx.browser, ctx.server.url);
  await page.fill('input[name="login"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('#auth-submit');
  await page.waitForSelector('#main-screen:not([hidden])');
  return page;
}

async function account(ctx, prefix, displayName) {
  return rest(ctx.server, null, 'POST', '/auth/register', { username: `${prefix}_${stamp}`, password: PASSWORD, display_name: displayName });
}

describe('replies, forwarding and pins', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('a reply quotes an original that is not loaded and jumps to it', async () => {
    const alice = await account(ctx, 'ran', 'Рита');
    const bob = await account(ctx, 'rbo', 'Роман');
    const chat = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: alice.user.id });
    const ids = [];
    for (let i = 1; i <= 70; i += 1) {
      const m = await rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `s-${stamp}-${i}`, text: `Старое ${i}` });
      ids.push(m.id);
    }
    const reply = await rest(ctx.server, alice.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `r-${stamp}`, text: 'Об этом?', reply_to_id: ids[1] });
    assert.equal(reply.reply_to.text, 'Старое 2');

    const page = await signIn(ctx, alice.user.username);
    await chatItem(page, 'Роман').click();
    const quote = page.locator(`.msg[data-id="${reply.id}"] .quote`);
    await quote.waitFor();
    assert.equal(await page.locator(`.msg[data-id="${ids[1]}"]`).count(), 0, 'the original is not loaded');
    assert.equal(await quote.locator('.quote-text').textContent(), 'Старое 2', 'the preview from reply_to');
    assert.equal(await quote.locator('.quote-author').textContent(), 'Роман');

    await quote.click();
    const original = page.locator(`.msg[data-id="${ids[1]}"]`);
    await original.waitFor();
    await eventually(() => original.evaluate((el) => el.classList.contains('flash')), { message: 'the original highlighted' });

    // Deleted, the original reads as deleted in the quote (after a fresh read).
    await rest(ctx.server, bob.access_token, 'DELETE', `/messages/${ids[1]}`);
    await page.reload();
    await page.waitForSelector('#main-screen:not([hidden])');
    await chatItem(page, 'Роман').click();
    await eventually(async () => (await page.locator(`.msg[data-id="${reply.id}"] .quote.deleted`).count()) === 1, { message: 'the quote shows the original deleted' });
    assert.deepEqual(page.errors, []);
  });

  test('forwarding a message to another chat says whom it came from', async () => {
    const alice = await account(ctx, 'fan', 'Фаина');
    const bob = await account(ctx, 'fbo', 'Феликс');
    const carol = await account(ctx, 'fca', 'Фрида');
    const withBob = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: alice.user.id });
    const withCarol = await rest(ctx.server, alice.access_token, 'POST', '/chats', { kind: 'direct', user_id: carol.user.id });
    const source = await rest(ctx.server, bob.access_token, 'POST', `/chats/${withBob.id}/messages`, { client_id: `f-${stamp}`, text: 'Новости для всех' });

    const page = await signIn(ctx, alice.user.username);
    await chatItem(page, 'Феликс').click();
    const row = page.locator(`.msg[data-id="${source.id}"]`);
    await row.hover();
    await row.locator('[data-action="forward"]').click();
    await page.locator(`.forward-chats .chat-item[data-chat-id="${withCarol.id}"]`).click();

    await eventually(async () => (await page.evaluate(() => globalThis.messengerApp.store.openChatId)) === withCarol.id, { message: 'the target chat opened' });
    const forwarded = page.locator('.msg.mine .forwarded');
    await forwarded.waitFor();
    assert.match(await forwarded.textContent(), /Феликс/);
    const history = await rest(ctx.server, carol.access_token, 'GET', `/chats/${withCarol.id}/messages`);
    const last = history.items.at(-1);
    assert.equal(last.text, 'Новости для всех');
    assert.equal(last.forwarded_from.sender_id, bob.user.id);
    assert.equal(last.forwarded_from.chat_id, undefined, 'carol is not in the source chat');
    assert.deepEqual(page.errors, []);
  });

  test('a pin shows live in the other side\'s pinned bar, and unpinning removes it', async () => {
    const alice = await account(ctx, 'pan', 'Полина');
    const bob = await account(ctx, 'pbo', 'Пётр');
    const chat = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: alice.user.id });
    const first = await rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `p1-${stamp}`, text: 'Встреча в 10:00' });
    const second = await rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `p2-${stamp}`, text: 'Адрес: ул. Ленина, 1' });

    const alicePage = await signIn(ctx, alice.user.username);
    const bobPage = await signIn(ctx, bob.user.username);
    await chatItem(alicePage, 'Пётр').click();
    await chatItem(bobPage, 'Полина').click();
    await bobPage.locator(`.msg[data-id="${second.id}"]`).waitFor();
    assert.ok(await bobPage.locator('#pinned-bar').isHidden());

    for (const m of [first, second]) {
      const row = alicePage.locator(`.msg[data-id="${m.id}"]`);
      await row.hover();
      await row.locator('[data-action="pin"]').click();
      await eventually(async () => (await bobPage.locator(`#pinned-bar .pinned-main[data-message-id="${m.id}"]`).count()) === 1, { message: `pin ${m.id} shows on the other side` });
    }
    assert.match(await bobPage.locator('#pinned-bar .pinned-text').textContent(), /Ленина/);

    // Clicking cycles through the pins, newest first, opening each.
    await bobPage.locator('#pinned-bar .pinned-main').click();
    await eventually(async () => (await bobPage.locator(`#pinned-bar .pinned-main[data-message-id="${first.id}"]`).count()) === 1, { message: 'the bar moved to the older pin' });

    // Unpinning on alice's side removes both pins from bob's bar.
    for (let n = 0; n < 2; n += 1) await alicePage.locator('#pinned-bar .pinned-unpin').click();
    await eventually(() => bobPage.locator('#pinned-bar').isHidden(), { message: 'the bar is gone on the other side' });
    const pins = await rest(ctx.server, bob.access_token, 'GET', `/chats/${chat.id}/pins`);
    assert.deepEqual(pins.items, []);
    assert.deepEqual(alicePage.errors, []);
    assert.deepEqual(bobPage.errors, []);
  });
});
