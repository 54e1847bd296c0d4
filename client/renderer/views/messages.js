// The open chat's messages: history pages, pending (outbox) messages, day separators and
// the "Unread messages" divider. Every row is keyed (`m:<id>`, `p:<client_id>`, `d:<id>`
// for the day separator above message <id>, `u:unread`) and redrawn only when what it
// shows changes, so a new or edited message touches its own row and the rest of the list —
// scroll position, selected text, a hovered or focused row — stays as it was.
//
// Long histories (issue 17): the list draws the loaded history, which the store keeps to
// HISTORY_LIMIT messages — paging up drops the newest pages (the history becomes a window
// short of the newest, paged down again), paging down drops the oldest — so the DOM and the
// memory stay bounded however far the reader scrolls. A draw costs what changed: the model
// of a row is kept until its message, its neighbours, its receipt, its quoted original or
// the chat's context (ctxOf) change, so the pass over the rows is identity checks only.

import { $, h, keyedList } from './dom.js';
import { sameDay } from './format.js';
import { ApiError } from '../lib/api.js';
import { HISTORY_LIMIT, HISTORY_SLACK } from '../lib/store.js';
import { mayPin } from '../lib/pins.js';
import { createMessageRow } from './message-row.js';

const PAGE = 40;
// Closer than this to the bottom counts as "at the bottom": new messages keep it there.
const PINNED_PX = 60;
// Scrolled up further than this, the "↓" button offers the way back.
const TO_LATEST_PX = 300;

