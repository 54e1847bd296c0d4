// Theme application: which palette and CSS properties a choice shows, and that switching
// themes leaves nothing of the previous one behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  COLOR_TOKENS,
  THEME_PROPERTIES,
  applyTheme,
  MIN_CONTRAST,
  baseScheme,
  contrastRatio,
  readableOn,
  resolveLanguage,
  resolveTheme,
  themeProperties,
} from '../renderer/lib/theme.js';
import { Store } from '../renderer/lib/store.js';

const root = new URL('../', import.meta.url);
const read = (p) => readFileSync(new URL(p, root), 'utf8');

const NIGHT = {
  id: 'night',
  name: 'Night',
  colors: { background: '#101820', surface: '#1B2733', text: '#f2f2f2', accent: '#ff8800', bubble_out: '#335577' },
  background: '#000000',
  background_url: null,
};
const SKY = { id: 'sky', name: 'Sky', colors: { background: '#e0f0ff' }, background: 'file1', background_url: '/api/v1/files/file1' };

/** Just what applyTheme touches of document.documentElement. */
function fakeRoot() {
  const props = new Map();
  return {
    dataset: {},
    props,
    style: {
      setProperty: (name, value) => props.set(name, value),
      removeProperty: (name) => props.delete(name),
    },
  };
}

test('built-in themes pick the palette of styles.css and set nothing over it', () => {
  assert.deepEqual(resolveTheme({ theme_id: 'dark' }, [NIGHT], false), { id: 'dark', scheme: 'dark', properties: {}, image: null });
  assert.equal(resolveTheme({ theme_id: 'light' }, [], true).scheme, 'light');
  assert.equal(resolveTheme({ theme_id: 'system' }, [], true).scheme, 'dark');
  assert.equal(resolveTheme({ theme_id: 'system' }, [], false).scheme, 'light');
  assert.equal(resolveTheme(null, [], false).id, 'system');
});

