// A message's text as formatted DOM (lib/markdown.js): mentions highlighted, those of me
// stronger (my own username, or @all where the server counted me among the mentioned).

import { renderMarkdown, toDom } from '../lib/markdown.js';

export function mentionClassFor(app, message) {
  const me = app.store.me;
  const mine = (me?.username || '').toLowerCase();
  const mentionsMe = !!me && (message.mentions || []).includes(me.id);
  return (name) => (name === mine || (name === 'all' && mentionsMe) ? 'me' : '');
}

/** The `.msg-text` element of a message (or a pending one: no mentions resolved yet). */
export function messageText(app, message) {
  const el = document.createElement('div');
  el.className = 'msg-text';
  el.append(...toDom(renderMarkdown(message.text, { mentionClass: mentionClassFor(app, message) })));
  return el;
}
