// The admin console (/admin, issue 16) in the browser, against a real server: the first
// account is the administrator. Users (search, deactivate, reset password by link,
// promote), invites (link shown and copied, revoke), reports (a member reports, the admin
// deletes the message, the member sees it removed by an administrator), the audit log
// (listed, filtered), server settings (registration by invite: refused without one, done
// with the link), live figures, and a member who gets no console.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, register, eventually, rest, shot, serverAndBrowser, tokenOf, logIn, chatItem, bubbles } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ROOT = { username: `root_${stamp}`, display_name: 'Админ' };
const BOB = { username: `bob_${stamp}`, display_name: 'Боб' };
const CAROL = { username: `carol_${stamp}`, display_name: 'Кэрол' };
const EVE = { username: `eve_${stamp}`, display_name: 'Ева' };
const DAN = { username: `dan_${stamp}`, display_name: 'Дэн' };
const NEW_PASSWORD = 'violet kettle marathon';
const SPAM = 'Купите часы недорого';

/** The status and code of a request the server must refuse. */
async function refusal(server, token, method, path, body = undefined) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${server.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let code = null;
  try {
    code = JSON.parse(text).code;
  } catch {
    /* not JSON */
  }
  return { status: r.status, code };
}

async function confirm(page) {
  await page.click('#modal-root .modal .btn.danger.primary');
  await page.waitForSelector('#modal-root', { state: 'hidden' });
}

async function openSection(page, id) {
  await page.click(`#admin-tab-${id}`);
  await page.waitForSelector(`#admin-panel-${id}:not([hidden])`);
}

function userRow(page, username) {
  return page.locator(`#admin-users li[data-username="${username}"]`);
}

