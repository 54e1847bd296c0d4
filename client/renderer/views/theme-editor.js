// Themes and the settings synced across the user's devices: the theme editor dialog (the
// built-in themes and the user's own, choose one, make or edit one with a live preview,
// delete), the active theme shown on the page, and the language chosen on another device.
// The server's settings and themes live in the store (`store.settings`, `store.themes`,
// from GET /users/me/settings and /users/me/themes, then `settings_updated` frames); the
// last ones shown are kept in localStorage so that the page starts in its theme.

import { h } from './dom.js';
import { openModal, confirmModal } from './modals.js';
import { DEFAULT_LANGUAGE, LANGUAGES } from '../lib/i18n.js';
import {
  BUILT_IN_THEMES,
  COLOR_TOKENS,
  THEME_PROPERTIES,
  applyTheme,
  baseScheme,
  isColor,
  resolveLanguage,
  resolveTheme,
  themeProperties,
} from '../lib/theme.js';

export const APPEARANCE_KEY = 'messenger.appearance';
// The language setting this device last followed: a settings change from elsewhere is
// applied once, and a local choice made meanwhile is not overridden by an old value.
const LANGUAGE_SETTING_KEY = 'messenger.languageSetting';
// Before themes were synced, the choice was this device's own.
const LEGACY_THEME_KEY = 'messenger.theme';
const NAME_MAX = 64;

// The properties of styles.css each token starts from in the editor (the palette shown).
const TOKEN_VARIABLE = Object.freeze({
  background: '--bg',
  surface: '--panel',
  text: '--text',
  text_muted: '--muted',
  border: '--border',
  accent: '--accent',
  bubble_in: '--bubble-in',
  bubble_in_text: '--bubble-in-text',
  bubble_out: '--bubble-out',
  bubble_out_text: '--bubble-out-text',
  danger: '--danger',
});
// styles.css's light palette, for tokens whose property is not a plain colour right now.
const LIGHT = Object.freeze({
  background: '#eef1f7',
  surface: '#ffffff',
  text: '#1b1f2a',
  text_muted: '#6b7385',
  border: '#e3e6ee',
  accent: '#5b6cf9',
  bubble_in: '#ffffff',
  bubble_in_text: '#1b1f2a',
  bubble_out: '#dfe6ff',
  bubble_out_text: '#1b1f2a',
  danger: '#e5484d',
});

function prefersDark() {
  return !!globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches;
}

function readCache() {
  try {
    const cached = JSON.parse(localStorage.getItem(APPEARANCE_KEY) || 'null');
    if (cached?.settings) return { settings: cached.settings, themes: cached.themes || [] };
  } catch {
    /* not ours or damaged: start from the defaults */
  }
  const legacy = localStorage.getItem(LEGACY_THEME_KEY);
  const themeId = legacy === 'light' || legacy === 'dark' ? legacy : 'system';
  return { settings: { theme_id: themeId, language: 'system' }, themes: [] };
}

/** The device's own language: the first of the browser's that the app speaks. */
export function deviceLanguage() {
  for (const tag of globalThis.navigator?.languages || []) {
    const lang = String(tag).slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(lang)) return lang;
  }
  return DEFAULT_LANGUAGE;
}

/** Shows the theme this device showed last, before anything is loaded. */
export function applyCachedTheme() {
  const { settings, themes } = readCache();
  applyTheme(document.documentElement, resolveTheme(settings, themes, prefersDark()));
}

