// Electron main process: one window that loads the renderer from the app's own `app://`
// scheme (not file://, which would give the page a "null" origin the server rejects),
// with context isolation, a sandboxed renderer without Node, and a strict CSP built from
// the configured server URL. All messenger logic lives in the renderer.

const { app, BrowserWindow, ipcMain, protocol, net, shell, session } = require('electron');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { buildCsp, guardNavigation, normalizeServerUrl, resolveAppPath } = require('./shared.cjs');

const ROOT = path.join(__dirname, '..');
const DEFAULT_SERVER = process.env.MESSENGER_SERVER_URL || 'http://127.0.0.1:8000';

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);

function configPath() {
  return path.join(app.getPath('userData'), 'config.json');
}

function readConfig() {
  try {
    return JSON.parse(fs.readFileSync(configPath(), 'utf8'));
  } catch {
    return {};
  }
}

function serverUrl() {
  return normalizeServerUrl(readConfig().serverUrl) || normalizeServerUrl(DEFAULT_SERVER);
}

function writeServerUrl(url) {
  const config = { ...readConfig(), serverUrl: url };
  fs.mkdirSync(path.dirname(configPath()), { recursive: true });
  fs.writeFileSync(configPath(), JSON.stringify(config, null, 2));
}

let mainWindow = null;

function createWindow() {
  mainWindow = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 380,
    minHeight: 520,
    title: 'Messenger',
    backgroundColor: '#eef1f7',
    icon: path.join(ROOT, 'build', 'icon.png'),
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: true,
    },
  });
  mainWindow.removeMenu();
  // Host ".": the page's origin is then "app://.", which the server allows by default.
  mainWindow.loadURL('app://./index.html');

  // The window shows only the app; links open in the system browser.
  guardNavigation(mainWindow.webContents, shell);
}

app.whenReady().then(() => {
  // Serve renderer/ and locales/ under app://./, with the CSP on every answer.
  protocol.handle('app', async (request) => {
    const file = resolveAppPath(ROOT, new URL(request.url).pathname);
    if (!file) return new Response('Not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', buildCsp(serverUrl()));
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
  // No camera, microphone, geolocation... for this app.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  ipcMain.handle('config:get-server-url', () => serverUrl());
  ipcMain.handle('config:set-server-url', (_event, raw) => {
    const url = normalizeServerUrl(raw);
    if (!url) return false;
    writeServerUrl(url);
    // The CSP and every connection depend on the server: start the page afresh.
    mainWindow?.webContents.reloadIgnoringCache();
    return true;
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
