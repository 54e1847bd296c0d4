// Unread mentions kept in step with what arrives: the chat list's `unread_mentions` comes
// from the server (GET /chats) and moves here with new, edited, deleted, hidden and read
// messages, as `unread_count` does in the store.

/** Whether a message mentions me as an unread mention would count it (from someone else, live). */
export function mentionsMe(store, message) {
  const me = store.me?.id;
  return !!message && me !== undefined && message.sender_id !== me && !message.deleted && (message.mentions || []).includes(me);
}

/** My read mark in a chat (0 when unknown). */
export function myReadMark(store, chat) {
  return chat?.members?.find((m) => m.user_id === store.me?.id)?.read_message_id || 0;
}

/**
 * The chat's unread mentions after `before` (the message as it was known, or null)
 * became `after` (null: gone for me).
 */
export function unreadMentionsAfter(store, chat, before, after) {
  const count = chat.unread_mentions || 0;
  const id = (after || before)?.id;
  if (id === undefined || id <= myReadMark(store, chat)) return count;
  const delta = (mentionsMe(store, after) ? 1 : 0) - (mentionsMe(store, before) ? 1 : 0);
  return Math.max(0, count + delta);
}
