import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageTextAllowed, validateLogin } from '../renderer/lib/validate.js';

test('a message needs text unless it carries attachments', () => {
  assert.equal(messageTextAllowed('hello', 0), true);
  assert.equal(messageTextAllowed('', 0), false);
  assert.equal(messageTextAllowed(' \n\t', 0), false);
  assert.equal(messageTextAllowed('', 1), true, 'a file without a caption');
  assert.equal(messageTextAllowed('  ', 2), true);
  assert.equal(messageTextAllowed('', undefined), false, 'a message whose attachments are unknown');
});

test('a login needs both fields', () => {
  assert.deepEqual(validateLogin({ login: ' ', password: 'x' }), { field: 'login', key: 'login_required' });
  assert.equal(validateLogin({ login: 'anna', password: 'x' }), null);
});
