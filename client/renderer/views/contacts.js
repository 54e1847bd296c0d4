// My contacts (GET /contacts, paged): search among them, open a profile, start a chat.
// The store holds the contacts themselves (their local names are shown everywhere), read in
// full at the start of a session and kept up to date by `contacts_updated`; this screen
// shows them and pages on through the server's list.

import { h } from './dom.js';
import { openModal } from './modals.js';
import { isOnline, userAvatar, userName } from './common.js';
import { ApiError } from '../lib/api.js';
import { icon } from '../lib/icons.js';

// Profiles in GET /contacts may come plain (with local_name) or as {user_id, local_name, user}.
function profileOf(item) {
  return item?.user ? { ...item.user, local_name: item.local_name ?? null, is_contact: true } : { ...item, is_contact: true };
}

export function createContacts(app) {
  const t = app.t;
  let screen = null; // {body, list, search, cursor, hasMore, loading, error, close}

  /** Reads every page of my contacts into the store; a server without them changes nothing. */
  async function loadAll() {
    const { api, store } = app;
    if (!api || !store) return;
    try {
      const items = await api.allPages((cursor) => api.contactsPage({ cursor }));
      if (app.store === store) store.setContacts(items.map(profileOf));
    } catch (err) {
      if (!(err instanceof ApiError)) console.warn('contacts', err);
    }
  }

  async function loadPage() {
    const s = screen;
    if (!s || s.loading) return;
    s.loading = true;
    render();
    try {
      const page = await app.api.contactsPage({ cursor: s.cursor ?? undefined });
      if (!app.store) return;
      const profiles = (page?.items || []).map(profileOf);
      app.store.rememberUsers(profiles);
      for (const p of profiles) s.ids.add(p.id);
      s.hasMore = !!page?.has_more && typeof page.next_cursor === 'string' && page.next_cursor !== s.cursor;
      s.cursor = page?.next_cursor ?? null;
      s.error = null;
    } catch (err) {
      s.error = err?.status === 404 ? t('contacts.unavailable') : app.format.error(err);
    } finally {
      s.loading = false;
      render();
    }
    // A search looks through every contact, not only the pages read so far.
    if (s === screen && s.hasMore && s.search.value.trim() && !s.error) loadPage();
  }

  function open() {
    if (!app.store) return;
    const search = h('input', { type: 'search', id: 'contacts-search', autocomplete: 'off', placeholder: t('contacts.search_placeholder'), 'aria-label': t('contacts.search_placeholder') });
    const list = h('div', { class: 'contacts-list', id: 'contacts-list' });
    const footer = h('div', { class: 'contacts-footer' });
    const body = h('div', { class: 'modal-body contacts-screen' }, search, list, footer);
    screen = { body, list, footer, search, ids: new Set(), cursor: null, hasMore: false, loading: false, error: null, close: null };
    search.addEventListener('input', () => {
      render();
      if (screen?.hasMore && search.value.trim()) loadPage();
    });
    screen.close = openModal(app, t('contacts.title'), body, {
      onClose: () => {
        if (screen?.body === body) screen = null;
      },
    });
    render();
    loadPage();
  }

  function matches(u, q) {
    if (!q) return true;
    const hay = [userName(app, u.id), u.display_name, u.username].filter(Boolean).join(' ').toLowerCase();
    return hay.includes(q);
  }

  function row(u) {
    const av = userAvatar(app, u, 'small');
    if (isOnline(app, u.id)) av.append(h('i', { class: 'online-dot' }));
    const status = isOnline(app, u.id) ? t('presence.online') : u.username ? `@${u.username}` : '';
    return h(
      'div',
      { class: 'chat-item person contact', dataset: { userId: String(u.id) }, role: 'button', tabindex: '0', onclick: () => app.views.userProfile.open(u.id) },
      av,
      h('div', { class: 'chat-item-body' }, h('div', { class: 'chat-item-title ellipsis', text: userName(app, u.id) }), h('div', { class: 'muted small', text: status })),
      h(
        'button',
        {
          type: 'button',
          class: 'icon-btn small contact-message',
          title: t('profile.message'),
          onclick: (e) => {
            e.stopPropagation();
            screen?.close();
            app.views.chatList.openDirect(u.id);
          },
        },
        icon('message', 16),
      ),
    );
  }

  function render() {
    const s = screen;
    if (!s || !s.body.isConnected || !app.store) return;
    const { store } = app;
    const q = s.search.value.trim().toLowerCase();
    // Every contact the store knows (a contact added on another device shows at once).
    const people = [...store.contacts.keys()]
      .map((id) => store.users.get(id) || { id })
      .filter((u) => matches(u, q))
      .sort((a, b) => userName(app, a.id).localeCompare(userName(app, b.id), app.i18n.lang));
    s.list.replaceChildren(...people.map(row));
    const notes = [];
    if (s.error) notes.push(h('div', { class: 'form-error', role: 'alert', text: s.error }));
    else if (!people.length && !s.loading) notes.push(h('div', { class: 'empty-hint small', text: q ? t('chats.nobody_found') : t('contacts.empty') }));
    if (s.loading) notes.push(h('div', { class: 'muted small center', text: t('chat.loading') }));
    else if (s.hasMore) notes.push(h('button', { type: 'button', class: 'btn wide', id: 'contacts-more', text: t('contacts.load_more'), onclick: loadPage }));
    s.footer.replaceChildren(...notes);
  }

  return { open, render, loadAll };
}
