// End to end: a real server process and headless Chromium, two users in two browser
// contexts. Run with `make test-e2e` (node --test). Screenshots go to e2e/screenshots/.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessengerServer,
  PASSWORD,
  launchBrowser,
  newUserPage,
  register,
  openDialogWith,
  send,
  bubbles,
  shot,
  eventually,
  chatItem,
} from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ALICE = { username: `alice_${stamp}`, display_name: 'Алиса Смирнова' };
const BOB = { username: `bob_${stamp}`, display_name: 'Борис Петров' };
const CAROL = { username: `carol_${stamp}`, display_name: 'Carol King' };

describe('messenger in the browser against a real server', { timeout: 240000 }, () => {
  let server;
  let browser;
  let alice;
  let bob;

  before(async () => {
    server = new MessengerServer();
    await server.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  test('the served page is the client, with a strict CSP', async () => {
    const r = await fetch(`${server.url}/`);
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(await r.text(), /<script type="module" src="app\.js">/);
    const ru = await fetch(`${server.url}/locales/ru.json`);
    assert.equal(ru.status, 200);
  });

  test('registration: client-side validation and localised server error codes', async () => {
    alice = await newUserPage(browser, server.url);
    assert.equal(await alice.textContent('#auth-submit'), 'Войти', 'Russian by default');
    await shot(alice, 'ru-01-login');
    await register(alice, { username: 'x', password: PASSWORD });
    assert.match(await alice.textContent('#auth-error'), /3–32 символа/);
    await register(alice, { ...ALICE, password: 'short' });
    assert.equal(await alice.textContent('#auth-error'), 'Пароль должен содержать от 8 до 128 символов');
    await shot(alice, 'ru-02-register-error');
    await register(alice, ALICE);
    await alice.waitForSelector('#main-screen:not([hidden])');
    assert.equal(await alice.textContent('#me-name'), ALICE.display_name);

    bob = await newUserPage(browser, server.url);
    // the server's answer for a taken name, in the user's language
    await register(bob, { username: ALICE.username, display_name: 'X' });
    await eventually(async () => (await bob.textContent('#auth-error')) === 'Это имя пользователя уже занято', {
      message: 'username_taken shown in Russian',
    });
    await bob.click('.auth-tab[data-mode="login"]');
    await bob.fill('input[name="login"]', ALICE.username);
    await bob.fill('input[name="password"]', 'wrong-password');
    await bob.click('#auth-submit');
    await eventually(async () => (await bob.textContent('#auth-error')) === 'Неверное имя пользователя или пароль', {
      message: 'invalid_credentials shown in Russian',
    });
    await register(bob, BOB);
    await bob.waitForSelector('#main-screen:not([hidden])');
  });

  test('two users open a dialog, exchange messages, see typing and read marks', async () => {
    await openDialogWith(alice, BOB.username);
    assert.equal(await alice.textContent('#chat-title'), BOB.display_name);
    await send(alice, 'Привет, Борис! Как дела?');
    await alice.waitForSelector('.msg.mine:not(.pending) .receipt');

    // Bob gets the new chat in his list with an unread badge and the last message
    const item = chatItem(bob, ALICE.display_name);
    await item.waitFor();
    await eventually(async () => (await item.locator('.badge').textContent()) === '1', { message: 'unread badge' });
    assert.match(await item.locator('.chat-item-preview').textContent(), /Как дела\?/);
    await shot(bob, 'ru-03-chat-list-unread');

    await item.click();
    await bubbles(bob, 'Привет, Борис! Как дела?').waitFor();
    // Bob has read it: Alice's mark turns into ✓✓ "read"
    await alice.waitForSelector('.msg.mine .receipt.read', { timeout: 10000 });
    assert.equal(await alice.textContent('.msg.mine .receipt.read'), '✓✓');
    assert.equal(await item.locator('.badge').count(), 0, 'badge gone once read');

    // typing: Bob types, Alice sees it
    await bob.click('#composer-input');
    await bob.keyboard.type('Отлично');
    await eventually(async () => /печатает/.test(await alice.textContent('#typing')), { message: 'typing indicator' });
    assert.match(await alice.textContent('#chat-subtitle'), /печатает/);
    await shot(alice, 'ru-04-typing');
    await bob.keyboard.type(', спасибо! А у тебя?');
    await bob.keyboard.press('Enter');
    await bubbles(alice, 'Отлично, спасибо! А у тебя?').waitFor();
    await eventually(async () => (await alice.textContent('#typing')) === '', { message: 'typing cleared by the message' });

    // presence: Bob is online (he has a socket; he typed)
    await eventually(async () => (await alice.textContent('#chat-subtitle')) === 'в сети', { message: 'online status' });
    assert.equal(await alice.locator('#chat-list .chat-item .online-dot').count(), 1);

    // reply, edit and delete
    const theirs = alice.locator('.msg.theirs').last();
    await theirs.hover();
    await theirs.locator('[data-action="reply"]').click();
    assert.match(await alice.textContent('#composer-context-title'), /Ответ/);
    await send(alice, 'Тоже хорошо');
    await bubbles(bob, 'Тоже хорошо').waitFor();
    await bob.waitForSelector('.msg.theirs .quote');
    assert.match(await bob.locator('.msg.theirs .quote').last().textContent(), /Отлично, спасибо/);

    await send(alice, 'Опечатка тут');
    await bubbles(alice, 'Опечатка тут').waitFor();
    const typo = alice.locator('.msg.mine:not(.pending)', { hasText: 'Опечатка тут' });
    await typo.waitFor();
    await typo.hover();
    await typo.locator('[data-action="edit"]').click();
    await alice.fill('#composer-input', 'Исправленный текст');
    await alice.keyboard.press('Enter');
    await bubbles(bob, 'Исправленный текст').waitFor();
    assert.equal(await bob.locator('.msg.theirs', { hasText: 'Исправленный текст' }).locator('.edited').count(), 1);

    const fixed = alice.locator('.msg.mine', { hasText: 'Исправленный текст' });
    await fixed.hover();
    await fixed.locator('[data-action="delete"]').click();
    await alice.click('.modal .btn.danger');
    await eventually(async () => (await bob.locator('.msg-text.deleted').count()) === 1, { message: 'tombstone at Bob' });
    await shot(alice, 'ru-05-dialog');
    await shot(bob, 'ru-06-dialog-other-side');
  });

  test('attachments upload with progress and reach the other side', async () => {
    await alice.setInputFiles('#file-input', {
      name: 'report.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('quarterly numbers\n'.repeat(2000)),
    });
    await alice.waitForSelector('.upload .small.muted >> text=/КБ/');
    await send(alice, 'Отчёт во вложении');
    await bob.locator('.msg.theirs .attachment-file', { hasText: 'report.txt' }).waitFor();
  });

  test('a file without a caption is sent, not left pending', async () => {
    await alice.setInputFiles('#file-input', {
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(4096)]),
    });
    await alice.waitForSelector('.upload .small.muted >> text=/КБ/');
    await alice.click('#composer-input');
    await alice.keyboard.press('Enter');
    await bob.locator('.msg.theirs img.attachment-image[alt="photo.png"]').waitFor();
    await alice.waitForSelector('.msg.pending', { state: 'detached', timeout: 15000 });
    assert.equal(await alice.locator('.msg.failed').count(), 0);
  });

  test('offline: a message written while the server is down arrives exactly once after restart', async () => {
    const text = `Написано без связи ${stamp}`;
    await server.stop();
    await alice.waitForSelector('#banner:not([hidden])', { timeout: 15000 });
    await bob.waitForSelector('#banner:not([hidden])', { timeout: 15000 });
    await send(alice, text);
    await alice.waitForSelector('.msg.pending');
    assert.equal(await bubbles(alice, text).count(), 1);
    // Each reconnect attempt shows "connecting" for a moment; between attempts it says offline.
    await eventually(async () => /Нет соединения/.test(await alice.textContent('#banner')), { message: 'the offline banner' });
    await shot(alice, 'ru-07-offline-pending');

    await server.start();
    await alice.waitForSelector('#banner', { state: 'hidden', timeout: 30000 });
    await bob.waitForSelector('#banner', { state: 'hidden', timeout: 30000 });
    await bubbles(bob, text).waitFor({ timeout: 15000 });
    await alice.waitForSelector('.msg.pending', { state: 'detached', timeout: 15000 });
    // give any duplicate (resend + sync + push) time to show up
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await bubbles(bob, text).count(), 1, 'exactly once at the receiver');
    assert.equal(await bubbles(alice, text).count(), 1, 'exactly once at the sender');
    // and the server stored it once: a fresh load of the history shows one
    await bob.reload();
    await bob.waitForSelector('#main-screen:not([hidden])');
    await chatItem(bob, ALICE.display_name).click();
    await bubbles(bob, text).waitFor();
    assert.equal(await bubbles(bob, text).count(), 1, 'exactly once after reload');
  });

  test('groups: create, add a member, the member sees the conversation', async () => {
    const carol = await newUserPage(browser, server.url);
    await register(carol, CAROL);
    await carol.waitForSelector('#main-screen:not([hidden])');

    await alice.click('#btn-new-group');
    await alice.fill('#group-title', 'Команда проекта');
    await alice.fill('.modal .picker input[type="search"]', BOB.username);
    await alice.click(`.modal .picker-results .person >> text=@${BOB.username}`);
    await alice.click('#group-create');
    await alice.waitForSelector('#chat-title >> text=Команда проекта');
    await send(alice, 'Добро пожаловать в группу');
    await chatItem(bob, 'Команда проекта').waitFor();

    await alice.click('#btn-info');
    const addMember = alice.locator('#info-panel .picker input[type="search"]');
    await addMember.focus();
    // Presence and receipt events redraw the panel at any moment, also between the focus and
    // the keystrokes of a fill: the redraw must leave the box being typed into alone.
    await alice.evaluate(() => messengerApp.app.views.chatInfo.render());
    assert.ok(await addMember.evaluate((el) => el === document.activeElement), 'the add-member box keeps the focus across a redraw');
    await addMember.fill(CAROL.username);
    await alice.click(`#info-panel .picker-results .person >> text=@${CAROL.username}`);
    await alice.locator('#info-panel .member', { hasText: CAROL.display_name }).waitFor();
    await shot(alice, 'ru-08-group-info');
    const carolItem = chatItem(carol, 'Команда проекта');
    await carolItem.waitFor({ timeout: 10000 });
    await carolItem.click();
    await alice.click('#info-panel .info-head .icon-btn');
    await chatItem(bob, 'Команда проекта').click();
    await bubbles(bob, 'Добро пожаловать в группу').waitFor();
    await send(bob, 'Привет, Кэрол!');
    await bubbles(carol, 'Привет, Кэрол!').waitFor();
    await bubbles(alice, 'Привет, Кэрол!').waitFor();
    await shot(carol, 'ru-09-group-chat');
    assert.deepEqual(carol.errors, []);
    await carol.context().close();
  });

  test('switching the language at run time, and the dark theme', async () => {
    await alice.click('#btn-settings');
    await alice.selectOption('#setting-language', 'en');
    await eventually(async () => (await alice.getAttribute('#search', 'placeholder')) === 'Search chats, people and messages', {
      message: 'English placeholder',
    });
    await alice.selectOption('#setting-theme', 'dark');
    await shot(alice, 'en-10-settings-dark');
    await alice.keyboard.press('Escape');
    await chatItem(alice, BOB.display_name).click();
    assert.match(await alice.textContent('#chat-subtitle'), /online|last seen/);
    await shot(alice, 'en-11-dialog-dark');
    await alice.selectOption('#setting-theme', 'light').catch(() => {});
    await alice.evaluate(() => localStorage.setItem('messenger.theme', 'light'));
    await alice.reload();
    await alice.waitForSelector('#main-screen:not([hidden])');
    assert.equal(await alice.getAttribute('html', 'lang'), 'en', 'the choice is remembered');
    await chatItem(alice, BOB.display_name).click();
    await shot(alice, 'en-12-dialog-light');
    await shot(bob, 'ru-13-chat-list');

    // English login screen, with a localised server error
    const page = await newUserPage(browser, server.url, { width: 1100, height: 760 });
    await page.evaluate(() => localStorage.setItem('messenger.lang', 'en'));
    await page.reload();
    await page.waitForSelector('#auth-screen:not([hidden])');
    assert.equal(await page.textContent('#auth-submit'), 'Sign in');
    await page.fill('input[name="login"]', ALICE.username);
    await page.fill('input[name="password"]', 'wrong-password');
    await page.click('#auth-submit');
    await eventually(async () => (await page.textContent('#auth-error')) === 'Wrong username or password', {
      message: 'invalid_credentials in English',
    });
    await shot(page, 'en-14-login-error');
    await page.click('.auth-tab[data-mode="register"]');
    await shot(page, 'en-15-register');
    // narrow window: the chat list alone, then the chat alone
    const mobile = await newUserPage(browser, server.url, { width: 390, height: 780 });
    await mobile.fill('input[name="login"]', BOB.username);
    await mobile.fill('input[name="password"]', PASSWORD);
    await mobile.click('#auth-submit');
    await mobile.waitForSelector('#main-screen:not([hidden])');
    await mobile.locator('#chat-list .chat-item').first().waitFor();
    await shot(mobile, 'ru-16-mobile-list');
    await chatItem(mobile, ALICE.display_name).click();
    await mobile.waitForSelector('#chat-view:not([hidden])');
    await shot(mobile, 'ru-17-mobile-chat');
    assert.deepEqual(page.errors, []);
    assert.deepEqual(mobile.errors, []);
  });

  test('no script errors in either page', () => {
    assert.deepEqual(alice.errors, []);
    assert.deepEqual(bob.errors, []);
  });
});
