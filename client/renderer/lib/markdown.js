// Message formatting: a safe subset of Markdown turned into a tree of plain nodes, which
// views turn into DOM elements (toDom) with createElement and text nodes only. There is no
// HTML in or out: a `<script>` in a message is the text "<script>", and the only elements
// ever made are those of ALLOWED_TAGS, the only attribute values ever set are a link's
// checked href and fixed class names.
//
// The subset: **bold** (also __bold__), *italic* (also _italic_ between non-word
// characters), ~~strikethrough~~, `inline code`, ``` fenced code blocks ``` (an unclosed
// fence runs to the end), [links](https://...) and bare http(s) URLs (http, https and
// mailto only; anything else stays text), "> " block quotes, and @mentions by the server's
// rule (domain/mentions.py): `@` at the start or after a character that is neither a
// letter, a digit nor one of `_ . @ / -`, then a username; not inside code.
//
// Why hand-written rather than a vendored markdown-it: the client has no bundler and no
// runtime dependencies; markdown-it's output is an HTML string or a token stream, so the
// token -> DOM walk, the scheme check and the mention rule would be ours anyway, and the
// subset above is about 200 lines that the hostile-payload tests pin down.

export const ALLOWED_TAGS = new Set(['strong', 'em', 's', 'code', 'pre', 'blockquote', 'a', 'span']);
export const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

const MAX_DEPTH = 6; // nested quotes and emphasis beyond this are plain text
const MENTION = /(?<![\p{L}\p{N}_.@/-])@([A-Za-z0-9][A-Za-z0-9_.]*)(?![\p{L}\p{N}_])/gu;
const USERNAME = /^[a-z0-9][a-z0-9_.]{1,30}[a-z0-9]$/;
const BARE_URL = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
const TRAILING_PUNCTUATION = /[).,;:!?'"\]]+$/;

/** A link target as it may be followed: a parsed http(s)/mailto URL, else null. */
export function safeHref(raw) {
  const text = String(raw || '').trim();
  // Controls and spaces inside are never part of a URL we made a link of.
  if (!text || /[\u0000-\u0020\u007f-\u009f]/.test(text)) return null;
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
}

/** The lower-cased usernames a text mentions, by the server's rule (code excluded). */
export function mentionedNames(text) {
  const names = new Set();
  for (const node of renderMarkdown(text)) collect(node, names);
  return names;
}

function collect(node, names) {
  if (typeof node === 'string') return;
  if (node.mention) names.add(node.mention);
  for (const c of node.children || []) collect(c, names);
}

/**
 * The nodes of a message text: strings and {tag, attrs, children, mention?}.
 * `mentionClass(name)` may return extra class names for a mention (e.g. 'me').
 */
export function renderMarkdown(text, { mentionClass = () => '' } = {}) {
  return blocks(String(text ?? '').split('\n'), 0, mentionClass);
}

function blocks(lines, depth, mentionClass) {
  const out = [];
  let para = [];
  const flush = () => {
    if (!para.length) return;
    if (out.length) out.push('\n');
    out.push(...inline(para.join('\n'), depth, mentionClass));
    para = [];
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      flush();
      const code = [];
      // The rest of the opening line after the fence (a language, or code) is kept as text.
      const first = line.replace(/^\s*```/, '');
      let closed = false;
      let j = i + 1;
      const sameLineEnd = first.indexOf('```');
      if (sameLineEnd >= 0) {
        code.push(first.slice(0, sameLineEnd));
        closed = true;
        j = i;
      } else {
        if (first.trim() && !/^[\w+-]+$/.test(first.trim())) code.push(first);
        for (; j < lines.length; j += 1) {
          if (/^\s*```/.test(lines[j])) {
            closed = true;
            break;
          }
          code.push(lines[j]);
        }
      }
      if (out.length) out.push('\n');
      out.push({ tag: 'pre', children: [{ tag: 'code', children: [code.join('\n')] }] });
      i = closed ? j : lines.length;
      if (closed && sameLineEnd < 0) {
        // Text after a closing fence is text again, as the server reads mentions.
        const rest = lines[j].replace(/^\s*```/, '');
        if (rest.trim()) {
          lines[j] = rest;
          i = j - 1;
        }
      } else if (closed) {
        const rest = first.slice(sameLineEnd + 3);
        if (rest.trim()) para.push(rest);
      }
      continue;
    }
    if (/^\s*>/.test(line) && depth < MAX_DEPTH) {
      flush();
      const quoted = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i += 1) quoted.push(lines[i].replace(/^\s*> ?/, ''));
      i -= 1;
      if (out.length) out.push('\n');
      out.push({ tag: 'blockquote', children: blocks(quoted, depth + 1, mentionClass) });
      continue;
    }
    para.push(line);
  }
  flush();
  return out;
}

// Delimiters of inline spans, longest first; `word` ones (underscores) do not open or close
// inside a word, so snake_case stays as it is.
const SPANS = [
  { delim: '**', tag: 'strong' },
  { delim: '__', tag: 'strong', word: true },
  { delim: '~~', tag: 's' },
  { delim: '*', tag: 'em' },
  { delim: '_', tag: 'em', word: true },
];

const isWordChar = (c) => !!c && /[\p{L}\p{N}]/u.test(c);
const isSpace = (c) => !c || /\s/.test(c);