export function createThemeEditor(app) {
  const t = app.t;
  const images = new Map(); // background file id -> object URL (null while loading)
  let dialog = null; // {mode: 'list' | 'edit', close}

  /** The settings and themes to show: the server's once loaded, else the cached ones. */
  function current() {
    const { store } = app;
    if (store?.settings) return { settings: store.settings, themes: store.themes };
    return readCache();
  }

  // --- showing the active theme --------------------------------------------------------

  function apply() {
    const { settings, themes } = current();
    const resolved = resolveTheme(settings, themes, prefersDark());
    const url = resolved.image ? images.get(resolved.image.id) : null;
    applyTheme(document.documentElement, resolved, url);
    if (resolved.image && !images.has(resolved.image.id)) loadImage(resolved.image).then((ok) => ok && apply());
  }

  async function loadImage(image) {
    if (!app.api) return false;
    images.set(image.id, null);
    try {
      const blob = await app.api.fileBlob(image.url);
      images.set(image.id, URL.createObjectURL(blob));
      return true;
    } catch {
      images.delete(image.id);
      return false;
    }
  }

  function remember(settings, themes) {
    // Only the active theme is needed to start in it.
    const active = themes.filter((x) => x.id === settings.theme_id);
    localStorage.setItem(APPEARANCE_KEY, JSON.stringify({ settings, themes: active }));
  }

  /** Follows a language chosen on another device (once per change of the setting). */
  function followLanguage(setting) {
    const followed = localStorage.getItem(LANGUAGE_SETTING_KEY) || 'system';
    if (!setting || setting === followed) return;
    localStorage.setItem(LANGUAGE_SETTING_KEY, setting);
    const lang = resolveLanguage(setting, deviceLanguage());
    if (lang !== app.i18n.lang) app.setLanguage(lang);
  }

  /** The store's settings or themes changed (loaded, or `settings_updated`). */
  function render() {
    const { store } = app;
    if (!store?.settings) return;
    remember(store.settings, store.themes);
    apply();
    followLanguage(store.settings.language);
    if (dialog?.mode === 'list') showList();
  }

  /** Loads the server's settings and themes (at the start of a session, after a resync). */
  async function load() {
    const { store, api } = app;
    if (!store) return;
    const seen = store.settingsVersion;
    try {
      const [settings, page] = await Promise.all([api.request('GET', '/users/me/settings'), api.request('GET', '/users/me/themes')]);
      // A settings_updated applied meanwhile is newer than these answers.
      if (app.store === store && store.settingsVersion === seen) store.setSettings(settings, page.items || []);
    } catch (err) {
      console.warn('settings', err);
    }
  }

  // --- choosing ------------------------------------------------------------------------

  async function saveSettings(patch) {
    const settings = await app.api.request('PUT', '/users/me/settings', { body: patch });
    if (app.store) app.store.setSettings(settings, app.store.themes);
    return settings;
  }

  /** Makes a theme the active one: for all the user's devices when signed in. */
  async function choose(themeId) {
    if (!app.store) {
      const { settings, themes } = readCache();
      localStorage.setItem(APPEARANCE_KEY, JSON.stringify({ settings: { ...settings, theme_id: themeId }, themes }));
      apply();
      return;
    }
    try {
      await saveSettings({ theme_id: themeId });
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  /** The language setting ('system', 'ru', 'en'): shown at once, saved for every device. */
  async function chooseLanguage(setting) {
    localStorage.setItem(LANGUAGE_SETTING_KEY, setting);
    await app.setLanguage(resolveLanguage(setting, deviceLanguage()));
    if (!app.store) return;
    try {
      await saveSettings({ language: setting });
    } catch (err) {
      app.toast(app.format.error(err));
    }
  }

  // --- the dialog: the list --------------------------------------------------------------

  function builtInName(id) {
    return t(`settings.theme_${id}`);
  }

  function swatch(colors, scheme) {
    const el = h('span', { class: 'theme-swatch', dataset: { theme: scheme } });
    for (const [name, value] of Object.entries(themeProperties({ colors }))) el.style.setProperty(name, value);
    el.append(h('i', { class: 'sw-bg' }), h('i', { class: 'sw-in' }), h('i', { class: 'sw-out' }), h('i', { class: 'sw-accent' }));
    return el;
  }

  function themeRow(id, name, colors, scheme, own) {
    const active = current().settings.theme_id === id;
    return h(
      'li',
      { class: `theme-item${active ? ' active' : ''}`, dataset: { themeId: id } },
      swatch(colors, scheme),
      h('span', { class: 'theme-name ellipsis', text: name }),
      active
        ? h('span', { class: 'theme-active small accent', text: t('themes.active') })
        : h('button', { type: 'button', class: 'btn theme-choose', text: t('themes.choose'), onclick: () => choose(id) }),
      own ? h('button', { type: 'button', class: 'link-btn theme-edit', text: t('themes.edit'), onclick: () => showEditor(own) }) : null,
      own ? h('button', { type: 'button', class: 'link-btn danger-text theme-delete', text: t('themes.delete'), onclick: () => remove(own) }) : null,
    );
  }

  function showList() {
    const { themes } = current();
    const signedIn = !!app.store;
    const list = h(
      'ul',
      { class: 'theme-list', id: 'theme-list' },
      BUILT_IN_THEMES.map((id) => themeRow(id, builtInName(id), {}, id === 'system' ? (prefersDark() ? 'dark' : 'light') : id, null)),
      signedIn ? themes.map((x) => themeRow(x.id, x.name, x.colors, baseScheme(x.colors, prefersDark()), x)) : [],
    );
    const body = h(
      'div',
      { class: 'modal-body theme-editor', id: 'theme-editor' },
      list,
      signedIn
        ? h('button', { type: 'button', class: 'btn primary', id: 'theme-new', text: t('themes.new'), onclick: () => showEditor(null) })
        : h('p', { class: 'muted small', text: t('themes.sign_in_to_make') }),
    );
    dialog = { mode: 'list', close: openModal(app, t('themes.title'), body, { onClose: () => (dialog = null) }) };
  }

  async function remove(theme) {
    dialog = null;
    const ok = await confirmModal(app, t('themes.delete_confirm', { name: theme.name }), t('themes.delete'));
    if (ok) {
      try {
        await app.api.request('DELETE', `/users/me/themes/${encodeURIComponent(theme.id)}`);
        const store = app.store;
        if (store) {
          const settings = store.settings.theme_id === theme.id ? { ...store.settings, theme_id: 'system' } : store.settings;
          store.setSettings(settings, store.themes.filter((x) => x.id !== theme.id));
        }
      } catch (err) {
        app.toast(app.format.error(err));
      }
    }
    showList();
  }

  // --- the dialog: making or editing a theme ---------------------------------------------

  /** The colours the page shows now, as a starting point for a new theme. */
  function shownColors() {
    const style = getComputedStyle(document.documentElement);
    const colors = {};
    for (const token of COLOR_TOKENS) {
      const value = style.getPropertyValue(TOKEN_VARIABLE[token]).trim().toLowerCase();
      colors[token] = isColor(value) ? value : token === 'bubble_in_text' && isColor(colors.text) ? colors.text : LIGHT[token];
    }
    return colors;
  }

  function preview() {
    return h(
      'div',
      { class: 'theme-preview', id: 'theme-preview', 'aria-label': t('themes.preview') },
      h(
        'div',
        { class: 'tp-head' },
        h('span', { class: 'tp-avatar', text: 'A' }),
        h('span', { class: 'tp-title' }, h('b', { text: t('themes.preview_name') }), h('small', { class: 'tp-muted', text: t('themes.preview_status') })),
      ),
      h(
        'div',
        { class: 'tp-chat' },
        h('div', { class: 'tp-bubble tp-in', text: t('themes.preview_in') }),
        h('div', { class: 'tp-bubble tp-out', text: t('themes.preview_out') }),
      ),
      h('div', { class: 'tp-composer' }, h('span', { class: 'tp-input tp-muted', text: t('themes.preview_input') }), h('span', { class: 'tp-send' })),
    );
  }

  function showEditor(theme) {
    const colors = { ...shownColors(), ...(theme?.colors || {}) };
    const draft = { name: theme?.name || '', colors, background: theme?.background || null };
    const error = h('div', { class: 'form-error', id: 'theme-error', role: 'alert', hidden: true });
    const name = h('input', { id: 'theme-name', name: 'name', maxlength: NAME_MAX, value: draft.name, placeholder: t('themes.name_placeholder') });
    const pickers = {};
    const tokenFields = COLOR_TOKENS.map((token) => {
      pickers[token] = h('input', { type: 'color', name: token, id: `theme-color-${token}`, value: colors[token] });
      return h('label', { class: 'theme-token' }, pickers[token], h('span', { text: t(`themes.token_${token}`) }));
    });
    const kind = isColor(draft.background) ? 'color' : draft.background ? 'image' : 'none';
    const bgKind = h(
      'select',
      { id: 'theme-background-kind' },
      ['none', 'color', 'image'].map((k) => h('option', { value: k, text: t(`themes.background_${k}`), selected: k === kind })),
    );
    const bgColor = h('input', { type: 'color', id: 'theme-background-color', value: isColor(draft.background) ? draft.background : colors.background });
    const bgFile = h('input', { type: 'file', id: 'theme-background-file', accept: 'image/png,image/jpeg,image/webp,image/gif' });
    const bgStatus = h('small', { class: 'hint', id: 'theme-background-status' });
    let imageId = kind === 'image' ? draft.background : null;
    let imageUrl = imageId ? images.get(imageId) || null : null;
    if (imageId && !imageUrl && theme?.background_url) {
      loadImage({ id: imageId, url: theme.background_url }).then(() => {
        imageUrl = images.get(imageId) || null;
        update();
      });
    }
    const shown = preview();

    function background() {
      if (bgKind.value === 'color') return bgColor.value;
      if (bgKind.value === 'image') return imageId;
      return null;
    }

    /** The live preview: the draft's properties on the mock chat only. */
    function update() {
      for (const token of COLOR_TOKENS) draft.colors[token] = pickers[token].value;
      draft.background = background();
      bgColor.hidden = bgKind.value !== 'color';
      bgFile.hidden = bgKind.value !== 'image';
      bgStatus.hidden = bgKind.value !== 'image';
      bgStatus.textContent = imageId ? '' : t('themes.background_pick');
      shown.dataset.theme = baseScheme(draft.colors, prefersDark());
      const props = themeProperties({ colors: draft.colors, background: draft.background });
      for (const prop of THEME_PROPERTIES) shown.style.removeProperty(prop);
      for (const [prop, value] of Object.entries(props)) shown.style.setProperty(prop, value);
      if (bgKind.value === 'image' && imageUrl) shown.style.setProperty('--chat-bg-image', `url("${imageUrl}")`);
    }

    function showError(text, field = null) {
      error.textContent = text || '';
      error.hidden = !text;
      name.classList.toggle('invalid', field === 'name');
    }

    bgFile.addEventListener('change', async () => {
      const file = bgFile.files?.[0];
      if (!file) return;
      showError('');
      bgStatus.textContent = t('themes.background_uploading');
      try {
        const stored = await app.api.upload(file);
        if (!String(stored.content_type || '').startsWith('image/')) throw new Error(t('themes.background_not_image'));
        imageId = stored.id;
        imageUrl = URL.createObjectURL(file);
        images.set(stored.id, imageUrl);
      } catch (err) {
        showError(err instanceof Error && !err.code ? err.message : app.format.error(err));
      }
      update();
    });

    async function save(andChoose) {
      const body = { name: name.value.trim(), colors: { ...draft.colors }, background: background() };
      if (!body.name) {
        showError(t('themes.name_required'), 'name');
        return;
      }
      if (bgKind.value === 'image' && !imageId) {
        showError(t('themes.background_pick'));
        return;
      }
      showError('');
      for (const b of buttons) b.disabled = true;
      try {
        const saved = theme
          ? await app.api.request('PUT', `/users/me/themes/${encodeURIComponent(theme.id)}`, { body })
          : await app.api.request('POST', '/users/me/themes', { body });
        const store = app.store;
        if (store) {
          const others = store.themes.filter((x) => x.id !== saved.id);
          store.setSettings(store.settings, theme ? store.themes.map((x) => (x.id === saved.id ? saved : x)) : [...others, saved]);
        }
        if (andChoose) await saveSettings({ theme_id: saved.id });
        showList();
      } catch (err) {
        showError(app.format.error(err), err?.body?.field === 'name' ? 'name' : null);
      } finally {
        for (const b of buttons) b.disabled = false;
      }
    }

    const buttons = [
      h('button', { type: 'button', class: 'btn', id: 'theme-cancel', text: t('common.cancel'), onclick: () => showList() }),
      h('button', { type: 'button', class: 'btn', id: 'theme-save', text: t('themes.save'), onclick: () => save(false) }),
      h('button', { type: 'button', class: 'btn primary', id: 'theme-save-apply', text: t('themes.save_and_use'), onclick: () => save(true) }),
    ];
    const form = h(
      'form',
      { class: 'modal-body theme-form', id: 'theme-form', novalidate: true, oninput: update, onchange: update, onsubmit: (e) => e.preventDefault() },
      h('label', { class: 'field' }, h('span', { text: t('themes.name') }), name),
      h(
        'div',
        { class: 'theme-form-grid' },
        h(
          'div',
          { class: 'theme-tokens' },
          tokenFields,
          h('label', { class: 'field theme-background' }, h('span', { text: t('themes.background') }), bgKind, bgColor, bgFile, bgStatus),
        ),
        shown,
      ),
      error,
      h('div', { class: 'modal-actions' }, buttons),
    );
    dialog = { mode: 'edit', close: openModal(app, theme ? t('themes.edit_title') : t('themes.new_title'), form, { onClose: () => (dialog = null) }) };
    form.closest('.modal')?.classList.add('wide');
    update();
    name.focus();
  }

  globalThis.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', apply);

  return { open: showList, render, load, apply, choose, chooseLanguage, current };
}
