// The admin console's data (issue 16), apart from any DOM so that Node tests drive it with
// a fake API: one paged list per section (users, invites, reports, audit) with its filter,
// the server settings, the live figures, and the actions on them. Views (views/admin/*)
// draw from it and call its actions; it tells them what changed through subscribe().

import { ApiError } from './api.js';
import { ErrorCode } from './errorcodes.js';

export const SECTIONS = Object.freeze(['users', 'invites', 'reports', 'audit', 'settings', 'stats']);
export const REGISTRATION_MODES = Object.freeze(['open', 'invite', 'closed']);
export const USER_STATUSES = Object.freeze(['active', 'deactivated', 'deleted', 'admin']);
export const REPORT_STATUSES = Object.freeze(['open', 'resolved']);
export const REPORT_ACTIONS = Object.freeze(['dismiss', 'delete_message', 'deactivate_user']);
// domain/audit.py AuditAction, in its order.
export const AUDIT_ACTIONS = Object.freeze([
  'user_deactivated',
  'user_reactivated',
  'password_reset_issued',
  'admin_granted',
  'admin_revoked',
  'invite_created',
  'invite_revoked',
  'settings_changed',
  'report_resolved',
  'message_removed',
  'user_registered',
  'login',
  'login_failed',
  'session_revoked',
  'password_changed',
  'password_reset_used',
]);
const DAY = 24 * 60 * 60;
// Invite lifetimes offered, in seconds; the server allows at most 90 days.
export const INVITE_EXPIRY = Object.freeze([DAY, 7 * DAY, 30 * DAY, 90 * DAY]);
export const INVITE_DEFAULT_EXPIRY = 7 * DAY;
// Uses offered per invite; null: unlimited.
export const INVITE_USES = Object.freeze([1, 5, 10, 50, null]);
export const PAGE_SIZE = 50;
export const STATS_EVERY_MS = 5000;

/** True when an answer says the caller is not an administrator (or not signed in). */
export function isDenied(err) {
  if (!(err instanceof ApiError)) return false;
  return err.status === 401 || (err.status === 403 && err.code === ErrorCode.FORBIDDEN);
}

/**
 * One paged list of the API (`{items, has_more, next_cursor}`) under a filter. load()
 * reads the first page, more() the next; an answer to a request made before the filter
 * last changed is dropped, so typing a search fast never shows an older query's result.
 */
export class PagedList {
  constructor(fetchPage, { filter = {}, limit = PAGE_SIZE, onChange = () => {}, onDenied = () => {} } = {}) {
    this.fetchPage = fetchPage;
    this.filter = { ...filter };
    this.limit = limit;
    this.onChange = onChange;
    this.onDenied = onDenied;
    this.items = [];
    this.hasMore = false;
    this.cursor = null;
    this.loading = false;
    this.loaded = false;
    this.error = null;
    this._seq = 0;
  }

  /** Changes the filter (fields given replace, others stay) and reads the first page again. */
  setFilter(patch) {
    this.filter = { ...this.filter, ...patch };
    return this.load();
  }

  /** Reads the first page under the current filter, replacing what is shown. */
  load() {
    return this._read(null);
  }

  /** Reads the next page and appends it (nothing when there is none, or one is on its way). */
  more() {
    if (!this.hasMore || this.loading) return Promise.resolve();
    return this._read(this.cursor);
  }

  async _read(cursor) {
    this._seq += 1;
    const seq = this._seq;
    this.loading = true;
    this.error = null;
    this.onChange();
    try {
      const page = await this.fetchPage({ ...this.filter, cursor: cursor ?? undefined, limit: this.limit });
      if (seq !== this._seq) return;
      const items = page?.items || [];
      if (cursor === null) this.items = items;
      else {
        const seen = new Set(this.items.map((x) => x.id));
        this.items = [...this.items, ...items.filter((x) => !seen.has(x.id))];
      }
      const next = page?.next_cursor;
      this.hasMore = Boolean(page?.has_more && typeof next === 'string' && next && next !== cursor);
      this.cursor = this.hasMore ? next : null;
      this.loaded = true;
    } catch (err) {
      if (seq !== this._seq) return;
      this.error = err;
      if (isDenied(err)) this.onDenied(err);
    } finally {
      if (seq === this._seq) {
        this.loading = false;
        this.onChange();
      }
    }
  }

  /** Puts the server's newer copy of an item in its place. */
  replace(item) {
    this.items = this.items.map((x) => (x.id === item.id ? item : x));
    this.onChange();
  }

  prepend(item) {
    this.items = [item, ...this.items.filter((x) => x.id !== item.id)];
    this.onChange();
  }

  remove(id) {
    this.items = this.items.filter((x) => x.id !== id);
    this.onChange();
  }
}

