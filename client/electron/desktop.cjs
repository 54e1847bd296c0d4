// The Electron main process, as one function of Electron's API (faked in the unit tests):
// one window that loads the renderer from the app's own `app://` scheme, a tray, the unread
// badge, start at login, remembered window bounds and auto-update. All messenger logic
// lives in the renderer; it reports what the desktop shows (unread count, mute, language)
// over the preload bridge.

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { buildCsp, guardNavigation, normalizeServerUrl, resolveAppPath } = require('./shared.cjs');
const { restoreBounds, trackWindowState, MIN_SIZE } = require('./window-state.cjs');
const { badgeText, drawBadge } = require('./badge.cjs');
const { createTray, HOUR_MS } = require('./tray.cjs');
const { setupAutoUpdate } = require('./updater.cjs');

const APP_ID = 'org.messenger.desktop';
const LANGUAGES = ['ru', 'en'];
// Started at login on Windows: straight to the tray, without a window in the user's face.
const HIDDEN_ARG = '--hidden';
// The page may ask for these; everything else (camera, geolocation...) is refused.
const ALLOWED_PERMISSIONS = new Set(['notifications', 'clipboard-sanitized-write']);

/** The config file in userData: {serverUrl, updateUrl, windowState}. */
function configStore(file) {
  const read = () => {
    try {
      return JSON.parse(fs.readFileSync(file(), 'utf8')) || {};
    } catch {
      return {};
    }
  };
  const write = (patch) => {
    const next = { ...read(), ...patch };
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(file(), JSON.stringify(next, null, 2));
    return next;
  };
  return { read, write };
}

/** The main process's strings (tray, badge) in one of the renderer's languages. */
function loadLabels(root, language) {
  const lang = LANGUAGES.includes(language) ? language : 'en';
  const read = (l) => JSON.parse(fs.readFileSync(path.join(root, 'locales', `${l}.json`), 'utf8'));
  const locale = read(lang);
  return { app_name: locale.app?.name || 'Messenger', ...read('en').desktop, ...locale.desktop };
}

/** Whether an IPC message comes from the app's own page (not some frame it navigated to). */
function fromApp(event) {
  const url = event?.senderFrame?.url ?? event?.sender?.getURL?.() ?? '';
  return String(url).startsWith('app://./');
}

/** What start at login can do here: macOS and Windows only (Linux has no such API). */
function loginItem(app, platform) {
  const supported = platform === 'darwin' || platform === 'win32';
  if (!supported) return { supported, openAtLogin: false };
  const query = platform === 'win32' ? { args: [HIDDEN_ARG] } : undefined;
  return { supported, openAtLogin: !!app.getLoginItemSettings(query).openAtLogin };
}

function setLoginItem(app, platform, on) {
  if (!loginItem(app, platform).supported) return loginItem(app, platform);
  app.setLoginItemSettings({ openAtLogin: !!on, ...(platform === 'win32' ? { args: [HIDDEN_ARG] } : {}) });
  return loginItem(app, platform);
}

/**
 * Runs the desktop app. `electron` is Electron's module (or a fake); the options say where
 * the app's files are and what the process was started with. Returns the running state
 * (for tests), or null when another instance is running and this one quits.
 */
