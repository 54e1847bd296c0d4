// The desktop build: electron-builder's configuration (fuses, update feed, Electron version)
// as electron-builder itself reads and validates it, and a toolchain that installs on the
// Node these machines have without engine warnings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const clientDir = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const packageJson = JSON.parse(readFileSync(path.join(clientDir, 'package.json'), 'utf8'));

// electron-builder logs to stdout in pieces, which node --test (reading its child's
// stdout) can choke on: its log goes nowhere here.
require('builder-util').log.stream = { write() {} };

async function builderConfig() {
  // electron-builder's own loader and schema check: a misspelt key fails here, not at release.
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js');
  const config = await getConfig(clientDir, path.join(clientDir, 'electron-builder.yml'), null);
  await validateConfiguration(config, { isEnabled: false, add() {} });
  return config;
}

test('the packaged binary has its dangerous fuses off and checks its asar', async () => {
  const { electronFuses: fuses, asar } = await builderConfig();
  assert.equal(asar, true);
  assert.equal(fuses.runAsNode, false, 'ELECTRON_RUN_AS_NODE ignored');
  assert.equal(fuses.enableNodeOptionsEnvironmentVariable, false, 'NODE_OPTIONS ignored');
  assert.equal(fuses.enableNodeCliInspectArguments, false, '--inspect ignored');
  assert.equal(fuses.enableEmbeddedAsarIntegrityValidation, true, 'asar integrity validated');
  assert.equal(fuses.onlyLoadAppFromAsar, true, 'only app.asar is loaded');
  assert.equal(fuses.grantFileProtocolExtraPrivileges, false);
});

test('updates come from a generic provider at an https URL', async () => {
  const { publish } = await builderConfig();
  const feeds = Array.isArray(publish) ? publish : [publish];
  assert.equal(feeds.length, 1);
  assert.equal(feeds[0].provider, 'generic');
  assert.match(feeds[0].url, /^https:\/\//);
  assert.equal(packageJson.dependencies['electron-updater'] !== undefined, true, 'electron-updater ships with the app');
});

test('one Electron version for packaging and for `npm start`', async () => {
  const { electronVersion } = await builderConfig();
  assert.match(electronVersion, /^\d+\.\d+\.\d+$/);
  assert.equal(packageJson.scripts.start, `npx --yes electron@${electronVersion} .`);
  assert.equal(packageJson.devDependencies.electron, undefined, 'see electron-builder.yml: its npm package wants Node >= 22.12');
});

test('every installed package accepts this Node (npm ci prints no EBADENGINE)', () => {
  const semver = require('semver');
  const lock = JSON.parse(readFileSync(path.join(clientDir, 'package-lock.json'), 'utf8'));
  const offending = [];
  for (const [where, pkg] of Object.entries(lock.packages)) {
    if (!where || !pkg.engines?.node) continue;
    // Packages for another OS or CPU are not installed here, so npm does not check them.
    if (pkg.os && !pkg.os.includes(process.platform)) continue;
    if (pkg.cpu && !pkg.cpu.includes(process.arch)) continue;
    if (!semver.satisfies(process.version, pkg.engines.node, { includePrerelease: true })) {
      offending.push(`${where}@${pkg.version} wants node ${pkg.engines.node}`);
    }
  }
  assert.deepEqual(offending, [], `on ${process.version}`);
  // And the range we declare ourselves is one the toolchain keeps.
  assert.ok(semver.satisfies('20.0.0', packageJson.engines.node));
});
