import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { I18n } from '../renderer/lib/i18n.js';
import { validateRegistration, validateLogin, validatePasswordChange } from '../renderer/lib/validate.js';

const root = new URL('..', import.meta.url);
const read = (p) => readFileSync(new URL(p, root), 'utf8');
const locales = { ru: JSON.parse(read('locales/ru.json')), en: JSON.parse(read('locales/en.json')) };

function keys(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    const plural = v && typeof v === 'object' && 'other' in v;
    return v && typeof v === 'object' && !plural ? keys(v, key) : [key];
  });
}

async function i18n(lang) {
  const x = new I18n({ load: async (l) => locales[l] });
  await x.use(lang);
  return x;
}

test('ru and en have the same keys', () => {
  assert.deepEqual(keys(locales.ru).sort(), keys(locales.en).sort());
});

test('every key the UI uses exists in both locales', async () => {
  const html = read('renderer/index.html');
  // The composition root and every view module.
  const views = readdirSync(new URL('renderer/views/', root)).filter((f) => f.endsWith('.js'));
  const js = [read('renderer/app.js'), ...views.map((f) => read(`renderer/views/${f}`))].join('\n');
  const used = new Set([
    ...[...html.matchAll(/data-i18n(?:-placeholder|-title)?="([^"]+)"/g)].map((m) => m[1]),
    ...[...js.matchAll(/\bt\('([a-z_.]+)'/g)].map((m) => m[1]),
    ...[...js.matchAll(/i18nTitle: '([a-z_.]+)'/g)].map((m) => m[1]),
  ]);
  // keys built at run time
  for (const s of ['sent', 'delivered', 'read', 'pending', 'failed']) used.add(`receipt.${s}`);
  for (const r of ['owner', 'admin', 'member']) used.add(`roles.${r}`);
  for (const v of ['system', 'light', 'dark']) used.add(`settings.theme_${v}`);
  for (const l of ['ru', 'en']) used.add(`languages.${l}`);
  for (const u of ['b', 'kb', 'mb', 'gb']) used.add(`units.${u}`);
  assert.ok(used.size > 80, `found ${used.size} keys`);
  for (const lang of ['ru', 'en']) {
    const x = await i18n(lang);
    const missing = [...used].filter((k) => lookupMissing(x, k));
    assert.deepEqual(missing, [], `${lang} is missing keys`);
  }
});

function lookupMissing(x, key) {
  return x.t(key) === key && x.t(key, { count: 1 }) === key;
}

test('every client-side validation message exists', async () => {
  const problems = [
    validateRegistration({}),
    validateRegistration({ username: 'A b' }),
    validateRegistration({ username: 'anna', display_name: 'x'.repeat(101) }),
    validateRegistration({ username: 'anna', email: 'nope' }),
    validateRegistration({ username: 'anna', password: 'short' }),
    validateRegistration({ username: 'anna', password: 'longenough', password2: 'other' }),
    validateLogin({}),
    validateLogin({ login: 'anna' }),
    validatePasswordChange({}),
  ];
  assert.equal(validateRegistration({ username: 'Anna_1', password: 'longenough', password2: 'longenough', email: 'a@b.io' }), null);
  const ru = await i18n('ru');
  for (const p of problems) {
    assert.ok(p, 'each form above has a problem');
    assert.notEqual(ru.t(`validation.${p.key}`), `validation.${p.key}`);
  }
});

test('server error codes are localised, unknown ones get a generic text', async () => {
  const ru = await i18n('ru');
  const en = await i18n('en');
  const codes = ['username_taken', 'email_taken', 'invalid_credentials', 'validation_error', 'message_too_long', 'not_found', 'forbidden', 'throttled', 'resync_required', 'too_large', 'service_unavailable', 'not_a_member', 'already_a_member', 'invalid_token', 'conflict'];
  for (const code of codes) {
    assert.ok(!ru.error(code).startsWith(ru.t('errors.unknown')), code);
    assert.ok(!en.error(code).startsWith(en.t('errors.unknown')), code);
  }
  assert.equal(ru.error('username_taken'), 'Это имя пользователя уже занято');
  assert.equal(en.error('username_taken'), 'This username is already taken');
  assert.equal(ru.error('brand_new_code'), 'Что-то пошло не так');
});

test('plural forms follow the language', async () => {
  const ru = await i18n('ru');
  assert.equal(ru.t('chat.members', { count: 1 }), '1 участник');
  assert.equal(ru.t('chat.members', { count: 3 }), '3 участника');
  assert.equal(ru.t('chat.members', { count: 5 }), '5 участников');
  assert.equal(ru.t('chat.members', { count: 21 }), '21 участник');
  const en = await i18n('en');
  assert.equal(en.t('chat.members', { count: 1 }), '1 member');
  assert.equal(en.t('chat.members', { count: 2 }), '2 members');
  assert.equal(en.t('composer.replying_to', { name: 'Bob' }), 'Reply to Bob');
});

test('plural forms follow a change of language in the same I18n', async () => {
  const x = await i18n('en');
  assert.equal(x.t('chats.unread_count', { count: 5 }), '5 unread messages');
  await x.use('ru');
  assert.equal(x.t('chats.unread_count', { count: 5 }), '5 непрочитанных сообщений');
  assert.equal(x.t('chats.unread_count', { count: 2 }), '2 непрочитанных сообщения');
  assert.equal(x.t('chats.unread_count', { count: 1 }), '1 непрочитанное сообщение');
  await x.use('en');
  assert.equal(x.t('chats.unread_count', { count: 1 }), '1 unread message');
});

test('the default language is Russian', async () => {
  const x = new I18n({ load: async (l) => locales[l] });
  await x.use(undefined);
  assert.equal(x.lang, 'ru');
});
