// The admin console's screens (views/admin/*), the report dialog and the account menu's
// entry, drawn into a fake DOM over the fake admin API: what each shows, and what its
// buttons, fields and confirmations do.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { installDom, fire, texts } from './fake-dom.js';
import { adminApi, adminState, adminUser } from './admin-fakes.js';
import { FakeClock, flush } from './fakes.js';

// The views' modules touch `document` when they load (modals.js), so the DOM comes first.
installDom();
const { I18n } = await import('../renderer/lib/i18n.js');
const { createFormat } = await import('../renderer/views/format.js');
const { AdminConsole } = await import('../renderer/lib/admin.js');
const { createAdminConsole, isConsolePath } = await import('../renderer/views/admin/console.js');
const { createUsersSection, SEARCH_DELAY_MS } = await import('../renderer/views/admin/users.js');
const { createInvitesSection, inviteState } = await import('../renderer/views/admin/invites.js');
const { createReportsSection } = await import('../renderer/views/admin/reports.js');
const { createAuditSection } = await import('../renderer/views/admin/audit.js');
const { createServerSettingsSection } = await import('../renderer/views/admin/settings.js');
const { createStatsSection } = await import('../renderer/views/admin/stats.js');
const { createReportDialog } = await import('../renderer/views/report.js');
const { accountMenu } = await import('../renderer/views/account-menu.js');

const en = JSON.parse(readFileSync(new URL('../locales/en.json', import.meta.url), 'utf8'));
const ru = JSON.parse(readFileSync(new URL('../locales/ru.json', import.meta.url), 'utf8'));

async function makeApp(state = adminState(), lang = 'en') {
  const i18n = new I18n({ load: async (l) => (l === 'ru' ? ru : en) });
  await i18n.use(lang);
  const { api, fetch } = adminApi(state);
  const toasts = [];
  const app = { i18n, t: (k, p) => i18n.t(k, p), format: createFormat(i18n), api, toast: (text) => toasts.push(text), logout: async () => {}, views: {} };
  return { app, api, fetch, state, toasts };
}

async function sectionOver(create, { state = adminState(), lang = 'en', options } = {}) {
  const made = await makeApp(state, lang);
  const admin = new AdminConsole({ api: made.api });
  await admin.checkAccess();
  const section = create(made.app, admin, options);
  admin.subscribe((what) => what === section.id && section.render());
  document.body.append(section.element);
  return { ...made, admin, section, el: section.element };
}

/** Answers the confirmation dialog now open (views/modals.js) with its action or Cancel. */
function answerConfirm(yes) {
  const root = document.querySelector('#modal-root');
  assert.equal(root.hidden, false, 'a confirmation is open');
  const buttons = root.querySelectorAll('.modal-actions button');
  (yes ? buttons.at(-1) : buttons[0]).click();
}

const settle = async () => {
  for (let i = 0; i < 5; i += 1) await flush();
};

beforeEach(() => installDom());

// --- the console shell --------------------------------------------------------------------------

test('the console is the page at /admin and below it, and nowhere else', () => {
  for (const p of ['/admin', '/admin/', '/admin/users', '/chat/admin']) assert.ok(isConsolePath(p), p);
  for (const p of ['/', '/administrator', '/index.html', '/admins', '']) assert.ok(!isConsolePath(p), p);
});

test('an administrator gets the sections as tabs, the first one selected and loaded', async () => {
  const { app } = await makeApp();
  const view = createAdminConsole(app);
  await view.open();
  await settle();
  const root = document.querySelector('#admin-screen');
  assert.equal(root.hidden, false);
  assert.deepEqual(texts(root, '.admin-tab'), ['Users', 'Invites', 'Reports', 'Audit log', 'Server settings', 'Live figures']);
  assert.deepEqual(texts(root, '.admin-tab.active'), ['Users']);
  assert.equal(root.querySelector('#admin-tab-users').getAttribute('aria-selected'), 'true');
  assert.equal(root.querySelector('#admin-panel-users').hidden, false);
  assert.equal(root.querySelector('#admin-panel-invites').hidden, true);
  assert.deepEqual(root.querySelectorAll('#admin-users li').map((li) => li.dataset.username), ['bob', 'carol', 'dave', 'root']);
  assert.equal(root.querySelector('#admin-denied'), null);
  view.close();
  assert.equal(root.hidden, true);
});

