// Client-side checks that mirror the server's rules, so most mistakes are explained before
// a request is made. The server stays the authority: its error codes are shown too.

export const USERNAME_RE = /^[a-z0-9](?:[a-z0-9_.]{1,30})[a-z0-9]$/;
const EMAIL_RE = /^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** The first problem of a registration form as {field, key}, or null. */
export function validateRegistration({ username = '', password = '', password2 = '', email = '', display_name = '' }) {
  const name = username.trim().toLowerCase();
  if (!name) return { field: 'username', key: 'username_required' };
  if (!USERNAME_RE.test(name)) return { field: 'username', key: 'username_format' };
  if (display_name.trim().length > 100) return { field: 'display_name', key: 'display_name_long' };
  if (email.trim() && !EMAIL_RE.test(email.trim())) return { field: 'email', key: 'email_format' };
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) return { field: 'password', key: 'password_length' };
  if (password !== password2) return { field: 'password2', key: 'password_mismatch' };
  return null;
}

/** The first problem of a login form as {field, key}, or null. */
export function validateLogin({ login = '', password = '' }) {
  if (!login.trim()) return { field: 'login', key: 'login_required' };
  if (!password) return { field: 'password', key: 'password_required' };
  return null;
}

/** The first problem of a password change form as {field, key}, or null. Whether the new
 * password is one of the most common is the server's to say (password_too_common). */
export function validatePasswordChange({ current_password = '', new_password = '', new_password2 = '' }) {
  if (!current_password) return { field: 'current_password', key: 'current_password_required' };
  if (new_password.length < PASSWORD_MIN || new_password.length > PASSWORD_MAX) {
    return { field: 'new_password', key: 'password_length' };
  }
  if (new_password !== new_password2) return { field: 'new_password2', key: 'password_mismatch' };
  return null;
}

/** The first problem of the "set a new password" form of a reset link, as {field, key}, or null. */
export function validatePasswordReset({ new_password = '', new_password2 = '' }) {
  if (new_password.length < PASSWORD_MIN || new_password.length > PASSWORD_MAX) {
    return { field: 'new_password', key: 'password_length' };
  }
  if (new_password !== new_password2) return { field: 'new_password2', key: 'password_mismatch' };
  return null;
}

/**
 * The invite token in what was typed or pasted into the invite field: the token itself, or
 * the whole invite link (`…/?invite=TOKEN`). Empty when there is none.
 */
export function inviteTokenOf(value = '') {
  const text = value.trim();
  if (!text) return '';
  if (/^https?:\/\//i.test(text) || text.includes('invite=')) {
    try {
      return new URL(text, 'http://x/').searchParams.get('invite')?.trim() || '';
    } catch {
      return '';
    }
  }
  return text;
}

/** Whether a message may have this text: some text, or none if it carries attachments (a
 * file sent, or left, without a caption). The server's rule; the composer and edit follow it. */
export function messageTextAllowed(text = '', attachmentCount = 0) {
  return Boolean(text.trim()) || attachmentCount > 0;
}

// --- the message length limit (issue 17, messages look and feel) ---------------------------

/**
 * The server's limit of a message's text (domain/model.py DEFAULT_MESSAGE_MAX, the default of
 * Limits.max_message_length). The server publishes it nowhere a client can read (no setting
 * sets it either), so it is repeated here; lengthState takes another `max` once it does.
 */
export const MESSAGE_MAX = 5000;
/** How close to the limit the composer starts counting. */
export const COUNTER_FROM = MESSAGE_MAX - 500;

/** A text's length as the server counts it: code points of the trimmed text. */
export function messageLength(text = '') {
  const trimmed = text.trim();
  // Most texts have no surrogate pairs: their length is already the count.
  return /[\uD800-\uDBFF]/.test(trimmed) ? [...trimmed].length : trimmed.length;
}

/** What the composer shows about a text's length: {length, left, counted, over}. */
export function lengthState(text = '', max = MESSAGE_MAX, from = max - (MESSAGE_MAX - COUNTER_FROM)) {
  const length = messageLength(text);
  return { length, left: max - length, counted: length >= from, over: length > max };
}
