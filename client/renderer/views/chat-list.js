// The sidebar: who I am, my chats and the people search.
//
// The chat list is a listbox drawn in a window (issue 17: fast with 2,000 chats). Only the
// rows in and near the visible part of the scroller are in the DOM, each a keyed row that is
// redrawn only when what it shows changes; padding above and below the rows stands for the
// others, whose height is known because every row has the same height. So a keystroke in
// the search, a message in some chat or a presence change costs the same with 20 chats or
// 2,000: the filter over the titles, then at most a screenful of rows compared and the
// changed ones redrawn. Draws are batched to one per animation frame (schedule()).
//
// Keyboard (issue 17, accessibility): the list is one Tab stop (a roving tabindex on its
// rows: the open chat's, else the last focused, else the first); Up/Down, Home/End and
// PageUp/PageDown move, Enter or Space opens, the context-menu key or Shift+F10 opens the
// chat's menu; Down in the search field goes to the list.

import { $, h, keyedList } from './dom.js';
import { chatTitle, chatAvatarInfo, isOnline, typingText, userName, userAvatar, fillAvatarView, userAvatarModel } from './common.js';
import { avatarDeps, avatarView } from './avatar.js';
import { ApiError } from '../lib/api.js';
import { mentionBadge } from './mentions.js';
import { icon } from '../lib/icons.js';
import { isMuted } from '../lib/chat-prefs.js';
import { confirmLogout } from './account-menu.js';

// Rows drawn beyond each edge of the visible part, so that scrolling by a wheel notch or a
// page shows rows that are already there; and the row height assumed until one is measured.
const OVERSCAN = 10;
const DEFAULT_ROW_HEIGHT = 64;
// Row nodes kept for reuse beyond those in the DOM (see cachedRow).
const NODE_CACHE = 400;