/** Signs in on a page that shows the console after the login. */
async function logInToConsole(page, username, password = PASSWORD) {
  await page.click('.auth-tab[data-mode="login"]');
  await page.fill('input[name="login"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('#auth-submit');
  await page.waitForSelector('#admin-screen:not([hidden]) .admin-head');
}

describe('the admin console in the browser', { timeout: 300000 }, () => {
  const ctx = serverAndBrowser();
  let admin; // the administrator's page at /admin
  let adminToken;
  const ids = {};
  const tokens = {};

  before(async () => {
    // The very first account, registered on the console's own page, is the administrator.
    admin = await newUserPage(ctx.browser, `${ctx.server.url}/admin`);
    await register(admin, ROOT);
    await admin.waitForSelector('#admin-screen:not([hidden]) .admin-tab');
    adminToken = await tokenOf(admin);
    ids[ROOT.username] = (await rest(ctx.server, adminToken, 'GET', '/users/me')).id;
    for (const user of [BOB, CAROL, EVE, DAN]) {
      const answer = await rest(ctx.server, null, 'POST', '/auth/register', { ...user, password: PASSWORD, device_name: 'e2e' });
      ids[user.username] = answer.user.id;
      tokens[user.username] = answer.access_token;
    }
  });

  test('the console is served at /admin and below it, and the first account is its administrator', async () => {
    for (const path of ['/admin', '/admin/', '/admin/users']) {
      const r = await fetch(`${ctx.server.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type'), /^text\/html/, path);
    }
    assert.equal((await rest(ctx.server, adminToken, 'GET', '/users/me')).is_admin, true);
    assert.deepEqual(await admin.$$eval('.admin-tab', (els) => els.map((el) => el.textContent)), ['Пользователи', 'Приглашения', 'Жалобы', 'Журнал аудита', 'Настройки сервера', 'Показатели']);
    assert.equal(await admin.getAttribute('#admin-tab-users', 'aria-selected'), 'true');
    assert.equal(await admin.isVisible('#main-screen'), false, 'no chats on the console');
    await shot(admin, 'ru-60-admin-users');
  });

  test('an administrator finds "Administration" in the account menu of the messenger', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(page, ROOT.username);
    await page.click('#btn-settings');
    await page.click('#open-admin');
    await page.waitForURL(/\/admin/);
    await page.waitForSelector('#admin-screen:not([hidden]) .admin-tab');
    await page.context().close();
    const member = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(member, DAN.username);
    await member.click('#btn-settings');
    await member.waitForSelector('#account-menu');
    assert.equal(await member.locator('#open-admin').count(), 0, 'not for a member');
    await member.context().close();
  });

  test('users: search as you type, deactivate and reactivate, reset a password by link, promote', async () => {
    await openSection(admin, 'users');
    await eventually(async () => (await admin.locator('#admin-users li').count()) === 5, { message: 'five accounts listed' });
    // Search as you type: the list narrows to the one match.
    await admin.click('#admin-user-search');
    await admin.keyboard.type(`bob_${stamp}`, { delay: 30 });
    await eventually(async () => (await admin.$$eval('#admin-users li', (els) => els.map((el) => el.dataset.username))).join() === BOB.username, { message: 'only Bob found' });
    await admin.fill('#admin-user-search', '');
    await admin.locator('#admin-user-search').dispatchEvent('input');
    await eventually(async () => (await admin.locator('#admin-users li').count()) === 5, { message: 'everyone again' });

    // Deactivate Bob: asked first; then he cannot log in; reactivated, he can.
    await userRow(admin, BOB.username).locator('[data-action="deactivate"]').click();
    assert.match(await admin.textContent('#modal-root'), new RegExp(`@${BOB.username}`));
    await confirm(admin);
    await admin.waitForSelector(`#admin-users li[data-username="${BOB.username}"].status-deactivated`);
    assert.deepEqual(await refusal(ctx.server, null, 'POST', '/auth/login', { login: BOB.username, password: PASSWORD }), { status: 403, code: 'account_deactivated' });
    assert.equal((await refusal(ctx.server, tokens[BOB.username], 'GET', '/users/me')).status, 401, 'his session ended');
    // The status filter shows him among the deactivated.
    await admin.selectOption('#admin-users-section select[name="status"]', 'deactivated');
    await eventually(async () => (await admin.$$eval('#admin-users li', (els) => els.map((el) => el.dataset.username))).join() === BOB.username, { message: 'Bob among the deactivated' });
    await userRow(admin, BOB.username).locator('[data-action="reactivate"]').click();
    await confirm(admin);
    await admin.selectOption('#admin-users-section select[name="status"]', '');
    await admin.waitForSelector(`#admin-users li[data-username="${BOB.username}"].status-active`);
    tokens[BOB.username] = (await rest(ctx.server, null, 'POST', '/auth/login', { login: BOB.username, password: PASSWORD })).access_token;

    // A password reset for Carol: a one-time link she opens to set a new password.
    await userRow(admin, CAROL.username).locator('[data-action="reset-password"]').click();
    await confirm(admin);
    const link = await admin.inputValue('#admin-reset-link');
    assert.match(link, /\/\?reset=[\w-]+$/);
    await shot(admin, 'ru-61-admin-reset-link');
    const carol = await newUserPage(ctx.browser, link);
    await carol.waitForSelector('#reset-form:not([hidden])');
    await carol.fill('#reset-form input[name="new_password"]', NEW_PASSWORD);
    await carol.fill('#reset-form input[name="new_password2"]', NEW_PASSWORD);
    await carol.click('#reset-submit');
    await eventually(async () => (await carol.textContent('#auth-note')) === 'Пароль сохранён. Войдите с ним.', { message: 'the reset is confirmed' });
    assert.doesNotMatch(carol.url(), /reset=/, 'the used link left the address bar');
    await logIn(carol, CAROL.username, NEW_PASSWORD);
    assert.equal((await refusal(ctx.server, null, 'POST', '/auth/login', { login: CAROL.username, password: PASSWORD })).status, 401);
    // The link works once.
    assert.deepEqual(await refusal(ctx.server, null, 'POST', '/auth/password-reset', { token: new URL(link).searchParams.get('reset'), new_password: 'another long password' }), { status: 422, code: 'reset_link_invalid' });
    await carol.context().close();

    // Promote Bob, then take the role back.
    await userRow(admin, BOB.username).locator('[data-action="promote"]').click();
    await confirm(admin);
    await userRow(admin, BOB.username).locator('.admin-badge').waitFor();
    assert.equal((await rest(ctx.server, tokens[BOB.username], 'GET', '/users/me')).is_admin, true);
    await userRow(admin, BOB.username).locator('[data-action="demote"]').click();
    await confirm(admin);
    await eventually(async () => (await userRow(admin, BOB.username).locator('.admin-badge').count()) === 0, { message: 'Bob a member again' });
    assert.equal((await rest(ctx.server, tokens[BOB.username], 'GET', '/users/me')).is_admin, false);
    // My own row has no way to lock me out.
    assert.equal(await userRow(admin, ROOT.username).locator('[data-action="deactivate"], [data-action="demote"]').count(), 0);
  });

  test('invites: the new link is shown and copied; a revoked invite says so', async () => {
    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.server.url });
    await openSection(admin, 'invites');
    await admin.fill('#admin-invite-form input[name="email"]', `new_${stamp}@example.com`);
    await admin.selectOption('#admin-invite-form select[name="uses"]', '5');
    await admin.click('#admin-invite-create');
    await admin.waitForSelector('#admin-invite-link');
    const link = await admin.inputValue('#admin-invite-link');
    assert.ok(link.startsWith(`${ctx.server.url}/?invite=`), link);
    await admin.click('#admin-invites-result .admin-copy');
    await eventually(async () => (await admin.textContent('#admin-invites-result .admin-copy-status')) === 'Скопировано', { message: 'copied' });
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), link);
    const row = admin.locator('#admin-invites li').first();
    assert.match(await row.textContent(), new RegExp(`new_${stamp}@example\\.com`));
    assert.match(await row.textContent(), /Действует/);
    assert.match(await row.textContent(), /использовано 0 из 5/);
    await shot(admin, 'ru-62-admin-invites');
    const id = await row.getAttribute('data-id');
    await row.locator('[data-action="revoke"]').click();
    await confirm(admin);
    await eventually(async () => /Отозвано/.test(await admin.locator(`#admin-invites li[data-id="${id}"]`).textContent()), { message: 'revoked' });
    const invite = await rest(ctx.server, adminToken, 'GET', `/admin/invites/${id}`);
    assert.equal(invite.revoked, true);
    assert.equal(invite.active, false);
  });

  test('reports: a member reports a message, the admin deletes it, the member sees it removed by an administrator', async () => {
    const chat = await rest(ctx.server, tokens[EVE.username], 'POST', '/chats', { kind: 'direct', user_id: ids[BOB.username] });
    await rest(ctx.server, tokens[EVE.username], 'POST', `/chats/${chat.id}/messages`, { client_id: `spam-${stamp}`, text: SPAM });
    const bob = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(bob, BOB.username);
    await chatItem(bob, EVE.display_name).click();
    await bubbles(bob, SPAM).waitFor();
    const message = bob.locator('#message-list .msg.theirs').filter({ hasText: SPAM });
    await message.hover();
    await message.locator('[data-action="report"]').click();
    await bob.waitForSelector('#report-form');
    assert.equal(await bob.evaluate(() => document.activeElement?.id), 'report-reason', 'the reason has the focus');
    await bob.fill('#report-reason', 'Спам');
    await bob.click('#report-submit');
    await eventually(async () => (await bob.textContent('#toast')) === 'Спасибо: администраторы рассмотрят жалобу.', { message: 'the report sent' });

    await openSection(admin, 'reports');
    const report = admin.locator('#admin-reports li').filter({ hasText: SPAM });
    await report.waitFor();
    const text = await report.textContent();
    assert.match(text, /Спам/);
    assert.match(text, new RegExp(`@${EVE.username}`));
    assert.match(text, new RegExp(`@${BOB.username}`));
    await shot(admin, 'ru-63-admin-reports');
    await report.locator('[data-action="delete_message"]').click();
    await confirm(admin);
    await eventually(async () => (await admin.locator('#admin-reports li').filter({ hasText: SPAM }).count()) === 0, { message: 'the report left the open ones' });
    await eventually(async () => (await bob.locator('.msg-text.deleted').first().textContent()) === 'Сообщение удалено администратором', { message: 'removed by an administrator, at Bob' });
    await shot(bob, 'ru-64-removed-by-admin');
    await admin.selectOption('#admin-reports-section select[name="status"]', 'resolved');
    await eventually(async () => /Решение: Удалить сообщение/.test((await admin.locator('#admin-reports li').first().textContent()) || ''), { message: 'the resolved report' });
    await bob.context().close();
  });

  test('audit: what the admin did is listed, and filtered by action and by actor', async () => {
    await openSection(admin, 'audit');
    await admin.locator('#admin-audit li').first().waitFor();
    const actions = await admin.$$eval('#admin-audit li', (els) => els.map((el) => el.dataset.action));
    for (const action of ['user_deactivated', 'user_reactivated', 'password_reset_issued', 'admin_granted', 'invite_created', 'invite_revoked', 'report_resolved']) {
      assert.ok(actions.includes(action), `${action} in ${actions}`);
    }
    assert.ok(actions.includes('login'), 'security events too');
    await shot(admin, 'ru-65-admin-audit');
    await admin.selectOption('#admin-audit-section select[name="action"]', 'user_deactivated');
    await eventually(async () => {
      const shown = await admin.$$eval('#admin-audit li', (els) => els.map((el) => el.dataset.action));
      return shown.length > 0 && shown.every((a) => a === 'user_deactivated');
    }, { message: 'only deactivations' });
    assert.match(await admin.locator('#admin-audit li').first().textContent(), /Пользователь отключён/);
    await admin.click('#admin-audit-clear');
    await admin.locator(`#admin-audit .admin-actor[data-actor="${ids[ROOT.username]}"]`).first().click();
    await eventually(async () => {
      const actors = await admin.$$eval('#admin-audit li .admin-actor', (els) => els.map((el) => el.dataset.actor));
      return actors.length > 0 && actors.every((a) => a === String(ids[ROOT.username]));
    }, { message: "only the admin's entries" });
    assert.equal(await admin.inputValue('#admin-audit-section input[name="actor"]'), String(ids[ROOT.username]));
    assert.match(await admin.locator('#admin-audit li .admin-actor').first().textContent(), new RegExp(`@${ROOT.username}`));
  });

  test('settings: registration by invite refuses a sign-up without one and takes one with the link', async () => {
    await openSection(admin, 'settings');
    await eventually(() => admin.isChecked('#admin-registration-open'), { message: 'open at first' });
    await admin.click('label[for="admin-registration-invite"]');
    await eventually(async () => (await admin.textContent('#admin-settings-result')) === 'Сохранено', { message: 'saved' });
    assert.deepEqual(await rest(ctx.server, null, 'GET', '/auth/registration'), { mode: 'invite' });
    await shot(admin, 'ru-66-admin-settings');

    // Without an invite: the server refuses, and so does the form.
    const newcomer = { username: `new_${stamp}`, password: PASSWORD, device_name: 'e2e' };
    assert.deepEqual(await refusal(ctx.server, null, 'POST', '/auth/register', newcomer), { status: 403, code: 'invite_required' });
    const stranger = await newUserPage(ctx.browser, ctx.server.url);
    await stranger.click('.auth-tab[data-mode="register"]');
    await stranger.waitForSelector('.field[data-for="invite_token"]:not([hidden])');
    assert.match(await stranger.textContent('#auth-note'), /по приглашению/);
    await register(stranger, { username: newcomer.username });
    await eventually(async () => (await stranger.textContent('#auth-error')) === 'Регистрация на этом сервере — только по приглашению: откройте полученную ссылку-приглашение.', { message: 'invite_required shown' });
    assert.equal(await stranger.isVisible('#main-screen'), false);
    await stranger.context().close();

    // With the invite link: the form is filled in and the account is made.
    const invite = await rest(ctx.server, adminToken, 'POST', '/admin/invites', {});
    const invited = await newUserPage(ctx.browser, invite.url);
    await invited.waitForSelector('.auth-tab[data-mode="register"].active');
    assert.equal(await invited.inputValue('#auth-form input[name="invite_token"]'), invite.token);
    await register(invited, { username: newcomer.username, display_name: 'Новичок' });
    await invited.waitForSelector('#main-screen:not([hidden])');
    assert.doesNotMatch(invited.url(), /invite=/);
    await invited.context().close();
    // The invite was for one use.
    assert.deepEqual(await refusal(ctx.server, null, 'POST', '/auth/register', { ...newcomer, username: `late_${stamp}`, invite_token: invite.token }), { status: 403, code: 'invite_required' });

    // Closed: no "Sign up" at all, a note instead.
    await admin.click('label[for="admin-registration-closed"]');
    await eventually(async () => (await rest(ctx.server, null, 'GET', '/auth/registration')).mode === 'closed', { message: 'closed' });
    const late = await newUserPage(ctx.browser, ctx.server.url);
    await eventually(async () => !(await late.isVisible('.auth-tab[data-mode="register"]')), { message: 'no sign-up tab' });
    assert.match(await late.textContent('#auth-note'), /не принимает новых пользователей/);
    assert.deepEqual(await refusal(ctx.server, null, 'POST', '/auth/register', { ...newcomer, username: `late_${stamp}` }), { status: 403, code: 'registration_closed' });
    await late.context().close();
    await admin.click('label[for="admin-registration-open"]');
    await eventually(async () => (await rest(ctx.server, null, 'GET', '/auth/registration')).mode === 'open', { message: 'open again' });
  });

  test('live figures: users online, sockets and messages today, refreshed while shown', async () => {
    const bob = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(bob, BOB.username);
    await openSection(admin, 'stats');
    const figure = async (id) => Number(await admin.textContent(`#admin-stat-${id}`));
    await eventually(async () => (await figure('users-online')) >= 1 && (await figure('sockets')) >= 1, { message: 'Bob online' });
    const before = await figure('messages-today');
    assert.ok(before >= 1, `messages today: ${before}`);
    const chat = await rest(ctx.server, tokens[EVE.username], 'POST', '/chats', { kind: 'direct', user_id: ids[BOB.username] });
    await rest(ctx.server, tokens[EVE.username], 'POST', `/chats/${chat.id}/messages`, { client_id: `hello-${stamp}`, text: 'Привет' });
    await eventually(async () => (await figure('messages-today')) === before + 1, { timeout: 20000, message: 'the new message counted without a reload' });
    await shot(admin, 'ru-67-admin-stats');
    await bob.context().close();
  });

  test('a member gets no console: the data is refused and the page says so', async () => {
    for (const path of ['/admin/users', '/admin/invites', '/admin/reports', '/admin/audit', '/admin/settings', '/admin/stats']) {
      assert.deepEqual(await refusal(ctx.server, tokens[DAN.username], 'GET', path), { status: 403, code: 'forbidden' }, path);
      assert.equal((await refusal(ctx.server, null, 'GET', path)).status, 401, path);
    }
    const dan = await newUserPage(ctx.browser, `${ctx.server.url}/admin`);
    await logInToConsole(dan, DAN.username);
    await dan.waitForSelector('#admin-denied');
    assert.match(await dan.textContent('#admin-denied'), /Только для администраторов/);
    assert.equal(await dan.locator('.admin-tab').count(), 0);
    await shot(dan, 'ru-68-admin-denied');
    await dan.click('#admin-denied a');
    await dan.waitForSelector('#main-screen:not([hidden])');
    assert.deepEqual(dan.errors, []);
    assert.deepEqual(admin.errors, []);
  });
});
