// Passwords in the browser: a most common password is refused at registration with a clear
// text, and the settings dialog changes the password (its errors shown in place), after
// which only the new password logs in and the other device's session is over.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, register, eventually, rest, shot, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ANNA = { username: `anna_${stamp}`, display_name: 'Анна' };
const NEW_PASSWORD = 'violet kettle marathon';

describe('passwords in the browser', { timeout: 120000 }, () => {
  const ctx = serverAndBrowser();

  test('a common password is refused at registration, then the settings change the password', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url);
    await register(page, { ...ANNA, password: 'Password123' });
    await eventually(async () => (await page.textContent('#auth-error'))?.startsWith('Это один из самых распространённых паролей'), {
      message: 'password_too_common shown in Russian',
    });
    assert.ok(await page.locator('#auth-form input[name="password"].invalid').count(), 'the password field is marked');
    await register(page, ANNA);
    await page.waitForSelector('#main-screen:not([hidden])');
    // Another device of the same account.
    const other = await rest(ctx.server, null, 'POST', '/auth/login', { login: ANNA.username, password: PASSWORD });

    await page.click('#btn-settings');
    await page.waitForSelector('#password-form');
    const change = async (current, next, repeat = next) => {
      await page.fill('#password-form input[name="current_password"]', current);
      await page.fill('#password-form input[name="new_password"]', next);
      await page.fill('#password-form input[name="new_password2"]', repeat);
      await page.click('#password-submit');
    };
    const errorText = () => page.textContent('#password-error');

    await change(PASSWORD, NEW_PASSWORD, 'something else');
    assert.equal(await errorText(), 'Пароли не совпадают');
    await change('not my password', NEW_PASSWORD);
    await eventually(async () => (await errorText()) === 'Текущий пароль неверен', { message: 'a wrong current password' });
    assert.ok(await page.locator('#password-form input[name="current_password"].invalid').count());
    await change(PASSWORD, 'iloveyou1');
    await eventually(async () => (await errorText())?.startsWith('Это один из самых распространённых паролей'), {
      message: 'a common new password',
    });
    const marked = await page.$$eval('#password-form input.invalid', (els) => els.map((el) => el.name));
    assert.deepEqual(marked, ['new_password'], 'only the new password is marked');
    await shot(page, 'ru-20-password-too-common');

    await change(PASSWORD, NEW_PASSWORD);
    await page.waitForSelector('#password-changed:not([hidden])');
    assert.ok(await page.locator('#password-error[hidden]').count(), 'no error left');
    assert.equal(await page.inputValue('#password-form input[name="new_password"]'), '', 'the form is emptied');
    await shot(page, 'ru-21-password-changed');

    // This device stays signed in; the other one is signed out; only the new password works.
    const me = await page.evaluate(() => JSON.parse(localStorage.getItem('messenger.session')).access_token);
    assert.equal((await rest(ctx.server, me, 'GET', '/users/me')).username, ANNA.username);
    await assert.rejects(rest(ctx.server, other.access_token, 'GET', '/users/me'), /401/);
    await assert.rejects(rest(ctx.server, null, 'POST', '/auth/login', { login: ANNA.username, password: PASSWORD }), /401/);
    assert.ok(await rest(ctx.server, null, 'POST', '/auth/login', { login: ANNA.username, password: NEW_PASSWORD }));
  });
});
