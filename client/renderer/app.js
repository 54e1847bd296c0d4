// The messenger UI: wires the protocol modules (lib/) to the DOM. All user content is
// inserted with textContent, never as HTML.

import { ApiClient, ApiError, TokenStore } from './lib/api.js';
import { RealtimeClient, Status } from './lib/realtime.js';
import { Outbox, IndexedDbOutboxStorage, MemoryOutboxStorage } from './lib/outbox.js';
import { Store } from './lib/store.js';
import { SyncEngine } from './lib/sync.js';
import { I18n, LANGUAGES, DEFAULT_LANGUAGE } from './lib/i18n.js';
import { validateRegistration, validateLogin } from './lib/validate.js';
import { icon } from './lib/icons.js';

const $ = (sel, root = document) => root.querySelector(sel);
const desktop = globalThis.messengerDesktop || null;
const LANG_KEY = 'messenger.lang';
const THEME_KEY = 'messenger.theme';
const PAGE = 40;

const ui = {
  authMode: 'login',
  search: '',
  searchResults: null,
  replyTo: null,
  editing: null,
  uploads: [], // {key, file, progress, done: stored file | null, error}
  loadingOlder: false,
  lastTypingSent: 0,
  blobUrls: new Map(),
  infoOpen: false,
};

let i18n;
let api;
let store;
let outbox;
let realtime;
let engine;
let serverUrl;

// --- helpers -------------------------------------------------------------------------------

/** Builds an element: h('div', {class: 'x', onclick}, child, 'text'). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    // CSSOM, not a style attribute: the strict CSP (no 'unsafe-inline') allows only this.
    else if (k === 'style') el.style.cssText = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const t = (key, params) => i18n.t(key, params);

function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    el.hidden = true;
  }, 4000);
}

function errorText(err) {
  if (err instanceof ApiError) {
    if (err.isNetwork) return t('errors.network_error');
    if (err.code === 'validation_error' && err.body?.field && i18n.has(`errors.fields.${err.body.field}`)) {
      return t(`errors.fields.${err.body.field}`);
    }
    return i18n.error(err.code, err.detail);
  }
  return t('errors.unknown');
}

const PALETTE = ['#e17076', '#7bc862', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774', '#5b8def'];

function avatar(name, id, url, extraClass = '') {
  const el = h('div', { class: `avatar ${extraClass}`.trim() });
  fillAvatar(el, name, id, url);
  return el;
}

function fillAvatar(el, name, id, url) {
  el.textContent = '';
  el.style.background = PALETTE[Math.abs(Number(id) || 0) % PALETTE.length];
  if (url && /^(https?:)?\/\//.test(url) === false && !url.startsWith('/')) url = null;
  if (url) {
    const img = h('img', { src: url, alt: '' });
    img.addEventListener('error', () => img.remove());
    el.append(img);
  }
  const initials = (name || '?')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0].toUpperCase())
    .join('');
  el.append(h('span', { text: initials || '?' }));
}

function userName(id) {
  if (store.me && id === store.me.id) return store.me.display_name || store.me.username;
  const u = store.users.get(id);
  return u ? u.display_name || u.username : t('common.unknown_user');
}

function chatTitle(chat) {
  if (!chat) return '';
  if (chat.kind === 'direct') {
    const p = store.peer(chat);
    return p ? p.display_name || p.username || t('common.unknown_user') : t('common.unknown_user');
  }
  return chat.title || t('chats.untitled_group');
}

function chatAvatarInfo(chat) {
  if (chat.kind === 'direct') {
    const p = store.peer(chat);
    return { name: chatTitle(chat), id: p?.id ?? chat.id, url: p?.avatar_url };
  }
  return { name: chatTitle(chat), id: chat.id, url: null };
}

function fmtTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(i18n.lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function fmtListTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  if (sameDay(d, now)) return fmtTime(iso);
  const diffDays = (now - d) / 86400000;
  if (diffDays < 6) return new Intl.DateTimeFormat(i18n.lang, { weekday: 'short' }).format(d);
  return new Intl.DateTimeFormat(i18n.lang, { day: 'numeric', month: 'short' }).format(d);
}

function fmtDay(iso) {
  const d = new Date(iso);
  const now = new Date();
  const yesterday = new Date(now.getTime() - 86400000);
  if (sameDay(d, now)) return t('time.today');
  if (sameDay(d, yesterday)) return t('time.yesterday');
  return new Intl.DateTimeFormat(i18n.lang, {
    day: 'numeric',
    month: 'long',
    year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  }).format(d);
}

function fmtLastSeen(iso) {
  if (!iso) return t('presence.offline');
  const d = new Date(iso);
  const mins = Math.round((Date.now() - d.getTime()) / 60000);
  if (mins < 1) return t('presence.just_now');
  if (mins < 60) return t('presence.minutes_ago', { count: mins });
  if (sameDay(d, new Date())) return t('presence.today_at', { time: fmtTime(iso) });
  return t('presence.last_seen_on', {
    date: new Intl.DateTimeFormat(i18n.lang, { day: 'numeric', month: 'short' }).format(d),
    time: fmtTime(iso),
  });
}

function fmtSize(bytes) {
  const units = ['units.b', 'units.kb', 'units.mb', 'units.gb'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${t(units[i])}`;
}

function messagePreview(m) {
  if (!m) return '';
  if (m.deleted) return t('message.deleted');
  if (m.text) return m.text.replace(/\s+/g, ' ');
  if (m.attachments?.length) return `📎 ${m.attachments[0].name}`;
  return '';
}

// --- theme and language ----------------------------------------------------------------

function currentTheme() {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function applyTheme() {
  document.documentElement.dataset.theme = currentTheme();
}

async function setLanguage(lang) {
  await i18n.use(lang);
  localStorage.setItem(LANG_KEY, i18n.lang);
  document.documentElement.lang = i18n.lang;
  document.title = t('app.name');
  i18n.apply(document);
  renderAuthMode();
  if (store) renderAll();
}

// --- auth screen -------------------------------------------------------------------------

function renderAuthMode() {
  const register = ui.authMode === 'register';
  for (const tab of document.querySelectorAll('.auth-tab')) {
    tab.classList.toggle('active', tab.dataset.mode === ui.authMode);
    tab.setAttribute('aria-selected', String(tab.dataset.mode === ui.authMode));
  }
  for (const f of ['username', 'display_name', 'email', 'password2']) {
    $(`.field[data-for="${f}"]`).hidden = !register;
  }
  $('.field[data-for="login"]').hidden = register;
  $('#auth-submit').textContent = t(register ? 'auth.register_button' : 'auth.login_button');
  $('input[name="password"]').setAttribute('autocomplete', register ? 'new-password' : 'current-password');
}

function showAuth(message = '') {
  $('#main-screen').hidden = true;
  $('#auth-screen').hidden = false;
  $('#banner').hidden = true;
  renderAuthMode();
  showAuthError(message);
}

function showAuthError(text, field = null) {
  const el = $('#auth-error');
  el.textContent = text || '';
  el.hidden = !text;
  for (const input of document.querySelectorAll('#auth-form input')) input.classList.remove('invalid');
  if (field) {
    const input = $(`#auth-form input[name="${field}"]`);
    if (input) {
      input.classList.add('invalid');
      input.focus();
    }
  }
}

async function submitAuth(ev) {
  ev.preventDefault();
  const form = new FormData($('#auth-form'));
  const v = Object.fromEntries([...form.entries()].map(([k, x]) => [k, String(x)]));
  const problem = ui.authMode === 'register' ? validateRegistration(v) : validateLogin(v);
  if (problem) {
    showAuthError(t(`validation.${problem.key}`), problem.field);
    return;
  }
  showAuthError('');
  const btn = $('#auth-submit');
  btn.disabled = true;
  try {
    if (ui.authMode === 'register') {
      await api.register({
        username: v.username.trim(),
        password: v.password,
        email: v.email.trim() || undefined,
        display_name: v.display_name.trim() || undefined,
      });
    } else {
      await api.login({ login: v.login.trim(), password: v.password });
    }
    $('#auth-form').reset();
    await startSession();
  } catch (err) {
    showAuthError(errorText(err), err?.body?.field || null);
  } finally {
    btn.disabled = false;
  }
}

// --- session ---------------------------------------------------------------------------

function outboxStorage() {
  try {
    if (globalThis.indexedDB) return new IndexedDbOutboxStorage(globalThis.indexedDB);
  } catch {
    /* private mode without IndexedDB */
  }
  return new MemoryOutboxStorage();
}

