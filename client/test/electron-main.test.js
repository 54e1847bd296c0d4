// The Electron main process (electron/desktop.cjs and its modules) run against a fake of
// Electron's API: the tray and its menu, close-to-tray, the single-instance lock, start at
// login, the window's remembered bounds, the unread badge, and auto-update.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeElectron, fakeTimers } from './electron-fakes.js';

const require = createRequire(import.meta.url);
const { startDesktop, HIDDEN_ARG } = require('../electron/desktop.cjs');
const { restoreBounds, trackWindowState } = require('../electron/window-state.cjs');
const { badgeText, drawBadge, GLYPHS } = require('../electron/badge.cjs');
const { trayMenuTemplate, HOUR_MS } = require('../electron/tray.cjs');
const { setupAutoUpdate, feedUrl } = require('../electron/updater.cjs');

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const quiet = { info() {}, warn() {}, error() {} };
const NOW = Date.parse('2026-12-07T12:00:00Z');

async function start({ platform = 'win32', argv = [], ...fakeOptions } = {}) {
  const fake = fakeElectron(fakeOptions);
  const timers = fakeTimers();
  const running = startDesktop(fake.electron, { root, env: {}, platform, argv, log: quiet, timers, now: () => NOW, loadUpdater: () => assert.fail('no updates in development') });
  if (running) await running.ready;
  return { ...fake, timers, running, win: fake.windows[0], tray: fake.trays[0] };
}

function menuItems(tray) {
  return tray.menu.items.filter((i) => i.type !== 'separator');
}

test('the window is isolated and loads the app from app://', async () => {
  const { win, protocol } = await start();
  assert.deepEqual(
    { contextIsolation: true, nodeIntegration: false, sandbox: true },
    (({ contextIsolation, nodeIntegration, sandbox }) => ({ contextIsolation, nodeIntegration, sandbox }))(win.options.webPreferences),
  );
  assert.equal(win.url, 'app://./index.html');
  assert.equal(protocol.handler.scheme, 'app');
  assert.equal(protocol.schemes[0].scheme, 'app');
});

test('the page may ask for notifications (and to copy text), nothing else', async () => {
  const { permissions } = await start();
  const ask = (permission) => {
    let answer;
    permissions.handler(null, permission, (ok) => (answer = ok));
    return answer;
  };
  assert.equal(ask('notifications'), true);
  assert.equal(ask('clipboard-sanitized-write'), true);
  for (const p of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'midi']) assert.equal(ask(p), false, p);
});

test('the tray menu opens the window, mutes every notification for an hour, and quits', async () => {
  const { tray, win, app } = await start();
  assert.deepEqual(menuItems(tray).map((i) => i.id), ['open', 'mute', 'quit']);
  assert.deepEqual(menuItems(tray).map((i) => i.label), ['Открыть Мессенджер', 'Выключить уведомления на час', 'Выйти']);

  win.minimized = true;
  menuItems(tray)[0].click();
  assert.equal(win.visible, true);
  assert.equal(win.minimized, false);
  assert.ok(win.focused > 0);

  menuItems(tray)[1].click();
  assert.deepEqual(win.webContents.sent.at(-1), ['notify:mute-until', NOW + HOUR_MS]);

  menuItems(tray)[2].click();
  assert.equal(app.quits, 1);
  // Quitting from the tray really closes the window, even on Windows.
  assert.equal(win.close(), true);
});

