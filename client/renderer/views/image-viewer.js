// The image viewer: a picture of a message over everything, at full size, zoomed with the
// wheel, the buttons or + / - (0 back to fit), dragged to pan while zoomed, and the other
// loaded images of the chat one arrow (or button) away. Escape or the close button closes
// it and gives the focus back to what opened it.

import { h } from './dom.js';
import { icon } from '../lib/icons.js';
import { download, isImage, loadBlob } from './attachment-blobs.js';

const MIN_SCALE = 1;
const MAX_SCALE = 8;
const STEP = 1.25;

export function createImageViewer(app) {
  const t = app.t;
  let view = null; // {el, img, images, index, scale, x, y, returnFocus}

  /** The chat's loaded images, oldest first: [{message, attachment}]. */
  function chatImages(chatId) {
    const out = [];
    for (const m of app.store?.history(chatId) || []) {
      if (m.deleted) continue;
      for (const a of m.attachments || []) if (isImage(a)) out.push({ message: m, attachment: a });
    }
    return out;
  }

  function applyTransform() {
    const { img, scale, x, y } = view;
    img.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
    view.el.classList.toggle('zoomed', scale > MIN_SCALE);
    view.el.querySelector('[data-act="zoom-out"]').disabled = scale <= MIN_SCALE;
    view.el.querySelector('[data-act="zoom-in"]').disabled = scale >= MAX_SCALE;
    view.el.dataset.scale = String(Math.round(scale * 100) / 100);
  }

  function zoom(factor) {
    if (!view) return;
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
    view.scale = scale;
    if (scale === MIN_SCALE) {
      view.x = 0;
      view.y = 0;
    }
    applyTransform();
  }

  async function show(index) {
    const { images } = view;
    view.index = (index + images.length) % images.length;
    view.scale = MIN_SCALE;
    view.x = 0;
    view.y = 0;
    const { attachment: a } = images[view.index];
    const el = view.el;
    el.querySelector('.iv-title').textContent = a.name;
    el.querySelector('.iv-count').textContent = images.length > 1 ? t('viewer.count', { n: view.index + 1, count: images.length }) : '';
    for (const b of el.querySelectorAll('.iv-nav')) b.hidden = images.length < 2;
    view.img.alt = a.name;
    view.img.removeAttribute('src');
    applyTransform();
    const mine = view;
    const url = await loadBlob(app, a);
    if (view !== mine || mine.images[mine.index].attachment !== a) return;
    if (url) view.img.src = url;
    else app.toast(t('errors.download_failed'));
  }

  function close() {
    if (!view) return;
    const { el, returnFocus, opener } = view;
    view = null;
    document.removeEventListener('keydown', onKeydown, true);
    el.remove();
    // The opener may have been redrawn meanwhile: then the same image in its new row.
    const target = returnFocus?.isConnected ? returnFocus : opener ? document.querySelector(opener) : null;
    (target || document.getElementById('messages'))?.focus();
  }

  function onKeydown(e) {
    if (!view) return;
    if (e.key === 'Escape') close();
    else if (e.key === 'ArrowRight') show(view.index + 1);
    else if (e.key === 'ArrowLeft') show(view.index - 1);
    else if (e.key === '+' || e.key === '=') zoom(STEP);
    else if (e.key === '-' || e.key === '_') zoom(1 / STEP);
    else if (e.key === '0') zoom(0);
    else if (e.key === 'Tab') {
      // The focus stays inside while the viewer is open.
      const stops = [...view.el.querySelectorAll('button:not([disabled]):not([hidden])')];
      const at = stops.indexOf(document.activeElement);
      const next = e.shiftKey ? (at <= 0 ? stops.length - 1 : at - 1) : (at + 1) % stops.length;
      stops[next]?.focus();
    } else return;
    e.preventDefault();
    e.stopPropagation();
  }

  function button(act, label, iconName, onclick, cls = 'icon-btn') {
    return h('button', { type: 'button', class: cls, 'data-act': act, title: label, 'aria-label': label, onclick }, icon(iconName));
  }

  /** Opens the viewer at attachment `a` of message `m`; `openerSelector` finds the opener again. */
  function open(m, a, { returnFocus = document.activeElement, openerSelector = null } = {}) {
    close();
    const images = chatImages(m.chat_id);
    let index = images.findIndex((x) => x.attachment.id === a.id);
    if (index < 0) {
      images.push({ message: m, attachment: a });
      index = images.length - 1;
    }
    const img = h('img', { class: 'iv-img', alt: a.name, draggable: 'false' });
    const stage = h('div', { class: 'iv-stage' }, img);
    const el = h(
      'div',
      // Focusable itself, so that a click on the picture keeps the focus inside.
      { class: 'image-viewer', id: 'image-viewer', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'image-viewer-title', tabindex: '-1' },
      h(
        'div',
        { class: 'iv-bar' },
        h('div', { class: 'iv-caption' }, h('span', { class: 'iv-title ellipsis', id: 'image-viewer-title' }), h('span', { class: 'iv-count small' })),
        button('zoom-out', t('viewer.zoom_out'), 'minus', () => zoom(1 / STEP)),
        button('zoom-in', t('viewer.zoom_in'), 'plus', () => zoom(STEP)),
        button('download', t('message.download'), 'download', () => download(app, view.images[view.index].attachment)),
        button('close', t('common.close'), 'close', () => close()),
      ),
      stage,
      button('prev', t('viewer.previous'), 'left', () => show(view.index - 1), 'icon-btn iv-nav iv-prev'),
      button('next', t('viewer.next'), 'right', () => show(view.index + 1), 'icon-btn iv-nav iv-next'),
    );
    view = { el, img, images, index, scale: MIN_SCALE, x: 0, y: 0, returnFocus, opener: openerSelector };

    // A click on the dark around the picture closes, as in most viewers.
    stage.addEventListener('click', (e) => {
      if (e.target === stage && !view.dragged) close();
    });
    stage.addEventListener('wheel', (e) => {
      e.preventDefault();
      zoom(e.deltaY < 0 ? STEP : 1 / STEP);
    }, { passive: false });
    let drag = null;
    img.addEventListener('pointerdown', (e) => {
      if (view.scale <= MIN_SCALE) return;
      drag = { x: e.clientX - view.x, y: e.clientY - view.y };
      view.dragged = false;
      img.setPointerCapture(e.pointerId);
    });
    img.addEventListener('pointermove', (e) => {
      if (!drag) return;
      view.x = e.clientX - drag.x;
      view.y = e.clientY - drag.y;
      view.dragged = true;
      applyTransform();
    });
    const endDrag = () => {
      drag = null;
    };
    img.addEventListener('pointerup', endDrag);
    img.addEventListener('pointercancel', endDrag);

    document.body.append(el);
    // On the document, so that the keys work wherever a click left the focus.
    document.addEventListener('keydown', onKeydown, true);
    show(index);
    el.querySelector('[data-act="close"]').focus();
    return el;
  }

  return { open, close, get isOpen() { return view !== null; } };
}
