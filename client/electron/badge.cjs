// The unread count drawn as a red badge (Windows' taskbar overlay icon and the tray icon):
// raw BGRA pixels for nativeImage.createFromBitmap, so the main process needs no canvas.

// 3×5 pixel glyphs, one string per row.
const GLYPHS = {
  0: ['###', '#.#', '#.#', '#.#', '###'],
  1: ['.#.', '##.', '.#.', '.#.', '###'],
  2: ['###', '..#', '###', '#..', '###'],
  3: ['###', '..#', '###', '..#', '###'],
  4: ['#.#', '#.#', '###', '..#', '..#'],
  5: ['###', '#..', '###', '..#', '###'],
  6: ['###', '#..', '###', '#.#', '###'],
  7: ['###', '..#', '..#', '..#', '..#'],
  8: ['###', '#.#', '###', '#.#', '###'],
  9: ['###', '#.#', '###', '..#', '###'],
  '+': ['...', '.#.', '###', '.#.', '...'],
};
const RED = [0x35, 0x39, 0xe5, 0xff]; // #e53935 as B, G, R, A
const WHITE = [0xff, 0xff, 0xff, 0xff];

/** The text of the badge: '' for none, the count up to 99, then '99+'. */
function badgeText(count) {
  const n = Math.floor(Number(count) || 0);
  if (n <= 0) return '';
  return n > 99 ? '99+' : String(n);
}

function put(buf, size, x, y, [b, g, r, a]) {
  if (x < 0 || y < 0 || x >= size || y >= size) return;
  const i = (y * size + x) * 4;
  buf[i] = b;
  buf[i + 1] = g;
  buf[i + 2] = r;
  buf[i + 3] = a;
}

/** A `size`×`size` BGRA bitmap: a red disc with `text` in white, transparent around it. */
function drawBadge(text, size = 32) {
  const buf = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) if ((x - c) ** 2 + (y - c) ** 2 <= (size / 2) ** 2) put(buf, size, x, y, RED);
  }
  const chars = [...String(text)].filter((ch) => GLYPHS[ch]);
  if (!chars.length) return buf;
  // As large as fits in the disc's inner square, one pixel column between glyphs.
  const inner = Math.floor(size * 0.72);
  const scale = Math.max(1, Math.min(Math.floor(inner / (chars.length * 4 - 1)), Math.floor(inner / 5)));
  const width = (chars.length * 4 - 1) * scale;
  const left = Math.round((size - width) / 2);
  const top = Math.round((size - 5 * scale) / 2);
  chars.forEach((ch, n) => {
    GLYPHS[ch].forEach((row, gy) => {
      [...row].forEach((cell, gx) => {
        if (cell !== '#') return;
        for (let dy = 0; dy < scale; dy += 1) {
          for (let dx = 0; dx < scale; dx += 1) put(buf, size, left + (n * 4 + gx) * scale + dx, top + gy * scale + dy, WHITE);
        }
      });
    });
  });
  return buf;
}

/** `badge` (a `badgeSize` square) laid over the bottom-right corner of a `size` square bitmap. */
function stampBadge(bitmap, size, badge, badgeSize) {
  const out = Buffer.from(bitmap);
  const off = size - badgeSize;
  for (let y = 0; y < badgeSize; y += 1) {
    for (let x = 0; x < badgeSize; x += 1) {
      const s = (y * badgeSize + x) * 4;
      if (badge[s + 3] === 0) continue;
      put(out, size, off + x, off + y, [badge[s], badge[s + 1], badge[s + 2], badge[s + 3]]);
    }
  }
  return out;
}

module.exports = { badgeText, drawBadge, stampBadge, GLYPHS };
