// Accessibility in the browser (issue 17): axe-core checks every screen, modal and panel in
// the light and the dark theme — the sign-in and registration forms, the main screen with a
// dialog and a group open (replies, reactions, sender names, timestamps), settings, the theme
// editor, profiles, contacts, privacy, sessions, a new group, the info and media panels, the
// forward and emoji pickers, reporting, a confirmation, message search and the admin console.
// No violation of impact serious or critical is allowed anywhere; the main screen has its
// landmarks and one h1. Every finding (any impact) is printed, counted by rule and impact,
// and written in full to e2e/.tmp/axe-findings.json. Then the keyboard paths: Tab from the
// sign-in form to a chat's composer, a dialog's Tab cycle, Escape and the focus coming back,
// the info panel's Escape, and the live announcement of a new message.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { contrastRatio, MIN_CONTRAST } from '../renderer/lib/theme.js';
import { PASSWORD, newUserPage, logIn, eventually, rest, serverAndBrowser, chatItem, settled } from './harness.js';

const require = createRequire(import.meta.url);
// Evaluated in the page rather than added as a <script>: the page's strict CSP refuses inline
// scripts, and evaluating through the devtools protocol leaves that policy in force.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const TMP = fileURLToPath(new URL('.tmp', import.meta.url));
const stamp = Date.now().toString(36).slice(-5);
const ANNA = { username: `anna_${stamp}`, display_name: 'Анна Смирнова' };
const BORIS = { username: `boris_${stamp}`, display_name: 'Борис' };
const VERA = { username: `vera_${stamp}`, display_name: 'Вера Павлова' };
const GRIGORY = { username: `grig_${stamp}`, display_name: 'Григорий' };
const GROUP = `Книжный клуб ${stamp}`;
const BLOCKING = new Set(['serious', 'critical']);

/** Every finding: {where, theme, id, impact, targets}. */
const findings = [];

async function axe(page) {
  if (!(await page.evaluate(() => typeof globalThis.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await globalThis.axe.run(document, { resultTypes: ['violations', 'incomplete'] });
    // Text axe could not measure (on a gradient or an image) is counted apart, for the summary.
    const unmeasured = result.incomplete.filter((v) => v.id === 'color-contrast').flatMap((v) => v.nodes.map((n) => n.target.join(' ')));
    if (unmeasured.length) result.violations.push({ id: 'color-contrast (not measurable)', impact: 'unknown', nodes: unmeasured.map((target) => ({ target: [target], any: [] })) });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => `${n.target.join(' ')}${n.any[0]?.data?.contrastRatio ? ` (${n.any[0].data.contrastRatio}:1 ${n.any[0].data.fgColor} on ${n.any[0].data.bgColor})` : ''}`),
    }));
  });
}

/** The scheme of the built-in "system" theme follows the device's preference. */
async function useScheme(page, scheme) {
  await page.emulateMedia({ colorScheme: scheme });
  await eventually(async () => (await page.evaluate(() => document.documentElement.dataset.theme)) === scheme, { message: `the ${scheme} theme` });
  // Colours fade over to the new theme (CSS transitions): measured halfway they would be wrong.
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => {}))));
  await settled(page);
}

/** Checks what the page shows now, light and dark, and records what axe finds. */
async function audit(page, where) {
  for (const theme of ['light', 'dark']) {
    await useScheme(page, theme);
    for (const v of await axe(page)) findings.push({ where, theme, ...v });
  }
  await useScheme(page, 'light');
}

/**
 * A test's screens are all checked before it fails, so that one run lists every finding;
 * `from` is the number of findings recorded before the test began.
 */
function assertNothingBlocking(from) {
  const blocking = findings
    .slice(from)
    .filter((f) => BLOCKING.has(f.impact))
    .map((f) => `${f.where} (${f.theme}): ${f.id} [${f.impact}] ${f.targets.join(', ')}`);
  assert.deepEqual(blocking, [], 'serious or critical violations');
}

async function closeModal(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('#modal-root', { state: 'hidden' });
}

/** The row of the message whose text is `text`. */
function row(page, text) {
  return page.locator('#message-list .msg').filter({ has: page.locator('.msg-text', { hasText: text }) });
}

async function messageAction(page, text, action) {
  const message = row(page, text);
  await message.hover();
  await message.locator(`[data-action="${action}"]`).click();
}

