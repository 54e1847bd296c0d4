// Seeding for the client benchmark: users, chats and messages through the server's REST API,
// so that everything a phase measures went through the real use cases (the feed, unread
// counters, last messages) exactly as a user's actions would. The bench server lifts the
// per-user budgets (see run.js), so the only limit is the server's own speed: requests go
// out in parallel with a bounded number in flight (SQLite serialises the writes anyway;
// more in flight only queues them in the server).

import { PASSWORD, rest } from '../e2e/harness.js';

/** Runs `fn(i)` for i in [0, n) with at most `limit` calls pending; results in order. */
export async function pool(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next;
      next += 1;
      out[i] = await fn(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return out;
}

/**
 * The seeding helpers a phase gets as `ctx.seed`. Every user has the password PASSWORD, and
 * each returned user is `{ id, username, display_name, token }` (token: a bearer access
 * token valid for the whole run).
 */
export function createSeed(server, { concurrency = 16 } = {}) {
  const stamp = Date.now().toString(36).slice(-5);
  let userSeq = 0;
  let clientSeq = 0;
  /**
   * A REST call that retries what an overloaded server answers (503: SQLite's write lock
   * was not had in time; 429) a few times with a growing pause: seeding in parallel on a
   * shared 2-core machine meets them, and they say nothing about the client being measured.
   */
  async function call(token, method, path, body) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await rest(server, token, method, path, body);
      } catch (err) {
        if (attempt >= 5 || !/: (503|429) /.test(err.message)) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  /**
   * `n` registered users named `<prefix><k>_<stamp>` (registration hashes the password with
   * argon2id: about 20 users/s on two cores, so create few and give them many chats).
   * `displayNames(i)` may name them; by default "<Prefix> <k>".
   */
  async function users(n, { prefix = 'u', displayNames = null } = {}) {
    return pool(n, 4, async (i) => {
      userSeq += 1;
      const username = `${prefix}${userSeq}_${stamp}`.slice(0, 32);
      const display_name = displayNames ? displayNames(i) : `${prefix[0].toUpperCase()}${prefix.slice(1)} ${userSeq}`;
      const r = await call(null, 'POST', '/auth/register', { username, password: PASSWORD, display_name });
      return { id: r.user.id, username, display_name, token: r.access_token };
    });
  }

  /** The direct dialog of users `a` and `b` (opened by `a`); the chat as the server returns it. */
  function dialog(a, b) {
    return call(a.token, 'POST', '/chats', { kind: 'direct', user_id: b.id });
  }

  /** A group owned by `owner` with `members` (users) in it; the chat as the server returns it. */
  function group(owner, members, title) {
    return call(owner.token, 'POST', '/chats', { kind: 'group', title, member_ids: members.map((m) => m.id) });
  }

  /**
   * `n` messages from user `from` into `chat` (an id or a chat), oldest first; resolves to
   * their ids in posting order. `text(i)` (or a string) gives the text of message i; by
   * default "Message i". Posted with bounded parallelism, so their order in the chat follows
   * the server's commit order, which is close to but not exactly i's; phases that need the
   * exact order use the returned ids, not i. `onProgress(done)` is called every 500.
   */
  async function messages(chat, from, n, { text = null, concurrency: limit = concurrency, onProgress = null } = {}) {
    const chatId = typeof chat === 'object' ? chat.id : chat;
    const textOf = typeof text === 'function' ? text : (i) => (text ?? `Message ${i + 1}`);
    let done = 0;
    const posted = await pool(n, limit, async (i) => {
      clientSeq += 1;
      const m = await call(from.token, 'POST', `/chats/${chatId}/messages`, { client_id: `bench-${stamp}-${clientSeq}`, text: textOf(i) });
      done += 1;
      if (onProgress && done % 500 === 0) onProgress(done);
      return m;
    });
    return posted.sort((x, y) => x.id - y.id).map((m) => m.id);
  }

  /**
   * `n` chats in `user`'s list: groups owned by `owner` (another user; default: a new one)
   * with `user` as a member, titled `title(i)` (default "Group i"), so that `owner` can post
   * into any of them as an incoming message for `user`. With `messages: true` each gets one
   * message from `owner` (a last message to preview, and the list's order by activity).
   * Resolves to the chats, oldest first.
   */
  async function chats(user, n, { owner = null, title = null, messages: withMessages = true } = {}) {
    const by = owner || (await users(1, { prefix: 'owner' }))[0];
    const titleOf = title || ((i) => `Group ${i + 1}`);
    const created = await pool(n, concurrency, async (i) => {
      const chat = await group(by, [user], titleOf(i));
      if (withMessages) {
        clientSeq += 1;
        await call(by.token, 'POST', `/chats/${chat.id}/messages`, { client_id: `bench-${stamp}-${clientSeq}`, text: `Hello from ${titleOf(i)}` });
      }
      return chat;
    });
    return { owner: by, chats: created };
  }

  return { stamp, users, dialog, group, messages, chats, call, pool };
}
