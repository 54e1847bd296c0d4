// Messages look and feel (issue 17) in the browser: groups of consecutive messages (one
// tail, the name on the first, the avatar on the last, the time on hover), the image viewer,
// a pasted image and dropped files through the preview with a caption, the length counter,
// actions that take no focus while hidden, the context menu by mouse, keyboard and long
// press, logging out with a confirmation, and texts without "null" or wrong declensions.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { chatItem, eventually, logIn, newUserPage, PASSWORD, pngFile, rest, serverAndBrowser, settled, shot } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const GROUP = `Поход ${stamp}`;

/** Uploads `file` ({name, mimeType, buffer}) as `token`'s and returns the stored file. */
async function upload(server, token, file) {
  const form = new FormData();
  form.append('file', new Blob([file.buffer], { type: file.mimeType }), file.name);
  const r = await fetch(`${server.url}/api/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (!r.ok) throw new Error(`upload: ${r.status} ${await r.text()}`);
  return r.json();
}

let seq = 0;
function post(server, token, chatId, text, extra = {}) {
  seq += 1;
  return rest(server, token, 'POST', `/chats/${chatId}/messages`, { client_id: `laf-${stamp}-${seq}`, text, ...extra });
}

/** The row of the message whose text is exactly `text`. */
function row(page, text) {
  return page.locator('#message-list .msg[data-id]').filter({ has: page.locator('.msg-text', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
}

async function openChat(page, title) {
  await chatItem(page, title).click();
  await eventually(async () => (await page.textContent('#chat-title')) === title, { message: `${title} open` });
}

/** What the page shows as text nowhere contains "null" or "undefined". */
async function noNullShown(page) {
  const text = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, /\bnull\b|\bundefined\b/);
}

describe('messages look and feel', { timeout: 300000 }, () => {
  const ctx = serverAndBrowser();
  let anna; // the page
  let annaUser;
  let boris;
  let vera;
  let group;
  let direct;

  before(async () => {
    annaUser = await rest(ctx.server, null, 'POST', '/auth/register', { username: `laf_anna_${stamp}`, password: PASSWORD, display_name: 'Анна Петрова' });
    boris = await rest(ctx.server, null, 'POST', '/auth/register', { username: `laf_boris_${stamp}`, password: PASSWORD, display_name: 'Борис Смирнов' });
    vera = await rest(ctx.server, null, 'POST', '/auth/register', { username: `laf_vera_${stamp}`, password: PASSWORD, display_name: 'Вера' });
    group = await rest(ctx.server, annaUser.access_token, 'POST', '/chats', { kind: 'group', title: GROUP, member_ids: [boris.user.id, vera.user.id] });
    direct = await rest(ctx.server, boris.access_token, 'POST', '/chats', { kind: 'direct', user_id: annaUser.user.id });
    // Boris writes three in a row, Vera one, Boris one more: groups of 3, 1 and 1.
    for (const text of ['Кто идёт в субботу?', 'Выходим в восемь', 'Берите воду']) await post(ctx.server, boris.access_token, group.id, text);
    await post(ctx.server, vera.access_token, group.id, 'Я иду');
    await post(ctx.server, boris.access_token, group.id, `Маршрут: ${'через лес, потом вдоль реки до старой мельницы, '.repeat(14)}и обратно.`);
    await post(ctx.server, annaUser.access_token, group.id, 'Возьму карту');
    anna = await newUserPage(ctx.browser, ctx.server.url, { width: 1600, height: 900 });
    await logIn(anna, annaUser.user.username);
  });

  test('consecutive messages of one sender form a group: one tail, the name first, the avatar last, the time on hover', async () => {
    await openChat(anna, GROUP);
    const first = row(anna, 'Кто идёт в субботу?');
    const middle = row(anna, 'Выходим в восемь');
    const last = row(anna, 'Берите воду');
    await last.waitFor();
    const classes = async (r) => (await r.getAttribute('class')).split(/\s+/);
    assert.ok((await classes(first)).includes('group-first'));
    assert.ok((await classes(middle)).includes('group-middle'));
    assert.ok((await classes(last)).includes('group-last'));
    assert.ok((await classes(row(anna, 'Я иду'))).includes('group-single'));
    // The tail only on the last of a group (and on single ones).
    assert.deepEqual(await Promise.all([first, middle, last].map(async (r) => (await classes(r)).includes('tail'))), [false, false, true]);
    // The author's name over the first only; the avatar beside the last only.
    assert.deepEqual(await Promise.all([first, middle, last].map((r) => r.locator('.msg-author').count())), [1, 0, 0]);
    assert.deepEqual(await Promise.all([first, middle, last].map((r) => r.locator('button.msg-avatar').count())), [0, 0, 1]);
    assert.equal(await row(anna, 'Я иду').locator('.msg-author').textContent(), 'Вера');
    // Rows of one group sit closer than groups do.
    const gap = (a, b) => Promise.all([a.boundingBox(), b.boundingBox()]).then(([x, y]) => y.y - (x.y + x.height));
    const inside = await gap(first, middle);
    const between = await gap(last, row(anna, 'Я иду'));
    assert.ok(inside < between, `within a group ${inside}px, between groups ${between}px`);
    // The time: hidden on the first until hovered, always shown on the last.
    await anna.mouse.move(2, 2);
    const opacity = (r) => r.locator('.msg-time').evaluate((el) => Number(getComputedStyle(el).opacity));
    await eventually(async () => (await opacity(first)) === 0, { message: 'the first one\'s time hidden' });
    assert.equal(await opacity(last), 1);
    await first.locator('.bubble').hover();
    await eventually(async () => (await opacity(first)) === 1, { message: 'the time shown on hover' });
    // On a wide screen a long text uses the width (more than the old 560 px), within the pane.
    const long = anna.locator('#message-list .msg[data-id]').filter({ hasText: 'Маршрут' }).locator('.bubble');
    const [bubble, pane] = await Promise.all([long.boundingBox(), anna.locator('#messages').boundingBox()]);
    assert.ok(bubble.width > 600 && bubble.width < pane.width * 0.75, `bubble ${bubble.width}px in a ${pane.width}px pane`);
    await shot(anna, 'ru-70-message-groups');
    await noNullShown(anna);
  });

  test('an image opens in the viewer: next, zoom, and Escape gives the focus back', async () => {
    const token = boris.access_token;
    const sunset = await upload(ctx.server, token, await pngFile(anna, 'sunset.png', 640, 400));
    const forest = await upload(ctx.server, token, await pngFile(anna, 'forest.png', 300, 500));
    await post(ctx.server, token, direct.id, 'Закат', { attachment_ids: [sunset.id] });
    await post(ctx.server, token, direct.id, 'Лес', { attachment_ids: [forest.id] });
    await openChat(anna, 'Борис Смирнов');
    const opener = anna.locator(`.attachment-image-btn[data-attachment-id="${sunset.id}"]`);
    await opener.click();
    const viewer = anna.locator('#image-viewer[role="dialog"][aria-modal="true"]');
    await viewer.waitFor();
    assert.equal(await anna.textContent('#image-viewer-title'), 'sunset.png');
    assert.equal(await viewer.locator('.iv-count').textContent(), '1 из 2');
    await eventually(() => viewer.locator('.iv-img').evaluate((img) => img.complete && img.naturalWidth === 640), { message: 'the full picture' });
    await anna.keyboard.press('ArrowRight');
    assert.equal(await anna.textContent('#image-viewer-title'), 'forest.png');
    await eventually(() => viewer.locator('.iv-img').evaluate((img) => img.complete && img.naturalWidth === 300), { message: 'the next picture' });
    await viewer.locator('[data-act="prev"]').click();
    assert.equal(await anna.textContent('#image-viewer-title'), 'sunset.png');
    await viewer.locator('[data-act="zoom-in"]').click();
    assert.equal(await viewer.getAttribute('data-scale'), '1.25');
    await anna.keyboard.press('+');
    assert.equal(await viewer.getAttribute('data-scale'), '1.56');
    // Dragged while zoomed, the picture moves.
    const before = await viewer.locator('.iv-img').boundingBox();
    await anna.mouse.move(before.x + before.width / 2, before.y + before.height / 2);
    await anna.mouse.down();
    await anna.mouse.move(before.x + before.width / 2 + 80, before.y + before.height / 2 + 30, { steps: 4 });
    await anna.mouse.up();
    const after = await viewer.locator('.iv-img').boundingBox();
    assert.ok(Math.abs(after.x - before.x - 80) < 2, `panned by ${after.x - before.x}px`);
    await anna.keyboard.press('-');
    await anna.keyboard.press('0');
    assert.equal(await viewer.getAttribute('data-scale'), '1');
    await shot(anna, 'ru-71-image-viewer');
    await anna.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    assert.ok(await opener.evaluate((el) => el === document.activeElement), 'the focus is back on the picture that opened it');
  });

  test('a pasted image opens the preview; its caption and picture are sent together', async () => {
    await anna.click('#composer-input');
    await anna.keyboard.type('черновик подписи');
    const png = await pngFile(anna, 'paste.png', 120, 80);
    await anna.evaluate(async ({ base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'paste.png', { type: 'image/png' }));
      document.querySelector('#composer-input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, { base64: png.buffer.toString('base64') });
    const dialog = anna.locator('.modal.upload-dialog[role="dialog"]');
    await dialog.waitFor();
    await eventually(() => dialog.locator('img.upload-thumb').evaluate((img) => img.complete && img.naturalWidth === 120), { message: 'the thumbnail' });
    assert.equal(await anna.inputValue('#upload-caption'), 'черновик подписи', 'the composer\'s text became the caption');
    await anna.fill('#upload-caption', 'Вид из окна');
    await shot(anna, 'ru-72-upload-preview');
    await anna.click('#upload-send');
    await dialog.waitFor({ state: 'detached' });
    const sent = row(anna, 'Вид из окна');
    await sent.locator('img.attachment-image[alt="paste.png"]').waitFor();
    await anna.waitForSelector('.msg.pending', { state: 'detached' });
    assert.equal(await anna.inputValue('#composer-input'), '', 'the caption left the composer with the message');
    const [stored] = (await rest(ctx.server, boris.access_token, 'GET', `/chats/${direct.id}/messages?limit=1`)).items;
    assert.equal(stored.text, 'Вид из окна');
    assert.deepEqual(stored.attachments.map((a) => [a.name, a.content_type]), [['paste.png', 'image/png']]);
  });

  test('files dropped on the chat open the preview; cancelling gives the caption back to the composer', async () => {
    await anna.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['строка\n'.repeat(300)], 'notes.txt', { type: 'text/plain' }));
      const target = document.querySelector('#messages');
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    const dialog = anna.locator('.modal.upload-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.locator('.upload-name').textContent(), 'notes.txt');
    assert.match(await dialog.locator('.upload-size').textContent(), /КБ/);
    assert.equal(await dialog.locator('img.upload-thumb').count(), 0, 'no picture for a text file');
    await anna.fill('#upload-caption', 'не потеряется');
    await anna.click('#upload-cancel');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await anna.inputValue('#composer-input'), 'не потеряется');
    // Dropped again and sent: the file arrives with the caption.
    await anna.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['строка\n'.repeat(300)], 'notes.txt', { type: 'text/plain' }));
      document.querySelector('#messages').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await dialog.waitFor();
    assert.equal(await anna.inputValue('#upload-caption'), 'не потеряется');
    await anna.keyboard.press('Enter');
    await row(anna, 'не потеряется').locator('.attachment-file', { hasText: 'notes.txt' }).waitFor();
    await anna.fill('#composer-input', '');
  });

  test('a counter near the length limit; an over-long text cannot be sent and stays in the input', async () => {
    const limit = anna.locator('#composer-limit');
    await anna.fill('#composer-input', 'а'.repeat(4600));
    await anna.locator('#composer-input').dispatchEvent('input');
    await eventually(async () => (await limit.isVisible()) && (await limit.textContent()) === 'Осталось 400 символов', { message: 'the counter' });
    const overLong = 'б'.repeat(5003);
    await anna.fill('#composer-input', overLong);
    await eventually(async () => (await limit.textContent()) === 'Слишком длинное сообщение: уберите 3 символа, чтобы отправить', { message: 'the hint' });
    assert.equal(await anna.locator('#btn-send').isDisabled(), true);
    assert.equal(await anna.getAttribute('#composer-input', 'aria-invalid'), 'true');
    const shown = await anna.locator('#message-list .msg').count();
    await anna.focus('#composer-input');
    await anna.keyboard.press('Enter');
    await settled(anna);
    assert.equal(await anna.locator('#message-list .msg').count(), shown, 'nothing was sent');
    assert.equal(await anna.inputValue('#composer-input'), overLong, 'the text is kept');
    await shot(anna, 'ru-73-length-limit');
    await anna.fill('#composer-input', '');
    await eventually(async () => (await limit.isHidden()) && !(await anna.locator('#btn-send').isDisabled()), { message: 'the counter gone' });
  });

  test('hidden message actions take no focus; a focused message shows them and opens its menu from the keyboard', async () => {
    await openChat(anna, GROUP);
    // A row's actions are made when it is first pointed at; then the pointer leaves.
    await anna.locator('#message-list .msg[data-id]').last().hover();
    await anna.mouse.move(2, 2);
    const actions = anna.locator('#message-list .msg[data-id] .msg-action');
    assert.ok((await actions.count()) > 0);
    assert.deepEqual([...new Set(await actions.evaluateAll((els) => els.map((el) => getComputedStyle(el).visibility)))], ['hidden']);
    // Tab from the message list to the composer never lands on an action.
    await anna.focus('#messages');
    const visited = [];
    for (let i = 0; i < 60; i += 1) {
      await anna.keyboard.press('Tab');
      const at = await anna.evaluate(() => `${document.activeElement.id}|${document.activeElement.className}`);
      visited.push(at);
      if (at.startsWith('composer-input|')) break;
    }
    assert.ok(visited.at(-1).startsWith('composer-input|'), `reached the composer: ${visited.join(', ')}`);
    assert.equal(visited.filter((v) => v.includes('msg-action')).length, 0, `no hidden action focused: ${visited.join(', ')}`);
    // The arrow keys go to the messages; a focused one shows its actions, Tab reaches them.
    await anna.focus('#messages');
    await anna.keyboard.press('ArrowUp');
    const focusedRow = () => anna.evaluate(() => document.activeElement.matches('.msg[data-id]') && document.activeElement.querySelector('.msg-text')?.textContent);
    assert.equal(await focusedRow(), 'Возьму карту', 'the newest message first');
    await anna.keyboard.press('ArrowUp');
    assert.match(await focusedRow(), /^Маршрут/);
    await anna.keyboard.press('ArrowUp');
    assert.equal(await focusedRow(), 'Я иду');
    const visible = anna.locator('.msg:focus .msg-action').first();
    assert.equal(await visible.evaluate((el) => getComputedStyle(el).visibility), 'visible');
    await anna.keyboard.press('Tab');
    assert.ok(
      await anna.evaluate(() => document.activeElement.matches('.msg-action') && document.activeElement.closest('.msg').querySelector('.msg-text').textContent === 'Я иду'),
      `Tab from a focused message goes to its actions, not ${await anna.evaluate(() => document.activeElement.outerHTML.slice(0, 200))}`,
    );
    await anna.keyboard.press('Tab');
    assert.equal(await anna.evaluate(() => getComputedStyle(document.activeElement).visibility), 'visible', 'the next action, still shown');
    // Shift+F10 on a focused message: its context menu, moved through with the arrows.
    await anna.keyboard.press('Shift+Tab');
    await anna.evaluate(() => document.activeElement.closest('.msg')?.focus());
    await anna.keyboard.press('Shift+F10');
    const menu = anna.locator('.context-menu[role="menu"]');
    await menu.waitFor();
    assert.equal(await anna.evaluate(() => document.activeElement.dataset.action), 'reply');
    await anna.keyboard.press('ArrowDown');
    assert.equal(await anna.evaluate(() => document.activeElement.dataset.action), 'copy');
    await anna.keyboard.press('ArrowUp');
    await anna.keyboard.press('Enter');
    await menu.waitFor({ state: 'detached' });
    // The reply label names Vera without declining her name.
    assert.equal(await anna.textContent('#composer-context-title'), 'Ответ: Вера');
    await anna.click('#composer-context-cancel');
  });

  test('right-click opens the context menu inside the viewport; Escape closes it and gives the focus back', async () => {
    const theirs = row(anna, 'Берите воду');
    const box = await theirs.locator('.bubble').boundingBox();
    await anna.mouse.click(box.x + 10, box.y + 10, { button: 'right' });
    const menu = anna.locator('.context-menu[role="menu"]');
    await menu.waitFor();
    const items = () => menu.locator('[role="menuitem"]').evaluateAll((els) => els.map((el) => el.dataset.action));
    // Anna owns the group: she may pin and delete others' messages, and report them.
    assert.deepEqual(await items(), ['reply', 'copy', 'forward', 'pin', 'delete', 'hide', 'report']);
    assert.equal(await menu.locator('.context-reactions [role="menuitemcheckbox"]').count(), 6);
    await anna.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    assert.ok(await theirs.evaluate((el) => el === document.activeElement), 'the focus is back on the message');

    // Near the bottom-right corner the menu still fits in the window.
    const mine = await anna.locator('#message-list .msg.mine[data-id]').last();
    const mineBox = await mine.locator('.bubble').boundingBox();
    await anna.mouse.click(mineBox.x + mineBox.width - 2, mineBox.y + mineBox.height - 2, { button: 'right' });
    await menu.waitFor();
    assert.deepEqual(await items(), ['reply', 'edit', 'copy', 'forward', 'pin', 'delete', 'hide']);
    const rect = await menu.boundingBox();
    const viewport = anna.viewportSize();
    assert.ok(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= viewport.width && rect.y + rect.height <= viewport.height, JSON.stringify(rect));
    await shot(anna, 'ru-74-context-menu');
    // A click elsewhere (the list's padding) closes it.
    const list = await anna.locator('#messages').boundingBox();
    await anna.mouse.click(list.x + 4, list.y + 4);
    await menu.waitFor({ state: 'detached' });

    // "Copy text" puts the message's text on the clipboard.
    await anna.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.server.url });
    await anna.mouse.click(box.x + 10, box.y + 10, { button: 'right' });
    await menu.locator('[data-action="copy"]').click();
    await eventually(async () => (await anna.textContent('#toast')) === 'Текст скопирован', { message: 'the copied toast' });
    assert.equal(await anna.evaluate(() => navigator.clipboard.readText()), 'Берите воду');

    // Scrolling the messages closes it too.
    await anna.mouse.click(box.x + 10, box.y + 10, { button: 'right' });
    await menu.waitFor();
    await anna.evaluate(() => document.querySelector('#messages').dispatchEvent(new Event('scroll')));
    await menu.waitFor({ state: 'detached' });

    // A reaction from the menu's row.
    await anna.mouse.click(box.x + 10, box.y + 10, { button: 'right' });
    await menu.locator('[data-emoji="👍"]').click();
    await theirs.locator('.reaction-chip.mine[data-emoji="👍"]').waitFor();
  });

  test('a long press on a message opens the same menu (touch)', async () => {
    const bubble = row(anna, 'Выходим в восемь').locator('.bubble');
    const box = await bubble.boundingBox();
    await bubble.evaluate((el, [x, y]) => {
      el.dispatchEvent(new PointerEvent('pointerdown', { pointerType: 'touch', clientX: x, clientY: y, bubbles: true, isPrimary: true }));
    }, [box.x + 20, box.y + 10]);
    const menu = anna.locator('.context-menu[role="menu"]');
    await menu.waitFor({ timeout: 3000 });
    await bubble.evaluate((el) => el.dispatchEvent(new PointerEvent('pointerup', { pointerType: 'touch', bubbles: true })));
    assert.ok((await menu.locator('[data-action="reply"]').count()) === 1);
    await anna.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
  });

  test('labels with names need no declension, and an empty bio shows nothing', async () => {
    const [source] = (await rest(ctx.server, annaUser.access_token, 'GET', `/chats/${direct.id}/messages?limit=20`)).items.filter((m) => m.text === 'Закат');
    await rest(ctx.server, annaUser.access_token, 'POST', `/chats/${group.id}/messages`, { client_id: `fwd-${stamp}`, text: '', forward_of: source.id });
    await anna.locator('#message-list .forwarded', { hasText: 'Переслано от: Борис Смирнов' }).waitFor();
    // Vera has no bio: her profile shows no row for it and no "null".
    await row(anna, 'Я иду').locator('.msg-author').click();
    await anna.waitForSelector('#user-profile');
    assert.equal(await anna.locator('#user-profile .profile-bio').count(), 0);
    await noNullShown(anna);
    await anna.keyboard.press('Escape');
    await anna.waitForSelector('#modal-root', { state: 'hidden' });
    await anna.click('#btn-info');
    await anna.waitForSelector('#info-panel:not([hidden])');
    await noNullShown(anna);
  });

  test('logging out asks first; the sign-in error follows a change of language', async () => {
    await anna.click('#btn-logout');
    const dialog = anna.locator('#modal-root .modal[role="dialog"]');
    await dialog.waitFor();
    assert.equal(await dialog.locator('p').textContent(), 'Выйти из аккаунта на этом устройстве?');
    await dialog.locator('.btn:not(.primary)').click();
    await anna.waitForSelector('#modal-root', { state: 'hidden' });
    assert.ok(await anna.locator('#main-screen').isVisible(), 'still signed in after "Cancel"');
    await anna.click('#btn-logout');
    await anna.click('#modal-root .btn.danger.primary');
    await anna.waitForSelector('#auth-screen:not([hidden])');

    await anna.click('.auth-tab[data-mode="login"]');
    await anna.fill('input[name="login"]', annaUser.user.username);
    await anna.fill('input[name="password"]', 'not the password 1');
    await anna.click('#auth-submit');
    await eventually(async () => (await anna.textContent('#auth-error')) === 'Неверное имя пользователя или пароль', { message: 'the error in Russian' });
    await anna.evaluate(() => window.messengerApp.setLanguage('en'));
    await eventually(async () => (await anna.textContent('#auth-error')) === 'Wrong username or password', { message: 'the error in English' });
    await anna.fill('input[name="login"]', '');
    await anna.click('#auth-submit');
    const english = await anna.textContent('#auth-error');
    await anna.evaluate(() => window.messengerApp.setLanguage('ru'));
    await eventually(async () => (await anna.textContent('#auth-error')) !== english && /[а-я]/.test(await anna.textContent('#auth-error')), { message: 'the validation error in Russian' });
    assert.deepEqual(anna.errors, []);
  });
});
