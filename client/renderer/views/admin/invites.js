// The console's Invites section: create one (optional email, lifetime, uses) and get its
// link to pass on, see every invite with its state, revoke one.

import { h } from '../dom.js';
import { confirmModal } from '../modals.js';
import { INVITE_DEFAULT_EXPIRY, INVITE_EXPIRY, INVITE_USES } from '../../lib/admin.js';
import { linkBox, listFoot, when } from './common.js';

/** 'active', 'revoked', 'used_up' or 'expired'. */
export function inviteState(invite) {
  if (invite.revoked) return 'revoked';
  if (invite.active) return 'active';
  if (invite.uses !== null && invite.uses !== undefined && invite.used >= invite.uses) return 'used_up';
  return 'expired';
}

export function createInvitesSection(app, admin) {
  const t = app.t;
  const list = admin.invites;
  let created = null; // the invite just created, with its url (shown only now)
  let notice = null;
  let creating = false;

  const days = (s) => s / 86400;
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'off', placeholder: t('admin.invites.email_placeholder') });
  const expiry = h(
    'select',
    { name: 'expires_in' },
    INVITE_EXPIRY.map((s) => h('option', { value: String(s), text: t('admin.invites.days', { count: days(s) }), selected: s === INVITE_DEFAULT_EXPIRY })),
  );
  expiry.value = String(INVITE_DEFAULT_EXPIRY);
  const uses = h(
    'select',
    { name: 'uses' },
    INVITE_USES.map((n) => h('option', { value: n === null ? '' : String(n), text: n === null ? t('admin.invites.unlimited') : t('admin.invites.uses_count', { count: n }) })),
  );
  uses.value = '1';
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'admin-invite-create', text: t('admin.invites.create') });
  const form = h(
    'form',
    { class: 'admin-form', id: 'admin-invite-form', novalidate: true, onsubmit: (e) => create(e) },
    h('label', { class: 'field' }, h('span', { text: t('admin.invites.email') }), email),
    h('label', { class: 'field' }, h('span', { text: t('admin.invites.expires') }), expiry),
    h('label', { class: 'field' }, h('span', { text: t('admin.invites.uses') }), uses),
    submit,
  );
  const result = h('div', { class: 'admin-result', id: 'admin-invites-result' });
  const rows = h('ul', { class: 'admin-list', id: 'admin-invites', 'aria-label': t('admin.sections.invites') });
  const foot = h('div', { class: 'admin-foot' });
  const element = h('div', { class: 'admin-section', id: 'admin-invites-section' }, form, result, rows, foot);

  async function create(e) {
    e?.preventDefault?.();
    if (creating) return;
    creating = true;
    submit.disabled = true;
    try {
      created = await admin.createInvite({ email: email.value, expires_in: Number(expiry.value), uses: uses.value === '' ? null : Number(uses.value) });
      notice = null;
      email.value = '';
    } catch (err) {
      created = null;
      notice = { text: app.format.error(err), error: true };
    } finally {
      creating = false;
      submit.disabled = false;
      render();
    }
  }

  async function revoke(invite) {
    if (!(await confirmModal(app, t('admin.invites.revoke_confirm'), t('admin.invites.revoke')))) return;
    try {
      await admin.revokeInvite(invite.id);
      notice = { text: t('admin.invites.revoked_note'), error: false };
    } catch (err) {
      notice = { text: app.format.error(err), error: true };
    }
    render();
  }

  function row(invite) {
    const state = inviteState(invite);
    const usesText = invite.uses === null || invite.uses === undefined ? t('admin.invites.used_unlimited', { used: invite.used }) : t('admin.invites.used_of', { used: invite.used, uses: invite.uses });
    return h(
      'li',
      { class: `admin-row admin-invite state-${state}`, dataset: { id: String(invite.id) } },
      h(
        'div',
        { class: 'admin-row-main' },
        h('div', { class: 'admin-row-title' }, h('span', { class: 'admin-name', text: invite.email || t('admin.invites.anyone') }), h('span', { class: `admin-status admin-status-${state}`, text: t(`admin.invites.state.${state}`) })),
        h('div', { class: 'muted small', text: [t('admin.invites.created_at', { when: when(app, invite.created_at) }), t('admin.invites.expires_at', { when: when(app, invite.expires_at) }), usesText].join(' · ') }),
      ),
      h('div', { class: 'admin-row-actions' }, state === 'active' ? h('button', { type: 'button', class: 'btn danger small-btn', 'data-action': 'revoke', text: t('admin.invites.revoke'), onclick: () => revoke(invite) }) : null),
    );
  }

  function render() {
    result.replaceChildren(
      notice ? h('div', { class: notice.error ? 'form-error' : 'form-ok', role: notice.error ? 'alert' : 'status', text: notice.text }) : '',
      created ? linkBox(app, { id: 'admin-invite-link', label: t('admin.invites.link'), url: created.url, note: t('admin.invites.link_once') }) : '',
    );
    rows.replaceChildren(...list.items.map(row));
    foot.replaceChildren(listFoot(app, list, { empty: t('admin.invites.empty') }) || '');
  }

  return {
    id: 'invites',
    element,
    render,
    show() {
      // People register and invites get used while the console is open: each visit reads
      // the list afresh.
      if (!list.loading) list.load();
      render();
    },
    hide() {},
  };
}
