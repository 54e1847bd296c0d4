// DOM building blocks of the views: an element builder and a keyed list. User content goes
// in through textContent and attributes only, never as HTML.

export const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element: h('div', {class: 'x', onclick}, child, 'text'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    // CSSOM, not a style attribute: the strict CSP (no 'unsafe-inline') allows only this.
    else if (k === 'style') el.style.cssText = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function sameDeps(a, b) {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Keeps the children of `parent` equal to a list of keyed rows. update() takes
 * `[{key, deps, render}]` in display order: a row whose key was there before and whose
 * `deps` are the same values (Object.is, element by element) keeps its very node, so its
 * scroll position, text selection and focus survive; a changed row is rendered again and
 * swapped in place; new rows are inserted where they belong; gone rows are removed.
 * Keys must be unique, and `parent` must hold nothing but these rows. Returns whether the
 * DOM changed. An item may carry the very `deps` array it had (a cached row): that is the
 * same at once.
 */
export function keyedList(parent) {
  let rows = new Map(); // key -> {node, deps}
  return {
    update(items) {
      let changed = false;
      const next = new Map();
      for (const item of items) next.set(item.key, item);
      for (const [key, row] of rows) {
        if (next.has(key)) continue;
        row.node.remove();
        changed = true;
      }
      const kept = new Map();
      for (const item of items) {
        const row = rows.get(item.key);
        if (row && sameDeps(row.deps, item.deps)) {
          kept.set(item.key, row);
          continue;
        }
        const node = item.render();
        changed = true;
        // In place, so that the rows after it are not moved.
        if (row) row.node.replaceWith(node);
        kept.set(item.key, { node, deps: item.deps });
      }
      // Put nodes in order with as few moves as possible: appending and prepending (new
      // messages, older pages) move no existing row.
      let ref = parent.firstChild;
      for (const item of items) {
        const { node } = kept.get(item.key);
        if (node === ref) ref = ref.nextSibling;
        else {
          parent.insertBefore(node, ref);
          changed = true;
        }
      }
      rows = kept;
      return changed;
    },

    /** The node currently shown for `key`, if any. */
    node(key) {
      return rows.get(key)?.node || null;
    },

    /** Forgets every row (another chat is shown). */
    clear() {
      for (const row of rows.values()) row.node.remove();
      rows = new Map();
    },
  };
}
