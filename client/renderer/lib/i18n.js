// Every visible string comes from a locale JSON (locales/<lang>.json). Keys are dotted
// paths; values may hold {placeholders} and plural forms {"one", "few", "many", "other"}
// chosen with Intl.PluralRules for the `count` parameter.

export const LANGUAGES = ['ru', 'en'];
export const DEFAULT_LANGUAGE = 'ru';

export class I18n {
  constructor({ load, lang = DEFAULT_LANGUAGE, fallback = 'en' }) {
    this.load = load; // async (lang) -> messages object
    this.lang = lang;
    this.fallback = fallback;
    this.messages = {};
    this.fallbackMessages = {};
  }

  async use(lang) {
    const chosen = LANGUAGES.includes(lang) ? lang : DEFAULT_LANGUAGE;
    const [messages, fallbackMessages] = await Promise.all([
      this.load(chosen),
      chosen === this.fallback ? null : this.load(this.fallback).catch(() => ({})),
    ]);
    this.lang = chosen;
    this.messages = messages;
    this.fallbackMessages = fallbackMessages || messages;
    return chosen;
  }

  has(key) {
    return lookup(this.messages, key) !== undefined || lookup(this.fallbackMessages, key) !== undefined;
  }

  /** The translation of `key` with parameters filled in; the key itself when missing. */
  t(key, params = {}) {
    let value = lookup(this.messages, key);
    if (value === undefined) value = lookup(this.fallbackMessages, key);
    if (value === undefined) return key;
    if (typeof value === 'object') {
      const n = Number(params.count ?? 0);
      // One PluralRules per language: making one is far dearer than asking it, and the chat
      // list asks for each row it draws (issue 17).
      if (this._pluralLang !== this.lang) {
        this._plural = new Intl.PluralRules(this.lang);
        this._pluralLang = this.lang;
      }
      const form = this._plural.select(n);
      value = value[form] ?? value.other ?? '';
    }
    return String(value).replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  }

  /** A localised text for a server error code (problem+json `code`). */
  error(code, fallbackDetail = '') {
    const key = `errors.${code}`;
    if (this.has(key)) return this.t(key);
    return fallbackDetail ? `${this.t('errors.unknown')} (${fallbackDetail})` : this.t('errors.unknown');
  }

  /** Fills elements marked with data-i18n / data-i18n-placeholder / data-i18n-title. */
  apply(root) {
    for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = this.t(el.dataset.i18n);
    for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
      el.setAttribute('placeholder', this.t(el.dataset.i18nPlaceholder));
    }
    for (const el of root.querySelectorAll('[data-i18n-title]')) {
      const text = this.t(el.dataset.i18nTitle);
      el.setAttribute('title', text);
      el.setAttribute('aria-label', text);
    }
  }
}

function lookup(obj, key) {
  let cur = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}
