// The open chat's message list with long histories (issue 17, "Speed"), in headless
// Chromium against a real server:
//  (a) a 10,000-message chat (--quick: 3,000) scrolled from the bottom to the top: long tasks, the most
//      rows the list held, the JS heap before and after;
//  (b) with 3,000 (1,000) messages loaded: frame → row on screen for an incoming message, my own
//      message and a read mark (p95), and what activity in another chat costs;
//  (c) opening a chat with 1,500 (500) unread messages: the time until the first unread one is
//      on screen under the "Unread messages" divider.
// Frames are timed as the socket receives them (a listener added before the app's), rows
// as they enter the DOM (a MutationObserver), both on the page's clock.

import os from 'node:os';
import { chatItem, eventually, logIn } from '../../e2e/harness.js';

export const name = 'messages';

// Full sizes; `--quick` (CI) uses a third of them.
const SIZES = { full: { big: 10_000, loaded: 3_000, unread: 1_500 }, quick: { big: 3_000, loaded: 1_000, unread: 500 } };
const SAMPLES = 20;
// How long each part may take before it gives up and reports how far it got (an old
// client needs minutes to scroll 10,000 messages; the phase stays bounded).
const SCROLL_BUDGET_MS = 60_000;

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

async function seedAll(seed, { big: BIG, unread: UNREAD }) {
  const names = { reader: 'Читатель', writer: 'Писатель', other: 'Другой', flood: 'Поток' };
  const [reader, writer, other, flood] = await seed.users(4, { prefix: 'msg', displayNames: (i) => Object.values(names)[i] });
  const [big, side, unread] = await Promise.all([seed.dialog(writer, reader), seed.dialog(other, reader), seed.dialog(flood, reader)]);
  const t0 = performance.now();
  // A fifth of them the reader's own, so that rows carry receipts; some two lines long.
  const text = (i) => (i % 9 === 0 ? `Сообщение ${i}\nи вторая строка` : `Сообщение ${i}`);
  const bigIds = (await Promise.all([seed.messages(big, writer, BIG - BIG / 5, { text }), seed.messages(big, reader, BIG / 5, { text })])).flat().sort((a, b) => a - b);
  await seed.messages(side, other, 5);
  const readIds = await seed.messages(unread, flood, 100);
  await seed.call(reader.token, 'POST', `/chats/${unread.id}/read`, { message_id: readIds.at(-1) });
  const unreadIds = await seed.messages(unread, flood, UNREAD);
  const seedMs = performance.now() - t0;
  return { reader, writer, other, flood, big, side, unread, bigIds, unreadIds, seedMs, count: BIG + 105 + UNREAD };
}