test('the tray follows the page: unread count in tooltip and icon, "turn back on" while muted', async () => {
  const { tray, win, ipcListeners, event } = await start();
  const plainIcon = tray.image;
  ipcListeners['desktop:state'](event(), { unread: 3, mutedUntil: NOW + 1000, language: 'en' });
  assert.equal(tray.tooltip, 'Messenger — 3 unread');
  assert.notEqual(tray.image, plainIcon);
  assert.equal(tray.image.from, 'bitmap', 'the icon with a badge');
  assert.deepEqual(menuItems(tray).map((i) => [i.id, i.label]), [['open', 'Open Messenger'], ['unmute', 'Turn notifications back on'], ['quit', 'Quit']]);
  menuItems(tray)[1].click();
  assert.deepEqual(win.webContents.sent.at(-1), ['notify:mute-until', 0]);

  ipcListeners['desktop:state'](event(), { unread: 0, mutedUntil: 0, language: 'ru' });
  assert.equal(tray.tooltip, 'Мессенджер');
  assert.equal(tray.image.from, 'path', 'the plain icon');
  assert.equal(menuItems(tray)[1].id, 'mute');
});

test('the unread count goes to the badge, and on Windows to an overlay icon drawn from it', async () => {
  const { app, win, ipcListeners, event } = await start({ platform: 'win32' });
  ipcListeners['desktop:state'](event(), { unread: 7, mutedUntil: 0, language: 'ru' });
  assert.equal(app.badge, 7);
  assert.equal(win.overlay.description, 'Непрочитанных: 7');
  assert.deepEqual(win.overlay.image.bitmap, drawBadge('7', 32));
  ipcListeners['desktop:state'](event(), { unread: 0, mutedUntil: 0, language: 'ru' });
  assert.equal(app.badge, 0);
  assert.equal(win.overlay.image, null);
  // Another page (say, a link that slipped through) cannot set it; nonsense is zero.
  ipcListeners['desktop:state'](event('https://evil.example/'), { unread: 99 });
  assert.equal(app.badge, 0);
  ipcListeners['desktop:state'](event(), { unread: 'lots', mutedUntil: 'never' });
  assert.equal(app.badge, 0);

  const mac = await start({ platform: 'darwin' });
  mac.ipcListeners['desktop:state'](mac.event(), { unread: 120, mutedUntil: 0, language: 'en' });
  assert.equal(mac.app.badge, 120);
  assert.equal(mac.win.overlay, null, 'no overlay icons outside Windows');
  assert.equal(mac.tray.title, '99+');
});

