// The open chat's messages: history pages, pending (outbox) messages, day separators.
// Every row is keyed (`m:<id>`, `p:<client_id>`, and `d:<id>` for the day separator above
// message <id>) and redrawn only when what it shows changes, so a new or edited message
// touches its own row and the rest of the list — scroll position, selected text, a hovered
// or focused row — stays as it was.

import { $, h, keyedList } from './dom.js';
import { sameDay } from './format.js';
import { ApiError } from '../lib/api.js';
import { createMessageRow } from './message-row.js';

const PAGE = 40;

export function createMessageList(app) {
  const { ui } = app;
  const t = app.t;
  const box = $('#messages');
  const rows = keyedList($('#message-list'));
  let shownChatId = null;
  const { messageModel, messageView, pendingView } = createMessageRow(app);

  /** The rows of a chat, in order, as keyed items for the list. */
  function items(chat) {
    const { store, outbox } = app;
    const lang = app.i18n.lang;
    const history = store.history(chat.id);
    const out = [];
    let prev = null;
    for (const [i, m] of history.entries()) {
      if (!prev || !sameDay(new Date(prev.created_at), new Date(m.created_at))) {
        const label = app.format.day(m.created_at);
        out.push({ key: `d:${m.id}`, deps: [label], render: () => h('div', { class: 'day-sep' }, h('span', { text: label })) });
      }
      const v = messageModel(chat, m, prev, history[i + 1] || null);
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
  document.addEventListener('visibilitychange', maybeMarkRead);
  window.addEventListener('focus', maybeMarkRead);

  return { render, clear, loadHistory, maybeMarkRead, openAt, toLatest };
}
