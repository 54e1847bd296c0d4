// Reactions under a message: the bar of chips (emoji and count, mine highlighted; a click
// toggles mine; hovering shows who reacted), the quick set of six on hover or on the
// context menu, and the picker (views/emoji-picker.js) for any other emoji.

import { h } from './dom.js';
import { userName } from './common.js';
import { icon } from '../lib/icons.js';
import { QUICK_REACTIONS, rememberEmoji, toggledLocally } from '../lib/reactions.js';

// How long the pointer rests on a chip before "who reacted" is asked for.
const WHO_DELAY_MS = 350;
const WHO_PAGE = 20;

export function createReactions(app) {
  const t = app.t;
  let popover = null;
  let whoTimer = null;

  // --- toggling -----------------------------------------------------------------------

  /**
   * Adds or takes back my reaction. The chip changes at once; the answer settles it unless
   * a `message_reactions` frame came first (the frames are in order, an answer may be older).
   */
  async function toggle(m, emoji, add = !m.reactions?.some((r) => r.emoji === emoji && r.me)) {
    const { store } = app;
    const current = store.message(m.chat_id, m.id) || m;
    const guess = toggledLocally(current, emoji, add);
    store.setReactions(m.chat_id, m.id, () => guess);
    if (add) rememberEmoji(emoji);
    const settle = (reactions) => app.store?.setReactions(m.chat_id, m.id, (now) => (now === guess ? { ...now, reactions } : now));
    try {
      const answer = add ? await app.api.react(m.id, emoji) : await app.api.unreact(m.id, emoji);
      settle(answer.reactions || []);
    } catch (err) {
      settle(current.reactions || []);
      app.toast(app.format.error(err));
    }
  }

  // --- popovers (quick set, who reacted) ----------------------------------------------

  function closePopover() {
    clearTimeout(whoTimer);
    popover?.remove();
    popover = null;
  }

  function place(el, anchor) {
    document.body.append(el);
    const box = anchor.getBoundingClientRect();
    const width = el.offsetWidth;
    const left = Math.max(8, Math.min(box.left + box.width / 2 - width / 2, window.innerWidth - width - 8));
    const above = box.top - el.offsetHeight - 6;
    el.style.cssText = `left:${left}px;top:${above > 8 ? above : box.bottom + 6}px`;
  }

  document.addEventListener('pointerdown', (e) => {
    if (popover && !popover.contains(e.target)) closePopover();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closePopover();
  });

  /** The quick set of six and a way to the picker, next to a message. */
  function openQuick(m, anchor) {
    closePopover();
    const mine = new Set((m.reactions || []).filter((r) => r.me).map((r) => r.emoji));
    popover = h(
      'div',
      { class: 'reaction-quick', role: 'menu', 'aria-label': t('reactions.quick') },
      ...QUICK_REACTIONS.map((emoji) =>
        h('button', {
          type: 'button',
          class: `reaction-quick-btn${mine.has(emoji) ? ' mine' : ''}`,
          role: 'menuitem',
          text: emoji,
          dataset: { emoji },
          onclick: () => {
            closePopover();
            toggle(m, emoji, !mine.has(emoji));
          },
        }),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'reaction-quick-btn more',
          role: 'menuitem',
          title: t('reactions.picker'),
          'aria-label': t('reactions.picker'),
          onclick: () => {
            closePopover();
            openPicker(m, anchor);
          },
        },
        icon('plus', 16),
      ),
    );
    place(popover, anchor);
  }

  function openPicker(m, anchor) {
    app.views.emojiPicker.open(anchor, (emoji) => toggle(m, emoji, true));
  }

  /** Who reacted with `emoji` (the first page), in a popover over the chip. */
  async function showWho(m, emoji, chip) {
    closePopover();
    const list = h('div', { class: 'reaction-who-list small', text: t('reactions.loading') });
    const el = h('div', { class: 'reaction-who', role: 'tooltip' }, h('div', { class: 'reaction-who-title small', text: t('reactions.who', { emoji }) }), list);
    popover = el;
    place(el, chip);
    try {
      const page = await app.api.reactors(m.id, emoji, { limit: WHO_PAGE });
      if (popover !== el) return;
      const names = (page.items || []).map((u) => (app.store.users.has(u.id) ? userName(app, u.id) : u.display_name));
      const count = m.reactions?.find((r) => r.emoji === emoji)?.count || names.length;
      list.textContent = names.join(', ') + (count > names.length ? ` ${t('reactions.more', { count: count - names.length })}` : '');
      place(el, chip);
    } catch (err) {
      if (popover === el) list.textContent = app.format.error(err);
    }
  }

  // --- the bar ------------------------------------------------------------------------

  function chip(m, r) {
    return h(
      'button',
      {
        type: 'button',
        class: `reaction-chip${r.me ? ' mine' : ''}`,
        'aria-pressed': r.me ? 'true' : 'false',
        'aria-label': t('reactions.toggle', { emoji: r.emoji, count: r.count }),
        dataset: { emoji: r.emoji },
        onclick: () => {
          closePopover();
          toggle(m, r.emoji, !r.me);
        },
        onmouseenter: (e) => {
          clearTimeout(whoTimer);
          const target = e.currentTarget;
          whoTimer = setTimeout(() => showWho(m, r.emoji, target), WHO_DELAY_MS);
        },
        onmouseleave: () => {
          clearTimeout(whoTimer);
          if (popover?.classList.contains('reaction-who')) closePopover();
        },
      },
      h('span', { class: 'reaction-emoji', text: r.emoji }),
      h('span', { class: 'reaction-count', text: String(r.count) }),
    );
  }

  /** The chips under a message (nothing for none, or a deleted message). */
  function bar(m) {
    const reactions = m.deleted ? [] : m.reactions || [];
    if (!reactions.length) return null;
    return h(
      'div',
      { class: 'reaction-bar' },
      ...reactions.map((r) => chip(m, r)),
      h('button', { type: 'button', class: 'reaction-chip add', title: t('reactions.add'), 'aria-label': t('reactions.add'), onclick: (e) => openPicker(m, e.currentTarget) }, icon('smile', 14)),
    );
  }

  /** The hover action that opens the quick set. */
  function actionButton(m) {
    return h('button', { type: 'button', class: 'msg-action', 'data-action': 'react', title: t('reactions.add'), onclick: (e) => openQuick(m, e.currentTarget) }, icon('smile', 16));
  }

  return { bar, actionButton, openQuick, toggle, closePopover };
}
