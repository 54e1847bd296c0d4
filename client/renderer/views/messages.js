// The open chat's messages: history pages, pending (outbox) messages, day separators.
// Every row is keyed (`m:<id>`, `p:<client_id>`, and `d:<id>` for the day separator above
// message <id>) and redrawn only when what it shows changes, so a new or edited message
// touches its own row and the rest of the list — scroll position, selected text, a hovered
// or focused row — stays as it was.

import { $, h, keyedList } from './dom.js';
import { PALETTE, userName } from './common.js';
import { avatarDeps, avatarView, userAvatarModel } from './avatar.js';
import { sameDay } from './format.js';
import { icon } from '../lib/icons.js';
import { ApiError } from '../lib/api.js';
import { confirmModal } from './modals.js';
import { forwardedView, quoteModel, quoteView } from './replies.js';
import { mayPin } from '../lib/pins.js';
import { messageText } from './rich-text.js';
import { tombstoneKey } from '../lib/tombstone.js';

const PAGE = 40;

export function createMessageList(app) {
  const { ui } = app;
  const t = app.t;
  const box = $('#messages');
  const rows = keyedList($('#message-list'));
  let shownChatId = null;

  // --- rows ---------------------------------------------------------------------------

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

  /** Everything a message row shows besides the message itself. */
  function messageModel(chat, m, prev) {
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

  /** The rows of a chat, in order, as keyed items for the list. */
  function items(chat) {
    const { store, outbox } = app;
    const lang = app.i18n.lang;
    const history = store.history(chat.id);
    const out = [];
    let prev = null;
    for (const m of history) {
      if (!prev || !sameDay(new Date(prev.created_at), new Date(m.created_at))) {
        const label = app.format.day(m.created_at);
        out.push({ key: `d:${m.id}`, deps: [label], render: () => h('div', { class: 'day-sep' }, h('span', { text: label })) });
      }
      const v = messageModel(chat, m, prev);
      const { avatarModel, quoteModel: _quote, ...plain } = v;
      out.push({ key: `m:${m.id}`, deps: [lang, m, ...Object.values(plain)], render: () => messageView(m, v) });
      prev = m;
    }
    const seenClientIds = new Set(history.filter((m) => m.sender_id === store.me.id).map((m) => m.client_id));
    const pending = outbox.list(chat.id);
    for (const item of pending) {
      if (seenClientIds.has(item.client_id)) continue;
      out.push({ key: `p:${item.client_id}`, deps: [lang, item.text, item.failed, item.created_at, item.attachments], render: () => pendingView(item) });
    }
    if (!history.length && !pending.length && store.historyLoaded(chat.id)) {
      out.push({ key: 'empty', deps: [lang], render: () => h('div', { class: 'empty-hint', text: t('chat.no_messages') }) });
    }
    return out;
  }

  // --- the list -----------------------------------------------------------------------

  function render() {
    const chatId = app.store.openChatId;
    if (chatId === null) {
      rows.clear();
      shownChatId = null;
      return;
    }
    const chat = app.store.chats.get(chatId);
    if (!chat) return;
    if (shownChatId !== chatId) {
      rows.clear();
      shownChatId = chatId;
    }
    const fromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
    // A window short of the newest messages is never pinned to its bottom: paging down is.
    const stick = (fromBottom < 60 && !app.store.isDetached(chatId)) || ui.stickNext;
    ui.stickNext = false;
    rows.update(items(chat));
    $('#history-loader').hidden = !ui.loadingOlder;
    $('#to-latest').hidden = !app.store.isDetached(chatId);
    if (ui.keepFromBottom !== undefined) {
      box.scrollTop = box.scrollHeight - box.clientHeight - ui.keepFromBottom;
      ui.keepFromBottom = undefined;
    } else if (stick) {
      box.scrollTop = box.scrollHeight;
    }
    // Otherwise scrollTop is left alone: rows outside the changed ones are the same nodes,
    // and the browser's scroll anchoring keeps what is on screen where it was.
    maybeMarkRead();
  }

  function clear() {
    rows.clear();
    shownChatId = null;
  }

  function scrollToMessage(id, { smooth = true } = {}) {
    const el = $(`.msg[data-id="${id}"]`);
    if (!el) return false;
    el.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
    el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 1600);
    return true;
  }

  /**
   * Shows a message of the open chat: scrolls to it when it is loaded, else replaces the
   * loaded history with the page around it (a window the user pages up and down from).
   */
  async function openAt(chatId, messageId) {
    const { store } = app;
    if (chatId === null || chatId === undefined || !messageId) return false;
    if (store.message(chatId, messageId)) return scrollToMessage(messageId);
    try {
      const page = await app.api.messages(chatId, { around: messageId, limit: PAGE });
      if (app.store !== store || store.openChatId !== chatId) return false;
      ui.stickNext = false;
      store.setHistoryWindow(chatId, page.items || [], { hasOlder: !!page.has_more, hasNewer: !!page.has_newer });
      render();
      if (scrollToMessage(messageId, { smooth: false })) return true;
      app.toast(t('message.not_found'));
    } catch (err) {
      app.toast(app.format.error(err));
    }
    return false;
  }

  function maybeMarkRead() {
    const { store } = app;
    const chatId = store?.openChatId;
    if (chatId === null || chatId === undefined || document.visibilityState === 'hidden') return;
    const chat = store.chats.get(chatId);
    if (!chat) return;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    if (!atBottom) return;
    const last = store.history(chatId).at(-1);
    if (!last) return;
    const mine = chat.members.find((m) => m.user_id === store.me.id);
    // In a window short of the newest, the chat stays unread beyond what was seen.
    if (store.isDetached(chatId) && (mine?.read_message_id || 0) >= last.id) return;
    if ((mine?.read_message_id || 0) >= last.id && !chat.unread_count) return;
    app.engine.markRead(chatId, last.id);
  }

  // --- history ------------------------------------------------------------------------

  async function loadHistory(chatId, { reset = false } = {}) {
    if (reset) app.store.resetHistory(chatId);
    try {
      const page = await app.api.messages(chatId, { limit: PAGE });
      ui.stickNext = true;
      app.store?.addHistory(chatId, page.items || [], !!page.has_more);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.isNetwork) app.toast(app.format.error(err));
    }
  }

  async function loadOlder() {
    const { store } = app;
    const chatId = store?.openChatId;
    if (chatId === null || chatId === undefined || ui.loadingOlder || !store.hasMore.get(chatId)) return;
    const before = store.oldestId(chatId);
    if (!before) return;
    ui.loadingOlder = true;
    $('#history-loader').hidden = false;
    try {
      const page = await app.api.messages(chatId, { before, limit: PAGE });
      if (app.store?.openChatId !== chatId) return;
      ui.keepFromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
      store.addHistory(chatId, page.items || [], !!page.has_more, { older: true });
    } catch (err) {
      app.toast(app.format.error(err));
    } finally {
      ui.loadingOlder = false;
      $('#history-loader').hidden = true;
    }
  }

  async function loadNewer() {
    const { store } = app;
    const chatId = store?.openChatId;
    if (chatId === null || chatId === undefined || ui.loadingNewer || !store.isDetached(chatId)) return;
    const after = store.newestId(chatId);
    if (!after) return;
    ui.loadingNewer = true;
    $('#newer-loader').hidden = false;
    try {
      const page = await app.api.messages(chatId, { after, limit: PAGE });
      if (app.store?.openChatId !== chatId) return;
      store.addNewer(chatId, page.items || [], !!page.has_more);
    } catch (err) {
      app.toast(app.format.error(err));
    } finally {
      ui.loadingNewer = false;
      $('#newer-loader').hidden = true;
    }
  }

  /** Back from a window to the newest messages (the "↓" button, or sending a message). */
  async function toLatest() {
    const chatId = app.store?.openChatId;
    if (chatId === null || chatId === undefined) return;
    if (!app.store.isDetached(chatId)) {
      box.scrollTop = box.scrollHeight;
      return;
    }
    await loadHistory(chatId, { reset: true });
  }

  box.addEventListener('scroll', () => {
    if (box.scrollTop < 120) loadOlder();
    if (box.scrollHeight - box.scrollTop - box.clientHeight < 120) loadNewer();
    maybeMarkRead();
  });
  $('#to-latest').addEventListener('click', () => toLatest());
  box.addEventListener('dragover', (e) => e.preventDefault());
  box.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer?.files?.length) app.views.composer.startUploads([...e.dataTransfer.files]);
  });
  document.addEventListener('visibilitychange', maybeMarkRead);
  window.addEventListener('focus', maybeMarkRead);

  return { render, clear, loadHistory, maybeMarkRead, openAt, toLatest };
}
