// The sidebar: who I am, my chats (a keyed list: a row is redrawn only when what it shows
// changes) and the people search.

import { $, h, keyedList } from './dom.js';
import { chatTitle, chatAvatarInfo, isOnline, typingText, userName, userAvatar, fillAvatarView, userAvatarModel } from './common.js';
import { avatarDeps, avatarView } from './avatar.js';
import { ApiError } from '../lib/api.js';
import { mentionBadge } from './mentions.js';
import { icon } from '../lib/icons.js';
import { isMuted } from '../lib/chat-prefs.js';
import { confirmLogout } from './account-menu.js';

export function createChatList(app) {
  const { ui } = app;
  const t = app.t;
  const rows = keyedList($('#chat-list'));
  let searchTimer = null;

  function renderMe() {
    const me = app.store.me;
    if (!me) return;
    fillAvatarView(app, $('#me-avatar'), { ...userAvatarModel(app, me), name: me.display_name || me.username });
    $('#me-name').textContent = me.display_name || me.username;
    $('#me-username').textContent = `@${me.username}`;
  }

  /** What one row shows, as plain values: the row is redrawn when any of them changes. */
  function rowModel(chat) {
    const { store } = app;
    const info = chatAvatarInfo(app, chat);
    const peer = store.peer(chat);
    const typing = typingText(app, chat.id);
    const last = chat.last_message;
    const pending = app.outbox.list(chat.id).at(-1);
    let preview = typing || app.format.preview(pending ? { text: pending.text, attachments: pending.attachments } : last);
    if (!typing && !pending && last && chat.kind === 'group' && last.sender_id !== store.me.id) {
      preview = `${userName(app, last.sender_id)}: ${preview}`;
    } else if (!typing && (pending || (last && last.sender_id === store.me.id))) {
      preview = `${t('chats.you')}: ${preview}`;
    }
    // My unsent text of another chat, as people know it from other messengers (issue 15).
    const draft = !typing && chat.id !== store.openChatId && chat.draft?.text ? chat.draft.text : null;
    if (draft) preview = t('chats.draft', { text: draft.replace(/\s+/g, ' ').trim() });
    return {
      id: chat.id,
      title: chatTitle(app, chat),
      avatar: info,
      online: !!(peer && isOnline(app, peer.id)),
      typing: !!typing,
      preview: preview || t('chats.no_messages'),
      time: app.format.listTime(pending?.created_at || last?.created_at || chat.last_activity_at),
      unread: chat.unread_count || 0,
      mentions: chat.unread_mentions || 0,
      active: chat.id === store.openChatId,
      draft: !!draft,
      muted: isMuted(chat, store.now()),
      pinned: !!chat.pinned,
    };
  }

  function rowView(r) {
    const av = avatarView(app, r.avatar);
    if (r.online) av.append(h('i', { class: 'online-dot' }));
    return h(
      'li',
      {
        class: `chat-item${r.active ? ' active' : ''}`,
        dataset: { chatId: String(r.id) },
        onclick: () => app.openChat(r.id),
        onkeydown: (e) => {
          if (e.key === 'Enter') app.openChat(r.id);
        },
        oncontextmenu: (e) => app.views.chatMenu.open(r.id, e),
        role: 'button',
        tabindex: '0',
      },
      av,
      h(
        'div',
        { class: 'chat-item-body' },
        h(
          'div',
          { class: 'chat-item-top' },
          h('span', { class: 'chat-item-title ellipsis', text: r.title }),
          r.muted ? h('span', { class: 'chat-item-muted muted', title: t('chat_menu.muted') }, icon('muted', 14)) : null,
          h('span', { class: 'chat-item-time muted small', text: r.time }),
        ),
        h(
          'div',
          { class: 'chat-item-bottom' },
          h('span', { class: `chat-item-preview ellipsis small ${r.typing ? 'accent' : 'muted'}${r.draft ? ' draft' : ''}`, text: r.preview }),
          mentionBadge(app, r.mentions),
          r.unread ? h('span', { class: `badge${r.muted ? ' muted' : ''}`, text: r.unread > 99 ? '99+' : String(r.unread) }) : null,
          r.pinned && !r.unread ? h('span', { class: 'chat-item-pin muted', title: t('chat_menu.pinned') }, icon('pin', 14)) : null,
          h('button', {
            type: 'button',
            class: 'icon-btn small chat-item-more',
            title: t('chat_menu.title'),
            onclick: (e) => app.views.chatMenu.open(r.id, e),
          }, icon('more', 16)),
        ),
      ),
    );
  }

  function render() {
    const q = ui.search.trim().toLowerCase();
    const archived = app.store.chatList({ archived: true });
    if (!archived.length) ui.showArchived = false;
    const chats = app.store.chatList({ archived: !!ui.showArchived }).filter((c) => !q || chatTitle(app, c).toLowerCase().includes(q));
    const entry = q ? null : app.views.chatMenu.entryRow(archived);
    rows.update([
      ...(entry ? [entry] : []),
      ...chats.map((chat) => {
        const r = rowModel(chat);
        const { avatar: av, ...rest } = r;
        return { key: chat.id, deps: [app.i18n.lang, ...avatarDeps(av), ...Object.values(rest)], render: () => rowView(r) };
      }),
    ]);
    $('#chats-empty').hidden = chats.length > 0 || !!q;
    const total = app.store.totalUnread();
    document.title = total ? `(${total}) ${t('app.name')}` : t('app.name');
    renderSearchResults();
  }

  function renderSearchResults() {
    const box = $('#search-results');
    const res = ui.searchResults;
    if (!ui.search.trim() || !res) {
      box.hidden = true;
      return;
    }
    box.textContent = '';
    box.append(h('div', { class: 'section-title small muted', text: t('chats.people') }));
    const people = res.filter((u) => u.id !== app.store.me.id && !u.deleted);
    if (!people.length) box.append(h('div', { class: 'empty-hint small', text: t('chats.nobody_found') }));
    for (const u of people) {
      const av = userAvatar(app, u);
      if (isOnline(app, u.id)) av.append(h('i', { class: 'online-dot' }));
      box.append(
        h(
          'div',
          { class: 'chat-item person', dataset: { userId: String(u.id) }, onclick: () => openDirect(u.id), role: 'button', tabindex: '0' },
          av,
          h(
            'div',
            { class: 'chat-item-body' },
            h('div', { class: 'chat-item-title ellipsis', text: userName(app, u.id) }),
            h('div', { class: 'muted small', text: `@${u.username}` }),
          ),
        ),
      );
    }
    box.hidden = false;
  }

  function clearSearch() {
    clearTimeout(searchTimer);
    ui.search = '';
    ui.searchResults = null;
    $('#search').value = '';
  }

  async function openDirect(userId) {
    try {
      const chat = await app.api.openDirect(userId);
      app.store.upsertChat(chat);
      clearSearch();
      await app.openChat(chat.id);
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  function onSearchInput() {
    ui.search = $('#search').value;
    clearTimeout(searchTimer);
    render();
    const q = ui.search.trim();
    if (q.length < 2) {
      ui.searchResults = null;
      renderSearchResults();
      return;
    }
    searchTimer = setTimeout(async () => {
      try {
        const res = await app.api.searchUsers(q);
        if (ui.search.trim() === q && app.store) {
          ui.searchResults = res.items || [];
          app.store.rememberUsers(ui.searchResults);
          renderSearchResults();
        }
      } catch (err) {
        if (!(err instanceof ApiError) || !err.isNetwork) app.toast(app.format.error(err));
      }
    }, 250);
  }

  $('#search').addEventListener('input', onSearchInput);
  $('#btn-new-group').addEventListener('click', () => app.views.newGroup.open());
  $('#btn-settings').addEventListener('click', () => app.views.settings.open());
  $('#btn-logout').addEventListener('click', () => confirmLogout(app));
  $('#btn-contacts').addEventListener('click', () => app.views.contacts.open());
  for (const el of [$('#me-avatar'), $('#me-text')]) el.addEventListener('click', () => app.views.myProfile.open());

  return { render, renderMe, clearSearch, openDirect, clear: () => rows.clear() };
}
