// "Forward": a modal that lists my chats (filtered as I type); picking one sends the
// message there as a forward (through the outbox, so it survives a lost connection and is
// sent once) and opens that chat.

import { h } from './dom.js';
import { chatAvatarInfo, chatTitle, avatarView } from './common.js';
import { openModal } from './modals.js';

export function createForwardPicker(app) {
  const t = app.t;

  function open(message) {
    const { store } = app;
    if (!store || !message || message.deleted) return;
    const input = h('input', { type: 'search', placeholder: t('forward.search'), 'aria-label': t('forward.search'), autocomplete: 'off', class: 'forward-search' });
    const list = h('div', { class: 'picker-results forward-chats' });
    let close = () => {};

    async function pick(chat) {
      close();
      try {
        await app.engine.send({ chat_id: chat.id, text: message.text || '', forward_of: message.id });
        await app.openChat(chat.id);
      } catch (err) {
        app.toast(app.format.error(err));
      }
    }

    function fill() {
      const q = input.value.trim().toLowerCase();
      list.textContent = '';
      const chats = store.chatList().filter((c) => !q || chatTitle(app, c).toLowerCase().includes(q));
      if (!chats.length) list.append(h('div', { class: 'empty-hint small', text: t('forward.no_chats') }));
      for (const chat of chats) {
        list.append(
          h(
            'div',
            { class: 'chat-item', role: 'button', dataset: { chatId: String(chat.id) }, onclick: () => pick(chat) },
            avatarView(app, chatAvatarInfo(app, chat)),
            h('div', { class: 'chat-item-body' }, h('div', { class: 'ellipsis', text: chatTitle(app, chat) })),
          ),
        );
      }
    }

    input.addEventListener('input', fill);
    fill();
    close = openModal(app, t('forward.title'), h('div', { class: 'modal-body forward-picker' }, input, list));
    input.focus();
  }

  return { open };
}
