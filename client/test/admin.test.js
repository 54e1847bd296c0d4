// The admin console's data (lib/admin.js) and the client's admin requests (lib/api.js),
// against a fake of the admin API as agreed in ADMIN-API.md.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminConsole, PagedList, isDenied } from '../renderer/lib/admin.js';
import { ApiError } from '../renderer/lib/api.js';
import { inviteTokenOf, validatePasswordReset } from '../renderer/lib/validate.js';
import { adminApi, adminState, adminUser } from './admin-fakes.js';
import { FakeClock, flush } from './fakes.js';

function consoleOver(state = adminState(), options = {}) {
  const { api, fetch } = adminApi(state);
  const admin = new AdminConsole({ api, ...options });
  const changes = [];
  admin.subscribe((what) => changes.push(what));
  return { admin, api, fetch, state, changes };
}

// --- the requests ------------------------------------------------------------------------------

test('every admin request goes to the agreed path with the agreed body', async () => {
  const { api, fetch } = adminApi();
  await api.adminUsers({ q: 'bo', status: 'active', limit: 20 });
  await api.adminDeactivateUser(2);
  await api.adminReactivateUser(2);
  await api.adminPasswordReset(2);
  await api.adminSetAdmin(2, true);
  await api.adminInvites({});
  await api.adminCreateInvite({ email: 'x@example.com', expires_in: 86400, uses: null });
  await api.adminRevokeInvite('inv1');
  await api.adminReports({ status: 'open' });
  await api.adminResolveReport(7, 'dismiss');
  await api.adminAudit({ action: 'login', actor: 1 });
  await api.adminSettings();
  await api.adminChangeSettings({ registration: 'invite' });
  await api.adminStats();
  await api.reportMessage(70, 'spam');
  const seen = fetch.calls.map((c) => [c.method, c.path, c.body]);
  assert.deepEqual(seen, [
    ['GET', '/api/v1/admin/users', undefined],
    ['POST', '/api/v1/admin/users/2/deactivate', undefined],
    ['POST', '/api/v1/admin/users/2/reactivate', undefined],
    ['POST', '/api/v1/admin/users/2/password-reset', undefined],
    ['PATCH', '/api/v1/admin/users/2', { is_admin: true }],
    ['GET', '/api/v1/admin/invites', undefined],
    ['POST', '/api/v1/admin/invites', { email: 'x@example.com', expires_in: 86400, uses: null }],
    ['DELETE', '/api/v1/admin/invites/inv1', undefined],
    ['GET', '/api/v1/admin/reports', undefined],
    ['POST', '/api/v1/admin/reports/7/resolve', { action: 'dismiss' }],
    ['GET', '/api/v1/admin/audit', undefined],
    ['GET', '/api/v1/admin/settings', undefined],
    ['PATCH', '/api/v1/admin/settings', { registration: 'invite' }],
    ['GET', '/api/v1/admin/stats', undefined],
    ['POST', '/api/v1/messages/70/report', { reason: 'spam' }],
  ]);
  assert.deepEqual(fetch.calls[0].query, { q: 'bo', status: 'active', limit: '20' });
  assert.deepEqual(fetch.calls[10].query, { action: 'login', actor: '1' });
  assert.ok(fetch.calls.every((c) => c.headers.Authorization === 'Bearer a'), 'all with the token');
});

test('registration mode and password reset are public, and register sends the invite', async () => {
  const { api, fetch } = adminApi();
  assert.deepEqual(await api.registrationMode(), { mode: 'open' });
  await api.resetPassword({ token: 'good', new_password: 'long enough pw' });
  await assert.rejects(api.resetPassword({ token: 'bad', new_password: 'long enough pw' }), (err) => err.code === 'reset_link_invalid' && err.status === 400);
  assert.equal(fetch.calls[0].headers.Authorization, undefined);
  assert.equal(fetch.calls[1].headers.Authorization, undefined);
  assert.deepEqual(fetch.calls[1].body, { token: 'good', new_password: 'long enough pw' });
});

test('an invite created without choices leaves the server its defaults', async () => {
  const { api, fetch } = adminApi();
  await api.adminCreateInvite();
  assert.deepEqual(fetch.calls[0].body, {});
});

// --- access ------------------------------------------------------------------------------------

test('the console asks the server, not the cached session, whether I am an administrator', async () => {
  const state = adminState();
  const { admin, changes } = consoleOver(state);
  assert.equal(await admin.checkAccess(), 'granted');
  state.me = { ...state.me, is_admin: false };
  assert.equal(await admin.checkAccess(), 'denied');
  assert.deepEqual(changes, ['access', 'access']);
});

