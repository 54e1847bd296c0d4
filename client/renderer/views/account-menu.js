// The settings dialog's "Account" section: the way to the screens about me and the people
// around me (each its own module) while signed in.

import { h } from './dom.js';
import { confirmModal } from './modals.js';

/**
 * Logs out after the user confirms (issue 17): a stray click on the sidebar's button would
 * otherwise end the session and drop what the outbox has not sent yet on this device.
 */
export async function confirmLogout(app) {
  const ok = await confirmModal(app, app.t('auth.logout_confirm'), app.t('auth.logout'));
  if (ok) await app.logout();
}

export function accountMenu(app) {
  const t = app.t;
  const v = app.views;
  const link = (id, text, onclick, cls = '') => h('button', { type: 'button', class: `menu-item ${cls}`.trim(), id, text, onclick });
  return h(
    'section',
    { class: 'settings-section', id: 'account-menu' },
    h('h3', { text: t('account.title') }),
    link('open-my-profile', t('profile.my_title'), () => v.myProfile.open()),
    link('open-contacts', t('contacts.title'), () => v.contacts.open()),
    link('open-privacy', t('privacy.title'), () => v.privacy.openPrivacy()),
    link('open-blocked', t('blocked.title'), () => v.privacy.openBlocked()),
    link('open-sessions', t('sessions.title'), () => v.sessions.open()),
    // Administrators only (issue 16): the console at /admin.
    app.store?.me?.is_admin ? link('open-admin', t('admin.open'), () => app.openConsole()) : null,
    link('open-delete-account', t('account.delete_title'), () => v.sessions.openDeleteAccount(), 'danger-text'),
  );
}
