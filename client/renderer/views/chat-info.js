// The side panel about the open chat: the peer's profile, or a group's members with the
// owner's and admins' controls (rename, roles, add, remove) and "leave"; for both, the
// chat's media (views/media-panel.js) and "clear history".

import { $, h, keyedList } from './dom.js';
import { chatTitle, chatAvatarInfo, isOnline, userAvatar, userName } from './common.js';
import { avatarView } from './avatar.js';
import { confirmModal } from './modals.js';
import { userPicker } from './user-picker.js';
import { icon } from '../lib/icons.js';

const ROLE_RANK = Object.freeze({ owner: 0, admin: 1, member: 2 });

export function createChatInfo(app) {
  const { ui } = app;
  const t = app.t;
  const panel = $('#info-panel');
  const rows = keyedList(panel);

  /** Runs a request; a failure is shown as a toast. */
  const attempt = (fn) => async () => {
    try {
      await fn();
    } catch (err) {
      app.toast(app.format.error(err));
    }
  };

  // Accessibility (issue 17): opening the panel takes the focus into it, Escape inside it
  // closes it, and closing it gives the focus back to what opened it.
  let opener = null;
  panel.tabIndex = -1;

  function open() {
    ui.infoOpen = true;
    const wasHidden = panel.hidden;
    panel.hidden = false;
    render();
    if (wasHidden) {
      opener = document.activeElement;
      panel.focus();
    }
  }

  function close() {
    ui.infoOpen = false;
    ui.memberPicker = null;
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    if (hadFocus) (opener?.isConnected && !opener.closest('[hidden]') ? opener : $('#btn-info'))?.focus();
    opener = null;
  }

  // The rows are redrawn on presence events, which can drop the focus to <body>: Escape
  // there still closes the panel, as long as no dialog or popup took it (defaultPrevented).
  const onEscape = (e) => {
    if (e.key !== 'Escape' || !ui.infoOpen || e.defaultPrevented) return;
    if (!panel.contains(e.target) && e.target !== document.body) return;
    e.preventDefault();
    close();
  };
  panel.addEventListener('keydown', onEscape);
  document.addEventListener('keydown', (e) => e.target === document.body && onEscape(e));

  function toggle() {
    if (ui.infoOpen) close();
    else open();
  }

  function row(label, value) {
    return h('div', { class: 'info-row' }, h('span', { class: 'muted small', text: label }), h('span', { text: value }));
  }

  function memberRow(chat, m, canManage, myRole) {
    const { store, api } = app;
    const u = store.users.get(m.user_id) || m.user || { id: m.user_id };
    const av = userAvatar(app, u, 'small');
    if (isOnline(app, m.user_id)) av.append(h('i', { class: 'online-dot' }));
    const me = m.user_id === store.me.id;
    const openProfile = () => (me ? app.views.myProfile.open() : app.views.userProfile.open(m.user_id));
    const manageable = canManage && !me && m.role !== 'owner' && (myRole === 'owner' || m.role === 'member');
    return h(
      'div',
      { class: 'member', dataset: { userId: String(m.user_id) } },
      h('button', { type: 'button', class: 'member-avatar', onclick: openProfile }, av),
      h(
        'div',
        { class: 'chat-item-body clickable', onclick: openProfile },
        h('div', { class: 'ellipsis member-name', text: `${userName(app, m.user_id)}${me ? ` (${t('chats.you')})` : ''}` }),
        h('div', { class: 'muted small', text: isOnline(app, m.user_id) ? t('presence.online') : app.format.lastSeen(u.last_seen_at) }),
      ),
      m.role !== 'member' ? h('span', { class: 'role small', text: t(`roles.${m.role}`) }) : null,
      manageable
        ? h('button', {
            type: 'button',
            class: 'icon-btn small',
            title: t(m.role === 'admin' ? 'info.make_member' : 'info.make_admin'),
            onclick: attempt(async () => {
              await api.setRole(chat.id, m.user_id, m.role === 'admin' ? 'member' : 'admin');
              app.store.upsertChat(await api.chat(chat.id));
            }),
          }, icon(m.role === 'admin' ? 'down' : 'up', 16))
        : null,
      manageable
        ? h('button', {
            type: 'button',
            class: 'icon-btn small danger-text',
            title: t('info.remove_member'),
            onclick: attempt(async () => {
              await api.removeMember(chat.id, m.user_id);
              app.store.apply({ type: 'member_removed', data: { chat_id: chat.id, user_id: m.user_id } });
            }),
          }, icon('close', 16))
        : null,
    );
  }

  function renameRow(chat) {
    const titleInput = h('input', { value: chat.title || '', maxlength: '100', 'aria-label': t('a11y.group_title') });
    return h(
      'div',
      { class: 'info-row rename' },
      titleInput,
      h('button', {
        type: 'button',
        class: 'btn',
        text: t('info.rename'),
        onclick: attempt(async () => {
          const updated = await app.api.renameChat(chat.id, titleInput.value.trim());
          app.store.apply({ type: 'chat_updated', data: { chat: updated } });
        }),
      }),
    );
  }

  /** The add-member picker, kept across redraws so that what is typed into it survives. */
  function memberPicker(chat) {
    if (ui.memberPicker?.chatId !== chat.id) {
      const exclude = new Set();
      ui.memberPicker = {
        chatId: chat.id,
        exclude,
        el: userPicker(app, {
          exclude,
          onPick: (u) =>
            attempt(async () => {
              await app.api.addMember(chat.id, u.id);
              app.store.upsertChat(await app.api.chat(chat.id));
            })(),
        }),
      };
    }
    ui.memberPicker.exclude.clear();
    for (const m of chat.members) ui.memberPicker.exclude.add(m.user_id);
    return ui.memberPicker.el;
  }

  /** The media panel and "clear history", for dialogs and groups alike. */
  function hygieneItems(chat) {
    const media = app.views.mediaPanel.element(chat.id);
    return [
      { key: 'media', deps: [media], render: () => media },
      {
        key: 'clear',
        deps: [chat.id, app.i18n.lang],
        render: () =>
          h('button', {
            type: 'button',
            class: 'btn danger wide clear-history-btn',
            id: 'info-clear-history',
            text: t('info.clear_history'),
            onclick: () => clearHistory(chat.id),
          }),
      },
    ];
  }

  async function clearHistory(chatId) {
    if (!(await confirmModal(app, t('info.clear_confirm'), t('info.clear_history')))) return;
    await attempt(async () => {
      const answer = await app.api.clearHistory(chatId);
      // The frame that follows says the same; without an answer, what I saw is what is cleared.
      const chat = app.store?.chats.get(chatId);
      const upTo = answer?.up_to_message_id ?? Math.max(chat?.last_message?.id ?? 0, chat?.last_message_id ?? 0, app.store?.history(chatId).at(-1)?.id ?? 0);
      app.store?.apply({ type: 'chat_cleared', data: { chat_id: chatId, up_to_message_id: upTo } });
    })();
  }

  function render() {
    if (!ui.infoOpen) return;
    const { store } = app;
    const chat = store?.chats.get(store.openChatId);
    if (!chat) {
      close();
      return;
    }
    // Presence, "last seen" and the language can change any row, so most are drawn afresh on
    // every render. The rename box and the add-member picker keep their very nodes: a redraw
    // comes with every presence or receipt event, and replacing a text box mid-typing would
    // drop its focus (and what is typed next) or, for the rename box, the text itself.
    const always = [{}];
    const info = chatAvatarInfo(app, chat);
    const myRole = store.myRole(chat);
    const canManage = chat.kind === 'group' && (myRole === 'owner' || myRole === 'admin');
    const items = [
      {
        key: 'head',
        deps: always,
        render: () =>
          h('div', { class: 'info-head' }, h('h2', { text: t(chat.kind === 'group' ? 'info.group' : 'info.profile') }), h('button', { type: 'button', class: 'icon-btn', title: t('common.close'), onclick: close }, icon('close'))),
      },
      {
        key: 'hero',
        deps: always,
        render: () => h('div', { class: 'info-hero' }, avatarView(app, info, 'large'), h('div', { class: 'info-title', text: chatTitle(app, chat) })),
      },
    ];
    if (chat.kind === 'direct') {
      const p = store.peer(chat);
      if (p && !p.deleted) {
        if (p.username) items.push({ key: 'username', deps: always, render: () => row(t('info.username'), `@${p.username}`) });
        if (p.bio) items.push({ key: 'bio', deps: always, render: () => row(t('info.bio'), p.bio) });
        if (p.birthdate) items.push({ key: 'birthdate', deps: always, render: () => row(t('profile.birthdate'), app.format.birthdate(p.birthdate)) });
        if (p.created_at) items.push({ key: 'registered', deps: always, render: () => row(t('info.registered'), app.format.longDate(p.created_at)) });
        items.push({
          key: 'open-profile',
          deps: always,
          render: () => h('button', { type: 'button', class: 'btn wide', id: 'info-open-profile', text: t('profile.open'), onclick: () => app.views.userProfile.open(p.id) }),
        });
      }
      items.push(...hygieneItems(chat));
      rows.update(items);
      return;
    }
    if (canManage) items.push({ key: 'rename', deps: [chat.id, chat.title, app.i18n.lang], render: () => renameRow(chat) });
    items.push({ key: 'members-title', deps: always, render: () => h('div', { class: 'section-title small muted', text: t('chat.members', { count: chat.members.length }) }) });
    const members = [...chat.members].sort((a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || a.user_id - b.user_id);
    for (const m of members) items.push({ key: `member:${m.user_id}`, deps: always, render: () => memberRow(chat, m, canManage, myRole) });
    if (canManage) {
      const picker = memberPicker(chat);
      items.push(
        { key: 'add-title', deps: always, render: () => h('div', { class: 'section-title small muted', text: t('info.add_member') }) },
        { key: 'add-picker', deps: [picker], render: () => picker },
      );
    }
    items.push(...hygieneItems(chat));
    items.push({
      key: 'leave',
      deps: always,
      render: () =>
        h('button', {
          type: 'button',
          class: 'btn danger wide leave-btn',
          text: t('info.leave'),
          onclick: async () => {
            if (!(await confirmModal(app, t('info.leave_confirm'), t('info.leave')))) return;
            await attempt(async () => {
              await app.api.removeMember(chat.id, store.me.id);
              app.store.apply({ type: 'member_removed', data: { chat_id: chat.id, user_id: store.me.id } });
              close();
              app.renderAll();
            })();
          },
        }),
    });
    rows.update(items);
  }

  return { open, close, toggle, render, isOpen: () => ui.infoOpen };
}
