import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { normalizeServerUrl, buildCsp, resolveAppPath } = require('../electron/shared.cjs');
const root = path.resolve('/opt/messenger');

test('server URLs: http(s) origins only, trailing slash dropped', () => {
  assert.equal(normalizeServerUrl('http://127.0.0.1:8000/'), 'http://127.0.0.1:8000');
  assert.equal(normalizeServerUrl(' https://chat.example.com '), 'https://chat.example.com');
  assert.equal(normalizeServerUrl('https://example.com/messenger/'), 'https://example.com/messenger');
  for (const bad of ['', 'ftp://x', 'javascript:alert(1)', 'file:///etc/passwd', 'http://u:p@x', 'not a url', null, 42]) {
    assert.equal(normalizeServerUrl(bad), null, String(bad));
  }
});

test('the CSP allows scripts from the app only and the network only to the server', () => {
  const csp = buildCsp('https://chat.example.com');
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self' https:\/\/chat\.example\.com wss:\/\/chat\.example\.com/);
  assert.match(csp, /object-src 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
});

test('app:// paths map into renderer/ and locales/ and never outside', () => {
  assert.equal(resolveAppPath(root, '/index.html'), path.join(root, 'renderer', 'index.html'));
  assert.equal(resolveAppPath(root, '/'), path.join(root, 'renderer', 'index.html'));
  assert.equal(resolveAppPath(root, '/lib/api.js'), path.join(root, 'renderer', 'lib', 'api.js'));
  assert.equal(resolveAppPath(root, '/locales/ru.json'), path.join(root, 'locales', 'ru.json'));
  for (const bad of ['/../package.json', '/%2e%2e/electron/main.cjs', '/locales/../../etc/passwd', '/%00', '/%E0%A4%A']) {
    assert.equal(resolveAppPath(root, bad), null, bad);
  }
});

test('the window is isolated: contextIsolation, no nodeIntegration, sandbox', () => {
  const main = readFileSync(new URL('../electron/desktop.cjs', import.meta.url), 'utf8');
  assert.match(main, /contextIsolation: true/);
  assert.match(main, /nodeIntegration: false/);
  assert.match(main, /sandbox: true/);
  const preload = readFileSync(new URL('../electron/preload.cjs', import.meta.url), 'utf8');
  assert.deepEqual([...preload.matchAll(/(\w+): \(/g)].map((m) => m[1]), [
    'getServerUrl',
    'setServerUrl',
    'reportState',
    'focusWindow',
    'getLoginItem',
    'setLoginItem',
    'onMuteUntil',
  ]);
});

test('links leave the window only for the system browser, and only http, https and mailto', () => {
  const { externalUrl, guardNavigation } = require('../electron/shared.cjs');
  const handlers = {};
  let openHandler = null;
  const opened = [];
  // Electron's webContents and shell, faked: what the guard registers and what it opens.
  const webContents = {
    on: (name, fn) => (handlers[name] = fn),
    setWindowOpenHandler: (fn) => (openHandler = fn),
  };
  guardNavigation(webContents, { openExternal: (url) => opened.push(url) });

  const navigate = (url) => {
    let prevented = false;
    handlers['will-navigate']({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  assert.equal(navigate('app://./index.html'), false);
  assert.equal(navigate('https://example.com/a?b=1'), true);
  assert.deepEqual(openHandler({ url: 'mailto:bob@example.com' }), { action: 'deny' });
  assert.deepEqual(openHandler({ url: 'http://example.com' }), { action: 'deny' });
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', 'file:///etc/passwd', 'app://./x']) {
    assert.equal(externalUrl(bad), null, bad);
    navigate(bad);
    assert.deepEqual(openHandler({ url: bad }), { action: 'deny' });
  }
  assert.deepEqual(opened, ['https://example.com/a?b=1', 'mailto:bob@example.com', 'http://example.com/']);
});
