// An attachment's bytes as an object URL, fetched once per session (ui.blobUrls) and
// shared by the message rows, the image viewer and downloads.

import { h } from './dom.js';

/** The object URL of attachment `a`, or null when it could not be fetched. */
export async function loadBlob(app, a) {
  const { ui } = app;
  if (ui.blobUrls.has(a.id)) return ui.blobUrls.get(a.id);
  try {
    const blob = await app.api.fileBlob(a.url);
    const url = URL.createObjectURL(blob);
    ui.blobUrls.set(a.id, url);
    return url;
  } catch {
    return null;
  }
}

/** Saves attachment `a` under its name (a toast when it cannot be fetched). */
export async function download(app, a) {
  const url = await loadBlob(app, a);
  if (!url) {
    app.toast(app.t('errors.download_failed'));
    return;
  }
  const link = h('a', { href: url, download: a.name });
  document.body.append(link);
  link.click();
  link.remove();
}

export const isImage = (a) => /^image\/(png|jpe?g|gif|webp)$/.test(a?.content_type || '');
