// What a screen reader says when a message arrives in the open chat: "New message. Name: text"
// through a visually hidden polite live region (#announcer). The message list itself is no
// live region: it also grows by history pages and redraws, which would all be read out.
// Only messages that arrive live, from others, in the chat on screen are announced; several
// in one go (a catch-up after a reconnect) are told as the last one of them.

import { $, h } from './dom.js';
import { userName } from './common.js';

// A long message is cut: the rest is in the list, where the reader can go on reading.
const MAX_CHARS = 200;

export function createAnnouncer(app) {
  const region = $('#announcer');
  let pending = null;

  /** The sentence for message `m`. */
  function sentence(m) {
    const name = userName(app, m.sender_id);
    const text = (m.text || '').trim();
    if (!text) return app.t('a11y.new_attachment', { name });
    return app.t('a11y.new_message', { name, text: text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text });
  }

  /** Reads `text` out; a new node each time, so the same words twice are read twice. */
  function say(text) {
    region.replaceChildren(h('p', { text }));
  }

  /** Hears every frame the sync engine applied (app.js onEngineEvent). */
  function onFrame(frame) {
    const m = frame.type === 'new_message' ? frame.data?.message : null;
    const { store } = app;
    if (!m || !store?.me || m.sender_id === store.me.id || m.chat_id !== store.openChatId) return;
    if (pending === null) {
      queueMicrotask(() => {
        const last = pending;
        pending = null;
        if (last && app.store?.openChatId === last.chat_id) say(sentence(last));
      });
    }
    pending = m;
  }

  function clear() {
    pending = null;
    region.textContent = '';
  }

  return { onFrame, say, clear };
}
