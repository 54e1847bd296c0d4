// The avatar everywhere one appears (chat list, headers, members, message authors, profile
// screens): an uploaded picture (fetched with the token, see lib/avatars.js), a preset
// picture, or the initials on a colour; the user's frame around it; a neutral placeholder
// for a deleted account. Views describe an avatar as a model of plain values, so a keyed row
// is redrawn only when what its avatar shows changes.

import { h } from './dom.js';
import { avatarSource } from '../lib/avatars.js';
import { icon } from '../lib/icons.js';

// CSS variables, not colours: styles.css gives avatars tones that white initials are
// readable on, and sender names lighter ones in the dark theme (issue 17, contrast).
export const PALETTE = Array.from({ length: 8 }, (_, i) => `var(--palette-${i})`);

/** A public picture's address (presets, frames): absolute, on the server the app talks to. */
export function publicUrl(app, path) {
  if (!path) return null;
  if (/^https?:\/\//.test(path)) return path;
  return `${app.serverUrl}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** The avatar model of a user profile (or of `{id}` when nothing more is known). */
export function userAvatarModel(app, user, size = 'small') {
  const src = avatarSource(user, size);
  const name = user?.id !== undefined && app.store ? app.store.nameOf(user.id, { unknown: user.display_name || user.username || '' }) : user?.display_name || user?.username || '';
  return { id: Number(user?.id) || 0, name, kind: src.kind, url: src.url, frame: src.frame };
}

/** The avatar model of a chat: the peer's for a dialog, the title's initials for a group. */
export function chatAvatarModel(app, chat, title, size = 'small') {
  if (chat.kind === 'direct') {
    const p = app.store.peer(chat);
    return { ...userAvatarModel(app, p || { id: chat.id }, size), name: title };
  }
  return { id: chat.id, name: title, kind: 'initials', url: null, frame: null };
}

/** The model's values in a fixed order, for keyed-list deps. */
export const avatarDeps = (m) => [m.id, m.name, m.kind, m.url, m.frame];

export function avatarView(app, model, extraClass = '') {
  const el = h('div', { class: `avatar ${extraClass}`.trim() });
  fillAvatarView(app, el, model);
  return el;
}

function initials(name) {
  const s = (name || '?')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0].toUpperCase())
    .join('');
  return s || '?';
}

/** Draws `model` into an existing avatar element (the header's and the sidebar's). */
export function fillAvatarView(app, el, model) {
  el.textContent = '';
  el.classList.toggle('deleted', model.kind === 'deleted');
  el.classList.toggle('framed', !!model.frame);
  el.dataset.avatarKind = model.kind;
  el.style.background = model.kind === 'deleted' ? '' : PALETTE[Math.abs(model.id) % PALETTE.length];
  if (model.kind === 'deleted') {
    el.append(icon('user', 22));
  } else {
    el.append(h('span', { class: 'avatar-initials', text: initials(model.name) }));
  }
  const showImage = (src) => {
    const img = h('img', { class: 'avatar-image', src, alt: '' });
    img.addEventListener('error', () => img.remove());
    const frame = el.querySelector('.avatar-frame');
    if (frame) frame.before(img);
    else el.append(img);
  };
  if (model.kind === 'preset') showImage(publicUrl(app, model.url));
  if (model.kind === 'upload' && app.avatars) {
    el.dataset.avatarUrl = model.url;
    const cached = app.avatars.get(model.url);
    if (cached) showImage(cached);
    else if (!app.avatars.has(model.url)) {
      app.avatars.load(model.url).then((blobUrl) => {
        // The element may show someone else by now.
        if (blobUrl && el.dataset.avatarUrl === model.url && !el.querySelector('.avatar-image')) showImage(blobUrl);
      });
    }
  } else {
    delete el.dataset.avatarUrl;
  }
  if (model.frame) el.append(h('img', { class: 'avatar-frame', src: publicUrl(app, model.frame), alt: '' }));
}
