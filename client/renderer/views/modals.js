// The modal dialog frame (#modal-root) and the yes/no confirmation built on it. Every dialog
// of the app goes through openModal(), so the keyboard rules live here once: the dialog is
// named by its title, the screens behind it are inert while it is open (Tab, the mouse and a
// screen reader's cursor stay in the dialog, and Tab wraps around inside it), Escape closes
// it, and on closing the focus goes back to what opened it.

import { $, h } from './dom.js';
import { icon } from '../lib/icons.js';

// What the open dialog needs once it is replaced or closed: {close, opener}. One dialog is
// shown at a time (a new one takes the root over), so one record is enough.
let current = null;

// What stays live under a dialog: the banner, the toast and the announcer (and the root).
// Everything else in <body> is inert while a dialog is open: the screens, and the popovers
// that views append to <body> (context and chat menus, the emoji picker, reaction popovers,
// the image viewer), which would otherwise take clicks and Tab next to the dialog.
const LIVE = new Set(['modal-root', 'banner', 'toast', 'announcer']);
const SCREENS = new Set(['auth-screen', 'main-screen', 'admin-screen']);
// The elements this module made inert, to be given back when the dialog closes.
let madeInert = [];

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The controls of `root` that Tab reaches, in order. */
export function tabbables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((el) => !el.closest('[hidden], [inert]') && el.getClientRects().length > 0);
}

function setBehindInert(on) {
  if (!on) {
    for (const el of madeInert) {
      el.inert = false;
      el.classList.remove('behind-modal');
    }
    madeInert = [];
    return;
  }
  for (const el of document.body.children) {
    if (LIVE.has(el.id) || el.tagName === 'SCRIPT' || el.tagName === 'TEMPLATE' || el.inert) continue;
    el.inert = true;
    // A popover floats above the dialog's backdrop; inert, it goes under it, with the screens.
    if (!SCREENS.has(el.id)) el.classList.add('behind-modal');
    madeInert.push(el);
  }
}

// Escape closes the dialog even when the focused control was redrawn away (the profile
// screens redraw on store changes), which leaves the focus on <body>, outside the root.
// preventDefault tells the other Escape handlers (the info panel's) that it was used.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && current && !e.defaultPrevented) {
    e.preventDefault();
    current.close();
  }
});

/** Tab and Shift+Tab wrap around inside `dialog`. */
function trapTab(e, dialog) {
  if (e.key !== 'Tab') return;
  const items = tabbables(dialog);
  if (!items.length) {
    e.preventDefault();
    dialog.focus();
    return;
  }
  const first = items[0];
  const last = items[items.length - 1];
  const inside = dialog.contains(document.activeElement) && document.activeElement !== dialog;
  if (e.shiftKey && (!inside || document.activeElement === first)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (!inside || document.activeElement === last)) {
    e.preventDefault();
    first.focus();
  }
}

/** Shows `content` in the modal root; returns the function that closes it. */
export function openModal(app, title, content, { onClose } = {}) {
  const root = $('#modal-root');
  // A dialog opened from another one gives the focus back, in the end, to what opened the first.
  const opener = current ? current.opener : document.activeElement;
  root.textContent = '';
  const titleId = 'modal-title';
  const close = () => {
    // A dialog that another one replaced is gone already: it only hears that it was closed.
    if (current?.close !== close) {
      onClose?.();
      return;
    }
    current = null;
    root.hidden = true;
    root.textContent = '';
    setBehindInert(false);
    onClose?.();
    // Back to the opener unless closing moved the focus on (a chat opened, another dialog).
    const lost = !document.activeElement || document.activeElement === document.body || root.contains(document.activeElement);
    if (!current && lost && opener?.isConnected && !opener.closest('[inert], [hidden]')) opener.focus();
  };
  const dialog = h(
    'div',
    { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, tabindex: '-1' },
    h('div', { class: 'modal-head' }, h('h2', { id: titleId, text: title }), h('button', { type: 'button', class: 'icon-btn modal-close', title: app.t('common.close'), 'aria-label': app.t('common.close'), onclick: close }, icon('close'))),
    content,
  );
  root.append(dialog);
  root.onclick = (e) => {
    if (e.target === root) close();
  };
  root.onkeydown = (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else trapTab(e, dialog);
  };
  root.hidden = false;
  setBehindInert(true);
  current = { close, opener };
  // The first field, else the main action, else the dialog itself (its title is read out).
  (dialog.querySelector('input, select, textarea, button.primary') || dialog).focus();
  return close;
}

/** Closes whatever dialog is open (the session ended under it). */
export function closeAnyModal() {
  current?.close();
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
