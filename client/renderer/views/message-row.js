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

// The tallest a picture in a message is drawn (as .attachment-image's max-height).
const IMAGE_MAX_HEIGHT = 300;

export function createMessageRow(app) {
  const { ui } = app;
  const t = app.t;

  function receiptMark(state) {
    const text = state === 'sent' ? '✓' : '✓✓';
    return h('span', { class: `receipt ${state}`, title: t(`receipt.${state}`), text });
  }

  async function loadBlob(a) {
    if (ui.blobUrls.has(a.id)) return ui.blobUrls.get(a.id);
    try {
      const blob = await app.api.fileBlob(a.url);
      const url = URL.createObjectURL(blob);
      ui.blobUrls.set(a.id, url);
      return url;
    } catch {
      return null;
    }
  }

  async function download(a) {
    const url = await loadBlob(a);
    if (!url) {
      app.toast(t('errors.download_failed'));
      return;
    }
    const link = h('a', { href: url, download: a.name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function attachmentView(a) {
    const isImage = /^image\/(png|jpe?g|gif|webp)$/.test(a.content_type || '');
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
      return h('button', { type: 'button', class: 'attachment-image-btn', onclick: () => download(a) }, img);
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
    const showAuthor = chat.kind === 'group' && !mine && (!prev || prev.sender_id !== m.sender_id);
    const canManage = ['owner', 'admin'].includes(store.myRole(chat));
    // Flattened, so that the row's deps notice the original changing (views/replies.js).
    const quote = quoteModel(app, chat.id, m);
    const authorAvatar = showAuthor ? userAvatarModel(app, store.users.get(m.sender_id) || { id: m.sender_id }) : null;
    return {
      mine,
      author: showAuthor ? userName(app, m.sender_id) : null,
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

  function messageView(m, v) {
    const composer = app.views.composer;
    const actions = m.deleted
      ? null
      : h(
          'div',
          { class: 'msg-actions' },
          app.views.reactions.actionButton(m),
          h('button', { type: 'button', class: 'msg-action', 'data-action': 'reply', title: t('message.reply'), onclick: () => composer.startReply(m) }, icon('reply', 16)),
          h('button', { type: 'button', class: 'msg-action', 'data-action': 'forward', title: t('message.forward'), onclick: () => app.views.forwardPicker.open(m) }, icon('forward', 16)),
          v.canPin
            ? h('button', { type: 'button', class: 'msg-action', 'data-action': 'pin', title: t('pins.pin'), onclick: () => app.views.pinnedBar.pin(m) }, icon('pin', 16))
            : null,
          v.mine && (m.text || m.attachments?.length)
            ? h('button', { type: 'button', class: 'msg-action', 'data-action': 'edit', title: t('message.edit'), onclick: () => composer.startEdit(m) }, icon('edit', 16))
            : null,
          v.canDelete
            ? h('button', { type: 'button', class: 'msg-action', 'data-action': 'delete', title: t('message.delete'), onclick: () => confirmDelete(m) }, icon('trash', 16))
            : null,
          h('button', { type: 'button', class: 'msg-action', 'data-action': 'hide', title: t('message.hide'), onclick: () => confirmHide(m) }, icon('eyeOff', 16)),
          v.mine
            ? null
            : h('button', { type: 'button', class: 'msg-action', 'data-action': 'report', title: t('report.action'), onclick: () => app.views.report.open(m) }, icon('alert', 16)),
        );
    const body = h(
      'div',
      { class: 'bubble' },
      v.author !== null
        ? h('button', { type: 'button', class: 'msg-author small', text: v.author, style: `color:${PALETTE[m.sender_id % PALETTE.length]}`, onclick: () => app.views.userProfile.open(m.sender_id) })
        : null,
      forwardedView(app, m),
      v.quoteModel ? quoteView(app, m.chat_id, v.quoteModel) : null,
      ...(m.deleted ? [] : (m.attachments || []).map(attachmentView)),
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
      ? h('button', { type: 'button', class: 'msg-avatar', title: v.author, onclick: () => app.views.userProfile.open(m.sender_id) }, avatarView(app, v.avatarModel, 'small'))
      : v.inGroup
        ? h('span', { class: 'msg-avatar' })
        : null;
    const row = h('div', { class: `msg ${v.mine ? 'mine' : 'theirs'}${v.author !== null ? ' first' : ''}`, dataset: { id: String(m.id), clientId: m.client_id } }, author, body, actions);
    if (!m.deleted) {
      // The context menu of a message offers the quick reactions.
      row.addEventListener('contextmenu', (e) => {
        e.preventDefault();
        app.views.reactions.openQuick(m, body);
      });
    }
    return row;
  }

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