test('the arrow keys move between the tabs', async () => {
  const { app } = await makeApp();
  const view = createAdminConsole(app);
  await view.open();
  const root = document.querySelector('#admin-screen');
  fire(root.querySelector('.admin-tabs'), 'keydown', { key: 'ArrowDown' });
  assert.deepEqual(texts(root, '.admin-tab.active'), ['Invites']);
  assert.equal(document.activeElement, root.querySelector('#admin-tab-invites'));
  fire(root.querySelector('.admin-tabs'), 'keydown', { key: 'End' });
  assert.deepEqual(texts(root, '.admin-tab.active'), ['Live figures']);
  view.close();
});

test('someone who is not an administrator gets "administrators only" and the way back, and no data', async () => {
  const state = adminState();
  state.me = adminUser(2, 'bob');
  const { app, fetch } = await makeApp(state);
  const view = createAdminConsole(app);
  await view.open();
  const root = document.querySelector('#admin-screen');
  const denied = root.querySelector('#admin-denied');
  assert.ok(denied);
  assert.equal(denied.getAttribute('role'), 'alert');
  assert.match(denied.textContent, /Administrators only/);
  assert.equal(denied.querySelector('a').getAttribute('href'), '/');
  assert.equal(root.querySelector('.admin-tab'), null);
  assert.ok(!fetch.calls.some((c) => c.path.includes('/admin/')), 'no admin data asked for');
  view.close();
});

test('the console speaks Russian too', async () => {
  const { app } = await makeApp(adminState(), 'ru');
  const view = createAdminConsole(app);
  await view.open();
  assert.deepEqual(texts(document.querySelector('#admin-screen'), '.admin-tab'), ['Пользователи', 'Приглашения', 'Жалобы', 'Журнал аудита', 'Настройки сервера', 'Показатели']);
  view.close();
});

// --- users --------------------------------------------------------------------------------------

test('users: typing searches after a pause, once, and the status filter narrows the list', async () => {
  const clock = new FakeClock();
  const { section, el, fetch } = await sectionOver(createUsersSection, { options: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout } });
  section.show();
  await settle();
  const search = el.querySelector('#admin-user-search');
  for (const q of ['c', 'ca', 'car']) {
    search.value = q;
    fire(search, 'input');
  }
  clock.advance(SEARCH_DELAY_MS);
  await settle();
  const searches = fetch.calls.filter((c) => c.path.endsWith('/admin/users') && c.query.q);
  assert.deepEqual(searches.map((c) => c.query.q), ['car']);
  assert.deepEqual(el.querySelectorAll('#admin-users li').map((li) => li.dataset.username), ['carol']);
  const status = el.querySelector('select[name="status"]');
  status.value = 'deactivated';
  fire(status, 'change');
  search.value = '';
  fire(search, 'input');
  clock.advance(SEARCH_DELAY_MS);
  await settle();
  assert.deepEqual(el.querySelectorAll('#admin-users li').map((li) => li.dataset.username), ['dave']);
});

test('users: a long list pages with "more"', async () => {
  const state = adminState();
  state.users = Array.from({ length: 60 }, (_, i) => adminUser(i + 1, `user${String(i + 1).padStart(2, '0')}`));
  const { section, el } = await sectionOver(createUsersSection, { state });
  section.show();
  await settle();
  assert.equal(el.querySelectorAll('#admin-users li').length, 50);
  el.querySelector('.admin-more').click();
  await settle();
  assert.equal(el.querySelectorAll('#admin-users li').length, 60);
  assert.equal(el.querySelector('.admin-more'), null);
});

test('users: deactivate asks first; Cancel does nothing, the action deactivates and the row says so', async () => {
  const { section, el, fetch } = await sectionOver(createUsersSection);
  section.show();
  await settle();
  const bob = () => el.querySelector('#admin-users li[data-username="bob"]');
  bob().querySelector('[data-action="deactivate"]').click();
  answerConfirm(false);
  await settle();
  assert.ok(!fetch.calls.some((c) => c.path.endsWith('/deactivate')));
  bob().querySelector('[data-action="deactivate"]').click();
  assert.match(document.querySelector('#modal-root').textContent, /@bob/);
  answerConfirm(true);
  await settle();
  assert.ok(bob().classList.contains('status-deactivated'));
  assert.equal(bob().querySelector('[data-action="deactivate"]'), null);
  assert.ok(bob().querySelector('[data-action="reactivate"]'));
  assert.match(el.querySelector('#admin-users-result').textContent, /@bob is deactivated/);
  bob().querySelector('[data-action="reactivate"]').click();
  answerConfirm(true);
  await settle();
  assert.ok(bob().classList.contains('status-active'));
});

