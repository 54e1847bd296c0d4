// The client's picture of the world: chats, messages, users, typing and presence. It only
// applies what the server says (snapshots and feed events); applying the same thing twice
// changes nothing, which is what makes "never show a message twice" hold.

import { applyPinFrame } from './pins.js';
import { applyReactionsFrame, keepReactions } from './reactions.js';
import { mentionsMe, unreadMentionsAfter } from './mentions.js';
import { applyChatPrefsFrame, countsInTotal, orderChats, pinnedOrderOf, unarchiveOnMessage } from './chat-prefs.js';

// The most messages of one chat kept loaded (issue 17, the message list): the open chat's
// list draws every loaded message, so this bounds its DOM and the memory of a long scroll.
// 200 rows are 10–20 screens (a page is 40): paging stays rare and far off screen, while
// a change to the list lays out a few thousand nodes, not tens of thousands.
export const HISTORY_LIMIT = 200;
// New messages may overfill a chat by this much before its oldest are dropped, so that
// the list is not trimmed on every arrival.
export const HISTORY_SLACK = 40;

export class Store {
  constructor({ now = () => Date.now() } = {}) {
    this.now = now;
    this.me = null;
    this.chats = new Map(); // id -> chat summary (members, last_message, unread_count)
    this.messages = new Map(); // chat id -> Map(message id -> message)
    this.hasMore = new Map(); // chat id -> older history exists
    // Chat id -> true while the loaded history is a window that stops short of the newest
    // message (opened at a search result or a reply's original): messages arriving
    // meanwhile are not added to it, or it would have a gap; paging down reaches them.
    this.hasNewer = new Map();
    // Chat id -> the loaded history sorted (cached until it changes) and a counter of its
    // changes, so that the open chat's list can tell at once that nothing changed.
    this._sorted = new Map();
    this.historyVersion = new Map();
    // Counts changes of what rows show about people (names, avatars, contacts, blocks).
    this.peopleVersion = 0;
    this.users = new Map(); // id -> public profile
    this.online = new Map(); // user id -> boolean
    this.typing = new Map(); // chat id -> Map(user id -> expires at ms)
    this.openChatId = null;
    // The user's settings ({theme_id, language}) and own themes, synced by the server;
    // null until loaded. `settingsVersion` counts their changes (a load that started
    // before one must not overwrite it).
    this.settings = null;
    this.themes = [];
    this.settingsVersion = 0;
    this.listeners = new Set();
    // What I keep about other people (issue 14): my contacts' local names, whom I blocked,
    // my privacy settings, and what I cleared or hid for myself.
    this.contacts = new Map(); // user id -> {user_id, local_name}
    this.blocked = new Set(); // user ids I blocked
    this.privacy = null; // GET /users/me/privacy, once read
    this.clearedUpTo = new Map(); // chat id -> highest message id cleared for me
    this.hiddenIds = new Set(); // message ids hidden for me
    this.pins = new Map(); // chat id -> {items, loaded}: pinned messages (lib/pins.js)
    // My pinned chats in my order (issue 15, lib/chat-prefs.js).
    this.pinnedChatIds = [];
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(what) {
    if (what.kind === 'me' || what.kind === 'users' || what.kind === 'contacts' || what.kind === 'blocks') this.peopleVersion += 1;
    for (const fn of this.listeners) fn(what);
  }

  setMe(user) {
    this.me = user;
    if (user) this.users.set(user.id, { ...this.users.get(user.id), ...user });
    this.changed({ kind: 'me' });
  }

  /** The settings and every theme, as GET /users/me/settings and /themes or `settings_updated` have them. */
  setSettings(settings, themes) {
    this.settings = { ...settings };
    this.themes = [...(themes || [])];
    this.settingsVersion += 1;
    this.changed({ kind: 'settings' });
  }

  // --- snapshots ---------------------------------------------------------------------

  /** Replaces the chat list with GET /chats. */
  setChats(items) {
    const keepOpen = this.openChatId;
    this.chats.clear();
    for (const c of items) this._putChat(c);
    this.pinnedChatIds = pinnedOrderOf(items);
    if (keepOpen !== null && !this.chats.has(keepOpen)) this.openChatId = null;
    this.changed({ kind: 'chats' });
  }

  upsertChat(chat) {
    const existing = this.chats.get(chat.id);
    this._putChat({
      last_message: null,
      unread_count: 0,
      unread_mentions: 0,
      ...existing,
      ...chat,
      members: chat.members?.length ? chat.members : existing?.members || [],
    });
    this.changed({ kind: 'chats', chatId: chat.id });
  }

  _putChat(chat) {
    for (const m of chat.members || []) if (m.user) this._putUser(m.user);
    if (chat.last_message) this._rememberMessage(chat.last_message, false);
    this.chats.set(chat.id, chat);
  }

  _putUser(profile) {
    if (!profile || profile.id === undefined) return;
    // Viewer-relative fields of REST reads (is_contact, local_name, blocked) describe me,
    // not them: they go to contacts and blocks, never into the shared profile.
    const { is_contact, local_name, blocked, ...shared } = profile;
    if (is_contact === true) this.contacts.set(profile.id, { user_id: profile.id, local_name: local_name ?? null });
    else if (is_contact === false) this.contacts.delete(profile.id);
    if (blocked === true) this.blocked.add(profile.id);
    else if (blocked === false) this.blocked.delete(profile.id);
    this.users.set(profile.id, { ...this.users.get(profile.id), ...shared });
    this.peopleVersion += 1;
    if (this.me && profile.id === this.me.id) this.me = { ...this.me, ...shared };
  }

  /** Remembers profiles read over REST (a user page, search, contacts, blocked). */
  rememberUsers(profiles) {
    for (const p of profiles || []) this._putUser(p);
    this.changed({ kind: 'users' });
  }

  /** Adds a page of history (GET /chats/{id}/messages). */
  addHistory(chatId, items, hasMore, { older = false } = {}) {
    const first = !older && !this.hasMore.has(chatId);
    for (const m of items) this._rememberMessage(m, true);
    // A message that arrived while the first page was on its way was kept only as the
    // chat's last message (no history to put it in yet); the page, read before it was
    // committed, lacks it.
    const last = first ? this.chats.get(chatId)?.last_message : null;
    if (last && last.chat_id === chatId && last.id > (items.at(-1)?.id ?? 0)) this._rememberMessage(last, true);
    if (older || !this.hasMore.has(chatId)) this.hasMore.set(chatId, hasMore);
    this.changed({ kind: 'messages', chatId });
  }

  resetHistory(chatId) {
    this.messages.delete(chatId);
    this._touchHistory(chatId);
    this.hasMore.delete(chatId);
    this.hasNewer.delete(chatId);
  }

  /** Replaces a chat's loaded history with the page around a message (`?around=`). */
  setHistoryWindow(chatId, items, { hasOlder, hasNewer }) {
    this.messages.set(chatId, new Map());
    this._touchHistory(chatId);
    for (const m of items) this._rememberMessage(m, true);
    this.hasMore.set(chatId, !!hasOlder);
    if (hasNewer) this.hasNewer.set(chatId, true);
    else this.hasNewer.delete(chatId);
    this.changed({ kind: 'messages', chatId });
  }

  /** Adds the next newer page to a window (`?after=`); the window ends once none are left. */
  addNewer(chatId, items, hasNewer) {
    for (const m of items) this._rememberMessage(m, true);
    if (!hasNewer) this.hasNewer.delete(chatId);
    this.changed({ kind: 'messages', chatId });
  }

  /** Whether the loaded history of a chat stops short of its newest message. */
  isDetached(chatId) {
    return this.hasNewer.get(chatId) === true;
  }

  newestId(chatId) {
    const h = this.history(chatId);
    return h.length ? h.at(-1).id : null;
  }

  historyLoaded(chatId) {
    return this.hasMore.has(chatId);
  }

  /**
   * Keeps at most `max` messages of a chat loaded, dropping them from one end: `'newer'`
   * (scrolled far up: the history becomes a window short of the newest, paged down again
   * later) or `'older'` (paging down or new messages: older ones are paged up again).
   * Returns how many were dropped.
   */
  trimHistory(chatId, max, { drop }) {
    const history = this.history(chatId);
    const excess = history.length - max;
    if (excess <= 0) return 0;
    const byId = this.messages.get(chatId);
    const gone = drop === 'newer' ? history.slice(history.length - excess) : history.slice(0, excess);
    for (const m of gone) byId.delete(m.id);
    this._touchHistory(chatId);
    if (drop === 'newer') this.hasNewer.set(chatId, true);
    else this.hasMore.set(chatId, true);
    this.changed({ kind: 'messages', chatId, trimmed: drop });
    return excess;
  }

  /** The loaded history of a chat changed: its sorted copy is stale. */
  _touchHistory(chatId) {
    this._sorted.delete(chatId);
    this.historyVersion.set(chatId, (this.historyVersion.get(chatId) || 0) + 1);
  }

  _rememberMessage(message, intoHistory) {
    if (this.isHiddenForMe(message)) return;
    let byId = this.messages.get(message.chat_id);
    if (!byId) {
      if (!intoHistory) return;
      byId = new Map();
      this.messages.set(message.chat_id, byId);
    }
    if (byId.get(message.id) === message) return;
    byId.set(message.id, message);
    this._touchHistory(message.chat_id);
  }

  /** Messages of a chat in ascending id order (shared until the history changes: do not mutate). */
  history(chatId) {
    const cached = this._sorted.get(chatId);
    if (cached) return cached;
    const byId = this.messages.get(chatId);
    if (!byId) return [];
    const sorted = [...byId.values()].sort((a, b) => a.id - b.id);
    this._sorted.set(chatId, sorted);
    return sorted;
  }

  message(chatId, id) {
    return this.messages.get(chatId)?.get(id) || null;
  }

  oldestId(chatId) {
    const h = this.history(chatId);
    return h.length ? h[0].id : null;
  }

  // --- feed events ---------------------------------------------------------------------

  /** Applies one event frame `{type, data}`; returns what the UI may want to react to. */
  apply(frame) {
    const d = frame.data || {};
    if (applyPinFrame(this, frame.type, d)) return { chatId: d.chat_id };
    switch (frame.type) {
      case 'new_message':
      case 'message_sent':
        return this.putMessage(d.message);
      case 'message_updated':
      case 'message_deleted':
        return this._updateMessage(d.message);
      case 'messages_read':
        return this._watermark(d, 'read_message_id');
      case 'messages_delivered':
        return this._watermark(d, 'delivered_message_id');
      case 'chat_created':
        this.upsertChat(d.chat);
        return { chatId: d.chat.id };
      case 'chat_updated': {
        const existing = this.chats.get(d.chat.id);
        if (existing) this.upsertChat({ ...d.chat, members: existing.members });
        return { chatId: d.chat.id };
      }
      case 'member_added': {
        const chat = this.chats.get(d.chat_id);
        if (chat) {
          this.upsertChat({ ...chat, members: d.members || [...chat.members, d.member] });
        } else if (d.chat) {
          this.upsertChat(d.chat);
        }
        return { chatId: d.chat_id };
      }
      case 'member_updated': {
        const chat = this.chats.get(d.chat_id);
        if (chat) {
          const members = chat.members.map((m) =>
            m.user_id === d.member.user_id ? { ...m, role: d.member.role } : m,
          );
          this.upsertChat({ ...chat, members });
        }
        return { chatId: d.chat_id };
      }
      case 'member_removed': {
        if (this.me && d.user_id === this.me.id) {
          this.chats.delete(d.chat_id);
          this.resetHistory(d.chat_id);
          if (this.openChatId === d.chat_id) this.openChatId = null;
          this.changed({ kind: 'chats', chatId: d.chat_id, removed: true });
          return { chatId: d.chat_id, removed: true };
        }
        const chat = this.chats.get(d.chat_id);
        if (chat) this.upsertChat({ ...chat, members: chat.members.filter((m) => m.user_id !== d.user_id) });
        return { chatId: d.chat_id };
      }
      case 'settings_updated':
        this.setSettings(d.settings, d.themes);
        return {};
      case 'typing':
        return this._typing(d);
      case 'presence':
        this.online.set(d.user_id, !!d.online);
        if (d.last_seen_at !== undefined) {
          const u = this.users.get(d.user_id);
          if (u) this.users.set(d.user_id, { ...u, last_seen_at: d.last_seen_at });
        }
        this.changed({ kind: 'presence', userId: d.user_id });
        return {};
      default:
        return this._applyPeopleFrame(frame.type, d);
    }
  }

  // --- people and my own hygiene (issue 14) ---------------------------------------------

  /** The frames about profiles, contacts, blocks, privacy, clears and hides; `{}` if none. */
  _applyPeopleFrame(type, d) {
    switch (type) {
      case 'profile_updated':
        if (!d.user) return {};
        this._putUser(d.user);
        this.changed({ kind: 'users', userId: d.user.id });
        if (this.me && d.user.id === this.me.id) this.changed({ kind: 'me' });
        return { userId: d.user.id };
      case 'contacts_updated':
        this.setContact(d.user_id, d.contact ?? null);
        return { userId: d.user_id };
      case 'blocks_updated':
        this.setBlocked(d.user_id, !!d.blocked);
        return { userId: d.user_id };
      case 'privacy_updated': {
        // Others' read marks show or hide with my read receipts, and no event of theirs
        // says so: the caller reads the chats' marks again when the switch moved.
        const before = this.privacy?.read_receipts;
        this.setPrivacy(d.privacy ?? null);
        return { receiptsChanged: before === undefined || before !== d.privacy?.read_receipts };
      }
      case 'chat_cleared':
        this.clearChat(d.chat_id, d.up_to_message_id);
        return { chatId: d.chat_id };
      case 'message_hidden':
        this.hideMessage(d.chat_id, d.message_id);
        return { chatId: d.chat_id };
      case 'message_reactions':
        return this.setReactions(d.chat_id, d.message_id, (m) => applyReactionsFrame(m, d, this.me?.id));
      default:
        return applyChatPrefsFrame(this, type, d) || {};
    }
  }

  /** Replaces my contacts with GET /contacts (profiles carrying `local_name`, or Contacts). */
  setContacts(items) {
    this.contacts.clear();
    for (const item of items || []) {
      const profile = item.user ? { ...item.user, local_name: item.local_name ?? null } : item;
      const id = profile.id ?? item.user_id;
      if (profile.id !== undefined) this._putUser({ ...profile, is_contact: true });
      else this.contacts.set(id, { user_id: id, local_name: item.local_name ?? null });
    }
    this.changed({ kind: 'contacts' });
  }

  /** One contact added, renamed (`{user_id, local_name}`) or removed (null). */
  setContact(userId, contact) {
    if (contact) this.contacts.set(userId, { user_id: userId, local_name: contact.local_name ?? null });
    else this.contacts.delete(userId);
    this.changed({ kind: 'contacts', userId });
  }

  isContact(userId) {
    return this.contacts.has(userId);
  }

  localName(userId) {
    return this.contacts.get(userId)?.local_name || null;
  }

  setBlocked(userId, blocked) {
    if (blocked) this.blocked.add(userId);
    else this.blocked.delete(userId);
    this.changed({ kind: 'blocks', userId });
  }

  isBlocked(userId) {
    return this.blocked.has(userId);
  }

  setPrivacy(privacy) {
    this.privacy = privacy ? { ...privacy } : null;
    this.changed({ kind: 'privacy' });
  }

  /**
   * The one name of a user that every view shows: my local name for a contact, else their
   * display name or username. A deleted account is `labels.deleted` whatever I called it;
   * someone unknown is `labels.unknown`.
   */
  nameOf(userId, { deleted = 'Deleted account', unknown = '' } = {}) {
    const u = this.me && userId === this.me.id ? { ...this.users.get(userId), ...this.me } : this.users.get(userId);
    if (u?.deleted) return deleted;
    const local = this.me && userId === this.me.id ? null : this.localName(userId);
    return local || u?.display_name || u?.username || unknown;
  }

  /** Whether a message is below my clear mark of its chat or hidden by me. */
  isHiddenForMe(message) {
    if (!message) return false;
    if (this.hiddenIds.has(message.id)) return true;
    return message.id <= (this.clearedUpTo.get(message.chat_id) ?? 0);
  }

  /** I cleared a chat's history up to a message: it is gone from everything I see. */
  clearChat(chatId, upTo) {
    const mark = Math.max(this.clearedUpTo.get(chatId) ?? 0, Number(upTo) || 0);
    this.clearedUpTo.set(chatId, mark);
    const byId = this.messages.get(chatId);
    if (byId) for (const id of [...byId.keys()]) if (id <= mark) byId.delete(id);
    this._touchHistory(chatId);
    const chat = this.chats.get(chatId);
    if (chat) {
      const next = { ...chat };
      const lastId = chat.last_message?.id ?? chat.last_message_id ?? 0;
      if (lastId <= mark) {
        next.last_message = null;
        next.unread_count = 0;
        next.unread_mentions = 0;
      }
      this.chats.set(chatId, next);
    }
    this.changed({ kind: 'messages', chatId, cleared: true });
    this.changed({ kind: 'chats', chatId, cleared: true });
  }

  /** I hid one message for myself ("delete for me"). */
  hideMessage(chatId, messageId) {
    this.hiddenIds.add(messageId);
    const byId = this.messages.get(chatId);
    const known = byId?.get(messageId);
    if (byId?.delete(messageId)) this._touchHistory(chatId);
    const chat = this.chats.get(chatId);
    if (chat) {
      const next = { ...chat };
      const mine = chat.members?.find((m) => m.user_id === this.me?.id);
      if (known && known.sender_id !== this.me?.id && !known.deleted && messageId > (mine?.read_message_id || 0) && chat.unread_count > 0) {
        next.unread_count = chat.unread_count - 1;
      }
      if (known) next.unread_mentions = unreadMentionsAfter(this, chat, known, null);
      if (chat.last_message?.id === messageId) {
        // The newest one left in the loaded history, if any; the chat list shows nothing else.
        next.last_message = this.history(chatId).at(-1) || null;
      }
      this.chats.set(chatId, next);
    }
    this.changed({ kind: 'messages', chatId, messageId, hidden: true });
    this.changed({ kind: 'chats', chatId });
  }

  /**
   * Adds or replaces a message. `isNew` is true only the first time this message id is
   * seen, so unread counters move once however often the message arrives.
   */
  putMessage(incoming) {
    if (!incoming) return { isNew: false };
    const message = keepReactions(this.messages.get(incoming.chat_id)?.get(incoming.id), incoming);
    const chat = this.chats.get(message.chat_id);
    if (this.isHiddenForMe(message)) return { isNew: false, chatId: message.chat_id, message, chatKnown: true };
    const known =
      !!this.messages.get(message.chat_id)?.has(message.id) ||
      (chat?.last_message_id ?? chat?.last_message?.id ?? 0) >= message.id;
    if (!this.isDetached(message.chat_id) || this.messages.get(message.chat_id)?.has(message.id)) {
      this._rememberMessage(message, this.hasMore.has(message.chat_id));
    }
    // A chat in the background keeps its newest messages only; the open one is trimmed by
    // its list, which knows where the reader is (views/messages.js).
    if (message.chat_id !== this.openChatId && (this.messages.get(message.chat_id)?.size || 0) > HISTORY_LIMIT + HISTORY_SLACK) {
      this.trimHistory(message.chat_id, HISTORY_LIMIT, { drop: 'older' });
    }
    if (chat) {
      const last = chat.last_message;
      const next = known ? { ...chat } : unarchiveOnMessage({ ...chat }, message);
      if (!last || message.id >= last.id) {
        next.last_message = message;
        next.last_message_id = message.id;
        next.last_activity_at = message.created_at;
      }
      const fromOther = this.me && message.sender_id !== this.me.id;
      if (!known && fromOther && !message.deleted) next.unread_count = (chat.unread_count || 0) + 1;
      if (!known) next.unread_mentions = unreadMentionsAfter(this, chat, null, message);
      this.chats.set(chat.id, next);
    }
    if (this.typing.get(message.chat_id)?.delete(message.sender_id)) {
      this.changed({ kind: 'typing', chatId: message.chat_id });
    }
    this.changed({ kind: 'messages', chatId: message.chat_id, messageId: message.id });
    this.changed({ kind: 'chats', chatId: message.chat_id });
    return { isNew: !known, chatId: message.chat_id, message, chatKnown: !!chat };
  }

  _updateMessage(incoming) {
    if (!incoming) return {};
    const byId = this.messages.get(incoming.chat_id);
    // Frames leave reactions out: the message keeps the ones it had.
    const message = keepReactions(byId?.get(incoming.id), incoming);
    // What the message was (its mentions): from the loaded history, or the chat list's last
    // message; a message of neither is not known here, and GET /chats sets the count again.
    const before = byId?.get(message.id) || (this.chats.get(message.chat_id)?.last_message?.id === message.id ? this.chats.get(message.chat_id).last_message : null);
    if (byId?.has(message.id)) {
      byId.set(message.id, message);
      this._touchHistory(message.chat_id);
    }
    let chat = this.chats.get(message.chat_id);
    // An edit may add or remove a mention of me; a deletion removes it.
    if (chat && before) chat = { ...chat, unread_mentions: unreadMentionsAfter(this, chat, before, message) };
    if (chat?.last_message?.id === message.id) chat = { ...chat, last_message: message };
    if (chat) this.chats.set(chat.id, chat);
    this.changed({ kind: 'messages', chatId: message.chat_id, messageId: message.id });
    this.changed({ kind: 'chats', chatId: message.chat_id });
    return { chatId: message.chat_id };
  }

  /** Replaces a loaded message's reactions with what `change(message)` makes of it. */
  setReactions(chatId, messageId, change) {
    const byId = this.messages.get(chatId);
    const message = byId?.get(messageId);
    if (!message) return {};
    byId.set(messageId, change(message));
    this._touchHistory(chatId);
    this.changed({ kind: 'messages', chatId, messageId });
    return { chatId };
  }

  _watermark(d, field) {
    const chat = this.chats.get(d.chat_id);
    if (!chat) return {};
    const members = chat.members.map((m) =>
      m.user_id === d.user_id ? { ...m, [field]: Math.max(m[field] || 0, d.message_id) } : m,
    );
    const next = { ...chat, members };
    if (field === 'read_message_id' && this.me && d.user_id === this.me.id) {
      const lastId = chat.last_message?.id ?? chat.last_message_id ?? 0;
      if (d.message_id >= lastId) {
        next.unread_count = 0;
        next.unread_mentions = 0;
      } else if (chat.unread_mentions) {
        next.unread_mentions = this._mentionsAbove(chat.id, d.message_id, chat.unread_mentions);
      }
    }
    this.chats.set(chat.id, next);
    this.changed({ kind: 'chats', chatId: chat.id });
    this.changed({ kind: 'messages', chatId: chat.id });
    return { chatId: chat.id };
  }

  /** Unread mentions above a new read mark, from the loaded history (never more than before). */
  _mentionsAbove(chatId, readMark, before) {
    const loaded = [...(this.messages.get(chatId)?.values() || [])];
    const oldest = loaded.reduce((min, m) => Math.min(min, m.id), Infinity);
    // Only if the loaded history reaches down to the mark does it know them all.
    if (!(oldest <= readMark)) return before;
    return Math.min(before, loaded.filter((m) => m.id > readMark && mentionsMe(this, m)).length);
  }

  markReadLocally(chatId, messageId) {
    this._watermark({ chat_id: chatId, user_id: this.me?.id, message_id: messageId }, 'read_message_id');
  }

  _typing(d) {
    if (this.me && d.user_id === this.me.id) return {};
    let byUser = this.typing.get(d.chat_id);
    if (!byUser) {
      byUser = new Map();
      this.typing.set(d.chat_id, byUser);
    }
    byUser.set(d.user_id, this.now() + 5000);
    // Typing says nothing about "online": whoever hides their online status from me
    // (privacy, issue 14) still types, and only the server's presence frames may tell.
    this.changed({ kind: 'typing', chatId: d.chat_id });
    return { chatId: d.chat_id };
  }

  /** User ids typing in a chat right now (expired entries are dropped). */
  typingIn(chatId) {
    const byUser = this.typing.get(chatId);
    if (!byUser) return [];
    const now = this.now();
    for (const [uid, until] of byUser) if (until <= now) byUser.delete(uid);
    return [...byUser.keys()];
  }

  // --- derived -------------------------------------------------------------------------

  /** My pinned chats first in my order, then the others by last activity, newest first;
   * archived ones only with `archived` (and then only they). */
  chatList({ archived = false } = {}) {
    return orderChats([...this.chats.values()], this.pinnedChatIds, { archived });
  }

  /** The other user of a direct chat. */
  peer(chat) {
    if (!chat || chat.kind !== 'direct') return null;
    const other = chat.members.find((m) => m.user_id !== this.me?.id) || chat.members[0];
    return other ? this.users.get(other.user_id) || other.user || { id: other.user_id } : null;
  }

  /**
   * Delivery state of my own message: 'read' when another member has read it,
   * 'delivered' when it reached another member's device, else 'sent'.
   */
  receipt(chat, message) {
    let state = 'sent';
    for (const m of chat?.members || []) {
      if (m.user_id === this.me?.id) continue;
      if ((m.read_message_id || 0) >= message.id) return 'read';
      if ((m.delivered_message_id || 0) >= message.id) state = 'delivered';
    }
    return state;
  }

  myRole(chat) {
    return chat?.members.find((m) => m.user_id === this.me?.id)?.role || null;
  }

  totalUnread() {
    let n = 0;
    for (const c of this.chats.values()) if (countsInTotal(c, this.now())) n += c.unread_count || 0;
    return n;
  }
}
