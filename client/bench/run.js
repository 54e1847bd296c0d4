#!/usr/bin/env node
// The client benchmark (`make bench-client`): one real server (SQLite, as the browser tests
// run it) and one headless Chromium, then every phase of bench/phases/*.js in name order.
// Each phase seeds what it needs through ctx.seed, drives pages of the real client and
// reports figures with ctx.report; the runner prints them next to their targets and writes
// them to bench/results/latest.json.
//
//   node bench/run.js [--quick] [--only <phase>[,<phase>]]
//
// --quick (or BENCH_CLIENT_QUICK=1) is the bounded form CI runs: smaller data, same
// measurements (each phase states its sizes in its own header). A missed target prints MISS
// but does not fail the run: on a shared CI machine the figures are noisy. Errors do fail it.
//
// A phase module: `export const name = 'chat-list'` and `export async function run(ctx)`,
// ctx = { server, browser, report, seed, quick, log, openPage }.

import { readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessengerServer, launchBrowser, logIn } from '../e2e/harness.js';
import { createSeed } from './seed.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv) {
  const opts = { quick: process.env.BENCH_CLIENT_QUICK === '1', only: null };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--full') opts.quick = false;
    else if (a === '--only') opts.only = argv[++i].split(',');
    else if (a.startsWith('--only=')) opts.only = a.slice(7).split(',');
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/run.js [--quick] [--only <phase>[,<phase>]]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

/** Figures as text: integers plainly, others with three significant digits at most. */
function fmt(v) {
  if (v === null || v === undefined) return '-';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function table(rows) {
  const head = ['phase', 'metric', 'value', 'unit', 'target', 'ok'];
  const cells = rows.map((r) => [r.phase, r.metric, fmt(r.value), r.unit || '', r.target ?? '', r.ok === undefined ? '' : r.ok ? 'ok' : 'MISS']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((x, i) => (i === 2 ? String(x).padStart(widths[i]) : String(x).padEnd(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const phaseDir = join(here, 'phases');
  const files = readdirSync(phaseDir).filter((f) => f.endsWith('.js')).sort();
  const phases = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(phaseDir, f)).href);
    if (!mod.name || typeof mod.run !== 'function') throw new Error(`${f}: a phase exports name and run(ctx)`);
    if (!opts.only || opts.only.includes(mod.name)) phases.push(mod);
  }
  if (opts.only) {
    const missing = opts.only.filter((n) => !phases.some((p) => p.name === n));
    if (missing.length) throw new Error(`no such phase: ${missing.join(', ')} (have: ${files.join(', ')})`);
  }

  const results = [];
  const errors = [];
  const started = new Date();
  const server = new MessengerServer();
  // Beyond the e2e server's lifted budgets: a bench user adds thousands of members and
  // uploads faster than a person would (0: no limit).
  Object.assign(server.env, { MESSENGER_LIMIT_MEMBER_ADDS_PER_HOUR: '0', MESSENGER_LIMIT_UPLOADS_PER_MINUTE: '0' });
  let browser = null;
  const t0 = performance.now();
  try {
    await server.start();
    browser = await launchBrowser();
    const seed = createSeed(server);
    for (const phase of phases) {
      const log = (...args) => console.log(`[${phase.name} ${((performance.now() - t0) / 1000).toFixed(1)}s]`, ...args);
      const report = ({ metric, value, unit = '', target = '', ok = undefined }) => {
        const row = { phase: phase.name, metric, value, unit, target, ok };
        results.push(row);
        log(`${metric}: ${fmt(value)} ${unit}${target ? ` (target ${target})` : ''}${ok === false ? '  MISS' : ''}`);
      };
      /** A page of the client signed in as `user` (from ctx.seed.users), on the main screen. */
      const openPage = async (user, size = {}) => {
        // newUserPage's own page, so that a page that never shows a screen says why.
        const context = await browser.newContext({ viewport: { width: size.width || 1280, height: size.height || 800 }, deviceScaleFactor: 1 });
        const page = await context.newPage();
        page.errors = [];
        page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
        page.on('console', (m) => m.type() === 'error' && page.errors.push(`console: ${m.text()}`));
        try {
          await page.goto(server.url);
          await logIn(page, user.username);
        } catch (err) {
          err.message += `\npage errors: ${page.errors.join('; ') || 'none'}`;
          throw err;
        }
        return page;
      };
      const ctx = { server, browser, report, seed, quick: opts.quick, log, openPage };
      log(`start (${opts.quick ? 'quick' : 'full'})`);
      const p0 = performance.now();
      try {
        await phase.run(ctx);
      } catch (err) {
        errors.push({ phase: phase.name, error: String(err?.stack || err) });
        console.error(`[${phase.name}] ERROR`, err);
      }
      log(`done in ${((performance.now() - p0) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    errors.push({ phase: null, error: String(err?.stack || err) });
    console.error('bench-client: ERROR', err, server.log.slice(-3000));
  } finally {
    await browser?.close().catch(() => {});
    await server.dispose().catch(() => {});
  }

  console.log(`\nclient benchmark (${opts.quick ? 'quick' : 'full'}), ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  console.log(table(results));
  const missed = results.filter((r) => r.ok === false);
  if (missed.length) console.log(`\nMISS: ${missed.map((r) => `${r.phase}/${r.metric}`).join(', ')}`);
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'latest.json');
  writeFileSync(file, `${JSON.stringify({ started: started.toISOString(), quick: opts.quick, node: process.version, results, errors }, null, 2)}\n`);
  console.log(`\nwritten to ${file}`);
  if (errors.length) {
    console.error(`\n${errors.length} error(s): ${errors.map((e) => e.phase || 'setup').join(', ')}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