test('users: I cannot deactivate or demote myself from here', async () => {
  const { section, el } = await sectionOver(createUsersSection);
  section.show();
  await settle();
  const root = el.querySelector('#admin-users li[data-username="root"]');
  assert.equal(root.querySelector('[data-action="deactivate"]'), null);
  assert.equal(root.querySelector('[data-action="demote"]'), null);
  assert.match(root.textContent, /Administrator/);
});

test('users: a password reset shows the one-time link with a copy button that copies it', async () => {
  const copied = [];
  Object.defineProperty(globalThis, 'navigator', { value: { clipboard: { writeText: async (text) => copied.push(text) } }, configurable: true });
  const { section, el } = await sectionOver(createUsersSection);
  section.show();
  await settle();
  el.querySelector('#admin-users li[data-username="carol"] [data-action="reset-password"]').click();
  answerConfirm(true);
  await settle();
  const link = el.querySelector('#admin-reset-link');
  assert.equal(link.value, 'http://chat.test/?reset=reset-3');
  assert.ok(link.readOnly);
  assert.match(el.querySelector('#admin-users-result').textContent, /@carol/);
  el.querySelector('#admin-users-result .admin-copy').click();
  await settle();
  assert.deepEqual(copied, ['http://chat.test/?reset=reset-3']);
  assert.equal(el.querySelector('.admin-copy-status').textContent, 'Copied');
});

test('users: make and remove administrator', async () => {
  const { section, el, state } = await sectionOver(createUsersSection);
  section.show();
  await settle();
  el.querySelector('#admin-users li[data-username="bob"] [data-action="promote"]').click();
  answerConfirm(true);
  await settle();
  assert.equal(state.users.find((u) => u.id === 2).is_admin, true);
  const bob = el.querySelector('#admin-users li[data-username="bob"]');
  assert.equal(bob.querySelector('[data-action="promote"]'), null);
  bob.querySelector('[data-action="demote"]').click();
  answerConfirm(true);
  await settle();
  assert.equal(state.users.find((u) => u.id === 2).is_admin, false);
});

test('users: a refused action shows the server error in place', async () => {
  const state = adminState();
  state.fail = { 'POST /admin/users/2/deactivate': [409, { code: 'conflict', detail: 'x' }] };
  const { section, el } = await sectionOver(createUsersSection, { state });
  section.show();
  await settle();
  el.querySelector('#admin-users li[data-username="bob"] [data-action="deactivate"]').click();
  answerConfirm(true);
  await settle();
  assert.equal(el.querySelector('#admin-users-result [role="alert"]').textContent, en.errors.conflict);
});

// --- invites ------------------------------------------------------------------------------------

test('invites: create one with an email, lifetime and uses; its link is shown once with a copy button', async () => {
  const { section, el, state } = await sectionOver(createInvitesSection);
  section.show();
  await settle();
  assert.equal(el.querySelectorAll('#admin-invites li').length, 1);
  assert.match(el.querySelector('#admin-invites li').textContent, /Used up/);
  el.querySelector('input[name="email"]').value = 'new@example.com';
  el.querySelector('select[name="expires_in"]').value = String(30 * 86400);
  el.querySelector('select[name="uses"]').value = '';
  el.querySelector('#admin-invite-create').click();
  await settle();
  assert.deepEqual(state.lastInviteBody, { email: 'new@example.com', expires_in: 30 * 86400, uses: null });
  assert.match(el.querySelector('#admin-invite-link').value, /^http:\/\/chat\.test\/\?invite=tok\d+$/);
  assert.ok(el.querySelector('#admin-invites-result .admin-copy'));
  const rows = el.querySelectorAll('#admin-invites li');
  assert.equal(rows.length, 2);
  assert.match(rows[0].textContent, /new@example\.com/);
  assert.match(rows[0].textContent, /Active/);
  assert.equal(el.querySelector('input[name="email"]').value, '', 'the form is emptied');
});

test('invites: the defaults are 7 days and one use', async () => {
  const { section, el, state } = await sectionOver(createInvitesSection);
  section.show();
  el.querySelector('#admin-invite-create').click();
  await settle();
  assert.deepEqual(state.lastInviteBody, { expires_in: 7 * 86400, uses: 1 });
});

test('invites: revoke asks first, then the invite shows as revoked with no revoke button', async () => {
  const { section, el } = await sectionOver(createInvitesSection);
  section.show();
  el.querySelector('#admin-invite-create').click();
  await settle();
  const row = () => el.querySelectorAll('#admin-invites li')[0];
  row().querySelector('[data-action="revoke"]').click();
  answerConfirm(true);
  await settle();
  assert.match(row().textContent, /Revoked/);
  assert.equal(row().querySelector('[data-action="revoke"]'), null);
});

