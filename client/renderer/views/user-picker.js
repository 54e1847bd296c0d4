// Search-as-you-type people picker, used by the new-group dialog and the chat info panel.

import { h } from './dom.js';
import { isOnline, userAvatar, userName } from './common.js';
import { icon } from '../lib/icons.js';

/** One user (`onPick`) or several (`multi`, collected into `selected`: id -> user). */
export function userPicker(app, { exclude = new Set(), onPick, multi = false, selected = new Map() }) {
  const t = app.t;
  const input = h('input', { type: 'search', placeholder: t('groups.search_people'), 'aria-label': t('groups.search_people'), autocomplete: 'off' });
  const results = h('div', { class: 'picker-results' });
  const chips = h('div', { class: 'chips' });
  const renderChips = () => {
    chips.textContent = '';
    for (const [id, u] of selected) {
      chips.append(
        h('span', { class: 'chip' }, userName(app, u.id), h('button', { type: 'button', title: t('common.remove'), onclick: () => { selected.delete(id); renderChips(); } }, icon('close', 12))),
      );
    }
  };
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) {
      results.textContent = '';
      return;
    }
    timer = setTimeout(async () => {
      try {
        const res = await app.api.searchUsers(q);
        const { store } = app;
        if (!store) return;
        results.textContent = '';
        const people = (res.items || []).filter((u) => u.id !== store.me.id && !exclude.has(u.id) && !u.deleted);
        store.rememberUsers(people);
        if (!people.length) results.append(h('div', { class: 'empty-hint small', text: t('chats.nobody_found') }));
        for (const u of people) {
          results.append(
            h(
              'div',
              {
                class: 'chat-item person',
                dataset: { userId: String(u.id) },
                role: 'button',
                onclick: () => {
                  if (multi) {
                    selected.set(u.id, u);
                    renderChips();
                  } else onPick(u);
                },
              },
              withPresence(app, userAvatar(app, u, 'small'), u.id),
              h('div', { class: 'chat-item-body' }, h('div', { class: 'ellipsis', text: userName(app, u.id) }), h('div', { class: 'muted small', text: `@${u.username}` })),
            ),
          );
        }
      } catch (err) {
        results.textContent = app.format.error(err);
      }
    }, 250);
  });
  renderChips();
  return h('div', { class: 'picker' }, chips, input, results);
}

// People one shares a chat with are known to be online or not (the server tells only them).
function withPresence(app, av, userId) {
  if (isOnline(app, userId)) av.append(h('i', { class: 'online-dot' }));
  return av;
}