/** The console's state and actions over the admin API (lib/api.js). */
export class AdminConsole {
  constructor({
    api,
    limit = PAGE_SIZE,
    // Wrapped: a browser's setTimeout called as a method of another object throws.
    setTimeout: setT = (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: clearT = (id) => globalThis.clearTimeout(id),
  } = {}) {
    this.api = api;
    this.timers = { setTimeout: setT, clearTimeout: clearT };
    this.listeners = new Set();
    // 'unknown' until /users/me answered; 'denied' for anyone not an administrator.
    this.access = 'unknown';
    this.me = null;
    const list = (section, fetchPage, filter) =>
      new PagedList(fetchPage, { filter, limit, onChange: () => this._emit(section), onDenied: () => this._deny() });
    this.users = list('users', (q) => api.adminUsers(q), { q: '', status: '' });
    this.invites = list('invites', (q) => api.adminInvites(q), {});
    this.reports = list('reports', (q) => api.adminReports(q), { status: 'open' });
    this.audit = list('audit', (q) => api.adminAudit(q), { actor: '', action: '' });
    this.settings = null;
    this.settingsError = null;
    this.stats = null;
    this.statsError = null;
    this.statsAt = null;
    this._statsTimer = null;
    this._statsGen = 0;
    this._watching = false;
  }

  /** `fn(section)` after each change; returns the function that stops it. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  _emit(section) {
    for (const fn of this.listeners) fn(section);
  }

  _deny() {
    if (this.access === 'denied') return;
    this.access = 'denied';
    this.stopStats();
    this._emit('access');
  }

  /** Asks the server who I am now (not the cached session): only an administrator gets in. */
  async checkAccess() {
    try {
      this.me = await this.api.me();
      this.access = this.me?.is_admin ? 'granted' : 'denied';
    } catch (err) {
      if (!isDenied(err)) throw err;
      this.access = 'denied';
    }
    this._emit('access');
    return this.access;
  }

  // --- users -----------------------------------------------------------------------------

  async _userAction(call) {
    try {
      const user = await call();
      if (user) this.users.replace(user);
      return user;
    } catch (err) {
      if (isDenied(err)) this._deny();
      throw err;
    }
  }

  deactivateUser(id) {
    return this._userAction(() => this.api.adminDeactivateUser(id));
  }

  reactivateUser(id) {
    return this._userAction(() => this.api.adminReactivateUser(id));
  }

  setAdmin(id, isAdmin) {
    return this._userAction(() => this.api.adminSetAdmin(id, isAdmin));
  }

  /** A one-time password-reset link for the user: `{token, url, expires_at}`. */
  resetPassword(id) {
    return this._guard(() => this.api.adminPasswordReset(id));
  }

  async _guard(call) {
    try {
      return await call();
    } catch (err) {
      if (isDenied(err)) this._deny();
      throw err;
    }
  }

  // --- invites ---------------------------------------------------------------------------

  /** Creates an invite; the answer (with its `url`, shown only now) heads the list. */
  async createInvite({ email = '', expires_in = INVITE_DEFAULT_EXPIRY, uses = 1 } = {}) {
    const invite = await this._guard(() => this.api.adminCreateInvite({ email: email.trim() || undefined, expires_in, uses }));
    const { token: _token, url: _url, ...listed } = invite;
    this.invites.prepend(listed);
    return invite;
  }

  async revokeInvite(id) {
    await this._guard(() => this.api.adminRevokeInvite(id));
    const invite = this.invites.items.find((x) => x.id === id);
    if (invite) this.invites.replace({ ...invite, revoked: true, active: false });
  }

  // --- reports ---------------------------------------------------------------------------

  /** Resolves a report; under the "open" filter it leaves the list. */
  async resolveReport(id, action) {
    const report = await this._guard(() => this.api.adminResolveReport(id, action));
    if (this.reports.filter.status === 'open') this.reports.remove(id);
    else this.reports.replace(report);
    return report;
  }

  // --- settings --------------------------------------------------------------------------

  async loadSettings() {
    try {
      this.settings = await this.api.adminSettings();
      this.settingsError = null;
    } catch (err) {
      this.settingsError = err;
      if (isDenied(err)) this._deny();
    }
    this._emit('settings');
  }

  async setRegistration(mode) {
    if (!REGISTRATION_MODES.includes(mode)) throw new RangeError(`registration mode ${mode}`);
    this.settings = await this._guard(() => this.api.adminChangeSettings({ registration: mode }));
    this.settingsError = null;
    this._emit('settings');
    return this.settings;
  }

  // --- live figures ----------------------------------------------------------------------

  async refreshStats() {
    try {
      this.stats = await this.api.adminStats();
      this.statsError = null;
      this.statsAt = Date.now();
    } catch (err) {
      this.statsError = err;
      if (isDenied(err)) this._deny();
    }
    this._emit('stats');
  }

  /** Reads the figures now and every `every` ms until stopStats() (one timer at most). */
  watchStats(every = STATS_EVERY_MS) {
    this.stopStats();
    // A read still on its way when the watch stopped (or restarted) must not schedule more.
    const generation = this._statsGen;
    this._watching = true;
    const tick = async () => {
      await this.refreshStats();
      if (generation !== this._statsGen || this.access === 'denied') return;
      this._statsTimer = this.timers.setTimeout(tick, every);
    };
    return tick();
  }

  get watchingStats() {
    return this._watching;
  }

  stopStats() {
    this._statsGen += 1;
    this._watching = false;
    if (this._statsTimer !== null) this.timers.clearTimeout(this._statsTimer);
    this._statsTimer = null;
  }
}