function summary() {
  const byRule = new Map();
  for (const f of findings) {
    const key = `${f.impact.padEnd(8)} ${f.id}`;
    const entry = byRule.get(key) || { count: 0, where: new Set() };
    entry.count += f.targets.length;
    entry.where.add(`${f.where}/${f.theme}`);
    byRule.set(key, entry);
  }
  const lines = [...byRule].sort().map(([key, e]) => `  ${key}: ${e.count} node(s) in ${[...e.where].join(', ')}`);
  return `axe findings by impact and rule (${findings.length} rule hits):\n${lines.join('\n') || '  none'}`;
}

describe('accessibility (axe-core, light and dark)', { timeout: 600000 }, () => {
  const ctx = serverAndBrowser();
  const users = {};
  let page;
  let group;
  let dialog;

  before(async () => {
    // The first account is the server's administrator: Anna can open the console.
    for (const u of [ANNA, BORIS, VERA, GRIGORY]) users[u.username] = await rest(ctx.server, null, 'POST', '/auth/register', { ...u, password: PASSWORD, device_name: 'e2e' });
    const token = (u) => users[u.username].access_token;
    const id = (u) => users[u.username].user.id;
    const post = (u, chat, text, extra = {}) => rest(ctx.server, token(u), 'POST', `/chats/${chat.id}/messages`, { client_id: `${u.username}-${text.length}-${Math.random()}`, text, ...extra });
    group = await rest(ctx.server, token(ANNA), 'POST', '/chats', { kind: 'group', title: GROUP, member_ids: [id(BORIS), id(VERA), id(GRIGORY)] });
    const question = await post(BORIS, group, 'Кто дочитал «Анну Каренину»?');
    await post(VERA, group, 'Я на середине, не спойлерите');
    await post(GRIGORY, group, 'Дочитал вчера');
    await post(ANNA, group, 'Я тоже, обсудим в субботу', { reply_to_id: question.id });
    await rest(ctx.server, token(VERA), 'PUT', `/messages/${question.id}/reactions/${encodeURIComponent('👍')}`);
    await post(VERA, group, 'Договорились', { reply_to_id: question.id });
    dialog = await rest(ctx.server, token(BORIS), 'POST', '/chats', { kind: 'direct', user_id: id(ANNA) });
    await post(BORIS, dialog, 'Привет! Как дела?');
    await post(ANNA, dialog, 'Отлично, спасибо');
    page = await newUserPage(ctx.browser, ctx.server.url, { width: 1440, height: 900 });
  });

  after(() => {
    console.log(summary());
    // Every node of every finding, for a closer look than the summary gives.
    mkdirSync(TMP, { recursive: true });
    writeFileSync(join(TMP, 'axe-findings.json'), JSON.stringify(findings, null, 1));
  });

  test('the sign-in and registration forms', async () => {
    const from = findings.length;
    await audit(page, 'login');
    await page.click('.auth-tab[data-mode="register"]');
    await audit(page, 'register');
    await page.click('.auth-tab[data-mode="login"]');
    assertNothingBlocking(from);
  });

  test('the main screen with a group and a dialog open', async () => {
    const from = findings.length;
    await logIn(page, ANNA.username);
    await audit(page, 'main (no chat)');
    await chatItem(page, GROUP).click();
    await row(page, 'Договорились').waitFor();
    await page.locator('#message-list .reaction-chip').first().waitFor();
    await audit(page, 'group chat');
    // Counted on screen: the other screens' landmarks are hidden. A visually hidden h1 counts.
    const landmarks = await page.evaluate(() => {
      const shown = (sel) => [...document.querySelectorAll(sel)].filter((el) => !el.closest('[hidden]')).length;
      return { main: shown('main, [role="main"]'), nav: shown('nav, [role="navigation"]'), h1: shown('h1') };
    });
    assert.deepEqual(landmarks, { main: 1, nav: 1, h1: 1 }, 'one main, one nav, one visible h1');
    await chatItem(page, BORIS.display_name).click();
    await row(page, 'Отлично, спасибо').waitFor();
    await audit(page, 'dialog chat');
    assertNothingBlocking(from);
  });

  test('the info panel and its media, for a dialog and a group', async () => {
    const from = findings.length;
    await page.click('#btn-info');
    await page.waitForSelector('#info-panel:not([hidden]) #media-panel');
    await audit(page, 'info panel (dialog)');
    await chatItem(page, GROUP).click();
    await page.waitForSelector('#info-panel:not([hidden]) .member');
    await audit(page, 'info panel (group)');
    await page.click('#info-panel .info-title');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#info-panel', { state: 'hidden' });
    assertNothingBlocking(from);
  });

  test('the dialogs of the account: settings, theme editor, profiles, contacts, privacy, sessions', async () => {
    const from = findings.length;
    await page.click('#btn-settings');
    await page.waitForSelector('#account-menu');
    await audit(page, 'settings');
    await page.click('#btn-theme-editor');
    await page.waitForSelector('#theme-list');
    await audit(page, 'theme editor (list)');
    await page.click('#theme-new');
    await page.waitForSelector('#theme-name');
    await audit(page, 'theme editor (form)');
    await closeModal(page);

    await page.click('#me-avatar');
    await page.waitForSelector('#my-profile');
    await audit(page, 'my profile');
    await closeModal(page);

    await page.locator('#message-list .msg-author', { hasText: BORIS.display_name }).first().click();
    await page.waitForSelector('#user-profile #profile-name');
    await audit(page, 'user profile');
    await closeModal(page);

    await page.click('#btn-contacts');
    await page.waitForSelector('#modal-root:not([hidden])');
    await audit(page, 'contacts');
    await closeModal(page);

    for (const [button, where] of [
      ['#open-privacy', 'privacy'],
      ['#open-blocked', 'blocked users'],
      ['#open-sessions', 'sessions'],
      ['#open-delete-account', 'delete account'],
    ]) {
      await page.click('#btn-settings');
      await page.click(button);
      await page.waitForSelector('#modal-root:not([hidden]) .modal-body');
      await page.waitForFunction(() => !document.querySelector('#modal-root .modal-body')?.textContent.includes('…'));
      await audit(page, where);
      await closeModal(page);
    }

    await page.click('#btn-new-group');
    await page.waitForSelector('#modal-root:not([hidden])');
    await audit(page, 'new group');
    await closeModal(page);
    assertNothingBlocking(from);
  });

  test('message actions: forward, reactions, report, a confirmation, search', async () => {
    const from = findings.length;
    await messageAction(page, 'Договорились', 'forward');
    await page.waitForSelector('.forward-picker');
    await audit(page, 'forward picker');
    await closeModal(page);

    await messageAction(page, 'Договорились', 'react');
    await page.waitForSelector('.reaction-quick');
    await audit(page, 'quick reactions');
    await page.click('.reaction-quick .reaction-quick-btn.more');
    await page.waitForSelector('.emoji-picker .emoji-search');
    await audit(page, 'emoji picker');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.emoji-picker', { state: 'detached' });

    await messageAction(page, 'Договорились', 'report');
    await page.waitForSelector('#modal-root:not([hidden]) textarea');
    await audit(page, 'report dialog');
    await closeModal(page);

    await messageAction(page, 'Я тоже, обсудим в субботу', 'delete');
    await page.waitForSelector('#modal-root:not([hidden]) .btn.danger');
    await audit(page, 'confirm dialog');
    await closeModal(page);

    await page.click('#btn-chat-search');
    await page.fill('#chat-search-input', 'дочитал');
    await page.waitForSelector('#chat-search-results:not([hidden]) .message-hit');
    await audit(page, 'search in the chat');
    await page.keyboard.press('Escape');

    await page.fill('#search', 'Каренин');
    await page.waitForSelector('#message-search-results:not([hidden]) .message-hit');
    await audit(page, 'search everywhere');
    await page.fill('#search', '');
    assertNothingBlocking(from);
  });

  test('text on the accent and danger fills (gradients axe cannot measure) holds 4.5:1', async () => {
    const low = [];
    for (const theme of ['light', 'dark']) {
      await useScheme(page, theme);
      const v = await page.evaluate(() => {
        const css = getComputedStyle(document.documentElement);
        return Object.fromEntries(['--accent', '--accent-2', '--on-accent', '--danger'].map((n) => [n, css.getPropertyValue(n).trim()]));
      });
      for (const fill of ['--accent', '--accent-2', '--danger']) {
        const ratio = contrastRatio(v['--on-accent'], v[fill]);
        if (ratio < MIN_CONTRAST) low.push(`${theme}: ${v['--on-accent']} on ${fill} ${v[fill]} is ${ratio.toFixed(2)}:1`);
      }
    }
    await useScheme(page, 'light');
    assert.deepEqual(low, []);
  });

  test('the admin console', async () => {
    const from = findings.length;
    await page.goto(`${ctx.server.url}/admin`);
    await page.waitForSelector('#admin-screen:not([hidden]) .admin-tab');
    for (const tab of ['users', 'invites', 'reports', 'audit', 'settings', 'stats']) {
      await page.click(`#admin-tab-${tab}`);
      await page.waitForSelector(`#admin-panel-${tab}:not([hidden])`);
      await audit(page, `admin: ${tab}`);
    }
    assert.deepEqual(page.errors, []);
    assertNothingBlocking(from);
  });
});

