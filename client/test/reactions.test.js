import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyReactionsFrame,
  inTone,
  keepReactions,
  searchEmoji,
  toggledLocally,
  QUICK_REACTIONS,
} from '../renderer/lib/reactions.js';
import { EMOJI } from '../renderer/lib/emoji-data.js';

const ME = 7;
const message = { id: 1, chat_id: 2, text: 'hi', deleted: false, reactions: [{ emoji: '👍', count: 2, me: true }] };

test('a frame without reactions keeps the ones we had, and a deletion drops them', () => {
  assert.deepEqual(keepReactions(message, { ...message, reactions: undefined, text: 'edited' }).reactions, message.reactions);
  assert.deepEqual(keepReactions(message, { ...message, deleted: true, reactions: undefined }).reactions, []);
  assert.deepEqual(keepReactions(undefined, { id: 3, deleted: false }).reactions, []);
});

test('a reactions frame sets the counts and derives me from its user', () => {
  const someone = applyReactionsFrame(message, { user_id: 9, emoji: '🎉', added: true, reactions: [{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }] }, ME);
  assert.deepEqual(someone.reactions, [{ emoji: '👍', count: 2, me: true }, { emoji: '🎉', count: 1, me: false }]);
  const mine = applyReactionsFrame(someone, { user_id: ME, emoji: '🎉', added: true, reactions: [{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 2 }] }, ME);
  assert.equal(mine.reactions[1].me, true);
  const back = applyReactionsFrame(mine, { user_id: ME, emoji: '👍', added: false, reactions: [{ emoji: '👍', count: 1 }, { emoji: '🎉', count: 2 }] }, ME);
  assert.deepEqual(back.reactions.map((r) => r.me), [false, true]);
});

test('a local toggle adds, counts and takes back only my own reaction', () => {
  const added = toggledLocally(message, '🎉', true);
  assert.deepEqual(added.reactions.at(-1), { emoji: '🎉', count: 1, me: true });
  const gone = toggledLocally(added, '🎉', false);
  assert.deepEqual(gone.reactions, message.reactions);
  assert.deepEqual(toggledLocally(message, '👍', true).reactions, message.reactions, 'already mine');
});

test('the picker finds emoji by English or Russian name and applies a skin tone', () => {
  const [thumbs] = searchEmoji(EMOJI, 'thumbs up');
  assert.equal(thumbs[0], '👍');
  assert.equal(searchEmoji(EMOJI, 'большой палец вверх')[0][0], '👍');
  assert.equal(inTone(thumbs, 3), '👍🏽');
  assert.equal(inTone(thumbs, 0), '👍');
  const [rocket] = searchEmoji(EMOJI, 'rocket');
  assert.equal(inTone(rocket, 3), '🚀', 'no tones: unchanged');
});

test('the quick set and every skin tone are in the catalogue', () => {
  const all = new Set(EMOJI.flatMap((e) => [e[0], ...(e[3] || [])]));
  for (const e of QUICK_REACTIONS) assert.ok(all.has(e), e);
});

test('the store folds reaction frames into loaded messages and keeps them across edits', async () => {
  const { Store } = await import('../renderer/lib/store.js');
  const store = new Store();
  store.setMe({ id: ME, username: 'me', display_name: 'Me' });
  store.setChats([{ id: 2, kind: 'direct', members: [], last_message: null, unread_count: 0 }]);
  store.addHistory(2, [message], false);

  store.apply({ type: 'message_reactions', data: { chat_id: 2, message_id: 1, user_id: 9, emoji: '🎉', added: true, reactions: [{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }] }, cursor: 5 });
  store.apply({ type: 'message_updated', data: { message: { ...message, reactions: undefined, text: 'edited' } }, cursor: 6 });

  const now = store.message(2, 1);
  assert.equal(now.text, 'edited');
  assert.deepEqual(now.reactions, [{ emoji: '👍', count: 2, me: true }, { emoji: '🎉', count: 1, me: false }]);
  store.apply({ type: 'message_deleted', data: { message: { ...message, deleted: true, text: '', reactions: undefined } }, cursor: 7 });
  assert.deepEqual(store.message(2, 1).reactions, []);
  // A frame for a message not loaded changes nothing.
  assert.deepEqual(store.apply({ type: 'message_reactions', data: { chat_id: 2, message_id: 99, user_id: 9, emoji: '🎉', added: true, reactions: [] } }), {});
});
