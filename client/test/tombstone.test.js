import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { I18n } from '../renderer/lib/i18n.js';
import { tombstoneKey } from '../renderer/lib/tombstone.js';

const root = new URL('..', import.meta.url);
const locales = Object.fromEntries(
  ['ru', 'en'].map((l) => [l, JSON.parse(readFileSync(new URL(`locales/${l}.json`, root), 'utf8'))]),
);

async function i18n(lang) {
  const x = new I18n({ load: async (l) => locales[l] });
  await x.use(lang);
  return x;
}

test('a tombstone an administrator left says so; any other says deleted', () => {
  assert.equal(tombstoneKey({ id: 1, deleted: true, removed_by_admin: true }), 'message.removed_by_admin');
  assert.equal(tombstoneKey({ id: 1, deleted: true }), 'message.deleted');
  assert.equal(tombstoneKey({ id: 1, deleted: true, removed_by_admin: false }), 'message.deleted');
});

test('both languages tell the two tombstones apart', async () => {
  const en = await i18n('en');
  const ru = await i18n('ru');
  assert.equal(en.t(tombstoneKey({ deleted: true, removed_by_admin: true })), 'Message removed by an administrator');
  assert.equal(ru.t(tombstoneKey({ deleted: true, removed_by_admin: true })), 'Сообщение удалено администратором');
  assert.equal(en.t(tombstoneKey({ deleted: true })), 'Message deleted');
  assert.equal(ru.t(tombstoneKey({ deleted: true })), 'Сообщение удалено');
});
