// The sign-in / sign-up screen (its markup is in index.html).

import { $ } from './dom.js';
import { validateRegistration, validateLogin } from '../lib/validate.js';

export function createAuthView(app) {
  const { ui } = app;
  const t = app.t;

  function render() {
    const register = ui.authMode === 'register';
    for (const tab of document.querySelectorAll('.auth-tab')) {
      tab.classList.toggle('active', tab.dataset.mode === ui.authMode);
      tab.setAttribute('aria-selected', String(tab.dataset.mode === ui.authMode));
    }
    for (const f of ['username', 'display_name', 'email', 'password2']) {
      $(`.field[data-for="${f}"]`).hidden = !register;
    }
    $('.field[data-for="login"]').hidden = register;
    $('#auth-submit').textContent = t(register ? 'auth.register_button' : 'auth.login_button');
    $('input[name="password"]').setAttribute('autocomplete', register ? 'new-password' : 'current-password');
  }

  function showError(text, field = null) {
    const el = $('#auth-error');
    el.textContent = text || '';
    el.hidden = !text;
    for (const input of document.querySelectorAll('#auth-form input')) input.classList.remove('invalid');
    if (field) {
      const input = $(`#auth-form input[name="${field}"]`);
      if (input) {
        input.classList.add('invalid');
        input.focus();
      }
    }
  }

  function show(message = '') {
    $('#main-screen').hidden = true;
    $('#auth-screen').hidden = false;
    $('#banner').hidden = true;
    render();
    showError(message);
  }

  function hide() {
    $('#auth-screen').hidden = true;
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = new FormData($('#auth-form'));
    const v = Object.fromEntries([...form.entries()].map(([k, x]) => [k, String(x)]));
    const problem = ui.authMode === 'register' ? validateRegistration(v) : validateLogin(v);
    if (problem) {
      showError(t(`validation.${problem.key}`), problem.field);
      return;
    }
    showError('');
    const btn = $('#auth-submit');
    btn.disabled = true;
    try {
      if (ui.authMode === 'register') {
        await app.api.register({
          username: v.username.trim(),
          password: v.password,
          email: v.email.trim() || undefined,
          display_name: v.display_name.trim() || undefined,
        });
      } else {
        await app.api.login({ login: v.login.trim(), password: v.password });
      }
      $('#auth-form').reset();
      await app.startSession();
    } catch (err) {
      showError(app.format.error(err), err?.body?.field || null);
    } finally {
      btn.disabled = false;
    }
  }

  for (const tab of document.querySelectorAll('.auth-tab')) {
    tab.addEventListener('click', () => {
      ui.authMode = tab.dataset.mode;
      render();
      showError('');
    });
  }
  $('#auth-form').addEventListener('submit', submit);
  $('#auth-settings').addEventListener('click', () => app.views.settings.open());

  return { render, show, hide };
}
