// Pieces several views show the same way: avatars, names, titles, presence, typing.

import { avatarView, chatAvatarModel, fillAvatarView, userAvatarModel, PALETTE } from './avatar.js';

export { PALETTE, avatarView, fillAvatarView, userAvatarModel };

/**
 * The name shown for a user everywhere: my local name for a contact, else their display
 * name (store.nameOf is the one place that decides); "Deleted account" for a deleted one.
 */
export function userName(app, id) {
  return app.store.nameOf(id, { deleted: app.t('profile.deleted_account'), unknown: app.t('common.unknown_user') });
}

export function chatTitle(app, chat) {
  if (!chat) return '';
  if (chat.kind === 'direct') {
    const p = app.store.peer(chat);
    return p ? userName(app, p.id) : app.t('common.unknown_user');
  }
  return chat.title || app.t('chats.untitled_group');
}

/** The avatar model of a chat (see views/avatar.js). */
export function chatAvatarInfo(app, chat, size = 'small') {
  return chatAvatarModel(app, chat, chatTitle(app, chat), size);
}

/** The avatar element of a user, with their frame. */
export function userAvatar(app, user, extraClass = '', size = 'small') {
  const model = userAvatarModel(app, user, size);
  model.name = user?.id !== undefined ? userName(app, user.id) : model.name;
  return avatarView(app, model, extraClass);
}

export function isOnline(app, userId) {
  if (userId === app.store.me?.id) return app.realtime?.online === true;
  return app.store.online.get(userId) === true;
}

export function typingText(app, chatId) {
  const ids = app.store.typingIn(chatId);
  if (!ids.length) return '';
  const chat = app.store.chats.get(chatId);
  if (chat?.kind === 'direct') return app.t('typing.direct');
  if (ids.length === 1) return app.t('typing.one', { name: userName(app, ids[0]) });
  return app.t('typing.many', { count: ids.length });
}
