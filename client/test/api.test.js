import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, ApiError, TokenStore } from '../renderer/lib/api.js';
import { fakeFetch, MemoryStorage } from './fakes.js';

const USER = { id: 1, username: 'anna' };

function client(routes, { now = () => 1_000_000, session = true } = {}) {
  const tokens = new TokenStore(new MemoryStorage());
  if (session) tokens.set({ access_token: 'a1', refresh_token: 'r1', expires_in: 900, user: USER }, now());
  const fetch = fakeFetch(routes);
  const loggedOut = [];
  const api = new ApiClient({ baseUrl: 'http://server/api/v1/', tokens, fetch, now, onLoggedOut: (e) => loggedOut.push(e.code) });
  return { api, tokens, fetch, loggedOut };
}

test('problem details become ApiError with the stable code', async () => {
  const { api } = client({
    'POST /auth/register': () => [409, { type: 'about:blank', title: 'Conflict', status: 409, detail: 'taken', code: 'username_taken' }],
  });
  await assert.rejects(api.register({ username: 'anna', password: 'password1' }), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 409);
    assert.equal(err.code, 'username_taken');
    return true;
  });
});

test('a network failure is an ApiError with status 0', async () => {
  const { api } = client({ 'GET /chats': () => new TypeError('Failed to fetch') });
  await assert.rejects(api.chats(), (err) => err.isNetwork && err.code === 'network_error');
});

test('login stores the tokens and sends them as a bearer token', async () => {
  const { api, tokens, fetch } = client(
    {
      'POST /auth/login': () => [200, { user: USER, access_token: 'A', refresh_token: 'R', token_type: 'bearer', expires_in: 900 }],
      'GET /chats': () => [200, { items: [] }],
    },
    { session: false },
  );
  await api.login({ login: 'anna', password: 'secret123' });
  assert.equal(fetch.calls[0].body.login, 'anna');
  assert.equal(fetch.calls[0].headers.Authorization, undefined);
  assert.equal(tokens.get().access_token, 'A');
  await api.chats();
  assert.equal(fetch.calls[1].headers.Authorization, 'Bearer A');
});

test('a 401 refreshes the token once and retries, without logging out', async () => {
  let chatsCalls = 0;
  const { api, tokens, fetch, loggedOut } = client({
    'GET /chats': (call) => {
      chatsCalls += 1;
      return call.headers.Authorization === 'Bearer a2' ? [200, { items: [{ id: 1 }] }] : [401, { code: 'invalid_token' }];
    },
    'POST /auth/refresh': (call) => {
      assert.deepEqual(call.body, { refresh_token: 'r1' });
      return [200, { user: USER, access_token: 'a2', refresh_token: 'r2', token_type: 'bearer', expires_in: 900 }];
    },
  });
  const res = await api.chats();
  assert.deepEqual(res.items, [{ id: 1 }]);
  assert.equal(chatsCalls, 2);
  assert.equal(tokens.get().refresh_token, 'r2');
  assert.equal(tokens.get().user.id, 1);
  assert.deepEqual(loggedOut, []);
  assert.equal(fetch.calls.filter((c) => c.path.endsWith('/auth/refresh')).length, 1);
});

test('concurrent 401s share one refresh (a rotated token must not be presented twice)', async () => {
  let refreshes = 0;
  const { api } = client({
    'GET /chats': (call) => (call.headers.Authorization === 'Bearer a2' ? [200, { items: [] }] : [401, { code: 'invalid_token' }]),
    'GET /users/me': (call) => (call.headers.Authorization === 'Bearer a2' ? [200, USER] : [401, { code: 'invalid_token' }]),
    'POST /auth/refresh': async () => {
      refreshes += 1;
      await new Promise((r) => setTimeout(r, 5));
      return [200, { access_token: 'a2', refresh_token: 'r2', token_type: 'bearer', expires_in: 900 }];
    },
  });
  await Promise.all([api.chats(), api.me(), api.chats()]);
  assert.equal(refreshes, 1);
});

test('an expiring token is refreshed before the request', async () => {
  let t = 1_000_000;
  const { api, fetch } = client(
    {
      'POST /auth/refresh': () => [200, { access_token: 'a2', refresh_token: 'r2', token_type: 'bearer', expires_in: 900 }],
      'GET /chats': () => [200, { items: [] }],
    },
    { now: () => t },
  );
  t += 890_000; // 10 s left
  await api.chats();
  assert.deepEqual(fetch.calls.map((c) => c.path), ['/api/v1/auth/refresh', '/api/v1/chats']);
  assert.equal(fetch.calls[1].headers.Authorization, 'Bearer a2');
});

