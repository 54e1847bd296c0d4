// Themes as the page shows them: which palette is active (a built-in one or one of the
// user's themes from GET /users/me/themes and `settings_updated`), and the CSS custom
// properties of styles.css that a theme's colour tokens set. No DOM access except in
// applyTheme(), so the rules can be tested under Node.

export const COLOR_TOKENS = Object.freeze([
  'background',
  'surface',
  'text',
  'text_muted',
  'border',
  'accent',
  'bubble_in',
  'bubble_in_text',
  'bubble_out',
  'bubble_out_text',
  'danger',
]);
export const BUILT_IN_THEMES = Object.freeze(['system', 'light', 'dark']);

// What normal text needs (WCAG AA), and the two inks a derived text colour is chosen from.
export const MIN_CONTRAST = 4.5;
const DARK_INK = '#1b1f2a';
const LIGHT_INK = '#ffffff';

// Token -> the properties of styles.css it drives. Properties that styles.css derives from
// others in its palettes (the second panel colour, the soft accent) are derived here too,
// so that a theme setting the base colour does not leave them in the built-in palette.
const TOKEN_PROPERTIES = Object.freeze({
  background: (c) => ({ '--bg': c }),
  surface: (c) => ({ '--panel': c, '--panel-2': `color-mix(in srgb, ${c} 93%, var(--text))` }),
  text: (c) => ({ '--text': c }),
  text_muted: (c) => ({ '--muted': c }),
  border: (c) => ({ '--border': c }),
  // The text on accent fills (buttons, badges) is derived too, readable on that accent.
  accent: (c) => ({ '--accent': c, '--accent-2': c, '--accent-soft': `color-mix(in srgb, ${c} 14%, transparent)`, '--on-accent': readableOn(c) }),
  bubble_in: (c) => ({ '--bubble-in': c }),
  bubble_in_text: (c) => ({ '--bubble-in-text': c }),
  bubble_out: (c) => ({ '--bubble-out': c }),
  bubble_out_text: (c) => ({ '--bubble-out-text': c }),
  danger: (c) => ({ '--danger': c }),
});
// Every property a theme may set, so that switching themes removes the previous one's.
export const THEME_PROPERTIES = Object.freeze([
  ...new Set([
    ...Object.values(TOKEN_PROPERTIES).flatMap((f) => Object.keys(f('#000000'))),
    '--chat-bg',
    '--chat-bg-image',
  ]),
]);

const COLOR = /^#[0-9a-f]{6}$/i;

export function isColor(value) {
  return typeof value === 'string' && COLOR.test(value);
}

/** Relative luminance (0 black .. 1 white) of a #rrggbb colour. */
export function luminance(color) {
  const channel = (i) => {
    const v = parseInt(color.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** The WCAG contrast ratio of two #rrggbb colours (1 .. 21). */
export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * A text colour readable on `ground`: `preferred` when it holds MIN_CONTRAST there, else the
 * dark or the light ink, whichever stands out more; on a mid grey where neither does, black
 * (black or white always reaches 4.58:1 at least).
 */
export function readableOn(ground, preferred = null) {
  if (isColor(preferred) && contrastRatio(preferred, ground) >= MIN_CONTRAST) return preferred.toLowerCase();
  const ink = contrastRatio(DARK_INK, ground) >= contrastRatio(LIGHT_INK, ground) ? DARK_INK : LIGHT_INK;
  if (contrastRatio(ink, ground) >= MIN_CONTRAST) return ink;
  return contrastRatio('#000000', ground) >= contrastRatio(LIGHT_INK, ground) ? '#000000' : LIGHT_INK;
}

/**
 * The built-in palette a user's theme is drawn over (tokens it leaves out come from it):
 * dark when its window or panel colour is dark, else the device's preference.
 */
export function baseScheme(colors, prefersDark) {
  const ground = [colors?.background, colors?.surface].find(isColor);
  if (ground) return luminance(ground) < 0.35 ? 'dark' : 'light';
  return prefersDark ? 'dark' : 'light';
}

/** The CSS custom properties a theme's colours and background set. */
export function themeProperties(theme) {
  const props = {};
  for (const token of COLOR_TOKENS) {
    const value = theme?.colors?.[token];
    if (isColor(value)) Object.assign(props, TOKEN_PROPERTIES[token](value.toLowerCase()));
  }
  if (isColor(theme?.background)) props['--chat-bg'] = theme.background.toLowerCase();
  // A bubble colour without its text colour would keep the palette's text, which may not be
  // readable on it (a light bubble in a dark theme): the theme's text if it reads there, else
  // a readable ink. A text colour the user chose is theirs and is kept.
  const colors = theme?.colors || {};
  for (const [ground, ink, prop] of [
    ['bubble_in', 'bubble_in_text', '--bubble-in-text'],
    ['bubble_out', 'bubble_out_text', '--bubble-out-text'],
  ]) {
    if (isColor(colors[ground]) && !isColor(colors[ink])) props[prop] = readableOn(colors[ground], colors.text);
  }
  return props;
}

/**
 * What the page should look like for these settings: `scheme` ('light' | 'dark', the
 * palette of styles.css), the `properties` to set over it, and the background image to
 * load (`image`: {id, url}) if the theme has one. A theme id the list does not hold (it was
 * deleted, or the list is not loaded yet) shows the system theme.
 */
export function resolveTheme(settings, themes, prefersDark) {
  const id = settings?.theme_id || 'system';
  if (id === 'light' || id === 'dark') return { id, scheme: id, properties: {}, image: null };
  const theme = id === 'system' ? null : (themes || []).find((x) => x.id === id);
  if (!theme) return { id: 'system', scheme: prefersDark ? 'dark' : 'light', properties: {}, image: null };
  const image = theme.background && !isColor(theme.background) && theme.background_url ? { id: theme.background, url: theme.background_url } : null;
  return { id, scheme: baseScheme(theme.colors, prefersDark), properties: themeProperties(theme), image };
}

/**
 * Shows `resolved` on `root` (document.documentElement): its palette and properties,
 * dropping those of the theme before; `imageUrl` is the background image's loaded URL.
 * Through the CSSOM, which the page's content security policy allows (no style attributes).
 */
export function applyTheme(root, resolved, imageUrl = null) {
  root.dataset.theme = resolved.scheme;
  for (const name of THEME_PROPERTIES) root.style.removeProperty(name);
  for (const [name, value] of Object.entries(resolved.properties)) root.style.setProperty(name, value);
  if (imageUrl) root.style.setProperty('--chat-bg-image', `url("${imageUrl}")`);
}

/** The language to show for a `language` setting ('system' follows the device). */
export function resolveLanguage(setting, deviceLanguage) {
  return setting === 'ru' || setting === 'en' ? setting : deviceLanguage;
}
