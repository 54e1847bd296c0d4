// Pieces the console's sections share: dates, a one-time link with its copy button, and
// the foot of a paged list (loading, its error, "more").

import { h } from '../dom.js';

/** A date and time in the user's language, or a dash. */
export function when(app, iso) {
  if (!iso) return '—';
  return `${app.format.longDate(iso)} ${app.format.time(iso)}`;
}

/** Puts `text` on the clipboard; resolves false where the page may not (then the user copies). */
export async function copyText(text) {
  try {
    await globalThis.navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A link shown once (an invite, a password reset): a read-only field holding it, selected
 * on focus, and a copy button that says whether the copy worked.
 */
export function linkBox(app, { id, label, url, note = '' }) {
  const t = app.t;
  const field = h('input', { id, class: 'admin-link-input', type: 'text', readonly: true, value: url, 'aria-label': label, onfocus: (e) => e.target.select() });
  field.value = url;
  const status = h('span', { class: 'muted small admin-copy-status', role: 'status', 'aria-live': 'polite' });
  const copy = h('button', {
    type: 'button',
    class: 'btn admin-copy',
    text: t('admin.copy'),
    onclick: async () => {
      const ok = await copyText(url);
      status.textContent = ok ? t('admin.copied') : t('admin.copy_by_hand');
      if (!ok) field.select?.();
    },
  });
  return h('div', { class: 'admin-link', role: 'group', 'aria-label': label }, h('div', { class: 'admin-link-label', text: label }), h('div', { class: 'admin-link-row' }, field, copy), note ? h('div', { class: 'muted small', text: note }) : null, status);
}

/** What a paged list (lib/admin.js PagedList) shows under its rows. */
export function listFoot(app, list, { empty }) {
  const t = app.t;
  if (list.error) return h('div', { class: 'form-error admin-list-error', role: 'alert', text: app.format.error(list.error) });
  if (list.loading) return h('div', { class: 'muted small admin-loading', text: t('chat.loading') });
  if (list.loaded && !list.items.length) return h('div', { class: 'empty-hint admin-empty', text: empty });
  if (list.hasMore) return h('button', { type: 'button', class: 'btn admin-more', text: t('admin.more'), onclick: () => list.more() });
  return null;
}

/** A labelled <select> of `options` ([value, text]); `onchange(value)`. */
export function select(label, name, options, value, onchange) {
  const el = h('select', { name, onchange: (e) => onchange(e.target.value) }, options.map(([v, text]) => h('option', { value: v, text, selected: v === value })));
  el.value = value;
  return h('label', { class: 'field admin-filter' }, h('span', { text: label }), el);
}
