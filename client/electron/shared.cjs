// Pure helpers of the Electron main process (no electron import), unit-tested in Node.

const path = require('node:path');

/** A URL typed or configured by someone (trimmed), or null when it is empty or no URL. */
function parseUrl(raw) {
  if (typeof raw !== 'string' || !raw.trim()) return null;
  try {
    return new URL(raw.trim());
  } catch {
    return null;
  }
}

/** `http(s)://host[:port]` without a trailing slash, or null for anything else. */
function normalizeServerUrl(raw) {
  const url = parseUrl(raw);
  if (!url) return null;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash) return null;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The page's Content-Security-Policy: own files only, network only to the server. */
function buildCsp(serverUrl) {
  const origin = new URL(serverUrl).origin;
  const ws = origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${origin} https:`,
    `connect-src 'self' ${origin} ${ws}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Maps an app:// path to a file: /locales/* -> locales/, everything else -> renderer/.
 * Returns null for anything that would leave those directories.
 */
function resolveAppPath(root, pathname) {
  let rel;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const [base, sub] = rel.startsWith('/locales/')
    ? [path.join(root, 'locales'), rel.slice('/locales/'.length)]
    : [path.join(root, 'renderer'), rel.replace(/^\/+/, '') || 'index.html'];
  const file = path.resolve(base, sub);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  return file;
}

const EXTERNAL_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** A link the system may open (http, https, mailto), normalised; anything else null. */
function externalUrl(raw) {
  if (typeof raw !== 'string') return null;
  let url;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  return EXTERNAL_SCHEMES.has(url.protocol) ? url.href : null;
}

/**
 * The window shows only the app: navigating away and opening windows are refused, and a
 * link to an http(s) or mailto URL opens in the system's browser or mail client instead.
 */
function guardNavigation(webContents, shell) {
  webContents.on('will-navigate', (event, url) => {
    if (String(url).startsWith('app://./')) return;
    event.preventDefault();
    const external = externalUrl(url);
    if (external) shell.openExternal(external);
  });
  // No <webview> either: it would be a browser inside the app, outside these rules.
  webContents.on('will-attach-webview', (event) => event.preventDefault());
  webContents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) shell.openExternal(external);
    return { action: 'deny' };
  });
}

module.exports = { parseUrl, normalizeServerUrl, buildCsp, resolveAppPath, externalUrl, guardNavigation };