async function startSession() {
  const session = api.tokens.get();
  if (!session?.user) {
    showAuth();
    return;
  }
  store = new Store();
  store.setMe(session.user);
  outbox = new Outbox({ storage: outboxStorage(), userId: session.user.id });
  try {
    await outbox.load();
  } catch {
    outbox.storage = new MemoryOutboxStorage();
  }
  const wsUrl = `${serverUrl.replace(/^http/, 'ws')}/api/v1/ws`;
  realtime = new RealtimeClient({
    url: wsUrl,
    getToken: () => api.accessToken(),
    refreshToken: () => api.refresh(api.tokens.get()?.access_token),
    onReady: (data) => {
      if (data.user) {
        store.setMe(data.user);
        api.tokens.setUser(data.user);
      }
      engine.onReady();
    },
    onFrame: (frame) => engine.handleFrame(frame),
    onStatus: (status) => {
      if (status !== Status.ONLINE) engine?.onDisconnected();
      renderBanner();
    },
  });
  engine = new SyncEngine({
    api,
    realtime,
    store,
    outbox,
    onEvent: onEngineEvent,
    onError: (err) => console.warn('sync', err),
  });
  store.subscribe(onStoreChange);
  $('#auth-screen').hidden = true;
  $('#main-screen').hidden = false;
  renderAll();
  try {
    await engine.bootstrap();
  } catch (err) {
    if (!(err instanceof ApiError) || !err.isNetwork) console.warn('bootstrap', err);
  }
  if (!store) return; // logged out meanwhile
  realtime.start();
  renderBanner();
}

function stopSession() {
  realtime?.stop();
  for (const url of ui.blobUrls.values()) URL.revokeObjectURL(url);
  ui.blobUrls.clear();
  store = null;
  engine = null;
  realtime = null;
  outbox = null;
  Object.assign(ui, { replyTo: null, editing: null, uploads: [], search: '', searchResults: null, infoOpen: false });
  $('#search').value = '';
  $('#info-panel').hidden = true;
}

async function logout() {
  const r = realtime;
  stopSession();
  r?.stop();
  try {
    await api.logout();
  } catch {
    /* the token is forgotten locally anyway */
  }
  showAuth();
}

function onLoggedOut() {
  if (!store) return;
  stopSession();
  showAuth(t('auth.session_expired'));
}

// --- reacting to the engine --------------------------------------------------------------

function onEngineEvent(frame, result) {
  if (frame.type === 'resynced') {
    if (store.openChatId !== null) loadHistory(store.openChatId, { reset: true });
    return;
  }
  if (frame.type === 'error' && frame.data?.code && frame.data.code !== 'throttled') {
    if (!frame.data.client_id) toast(i18n.error(frame.data.code, frame.data.message));
    return;
  }
  if (frame.type === 'member_removed' && result?.removed) {
    if (ui.infoOpen) closeInfo();
  }
  if (frame.type === 'typing') scheduleTypingRefresh();
}

let renderQueued = new Set();
function onStoreChange(what) {
  renderQueued.add(what.kind);
  if (renderQueued.size === 1) {
    queueMicrotask(() => {
      const kinds = renderQueued;
      renderQueued = new Set();
      if (!store) return;
      if (kinds.has('me')) renderMe();
      if (kinds.has('chats') || kinds.has('presence') || kinds.has('typing')) {
        renderChatList();
        renderChatHeader();
      }
      if (kinds.has('messages') || kinds.has('outbox') || kinds.has('chats')) renderMessages();
      if (kinds.has('typing')) renderTyping();
      if (ui.infoOpen && (kinds.has('chats') || kinds.has('presence'))) renderInfo();
    });
  }
}

