// The socket to /api/v1/ws: authenticate with the first frame, keep it alive with pings,
// and reconnect with exponential backoff and jitter whenever it drops. WebSocket, timers
// and randomness are injected so the reconnect logic runs under Node's test runner.

import { backoffDelay } from './backoff.js';

export const CLOSE_POLICY = 1008;
// The session was ended (log out, device revoked, password changed): sign in again.
export const CLOSE_SESSION_REVOKED = 4001;
// The access token expired before a fresh `auth` reached the server: refresh, reconnect.
export const CLOSE_TOKEN_EXPIRED = 4002;
// A fresh token is sent on the open socket this long before the old one expires at most
// (or a quarter of its remaining life, when that is shorter), and retried this often.
const RENEW_MARGIN = 60000;
const RENEW_RETRY = 5000;

/** Connection states reported through `onStatus`. */
export const Status = Object.freeze({
  CONNECTING: 'connecting',
  ONLINE: 'online',
  OFFLINE: 'offline',
  STOPPED: 'stopped',
});

export class RealtimeClient {
  constructor({
    url,
    getToken,
    refreshToken = async () => {},
    WebSocket: Ws = globalThis.WebSocket,
    setTimeout: setT = globalThis.setTimeout.bind(globalThis),
    clearTimeout: clearT = globalThis.clearTimeout.bind(globalThis),
    random = Math.random,
    backoff = { base: 500, max: 15000 },
    pingInterval = 20000,
    idleTimeout = 45000,
    onFrame = () => {},
    onStatus = () => {},
    onReady = () => {},
    // When the access token expires (ms since the epoch, or null), and how to get a fresh
    // one: the socket then authenticates again in place before the server closes it (4002).
    tokenExpiresAt = () => null,
    renewToken = null,
    now = Date.now,
    onSessionEnded = () => {},
  }) {
    this.url = typeof url === 'function' ? url : () => url;
    this.getToken = getToken;
    this.refreshToken = refreshToken;
    this.Ws = Ws;
    this.setT = setT;
    this.clearT = clearT;
    this.random = random;
    this.backoff = backoff;
    this.pingInterval = pingInterval;
    this.idleTimeout = idleTimeout;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.onReady = onReady;
    this.tokenExpiresAt = tokenExpiresAt;
    this.renewToken = renewToken;
    this.now = now;
    this.onSessionEnded = onSessionEnded;
    this.status = Status.STOPPED;
    this.attempt = 0;
    this.ws = null;
    this._retryTimer = null;
    this._pingTimer = null;
    this._idleTimer = null;
    this._renewTimer = null;
    this._needsRefresh = false;
    this._generation = 0;
  }

  /** Starts connecting (and reconnecting) until `stop()`. */
  start() {
    if (this.status !== Status.STOPPED) return;
    this._setStatus(Status.CONNECTING);
    this._connect();
  }

  stop() {
    this._generation += 1;
    this.clearT(this._retryTimer);
    this._retryTimer = null;
    this._stopTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this._setStatus(Status.STOPPED);
  }

  /** Skips the current backoff wait (e.g. when the browser says the network is back). */
  reconnectNow() {
    if (this.status !== Status.OFFLINE || !this._retryTimer) return;
    this.clearT(this._retryTimer);
    this._retryTimer = null;
    this._setStatus(Status.CONNECTING);
    this._connect();
  }

  /** Sends a frame if the socket is authenticated; false means "not now, keep it queued". */
  send(type, data = {}) {
    if (this.status !== Status.ONLINE || !this.ws) return false;
    try {
      this.ws.send(JSON.stringify({ type, data }));
      return true;
    } catch {
      return false;
    }
  }

  get online() {
    return this.status === Status.ONLINE;
  }

