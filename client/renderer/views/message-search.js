// Message search (GET /search/messages): in all chats from the sidebar's search field (a
// "Messages" section under the people found), and within the open chat from the search
// button in its header. A result shows its chat, sender and time, and its text with the
// words that matched marked: text nodes and <mark> elements built here, never HTML from the
// server. Clicking one opens the chat at that message (app.openChatAt), highlighted.

import { $, h } from './dom.js';
import { icon } from '../lib/icons.js';
import { chatTitle, userName } from './common.js';

const PAGE = 20;
const MIN_QUERY = 2; // shorter queries match too much to be worth a request
const DEBOUNCE_MS = 300;
const SNIPPET = 160; // characters of a long text shown around its first match
const LEAD = 40; // of which before the match

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The text cut into runs, `{text, mark}`, where `mark` runs are whole-word occurrences of
 * one of `words` (as the server returned them: exactly as written in the text).
 */
export function markedRuns(text, words) {
  const wanted = [...new Set((words || []).filter((w) => typeof w === 'string' && w))];
  if (!text || !wanted.length) return text ? [{ text, mark: false }] : [];
  // Longest first, so that "сообщениями" is not cut short by "сообщения".
  wanted.sort((a, b) => b.length - a.length);
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${wanted.map(escapeRe).join('|')})(?![\\p{L}\\p{N}])`, 'gu');
  const runs = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > at) runs.push({ text: text.slice(at, m.index), mark: false });
    runs.push({ text: m[0], mark: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) runs.push({ text: text.slice(at), mark: false });
  return runs;
}

/** A long text cut to a window around its first marked run (with "…" where cut). */
export function snippetRuns(runs, size = SNIPPET, lead = LEAD) {
  const total = runs.reduce((n, r) => n + r.text.length, 0);
  if (total <= size) return runs;
  let first = 0;
  for (const r of runs) {
    if (r.mark) break;
    first += r.text.length;
  }
  const start = first >= total ? 0 : Math.max(0, Math.min(first - lead, total - size));
  const end = start + size;
  const out = [];
  let pos = 0;
  for (const r of runs) {
    const from = Math.max(start, pos);
    const to = Math.min(end, pos + r.text.length);
    if (to > from) out.push({ text: r.text.slice(from - pos, to - pos), mark: r.mark });
    pos += r.text.length;
  }
  if (start > 0) out.unshift({ text: '…', mark: false });
  if (end < total) out.push({ text: '…', mark: false });
  return out;
}

/** The runs as DOM nodes: text nodes and <mark> elements (never HTML). */
export function markedNodes(runs) {
  return runs.map((r) => (r.mark ? h('mark', { text: r.text }) : document.createTextNode(r.text)));
}

function emptyState() {
  return { q: '', items: [], hasMore: false, cursor: null, loading: false, error: null, done: false, seq: 0 };
}

export function createMessageSearch(app) {
  const t = app.t;
  // In the session's ui state: a new session (ui is made anew) starts with none.
  const states = () => {
    app.ui.messageSearch ??= { global: emptyState(), chat: { ...emptyState(), open: false, chatId: null } };
    return app.ui.messageSearch;
  };
  const timers = { global: null, chat: null };

  const globalBox = $('#message-search-results');
  const chatBar = $('#chat-search');
  const chatInput = $('#chat-search-input');
  const chatBox = $('#chat-search-results');

  function scopeOf(name) {
    return states()[name];
  }

  async function load(name, { more = false } = {}) {
    const state = scopeOf(name);
    const q = state.q.trim();
    if (q.length < MIN_QUERY) return;
    const seq = ++state.seq;
    state.loading = true;
    state.error = null;
    render();
    try {
      const query = { q, limit: PAGE, cursor: more ? state.cursor ?? undefined : undefined };
      if (name === 'chat') query.chat_id = state.chatId;
      const answer = await app.api.searchMessages(query);
      if (seq !== state.seq) return; // a newer query was typed meanwhile
      const items = (answer?.items || []).filter((hit) => hit?.message && Number.isInteger(hit.chat_id));
      const seen = new Set(more ? state.items.map((hit) => hit.message.id) : []);
      state.items = [...(more ? state.items : []), ...items.filter((hit) => !seen.has(hit.message.id))];
      state.hasMore = !!answer?.has_more && typeof answer.next_cursor === 'string';
      state.cursor = answer?.next_cursor ?? null;
      state.done = true;
    } catch (err) {
      if (seq !== state.seq) return;
      state.error = app.format.error(err);
    } finally {
      if (seq === state.seq) state.loading = false;
      render();
    }
  }

  function typed(name, value) {
    const state = scopeOf(name);
    state.q = value;
    state.items = [];
    state.cursor = null;
    state.hasMore = false;
    state.done = false;
    state.error = null;
    state.seq += 1; // answers to earlier queries are dropped
    state.loading = false;
    clearTimeout(timers[name]);
    if (value.trim().length >= MIN_QUERY) timers[name] = setTimeout(() => load(name), DEBOUNCE_MS);
    render();
  }

  async function open(hit) {
    const shown = await app.openChatAt(hit.chat_id, hit.message.id);
    if (shown === false) app.toast(t('search.not_shown'));
  }

  function visible(state) {
    const { store } = app;
    if (!store) return [];
    // What I hid or cleared since the search drops out at once, like everywhere else.
    return state.items.filter((hit) => !store.isHiddenForMe({ id: hit.message.id, chat_id: hit.chat_id }));
  }

  function hitView(hit, { withChat }) {
    const m = hit.message;
    const chat = app.store.chats.get(hit.chat_id);
    const title = withChat && chat ? chatTitle(app, chat) : null;
    const runs = snippetRuns(markedRuns(m.text, hit.highlights));
    return h(
      'div',
      {
        class: 'chat-item message-hit',
        role: 'button',
        tabindex: '0',
        dataset: { chatId: String(hit.chat_id), messageId: String(m.id) },
        onclick: () => open(hit),
        onkeydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            open(hit);
          }
        },
      },
      h(
        'div',
        { class: 'chat-item-body' },
        h(
          'div',
          { class: 'chat-item-top' },
          h('span', { class: 'chat-item-title ellipsis', text: title ?? userName(app, m.sender_id) }),
          h('span', { class: 'chat-item-time small muted', text: app.format.listTime(m.created_at) }),
        ),
        // In a dialog the title names the other person already; a group names its sender.
        title && chat.kind !== 'direct' ? h('div', { class: 'small accent ellipsis', text: userName(app, m.sender_id) }) : null,
        h('div', { class: 'message-hit-text small' }, markedNodes(runs)),
      ),
    );
  }

  function fill(box, state, { withChat }) {
    const q = state.q.trim();
    const items = visible(state);
    // Redrawn only when what it shows changed (every new message anywhere asks), so a
    // focused result keeps its focus.
    // The query itself is not shown: typing on (the results are dropped until the debounced
    // request answers) leaves the box as it is.
    const drawn = [app.i18n.lang, q.length >= MIN_QUERY, state.loading, state.error, state.hasMore, state.done, items.map((hit) => hit.message.id).join(',')].join('|');
    if (box.dataset.drawn === drawn) return;
    box.dataset.drawn = drawn;
    box.textContent = '';
    if (q.length < MIN_QUERY) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.append(h('div', { class: 'section-title small muted', text: t('search.messages') }));
    for (const hit of items) box.append(hitView(hit, { withChat }));
    if (state.error) box.append(h('div', { class: 'empty-hint small', text: state.error }));
    else if (state.loading) box.append(h('div', { class: 'empty-hint small muted', text: t('chat.loading') }));
    else if (state.done && !items.length) box.append(h('div', { class: 'empty-hint small', text: t('search.nothing_found') }));
    if (state.hasMore && !state.loading) {
      const name = withChat ? 'global' : 'chat';
      box.append(h('button', { type: 'button', class: 'link-btn small message-search-more', text: t('search.more'), onclick: () => load(name, { more: true }) }));
    }
  }

  function render() {
    if (!app.store) return;
    fill(globalBox, states().global, { withChat: true });
    const chat = states().chat;
    if (chat.open && chat.chatId !== app.store.openChatId) closeChatSearch();
    chatBar.hidden = !chat.open;
    if (chat.open) fill(chatBox, chat, { withChat: false });
    else {
      chatBox.hidden = true;
      chatBox.dataset.drawn = '';
    }
  }

  function openChatSearch() {
    const chat = states().chat;
    if (chat.open) {
      closeChatSearch();
      render();
      return;
    }
    Object.assign(chat, emptyState(), { open: true, chatId: app.store.openChatId });
    chatInput.value = '';
    render();
    chatInput.focus();
  }

  function closeChatSearch() {
    const chat = states().chat;
    clearTimeout(timers.chat);
    Object.assign(chat, emptyState(), { open: false, chatId: null });
    chatInput.value = '';
  }

  $('#search').addEventListener('input', () => typed('global', $('#search').value));
  chatInput.addEventListener('input', () => typed('chat', chatInput.value));
  chatInput.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      closeChatSearch();
      render();
    }
  });
  $('#btn-chat-search').addEventListener('click', openChatSearch);
  $('#chat-search-close').addEventListener('click', () => {
    closeChatSearch();
    render();
  });

  return { render, openChatSearch };
}
