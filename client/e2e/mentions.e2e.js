// Mentions: the composer autocompletes @ from the chat's members (arrows, Enter), the post
// mentions the chosen member, who sees an @ badge in the chat list and the mention
// highlighted (stronger as theirs), and jumps to it from far below with the @ button.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, chatItem, logIn, newUserPage, PASSWORD, rest, serverAndBrowser, settled } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);

describe('mentions', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('autocomplete, post, and the other side sees the badge, the highlight and the jump', async () => {
    const alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `mal_${stamp}`, password: PASSWORD, display_name: 'Алиса' });
    const bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `mbo_${stamp}`, password: PASSWORD, display_name: 'Борис' });
    const carol = await rest(ctx.server, null, 'POST', '/auth/register', { username: `mca_${stamp}`, password: PASSWORD, display_name: 'Карина' });
    const group = await rest(ctx.server, alice.access_token, 'POST', '/chats', { kind: 'group', title: `Команда ${stamp}`, member_ids: [bob.user.id, carol.user.id] });

    const a = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(a, alice.user.username);
    await chatItem(a, `Команда ${stamp}`).click();
    await a.click('#composer-input');
    await a.keyboard.type('Смотри, @');
    const options = a.locator('#mention-picker .mention-option');
    const offered = () => options.evaluateAll((els) => els.map((el) => el.dataset.username));
    // The group's owner may mention everyone; the members follow by username; not herself.
    await eventually(async () => (await options.count()) === 3, { message: 'three choices' });
    assert.deepEqual(await offered(), ['all', bob.user.username, carol.user.username]);
    await a.keyboard.type('m');
    await eventually(async () => (await options.count()) === 2, { message: 'the members for "@m"' });
    await a.keyboard.press('Escape');
    assert.ok(await a.locator('#mention-picker').isHidden(), 'Escape closes the list');
    await a.keyboard.type('b');
    await eventually(async () => (await offered()).join() === bob.user.username, { message: 'only Борис for "@mb"' });
    await a.keyboard.press('Backspace');
    await eventually(async () => (await options.count()) === 2, { message: 'both again for "@m"' });
    // Down to Карина, up again to Борис, Enter: inserted, not sent.
    await a.keyboard.press('ArrowDown');
    assert.equal(await a.locator('#mention-picker .mention-option.selected').getAttribute('data-username'), carol.user.username);
    await a.keyboard.press('ArrowUp');
    await a.keyboard.press('Enter');
    assert.equal(await a.inputValue('#composer-input'), `Смотри, @${bob.user.username} `);
    assert.ok(await a.locator('#mention-picker').isHidden());
    await a.keyboard.type('сюда **важно**');
    await a.keyboard.press('Enter');
    await eventually(async () => (await a.locator('.msg.mine[data-id] .mention').count()) === 1, { message: 'the sent message shows the mention' });

    // Carol fills the chat, so the mention lies far above the newest page.
    for (let i = 0; i < 60; i += 1) {
      await rest(ctx.server, carol.access_token, 'POST', `/chats/${group.id}/messages`, { client_id: `f-${stamp}-${i}`, text: `заполнение ${i}` });
    }
    const [mentioning] = (await rest(ctx.server, bob.access_token, 'GET', `/chats/${group.id}/messages?mentions=me`)).items;
    assert.deepEqual(mentioning.mentions, [bob.user.id]);

    const b = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(b, bob.user.username);
    const item = chatItem(b, `Команда ${stamp}`);
    await item.locator('.mention-badge').waitFor();
    await item.click();
    await b.locator('.msg[data-id]').first().waitFor();
    assert.equal(await b.locator(`.msg[data-id="${mentioning.id}"]`).count(), 0, 'the mention is not on the newest page');
    const jump = b.locator('#mention-jump');
    await jump.waitFor();
    assert.equal((await jump.textContent()).trim(), '@1');
    await jump.click();
    const row = b.locator(`.msg[data-id="${mentioning.id}"]`);
    await row.waitFor();
    await settled(b);
    const highlight = row.locator('.mention.me');
    assert.equal(await highlight.textContent(), `@${bob.user.username}`);
    assert.equal(await row.locator('.msg-text strong').textContent(), 'важно');
    await eventually(() => jump.isHidden(), { message: 'no more mentions to jump to' });
    await eventually(async () => (await item.locator('.mention-badge').count()) === 0, { message: 'the badge is gone once read' });
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
});