test('an invite is active, revoked, used up or expired', () => {
  const base = { revoked: false, active: false, uses: 2, used: 0 };
  assert.equal(inviteState({ ...base, active: true }), 'active');
  assert.equal(inviteState({ ...base, revoked: true }), 'revoked');
  assert.equal(inviteState({ ...base, used: 2 }), 'used_up');
  assert.equal(inviteState(base), 'expired');
  assert.equal(inviteState({ ...base, uses: null, used: 9 }), 'expired');
});

// --- reports ------------------------------------------------------------------------------------

test('reports: an open report shows the message, its sender, the reporter and the reason', async () => {
  const { section, el } = await sectionOver(createReportsSection);
  section.show();
  await settle();
  const row = el.querySelector('#admin-reports li');
  assert.match(row.textContent, /buy cheap watches/);
  assert.match(row.textContent, /Written by Bob \(@bob\)/);
  assert.match(row.textContent, /Reported by Carol \(@carol\)/);
  assert.match(row.textContent, /spam/);
  assert.deepEqual(row.querySelectorAll('button').map((b) => b.dataset.action), ['dismiss', 'delete_message', 'deactivate_user']);
});

test('reports: "delete the message" asks first, resolves, and the report moves to "resolved"', async () => {
  const { section, el, state } = await sectionOver(createReportsSection);
  section.show();
  await settle();
  el.querySelector('#admin-reports [data-action="delete_message"]').click();
  answerConfirm(true);
  await settle();
  assert.equal(state.reports[0].resolution, 'delete_message');
  assert.equal(el.querySelectorAll('#admin-reports li').length, 0);
  assert.match(el.querySelector('.admin-empty').textContent, /No open reports/);
  const status = el.querySelector('select[name="status"]');
  status.value = 'resolved';
  fire(status, 'change');
  await settle();
  const row = el.querySelector('#admin-reports li');
  assert.match(row.textContent, /Resolved: Delete the message/);
  assert.match(row.textContent, /Message deleted/);
  assert.equal(row.querySelector('button'), null);
});

test('reports: dismiss needs no confirmation', async () => {
  const { section, el, state } = await sectionOver(createReportsSection);
  section.show();
  await settle();
  el.querySelector('#admin-reports [data-action="dismiss"]').click();
  await settle();
  assert.equal(state.reports[0].resolution, 'dismiss');
  assert.equal(document.querySelector('#modal-root').hidden, true);
});

// --- audit --------------------------------------------------------------------------------------

test('audit: entries are listed with action, actor, target and address; filters by action and actor', async () => {
  const { section, el, fetch } = await sectionOver(createAuditSection);
  section.show();
  await settle();
  const rows = el.querySelectorAll('#admin-audit li');
  assert.equal(rows.length, 5);
  assert.match(rows[0].textContent, /User deactivated/);
  assert.match(rows[0].textContent, /Root \(@root\)/);
  assert.match(rows[0].textContent, /user 2/);
  assert.match(rows[0].textContent, /10\.0\.0\.1/);
  assert.match(rows[4].textContent, /The server/);
  const action = el.querySelector('select[name="action"]');
  action.value = 'login';
  fire(action, 'change');
  await settle();
  assert.deepEqual(el.querySelectorAll('#admin-audit li').map((li) => li.dataset.action), ['login', 'login']);
  el.querySelector('#admin-audit-clear').click();
  await settle();
  el.querySelector('#admin-audit .admin-actor[data-actor="1"]').click();
  await settle();
  assert.equal(fetch.calls.at(-1).query.actor, '1');
  assert.equal(el.querySelector('input[name="actor"]').value, '1');
  assert.equal(el.querySelectorAll('#admin-audit li').length, 4);
});

test('audit: "more" reads the next page', async () => {
  const state = adminState();
  state.audit = Array.from({ length: 70 }, (_, i) => ({ id: 70 - i, at: new Date(Date.UTC(2026, 0, 1, 0, 0, 70 - i)).toISOString(), action: 'login', actor: null, target_type: null, target_id: null, address: null, detail: '' }));
  const { section, el } = await sectionOver(createAuditSection, { state });
  section.show();
  await settle();
  assert.equal(el.querySelectorAll('#admin-audit li').length, 50);
  el.querySelector('.admin-more').click();
  await settle();
  assert.equal(el.querySelectorAll('#admin-audit li').length, 70);
});

// --- settings -----------------------------------------------------------------------------------

