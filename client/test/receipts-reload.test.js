// Others' read marks show or hide with my own read receipts, and no event of theirs says
// so: a privacy_updated that moves the switch tells the app to read the chats' marks again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../renderer/lib/store.js';

const privacy = (readReceipts) => ({ type: 'privacy_updated', data: { privacy: { last_seen: 'everybody', read_receipts: readReceipts } } });

test('a privacy change that moves the read-receipts switch asks for the marks again', () => {
  const store = new Store();
  store.setPrivacy({ last_seen: 'everybody', read_receipts: true });

  assert.equal(store.apply(privacy(false)).receiptsChanged, true);
  assert.equal(store.apply(privacy(false)).receiptsChanged, false);
  assert.equal(store.apply(privacy(true)).receiptsChanged, true);
  assert.equal(store.privacy.read_receipts, true);
});

test('with privacy never read, any privacy change asks for the marks again', () => {
  const store = new Store();
  assert.equal(store.apply(privacy(true)).receiptsChanged, true);
});
