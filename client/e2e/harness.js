// Shared pieces of the browser tests: a real server process (SQLite in a temp dir, the same
// database across restarts), Debian's Chromium through playwright-core, and UI helpers.

import { spawn, spawnSync } from 'node:child_process';
import { before, after } from 'node:test';
import { mkdtempSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));
export const REPO = resolve(here, '..', '..');
export const SCREENSHOTS = join(here, 'screenshots');
const VENV_BIN = process.env.MESSENGER_VENV_BIN || join(REPO, '.venv', 'bin');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** A messenger server on a fresh SQLite database; stop() and start() keep the database. */
export class MessengerServer {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'messenger-e2e-'));
    this.env = {
      ...process.env,
      MESSENGER_DATABASE_URL: `sqlite+aiosqlite:///${join(this.dir, 'db.sqlite')}`,
      // Fixed for the whole run: tokens issued before a restart must stay valid after it.
      MESSENGER_SECRET_KEY: 'e2e-secret-key-that-is-long-enough-0123456789',
      MESSENGER_UPLOAD_DIR: join(this.dir, 'uploads'),
      MESSENGER_AUTH_RATE_LIMIT: '1000',
      // Tests seed chats over REST far faster than a person posts or opens chats (0: no
      // limit): the chat-list test opens 130 dialogs at once.
      MESSENGER_LIMIT_POST_RATE: '0',
      MESSENGER_LIMIT_CHATS_PER_HOUR: '0',
      // Every chat counts as big: typing reaches only sockets that joined the chat, so the
      // typing test also proves the client joins the chat it shows.
      MESSENGER_TYPING_JOINED_ABOVE: '1',
      PYTHONUNBUFFERED: '1',
    };
    this.proc = null;
    this.log = '';
    this.port = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (!this.port) {
      this.port = await freePort();
      mkdirSync(join(this.dir, 'uploads'), { recursive: true });
      const migrate = spawnSync(join(VENV_BIN, 'messenger'), ['migrate'], { env: this.env, cwd: this.dir, encoding: 'utf8' });
      if (migrate.status !== 0) throw new Error(`messenger migrate failed:\n${migrate.stdout}\n${migrate.stderr}`);
    }
    this.proc = spawn(join(VENV_BIN, 'python'), [join(here, 'server.py'), '--port', String(this.port)], {
      env: this.env,
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk) => {
      this.log = (this.log + chunk.toString()).slice(-20000);
    };
    this.proc.stdout.on('data', append);
    this.proc.stderr.on('data', append);
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`server exited:\n${this.log}`);
      try {
        const r = await fetch(`${this.url}/api/v1/health`);
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`server did not start:\n${this.log}`);
  }

  /** SIGTERM, as an operator would; waits until the process is gone. */
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
    this.proc = null;
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`bash scripts/services.sh chromium\``);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A new browser context + page with console errors collected. */
export async function newUserPage(browser, baseUrl, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|WebSocket connection/.test(m.text())) {
      page.errors.push(`console: ${m.text()}`);
    }
  });
  await page.goto(baseUrl);
  await page.waitForSelector('#auth-screen:not([hidden]), #main-screen:not([hidden])');
  return page;
}

/** The e2e users' password (not among the most common ones, which the server refuses). */
export const PASSWORD = 'tulip orbit 2931';

export async function register(page, { username, password = PASSWORD, display_name, email }) {
  await page.click('.auth-tab[data-mode="register"]');
  await page.fill('input[name="username"]', username);
  if (display_name) await page.fill('input[name="display_name"]', display_name);
  if (email) await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.fill('input[name="password2"]', password);
  await page.click('#auth-submit');
}

export async function openDialogWith(page, username) {
  await page.fill('#search', username);
  await page.click(`#search-results .person >> text=@${username}`);
  await page.waitForSelector('#chat-view:not([hidden])');
}

export async function send(page, text) {
  await page.click('#composer-input');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** Messages whose text is exactly `text` (confirmed and pending). */
export function bubbles(page, text) {
  return page.locator('.msg .msg-text', { hasText: text }).filter({ hasText: new RegExp(`^${escapeRe(text)}$`) });
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function shot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually(fn, { timeout = 10000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${message} (last: ${last})`);
}

/** The chat list row whose title is `title`. */
export function chatItem(page, title) {
  return page.locator('#chat-list .chat-item').filter({ has: page.locator('.chat-item-title', { hasText: title }) });
}

/** A REST call to the server's API (for seeding data faster than through the UI). */
export async function rest(server, token, method, path, body = undefined) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${server.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json();
}

/** Resolves after the page has drawn two more frames (layout and scroll settled). */
export function settled(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * For a describe block: a server on a fresh database and a browser, started before its tests
 * and stopped after them. The returned object holds them (`ctx.server`, `ctx.browser`).
 */
export function serverAndBrowser() {
  const ctx = { server: null, browser: null };
  before(async () => {
    ctx.server = new MessengerServer();
    await ctx.server.start();
    ctx.browser = await launchBrowser();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.dispose();
  });
  return ctx;
}

/** The signed-in page's access token (for REST checks of what the UI did). */
export function tokenOf(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('messenger.session')).access_token);
}

/** Signs in on the login form (the page shows the sign-in screen). */
export async function logIn(page, username, password = PASSWORD) {
  await page.click('.auth-tab[data-mode="login"]');
  await page.fill('input[name="login"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('#auth-submit');
  await page.waitForSelector('#main-screen:not([hidden])');
}

/** A PNG of `width`×`height` drawn in the page (two colours, so a crop has something to show). */
export async function pngFile(page, name, width, height) {
  const base64 = await page.evaluate(
    ([w, h]) => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#d9480f';
      ctx.fillRect(0, 0, w, h);
      ctx.fillStyle = '#1971c2';
      ctx.fillRect(w / 4, h / 4, w / 2, h / 2);
      return canvas.toDataURL('image/png').split(',')[1];
    },
    [width, height],
  );
  return { name, mimeType: 'image/png', buffer: Buffer.from(base64, 'base64') };
}
