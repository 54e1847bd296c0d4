// Mute, pin, archive and drafts in the browser (issue 15): pinned chats go on top in my
// order (and can be moved), a muted chat shows its icon and a grey unread badge, an archived
// chat leaves the list for the archive and comes back with a message unless it is muted; a
// draft typed on one device shows as "Draft: …" on my other device and in its composer, and
// goes when I send it.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { newUserPage, logIn, eventually, rest, shot, serverAndBrowser, chatItem, settled } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);

/** Titles of the chat rows in the order shown (the archive entry is not a chat). */
function titles(page) {
  return page.$$eval('#chat-list .chat-item:not(.archive-entry) .chat-item-title', (els) => els.map((el) => el.textContent));
}

async function menuAction(page, title, action) {
  const row = chatItem(page, title);
  await row.click({ button: 'right' });
  await page.click(`.chat-menu [data-action="${action}"]`);
  await page.waitForSelector('.chat-menu', { state: 'detached' });
}

async function listIs(page, expected, message) {
  await eventually(async () => (await titles(page)).join('|') === expected.join('|'), {
    message: `${message}: ${expected.join(', ')} (shown: ${(await titles(page)).join(', ')})`,
  });
}

describe('mute, pin, archive and drafts in the browser', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();
  let alice;
  let bob;
  const chats = {};
  let laptop;

  before(async () => {
    alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `ada_${stamp}`, password: 'tulip orbit 2931', display_name: 'Ada' });
    bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `bo_${stamp}`, password: 'tulip orbit 2931', display_name: 'Bo' });
    for (const title of ['Alpha', 'Beta', 'Gamma']) {
      const chat = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'group', title, member_ids: [alice.user.id] });
      chats[title] = chat.id;
    }
    laptop = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(laptop, alice.user.username);
    await listIs(laptop, ['Gamma', 'Beta', 'Alpha'], 'by activity at first');
  });

  test('pinned chats go on top in my order, muted ones show it, archived ones leave', async () => {
    await menuAction(laptop, 'Alpha', 'pin');
    await listIs(laptop, ['Alpha', 'Gamma', 'Beta'], 'Alpha pinned');
    await menuAction(laptop, 'Beta', 'pin');
    await listIs(laptop, ['Beta', 'Alpha', 'Gamma'], 'the newest pin on top');
    await menuAction(laptop, 'Alpha', 'move_up');
    await listIs(laptop, ['Alpha', 'Beta', 'Gamma'], 'Alpha moved up');
    assert.equal(await chatItem(laptop, 'Alpha').locator('.chat-item-pin').count(), 1, 'a pin icon');

    await menuAction(laptop, 'Gamma', 'mute_forever');
    await chatItem(laptop, 'Gamma').locator('.chat-item-muted').waitFor();
    await rest(ctx.server, bob.access_token, 'POST', `/chats/${chats.Gamma}/messages`, { client_id: `g1-${stamp}`, text: 'shh' });
    const badge = chatItem(laptop, 'Gamma').locator('.badge');
    await eventually(async () => (await badge.getAttribute('class'))?.includes('muted') && (await badge.textContent()) === '1', {
      message: 'a grey badge counting the muted chat',
    });

    await menuAction(laptop, 'Gamma', 'archive');
    await listIs(laptop, ['Alpha', 'Beta'], 'Gamma archived');
    await laptop.click('#archive-entry');
    await listIs(laptop, ['Gamma'], 'the archive');
    await shot(laptop, 'ru-60-archive');
    // Muted: a new message leaves it in the archive.
    await rest(ctx.server, bob.access_token, 'POST', `/chats/${chats.Gamma}/messages`, { client_id: `g2-${stamp}`, text: 'still shh' });
    await eventually(async () => (await chatItem(laptop, 'Gamma').locator('.badge').textContent()) === '2', { message: 'two unread' });
    await laptop.click('#archive-back');
    await listIs(laptop, ['Alpha', 'Beta'], 'back from the archive');

    // Not muted: a new message brings an archived chat back.
    await menuAction(laptop, 'Beta', 'archive');
    await listIs(laptop, ['Alpha'], 'Beta archived (and so unpinned)');
    await rest(ctx.server, bob.access_token, 'POST', `/chats/${chats.Beta}/messages`, { client_id: `b1-${stamp}`, text: 'wake up' });
    await listIs(laptop, ['Alpha', 'Beta'], 'Beta back with a message');

    await laptop.reload();
    await laptop.waitForSelector('#main-screen:not([hidden])');
    await listIs(laptop, ['Alpha', 'Beta'], 'the same after a reload');
    assert.equal(await laptop.locator('#archive-entry').count(), 1, 'the archive entry after a reload');
    await shot(laptop, 'ru-61-pinned-and-muted');
    assert.deepEqual(laptop.errors, []);
  });

  test('a draft typed on one device shows on my other device and goes when sent', async () => {
    const phone = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(phone, alice.user.username);
    await chatItem(laptop, 'Alpha').click();
    await laptop.waitForSelector('#chat-view:not([hidden])');
    await laptop.click('#composer-input');
    await laptop.keyboard.type('half a thought');

    const preview = chatItem(phone, 'Alpha').locator('.chat-item-preview.draft');
    await eventually(async () => /half a thought/.test((await preview.textContent()) || ''), {
      message: '"Draft: …" on the other device',
      timeout: 15000,
    });
    await shot(phone, 'ru-62-draft-in-list');
    await chatItem(phone, 'Alpha').click();
    await phone.waitForSelector('#chat-view:not([hidden])');
    assert.equal(await phone.inputValue('#composer-input'), 'half a thought', 'the draft in the composer');

    await laptop.keyboard.press('Enter');
    await eventually(async () => {
      const list = await rest(ctx.server, alice.access_token, 'GET', '/chats');
      return list.items.find((c) => c.id === chats.Alpha).draft === null;
    }, { message: 'the draft gone on the server' });
    await chatItem(phone, 'Beta').click();
    await settled(phone);
    await eventually(async () => (await chatItem(phone, 'Alpha').locator('.chat-item-preview.draft').count()) === 0, {
      message: 'no draft left on the other device',
    });
    assert.deepEqual(laptop.errors, []);
    assert.deepEqual(phone.errors, []);
  });
});
