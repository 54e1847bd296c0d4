// Just enough of a DOM for views built with views/dom.js `h()` to be drawn, searched and
// clicked in Node: elements with attributes, classes, dataset, children, events and form
// values, text nodes, and querySelector(All) for compound selectors joined by spaces
// (tag, #id, .class, [attr], [attr="value"]). installDom() puts `document` and `Node` on
// globalThis; the views find #modal-root and the like in it.

class FakeEvent {
  constructor(type, init = {}) {
    this.type = type;
    this.target = null;
    this.defaultPrevented = false;
    this.bubbles = init.bubbles !== false;
    Object.assign(this, init);
  }

  preventDefault() {
    this.defaultPrevented = true;
  }

  stopPropagation() {
    this.stopped = true;
  }
}

export class FakeNode {
  constructor(ownerDocument) {
    this.ownerDocument = ownerDocument;
    this.parentNode = null;
    this.childNodes = [];
  }

  get parentElement() {
    return this.parentNode instanceof FakeElement ? this.parentNode : null;
  }

  get firstChild() {
    return this.childNodes[0] || null;
  }

  get nextSibling() {
    const siblings = this.parentNode?.childNodes || [];
    return siblings[siblings.indexOf(this) + 1] || null;
  }

  get isConnected() {
    let n = this;
    while (n.parentNode) n = n.parentNode;
    return n === this.ownerDocument?.documentElement;
  }

  remove() {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }

  replaceWith(node) {
    const parent = this.parentNode;
    if (!parent) return;
    parent.insertBefore(node, this);
    this.remove();
  }