  async _connect() {
    const generation = this._generation;
    if (this._needsRefresh) {
      this._needsRefresh = false;
      try {
        await this.refreshToken();
      } catch {
        /* offline or rejected: the attempt below fails and backs off */
      }
    }
    let token = null;
    try {
      token = await this.getToken();
    } catch {
      token = null;
    }
    if (generation !== this._generation) return;
    let ws;
    try {
      ws = new this.Ws(this.url());
    } catch {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    let closed = false;
    const onGone = (code) => {
      if (closed || this.ws !== ws) return;
      closed = true;
      this.ws = null;
      this._stopTimers();
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (code === CLOSE_SESSION_REVOKED) {
        // Reconnecting with these tokens can only fail: the user must sign in again.
        this.clearT(this._retryTimer);
        this._retryTimer = null;
        this._setStatus(Status.STOPPED);
        this.onSessionEnded();
        return;
      }
      if (code === CLOSE_POLICY || code === CLOSE_TOKEN_EXPIRED) this._needsRefresh = true;
      this._scheduleReconnect();
    };
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', data: { token: token || '' } }));
      this._touch(ws, onGone);
    };
    ws.onmessage = (ev) => {
      this._touch(ws, onGone);
      let frame;
      try {
        frame = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
      } catch {
        return;
      }
      if (!frame || typeof frame.type !== 'string') return;
      if (frame.type === 'pong') return;
      if (frame.type === 'ready') {
        this.attempt = 0;
        this._setStatus(Status.ONLINE);
        this._startPing(ws);
        this._scheduleRenewal(ws);
        this.onReady(frame.data || {});
        return;
      }
      if (frame.type === 'auth_ok') {
        this._scheduleRenewal(ws);
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (ev) => onGone(ev?.code);
    ws.onerror = () => {
      // A failed handshake fires error then close; close alone decides.
    };
  }

  _scheduleReconnect() {
    if (this.status === Status.STOPPED) return;
    this._setStatus(Status.OFFLINE);
    const delay = backoffDelay(this.attempt, { ...this.backoff, random: this.random });
    this.attempt += 1;
    this.clearT(this._retryTimer);
    this._retryTimer = this.setT(() => {
      this._retryTimer = null;
      if (this.status === Status.STOPPED) return;
      this._setStatus(Status.CONNECTING);
      this._connect();
    }, delay);
    return delay;
  }

  // Authenticates again on the open socket shortly before the token expires, so the
  // server never has to close it (4002) and nothing is missed meanwhile.
  _scheduleRenewal(ws) {
    this.clearT(this._renewTimer);
    this._renewTimer = null;
    if (!this.renewToken) return;
    const expiresAt = this.tokenExpiresAt();
    if (!expiresAt) return;
    const left = expiresAt - this.now();
    const delay = Math.max(0, left - Math.min(RENEW_MARGIN, left / 4));
    this._renewTimer = this.setT(() => this._renew(ws), delay);
  }

  async _renew(ws) {
    this._renewTimer = null;
    if (this.ws !== ws) return;
    let token = null;
    try {
      token = await this.renewToken();
    } catch {
      token = null;
    }
    if (this.ws !== ws) return;
    if (!token) {
      // Offline for the moment: try again; if the token runs out first, 4002 reconnects.
      this._renewTimer = this.setT(() => this._renew(ws), RENEW_RETRY);
      return;
    }
    try {
      ws.send(JSON.stringify({ type: 'auth', data: { token } }));
    } catch {
      /* the close event follows */
    }
  }

  _startPing(ws) {
    this.clearT(this._pingTimer);
    const tick = () => {
      if (this.ws !== ws) return;
      try {
        ws.send(JSON.stringify({ type: 'ping', data: {} }));
      } catch {
        /* the close event follows */
      }
      this._pingTimer = this.setT(tick, this.pingInterval);
    };
    this._pingTimer = this.setT(tick, this.pingInterval);
  }

  // A half-open TCP connection (laptop lid closed, Wi-Fi gone) never fires `close`; no frame
  // at all within the idle timeout, although we ping, means the link is dead.
  _touch(ws, onGone) {
    this.clearT(this._idleTimer);
    this._idleTimer = this.setT(() => {
      if (this.ws !== ws) return;
      try {
        ws.close(4000, 'idle');
      } catch {
        /* ignore */
      }
      onGone(4000);
    }, this.idleTimeout);
  }

  _stopTimers() {
    this.clearT(this._pingTimer);
    this.clearT(this._idleTimer);
    this.clearT(this._renewTimer);
    this._pingTimer = null;
    this._idleTimer = null;
    this._renewTimer = null;
  }

  _setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.onStatus(status);
  }
}