function startDesktop(electron, {
  root,
  env = process.env,
  platform = process.platform,
  argv = process.argv,
  loadUpdater = () => require('electron-updater').autoUpdater,
  log = console,
  timers = { setTimeout, clearTimeout, setInterval },
  now = () => Date.now(),
}) {
  const { app, BrowserWindow, ipcMain, protocol, net, shell, session, screen, Menu, Tray, nativeImage } = electron;

  // A second start only wakes the first (handled below in 'second-instance').
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }

  protocol.registerSchemesAsPrivileged([
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  ]);
  if (platform === 'win32') app.setAppUserModelId(APP_ID); // toasts need it on Windows

  const config = configStore(() => path.join(app.getPath('userData'), 'config.json'));
  const iconPath = path.join(root, 'build', 'icon.png');
  const defaultServer = env.MESSENGER_SERVER_URL || 'http://127.0.0.1:8000';
  const state = {
    window: null,
    tray: null,
    quitting: false,
    unread: 0,
    mutedUntil: 0,
    labels: loadLabels(root, 'en'), // the system's language once ready, then the page's
    updates: null,
    ready: false,
    language: null, // the page's, once it said
  };

  const serverUrl = () => normalizeServerUrl(config.read().serverUrl) || normalizeServerUrl(defaultServer);

  function showWindow() {
    if (!state.ready) return; // the window being created will show
    const win = state.window;
    if (!win || win.isDestroyed()) {
      createWindow({ show: true });
      return;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  function createWindow({ show }) {
    const bounds = restoreBounds(config.read().windowState, screen.getAllDisplays(), screen.getPrimaryDisplay());
    const { maximized, ...rect } = bounds;
    const win = new BrowserWindow({
      ...rect,
      minWidth: MIN_SIZE.width,
      minHeight: MIN_SIZE.height,
      show: false,
      title: 'Messenger',
      backgroundColor: '#eef1f7',
      icon: iconPath,
      webPreferences: {
        preload: path.join(__dirname, 'preload.cjs'),
        contextIsolation: true,
        nodeIntegration: false,
        sandbox: true,
        webSecurity: true,
        spellcheck: true,
      },
    });
    state.window = win;
    win.removeMenu();
    trackWindowState(win, (windowState) => config.write({ windowState }), timers);
    win.once('ready-to-show', () => {
      if (maximized) win.maximize();
      if (show) win.show();
    });
    // Windows: closing the window keeps the app in the tray; only Quit ends it.
    win.on('close', (event) => {
      if (platform === 'win32' && state.tray && !state.quitting) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      if (state.window === win) state.window = null;
    });
    // Host ".": the page's origin is then "app://.", which the server allows by default.
    win.loadURL('app://./index.html');
    // The window shows only the app; links open in the system browser.
    guardNavigation(win.webContents, shell);
    showUnread();
    return win;
  }

  // --- what the renderer reports: the dock/taskbar badge and the tray --------------------

  function showUnread() {
    const { unread, labels } = state;
    app.setBadgeCount?.(unread);
    const win = state.window;
    if (platform === 'win32' && win && !win.isDestroyed()) {
      const text = badgeText(unread);
      const image = text ? nativeImage.createFromBitmap(drawBadge(text, 32), { width: 32, height: 32 }) : null;
      win.setOverlayIcon(image, text ? labels.tray_unread.replace('{count}', String(unread)) : '');
    }
    state.tray?.update({ unread, mutedUntil: state.mutedUntil, labels });
  }

  function onRendererState(event, data) {
    if (!fromApp(event) || !data || typeof data !== 'object') return;
    const unread = Number(data.unread);
    const mutedUntil = Number(data.mutedUntil);
    state.unread = Number.isSafeInteger(unread) && unread > 0 ? Math.min(unread, 1e6) : 0;
    state.mutedUntil = Number.isFinite(mutedUntil) && mutedUntil > 0 ? mutedUntil : 0;
    if (LANGUAGES.includes(data.language) && data.language !== state.language) {
      state.language = data.language;
      state.labels = loadLabels(root, data.language);
    }
    showUnread();
  }

  /** Tells the page to mute every notification until a time (0: unmute). */
  function sendMute(until) {
    const win = state.window;
    if (win && !win.isDestroyed()) win.webContents.send('notify:mute-until', until);
  }

  function quit() {
    state.quitting = true;
    app.quit();
  }

  // --- lifecycle -------------------------------------------------------------------------

  app.on('second-instance', () => showWindow());
  app.on('before-quit', () => {
    state.quitting = true;
  });
  app.on('window-all-closed', () => {
    if (platform !== 'darwin') app.quit();
  });

  const ready = app.whenReady().then(() => {
    // Windows knows the locale only once the app is ready.
    state.labels = loadLabels(root, String(app.getLocale?.() || '').slice(0, 2));
    // Serve renderer/ and locales/ under app://./, with the CSP on every answer.
    protocol.handle('app', async (request) => {
      const file = resolveAppPath(root, new URL(request.url).pathname);
      if (!file) return new Response('Not found', { status: 404 });
      const response = await net.fetch(pathToFileURL(file).toString());
      const headers = new Headers(response.headers);
      headers.set('Content-Security-Policy', buildCsp(serverUrl()));
      headers.set('X-Content-Type-Options', 'nosniff');
      return new Response(response.body, { status: response.status, headers });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission)));

    ipcMain.handle('config:get-server-url', () => serverUrl());
    ipcMain.handle('config:set-server-url', (event, raw) => {
      if (!fromApp(event)) return false;
      const url = normalizeServerUrl(raw);
      if (!url) return false;
      config.write({ serverUrl: url });
      // The CSP and every connection depend on the server: start the page afresh.
      state.window?.webContents.reloadIgnoringCache();
      return true;
    });
    ipcMain.on('desktop:state', onRendererState);
    ipcMain.on('desktop:focus', (event) => {
      if (fromApp(event)) showWindow();
    });
    ipcMain.handle('login-item:get', () => loginItem(app, platform));
    ipcMain.handle('login-item:set', (event, on) => (fromApp(event) ? setLoginItem(app, platform, on === true) : loginItem(app, platform)));

    try {
      state.tray = createTray({ Tray, Menu, nativeImage }, {
        iconPath,
        platform,
        now,
        actions: {
          open: showWindow,
          muteHour: () => sendMute(now() + HOUR_MS),
          unmute: () => sendMute(0),
          quit,
        },
      });
    } catch (err) {
      // Some Linux desktops have no tray; the window then closes as usual.
      log.warn('tray unavailable:', err?.message || err);
    }

    const startHidden = argv.includes(HIDDEN_ARG) && state.tray !== null;
    state.ready = true;
    createWindow({ show: !startHidden });
    // macOS: the dock icon brings the window back (or a new one once it was closed).
    app.on('activate', () => showWindow());
    state.updates = setupAutoUpdate({ app, loadUpdater, env, config: config.read(), log, setInterval: timers.setInterval });
  });

  return { state, ready, showWindow, quit, config };
}

module.exports = { startDesktop, loginItem, setLoginItem, loadLabels, fromApp, APP_ID, HIDDEN_ARG, ALLOWED_PERMISSIONS };