function sameValues(a, b) {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

export function createChatList(app) {
  const { ui } = app;
  const t = app.t;
  const list = $('#chat-list');
  const scroller = list.parentElement;
  const rows = keyedList(list);
  let searchTimer = null;
  // The draw waiting for the next frame, the row height measured, what the last draw showed
  // (all rows' keys in order: the keyboard moves through them), the roving tab stop's key.
  let frame = null;
  let timer = null;
  let rowHeight = DEFAULT_ROW_HEIGHT;
  // The scroller's geometry, as last seen by its scroll and resize events: a draw reads no
  // layout, so it does not force one before the frame's own (the input's text, for one,
  // has just made it stale).
  const view = { top: 0, height: 0, listTop: 0 };
  // Sorted chats, kept while the store's chat objects are the same ones (it replaces a
  // chat's object on every change): a keystroke does not sort 2,000 chats again.
  let sorted = { store: null, refs: [], pinned: null, chats: null, archived: null };
  const totalOf = { refs: null, at: 0 };
  let shown = [];
  let focusKey = null;
  let measured = null; // the row whose height rowSize watches
  // The next draw answers a keystroke in the search: it draws the visible rows only, and the
  // rows beyond the edges follow in the frame after (see draw()).
  let lean = false;
  const rowSize = new ResizeObserver(([entry]) => {
    const height = entry.borderBoxSize?.[0]?.blockSize ?? entry.target.offsetHeight;
    if (height && Math.abs(height - rowHeight) > 0.5) {
      rowHeight = height;
      schedule();
    }
  });
  const nodeCache = new Map(); // key -> {node, deps}, least recently drawn first
  // Each chat's title in lower case, kept with the title it was made from: a keystroke
  // lower-cases no title again. And the last filter's matches: a query that extends the
  // previous one (typing on) filters those, not every chat.
  const searchKeys = new WeakMap(); // chat object -> {title, lang, key}
  let lastFilter = { chats: null, lang: null, q: '', matching: null };
  // What the people found were last drawn from: the box is rebuilt only when that changes,
  // so typing on while the previous answer is shown does not touch it.
  let peopleDrawn = null;

  function renderMe() {
    const me = app.store.me;
    if (!me) return;
    fillAvatarView(app, $('#me-avatar'), { ...userAvatarModel(app, me), name: me.display_name || me.username });
    $('#me-name').textContent = me.display_name || me.username;
    $('#me-username').textContent = `@${me.username}`;
  }

  /** What one row shows, as plain values: the row is redrawn when any of them changes. */
  function rowModel(chat) {
    const { store } = app;
    const info = chatAvatarInfo(app, chat);
    const peer = store.peer(chat);
    const typing = typingText(app, chat.id);
    const last = chat.last_message;
    const pending = app.outbox.list(chat.id).at(-1);
    let preview = typing || app.format.preview(pending ? { text: pending.text, attachments: pending.attachments } : last);
    if (!typing && !pending && last && chat.kind === 'group' && last.sender_id !== store.me.id) {
      preview = `${userName(app, last.sender_id)}: ${preview}`;
    } else if (!typing && (pending || (last && last.sender_id === store.me.id))) {
      preview = `${t('chats.you')}: ${preview}`;
    }
    // My unsent text of another chat, as people know it from other messengers (issue 15).
    const draft = !typing && chat.id !== store.openChatId && chat.draft?.text ? chat.draft.text : null;
    if (draft) preview = t('chats.draft', { text: draft.replace(/\s+/g, ' ').trim() });
    return {
      id: chat.id,
      title: chatTitle(app, chat),
      avatar: info,
      online: !!(peer && isOnline(app, peer.id)),
      typing: !!typing,
      preview: preview || t('chats.no_messages'),
      time: app.format.listTime(pending?.created_at || last?.created_at || chat.last_activity_at),
      unread: chat.unread_count || 0,
      mentions: chat.unread_mentions || 0,
      active: chat.id === store.openChatId,
      draft: !!draft,
      muted: isMuted(chat, store.now()),
      pinned: !!chat.pinned,
    };
  }

  /**
   * What a row says only to assistive technology: the unread and mention counts in words
   * (the badges show bare numbers), muted and pinned (icons). The row's name comes from its
   * content, this included, so it always holds the visible text (an aria-label would have to
   * repeat it exactly, or speech input could not name the row by what it shows).
   */
  function rowStateText(r) {
    return [
      r.unread ? t('chats.unread_count', { count: r.unread }) : null,
      r.mentions ? t('mentions.unread', { count: r.mentions }) : null,
      r.muted ? t('chat_menu.muted') : null,
      r.pinned ? t('chat_menu.pinned') : null,
    ]
      .filter(Boolean)
      .join(', ');
  }

  /** A badge whose number the row already says in words (rowStateText). */
  function hiddenFromReaders(el) {
    el?.setAttribute('aria-hidden', 'true');
    return el;
  }

  function rowView(r) {
    const av = avatarView(app, r.avatar);
    if (r.online) av.append(h('i', { class: 'online-dot' }));
    // The initials would start the row's name; the title says who it is.
    av.setAttribute('aria-hidden', 'true');
    return h(
      'li',
      {
        class: `chat-item${r.active ? ' active' : ''}`,
        id: `chat-row-${r.id}`,
        dataset: { chatId: String(r.id) },
        role: 'option',
        'aria-selected': r.active ? 'true' : 'false',
        tabindex: '-1',
        onclick: () => app.openChat(r.id),
        oncontextmenu: (e) => app.views.chatMenu.open(r.id, e),
      },
      av,
      h(
        'div',
        { class: 'chat-item-body' },
        h(
          'div',
          { class: 'chat-item-top' },
          h('span', { class: 'chat-item-title ellipsis', text: r.title }),
          rowStateText(r) ? h('span', { class: 'visually-hidden', text: `, ${rowStateText(r)},` }) : null,
          r.muted ? h('span', { class: 'chat-item-muted muted', title: t('chat_menu.muted') }, icon('muted', 14)) : null,
          h('span', { class: 'chat-item-time muted small', text: r.time }),
        ),
        h(
          'div',
          { class: 'chat-item-bottom' },
          h('span', { class: `chat-item-preview ellipsis small ${r.typing ? 'accent' : 'muted'}${r.draft ? ' draft' : ''}`, text: r.preview }),
          hiddenFromReaders(mentionBadge(app, r.mentions)),
          r.unread ? h('span', { class: `badge${r.muted ? ' muted' : ''}`, 'aria-hidden': 'true', text: r.unread > 99 ? '99+' : String(r.unread) }) : null,
          r.pinned && !r.unread ? h('span', { class: 'chat-item-pin muted', title: t('chat_menu.pinned') }, icon('pin', 14)) : null,
          // For the pointer only (an option holds no controls): the keyboard opens the same
          // menu with the context-menu key or Shift+F10 on the row.
          h(
            'span',
            {
              class: 'icon-btn small chat-item-more',
              title: t('chat_menu.title'),
              onclick: (e) => app.views.chatMenu.open(r.id, e),
            },
            icon('more', 16),
          ),
        ),
      ),
    );
  }

  /**
   * A row's node as drawn before when it shows the same (a row that left the window or the
   * search's matches and comes back, the common case while typing or scrolling), else a new
   * one. Bounded: the rows drawn longest ago are forgotten first.
   */
  function cachedRow(key, deps, render) {
    const hit = nodeCache.get(key);
    nodeCache.delete(key);
    const node = hit && sameValues(hit.deps, deps) ? hit.node : render();
    nodeCache.set(key, { node, deps });
    if (nodeCache.size > NODE_CACHE) nodeCache.delete(nodeCache.keys().next().value);
    return node;
  }

  /** The archive's entry row (views/chat-menu.js) as an option of the listbox. */
  function entryItem(entry) {
    return {
      ...entry,
      render: () => {
        const el = entry.render();
        el.setAttribute('role', 'option');
        el.setAttribute('aria-selected', 'false');
        el.setAttribute('tabindex', '-1');
        return el;
      },
    };
  }

  /** The rows in display order, as keys and what draws them: cheap, no row is built here. */
  function listEntries() {
    const q = ui.search.trim().toLowerCase();
    const { store } = app;
    const refs = [...store.chats.values()];
    if (sorted.store !== store || sorted.pinned !== store.pinnedChatIds || !sameValues(sorted.refs, refs)) {
      sorted = { store, refs, pinned: store.pinnedChatIds, chats: store.chatList(), archived: store.chatList({ archived: true }) };
      prepareSearchKeys();
    }
    const { archived } = sorted;
    if (!archived.length) ui.showArchived = false;
    const chats = ui.showArchived ? archived : sorted.chats;
    const matching = q ? filterChats(chats, q) : chats;
    const entry = q ? null : app.views.chatMenu.entryRow(archived);
    return { entry: entry && entryItem(entry), chats: matching, q };
  }

  /** A chat's title, lower-cased once per title (and language: an unnamed chat's title is a word of it). */
  function searchKey(chat) {
    const lang = app.i18n.lang;
    const title = chatTitle(app, chat);
    let k = searchKeys.get(chat);
    if (!k || k.title !== title || k.lang !== lang) {
      k = { title, lang, key: title.toLowerCase() };
      searchKeys.set(chat, k);
    }
    return k.key;
  }

  /**
   * Makes the chats' search keys while the page is idle, so that the first keystroke does
   * not lower-case 2,000 titles (a changed chat is a new object: its key is made again).
   */
  let keysPending = false;
  function prepareSearchKeys() {
    const idle = globalThis.requestIdleCallback;
    if (keysPending || !idle) return;
    keysPending = true;
    idle(
      () => {
        keysPending = false;
        if (sorted.chats && app.store) for (const c of [...sorted.chats, ...sorted.archived]) searchKey(c);
      },
      { timeout: 2000 },
    );
  }

  /** The chats whose title holds `q`; typing on narrows the previous matches. */
  function filterChats(chats, q) {
    const lang = app.i18n.lang;
    const prev = lastFilter;
    const from = prev.chats === chats && prev.lang === lang && prev.q && q.startsWith(prev.q) ? prev.matching : chats;
    const matching = from.filter((c) => searchKey(c).includes(q));
    lastFilter = { chats, lang, q, matching };
    return matching;
  }

  /** Asks for a draw in the next frame; several asks in one frame draw once. */
  function schedule() {
    if (frame !== null) return;
    frame = requestAnimationFrame(draw);
    // A hidden page gets no frames; it is drawn anyway, soon, so that it is current when shown.
    timer = setTimeout(draw, 250);
  }

  function cancel() {
    if (frame !== null) cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = null;
    timer = null;
  }

  /** The first and last (exclusive) row index to have in the DOM for this scroll position. */
  function windowOf(count, overscan = OVERSCAN) {
    const height = Math.max(view.height, rowHeight);
    // Never past the end: the scroll position may be stale (the rows' height just changed,
    // or the list just got shorter), and a window past the end would hold no row.
    const top = Math.max(0, Math.min(view.top - view.listTop, count * rowHeight - height));
    const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
    const last = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
    return [Math.min(first, last), last];
  }

  function draw() {
    cancel();
    if (!app.store) return;
    const { entry, chats, q } = listEntries();
    const all = entry ? [entry.key, ...chats.map((c) => c.id)] : chats.map((c) => c.id);
    // A keystroke's frame shows what is on screen and no more: new matches are mostly rows
    // never drawn, and each costs its style, layout and paint. The rows beyond the edges
    // (there for scrolling) come in the next frame, long before the next key.
    const overscan = lean ? 0 : OVERSCAN;
    const [first, last] = windowOf(all.length, overscan);
    const items = [];
    for (let i = first; i < last; i += 1) {
      if (entry && i === 0) {
        items.push(entry);
        continue;
      }
      const chat = chats[entry ? i - 1 : i];
      const r = rowModel(chat);
      const { avatar: av, ...rest } = r;
      const deps = [app.i18n.lang, ...avatarDeps(av), ...Object.values(rest)];
      items.push({ key: chat.id, deps, render: () => cachedRow(chat.id, deps, () => rowView(r)) });
    }
    // A focused row that is redrawn (a message came in its chat) keeps the focus.
    const focused = list.contains(document.activeElement) ? keyOf(document.activeElement.closest('[role="option"]')) : null;
    rows.update(items);
    if (focused !== null && !list.contains(document.activeElement)) rows.node(focused)?.focus({ preventScroll: true });
    // Written only when they change: a write of the same value still costs a style check.
    setStyle(list, 'paddingTop', `${first * rowHeight}px`);
    setStyle(list, 'paddingBottom', `${(all.length - last) * rowHeight}px`);
    shown = all;
    setAttr(list, 'aria-label', t('chats.list_label'));
    // A listbox must hold options: an empty list (no chats yet, no match) is a plain list.
    if (all.length) setAttr(list, 'role', 'listbox');
    else list.removeAttribute('role');
    rove(items, first, all.length);
    setHidden($('#chats-empty'), chats.length > 0 || !!q);
    // The total sums every chat: counted again when a chat changed, or a mute may have run out.
    if (sorted.total === undefined || sorted.refs !== totalOf.refs || app.store.now() - totalOf.at > 10000) {
      totalOf.refs = sorted.refs;
      totalOf.at = app.store.now();
      sorted.total = app.store.totalUnread();
    }
    const total = sorted.total;
    const title = total ? `(${total}) ${t('app.name')}` : t('app.name');
    if (document.title !== title) document.title = title;
    renderSearchResults();
    // Every row is as high as a chat row (the archive's entry is styled to match): one row
    // is watched, and a font size or theme that changes its height draws again.
    const sample = items.find((it) => typeof it.key === 'number' && !rows.node(it.key)?.contains(document.activeElement));
    const node = sample ? rows.node(sample.key) : null;
    if (node && node !== measured) {
      if (measured) rowSize.unobserve(measured);
      measured = node;
      rowSize.observe(node);
    }
    if (lean) {
      lean = false;
      schedule();
    }
  }

  /**
   * Keeps exactly one row a Tab stop, and each row's place in the whole list for a screen
   * reader (the DOM holds only a window of it). Attributes are written only where they
   * change, so that an unchanged row is not touched.
   */
  function rove(items, first, count) {
    const keys = new Set(items.map((it) => it.key));
    const open = app.store.openChatId;
    let stop = focusKey !== null && keys.has(focusKey) ? focusKey : open !== null && keys.has(open) ? open : (items[0]?.key ?? null);
    if (list.contains(document.activeElement) && document.activeElement !== list) {
      stop = keyOf(document.activeElement.closest('[role="option"]')) ?? stop;
    }
    items.forEach((it, k) => {
      const node = rows.node(it.key);
      setAttr(node, 'tabindex', it.key === stop ? '0' : '-1');
      setAttr(node, 'aria-posinset', String(first + k + 1));
      setAttr(node, 'aria-setsize', String(count));
    });
    // No row at all (an empty list): nothing to stop at, the list is skipped by Tab.
  }

  function setAttr(node, name, value) {
    if (node && node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  function setStyle(node, name, value) {
    if (node.style[name] !== value) node.style[name] = value;
  }

  function setHidden(node, hidden) {
    if (node.hidden !== hidden) node.hidden = hidden;
  }

  function keyOf(row) {
    if (!row) return null;
    return row.dataset.chatId ? Number(row.dataset.chatId) : row.id || null;
  }

  /** The scroller's geometry, read where layout is current (scroll, resize, a key press). */
  function measureView() {
    view.top = scroller.scrollTop;
    view.height = scroller.clientHeight;
    view.listTop = list.getBoundingClientRect().top - scroller.getBoundingClientRect().top + view.top;
  }

  /** Scrolls row `index` into view, draws at once and focuses it. */
  function focusRow(index) {
    if (!shown.length) return;
    const i = Math.max(0, Math.min(shown.length - 1, index));
    focusKey = shown[i];
    measureView();
    const top = view.listTop + i * rowHeight;
    if (top < view.top) scroller.scrollTop = top;
    else if (top + rowHeight > view.top + view.height) scroller.scrollTop = top + rowHeight - view.height;
    view.top = scroller.scrollTop;
    draw();
    rows.node(focusKey)?.focus({ preventScroll: true });
  }

  function onListKeyDown(e) {
    const row = e.target.closest?.('[role="option"]');
    if (!row || !list.contains(row)) return;
    const index = shown.indexOf(keyOf(row));
    const page = Math.max(1, Math.floor(view.height / rowHeight) - 1);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: shown.length - 1, PageDown: index + page, PageUp: index - page };
    if (e.key in moves && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      focusRow(moves[e.key]);
    } else if (e.key === 'Enter' || e.key === ' ') {
      const chatId = row.dataset.chatId ? Number(row.dataset.chatId) : null;
      e.preventDefault();
      if (chatId !== null) app.openChat(chatId);
      // The archive's entry handles its own Enter (views/chat-menu.js); Space clicks it.
      else if (e.key === ' ') row.click();
    } else if ((e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) && row.dataset.chatId) {
      e.preventDefault();
      app.views.chatMenu.open(Number(row.dataset.chatId), { currentTarget: row });
      document.querySelector('.chat-menu button')?.focus();
    }
  }

  /** What the app calls on a store change (app.js): a draw in the next frame. */
  function render() {
    schedule();
  }

  function renderSearchResults() {
    const box = $('#search-results');
    const res = ui.searchResults;
    if (!ui.search.trim() || !res) {
      setHidden(box, true);
      peopleDrawn = null;
      return;
    }
    // The same answer in the same language with the same people online: nothing to redraw
    // (every keystroke and every store change draws the list; this box waits for an answer).
    const drawn = [res, app.i18n.lang, ...res.map((u) => isOnline(app, u.id))];
    if (peopleDrawn && sameValues(peopleDrawn, drawn) && !box.hidden) return;
    peopleDrawn = drawn;
    box.textContent = '';
    box.append(h('div', { class: 'section-title small muted', text: t('chats.people') }));
    const people = res.filter((u) => u.id !== app.store.me.id && !u.deleted);
    if (!people.length) box.append(h('div', { class: 'empty-hint small', text: t('chats.nobody_found') }));
    for (const u of people) {
      const av = userAvatar(app, u);
      if (isOnline(app, u.id)) av.append(h('i', { class: 'online-dot' }));
      box.append(
        h(
          'div',
          { class: 'chat-item person', dataset: { userId: String(u.id) }, onclick: () => openDirect(u.id), role: 'button', tabindex: '0' },
          av,
          h(
            'div',
            { class: 'chat-item-body' },
            h('div', { class: 'chat-item-title ellipsis', text: userName(app, u.id) }),
            h('div', { class: 'muted small', text: `@${u.username}` }),
          ),
        ),
      );
    }
    box.hidden = false;
  }

  function clearSearch() {
    clearTimeout(searchTimer);
    ui.search = '';
    ui.searchResults = null;
    $('#search').value = '';
  }

  async function openDirect(userId) {
    try {
      const chat = await app.api.openDirect(userId);
      app.store.upsertChat(chat);
      clearSearch();
      await app.openChat(chat.id);
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  function onSearchInput() {
    ui.search = $('#search').value;
    clearTimeout(searchTimer);
    // The top of the matches, not wherever the whole list was scrolled to. Only when not
    // there already (view.top follows the scroll events): writing scrollTop lays the page
    // out at once, which the typed text has just made stale.
    if (view.top !== 0) {
      scroller.scrollTop = 0;
      view.top = 0;
    }
    lean = true;
    schedule();
    const q = ui.search.trim();
    if (q.length < 2) {
      ui.searchResults = null;
      renderSearchResults();
      return;
    }
    searchTimer = setTimeout(async () => {
      try {
        const res = await app.api.searchUsers(q);
        if (ui.search.trim() === q && app.store) {
          ui.searchResults = res.items || [];
          app.store.rememberUsers(ui.searchResults);
          renderSearchResults();
        }
      } catch (err) {
        if (!(err instanceof ApiError) || !err.isNetwork) app.toast(app.format.error(err));
      }
    }, 250);
  }

  $('#search').addEventListener('input', onSearchInput);
  $('#search').addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' || !shown.length) return;
    e.preventDefault();
    focusRow(0);
  });
  list.addEventListener('keydown', onListKeyDown);
  list.addEventListener('focusin', (e) => {
    const key = keyOf(e.target.closest?.('[role="option"]'));
    if (key === null) return;
    focusKey = key;
    for (const node of list.children) setAttr(node, 'tabindex', node === e.target.closest('[role="option"]') ? '0' : '-1');
  });
  scroller.addEventListener(
    'scroll',
    () => {
      view.top = scroller.scrollTop;
      schedule();
    },
    { passive: true },
  );
  // Shown again (the mobile layout hides the sidebar while a chat is open) or resized: the
  // window of rows follows the scroller's new height.
  new ResizeObserver(() => {
    measureView();
    schedule();
  }).observe(scroller);
  $('#btn-new-group').addEventListener('click', () => app.views.newGroup.open());
  $('#btn-settings').addEventListener('click', () => app.views.settings.open());
  $('#btn-logout').addEventListener('click', () => confirmLogout(app));
  $('#btn-contacts').addEventListener('click', () => app.views.contacts.open());
  for (const el of [$('#me-avatar'), $('#me-text')]) el.addEventListener('click', () => app.views.myProfile.open());

  function clear() {
    cancel();
    rows.clear();
    nodeCache.clear();
    sorted = { store: null, refs: [], pinned: null, chats: null, archived: null };
    shown = [];
    focusKey = null;
    lastFilter = { chats: null, lang: null, q: '', matching: null };
    peopleDrawn = null;
    list.style.paddingTop = '';
    list.style.paddingBottom = '';
  }

  return { render, schedule, draw, renderMe, clearSearch, openDirect, clear };
}