test('a 403 forbidden on any admin call shuts the console (the role was taken away meanwhile)', async () => {
  const state = adminState();
  const { admin, changes } = consoleOver(state);
  await admin.checkAccess();
  state.me = { ...state.me, is_admin: false };
  await admin.users.load();
  assert.equal(admin.access, 'denied');
  assert.ok(changes.includes('access'));
  assert.ok(isDenied(new ApiError(403, 'forbidden')));
  assert.ok(!isDenied(new ApiError(403, 'account_deactivated')));
  assert.ok(!isDenied(new ApiError(409, 'conflict')));
});

// --- paged lists -------------------------------------------------------------------------------

test('a paged list reads its first page, then "more" appends the next, until there is none', async () => {
  const state = adminState();
  state.users = Array.from({ length: 5 }, (_, i) => adminUser(i + 1, `user${i + 1}`));
  const { admin } = consoleOver(state, { limit: 2 });
  await admin.users.load();
  assert.deepEqual(admin.users.items.map((u) => u.id), [1, 2]);
  assert.ok(admin.users.hasMore);
  await admin.users.more();
  await admin.users.more();
  assert.deepEqual(admin.users.items.map((u) => u.id), [1, 2, 3, 4, 5]);
  assert.equal(admin.users.hasMore, false);
  await admin.users.more(); // nothing left: no request
  assert.equal(admin.users.items.length, 5);
});

test('a changed filter reads the first page again, and a slower answer to an older filter is dropped', async () => {
  const answers = [];
  const list = new PagedList((query) => new Promise((resolve) => answers.push({ query, resolve })));
  list.setFilter({ q: 'b' });
  list.setFilter({ q: 'bo' });
  assert.deepEqual(answers.map((a) => a.query.q), ['b', 'bo']);
  answers[1].resolve({ items: [{ id: 2, username: 'bob' }], has_more: false, next_cursor: null });
  await flush();
  answers[0].resolve({ items: [{ id: 9, username: 'bill' }], has_more: false, next_cursor: null });
  await flush();
  assert.deepEqual(list.items.map((x) => x.id), [2]);
  assert.equal(list.loading, false);
});

test('a page whose cursor does not move ends the paging (a misbehaving server cannot loop us)', async () => {
  const list = new PagedList(async () => ({ items: [{ id: 1 }], has_more: true, next_cursor: '' }));
  await list.load();
  assert.equal(list.hasMore, false);
});

test('an error is kept for the view to show, and the list stays as it was', async () => {
  const list = new PagedList(async () => {
    throw new ApiError(500, 'internal_error');
  });
  await list.load();
  assert.equal(list.error.code, 'internal_error');
  assert.equal(list.loading, false);
  assert.deepEqual(list.items, []);
});

// --- users -------------------------------------------------------------------------------------

test('deactivating, reactivating and promoting a user put the server answer in the list', async () => {
  const { admin, state } = consoleOver();
  await admin.users.load();
  await admin.deactivateUser(2);
  assert.equal(admin.users.items.find((u) => u.id === 2).status, 'deactivated');
  await admin.reactivateUser(2);
  assert.equal(admin.users.items.find((u) => u.id === 2).status, 'active');
  await admin.setAdmin(3, true);
  assert.equal(admin.users.items.find((u) => u.id === 3).is_admin, true);
  assert.equal(state.users.find((u) => u.id === 3).is_admin, true);
});

test('an admin cannot deactivate themself: the conflict reaches the caller and nothing changes', async () => {
  const { admin } = consoleOver();
  await admin.users.load();
  await assert.rejects(admin.deactivateUser(1), (err) => err.code === 'conflict');
  assert.equal(admin.users.items.find((u) => u.id === 1).status, 'active');
});

test('a password reset gives the one-time link', async () => {
  const { admin } = consoleOver();
  const link = await admin.resetPassword(2);
  assert.equal(link.url, 'http://chat.test/?reset=reset-2');
  assert.ok(link.expires_at);
});

test('the user search and status filter go to the server', async () => {
  const { admin, fetch } = consoleOver();
  await admin.users.setFilter({ q: 'car' });
  assert.deepEqual(admin.users.items.map((u) => u.username), ['carol']);
  await admin.users.setFilter({ q: '', status: 'deactivated' });
  assert.deepEqual(admin.users.items.map((u) => u.username), ['dave']);
  assert.deepEqual(fetch.calls.at(-1).query, { status: 'deactivated', limit: '50' });
});

// --- invites -----------------------------------------------------------------------------------

