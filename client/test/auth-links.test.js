// The sign-in screen's part of issue 16 (views/auth.js), drawn into a fake DOM over the
// fake API: the registration mode decides whether "Sign up" shows and whether it needs an
// invite; `?invite=TOKEN` fills the invite in; `?reset=TOKEN` asks for a new password.

import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { installDom } from './fake-dom.js';
import { adminApi, adminState } from './admin-fakes.js';

installDom();
const { h } = await import('../renderer/views/dom.js');
const { I18n } = await import('../renderer/lib/i18n.js');
const { createFormat } = await import('../renderer/views/format.js');
const { createAuthView } = await import('../renderer/views/auth.js');

const en = JSON.parse(readFileSync(new URL('../locales/en.json', import.meta.url), 'utf8'));
const FIELDS = ['login', 'username', 'display_name', 'email', 'invite_token', 'password', 'password2'];
const realFormData = globalThis.FormData;
let urls = [];

/** The sign-in screen's markup, as index.html has it (the parts auth.js uses). */
function drawScreen() {
  const doc = installDom(['modal-root', 'toast', 'admin-screen', 'main-screen', 'banner']);
  doc.body.append(
    h(
      'section',
      { id: 'auth-screen', hidden: true },
      h('div', { class: 'auth-tabs' }, h('button', { class: 'auth-tab', 'data-mode': 'login' }), h('button', { class: 'auth-tab', 'data-mode': 'register' })),
      h('p', { id: 'auth-note', hidden: true }),
      h(
        'form',
        { id: 'auth-form' },
        FIELDS.map((f) => h('label', { class: 'field', 'data-for': f }, h('input', { name: f }))),
        h('div', { id: 'auth-error', hidden: true }),
        h('button', { type: 'submit', id: 'auth-submit' }),
      ),
      h(
        'form',
        { id: 'reset-form', hidden: true },
        h('input', { name: 'new_password' }),
        h('input', { name: 'new_password2' }),
        h('div', { id: 'reset-error', hidden: true }),
        h('button', { type: 'submit', id: 'reset-submit' }),
        h('button', { type: 'button', id: 'reset-cancel' }),
      ),
      h('button', { type: 'button', id: 'auth-settings' }),
    ),
  );
}

function at(href) {
  const url = new URL(href);
  globalThis.location = { href: url.href, search: url.search, pathname: url.pathname, hash: url.hash };
  globalThis.history = { replaceState: (_s, _t, next) => urls.push(next) };
}

async function screen(state = adminState(), href = 'http://chat.test/') {
  at(href);
  const i18n = new I18n({ load: async () => en });
  await i18n.use('en');
  const { api, fetch } = adminApi(state);
  api.tokens.clear();
  let started = 0;
  const app = { ui: { authMode: 'login' }, i18n, t: (k, p) => i18n.t(k, p), format: createFormat(i18n), api, views: { settings: { open() {} } }, startSession: async () => (started += 1) };
  const view = createAuthView(app);
  view.show();
  await settle();
  return { view, fetch, state, started: () => started };
}

const $ = (sel) => document.querySelector(sel);
const settle = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
};

function fill(values) {
  for (const [name, value] of Object.entries(values)) $(`#auth-form input[name="${name}"], #reset-form input[name="${name}"]`).value = value;
}

beforeEach(() => {
  drawScreen();
  urls = [];
  globalThis.FormData = class {
    constructor(form) {
      this.pairs = form.querySelectorAll('input').map((i) => [i.getAttribute('name'), i.value]);
    }

    entries() {
      return this.pairs[Symbol.iterator]();
    }
  };
});

afterEach(() => {
  globalThis.FormData = realFormData;
  delete globalThis.location;
  delete globalThis.history;
});

const ACCOUNT = { username: 'newbie', password: 'long enough pw', password2: 'long enough pw' };

test('an open server offers sign-up without an invite field', async () => {
  const { fetch, started } = await screen();
  assert.equal(fetch.calls[0].path, '/api/v1/auth/registration');
  $('.auth-tab[data-mode="register"]').click();
  assert.equal($('.field[data-for="invite_token"]').hidden, true);
  assert.equal($('#auth-note').hidden, true);
  fill(ACCOUNT);
  $('#auth-submit').click();
  await settle();
  assert.equal(started(), 1);
  assert.equal('invite_token' in fetch.calls.at(-1).body, false);
});

