// Keeps the Store in step with the server across disconnects, following the protocol's
// rules: on every `ready`, page GET /sync since the last applied cursor while holding back
// pushed events, then apply the held ones above the synced cursor; apply each feed event
// at most once (by cursor); then resend the outbox. A 410 resync_required reloads the
// snapshot.

import { ApiError } from './api.js';
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

export class SyncEngine {
  constructor({
    api,
    realtime,
    store,
    outbox,
    setTimeout: setT = globalThis.setTimeout.bind(globalThis),
    clearTimeout: clearT = globalThis.clearTimeout.bind(globalThis),
    ackDelay = 250,
    onError = () => {},
    onEvent = () => {},
  }) {
    this.api = api;
    this.realtime = realtime;
    this.store = store;
    this.outbox = outbox;
    this.setT = setT;
    this.clearT = clearT;
    this.ackDelay = ackDelay;
    this.onError = onError;
    this.onEvent = onEvent;
    this.cursor = null;
    this.syncing = false;
    this.held = [];
    this.inFlight = new Set();
    this._ackTimer = null;
    this._ackedCursor = null;
    this._catchUp = null;
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
  async onReady() {
    this.inFlight.clear();
    this.syncing = true;
    this._catchUp = this._runCatchUp();
    try {
      await this._catchUp;
    } finally {
      this._catchUp = null;
    }
    this.flushOutbox();
  }

  async _runCatchUp() {
    try {
      if (this.cursor === null) {
        await this.bootstrap();
      } else {
        let more = true;
        while (more) {
          const page = await this.api.sync(this.cursor);
          for (const ev of page.events || []) this._applyFeed(ev);
          if (typeof page.cursor === 'number') this.cursor = Math.max(this.cursor, page.cursor);
          more = !!page.has_more && (page.events || []).length > 0;
        }
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === ErrorCode.RESYNC_REQUIRED) {
        await this.resync();
      } else {
        this.onError(err);
      }
    } finally {
      const held = this.held;
      this.held = [];
      this.syncing = false;
      for (const ev of held) this._applyFeed(ev);
      this.scheduleAck();
    }
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
    if (!this.realtime.online || this.syncing) return 0;
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
