// Formatting in the browser: the Markdown subset becomes elements, hostile payloads stay
// inert text (no script runs, no handler fires, no element but the allowed ones, no link
// but http/https/mailto), and links open outside the app (a new window, never in place).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, chatItem, logIn, newUserPage, PASSWORD, rest, serverAndBrowser } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ALLOWED = ['STRONG', 'EM', 'S', 'CODE', 'PRE', 'BLOCKQUOTE', 'A', 'SPAN'];

const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '[click](javascript:window.__pwned=3)',
  '[click](JaVaScRiPt:window.__pwned=4)',
  '[click]( javascript:window.__pwned=5 )',
  '[click](java\tscript:window.__pwned=6)',
  '[click](javascript&#58;window.__pwned=7)',
  '[click](data:text/html,<script>parent.__pwned=8</script>)',
  '[click](vbscript:msgbox)',
  '**<svg onload="window.__pwned=9">**',
  '_*~~`<iframe src="javascript:parent.__pwned=10">`~~*_',
  '```\n<script>window.__pwned=11</script>\nno closing fence',
  `${'*'.repeat(3000)}${'[x]('.repeat(500)}`,
];

describe('formatting', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('the subset renders, hostile payloads stay text, links open outside', async () => {
    const alice = await rest(ctx.server, null, 'POST', '/auth/register', { username: `fal_${stamp}`, password: PASSWORD, display_name: 'Алиса' });
    const bob = await rest(ctx.server, null, 'POST', '/auth/register', { username: `fbo_${stamp}`, password: PASSWORD, display_name: 'Борис' });
    const chat = await rest(ctx.server, bob.access_token, 'POST', '/chats', { kind: 'direct', user_id: alice.user.id });
    const post = (text, i) => rest(ctx.server, bob.access_token, 'POST', `/chats/${chat.id}/messages`, { client_id: `m-${stamp}-${i}`, text });
    const formatted = await post('**жирный** *курсив* ~~зачёркнутый~~ `код` [сайт](https://example.com/путь) и https://example.org.\n> цитата\n```\nблок **кода**\n```', 0);
    const hostile = [];
    for (const [i, text] of HOSTILE.entries()) hostile.push(await post(text, i + 1));

    const page = await newUserPage(ctx.browser, ctx.server.url);
    await logIn(page, alice.user.username);
    await chatItem(page, 'Борис').click();
    const row = page.locator(`.msg[data-id="${formatted.id}"] .msg-text`);
    await row.waitFor();
    assert.equal(await row.locator('strong').first().textContent(), 'жирный');
    assert.equal(await row.locator('em').textContent(), 'курсив');
    assert.equal(await row.locator('s').textContent(), 'зачёркнутый');
    assert.equal(await row.locator(':scope > code').textContent(), 'код');
    assert.equal(await row.locator('blockquote').textContent(), 'цитата');
    assert.equal(await row.locator('pre code').textContent(), 'блок **кода**');
    const links = await row.locator('a').evaluateAll((els) => els.map((a) => [a.textContent, a.getAttribute('href'), a.target, a.rel]));
    assert.deepEqual(links, [
      ['сайт', 'https://example.com/%D0%BF%D1%83%D1%82%D1%8C', '_blank', 'noopener noreferrer'],
      ['https://example.org', 'https://example.org/', '_blank', 'noopener noreferrer'],
    ]);

    await page.locator(`.msg[data-id="${hostile.at(-1).id}"]`).waitFor();
    // Clicking every link and every element of the hostile messages runs nothing.
    for (const m of hostile) {
      const text = page.locator(`.msg[data-id="${m.id}"] .msg-text`);
      const tags = await text.evaluate((el) => [...el.querySelectorAll('*')].map((e) => e.tagName));
      for (const tag of tags) assert.ok(ALLOWED.includes(tag), `${tag} in ${m.text.slice(0, 40)}`);
      const hrefs = await text.evaluate((el) => [...el.querySelectorAll('a')].map((a) => a.getAttribute('href')));
      for (const href of hrefs) assert.match(href, /^(https?:|mailto:)/);
      const attrs = await text.evaluate((el) => [...el.querySelectorAll('*')].flatMap((e) => e.getAttributeNames()));
      for (const name of attrs) assert.ok(['class', 'href', 'target', 'rel'].includes(name), name);
    }
    assert.equal(await page.locator(`.msg[data-id="${hostile[0].id}"] .msg-text`).textContent(), HOSTILE[0]);
    assert.equal(await page.locator(`.msg[data-id="${hostile[1].id}"] .msg-text`).textContent(), HOSTILE[1]);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload ran');

    // A link opens a new window (Electron hands it to the system browser), never in place.
    await page.context().route('https://example.com/**', (route) => route.fulfill({ body: 'outside' }));
    const [popup] = await Promise.all([page.context().waitForEvent('page'), row.locator('a').first().click()]);
    await popup.waitForLoadState();
    assert.equal(popup.url(), 'https://example.com/%D0%BF%D1%83%D1%82%D1%8C');
    await popup.close();
    assert.equal(new URL(page.url()).origin, ctx.server.url.replace(/\/$/, ''));
    await eventually(async () => (await page.evaluate(() => window.__pwned)) === undefined, { message: 'still nothing ran' });
    assert.deepEqual(page.errors, []);
  });
});
