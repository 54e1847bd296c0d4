// My devices (GET /auth/sessions, with "end session": DELETE /auth/sessions/{id}) and the
// deletion of my account (DELETE /users/me with my password, then back to the sign-in).

import { h } from './dom.js';
import { openModal } from './modals.js';
import { PASSWORD_MAX } from '../lib/validate.js';
import { ApiError } from '../lib/api.js';
import { ErrorCode } from '../lib/errorcodes.js';

export function createSessions(app) {
  const t = app.t;
  let screen = null; // {body, items, loading, error, ending}

  async function open() {
    if (!app.store) return;
    const body = h('div', { class: 'modal-body sessions-screen', id: 'sessions-screen' });
    const s = { body, items: [], loading: true, error: null, ending: new Set() };
    screen = s;
    openModal(app, t('sessions.title'), body, {
      onClose: () => {
        if (screen === s) screen = null;
      },
    });
    render();
    try {
      const { api } = app;
      s.items = await api.allPages((cursor) => api.sessionsPage({ cursor }));
    } catch (err) {
      s.error = app.format.error(err);
    } finally {
      s.loading = false;
      render();
    }
  }

  async function end(id) {
    const s = screen;
    if (!s) return;
    s.ending.add(id);
    render();
    try {
      await app.api.endSession(id);
      s.items = s.items.filter((x) => x.id !== id);
      s.error = null;
    } catch (err) {
      s.error = app.format.error(err);
    } finally {
      s.ending.delete(id);
      render();
    }
  }

  function render() {
    const s = screen;
    if (!s || !s.body.isConnected) return;
    // This device first, then the most recently used.
    const items = [...s.items].sort((a, b) => Number(b.current) - Number(a.current) || String(b.last_used_at).localeCompare(String(a.last_used_at)));
    const parts = items.map((x) =>
      h(
        'div',
        { class: `session${x.current ? ' current' : ''}`, dataset: { sessionId: x.id } },
        h(
          'div',
          { class: 'chat-item-body' },
          h('div', { class: 'chat-item-title ellipsis', text: x.device_name || t('sessions.unknown_device') }),
          h('div', { class: 'muted small', text: x.current ? t('sessions.this_device') : t('sessions.last_active', { when: `${app.format.listTime(x.last_used_at)} ${app.format.time(x.last_used_at)}`.trim() }) }),
        ),
        x.current
          ? null
          : h('button', { type: 'button', class: 'btn danger session-end', disabled: s.ending.has(x.id), text: t('sessions.end'), onclick: () => end(x.id) }),
      ),
    );
    if (s.loading) parts.push(h('div', { class: 'muted small', text: t('chat.loading') }));
    if (s.error) parts.push(h('div', { class: 'form-error', role: 'alert', text: s.error }));
    s.body.replaceChildren(...parts);
  }

  // --- deleting my account -----------------------------------------------------------------

  function openDeleteAccount() {
    const user = app.store?.me;
    if (!user) return;
    const password = h('input', { type: 'password', id: 'delete-password', name: 'password', autocomplete: 'current-password', maxlength: PASSWORD_MAX });
    const erase = h('input', { type: 'checkbox', id: 'delete-erase' });
    const error = h('div', { class: 'form-error', id: 'delete-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'btn danger primary', id: 'delete-submit', text: t('account.delete_submit') });
    let close = null;
    async function onsubmit(ev) {
      ev.preventDefault();
      error.hidden = true;
      if (!password.value) {
        error.textContent = t('validation.password_required');
        error.hidden = false;
        password.focus();
        return;
      }
      submit.disabled = true;
      try {
        await app.api.deleteAccount(password.value, { eraseMessages: erase.checked });
        close?.();
        app.leaveSession({ key: 'account.deleted_notice' });
      } catch (err) {
        error.textContent = err instanceof ApiError && err.code === ErrorCode.INVALID_CREDENTIALS ? t('settings.password_wrong_current') : app.format.error(err);
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    }
    const body = h(
      'form',
      { class: 'modal-body', id: 'delete-account-form', novalidate: true, onsubmit },
      h('p', { class: 'form-error', text: t('account.delete_warning') }),
      // For password managers: whose password this is.
      h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, hidden: true, readonly: true }),
      h('label', { class: 'field' }, h('span', { text: t('settings.current_password') }), password),
      h('label', { class: 'check-field' }, erase, h('span', { text: t('account.erase_messages') })),
      error,
      h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => close?.() }), submit),
    );
    close = openModal(app, t('account.delete_title'), body);
  }

  return { open, render, openDeleteAccount };
}
