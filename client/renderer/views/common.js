// Pieces several views show the same way: avatars, names, titles, presence, typing.

import { h } from './dom.js';

export const PALETTE = ['#e17076', '#7bc862', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774', '#5b8def'];

export function avatar(name, id, url, extraClass = '') {
  const el = h('div', { class: `avatar ${extraClass}`.trim() });
  fillAvatar(el, name, id, url);
  return el;
}

export function fillAvatar(el, name, id, url) {
  el.textContent = '';
  el.style.background = PALETTE[Math.abs(Number(id) || 0) % PALETTE.length];
  if (url && /^(https?:)?\/\//.test(url) === false && !url.startsWith('/')) url = null;
  if (url) {
    const img = h('img', { src: url, alt: '' });
    img.addEventListener('error', () => img.remove());
    el.append(img);
  }
  const initials = (name || '?')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0].toUpperCase())
    .join('');
  el.append(h('span', { text: initials || '?' }));
}

export function userName(app, id) {
  const { store } = app;
  if (store.me && id === store.me.id) return store.me.display_name || store.me.username;
  const u = store.users.get(id);
  return u ? u.display_name || u.username : app.t('common.unknown_user');
}

export function chatTitle(app, chat) {
  if (!chat) return '';
  if (chat.kind === 'direct') {
    const p = app.store.peer(chat);
    return p ? p.display_name || p.username || app.t('common.unknown_user') : app.t('common.unknown_user');
  }
  return chat.title || app.t('chats.untitled_group');
}

export function chatAvatarInfo(app, chat) {
  if (chat.kind === 'direct') {
    const p = app.store.peer(chat);
    return { name: chatTitle(app, chat), id: p?.id ?? chat.id, url: p?.avatar_url };
  }
  return { name: chatTitle(app, chat), id: chat.id, url: null };
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
