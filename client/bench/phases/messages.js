// The open chat's message list with long histories (issue 17, "Speed"), in headless
// Chromium against a real server:
//  (a) a 10,000-message chat scrolled from the bottom to the top: long tasks, the most
//      rows the list held, the JS heap before and after;
//  (b) with 3,000 messages loaded: frame → row on screen for an incoming message, my own
//      message and a read mark (p95), and what activity in another chat costs;
//  (c) opening a chat with 1,500 unread messages: the time until the first unread one is
//      on screen under the "Unread messages" divider.
// Frames are timed as the socket receives them (a listener added before the app's), rows
// as they enter the DOM (a MutationObserver), both on the page's clock.

import { PASSWORD, chatItem, eventually, logIn, newUserPage, rest } from '../../e2e/harness.js';

export const name = 'messages';

const BIG = 10_000;
const LOADED = 3_000;
const UNREAD = 1_500;
const SAMPLES = 20;
// How long each part may take before it gives up and reports how far it got (an old
// client needs minutes to scroll 10,000 messages; the phase stays bounded).
const SCROLL_BUDGET_MS = 60_000;

/** Runs `fn` over `items` with at most `limit` calls at a time. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** Posts `count` messages into a chat (in parallel; the server's post rate limit is off in
 * the harness); `from(i)` picks each one's sender. Returns their ids in id order. */
async function postMany(server, chatId, count, from, text = (i) => `Сообщение ${i}`, tag = 'seed') {
  const ids = await pool(Array.from({ length: count }, (_, i) => i), 12, async (i) => {
    const m = await rest(server, from(i).access_token, 'POST', `/chats/${chatId}/messages`, { client_id: `${tag}-${chatId}-${i}`, text: text(i) });
    return m.id;
  });
  return ids.sort((a, b) => a - b);
}

function p95(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)];
}

const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Installed before the app's scripts: frame and row timestamps, long tasks, list size. */
function instrument() {
  const bench = {
    frames: new Map(), // 'new_message:<id>' | 'message_sent:<id>' | 'messages_read:<id>' -> ms
    rows: new Map(), // 'row:<id>' | 'read:<id>' -> ms the row entered the DOM
    longTasks: [],
    maxRows: 0,
    listMutations: 0,
  };
  window.__bench = bench;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no long task timing in this browser */
  }
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      // Added before the app sets onmessage, so it runs first: the frame's arrival.
      this.addEventListener('message', (ev) => {
        const at = performance.now();
        let f;
        try {
          f = JSON.parse(ev.data);
        } catch {
          return;
        }
        const id = f?.type === 'messages_read' ? f.data?.message_id : f?.data?.message?.id;
        if (id === undefined) return;
        const key = `${f.type}:${id}`;
        if (!bench.frames.has(key)) bench.frames.set(key, at);
      });
    }
  };
  const watch = () => {
    const list = document.querySelector('#message-list');
    if (!list) return false;
    new MutationObserver((records) => {
      const at = performance.now();
      bench.listMutations += records.length;
      bench.maxRows = Math.max(bench.maxRows, list.querySelectorAll(':scope > .msg').length);
      for (const r of records) {
        for (const node of r.addedNodes) {
          if (node.nodeType !== 1) continue;
          const rows = node.matches('.msg[data-id]') ? [node] : node.querySelectorAll('.msg[data-id]');
          for (const row of rows) {
            const id = row.dataset.id;
            if (!bench.rows.has(`row:${id}`)) bench.rows.set(`row:${id}`, at);
            if (row.querySelector('.receipt.read') && !bench.rows.has(`read:${id}`)) bench.rows.set(`read:${id}`, at);
          }
        }
      }
    }).observe(list, { childList: true, subtree: true });
    return true;
  };
  if (!watch()) document.addEventListener('DOMContentLoaded', watch);
}

const benchValue = (page, kind, key) => page.evaluate(([kind, key]) => window.__bench[kind].get(key) ?? null, [kind, key]);

async function heapUsed(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize / 1048576;
}

async function domNodes(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'Nodes').value;
}

async function taskSeconds(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration').value;
}

/** Scrolls the list up a screenful or two per frame, as a fast reader flicks, until
 * `untilId` is loaded (or the budget is spent). */
function scrollUpUntil(page, untilId, budgetMs) {
  return page.evaluate(
    async ([untilId, budgetMs]) => {
      const box = document.querySelector('#messages');
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      const t0 = performance.now();
      const oldest = () => window.messengerApp.store.oldestId(window.messengerApp.store.openChatId);
      while (performance.now() - t0 < budgetMs) {
        if (oldest() !== null && oldest() <= untilId) {
          box.scrollTop = 0;
          await frame();
          return { done: true, ms: performance.now() - t0, oldest: oldest() };
        }
        box.scrollTop = Math.max(0, box.scrollTop - 1600);
        await frame();
      }
      return { done: false, ms: performance.now() - t0, oldest: oldest() };
    },
    [untilId, budgetMs],
  );
}

