// What pasted or dropped files become before they are sent: a dialog with a thumbnail of
// each image and the name and size of each other file, and a caption (the message's text,
// taken from the composer and given back to it when the dialog is cancelled). "Send"
// uploads them with their progress shown; only when every upload is stored does the
// message go to the outbox. A failed upload leaves the dialog open with its error and the
// caption, to try again (only what failed is sent again) or cancel: nothing is lost.

import { h } from './dom.js';
import { icon } from '../lib/icons.js';
import { openModal } from './modals.js';
import { isImage } from './attachment-blobs.js';
import { lengthState } from '../lib/validate.js';

export function createUploadPreview(app) {
  const t = app.t;

  function open(files) {
    const chatId = app.store?.openChatId;
    if (chatId === null || chatId === undefined || !files.length) return;
    const composer = app.views.composer;
    const previews = [];
    const items = files.map((file) => ({ file, stored: null, error: null, progress: 0, el: null }));
    let sending = false;
    let sent = false;

    const caption = h('textarea', { id: 'upload-caption', class: 'upload-caption', rows: '2', placeholder: t('upload.caption_placeholder') });
    caption.value = composer.text();
    const limit = h('div', { class: 'composer-limit small', id: 'upload-caption-limit', hidden: true, 'aria-live': 'polite' });
    const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
    const sendBtn = h('button', { type: 'button', class: 'btn primary', id: 'upload-send', text: t('composer.send') });
    const cancelBtn = h('button', { type: 'button', class: 'btn', id: 'upload-cancel', text: t('common.cancel') });

    function itemView(item) {
      const { file } = item;
      let thumb;
      if (isImage({ content_type: file.type })) {
        const url = URL.createObjectURL(file);
        previews.push(url);
        thumb = h('img', { class: 'upload-thumb', src: url, alt: file.name });
      } else {
        thumb = h('span', { class: 'upload-thumb file attachment-icon' }, icon('file', 28));
      }
      item.el = h(
        'li',
        { class: 'upload-item' },
        thumb,
        h(
          'div',
          { class: 'upload-body' },
          h('div', { class: 'upload-name ellipsis', text: file.name }),
          h('div', { class: 'upload-size small muted', text: app.format.size(file.size) }),
          h('div', { class: 'progress', hidden: true }, h('div', { class: 'progress-bar' })),
          h('div', { class: 'upload-error small failed-text', hidden: true }),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-btn small upload-remove',
            title: t('common.remove'),
            'aria-label': t('upload.remove', { name: file.name }),
            onclick: () => {
              if (sending) return;
              items.splice(items.indexOf(item), 1);
              item.el.remove();
              if (!items.length) close();
            },
          },
          icon('close', 14),
        ),
      );
      return item.el;
    }

    function showItem(item) {
      const bar = item.el.querySelector('.progress');
      bar.hidden = !sending || !!item.stored || !!item.error;
      bar.firstChild.style.width = `${Math.round(item.progress * 100)}%`;
      const err = item.el.querySelector('.upload-error');
      err.textContent = item.error || '';
      err.hidden = !item.error;
      item.el.classList.toggle('done', !!item.stored);
    }

    function renderLimit() {
      const state = lengthState(caption.value);
      limit.hidden = !state.counted;
      limit.classList.toggle('over', state.over);
      limit.textContent = state.over ? t('composer.too_long', { count: -state.left }) : state.counted ? t('composer.chars_left', { count: state.left }) : '';
      sendBtn.disabled = sending || state.over;
      return state;
    }

    async function send() {
      if (sending || renderLimit().over) return;
      sending = true;
      error.hidden = true;
      renderLimit();
      await Promise.all(
        items
          .filter((item) => !item.stored)
          .map(async (item) => {
            item.error = null;
            item.progress = 0;
            showItem(item);
            try {
              item.stored = await app.api.upload(item.file, (p) => {
                item.progress = p;
                showItem(item);
              });
            } catch (err) {
              item.error = app.format.error(err);
            }
            showItem(item);
          }),
      );
      sending = false;
      if (items.some((item) => !item.stored) || !app.store || app.store.openChatId !== chatId) {
        error.textContent = t(items.some((item) => item.error) ? 'upload.failed' : 'upload.chat_changed');
        error.hidden = false;
        renderLimit();
        return;
      }
      sent = true;
      const text = caption.value.trim();
      close();
      composer.setText('');
      await composer.sendMessage(chatId, text, items.map((item) => item.stored), () => composer.setText(text));
      composer.focus();
    }

    const body = h(
      'div',
      { class: 'modal-body upload-preview' },
      h('ul', { class: 'upload-items' }, ...items.map(itemView)),
      h('label', { class: 'field', for: 'upload-caption' }, h('span', { text: t('upload.caption') }), caption),
      limit,
      error,
      h('div', { class: 'modal-actions' }, cancelBtn, sendBtn),
    );
    const title = t(items.every((item) => isImage({ content_type: item.file.type })) ? 'upload.title_images' : 'upload.title_files', { count: items.length });
    const close = openModal(app, title, body, {
      onClose: () => {
        for (const url of previews) URL.revokeObjectURL(url);
        // A caption not sent goes back to the composer: nothing typed is lost.
        if (!sent) composer.setText(caption.value);
        composer.focus();
      },
    });
    body.closest('.modal')?.classList.add('upload-dialog');
    sendBtn.addEventListener('click', send);
    cancelBtn.addEventListener('click', () => close());
    caption.addEventListener('input', renderLimit);
    caption.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    });
    renderLimit();
    caption.focus();
    caption.setSelectionRange(caption.value.length, caption.value.length);
  }

  return { open };
}
