// Keeps the Store in step with the server across disconnects, following the protocol's
// rules: on every `ready`, page GET /sync since the last applied cursor while holding back
// pushed events, then apply the held ones above the synced cursor; apply each feed event
// at most once (by cursor); then resend the outbox. A 410 resync_required reloads the
// snapshot. A failed /sync is retried with backoff and the held pushes wait for it: the
// cursor must never pass an event that was not applied, or that event is skipped for good.

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
]);

// Retrying a failed catch-up: steps doubling from 1 s to 15 s, with jitter so that the
// clients of a restarted server do not all come back at once.
const SYNC_BACKOFF = { base: 1000, max: 15000 };
// Pushes held during a catch-up, at most. Beyond that they are dropped and the sync pages
// on to fetch them: the cursor has not passed them, so nothing is lost, only memory saved.
const MAX_HELD = 2000;
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
    this._retryTimer = null;
  }

  /** Fresh start: the cursor first, then the snapshot, so no event falls in between. */
  async bootstrap() {
    const head = await this.api.sync();
    const chats = await this.api.chats();
    this.store.setChats(chats.items || []);
    this.cursor = head.cursor;
    return this.cursor;
  }

  /** The socket said `ready`: catch up, then resend what is unsent. */
  onReady() {
    this.inFlight.clear();
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
    this.clearT(this._retryTimer);
    this._ackTimer = null;
    this._retryTimer = null;
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

  scheduleAck() {
    if (this._ackTimer !== null || this.cursor === null) return;
    this._ackTimer = this.setT(() => {
      this._ackTimer = null;
      if (this.cursor === null || this.cursor === this._ackedCursor) return;
      if (this.realtime.send('ack', { cursor: this.cursor })) this._ackedCursor = this.cursor;
    }, this.ackDelay);
  }

  // --- sending -------------------------------------------------------------------------

  /** Queues a message (persisted first), then sends it if connected. */
  async send({ chat_id, text, reply_to_id = null, attachments = [] }) {
    const item = await this.outbox.add({ chat_id, text, reply_to_id, attachments });
    this.store.changed({ kind: 'outbox', chatId: chat_id });
    this.flushOutbox();
    return item;
  }

  /** Sends every unacknowledged message that is not already on its way. */
  flushOutbox() {
    if (!this.realtime.online || this.syncing || this._stopped) return 0;
    let sent = 0;
    for (const item of this.outbox.sendable()) {
      if (this.inFlight.has(item.client_id)) continue;
      const data = { chat_id: item.chat_id, client_id: item.client_id, text: item.text };
      if (item.reply_to_id) data.reply_to_id = item.reply_to_id;
      if (item.attachments?.length) data.attachment_ids = item.attachments.map((a) => a.id);
      if (!this.realtime.send('send_message', data)) break;
      this.inFlight.add(item.client_id);
      sent += 1;
    }
    return sent;
  }

  /** The socket dropped: whatever was in flight must go again after the next ready. */
  onDisconnected() {
    this.inFlight.clear();
    this.clearT(this._ackTimer);
    this._ackTimer = null;
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
    if (clientId && this.outbox.has(clientId)) {
      this.inFlight.delete(clientId);
      if (PERMANENT.has(data.code)) {
        await this.outbox.markFailed(clientId, data.code);
        this.store.changed({ kind: 'outbox', chatId: this.outbox.get(clientId)?.chat_id });
      } else {
        // throttled or storage trouble: try again a little later
        const wait = Math.max(1, Number(data.retry_after) || 2) * 1000;
        this.clearT(this._retryTimer);
        this._retryTimer = this.setT(() => this.flushOutbox(), wait);
      }
    }
    this.onEvent({ type: 'error', data }, {});
  }

  // --- reading -------------------------------------------------------------------------

  /** Moves my read watermark (socket when connected, REST otherwise). */
  async markRead(chatId, messageId) {
    this.store.markReadLocally(chatId, messageId);
    if (this.realtime.send('mark_read', { chat_id: chatId, message_id: messageId })) return;
    try {
      await this.api.markRead(chatId, messageId);
    } catch {
      /* offline: the chat is marked again when it is next looked at */
    }
  }
}