test("a user's theme sets the properties its tokens drive, lower-cased, over the palette its ground suggests", () => {
  const shown = resolveTheme({ theme_id: 'night' }, [SKY, NIGHT], false);

  assert.equal(shown.scheme, 'dark', 'a dark window colour draws over the dark palette');
  assert.equal(shown.properties['--bg'], '#101820');
  assert.equal(shown.properties['--panel'], '#1b2733');
  assert.match(shown.properties['--panel-2'], /color-mix\(in srgb, #1b2733/);
  assert.equal(shown.properties['--accent'], '#ff8800');
  assert.match(shown.properties['--accent-soft'], /#ff8800 14%/);
  assert.equal(shown.properties['--bubble-out'], '#335577');
  assert.equal(shown.properties['--chat-bg'], '#000000');
  assert.equal(shown.properties['--muted'], undefined, 'a token left out keeps the palette colour');
  assert.equal(shown.image, null);
});

test('an image background is loaded from its URL; a colour background is a property', () => {
  const shown = resolveTheme({ theme_id: 'sky' }, [SKY], true);

  assert.equal(shown.scheme, 'light');
  assert.deepEqual(shown.image, { id: 'file1', url: '/api/v1/files/file1' });
  assert.equal(shown.properties['--chat-bg'], undefined);
});

test('a theme that is gone (deleted elsewhere, or not loaded yet) shows the system theme', () => {
  assert.deepEqual(resolveTheme({ theme_id: 'deleted' }, [NIGHT], true), { id: 'system', scheme: 'dark', properties: {}, image: null });
});

test('values that are not #rrggbb colours never reach the page', () => {
  const props = themeProperties({ colors: { text: 'red; background: url(x)', accent: '#12345', border: '#abcdef' }, background: 'javascript:1' });

  assert.deepEqual(props, { '--border': '#abcdef' });
});

test('every token drives a property, and every property is one applyTheme clears', () => {
  const all = themeProperties({ colors: Object.fromEntries(COLOR_TOKENS.map((x) => [x, '#123456'])), background: '#654321' });

  assert.ok(Object.keys(all).length > COLOR_TOKENS.length);
  for (const name of Object.keys(all)) assert.ok(THEME_PROPERTIES.includes(name), name);
  assert.ok(THEME_PROPERTIES.includes('--chat-bg-image'));
});

test("the properties styles.css reads are the ones a theme sets (a renamed variable fails here)", () => {
  const css = read('renderer/styles.css');
  for (const name of THEME_PROPERTIES) assert.ok(css.includes(`var(${name}`), `styles.css uses ${name}`);
});

test('applying a theme replaces the one before, image included', () => {
  const el = fakeRoot();
  applyTheme(el, resolveTheme({ theme_id: 'night' }, [NIGHT], false));
  assert.equal(el.dataset.theme, 'dark');
  assert.equal(el.props.get('--accent'), '#ff8800');

  applyTheme(el, resolveTheme({ theme_id: 'sky' }, [SKY], false), 'blob:abc');
  assert.equal(el.dataset.theme, 'light');
  assert.equal(el.props.get('--accent'), undefined, 'nothing of the previous theme is left');
  assert.equal(el.props.get('--bg'), '#e0f0ff');
  assert.equal(el.props.get('--chat-bg-image'), 'url("blob:abc")');

  applyTheme(el, resolveTheme({ theme_id: 'light' }, [], false));
  assert.equal(el.props.size, 0);
});

test('the base palette follows the ground colour, else the device', () => {
  assert.equal(baseScheme({ surface: '#ffffff' }, true), 'light');
  assert.equal(baseScheme({ background: '#000000' }, false), 'dark');
  assert.equal(baseScheme({ accent: '#000000' }, true), 'dark');
  assert.equal(baseScheme({}, false), 'light');
});

test("the language setting: ru or en as chosen, 'system' the device's own", () => {
  assert.equal(resolveLanguage('ru', 'en'), 'ru');
  assert.equal(resolveLanguage('en', 'ru'), 'en');
  assert.equal(resolveLanguage('system', 'en'), 'en');
  assert.equal(resolveLanguage(undefined, 'ru'), 'ru');
});

test('the store takes settings_updated whole, and tells the views', () => {
  const store = new Store();
  const changes = [];
  store.subscribe((what) => changes.push(what.kind));

  store.apply({ type: 'settings_updated', cursor: 5, data: { settings: { theme_id: 'night', language: 'ru' }, themes: [NIGHT] } });
  store.apply({ type: 'settings_updated', cursor: 6, data: { settings: { theme_id: 'system', language: 'ru' }, themes: [] } });

  assert.deepEqual(store.settings, { theme_id: 'system', language: 'ru' });
  assert.deepEqual(store.themes, []);
  assert.equal(store.settingsVersion, 2);
  assert.deepEqual(changes, ['settings', 'settings']);
});

test('every colour token and theme text exists in both languages', () => {
  for (const lang of ['ru', 'en']) {
    const themes = JSON.parse(read(`locales/${lang}.json`)).themes;
    for (const token of COLOR_TOKENS) assert.ok(themes[`token_${token}`], `${lang}: themes.token_${token}`);
    for (const kind of ['none', 'color', 'image']) assert.ok(themes[`background_${kind}`], `${lang}: themes.background_${kind}`);
  }
});

// Accessibility (issue 17): derived text colours are readable on what they are drawn on.
test('the contrast ratio follows WCAG: black on white is 21, a colour on itself 1', () => {
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#ffffff', '#000000'), 21);
  assert.equal(contrastRatio('#5b6cf9', '#5b6cf9'), 1);
  assert.equal(contrastRatio('#767676', '#ffffff').toFixed(2), '4.54');
});

test('a readable ink: the preferred colour when it holds 4.5:1, else dark or light, whichever stands out', () => {
  assert.equal(readableOn('#ffffff', '#333333'), '#333333');
  assert.equal(readableOn('#ffffff', '#aaaaaa'), '#1b1f2a', 'light grey on white is not readable');
  assert.equal(readableOn('#101820'), '#ffffff');
  assert.equal(readableOn('#ffdd00'), '#1b1f2a');
  // Over the whole range of greys (mid grey is the hardest ground) the bar is always reached.
  for (let v = 0; v <= 255; v += 1) {
    const grey = `#${v.toString(16).padStart(2, '0').repeat(3)}`;
    assert.ok(contrastRatio(readableOn(grey), grey) >= MIN_CONTRAST, grey);
  }
});

test("a theme's bubble without a text colour gets a readable one; a text colour the user chose is kept", () => {
  const light = themeProperties({ colors: { background: '#101820', text: '#f2f2f2', bubble_in: '#fafafa', bubble_out: '#223344' } });
  assert.equal(light['--bubble-in-text'], '#1b1f2a', "the theme's light text would vanish on a light bubble");
  assert.equal(light['--bubble-out-text'], '#f2f2f2', "the theme's text reads on the dark bubble");
  const chosen = themeProperties({ colors: { bubble_in: '#fafafa', bubble_in_text: '#eeeeee' } });
  assert.equal(chosen['--bubble-in-text'], '#eeeeee');
  assert.equal(themeProperties({ colors: { accent: '#ffdd00' } })['--on-accent'], '#1b1f2a', 'dark text on a yellow accent');
  assert.equal(themeProperties({ colors: { accent: '#1d3bb0' } })['--on-accent'], '#ffffff');
});
