// The console's Settings section: who may register (open, by invite, nobody).

import { h } from '../dom.js';
import { REGISTRATION_MODES } from '../../lib/admin.js';

export function createServerSettingsSection(app, admin) {
  const t = app.t;
  let notice = null;
  let saving = false;

  const radios = REGISTRATION_MODES.map((mode) =>
    h('input', { type: 'radio', name: 'registration', value: mode, id: `admin-registration-${mode}`, onchange: () => change(mode) }),
  );
  const status = h('div', { class: 'admin-result', id: 'admin-settings-result' });
  const element = h(
    'div',
    { class: 'admin-section', id: 'admin-settings-section' },
    h(
      'fieldset',
      { class: 'admin-fieldset', id: 'admin-registration' },
      h('legend', { text: t('admin.settings.registration') }),
      REGISTRATION_MODES.map((mode, i) =>
        h('label', { class: 'admin-choice', for: `admin-registration-${mode}` }, radios[i], h('span', {}, h('strong', { text: t(`admin.settings.mode.${mode}`) }), h('span', { class: 'muted small admin-choice-note', text: t(`admin.settings.mode_note.${mode}`) }))),
      ),
    ),
    status,
  );

  async function change(mode) {
    if (saving || admin.settings?.registration === mode) return;
    saving = true;
    render();
    try {
      await admin.setRegistration(mode);
      notice = { text: t('admin.settings.saved'), error: false };
    } catch (err) {
      notice = { text: app.format.error(err), error: true };
    } finally {
      saving = false;
      render();
    }
  }

  function render() {
    const current = admin.settings?.registration ?? null;
    radios.forEach((r, i) => {
      r.checked = REGISTRATION_MODES[i] === current;
      r.disabled = saving || current === null;
    });
    const error = admin.settingsError && !notice ? { text: app.format.error(admin.settingsError), error: true } : notice;
    status.replaceChildren(error ? h('div', { class: error.error ? 'form-error' : 'form-ok', role: error.error ? 'alert' : 'status', text: error.text }) : '');
  }

  return {
    id: 'settings',
    element,
    render,
    show() {
      notice = null;
      admin.loadSettings();
      render();
    },
    hide() {},
  };
}
