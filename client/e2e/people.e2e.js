// People in the browser: another user's profile adds them as a contact with a local name,
// which then shows instead of their name in the chat list, the header and a group's message
// authors; the contacts screen lists them; blocking makes their message in our dialog fail
// with the `blocked` text until unblocked; privacy hides my online status and last seen from
// them, and with read receipts off neither of us sees the other's read marks.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newUserPage, register, openDialogWith, send, bubbles, eventually, rest, shot, serverAndBrowser, chatItem, tokenOf } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ANNA = { username: `anna_${stamp}`, display_name: 'Анна' };
const BORIS = { username: `boris_${stamp}`, display_name: 'Борис' };
const LOCAL = 'Боря сосед';
const GROUP = 'Книжный клуб';

async function openChat(page, title) {
  await chatItem(page, title).click();
  await eventually(async () => (await page.textContent('#chat-title')) === title, { message: `${title} open` });
}

/** Opens the profile of the dialog's other user from the header. */
async function openPeerProfile(page) {
  await page.click('#chat-head-text');
  await page.waitForSelector('#user-profile');
}

async function closeModal(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('#modal-root', { state: 'hidden' });
}

/** The delivery mark of my message `text` ('sent', 'delivered' or 'read'). */
function receiptOf(page, text) {
  return page
    .locator('#message-list .msg.mine')
    .filter({ has: page.locator('.msg-text', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
    .locator('.receipt')
    .getAttribute('class', { timeout: 2000 })
    .then((c) => c.replace('receipt', '').trim());
}

describe('contacts, blocking and privacy in the browser', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();
  let anna;
  let boris;
  let annaToken;
  let borisToken;
  let annaId;

  before(async () => {
    anna = await newUserPage(ctx.browser, ctx.server.url);
    await register(anna, ANNA);
    await anna.waitForSelector('#main-screen:not([hidden])');
    boris = await newUserPage(ctx.browser, ctx.server.url);
    await register(boris, BORIS);
    await boris.waitForSelector('#main-screen:not([hidden])');
    annaToken = await tokenOf(anna);
    borisToken = await tokenOf(boris);
    annaId = (await rest(ctx.server, annaToken, 'GET', '/users/me')).id;
    // A dialog, and a group where Boris's messages carry his name.
    await openDialogWith(boris, ANNA.username);
    await send(boris, 'Привет, Анна');
    await bubbles(boris, 'Привет, Анна').waitFor();
    const group = await rest(ctx.server, borisToken, 'POST', '/chats', { kind: 'group', title: GROUP, member_ids: [annaId] });
    await rest(ctx.server, borisToken, 'POST', `/chats/${group.id}/messages`, { client_id: randomUUID(), text: 'Кто читал Толстого?' });
    await chatItem(anna, GROUP).waitFor();
    await chatItem(anna, BORIS.display_name).waitFor();
  });

  test('a contact with a local name shows by that name everywhere, and on the contacts screen', async () => {
    await openChat(anna, BORIS.display_name);
    await openPeerProfile(anna);
    assert.equal(await anna.textContent('#profile-name'), BORIS.display_name);
    await anna.fill('#profile-local-name', LOCAL);
    await anna.click('#profile-add-contact');
    await anna.waitForSelector('#profile-remove-contact');
    await eventually(async () => (await anna.textContent('#profile-name')) === LOCAL, { message: 'the local name in the profile' });
    assert.equal(await anna.textContent('.profile-display-name span:last-child'), BORIS.display_name, 'their own name is still told');
    await shot(anna, 'ru-60-user-profile-contact');
    await closeModal(anna);

    await chatItem(anna, LOCAL).waitFor();
    assert.equal(await anna.textContent('#chat-title'), LOCAL);
    await openChat(anna, GROUP);
    const author = anna.locator('#message-list .msg-author').first();
    await eventually(async () => (await author.textContent()) === LOCAL, { message: 'the local name as the author' });
    await shot(anna, 'ru-61-local-name-author');
    // Only Anna sees it: Boris's own name is unchanged for everybody else.
    assert.equal((await rest(ctx.server, borisToken, 'GET', '/users/me')).display_name, BORIS.display_name);
    const contacts = await rest(ctx.server, annaToken, 'GET', '/contacts');
    assert.deepEqual(
      contacts.items.map((u) => [u.username, u.local_name]),
      [[BORIS.username, LOCAL]],
    );

    await anna.click('#btn-contacts');
    const row = anna.locator('#contacts-list .contact');
    await row.first().waitFor();
    assert.deepEqual(await row.locator('.chat-item-title').allTextContents(), [LOCAL]);
    await shot(anna, 'ru-62-contacts');
    // The row opens the profile.
    await row.first().click();
    await anna.waitForSelector('#user-profile #profile-remove-contact');
    await closeModal(anna);
  });

  test('a blocked user cannot write in the dialog until unblocked', async () => {
    await openChat(anna, LOCAL);
    await openPeerProfile(anna);
    await anna.click('#profile-block');
    await anna.click('#modal-root .modal .btn.danger.primary');
    await anna.waitForSelector('#user-profile #profile-unblock');
    assert.equal(await anna.textContent('#profile-blocked-note'), 'Вы заблокировали этого пользователя');
    await shot(anna, 'ru-63-blocked');
    await closeModal(anna);

    await send(boris, 'Ты тут?');
    const failed = boris.locator('#message-list .msg.pending.failed');
    await failed.waitFor();
    assert.equal(await failed.locator('.failed-text').textContent(), 'Этот пользователь вас заблокировал');
    await shot(boris, 'ru-64-blocked-send');
    assert.equal(await bubbles(anna, 'Ты тут?').count(), 0);

    // The blocked list of the settings has him, and unblocks him.
    await anna.click('#btn-settings');
    await anna.click('#open-blocked');
    const blockedRow = anna.locator('#blocked-screen .blocked-user');
    await blockedRow.first().waitFor();
    assert.deepEqual(await blockedRow.locator('.chat-item-title').allTextContents(), [LOCAL]);
    await shot(anna, 'ru-65-blocked-list');
    await blockedRow.locator('button').click();
    await anna.waitForSelector('#blocked-screen .empty-hint');
    await closeModal(anna);
    await openPeerProfile(anna);
    await anna.waitForSelector('#user-profile #profile-block');
    await closeModal(anna);
    assert.deepEqual((await rest(ctx.server, annaToken, 'GET', '/users/me/blocked')).items, []);
    await failed.locator('.msg-action').first().click(); // try again
    await bubbles(anna, 'Ты тут?').waitFor();
    await boris.waitForSelector('#message-list .msg.pending', { state: 'detached' });
  });

  test('privacy: nobody sees me online or my last seen; read receipts off hide read marks both ways', async () => {
    const subtitle = () => boris.textContent('#chat-subtitle');
    await eventually(async () => (await subtitle()) === 'в сети', { message: 'Anna online for Boris' });
    // Read marks work before: Anna has read "Ты тут?".
    await eventually(async () => (await receiptOf(boris, 'Ты тут?')) === 'read', { message: 'read mark before' });

    await anna.click('#btn-settings');
    await anna.click('#open-privacy');
    await anna.waitForSelector('#privacy-last_seen');
    await anna.selectOption('#privacy-last_seen', 'nobody');
    await eventually(async () => !(await anna.isDisabled('#privacy-online')), { message: 'saved' });
    await anna.selectOption('#privacy-online', 'nobody');
    await eventually(async () => !(await anna.isDisabled('#privacy-read_receipts')), { message: 'saved' });
    await anna.uncheck('#privacy-read_receipts');
    await eventually(async () => !(await anna.isDisabled('#privacy-read_receipts')), { message: 'saved' });
    assert.ok(await anna.locator('#privacy-error').count() === 0, 'no error');
    await shot(anna, 'ru-66-privacy');
    const privacy = await rest(ctx.server, annaToken, 'GET', '/users/me/privacy');
    assert.deepEqual([privacy.last_seen, privacy.online, privacy.read_receipts], ['nobody', 'nobody', false]);
    await closeModal(anna);

    // Boris no longer sees her online, nor when she was last seen, also after a reload.
    const hidden = async () => {
      const text = await subtitle();
      return text !== 'в сети' && !text.startsWith('был');
    };
    await boris.reload();
    await boris.waitForSelector('#main-screen:not([hidden])');
    await openChat(boris, ANNA.display_name);
    await bubbles(boris, 'Ты тут?').waitFor();
    // She goes offline, comes back and types: none of it tells him she is online.
    await anna.reload();
    await anna.waitForSelector('#main-screen:not([hidden])');
    await eventually(() => anna.evaluate(() => globalThis.messengerApp.realtime?.online === true), { message: 'Anna connected again' });
    await openChat(anna, LOCAL);
    const chatId = Number(await chatItem(anna, LOCAL).getAttribute('data-chat-id'));
    // Typed in the composer: Boris sees her typing, and still not that she is online.
    await send(anna, 'Я снова здесь');
    await bubbles(boris, 'Я снова здесь').waitFor();
    assert.ok(await hidden(), `no presence for Boris (${await subtitle()})`);
    assert.equal((await rest(ctx.server, borisToken, 'GET', `/users/${annaId}`)).last_seen_at, null);
    await shot(boris, 'ru-67-no-presence');

    // Her reading of his new message is not shown to him...
    await send(boris, 'Прочитай меня');
    await bubbles(anna, 'Прочитай меня').waitFor();
    await eventually(
      async () => {
        const chat = await rest(ctx.server, annaToken, 'GET', `/chats/${chatId}`);
        const last = (await rest(ctx.server, annaToken, 'GET', `/chats/${chatId}/messages`)).items.at(-1);
        return chat.members.find((m) => m.user_id === annaId).read_message_id >= last.id;
      },
      { message: 'Anna has read it' },
    );
    await boris.reload();
    await boris.waitForSelector('#main-screen:not([hidden])');
    await openChat(boris, ANNA.display_name);
    await bubbles(boris, 'Прочитай меня').waitFor();
    assert.notEqual(await receiptOf(boris, 'Прочитай меня'), 'read');
    // ...and his reading of hers is not shown to her.
    await send(anna, 'И ты меня');
    await bubbles(boris, 'И ты меня').waitFor();
    await eventually(
      async () => {
        const chat = await rest(ctx.server, borisToken, 'GET', `/chats/${chatId}`);
        const last = (await rest(ctx.server, borisToken, 'GET', `/chats/${chatId}/messages`)).items.at(-1);
        return chat.members.find((m) => m.user_id !== annaId).read_message_id >= last.id;
      },
      { message: 'Boris has read it' },
    );
    await anna.reload();
    await anna.waitForSelector('#main-screen:not([hidden])');
    await openChat(anna, LOCAL);
    await bubbles(anna, 'И ты меня').waitFor();
    assert.notEqual(await receiptOf(anna, 'И ты меня'), 'read');

    assert.deepEqual(anna.errors, []);
    assert.deepEqual(boris.errors, []);
  });
});
