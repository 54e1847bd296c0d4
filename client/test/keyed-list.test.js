import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyedList } from '../renderer/views/dom.js';

/** Just enough of a DOM node for keyedList, counting the moves it makes. */
class FakeNode {
  constructor(name = '') {
    this.name = name;
    this.parent = null;
    this.children = [];
    this.moves = 0;
  }

  get firstChild() {
    return this.children[0] || null;
  }

  get nextSibling() {
    const siblings = this.parent?.children || [];
    return siblings[siblings.indexOf(this) + 1] || null;
  }

  insertBefore(node, ref) {
    if (node.parent) node.parent.children.splice(node.parent.children.indexOf(node), 1);
    if (node.parent === this) this.moves += 1;
    node.parent = this;
    const at = ref ? this.children.indexOf(ref) : this.children.length;
    this.children.splice(at, 0, node);
    return node;
  }

  replaceWith(node) {
    const siblings = this.parent.children;
    siblings[siblings.indexOf(this)] = node;
    node.parent = this.parent;
    this.parent = null;
  }

  remove() {
    if (!this.parent) return;
    this.parent.children.splice(this.parent.children.indexOf(this), 1);
    this.parent = null;
  }
}

const rows = (specs) =>
  specs.map(([key, version = 1]) => ({ key, deps: [version], render: () => new FakeNode(`${key}@${version}`) }));
const names = (parent) => parent.children.map((n) => n.name);

test('rows whose deps did not change keep their very nodes', () => {
  const parent = new FakeNode();
  const list = keyedList(parent);
  list.update(rows([['a'], ['b'], ['c']]));
  const before = [...parent.children];
  list.update(rows([['a'], ['b'], ['c']]));
  assert.deepEqual(parent.children, before);
  assert.equal(parent.moves, 0);
});

test('appending and prepending rows moves none of the existing ones', () => {
  const parent = new FakeNode();
  const list = keyedList(parent);
  list.update(rows([['m2'], ['m3']]));
  const [m2, m3] = parent.children;
  list.update(rows([['m0'], ['m1'], ['m2'], ['m3'], ['m4']]));
  assert.deepEqual(names(parent), ['m0@1', 'm1@1', 'm2@1', 'm3@1', 'm4@1']);
  assert.equal(parent.children[2], m2);
  assert.equal(parent.children[3], m3);
  assert.equal(parent.moves, 0);
});

test('a changed row is redrawn in place and its neighbours stay', () => {
  const parent = new FakeNode();
  const list = keyedList(parent);
  list.update(rows([['a'], ['b'], ['c'], ['d']]));
  const [a, , c, d] = parent.children;
  list.update(rows([['a'], ['b', 2], ['c'], ['d']]));
  assert.deepEqual(names(parent), ['a@1', 'b@2', 'c@1', 'd@1']);
  assert.deepEqual([parent.children[0], parent.children[2], parent.children[3]], [a, c, d]);
  assert.equal(parent.moves, 0);
  assert.equal(list.node('b'), parent.children[1]);
});

test('gone rows are removed, a row moved to the top costs one move', () => {
  const parent = new FakeNode();
  const list = keyedList(parent);
  list.update(rows([['a'], ['b'], ['c'], ['d']]));
  list.update(rows([['d'], ['a'], ['c']]));
  assert.deepEqual(names(parent), ['d@1', 'a@1', 'c@1']);
  assert.equal(parent.moves, 1);
  list.clear();
  assert.deepEqual(parent.children, []);
  list.update(rows([['a']]));
  assert.deepEqual(names(parent), ['a@1']);
});
