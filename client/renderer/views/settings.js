// The settings dialog (language, theme and the theme editor, the server address in the
// desktop app, and a password change when signed in). Language and theme are synced to the
// user's other devices by views/theme-editor.js.

import { h } from './dom.js';
import { openModal } from './modals.js';
import { LANGUAGES } from '../lib/i18n.js';
import { ApiError } from '../lib/api.js';
import { ErrorCode } from '../lib/errorcodes.js';
import { PASSWORD_MAX, validatePasswordChange } from '../lib/validate.js';
import { accountMenu } from './account-menu.js';

export function createSettings(app) {
  const t = app.t;
  const { desktop } = app;

  /** The "change password" form; the server ends every other session of the account. */
  function passwordForm(user) {
    const input = (name, autocomplete) => h('input', { name, type: 'password', autocomplete, maxlength: PASSWORD_MAX });
    const inputs = {
      current_password: input('current_password', 'current-password'),
      new_password: input('new_password', 'new-password'),
      new_password2: input('new_password2', 'new-password'),
    };
    const error = h('div', { class: 'form-error', id: 'password-error', role: 'alert', hidden: true });
    const done = h('p', { class: 'form-ok', id: 'password-changed', role: 'status', hidden: true, text: t('settings.password_changed') });
    const submit = h('button', { type: 'submit', class: 'btn primary', id: 'password-submit', text: t('settings.password_submit') });

    function showError(text, field = null) {
      error.textContent = text || '';
      error.hidden = !text;
      for (const el of Object.values(inputs)) el.classList.remove('invalid');
      if (field && inputs[field]) {
        inputs[field].classList.add('invalid');
        inputs[field].focus();
      }
    }

    function describe(err) {
      // A wrong current password is 403 invalid_credentials: say which password is wrong.
      if (err instanceof ApiError && err.code === ErrorCode.INVALID_CREDENTIALS) {
        return [t('settings.password_wrong_current'), 'current_password'];
      }
      return [app.format.error(err), err?.body?.field || null];
    }

    async function onsubmit(ev) {
      ev.preventDefault();
      done.hidden = true;
      const v = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
      const problem = validatePasswordChange(v);
      if (problem) {
        showError(t(`validation.${problem.key}`), problem.field);
        return;
      }
      showError('');
      submit.disabled = true;
      try {
        await app.api.changePassword({ current_password: v.current_password, new_password: v.new_password });
        for (const el of Object.values(inputs)) el.value = '';
        done.hidden = false;
      } catch (err) {
        showError(...describe(err));
      } finally {
        submit.disabled = false;
      }
    }

    return h(
      'form',
      { id: 'password-form', class: 'settings-section', novalidate: true, onsubmit },
      h('h3', { text: t('settings.password_title') }),
      // For password managers: whose password this is.
      h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, hidden: true, readonly: true }),
      h('label', { class: 'field' }, h('span', { text: t('settings.current_password') }), inputs.current_password),
      h(
        'label',
        { class: 'field' },
        h('span', { text: t('settings.new_password') }),
        inputs.new_password,
        h('small', { class: 'hint', text: t('settings.new_password_hint') }),
      ),
      h('label', { class: 'field' }, h('span', { text: t('settings.new_password2') }), inputs.new_password2),
      error,
      done,
      h('div', { class: 'modal-actions' }, submit),
    );
  }

  function open() {
    const user = app.api?.tokens.get()?.user;
    const { themeEditor } = app.views;
    const { settings, themes } = themeEditor.current();
    const langSetting = app.store?.settings?.language ?? app.i18n.lang;
    const langSelect = h(
      'select',
      { id: 'setting-language' },
      ['system', ...LANGUAGES].map((l) => h('option', { value: l, text: t(`languages.${l}`), selected: l === langSetting })),
    );
    // Reopened so that the dialog itself is in the new language.
    langSelect.addEventListener('change', () => themeEditor.chooseLanguage(langSelect.value).then(open));
    const themeSelect = h(
      'select',
      { id: 'setting-theme' },
      ['system', 'light', 'dark'].map((v) => h('option', { value: v, text: t(`settings.theme_${v}`), selected: v === settings.theme_id })),
      app.store ? themes.map((x) => h('option', { value: x.id, text: x.name, selected: x.id === settings.theme_id })) : [],
    );
    themeSelect.addEventListener('change', () => themeEditor.choose(themeSelect.value));
    const serverInput = h('input', { id: 'setting-server', value: app.serverUrl, type: 'url' });
    const serverError = h('div', { class: 'form-error', hidden: true });
    const body = h(
      'div',
      { class: 'modal-body' },
      h('label', { class: 'field' }, h('span', { text: t('settings.language') }), langSelect),
      h('label', { class: 'field' }, h('span', { text: t('settings.theme') }), themeSelect),
      h('button', { type: 'button', class: 'btn wide', id: 'btn-theme-editor', text: t('themes.open'), onclick: () => themeEditor.open() }),
      desktop
        ? h(
            'div',
            {},
            h('label', { class: 'field' }, h('span', { text: t('settings.server') }), serverInput, h('small', { class: 'hint', text: t('settings.server_hint') })),
            serverError,
            h('button', {
              type: 'button',
              class: 'btn primary',
              text: t('settings.save_server'),
              onclick: async () => {
                const ok = await desktop.setServerUrl(serverInput.value.trim());
                if (!ok) {
                  serverError.textContent = t('settings.server_invalid');
                  serverError.hidden = false;
                }
              },
            }),
          )
        : h('p', { class: 'muted small', text: t('settings.server_web', { url: app.serverUrl }) }),
      // This device's notifications (issue 17).
      app.views.notifications.settingsSection(),
      user && app.store ? accountMenu(app) : null,
      user ? passwordForm(user) : null,
    );
    openModal(app, t('settings.title'), body);
  }

  return { open };
}
