import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvatarCache, avatarSource, framePath, presetPath } from '../renderer/lib/avatars.js';
import { ApiError } from '../renderer/lib/api.js';
import { flush } from './fakes.js';

const SMALL = '/api/v1/users/2/avatar?size=96&v=4';
const LARGE = '/api/v1/users/2/avatar?size=512&v=4';

test('a preset comes first, then an uploaded avatar, then the initials; the frame goes around any', () => {
  const avatar = { small: SMALL, large: LARGE };
  assert.deepEqual(avatarSource({ id: 2, avatar, avatar_preset: null, avatar_frame: 'gold' }), { kind: 'upload', url: SMALL, frame: framePath('gold') });
  assert.equal(avatarSource({ id: 2, avatar }, 'large').url, LARGE);
  // The server gives a chosen preset's picture as `avatar` as well.
  const presetAvatar = { small: '/api/v1/avatars/presets/fox.svg', large: '/api/v1/avatars/presets/fox.svg' };
  assert.deepEqual(avatarSource({ id: 2, avatar: presetAvatar, avatar_preset: 'fox' }), { kind: 'preset', url: presetPath('fox'), frame: null });
  assert.equal(avatarSource({ id: 2, avatar: presetAvatar, avatar_preset: null }).kind, 'preset', 'a public picture is never fetched with the token');
  assert.deepEqual(avatarSource({ id: 2, avatar: null, avatar_preset: 'cat' }), { kind: 'preset', url: presetPath('cat'), frame: null });
  assert.deepEqual(avatarSource({ id: 2, avatar: null, avatar_preset: null, avatar_frame: 'leaf' }), { kind: 'initials', url: null, frame: '/api/v1/avatar-frames/leaf.svg' });
  assert.equal(presetPath('cat'), '/api/v1/avatars/presets/cat.svg');
});

test('a deleted account has a neutral avatar and no frame', () => {
  assert.deepEqual(avatarSource({ id: 2, deleted: true, avatar: { small: SMALL }, avatar_frame: 'gold' }), { kind: 'deleted', url: null, frame: null });
});

test('a profile hidden by privacy (avatar null) shows the initials', () => {
  assert.equal(avatarSource({ id: 2, avatar: null, avatar_url: null }).kind, 'initials');
});

test('a server before issue 14 (no `avatar` field) names an uploaded file in avatar_url', () => {
  assert.deepEqual(avatarSource({ id: 2, avatar_url: '/api/v1/files/abc' }), { kind: 'upload', url: '/api/v1/files/abc', frame: null });
  assert.equal(avatarSource({ id: 2, avatar_url: 'javascript:alert(1)' }).kind, 'initials');
  assert.equal(avatarSource(null).kind, 'initials');
});

function cache(fetchBlob) {
  const created = [];
  const revoked = [];
  const c = new AvatarCache({
    fetchBlob,
    createObjectURL: (b) => {
      created.push(b);
      return `blob:${created.length}`;
    },
    revokeObjectURL: (u) => revoked.push(u),
  });
  return { c, created, revoked };
}

test('the avatar cache fetches a URL once, however many avatars ask at the same time', async () => {
  const fetched = [];
  const { c } = cache(async (url) => {
    fetched.push(url);
    await flush();
    return { url };
  });
  assert.equal(c.get(SMALL), null);
  const [a, b] = await Promise.all([c.load(SMALL), c.load(SMALL)]);
  assert.equal(a, 'blob:1');
  assert.equal(b, 'blob:1');
  assert.equal(c.get(SMALL), 'blob:1');
  assert.equal(await c.load(SMALL), 'blob:1');
  assert.deepEqual(fetched, [SMALL]);
  await c.load(LARGE);
  assert.deepEqual(fetched, [SMALL, LARGE], 'each size and version is its own picture');
});

test('a refused avatar is not asked for again this session; a network failure is', async () => {
  let calls = 0;
  const { c } = cache(async (url) => {
    calls += 1;
    if (url === SMALL) throw new ApiError(403, 'forbidden');
    throw new ApiError(0, 'network_error');
  });
  assert.equal(await c.load(SMALL), null);
  assert.equal(await c.load(SMALL), null);
  assert.ok(c.has(SMALL));
  assert.equal(calls, 1);
  assert.equal(await c.load(LARGE), null);
  assert.equal(c.has(LARGE), false);
  await c.load(LARGE);
  assert.equal(calls, 3);
});

test('clearing the cache frees every blob', async () => {
  const { c, revoked } = cache(async () => ({}));
  await c.load(SMALL);
  await c.load(LARGE);
  c.clear();
  assert.deepEqual(revoked, ['blob:1', 'blob:2']);
  assert.equal(c.get(SMALL), null);
});
