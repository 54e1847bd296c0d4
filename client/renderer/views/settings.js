// The settings dialog (language, theme, and the server address in the desktop app) and
// the theme it stores.

import { h } from './dom.js';
import { openModal } from './modals.js';
import { LANGUAGES } from '../lib/i18n.js';

export const THEME_KEY = 'messenger.theme';

export function currentTheme() {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme() {
  document.documentElement.dataset.theme = currentTheme();
}

export function createSettings(app) {
  const t = app.t;
  const { desktop } = app;

  function open() {
    const langSelect = h(
      'select',
      { id: 'setting-language' },
      LANGUAGES.map((l) => h('option', { value: l, text: t(`languages.${l}`), selected: l === app.i18n.lang })),
    );
    // Reopened so that the dialog itself is in the new language.
    langSelect.addEventListener('change', () => app.setLanguage(langSelect.value).then(open));
    const saved = localStorage.getItem(THEME_KEY) || 'system';
    const themeSelect = h(
      'select',
      { id: 'setting-theme' },
      ['system', 'light', 'dark'].map((v) => h('option', { value: v, text: t(`settings.theme_${v}`), selected: v === saved })),
    );
    themeSelect.addEventListener('change', () => {
      if (themeSelect.value === 'system') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, themeSelect.value);
      applyTheme();
    });
    const serverInput = h('input', { id: 'setting-server', value: app.serverUrl, type: 'url' });
    const serverError = h('div', { class: 'form-error', hidden: true });
    const body = h(
      'div',
      { class: 'modal-body' },
      h('label', { class: 'field' }, h('span', { text: t('settings.language') }), langSelect),
      h('label', { class: 'field' }, h('span', { text: t('settings.theme') }), themeSelect),
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
    );
    openModal(app, t('settings.title'), body);
  }

  globalThis.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', applyTheme);

  return { open };
}
