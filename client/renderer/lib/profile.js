// My profile form's rules: what changed (PATCH /users/me sends only that, so a field this
// server does not know yet is never sent unasked), and the first problem to explain.

import { USERNAME_RE } from './validate.js';

export const DISPLAY_NAME_MAX = 100;
export const BIO_MAX = 5000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The form's values, tidied: trimmed names, the username in lower case, '' dates as null. */
export function profileValues({ display_name = '', username = '', bio = '', birthdate = '' }) {
  return {
    display_name: display_name.trim(),
    username: username.trim().toLowerCase(),
    bio: bio.trim(),
    birthdate: birthdate ? birthdate : null,
  };
}

/** The first problem of the form as {field, key} (a `validation.` locale key), or null. */
export function validateProfile(values, today = new Date()) {
  const v = profileValues(values);
  if (!v.username) return { field: 'username', key: 'username_required' };
  if (!USERNAME_RE.test(v.username)) return { field: 'username', key: 'username_format' };
  if (v.display_name.length > DISPLAY_NAME_MAX) return { field: 'display_name', key: 'display_name_long' };
  if (v.bio.length > BIO_MAX) return { field: 'bio', key: 'bio_long' };
  if (v.birthdate !== null) {
    const d = DATE_RE.test(v.birthdate) ? new Date(`${v.birthdate}T00:00:00Z`) : null;
    if (!d || Number.isNaN(d.getTime()) || d.getTime() > today.getTime() || d.getUTCFullYear() < 1900) {
      return { field: 'birthdate', key: 'birthdate_invalid' };
    }
  }
  return null;
}

/** The PATCH body: the fields whose value differs from `me` (empty when nothing changed). */
export function profileChanges(me, values) {
  const v = profileValues(values);
  const patch = {};
  if (v.display_name !== (me.display_name || '')) patch.display_name = v.display_name;
  if (v.username !== (me.username || '')) patch.username = v.username;
  if (v.bio !== (me.bio || '')) patch.bio = v.bio;
  if (v.birthdate !== (me.birthdate || null)) patch.birthdate = v.birthdate;
  return patch;
}
