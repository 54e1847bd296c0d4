/**
 * What a deleted message shows in its place. A server administrator's removal (moderation)
 * says so: the server marks such a tombstone `removed_by_admin: true`, and leaves the field
 * out on every other message.
 */
export function tombstoneKey(m) {
  return m.removed_by_admin === true ? 'message.removed_by_admin' : 'message.deleted';
}
