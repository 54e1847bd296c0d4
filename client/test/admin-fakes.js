// A fake of the admin API (/work/wt/ADMIN-API.md) behind fakeFetch: an ApiClient over it
// makes the very requests the console makes, and the fake answers from its own state as
// the server would (pages with cursors, 403 forbidden for a non-admin, 409 conflicts).

import { ApiClient, TokenStore } from '../renderer/lib/api.js';
import { fakeFetch, MemoryStorage } from './fakes.js';

const iso = (n) => new Date(Date.UTC(2026, 0, 1, 12, 0, n)).toISOString();

export function adminUser(id, username, extra = {}) {
  return { id, username, display_name: username[0].toUpperCase() + username.slice(1), email: `${username}@example.com`, is_admin: false, status: 'active', created_at: iso(id), last_seen_at: iso(id + 1), deactivated_at: null, ...extra };
}

/** The fake server's state; `me` is who the token belongs to. */
export function adminState() {
  const users = [adminUser(1, 'root', { is_admin: true }), adminUser(2, 'bob'), adminUser(3, 'carol'), adminUser(4, 'dave', { status: 'deactivated', deactivated_at: iso(9) })];
  return {
    me: users[0],
    users,
    invites: [{ id: 'inv1', email: null, created_at: iso(1), created_by: 1, expires_at: iso(100), uses: 1, used: 1, revoked: false, active: false }],
    reports: [
      {
        id: 7,
        status: 'open',
        reason: 'spam',
        created_at: iso(5),
        reporter: { id: 3, username: 'carol', display_name: 'Carol' },
        message: { id: 70, chat_id: 5, sender: { id: 2, username: 'bob', display_name: 'Bob' }, text: 'buy cheap watches', created_at: iso(4), deleted: false },
        resolution: null,
        resolved_by: null,
        resolved_at: null,
      },
    ],
    audit: Array.from({ length: 5 }, (_, i) => ({ id: 5 - i, at: iso(50 - i), action: i % 2 ? 'login' : 'user_deactivated', actor: i === 4 ? null : { id: 1, username: 'root', display_name: 'Root' }, target_type: 'user', target_id: String(2 + (i % 2)), address: '10.0.0.1', detail: '' })),
    settings: { registration: 'open' },
    stats: { users_total: 4, users_active: 3, users_online: 1, sockets: 2, messages_today: 12 },
    seq: 100,
  };
}

function page(items, query) {
  const limit = Number(query.limit || 50);
  const start = query.cursor ? Number(query.cursor) : 0;
  const slice = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return [200, { items: slice, has_more: more, next_cursor: more ? String(start + limit) : null }];
}

const forbidden = [403, { code: 'forbidden', detail: 'Administrators only.' }];
const notFound = [404, { code: 'not_found', detail: 'Not found.' }];

