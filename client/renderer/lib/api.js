// REST client for /api/v1. Everything it needs from the environment (fetch, storage,
// XMLHttpRequest, a cross-tab lock) is injected, so Node tests can drive it with fakes.

import { ErrorCode } from './errorcodes.js';

/** An error answer of the server (RFC 9457 problem details) or a network failure. */
export class ApiError extends Error {
  constructor(status, code, detail = '', body = null, retryAfter = null) {
    super(detail || code);
    this.name = 'ApiError';
    this.status = status; // 0 = no answer (offline, server down)
    this.code = code;
    this.detail = detail;
    this.body = body;
    this.retryAfter = retryAfter;
  }

  /** True when the request never got an answer and may succeed later. */
  get isNetwork() {
    return this.status === 0;
  }
}

const TOKENS_KEY = 'messenger.session';
// Chats per GET /chats page: the server's maximum, so a long list costs few round trips.
const CHAT_PAGE = 100;
// 100,000 chats at 100 a page: far beyond any real list.
const MAX_PAGES = 1000;

/** Keeps the signed-in session (tokens and user) in a localStorage-like storage. */
export class TokenStore {
  constructor(storage, key = TOKENS_KEY) {
    this.storage = storage;
    this.key = key;
  }

  get() {
    try {
      const raw = this.storage.getItem(this.key);
      return raw ? JSON.parse(raw) : null;
    } catch {
      return null;
    }
  }

  /** Saves the answer of register/login/refresh. */
  set(auth, now = Date.now()) {
    const previous = this.get();
    const session = {
      access_token: auth.access_token,
      refresh_token: auth.refresh_token,
      expires_at: now + (auth.expires_in || 900) * 1000,
      user: auth.user || previous?.user || null,
    };
    this.storage.setItem(this.key, JSON.stringify(session));
    return session;
  }

  setUser(user) {
    const s = this.get();
    if (s) this.storage.setItem(this.key, JSON.stringify({ ...s, user }));
  }

  clear() {
    this.storage.removeItem(this.key);
  }
}

// Several tabs share one refresh token, and presenting a rotated one revokes the whole
// session family, so refreshes are serialised across tabs with the Web Locks API.
function defaultLock() {
  const locks = globalThis.navigator?.locks;
  if (locks?.request) return (name, fn) => locks.request(name, fn);
  return (_name, fn) => fn();
}

function buildQuery(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function problemFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const retry = response.headers?.get?.('Retry-After');
  return new ApiError(
    response.status,
    body?.code || `http_${response.status}`,
    body?.detail || response.statusText || '',
    body,
    retry ? Number(retry) : null,
  );
}

