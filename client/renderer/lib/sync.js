// Keeps the Store in step with the server across disconnects, following the protocol's
// rules: on every `ready`, page GET /sync since the last applied cursor while holding back
// pushed events, then apply the held ones above the synced cursor; apply each feed event
// at most once (by cursor); then resend the outbox. A 410 resync_required reloads the
// snapshot. A failed /sync is retried with backoff and the held pushes wait for it: the
// cursor must never pass an event that was not applied, or that event is skipped for good.
// Frames go out paced below the socket's rate limit; a `throttled` send stays pending and
// goes again after the server's retry_after.

import { ApiError } from './api.js';
import { backoffDelay } from './backoff.js';
import { ErrorCode } from './errorcodes.js';

// Errors after which resending the same message cannot succeed.
const PERMANENT = new Set([
  ErrorCode.VALIDATION_ERROR,
  ErrorCode.MESSAGE_TOO_LONG,
  ErrorCode.NOT_FOUND,
  ErrorCode.NOT_A_MEMBER,
  ErrorCode.FORBIDDEN,
  ErrorCode.CONFLICT,
  ErrorCode.BAD_REQUEST,
  ErrorCode.TOO_LARGE,
  // The other user blocked me, or deleted their account: sending again cannot help.
  ErrorCode.BLOCKED,
  ErrorCode.USER_DELETED,
]);

// Retrying a failed catch-up: steps doubling from 1 s to 15 s, with jitter so that the
// clients of a restarted server do not all come back at once.
const SYNC_BACKOFF = { base: 1000, max: 15000 };
// Pushes held during a catch-up, at most. Beyond that they are dropped and the sync pages
// on to fetch them: the cursor has not passed them, so nothing is lost, only memory saved.
const MAX_HELD = 2000;
// The server allows a socket 60 frames at once and 20 a second, and refuses the rest with
// `throttled`. The frames sent here (sends, acks, read marks) keep below that, leaving room
// for typing and pings, so a long outbox after a reconnect drains without being refused.
const SEND_BURST = 50;
const SEND_RATE = 16; // frames per second
// Read marks of one chat go at most this often: reading a burst of messages as they come
// costs one frame at once and one for the rest, not one per message.
const READ_DELAY = 1000;
// When a send error names no retry_after.
const DEFAULT_RETRY_MS = 2000;
const MAX_RETRY_MS = 60000;

export class SyncEngine {
  constructor({
    api,
    realtime,
    store,
    outbox,
    setTimeout: setT = globalThis.setTimeout.bind(globalThis),
    clearTimeout: clearT = globalThis.clearTimeout.bind(globalThis),
    now = () => Date.now(),
    random = Math.random,
    ackDelay = 250,
    syncBackoff = SYNC_BACKOFF,
    maxHeld = MAX_HELD,
    sendBurst = SEND_BURST,
    sendRate = SEND_RATE,
    readDelay = READ_DELAY,
    onError = () => {},
    onEvent = () => {},
  }) {
    this.api = api;
    this.realtime = realtime;
    this.store = store;
    this.outbox = outbox;
    this.setT = setT;
    this.clearT = clearT;
    this.now = now;
    this.random = random;
    this.ackDelay = ackDelay;
    this.syncBackoff = syncBackoff;
    this.maxHeld = maxHeld;
    this.sendBurst = sendBurst;
    this.sendRate = sendRate;
    this.readDelay = readDelay;
    this.onError = onError;
    this.onEvent = onEvent;
    this.cursor = null;
    this.syncing = false;
    this.held = [];
    this.inFlight = new Set();
    this._ackTimer = null;
    this._ackedCursor = null;
    this._catchUp = null;
    this._again = false; // the running catch-up must page once more before it ends
    this._resyncDue = false;
    this._wake = null; // ends the wait before the next catch-up attempt
    this._stopped = false;
    this._joinedChat = null; // the chat this socket was told is open (`join_chat`)
    // The outbox's share of the socket's rate limit (a token bucket), and a pause the
    // server asked for (retry_after).
    this._tokens = sendBurst;
    this._tokensAt = now();
    this._pausedUntil = 0;
    this._flushTimer = null;
    this._reads = new Map(); // chat id -> { pending, sentAt, timer }
  }

  /** Fresh start: the cursor first, then the snapshot, so no event falls in between. */
  async bootstrap() {
    const head = await this.api.sync();
    const chats = await this.api.chats();
    // The archive's chats are the store's too, shown apart (issue 15).
    const archived = this.api.archivedChats ? await this.api.archivedChats() : { items: [] };
    this.store.setChats([...(chats.items || []), ...(archived.items || [])]);
    this.cursor = head.cursor;
    return this.cursor;
  }