/** Back at the newest message of the open chat, pinned to the bottom. */
async function toBottom(page, newestId) {
  await page.evaluate(() => {
    const button = document.querySelector('#to-latest');
    if (!button.hidden) button.click();
  });
  await eventually(
    () =>
      page.evaluate((id) => {
        const box = document.querySelector('#messages');
        if (!document.querySelector(`.msg[data-id="${id}"]`)) return false;
        box.scrollTop = box.scrollHeight;
        return box.scrollHeight - box.scrollTop - box.clientHeight < 2;
      }, newestId),
    { timeout: 60000, interval: 200, message: 'the newest message at the bottom' },
  );
}

async function seed(server) {
  const stamp = Date.now().toString(36).slice(-5);
  const user = (username, display_name) => rest(server, null, 'POST', '/auth/register', { username: `${username}_${stamp}`, password: PASSWORD, display_name });
  const [reader, writer, other, flood] = await Promise.all([user('reader', 'Читатель'), user('writer', 'Писатель'), user('other', 'Другой'), user('flood', 'Поток')]);
  const dialog = (a, b) => rest(server, a.access_token, 'POST', '/chats', { kind: 'direct', user_id: b.user.id });
  const [big, side, unread] = await Promise.all([dialog(writer, reader), dialog(other, reader), dialog(flood, reader)]);
  const t0 = performance.now();
  // Every 5th message the reader's own, so that rows carry receipts.
  const bigIds = await postMany(server, big.id, BIG, (i) => (i % 5 === 0 ? reader : writer), (i) => (i % 9 === 0 ? `Сообщение ${i}\nи вторая строка` : `Сообщение ${i}`));
  await postMany(server, side.id, 5, () => other);
  const readIds = await postMany(server, unread.id, 100, () => flood, undefined, 'read');
  await rest(server, reader.access_token, 'POST', `/chats/${unread.id}/read`, { message_id: readIds.at(-1) });
  const unreadIds = await postMany(server, unread.id, UNREAD, () => flood, undefined, 'unread');
  const seedMs = performance.now() - t0;
  return { reader, writer, other, flood, big, side, unread, bigIds, unreadIds, seedMs };
}

