// What a message shows of the messages it relates to: the quote of the one it replies to
// (its original as loaded here, else the server's `reply_to` preview), and "Forwarded from"
// with the first source's author. Clicking a quote opens the chat at the original.

import { h } from './dom.js';
import { userName } from './common.js';
import { icon } from '../lib/icons.js';

/**
 * What a reply's quote shows: `{id, author, text, deleted}`, or null for no reply. The
 * original loaded here is its current state; otherwise the preview the server sent.
 */
export function quoteModel(app, chatId, m) {
  if (!m.reply_to_id || m.deleted) return null;
  const loaded = app.store.message(chatId, m.reply_to_id);
  const source = loaded
    ? { id: loaded.id, sender_id: loaded.sender_id, deleted: !!loaded.deleted, text: app.format.preview(loaded) }
    : m.reply_to
      ? { ...m.reply_to, text: m.reply_to.text.replace(/\s+/g, ' ') }
      : null;
  if (!source) return { id: m.reply_to_id, author: null, text: app.t('message.not_loaded'), deleted: false };
  return {
    id: source.id,
    author: userName(app, source.sender_id),
    text: source.deleted ? app.t(source.removed_by_admin ? 'message.removed_by_admin' : 'message.deleted') : source.text,
    deleted: source.deleted,
  };
}

export function quoteView(app, chatId, q) {
  return h(
    'div',
    {
      class: `quote${q.deleted ? ' deleted' : ''}`,
      role: 'button',
      title: app.t('message.show_original'),
      dataset: { replyTo: String(q.id) },
      onclick: () => app.openChatAt(chatId, q.id),
    },
    h('div', { class: 'quote-author small', text: q.author ?? app.t('message.reply') }),
    h('div', { class: 'quote-text small ellipsis', text: q.text }),
  );
}

/** "Forwarded from <name>" above a forwarded message's content; null for any other. */
export function forwardedView(app, m) {
  const source = m.forwarded_from;
  if (!source || m.deleted) return null;
  const name = userName(app, source.sender_id);
  return h(
    'div',
    { class: 'forwarded small', title: app.format.time(source.sent_at) },
    icon('forward', 13),
    h('span', { text: app.t('message.forwarded_from', { name }) }),
  );
}