test('settings: the registration mode is shown and switched', async () => {
  const { section, el, state } = await sectionOver(createServerSettingsSection);
  section.show();
  await settle();
  assert.equal(el.querySelector('#admin-registration-open').checked, true);
  assert.match(el.querySelector('#admin-registration').textContent, /By invite/);
  el.querySelector('#admin-registration-invite').click();
  await settle();
  assert.equal(state.settings.registration, 'invite');
  assert.equal(el.querySelector('#admin-registration-invite').checked, true);
  assert.equal(el.querySelector('#admin-registration-open').checked, false);
  assert.equal(el.querySelector('#admin-settings-result').textContent, 'Saved');
});

// --- live figures -------------------------------------------------------------------------------

test('live figures: shown while the section is, refreshed every few seconds, not when hidden', async () => {
  const { app, api, state, fetch } = await makeApp();
  const clock = new FakeClock();
  const admin = new AdminConsole({ api, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout });
  await admin.checkAccess();
  const section = createStatsSection(app, admin);
  admin.subscribe((what) => what === 'stats' && section.render());
  section.show();
  await settle();
  const el = section.element;
  assert.equal(el.querySelector('#admin-stat-users-online').textContent, '1');
  assert.equal(el.querySelector('#admin-stat-sockets').textContent, '2');
  assert.equal(el.querySelector('#admin-stat-messages-today').textContent, '12');
  state.stats.messages_today = 13;
  clock.advance(5000);
  await settle();
  assert.equal(el.querySelector('#admin-stat-messages-today').textContent, '13');
  section.hide();
  clock.advance(60000);
  await settle();
  assert.equal(fetch.calls.filter((c) => c.path.endsWith('/admin/stats')).length, 2);
  // The page hidden (another tab): no reads until it is visible again.
  section.show();
  await settle();
  document.visibilityState = 'hidden';
  fire(document, 'visibilitychange');
  clock.advance(60000);
  await settle();
  assert.equal(fetch.calls.filter((c) => c.path.endsWith('/admin/stats')).length, 3);
  document.visibilityState = 'visible';
  fire(document, 'visibilitychange');
  await settle();
  assert.equal(fetch.calls.filter((c) => c.path.endsWith('/admin/stats')).length, 4);
  section.hide();
});

// --- in the messenger ---------------------------------------------------------------------------

test('"Report" asks for a reason, sends it, and says thank you', async () => {
  const { app, fetch, toasts } = await makeApp();
  const dialog = createReportDialog(app);
  const done = dialog.open({ id: 70, chat_id: 5, sender_id: 2, text: 'buy' });
  const root = document.querySelector('#modal-root');
  assert.equal(root.hidden, false);
  assert.equal(root.querySelector('[role="dialog"]').getAttribute('aria-modal'), 'true');
  assert.equal(document.activeElement, root.querySelector('#report-reason'), 'the reason has the focus');
  root.querySelector('#report-submit').click();
  assert.equal(root.querySelector('#report-error').textContent, en.report.reason_required);
  assert.equal(fetch.calls.length, 0);
  root.querySelector('#report-reason').value = '  spam  ';
  root.querySelector('#report-submit').click();
  const report = await done;
  assert.equal(report.reason, 'spam');
  assert.deepEqual(fetch.calls.at(-1).body, { reason: 'spam' });
  assert.deepEqual(toasts, [en.report.sent]);
  assert.equal(root.hidden, true);
});

test('Escape closes the report dialog without sending', async () => {
  const { app, fetch } = await makeApp();
  const done = createReportDialog(app).open({ id: 70 });
  const root = document.querySelector('#modal-root');
  fire(root.querySelector('#report-reason'), 'keydown', { key: 'Escape' });
  assert.equal(await done, null);
  assert.equal(root.hidden, true);
  assert.equal(fetch.calls.length, 0);
});

test('the account menu offers "Administration" to administrators only', async () => {
  const { app } = await makeApp();
  let opened = 0;
  app.openConsole = () => {
    opened += 1;
  };
  app.store = { me: { id: 1, is_admin: true } };
  const menu = accountMenu(app);
  menu.querySelector('#open-admin').click();
  assert.equal(opened, 1);
  assert.equal(menu.querySelector('#open-admin').textContent, 'Administration');
  app.store = { me: { id: 2 } };
  assert.equal(accountMenu(app).querySelector('#open-admin'), null);
});

test('a message removed by an administrator says so, in Russian and English', async () => {
  for (const [lang, locale] of [['en', en], ['ru', ru]]) {
    const { app } = await makeApp(adminState(), lang);
    assert.equal(app.format.preview({ deleted: true, removed_by_admin: true, text: '' }), locale.message.removed_by_admin);
    assert.equal(app.format.preview({ deleted: true, text: '' }), locale.message.deleted);
  }
});
