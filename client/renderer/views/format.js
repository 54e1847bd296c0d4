// Dates, sizes and message previews in the user's language.

import { ApiError } from '../lib/api.js';
import { ErrorCode } from '../lib/errorcodes.js';
import { plainOf } from '../lib/markdown.js';
import { tombstoneKey } from '../lib/tombstone.js';

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Formatting bound to one I18n; Intl formatters are built once per language and options. */
export function createFormat(i18n) {
  const t = (key, params) => i18n.t(key, params);
  const formatters = new Map();
  const dateFormat = (options) => {
    const key = `${i18n.lang}|${JSON.stringify(options)}`;
    let f = formatters.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat(i18n.lang, options);
      formatters.set(key, f);
    }
    return f;
  };

  // listTime's answers, for one day in one language (bounded: the oldest are dropped).
  const listTimes = {
    day: null,
    map: new Map(),
    clear(day) {
      this.day = day;
      this.map.clear();
    },
    get(iso) {
      return this.map.get(iso);
    },
    set(iso, text) {
      this.map.set(iso, text);
      if (this.map.size > 5000) this.map.delete(this.map.keys().next().value);
    },
  };

  const time = (iso) => (iso ? dateFormat({ hour: '2-digit', minute: '2-digit' }).format(new Date(iso)) : '');

  return {
    time,

    listTime(iso) {
      if (!iso) return '';
      const now = new Date();
      // The chat list asks for every row it draws: the text is kept for the day and language.
      const day = `${i18n.lang}|${now.toDateString()}`;
      if (listTimes.day !== day) listTimes.clear(day);
      const known = listTimes.get(iso);
      if (known !== undefined) return known;
      const d = new Date(iso);
      let text;
      if (sameDay(d, now)) text = time(iso);
      else if ((now - d) / 86400000 < 6) text = dateFormat({ weekday: 'short' }).format(d);
      else text = dateFormat({ day: 'numeric', month: 'short' }).format(d);
      listTimes.set(iso, text);
      return text;
    },

    day(iso) {
      const d = new Date(iso);
      const now = new Date();
      const yesterday = new Date(now.getTime() - 86400000);
      if (sameDay(d, now)) return t('time.today');
      if (sameDay(d, yesterday)) return t('time.yesterday');
      return dateFormat({
        day: 'numeric',
        month: 'long',
        year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
      }).format(d);
    },

    /** A birthdate (an ISO date without time), as written, whatever the time zone. */
    birthdate(isoDate) {
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate || '');
      if (!m) return '';
      return dateFormat({ dateStyle: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])));
    },

    longDate(iso) {
      return dateFormat({ dateStyle: 'long' }).format(new Date(iso));
    },

    lastSeen(iso) {
      if (!iso) return t('presence.offline');
      const d = new Date(iso);
      const mins = Math.round((Date.now() - d.getTime()) / 60000);
      if (mins < 1) return t('presence.just_now');
      if (mins < 60) return t('presence.minutes_ago', { count: mins });
      if (sameDay(d, new Date())) return t('presence.today_at', { time: time(iso) });
      return t('presence.last_seen_on', {
        date: dateFormat({ day: 'numeric', month: 'short' }).format(d),
        time: time(iso),
      });
    },

    size(bytes) {
      const units = ['units.b', 'units.kb', 'units.mb', 'units.gb'];
      let n = bytes;
      let i = 0;
      while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i += 1;
      }
      return `${n.toFixed(i === 0 ? 0 : 1)} ${t(units[i])}`;
    },

    preview(m) {
      if (!m) return '';
      if (m.deleted) return t(tombstoneKey(m));
      if (m.text) return plainOf(m.text).replace(/\s+/g, ' ');
      if (m.attachments?.length) return `📎 ${m.attachments[0].name}`;
      return '';
    },

    /** What to tell the user about a failed request. */
    error(err) {
      if (err instanceof ApiError) {
        if (err.isNetwork) return t('errors.network_error');
        if (err.code === ErrorCode.VALIDATION_ERROR && err.body?.field && i18n.has(`errors.fields.${err.body.field}`)) {
          return t(`errors.fields.${err.body.field}`);
        }
        return i18n.error(err.code, err.detail);
      }
      return t('errors.unknown');
    },
  };
}