let typingTimer = null;
function scheduleTypingRefresh() {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    if (!store) return;
    renderTyping();
    renderChatList();
    if (store.openChatId !== null && store.typingIn(store.openChatId).length) scheduleTypingRefresh();
  }, 5100);
}

// --- rendering ---------------------------------------------------------------------------

function renderAll() {
  if (!store) return;
  renderMe();
  renderChatList();
  renderChatHeader();
  renderMessages();
  renderTyping();
  renderComposerContext();
  renderUploads();
  renderBanner();
  if (ui.infoOpen) renderInfo();
}

function renderBanner() {
  const el = $('#banner');
  if (!realtime || !store) {
    el.hidden = true;
    return;
  }
  const status = realtime.status;
  if (status === Status.ONLINE || status === Status.STOPPED) {
    el.hidden = true;
    document.body.classList.remove('offline');
    return;
  }
  const pending = outbox?.sendable().length || 0;
  el.textContent =
    status === Status.CONNECTING
      ? t('status.connecting')
      : pending
        ? `${t('status.offline')} ${t('status.pending', { count: pending })}`
        : t('status.offline');
  el.hidden = false;
  document.body.classList.add('offline');
}

function renderMe() {
  const me = store.me;
  if (!me) return;
  fillAvatar($('#me-avatar'), me.display_name || me.username, me.id, me.avatar_url);
  $('#me-name').textContent = me.display_name || me.username;
  $('#me-username').textContent = `@${me.username}`;
}

function isOnline(userId) {
  if (userId === store.me?.id) return realtime?.online === true;
  return store.online.get(userId) === true;
}

function typingText(chatId) {
  const ids = store.typingIn(chatId);
  if (!ids.length) return '';
  const chat = store.chats.get(chatId);
  if (chat?.kind === 'direct') return t('typing.direct');
  if (ids.length === 1) return t('typing.one', { name: userName(ids[0]) });
  return t('typing.many', { count: ids.length });
}

function renderChatList() {
  const list = $('#chat-list');
  const q = ui.search.trim().toLowerCase();
  const chats = store.chatList().filter((c) => !q || chatTitle(c).toLowerCase().includes(q));
  list.textContent = '';
  for (const chat of chats) {
    const info = chatAvatarInfo(chat);
    const av = avatar(info.name, info.id, info.url);
    const peer = store.peer(chat);
    if (peer && isOnline(peer.id)) av.append(h('i', { class: 'online-dot' }));
    const typing = typingText(chat.id);
    const last = chat.last_message;
    const pending = outbox.list(chat.id).at(-1);
    let preview = typing || messagePreview(pending && (!last || true) ? { text: pending.text, attachments: pending.attachments } : last);
    if (!typing && !pending && last && chat.kind === 'group' && last.sender_id !== store.me.id) {
      preview = `${userName(last.sender_id)}: ${preview}`;
    } else if (!typing && (pending || (last && last.sender_id === store.me.id))) {
      preview = `${t('chats.you')}: ${preview}`;
    }
    const unread = chat.unread_count || 0;
    const item = h(
      'li',
      {
        class: `chat-item${chat.id === store.openChatId ? ' active' : ''}`,
        dataset: { chatId: String(chat.id) },
        onclick: () => openChat(chat.id),
        role: 'button',
        tabindex: '0',
      },
      av,
      h(
        'div',
        { class: 'chat-item-body' },
        h(
          'div',
          { class: 'chat-item-top' },
          h('span', { class: 'chat-item-title ellipsis', text: chatTitle(chat) }),
          h('span', { class: 'chat-item-time muted small', text: fmtListTime(pending?.created_at || last?.created_at || chat.last_activity_at) }),
        ),
        h(
          'div',
          { class: 'chat-item-bottom' },
          h('span', { class: `chat-item-preview ellipsis small ${typing ? 'accent' : 'muted'}`, text: preview || t('chats.no_messages') }),
          unread ? h('span', { class: 'badge', text: unread > 99 ? '99+' : String(unread) }) : null,
        ),
      ),
    );
    item.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') openChat(chat.id);
    });
    list.append(item);
  }
  $('#chats-empty').hidden = chats.length > 0 || !!q;
  const total = store.totalUnread();
  document.title = total ? `(${total}) ${t('app.name')}` : t('app.name');
  renderSearchResults();
}

function renderSearchResults() {
  const box = $('#search-results');
  const res = ui.searchResults;
  if (!ui.search.trim() || !res) {
    box.hidden = true;
    return;
  }
  box.textContent = '';
  box.append(h('div', { class: 'section-title small muted', text: t('chats.people') }));
  const people = res.filter((u) => u.id !== store.me.id);
  if (!people.length) box.append(h('div', { class: 'empty-hint small', text: t('chats.nobody_found') }));
  for (const u of people) {
    const av = avatar(u.display_name || u.username, u.id, u.avatar_url);
    if (isOnline(u.id)) av.append(h('i', { class: 'online-dot' }));
    box.append(
      h(
        'div',
        { class: 'chat-item person', dataset: { userId: String(u.id) }, onclick: () => openDirect(u.id), role: 'button', tabindex: '0' },
        av,
        h(
          'div',
          { class: 'chat-item-body' },
          h('div', { class: 'chat-item-title ellipsis', text: u.display_name || u.username }),
          h('div', { class: 'muted small', text: `@${u.username}` }),
        ),
      ),
    );
  }
  box.hidden = false;
}

function renderChatHeader() {
  const chat = store.chats.get(store.openChatId);
  $('#chat-view').hidden = !chat;
  $('#chat-empty').hidden = !!chat;
  $('#main-screen').classList.toggle('has-chat', !!chat);
  if (!chat) return;
  const info = chatAvatarInfo(chat);
  fillAvatar($('#chat-avatar'), info.name, info.id, info.url);
  $('#chat-title').textContent = chatTitle(chat);
  const sub = $('#chat-subtitle');
  const typing = typingText(chat.id);
  sub.classList.toggle('accent', !!typing);
  if (typing) sub.textContent = typing;
  else if (chat.kind === 'direct') {
    const peer = store.peer(chat);
    const online = peer && isOnline(peer.id);
    sub.textContent = online ? t('presence.online') : fmtLastSeen(peer?.last_seen_at);
    sub.classList.toggle('accent', !!online);
  } else {
    const online = chat.members.filter((m) => m.user_id !== store.me.id && isOnline(m.user_id)).length;
    sub.textContent =
      t('chat.members', { count: chat.members.length }) + (online ? `, ${t('chat.online_count', { count: online })}` : '');
  }
}

