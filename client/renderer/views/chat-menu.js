// A chat's menu in the chat list (right click, or its "⋯" button): mute for a while or for
// ever, unmute; pin, unpin and move a pinned chat up or down; archive, unarchive. Also the
// list's "Archived" entry and the way back from the archive. Everything here is my own
// arrangement of my chats (issue 15): the server syncs it to my other devices.

import { h } from './dom.js';
import { icon } from '../lib/icons.js';
import { isMuted, movePinned } from '../lib/chat-prefs.js';

const HOUR = 3600 * 1000;
// The mutes offered, as in the messengers people know.
const MUTES = [
  ['chat_menu.mute_1h', HOUR],
  ['chat_menu.mute_8h', 8 * HOUR],
  ['chat_menu.mute_1d', 24 * HOUR],
  ['chat_menu.mute_forever', null],
];

export function createChatMenu(app) {
  const t = app.t;
  let menu = null;

  function close() {
    menu?.remove();
    menu = null;
  }

  async function change(chatId, settings) {
    close();
    try {
      const answer = await app.api.changeChatSettings(chatId, settings);
      // At once here; the frame that follows (and reaches my other devices) changes nothing.
      app.store?.apply({ type: 'chat_settings_updated', data: answer });
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  async function move(chatId, step) {
    close();
    const order = movePinned(app.store.pinnedChatIds, chatId, step);
    try {
      await app.api.reorderPinnedChats(order);
      const chat = app.store.chats.get(chatId);
      if (chat) app.store.apply({ type: 'chat_settings_updated', data: { ...chat, chat_id: chatId, pinned_chat_ids: order } });
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  function item(action, text, onclick, iconName = null) {
    return h(
      'button',
      { type: 'button', class: 'menu-item chat-menu-item', dataset: { action }, onclick },
      iconName ? icon(iconName, 16) : null,
      h('span', { text }),
    );
  }

  /** The menu of one chat, at the pointer (or under the element that opened it). */
  function open(chatId, event) {
    close();
    event?.preventDefault?.();
    event?.stopPropagation?.();
    const chat = app.store?.chats.get(chatId);
    if (!chat) return;
    const items = [];
    if (isMuted(chat)) {
      items.push(item('unmute', t('chat_menu.unmute'), () => change(chatId, { muted_until: null }), 'muted'));
    } else {
      for (const [key, span] of MUTES) {
        const until = () => (span === null ? 'forever' : new Date(Date.now() + span).toISOString());
        items.push(item(key.split('.')[1], t(key), () => change(chatId, { muted_until: until() }), 'muted'));
      }
    }
    if (chat.pinned) {
      items.push(item('unpin', t('chat_menu.unpin'), () => change(chatId, { pinned: false }), 'pin'));
      const order = app.store.pinnedChatIds;
      if (order.indexOf(chatId) > 0) items.push(item('move_up', t('chat_menu.move_up'), () => move(chatId, -1), 'up'));
      if (order.indexOf(chatId) < order.length - 1) {
        items.push(item('move_down', t('chat_menu.move_down'), () => move(chatId, 1), 'down'));
      }
    } else if (!chat.archived) {
      items.push(item('pin', t('chat_menu.pin'), () => change(chatId, { pinned: true }), 'pin'));
    }
    items.push(
      chat.archived
        ? item('unarchive', t('chat_menu.unarchive'), () => change(chatId, { archived: false }), 'archive')
        : item('archive', t('chat_menu.archive'), () => change(chatId, { archived: true }), 'archive'),
    );
    menu = h('div', { class: 'chat-menu', role: 'menu', dataset: { chatId: String(chatId) } }, ...items);
    document.body.append(menu);
    const box = event?.currentTarget?.getBoundingClientRect?.();
    const x = event?.clientX || box?.left || 0;
    const y = event?.clientY || box?.bottom || 0;
    const { width, height } = menu.getBoundingClientRect();
    menu.style.left = `${Math.max(4, Math.min(x, window.innerWidth - width - 4))}px`;
    menu.style.top = `${Math.max(4, Math.min(y, window.innerHeight - height - 4))}px`;
  }

  /** The list's first row: the way into the archive (with how many unread there), or back. */
  function entryRow(archivedChats) {
    const showing = !!app.ui.showArchived;
    if (!showing && !archivedChats.length) return null;
    const unread = archivedChats.reduce((n, c) => n + (c.unread_count || 0), 0);
    const toggle = () => {
      app.ui.showArchived = !showing;
      close();
      app.views.chatList.render();
    };
    const text = showing ? t('chats.back_from_archive') : t('chats.archived');
    return {
      key: showing ? 'archive-back' : 'archive-entry',
      deps: [app.i18n.lang, showing, unread],
      render: () =>
        h(
          'li',
          {
            class: 'chat-item archive-entry',
            id: showing ? 'archive-back' : 'archive-entry',
            onclick: toggle,
            onkeydown: (e) => e.key === 'Enter' && toggle(),
            role: 'button',
            tabindex: '0',
          },
          h('span', { class: 'archive-icon' }, icon(showing ? 'back' : 'archive', 22)),
          h('span', { class: 'chat-item-title ellipsis', text }),
          !showing && unread ? h('span', { class: 'badge muted', text: unread > 99 ? '99+' : String(unread) }) : null,
        ),
    };
  }

  document.addEventListener('click', (e) => {
    if (menu && !menu.contains(e.target)) close();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });

  return { open, close, entryRow, render: () => {} };
}
