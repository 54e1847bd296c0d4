// The modal dialog frame (#modal-root) and the yes/no confirmation built on it.

import { $, h } from './dom.js';
import { icon } from '../lib/icons.js';

// Escape closes the dialog even when the focused control was redrawn away (the profile
// screens redraw on store changes), which leaves the focus on <body>, outside the root.
let closeCurrent = null;
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && closeCurrent && !$('#modal-root').contains(e.target)) closeCurrent();
});

/** Shows `content` in the modal root; returns the function that closes it. */
export function openModal(app, title, content, { onClose } = {}) {
  const root = $('#modal-root');
  root.textContent = '';
  const close = () => {
    if (closeCurrent === close) closeCurrent = null;
    root.hidden = true;
    root.textContent = '';
    onClose?.();
  };
  const dialog = h(
    'div',
    { class: 'modal', role: 'dialog', 'aria-modal': 'true' },
    h('div', { class: 'modal-head' }, h('h2', { text: title }), h('button', { type: 'button', class: 'icon-btn', title: app.t('common.close'), onclick: close }, icon('close'))),
    content,
  );
  root.append(dialog);
  root.onclick = (e) => {
    if (e.target === root) close();
  };
  root.onkeydown = (e) => {
    if (e.key === 'Escape') close();
  };
  root.hidden = false;
  closeCurrent = close;
  dialog.querySelector('input, select, textarea, button.primary')?.focus();
  return close;
}

/** Resolves true when the user confirms `action`, false when the dialog is dismissed. */
export function confirmModal(app, text, action) {
  return new Promise((resolve) => {
    let answered = false;
    const close = openModal(
      app,
      app.t('common.confirm'),
      h(
        'div',
        { class: 'modal-body' },
        h('p', { text }),
        h(
          'div',
          { class: 'modal-actions' },
          h('button', { type: 'button', class: 'btn', text: app.t('common.cancel'), onclick: () => close() }),
          h('button', {
            type: 'button',
            class: 'btn danger primary',
            text: action,
            onclick: () => {
              answered = true;
              close();
              resolve(true);
            },
          }),
        ),
      ),
      { onClose: () => !answered && resolve(false) },
    );
  });
}