function renderTyping() {
  const el = $('#typing');
  const chatId = store?.openChatId;
  el.textContent = chatId !== null && chatId !== undefined ? typingText(chatId) : '';
  renderChatHeader();
}

function receiptMark(chat, m) {
  const state = store.receipt(chat, m);
  const text = state === 'sent' ? '✓' : '✓✓';
  return h('span', { class: `receipt ${state}`, title: t(`receipt.${state}`), text });
}

function attachmentView(a) {
  const isImage = /^image\/(png|jpe?g|gif|webp)$/.test(a.content_type || '');
  if (isImage) {
    const img = h('img', { class: 'attachment-image', alt: a.name });
    loadBlob(a).then((url) => {
      if (url) img.src = url;
    });
    return h('button', { type: 'button', class: 'attachment-image-btn', onclick: () => download(a) }, img);
  }
  return h(
    'button',
    { type: 'button', class: 'attachment-file', onclick: () => download(a), title: t('message.download') },
    h('span', { class: 'attachment-icon' }, icon('file', 22)),
    h('span', { class: 'attachment-meta' }, h('span', { class: 'ellipsis', text: a.name }), h('span', { class: 'small muted', text: fmtSize(a.size) })),
  );
}

async function loadBlob(a) {
  if (ui.blobUrls.has(a.id)) return ui.blobUrls.get(a.id);
  try {
    const blob = await api.fileBlob(a.url);
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
    toast(t('errors.download_failed'));
    return;
  }
  const link = h('a', { href: url, download: a.name });
  document.body.append(link);
  link.click();
  link.remove();
}

function quoteView(chat, replyToId) {
  const target = store.message(chat.id, replyToId);
  return h(
    'div',
    { class: 'quote', onclick: () => scrollToMessage(replyToId) },
    h('div', { class: 'quote-author small', text: target ? userName(target.sender_id) : t('message.reply') }),
    h('div', { class: 'quote-text small ellipsis', text: target ? messagePreview(target) : t('message.not_loaded') }),
  );
}

