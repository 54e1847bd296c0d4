// The chat's media in the info panel: a grid of image thumbnails and a list of files
// (GET /chats/{id}/media?kind=image|file), newest first, a page at a time. The panel is one
// node kept across the info panel's redraws (they come with every presence event), with its
// state in `ui.media`; what I cleared or hid in the chat drops out of it at once.

import { h } from './dom.js';
import { icon } from '../lib/icons.js';

const PAGE = 30;
const KINDS = ['image', 'file'];

export function createMediaPanel(app) {
  const { ui } = app;
  const t = app.t;

  function emptyPage() {
    return { items: [], hasMore: false, cursor: null, loading: false, error: null, loaded: false };
  }

  /** The panel's node for a chat (a new one when another chat is shown). */
  function element(chatId) {
    if (ui.media?.chatId !== chatId) {
      ui.media = { chatId, kind: 'image', pages: { image: emptyPage(), file: emptyPage() }, el: h('section', { class: 'media-panel', id: 'media-panel' }), drawn: null };
      load(ui.media, 'image');
    }
    render();
    return ui.media.el;
  }

  async function load(state, kind) {
    const page = state.pages[kind];
    if (page.loading) return;
    page.loading = true;
    page.error = null;
    render();
    try {
      const answer = await app.api.media(state.chatId, { kind, limit: PAGE, cursor: page.cursor ?? undefined });
      const seen = new Set(page.items.map((i) => i.file?.id));
      for (const item of answer?.items || []) if (item?.file && !seen.has(item.file.id)) page.items.push(item);
      page.hasMore = !!answer?.has_more && typeof answer.next_cursor === 'string' && answer.next_cursor !== page.cursor;
      page.cursor = answer?.next_cursor ?? null;
    } catch (err) {
      // A server without the media list (404) or any failure: say so, the rest works on.
      page.error = err?.status === 404 ? t('media.unavailable') : app.format.error(err);
    } finally {
      page.loading = false;
      page.loaded = true;
      render();
    }
  }

  function visible(state, kind) {
    const { store } = app;
    if (!store) return [];
    return state.pages[kind].items.filter((i) => !store.isHiddenForMe({ id: i.message_id, chat_id: state.chatId }));
  }

  async function blobUrl(key, url) {
    if (ui.blobUrls.has(key)) return ui.blobUrls.get(key);
    try {
      const u = URL.createObjectURL(await app.api.fileBlob(url));
      ui.blobUrls.set(key, u);
      return u;
    } catch {
      return null;
    }
  }

  async function download(file) {
    // The same cache key as the message list's, so a file fetched there is not fetched again.
    const url = await blobUrl(file.id, file.url);
    if (!url) {
      app.toast(t('errors.download_failed'));
      return;
    }
    const link = h('a', { href: url, download: file.name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function thumb(item) {
    const f = item.file;
    const key = `thumb:${f.id}`;
    const img = h('img', { class: 'media-thumb-img', alt: f.name, src: ui.blobUrls.get(key) });
    if (!ui.blobUrls.has(key)) {
      blobUrl(key, f.thumbnail_url || f.url).then((u) => {
        if (u) img.src = u;
      });
    }
    return h('button', { type: 'button', class: 'media-thumb', title: f.name, dataset: { fileId: String(f.id) }, onclick: () => download(f) }, img);
  }

  function fileRow(item) {
    const f = item.file;
    return h(
      'button',
      { type: 'button', class: 'attachment-file media-file', dataset: { fileId: String(f.id) }, onclick: () => download(f), title: t('message.download') },
      h('span', { class: 'attachment-icon' }, icon('file', 22)),
      h(
        'span',
        { class: 'attachment-meta' },
        h('span', { class: 'ellipsis', text: f.name }),
        h('span', { class: 'small muted', text: `${app.format.size(f.size)} · ${app.format.listTime(item.posted_at)}` }),
      ),
    );
  }

  function render() {
    const state = ui.media;
    if (!state || !app.store) return;
    const { kind } = state;
    const page = state.pages[kind];
    const items = visible(state, kind);
    // Redrawn only when what it shows changed: the info panel asks on every presence event.
    const drawn = [app.i18n.lang, kind, page.loading, page.error, page.hasMore, items.map((i) => i.file.id).join(',')].join('|');
    if (state.drawn === drawn) return;
    state.drawn = drawn;
    const tabs = h(
      'div',
      { class: 'media-tabs', role: 'tablist' },
      KINDS.map((k) =>
        h('button', {
          type: 'button',
          role: 'tab',
          class: `media-tab${k === kind ? ' active' : ''}`,
          dataset: { kind: k },
          'aria-selected': String(k === kind),
          text: k === 'image' ? t('media.images') : t('media.files'),
          onclick: () => {
            state.kind = k;
            if (!state.pages[k].loaded) load(state, k);
            else render();
          },
        }),
      ),
    );
    let body;
    if (kind === 'image') body = h('div', { class: 'media-grid' }, items.map(thumb));
    else body = h('div', { class: 'media-files' }, items.map(fileRow));
    const hint = page.error
      ? h('div', { class: 'empty-hint small media-error', text: page.error })
      : !page.loading && page.loaded && !items.length
        ? h('div', { class: 'empty-hint small', text: kind === 'image' ? t('media.no_images') : t('media.no_files') })
        : null;
    const more = page.hasMore && !page.loading ? h('button', { type: 'button', class: 'btn wide media-more', text: t('media.load_more'), onclick: () => load(state, kind) }) : null;
    const loading = page.loading ? h('div', { class: 'muted small media-loading', text: t('chat.loading') }) : null;
    const title = h('div', { class: 'section-title small muted', text: t('media.title') });
    state.el.replaceChildren(...[title, tabs, body, loading, hint, more].filter(Boolean));
  }

  return { element, render };
}
