import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ZOOM, clampCrop, coverScale, cropRect, dragCrop, initialCrop, zoomCrop } from '../renderer/lib/crop.js';

const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-9, `${msg}: ${a} != ${b}`);

test('at zoom 1 the picture just covers the viewport, centred', () => {
  const s = initialCrop(800, 400, 200);
  close(s.scale, coverScale(800, 400, 200), 'scale');
  close(s.scale, 0.5, 'the short side fits the viewport');
  close(s.x, -100, 'centred across');
  close(s.y, 0, 'flush down');
  assert.deepEqual(cropRect(s), { sx: 200, sy: 0, size: 400 });
});

test('dragging never uncovers the viewport', () => {
  let s = initialCrop(800, 400, 200);
  s = dragCrop(s, 1000, 1000);
  assert.equal(s.x, 0);
  assert.equal(s.y, 0);
  assert.deepEqual(cropRect(s), { sx: 0, sy: 0, size: 400 });
  s = dragCrop(s, -5000, 0);
  close(s.x, -200, 'the right edge at the viewport edge');
  assert.deepEqual(cropRect(s), { sx: 400, sy: 0, size: 400 });
});

test('zoom stays between 1 and the maximum', () => {
  const s = initialCrop(300, 300, 100);
  assert.equal(zoomCrop(s, 0.2).zoom, 1);
  assert.equal(zoomCrop(s, 99).zoom, MAX_ZOOM);
});

test('zooming keeps the point under the pointer where it is', () => {
  const s = initialCrop(1000, 1000, 200);
  const cx = 50;
  const cy = 150;
  // The image point under (cx, cy) before and after.
  const pointAt = (st) => [(cx - st.x) / st.scale, (cy - st.y) / st.scale];
  const before = pointAt(s);
  const z = zoomCrop(s, 2, cx, cy);
  const after = pointAt(z);
  close(after[0], before[0], 'x');
  close(after[1], before[1], 'y');
  const rect = cropRect(z);
  close(rect.size, 500, 'twice the zoom, half the square');
});

test('the crop is always a square inside the picture', () => {
  for (const [w, h] of [[640, 480], [480, 640], [100, 100], [4000, 10]]) {
    let s = initialCrop(w, h, 256);
    for (const [zoom, dx, dy] of [[1.7, 40, -300], [3.9, -999, 999], [1, 5, 5], [2.5, -30, -30]]) {
      s = dragCrop(zoomCrop(s, zoom, 30, 200), dx, dy);
      const { sx, sy, size } = cropRect(s);
      assert.ok(size > 0 && size <= Math.min(w, h) + 1e-9, `size ${size} in ${w}x${h}`);
      assert.ok(sx >= 0 && sy >= 0 && sx + size <= w + 1e-9 && sy + size <= h + 1e-9, `${sx},${sy},${size} in ${w}x${h}`);
    }
  }
});

test('a state is clamped whatever it was given', () => {
  const s = clampCrop({ width: 200, height: 100, view: 100, zoom: 'x', x: 50, y: -500 });
  assert.equal(s.zoom, 1);
  assert.equal(s.x, 0);
  assert.equal(s.y, 0);
});