test('a new invite heads the list without its token, and its link is returned once', async () => {
  const { admin, state } = consoleOver();
  await admin.invites.load();
  const invite = await admin.createInvite({ email: '  new@example.com ', expires_in: 86400, uses: 5 });
  assert.match(invite.url, /\?invite=tok\d+$/);
  assert.deepEqual(state.lastInviteBody, { email: 'new@example.com', expires_in: 86400, uses: 5 });
  assert.equal(admin.invites.items[0].id, invite.id);
  assert.equal('token' in admin.invites.items[0], false);
  assert.equal('url' in admin.invites.items[0], false);
});

test('unlimited uses are sent as null; a revoked invite turns inactive in place', async () => {
  const { admin, state } = consoleOver();
  const invite = await admin.createInvite({ uses: null });
  assert.equal(state.lastInviteBody.uses, null);
  await admin.revokeInvite(invite.id);
  assert.deepEqual(
    (({ revoked, active }) => ({ revoked, active }))(admin.invites.items.find((x) => x.id === invite.id)),
    { revoked: true, active: false },
  );
});

// --- reports -----------------------------------------------------------------------------------

test('a resolved report leaves the open list, and shows under "resolved" with its resolution', async () => {
  const { admin } = consoleOver();
  await admin.reports.load();
  assert.deepEqual(admin.reports.items.map((r) => r.id), [7]);
  const report = await admin.resolveReport(7, 'delete_message');
  assert.equal(report.resolution, 'delete_message');
  assert.deepEqual(admin.reports.items, []);
  await admin.reports.setFilter({ status: 'resolved' });
  assert.equal(admin.reports.items[0].message.deleted, true);
  await assert.rejects(admin.resolveReport(7, 'dismiss'), (err) => err.status === 409);
});

// --- audit -------------------------------------------------------------------------------------

test('the audit log filters by action and by actor', async () => {
  const { admin } = consoleOver();
  await admin.audit.load();
  assert.equal(admin.audit.items.length, 5);
  await admin.audit.setFilter({ action: 'login' });
  assert.ok(admin.audit.items.every((e) => e.action === 'login'));
  await admin.audit.setFilter({ action: '', actor: '1' });
  assert.ok(admin.audit.items.every((e) => e.actor?.id === 1));
  assert.equal(admin.audit.items.length, 4);
});

// --- settings and figures ----------------------------------------------------------------------

test('the registration mode is read and changed; a mode that does not exist is refused here', async () => {
  const { admin, state } = consoleOver();
  await admin.loadSettings();
  assert.equal(admin.settings.registration, 'open');
  await admin.setRegistration('invite');
  assert.equal(state.settings.registration, 'invite');
  assert.equal(admin.settings.registration, 'invite');
  await assert.rejects(admin.setRegistration('maybe'), RangeError);
});

test('the live figures are read now and again every few seconds until stopped', async () => {
  const clock = new FakeClock();
  const { admin, state, fetch } = consoleOver(adminState(), { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout });
  await admin.watchStats(5000);
  assert.equal(admin.stats.users_online, 1);
  state.stats.users_online = 3;
  clock.advance(5000);
  await flush();
  assert.equal(admin.stats.users_online, 3);
  admin.stopStats();
  clock.advance(20000);
  await flush();
  assert.equal(fetch.calls.filter((c) => c.path.endsWith('/admin/stats')).length, 2);
  assert.equal(admin.watchingStats, false);
});

test('a figures read still on its way when the watch restarts schedules nothing more', async () => {
  const clock = new FakeClock();
  const { admin } = consoleOver(adminState(), { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout });
  const first = admin.watchStats(5000);
  admin.stopStats();
  const second = admin.watchStats(5000);
  await Promise.all([first, second]);
  assert.equal(clock.pending().length, 1, 'one timer, not two');
});

// --- the sign-in screen's helpers ---------------------------------------------------------------

test('the invite field takes the code or the whole invite link', () => {
  assert.equal(inviteTokenOf(' abc123 '), 'abc123');
  assert.equal(inviteTokenOf('https://chat.example.com/?invite=tok-1'), 'tok-1');
  assert.equal(inviteTokenOf('/?invite=tok-2'), 'tok-2');
  assert.equal(inviteTokenOf('https://chat.example.com/'), '');
  assert.equal(inviteTokenOf(''), '');
});

test('a new password from a reset link has the usual length and must be repeated', () => {
  assert.deepEqual(validatePasswordReset({ new_password: 'short', new_password2: 'short' }), { field: 'new_password', key: 'password_length' });
  assert.deepEqual(validatePasswordReset({ new_password: 'long enough pw', new_password2: 'other' }), { field: 'new_password2', key: 'password_mismatch' });
  assert.equal(validatePasswordReset({ new_password: 'long enough pw', new_password2: 'long enough pw' }), null);
});
