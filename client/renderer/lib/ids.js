// Client ids make a send idempotent: the server answers a repeated client_id with the
// message it already stored. crypto.randomUUID exists only in secure contexts, and a
// messenger served over plain http on a LAN address is not one, so build a v4 UUID
// from getRandomValues, which exists everywhere.

/** A random RFC 4122 version 4 UUID. */
export function newClientId(cryptoImpl = globalThis.crypto) {
  const b = new Uint8Array(16);
  cryptoImpl.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