export function createMessageList(app) {
  const { ui } = app;
  const t = app.t;
  const box = $('#messages');
  const list = $('#message-list');
  const rows = keyedList(list);
  const toLatestButton = $('#to-latest');
  // The count is read out in the button's name (aria-label), not as a bare number.
  const toLatestCount = h('span', { class: 'to-latest-count', 'aria-hidden': 'true', hidden: true });
  toLatestButton.append(toLatestCount);
  let shownChatId = null;
  // Row key -> what its model was computed from, and the row items made of it.
  let rowCache = new Map();
  // The divider above the first message unread when the chat was opened:
  // {chatId, anchorId (that message), landing (to be scrolled to)}.
  let unread = null;
  // The reader is at the bottom (as of the last scroll or draw): new content keeps it there.
  let pinned = true;
  // The list drawn last was a window short of the newest: its bottom was no real bottom, so
  // the page that ends the window goes below the reader, who is not moved to its end.
  let drawnDetached = false;
  const { messageModel, messageView, pendingView } = createMessageRow(app);

  // --- rows ---------------------------------------------------------------------------

  /** What every row of a chat shares: a change here recomputes every model. */
  function ctxOf(chat) {
    const { store } = app;
    return `${app.i18n.lang}|${chat.kind}|${store.myRole(chat)}|${mayPin(store, chat)}|${store.peopleVersion}`;
  }

  /** The highest read and delivered marks of the other members (what receipts compare to). */
  function receiptMarks(chat) {
    const me = app.store.me?.id;
    let read = 0;
    let delivered = 0;
    for (const m of chat.members || []) {
      if (m.user_id === me) continue;
      read = Math.max(read, m.read_message_id || 0);
      delivered = Math.max(delivered, m.delivered_message_id || 0);
    }
    return { read, delivered };
  }

  function dividerItem(lang) {
    return { key: 'u:unread', deps: [lang], render: () => h('div', { class: 'unread-sep', role: 'separator' }, h('span', { text: t('chat.unread_divider') })) };
  }

  /** The rows of a chat, in order, as keyed items for the list. */
  function items(chat) {
    const { store, outbox } = app;
    const lang = app.i18n.lang;
    const history = store.history(chat.id);
    const ctx = ctxOf(chat);
    const marks = receiptMarks(chat);
    const me = store.me.id;
    const anchorId = unread?.chatId === chat.id ? unread.anchorId : null;
    const nextCache = new Map();
    const out = [];
    let prev = null;
    for (let i = 0; i < history.length; i += 1) {
      const m = history[i];
      const next = history[i + 1] || null;
      if (m.id === anchorId) out.push(dividerItem(lang));
      const key = `m:${m.id}`;
      const receipt = m.sender_id === me && !m.deleted ? (m.id <= marks.read ? 'read' : m.id <= marks.delivered ? 'delivered' : 'sent') : null;
      const original = m.reply_to_id ? store.message(chat.id, m.reply_to_id) : null;
      let row = rowCache.get(key);
      if (!row || row.m !== m || row.prev !== prev || row.next !== next || row.ctx !== ctx || row.receipt !== receipt || row.original !== original) {
        row = { m, prev, next, ctx, receipt, original, items: [] };
        if (!prev || !sameDay(new Date(prev.created_at), new Date(m.created_at))) {
          const label = app.format.day(m.created_at);
          row.items.push({ key: `d:${m.id}`, deps: [label], render: () => h('div', { class: 'day-sep' }, h('span', { text: label })) });
        }
        const v = messageModel(chat, m, prev, next);
        const { avatarModel, quoteModel: _quote, ...plain } = v;
        row.items.push({ key, deps: [lang, m, ...Object.values(plain)], render: () => messageView(m, v) });
      }
      nextCache.set(key, row);
      out.push(...row.items);
      prev = m;
    }
    rowCache = nextCache;
    const pending = outbox.list(chat.id);
    if (pending.length) {
      const seenClientIds = new Set(history.filter((m) => m.sender_id === me).map((m) => m.client_id));
      for (const item of pending) {
        if (seenClientIds.has(item.client_id)) continue;
        out.push({ key: `p:${item.client_id}`, deps: [lang, item.text, item.failed, item.created_at, item.attachments], render: () => pendingView(item) });
      }
    }
    if (!history.length && !pending.length && store.historyLoaded(chat.id)) {
      out.push({ key: 'empty', deps: [lang], render: () => h('div', { class: 'empty-hint', text: t('chat.no_messages') }) });
    }
    return out;
  }

  // --- scrolling ----------------------------------------------------------------------

  const fromBottom = () => box.scrollHeight - box.scrollTop - box.clientHeight;

  function setScrollTop(top) {
    box.scrollTop = top;
    pinned = fromBottom() < PINNED_PX;
  }

  /** The row at the top of the viewport and where it is: rows added or dropped at either
   * end must leave it where it was (found by halving, a few layout reads). */
  function topAnchor() {
    const nodes = list.children;
    if (!nodes.length) return null;
    const top = box.getBoundingClientRect().top;
    let lo = 0;
    let hi = nodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nodes[mid].getBoundingClientRect().bottom <= top) lo = mid + 1;
      else hi = mid;
    }
    // A message, not a separator: a day's separator moves up when its day's older
    // messages come in above.
    let node = nodes[lo];
    while (node && !node.dataset.id) node = node.nextElementSibling;
    if (!node) return null;
    return { node, key: `m:${node.dataset.id}`, y: node.getBoundingClientRect().top };
  }

  function restoreAnchor(anchor) {
    if (!anchor) return;
    const node = anchor.node.isConnected ? anchor.node : anchor.key && rows.node(anchor.key);
    if (!node) return;
    const delta = node.getBoundingClientRect().top - anchor.y;
    if (delta) setScrollTop(box.scrollTop + delta);
  }

  function updateToLatest(chat) {
    const { store } = app;
    const show = !!chat && (store.isDetached(chat.id) || fromBottom() > TO_LATEST_PX);
    if (toLatestButton.hidden === show) toLatestButton.hidden = !show;
    const count = show ? chat.unread_count || 0 : 0;
    const text = count ? String(count) : '';
    if (toLatestCount.textContent !== text) toLatestCount.textContent = text;
    toLatestCount.hidden = !count;
    const label = count ? t('chat.new_messages', { count }) : null;
    if (toLatestButton.getAttribute('aria-label') !== label) {
      if (label) toLatestButton.setAttribute('aria-label', label);
      else toLatestButton.removeAttribute('aria-label');
    }
  }

  /** Keeps the open chat's loaded history bounded as messages arrive: the oldest go while
   * the reader is at the bottom, else the newest (paged down again when scrolled to). */
  function keepBounded(chatId) {
    const { store } = app;
    if (store.history(chatId).length <= HISTORY_LIMIT + HISTORY_SLACK) return;
    store.trimHistory(chatId, HISTORY_LIMIT, { drop: pinned && !store.isDetached(chatId) ? 'older' : 'newer' });
  }

  // --- the list -----------------------------------------------------------------------

  function render() {
    const { store } = app;
    const chatId = store.openChatId;
    if (chatId === null) {
      clear();
      return;
    }
    const chat = store.chats.get(chatId);
    if (!chat) return;
    if (shownChatId !== chatId) {
      clear();
      shownChatId = chatId;
    }
    keepBounded(chatId);
    // A window short of the newest messages is never pinned to its bottom: paging down is.
    const detached = store.isDetached(chatId);
    const stick = (pinned && !detached && !drawnDetached) || ui.stickNext;
    ui.stickNext = false;
    drawnDetached = detached;
    const anchor = stick ? null : topAnchor();
    const changed = rows.update(items(chat));
    $('#history-loader').hidden = !ui.loadingOlder;
    if (stick) setScrollTop(box.scrollHeight);
    else if (changed) restoreAnchor(anchor);
    if (unread?.landing && unread.chatId === chatId) {
      unread.landing = false;
      const divider = rows.node('u:unread');
      if (divider) setScrollTop(box.scrollTop + divider.getBoundingClientRect().top - box.getBoundingClientRect().top - 8);
    }
    updateToLatest(chat);
    maybeMarkRead();
  }

  function clear() {
    rows.clear();
    toLatestButton.hidden = true;
    rowCache = new Map();
    shownChatId = null;
    pinned = true;
    drawnDetached = false;
  }

  function scrollToMessage(id, { smooth = true } = {}) {
    const el = $(`.msg[data-id="${id}"]`);
    if (!el) return false;
    el.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
    pinned = fromBottom() < PINNED_PX;
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
      pinned = false;
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
    if (chatId === null || chatId === undefined) return;
    // Read means seen: a window that is visible but not in front (behind another window, on
    // a second screen) marks nothing read, as in Telegram; its focus event does it on return.
    if (document.visibilityState === 'hidden' || !document.hasFocus()) return;
    const chat = store.chats.get(chatId);
    if (!chat) return;
    const atBottom = fromBottom() < 80;
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

  /**
   * Opens a chat's history (app.openChat): with unread messages, at the first of them
   * under the "Unread messages" divider — the newest page when they all are in it, else
   * the page around my read mark (a window the reader pages down from); else at the newest.
   * A chat never read here (no read mark) opens at the newest: there is no place to return
   * to. A message of mine says I read what came before it.
   */
  async function open(chatId) {
    const { store } = app;
    const me = store.me.id;
    const chat = store.chats.get(chatId);
    const mark = chat?.members.find((m) => m.user_id === me)?.read_message_id || 0;
    const last = chat?.last_message;
    const lastId = last?.id ?? chat?.last_message_id ?? 0;
    unread = null;
    if (!chat?.unread_count || !mark || lastId <= mark || last?.sender_id === me) {
      if (!store.historyLoaded(chatId)) await loadHistory(chatId);
      else ui.stickNext = false;
      return;
    }
    try {
      let page = await app.api.messages(chatId, { limit: PAGE });
      let items = page.items || [];
      let hasOlder = !!page.has_more;
      let hasNewer = false;
      let readTo = Math.max(mark, items.findLast((m) => m.sender_id === me)?.id ?? 0);
      if (hasOlder && (items[0]?.id ?? Infinity) > readTo) {
        page = await app.api.messages(chatId, { around: mark, limit: PAGE });
        items = page.items || [];
        hasOlder = !!page.has_more;
        hasNewer = !!page.has_newer;
        readTo = mark;
      }
      if (app.store !== store || store.openChatId !== chatId) return;
      const anchorId = items.find((m) => m.id > readTo && m.sender_id !== me)?.id ?? null;
      unread = anchorId === null ? null : { chatId, anchorId, landing: true };
      ui.stickNext = anchorId === null;
      pinned = anchorId === null;
      store.setHistoryWindow(chatId, items, { hasOlder, hasNewer });
      render();
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
      if (app.store?.openChatId !== chatId || store.oldestId(chatId) !== before) return;
      store.addHistory(chatId, page.items || [], !!page.has_more, { older: true });
      // Far up: the newest pages go (paged down again when the reader comes back).
      store.trimHistory(chatId, HISTORY_LIMIT, { drop: 'newer' });
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
      if (app.store?.openChatId !== chatId || store.newestId(chatId) !== after) return;
      store.addNewer(chatId, page.items || [], !!page.has_more);
      store.trimHistory(chatId, HISTORY_LIMIT, { drop: 'older' });
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
      setScrollTop(box.scrollHeight);
      updateToLatest(app.store.chats.get(chatId));
      return;
    }
    pinned = true;
    await loadHistory(chatId, { reset: true });
  }

  box.addEventListener('scroll', () => {
    pinned = fromBottom() < PINNED_PX;
    if (box.scrollTop < 120) loadOlder();
    if (fromBottom() < 120) loadNewer();
    const { store } = app;
    if (store && store.openChatId !== null) updateToLatest(store.chats.get(store.openChatId));
    maybeMarkRead();
  });
  // Content that grows under a reader at the bottom (a picture decoded, a reaction added)
  // keeps them at the bottom.
  new ResizeObserver(() => {
    const chatId = app.store?.openChatId;
    if (pinned && chatId !== null && chatId !== undefined && !app.store.isDetached(chatId) && fromBottom() > 0) setScrollTop(box.scrollHeight);
  }).observe(list);
  toLatestButton.addEventListener('click', () => toLatest());
  document.addEventListener('visibilitychange', maybeMarkRead);
  window.addEventListener('focus', maybeMarkRead);

  return { render, clear, loadHistory, open, maybeMarkRead, openAt, toLatest };
}
