// The console's Users section: search as you type, a status filter, paging, and per user
// deactivate / reactivate, a password-reset link, and the administrator role.

import { h } from '../dom.js';
import { confirmModal } from '../modals.js';
import { USER_STATUSES } from '../../lib/admin.js';
import { linkBox, listFoot, select, when } from './common.js';

// A pause in typing this long starts a search (each keystroke would be a request).
export const SEARCH_DELAY_MS = 250;

export function createUsersSection(app, admin, { setTimeout: setT = (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout: clearT = (id) => globalThis.clearTimeout(id) } = {}) {
  const t = app.t;
  const list = admin.users;
  let searchTimer = null;
  let reset = null; // {user, link} of the last password reset, shown above the list
  let notice = null; // {text, error} of the last action
  const busy = new Set(); // user ids with an action on its way

  const search = h('input', {
    type: 'search',
    id: 'admin-user-search',
    autocomplete: 'off',
    placeholder: t('admin.users.search'),
    'aria-label': t('admin.users.search'),
    oninput: (e) => {
      clearT(searchTimer);
      const q = e.target.value.trim();
      searchTimer = setT(() => list.setFilter({ q }), SEARCH_DELAY_MS);
    },
  });
  const statusOptions = [['', t('admin.users.status_all')], ...USER_STATUSES.map((s) => [s, t(`admin.users.status.${s}`)])];
  const filter = select(t('admin.users.status_label'), 'status', statusOptions, list.filter.status, (status) => list.setFilter({ status }));
  const result = h('div', { class: 'admin-result', id: 'admin-users-result' });
  const rows = h('ul', { class: 'admin-list', id: 'admin-users', 'aria-label': t('admin.sections.users') });
  const foot = h('div', { class: 'admin-foot' });
  const element = h('div', { class: 'admin-section', id: 'admin-users-section' }, h('div', { class: 'admin-toolbar' }, h('label', { class: 'field admin-search' }, h('span', { text: t('admin.users.search_label') }), search), filter), result, rows, foot);

  async function act(user, run, doneText) {
    busy.add(user.id);
    render();
    try {
      await run();
      notice = doneText ? { text: doneText, error: false } : null;
    } catch (err) {
      notice = { text: app.format.error(err), error: true };
    } finally {
      busy.delete(user.id);
      render();
    }
  }

  async function deactivate(user) {
    if (!(await confirmModal(app, t('admin.users.deactivate_confirm', { name: user.username }), t('admin.users.deactivate')))) return;
    await act(user, () => admin.deactivateUser(user.id), t('admin.users.deactivated_note', { name: user.username }));
  }

  async function reactivate(user) {
    if (!(await confirmModal(app, t('admin.users.reactivate_confirm', { name: user.username }), t('admin.users.reactivate')))) return;
    await act(user, () => admin.reactivateUser(user.id), t('admin.users.reactivated_note', { name: user.username }));
  }

  async function resetPassword(user) {
    if (!(await confirmModal(app, t('admin.users.reset_confirm', { name: user.username }), t('admin.users.reset')))) return;
    await act(user, async () => {
      reset = { user, link: await admin.resetPassword(user.id) };
    });
  }

  async function setAdmin(user, isAdmin) {
    const key = isAdmin ? 'promote' : 'demote';
    if (!(await confirmModal(app, t(`admin.users.${key}_confirm`, { name: user.username }), t(`admin.users.${key}`)))) return;
    await act(user, () => admin.setAdmin(user.id, isAdmin));
  }

  function actionButton(user, action, text, onclick, cls = 'btn') {
    return h('button', { type: 'button', class: `${cls} small-btn`, 'data-action': action, text, disabled: busy.has(user.id), 'aria-label': `${text}: ${user.username}`, onclick: () => onclick(user) });
  }

  function row(user) {
    const me = user.id === admin.me?.id;
    const live = user.status !== 'deleted';
    return h(
      'li',
      { class: `admin-row admin-user status-${user.status}`, dataset: { id: String(user.id), username: user.username } },
      h(
        'div',
        { class: 'admin-row-main' },
        h('div', { class: 'admin-row-title' }, h('span', { class: 'admin-name', text: user.display_name || user.username }), h('span', { class: 'muted', text: ` @${user.username}` }), user.is_admin ? h('span', { class: 'admin-badge', text: t('admin.users.admin_badge') }) : null, h('span', { class: `admin-status admin-status-${user.status}`, text: t(`admin.users.status.${user.status}`) })),
        h('div', { class: 'muted small' }, [user.email, t('admin.users.created', { when: when(app, user.created_at) }), user.deactivated_at ? t('admin.users.deactivated_at', { when: when(app, user.deactivated_at) }) : t('admin.users.last_seen', { when: when(app, user.last_seen_at) })].filter(Boolean).join(' · ')),
      ),
      h(
        'div',
        { class: 'admin-row-actions' },
        live && !me && user.status === 'active' ? actionButton(user, 'deactivate', t('admin.users.deactivate'), deactivate, 'btn danger') : null,
        live && user.status === 'deactivated' ? actionButton(user, 'reactivate', t('admin.users.reactivate'), reactivate) : null,
        live ? actionButton(user, 'reset-password', t('admin.users.reset'), resetPassword) : null,
        live && !user.is_admin ? actionButton(user, 'promote', t('admin.users.promote'), (u) => setAdmin(u, true)) : null,
        live && user.is_admin && !me ? actionButton(user, 'demote', t('admin.users.demote'), (u) => setAdmin(u, false)) : null,
      ),
    );
  }

  function render() {
    result.replaceChildren(
      notice ? h('div', { class: notice.error ? 'form-error' : 'form-ok', role: notice.error ? 'alert' : 'status', text: notice.text }) : '',
      reset
        ? linkBox(app, {
            id: 'admin-reset-link',
            label: t('admin.users.reset_link', { name: reset.user.username }),
            url: reset.link.url,
            note: t('admin.link_expires', { when: when(app, reset.link.expires_at) }),
          })
        : '',
    );
    rows.replaceChildren(...list.items.map(row));
    foot.replaceChildren(listFoot(app, list, { empty: t('admin.users.empty') }) || '');
  }

  return {
    id: 'users',
    element,
    render,
    show() {
      // People register and invites get used while the console is open: each visit reads
      // the list afresh.
      if (!list.loading) list.load();
      render();
    },
    hide() {
      clearT(searchTimer);
    },
  };
}