test('a closed server hides "Sign up" and says why', async () => {
  const state = adminState();
  state.settings.registration = 'closed';
  await screen(state);
  assert.equal($('.auth-tab[data-mode="register"]').hidden, true);
  assert.equal($('#auth-note').hidden, false);
  assert.equal($('#auth-note').textContent, en.auth.registration_closed_note);
});

test('by invite: the form asks for one, refuses to go without, and sends the code of a pasted link', async () => {
  const state = adminState();
  state.settings.registration = 'invite';
  const { fetch, started } = await screen(state);
  $('.auth-tab[data-mode="register"]').click();
  assert.equal($('.field[data-for="invite_token"]').hidden, false);
  assert.equal($('#auth-note').textContent, en.auth.invite_note);
  fill(ACCOUNT);
  const requests = fetch.calls.length;
  $('#auth-submit').click();
  await settle();
  assert.equal($('#auth-error').textContent, en.errors.invite_required);
  assert.ok($('#auth-form input[name="invite_token"]').classList.contains('invalid'));
  assert.equal(fetch.calls.length, requests, 'nothing sent');
  fill({ invite_token: 'http://chat.test/?invite=tok-ok' });
  $('#auth-submit').click();
  await settle();
  assert.equal(state.lastRegisterBody.invite_token, 'tok-ok');
  assert.equal(started(), 1);
});

test('a refused invite shows the server text at the invite field', async () => {
  const state = adminState();
  state.settings.registration = 'invite';
  await screen(state);
  $('.auth-tab[data-mode="register"]').click();
  fill({ ...ACCOUNT, invite_token: 'used-up' });
  $('#auth-submit').click();
  await settle();
  assert.equal($('#auth-error').textContent, en.errors.invite_required);
  assert.ok($('#auth-form input[name="invite_token"]').classList.contains('invalid'));
});

test('an invite link opens sign-up with the invite filled in, and leaves the address bar once used', async () => {
  const state = adminState();
  state.settings.registration = 'invite';
  const { started } = await screen(state, 'http://chat.test/?invite=tok-ok');
  assert.equal($('.auth-tab[data-mode="register"]').getAttribute('aria-selected'), 'true');
  assert.equal($('#auth-form input[name="invite_token"]').value, 'tok-ok');
  assert.equal($('.field[data-for="invite_token"]').hidden, false);
  fill(ACCOUNT);
  $('#auth-submit').click();
  await settle();
  assert.equal(state.lastRegisterBody.invite_token, 'tok-ok');
  assert.equal(started(), 1);
  assert.deepEqual(urls, ['/']);
});

test('a reset link asks for a new password, sets it, then offers the sign-in with a note', async () => {
  const { fetch } = await screen(adminState(), 'http://chat.test/?reset=good');
  assert.equal($('#reset-form').hidden, false);
  assert.equal($('#auth-form').hidden, true);
  assert.equal($('.auth-tabs').hidden, true);
  fill({ new_password: 'long enough pw', new_password2: 'different' });
  $('#reset-submit').click();
  await settle();
  assert.equal($('#reset-error').textContent, en.validation.password_mismatch);
  fill({ new_password2: 'long enough pw' });
  $('#reset-submit').click();
  await settle();
  assert.deepEqual(fetch.calls.at(-1).body, { token: 'good', new_password: 'long enough pw' });
  assert.equal($('#reset-form').hidden, true);
  assert.equal($('#auth-form').hidden, false);
  assert.equal($('#auth-note').textContent, en.auth.reset_done);
  assert.equal($('.field[data-for="login"]').hidden, false);
  assert.deepEqual(urls, ['/']);
});

test('a used or unknown reset link says so and keeps the form', async () => {
  await screen(adminState(), 'http://chat.test/?reset=stale');
  fill({ new_password: 'long enough pw', new_password2: 'long enough pw' });
  $('#reset-submit').click();
  await settle();
  assert.equal($('#reset-error').textContent, en.errors.reset_link_invalid);
  assert.equal($('#reset-form').hidden, false);
  $('#reset-cancel').click();
  assert.equal($('#reset-form').hidden, true);
  assert.equal($('#auth-note').hidden, true);
});

test('an older server without the registration mode keeps sign-up as it was', async () => {
  const state = adminState();
  state.fail = { 'GET /auth/registration': [404, { code: 'not_found' }] };
  await screen(state);
  assert.equal($('.auth-tab[data-mode="register"]').hidden, false);
});
