// A long chat list (issue 17): longer than one page of GET /chats, so the client follows
// `next_cursor` and every chat is listed once, newest on top. The list is drawn in a window
// (only the rows near the visible part are in the DOM; aria-setsize/posinset give each
// row's place in the whole list), so the whole list is read by scrolling through it. It is
// one Tab stop with arrow-key navigation, and a message in one chat redraws that chat's
// row alone.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newUserPage, eventually, rest, serverAndBrowser, settled, logIn } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);

// More than the client's page of 100 chats.
const TOTAL = 130;

/** The row that has the keyboard focus: its title and place in the list, or null. */
const focusedRow = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el.getAttribute('role') !== 'option' || !el.closest('#chat-list')) return null;
    return { title: el.querySelector('.chat-item-title')?.textContent, pos: Number(el.getAttribute('aria-posinset')), size: Number(el.getAttribute('aria-setsize')) };
  });

/** Every row's title by its place in the list, read by scrolling the sidebar top to bottom. */
async function allTitles(page) {
  const byPos = new Map();
  await page.evaluate(() => {
    document.querySelector('.sidebar-scroll').scrollTop = 0;
  });
  for (let step = 0; step < 100; step += 1) {
    await settled(page);
    const seen = await page.evaluate(() =>
      [...document.querySelectorAll('#chat-list .chat-item')].map((el) => [Number(el.getAttribute('aria-posinset')), el.querySelector('.chat-item-title').textContent]),
    );
    for (const [pos, title] of seen) byPos.set(pos, title);
    const atEnd = await page.evaluate(() => {
      const s = document.querySelector('.sidebar-scroll');
      if (s.scrollTop + s.clientHeight >= s.scrollHeight - 1) return true;
      s.scrollTop += s.clientHeight;
      return false;
    });
    if (atEnd) {
      await settled(page);
      break;
    }
  }
  return [...byPos.entries()].sort((a, b) => a[0] - b[0]).map(([, title]) => title);
}

/** Tags every row node now in the list; then counts the rows drawn anew since. */
const tagRows = (page) =>
  page.evaluate(() => {
    for (const el of document.querySelectorAll('#chat-list .chat-item')) el.e2eKept = true;
  });
const freshRows = (page) =>
  page.evaluate(() => [...document.querySelectorAll('#chat-list .chat-item')].filter((el) => !el.e2eKept).map((el) => el.querySelector('.chat-item-title').textContent));
const topTitle = (page) => page.locator('#chat-list .chat-item .chat-item-title').first().textContent();

