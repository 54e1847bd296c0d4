// Reactions in the browser: Anna reacts from the quick set and Boris sees the chip live;
// Boris's click on the chip adds his (mine highlighted) and a second click takes it back;
// hovering a chip shows who reacted; the picker finds an emoji by name and applies a
// skin tone, and the server keeps exactly that emoji.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { newUserPage, register, openDialogWith, send, bubbles, eventually, rest, shot, serverAndBrowser, chatItem, tokenOf } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ANNA = { username: `anna_${stamp}`, display_name: 'Анна' };
const BORIS = { username: `boris_${stamp}`, display_name: 'Борис' };

/** The row of the message whose text is `text`. */
function row(page, text) {
  return page.locator('#message-list .msg').filter({ has: page.locator('.msg-text', { hasText: new RegExp(`^${text.replace(/[?]/g, '\\?')}$`) }) });
}

/** What the chips under a message show: [[emoji, count, mine], ...]. */
function chips(page, text) {
  return row(page, text)
    .locator('.reaction-chip:not(.add)')
    .evaluateAll((els) => els.map((el) => [el.dataset.emoji, Number(el.querySelector('.reaction-count').textContent), el.classList.contains('mine')]));
}

describe('reactions in the browser', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();
  let anna;
  let boris;

  before(async () => {
    anna = await newUserPage(ctx.browser, ctx.server.url);
    await register(anna, ANNA);
    await anna.waitForSelector('#main-screen:not([hidden])');
    boris = await newUserPage(ctx.browser, ctx.server.url);
    await register(boris, BORIS);
    await boris.waitForSelector('#main-screen:not([hidden])');
    await openDialogWith(anna, BORIS.username);
    await send(anna, 'кто идёт на обед?');
    await bubbles(anna, 'кто идёт на обед?').waitFor();
    await chatItem(boris, ANNA.display_name).click();
    await boris.waitForSelector('#chat-view:not([hidden])');
    await bubbles(boris, 'кто идёт на обед?').waitFor();
  });

  test('a reaction from the quick set shows at once for the other member', async () => {
    const message = row(anna, 'кто идёт на обед?');
    await message.hover();
    await message.locator('[data-action="react"]').click();
    await anna.click('.reaction-quick .reaction-quick-btn[data-emoji="👍"]');

    await eventually(async () => JSON.stringify(await chips(anna, 'кто идёт на обед?')) === JSON.stringify([['👍', 1, true]]), { message: 'my chip at Anna' });
    await eventually(async () => JSON.stringify(await chips(boris, 'кто идёт на обед?')) === JSON.stringify([['👍', 1, false]]), { message: 'the chip arrived live at Boris' });
    await shot(boris, 'ru-60-reaction-live');
  });

  test('clicking a chip toggles my own reaction, and hovering it shows who reacted', async () => {
    const chip = row(boris, 'кто идёт на обед?').locator('.reaction-chip[data-emoji="👍"]');
    await chip.click();
    await eventually(async () => JSON.stringify(await chips(boris, 'кто идёт на обед?')) === JSON.stringify([['👍', 2, true]]), { message: 'Boris joined the reaction' });
    await eventually(async () => JSON.stringify(await chips(anna, 'кто идёт на обед?')) === JSON.stringify([['👍', 2, true]]), { message: 'Anna sees two' });

    await row(boris, 'кто идёт на обед?').locator('.reaction-chip[data-emoji="👍"]').hover();
    const who = boris.locator('.reaction-who');
    await eventually(async () => /Анна/.test(await who.textContent()) && /Борис/.test(await who.textContent()), { message: 'who reacted' });
    await shot(boris, 'ru-61-who-reacted');

    await row(boris, 'кто идёт на обед?').locator('.reaction-chip[data-emoji="👍"]').click();
    await eventually(async () => JSON.stringify(await chips(boris, 'кто идёт на обед?')) === JSON.stringify([['👍', 1, false]]), { message: 'Boris took it back' });
    await eventually(async () => JSON.stringify(await chips(anna, 'кто идёт на обед?')) === JSON.stringify([['👍', 1, true]]), { message: 'Anna sees one again' });
  });

  test('the picker finds an emoji by name and applies a skin tone', async () => {
    const message = row(boris, 'кто идёт на обед?');
    await message.hover();
    await message.locator('[data-action="react"]').click();
    await boris.click('.reaction-quick .reaction-quick-btn.more');
    await boris.waitForSelector('.emoji-picker .emoji-search');
    await boris.click('.emoji-picker .emoji-tone[data-tone="4"]');
    await boris.fill('.emoji-picker .emoji-search', 'waving hand');
    await eventually(async () => (await boris.locator('.emoji-picker .emoji-cell').first().getAttribute('data-emoji')) === '👋🏾', { message: 'the toned waving hand first' });
    await shot(boris, 'ru-62-emoji-picker');
    await boris.locator('.emoji-picker .emoji-cell').first().click();

    await eventually(async () => JSON.stringify(await chips(anna, 'кто идёт на обед?')) === JSON.stringify([['👍', 1, true], ['👋🏾', 1, false]]), { message: 'the toned reaction at Anna' });
    const token = await tokenOf(anna);
    const chatId = (await rest(ctx.server, token, 'GET', '/chats')).items[0].id;
    const [stored] = (await rest(ctx.server, token, 'GET', `/chats/${chatId}/messages`)).items;
    assert.deepEqual(stored.reactions, [
      { emoji: '👍', count: 1, me: true },
      { emoji: '👋🏾', count: 1, me: false },
    ]);
    // Russian names find it too, and the picker remembers what was used.
    await message.hover();
    await message.locator('[data-action="react"]').click();
    await boris.click('.reaction-quick .reaction-quick-btn.more');
    await boris.waitForSelector('.emoji-picker .emoji-section');
    assert.equal(await boris.locator('.emoji-picker .emoji-grid').first().locator('.emoji-cell').first().getAttribute('data-emoji'), '👋🏾');
    await boris.fill('.emoji-picker .emoji-search', 'машет рукой');
    await eventually(async () => (await boris.locator('.emoji-picker .emoji-cell').first().getAttribute('data-emoji')) === '👋🏾', { message: 'found in Russian' });
    await boris.keyboard.press('Escape');
    assert.deepEqual(anna.errors, []);
    assert.deepEqual(boris.errors, []);
  });
});
