import { test } from 'node:test';
import assert from 'node:assert/strict';
import { profileChanges, validateProfile } from '../renderer/lib/profile.js';
import { ApiClient, TokenStore } from '../renderer/lib/api.js';
import { MemoryStorage, fakeFetch } from './fakes.js';

const ME = { id: 1, username: 'anna', display_name: 'Anna', bio: '', birthdate: null };
const form = (extra = {}) => ({ display_name: 'Anna', username: 'anna', bio: '', birthdate: '', ...extra });

test('PATCH /users/me carries only what changed', () => {
  assert.deepEqual(profileChanges(ME, form()), {});
  assert.deepEqual(profileChanges(ME, form({ username: ' Anna_K ', bio: 'Hello ' })), { username: 'anna_k', bio: 'Hello' });
  assert.deepEqual(profileChanges(ME, form({ birthdate: '1990-05-12' })), { birthdate: '1990-05-12' });
  assert.deepEqual(profileChanges({ ...ME, birthdate: '1990-05-12' }, form()), { birthdate: null }, 'a cleared date is sent as null');
});

test('the profile form explains its first problem', () => {
  const today = new Date('2026-12-07T00:00:00Z');
  assert.equal(validateProfile(form(), today), null);
  assert.deepEqual(validateProfile(form({ username: '' }), today), { field: 'username', key: 'username_required' });
  assert.deepEqual(validateProfile(form({ username: 'a b' }), today), { field: 'username', key: 'username_format' });
  assert.deepEqual(validateProfile(form({ display_name: 'x'.repeat(101) }), today), { field: 'display_name', key: 'display_name_long' });
  assert.deepEqual(validateProfile(form({ birthdate: '2030-01-01' }), today), { field: 'birthdate', key: 'birthdate_invalid' });
  assert.deepEqual(validateProfile(form({ birthdate: '1990-02-31x' }), today), { field: 'birthdate', key: 'birthdate_invalid' });
  assert.equal(validateProfile(form({ birthdate: '2000-02-29' }), today), null);
});

function api(routes) {
  const tokens = new TokenStore(new MemoryStorage());
  tokens.set({ access_token: 'tok', refresh_token: 'r', expires_in: 900, user: ME }, 0);
  const fetch = fakeFetch(routes);
  return { api: new ApiClient({ baseUrl: 'http://x/api/v1', tokens, fetch, now: () => 0, lock: (_n, fn) => fn() }), calls: fetch.calls };
}

test('the people endpoints are the issue\'s paths, with the issue\'s bodies', async () => {
  const ok = () => [204];
  const { api: a, calls } = api({
    'PUT /contacts/2': () => [200, { user_id: 2, local_name: 'B' }],
    'DELETE /contacts/2': ok,
    'PUT /contacts/2/local-name': ok,
    'DELETE /contacts/2/local-name': ok,
    'PUT /users/2/block': ok,
    'DELETE /users/2/block': ok,
    'PUT /users/me/privacy': (c) => [200, c.body],
    'PUT /users/me/preset-avatar': () => [200, ME],
    'PUT /users/me/avatar-frame': () => [200, ME],
    'DELETE /users/me': ok,
    'DELETE /messages/5': ok,
    'DELETE /chats/10/messages': ok,
    'GET /chats/10/media': () => [200, { items: [], has_more: false, next_cursor: null }],
    'DELETE /auth/sessions/s1': ok,
  });
  await a.addContact(2, 'B');
  await a.removeContact(2);
  await a.setLocalName(2, 'Bobby');
  await a.clearLocalName(2);
  await a.block(2);
  await a.unblock(2);
  await a.setPrivacy({ last_seen: 'nobody', read_receipts: false });
  await a.setPresetAvatar('cat');
  await a.setAvatarFrame(null);
  await a.deleteAccount('secret words', { eraseMessages: true });
  await a.hideMessage(5);
  await a.clearHistory(10);
  await a.media(10, { kind: 'image', limit: 30 });
  await a.endSession('s1');
  const seen = calls.map((c) => [c.method, c.path, c.body, c.query]);
  assert.deepEqual(seen, [
    ['PUT', '/api/v1/contacts/2', { local_name: 'B' }, {}],
    ['DELETE', '/api/v1/contacts/2', undefined, {}],
    ['PUT', '/api/v1/contacts/2/local-name', { local_name: 'Bobby' }, {}],
    ['DELETE', '/api/v1/contacts/2/local-name', undefined, {}],
    ['PUT', '/api/v1/users/2/block', undefined, {}],
    ['DELETE', '/api/v1/users/2/block', undefined, {}],
    ['PUT', '/api/v1/users/me/privacy', { last_seen: 'nobody', read_receipts: false }, {}],
    ['PUT', '/api/v1/users/me/preset-avatar', { preset: 'cat' }, {}],
    ['PUT', '/api/v1/users/me/avatar-frame', { frame: null }, {}],
    ['DELETE', '/api/v1/users/me', { password: 'secret words' }, { erase_messages: 'true' }],
    ['DELETE', '/api/v1/messages/5', undefined, { for: 'me' }],
    ['DELETE', '/api/v1/chats/10/messages', undefined, {}],
    ['GET', '/api/v1/chats/10/media', undefined, { kind: 'image', limit: '30' }],
    ['DELETE', '/api/v1/auth/sessions/s1', undefined, {}],
  ]);
});

test('an endpoint this server lacks fails as a 404 ApiError the screens can explain', async () => {
  const { api: a } = api({});
  await assert.rejects(a.privacy(), (err) => err.status === 404 && err.code === 'not_found');
});