describe('a long chat list', { timeout: 240000 }, () => {
  const ctx = serverAndBrowser();
  let alice;
  let bob;
  const groups = []; // oldest first: groups[i] is "Группа i+1"
  let page;

  before(async () => {
    alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `ann_${stamp}`, password: PASSWORD, display_name: 'Анна' });
    bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `ben_${stamp}`, password: PASSWORD, display_name: 'Бен' });
    for (let i = 1; i <= TOTAL; i += 1) {
      groups.push(await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'group', title: `Группа ${i}`, member_ids: [alice.user.id] }));
    }
  });

  test('every chat of a list longer than one page is shown once, newest first', async () => {
    const first = await rest(ctx.server, alice.access_token, 'GET', '/chats');
    assert.equal(first.items.length, 50, 'the server answers a page, not the whole list');
    assert.equal(first.has_more, true);

    page = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(page, alice.user.username);
    await eventually(async () => (await page.getAttribute('#chat-list .chat-item >> nth=0', 'aria-setsize')) === String(TOTAL), {
      message: `${TOTAL} chats listed`,
    });
    const inDom = await page.locator('#chat-list .chat-item').count();
    assert.ok(inDom < TOTAL, `only a window of the rows is in the DOM (${inDom})`);
    // The oldest group was on the last page; exact titles, so "Группа 1" is not "Группа 10".
    const titles = await allTitles(page);
    assert.equal(titles.length, TOTAL, 'every place in the list was drawn while scrolling');
    assert.equal(new Set(titles).size, TOTAL, 'each chat once');
    assert.equal(titles[0], `Группа ${TOTAL}`, 'the most recently active on top');
    assert.equal(titles.at(-1), 'Группа 1', 'the oldest, from the last page, at the bottom');
    assert.deepEqual(page.errors, []);
  });

  test('the list is one Tab stop: arrows, Home and End move, Enter opens the chat', async () => {
    await page.evaluate(() => {
      document.querySelector('.sidebar-scroll').scrollTop = 0;
    });
    await settled(page);
    assert.equal(await page.getAttribute('#chat-list', 'role'), 'listbox');
    assert.ok(await page.getAttribute('#chat-list', 'aria-label'), 'the list has a name');
    assert.equal(await page.locator('#chat-list li[role="button"]').count(), 0, 'no li role=button');
    assert.equal(await page.locator('#chat-list [tabindex="0"]').count(), 1, 'one row is the Tab stop');
    // The search field has a label of its own, not only a placeholder.
    assert.ok(await page.evaluate(() => document.querySelector('#search').labels[0]?.textContent.trim()), 'the search field is labelled');

    await page.focus('#search');
    await page.keyboard.press('Tab');
    assert.deepEqual(await focusedRow(page), { title: `Группа ${TOTAL}`, pos: 1, size: TOTAL }, 'Tab from the search reaches the first row');
    // The row's accessible name, as the browser computes it for assistive technology.
    const named = page.getByRole('option', { name: new RegExp(`^Группа ${TOTAL}\\b`) });
    assert.equal(await named.evaluate((el) => el === document.activeElement), true, "the focused row's name starts with its title");

    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await focusedRow(page), { title: `Группа ${TOTAL - 2}`, pos: 3, size: TOTAL });
    await page.keyboard.press('ArrowUp');
    assert.deepEqual(await focusedRow(page), { title: `Группа ${TOTAL - 1}`, pos: 2, size: TOTAL });
    // End reaches a row that was not in the DOM: the window follows the focus.
    await page.keyboard.press('End');
    assert.deepEqual(await focusedRow(page), { title: 'Группа 1', pos: TOTAL, size: TOTAL });
    await page.keyboard.press('Home');
    assert.deepEqual(await focusedRow(page), { title: `Группа ${TOTAL}`, pos: 1, size: TOTAL });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#chat-view:not([hidden])');
    await eventually(async () => (await page.textContent('#chat-title')) === `Группа ${TOTAL - 1}`, { message: 'the chat opened' });
    await eventually(async () => (await page.getAttribute(`#chat-row-${groups[TOTAL - 2].id}`, 'aria-selected')) === 'true', { message: 'the open chat is the selected option' });
    assert.equal(await page.locator('#chat-list [aria-selected="true"]').count(), 1);

    // From the search again: the list's one stop is the open chat's row now, and the next
    // Tab leaves the list; Shift+Tab comes back to that row, and then to the search.
    await page.focus('#search');
    await page.keyboard.press('Tab');
    assert.deepEqual(await focusedRow(page), { title: `Группа ${TOTAL - 1}`, pos: 2, size: TOTAL }, 'Tab lands on the open chat');
    await page.keyboard.press('Tab');
    assert.equal(await focusedRow(page), null, 'a second Tab leaves the list');
    await page.keyboard.press('Shift+Tab');
    assert.deepEqual(await focusedRow(page), { title: `Группа ${TOTAL - 1}`, pos: 2, size: TOTAL }, 'Shift+Tab comes back to the same row');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'search', 'and one more leaves it, to the search');
    assert.deepEqual(page.errors, []);
  });

  test('a message in one chat redraws that chat row alone and moves it to the top', async () => {
    await page.evaluate(() => {
      document.querySelector('.sidebar-scroll').scrollTop = 0;
    });
    await settled(page);
    // A chat whose row is in the DOM (fifth from the top) and one that is not (the oldest).
    for (const [target, where] of [
      [groups[TOTAL - 5], 'in the window'],
      [groups[0], 'below the window'],
    ]) {
      await tagRows(page);
      const tagged = await page.locator('#chat-list .chat-item').count();
      await rest(ctx.server, bob.access_token, 'POST', `/chats/${target.id}/messages`, { client_id: `cl-${stamp}-${target.id}`, text: `Новость для ${target.title}` });
      await eventually(async () => (await topTitle(page)) === target.title, { message: `${target.title} (${where}) on top` });
      await settled(page);
      assert.deepEqual(await freshRows(page), [target.title], `only the changed row is drawn anew (${where})`);
      const kept = await page.evaluate(() => [...document.querySelectorAll('#chat-list .chat-item')].filter((el) => el.e2eKept).length);
      // The changed row's old node is gone (redrawn, or pushed out of the window's end).
      assert.equal(kept, tagged - 1, `the other rows keep their nodes (${where})`);
      const first = page.locator('#chat-list .chat-item').first();
      assert.equal(await page.getByRole('option', { name: /Новость для/ }).first().evaluate((el, top) => el === top, await first.elementHandle()), true, "the row's name has the last message");
    }
    assert.deepEqual(page.errors, []);
  });

  // A keystroke's frame draws the rows on screen only, the rest follow (views/chat-list.js);
  // typing on filters the previous matches, erasing filters them all again.
  test('search as you type narrows and widens the list, and the rows past the screen follow', async () => {
    const expect = (q) => groups.map((g) => g.title).filter((title) => title.toLowerCase().includes(q.toLowerCase())).sort();
    const shown = async () => (await allTitles(page)).sort();
    await page.fill('#search', '');
    await page.focus('#search');
    await page.keyboard.type('группа 1', { delay: 30 });
    await settled(page);
    const rows = await page.evaluate(() => {
      const list = document.querySelector('#chat-list');
      return { rows: list.children.length, fit: Math.ceil(list.parentElement.clientHeight / list.children[0].offsetHeight) };
    });
    assert.ok(rows.rows > rows.fit, `the rows past the screen were drawn too (${JSON.stringify(rows)})`);
    assert.deepEqual(await shown(), expect('группа 1'));
    await page.focus('#search');
    await page.keyboard.type('2', { delay: 30 });
    assert.deepEqual(await shown(), expect('группа 12'), 'typing on narrows');
    await page.focus('#search');
    await page.keyboard.press('Backspace');
    assert.deepEqual(await shown(), expect('группа 1'), 'erasing widens again');
    await page.focus('#search');
    await page.keyboard.type('3', { delay: 30 });
    assert.deepEqual(await shown(), expect('группа 13'));
    await page.fill('#search', '');
    assert.equal((await shown()).length, TOTAL, 'an empty search shows every chat');
    assert.deepEqual(page.errors, []);
  });
});