function scrollToMessage(id) {
  const el = $(`.msg[data-id="${id}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  el.classList.add('flash');
  setTimeout(() => el.classList.remove('flash'), 1200);
}

function messageView(chat, m, prev) {
  const mine = m.sender_id === store.me.id;
  const showAuthor = chat.kind === 'group' && !mine && (!prev || prev.sender_id !== m.sender_id);
  const canManage = ['owner', 'admin'].includes(store.myRole(chat));
  const actions = m.deleted
    ? null
    : h(
        'div',
        { class: 'msg-actions' },
        h('button', { type: 'button', class: 'msg-action', 'data-action': 'reply', title: t('message.reply'), onclick: () => startReply(m) }, icon('reply', 16)),
        mine && m.text
          ? h('button', { type: 'button', class: 'msg-action', 'data-action': 'edit', title: t('message.edit'), onclick: () => startEdit(m) }, icon('edit', 16))
          : null,
        mine || (chat.kind === 'group' && canManage)
          ? h('button', { type: 'button', class: 'msg-action', 'data-action': 'delete', title: t('message.delete'), onclick: () => confirmDelete(m) }, icon('trash', 16))
          : null,
      );
  const body = h(
    'div',
    { class: 'bubble' },
    showAuthor ? h('div', { class: 'msg-author small', text: userName(m.sender_id), style: `color:${PALETTE[m.sender_id % PALETTE.length]}` }) : null,
    m.reply_to_id && !m.deleted ? quoteView(chat, m.reply_to_id) : null,
    ...(m.deleted ? [] : (m.attachments || []).map(attachmentView)),
    m.deleted
      ? h('div', { class: 'msg-text deleted', text: t('message.deleted') })
      : m.text
        ? h('div', { class: 'msg-text', text: m.text })
        : null,
    h(
      'div',
      { class: 'msg-meta' },
      m.edited_at && !m.deleted ? h('span', { class: 'edited', text: t('message.edited') }) : null,
      h('span', { class: 'msg-time', text: fmtTime(m.created_at) }),
      mine && !m.deleted ? receiptMark(chat, m) : null,
    ),
  );
  return h('div', { class: `msg ${mine ? 'mine' : 'theirs'}`, dataset: { id: String(m.id), clientId: m.client_id } }, body, actions);
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
      item.text ? h('div', { class: 'msg-text', text: item.text }) : null,
      h(
        'div',
        { class: 'msg-meta' },
        failed ? h('span', { class: 'failed-text', text: i18n.error(item.failed) }) : null,
        h('span', { class: 'msg-time', text: fmtTime(item.created_at) }),
        h('span', { class: 'receipt pending', title: t(failed ? 'receipt.failed' : 'receipt.pending') }, icon(failed ? 'alert' : 'clock', 13)),
      ),
    ),
    failed
      ? h(
          'div',
          { class: 'msg-actions visible' },
          h('button', { type: 'button', class: 'msg-action', title: t('message.retry'), onclick: () => engine.retry(item.client_id) }, icon('retry', 16)),
          h('button', { type: 'button', class: 'msg-action', title: t('message.discard'), onclick: () => engine.discard(item.client_id) }, icon('close', 16)),
        )
      : null,
  );
}

function renderMessages() {
  const chatId = store.openChatId;
  const box = $('#messages');
  const list = $('#message-list');
  if (chatId === null) {
    list.textContent = '';
    return;
  }
  const chat = store.chats.get(chatId);
  if (!chat) return;
  const fromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
  const stick = fromBottom < 60 || ui.stickNext;
  ui.stickNext = false;
  const history = store.history(chatId);
  const seenClientIds = new Set(history.filter((m) => m.sender_id === store.me.id).map((m) => m.client_id));
  const frag = document.createDocumentFragment();
  let prev = null;
  for (const m of history) {
    if (!prev || !sameDay(new Date(prev.created_at), new Date(m.created_at))) {
      frag.append(h('div', { class: 'day-sep' }, h('span', { text: fmtDay(m.created_at) })));
    }
    frag.append(messageView(chat, m, prev));
    prev = m;
  }
  for (const item of outbox.list(chatId)) {
    if (!seenClientIds.has(item.client_id)) frag.append(pendingView(item));
  }
  if (!history.length && !outbox.list(chatId).length && store.historyLoaded(chatId)) {
    frag.append(h('div', { class: 'empty-hint', text: t('chat.no_messages') }));
  }
  list.textContent = '';
  list.append(frag);
  $('#history-loader').hidden = !ui.loadingOlder;
  if (ui.keepFromBottom !== undefined) {
    box.scrollTop = box.scrollHeight - box.clientHeight - ui.keepFromBottom;
    ui.keepFromBottom = undefined;
  } else if (stick) {
    box.scrollTop = box.scrollHeight;
  } else {
    box.scrollTop = box.scrollHeight - box.clientHeight - fromBottom;
  }
  maybeMarkRead();
}

function maybeMarkRead() {
  const chatId = store?.openChatId;
  if (chatId === null || chatId === undefined || document.visibilityState === 'hidden') return;
  const chat = store.chats.get(chatId);
  if (!chat) return;
  const box = $('#messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  if (!atBottom) return;
  const history = store.history(chatId);
  const last = history.at(-1);
  if (!last) return;
  const mine = chat.members.find((m) => m.user_id === store.me.id);
  if ((mine?.read_message_id || 0) >= last.id && !chat.unread_count) return;
  engine.markRead(chatId, last.id);
}

// --- opening chats and history -----------------------------------------------------------

async function openChat(chatId) {
  if (!store.chats.has(chatId)) return;
  const changed = store.openChatId !== chatId;
  store.openChatId = chatId;
  if (changed) {
    ui.replyTo = null;
    ui.editing = null;
    ui.uploads = [];
    ui.stickNext = true;
    $('#composer-input').value = '';
    autoGrow();
  }
  renderAll();
  autoGrow();
  if (!store.historyLoaded(chatId)) await loadHistory(chatId);
  else ui.stickNext = false;
  if (window.innerWidth > 720) $('#composer-input').focus();
}

async function loadHistory(chatId, { reset = false } = {}) {
  if (reset) store.resetHistory(chatId);
  try {
    const page = await api.messages(chatId, { limit: PAGE });
    ui.stickNext = true;
    store.addHistory(chatId, page.items || [], !!page.has_more);
  } catch (err) {
    if (!(err instanceof ApiError) || !err.isNetwork) toast(errorText(err));
  }
}

async function loadOlder() {
  const chatId = store?.openChatId;
  if (chatId === null || chatId === undefined || ui.loadingOlder || !store.hasMore.get(chatId)) return;
  const before = store.oldestId(chatId);
  if (!before) return;
  ui.loadingOlder = true;
  $('#history-loader').hidden = false;
  const box = $('#messages');
  try {
    const page = await api.messages(chatId, { before, limit: PAGE });
    if (store?.openChatId !== chatId) return;
    ui.keepFromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
    store.addHistory(chatId, page.items || [], !!page.has_more, { older: true });
  } catch (err) {
    toast(errorText(err));
  } finally {
    ui.loadingOlder = false;
    $('#history-loader').hidden = true;
  }
}

async function openDirect(userId) {
  try {
    const chat = await api.openDirect(userId);
    store.upsertChat(chat);
    ui.search = '';
    ui.searchResults = null;
    $('#search').value = '';
    await openChat(chat.id);
  } catch (err) {
    toast(errorText(err));
  }
}

let searchTimer = null;
function onSearchInput() {
  ui.search = $('#search').value;
  clearTimeout(searchTimer);
  renderChatList();
  const q = ui.search.trim();
  if (q.length < 2) {
    ui.searchResults = null;
    renderSearchResults();
    return;
  }
  searchTimer = setTimeout(async () => {
    try {
      const res = await api.searchUsers(q);
      if (ui.search.trim() === q) {
        ui.searchResults = res.items || [];
        for (const u of ui.searchResults) store.users.set(u.id, { ...store.users.get(u.id), ...u });
        renderSearchResults();
      }
    } catch (err) {
      if (!(err instanceof ApiError) || !err.isNetwork) toast(errorText(err));
    }
  }, 250);
}

// --- composing -----------------------------------------------------------------------------

function autoGrow() {
  const ta = $('#composer-input');
  // A hidden textarea measures 0; it is measured again once the chat is shown.
  if (ta.offsetParent === null) {
    ta.style.height = '';
    return;
  }
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(ta.scrollHeight, 160)}px`;
}

function renderComposerContext() {
  const box = $('#composer-context');
  const ctx = ui.editing || ui.replyTo;
  box.hidden = !ctx;
  if (!ctx) return;
  $('#composer-context-title').textContent = ui.editing
    ? t('composer.editing')
    : t('composer.replying_to', { name: userName(ctx.sender_id) });
  $('#composer-context-body').textContent = messagePreview(ctx);
}

function startReply(m) {
  ui.editing = null;
  ui.replyTo = m;
  renderComposerContext();
  $('#composer-input').focus();
}

function startEdit(m) {
  ui.replyTo = null;
  ui.editing = m;
  $('#composer-input').value = m.text;
  autoGrow();
  renderComposerContext();
  $('#composer-input').focus();
}

function cancelContext() {
  if (ui.editing) $('#composer-input').value = '';
  ui.editing = null;
  ui.replyTo = null;
  autoGrow();
  renderComposerContext();
}

async function submitComposer() {
  const chatId = store?.openChatId;
  if (chatId === null || chatId === undefined) return;
  const input = $('#composer-input');
  const text = input.value.trim();
  if (ui.editing) {
    const m = ui.editing;
    if (!text || text === m.text) {
      cancelContext();
      return;
    }
    try {
      const updated = await api.editMessage(m.id, text);
      store.apply({ type: 'message_updated', data: { message: updated } });
      input.value = '';
      cancelContext();
    } catch (err) {
      toast(errorText(err));
    }
    return;
  }
  if (ui.uploads.some((u) => !u.done && !u.error)) {
    toast(t('composer.wait_uploads'));
    return;
  }
  const attachments = ui.uploads.filter((u) => u.done).map((u) => u.done);
  if (!text && !attachments.length) return;
  const replyTo = ui.replyTo?.id || null;
  input.value = '';
  autoGrow();
  ui.replyTo = null;
  ui.uploads = [];
  ui.stickNext = true;
  renderComposerContext();
  renderUploads();
  await engine.send({ chat_id: chatId, text, reply_to_id: replyTo, attachments });
  renderBanner();
}

function onComposerKey(e) {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submitComposer();
  } else if (e.key === 'Escape') {
    cancelContext();
  } else if (e.key === 'ArrowUp' && !$('#composer-input').value) {
    const mine = store.history(store.openChatId).filter((m) => m.sender_id === store.me.id && !m.deleted && m.text);
    if (mine.length) {
      e.preventDefault();
      startEdit(mine.at(-1));
    }
  }
}

