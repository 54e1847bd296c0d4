// The composer: the text box, the reply/edit context above it, and attachments being
// uploaded. Its textarea is static markup, so what is typed and the focus are never
// touched by redraws of other views.

import { $, h } from './dom.js';
import { userName } from './common.js';
import { icon } from '../lib/icons.js';
import { lengthState, messageTextAllowed } from '../lib/validate.js';

export function createComposer(app) {
  const { ui } = app;
  const t = app.t;
  const input = $('#composer-input');
  // The length counter and the hint of an over-long text, under the input (issue 17).
  const limit = h('div', { class: 'composer-limit small', id: 'composer-limit', hidden: true, 'aria-live': 'polite' });
  $('.composer-row').after(limit);

  /** Counts near the limit; over it, sending is off (button and Enter) with a hint why. */
  function renderLimit() {
    const state = lengthState(input.value);
    limit.hidden = !state.counted;
    limit.classList.toggle('over', state.over);
    limit.textContent = state.over ? t('composer.too_long', { count: -state.left }) : state.counted ? t('composer.chars_left', { count: state.left }) : '';
    const send = $('#btn-send');
    send.disabled = state.over;
    send.setAttribute('aria-disabled', String(state.over));
    if (state.over) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', state.counted ? 'composer-limit' : '');
    return state;
  }

  function autoGrow() {
    // A hidden textarea measures 0; it is measured again once the chat is shown.
    if (input.offsetParent === null) {
      input.style.height = '';
      return;
    }
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  function renderContext() {
    const box = $('#composer-context');
    const ctx = ui.editing || ui.replyTo;
    box.hidden = !ctx;
    if (!ctx) return;
    $('#composer-context-title').textContent = ui.editing
      ? t('composer.editing')
      : t('composer.replying_to', { name: userName(app, ctx.sender_id) });
    $('#composer-context-body').textContent = app.format.preview(ctx);
  }

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
          h('span', { class: 'small muted', text: u.done ? app.format.size(u.file.size) : `${pct}%` }),
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

  function render() {
    renderContext();
    renderUploads();
    renderLimit();
  }

  /** Empties the composer (another chat was opened). */
  function reset() {
    ui.replyTo = null;
    ui.editing = null;
    ui.uploads = [];
    input.value = '';
    autoGrow();
    renderLimit();
  }

  function startReply(m) {
    ui.editing = null;
    ui.replyTo = m;
    renderContext();
    input.focus();
  }

  function startEdit(m) {
    ui.replyTo = null;
    ui.editing = m;
    input.value = m.text;
    autoGrow();
    renderLimit();
    renderContext();
    input.focus();
  }

  function cancelContext() {
    if (ui.editing) input.value = '';
    ui.editing = null;
    ui.replyTo = null;
    autoGrow();
    renderLimit();
    renderContext();
  }

  /**
   * Sends a new message to the open chat, replying to what the composer replies to. The
   * outbox holds it from here on; should even that fail, `restore` puts the text back.
   */
  async function sendMessage(chatId, text, attachments, restore = () => {}) {
    const replyTo = ui.replyTo?.id || null;
    app.views.drafts?.sent(chatId);
    ui.replyTo = null;
    ui.stickNext = true;
    render();
    // A message sent from a window over older history shows at the newest end: go there.
    if (app.store.isDetached(chatId)) app.views.messages.toLatest();
    try {
      await app.engine.send({ chat_id: chatId, text, reply_to_id: replyTo, attachments });
    } catch (err) {
      restore();
      app.toast(app.format.error(err));
    }
    app.views.banner.render();
  }

  async function submit() {
    const chatId = app.store?.openChatId;
    if (chatId === null || chatId === undefined) return;
    const text = input.value.trim();
    if (renderLimit().over) {
      input.focus();
      return;
    }
    if (ui.editing) {
      const m = ui.editing;
      if (text === m.text || !messageTextAllowed(text, m.attachments?.length)) {
        cancelContext();
        return;
      }
      try {
        const updated = await app.api.editMessage(m.id, text);
        app.store.apply({ type: 'message_updated', data: { message: updated } });
        input.value = '';
        cancelContext();
      } catch (err) {
        app.toast(app.format.error(err));
      }
      return;
    }
    if (ui.uploads.some((u) => !u.done && !u.error)) {
      app.toast(t('composer.wait_uploads'));
      return;
    }
    const attachments = ui.uploads.filter((u) => u.done).map((u) => u.done);
    if (!messageTextAllowed(text, attachments.length)) return;
    const uploads = ui.uploads;
    input.value = '';
    autoGrow();
    ui.uploads = [];
    await sendMessage(chatId, text, attachments, () => {
      if (!input.value) input.value = text;
      if (!ui.uploads.length) ui.uploads = uploads;
      autoGrow();
      render();
    });
  }

  function startUploads(files) {
    for (const file of files) {
      ui.uploadSeq += 1;
      const u = { key: `u${ui.uploadSeq}`, file, progress: 0, done: null, error: null };
      ui.uploads.push(u);
      app.api
        .upload(file, (p) => {
          u.progress = p;
          const bar = $(`.upload[data-key="${u.key}"] .progress-bar`);
          if (bar) bar.style.width = `${Math.round(p * 100)}%`;
        })
        .then((stored) => {
          u.done = stored;
        })
        .catch((err) => {
          u.error = app.format.error(err);
        })
        .finally(renderUploads);
    }
    renderUploads();
  }

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape') {
      cancelContext();
    } else if (e.key === 'ArrowUp' && !input.value) {
      const { store } = app;
      const mine = store.history(store.openChatId).filter((m) => m.sender_id === store.me.id && !m.deleted && (m.text || m.attachments?.length));
      if (mine.length) {
        e.preventDefault();
        startEdit(mine.at(-1));
      }
    }
  });
  input.addEventListener('input', () => {
    autoGrow();
    renderLimit();
    const chatId = app.store?.openChatId;
    if (chatId === null || chatId === undefined || ui.editing) return;
    const now = Date.now();
    if (input.value.trim() && now - ui.lastTypingSent > 3000) {
      if (app.realtime.send('typing', { chat_id: chatId })) ui.lastTypingSent = now;
    }
  });
  $('#btn-send').addEventListener('click', submit);
  $('#composer-context-cancel').addEventListener('click', cancelContext);
  $('#btn-attach').addEventListener('click', () => $('#file-input').click());
  $('#file-input').addEventListener('change', (e) => {
    startUploads([...e.target.files]);
    e.target.value = '';
  });
  // Files dropped on the open chat (its messages or the composer) or an image pasted into the
  // input open the preview (views/upload-preview.js): captioned there, then sent.
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  const chatView = $('#chat-view');
  for (const zone of [$('#messages'), $('.composer')]) {
    zone.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      chatView.classList.add('drop-target');
    });
    zone.addEventListener('dragleave', (e) => {
      if (!zone.contains(e.relatedTarget)) chatView.classList.remove('drop-target');
    });
    zone.addEventListener('drop', (e) => {
      chatView.classList.remove('drop-target');
      const files = [...(e.dataTransfer?.files || [])];
      if (!files.length) return;
      e.preventDefault();
      app.views.uploadPreview.open(files);
    });
  }
  input.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (!files.length) return; // text is pasted as usual
    e.preventDefault();
    app.views.uploadPreview.open(files);
  });

  /** The text in the input (the preview takes it as the caption). */
  const text = () => (ui.editing ? '' : input.value);

  /** Puts `value` in the input (the preview gives a caption back, or empties it once sent). */
  function setText(value) {
    if (ui.editing) return;
    input.value = value;
    autoGrow();
    renderLimit();
  }

  return { render, reset, autoGrow, startReply, startEdit, startUploads, sendMessage, text, setText, focus: () => input.focus() };
}
