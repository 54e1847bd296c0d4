// Test doubles: a manual clock, a scriptable WebSocket, and a fetch that answers from a table.

export class FakeClock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.seq = 0;
    this.setTimeout = (fn, ms) => {
      this.seq += 1;
      this.timers.set(this.seq, { at: this.now + ms, fn, ms });
      return this.seq;
    };
    this.clearTimeout = (id) => {
      this.timers.delete(id);
    };
  }

  /** Delays of the timers pending now, in order of creation. */
  pending() {
    return [...this.timers.values()].map((t) => t.ms);
  }

  /** Advances time, firing due timers in order (including ones they schedule). */
  advance(ms) {
    const until = this.now + ms;
    for (;;) {
      let next = null;
      for (const [id, t] of this.timers) if (t.at <= until && (!next || t.at < next[1].at)) next = [id, t];
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = until;
  }
}

export function fakeWebSocketClass() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.closed = null;
      sockets.push(this);
    }

    send(data) {
      if (this.closed) throw new Error('closed');
      this.sent.push(JSON.parse(data));
    }

    close(code = 1000) {
      this.closed = code;
    }

    // --- test controls ---
    open() {
      this.onopen?.();
    }

    receive(frame) {
      this.onmessage?.({ data: JSON.stringify(frame) });
    }

    drop(code = 1006) {
      this.closed = code;
      this.onclose?.({ code });
    }
  }
  return { FakeWebSocket, sockets };
}

/** A fetch that routes "METHOD /path" to handlers returning [status, body]. */
export function fakeFetch(routes) {
  const calls = [];
  const fn = async (url, init = {}) => {
    const u = new URL(url);
    const method = init.method || 'GET';
    calls.push({ method, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: init.headers || {}, body: init.body ? JSON.parse(init.body) : undefined });
    const key = `${method} ${u.pathname.replace(/^\/api\/v1/, '')}`;
    const handler = routes[key];
    if (!handler) return response(404, { code: 'not_found', detail: key });
    const out = await handler(calls.at(-1));
    if (out instanceof Error) throw out;
    const [status, body, headers] = out;
    return response(status, body, headers);
  };
  fn.calls = calls;
  return fn;
}

function response(status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: '',
    headers: { get: (k) => headers[k] ?? headers[k.toLowerCase()] ?? null },
    text: async () => text,
    json: async () => JSON.parse(text),
  };
}

export class MemoryStorage {
  constructor() {
    this.map = new Map();
  }

  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }

  setItem(k, v) {
    this.map.set(k, String(v));
  }

  removeItem(k) {
    this.map.delete(k);
  }
}

export const flush = () => new Promise((resolve) => setImmediate(resolve));
