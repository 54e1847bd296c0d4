// Drafts (issue 15): what I type in a chat and do not send is kept by the server for my
// other devices (saved a moment after I stop typing, and when I switch chats), put back
// into the composer when I open the chat again, and shown in the chat list as
// "Draft: …". Sending a message in the chat drops it (the server does, and tells every
// device of mine); so a save still waiting when I send is dropped here.

import { $ } from './dom.js';

// Long enough not to save on every key, short enough that another device soon has it.
const SAVE_AFTER_MS = 800;

export function createDrafts(app) {
  const input = $('#composer-input');
  let chatId = null; // the chat whose draft the composer holds
  let pending = null; // {chatId, text, replyToId, timer}
  // The composer's text as this device last saved or showed it: one that differs now was
  // typed here since, and a draft from another device must not overwrite it.
  let known = '';

  function stored(id) {
    return app.store?.chats.get(id)?.draft || null;
  }

  function save({ chatId: id, text, replyToId }) {
    const draft = stored(id);
    const same = draft ? draft.text === text && (draft.reply_to_id ?? null) === replyToId : !text.trim();
    if (same || !app.api) return;
    app.api.saveDraft(id, text.trim() ? text : '', text.trim() ? replyToId : null).catch(() => {
      // A draft is a convenience: losing one save (offline) must not bother anybody.
    });
  }

  function flush() {
    if (!pending) return;
    clearTimeout(pending.timer);
    const job = pending;
    pending = null;
    if (job.chatId === chatId) known = job.text;
    save(job);
  }

  function schedule() {
    const id = app.store?.openChatId;
    if (id === null || id === undefined || app.ui.editing) return;
    if (pending && pending.chatId !== id) flush();
    clearTimeout(pending?.timer);
    pending = { chatId: id, text: input.value, replyToId: app.ui.replyTo?.id ?? null, timer: null };
    pending.timer = setTimeout(flush, SAVE_AFTER_MS);
  }

  /** Puts the chat's draft into the (just emptied) composer. */
  function restore(id) {
    const draft = stored(id);
    known = input.value;
    if (!draft || input.value) return;
    input.value = draft.text;
    known = draft.text;
    const original = draft.reply_to_id ? app.store.message(id, draft.reply_to_id) : null;
    if (original) app.ui.replyTo = original;
    app.views.composer.render();
    app.views.composer.autoGrow();
  }

  /** Another chat was opened: the last one's draft goes now, the new one's comes back. */
  function switchTo(id) {
    flush();
    chatId = id;
    restore(id);
  }

  /** A message is on its way in this chat: a save still waiting would bring the draft back. */
  function sent(id) {
    if (pending?.chatId === id) {
      clearTimeout(pending.timer);
      pending = null;
    }
    if (id === chatId) known = '';
  }

  /** My draft changed on another device: show it, unless I am typing here. */
  function render() {
    const id = app.store?.openChatId;
    if (id === null || id === undefined || id !== chatId || pending?.chatId === id) return;
    if (document.activeElement === input || app.ui.editing || input.value !== known) return;
    const text = stored(id)?.text || '';
    if (input.value !== text) {
      input.value = text;
      app.views.composer.autoGrow();
    }
    known = text;
  }

  input.addEventListener('input', schedule);
  window.addEventListener('beforeunload', flush);

  return { render, switchTo, sent, flush };
}
