import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ALLOWED_TAGS, mentionedNames, plainText, renderMarkdown, safeHref, toDom } from '../renderer/lib/markdown.js';

// A document just big enough for toDom: elements with attributes, children and text.
class FakeNode {
  constructor(tag, text = null) {
    this.tag = tag;
    this.text = text;
    this.attributes = {};
    this.children = [];
    this.className = '';
  }
  setAttribute(k, v) {
    this.attributes[k] = v;
  }
  append(c) {
    this.children.push(c);
  }
}
const fakeDocument = {
  createElement: (tag) => new FakeNode(tag),
  createTextNode: (text) => new FakeNode('#text', text),
};

function elements(nodes, out = []) {
  for (const n of nodes) {
    if (n.tag !== '#text') out.push(n);
    elements(n.children, out);
  }
  return out;
}

const dom = (text) => toDom(renderMarkdown(text), fakeDocument);
const textOf = (nodes) => nodes.map((n) => (n.tag === '#text' ? n.text : textOf(n.children))).join('');
// Compact: a tree as "tag(children)" for readable expectations.
const shape = (nodes) =>
  nodes.map((n) => (typeof n === 'string' ? JSON.stringify(n) : `${n.tag}(${shape(n.children)})`)).join(' ');

test('the subset renders: bold, italic, strikethrough, code, code blocks, quotes, links', () => {
  assert.equal(shape(renderMarkdown('**b** *i* ~~s~~ `c`')), 'strong("b") " " em("i") " " s("s") " " code("c")');
  assert.equal(shape(renderMarkdown('__b__ _i_ snake_case_name')), 'strong("b") " " em("i") " snake_case_name"');
  assert.equal(shape(renderMarkdown('```js\nlet a = **1**;\n```')), 'pre(code("let a = **1**;"))');
  assert.equal(shape(renderMarkdown('> quoted *x*\nplain')), 'blockquote("quoted " em("x")) "\\n" "plain"');
  assert.equal(shape(renderMarkdown('[site](https://example.com)')), 'a("site")');
  assert.equal(renderMarkdown('[site](https://example.com)')[0].attrs.href, 'https://example.com/');
  assert.equal(shape(renderMarkdown('see https://example.com/x.')), '"see " a("https://example.com/x") "."');
  assert.equal(shape(renderMarkdown('2 * 3 * 4 and a*b')), '"2 * 3 * 4 and a*b"');
});

test('mentions follow the server rule: not in emails, URLs or code', () => {
  const nodes = renderMarkdown('@Bob hi bob@example.com `@carol` https://x.io/@dave @eve.', {
    mentionClass: (name) => (name === 'bob' ? 'me' : ''),
  });
  const mentions = nodes.filter((n) => n.mention);
  assert.deepEqual(mentions.map((n) => [n.mention, n.attrs.class, plainText(n)]), [
    ['bob', 'mention me', '@Bob'],
    ['eve', 'mention', '@eve'],
  ]);
  assert.deepEqual([...mentionedNames('```\n@bob\n``` @all (@carol)')], ['all', 'carol']);
});

test('links are made only of http, https and mailto URLs', () => {
  assert.equal(safeHref('mailto:bob@example.com'), 'mailto:bob@example.com');
  for (const bad of [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'javascript&#58;alert(1)',
    '&#106;avascript:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'VBScript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example.com',
    '/relative',
  ]) {
    assert.equal(safeHref(bad), null, bad);
    const nodes = dom(`[click](${bad}) <${bad}>`);
    assert.deepEqual(elements(nodes).filter((n) => n.tag === 'a'), [], bad);
  }
});

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  '[x](javascript:alert(1))',
  '[x](JAVASCRIPT:alert(1))',
  '[x]( javascript:alert(1) )',
  '[x](data:text/html,<script>alert(1)</script>)',
  '[x](vbscript:msgbox)',
  '[**x**](javascript:alert(1))',
  '[x](https://ok.example)(javascript:alert(1))',
  '***___~~~```<b>x</b>',
  '**_*~~`<svg onload=alert(1)>`~~*_**',
  '*'.repeat(5000),
  '**a'.repeat(3000),
  '_a '.repeat(3000),
  '`'.repeat(4001),
  '```\n<script>alert(1)</script>\nno closing fence',
  '>'.repeat(200) + ' deep <iframe src=x>',
  '['.repeat(2000) + '](https://x.io)',
  '<style>body{display:none}</style>&lt;b&gt;',
];

test('hostile payloads render inert: only the allowed elements, no unsafe link, the text kept', () => {
  for (const payload of HOSTILE) {
    const started = Date.now();
    const nodes = dom(payload);
    assert.ok(Date.now() - started < 500, `slow: ${payload.slice(0, 30)}`);
    for (const el of elements(nodes)) {
      assert.ok(ALLOWED_TAGS.has(el.tag), `${el.tag} from ${payload.slice(0, 40)}`);
      for (const [name, value] of Object.entries(el.attributes)) {
        assert.ok(['href', 'target', 'rel'].includes(name), name);
        if (name === 'href') assert.match(value, /^(https?:|mailto:)/);
      }
    }
    // Angle brackets and the like come out as the very text that went in.
    for (const fragment of payload.match(/<[^>]*>/g) || []) {
      assert.ok(textOf(nodes).includes(fragment.replace(/[*_~`]/g, '')) || textOf(nodes).includes(fragment), fragment);
    }
  }
});

test('a huge text renders in linear time', () => {
  const huge = 'word **bold** _it_ `c` @someone https://example.com/ '.repeat(5000);
  const started = Date.now();
  const nodes = renderMarkdown(huge);
  assert.ok(Date.now() - started < 2000);
  assert.ok(nodes.length > 5000);
});

test('previews show the text without its formatting marks', async () => {
  const { plainOf } = await import('../renderer/lib/markdown.js');
  assert.equal(plainOf('**важно**: см. `код` и [сайт](https://example.com)'), 'важно: см. код и сайт');
  assert.equal(plainOf('2 * 3'), '2 * 3');
  assert.equal(plainOf('plain'), 'plain');
});