function findCloser(text, span, from) {
  let at = text.indexOf(span.delim, from);
  while (at >= 0) {
    const before = text[at - 1];
    const after = text[at + span.delim.length];
    const longer = span.delim.length === 1 && after === span.delim; // '*' of a '**'
    if (!isSpace(before) && !longer && !(span.word && isWordChar(after))) return at;
    at = text.indexOf(span.delim, at + span.delim.length + (longer ? 1 : 0));
  }
  return -1;
}

function inline(text, depth, mentionClass, { links = true } = {}) {
  const out = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push(...decorate(plain, mentionClass, links));
    plain = '';
  };
  // Delimiters known to have no closer from here on: each is searched for once, so a text
  // of a thousand unmatched '**' stays linear.
  const unclosed = new Set();
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        out.push({ tag: 'code', children: [text.slice(i + 1, end)] });
        i = end + 1;
        continue;
      }
      // An unclosed backtick is text, and so is everything after it up to the next one.
      plain += c;
      i += 1;
      continue;
    }
    if (links && c === '[' && depth < MAX_DEPTH) {
      const link = linkAt(text, i);
      if (link) {
        flush();
        out.push({
          tag: 'a',
          attrs: { href: link.href, target: '_blank', rel: 'noopener noreferrer' },
          children: inline(link.label, depth + 1, mentionClass, { links: false }),
        });
        i = link.end;
        continue;
      }
    }
    let matched = false;
    if (depth < MAX_DEPTH) {
      for (const span of SPANS) {
        if (!text.startsWith(span.delim, i) || unclosed.has(span.delim)) continue;
        const next = text[i + span.delim.length];
        if (isSpace(next) || (span.word && isWordChar(text[i - 1]))) continue;
        const end = findCloser(text, span, i + span.delim.length + 1);
        if (end < 0) {
          unclosed.add(span.delim);
          continue;
        }
        flush();
        const inner = text.slice(i + span.delim.length, end);
        out.push({ tag: span.tag, children: inline(inner, depth + 1, mentionClass, { links }) });
        i = end + span.delim.length;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    plain += c;
    i += 1;
  }
  flush();
  return out;
}

function linkAt(text, start) {
  const close = text.indexOf('](', start + 1);
  if (close < 0) return null;
  const label = text.slice(start + 1, close);
  if (!label || label.includes('[') || label.includes('\n')) return null;
  const end = text.indexOf(')', close + 2);
  if (end < 0) return null;
  const href = safeHref(text.slice(close + 2, end));
  if (!href) return null;
  return { label, href, end: end + 1 };
}

/** Plain text with its bare URLs made links and its mentions marked. */
function decorate(text, mentionClass, links) {
  const out = [];
  const marks = [];
  if (links) {
    for (const m of text.matchAll(BARE_URL)) {
      const raw = m[0].replace(TRAILING_PUNCTUATION, '');
      const href = safeHref(raw);
      if (href) marks.push({ start: m.index, end: m.index + raw.length, node: { tag: 'a', attrs: { href, target: '_blank', rel: 'noopener noreferrer' }, children: [raw] } });
    }
  }
  for (const m of text.matchAll(MENTION)) {
    const name = m[1].replace(/[._]+$/, '').toLowerCase();
    if (!USERNAME.test(name)) continue;
    const start = m.index;
    const end = start + 1 + name.length;
    if (marks.some((k) => start < k.end && end > k.start)) continue; // inside a URL
    const extra = mentionClass(name);
    marks.push({ start, end, node: { tag: 'span', attrs: { class: `mention${extra ? ` ${extra}` : ''}` }, mention: name, children: [text.slice(start, end)] } });
  }
  marks.sort((a, b) => a.start - b.start);
  let at = 0;
  for (const mark of marks) {
    if (mark.start < at) continue;
    if (mark.start > at) out.push(text.slice(at, mark.start));
    out.push(mark.node);
    at = mark.end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/** DOM nodes of rendered nodes: elements of ALLOWED_TAGS and text nodes, nothing else. */
export function toDom(nodes, doc = globalThis.document) {
  return nodes.map((node) => {
    if (typeof node === 'string') return doc.createTextNode(node);
    if (!ALLOWED_TAGS.has(node.tag)) return doc.createTextNode('');
    const el = doc.createElement(node.tag);
    const attrs = node.attrs || {};
    if (node.tag === 'a') {
      const href = safeHref(attrs.href);
      if (!href) return doc.createTextNode(plainText(node));
      el.setAttribute('href', href);
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer');
    } else if (attrs.class) {
      el.className = attrs.class;
    }
    for (const child of toDom(node.children || [], doc)) el.append(child);
    return el;
  });
}

/** The text of rendered nodes, without formatting. */
export function plainText(node) {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map(plainText).join('');
  return (node.children || []).map(plainText).join('');
}

const plainCache = new Map();

/** A text without its formatting marks (chat list previews); recent answers are kept. */
export function plainOf(text) {
  const key = String(text ?? '');
  let plain = plainCache.get(key);
  if (plain === undefined) {
    if (plainCache.size > 500) plainCache.clear();
    plain = /[*_~`>[]/.test(key) ? plainText(renderMarkdown(key)) : key;
    plainCache.set(key, plain);
  }
  return plain;
}
