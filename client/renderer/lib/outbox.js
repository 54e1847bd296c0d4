// Messages the user wrote that the server has not acknowledged yet. Each has a client_id,
// so sending it again (after a reconnect, a crash, an app restart) can never create a
// second message. Kept in IndexedDB so that it survives closing the app.

import { newClientId } from './ids.js';

/** Storage kept in memory (tests, and browsers without IndexedDB). */
export class MemoryOutboxStorage {
  constructor() {
    this.items = new Map();
  }

  async getAll() {
    return [...this.items.values()].map((x) => ({ ...x }));
  }

  async put(item) {
    this.items.set(item.client_id, { ...item });
  }

  async delete(clientId) {
    this.items.delete(clientId);
  }
}

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Storage in an IndexedDB object store keyed by client_id. */
export class IndexedDbOutboxStorage {
  constructor(indexedDB = globalThis.indexedDB, dbName = 'messenger', storeName = 'outbox') {
    this.indexedDB = indexedDB;
    this.dbName = dbName;
    this.storeName = storeName;
    this._db = null;
  }

  _open() {
    if (!this._db) {
      const req = this.indexedDB.open(this.dbName, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(this.storeName)) {
          db.createObjectStore(this.storeName, { keyPath: 'client_id' });
        }
      };
      this._db = promisify(req);
    }
    return this._db;
  }

  async _tx(mode, fn) {
    const db = await this._open();
    const tx = db.transaction(this.storeName, mode);
    const result = await promisify(fn(tx.objectStore(this.storeName)));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return result;
  }

  getAll() {
    return this._tx('readonly', (s) => s.getAll());
  }

  put(item) {
    return this._tx('readwrite', (s) => s.put(item));
  }

  delete(clientId) {
    return this._tx('readwrite', (s) => s.delete(clientId));
  }
}

/** The outbox of one signed-in user. */
export class Outbox {
  constructor({ storage, userId, now = () => Date.now(), newId = () => newClientId() }) {
    this.storage = storage;
    this.userId = userId;
    this.now = now;
    this.newId = newId;
    this.items = new Map();
    this._seq = 0;
  }

  /** Reads what was left unsent, e.g. by the previous run of the app. */
  async load() {
    const all = await this.storage.getAll();
    this.items.clear();
    for (const item of all) {
      if (item.user_id !== this.userId) continue;
      this.items.set(item.client_id, item);
      this._seq = Math.max(this._seq, item.seq || 0);
    }
    return this.list();
  }

  /** Queues a new message; it is stored before anything is sent. */
  async add({ chat_id, text, reply_to_id = null, attachments = [], forward_of = null }) {
    this._seq += 1;
    const item = {
      client_id: this.newId(),
      user_id: this.userId,
      chat_id,
      text,
      reply_to_id,
      attachments,
      // A forward of that message: `text` is only shown while pending (the server sends
      // the source's).
      forward_of,
      created_at: new Date(this.now()).toISOString(),
      seq: this._seq,
      failed: null,
    };
    this.items.set(item.client_id, item);
    await this.storage.put(item);
    return item;
  }

  has(clientId) {
    return this.items.has(clientId);
  }

  get(clientId) {
    return this.items.get(clientId);
  }

  /** The server acknowledged it: forget it. */
  async remove(clientId) {
    if (!this.items.delete(clientId)) return false;
    await this.storage.delete(clientId);
    return true;
  }

  /** The server refused it for good (too long, chat gone): keep it, but stop resending. */
  async markFailed(clientId, code) {
    const item = this.items.get(clientId);
    if (!item) return;
    item.failed = code || 'unknown';
    await this.storage.put(item);
  }

  /** A failed message the user wants to try again. */
  async retry(clientId) {
    const item = this.items.get(clientId);
    if (!item) return;
    item.failed = null;
    await this.storage.put(item);
  }

  /** All items in the order they were written, optionally of one chat. */
  list(chatId = undefined) {
    const all = [...this.items.values()].sort((a, b) => a.seq - b.seq);
    return chatId === undefined ? all : all.filter((x) => x.chat_id === chatId);
  }

  /** What should be (re)sent now. */
  sendable() {
    return this.list().filter((x) => !x.failed);
  }
}