  contains(node) {
    for (let n = node; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
}

class FakeText extends FakeNode {
  constructor(doc, text) {
    super(doc);
    this.data = String(text);
  }

  get textContent() {
    return this.data;
  }

  set textContent(v) {
    this.data = String(v);
  }
}

const BOOLEAN_PROPS = ['hidden', 'disabled', 'readonly', 'required'];

export class FakeElement extends FakeNode {
  constructor(doc, tag) {
    super(doc);
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.listeners = new Map();
    this.style = { cssText: '' };
    this._value = null;
    this._checked = false;
    this.tabIndex = 0;
    const el = this;
    this.dataset = new Proxy(
      {},
      {
        set(_t, key, value) {
          el.setAttribute(`data-${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value);
          return true;
        },
        get(_t, key) {
          return el.getAttribute(`data-${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`) ?? undefined;
        },
      },
    );
    this.classList = {
      add: (...names) => this._classes(new Set([...this._classSet(), ...names])),
      remove: (...names) => this._classes(new Set([...this._classSet()].filter((c) => !names.includes(c)))),
      toggle: (name, force) => {
        const on = force === undefined ? !this._classSet().has(name) : Boolean(force);
        if (on) this.classList.add(name);
        else this.classList.remove(name);
        return on;
      },
      contains: (name) => this._classSet().has(name),
    };
  }

  _classSet() {
    return new Set((this.getAttribute('class') || '').split(/\s+/).filter(Boolean));
  }

  _classes(set) {
    this.setAttribute('class', [...set].join(' '));
  }

  // --- attributes ---
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  hasAttribute(name) {
    return this.attributes.has(name);
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  get id() {
    return this.getAttribute('id') || '';
  }

  set id(v) {
    this.setAttribute('id', v);
  }

  get className() {
    return this.getAttribute('class') || '';
  }

  set className(v) {
    this.setAttribute('class', v);
  }

  get children() {
    return this.childNodes.filter((n) => n instanceof FakeElement);
  }

  // --- form values ---
  get value() {
    if (this.tagName === 'SELECT') {
      const options = this.querySelectorAll('option');
      const chosen = options.find((o) => o._selected) || options.find((o) => o.hasAttribute('selected')) || options[0];
      return chosen ? chosen.value : '';
    }
    if (this.tagName === 'OPTION') return this.getAttribute('value') ?? this.textContent;
    if (this._value !== null) return this._value;
    return this.getAttribute('value') ?? (this.tagName === 'TEXTAREA' ? this.textContent : '');
  }

  set value(v) {
    if (this.tagName === 'SELECT') {
      for (const o of this.querySelectorAll('option')) o._selected = o.value === String(v);
      return;
    }
    this._value = String(v);
  }

  get checked() {
    return this._checked;
  }

  set checked(v) {
    this._checked = Boolean(v);
  }

  select() {}

  /** A form's reset(): its fields back to their markup values. */
  reset() {
    for (const field of this.querySelectorAll('input, textarea')) field._value = null;
  }

  focus() {
    this.ownerDocument.activeElement = this;
  }

  blur() {
    if (this.ownerDocument.activeElement === this) this.ownerDocument.activeElement = this.ownerDocument.body;
  }

  // --- text ---
  get textContent() {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  set textContent(v) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes = [];
    if (v !== '' && v !== null && v !== undefined) this.append(String(v));
  }

  // --- tree ---
  _adopt(node) {
    const n = node instanceof FakeNode ? node : new FakeText(this.ownerDocument, node);
    n.remove();
    n.parentNode = this;
    return n;
  }

  append(...nodes) {
    for (const node of nodes) this.childNodes.push(this._adopt(node));
  }

  appendChild(node) {
    this.append(node);
    return node;
  }

  prepend(...nodes) {
    this.childNodes.unshift(...nodes.map((n) => this._adopt(n)));
  }

  insertBefore(node, ref) {
    const n = this._adopt(node);
    const at = ref ? this.childNodes.indexOf(ref) : -1;
    if (at < 0) this.childNodes.push(n);
    else this.childNodes.splice(at, 0, n);
    return n;
  }

  replaceChildren(...nodes) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }

  // --- events ---
  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  removeEventListener(type, fn) {
    this.listeners.set(type, (this.listeners.get(type) || []).filter((f) => f !== fn));
  }

  dispatchEvent(event) {
    event.target ??= this;
    for (let n = this; n; n = n.parentNode) {
      event.currentTarget = n;
      for (const fn of [...(n.listeners?.get(event.type) || [])]) fn(event);
      const handler = n[`on${event.type}`];
      if (typeof handler === 'function' && !(n.listeners?.get(event.type) || []).includes(handler)) handler.call(n, event);
      if (!event.bubbles || event.stopped) break;
    }
    return !event.defaultPrevented;
  }

  click() {
    if (this.disabled) return;
    if (this.tagName === 'INPUT' && this.getAttribute('type') === 'radio') {
      this.checked = true;
      this.dispatchEvent(new FakeEvent('change'));
    }
    this.dispatchEvent(new FakeEvent('click'));
    if (this.tagName === 'BUTTON' && this.getAttribute('type') === 'submit') this.closest('form')?.dispatchEvent(new FakeEvent('submit'));
  }

  closest(selector) {
    for (let n = this; n instanceof FakeElement; n = n.parentNode) if (matches(n, selector)) return n;
    return null;
  }

  matches(selector) {
    return matches(this, selector);
  }

  // --- queries ---
  querySelectorAll(selector) {
    const out = [];
    const walk = (node) => {
      for (const child of node.children) {
        if (matches(child, selector, this)) out.push(child);
        walk(child);
      }
    };
    walk(this);
    return out;
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] || null;
  }
}

for (const prop of BOOLEAN_PROPS) {
  const attr = prop === 'readonly' ? 'readonly' : prop;
  Object.defineProperty(FakeElement.prototype, prop === 'readonly' ? 'readOnly' : prop, {
    get() {
      return this.hasAttribute(attr);
    },
    set(v) {
      if (v) this.setAttribute(attr, '');
      else this.removeAttribute(attr);
    },
  });
}

// --- selectors -------------------------------------------------------------------------------

function parseCompound(text) {
  const parts = { tag: null, id: null, classes: [], attrs: [] };
  const re = /([a-zA-Z][\w-]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:=(?:"([^"]*)"|'([^']*)'|([^\]]*)))?\]/g;
  let m;
  let consumed = 0;
  while ((m = re.exec(text))) {
    if (m.index !== consumed) throw new Error(`fake-dom: unsupported selector ${text}`);
    consumed = re.lastIndex;
    if (m[1]) parts.tag = m[1].toUpperCase();
    else if (m[2]) parts.id = m[2];
    else if (m[3]) parts.classes.push(m[3]);
    else parts.attrs.push([m[4], m[5] ?? m[6] ?? m[7] ?? null]);
  }
  if (consumed !== text.length) throw new Error(`fake-dom: unsupported selector ${text}`);
  return parts;
}

function matchesCompound(el, c) {
  if (c.tag && el.tagName !== c.tag) return false;
  if (c.id && el.id !== c.id) return false;
  for (const cls of c.classes) if (!el.classList.contains(cls)) return false;
  for (const [name, value] of c.attrs) {
    if (!el.hasAttribute(name)) return false;
    if (value !== null && el.getAttribute(name) !== value) return false;
  }
  return true;
}

function matches(el, selector, scope = null) {
  return selector.split(',').some((one) => {
    const chain = one.trim().split(/\s+/).map(parseCompound);
    if (!matchesCompound(el, chain.at(-1))) return false;
    let i = chain.length - 2;
    for (let n = el.parentNode; i >= 0 && n instanceof FakeElement && n !== scope; n = n.parentNode) {
      if (matchesCompound(n, chain[i])) i -= 1;
    }
    return i < 0;
  });
}

// --- the document ------------------------------------------------------------------------------

export class FakeDocument {
  constructor() {
    this.documentElement = new FakeElement(this, 'html');
    this.body = new FakeElement(this, 'body');
    this.documentElement.append(this.body);
    this.activeElement = this.body;
    this.visibilityState = 'visible';
    this.listeners = new Map();
  }

  createElement(tag) {
    return new FakeElement(this, tag);
  }

  createElementNS(_ns, tag) {
    return new FakeElement(this, tag);
  }

  createTextNode(text) {
    return new FakeText(this, text);
  }

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  removeEventListener(type, fn) {
    this.listeners.set(type, (this.listeners.get(type) || []).filter((f) => f !== fn));
  }

  dispatchEvent(event) {
    for (const fn of this.listeners.get(event.type) || []) fn(event);
  }

  querySelector(selector) {
    return this.documentElement.querySelector(selector);
  }

  querySelectorAll(selector) {
    return this.documentElement.querySelectorAll(selector);
  }
}

/** Installs a fresh document (with the given ids as empty divs in <body>) on globalThis. */
export function installDom(ids = ['modal-root', 'toast', 'admin-screen']) {
  const doc = new FakeDocument();
  for (const id of ids) {
    const el = doc.createElement('div');
    el.id = id;
    el.hidden = true;
    doc.body.append(el);
  }
  globalThis.document = doc;
  globalThis.Node = FakeNode;
  return doc;
}

/** Fires an event of `type` at `el` (an `input` after setting a value, a `change`...). */
export function fire(el, type, init = {}) {
  return el.dispatchEvent(new FakeEvent(type, init));
}

/** The text of every element matching `selector` under `root`. */
export function texts(root, selector) {
  return root.querySelectorAll(selector).map((el) => el.textContent);
}
