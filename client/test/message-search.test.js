// How a search result's text is cut into plain and marked runs: whole words only, exactly
// as the server named them, any script; a long text is shown around its first match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markedRuns, snippetRuns } from '../renderer/views/message-search.js';

const marked = (runs) => runs.filter((r) => r.mark).map((r) => r.text);
const joined = (runs) => runs.map((r) => r.text).join('');

test('the highlighted words are marked wherever they stand as whole words', () => {
  const text = 'Сообщения, сообщениями и сообщения!';
  const runs = markedRuns(text, ['Сообщения', 'сообщениями', 'сообщения']);
  assert.deepEqual(marked(runs), ['Сообщения', 'сообщениями', 'сообщения']);
  assert.equal(joined(runs), text);
});

test('a word inside a longer word is not marked', () => {
  assert.deepEqual(marked(markedRuns('run running rerun run', ['run'])), ['run', 'run']);
});

test('regular-expression characters in words and text are plain text', () => {
  const text = 'a.b (c+) [x] $y^ a.b';
  const runs = markedRuns(text, ['a.b', 'c+', '(']);
  assert.equal(joined(runs), text);
  assert.deepEqual(marked(runs), ['a.b', 'c+', 'a.b']);
});

test('nothing to mark leaves the text whole; no text gives no runs', () => {
  assert.deepEqual(markedRuns('hello', []), [{ text: 'hello', mark: false }]);
  assert.deepEqual(markedRuns('hello', undefined), [{ text: 'hello', mark: false }]);
  assert.deepEqual(markedRuns('', ['x']), []);
});

test('a long text is cut around its first match', () => {
  const text = `${'x '.repeat(200)}needle ${'y '.repeat(200)}`;
  const runs = snippetRuns(markedRuns(text, ['needle']), 60, 10);
  assert.deepEqual(marked(runs), ['needle']);
  assert.equal(runs[0].text, '…');
  assert.equal(runs.at(-1).text, '…');
  assert.ok(joined(runs).length <= 62);
});

test('a short text is shown whole', () => {
  const runs = markedRuns('short needle', ['needle']);
  assert.deepEqual(snippetRuns(runs, 60, 10), runs);
});