/** The REST API of the server at `baseUrl` (e.g. "http://127.0.0.1:8000/api/v1"). */
export class ApiClient {
  constructor({
    baseUrl,
    tokens,
    fetch: fetchImpl = globalThis.fetch?.bind(globalThis),
    XMLHttpRequest: Xhr = globalThis.XMLHttpRequest,
    lock = defaultLock(),
    onLoggedOut = () => {},
    now = () => Date.now(),
  }) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.tokens = tokens;
    this.fetch = fetchImpl;
    this.Xhr = Xhr;
    this.lock = lock;
    this.onLoggedOut = onLoggedOut;
    this.now = now;
    this._refreshing = null;
  }

  /** Performs one request; a 401 on an authenticated call refreshes the token once and retries. */
  async request(method, path, { body, query, auth = true, retried = false } = {}) {
    const headers = { Accept: 'application/json, application/problem+json' };
    let token = null;
    if (auth) {
      token = await this.accessToken();
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await this.fetch(`${this.baseUrl}${path}${buildQuery(query)}`, {
        method,
        headers,
        body: payload,
      });
    } catch (err) {
      throw new ApiError(0, 'network_error', String(err?.message || err));
    }
    if (response.status === 401 && auth && !retried && this.tokens.get()?.refresh_token) {
      await this.refresh(token);
      return this.request(method, path, { body, query, auth, retried: true });
    }
    if (!response.ok) throw await problemFrom(response);
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken() {
    const s = this.tokens.get();
    if (!s) return null;
    if (s.expires_at && s.expires_at - this.now() < 30_000 && s.refresh_token) {
      try {
        await this.refresh(s.access_token);
      } catch (err) {
        if (!(err instanceof ApiError) || !err.isNetwork) throw err;
        // Offline: try with the old token; the server will say if it is too old.
      }
    }
    return this.tokens.get()?.access_token ?? null;
  }

  /**
   * Exchanges the refresh token for a new pair. `staleAccess` is the access token the
   * caller found wanting: if another tab or call already replaced it, nothing is done.
   * Only an explicit rejection of the refresh token logs the user out; a network error
   * keeps the session for later.
   */
  refresh(staleAccess = undefined) {
    if (!this._refreshing) {
      this._refreshing = this.lock('messenger-token-refresh', async () => {
        const s = this.tokens.get();
        if (!s?.refresh_token) throw new ApiError(401, ErrorCode.INVALID_TOKEN, 'Not signed in.');
        if (staleAccess !== undefined && s.access_token !== staleAccess && s.expires_at - this.now() > 30_000) {
          return s;
        }
        let answer;
        try {
          answer = await this.request('POST', '/auth/refresh', {
            body: { refresh_token: s.refresh_token },
            auth: false,
          });
        } catch (err) {
          if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
            this.tokens.clear();
            this.onLoggedOut(err);
          }
          throw err;
        }
        return this.tokens.set(answer, this.now());
      }).finally(() => {
        this._refreshing = null;
      });
    }
    return this._refreshing;
  }

  // --- accounts ------------------------------------------------------------------------

  async register({ username, password, email, display_name, invite_token }) {
    const body = { username, password, device_name: deviceName() };
    if (email) body.email = email;
    if (display_name) body.display_name = display_name;
    if (invite_token) body.invite_token = invite_token;
    const answer = await this.request('POST', '/auth/register', { body, auth: false });
    this.tokens.set(answer, this.now());
    return answer;
  }

  async login({ login, password }) {
    const answer = await this.request('POST', '/auth/login', {
      body: { login, password, device_name: deviceName() },
      auth: false,
    });
    this.tokens.set(answer, this.now());
    return answer;
  }

  async logout() {
    try {
      await this.request('POST', '/auth/logout');
    } finally {
      this.tokens.clear();
    }
  }

  /** Changes the password (204); the server ends every other session, this one stays. */
  changePassword({ current_password, new_password }) {
    return this.request('POST', '/auth/password', { body: { current_password, new_password } });
  }

  me() {
    return this.request('GET', '/users/me');
  }

  /** Whether this server takes new accounts: `{mode: 'open'|'invite'|'closed'}` (issue 16). */
  registrationMode() {
    return this.request('GET', '/auth/registration', { auth: false });
  }

  /** Sets a new password with the one-time link an administrator gave (204). */
  resetPassword({ token, new_password }) {
    return this.request('POST', '/auth/password-reset', { body: { token, new_password }, auth: false });
  }

  updateMe(patch) {
    return this.request('PATCH', '/users/me', { body: patch });
  }

  /** The first page of search results is all the pickers show: `{items, has_more, next_cursor}`. */
  searchUsers(q, limit = 20, cursor = undefined) {
    return this.request('GET', '/users', { query: { q, limit, cursor } });
  }

  user(id) {
    return this.request('GET', `/users/${id}`);
  }

  // --- people: my profile, contacts, blocks, privacy, account (issue 14) ----------------

  /** Sends the cropped avatar picture (multipart field `file`); resolves to my account. */
  uploadAvatar(blob, name = 'avatar.png', onProgress = () => {}) {
    return this._postForm('/users/me/avatar', blob, name, onProgress);
  }

  removeAvatar() {
    return this.request('DELETE', '/users/me/avatar');
  }

  /** A page of the server's preset avatars: `{items: [{id, url}], has_more, next_cursor}`. */
  presetAvatars({ cursor } = {}) {
    return this.request('GET', '/avatars/list', { query: { cursor } });
  }

  setPresetAvatar(preset) {
    return this.request('PUT', '/users/me/preset-avatar', { body: { preset } });
  }

  /** A page of the server's avatar frames, as presetAvatars. */
  avatarFrames({ cursor } = {}) {
    return this.request('GET', '/avatar-frames/list', { query: { cursor } });
  }

  setAvatarFrame(frame) {
    return this.request('PUT', '/users/me/avatar-frame', { body: { frame } });
  }

  /** One page of my contacts: profiles with `local_name`. */
  contactsPage({ limit = 100, cursor } = {}) {
    return this.request('GET', '/contacts', { query: { limit, cursor } });
  }

  addContact(userId, localName = undefined) {
    const body = localName ? { local_name: localName } : {};
    return this.request('PUT', `/contacts/${userId}`, { body });
  }

  removeContact(userId) {
    return this.request('DELETE', `/contacts/${userId}`);
  }

  setLocalName(userId, localName) {
    return this.request('PUT', `/contacts/${userId}/local-name`, { body: { local_name: localName } });
  }

  clearLocalName(userId) {
    return this.request('DELETE', `/contacts/${userId}/local-name`);
  }

  block(userId) {
    return this.request('PUT', `/users/${userId}/block`);
  }

  unblock(userId) {
    return this.request('DELETE', `/users/${userId}/block`);
  }

  blockedPage({ limit = 100, cursor } = {}) {
    return this.request('GET', '/users/me/blocked', { query: { limit, cursor } });
  }

  privacy() {
    return this.request('GET', '/users/me/privacy');
  }

  setPrivacy(settings) {
    return this.request('PUT', '/users/me/privacy', { body: settings });
  }

  sessionsPage({ limit = 100, cursor } = {}) {
    return this.request('GET', '/auth/sessions', { query: { limit, cursor } });
  }

  endSession(id) {
    return this.request('DELETE', `/auth/sessions/${encodeURIComponent(id)}`);
  }

  /** Deletes my account for good (the password proves it is me). */
  deleteAccount(password, { eraseMessages = false } = {}) {
    return this.request('DELETE', '/users/me', { body: { password }, query: eraseMessages ? { erase_messages: 'true' } : undefined });
  }

  // --- chats ---------------------------------------------------------------------------

  /** One page of the chat list; `cursor` is the `next_cursor` of the page before. */
  chatsPage({ limit = CHAT_PAGE, cursor, archived = false } = {}) {
    return this.request('GET', '/chats', { query: archived ? { limit, cursor, archived: 'true' } : { limit, cursor } });
  }

  /**
   * The whole chat list as `{items}`, page after page (in sequence: the next page needs the
   * cursor of this one). A chat that becomes active meanwhile moves to the first page, which
   * was already read, and so is not on the later ones: its event on the socket brings it.
   */
  async chats({ limit = CHAT_PAGE } = {}) {
    return { items: await this.allPages((cursor) => this.chatsPage({ limit, cursor })) };
  }

  /** My archived chats, whole (issue 15): GET /chats leaves them out. */
  async archivedChats({ limit = CHAT_PAGE } = {}) {
    return { items: await this.allPages((cursor) => this.chatsPage({ limit, cursor, archived: true })) };
  }

  // --- my chat settings and drafts (issue 15) --------------------------------------------

  /** PATCH /chats/{id}/settings: any of {muted_until, pinned, archived}. */
  changeChatSettings(chatId, settings) {
    return this.request('PATCH', `/chats/${chatId}/settings`, { body: settings });
  }

  reorderPinnedChats(chatIds) {
    return this.request('PUT', '/chats/pinned-order', { body: { chat_ids: chatIds } });
  }

  /** PUT /chats/{id}/draft; an empty text clears it. */
  saveDraft(chatId, text, replyToId = null) {
    return this.request('PUT', `/chats/${chatId}/draft`, { body: { text, reply_to_id: replyToId } });
  }

  /**
   * Follows `next_cursor` of a paged list (`{items, has_more, next_cursor}`) to its end and
   * returns every item once (by `id`). Stops on a page that does not move forward, so a
   * misbehaving server cannot keep the client looping.
   */
  async allPages(fetchPage, { maxPages = MAX_PAGES } = {}) {
    const items = [];
    const seen = new Set();
    let cursor;
    for (let n = 0; n < maxPages; n += 1) {
      const page = await fetchPage(cursor);
      for (const item of page.items || []) {
        if (item?.id !== undefined && seen.has(item.id)) continue;
        if (item?.id !== undefined) seen.add(item.id);
        items.push(item);
      }
      const next = page.next_cursor;
      if (!page.has_more || typeof next !== 'string' || !next || next === cursor) break;
      cursor = next;
    }
    return items;
  }

  chat(id) {
    return this.request('GET', `/chats/${id}`);
  }

  openDirect(userId) {
    return this.request('POST', '/chats', { body: { kind: 'direct', user_id: userId } });
  }

  createGroup(title, memberIds) {
    return this.request('POST', '/chats', { body: { kind: 'group', title, member_ids: memberIds } });
  }

  renameChat(id, title) {
    return this.request('PATCH', `/chats/${id}`, { body: { title } });
  }

  addMember(chatId, userId, role = 'member') {
    return this.request('POST', `/chats/${chatId}/members`, { body: { user_id: userId, role } });
  }

  setRole(chatId, userId, role) {
    return this.request('PATCH', `/chats/${chatId}/members/${userId}`, { body: { role } });
  }

  removeMember(chatId, userId) {
    return this.request('DELETE', `/chats/${chatId}/members/${userId}`);
  }

  // --- messages ------------------------------------------------------------------------

  /** A page of message search results: `{q, chat_id?, from_user_id?, has?, before?, after?, limit?, cursor?}`. */
  searchMessages(query) {
    return this.request('GET', '/search/messages', { query });
  }

  /** A page of history: `before`/`after` an id, `around` one (centred on it), or the newest. */
  messages(chatId, { before, after, around, limit = 40 } = {}) {
    return this.request('GET', `/chats/${chatId}/messages`, { query: { before, after, around, limit } });
  }

  /** A page of the chat's messages that mention me (as messages() pages). */
  mentionsOfMe(chatId, { before, after, limit = 40 } = {}) {
    return this.request('GET', `/chats/${chatId}/messages`, { query: { mentions: 'me', before, after, limit } });
  }

  postMessage(chatId, { client_id, text, reply_to_id, attachment_ids, forward_of }) {
    const body = { client_id, text };
    if (reply_to_id) body.reply_to_id = reply_to_id;
    if (attachment_ids?.length) body.attachment_ids = attachment_ids;
    if (forward_of) Object.assign(body, { forward_of, text: '' });
    return this.request('POST', `/chats/${chatId}/messages`, { body });
  }

  editMessage(id, text) {
    return this.request('PATCH', `/messages/${id}`, { body: { text } });
  }

  deleteMessage(id) {
    return this.request('DELETE', `/messages/${id}`);
  }

  /** Hides one message for me only; the others keep it. */
  hideMessage(id) {
    return this.request('DELETE', `/messages/${id}`, { query: { for: 'me' } });
  }

  /** Reports a message of someone else to the server's administrators. */
  reportMessage(id, reason) {
    return this.request('POST', `/messages/${id}/report`, { body: { reason } });
  }

  /** A page of a chat's pinned messages, newest pin first. */
  pins(chatId, { limit = 100, cursor } = {}) {
    return this.request('GET', `/chats/${chatId}/pins`, { query: { limit, cursor } });
  }

  pin(chatId, messageId) {
    return this.request('POST', `/chats/${chatId}/pins`, { body: { message_id: messageId } });
  }

  unpin(chatId, messageId) {
    return this.request('DELETE', `/chats/${chatId}/pins/${messageId}`);
  }

  /** Reacts to a message with one emoji (idempotent); answers the message with `me`. */
  react(messageId, emoji) {
    return this.request('PUT', `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
  }

  /** Takes back my reaction with an emoji (idempotent). */
  unreact(messageId, emoji) {
    return this.request('DELETE', `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
  }

  /** A page of who reacted to a message with an emoji. */
  reactors(messageId, emoji, { limit, cursor } = {}) {
    return this.request('GET', `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}/users`, { query: { limit, cursor } });
  }

  /** Clears a chat's history for me only. */
  clearHistory(chatId) {
    return this.request('DELETE', `/chats/${chatId}/messages`);
  }

  /** A page of a chat's attachments, newest first; `kind` is 'image' or 'file'. */
  media(chatId, { kind, limit = 30, cursor } = {}) {
    return this.request('GET', `/chats/${chatId}/media`, { query: { kind, limit, cursor } });
  }

  markRead(chatId, messageId) {
    return this.request('POST', `/chats/${chatId}/read`, { body: { message_id: messageId } });
  }

  /** One page of the change feed; without `since`, only the current cursor. */
  sync(since, limit = 500) {
    return this.request('GET', '/sync', { query: { since, limit } });
  }

  // --- administration (issue 16; admins only, else 403 forbidden) ------------------------

  /** A page of accounts by username: `{q?, status?, cursor?, limit?}`. */
  adminUsers(query = {}) {
    return this.request('GET', '/admin/users', { query });
  }

  adminDeactivateUser(id) {
    return this.request('POST', `/admin/users/${id}/deactivate`);
  }

  adminReactivateUser(id) {
    return this.request('POST', `/admin/users/${id}/reactivate`);
  }

  /** A one-time password-reset link for the user: `{token, url, expires_at}`. */
  adminPasswordReset(id) {
    return this.request('POST', `/admin/users/${id}/password-reset`);
  }

  adminSetAdmin(id, isAdmin) {
    return this.request('PATCH', `/admin/users/${id}`, { body: { is_admin: isAdmin } });
  }

  /** A page of invites: `{cursor?, limit?}`. */
  adminInvites(query = {}) {
    return this.request('GET', '/admin/invites', { query });
  }

  /** A new invite `{email?, expires_in?, uses?}`; the answer alone carries its `token` and `url`. */
  adminCreateInvite({ email, expires_in, uses } = {}) {
    const body = {};
    if (email) body.email = email;
    if (expires_in !== undefined) body.expires_in = expires_in;
    if (uses !== undefined) body.uses = uses;
    return this.request('POST', '/admin/invites', { body });
  }

  adminRevokeInvite(id) {
    return this.request('DELETE', `/admin/invites/${encodeURIComponent(id)}`);
  }

  /** A page of reports: `{status?: 'open'|'resolved', cursor?, limit?}`. */
  adminReports(query = {}) {
    return this.request('GET', '/admin/reports', { query });
  }

  /** Resolves a report: `action` is 'dismiss', 'delete_message' or 'deactivate_user'. */
  adminResolveReport(id, action) {
    return this.request('POST', `/admin/reports/${id}/resolve`, { body: { action } });
  }

  adminDeleteMessage(id) {
    return this.request('DELETE', `/admin/messages/${id}`);
  }

  /** A page of the audit log: `{actor?, action?, cursor?, limit?}`, newest first. */
  adminAudit(query = {}) {
    return this.request('GET', '/admin/audit', { query });
  }

  adminSettings() {
    return this.request('GET', '/admin/settings');
  }

  adminChangeSettings(patch) {
    return this.request('PATCH', '/admin/settings', { body: patch });
  }

  /** Live figures: `{users_total, users_active, users_online, sockets, messages_today}`. */
  adminStats() {
    return this.request('GET', '/admin/stats');
  }

  // --- files ---------------------------------------------------------------------------

  /**
   * Uploads a file with XMLHttpRequest, because fetch reports no upload progress.
   * Resolves to the stored file; `onProgress(fraction)` is called as bytes leave.
   */
  upload(file, onProgress = () => {}) {
    return this._postForm('/files', file, file.name, onProgress);
  }

  // A multipart POST of one file (field `file`) with XMLHttpRequest, for its progress events.
  async _postForm(path, file, name, onProgress, { retried = false } = {}) {
    const token = await this.accessToken();
    const result = await new Promise((resolve, reject) => {
      const xhr = new this.Xhr();
      xhr.open('POST', `${this.baseUrl}${path}`);
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'Upload failed.'));
      xhr.onload = () => {
        let body = null;
        try {
          body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          body = null;
        }
        resolve({ status: xhr.status, body });
      };
      const form = new FormData();
      form.append('file', file, name);
      xhr.send(form);
    });
    if (result.status === 401 && !retried) {
      await this.refresh(token);
      return this._postForm(path, file, name, onProgress, { retried: true });
    }
    if (result.status < 200 || result.status >= 300) {
      throw new ApiError(result.status, result.body?.code || `http_${result.status}`, result.body?.detail || '', result.body);
    }
    onProgress(1);
    return result.body;
  }

  /** Downloads an attachment (it needs the Authorization header, so no plain <img src>). */
  async fileBlob(url) {
    const path = url.startsWith('/api/v1') ? url.slice('/api/v1'.length) : url;
    const absolute = /^https?:/.test(path) ? path : `${this.baseUrl}${path}`;
    const token = await this.accessToken();
    let response;
    try {
      response = await this.fetch(absolute, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    } catch (err) {
      throw new ApiError(0, 'network_error', String(err?.message || err));
    }
    if (!response.ok) throw await problemFrom(response);
    return response.blob();
  }
}

function deviceName() {
  const ua = globalThis.navigator?.userAgent || 'unknown';
  const app = globalThis.messengerDesktop ? 'Desktop' : 'Web';
  const m = ua.match(/(Windows|Mac OS X|Linux|Android|iPhone)/);
  return `${app}${m ? ` · ${m[1]}` : ''}`.slice(0, 100);
}
