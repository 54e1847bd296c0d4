// The sign-in / sign-up screen (its markup is in index.html), and what a link from an
// administrator opens on it (issue 16): `?invite=TOKEN` fills the invite of the sign-up
// form, `?reset=TOKEN` asks for a new password. The server's registration mode decides
// whether "Sign up" shows (closed: a note instead) and whether it needs an invite.

import { $ } from './dom.js';
import { ErrorCode } from '../lib/errorcodes.js';
import { validateRegistration, validateLogin, validatePasswordReset, inviteTokenOf } from '../lib/validate.js';

function urlParam(name) {
  try {
    return new URLSearchParams(globalThis.location?.search || '').get(name) || '';
  } catch {
    return '';
  }
}

/** Takes a one-time token out of the address bar once it was used (or given up). */
function forgetUrlParam(name) {
  const loc = globalThis.location;
  if (!loc || !globalThis.history?.replaceState) return;
  const url = new URL(loc.href);
  if (!url.searchParams.has(name)) return;
  url.searchParams.delete(name);
  globalThis.history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
}

export function createAuthView(app) {
  const { ui } = app;
  const t = app.t;
  ui.registration = null; // 'open' | 'invite' | 'closed', once the server said
  ui.inviteToken = urlParam('invite');
  ui.resetToken = urlParam('reset');
  ui.authNote = ''; // the key of a success note over the form (the password was reset)
  // The errors shown on the forms, kept as what they are (a key, or the failed request) and
  // put into words at draw time, so that a change of language translates them too.
  ui.authErrors = {}; // '#auth-error' | '#reset-error' -> {key, params} | {err} | {text}
  if (ui.inviteToken) {
    ui.authMode = 'register';
    $('#auth-form input[name="invite_token"]').value = ui.inviteToken;
  }

  const inviteWanted = () => ui.registration === 'invite' || Boolean(ui.inviteToken);

  function render() {
    const closed = ui.registration === 'closed';
    if (closed && ui.authMode === 'register') ui.authMode = 'login';
    const register = ui.authMode === 'register';
    const resetting = Boolean(ui.resetToken);
    $('.auth-tabs').hidden = resetting;
    $('#auth-form').hidden = resetting;
    $('#reset-form').hidden = !resetting;
    for (const tab of document.querySelectorAll('.auth-tab')) {
      tab.classList.toggle('active', tab.dataset.mode === ui.authMode);
      tab.setAttribute('aria-selected', String(tab.dataset.mode === ui.authMode));
      if (tab.dataset.mode === 'register') tab.hidden = closed;
    }
    for (const f of ['username', 'display_name', 'email', 'password2']) {
      $(`.field[data-for="${f}"]`).hidden = !register;
    }
    $('.field[data-for="invite_token"]').hidden = !(register && inviteWanted());
    $('.field[data-for="login"]').hidden = register;
    $('#auth-submit').textContent = t(register ? 'auth.register_button' : 'auth.login_button');
    $('input[name="password"]').setAttribute('autocomplete', register ? 'new-password' : 'current-password');
    let note = ui.authNote ? t(ui.authNote) : '';
    if (!note && !resetting && closed) note = t('auth.registration_closed_note');
    if (!note && !resetting && register && ui.registration === 'invite') note = t('auth.invite_note');
    const noteEl = $('#auth-note');
    noteEl.textContent = note;
    noteEl.hidden = !note;
    noteEl.classList.toggle('form-ok', Boolean(ui.authNote));
    for (const [errorEl, problem] of Object.entries(ui.authErrors || {})) {
      const el = $(errorEl);
      const text = problemText(problem);
      el.textContent = text;
      el.hidden = !text;
    }
  }

  function problemText(problem) {
    if (!problem) return '';
    if (typeof problem === 'string') return problem;
    if (problem.key) return t(problem.key, problem.params);
    if (problem.err) return app.format.error(problem.err);
    return problem.text || '';
  }

  /** Shows `problem` (see ui.authErrors; a plain string is shown as it is) on a form. */
  function showError(problem, field = null, form = '#auth-form', errorEl = '#auth-error') {
    ui.authErrors = { ...ui.authErrors, [errorEl]: problem || null };
    const el = $(errorEl);
    const text = problemText(problem);
    el.textContent = text;
    el.hidden = !text;
    for (const input of document.querySelectorAll(`${form} input`)) input.classList.remove('invalid');
    if (field) {
      const input = $(`${form} input[name="${field}"]`);
      if (input) {
        input.classList.add('invalid');
        input.focus();
      }
    }
  }

  async function loadRegistrationMode() {
    try {
      const answer = await app.api.registrationMode();
      ui.registration = answer?.mode || null;
    } catch {
      ui.registration = null; // an older server, or offline: offer sign-up as before
    }
    render();
  }

  /** Shows the screen; `message`: {key, params} of a notice (or a text already in words). */
  function show(message = '') {
    $('#main-screen').hidden = true;
    const console = $('#admin-screen');
    if (console) console.hidden = true;
    $('#auth-screen').hidden = false;
    $('#banner').hidden = true;
    render();
    showError(message);
    // Accessibility (issue 17): the keyboard starts in the form's first field (not on phones,
    // where focusing a field pops the keyboard up).
    if (globalThis.innerWidth > 720 && !$('#auth-form').hidden) $('#auth-form .field:not([hidden]) input')?.focus();
    if (app.api) loadRegistrationMode();
  }

  function hide() {
    $('#auth-screen').hidden = true;
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = new FormData($('#auth-form'));
    const v = Object.fromEntries([...form.entries()].map(([k, x]) => [k, String(x)]));
    const register = ui.authMode === 'register';
    const problem = register ? validateRegistration(v) : validateLogin(v);
    if (problem) {
      showError({ key: `validation.${problem.key}` }, problem.field);
      return;
    }
    const inviteToken = register && inviteWanted() ? inviteTokenOf(v.invite_token || '') : '';
    if (register && ui.registration === 'invite' && !inviteToken) {
      showError({ key: 'errors.invite_required' }, 'invite_token');
      return;
    }
    showError('');
    const btn = $('#auth-submit');
    btn.disabled = true;
    try {
      if (register) {
        await app.api.register({
          username: v.username.trim(),
          password: v.password,
          email: v.email.trim() || undefined,
          display_name: v.display_name.trim() || undefined,
          invite_token: inviteToken || undefined,
        });
        ui.inviteToken = '';
        forgetUrlParam('invite');
      } else {
        await app.api.login({ login: v.login.trim(), password: v.password });
      }
      $('#auth-form').reset();
      ui.authNote = '';
      await app.startSession();
    } catch (err) {
      const field = err?.body?.field || (err?.code === ErrorCode.INVITE_REQUIRED ? 'invite_token' : null);
      showError({ err }, field);
    } finally {
      btn.disabled = false;
    }
  }

  function leaveReset(note = '') {
    ui.resetToken = '';
    forgetUrlParam('reset');
    ui.authMode = 'login';
    ui.authNote = note;
    $('#reset-form').reset();
    showError('', null, '#reset-form', '#reset-error');
    render();
    $('#auth-form input[name="login"]').focus();
  }

  async function submitReset(ev) {
    ev.preventDefault();
    const form = new FormData($('#reset-form'));
    const v = Object.fromEntries([...form.entries()].map(([k, x]) => [k, String(x)]));
    const problem = validatePasswordReset(v);
    if (problem) {
      showError({ key: `validation.${problem.key}` }, problem.field, '#reset-form', '#reset-error');
      return;
    }
    showError('', null, '#reset-form', '#reset-error');
    const btn = $('#reset-submit');
    btn.disabled = true;
    try {
      await app.api.resetPassword({ token: ui.resetToken, new_password: v.new_password });
      leaveReset('auth.reset_done');
    } catch (err) {
      const field = err?.code === ErrorCode.PASSWORD_TOO_COMMON || err?.body?.field ? 'new_password' : null;
      showError({ err }, field, '#reset-form', '#reset-error');
    } finally {
      btn.disabled = false;
    }
  }

  for (const tab of document.querySelectorAll('.auth-tab')) {
    tab.addEventListener('click', () => {
      ui.authMode = tab.dataset.mode;
      ui.authNote = '';
      render();
      showError('');
    });
  }
  $('#auth-form').addEventListener('submit', submit);
  $('#reset-form').addEventListener('submit', submitReset);
  $('#reset-cancel').addEventListener('click', () => leaveReset());
  $('#auth-settings').addEventListener('click', () => app.views.settings.open());

  return { render, show, hide };
}