  /** Reads the chat list again (members' read and delivery marks as I may see them now). */
  async reloadChats() {
    const chats = await this.api.chats();
    const archived = this.api.archivedChats ? await this.api.archivedChats() : { items: [] };
    this.store.setChats([...(chats.items || []), ...(archived.items || [])]);
  }

  /** Tells the socket which chat is on screen (`store.openChatId`) with `leave_chat` /
   * `join_chat`: in big groups the server sends typing only to sockets that joined the chat.
   * Offline, nothing is sent; the next `ready` joins the chat open then. */
  followOpenChat() {
    const open = this.store.openChatId;
    if (this._stopped || open === this._joinedChat) return;
    if (this._joinedChat !== null) this.realtime.send('leave_chat', { chat_id: this._joinedChat });
    this._joinedChat = open !== null && this.realtime.send('join_chat', { chat_id: open }) ? open : null;
  }

  /** The socket said `ready`: catch up, then resend what is unsent. */
  onReady() {
    // A new socket has no chat open: tell it the one on screen again.
    this._joinedChat = null;
    this.followOpenChat();
    this.inFlight.clear();
    this._resetSendBudget();
    this.syncing = true;
    if (this._catchUp) {
      // One catch-up at a time; but the pass under way may have paged past events that
      // the new socket never pushed, so it pages once more before it ends.
      this._again = true;
      return this._catchUp;
    }
    this._catchUp = (async () => {
      try {
        await this._runCatchUp();
      } finally {
        this._catchUp = null;
      }
      this.flushOutbox();
    })();
    return this._catchUp;
  }

  /** Stops for good (signed out): no more retries, timers or sends. */
  stop() {
    this._stopped = true;
    this._wake?.();
    this.clearT(this._ackTimer);
    this.clearT(this._flushTimer);
    this._ackTimer = null;
    this._flushTimer = null;
    for (const read of this._reads.values()) this.clearT(read.timer);
    this._reads.clear();
  }

  // Pages /sync until it has everything, retrying failures with backoff. Only then are the
  // held pushes applied: applying them earlier would move the cursor past events that
  // were never fetched, and no later catch-up would ask for them again.
  async _runCatchUp() {
    let failures = 0;
    let resynced = false;
    while (!this._stopped) {
      this._again = false;
      try {
        if (this._resyncDue) {
          await this.resync();
          this._resyncDue = false;
        } else if (this.cursor === null) {
          await this.bootstrap();
        } else {
          await this._pageSince();
        }
        if (!this._again) break;
      } catch (err) {
        if (err instanceof ApiError && err.code === ErrorCode.RESYNC_REQUIRED) {
          this._resyncDue = true;
          if (!resynced) {
            resynced = true;
            continue;
          }
        } else {
          this.onError(err);
        }
        await this._sleep(this._retryDelay(err, failures));
        failures += 1;
      }
    }
    if (this._stopped) return;
    const held = this.held.sort((a, b) => a.cursor - b.cursor);
    this.held = [];
    this.syncing = false;
    for (const ev of held) this._applyFeed(ev); // those at or below the cursor are skipped
    this.scheduleAck();
  }

  async _pageSince() {
    for (;;) {
      const page = await this.api.sync(this.cursor);
      const events = page.events || [];
      for (const ev of events) this._applyFeed(ev);
      if (typeof page.cursor === 'number') this.cursor = Math.max(this.cursor, page.cursor);
      if (!page.has_more || events.length === 0) return;
    }
  }

  // At least the server's Retry-After (spread over half as much again), else the backoff.
  _retryDelay(err, attempt) {
    const delay = backoffDelay(attempt, { ...this.syncBackoff, random: this.random });
    const hint = Number(err?.retryAfter ?? err?.body?.retry_after);
    if (!(hint > 0)) return delay;
    const asked = Math.min(hint * 1000, MAX_RETRY_MS);
    return Math.max(delay, Math.round(asked + (this.random() * asked) / 2));
  }

  _sleep(ms) {
    return new Promise((resolve) => {
      const timer = this.setT(() => {
        this._wake = null;
        resolve();
      }, ms);
      this._wake = () => {
        this.clearT(timer);
        this._wake = null;
        resolve();
      };
    });
  }

