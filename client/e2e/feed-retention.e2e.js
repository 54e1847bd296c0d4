// Feed retention (issue 18) against a real server: a client offline for longer than the
// feed keeps (MESSENGER_FEED_RETENTION_DAYS, pruned here by `messenger feed prune` after the
// feed's rows were made old) gets 410 resync_required from /sync, reloads, and ends with
// exactly what a fresh login of the same user shows: nothing missing, nothing doubled.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { PASSWORD, serverAndBrowser, newUserPage, chatItem, eventually, rest, logIn } from './harness.js';

const VENV_BIN = process.env.MESSENGER_VENV_BIN || join(process.cwd(), '..', '.venv', 'bin');
const stamp = Date.now().toString(36).slice(-5);

/** The texts of the confirmed messages of the open chat, top to bottom. */
const shownTexts = (page) => page.$$eval('#message-list .msg:not(.pending) .msg-text', (els) => els.map((el) => el.textContent));
/** The chat list as shown: titles, previews and unread badges, top to bottom. */
const shownList = (page) => page.$$eval('#chat-list .chat-item', (els) => els.map((el) => el.textContent.replace(/\s+/g, ' ').trim()));

/** What the client holds: its chats (as the store has them) and the open chat's messages. */
function held(page) {
  return page.evaluate(() => {
    const { store } = messengerApp;
    const chats = [...store.chats.values()]
      .map((c) => ({
        id: c.id,
        title: c.title,
        last: c.last_message ? [c.last_message.id, c.last_message.text, !!c.last_message.deleted, c.last_message.edited_at] : null,
        unread: c.unread_count,
        members: (c.members || []).map((m) => [m.user_id, m.role, m.read_message_id]).sort((a, b) => a[0] - b[0]),
      }))
      .sort((a, b) => a.id - b.id);
    const open = store.openChatId;
    const history = open === null ? [] : store.history(open).map((m) => [m.id, m.text, !!m.deleted, m.edited_at]);
    return { chats, open, history };
  });
}

// Asynchronous, never spawnSync: a blocked event loop misses the server closing idle
// keep-alive connections, and the next request on one fails.
const exec = promisify(execFile);

/** Runs SQL on the server's SQLite file (the test's stand-in for forty days passing). */
async function sql(server, statement) {
  const path = server.env.MESSENGER_DATABASE_URL.replace('sqlite+aiosqlite:///', '');
  const script = 'import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(sys.argv[2])\nc.commit()';
  await exec(join(VENV_BIN, 'python'), ['-c', script, path, statement]);
}

async function pruneFeed(server) {
  const { stdout } = await exec(join(VENV_BIN, 'messenger'), ['feed', 'prune'], { env: server.env, cwd: server.dir });
  return stdout;
}

describe('a client whose cursor fell out of the feed window', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('gets 410, reloads, and shows exactly what a fresh login shows', async () => {
    const { server, browser } = ctx;
    const reg = (name, display_name) => rest(server, null, 'POST', '/auth/register', { username: `${name}_${stamp}`, password: PASSWORD, display_name });
    const ann = await reg('ann', 'Анна');
    const ben = await reg('ben', 'Бен');
    const cat = await reg('cat', 'Кира');
    const as = (who) => (method, path, body) => rest(server, who.access_token, method, path, body);
    const dialog = await as(ann)('POST', '/chats', { kind: 'direct', user_id: ben.user.id });
    const group = await as(ann)('POST', '/chats', { kind: 'group', title: 'Команда', member_ids: [ben.user.id, cat.user.id] });
    let n = 0;
    const post = (who, chat, text) => as(who)('POST', `/chats/${chat.id}/messages`, { client_id: `${stamp}-${(n += 1)}`, text });
    await post(ann, dialog, 'привет');
    await post(cat, group, 'всем привет');

    const page = await newUserPage(browser, server.url);
    await logIn(page, ben.user.username);
    await chatItem(page, 'Анна').click();
    await eventually(async () => (await shownTexts(page)).join('|') === 'привет', { message: 'the first message' });
    const stale = await page.evaluate(() => messengerApp.engine.cursor);

    // Ben's device is offline for longer than the window; meanwhile the chats move on in
    // every way the feed would have told.
    await page.evaluate(() => messengerApp.realtime.stop());
    const edited = await post(ann, dialog, 'будет исправлено');
    await as(ann)('PATCH', `/messages/${edited.id}`, { text: 'исправлено' });
    const gone = await post(ann, dialog, 'будет удалено');
    await as(ann)('DELETE', `/messages/${gone.id}`);
    const later = await post(cat, group, 'новости');
    await as(cat)('POST', `/chats/${group.id}/read`, { message_id: later.id });
    const fresh = await as(cat)('POST', '/chats', { kind: 'group', title: 'Новая', member_ids: [ben.user.id] });
    await post(cat, fresh, 'добро пожаловать');

    // Forty days pass for everything written so far; the prune leaves only what follows.
    await sql(server, "UPDATE feed SET created_at = datetime('now', '-40 days')");
    assert.match(await pruneFeed(server), /pruned \d+ feed entries/);
    await post(ann, dialog, 'после чистки');
    await assert.rejects(as(ben)('GET', `/sync?since=${stale}`), /410/, 'the old cursor is out of the window');

    const gone410 = [];
    page.on('response', (r) => r.url().includes('/api/v1/sync?since=') && r.status() === 410 && gone410.push(r.url()));
    await page.evaluate(() => messengerApp.realtime.start());
    const head = async () => (await as(ben)('GET', '/sync')).cursor;
    await eventually(async () => (await page.evaluate(() => messengerApp.engine.cursor)) === (await head()), {
      timeout: 20000,
      message: 'the reloaded client at the server\'s head',
    });
    await eventually(async () => (await shownTexts(page)).includes('после чистки'), { message: 'the open chat reloaded' });
    assert.equal(gone410.length, 1, 'the client was told once that its cursor is out of the window');

    // A fresh login of the same user, now.
    const second = await newUserPage(browser, server.url);
    await logIn(second, ben.user.username);
    await chatItem(second, 'Анна').click();
    await eventually(async () => (await shownTexts(second)).includes('после чистки'), { message: 'the fresh login\'s chat' });

    const shown = await shownTexts(second);
    assert.equal(shown.length, 4, 'the fresh login shows four messages, one a tombstone');
    assert.deepEqual([shown[0], shown[1], shown[3]], ['привет', 'исправлено', 'после чистки']);
    assert.ok(!shown.includes('будет удалено') && !shown.includes('будет исправлено'));
    assert.deepEqual(await shownTexts(page), shown, 'the reloaded client shows it the same, each message once');
    assert.deepEqual(await held(page), await held(second), 'the same chats, marks and messages as a fresh login');
    assert.deepEqual(await shownList(page), await shownList(second), 'the same chat list');
    assert.equal((await shownList(page)).length, 3);
    assert.deepEqual(page.errors, []);
    assert.deepEqual(second.errors, []);
  });
});