/** Routes for fakeFetch over `state`; every /admin route refuses a non-admin. */
export function adminRoutes(state) {
  const table = [
    ['GET', /^\/users\/me$/, () => [200, state.me]],
    ['GET', /^\/auth\/registration$/, () => [200, { mode: state.settings.registration }]],
    ['GET', /^\/admin\/users$/, (c) => {
      const q = (c.query.q || '').toLowerCase();
      const status = c.query.status || '';
      const items = state.users
        .filter((u) => !q || u.username.includes(q) || u.display_name.toLowerCase().includes(q))
        .filter((u) => !status || (status === 'admin' ? u.is_admin : u.status === status))
        .sort((a, b) => a.username.localeCompare(b.username));
      return page(items, c.query);
    }],
    ['POST', /^\/admin\/users\/(\d+)\/(deactivate|reactivate)$/, (c, [, id, what]) => {
      const u = state.users.find((x) => x.id === Number(id));
      if (!u) return notFound;
      if (u.id === state.me.id) return [409, { code: 'conflict', detail: 'Not yourself.' }];
      Object.assign(u, what === 'deactivate' ? { status: 'deactivated', deactivated_at: iso(60) } : { status: 'active', deactivated_at: null });
      return [200, { ...u }];
    }],
    ['POST', /^\/admin\/users\/(\d+)\/password-reset$/, (c, [, id]) => [201, { token: `reset-${id}`, url: `http://chat.test/?reset=reset-${id}`, expires_at: iso(99) }]],
    ['PATCH', /^\/admin\/users\/(\d+)$/, (c, [, id]) => {
      const u = state.users.find((x) => x.id === Number(id));
      if (!u) return notFound;
      u.is_admin = c.body.is_admin;
      return [200, { ...u }];
    }],
    ['GET', /^\/admin\/invites$/, (c) => page(state.invites, c.query)],
    ['POST', /^\/admin\/invites$/, (c) => {
      state.seq += 1;
      const invite = { id: `inv${state.seq}`, email: c.body.email ?? null, created_at: iso(70), created_by: state.me.id, expires_at: iso(80), uses: c.body.uses === undefined ? 1 : c.body.uses, used: 0, revoked: false, active: true };
      state.invites.unshift(invite);
      state.lastInviteBody = c.body;
      return [201, { ...invite, token: `tok${state.seq}`, url: `http://chat.test/?invite=tok${state.seq}` }];
    }],
    ['DELETE', /^\/admin\/invites\/([\w-]+)$/, (c, [, id]) => {
      const invite = state.invites.find((x) => x.id === id);
      if (!invite) return notFound;
      Object.assign(invite, { revoked: true, active: false });
      return [204];
    }],
    ['GET', /^\/admin\/reports$/, (c) => page(state.reports.filter((r) => !c.query.status || r.status === c.query.status), c.query)],
    ['POST', /^\/admin\/reports\/(\d+)\/resolve$/, (c, [, id]) => {
      const r = state.reports.find((x) => x.id === Number(id));
      if (!r) return notFound;
      if (r.status === 'resolved') return [409, { code: 'conflict', detail: 'Already resolved.' }];
      Object.assign(r, { status: 'resolved', resolution: c.body.action, resolved_by: state.me.id, resolved_at: iso(90) });
      if (c.body.action === 'delete_message') r.message = { ...r.message, deleted: true, text: '' };
      return [200, { ...r }];
    }],
    ['GET', /^\/admin\/audit$/, (c) => page(state.audit.filter((e) => (!c.query.action || e.action === c.query.action) && (!c.query.actor || e.actor?.id === Number(c.query.actor))), c.query)],
    ['GET', /^\/admin\/settings$/, () => [200, { ...state.settings }]],
    ['PATCH', /^\/admin\/settings$/, (c) => {
      if (!['open', 'invite', 'closed'].includes(c.body.registration)) return [422, { code: 'validation_error', detail: 'registration' }];
      state.settings.registration = c.body.registration;
      return [200, { ...state.settings }];
    }],
    ['GET', /^\/admin\/stats$/, () => [200, { ...state.stats }]],
    ['POST', /^\/messages\/(\d+)\/report$/, (c, [, id]) => [201, { id: 8, status: 'open', reason: c.body.reason, message: { id: Number(id) } }]],
    ['POST', /^\/auth\/register$/, (c) => {
      state.lastRegisterBody = c.body;
      const mode = state.settings.registration;
      if (mode === 'closed') return [403, { code: 'registration_closed', detail: 'Closed.' }];
      if (mode === 'invite' && c.body.invite_token !== 'tok-ok') return [403, { code: 'invite_required', detail: 'Invite only.' }];
      return [201, { access_token: 'n', refresh_token: 'n', expires_in: 900, user: adminUser(9, c.body.username) }];
    }],
    ['POST', /^\/auth\/password-reset$/, (c) => (c.body.token === 'good' ? [204] : [400, { code: 'reset_link_invalid', detail: 'Bad link.' }])],
  ];
  return new Proxy(
    {},
    {
      get(_t, key) {
        if (typeof key !== 'string') return undefined;
        const [method, path] = key.split(' ');
        for (const [m, re, handler] of table) {
          const match = m === method && re.exec(path);
          if (!match) continue;
          return (call) => {
            if (path.startsWith('/admin/') && !state.me.is_admin) return forbidden;
            if (state.fail?.[key]) return state.fail[key];
            return handler(call, match);
          };
        }
        return undefined;
      },
    },
  );
}

/** An ApiClient signed in against a fake admin server; `fetch.calls` records the requests. */
export function adminApi(state = adminState()) {
  const fetch = fakeFetch(adminRoutes(state));
  const tokens = new TokenStore(new MemoryStorage());
  tokens.set({ access_token: 'a', refresh_token: 'r', expires_in: 900, user: state.me });
  const api = new ApiClient({ baseUrl: 'http://chat.test/api/v1', tokens, fetch, lock: (_n, fn) => fn() });
  return { api, fetch, state };
}