/** What has the focus: its id, else its tag and classes. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el?.id ? `#${el.id}` : `${el?.tagName.toLowerCase()}.${[...(el?.classList || [])].join('.')}`;
  });
}

function focusInside(page, selector) {
  return page.evaluate((sel) => !!document.activeElement?.closest(sel), selector);
}

describe('keyboard paths and announcements', { timeout: 300000 }, () => {
  const ctx = serverAndBrowser();
  const users = {};
  let chat;
  let other;

  before(async () => {
    for (const u of [ANNA, BORIS, VERA]) users[u.username] = await rest(ctx.server, null, 'POST', '/auth/register', { ...u, password: PASSWORD, device_name: 'e2e' });
    chat = await rest(ctx.server, users[BORIS.username].access_token, 'POST', '/chats', { kind: 'direct', user_id: users[ANNA.username].user.id });
    other = await rest(ctx.server, users[VERA.username].access_token, 'POST', '/chats', { kind: 'direct', user_id: users[ANNA.username].user.id });
    await rest(ctx.server, users[BORIS.username].access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `k1-${stamp}`, text: 'Старое сообщение' });
    await rest(ctx.server, users[VERA.username].access_token, 'POST', `/chats/${other.id}/messages`, { client_id: `k2-${stamp}`, text: 'Привет от Веры' });
  });

  test('Tab through the sign-in form, sign in, on to a chat: the focus lands in its composer', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url, { width: 1440, height: 900 });
    await eventually(async () => (await page.evaluate(() => document.activeElement?.name)) === 'login', { message: 'the focus in the login field' });
    await page.keyboard.type(ANNA.username);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.name), 'password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), '#auth-submit');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#main-screen:not([hidden])');
    await eventually(async () => (await focused(page)) === '#search', { message: 'the focus in the search after signing in' });

    // On from the search into the chat list (however many stops it has), and open a chat.
    await chatItem(page, BORIS.display_name).waitFor();
    for (let i = 0; i < 10 && !(await focusInside(page, '#chat-list')); i += 1) await page.keyboard.press('Tab');
    assert.ok(await focusInside(page, '#chat-list'), 'Tab reaches the chat list');
    const target = await page.evaluate(() => document.activeElement.closest('[data-chat-id]')?.dataset.chatId);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#chat-view:not([hidden])');
    await eventually(async () => (await focused(page)) === '#composer-input', { message: 'the focus in the composer' });
    assert.equal(await page.evaluate(() => globalThis.messengerApp.store.openChatId), Number(target));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a dialog keeps Tab inside, Escape closes it and the focus goes back to its opener', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url, { width: 1440, height: 900 });
    await logIn(page, ANNA.username);
    await page.focus('#btn-settings');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#account-menu');
    assert.ok(await focusInside(page, '#modal-root .modal'), 'the focus moved into the dialog');
    assert.equal(await page.getAttribute('#modal-root .modal', 'aria-labelledby'), 'modal-title');
    assert.equal(await page.evaluate(() => document.querySelector('#main-screen').inert), true, 'the screen behind is inert');
    const stops = await page.evaluate(
      () => [...document.querySelectorAll('#modal-root .modal button, #modal-root .modal input, #modal-root .modal select')].filter((el) => !el.disabled && el.getClientRects().length).length,
    );
    const start = await focused(page);
    // Once round: every stop is inside the dialog, and the last Tab comes back to the start.
    for (let i = 0; i < stops; i += 1) {
      await page.keyboard.press('Tab');
      assert.ok(await focusInside(page, '#modal-root .modal'), `Tab ${i + 1} stays in the dialog`);
    }
    assert.equal(await focused(page), start, `${stops} Tabs go round once`);
    await page.focus('#modal-root .modal-close');
    await page.keyboard.press('Shift+Tab');
    assert.ok(await focusInside(page, '#password-form'), 'Shift+Tab from the first stop goes to the last');

    await page.keyboard.press('Escape');
    await page.waitForSelector('#modal-root', { state: 'hidden' });
    assert.equal(await focused(page), '#btn-settings', 'the focus is back on the opener');
    assert.equal(await page.evaluate(() => document.querySelector('#main-screen').inert), false);

    // A dialog opened from another one (settings → privacy) gives it back to the first opener.
    await page.focus('#btn-settings');
    await page.keyboard.press('Enter');
    await page.click('#open-privacy');
    await page.waitForSelector('#privacy-read_receipts');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#modal-root', { state: 'hidden' });
    assert.equal(await focused(page), '#btn-settings');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('an open dialog makes a popover on <body> inert too (here the chat menu), and gives it back', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url, { width: 1440, height: 900 });
    await logIn(page, ANNA.username);
    await chatItem(page, BORIS.display_name).focus();
    await page.keyboard.press('Shift+F10');
    await page.waitForSelector('.chat-menu');
    // A dialog opened while the menu is up (as one opened by the session or a shortcut).
    await page.evaluate(() => globalThis.messengerApp.app.views.settings.open());
    await page.waitForSelector('#account-menu');
    const state = () =>
      page.evaluate(() => {
        const menu = document.querySelector('.chat-menu');
        if (!menu) return null;
        const box = menu.querySelector('button').getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return { inert: menu.inert, hitMenu: menu.contains(hit) };
      });
    assert.deepEqual(await state(), { inert: true, hitMenu: false }, 'the menu is inert and under the backdrop');
    // Tab goes round the dialog and never into the menu.
    for (let i = 0; i < 12; i += 1) {
      await page.keyboard.press('Tab');
      assert.ok(await focusInside(page, '#modal-root .modal'), `Tab ${i + 1} stays in the dialog`);
    }
    // Closed by its button (a click that does not bubble: a click on the page closes the menu).
    await page.evaluate(() => document.querySelector('#modal-root .modal-close').dispatchEvent(new MouseEvent('click')));
    await page.waitForSelector('#modal-root', { state: 'hidden' });
    assert.deepEqual(await state(), { inert: false, hitMenu: true }, 'the menu is live again once the dialog closed');
    assert.equal(await page.evaluate(() => document.querySelector('#main-screen').inert), false);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('Escape closes the info panel and the focus goes back to the info button', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url, { width: 1440, height: 900 });
    await logIn(page, ANNA.username);
    await chatItem(page, BORIS.display_name).click();
    await page.waitForSelector('#chat-view:not([hidden])');
    // The opened chat puts the focus in its composer once its history is in: wait for that first.
    await eventually(async () => (await focused(page)) === '#composer-input', { message: 'the focus in the composer' });
    await page.focus('#btn-info');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#info-panel:not([hidden])');
    assert.ok(await focusInside(page, '#info-panel'), 'the focus moved into the panel');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#info-panel', { state: 'hidden' });
    assert.equal(await focused(page), '#btn-info');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a new message in the open chat is announced; history, my own and other chats are not', async () => {
    const page = await newUserPage(ctx.browser, ctx.server.url, { width: 1440, height: 900 });
    await logIn(page, ANNA.username);
    await chatItem(page, BORIS.display_name).click();
    await row(page, 'Старое сообщение').waitFor();
    const announced = () => page.textContent('#announcer');
    assert.equal(await page.getAttribute('#announcer', 'aria-live'), 'polite');
    assert.equal(await announced(), '', 'the loaded history is not read out');
    assert.equal(await page.getAttribute('#messages', 'aria-label'), 'Сообщения');

    await rest(ctx.server, users[VERA.username].access_token, 'POST', `/chats/${other.id}/messages`, { client_id: `k3-${stamp}`, text: 'Ты тут?' });
    await rest(ctx.server, users[BORIS.username].access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `k4-${stamp}`, text: 'Встречаемся в семь' });
    await eventually(async () => (await announced()) === `Новое сообщение. ${BORIS.display_name}: Встречаемся в семь`, { message: 'the announcement' });
    assert.ok(await chatItem(page, VERA.display_name).isVisible());

    await page.fill('#composer-input', 'Договорились');
    await page.keyboard.press('Enter');
    await row(page, 'Договорились').waitFor();
    await eventually(() => page.evaluate(() => globalThis.messengerApp.store.history(globalThis.messengerApp.store.openChatId).some((m) => m.text === 'Договорились' && m.id)), { message: 'my message confirmed' });
    assert.equal(await announced(), `Новое сообщение. ${BORIS.display_name}: Встречаемся в семь`, 'my own message is not announced');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
