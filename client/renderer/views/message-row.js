// One message of the open chat as a row: what it shows besides the message itself (its
// model, whose values are the row's deps in views/messages.js), the row, and a pending
// (outbox) message's row. views/messages.js decides which rows exist and where; this module
// decides what a row looks like.

import { h } from './dom.js';
import { PALETTE, userName } from './common.js';
import { avatarDeps, avatarView, userAvatarModel } from './avatar.js';
import { icon } from '../lib/icons.js';
import { confirmModal } from './modals.js';
import { forwardedView, quoteModel, quoteView } from './replies.js';
import { mayPin } from '../lib/pins.js';
import { messageText } from './rich-text.js';
import { tombstoneKey } from '../lib/tombstone.js';
import { groupPosition } from '../lib/grouping.js';
import { QUICK_REACTIONS } from '../lib/reactions.js';
import { download as downloadBlob, isImage as isImageAttachment, loadBlob as loadBlobOf } from './attachment-blobs.js';

// How long a finger rests on a message before its context menu opens (as on phones).
const LONG_PRESS_MS = 500;

// The tallest a picture in a message is drawn (as .attachment-image's max-height).
const IMAGE_MAX_HEIGHT = 300;

export function createMessageRow(app) {
  const { ui } = app;
  const t = app.t;

  function receiptMark(state) {
    const text = state === 'sent' ? '✓' : '✓✓';
    return h('span', { class: `receipt ${state}`, title: t(`receipt.${state}`), text });
  }

  const loadBlob = (a) => loadBlobOf(app, a);
  const download = (a) => downloadBlob(app, a);

  /** What a click on a message's picture does: the image viewer (views/image-viewer.js). */
  function openImage(m, a, button) {
    app.views.imageViewer.open(m, a, { returnFocus: button, openerSelector: `.msg[data-id="${m.id}"] .attachment-image-btn[data-attachment-id="${a.id}"]` });
  }

  function attachmentView(a, m) {
    const isImage = isImageAttachment(a);
    if (isImage) {
      // A row redrawn with a picture already fetched shows it at once, at its height.
      const img = h('img', { class: 'attachment-image', alt: a.name, src: ui.blobUrls.get(a.id) });
      // The message list (issue 17): the box the picture will fill is reserved before it
      // loads, from the size the server decoded, so the list does not jump when it does.
      if (a.width > 0 && a.height > 0) {
        img.style.aspectRatio = `${a.width} / ${a.height}`;
        img.style.width = `${Math.min(a.width, (IMAGE_MAX_HEIGHT * a.width) / a.height)}px`;
      }
      if (!img.src) {
        loadBlob(a).then((url) => {
          if (url) img.src = url;
        });
      }
      const button = h('button', { type: 'button', class: 'attachment-image-btn', title: t('viewer.open'), dataset: { attachmentId: String(a.id) } }, img);
      button.addEventListener('click', () => openImage(m, a, button));
      return button;
    }
    return h(
      'button',
      { type: 'button', class: 'attachment-file', onclick: () => download(a), title: t('message.download') },
      h('span', { class: 'attachment-icon' }, icon('file', 22)),
      h('span', { class: 'attachment-meta' }, h('span', { class: 'ellipsis', text: a.name }), h('span', { class: 'small muted', text: app.format.size(a.size) })),
    );
  }

  async function confirmDelete(m) {
    const ok = await confirmModal(app, t('message.delete_confirm'), t('message.delete'));
    if (!ok) return;
    try {
      await app.api.deleteMessage(m.id);
      app.store.apply({ type: 'message_deleted', data: { message: { ...m, deleted: true, text: '', attachments: [] } } });
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  async function confirmHide(m) {
    const ok = await confirmModal(app, t('message.hide_confirm'), t('message.hide'));
    if (!ok) return;
    try {
      await app.api.hideMessage(m.id);
      app.store.apply({ type: 'message_hidden', data: { chat_id: m.chat_id, message_id: m.id } });
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  /**
   * Everything a message row shows besides the message itself. `prev` and `next` are the
   * messages shown above and below it (or null), for what depends on the neighbours.
   */
  function messageModel(chat, m, prev, next) {
    const { store } = app;
    const mine = m.sender_id === store.me.id;
    // Grouping (lib/grouping.js): the name over the first of a group, the avatar beside its
    // last row, the tail on its last bubble, the time always shown on its last only.
    const group = groupPosition(prev, m, next);
    const showAuthor = chat.kind === 'group' && !mine && (group === 'first' || group === 'single');
    const showAvatar = chat.kind === 'group' && !mine && (group === 'last' || group === 'single');
    const canManage = ['owner', 'admin'].includes(store.myRole(chat));
    // Flattened, so that the row's deps notice the original changing (views/replies.js).
    const quote = quoteModel(app, chat.id, m);
    const authorAvatar = showAvatar ? userAvatarModel(app, store.users.get(m.sender_id) || { id: m.sender_id }) : null;
    return {
      mine,
      group,
      author: showAuthor ? userName(app, m.sender_id) : null,
      // The avatar's tooltip names the author on a row without the name over it.
      avatarTitle: showAvatar ? userName(app, m.sender_id) : null,
      // Flattened, so that the row's deps notice a new picture or frame.
      avatar: authorAvatar ? avatarDeps(authorAvatar).join('|') : null,
      avatarModel: authorAvatar,
      // Their messages in a group leave room for the author's avatar.
      inGroup: chat.kind === 'group' && !mine,
      canDelete: mine || (chat.kind === 'group' && canManage),
      quote: quote ? JSON.stringify(quote) : null,
      quoteModel: quote,
      forwardedBy: m.forwarded_from ? userName(app, m.forwarded_from.sender_id) : null,
      canPin: mayPin(store, chat),
      receipt: mine && !m.deleted ? store.receipt(chat, m) : null,
    };
  }

  async function copyText(m) {
    try {
      await navigator.clipboard.writeText(m.text);
      app.toast(t('message.copied'));
    } catch {
      app.toast(t('message.copy_failed'));
    }
  }

  /**
   * What can be done with a message, in the context menu's order: [{id, label, icon, run}].
   * The hover toolbar shows the same actions (but copying) as icons.
   */
  function actionItems(m, v) {
    if (m.deleted) return [];
    const composer = app.views.composer;
    const items = [
      { id: 'reply', label: t('message.reply'), icon: 'reply', run: () => composer.startReply(m) },
      v.mine && (m.text || m.attachments?.length) ? { id: 'edit', label: t('message.edit'), icon: 'edit', run: () => composer.startEdit(m) } : null,
      m.text ? { id: 'copy', label: t('message.copy'), icon: 'copy', run: () => copyText(m) } : null,
      { id: 'forward', label: t('message.forward'), icon: 'forward', run: () => app.views.forwardPicker.open(m) },
      v.canPin ? { id: 'pin', label: t('pins.pin'), icon: 'pin', run: () => app.views.pinnedBar.pin(m) } : null,
      v.canDelete ? { id: 'delete', label: t('message.delete'), icon: 'trash', danger: true, run: () => confirmDelete(m) } : null,
      { id: 'hide', label: t('message.hide'), icon: 'eyeOff', run: () => confirmHide(m) },
      v.mine ? null : { id: 'report', label: t('report.action'), icon: 'alert', danger: true, run: () => app.views.report.open(m) },
    ];
    return items.filter(Boolean);
  }

  /** The context menu of a message at (x, y): quick reactions, then its actions. */
  function openMenu(m, v, row, x, y) {
    const current = app.store?.message(m.chat_id, m.id) || m;
    const chosen = new Set((current.reactions || []).filter((r) => r.me).map((r) => r.emoji));
    app.views.contextMenu.open({
      x,
      y,
      label: t('message.actions'),
      items: actionItems(m, v),
      reactions: { emojis: QUICK_REACTIONS, chosen, pick: (emoji) => app.views.reactions.toggle(current, emoji, !chosen.has(emoji)) },
      returnFocus: row,
    });
  }

  /** Right-click, a long press, or the context menu key / Shift+F10 on the focused row. */
  function wireMenu(row, body, m, v) {
    const atBubble = () => {
      const box = body.getBoundingClientRect();
      return [box.left + Math.min(24, box.width / 2), box.top + Math.min(24, box.height / 2)];
    };
    row.addEventListener('contextmenu', (e) => {
      // A selection's own menu (copying part of a text) or a link's stays the browser's.
      const selection = window.getSelection?.();
      if (e.target.closest?.('a') || (selection && !selection.isCollapsed && row.contains(selection.anchorNode))) return;
      e.preventDefault();
      if (app.views.contextMenu.isOpen && row.dataset.longPressed) return;
      // From the keyboard a contextmenu event has no pointer position.
      const fromKeyboard = e.clientX === 0 && e.clientY === 0;
      const [x, y] = fromKeyboard ? atBubble() : [e.clientX, e.clientY];
      openMenu(m, v, row, x, y);
    });
    // The actions stay shown while the row or one of them has the focus (a class: with
    // :focus-within alone Chrome hides, and so blurs, an action the moment it is focused).
    row.addEventListener('focusin', (e) => {
      row.classList.toggle('show-actions', e.target === row || !!e.target.closest?.('.msg-actions'));
    });
    row.addEventListener('focusout', (e) => {
      if (!row.contains(e.relatedTarget)) row.classList.remove('show-actions');
    });
    row.addEventListener('keydown', (e) => {
      if (e.target !== row) return;
      if (e.key === 'Tab' && !e.shiftKey) {
        // Into the actions the focused row shows (they hide again once the focus leaves them).
        const first = row.querySelector('.msg-actions .msg-action');
        if (first) {
          e.preventDefault();
          first.focus();
        }
      } else if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
        e.preventDefault();
        openMenu(m, v, row, ...atBubble());
      } else if (e.key === 'Enter') {
        e.preventDefault();
        openMenu(m, v, row, ...atBubble());
      }
    });
    let timer = null;
    let start = null;
    const cancel = () => {
      clearTimeout(timer);
      timer = null;
    };
    row.addEventListener('pointerdown', (e) => {
      if (e.pointerType !== 'touch') return;
      start = [e.clientX, e.clientY];
      cancel();
      timer = setTimeout(() => {
        timer = null;
        row.dataset.longPressed = '1';
        setTimeout(() => delete row.dataset.longPressed, 800);
        openMenu(m, v, row, start[0], start[1]);
      }, LONG_PRESS_MS);
    });
    row.addEventListener('pointermove', (e) => {
      if (timer && start && Math.hypot(e.clientX - start[0], e.clientY - start[1]) > 10) cancel();
    });
    row.addEventListener('pointerup', cancel);
    row.addEventListener('pointercancel', cancel);
    // The tap that ends a long press does not also press what is under the finger.
    row.addEventListener('click', (e) => {
      if (row.dataset.longPressed) {
        e.preventDefault();
        e.stopPropagation();
      }
    }, true);
  }

  function messageView(m, v) {
    // The toolbar's buttons are made when the row is first hovered or focused: they are
    // half of a row's nodes, and most rows scrolled past are never pointed at.
    const actions = m.deleted ? null : h('div', { class: 'msg-actions' });
    const fillActions = () => {
      if (!actions || actions.firstChild) return;
      const toolbar = actionItems(m, v).filter((item) => item.id !== 'copy');
      actions.append(
        app.views.reactions.actionButton(m),
        ...toolbar.map((item) =>
          h('button', { type: 'button', class: 'msg-action', 'data-action': item.id, title: item.label, 'aria-label': item.label, onclick: item.run }, icon(item.icon, 16)),
        ),
      );
    };
    const body = h(
      'div',
      { class: 'bubble' },
      v.author !== null
        ? h('button', { type: 'button', class: 'msg-author small', text: v.author, style: `color:${PALETTE[m.sender_id % PALETTE.length]}`, onclick: () => app.views.userProfile.open(m.sender_id) })
        : null,
      forwardedView(app, m),
      v.quoteModel ? quoteView(app, m.chat_id, v.quoteModel) : null,
      ...(m.deleted ? [] : (m.attachments || []).map((a) => attachmentView(a, m))),
      m.deleted
        ? h('div', { class: `msg-text deleted${m.removed_by_admin ? ' removed-by-admin' : ''}`, text: t(tombstoneKey(m)) })
        : m.text
          ? messageText(app, m)
          : null,
      h(
        'div',
        { class: 'msg-meta' },
        m.edited_at && !m.deleted ? h('span', { class: 'edited', text: t('message.edited') }) : null,
        h('span', { class: 'msg-time', text: app.format.time(m.created_at) }),
        v.receipt ? receiptMark(v.receipt) : null,
      ),
      app.views.reactions.bar(m),
    );
    const author = v.avatarModel
      ? // A mouse shortcut only: the author's name at the top of the group opens the same
        // profile for the keyboard and screen readers, which would otherwise hear the name
        // as the label of a button that shows initials.
        h('button', { type: 'button', class: 'msg-avatar', title: v.avatarTitle, tabindex: '-1', 'aria-hidden': 'true', onclick: () => app.views.userProfile.open(m.sender_id) }, avatarView(app, v.avatarModel, 'small'))
      : v.inGroup
        ? h('span', { class: 'msg-avatar' })
        : null;
    const tail = v.group === 'last' || v.group === 'single';
    const row = h(
      'div',
      {
        class: `msg ${v.mine ? 'mine' : 'theirs'}${v.author !== null ? ' first' : ''} group-${v.group}${tail ? ' tail' : ''}`,
        // Reached with the arrow keys from the list (keyboard paths below), not with Tab.
        tabindex: '-1',
        dataset: { id: String(m.id), clientId: m.client_id },
      },
      author,
      body,
      actions,
    );
    if (!m.deleted) {
      row.addEventListener('pointerenter', fillActions);
      row.addEventListener('focusin', fillActions);
      wireMenu(row, body, m, v);
    }
    return row;
  }

  // Keyboard paths through the messages: from the list (a Tab stop) the arrow keys go to the
  // rows, and from row to row; a focused row shows its actions (Tab reaches them) and opens
  // its context menu with Enter, the context menu key or Shift+F10.
  const list = document.getElementById('messages');
  list?.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    let target = null;
    if (e.target === list) {
      const box = list.getBoundingClientRect();
      const visible = [...list.querySelectorAll('.msg[data-id]')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.bottom > box.top && r.top < box.bottom;
      });
      target = visible.at(-1);
    } else if (e.target.matches?.('.msg[data-id]')) {
      const rows = [...list.querySelectorAll('.msg[data-id]')];
      target = rows[rows.indexOf(e.target) + (e.key === 'ArrowUp' ? -1 : 1)];
    } else return;
    if (!target) return;
    e.preventDefault();
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'nearest' });
  });

  function pendingView(item) {
    const failed = !!item.failed;
    return h(
      'div',
      { class: `msg mine pending${failed ? ' failed' : ''}`, dataset: { clientId: item.client_id } },
      h(
        'div',
        { class: 'bubble' },
        ...(item.attachments || []).map((a) => h('div', { class: 'attachment-file' }, h('span', { class: 'attachment-icon' }, icon('file', 22)), h('span', { class: 'ellipsis', text: a.name }))),
        item.text ? messageText(app, item) : null,
        h(
          'div',
          { class: 'msg-meta' },
          failed ? h('span', { class: 'failed-text', text: app.i18n.error(item.failed) }) : null,
          h('span', { class: 'msg-time', text: app.format.time(item.created_at) }),
          h('span', { class: 'receipt pending', title: t(failed ? 'receipt.failed' : 'receipt.pending') }, icon(failed ? 'alert' : 'clock', 13)),
        ),
      ),
      failed
        ? h(
            'div',
            { class: 'msg-actions visible' },
            h('button', { type: 'button', class: 'msg-action', title: t('message.retry'), onclick: () => app.engine.retry(item.client_id) }, icon('retry', 16)),
            h('button', { type: 'button', class: 'msg-action', title: t('message.discard'), onclick: () => app.engine.discard(item.client_id) }, icon('close', 16)),
          )
        : null,
    );
  }

  return { messageModel, messageView, pendingView, loadBlob, download };
}