  /** Reload everything (the server no longer has the events since our cursor). */
  async resync() {
    this.cursor = null;
    const openChat = this.store.openChatId;
    for (const chatId of [...this.store.messages.keys()]) this.store.resetHistory(chatId);
    await this.bootstrap();
    this.onEvent({ type: 'resynced', openChat });
  }

  /** A frame pushed by the socket (everything except ready/pong). */
  handleFrame(frame) {
    if (frame.cursor !== undefined && frame.cursor !== null) {
      if (this.syncing) {
        if (this.held.length >= this.maxHeld) {
          // The sync fetches these instead; it must page on past them before it ends.
          this.held = [];
          this._again = true;
        }
        this.held.push(frame);
        return;
      }
      this._applyFeed(frame);
      this.scheduleAck();
      return;
    }
    switch (frame.type) {
      case 'message_sent':
        this._acknowledged(frame.data);
        break;
      case 'error':
        this._error(frame.data || {});
        break;
      default:
        this.store.apply(frame);
        this.onEvent(frame, {});
    }
  }

  _applyFeed(frame) {
    if (this.cursor !== null && frame.cursor <= this.cursor) return; // seen already
    this.cursor = frame.cursor;
    const result = this.store.apply(frame);
    const msg = frame.data?.message;
    if (frame.type === 'new_message' && msg && this.store.me && msg.sender_id === this.store.me.id) {
      // Our own message, possibly sent before a disconnect whose ack never came.
      this._forget(msg.client_id);
    }
    if (frame.type === 'new_message' && result?.chatKnown === false) this._fetchChat(msg.chat_id);
    this.onEvent(frame, result || {});
  }

  async _fetchChat(chatId) {
    try {
      const chat = await this.api.chat(chatId);
      this.store.upsertChat(chat);
    } catch {
      /* the next resync will bring it */
    }
  }

  // --- delivered watermark -------------------------------------------------------------

  scheduleAck(delay = this.ackDelay) {
    if (this._ackTimer !== null || this.cursor === null) return;
    this._ackTimer = this.setT(() => {
      this._ackTimer = null;
      if (this.cursor === null || this.cursor === this._ackedCursor) return;
      const paused = this._pausedUntil - this.now();
      if (paused > 0) {
        this.scheduleAck(paused); // the server would refuse it now
        return;
      }
      if (this._sendFrame('ack', { cursor: this.cursor })) this._ackedCursor = this.cursor;
    }, delay);
  }

  // --- sending -------------------------------------------------------------------------

  /** Queues a message (persisted first), then sends it if connected. */
  async send({ chat_id, text, reply_to_id = null, attachments = [], forward_of = null }) {
    const item = await this.outbox.add({ chat_id, text, reply_to_id, attachments, forward_of });
    this.store.changed({ kind: 'outbox', chatId: chat_id });
    this.flushOutbox();
    return item;
  }

  /** Sends every unacknowledged message that is not already on its way, paced to the
   * socket's rate limit; the rest follows from a timer. */
  flushOutbox() {
    if (!this.realtime.online || this.syncing || this._stopped) return 0;
    const now = this.now();
    if (now < this._pausedUntil) {
      this._flushLater(this._pausedUntil - now);
      return 0;
    }
    this._refillTokens();
    let sent = 0;
    for (const item of this.outbox.sendable()) {
      if (this.inFlight.has(item.client_id)) continue;
      if (this._tokens < 1) {
        this._flushLater(Math.ceil(((1 - this._tokens) * 1000) / this.sendRate));
        break;
      }
      const data = { chat_id: item.chat_id, client_id: item.client_id, text: item.text };
      if (item.reply_to_id) data.reply_to_id = item.reply_to_id;
      if (item.attachments?.length) data.attachment_ids = item.attachments.map((a) => a.id);
      if (item.forward_of) Object.assign(data, { forward_of: item.forward_of, text: '' });
      if (!this._sendFrame('send_message', data)) break;
      this.inFlight.add(item.client_id);
      sent += 1;
    }
    return sent;
  }

  // Every frame sent here spends from the budget; acks and read marks go even when it is
  // spent (they are few and coalesced), and the outbox then waits the longer.
  _sendFrame(type, data) {
    if (!this.realtime.send(type, data)) return false;
    this._refillTokens();
    this._tokens -= 1;
    return true;
  }

  _refillTokens() {
    const now = this.now();
    if (now <= this._tokensAt) return; // a pause the server asked for is not over yet
    this._tokens = Math.min(this.sendBurst, this._tokens + ((now - this._tokensAt) * this.sendRate) / 1000);
    this._tokensAt = now;
  }