test('the badge bitmap: a red disc with the count in white, nothing outside the disc', () => {
  assert.deepEqual(['', '', '1', '42', '99', '99+'].map(String), [0, -3, 1, 42, 99, 100].map(badgeText));
  const size = 32;
  const px = (buf, x, y) => [...buf.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
  const one = drawBadge('1', size);
  assert.deepEqual(px(one, 0, 0), [0, 0, 0, 0], 'transparent corner');
  assert.deepEqual(px(one, 16, 2), [0x35, 0x39, 0xe5, 0xff], 'red near the edge');
  const white = (buf) => {
    let n = 0;
    for (let i = 0; i < buf.length; i += 4) if (buf[i] === 0xff && buf[i + 1] === 0xff && buf[i + 2] === 0xff) n += 1;
    return n;
  };
  const cells = (text) => [...text].reduce((n, ch) => n + GLYPHS[ch].join('').split('#').length - 1, 0);
  // The glyphs' lit cells, each scaled to a square of pixels.
  assert.equal(white(one) % cells('1'), 0);
  assert.ok(white(one) > 0);
  assert.ok(white(drawBadge('99+', size)) > 0);
  assert.notDeepEqual(drawBadge('8', size), drawBadge('9', size));
});

test('close-to-tray on Windows: closing hides the window, the app keeps running', async () => {
  const { win, app } = await start({ platform: 'win32' });
  win.show();
  assert.equal(win.close(), false, 'the close was cancelled');
  assert.equal(win.visible, false, 'hidden in the tray');
  assert.equal(app.quits, 0);
});

test('elsewhere closing the window closes it (and Linux then quits)', async () => {
  const { win, app } = await start({ platform: 'linux' });
  assert.equal(win.close(), true);
  app.emit('window-all-closed');
  assert.equal(app.quits, 1);
  const mac = await start({ platform: 'darwin' });
  assert.equal(mac.win.close(), true);
  mac.app.emit('window-all-closed');
  assert.equal(mac.app.quits, 0, 'macOS apps stay in the dock');
  mac.app.emit('activate');
  assert.equal(mac.windows.length, 2, 'the dock icon opens a new window');
});

test('a second start before the first is ready opens no window of its own', async () => {
  const fake = fakeElectron();
  let ready;
  fake.app.whenReady = () => new Promise((resolve) => (ready = resolve));
  const running = startDesktop(fake.electron, { root, env: {}, platform: 'darwin', argv: [], log: quiet, timers: fakeTimers(), loadUpdater: () => null });
  fake.app.emit('second-instance', {}, [], '/');
  fake.app.emit('activate');
  assert.equal(fake.windows.length, 0);
  ready();
  await running.ready;
  assert.equal(fake.windows.length, 1, 'only the one window');
});

test('single instance: a second start quits, and the first instance comes forward', async () => {
  const second = await start({ lock: false });
  assert.equal(second.running, null);
  assert.equal(second.app.quits, 1);
  assert.equal(second.windows.length, 0);

  const first = await start();
  first.win.hide();
  first.win.minimized = true;
  first.app.emit('second-instance', {}, ['messenger.exe'], '/');
  assert.equal(first.win.visible, true);
  assert.equal(first.win.minimized, false);
  assert.ok(first.win.focused > 0);
});

test('start at login: Windows and macOS set the login item, Linux says it is not supported', async () => {
  const win32 = await start({ platform: 'win32' });
  assert.deepEqual(await win32.ipcHandlers['login-item:get'](win32.event()), { supported: true, openAtLogin: false });
  assert.deepEqual(await win32.ipcHandlers['login-item:set'](win32.event(), true), { supported: true, openAtLogin: true });
  assert.deepEqual(win32.app.loginSettings, [{ openAtLogin: true, args: [HIDDEN_ARG] }]);
  await win32.ipcHandlers['login-item:set'](win32.event(), false);
  assert.deepEqual(win32.app.loginSettings.at(-1), { openAtLogin: false, args: [HIDDEN_ARG] });

  const mac = await start({ platform: 'darwin' });
  await mac.ipcHandlers['login-item:set'](mac.event(), true);
  assert.deepEqual(mac.app.loginSettings, [{ openAtLogin: true }]);

  const linux = await start({ platform: 'linux' });
  assert.deepEqual(await linux.ipcHandlers['login-item:set'](linux.event(), true), { supported: false, openAtLogin: false });
  assert.deepEqual(linux.app.loginSettings, []);
});

test('started at login on Windows, the app waits in the tray', async () => {
  const { win } = await start({ platform: 'win32', argv: ['messenger.exe', HIDDEN_ARG] });
  win.emit('ready-to-show');
  assert.equal(win.visible, false);
  const normal = await start({ platform: 'win32', argv: ['messenger.exe'] });
  normal.win.emit('ready-to-show');
  assert.equal(normal.win.visible, true);
});

test('links open in the system browser, never in the window', async () => {
  const { win, opened } = await start();
  let prevented = false;
  win.webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://example.com/page');
  assert.equal(prevented, true);
  assert.deepEqual(win.webContents.openHandler({ url: 'https://example.com/new' }), { action: 'deny' });
  assert.deepEqual(win.webContents.openHandler({ url: 'javascript:alert(1)' }), { action: 'deny' });
  assert.deepEqual(opened, ['https://example.com/page', 'https://example.com/new']);
  let webview = false;
  win.webContents.emit('will-attach-webview', { preventDefault: () => (webview = true) }, {}, {});
  assert.equal(webview, true, 'no <webview> inside the app');
});

test('the icon the main process reads at run time is packaged', () => {
  const builderYml = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
  assert.match(builderYml, /^\s+- build\/icon\.png$/m);
  assert.ok(existsSync(path.join(root, 'build', 'icon.png')));
});

test('the window comes back where it was, maximised if it was', async () => {
  const first = await start();
  first.win.bounds = { x: 300, y: 200, width: 1000, height: 700 };
  first.win.emit('move');
  first.timers.runAll(); // the debounced save
  first.win.maximize();
  first.win.close();
  const saved = JSON.parse(readFileSync(path.join(first.userData, 'config.json'), 'utf8')).windowState;
  assert.deepEqual(saved, { x: 300, y: 200, width: 1000, height: 700, maximized: true });

  // The next start, with the same userData.
  const again = fakeElectron();
  writeFileSync(path.join(again.userData, 'config.json'), JSON.stringify({ windowState: saved }));
  const running = startDesktop(again.electron, { root, env: {}, platform: 'linux', argv: [], log: quiet, timers: fakeTimers(), loadUpdater: () => null });
  await running.ready;
  const win = again.windows[0];
  assert.deepEqual([win.options.x, win.options.y, win.options.width, win.options.height], [300, 200, 1000, 700]);
  win.emit('ready-to-show');
  assert.equal(win.maximized, true);
  assert.equal(win.visible, true);
});

test('a window saved on a display that is gone is moved onto the screen', () => {
  const laptop = { workArea: { x: 0, y: 0, width: 1440, height: 870 } };
  const external = { workArea: { x: 1440, y: 0, width: 2560, height: 1400 } };
  const saved = { x: 2000, y: 100, width: 1600, height: 1000, maximized: false };
  assert.deepEqual(restoreBounds(saved, [laptop, external], laptop), saved, 'still there');
  // Unplugged: no position (Electron centres it), the size fits the display left.
  assert.deepEqual(restoreBounds(saved, [laptop], laptop), { width: 1440, height: 870, maximized: false });
  // Only the bottom-right corner was still on screen: the title bar cannot be reached.
  assert.equal(restoreBounds({ x: -1500, y: -950, width: 1600, height: 1000 }, [laptop], laptop).x, undefined);
  // Nothing saved, or garbage: the default size.
  assert.deepEqual(restoreBounds(undefined, [laptop], laptop), { width: 1200, height: 800, maximized: false });
  assert.deepEqual(restoreBounds({ x: 'a', width: -5, height: null }, [laptop], laptop), { width: 380, height: 800, maximized: false });
});

test('window state is saved debounced on moves and at once on close', () => {
  const saves = [];
  const timers = fakeTimers();
  const handlers = {};
  const win = {
    on: (e, fn) => (handlers[e] = fn),
    getNormalBounds: () => ({ x: 1, y: 2, width: 800, height: 600 }),
    isMaximized: () => false,
    isDestroyed: () => false,
  };
  trackWindowState(win, (s) => saves.push(s), timers);
  handlers.resize();
  handlers.move();
  assert.equal(saves.length, 0);
  assert.equal(timers.pending.size, 1, 'one pending save for both');
  timers.runAll();
  handlers.close();
  assert.deepEqual(saves, [{ x: 1, y: 2, width: 800, height: 600, maximized: false }, { x: 1, y: 2, width: 800, height: 600, maximized: false }]);
});

function fakeUpdater({ fail = null } = {}) {
  const updater = {
    feeds: [],
    checks: 0,
    handlers: {},
    setFeedURL(feed) {
      updater.feeds.push(feed);
    },
    on(name, fn) {
      updater.handlers[name] = fn;
    },
    checkForUpdatesAndNotify() {
      updater.checks += 1;
      if (fail === 'throw') throw new Error('no network');
      if (fail === 'reject') return Promise.reject(new Error('404'));
      return Promise.resolve(null);
    },
  };
  return updater;
}

test('updates: never in development', () => {
  let loaded = false;
  const result = setupAutoUpdate({ app: { isPackaged: false }, loadUpdater: () => (loaded = true), log: quiet });
  assert.equal(result, null);
  assert.equal(loaded, false, 'electron-updater is not even loaded');
});

test('updates: checked on start and every four hours, from the build feed or a configured generic URL', async () => {
  const timers = fakeTimers();
  const built = fakeUpdater();
  setupAutoUpdate({ app: { isPackaged: true }, loadUpdater: () => built, env: {}, log: quiet, setInterval: timers.setInterval });
  assert.equal(built.checks, 1);
  assert.deepEqual(built.feeds, [], "the build's own feed (app-update.yml)");
  const [interval] = [...timers.pending.values()];
  assert.equal(interval.ms, 4 * 60 * 60 * 1000);
  timers.runAll();
  assert.equal(built.checks, 2);

  const env = fakeUpdater();
  setupAutoUpdate({ app: { isPackaged: true }, loadUpdater: () => env, env: { MESSENGER_UPDATE_URL: 'https://updates.corp.example/messenger/' }, config: { updateUrl: 'https://other.example' }, log: quiet, setInterval: timers.setInterval });
  assert.deepEqual(env.feeds, [{ provider: 'generic', url: 'https://updates.corp.example/messenger' }]);

  const fromConfig = fakeUpdater();
  setupAutoUpdate({ app: { isPackaged: true }, loadUpdater: () => fromConfig, config: { updateUrl: 'https://other.example' }, log: quiet, setInterval: timers.setInterval });
  assert.deepEqual(fromConfig.feeds, [{ provider: 'generic', url: 'https://other.example' }]);

  assert.equal(feedUrl('http://updates.example.org'), null, 'no plain http from afar');
  assert.equal(feedUrl('http://127.0.0.1:8080/u/'), 'http://127.0.0.1:8080/u');
});

test('updates: errors are logged, not thrown', async () => {
  const warnings = [];
  const log = { info() {}, warn: (...a) => warnings.push(a.join(' ')) };
  const timers = fakeTimers();
  for (const fail of ['throw', 'reject']) {
    const updater = fakeUpdater({ fail });
    const result = setupAutoUpdate({ app: { isPackaged: true }, loadUpdater: () => updater, log, setInterval: timers.setInterval });
    assert.equal(await result.first, null);
    updater.handlers.error(new Error('signature mismatch'));
  }
  const missing = setupAutoUpdate({ app: { isPackaged: true }, loadUpdater: () => { throw new Error('Cannot find module'); }, log, setInterval: timers.setInterval });
  assert.equal(missing, null);
  assert.deepEqual(warnings.map((w) => w.split(':')[0]), ['updates', 'updates', 'updates', 'updates', 'updates']);
});

test('a packaged app starts the updater with the environment it was given', async () => {
  const fake = fakeElectron({ isPackaged: true });
  const updater = fakeUpdater();
  const running = startDesktop(fake.electron, { root, env: { MESSENGER_UPDATE_URL: 'https://u.example' }, platform: 'linux', argv: [], log: quiet, timers: fakeTimers(), loadUpdater: () => updater });
  await running.ready;
  assert.equal(updater.checks, 1);
  assert.deepEqual(updater.feeds, [{ provider: 'generic', url: 'https://u.example' }]);
});

test('the tray menu without a tray: the template alone', () => {
  const labels = { tray_open: 'O', tray_mute_hour: 'M', tray_unmute: 'U', tray_quit: 'Q' };
  const calls = [];
  const actions = { open: () => calls.push('open'), muteHour: () => calls.push('mute'), unmute: () => calls.push('unmute'), quit: () => calls.push('quit') };
  const items = trayMenuTemplate({ mutedUntil: 0, now: NOW, labels }, actions).filter((i) => i.click);
  for (const i of items) i.click();
  assert.deepEqual(calls, ['open', 'mute', 'quit']);
  const muted = trayMenuTemplate({ mutedUntil: NOW + 1, now: NOW, labels }, actions);
  assert.equal(muted[1].label, 'U');
});
