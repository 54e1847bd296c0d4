import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { I18n } from '../renderer/lib/i18n.js';
import { ERROR_CODES, ErrorCode } from '../renderer/lib/errorcodes.js';

const root = new URL('..', import.meta.url);
const read = (p) => readFileSync(new URL(p, root), 'utf8');
const locales = { ru: JSON.parse(read('locales/ru.json')), en: JSON.parse(read('locales/en.json')) };

// Answers to requests a client built on lib/api.js never makes (wrong method, Accept or
// Content-Type): the generic text is enough for them.
const PROTOCOL_ONLY = new Set(['method_not_allowed', 'not_acceptable', 'unsupported_media_type']);
// Texts the client shows for its own failures, not server codes.
const CLIENT_ONLY = new Set(['download_failed', 'network_error', 'unknown']);

test('the generated error codes are unique names for stable strings', () => {
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  for (const [name, code] of Object.entries(ErrorCode)) {
    assert.equal(name, code.toUpperCase());
    assert.match(code, /^[a-z]+(_[a-z]+)*$/);
  }
  assert.ok(Object.isFrozen(ErrorCode) && Object.isFrozen(ERROR_CODES));
});

test('every server error code a user can meet has a text in every language', async () => {
  for (const lang of Object.keys(locales)) {
    const i18n = new I18n({ load: async (l) => locales[l] });
    await i18n.use(lang);
    for (const code of ERROR_CODES.filter((c) => !PROTOCOL_ONLY.has(c))) {
      assert.ok(!i18n.error(code).startsWith(i18n.t('errors.unknown')), `${lang}: ${code}`);
    }
  }
});

test('the locales translate no error code the server does not have', () => {
  for (const [lang, locale] of Object.entries(locales)) {
    const texts = Object.keys(locale.errors).filter((k) => typeof locale.errors[k] === 'string');
    const stale = texts.filter((k) => !CLIENT_ONLY.has(k) && !ERROR_CODES.includes(k));
    assert.deepEqual(stale, [], lang);
  }
});