function onComposerInput() {
  autoGrow();
  const chatId = store?.openChatId;
  if (chatId === null || chatId === undefined || ui.editing) return;
  const now = Date.now();
  if ($('#composer-input').value.trim() && now - ui.lastTypingSent > 3000) {
    if (realtime.send('typing', { chat_id: chatId })) ui.lastTypingSent = now;
  }
}

async function confirmDelete(m) {
  const ok = await confirmModal(t('message.delete_confirm'), t('message.delete'));
  if (!ok) return;
  try {
    await api.deleteMessage(m.id);
    store.apply({ type: 'message_deleted', data: { message: { ...m, deleted: true, text: '', attachments: [] } } });
  } catch (err) {
    toast(errorText(err));
  }
}

// --- uploads ---------------------------------------------------------------------------------

function renderUploads() {
  const box = $('#uploads');
  box.textContent = '';
  box.hidden = !ui.uploads.length;
  for (const u of ui.uploads) {
    const pct = Math.round((u.done ? 1 : u.progress) * 100);
    box.append(
      h(
        'div',
        { class: `upload${u.error ? ' error' : ''}`, dataset: { key: u.key } },
        h('span', { class: 'attachment-icon' }, icon('file', 22)),
        h(
          'div',
          { class: 'upload-body' },
          h('div', { class: 'small ellipsis', text: u.file.name }),
          u.error
            ? h('div', { class: 'small failed-text', text: u.error })
            : h('div', { class: 'progress' }, h('div', { class: 'progress-bar', style: `width:${pct}%` })),
        ),
        h('span', { class: 'small muted', text: u.done ? fmtSize(u.file.size) : `${pct}%` }),
        h('button', {
          type: 'button',
          class: 'icon-btn small',
          title: t('common.remove'),
          onclick: () => {
            ui.uploads = ui.uploads.filter((x) => x !== u);
            renderUploads();
          },
        }, icon('close', 14)),
      ),
    );
  }
}

let uploadSeq = 0;
function startUploads(files) {
  for (const file of files) {
    const u = { key: `u${(uploadSeq += 1)}`, file, progress: 0, done: null, error: null };
    ui.uploads.push(u);
    api
      .upload(file, (p) => {
        u.progress = p;
        const bar = $(`.upload[data-key="${u.key}"] .progress-bar`);
        if (bar) bar.style.width = `${Math.round(p * 100)}%`;
      })
      .then((stored) => {
        u.done = stored;
      })
      .catch((err) => {
        u.error = errorText(err);
      })
      .finally(renderUploads);
  }
  renderUploads();
}

// --- modals ------------------------------------------------------------------------------

