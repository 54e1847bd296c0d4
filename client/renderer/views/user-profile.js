// Another user's profile (GET /users/{id}): what privacy lets me see of them (hidden fields
// come as null or "", and are simply not shown), and what I can do: write to them, add or
// remove them as a contact, give them a local name only I see, block or unblock them.

import { h } from './dom.js';
import { openModal, confirmModal } from './modals.js';
import { isOnline, userAvatar, userName } from './common.js';

export function createUserProfile(app) {
  const t = app.t;
  let current = null; // {userId, body, nameInput, error, busy}

  const attempt = (fn) => async () => {
    if (!current) return;
    current.busy = true;
    render();
    try {
      await fn();
      if (current) current.error = null;
    } catch (err) {
      if (current) current.error = app.format.error(err);
    } finally {
      if (current) current.busy = false;
      render();
    }
  };

  /** Shows a user's profile, read afresh from the server unless `refresh` is false. */
  function open(userId, { refresh: reread = true } = {}) {
    const { store } = app;
    if (!store) return;
    if (userId === store.me?.id) {
      app.views.myProfile.open();
      return;
    }
    const body = h('div', { class: 'modal-body profile-screen', id: 'user-profile', dataset: { userId: String(userId) } });
    const nameInput = h('input', { id: 'profile-local-name', maxlength: '100', autocomplete: 'off', placeholder: t('profile.local_name_placeholder') });
    current = { userId, body, nameInput, error: null, busy: false, loaded: false, close: null };
    nameInput.value = store.localName(userId) || '';
    current.close = openModal(app, t('profile.title'), body, {
      onClose: () => {
        if (current?.body === body) current = null;
      },
    });
    render();
    if (reread) refresh(userId);
  }

  async function refresh(userId) {
    try {
      const profile = await app.api.user(userId);
      if (!app.store || current?.userId !== userId) return;
      app.store.rememberUsers([profile]);
      current.loaded = true;
      current.nameInput.value = app.store.localName(userId) || '';
    } catch (err) {
      if (current?.userId === userId && !app.store?.users.has(userId)) current.error = app.format.error(err);
    }
    render();
  }

  function row(label, value, cls) {
    return h('div', { class: `info-row ${cls}` }, h('span', { class: 'muted small', text: label }), h('span', { text: value }));
  }

  function actions(u) {
    const { store, api } = app;
    const id = u.id;
    const contact = store.isContact(id);
    const blocked = store.isBlocked(id);
    const busy = current.busy;
    const btn = (attrs, text, onclick) => h('button', { type: 'button', class: 'btn', disabled: busy, ...attrs, onclick }, text);
    const list = [
      btn({ id: 'profile-message', class: 'btn primary' }, t('profile.message'), () => {
        current.close();
        app.views.chatList.openDirect(id);
      }),
      contact
        ? btn({ id: 'profile-remove-contact' }, t('profile.remove_contact'), attempt(async () => {
            await api.removeContact(id);
            store.setContact(id, null);
          }))
        : btn({ id: 'profile-add-contact' }, t('profile.add_contact'), attempt(async () => {
            const local = current.nameInput.value.trim();
            const answer = await api.addContact(id, local || undefined);
            store.setContact(id, { user_id: id, local_name: answer?.local_name ?? (local || null) });
          })),
      blocked
        ? btn({ id: 'profile-unblock' }, t('profile.unblock'), attempt(async () => {
            await api.unblock(id);
            store.setBlocked(id, false);
          }))
        : btn({ id: 'profile-block', class: 'btn danger' }, t('profile.block'), async () => {
            if (!(await confirmModalKeepingProfile(t('profile.block_confirm', { name: userName(app, id) }), t('profile.block')))) return;
            await attempt(async () => {
              await api.block(id);
              store.setBlocked(id, true);
            })();
          }),
    ];
    return h('div', { class: 'profile-actions' }, list);
  }

  // The confirmation takes the modal root; the profile comes back after it either way.
  async function confirmModalKeepingProfile(text, action) {
    const userId = current?.userId;
    const ok = await confirmModal(app, text, action);
    if (userId !== undefined) reopen(userId);
    return ok;
  }

  function reopen(userId) {
    const keep = current?.nameInput.value;
    // Not read again: that answer could predate the change the confirmation leads to.
    open(userId, { refresh: false });
    if (keep !== undefined && current) current.nameInput.value = keep;
  }

  function localNameSection(u) {
    const { store, api } = app;
    const id = u.id;
    if (!store.isContact(id)) {
      return h('label', { class: 'field' }, h('span', { text: t('profile.local_name') }), current.nameInput, h('small', { class: 'hint', text: t('profile.local_name_hint') }));
    }
    const save = h('button', {
      type: 'button',
      class: 'btn',
      id: 'profile-local-name-save',
      disabled: current.busy,
      text: t('profile.local_name_save'),
      onclick: attempt(async () => {
        const value = current.nameInput.value.trim();
        if (value) {
          await api.setLocalName(id, value);
          store.setContact(id, { user_id: id, local_name: value });
        } else {
          await api.clearLocalName(id);
          store.setContact(id, { user_id: id, local_name: null });
        }
      }),
    });
    const clear = store.localName(id)
      ? h('button', {
          type: 'button',
          class: 'btn',
          id: 'profile-local-name-clear',
          disabled: current.busy,
          text: t('profile.local_name_clear'),
          onclick: attempt(async () => {
            await api.clearLocalName(id);
            store.setContact(id, { user_id: id, local_name: null });
            current.nameInput.value = '';
          }),
        })
      : null;
    return h(
      'div',
      { class: 'field' },
      h('span', { text: t('profile.local_name') }),
      h('div', { class: 'inline-row' }, current.nameInput, save, clear),
      h('small', { class: 'hint', text: t('profile.local_name_hint') }),
    );
  }

  function render() {
    if (!current || !current.body.isConnected || !app.store) return;
    const { store } = app;
    const id = current.userId;
    const u = store.users.get(id) || { id };
    const name = userName(app, id);
    const parts = [];
    const av = userAvatar(app, u, 'large', 'large');
    parts.push(h('div', { class: 'info-hero' }, av, h('div', { class: 'info-title', id: 'profile-name', text: name })));
    if (u.deleted) {
      parts.push(h('p', { class: 'muted center', text: t('profile.deleted_hint') }));
    } else {
      const status = isOnline(app, id) ? t('presence.online') : u.last_seen_at ? app.format.lastSeen(u.last_seen_at) : '';
      if (status) parts.push(h('div', { class: 'muted small center', id: 'profile-status', text: status }));
      if (store.isBlocked(id)) parts.push(h('div', { class: 'form-error', id: 'profile-blocked-note', text: t('profile.blocked_note') }));
      const local = store.localName(id);
      if (local && u.display_name && local !== u.display_name) parts.push(row(t('profile.display_name'), u.display_name, 'profile-display-name'));
      if (u.username) parts.push(row(t('info.username'), `@${u.username}`, 'profile-username'));
      if (u.bio) parts.push(row(t('info.bio'), u.bio, 'profile-bio'));
      if (u.birthdate) parts.push(row(t('profile.birthdate'), app.format.birthdate(u.birthdate), 'profile-birthdate'));
      parts.push(localNameSection(u));
      parts.push(actions(u));
    }
    if (current.error) parts.push(h('div', { class: 'form-error', role: 'alert', text: current.error }));
    const focused = document.activeElement === current.nameInput;
    current.body.replaceChildren(...parts);
    if (focused) current.nameInput.focus();
  }

  return { open, render, isOpen: () => !!current?.body.isConnected };
}