export async function run({ server, browser, report, seed, quick }) {
  const { big: BIG, loaded: LOADED, unread: UNREAD } = quick ? SIZES.quick : SIZES.full;
  // Other work on the machine stretches every task: the figures are read against it.
  report({ metric: 'load average (1 min) at the start', value: round(os.loadavg()[0]), unit: `on ${os.cpus().length} cores` });
  const s = await seedAll(seed, { big: BIG, unread: UNREAD });
  report({ metric: `seeding ${s.count.toLocaleString('en')} messages over REST`, value: round(s.seedMs / 1000), unit: 's' });

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await context.addInitScript(instrument);
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('#auth-screen:not([hidden]), #main-screen:not([hidden])');
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await logIn(page, s.reader.username);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');

  // --- (b) with 3,000 messages loaded ---------------------------------------------------
  await chatItem(page, 'Писатель').click();
  await page.waitForSelector(`.msg[data-id="${s.bigIds.at(-1)}"]`);
  const loaded = await scrollUpUntil(page, s.bigIds[BIG - LOADED], SCROLL_BUDGET_MS);
  report({ metric: `scrolling up through ${LOADED} messages`, value: round(loaded.ms / 1000), unit: 's', target: loaded.done ? undefined : 'reached the 3,000th', ok: loaded.done });
  await toBottom(page, s.bigIds.at(-1));

  const incoming = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const m = await seed.call(s.writer.token, 'POST', `/chats/${s.big.id}/messages`, { client_id: `in-${s.big.id}-${i}`, text: `Входящее ${i}` });
    const shown = await eventually(() => benchValue(page, 'rows', `row:${m.id}`), { timeout: 30000, message: `incoming ${m.id} shown` });
    incoming.push(shown - (await benchValue(page, 'frames', `new_message:${m.id}`)));
  }
  report({ metric: 'incoming message, frame → row (p95)', value: round(p95(incoming)), unit: 'ms', target: '≤ 50', ok: p95(incoming) <= 50 });

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
    await seed.call(s.writer.token, 'POST', `/chats/${s.big.id}/read`, { message_id: id });
    const readShown = await eventually(() => benchValue(page, 'rows', `read:${id}`), { timeout: 30000, message: `read mark of ${id} shown` });
    read.push(readShown - (await benchValue(page, 'frames', `messages_read:${id}`)));
  }
  report({ metric: 'my message, ack → confirmed row (p95)', value: round(p95(own)), unit: 'ms', target: '≤ 50', ok: p95(own) <= 50 });
  report({ metric: 'read mark, frame → receipt (p95)', value: round(p95(read)), unit: 'ms', target: '≤ 50', ok: p95(read) <= 50 });

  // Activity in another chat: its frames, and what the main thread did for them.
  const mutationsBefore = await page.evaluate(() => window.__bench.listMutations);
  const taskBefore = await taskSeconds(cdp);
  for (let i = 0; i < SAMPLES; i += 1) {
    const m = await seed.call(s.other.token, 'POST', `/chats/${s.side.id}/messages`, { client_id: `side-${s.side.id}-${i}`, text: `Другой чат ${i}` });
    await eventually(() => benchValue(page, 'frames', `new_message:${m.id}`), { timeout: 30000, message: `other chat's ${m.id} arrived` });
    // Until the page has drawn what it draws for it.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
  const otherMs = ((await taskSeconds(cdp)) - taskBefore) * 1000 / SAMPLES;
  const listMutations = (await page.evaluate(() => window.__bench.listMutations)) - mutationsBefore;
  report({ metric: 'another chat\'s message, main-thread work (whole page)', value: round(otherMs), unit: 'ms', target: '≤ 16', ok: otherMs <= 16 });
  report({ metric: 'another chat\'s messages, changes to the open list', value: listMutations, unit: 'mutations', target: '0', ok: listMutations === 0 });

  // --- (a) 10,000 messages, bottom to top -----------------------------------------------
  // Memory is compared between 2,000 messages up (the list's window is full by then) and
  // the top: flat means nothing grows with the distance scrolled.
  await toBottom(page, await page.evaluate(() => window.messengerApp.store.newestId(window.messengerApp.store.openChatId)));
  await page.evaluate(() => {
    window.__bench.longTasks = [];
    window.__bench.maxRows = document.querySelectorAll('#message-list > .msg').length;
  });
  const warm = await scrollUpUntil(page, s.bigIds[BIG - 2000], SCROLL_BUDGET_MS);
  const heapStart = await heapUsed(cdp);
  const nodesStart = await domNodes(cdp);
  const scrolled = await scrollUpUntil(page, s.bigIds[0], SCROLL_BUDGET_MS * 2 - warm.ms);
  const { longTasks, maxRows } = await page.evaluate(() => ({ longTasks: window.__bench.longTasks, maxRows: window.__bench.maxRows }));
  const heapEnd = await heapUsed(cdp);
  const nodesEnd = await domNodes(cdp);
  const over = longTasks.filter((d) => d > 50);
  report({ metric: `scrolling ${BIG.toLocaleString('en')} messages to the top`, value: round((warm.ms + scrolled.ms) / 1000), unit: 's', target: scrolled.done ? undefined : 'reached the top', ok: scrolled.done });
  report({ metric: 'long tasks > 50 ms while scrolling', value: over.length, unit: 'tasks', target: '0', ok: over.length === 0 });
  report({ metric: 'longest task while scrolling', value: round(Math.max(0, ...longTasks)), unit: 'ms', target: '≤ 50', ok: Math.max(0, ...longTasks) <= 50 });
  report({ metric: 'most message rows in the DOM', value: maxRows, unit: 'rows', target: '≤ 300', ok: maxRows <= 300 });
  report({ metric: 'JS heap 2,000 messages up', value: round(heapStart), unit: 'MB' });
  report({ metric: 'JS heap at the top', value: round(heapEnd), unit: 'MB', target: `≤ ${round(heapStart + 5)} (flat)`, ok: heapEnd <= heapStart + 5 });
  report({ metric: 'DOM nodes 2,000 messages up', value: nodesStart, unit: 'nodes' });
  report({ metric: 'DOM nodes at the top', value: nodesEnd, unit: 'nodes', target: `≤ ${Math.round(nodesStart * 1.2)} (flat)`, ok: nodesEnd <= nodesStart * 1.2 });

  // --- (c) a chat with 1,500 unread -----------------------------------------------------
  const firstUnread = s.unreadIds[0];
  // Clicked from the page, so that the clock starts with the click.
  const opened = await page.evaluate(
    async ([firstUnread, newest]) => {
      const item = [...document.querySelectorAll('#chat-list .chat-item')].find((el) => el.querySelector('.chat-item-title')?.textContent === 'Поток');
      const box = document.querySelector('#messages');
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      const t0 = performance.now();
      item.click();
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
  report({ metric: `opening a chat with ${UNREAD.toLocaleString('en')} unread lands at the first unread`, value: opened.landed ? 'yes' : 'no', target: 'yes', ok: opened.landed });
  report({ metric: 'opening it, click → first unread on screen', value: opened.landed ? round(opened.ms) : '—', unit: 'ms', target: '≤ 1000', ok: opened.landed && opened.ms <= 1000 });
  if (page.errors.length) report({ metric: 'page errors', value: page.errors.length, target: '0', ok: false });
  await context.close();
}