function openModal(title, content, { onClose } = {}) {
  const root = $('#modal-root');
  root.textContent = '';
  const close = () => {
    root.hidden = true;
    root.textContent = '';
    onClose?.();
  };
  const dialog = h(
    'div',
    { class: 'modal', role: 'dialog', 'aria-modal': 'true' },
    h('div', { class: 'modal-head' }, h('h2', { text: title }), h('button', { type: 'button', class: 'icon-btn', title: t('common.close'), onclick: close }, icon('close'))),
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
  dialog.querySelector('input, select, textarea, button.primary')?.focus();
  return close;
}

function confirmModal(text, action) {
  return new Promise((resolve) => {
    let answered = false;
    const close = openModal(
      t('common.confirm'),
      h(
        'div',
        { class: 'modal-body' },
        h('p', { text }),
        h(
          'div',
          { class: 'modal-actions' },
          h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => close() }),
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

function settingsModal() {
  const langSelect = h(
    'select',
    { id: 'setting-language' },
    LANGUAGES.map((l) => h('option', { value: l, text: t(`languages.${l}`), selected: l === i18n.lang })),
  );
  langSelect.addEventListener('change', () => setLanguage(langSelect.value).then(settingsModal));
  const saved = localStorage.getItem(THEME_KEY) || 'system';
  const themeSelect = h(
    'select',
    { id: 'setting-theme' },
    ['system', 'light', 'dark'].map((v) => h('option', { value: v, text: t(`settings.theme_${v}`), selected: v === saved })),
  );
  themeSelect.addEventListener('change', () => {
    if (themeSelect.value === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, themeSelect.value);
    applyTheme();
  });
  const serverInput = h('input', { id: 'setting-server', value: serverUrl, type: 'url' });
  const serverError = h('div', { class: 'form-error', hidden: true });
  const body = h(
    'div',
    { class: 'modal-body' },
    h('label', { class: 'field' }, h('span', { text: t('settings.language') }), langSelect),
    h('label', { class: 'field' }, h('span', { text: t('settings.theme') }), themeSelect),
    desktop
      ? h(
          'div',
          {},
          h('label', { class: 'field' }, h('span', { text: t('settings.server') }), serverInput, h('small', { class: 'hint', text: t('settings.server_hint') })),
          serverError,
          h('button', {
            type: 'button',
            class: 'btn primary',
            text: t('settings.save_server'),
            onclick: async () => {
              const ok = await desktop.setServerUrl(serverInput.value.trim());
              if (!ok) {
                serverError.textContent = t('settings.server_invalid');
                serverError.hidden = false;
              }
            },
          }),
        )
      : h('p', { class: 'muted small', text: t('settings.server_web', { url: serverUrl }) }),
  );
  openModal(t('settings.title'), body);
}

function userPicker({ exclude = new Set(), onPick, multi = false, selected = new Map() }) {
  const input = h('input', { type: 'search', placeholder: t('groups.search_people'), autocomplete: 'off' });
  const results = h('div', { class: 'picker-results' });
  const chips = h('div', { class: 'chips' });
  const renderChips = () => {
    chips.textContent = '';
    for (const [id, u] of selected) {
      chips.append(
        h('span', { class: 'chip' }, u.display_name || u.username, h('button', { type: 'button', title: t('common.remove'), onclick: () => { selected.delete(id); renderChips(); } }, icon('close', 12))),
      );
    }
  };
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) {
      results.textContent = '';
      return;
    }
    timer = setTimeout(async () => {
      try {
        const res = await api.searchUsers(q);
        results.textContent = '';
        const people = (res.items || []).filter((u) => u.id !== store.me.id && !exclude.has(u.id));
        if (!people.length) results.append(h('div', { class: 'empty-hint small', text: t('chats.nobody_found') }));
        for (const u of people) {
          store.users.set(u.id, { ...store.users.get(u.id), ...u });
          results.append(
            h(
              'div',
              {
                class: 'chat-item person',
                dataset: { userId: String(u.id) },
                role: 'button',
                onclick: () => {
                  if (multi) {
                    selected.set(u.id, u);
                    renderChips();
                  } else onPick(u);
                },
              },
              avatar(u.display_name || u.username, u.id, u.avatar_url, 'small'),
              h('div', { class: 'chat-item-body' }, h('div', { class: 'ellipsis', text: u.display_name || u.username }), h('div', { class: 'muted small', text: `@${u.username}` })),
            ),
          );
        }
      } catch (err) {
        results.textContent = errorText(err);
      }
    }, 250);
  });
  renderChips();
  return h('div', { class: 'picker' }, chips, input, results);
}

function newGroupModal() {
  const selected = new Map();
  const title = h('input', { id: 'group-title', maxlength: '100', placeholder: t('groups.title_placeholder') });
  const error = h('div', { class: 'form-error', hidden: true });
  let close;
  const create = async () => {
    const name = title.value.trim();
    if (!name) {
      error.textContent = t('validation.title_required');
      error.hidden = false;
      return;
    }
    try {
      const chat = await api.createGroup(name, [...selected.keys()]);
      store.upsertChat(chat);
      close();
      await openChat(chat.id);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    }
  };
  close = openModal(
    t('chats.new_group'),
    h(
      'div',
      { class: 'modal-body' },
      h('label', { class: 'field' }, h('span', { text: t('groups.title') }), title),
      h('div', { class: 'field' }, h('span', { text: t('groups.members') }), userPicker({ multi: true, selected })),
      error,
      h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn primary', id: 'group-create', text: t('groups.create'), onclick: create })),
    ),
  );
}

// --- chat info panel -------------------------------------------------------------------------

function openInfo() {
  ui.infoOpen = true;
  $('#info-panel').hidden = false;
  renderInfo();
}

function closeInfo() {
  ui.infoOpen = false;
  ui.memberPicker = null;
  $('#info-panel').hidden = true;
}

function renderInfo() {
  const panel = $('#info-panel');
  const chat = store?.chats.get(store.openChatId);
  if (!chat) {
    closeInfo();
    return;
  }
  panel.textContent = '';
  const info = chatAvatarInfo(chat);
  const myRole = store.myRole(chat);
  const canManage = chat.kind === 'group' && (myRole === 'owner' || myRole === 'admin');
  panel.append(
    h('div', { class: 'info-head' }, h('h2', { text: t(chat.kind === 'group' ? 'info.group' : 'info.profile') }), h('button', { type: 'button', class: 'icon-btn', title: t('common.close'), onclick: closeInfo }, icon('close'))),
    h('div', { class: 'info-hero' }, avatar(info.name, info.id, info.url, 'large'), h('div', { class: 'info-title', text: chatTitle(chat) })),
  );
  if (chat.kind === 'direct') {
    const p = store.peer(chat);
    if (p) {
      panel.append(
        h('div', { class: 'info-row' }, h('span', { class: 'muted small', text: t('info.username') }), h('span', { text: `@${p.username || ''}` })),
        p.bio ? h('div', { class: 'info-row' }, h('span', { class: 'muted small', text: t('info.bio') }), h('span', { text: p.bio })) : null,
        p.created_at
          ? h('div', { class: 'info-row' }, h('span', { class: 'muted small', text: t('info.registered') }), h('span', { text: new Intl.DateTimeFormat(i18n.lang, { dateStyle: 'long' }).format(new Date(p.created_at)) }))
          : null,
      );
    }
    return;
  }
  if (canManage) {
    const titleInput = h('input', { value: chat.title || '', maxlength: '100' });
    panel.append(
      h(
        'div',
        { class: 'info-row rename' },
        titleInput,
        h('button', {
          type: 'button',
          class: 'btn',
          text: t('info.rename'),
          onclick: async () => {
            try {
              const updated = await api.renameChat(chat.id, titleInput.value.trim());
              store.apply({ type: 'chat_updated', data: { chat: updated } });
            } catch (err) {
              toast(errorText(err));
            }
          },
        }),
      ),
    );
  }
  panel.append(h('div', { class: 'section-title small muted', text: t('chat.members', { count: chat.members.length }) }));
  const roleRank = { owner: 0, admin: 1, member: 2 };
  const members = [...chat.members].sort((a, b) => roleRank[a.role] - roleRank[b.role] || a.user_id - b.user_id);
  for (const m of members) {
    const u = store.users.get(m.user_id) || m.user || { id: m.user_id };
    const av = avatar(u.display_name || u.username, u.id, u.avatar_url, 'small');
    if (isOnline(m.user_id)) av.append(h('i', { class: 'online-dot' }));
    const me = m.user_id === store.me.id;
    const manageable = canManage && !me && m.role !== 'owner' && (myRole === 'owner' || m.role === 'member');
    panel.append(
      h(
        'div',
        { class: 'member', dataset: { userId: String(m.user_id) } },
        av,
        h(
          'div',
          { class: 'chat-item-body' },
          h('div', { class: 'ellipsis', text: `${u.display_name || u.username || ''}${me ? ` (${t('chats.you')})` : ''}` }),
          h('div', { class: 'muted small', text: isOnline(m.user_id) ? t('presence.online') : fmtLastSeen(u.last_seen_at) }),
        ),
        m.role !== 'member' ? h('span', { class: 'role small', text: t(`roles.${m.role}`) }) : null,
        manageable
          ? h('button', {
              type: 'button',
              class: 'icon-btn small',
              title: t(m.role === 'admin' ? 'info.make_member' : 'info.make_admin'),
              onclick: async () => {
                try {
                  await api.setRole(chat.id, m.user_id, m.role === 'admin' ? 'member' : 'admin');
                  store.upsertChat(await api.chat(chat.id));
                } catch (err) {
                  toast(errorText(err));
                }
              },
            }, icon(m.role === 'admin' ? 'down' : 'up', 16))
          : null,
        manageable
          ? h('button', {
              type: 'button',
              class: 'icon-btn small danger-text',
              title: t('info.remove_member'),
              onclick: async () => {
                try {
                  await api.removeMember(chat.id, m.user_id);
                  store.apply({ type: 'member_removed', data: { chat_id: chat.id, user_id: m.user_id } });
                } catch (err) {
                  toast(errorText(err));
                }
              },
            }, icon('close', 16))
          : null,
      ),
    );
  }
  if (canManage) {
    // The panel is redrawn on every presence or membership change; the picker is kept
    // so that what the user is typing into it survives.
    if (ui.memberPicker?.chatId !== chat.id) {
      ui.memberPicker = { chatId: chat.id, el: null, exclude: new Set() };
      ui.memberPicker.el = userPicker({
        exclude: ui.memberPicker.exclude,
        onPick: async (u) => {
          try {
            await api.addMember(chat.id, u.id);
            store.upsertChat(await api.chat(chat.id));
          } catch (err) {
            toast(errorText(err));
          }
        },
      });
    }
    ui.memberPicker.exclude.clear();
    for (const m of chat.members) ui.memberPicker.exclude.add(m.user_id);
    panel.append(h('div', { class: 'section-title small muted', text: t('info.add_member') }), ui.memberPicker.el);
  }
  panel.append(
    h('button', {
      type: 'button',
      class: 'btn danger wide leave-btn',
      text: t('info.leave'),
      onclick: async () => {
        if (!(await confirmModal(t('info.leave_confirm'), t('info.leave')))) return;
        try {
          await api.removeMember(chat.id, store.me.id);
          store.apply({ type: 'member_removed', data: { chat_id: chat.id, user_id: store.me.id } });
          closeInfo();
          renderAll();
        } catch (err) {
          toast(errorText(err));
        }
      },
    }),
  );
}

// --- start -------------------------------------------------------------------------------------

function bindStaticEvents() {
  for (const el of document.querySelectorAll('[data-icon]')) el.replaceChildren(icon(el.dataset.icon));
  for (const tab of document.querySelectorAll('.auth-tab')) {
    tab.addEventListener('click', () => {
      ui.authMode = tab.dataset.mode;
      renderAuthMode();
      showAuthError('');
    });
  }
  $('#auth-form').addEventListener('submit', submitAuth);
  $('#auth-settings').addEventListener('click', settingsModal);
  $('#btn-settings').addEventListener('click', settingsModal);
  $('#btn-logout').addEventListener('click', logout);
  $('#btn-new-group').addEventListener('click', newGroupModal);
  $('#search').addEventListener('input', onSearchInput);
  $('#btn-back').addEventListener('click', () => {
    store.openChatId = null;
    closeInfo();
    renderAll();
  });
  $('#btn-info').addEventListener('click', () => (ui.infoOpen ? closeInfo() : openInfo()));
  $('#chat-head-text').addEventListener('click', () => (ui.infoOpen ? closeInfo() : openInfo()));
  $('#composer-input').addEventListener('keydown', onComposerKey);
  $('#composer-input').addEventListener('input', onComposerInput);
  $('#btn-send').addEventListener('click', submitComposer);
  $('#composer-context-cancel').addEventListener('click', cancelContext);
  $('#btn-attach').addEventListener('click', () => $('#file-input').click());
  $('#file-input').addEventListener('change', (e) => {
    startUploads([...e.target.files]);
    e.target.value = '';
  });
  const box = $('#messages');
  box.addEventListener('scroll', () => {
    if (box.scrollTop < 120) loadOlder();
    maybeMarkRead();
  });
  box.addEventListener('dragover', (e) => e.preventDefault());
  box.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer?.files?.length) startUploads([...e.dataTransfer.files]);
  });
  document.addEventListener('visibilitychange', maybeMarkRead);
  window.addEventListener('focus', maybeMarkRead);
  window.addEventListener('online', () => realtime?.reconnectNow());
  globalThis.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', applyTheme);
}

async function main() {
  serverUrl = (desktop ? await desktop.getServerUrl() : globalThis.location.origin).replace(/\/+$/, '');
  i18n = new I18n({
    load: async (lang) => {
      const r = await fetch(`locales/${lang}.json`);
      if (!r.ok) throw new Error(`locale ${lang}: ${r.status}`);
      return r.json();
    },
  });
  applyTheme();
  await setLanguage(localStorage.getItem(LANG_KEY) || DEFAULT_LANGUAGE);
  api = new ApiClient({ baseUrl: `${serverUrl}/api/v1`, tokens: new TokenStore(localStorage), onLoggedOut });
  bindStaticEvents();
  // Exposed for the end-to-end tests and for debugging from the devtools console.
  globalThis.messengerApp = {
    get store() {
      return store;
    },
    get realtime() {
      return realtime;
    },
    get engine() {
      return engine;
    },
    setLanguage,
  };
  if (api.tokens.get()?.user) await startSession();
  else showAuth();
}

main();
