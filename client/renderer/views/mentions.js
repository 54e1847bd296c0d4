// Mentions in the chat list and the open chat: the "@" badge of a chat with unread mentions
// of me, and the button over the open chat that jumps to the next one
// (GET /chats/{id}/messages?mentions=me after my read mark, then app.openChatAt).

import { $, h } from './dom.js';
import { myReadMark } from '../lib/mentions.js';

/** The chat list's badge for unread mentions (null for none). */
export function mentionBadge(app, count) {
  if (!count) return null;
  return h('span', { class: 'badge mention-badge', title: app.t('mentions.unread', { count }), text: '@' });
}

export function createMentions(app) {
  const t = app.t;
  // Per chat: the mention last jumped to, so that the next click goes on past it even
  // before the read mark has moved there.
  const jumped = new Map();
  const button = h(
    'button',
    { type: 'button', id: 'mention-jump', class: 'mention-jump', hidden: true, onclick: () => jumpToNext() },
    h('span', { class: 'mention-jump-at', text: '@' }),
    h('span', { class: 'mention-jump-count badge' }),
  );
  $('#chat-view').append(button);

  function render() {
    const { store } = app;
    const chat = store?.openChatId != null ? store.chats.get(store.openChatId) : null;
    const count = chat?.unread_mentions || 0;
    button.hidden = !count;
    button.title = t('mentions.jump', { count });
    button.lastChild.textContent = count > 99 ? '99+' : String(count);
  }

  async function jumpToNext() {
    const { store } = app;
    const chatId = store.openChatId;
    const chat = store.chats.get(chatId);
    if (!chat) return;
    const after = Math.max(myReadMark(store, chat), jumped.get(chatId) || 0);
    try {
      let page = await app.api.mentionsOfMe(chatId, { after, limit: 1 });
      if (!page.items?.length && jumped.has(chatId)) {
        // Past the last one: start again from the read mark.
        jumped.delete(chatId);
        page = await app.api.mentionsOfMe(chatId, { after: myReadMark(store, chat), limit: 1 });
      }
      const target = page.items?.[0];
      if (!target) return;
      jumped.set(chatId, target.id);
      await app.openChatAt(chatId, target.id);
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  return { render, jumpToNext };
}
