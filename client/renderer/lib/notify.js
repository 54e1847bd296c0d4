// Whether and how to tell the user about a new message with a desktop notification, and
// how many to show at once. Pure: the view (views/notifications.js) gives it the store,
// the device's settings and what is on screen, and shows what it returns.

import { isMuted } from './chat-prefs.js';
import { mentionsMe } from './mentions.js';

export const HOUR_MS = 60 * 60 * 1000;
const PREVIEW_MAX = 140;

/**
 * Why a message gets no notification, or null when it gets one. `view`:
 * {focused, openChatId, now, mutedUntil}. Mentions of me notify even in a muted chat;
 * "mute all" silences everything, mentions too (it is a do-not-disturb).
 */
export function silencedBecause(store, message, { focused, openChatId, now, mutedUntil = 0 }) {
  if (!message || !store.me) return 'none';
  if (message.sender_id === store.me.id) return 'mine';
  if (message.deleted) return 'deleted';
  if (store.isHiddenForMe(message)) return 'hidden';
  if (store.isBlocked(message.sender_id)) return 'blocked';
  if (mutedUntil > now) return 'all_muted';
  if (focused && openChatId === message.chat_id) return 'on_screen';
  const chat = store.chats.get(message.chat_id);
  if (chat && isMuted(chat, now) && !mentionsMe(store, message)) return 'chat_muted';
  return null;
}

function shorten(text) {
  const flat = String(text || '').replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_MAX ? `${flat.slice(0, PREVIEW_MAX - 1)}…` : flat;
}

/**
 * What the notification says: {chatId, tag, title, body}. A direct chat's title is the
 * sender; a group's is the group, with the sender before the text. `names`:
 * {sender, chat (null for a direct chat), preview (the message as plain text)};
 * `labels`: {newMessage}. Without `showText` the text is "New message".
 */
export function notificationContent(message, { sender, chat, preview }, { showText, labels }) {
  const text = showText ? shorten(preview) || labels.newMessage : labels.newMessage;
  return {
    chatId: message.chat_id,
    messageId: message.id,
    // One notification per chat: a newer message replaces the one before.
    tag: `chat-${message.chat_id}`,
    title: chat ? chat : sender,
    body: chat ? `${sender}: ${text}` : text,
  };
}

/**
 * Limits how many notifications pop up: a live message is shown at once unless `burst`
 * were shown in the last `windowMs`; what a catch-up brings (`backlog`), and live messages
 * beyond the burst, are held and later shown as one — the message itself when there is
 * only one, else a summary. Nobody wants two hundred popups after a night offline.
 */
export class NotificationGate {
  constructor({ now = () => Date.now(), burst = 4, windowMs = 10000 } = {}) {
    this.now = now;
    this.burst = burst;
    this.windowMs = windowMs;
    this.shownAt = [];
    this.held = [];
  }

  /** 'show' or 'hold' for a notification `note` ({chatId, ...}). */
  offer(note, { backlog = false } = {}) {
    const now = this.now();
    this.shownAt = this.shownAt.filter((t) => now - t < this.windowMs);
    if (!backlog && this.held.length === 0 && this.shownAt.length < this.burst) {
      this.shownAt.push(now);
      return 'show';
    }
    this.held.push(note);
    return 'hold';
  }

  get holding() {
    return this.held.length > 0;
  }

  /**
   * Ends the hold: null when nothing is left (`stillWanted(note)` drops what was read or
   * opened meanwhile), {note} for a single one, else {summary: {count, chatIds}} (chat ids
   * newest first).
   */
  release(stillWanted = () => true) {
    const held = this.held.filter(stillWanted);
    this.held = [];
    if (held.length === 0) return null;
    this.shownAt.push(this.now());
    if (held.length === 1) return { note: held[0] };
    const chatIds = [];
    for (const note of [...held].reverse()) if (!chatIds.includes(note.chatId)) chatIds.push(note.chatId);
    return { summary: { count: held.length, chatIds } };
  }

  clear() {
    this.held = [];
    this.shownAt = [];
  }
}

/** The window title: "(3) Messenger" with unread messages, else the name. */
export function titleWithUnread(name, unread, format) {
  return unread > 0 ? format({ count: unread, name }) : name;
}