test('a rejected refresh token logs out; a network error does not', async () => {
  let offline = true;
  const { api, tokens, loggedOut } = client({
    'GET /chats': () => [401, { code: 'invalid_token' }],
    'POST /auth/refresh': () => (offline ? new TypeError('offline') : [401, { code: 'invalid_token' }]),
  });
  await assert.rejects(api.chats(), (e) => e.isNetwork);
  assert.ok(tokens.get(), 'still signed in while offline');
  assert.deepEqual(loggedOut, []);
  offline = false;
  await assert.rejects(api.chats(), (e) => e.status === 401);
  assert.equal(tokens.get(), null);
  assert.deepEqual(loggedOut, ['invalid_token']);
});

test('query parameters skip empty values', async () => {
  const { api, fetch } = client({ 'GET /chats/5/messages': () => [200, { items: [], has_more: false }], 'GET /sync': () => [200, { cursor: 3 }] });
  await api.messages(5, { before: 10, limit: 20 });
  assert.deepEqual(fetch.calls[0].query, { before: '10', limit: '20' });
  await api.sync(undefined);
  assert.deepEqual(fetch.calls[1].query, { limit: '500' });
});

test('upload reports progress through XMLHttpRequest', async () => {
  const progress = [];
  class FakeXhr {
    constructor() {
      this.upload = {};
      this.headers = {};
    }
    open(method, url) {
      this.method = method;
      this.url = url;
    }
    setRequestHeader(k, v) {
      this.headers[k] = v;
    }
    send() {
      assert.equal(this.headers.Authorization, 'Bearer a1');
      this.upload.onprogress({ lengthComputable: true, loaded: 50, total: 100 });
      this.status = 201;
      this.responseText = JSON.stringify({ id: 'f1', name: 'a.txt', size: 100, content_type: 'text/plain', url: '/api/v1/files/f1' });
      this.onload();
    }
  }
  globalThis.FormData ??= class {
    append() {}
  };
  const { api } = client({});
  api.Xhr = FakeXhr;
  const file = new Blob(['x'.repeat(100)]);
  file.name = 'a.txt';
  const stored = await api.upload(file, (p) => progress.push(p));
  assert.equal(stored.id, 'f1');
  assert.deepEqual(progress, [0.5, 1]);
});

test('the chat list follows next_cursor page by page until has_more is false', async () => {
  const pages = {
    '': { items: [{ id: 3 }, { id: 2 }], has_more: true, next_cursor: 'c1' },
    c1: { items: [{ id: 1 }], has_more: true, next_cursor: 'c2' },
    c2: { items: [{ id: 9 }], has_more: false, next_cursor: null },
  };
  const { api, fetch } = client({ 'GET /chats': (call) => [200, pages[call.query.cursor || '']] });

  const res = await api.chats();

  assert.deepEqual(res.items.map((c) => c.id), [3, 2, 1, 9]);
  assert.deepEqual(
    fetch.calls.map((c) => c.query),
    [{ limit: '100' }, { limit: '100', cursor: 'c1' }, { limit: '100', cursor: 'c2' }],
  );
});

test('following pages stops on a cursor that does not move and keeps each chat once', async () => {
  const { api, fetch } = client({
    'GET /chats': () => [200, { items: [{ id: 1 }, { id: 2 }], has_more: true, next_cursor: 'same' }],
  });

  const res = await api.chats();

  assert.deepEqual(res.items.map((c) => c.id), [1, 2]);
  assert.equal(fetch.calls.length, 2);
});

test('an old server without next_cursor gives one page', async () => {
  const { api, fetch } = client({ 'GET /chats': () => [200, { items: [{ id: 1 }] }] });

  assert.deepEqual((await api.chats()).items, [{ id: 1 }]);
  assert.equal(fetch.calls.length, 1);
});

test('changing the password sends both passwords and keeps this session', async () => {
  const { api, tokens, fetch } = client({ 'POST /auth/password': () => [204, null] });
  assert.equal(await api.changePassword({ current_password: 'old one here', new_password: 'violet kettle marathon' }), null);
  assert.deepEqual(fetch.calls[0].body, { current_password: 'old one here', new_password: 'violet kettle marathon' });
  assert.equal(fetch.calls[0].headers.Authorization, 'Bearer a1');
  assert.equal(tokens.get().access_token, 'a1');
});

test('a wrong current password (403) is an error, not a reason to refresh the token', async () => {
  const { api, fetch, loggedOut } = client({
    'POST /auth/password': () => [403, { status: 403, code: 'invalid_credentials', detail: 'The current password is wrong.' }],
  });
  await assert.rejects(api.changePassword({ current_password: 'wrong', new_password: 'violet kettle marathon' }), (err) => {
    assert.equal(err.status, 403);
    assert.equal(err.code, 'invalid_credentials');
    return true;
  });
  assert.equal(fetch.calls.length, 1, 'no refresh, no retry (a retry would be a second guess)');
  assert.deepEqual(loggedOut, []);
});
