// The composer's @-autocomplete: typing "@" and the start of a name lists the open chat's
// members whose username or name starts with it (and @all for a group's owners and
// admins); arrows move, Enter or Tab insert "@username ", Escape closes.

import { $, h } from './dom.js';
import { userName } from './common.js';

const MAX_ITEMS = 8;
// "@" at the start or after a character that cannot be part of an address or a name, as
// the server reads mentions; then what has been typed of the name so far.
const TYPED = /(?:^|[^\p{L}\p{N}_.@/-])@([A-Za-z0-9_.]*)$/u;

export function createMentionPicker(app) {
  const t = app.t;
  const input = $('#composer-input');
  const list = h('div', { id: 'mention-picker', class: 'mention-picker', role: 'listbox', hidden: true });
  input.closest('.composer').prepend(list);
  let items = [];
  let selected = 0;
  let typed = null; // {start, end} of "@partial" in the textarea

  function candidates(prefix) {
    const { store } = app;
    const chat = store.chats.get(store.openChatId);
    if (!chat) return [];
    const p = prefix.toLowerCase();
    const found = [];
    for (const member of chat.members || []) {
      if (member.user_id === store.me.id) continue;
      const user = store.users.get(member.user_id) || member.user;
      if (!user?.username || user.deleted) continue;
      const name = userName(app, member.user_id);
      if (user.username.startsWith(p) || name.toLowerCase().startsWith(p) || name.toLowerCase().includes(` ${p}`)) {
        found.push({ username: user.username, name });
      }
    }
    found.sort((a, b) => a.username.localeCompare(b.username));
    const mine = (chat.members || []).find((m) => m.user_id === store.me.id);
    if (chat.kind === 'group' && ['owner', 'admin'].includes(mine?.role) && 'all'.startsWith(p)) {
      found.unshift({ username: 'all', name: t('mentions.everyone') });
    }
    return found.slice(0, MAX_ITEMS);
  }

  function close() {
    items = [];
    typed = null;
    list.hidden = true;
    list.textContent = '';
    input.removeAttribute('aria-activedescendant');
  }

  function render() {
    list.textContent = '';
    items.forEach((item, i) => {
      list.append(
        h(
          'div',
          {
            id: `mention-option-${i}`,
            class: `mention-option${i === selected ? ' selected' : ''}`,
            role: 'option',
            'aria-selected': i === selected ? 'true' : 'false',
            dataset: { username: item.username },
            // mousedown, not click: the textarea keeps the focus and the caret.
            onmousedown: (e) => {
              e.preventDefault();
              choose(i);
            },
          },
          h('span', { class: 'mention-option-name ellipsis', text: item.name }),
          h('span', { class: 'mention-option-username muted small', text: `@${item.username}` }),
        ),
      );
    });
    list.hidden = !items.length;
    if (items.length) input.setAttribute('aria-activedescendant', `mention-option-${selected}`);
  }

  function update() {
    const caret = input.selectionStart;
    if (caret !== input.selectionEnd || app.store?.openChatId == null) return close();
    const found = TYPED.exec(input.value.slice(0, caret));
    if (!found) return close();
    typed = { start: caret - found[1].length - 1, end: caret };
    items = candidates(found[1]);
    selected = Math.min(selected, Math.max(0, items.length - 1));
    if (!items.length) return close();
    render();
  }

  function choose(i) {
    const item = items[i];
    if (!item || !typed) return;
    const insert = `@${item.username} `;
    input.value = input.value.slice(0, typed.start) + insert + input.value.slice(typed.end);
    const caret = typed.start + insert.length;
    input.setSelectionRange(caret, caret);
    close();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
  }

  // Capture: the picker answers its keys before the composer sends on Enter or drops the
  // reply on Escape.
  input.addEventListener(
    'keydown',
    (e) => {
      if (list.hidden || !items.length || e.isComposing) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        selected = (selected + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
        render();
      } else if (e.key === 'Enter' || e.key === 'Tab') {
        choose(selected);
      } else if (e.key === 'Escape') {
        close();
      } else {
        return;
      }
      e.preventDefault();
      e.stopImmediatePropagation();
    },
    true,
  );
  input.addEventListener('input', () => {
    selected = 0;
    update();
  });
  input.addEventListener('click', update);
  input.addEventListener('blur', () => setTimeout(close, 0));

  return { close, update, candidates };
}
