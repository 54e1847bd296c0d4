// The pinned bar under the chat header: one of the open chat's pins (the newest first),
// its text, and how many there are. Clicking it opens the chat at that message and moves
// on to the next older pin, round and round; whoever may pin sees an unpin button.

import { $, h } from './dom.js';
import { icon } from '../lib/icons.js';
import { ApiError } from '../lib/api.js';
import { mayPin, pinsLoaded, pinsOf, setPins } from '../lib/pins.js';

export function createPinnedBar(app) {
  const t = app.t;
  const bar = $('#pinned-bar');
  const shownAt = new Map(); // chat id -> index of the pin shown (per session)
  const loading = new Set();

  async function load(chatId, { force = false } = {}) {
    const { store } = app;
    if (!store || loading.has(chatId) || (!force && pinsLoaded(store, chatId))) return;
    loading.add(chatId);
    try {
      const pins = await app.api.allPages((cursor) => app.api.pins(chatId, { cursor }));
      if (app.store === store) setPins(store, chatId, pins);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.isNetwork) console.warn('pins', err);
    } finally {
      loading.delete(chatId);
    }
  }

  function current(chatId) {
    const pins = pinsOf(app.store, chatId);
    if (!pins.length) return null;
    const index = (shownAt.get(chatId) || 0) % pins.length;
    return { pin: pins[index], index, count: pins.length };
  }

  async function jump(chatId) {
    const shown = current(chatId);
    if (!shown) return;
    shownAt.set(chatId, shown.index + 1);
    render();
    await app.openChatAt(chatId, shown.pin.message_id);
  }

  async function unpin(chatId, messageId) {
    try {
      await app.api.unpin(chatId, messageId);
      app.store?.apply({ type: 'message_unpinned', data: { chat_id: chatId, message_id: messageId } });
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  /** Pins a message of the open chat (the message list's action). */
  async function pin(message) {
    try {
      const pinned = await app.api.pin(message.chat_id, message.id);
      app.store?.apply({ type: 'message_pinned', data: pinned });
      shownAt.set(message.chat_id, 0);
      render();
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  function render() {
    const { store } = app;
    const chatId = store?.openChatId ?? null;
    const chat = chatId === null ? null : store.chats.get(chatId);
    if (!chat) {
      bar.hidden = true;
      return;
    }
    if (!pinsLoaded(store, chatId)) load(chatId);
    const shown = current(chatId);
    bar.hidden = !shown;
    bar.textContent = '';
    if (!shown) return;
    const { pin, index, count } = shown;
    const label = count > 1 ? t('pins.label_of', { n: index + 1, count }) : t('pins.label');
    bar.append(
      h(
        'button',
        { type: 'button', class: 'pinned-main', title: t('pins.show'), dataset: { messageId: String(pin.message_id) }, onclick: () => jump(chatId) },
        icon('pin', 16),
        h('span', { class: 'pinned-body' }, h('span', { class: 'pinned-label small accent', text: label }), h('span', { class: 'pinned-text small ellipsis', text: app.format.preview(pin.message) || t('message.not_loaded') })),
      ),
      mayPin(store, chat)
        ? h('button', { type: 'button', class: 'icon-btn pinned-unpin', title: t('pins.unpin'), onclick: () => unpin(chatId, pin.message_id) }, icon('close', 16))
        : null,
    );
  }

  /** After a resync: pins changed while away are read again. */
  function reload() {
    const { store } = app;
    if (!store) return;
    for (const chatId of [...store.pins.keys()]) store.pins.delete(chatId);
    if (store.openChatId !== null) load(store.openChatId, { force: true });
  }

  return { render, load, pin, reload };
}