export async function run({ server, browser, report }) {
  const s = await seed(server);
  report({ metric: 'messages: seeding 11,605 messages over REST', value: round(s.seedMs / 1000), unit: 's' });

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await context.addInitScript(instrument);
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('#auth-screen:not([hidden]), #main-screen:not([hidden])');
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await logIn(page, s.reader.user.username);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');

  // --- (b) with 3,000 messages loaded ---------------------------------------------------
  await chatItem(page, 'Писатель').click();
  await page.waitForSelector(`.msg[data-id="${s.bigIds.at(-1)}"]`);
  const loaded = await scrollUpUntil(page, s.bigIds[BIG - LOADED], SCROLL_BUDGET_MS);
  report({ metric: `messages: scrolling up through ${LOADED} messages`, value: round(loaded.ms / 1000), unit: 's', target: loaded.done ? undefined : 'reached the 3,000th', ok: loaded.done });
  await toBottom(page, s.bigIds.at(-1));

  const incoming = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const m = await rest(server, s.writer.access_token, 'POST', `/chats/${s.big.id}/messages`, { client_id: `in-${i}`, text: `Входящее ${i}` });
    const shown = await eventually(() => benchValue(page, 'rows', `row:${m.id}`), { timeout: 30000, message: `incoming ${m.id} shown` });
    incoming.push(shown - (await benchValue(page, 'frames', `new_message:${m.id}`)));
  }
  report({ metric: 'messages: incoming message, frame → row (p95)', value: round(p95(incoming)), unit: 'ms', target: '≤ 50', ok: p95(incoming) <= 50 });

  const own = [];
  const read = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const text = `Моё ${i}`;
    await page.click('#composer-input');
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    const id = await eventually(
      () => page.evaluate((text) => window.messengerApp.store.history(window.messengerApp.store.openChatId).findLast((m) => m.text === text)?.id, text),
      { timeout: 30000, message: `my message ${i} confirmed` },
    );
    const shown = await eventually(() => benchValue(page, 'rows', `row:${id}`), { timeout: 30000, message: `my message ${id} shown` });
    const frames = (await Promise.all([benchValue(page, 'frames', `message_sent:${id}`), benchValue(page, 'frames', `new_message:${id}`)])).filter((x) => x !== null);
    own.push(shown - Math.min(...frames));
    // The other side reads it: the receipt turns to read.
    await rest(server, s.writer.access_token, 'POST', `/chats/${s.big.id}/read`, { message_id: id });
    const readShown = await eventually(() => benchValue(page, 'rows', `read:${id}`), { timeout: 30000, message: `read mark of ${id} shown` });
    read.push(readShown - (await benchValue(page, 'frames', `messages_read:${id}`)));
  }
  report({ metric: 'messages: my message, ack → confirmed row (p95)', value: round(p95(own)), unit: 'ms', target: '≤ 50', ok: p95(own) <= 50 });
  report({ metric: 'messages: read mark, frame → receipt (p95)', value: round(p95(read)), unit: 'ms', target: '≤ 50', ok: p95(read) <= 50 });

  // Activity in another chat: its frames, and what the main thread did for them.
  const mutationsBefore = await page.evaluate(() => window.__bench.listMutations);
  const taskBefore = await taskSeconds(cdp);
  for (let i = 0; i < SAMPLES; i += 1) {
    const m = await rest(server, s.other.access_token, 'POST', `/chats/${s.side.id}/messages`, { client_id: `side-${i}`, text: `Другой чат ${i}` });
    await eventually(() => benchValue(page, 'frames', `new_message:${m.id}`), { timeout: 30000, message: `other chat's ${m.id} arrived` });
    // Until the page has drawn what it draws for it.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
  const otherMs = ((await taskSeconds(cdp)) - taskBefore) * 1000 / SAMPLES;
  const listMutations = (await page.evaluate(() => window.__bench.listMutations)) - mutationsBefore;
  report({ metric: 'messages: another chat\'s message, main-thread work (whole page)', value: round(otherMs), unit: 'ms', target: '≤ 16', ok: otherMs <= 16 });
  report({ metric: 'messages: another chat\'s messages, changes to the open list', value: listMutations, unit: 'mutations', target: '0', ok: listMutations === 0 });

  // --- (a) 10,000 messages, bottom to top -----------------------------------------------
  await toBottom(page, (await page.evaluate(() => window.messengerApp.store.newestId(window.messengerApp.store.openChatId))));
  const heapStart = await heapUsed(cdp);
  const nodesStart = await domNodes(cdp);
  await page.evaluate(() => {
    window.__bench.longTasks = [];
    window.__bench.maxRows = document.querySelectorAll('#message-list > .msg').length;
  });
  const scrolled = await scrollUpUntil(page, s.bigIds[0], SCROLL_BUDGET_MS * 2);
  const { longTasks, maxRows } = await page.evaluate(() => ({ longTasks: window.__bench.longTasks, maxRows: window.__bench.maxRows }));
  const heapEnd = await heapUsed(cdp);
  const nodesEnd = await domNodes(cdp);
  const over = longTasks.filter((d) => d > 50);
  report({ metric: `messages: scrolling ${BIG.toLocaleString('en')} messages to the top`, value: round(scrolled.ms / 1000), unit: 's', target: scrolled.done ? undefined : 'reached the top', ok: scrolled.done });
  report({ metric: 'messages: long tasks > 50 ms while scrolling', value: over.length, unit: 'tasks', target: '0', ok: over.length === 0 });
  report({ metric: 'messages: longest task while scrolling', value: round(Math.max(0, ...longTasks)), unit: 'ms', target: '≤ 50', ok: Math.max(0, ...longTasks) <= 50 });
  report({ metric: 'messages: most message rows in the DOM', value: maxRows, unit: 'rows', target: '≤ 300', ok: maxRows <= 300 });
  report({ metric: 'messages: JS heap before the scroll', value: round(heapStart), unit: 'MB' });
  report({ metric: 'messages: JS heap after the scroll', value: round(heapEnd), unit: 'MB', target: `≤ ${round(heapStart + 10)} (flat)`, ok: heapEnd <= heapStart + 10 });
  report({ metric: 'messages: DOM nodes before the scroll', value: nodesStart, unit: 'nodes' });
  report({ metric: 'messages: DOM nodes after the scroll', value: nodesEnd, unit: 'nodes', target: `≤ ${Math.round(nodesStart * 1.5)} (flat)`, ok: nodesEnd <= nodesStart * 1.5 });

  // --- (c) a chat with 1,500 unread -----------------------------------------------------
  const firstUnread = s.unreadIds[0];
  await chatItem(page, 'Поток').click();
  const opened = await page.evaluate(
    async ([firstUnread, newest]) => {
      const t0 = performance.now();
      const box = document.querySelector('#messages');
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      while (performance.now() - t0 < 10000) {
        await frame();
        const row = document.querySelector(`.msg[data-id="${firstUnread}"]`);
        const divider = document.querySelector('#message-list .unread-sep');
        if (row && divider) {
          const view = box.getBoundingClientRect();
          const top = row.getBoundingClientRect().top;
          if (top >= view.top && top < view.bottom) return { landed: true, ms: performance.now() - t0 };
        }
      }
      return { landed: false, ms: performance.now() - t0, newestShown: !!document.querySelector(`.msg[data-id="${newest}"]`) };
    },
    [firstUnread, s.unreadIds.at(-1)],
  );
  report({ metric: `messages: opening a chat with ${UNREAD.toLocaleString('en')} unread lands at the first unread`, value: opened.landed ? 'yes' : 'no', target: 'yes', ok: opened.landed });
  report({ metric: 'messages: opening it, click → first unread on screen', value: opened.landed ? round(opened.ms) : '—', unit: 'ms', target: '≤ 1000', ok: opened.landed && opened.ms <= 1000 });
  if (page.errors.length) report({ metric: 'messages: page errors', value: page.errors.length, target: '0', ok: false });
  await context.close();
}
