// The "new group" dialog: a title and the first members.

import { h } from './dom.js';
import { openModal } from './modals.js';
import { userPicker } from './user-picker.js';

export function createNewGroup(app) {
  const t = app.t;

  function open() {
    const selected = new Map();
    const title = h('input', { id: 'group-title', maxlength: '100', placeholder: t('groups.title_placeholder') });
    const error = h('div', { class: 'form-error', hidden: true });
    let close;
    const create = async () => {
      const name = title.value.trim();
      if (!name) {
        error.textContent = t('validation.title_required');
        error.hidden = false;
        return;
      }
      try {
        const chat = await app.api.createGroup(name, [...selected.keys()]);
        app.store.upsertChat(chat);
        close();
        await app.openChat(chat.id);
      } catch (err) {
        error.textContent = app.format.error(err);
        error.hidden = false;
      }
    };
    close = openModal(
      app,
      t('chats.new_group'),
      h(
        'div',
        { class: 'modal-body' },
        h('label', { class: 'field' }, h('span', { text: t('groups.title') }), title),
        h('div', { class: 'field' }, h('span', { text: t('groups.members') }), userPicker(app, { multi: true, selected })),
        error,
        h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn primary', id: 'group-create', text: t('groups.create'), onclick: create })),
      ),
    );
  }

  return { open };
}
