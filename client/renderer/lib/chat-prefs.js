// My own arrangement of my chats (issue 15): muted, pinned (in my order), archived, and the
// draft I left in each. Chat list items carry `muted_until` ("forever", an ISO time or null),
// `muted`, `pinned`, `archived` and `draft`; `chat_settings_updated` and `draft_updated`
// frames change them. No frame says a chat left the archive: a new message does that unless
// the chat is muted, and the client applies the rule itself (`unarchiveOnMessage`).

/** Whether a chat is muted at `now` (ms). */
export function isMuted(chat, now = Date.now()) {
  const until = chat?.muted_until;
  if (!until) return false;
  if (until === 'forever') return true;
  return Date.parse(until) > now;
}

/** Whether a message posted at `createdAt` (ISO) came while the chat was muted. */
function mutedAt(chat, createdAt) {
  const until = chat?.muted_until;
  if (!until) return false;
  return until === 'forever' || Date.parse(until) > Date.parse(createdAt);
}

/** The chat after a new message: out of the archive unless it came while muted. */
export function unarchiveOnMessage(chat, message) {
  if (!chat?.archived || mutedAt(chat, message.created_at)) return chat;
  return { ...chat, archived: false };
}

/** The settings of `chat_settings_updated` (or a PATCH answer) applied to a chat. */
export function withSettings(chat, s) {
  return { ...chat, muted_until: s.muted_until, muted: s.muted, pinned: s.pinned, archived: s.archived };
}

/** The pinned chats' order as the list had them (GET /chats puts them first, in order). */
export function pinnedOrderOf(items) {
  return items.filter((c) => c.pinned).map((c) => c.id);
}

/**
 * My chats as the list shows them: pinned ones first in my order, then by last activity,
 * newest first; archived ones only with `archived` (and then only they).
 */
export function orderChats(chats, pinnedIds, { archived = false } = {}) {
  const at = (c) => Date.parse(c.last_message?.created_at || c.last_activity_at || c.created_at || 0) || 0;
  const rank = new Map(pinnedIds.map((id, i) => [id, i]));
  const place = (c) => (archived ? Infinity : c.pinned && rank.has(c.id) ? rank.get(c.id) : c.pinned ? pinnedIds.length : Infinity);
  // Each chat's keys computed once, not in every comparison: the chat list sorts on each
  // draw, and parsing two dates per comparison cost milliseconds with 2,000 chats (issue 17).
  return chats
    .filter((c) => !!c.archived === archived)
    .map((c) => ({ c, place: place(c), at: at(c) }))
    .sort((a, b) => {
      if (a.place !== b.place) return a.place - b.place;
      return b.at - a.at || b.c.id - a.c.id;
    })
    .map((k) => k.c);
}

/** The pinned order with one chat moved up (-1) or down (+1); unchanged at an end. */
export function movePinned(pinnedIds, chatId, step) {
  const order = [...pinnedIds];
  const i = order.indexOf(chatId);
  const j = i + step;
  if (i < 0 || j < 0 || j >= order.length) return order;
  [order[i], order[j]] = [order[j], order[i]];
  return order;
}

/**
 * Applies `chat_settings_updated` or `draft_updated` to the store; returns what changed
 * (`{chatId}`), or null for any other frame.
 */
export function applyChatPrefsFrame(store, type, d) {
  if (type === 'chat_settings_updated') {
    store.pinnedChatIds = [...(d.pinned_chat_ids || [])];
    for (const [id, chat] of store.chats) {
      const pinned = store.pinnedChatIds.includes(id);
      if (id === d.chat_id) store.chats.set(id, withSettings(chat, d));
      else if (!!chat.pinned !== pinned) store.chats.set(id, { ...chat, pinned });
    }
    store.changed({ kind: 'chats', chatId: d.chat_id });
    return { chatId: d.chat_id };
  }
  if (type === 'draft_updated') {
    const chat = store.chats.get(d.chat_id);
    if (chat) store.chats.set(d.chat_id, { ...chat, draft: d.draft ?? null });
    store.changed({ kind: 'chats', chatId: d.chat_id });
    store.changed({ kind: 'draft', chatId: d.chat_id });
    return { chatId: d.chat_id };
  }
  return null;
}

/** Muted chats do not count in the total shown in the window title. */
export function countsInTotal(chat, now = Date.now()) {
  return !isMuted(chat, now);
}
