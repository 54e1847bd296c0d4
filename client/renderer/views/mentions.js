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
  // Per chat, as it was before it was opened (opening it marks it read at once): the read
  // mark then and how many mentions of me lay above it. The button offers those, one by
  // one, whatever the read mark does meanwhile; `after` moves past each one jumped to.
  const waiting = new Map();
  const button = h(
    'button',
    { type: 'button', id: 'mention-jump', class: 'mention-jump', hidden: true, onclick: () => jumpToNext() },
    h('span', { class: 'mention-jump-at', text: '@' }),
    h('span', { class: 'mention-jump-count badge' }),
  );
  $('#chat-view').append(button);

  function render() {
    const { store } = app;
    if (!store) return;
    const openId = store.openChatId;
    for (const chat of store.chats.values()) {
      if (chat.id !== openId) waiting.set(chat.id, { after: myReadMark(store, chat), left: chat.unread_mentions || 0 });
    }
    const chat = openId != null ? store.chats.get(openId) : null;
    const entry = chat ? waiting.get(chat.id) : null;
    // Mentions that arrive while the chat is open and scrolled up are unread too.
    if (entry && (chat.unread_mentions || 0) > entry.left) entry.left = chat.unread_mentions;
    const count = entry?.left || 0;
    button.hidden = !count;
    button.title = t('mentions.jump', { count });
    button.lastChild.textContent = count > 99 ? '99+' : String(count);
  }

  async function jumpToNext() {
    const { store } = app;
    const chatId = store.openChatId;
    const entry = waiting.get(chatId);
    if (!entry?.left) return;
    try {
      const page = await app.api.mentionsOfMe(chatId, { after: entry.after, limit: 1 });
      const target = page.items?.[0];
      entry.left = target ? entry.left - 1 : 0;
      if (target) {
        entry.after = target.id;
        await app.openChatAt(chatId, target.id);
      }
      render();
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  return { render, jumpToNext };
}