  _flushLater(ms) {
    if (this._flushTimer !== null) return; // the pending flush sends what is due then
    this._flushTimer = this.setT(() => {
      this._flushTimer = null;
      this.flushOutbox();
    }, ms);
  }

  // A new socket has the server's whole budget again.
  _resetSendBudget() {
    this._tokens = this.sendBurst;
    this._tokensAt = this.now();
    this._pausedUntil = 0;
    this.clearT(this._flushTimer);
    this._flushTimer = null;
  }

  // The server refused a frame (throttled) or could not store a send (service unavailable):
  // nothing more goes out until its retry_after, when the budget starts again from the one
  // frame the server will then take.
  _pauseSending(retryAfter) {
    const hint = Number(retryAfter);
    const wait = hint > 0 ? Math.min(MAX_RETRY_MS, Math.max(50, hint * 1000)) : DEFAULT_RETRY_MS;
    this._pausedUntil = Math.max(this._pausedUntil, this.now() + wait);
    this._tokens = 1;
    this._tokensAt = this._pausedUntil;
    this.clearT(this._flushTimer);
    this._flushTimer = null;
    this._flushLater(this._pausedUntil - this.now());
  }

  /** The socket dropped: whatever was in flight must go again after the next ready. */
  onDisconnected() {
    this.inFlight.clear();
    this.clearT(this._ackTimer);
    this.clearT(this._flushTimer);
    this._ackTimer = null;
    this._flushTimer = null;
    this._ackedCursor = null;
  }

  async retry(clientId) {
    await this.outbox.retry(clientId);
    this.store.changed({ kind: 'outbox', chatId: this.outbox.get(clientId)?.chat_id });
    this.flushOutbox();
  }

  async discard(clientId) {
    const chatId = this.outbox.get(clientId)?.chat_id;
    await this._forget(clientId);
    this.store.changed({ kind: 'outbox', chatId });
  }

  _acknowledged(data) {
    if (!data?.message) return;
    this.store.putMessage(data.message);
    this._forget(data.client_id);
    this.onEvent({ type: 'message_sent', data }, { chatId: data.message.chat_id });
  }

  async _forget(clientId) {
    if (!clientId) return;
    this.inFlight.delete(clientId);
    const chatId = this.outbox.get(clientId)?.chat_id;
    if (await this.outbox.remove(clientId)) this.store.changed({ kind: 'outbox', chatId });
  }

  async _error(data) {
    const clientId = data.client_id;
    const queued = !!clientId && this.outbox.has(clientId);
    if (queued) this.inFlight.delete(clientId);
    if (queued && PERMANENT.has(data.code)) {
      await this.outbox.markFailed(clientId, data.code);
      this.store.changed({ kind: 'outbox', chatId: this.outbox.get(clientId)?.chat_id });
    } else if (queued || data.code === ErrorCode.THROTTLED) {
      // Throttled or storage trouble: the entry stays pending and goes again after
      // retry_after. A throttled frame of another kind still says the budget is spent.
      this._pauseSending(data.retry_after);
    }
    this.onEvent({ type: 'error', data }, {});
  }

  // --- reading -------------------------------------------------------------------------

  /** Moves my read watermark: here at once, on the server (socket when connected, REST
   * otherwise) at once too unless this chat was marked less than `readDelay` ago; then
   * the highest mark of the meantime goes when that time is up. */
  markRead(chatId, messageId) {
    this.store.markReadLocally(chatId, messageId);
    let read = this._reads.get(chatId);
    if (!read) this._reads.set(chatId, (read = { pending: 0, sentAt: -Infinity, timer: null }));
    read.pending = Math.max(read.pending, messageId);
    if (read.timer !== null) return Promise.resolve();
    const wait = Math.max(read.sentAt + this.readDelay, this.realtime.online ? this._pausedUntil : 0) - this.now();
    if (wait <= 0) return this._sendRead(chatId, read);
    read.timer = this.setT(() => {
      read.timer = null;
      this._sendRead(chatId, read);
    }, wait);
    return Promise.resolve();
  }

  async _sendRead(chatId, read) {
    const messageId = read.pending;
    read.sentAt = this.now();
    if (this._stopped || this._sendFrame('mark_read', { chat_id: chatId, message_id: messageId })) return;
    try {
      await this.api.markRead(chatId, messageId);
    } catch {
      /* offline: the chat is marked again when it is next looked at */
    }
  }
}
