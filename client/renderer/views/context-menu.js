// A context menu at a point (right-click, a long press, or the context menu key on a focused
// message): a row of quick reactions and a list of actions, a WAI-ARIA menu moved through
// with the arrow keys, activated with Enter or Space, closed with Escape (focus goes back to
// where it was), an outside click, a scroll or a resize. Placed inside the viewport.

import { h } from './dom.js';
import { icon } from '../lib/icons.js';

export function createContextMenu(app) {
  const t = app.t;
  let menu = null; // {el, returnFocus}

  function close({ restoreFocus = false } = {}) {
    if (!menu) return;
    const { el, returnFocus } = menu;
    menu = null;
    el.remove();
    if (restoreFocus && returnFocus?.isConnected) returnFocus.focus();
  }

  function entries() {
    return menu ? [...menu.el.querySelectorAll('[role^="menuitem"]')] : [];
  }

  function move(delta) {
    const list = entries();
    if (!list.length) return;
    const at = list.indexOf(document.activeElement);
    const next = at < 0 ? (delta > 0 ? 0 : list.length - 1) : (at + delta + list.length) % list.length;
    list[next].focus();
  }

  function onKeydown(e) {
    const list = entries();
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') move(1);
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') move(-1);
    else if (e.key === 'Home') list[0]?.focus();
    else if (e.key === 'End') list.at(-1)?.focus();
    else if (e.key === 'Escape') close({ restoreFocus: true });
    else if (e.key === 'Tab') close({ restoreFocus: true });
    else return;
    e.preventDefault();
    e.stopPropagation();
  }

  function place(el, x, y) {
    const margin = 8;
    const width = el.offsetWidth;
    const height = el.offsetHeight;
    const left = Math.max(margin, Math.min(x, window.innerWidth - width - margin));
    // Below the point when it fits, else above it, else as low as the viewport allows.
    let top = y;
    if (top + height > window.innerHeight - margin) top = y - height >= margin ? y - height : window.innerHeight - height - margin;
    el.style.left = `${left}px`;
    el.style.top = `${Math.max(margin, top)}px`;
  }

  /**
   * Opens the menu at (x, y). `items`: [{id, label, icon, danger, run}] in order;
   * `reactions`: {emojis, chosen: Set, pick(emoji)} for the quick row, or null.
   */
  function open({ x, y, label, items, reactions = null, returnFocus = document.activeElement }) {
    close();
    const activate = (run) => () => {
      close();
      run();
    };
    const row = reactions
      ? h(
          'div',
          { class: 'context-reactions', role: 'group', 'aria-label': t('reactions.quick') },
          ...reactions.emojis.map((emoji) =>
            h('button', {
              type: 'button',
              class: `reaction-quick-btn${reactions.chosen.has(emoji) ? ' mine' : ''}`,
              role: 'menuitemcheckbox',
              'aria-checked': String(reactions.chosen.has(emoji)),
              'aria-label': emoji,
              tabindex: '-1',
              text: emoji,
              dataset: { emoji },
              onclick: activate(() => reactions.pick(emoji)),
            }),
          ),
        )
      : null;
    const el = h(
      'div',
      { class: 'context-menu', role: 'menu', 'aria-label': label, tabindex: '-1', onkeydown: onKeydown },
      row,
      ...items.map((item) =>
        h(
          'button',
          {
            type: 'button',
            class: `context-menu-item${item.danger ? ' danger-text' : ''}`,
            role: 'menuitem',
            tabindex: '-1',
            dataset: { action: item.id },
            onclick: activate(item.run),
          },
          item.icon ? icon(item.icon, 16) : null,
          h('span', { text: item.label }),
        ),
      ),
    );
    menu = { el, returnFocus };
    document.body.append(el);
    place(el, x, y);
    // The first action rather than a reaction: what a keyboard user most often wants.
    (el.querySelector('.context-menu-item') || entries()[0])?.focus();
    return el;
  }

  // Anything outside the menu, a scroll of the messages or a resize closes it.
  document.addEventListener('pointerdown', (e) => {
    if (menu && !menu.el.contains(e.target)) close();
  }, true);
  document.addEventListener('scroll', (e) => {
    if (menu && !menu.el.contains(e.target)) close();
  }, true);
  window.addEventListener('resize', () => close());
  window.addEventListener('blur', () => close());

  return { open, close, get isOpen() { return menu !== null; } };
}
