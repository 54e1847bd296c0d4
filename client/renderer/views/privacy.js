// Privacy (GET / PUT /users/me/privacy: who sees my last seen, online status, avatar, bio,
// birthdate and email; who may add me to groups; read receipts) and the people I blocked
// (GET /users/me/blocked, unblock). A change is saved at once; `privacy_updated` and
// `blocks_updated` from my other devices redraw whatever is open.

import { h } from './dom.js';
import { openModal } from './modals.js';
import { userAvatar, userName } from './common.js';

export function createPrivacy(app) {
  const t = app.t;
  let screen = null; // {kind: 'privacy'|'blocked', body, error, ...}

  const audience = () => [
    ['everybody', t('privacy.everybody')],
    ['contacts', t('privacy.contacts')],
    ['nobody', t('privacy.nobody')],
  ];
  // [setting, label, choices]; read_receipts is a switch.
  const settings = () => [
    ['last_seen', t('privacy.last_seen'), audience()],
    ['online', t('privacy.online'), audience()],
    ['avatar', t('privacy.avatar'), audience()],
    ['bio', t('privacy.bio'), audience()],
    ['birthdate', t('privacy.birthdate'), audience()],
    ['email', t('privacy.email'), audience()],
    ['groups_add', t('privacy.groups_add'), audience().slice(0, 2)],
  ];

  function show(kind, title) {
    const body = h('div', { class: `modal-body ${kind}-screen`, id: `${kind}-screen` });
    screen = { kind, body, error: null, loading: true, saving: false, items: null };
    openModal(app, title, body, {
      onClose: () => {
        if (screen?.body === body) screen = null;
      },
    });
    return screen;
  }

  // --- privacy ---------------------------------------------------------------------------

  async function openPrivacy() {
    if (!app.store) return;
    const s = show('privacy', t('privacy.title'));
    render();
    try {
      const answer = await app.api.privacy();
      app.store?.setPrivacy(answer);
    } catch (err) {
      s.error = err?.status === 404 ? t('privacy.unavailable') : app.format.error(err);
    } finally {
      s.loading = false;
      render();
    }
  }

  async function save(patch) {
    const s = screen;
    const { store } = app;
    if (!s || !store?.privacy) return;
    const before = store.privacy;
    const next = { ...before, ...patch };
    store.setPrivacy(next); // at once; put back if the server refuses
    s.saving = true;
    s.error = null;
    render();
    try {
      const answer = await app.api.setPrivacy(next);
      if (answer && typeof answer === 'object') app.store?.setPrivacy(answer);
    } catch (err) {
      app.store?.setPrivacy(before);
      s.error = app.format.error(err);
    } finally {
      s.saving = false;
      render();
    }
  }

  function renderPrivacy(s) {
    const privacy = app.store.privacy;
    const parts = [h('p', { class: 'muted small', text: t('privacy.hint') })];
    if (privacy) {
      for (const [key, label, choices] of settings()) {
        const select = h(
          'select',
          { id: `privacy-${key}`, name: key, disabled: s.saving, onchange: (e) => save({ [key]: e.target.value }) },
          choices.map(([value, text]) => h('option', { value, text, selected: privacy[key] === value })),
        );
        parts.push(h('label', { class: 'field' }, h('span', { text: label }), select));
      }
      const receipts = h('input', { type: 'checkbox', id: 'privacy-read_receipts', checked: !!privacy.read_receipts, disabled: s.saving, onchange: (e) => save({ read_receipts: e.target.checked }) });
      parts.push(h('label', { class: 'check-field' }, receipts, h('span', {}, h('span', { text: t('privacy.read_receipts') }), h('small', { class: 'hint block', text: t('privacy.read_receipts_hint') }))));
    } else if (s.loading) {
      parts.push(h('div', { class: 'muted small', text: t('chat.loading') }));
    }
    if (s.error) parts.push(h('div', { class: 'form-error', id: 'privacy-error', role: 'alert', text: s.error }));
    parts.push(h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn', id: 'privacy-blocked', text: t('blocked.title'), onclick: openBlocked })));
    s.body.replaceChildren(...parts);
  }

  // --- blocked users ---------------------------------------------------------------------

  async function openBlocked() {
    if (!app.store) return;
    const s = show('blocked', t('blocked.title'));
    render();
    try {
      const { api } = app;
      const items = await api.allPages((cursor) => api.blockedPage({ cursor }));
      if (!app.store) return;
      app.store.rememberUsers(items.map((u) => ({ ...u, blocked: true })));
      s.items = items.map((u) => u.id);
    } catch (err) {
      s.error = err?.status === 404 ? t('privacy.unavailable') : app.format.error(err);
    } finally {
      s.loading = false;
      render();
    }
  }

  async function unblock(userId) {
    const s = screen;
    try {
      await app.api.unblock(userId);
      app.store?.setBlocked(userId, false);
    } catch (err) {
      if (s) s.error = app.format.error(err);
      render();
    }
  }

  function renderBlocked(s) {
    const { store } = app;
    // Who I block now: the list read, less those unblocked since, plus those blocked since.
    const ids = new Set([...(s.items || []), ...store.blocked]);
    const people = [...ids].filter((id) => store.isBlocked(id)).map((id) => store.users.get(id) || { id });
    const parts = people.map((u) =>
      h(
        'div',
        { class: 'chat-item person blocked-user', dataset: { userId: String(u.id) } },
        userAvatar(app, u, 'small'),
        h(
          'div',
          { class: 'chat-item-body clickable', onclick: () => app.views.userProfile.open(u.id) },
          h('div', { class: 'chat-item-title ellipsis', text: userName(app, u.id) }),
          u.username ? h('div', { class: 'muted small', text: `@${u.username}` }) : null,
        ),
        h('button', { type: 'button', class: 'btn', text: t('profile.unblock'), onclick: () => unblock(u.id) }),
      ),
    );
    if (!people.length && !s.loading && !s.error) parts.push(h('div', { class: 'empty-hint small', text: t('blocked.empty') }));
    if (s.loading) parts.push(h('div', { class: 'muted small', text: t('chat.loading') }));
    if (s.error) parts.push(h('div', { class: 'form-error', role: 'alert', text: s.error }));
    s.body.replaceChildren(...parts);
  }

  function render() {
    const s = screen;
    if (!s || !s.body.isConnected || !app.store) return;
    if (s.kind === 'privacy') renderPrivacy(s);
    else renderBlocked(s);
  }

  return { openPrivacy, openBlocked, render };
}
