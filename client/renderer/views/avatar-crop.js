// The square crop of a new avatar: the picked picture in a square viewport, dragged with the
// pointer and zoomed with the slider or the wheel (lib/crop.js does the arithmetic), then
// drawn onto a 512 px canvas and handed back as a PNG or JPEG blob for upload.

import { h } from './dom.js';
import { MAX_ZOOM, cropRect, dragCrop, initialCrop, zoomCrop } from '../lib/crop.js';

const VIEW = 256; // the viewport, CSS pixels
const OUTPUT = 512; // the server keeps 512 px at most
const IMAGE_TYPES = /^image\/(png|jpe?g|webp|gif)$/;
// A picture beyond this is not worth decoding in the page (the crop sends far less anyway).
const MAX_SOURCE_BYTES = 25 * 1024 * 1024;

/** Why `file` cannot be cropped (a locale key), or null. */
export function cropProblem(file) {
  if (!file || !IMAGE_TYPES.test(file.type || '')) return 'profile.avatar_not_image';
  if (file.size > MAX_SOURCE_BYTES) return 'profile.avatar_too_large';
  return null;
}

/**
 * The crop panel for `file`. `onDone(blob, name)` gets the cropped picture; `onCancel()`
 * is called when the user gives up or the picture cannot be read.
 */
export function avatarCropper(app, file, { onDone, onCancel }) {
  const t = app.t;
  const source = URL.createObjectURL(file);
  const img = h('img', { class: 'crop-image', alt: '', draggable: 'false' });
  const viewport = h('div', { class: 'crop-viewport', id: 'crop-viewport', style: `width:${VIEW}px;height:${VIEW}px` }, img, h('div', { class: 'crop-mask' }));
  const zoom = h('input', { type: 'range', id: 'crop-zoom', min: '1', max: String(MAX_ZOOM), step: '0.01', value: '1', 'aria-label': t('profile.crop_zoom') });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const done = h('button', { type: 'button', class: 'btn primary', id: 'crop-done', text: t('profile.crop_done'), disabled: true });
  const cancel = h('button', { type: 'button', class: 'btn', id: 'crop-cancel', text: t('common.cancel') });
  let state = null;
  let finished = false;

  function finish() {
    finished = true;
    URL.revokeObjectURL(source);
  }

  function draw() {
    if (!state) return;
    img.style.width = `${state.width * state.scale}px`;
    img.style.height = `${state.height * state.scale}px`;
    img.style.transform = `translate(${state.x}px, ${state.y}px)`;
    zoom.value = String(state.zoom);
  }

  img.addEventListener('load', () => {
    state = initialCrop(img.naturalWidth, img.naturalHeight, VIEW);
    done.disabled = false;
    draw();
  });
  img.addEventListener('error', () => {
    error.textContent = t('profile.avatar_not_image');
    error.hidden = false;
  });
  img.src = source;

  let drag = null;
  viewport.addEventListener('pointerdown', (e) => {
    if (!state) return;
    drag = { x: e.clientX, y: e.clientY };
    viewport.setPointerCapture?.(e.pointerId);
  });
  viewport.addEventListener('pointermove', (e) => {
    if (!drag || !state) return;
    state = dragCrop(state, e.clientX - drag.x, e.clientY - drag.y);
    drag = { x: e.clientX, y: e.clientY };
    draw();
  });
  const endDrag = () => {
    drag = null;
  };
  viewport.addEventListener('pointerup', endDrag);
  viewport.addEventListener('pointercancel', endDrag);
  viewport.addEventListener(
    'wheel',
    (e) => {
      if (!state) return;
      e.preventDefault();
      const box = viewport.getBoundingClientRect();
      state = zoomCrop(state, state.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), e.clientX - box.left, e.clientY - box.top);
      draw();
    },
    { passive: false },
  );
  zoom.addEventListener('input', () => {
    if (!state) return;
    state = zoomCrop(state, Number(zoom.value));
    draw();
  });

  done.addEventListener('click', () => {
    if (!state || finished) return;
    const { sx, sy, size } = cropRect(state);
    const canvas = document.createElement('canvas');
    canvas.width = OUTPUT;
    canvas.height = OUTPUT;
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(img, sx, sy, size, size, 0, 0, OUTPUT, OUTPUT);
    // Pictures that may be transparent stay PNG; photos go as JPEG, a tenth of the bytes.
    const type = /png|gif|webp/.test(file.type) ? 'image/png' : 'image/jpeg';
    done.disabled = true;
    canvas.toBlob(
      (blob) => {
        if (!blob) {
          done.disabled = false;
          error.textContent = t('errors.unknown');
          error.hidden = false;
          return;
        }
        finish();
        onDone(blob, type === 'image/png' ? 'avatar.png' : 'avatar.jpg');
      },
      type,
      0.92,
    );
  });
  cancel.addEventListener('click', () => {
    finish();
    onCancel();
  });

  return h(
    'div',
    { class: 'crop-panel', id: 'avatar-crop' },
    h('p', { class: 'muted small', text: t('profile.crop_hint') }),
    viewport,
    h('label', { class: 'field crop-zoom' }, h('span', { text: t('profile.crop_zoom') }), zoom),
    error,
    h('div', { class: 'modal-actions' }, cancel, done),
  );
}
