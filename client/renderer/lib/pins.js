// A chat's pinned messages as the client keeps them: `store.pins` maps a chat id to
// `{items, loaded}`, its pins newest first as `GET /chats/{id}/pins` and the
// `message_pinned` / `message_unpinned` frames have them. Applying a frame twice changes
// nothing, like every other store change; what I cleared or hid for myself drops its pin.

/** The pins of a chat (newest first), or [] when none are known. */
export function pinsOf(store, chatId) {
  return store.pins?.get(chatId)?.items || [];
}

export function pinsLoaded(store, chatId) {
  return !!store.pins?.get(chatId)?.loaded;
}

function put(store, chatId, items, loaded) {
  if (!store.pins) store.pins = new Map();
  const sorted = [...items].sort((a, b) => (a.pinned_at < b.pinned_at ? 1 : a.pinned_at > b.pinned_at ? -1 : b.message_id - a.message_id));
  store.pins.set(chatId, { items: sorted, loaded: loaded || pinsLoaded(store, chatId) });
  store.changed({ kind: 'pins', chatId });
}

/** Replaces a chat's pins with a REST read (every page of it). */
export function setPins(store, chatId, items) {
  put(store, chatId, items.filter((p) => !store.isHiddenForMe(p.message)), true);
}

function drop(store, chatId, keep) {
  const items = pinsOf(store, chatId);
  const kept = items.filter(keep);
  if (kept.length !== items.length) put(store, chatId, kept, false);
}

/**
 * Folds a frame into the pins (called by Store.apply for every frame); the frames of
 * other kinds it ignores, or only looks at for what they mean to pins.
 */
export function applyPinFrame(store, type, d) {
  switch (type) {
    case 'message_pinned': {
      const pin = { chat_id: d.chat_id, message_id: d.message_id, pinned_by: d.pinned_by, pinned_at: d.pinned_at, message: d.message };
      const others = pinsOf(store, d.chat_id).filter((p) => p.message_id !== d.message_id);
      put(store, d.chat_id, [pin, ...others], false);
      return true;
    }
    case 'message_unpinned':
      drop(store, d.chat_id, (p) => p.message_id !== d.message_id);
      return true;
    case 'message_updated':
    case 'message_deleted': {
      const m = d.message;
      if (!m) return false;
      const items = pinsOf(store, m.chat_id);
      if (!items.some((p) => p.message_id === m.id)) return false;
      if (m.deleted) drop(store, m.chat_id, (p) => p.message_id !== m.id);
      else put(store, m.chat_id, items.map((p) => (p.message_id === m.id ? { ...p, message: { ...m, reply_to: null } } : p)), false);
      return false;
    }
    case 'chat_cleared':
      drop(store, d.chat_id, (p) => p.message_id > d.up_to_message_id);
      return false;
    case 'message_hidden':
      drop(store, d.chat_id, (p) => p.message_id !== d.message_id);
      return false;
    default:
      return false;
  }
}

/** Whether I may pin and unpin in a chat: either user of a dialog, a group's owner or admins. */
export function mayPin(store, chat) {
  if (!chat) return false;
  return chat.kind === 'direct' || ['owner', 'admin'].includes(store.myRole(chat));
}
