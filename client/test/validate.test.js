import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageTextAllowed, validateLogin, validatePasswordChange } from '../renderer/lib/validate.js';

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

test('a password change needs the current password and a repeated new one of 8-128 characters', () => {
  const ok = { current_password: 'old', new_password: 'violet kettle marathon', new_password2: 'violet kettle marathon' };
  assert.equal(validatePasswordChange(ok), null);
  assert.deepEqual(validatePasswordChange({ ...ok, current_password: '' }), { field: 'current_password', key: 'current_password_required' });
  assert.deepEqual(validatePasswordChange({ ...ok, new_password: 'short', new_password2: 'short' }), { field: 'new_password', key: 'password_length' });
  assert.deepEqual(validatePasswordChange({ ...ok, new_password: 'x'.repeat(129) }), { field: 'new_password', key: 'password_length' });
  assert.deepEqual(validatePasswordChange({ ...ok, new_password2: 'violet kettle' }), { field: 'new_password2', key: 'password_mismatch' });
  // A long passphrase is fine; whether a password is too common is the server's to say.
  assert.equal(validatePasswordChange({ ...ok, new_password: 'a'.repeat(128), new_password2: 'a'.repeat(128) }), null);
});

test('the message length counts code points of the trimmed text, as the server does', async () => {
  const { MESSAGE_MAX, COUNTER_FROM, lengthState, messageLength } = await import('../renderer/lib/validate.js');
  assert.equal(messageLength('  привет  '), 6);
  assert.equal(messageLength('👍👍'), 2, 'an emoji of two UTF-16 units is one character');
  assert.deepEqual(lengthState('a'.repeat(COUNTER_FROM - 1)), { length: COUNTER_FROM - 1, left: MESSAGE_MAX - COUNTER_FROM + 1, counted: false, over: false });
  assert.deepEqual(lengthState('a'.repeat(COUNTER_FROM)), { length: COUNTER_FROM, left: MESSAGE_MAX - COUNTER_FROM, counted: true, over: false });
  assert.deepEqual(lengthState('a'.repeat(MESSAGE_MAX)), { length: MESSAGE_MAX, left: 0, counted: true, over: false });
  assert.deepEqual(lengthState(`${'a'.repeat(MESSAGE_MAX)}👍`), { length: MESSAGE_MAX + 1, left: -1, counted: true, over: true });
  assert.equal(lengthState('abc', 2).over, true, 'another limit may be given');
});
